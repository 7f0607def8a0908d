/**
 * How the command line prints for people: aligned tables, `key: value` details and short times,
 * with every control character of the manager's text shown escaped, never sent to the terminal.
 * (`--json` prints the manager's answers instead, as JSON.)
 */

// Terminals act on the control characters (ESC starts a sequence, BEL ends an OSC one, U+009B is
// a one-byte CSI), and the bidirectional controls (U+202E, U+2066…) reorder the text shown after
// them, so that an id or a message can display as another ("Trojan Source", CVE-2021-42574).
const CONTROL = /[\p{Cc}\p{Bidi_Control}]/gu;

const SHORT_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * `text` with each C0 control character (U+0000–U+001F, tab and line feed included), DEL, C1
 * control character (U+0080–U+009F) and bidirectional control (U+061C, U+200E, U+200F,
 * U+202A–U+202E, U+2066–U+2069) written out as JSON writes it (`\n`, `\r`, `\t`, else `\u001b`);
 * every other character as it is. Applied twice it changes nothing more.
 *
 * @example
 * ```ts
 * import { visible } from "./format.ts";
 * console.log(visible("\u001b]0;title\u0007 é")); // \u001b]0;title\u0007 é
 * ```
 */
export function visible(text: string): string {
  return text.replace(
    CONTROL,
    (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Text of several lines as `visible` shows each: its line breaks kept, every other control
 * character escaped. The command line writes everything through it.
 *
 * @example
 * ```ts
 * import { visibleLines } from "./format.ts";
 * console.log(visibleLines("one\u0007\ntwo")); // one\u0007 and two on lines of their own
 * ```
 */
export function visibleLines(text: string): string {
  return text.split("\n").map(visible).join("\n");
}

/**
 * Text a printer laid out on several lines (indented JSON, a table): `details` indents its lines
 * under the label instead of escaping its line breaks.
 */
export class Block {
  constructor(readonly text: string) {}
}

/** A value as one table cell: `-` for nothing, JSON for objects, text otherwise, all `visible`. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === "") return "-";
  return visible(typeof value === "object" ? JSON.stringify(value) : String(value));
}

/**
 * An RFC 3339 time to the second, marked as UTC (`2026-12-02 14:07:16Z`: the manager answers in
 * UTC, and a time without its zone read as local time), `-` when absent.
 *
 * @example
 * ```ts
 * import { time } from "./format.ts";
 * console.log(time("2026-12-08T01:30:00.000Z")); // 2026-12-08 01:30:00Z
 * ```
 */
export function time(value: unknown): string {
  if (typeof value !== "string" || value === "") return "-";
  return visible(value.replace("T", " ").replace(/\.\d+Z$/, "Z"));
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

/**
 * `label: value` lines with the values aligned. A value is one `cell` (its line breaks escaped)
 * unless it is a `Block`, whose lines are indented under its label.
 */
export function details(pairs: [string, unknown][]): string {
  const width = Math.max(...pairs.map(([label]) => label.length)) + 1;
  const indent = `\n${" ".repeat(width + 1)}`;
  return pairs.map(([label, value]) => {
    const text = value instanceof Block
      ? value.text.split("\n").map(visible).join(indent)
      : cell(value);
    return `${`${label}:`.padEnd(width)} ${text}`;
  }).join("\n");
}

/** A value as indented JSON, for schemas, data and results in details. */
export function pretty(value: unknown): Block {
  return new Block(value === undefined || value === null ? "-" : JSON.stringify(value, null, 2));
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
