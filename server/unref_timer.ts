/**
 * Lets a timer keep no process alive, whichever timers made it: Deno's web timers (a number) or
 * Node's (a `Timeout`, which the bundled manager makes global; see node_timers.ts).
 * `Deno.unrefTimer` given a `Timeout` throws nothing and leaves the timer holding the process.
 */

/** Unrefs `timer`, a value `setTimeout` or `setInterval` returned. */
export function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  if (typeof timer === "number") Deno.unrefTimer(timer);
  else (timer as { unref?: () => void }).unref?.();
}
