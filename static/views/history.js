/**
 * Task history on the dashboard: current rates from counts over a fixed window, and the history
 * charts (last hour / day / week; all executors or one) drawn with uPlot, with their totals.
 */
import { get } from "../api.js";
import { button, fmtMs, h, replace, select, showError } from "../dom.js";
import { fmtAxisTicks, fmtTime, timeMode, zoneName } from "../times.js";

/** The window current rates are counted over. */
export const RATE_WINDOW_MS = 5 * 60_000;
const MINUTE_MS = 60_000;

/** Ranges the charts offer: how far back, and the step that keeps each at 60–168 points. */
export const RANGES = [
  { id: "hour", label: "Last hour", ms: 3_600_000, step: "1m", stepMs: MINUTE_MS },
  { id: "day", label: "Last day", ms: 86_400_000, step: "15m", stepMs: 15 * MINUTE_MS },
  { id: "week", label: "Last week", ms: 7 * 86_400_000, step: "1h", stepMs: 3_600_000 },
];

const COUNT_SERIES = [
  ["created", "Created", "#0b5cad"],
  ["completed", "Completed", "#1a7f37"],
  ["failedAttempts", "Failed attempts", "#b3261e"],
  ["retried", "Retried", "#bf8700"],
  ["deadLettered", "Dead-lettered", "#6f42c1"],
  ["cancelled", "Cancelled", "#57606a"],
];
/**
 * The latency charts, one per measure: queue wait and run time differ by orders of magnitude (30 s
 * against 75 ms), and on one axis the smaller was a flat line at zero. Each has its own scale.
 */
const LATENCY_CHARTS = [
  {
    id: "queue-wait",
    key: "queueWaitMs",
    title: "Queue wait",
    colors: ["#0b5cad", "#6ea8e0"],
  },
  {
    id: "run-time",
    key: "runTimeMs",
    title: "Run time",
    colors: ["#1a7f37", "#7cc48f"],
  },
];

/**
 * The rate per minute of `key` over the last `RATE_WINDOW_MS`: the counts of the one-minute
 * points from the minute that window starts in up to now, divided by the time from that minute's
 * start to now. A fixed window, so the figure moves smoothly and does not depend on when, or how
 * often, the page asks.
 *
 * @param {{at: string}[]} points one-minute history points
 * @param {string} key a count, e.g. `completed`
 * @param {number} now epoch ms
 */
export function ratePerMinute(points, key, now) {
  const start = Math.floor((now - RATE_WINDOW_MS) / MINUTE_MS) * MINUTE_MS;
  let sum = 0;
  for (const point of points) {
    if (Date.parse(point.at) >= start) sum += point[key] ?? 0;
  }
  return sum / ((now - start) / MINUTE_MS);
}

/** The one-minute history of the rate window (one executor, or all when `executorName` is empty). */
export function rateHistory(executorName, signal) {
  return get("/history", {
    executorName,
    step: "1m",
    from: new Date(Date.now() - RATE_WINDOW_MS - MINUTE_MS).toISOString(),
  }, signal);
}

/** Most executors one history request names (the API takes up to 100). */
const NAMES_PER_REQUEST = 100;

/**
 * The one-minute history of the rate window of each executor named, as a map of name → points,
 * and of them all together (`all`, the answers' summed points): one request for up to
 * `NAMES_PER_REQUEST` executors (`executorNames`), not one per executor.
 *
 * @returns {Promise<{byExecutor: Map<string, object[]>, all: object[]}>}
 */
export async function rateHistories(names, signal) {
  const from = new Date(Date.now() - RATE_WINDOW_MS - MINUTE_MS).toISOString();
  const chunks = [];
  for (let i = 0; i < names.length; i += NAMES_PER_REQUEST) {
    chunks.push(names.slice(i, i + NAMES_PER_REQUEST));
  }
  const answers = await Promise.all(
    chunks.map((chunk) =>
      get("/history", { executorNames: chunk.join(","), step: "1m", from }, signal)
    ),
  );
  const byExecutor = new Map(
    answers.flatMap((answer) => answer.series.map((s) => [s.executorName, s.points])),
  );
  return { byExecutor, all: answers.length === 1 ? answers[0].points : summed(answers) };
}

/** The points of several answers over one window and step, their counts added up by time. */
function summed(answers) {
  const byTime = new Map();
  for (const answer of answers) {
    for (const point of answer.points) {
      const sum = byTime.get(point.at);
      if (!sum) {
        byTime.set(point.at, { ...point });
        continue;
      }
      for (const [key] of COUNT_SERIES) sum[key] = (sum[key] ?? 0) + (point[key] ?? 0);
    }
  }
  return [...byTime.values()];
}

