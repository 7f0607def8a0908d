/**
 * Loaded into a measured process ahead of its main module (`deno run --preload`): a timer that
 * fires every millisecond, and each second appends to the file `STALL_PROBE_FILE` one JSON line
 * `{ at, gaps, held }`: `at` the wall clock (ms since the epoch); `gaps` every time (ms) between
 * two firings that was past 5 ms in that second, and `held`, for each, the CPU time (ms) the main
 * thread ran in it (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)` of Linux's libc, through FFI: the
 * kernel's `/proc` and `getrusage` figures move by scheduler ticks, 4-10 ms). A gap is how long the thread was kept
 * from timers (one slice of synchronous work, or several back to back without a timer turn
 * between them); its `held` time leaves out the time the thread waited for a CPU, which on a
 * loaded machine can make a 1 ms slice a 100 ms gap.
 */
const file = Deno.env.get("STALL_PROBE_FILE");
if (file) {
  /** CPU time, in ms, the thread has run so far. */
  const ran = () =>
    Number(Deno.readTextFileSync("/proc/thread-self/schedstat").split(" ")[0]) / 1e6;
  let last = performance.now();
  let lastRan = ran();
  let gaps: number[] = [];
  let held: number[] = [];
  let second = last;
  const round = (n: number) => Math.round(n * 10) / 10;
  const timer = setInterval(() => {
    const now = performance.now();
    const nowRan = ran();
    if (now - last > 5) {
      gaps.push(round(now - last));
      held.push(round(nowRan - lastRan));
    }
    last = now;
    lastRan = nowRan;
    if (now - second < 1000) return;
    second = now;
    const line = JSON.stringify({ at: Date.now(), gaps, held }) + "\n";
    gaps = [];
    held = [];
    Deno.writeTextFileSync(file, line, { append: true });
  }, 1);
  // It does not keep the process alive: a graceful shutdown ends when the rest is done.
  Deno.unrefTimer(timer);
}
