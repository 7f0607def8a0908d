/**
 * Minimal Prometheus text exposition (format 0.0.4): a writer for families and samples, and a
 * labelled counter kept in memory.
 */

/** Label names to values. */
export type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll('"', '\\"');
}

function labelText(labels: Labels, extra?: Labels): string {
  const all = { ...labels, ...extra };
  const keys = Object.keys(all);
  if (keys.length === 0) return "";
  return `{${keys.map((k) => `${k}="${escapeLabel(all[k])}"`).join(",")}}`;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** Accumulates the text of one scrape. */
export class MetricsWriter {
  #lines: string[] = [];

  /** Writes the HELP and TYPE lines of a metric family. */
  family(name: string, type: "counter" | "gauge" | "histogram", help: string): void {
    this.#lines.push(`# HELP ${name} ${help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n")}`);
    this.#lines.push(`# TYPE ${name} ${type}`);
  }

  /** Writes one sample. */
  sample(name: string, labels: Labels, value: number): void {
    this.#lines.push(`${name}${labelText(labels)} ${formatNumber(value)}`);
  }

  /** The exposition text. */
  text(): string {
    return this.#lines.join("\n") + "\n";
  }
}

/** A counter family with labels. */
export class Counter {
  #values = new Map<string, { labels: Labels; value: number }>();

  constructor(readonly name: string, readonly help: string) {}

  /** Adds `by` (default 1) to the series with these labels. */
  inc(labels: Labels, by = 1): void {
    const key = JSON.stringify(labels);
    const series = this.#values.get(key);
    if (series) series.value += by;
    else this.#values.set(key, { labels, value: by });
  }

  /** The current value of one series (0 when never incremented). */
  get(labels: Labels): number {
    return this.#values.get(JSON.stringify(labels))?.value ?? 0;
  }

  /** The label values of `name` across every series, such as each `executor` counted. */
  values(name: string): Set<string> {
    const values = new Set<string>();
    for (const { labels } of this.#values.values()) {
      if (Object.hasOwn(labels, name)) values.add(labels[name]);
    }
    return values;
  }

  /** Drops every series whose `name` label is one of `values` (gone from the next scrape). */
  remove(name: string, values: ReadonlySet<string>): void {
    for (const [key, { labels }] of this.#values) {
      if (Object.hasOwn(labels, name) && values.has(labels[name])) this.#values.delete(key);
    }
  }

  /** Writes the family. */
  write(out: MetricsWriter): void {
    out.family(this.name, "counter", this.help);
    for (const { labels, value } of this.#values.values()) out.sample(this.name, labels, value);
  }
}

/**
 * Writes the `_bucket`, `_sum` and `_count` samples of one histogram series: `bounds` the buckets'
 * upper bounds, ascending; `buckets[i]` the observations in (`bounds[i-1]`, `bounds[i]`], those
 * above the last bound counted in `count` only.
 */
export function writeHistogramSeries(
  out: MetricsWriter,
  name: string,
  labels: Labels,
  series: { bounds: readonly number[]; buckets: readonly number[]; count: number; sum: number },
): void {
  let cumulative = 0;
  series.bounds.forEach((bound, i) => {
    cumulative += series.buckets[i];
    out.sample(`${name}_bucket`, { ...labels, le: String(bound) }, cumulative);
  });
  out.sample(`${name}_bucket`, { ...labels, le: "+Inf" }, series.count);
  out.sample(`${name}_sum`, labels, series.sum);
  out.sample(`${name}_count`, labels, series.count);
}

/** A histogram family without labels, kept in memory. */
export class Histogram {
  readonly #buckets: number[];
  #count = 0;
  #sum = 0;

  /** `bounds`: the buckets' upper bounds, ascending (a `+Inf` bucket follows). */
  constructor(readonly name: string, readonly help: string, readonly bounds: readonly number[]) {
    this.#buckets = new Array(bounds.length).fill(0);
  }

  /** Counts one observation. */
  observe(value: number): void {
    this.#count++;
    this.#sum += value;
    const i = this.bounds.findIndex((bound) => value <= bound);
    if (i >= 0) this.#buckets[i]++;
  }

  /** Observations so far, their sum, and per bucket those in it (not cumulative). */
  get(): { count: number; sum: number; buckets: readonly number[] } {
    return { count: this.#count, sum: this.#sum, buckets: [...this.#buckets] };
  }

  /** Writes the family. */
  write(out: MetricsWriter): void {
    out.family(this.name, "histogram", this.help);
    writeHistogramSeries(out, this.name, {}, { bounds: this.bounds, ...this.get() });
  }
}
