/** Backoff math: how long a task waits before its next attempt. Pure; the caller brings chance. */
import type { RetryPolicy } from "./executor.ts";
import { MAX_RETRY_DELAY_MS } from "./limits.ts";

/**
 * The delay (ms) before the attempt that follows failed attempt number `attempt` (1-based):
 * constant = `interval`; linear = `interval × attempt`; exponential =
 * `interval × multiplier^(attempt-1)`; then capped by `maxInterval` (when > 0) and by
 * `MAX_RETRY_DELAY_MS` (30 days: an exponential policy grows past any time a store can hold
 * within a few attempts); then up to `jitter × delay` is taken off at random, so retries of many
 * tasks spread out.
 *
 * @example
 * ```ts
 * import { retryDelay } from "./backoff.ts";
 * const policy = { type: "exponential", maxAttempts: 5, interval: 100, maxInterval: 0, multiplier: 2, jitter: 0 } as const;
 * console.log(retryDelay(policy, 3)); // 400
 * ```
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  options: { random?: () => number } = {},
): number {
  const n = Math.max(1, attempt);
  let delay: number;
  switch (policy.type) {
    case "constant":
      delay = policy.interval;
      break;
    case "linear":
      delay = policy.interval * n;
      break;
    case "exponential":
      delay = policy.interval * Math.pow(policy.multiplier, n - 1);
      break;
  }
  if (policy.maxInterval > 0) delay = Math.min(delay, policy.maxInterval);
  // `interval` 0 times an overflowed power is NaN: no delay.
  delay = Number.isNaN(delay) ? 0 : Math.min(delay, MAX_RETRY_DELAY_MS);
  if (policy.jitter > 0) {
    const random = options.random ?? Math.random;
    delay -= delay * policy.jitter * random();
  }
  return Math.round(delay);
}
