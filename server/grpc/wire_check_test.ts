/**
 * Unit tests of the manager's use of the wire-format check (proto/wire_check.ts): the requests
 * that refuse unknown fields, and the checked deserializers of the services it serves.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { Buffer } from "node:buffer";
import { loadProtocol, withValueBytes } from "@tasks-executor/proto";
import { loadLegacyProtocol } from "@tasks-executor/proto/legacy";
import { checkWire, RefusedInRequest } from "@tasks-executor/proto/wire-check";
import { protoRoot } from "../../proto/_root.ts";
import { checkedRequests, REFUSES_UNKNOWN_FIELDS, WireRefusal } from "./wire_check.ts";

/** As `checkedRequests` checks every request. */
const refusing = { refuseUnknownFieldsIn: REFUSES_UNKNOWN_FIELDS };

Deno.test("checkedRequests() counts a struct's entry without its Value as the null member it is read as, on the types the manager serves", () => {
  // CreateTaskRequest { task: NewTask { data: Value { struct_value: Struct { fields: entries } } } },
  // each entry a key ("k0", "k1", …) and no value.
  const entries = Array.from({ length: 3 }, (_, i) => [0x0a, 0x04, 0x0a, 0x02, 0x6b, 0x30 + i]);
  const struct = entries.flat();
  const value = [0x2a, struct.length, ...struct];
  const task = [0x12, value.length, ...value];
  const bytes = Uint8Array.of(0x0a, task.length, ...task);
  // The types come from descriptors there: a map is a repeated field of an entry type, and the
  // entry is told apart by its shape. The data's Value and three null members: 4 JSON values.
  const served = (jsonValues: number) =>
    checkedRequests(withValueBytes(loadProtocol().TaskExecutorManagerService.service), {
      jsonValues,
    }).CreateTask.requestDeserialize(Buffer.from(bytes));
  assert.ok(!(served(4) instanceof WireRefusal));
  const refused = served(3);
  assert.ok(refused instanceof WireRefusal);
  assert.match(
    refused.details,
    /^taskexecutor\.v1\.NewTask\.data takes the request past 3 JSON values/,
  );
});

/** The full names of the request messages of `service`'s rpcs, by rpc name. */
function requestsOf(service: string): Map<string, string> {
  const methods = protoRoot().lookupService(service).methodsArray;
  return new Map(methods.map((method) => [
    method.name,
    method.resolvedRequestType!.fullName.slice(1),
  ]));
}

/** Every message type `type` holds, at any depth, itself included. */
function reachable(type: protobuf.Type, seen = new Set<string>()): Set<string> {
  if (seen.has(type.fullName.slice(1))) return seen;
  seen.add(type.fullName.slice(1));
  for (const field of type.fieldsArray) {
    field.resolve();
    if (field.resolvedType instanceof protobuf.Type) reachable(field.resolvedType, seen);
  }
  return seen;
}

Deno.test("REFUSES_UNKNOWN_FIELDS holds every bulk, list and search request, and none the hot paths hold", () => {
  const v1 = requestsOf("taskexecutor.v1.TaskExecutorManagerService");
  const served = new Set([
    ...v1.values(),
    ...requestsOf("taskexecutor.v1.TaskExecutorService").values(),
    ...requestsOf("taskexecutor.TaskExecutorManager").values(),
  ]);
  for (const name of REFUSES_UNKNOWN_FIELDS) assert.ok(served.has(name), name);
  const selecting = [...v1.keys()].filter((rpc) =>
    /^(List|Search)|^(Delete|Cancel|Retry)Tasks$|^(Purge|Requeue)Dlq$/.test(rpc)
  );
  assert.equal(selecting.length, 12);
  for (const rpc of selecting) assert.ok(REFUSES_UNKNOWN_FIELDS.has(v1.get(rpc)!), rpc);
  for (
    const hot of [
      "taskexecutor.v1.ProduceRequest",
      "taskexecutor.v1.CreateTasksRequest",
      "taskexecutor.v1.WorkRequest",
      "taskexecutor.v1.ReportResultsRequest",
      "taskexecutor.AddTaskRequest",
    ]
  ) {
    for (const name of reachable(protoRoot().lookupType(hot))) {
      assert.ok(!REFUSES_UNKNOWN_FIELDS.has(name), `${hot} holds ${name}`);
    }
  }
});

Deno.test("checkWire() refuses a field a REFUSES_UNKNOWN_FIELDS request does not declare, naming its number and message, whatever its wire type; other requests skip it", () => {
  const cancel = protoRoot().lookupType("taskexecutor.v1.CancelTasksRequest");
  const filter = [...cancel.encode({ executorName: "a", confirm: true }).finish()];
  checkWire(cancel, Uint8Array.from(filter), refusing);
  // Field 9 of each wire type: a string, a varint, fixed64, fixed32, a group; and 1000.
  const unknowns = [
    [0x4a, 0x02, 0x67, 0x31],
    [0x48, 0x01],
    [0x49, 1, 2, 3, 4, 5, 6, 7, 8],
    [0x4d, 1, 2, 3, 4],
    [0x4b, 0x4c],
    [0xc2, 0x3e, 0x00],
  ];
  for (const unknown of unknowns) {
    for (const bytes of [[...unknown, ...filter], [...filter, ...unknown]]) {
      const number = unknown[0] === 0xc2 ? 1000 : 9;
      const named = new RegExp(
        `^unknown field ${number} in taskexecutor\\.v1\\.CancelTasksRequest: `,
      );
      assert.throws(
        () => checkWire(cancel, Uint8Array.from(bytes), refusing),
        (error: unknown) => error instanceof RefusedInRequest && named.test(error.message),
      );
    }
    // Inside a Timestamp of the filter, a message other calls share, it is skipped.
    const createdAfter = [0x1a, unknown.length + 2, 0x08, 0x01, ...unknown];
    checkWire(cancel, Uint8Array.from([...filter, ...createdAfter]), refusing);
    // And a create skips it, as protobuf says.
    const create = protoRoot().lookupType("taskexecutor.v1.CreateTaskRequest");
    const task = [...create.encode({ task: { executorName: "a" } }).finish()];
    checkWire(create, Uint8Array.from([...task, ...unknown]), refusing);
  }
  // The served definitions answer it INVALID_ARGUMENT, on the original interface too.
  const v1 = checkedRequests(withValueBytes(loadProtocol().TaskExecutorManagerService.service));
  const refused = v1.CancelTasks.requestDeserialize(Buffer.from([...filter, 0x48, 0x01]));
  assert.ok(refused instanceof WireRefusal);
  assert.equal(refused.code, grpc.status.INVALID_ARGUMENT);
  assert.ok(!(v1.CreateTask.requestDeserialize(Buffer.from([0x48, 0x01])) instanceof WireRefusal));
  const legacy = checkedRequests(loadLegacyProtocol().TaskExecutorManager.service);
  const claim = legacy.GetNextTask.requestDeserialize(Buffer.from([0x0a, 0x01, 0x61, 0x10, 0x01]));
  assert.ok(claim instanceof WireRefusal);
  assert.match(claim.details, /^unknown field 2 in taskexecutor\.GetNextTaskRequest: /);
});
