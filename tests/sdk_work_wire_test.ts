/** The count of a work stream message's fields on its bytes, before decoding (`sdk/_work_wire.ts`). */
import assert from "node:assert/strict";
import { encodeMessage, messageType } from "@tasks-executor/proto";
import {
  maxWorkMessageFields,
  TASK_METADATA_ENTRIES,
  workMessageFields,
} from "../sdk/_work_wire.ts";

const WORK_RESPONSE = "taskexecutor.v1.WorkResponse";
const encode = (message: Record<string, unknown>) => encodeMessage(WORK_RESPONSE, message);
const decode = (bytes: Uint8Array) =>
  messageType(WORK_RESPONSE).toObject(messageType(WORK_RESPONSE).decode(bytes));

/** A lease with every field set, and `entries` metadata entries. */
function lease(n: number, entries: number) {
  const metadata: Record<string, string> = {};
  for (let i = 0; i < entries; i++) metadata[`key${i}`] = `value${i}`;
  const time = { seconds: 1_800_000_000, nanos: 5 };
  return {
    taskId: `task${n}`,
    executorName: "e",
    dataJson: "{}",
    metadata,
    attempt: -1, // a negative int32: a varint of 10 bytes
    maxAttempts: 3,
    leaseToken: `lease${n}`,
    leaseExpiresAt: time,
    createdAt: time,
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    tracestate: "a=b",
  };
}

Deno.test("workMessageFields() counts the fields decoding reads, at every depth", () => {
  // 2 leases: each 1 + its 10 fields + 2 of each of its 2 times, and 3 per metadata entry (the
  // entry, its key and value).
  const two = encode({ assignments: { tasks: [lease(1, 2), lease(2, 0)] } });
  assert.equal(workMessageFields(two, 1_000), 1 + 2 * 15 + 2 * 3);
  assert.equal(workMessageFields(two, 5), 6, "stops counting past most");
  const cancellations = encode({ cancellations: { tasks: [{ taskId: "a" }, { taskId: "b" }] } });
  assert.equal(workMessageFields(cancellations, 100), 1 + 2 * 2);
  const acks = encode({ acks: { acks: [{ taskId: "a", accepted: true }] } });
  assert.equal(workMessageFields(acks, 100), 1 + 3);
  assert.equal(workMessageFields(encode({ welcome: { managerId: "m" } }), 100), 2);
});

Deno.test("workMessageFields() counts numbers and unknown fields too, which the decoder reads one by one", () => {
  const many = 200_000;
  // A welcome whose max_message_bytes (field 2, an int64) is sent 200,000 times.
  const numbers = new Uint8Array(2 * many).map((_, i) => i % 2 ? 1 : 0x10);
  const welcome = concat(Uint8Array.of(0x0a, ...varint(numbers.length)), numbers);
  assert.equal(Number(decode(welcome).welcome?.maxMessageBytes), 1);
  assert.equal(workMessageFields(welcome, Infinity), 1 + many);
  // Field 15, which WorkResponse does not declare, as many times.
  const unknown = new Uint8Array(2 * many).map((_, i) => i % 2 ? 1 : 0x78);
  assert.equal(workMessageFields(unknown, Infinity), many);
  assert.ok(workMessageFields(unknown, maxWorkMessageFields(1)) > maxWorkMessageFields(1));
});

Deno.test("workMessageFields() keeps the most leases a worker can be sent, each with every field and all its metadata, within maxWorkMessageFields", () => {
  for (const capacity of [1, 2_000]) {
    const tasks = Array.from({ length: capacity }, (_, i) => lease(i, TASK_METADATA_ENTRIES));
    const bytes = encode({ assignments: { tasks } });
    const most = maxWorkMessageFields(capacity);
    const counted = workMessageFields(bytes, most);
    assert.ok(counted <= most, `${capacity} leases: ${counted} fields, more than ${most}`);
  }
});

Deno.test("workMessageFields() reads a field as the decoder does, whatever wire type or tag length it comes with", () => {
  const tasks = [lease(1, 3)];
  const plain = encode({ assignments: { tasks } });
  const expected = workMessageFields(plain, 1_000);
  // plain is field 2's tag (0x12), then its length and the assignments.
  assert.equal(plain[0], 0x12);
  const body = plain.subarray(1);
  const variants = {
    // The tag as a varint of 5 bytes (bit 32 set), and of 10: the decoder takes the low 32 bits
    // of the first 5.
    "a 5-byte tag": Uint8Array.of(0x92, 0x80, 0x80, 0x80, 0x10, ...body),
    "a 10-byte tag": Uint8Array.of(0x92, 0x80, 0x80, 0x80, 0x90, 1, 2, 3, 4, 5, ...body),
    // Field 2 as a varint: the decoder reads it by its declared type, a message, all the same.
    "another wire type": Uint8Array.of(0x10, ...body),
  };
  for (const [what, bytes] of Object.entries(variants)) {
    assert.equal(decode(bytes).assignments?.tasks?.length, 1, `${what}: decoded`);
    assert.equal(workMessageFields(bytes, 1_000), expected, what);
  }
});

Deno.test("workMessageFields() counts a singular field each time it is sent again, as it is decoded again", () => {
  // An assignment holding nothing but its created_at time, 1,000 times (an empty time each).
  const assignment = new Uint8Array(2_000).fill(0x6a).map((byte, i) => i % 2 ? 0 : byte);
  const tasks = Uint8Array.of(0x0a, ...varint(assignment.length), ...assignment);
  const bytes = Uint8Array.of(0x12, ...varint(tasks.length), ...tasks);
  assert.equal(decode(bytes).assignments?.tasks?.length, 1);
  assert.equal(workMessageFields(bytes, 10_000), 1 + 1 + 1_000);
});

Deno.test("workMessageFields() counts bytes the decoder would not read in step as Infinity", () => {
  const acks = encode({ acks: { acks: [{ taskId: "a", accepted: true }] } });
  // A group (wire type 3) before the acks: a decoder skips it and goes on.
  assert.equal(workMessageFields(Uint8Array.of(0x3b, 0x3c, ...acks), 100), Infinity);
  assert.equal(workMessageFields(acks.subarray(0, acks.length - 1), 100), Infinity);
  assert.equal(workMessageFields(Uint8Array.of(0x80), 100), Infinity);
});

function varint(value: number): number[] {
  const bytes: number[] = [];
  for (; value >= 0x80; value = Math.floor(value / 128)) bytes.push((value & 0x7f) | 0x80);
  bytes.push(value);
  return bytes;
}

function concat(head: Uint8Array, tail: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(head.length + tail.length);
  bytes.set(head);
  bytes.set(tail, head.length);
  return bytes;
}
