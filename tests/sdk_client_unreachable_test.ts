/**
 * A `Client` call while the manager cannot be reached fails at once with the connection's error,
 * which is what the worker logs and retries on (see `tests/security_tls_test.ts` for TLS refusals);
 * it does not wait for a manager to come back. A wait for no tasks is no call: it answers at once.
 */
import assert from "node:assert/strict";
import { Client, UnavailableError } from "../sdk/mod.ts";
import { freePort } from "./fixtures/resilience_cluster.ts";

Deno.test({
  name:
    "a Client call to a port where no manager listens fails with UnavailableError naming the refused connection, not at its deadline",
  // grpc-js keeps the refused connection's reconnect backoff timer after the client closes.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    // A deadline far past any test: a call that waited for a connection would end on it, saying
    // only "deadline exceeded".
    using client = new Client({ address: `127.0.0.1:${freePort()}`, callTimeoutMs: 120_000 });
    await assert.rejects(client.getTask("01a2384a6e4e028ba5d85f124a"), (error) => {
      assert.ok(error instanceof UnavailableError, String(error));
      assert.match(error.message, /^Manager unreachable \(GetTask\): .*ECONNREFUSED/);
      // grpc-js's empty "Resolution note: " says nothing and is left out.
      assert.doesNotMatch(error.message, /Resolution note/, error.message);
      return true;
    });
  },
});

Deno.test({
  name:
    "waits on a port where no manager listens fail at once with UnavailableError, not at their timeout: a manager never reached is not watched again",
  // grpc-js keeps the refused connection's reconnect backoff timer after the client closes.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    using client = new Client({ address: `127.0.0.1:${freePort()}` });
    const id = "01a2384a6e4e028ba5d85f124a";
    // Timeouts far past any test: a wait that watched again would go on until its signal, which
    // only turns such a hang into a failure.
    const options = { timeoutMs: 3_600_000, signal: AbortSignal.timeout(30_000) };
    const ended = await Promise.all([
      client.waitForTask(id, options),
      client.waitForTasks([id], options),
      client.createTaskAndWait("report", {}, options),
    ].map((wait) => wait.catch((error) => error)));
    for (const error of ended) {
      assert.ok(error instanceof UnavailableError, String(error));
      assert.match(error.message, /ECONNREFUSED/);
    }
  },
});

Deno.test("a wait for no tasks answers [] at once and sends nothing, even with no manager to reach", async () => {
  // Every task named is final when none is; the manager refuses a watch naming no task, and the
  // Go SDK's Wait with no ids answers an empty slice.
  using client = new Client({ address: `127.0.0.1:${freePort()}` });
  assert.deepEqual(await client.waitForTasks([], { signal: AbortSignal.timeout(5_000) }), []);
});
