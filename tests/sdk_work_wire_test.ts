/**
 * The check of a work stream message's bytes before decoding (`sdk/_work_wire.ts`, with the walk
 * of proto/wire_check.ts): what it counts, and what it refuses.
 */
import assert from "node:assert/strict";
import { encodeMessage, messageType } from "@tasks-executor/proto";
import { TooManyInRequest } from "@tasks-executor/proto/wire-check";
import {
  checkWorkMessage,
  maxWorkMessageElements,
  TASK_METADATA_ENTRIES,
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

/** That `bytes` hold `count` elements: they pass with `count` and are refused with one less. */
function assertElements(bytes: Uint8Array, count: number, what = ""): void {
  checkWorkMessage(bytes, count);
  assert.throws(() => checkWorkMessage(bytes, count - 1), TooManyInRequest, what);
}

Deno.test("checkWorkMessage() counts the elements decoding makes, at every depth", () => {
  // The assignments message, then each lease: itself, its 2 times and each metadata entry.
  const two = encode({ assignments: { tasks: [lease(1, 2), lease(2, 0)] } });
  assertElements(two, 1 + 2 * 3 + 2);
  const cancellations = encode({ cancellations: { tasks: [{ taskId: "a" }, { taskId: "b" }] } });
  assertElements(cancellations, 1 + 2);
  const acks = encode({ acks: { acks: [{ taskId: "a", accepted: true }] } });
  assertElements(acks, 1 + 1);
  assertElements(encode({ welcome: { managerId: "m" } }), 1);
  // Refused, it names the field that took it past.
  assert.throws(
    () => checkWorkMessage(two, 4),
    (error: unknown) =>
      error instanceof TooManyInRequest &&
      error.field === "taskexecutor.v1.Assignment.leaseExpiresAt",
  );
});

Deno.test("checkWorkMessage() counts numbers sent again and unknown fields, which the decoder reads one by one", () => {
  const many = 200_000;
  // A welcome whose max_message_bytes (field 2, an int64) is sent 200,000 times: the welcome,
  // and each time after the first.
  const numbers = new Uint8Array(2 * many).map((_, i) => i % 2 ? 1 : 0x10);
  const welcome = concat(Uint8Array.of(0x0a, ...varint(numbers.length)), numbers);
  assert.equal(Number(decode(welcome).welcome?.maxMessageBytes), 1);
  assertElements(welcome, 1 + many - 1);
  // Field 15, which WorkResponse does not declare, as many times.
  const unknown = new Uint8Array(2 * many).map((_, i) => i % 2 ? 1 : 0x78);
  assertElements(unknown, many);
  assert.throws(() => checkWorkMessage(unknown, maxWorkMessageElements(1)), TooManyInRequest);
});

Deno.test("checkWorkMessage() keeps the most leases a worker can be sent, each with every field and all its metadata, within maxWorkMessageElements", () => {
  for (const capacity of [1, 2_000]) {
    const tasks = Array.from({ length: capacity }, (_, i) => lease(i, TASK_METADATA_ENTRIES));
    const bytes = encode({ assignments: { tasks } });
    checkWorkMessage(bytes, maxWorkMessageElements(capacity));
    // The message and its leases take all the allowance of `capacity` leases.
    assertElements(bytes, 1 + capacity * (1 + 2 + TASK_METADATA_ENTRIES));
  }
  assert.equal(maxWorkMessageElements(1), 33_067);
});

Deno.test("checkWorkMessage() reads a 5-byte tag as the decoder does, and refuses a longer one and a field in another wire type than its own, which the decoder would read all the same", () => {
  const plain = encode({ assignments: { tasks: [lease(1, 3)] } });
  // plain is field 2's tag (0x12), then its length and the assignments.
  assert.equal(plain[0], 0x12);
  const body = plain.subarray(1);
  // The tag as a varint of 5 bytes (bit 32 set): the decoder takes its low 32 bits.
  const fiveByteTag = Uint8Array.of(0x92, 0x80, 0x80, 0x80, 0x10, ...body);
  assert.equal(decode(fiveByteTag).assignments?.tasks?.length, 1);
  assertElements(fiveByteTag, 1 + 3 + 3);
  const refused = {
    // Of 10 bytes: the decoder reads the low 32 bits of the first 5 and skips 5 more.
    "a 10-byte tag": [
      Uint8Array.of(0x92, 0x80, 0x80, 0x80, 0x90, 1, 2, 3, 4, 5, ...body),
      /^taskexecutor\.v1\.WorkResponse has a tag that is cut short or longer than 5 bytes/,
    ],
    // Field 2 as a varint: the decoder reads it by its declared type, a message, all the same.
    "another wire type": [
      Uint8Array.of(0x10, ...body),
      /^taskexecutor\.v1\.WorkResponse\.assignments has wire type 0, not 2/,
    ],
  } as const;
  for (const [what, [bytes, message]] of Object.entries(refused)) {
    assert.equal(decode(bytes).assignments?.tasks?.length, 1, `${what}: decoded`);
    assert.throws(() => checkWorkMessage(bytes, 1_000), { name: "RangeError", message }, what);
  }
});

Deno.test("checkWorkMessage() refuses a length past the message that holds it, and a string that is not UTF-8", () => {
  // assignments { tasks { task_id: 3 bytes saying 9 }, field 2: 6 bytes }: the task id runs past
  // its assignment into the field after it (protobufjs bounds a read by the buffer it was given,
  // not by the message: proto/wire_check.ts).
  const assignment = [0x0a, 0x09, 0x61, 0x62, 0x63];
  const tasks = [0x0a, assignment.length, ...assignment];
  const after = [0x12, 0x06, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69];
  const past = Uint8Array.of(0x12, tasks.length + after.length, ...tasks, ...after);
  assert.throws(() => checkWorkMessage(past, 1_000), {
    name: "RangeError",
    message: /^taskexecutor\.v1\.Assignment\.taskId runs past the end of its message/,
  });
  // A task id of the bytes ff fe: the decoder would read it as two U+FFFD.
  const bad = encode({ assignments: { tasks: [{ taskId: "xy", executorName: "e" }] } });
  bad.set([0xff, 0xfe], bad.indexOf(0x78));
  assert.equal(decode(bad).assignments?.tasks?.[0].taskId, "\ufffd\ufffd");
  assert.throws(() => checkWorkMessage(bad, 1_000), {
    name: "RangeError",
    message: /^taskexecutor\.v1\.Assignment\.taskId is not valid UTF-8/,
  });
});

Deno.test("checkWorkMessage() counts a singular field each time it is sent again, as it is decoded again", () => {
  // An assignment holding nothing but its created_at time, 1,000 times (an empty time each).
  const assignment = new Uint8Array(2_000).fill(0x6a).map((byte, i) => i % 2 ? 0 : byte);
  const tasks = Uint8Array.of(0x0a, ...varint(assignment.length), ...assignment);
  const bytes = Uint8Array.of(0x12, ...varint(tasks.length), ...tasks);
  assert.equal(decode(bytes).assignments?.tasks?.length, 1);
  // The assignments and the assignment; each time a message, and from the second on sent again.
  assertElements(bytes, 1 + 1 + 1_000 + 999);
});

Deno.test("checkWorkMessage() walks a group of unknown fields as the decoder skips it, and refuses bytes cut short", () => {
  const acks = encode({ acks: { acks: [{ taskId: "a", accepted: true }] } });
  // A group (field 7, wire type 3) before the acks: a decoder skips it and goes on.
  const grouped = Uint8Array.of(0x3b, 0x3c, ...acks);
  assert.equal(decode(grouped).acks?.acks?.length, 1);
  assertElements(grouped, 1 + 1 + 1);
  assert.throws(() => checkWorkMessage(acks.subarray(0, acks.length - 1), 100), RangeError);
  assert.throws(() => checkWorkMessage(Uint8Array.of(0x80), 100), RangeError);
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
