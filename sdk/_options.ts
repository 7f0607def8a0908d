/**
 * The one check of the numbers the SDK's options take (durations in ms, counts and sizes): a value
 * it cannot use is refused where it is given, naming the option, instead of failing later as
 * something else (a deadline already past reads as an unreachable manager, `NaN` as no delay at
 * all, a batch of 0 ids as a loop without end).
 */

/**
 * `value` as a duration in ms, `fallback` when it is `undefined`. `atLeast` is `"positive"` for
 * a timeout or a delay (more than 0), `"zero"` where 0 means "none" (a grace period, a window).
 *
 * @throws {RangeError} naming `name` when `value` is not a finite number in that range
 */
export function durationOption(
  value: number | undefined,
  name: string,
  fallback: number,
  atLeast: "positive" | "zero" = "positive",
): number {
  if (value === undefined) return fallback;
  const ok = typeof value === "number" && Number.isFinite(value) &&
    (atLeast === "zero" ? value >= 0 : value > 0);
  if (!ok) {
    throw new RangeError(
      `${name} must be a finite number of milliseconds ${
        atLeast === "zero" ? "from 0" : "above 0"
      }, not ${String(value)}`,
    );
  }
  return value;
}

/**
 * `value` as a count or a size (`limits.watchTaskIds`, `limits.taskDataBytes`), `fallback` when
 * it is `undefined`.
 *
 * @throws {RangeError} naming `name` when `value` is not a whole number from 1
 */
export function countOption(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number from 1, not ${String(value)}`);
  }
  return value;
}
