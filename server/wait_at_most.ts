/**
 * The one "wait for it, but not for long" of the manager: a shutdown step (a report withdrawn, a
 * server's streams drained) is waited for at most a bound, and the bound's timer is cleared at
 * once, so that it never keeps the process alive after the step is done.
 */

/**
 * Waits for `promise` at most `ms`: true when it settled in time, false when the time ran out
 * first (the promise is left to settle on its own). A rejection in time is passed on.
 *
 * @example
 * ```ts
 * import { waitAtMost } from "./wait_at_most.ts";
 * const done = await waitAtMost(new Promise(() => {}), 10);
 * console.log(done); // false
 * ```
 */
export async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
