/**
 * How the command line prints for people: aligned tables, `key: value` details and short times.
 * (`--json` prints the manager's answers instead, untouched.)
 */

/** A value as one table cell: `-` for nothing, JSON for objects, text otherwise. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === "") return "-";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value).replace(/[\r\n\t]+/g, " ");
}

/** An RFC 3339 time to the second in UTC (`2026-12-02 14:07:16`), `-` when absent. */
export function time(value: unknown): string {
  if (typeof value !== "string" || value === "") return "-";
  return value.replace("T", " ").replace(/(\.\d+)?Z$/, "");
}

/**
 * Rows under a header, columns padded to their widest cell, two spaces apart.
 *
 * @example
 * ```ts
 * import { table } from "./format.ts";
 * console.log(table(["NAME", "STATE"], [["send_email", "active"]]));
 * ```
 */
export function table(header: string[], rows: unknown[][]): string {
  const cells = [header, ...rows.map((row) => row.map(cell))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => row.map((text, i) => text.padEnd(widths[i])).join("  ").trimEnd())
    .join("\n");
}

/** `label: value` lines with the values aligned; a multi-line value is indented under its label. */
export function details(pairs: [string, unknown][]): string {
  const width = Math.max(...pairs.map(([label]) => label.length)) + 1;
  return pairs.map(([label, value]) => {
    const text = typeof value === "string" && value.includes("\n") ? value : cell(value);
    const indented = text.split("\n").join(`\n${" ".repeat(width + 1)}`);
    return `${`${label}:`.padEnd(width)} ${indented}`;
  }).join("\n");
}

/** A value as indented JSON, for schemas, data and results in details. */
export function pretty(value: unknown): string {
  return value === undefined || value === null ? "-" : JSON.stringify(value, null, 2);
}

/** A duration in milliseconds as people say it (`1500` → `1.5s`, `60000` → `1m`). */
export function duration(ms: unknown): string {
  if (typeof ms !== "number") return "-";
  const units: [string, number][] = [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], [
    "s",
    1000,
  ]];
  for (const [unit, size] of units) {
    if (ms >= size) return `${Number((ms / size).toFixed(1))}${unit}`;
  }
  return `${ms}ms`;
}
