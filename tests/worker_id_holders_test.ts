/**
 * The `heldBy` values of a `WORKER_ID_HELD` refusal are written twice: the manager's
 * (`server/domain/errors.ts`) and the wire's that the SDKs read (`proto/status_details.ts`); neither
 * folder may import the other. This file does not type-check when the two unions differ, and its
 * test fails when the proto module reads one of the manager's values as another.
 */
import assert from "node:assert/strict";
import {
  type WorkerIdHeld,
  workerIdHeldDetails,
  workerIdHeldFromDetails,
} from "@tasks-executor/proto";
import { WORKER_ID_HOLDERS, type WorkerIdHolder } from "../server/domain/errors.ts";

// Each union is assignable to the other: the same string literals, both ways.
const toWire = (holder: WorkerIdHolder): WorkerIdHeld["heldBy"] => holder;
const fromWire = (holder: WorkerIdHeld["heldBy"]): WorkerIdHolder => holder;

Deno.test("every heldBy value the manager sends is read back as itself by the proto module the SDKs use", () => {
  for (const holder of WORKER_ID_HOLDERS) {
    const held = { workerId: "w1", heldBy: toWire(holder), goneWithinMs: 40_000 };
    const read = workerIdHeldFromDetails(workerIdHeldDetails(14, "Held", held));
    assert.equal(read && fromWire(read.heldBy), holder);
  }
});
