/**
 * A log line that strangers can cause (a refused TLS handshake) at most once per key (a peer
 * address) per window, so that a flood of them cannot fill the log; the next line says how many
 * were left out. A per-task line (`BurstLog`) a few times per executor per window, then a count.
 */
import { log as defaultLog, type LogFields, type Logger } from "./log.ts";
import { unrefTimer } from "./unref_timer.ts";

/** Most keys remembered; past it the oldest is forgotten (its next line is let through). */
const MAX_KEYS = 1024;
/** The window of a throttle made without one: a line a minute per key. */
const ONE_MINUTE_MS = 60_000;

/**
 * Decides which of many same-kind log lines to write: the first per key in each window.
 *
 * @example
 * ```ts
 * import { LogThrottle } from "./log_throttle.ts";
 * const throttle = new LogThrottle(); // a line a minute per key
 * throttle.admit("10.0.0.1", 0); // 0: write it (none left out before)
 * throttle.admit("10.0.0.1", 1_000); // null: leave it out
 * throttle.admit("10.0.0.1", 61_000); // 1: write it, saying one was left out
 * ```
 */
export class LogThrottle {
  readonly #windowMs: number;
  /** Per key: when its last line was written, and how many were left out since. */
  readonly #keys = new Map<string, { at: number; suppressed: number }>();

  /** @param windowMs at most one line per key in this many ms (a minute by default) */
  constructor(windowMs: number = ONE_MINUTE_MS) {
    this.#windowMs = windowMs;
  }

  /**
   * Whether to write the line for `key` at `now` (ms): the number of lines of that key left out
   * since the last one written (to say in the line), or `null` to leave this one out.
   */
  admit(key: string, now: number): number | null {
    const seen = this.#keys.get(key);
    if (seen && now - seen.at < this.#windowMs) {
      seen.suppressed++;
      return null;
    }
    this.#keys.delete(key);
    if (this.#keys.size >= MAX_KEYS) this.#keys.delete(this.#keys.keys().next().value!);
    this.#keys.set(key, { at: now, suppressed: 0 });
    return seen?.suppressed ?? 0;
  }
}

/** Per-task lines of one kind written per key (an executor) in each window before counting. */
export const BURST_LINES = 10;
/** The window of a `BurstLog` made without one. */
export const BURST_WINDOW_MS = 60_000;

/**
 * A per-task log line of one kind (`Task dead-lettered`, `Expired lease rescued`) that a burst of
 * tasks writes once each: the first `burst` lines per key (an executor) in each window are
 * written, the others counted, and the count written as one summary line of the same level when
 * the window ends (or at `close`), so that 10,000 failing tasks, or a worker killed holding 1,000,
 * write a few lines a minute, not one per task, and no line is lost without being counted.
 *
 * @example
 * ```ts
 * import { BurstLog } from "./log_throttle.ts";
 * const lines = new BurstLog("warn", "Task dead-lettered", { burst: 2 });
 * for (let i = 0; i < 5; i++) lines.write("send_email", { taskId: String(i) }); // 2 written
 * lines.close(); // "Task dead-lettered: 3 more ... not logged one by one" executor=send_email
 * ```
 */
export class BurstLog {
  readonly #level: "info" | "warn" | "error";
  readonly #message: string;
  readonly #log: Logger;
  readonly #burst: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #keyField: string;
  /** Per key: when its window started, lines written in it and lines left out. */
  readonly #keys = new Map<string, { start: number; written: number; leftOut: number }>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * `options.log`: where the lines go (the manager's logger by default); `options.keyField`: the
   * field that names the key in each line, and what the summary says it is (`executor` by
   * default; `schedule` for `Cannot fire schedule`).
   */
  constructor(
    level: "info" | "warn" | "error",
    message: string,
    options: {
      burst?: number;
      windowMs?: number;
      now?: () => number;
      log?: Logger;
      keyField?: string;
    } = {},
  ) {
    this.#level = level;
    this.#message = message;
    this.#log = options.log ?? defaultLog;
    this.#burst = options.burst ?? BURST_LINES;
    this.#windowMs = options.windowMs ?? BURST_WINDOW_MS;
    this.#now = options.now ?? Date.now;
    this.#keyField = options.keyField ?? "executor";
  }

  /** Writes the line of one task for `key` (its executor), or counts it when its burst is spent. */
  write(key: string, fields: LogFields): void {
    const now = this.#now();
    let seen = this.#keys.get(key);
    if (seen && now - seen.start >= this.#windowMs) {
      this.#summarise(key, seen);
      this.#keys.delete(key);
      seen = undefined;
    }
    if (!seen) {
      if (this.#keys.size >= MAX_KEYS) {
        const [oldest, state] = this.#keys.entries().next().value!;
        this.#summarise(oldest, state);
        this.#keys.delete(oldest);
      }
      seen = { start: now, written: 0, leftOut: 0 };
      this.#keys.set(key, seen);
    }
    if (seen.written < this.#burst) {
      seen.written++;
      this.#log[this.#level](this.#message, { [this.#keyField]: key, ...fields });
      return;
    }
    seen.leftOut++;
    this.#arm();
  }

  /** Writes the count of every window with lines left out, and forgets them (at a stop). */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const [key, seen] of this.#keys) this.#summarise(key, seen);
    this.#keys.clear();
  }

  /** Writes the counts of the windows that have ended (the timer's turn). */
  #flushEnded(): void {
    this.#timer = undefined;
    const now = this.#now();
    for (const [key, seen] of this.#keys) {
      if (now - seen.start < this.#windowMs) continue;
      this.#summarise(key, seen);
      this.#keys.delete(key);
    }
    if ([...this.#keys.values()].some((seen) => seen.leftOut > 0)) this.#arm();
  }

  /** A timer for the end of the windows with lines left out; it keeps no process alive. */
  #arm(): void {
    if (this.#timer !== undefined) return;
    const now = this.#now();
    let end = Infinity;
    for (const seen of this.#keys.values()) {
      if (seen.leftOut > 0) end = Math.min(end, seen.start + this.#windowMs);
    }
    const timer = setTimeout(() => this.#flushEnded(), Math.max(0, end - now));
    unrefTimer(timer);
    this.#timer = timer;
  }

  #summarise(key: string, seen: { start: number; leftOut: number }): void {
    if (seen.leftOut === 0) return;
    this.#log[this.#level](
      `${this.#message}: ${seen.leftOut} more within ${this.#windowMs / 1000} s, not logged one ` +
        `by one (the first ${this.#burst} of each ${this.#keyField} in that time are)`,
      { [this.#keyField]: key, count: seen.leftOut, since: new Date(seen.start).toISOString() },
    );
    seen.leftOut = 0;
  }
}
