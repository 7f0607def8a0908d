/** The count of a work stream message's elements on its bytes, before decoding (`sdk/_work_wire.ts`). */
import assert from "node:assert/strict";
import { encodeMessage } from "@tasks-executor/proto";
import { workMessageElements } from "../sdk/_work_wire.ts";

const encode = (message: Record<string, unknown>) =>
  encodeMessage("taskexecutor.v1.WorkResponse", message);

Deno.test("workMessageElements() counts assignments with their metadata entries, cancellations and acks", () => {
  const task = (metadata: Record<string, string>) => ({
    taskId: "t",
    executorName: "e",
    attempt: -1, // a negative int32: a varint of 10 bytes before the metadata
    metadata,
  });
  const assignments = encode({ assignments: { tasks: [task({ a: "1", b: "2" }), task({})] } });
  assert.equal(workMessageElements(assignments, 100), 4);
  assert.equal(workMessageElements(assignments, 2), 3, "stops counting past most");
  const cancellations = encode({ cancellations: { tasks: [{ taskId: "a" }, { taskId: "b" }] } });
  assert.equal(workMessageElements(cancellations, 100), 2);
  const acks = encode({ acks: { acks: [{ taskId: "a", accepted: true }] } });
  assert.equal(workMessageElements(acks, 100), 1);
  assert.equal(workMessageElements(encode({ welcome: { managerId: "m" } }), 100), 0);
});

Deno.test("workMessageElements() counts bytes that do not parse as protobuf without groups as Infinity", () => {
  const acks = encode({ acks: { acks: [{ taskId: "a", accepted: true }] } });
  // A group (wire type 3) before the acks: a decoder skips it and goes on.
  assert.equal(workMessageElements(Uint8Array.of(0x3b, 0x3c, ...acks), 100), Infinity);
  assert.equal(workMessageElements(acks.subarray(0, acks.length - 1), 100), Infinity);
  assert.equal(workMessageElements(Uint8Array.of(0x80), 100), Infinity);
});
