import assert from "node:assert/strict";
import { waitAtMost } from "./wait_at_most.ts";

Deno.test("waitAtMost answers true for a promise settled in time, false once the time ran out", async () => {
  assert.equal(await waitAtMost(Promise.resolve("done"), 1000), true);
  assert.equal(await waitAtMost(new Promise(() => {}), 5), false);
  // Deno's leak check fails this test when a timer is left behind.
});

Deno.test("waitAtMost passes on a rejection in time", async () => {
  await assert.rejects(waitAtMost(Promise.reject(new Error("store away")), 1000), /store away/);
});
