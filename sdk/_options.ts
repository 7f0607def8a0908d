/**
 * The one check of the numbers the SDK's options take (durations in ms, counts and sizes): a value
 * it cannot use is refused where it is given, naming the option, instead of failing later as
 * something else (a deadline already past reads as an unreachable manager, `NaN` as no delay at
 * all, a batch of 0 ids as a loop without end, 30 days as 1 ms).
 */
import { MAX_TIMER_MS } from "./_timer.ts";

/**
 * `value` as a duration in ms, `fallback` when it is `undefined` or `null` (not given, as for
 * every optional field). `atLeast` is `"positive"` for
 * a timeout or a delay (more than 0, the default), `"zero"` where 0 means "none" (a grace period,
 * a window). A duration longer than a timer keeps (`MAX_TIMER_MS`, 24.8 days: past it a timer
 * fires after 1 ms) is refused too, unless `inSteps` says its user waits for it in steps of that.
 *
 * @throws {RangeError} naming `name` when `value` is not a finite number in that range
 */
export function durationOption(
  value: number | null | undefined,
  name: string,
  options: { fallback: number; atLeast?: "positive" | "zero"; inSteps?: boolean },
): number {
  const { fallback, atLeast = "positive", inSteps = false } = options;
  if (value === undefined || value === null) return fallback;
  const ok = typeof value === "number" && Number.isFinite(value) &&
    (atLeast === "zero" ? value >= 0 : value > 0);
  if (!ok) {
    throw new RangeError(
      `${name} must be a finite number of milliseconds ${
        atLeast === "zero" ? "from 0" : "above 0"
      }, not ${String(value)}`,
    );
  }
  if (!inSteps && value > MAX_TIMER_MS) {
    throw new RangeError(
      `${name} must be at most ${MAX_TIMER_MS} milliseconds (24.8 days, the longest a timer keeps), not ${value}`,
    );
  }
  return value;
}

/**
 * `value` as a count or a size (`limits.watchTaskIds`, `limits.taskDataBytes`), `fallback` when
 * it is `undefined` or `null`.
 *
 * @throws {RangeError} naming `name` when `value` is not a whole number from 1
 */
export function countOption(
  value: number | null | undefined,
  name: string,
  fallback: number,
): number {
  if (value === undefined || value === null) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number from 1, not ${String(value)}`);
  }
  return value;
}
