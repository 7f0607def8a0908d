/**
 * Timer delays as timers take them: `setTimeout` and `setInterval` keep a delay in a signed 32-bit
 * integer, and one longer than 2^31 − 1 ms (24.8 days) fires after 1 ms (Node, and Deno when its
 * low 32 bits read as negative) or after those low bits: a far deadline is waited for in steps of
 * at most that.
 */

/** The longest delay a timer keeps, in ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` as a timer's delay: from 0 to `MAX_TIMER_MS`. */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}

/**
 * Calls `fn` once `ms` have passed, however long that is: a delay past `MAX_TIMER_MS` is waited
 * for in steps of at most that. Returns what cancels it.
 */
export function afterMs(ms: number, fn: () => void): { cancel(): void } {
  const end = performance.now() + ms;
  let timer: ReturnType<typeof setTimeout>;
  const step = () => {
    const left = end - performance.now();
    if (left <= 0) return fn();
    timer = setTimeout(step, timerDelay(Math.ceil(left)));
  };
  timer = setTimeout(step, timerDelay(ms));
  return { cancel: () => clearTimeout(timer) };
}