/** A rate as text: `12.5/min` (whole numbers from 100 up). */
export function fmtRate(perMinute) {
  return `${perMinute >= 100 ? Math.round(perMinute) : perMinute.toFixed(1)}/min`;
}

const number = new Intl.NumberFormat("en");

/** `from` and `to` of a range: whole steps, up to the end of the current one. */
function windowOf(range) {
  const to = Math.ceil((Date.now() + 1) / range.stepMs) * range.stepMs;
  return { from: new Date(to - range.ms).toISOString(), to: new Date(to).toISOString() };
}

/**
 * The y axis's width: its widest tick label, the tick and the gap before it, and 60 px at least
 * (room for the first time label, centred on the plot's left edge). A fixed 60 px cut labels such
 * as "1 min 20 s" on the left ("min 20 s").
 */
function yAxisSize(u, values, axisIndex, cycle) {
  const axis = u.axes[axisIndex];
  // uPlot sizes the axes again after the first pass; keeping the size then ends the passes.
  if (cycle > 1) return axis._size;
  u.ctx.font = axis.font[0];
  const widest = Math.max(0, ...(values ?? []).map((v) => u.ctx.measureText(v).width));
  return Math.max(60, Math.ceil(widest / globalThis.uPlot.pxRatio + axis.ticks.size + axis.gap));
}

function chart(container, { title, series, points, stepMs, unit }) {
  const width = Math.max(260, container.clientWidth || 600);
  const xs = points.map((p) => Date.parse(p.at) / 1000);
  const data = [xs, ...series.map((s) => points.map((p) => s.value(p)))];
  const options = {
    title,
    width,
    height: 200,
    scales: {
      x: { time: true },
      // A chart with nothing to show (no task ran: every latency null) has no y range, and uPlot
      // then drops its y axis: the plot began at the canvas's left edge, and the first time label,
      // centred on it, was cut ("026-12-07"). An empty chart keeps its axis on 0 to 1.
      y: {
        range: (_u, min, max) =>
          min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)
            ? [0, 1]
            : globalThis.uPlot.rangeNum(min, max, 0.1, true),
      },
    },
    // Ticks fall on whole hours and days of the zone shown (times.js), not the browser's.
    tzDate: timeMode() === "utc"
      ? (ts) => globalThis.uPlot.tzDate(new Date(ts * 1000), "Etc/UTC")
      : (ts) => new Date(ts * 1000),
    legend: { live: true },
    series: [
      {
        label: "Time",
        value: (_u, v) => (v === null || v === undefined ? "—" : fmtTime(v * 1000)),
      },
      ...series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 1.5,
        spanGaps: false,
        value: (_u, v) => (v === null || v === undefined ? "—" : unit(v)),
      })),
    ],
    axes: [
      {
        label: `Time (${zoneName()})`,
        labelSize: 20,
        size: 44,
        values: (_u, splits, _axis, _space, incr) => {
          const ticks = fmtAxisTicks(splits, incr);
          // What the canvas shows, as text: for readers of the page and for its tests.
          container.dataset.xTicks = ticks.filter(Boolean).join(" | ");
          return ticks;
        },
      },
      {
        size: yAxisSize,
        values: (_u, splits) => {
          const ticks = splits.map(unit);
          container.dataset.yTicks = ticks.join(" | ");
          return ticks;
        },
      },
    ],
  };
  const plot = new globalThis.uPlot(options, data, container);
  container.dataset.points = String(points.length);
  container.dataset.stepMs = String(stepMs);
  return plot;
}

/**
 * The history panel: range and executor pickers, totals and current rates, and three charts (tasks
 * per step; queue wait percentiles; run time percentiles, each on its own scale). `refresh()` reloads what is shown.
 *
 * Over the last hour the rates come from the chart's own points. Over a day or a week they come
 * from `rates(executorName)` (`""`: all executors), the rate window the dashboard read for its
 * cards (`rateHistories`), so that a refresh sends no third history request; only when it answers
 * `null` (not read yet) does the panel read the window itself.
 *
 * @param {{executors: string[], signal: AbortSignal, rates?: (executorName: string) => object[] | null}} options
 */
