/**
 * Makes Node's timers the global ones, as Deno makes them for npm code. In the bundled manager
 * the npm packages are inlined and would get the web timers (numbers, not `Timeout` objects).
 */
import * as timers from "node:timers";

// grpc-js calls `refresh()` on its connection idle timer: with a web timer that throws when a
// call ends, and the bundled manager exits.
Object.assign(globalThis, {
  setTimeout: timers.setTimeout,
  clearTimeout: timers.clearTimeout,
  setInterval: timers.setInterval,
  clearInterval: timers.clearInterval,
});
