import assert from "node:assert/strict";
import { log } from "../log.ts";
import type { Store } from "../store/store.ts";
import { LEASE_CHECK_BATCH, LeaseCheck } from "./lease_check.ts";
import type { HeldLease, WorkerRegistry } from "./worker_registry.ts";

Deno.test("the lease check looks up 2,500 leases in store calls of at most LEASE_CHECK_BATCH, one after the other, the thread given back between them", async () => {
  const leases = Array.from({ length: 2500 }, (_, n) => ({ taskId: `t${n}`, leaseToken: "x" }));
  // Each store call holds the thread 15 ms (past a slice), as the embedded store's read of 1,000
  // leases does on a loaded manager.
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  const calls: { leases: number; ticks: number }[] = [];
  const store = {
    leaseCheck: (batch: HeldLease[]) => {
      calls.push({ leases: batch.length, ticks });
      const end = performance.now() + 15;
      while (performance.now() < end) { /* the thread is held */ }
      return Promise.resolve(batch.map(() => ({ held: true, status: "in_progress" })));
    },
  } as unknown as Store;
  const registry = { leases: () => leases.values() } as unknown as WorkerRegistry;
  const check = new LeaseCheck({ store, registry, now: Date.now, onFreed: () => {}, log });
  try {
    await check.checkAll();
  } finally {
    clearInterval(ticker);
  }
  assert.deepEqual(calls.map((c) => c.leases), [LEASE_CHECK_BATCH, LEASE_CHECK_BATCH, 500]);
  for (let i = 1; i < calls.length; i++) {
    assert.ok(calls[i].ticks > calls[i - 1].ticks, "a timer ran between the store calls");
  }
});