export function historyPanel({ executors, signal, rates: known = () => null }) {
  const state = { range: RANGES[0], executorName: "" };
  const box = h("div");
  const totals = h("dl", { class: "totals", "aria-live": "polite" });
  const counts = h("figure", { class: "chart", dataset: { chart: "counts" } });
  const latency = LATENCY_CHARTS.map((c) =>
    h("figure", { class: "chart", dataset: { chart: c.id } })
  );
  const plots = [];
  const rangeButtons = RANGES.map((range) =>
    button(range.label, () => {
      state.range = range;
      load();
    }, { class: "btn btn-small", dataset: { range: range.id } })
  );
  const picker = select("executorName", [["", "All executors"], ...executors], "");
  picker.setAttribute("aria-label", "Executor shown in the charts");
  picker.addEventListener("change", () => {
    state.executorName = picker.value;
    load();
  });
  const panel = h(
    "section",
    { class: "panel history", "aria-label": "History" },
    h(
      "div",
      { class: "head" },
      h("h2", {}, "History"),
      h("div", { class: "actions" }, rangeButtons, picker),
    ),
    box,
    totals,
    h("div", { class: "charts" }, counts, latency),
  );

  let loading = null;
  function load() {
    if (loading) return loading;
    loading = (async () => {
      try {
        const { range, executorName } = state;
        // Over the last hour by the minute, the history holds the rate window: no second read;
        // over a day or a week, the dashboard's read of it for the cards serves.
        const window = range.stepMs === MINUTE_MS ? null : known(executorName);
        const [history, rates] = await Promise.all([
          get("/history", { executorName, step: range.step, ...windowOf(range) }, signal),
          range.stepMs === MINUTE_MS || window ? null : rateHistory(executorName, signal),
        ]);
        const recent = window ? { points: window } : rates ?? history;
        if (signal.aborted) return;
        box.replaceChildren();
        for (const b of rangeButtons) {
          b.setAttribute("aria-pressed", String(b.dataset.range === range.id));
        }
        const now = Date.now();
        const t = history.totals;
        replace(
          totals,
          COUNT_SERIES.map(([key, label]) => [
            h("dt", {}, label),
            h("dd", { dataset: { total: key } }, number.format(t[key])),
          ]),
          h("dt", {}, "Completed now"),
          h(
            "dd",
            { dataset: { rate: "completed" } },
            fmtRate(ratePerMinute(recent.points, "completed", now)),
          ),
          h("dt", {}, "Created now"),
          h(
            "dd",
            { dataset: { rate: "created" } },
            fmtRate(ratePerMinute(recent.points, "created", now)),
          ),
          h("dt", {}, "Run time p50 / p95"),
          h("dd", {}, `${fmtMs(t.runTimeMs.p50 ?? NaN)} / ${fmtMs(t.runTimeMs.p95 ?? NaN)}`),
        );
        while (plots.length) plots.pop().destroy();
        const perStep = range.stepMs === MINUTE_MS ? "per minute" : `per ${range.step}`;
        const who = executorName || "all executors";
        counts.replaceChildren();
        for (const figure of latency) figure.replaceChildren();
        counts.setAttribute(
          "aria-label",
          `Tasks ${perStep}, ${range.label.toLowerCase()}, ${who}: ` +
            COUNT_SERIES.map(([key, label]) => `${label.toLowerCase()} ${t[key]}`).join(", "),
        );
        plots.push(chart(counts, {
          title: `Tasks ${perStep}`,
          points: history.points,
          stepMs: range.stepMs,
          unit: (v) => number.format(v),
          series: COUNT_SERIES.map(([key, label, color]) => ({
            label,
            color,
            value: (p) => p[key],
          })),
        }));
        LATENCY_CHARTS.forEach((c, i) => {
          latency[i].setAttribute(
            "aria-label",
            `${c.title} p50 and p95 ${perStep}, ${range.label.toLowerCase()}, ${who}`,
          );
          plots.push(chart(latency[i], {
            title: `${c.title} p50 and p95`,
            points: history.points,
            stepMs: range.stepMs,
            unit: (v) => fmtMs(v),
            series: ["p50", "p95"].map((q, j) => ({
              label: `${c.title} ${q}`,
              color: c.colors[j],
              value: (p) => p[c.key][q],
            })),
          }));
        });
      } catch (error) {
        if (!signal.aborted) showError(box, error);
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  const resize = () => {
    for (const plot of plots) {
      const width = Math.max(260, plot.root.parentElement?.clientWidth ?? 600);
      plot.setSize({ width, height: 200 });
    }
  };
  globalThis.addEventListener("resize", resize);
  signal.addEventListener("abort", () => {
    globalThis.removeEventListener("resize", resize);
    while (plots.length) plots.pop().destroy();
  });
  return { panel, refresh: load };
}
