/**
 * Requests that are not protobuf's wire format, sent as raw bytes to a real manager: a length that
 * runs past the message holding it (at the top or inside a sub-message or map entry), a field in
 * another wire type than its own. protobufjs alone read each of them as something (the bytes that
 * were there, or those of the field after); each is refused before it is decoded, on every
 * service, and nothing is made. So is a request holding more JSON values than the manager decodes.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import {
  encodeMessage,
  messageType,
  valueFromJson,
  violationsFromMetadata,
} from "@tasks-executor/proto";
import { startTestManager } from "./_manager.ts";
import { shuffledObjects } from "./fixtures/object_shapes.ts";
import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { grpcFrame, grpcStatusOf, grpcStream } from "./fixtures/raw_h2.ts";

const CREATE_TASK = "/taskexecutor.v1.TaskExecutorManagerService/CreateTask";
const PRODUCE = "/taskexecutor.v1.TaskExecutorManagerService/Produce";

const identity = (bytes: Buffer) => bytes;

function unary(client: grpc.Client, path: string, bytes: number[]): Promise<grpc.ServiceError> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      path,
      identity,
      identity,
      Buffer.from(bytes),
      (error) => error ? resolve(error) : reject(new Error(`${path} answered ${bytes}`)),
    )
  );
}

Deno.test("requests that are not protobuf's wire format are refused before decoding, on every service, and nothing is made", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "a" });
  await manager.service.createExecutor({ name: "ab" });
  const client = new grpc.Client(manager.grpcAddress, grpc.credentials.createInsecure());
  try {
    const cases: [string, number[]][] = [
      // A string 5 bytes long with one byte there: it read as "a" (executor "a", task "a").
      ["/taskexecutor.TaskExecutorManager/AddTask", [0x0a, 0x05, 0x61]],
      ["/taskexecutor.v1.TaskExecutorManagerService/GetTask", [0x0a, 0x05, 0x61]],
      // CreateTaskRequest.task is 3 bytes; its executor name says 2 and takes the byte after the
      // task: it read as a task for executor "ab".
      ["/taskexecutor.v1.TaskExecutorManagerService/CreateTask", [
        0x0a,
        0x03,
        0x0a,
        0x02,
        0x61,
        0x62,
      ]],
      // A metadata entry 3 bytes long whose key says 2 and takes the byte after the entry.
      ["/taskexecutor.TaskExecutorManager/AddTask", [
        0x0a,
        0x02,
        0x61,
        0x62,
        0x1a,
        0x03,
        0x0a,
        0x02,
        0x6b,
        0x6b,
      ]],
      // The task sent as a varint: it was taken for the length of a sub-message.
      ["/taskexecutor.v1.TaskExecutorManagerService/CreateTask", [0x08, 0x03, 0x0a, 0x01, 0x61]],
      // Health and reflection are open to everyone, and checked the same way.
      ["/grpc.health.v1.Health/Check", [0x0a, 0x05, 0x61]],
    ];
    for (const [path, bytes] of cases) {
      const error = await unary(client, path, bytes);
      // gRPC's table of library codes: an error parsing the request proto is INTERNAL.
      assert.equal(error.code, grpc.status.INTERNAL, `${path} ${bytes}: ${error.details}`);
      assert.match(error.details, /^Error deserializing request: \S+ (runs past|has wire type)/);
    }

    // A worker's hello whose last executor name runs past the hello: it read as executor "ab".
    const work = client.makeBidiStreamRequest(
      "/taskexecutor.v1.TaskExecutorService/Work",
      identity,
      identity,
    );
    const ended = new Promise<grpc.StatusObject>((resolve) => work.on("status", resolve));
    work.on("data", () => {});
    work.on("error", () => {});
    work.write(Buffer.from([0x0a, 0x06, 0x0a, 0x01, 0x77, 0x12, 0x02, 0x61, 0x62]));
    const status = await ended;
    assert.equal(status.code, grpc.status.INTERNAL, status.details);
    assert.equal(
      status.details,
      "Error deserializing request: taskexecutor.v1.Hello.executors runs past the end of its message",
    );

    assert.equal((await manager.service.listTasks({}, { limit: 10 })).items.length, 0);
    assert.equal(manager.engine.workers.list().length, 0);
    assert.equal(manager.engine.workers.gone?.().length ?? 0, 0);
  } finally {
    client.close();
  }
});

Deno.test("a worker's message that is not protobuf's wire format ends its stream, naming the field, and the worker is let go", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "ab" });
  const client = new grpc.Client(manager.grpcAddress, grpc.credentials.createInsecure());
  try {
    const work = client.makeBidiStreamRequest(
      "/taskexecutor.v1.TaskExecutorService/Work",
      identity,
      identity,
    );
    const ended = new Promise<grpc.StatusObject>((resolve) => work.on("status", resolve));
    const welcomed = new Promise((resolve) => work.once("data", resolve));
    work.on("error", () => {});
    const hello = { hello: { workerId: "w1", executors: ["ab"] } };
    work.write(Buffer.from(encodeMessage("taskexecutor.v1.WorkRequest", hello)));
    await welcomed;
    assert.equal(manager.engine.workers.list().length, 1);
    // A credit 5 bytes long with 3 there.
    work.write(Buffer.from([0x12, 0x05, 0x0a, 0x02, 0x61]));
    const status = await ended;
    assert.equal(status.code, grpc.status.INTERNAL);
    assert.equal(
      status.details,
      "Error deserializing request: taskexecutor.v1.WorkRequest.credit runs past the end of its message",
    );
    while (manager.engine.workers.list().length > 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    client.close();
  }
});

Deno.test("strings that are not UTF-8 are refused before decoding, naming the field: three idempotency keys that differ only in their bad bytes are not one", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "a" });
  const client = new grpc.Client(manager.grpcAddress, grpc.credentials.createInsecure());
  try {
    const valid = encodeMessage("taskexecutor.v1.CreateTaskRequest", {
      task: { executorName: "a", idempotencyKey: "kx", metadata: { mx: "vx" } },
    });
    const at = (needle: string) => Buffer.from(valid).indexOf(Buffer.from(needle)) + 1;
    for (
      const [needle, field] of [
        ["kx", "idempotencyKey"],
        ["mx", "key"],
        ["vx", "value"],
      ]
    ) {
      for (const bad of [0xff, 0xfe, 0xc0]) {
        const bytes = [...valid];
        bytes[at(needle)] = bad;
        const error = await unary(
          client,
          "/taskexecutor.v1.TaskExecutorManagerService/CreateTask",
          bytes,
        );
        assert.equal(error.code, grpc.status.INTERNAL, error.details);
        assert.match(error.details, new RegExp(`\\.${field} is not valid UTF-8$`));
      }
    }
    // Two-byte and four-byte characters pass.
    const fine = encodeMessage("taskexecutor.v1.CreateTaskRequest", {
      task: { executorName: "a", idempotencyKey: "ключ-🔑", metadata: { "é": "ü" } },
    });
    await new Promise((resolve, reject) =>
      client.makeUnaryRequest(
        "/taskexecutor.v1.TaskExecutorManagerService/CreateTask",
        identity,
        identity,
        Buffer.from(fine),
        (error, answer) => error ? reject(error) : resolve(answer),
      )
    );
    const { items } = await manager.service.listTasks({}, { limit: 10 });
    assert.deepEqual(items.map((t) => t.idempotencyKey), ["ключ-🔑"]);
  } finally {
    client.close();
  }
});

Deno.test("a request holding more JSON values than MAX_REQUEST_JSON_VALUES is refused with RESOURCE_EXHAUSTED before it is decoded, naming the field; nothing is made", async () => {
  const create = (data: unknown) => [
    ...encodeMessage("taskexecutor.v1.CreateTaskRequest", {
      task: { executorName: "a", data: valueFromJson(data) },
    }),
  ];
  const path = "/taskexecutor.v1.TaskExecutorManagerService/CreateTask";
  // Under the defaults: 4 MB of nulls, a million values (it held the manager 0.4 s before).
  {
    await using manager = await startTestManager();
    await manager.service.createExecutor({ name: "a" });
    const client = new grpc.Client(manager.grpcAddress, grpc.credentials.createInsecure());
    try {
      const refused = await unary(client, path, create(new Array(1_000_000).fill(null)));
      assert.equal(refused.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(
        refused.details,
        /^taskexecutor\.v1\.NewTask\.data takes the request past 262144 JSON values/,
      );
      assert.match(refused.details, /MAX_REQUEST_JSON_VALUES/);
      assert.equal((await manager.service.listTasks({}, { limit: 10 })).items.length, 0);
    } finally {
      client.close();
    }
  }
  // At the limit set: the array and its 99 items are 100 values, one more is refused.
  await using manager = await startTestManager({ env: { MAX_REQUEST_JSON_VALUES: "100" } });
  await manager.service.createExecutor({ name: "a" });
  const client = new grpc.Client(manager.grpcAddress, grpc.credentials.createInsecure());
  try {
    const made = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest(
        path,
        identity,
        identity,
        Buffer.from(create(new Array(99).fill(1))),
        (error, answer) => error ? reject(error) : resolve(answer!),
      )
    );
    assert.ok(made.length > 0);
    const refused = await unary(client, path, create(new Array(100).fill(1)));
    assert.equal(refused.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal((await manager.service.listTasks({}, { limit: 10 })).items.length, 1);
  } finally {
    client.close();
  }
});

Deno.test("a request holding more object shapes than MAX_REQUEST_OBJECT_SHAPES (its data's objects, its metadata) is refused with RESOURCE_EXHAUSTED before it is decoded, naming the field; nothing is made", async () => {
  const path = "/taskexecutor.v1.TaskExecutorManagerService/CreateTasks";
  const createTasks = (tasks: { data?: unknown; metadata?: Record<string, string> }[]) =>
    Buffer.from(encodeMessage("taskexecutor.v1.CreateTasksRequest", {
      tasks: tasks.map(({ data, metadata }) => ({
        executorName: "a",
        ...(data === undefined ? {} : { data: valueFromJson(data) }),
        metadata,
      })),
    }));
  const named = (prefix: string, count: number) =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, "v"]));
  const made = async (client: grpc.Client, bytes: Buffer) =>
    await new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest(path, identity, identity, bytes, (error) => resolve(error))
    );
  // Under the defaults: 150 tasks of 1,000 distinct names in objects of 100 (they held the
  // manager's thread 0.5 s).
  {
    await using manager = await startTestManager();
    await manager.service.createExecutor({ name: "a" });
    const client = new grpc.Client(manager.grpcAddress, grpc.credentials.createInsecure());
    try {
      const tasks = Array.from({ length: 150 }, (_, t) => ({
        data: Array.from({ length: 10 }, (_, o) => named(`n${t * 1000 + o * 100}_`, 100)),
      }));
      const refused = await made(client, createTasks(tasks));
      assert.equal(refused?.code, grpc.status.RESOURCE_EXHAUSTED, String(refused?.details));
      assert.match(
        refused!.details,
        /^taskexecutor\.v1\.NewTask\.data takes the request to more than 16384 object shapes .*MAX_REQUEST_OBJECT_SHAPES/,
      );
      // Few names in many orders (`shuffledObjects`).
      const shuffled = shuffledObjects(2000, 11);
      const orders = await made(
        client,
        createTasks(
          Array.from({ length: 200 }, (_, t) => ({ data: shuffled.slice(10 * t, 10 * t + 10) })),
        ),
      );
      assert.equal(orders?.code, grpc.status.RESOURCE_EXHAUSTED, String(orders?.details));
      assert.equal((await manager.service.listTasks({}, { limit: 10 })).items.length, 0);
    } finally {
      client.close();
    }
  }
  await using manager = await startTestManager({ env: { MAX_REQUEST_OBJECT_SHAPES: "100" } });
  await manager.service.createExecutor({ name: "a" });
  const client = new grpc.Client(manager.grpcAddress, grpc.credentials.createInsecure());
  try {
    // 100 shapes (the data's 50 prefixes, the metadata's 50), each twice: taken.
    const twice = [{ data: named("d", 50), metadata: named("m", 50) }, {
      data: named("d", 50),
      metadata: named("m", 50),
    }];
    assert.equal(await made(client, createTasks(twice)), null);
    const data = await made(client, createTasks([{ data: named("d", 101) }]));
    assert.equal(data?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(
      data!.details,
      /^taskexecutor\.v1\.NewTask\.data takes the request to more than 100/,
    );
    const metadata = await made(
      client,
      createTasks([{ metadata: named("m", 60) }, { metadata: named("n", 60) }]),
    );
    assert.equal(metadata?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(
      metadata!.details,
      /^taskexecutor\.v1\.NewTask\.MetadataEntry\.key takes the request to more than 100/,
    );
    assert.equal((await manager.service.listTasks({}, { limit: 10 })).items.length, 2);
  } finally {
    client.close();
  }
});

Deno.test("a map key that ends with a backslash (a Struct's, metadata's) is refused with INVALID_ARGUMENT before it is decoded, naming the field; nothing is made", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "a" });
  const client = new grpc.Client(manager.grpcAddress, grpc.credentials.createInsecure());
  const create = (task: Record<string, unknown>) =>
    unary(client, "/taskexecutor.v1.TaskExecutorManagerService/CreateTask", [
      ...encodeMessage("taskexecutor.v1.CreateTaskRequest", {
        task: { executorName: "a", ...task },
      }),
    ]);
  try {
    const data = await create({ data: valueFromJson({ z: 0, "q\\": 1 }) });
    assert.equal(data.code, grpc.status.INVALID_ARGUMENT);
    assert.match(
      data.details,
      /^taskexecutor\.v1\.NewTask\.data holds a member name that ends with a backslash/,
    );
    const metadata = await create({ metadata: { "m\\": "v" } });
    assert.equal(metadata.code, grpc.status.INVALID_ARGUMENT);
    assert.match(metadata.details, /^taskexecutor\.v1\.NewTask\.MetadataEntry\.key holds a member/);
    assert.equal((await manager.service.listTasks({}, { limit: 10 })).items.length, 0);
  } finally {
    client.close();
  }
});

Deno.test("a request holding more elements than MAX_REQUEST_ELEMENTS (empty tasks, packed statuses) is refused with RESOURCE_EXHAUSTED before it is decoded, naming the field; nothing is made", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "a" });
  const client = new grpc.Client(manager.grpcAddress, grpc.credentials.createInsecure());
  try {
    // 2,000,000 empty tasks in 4 MB: they held the manager 2.7 s before the 10,000-task refusal.
    const emptyTasks = Array.from({ length: 4_000_000 }, (_, i) => i % 2 === 0 ? 0x0a : 0x00);
    const tasks = await unary(
      client,
      "/taskexecutor.v1.TaskExecutorManagerService/CreateTasks",
      emptyTasks,
    );
    assert.equal(tasks.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(
      tasks.details,
      /^taskexecutor\.v1\.CreateTasksRequest\.tasks takes the request past 65536 elements .*MAX_REQUEST_ELEMENTS/,
    );
    // 4,000,000 packed statuses: they held it 1.5 s before the missing confirm was refused.
    const statuses = 4_000_000;
    const length = [];
    for (let n = statuses;; n >>>= 7) {
      if (n < 0x80) {
        length.push(n);
        break;
      }
      length.push((n & 0x7f) | 0x80);
    }
    const packed = [0x12, ...length, ...new Array<number>(statuses).fill(0x03)];
    const deleted = await unary(
      client,
      "/taskexecutor.v1.TaskExecutorManagerService/DeleteTasks",
      packed,
    );
    assert.equal(deleted.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(
      deleted.details,
      /^taskexecutor\.v1\.DeleteTasksRequest\.status takes the request past/,
    );
    // A singular field sent again and again: 2,090,000 empty `data` in the original interface's
    // AddTask held it 1.4 s (a new buffer each) and made the task.
    const addTask = [
      0x0a,
      0x01,
      0x61,
      ...Array.from({ length: 140_000 }, (_, i) => [0x12, 0][i % 2]),
    ];
    const added = await unary(client, "/taskexecutor.TaskExecutorManager/AddTask", addTask);
    assert.equal(added.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(added.details, /^taskexecutor\.AddTaskRequest\.data takes the request past/);
    assert.equal((await manager.service.listTasks({}, { limit: 10 })).items.length, 0);
  } finally {
    client.close();
  }
});

/** A varint's bytes. */
function varintBytes(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return out;
}

/**
 * The bytes of a `google.protobuf.Value` nesting `depth` objects (`{"a":{"a":…null}}`) or arrays
 * (`[[…null]]`), written by hand from the inside out: protobufjs encodes 256 messages at most.
 */
function nestedValue(depth: number, kind: "object" | "array"): Uint8Array {
  const prefixes: number[][] = [];
  let length = 2; // null_value: 0
  for (let i = 0; i < depth; i++) {
    if (kind === "array") {
      // Value.list_value (6) { ListValue.values (1) { inner } }
      const list = [0x0a, ...varintBytes(length)];
      const value = [0x32, ...varintBytes(list.length + length)];
      prefixes.push(list, value);
      length += list.length + value.length;
    } else {
      // Value.struct_value (5) { Struct.fields (1) { key (1) "a", value (2) { inner } } }
      const entry = [0x0a, 0x01, 0x61, 0x12, ...varintBytes(length)];
      const struct = [0x0a, ...varintBytes(entry.length + length)];
      const value = [0x2a, ...varintBytes(struct.length + entry.length + length)];
      prefixes.push(entry, struct, value);
      length += entry.length + struct.length + value.length;
    }
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (let i = prefixes.length - 1; i >= 0; i--) {
    bytes.set(prefixes[i], at);
    at += prefixes[i].length;
  }
  bytes.set([0x08, 0x00], at);
  return bytes;
}

/** `field` (length-delimited) holding `body`. */
function lengthDelimited(field: number, body: ArrayLike<number>): number[] {
  return [(field << 3) | 2, ...varintBytes(body.length), ...Array.from(body)];
}

Deno.test("JSON nested past the depth limit gets one answer at any depth: INVALID_ARGUMENT naming the spot, past 256 messages too", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "a" });
  const client = new grpc.Client(manager.grpcAddress, grpc.credentials.createInsecure());
  const deepest = `/a`.repeat(64);
  try {
    // 65 levels fit in 256 messages; 90 objects take 271, 2,000 objects 6,001: those were
    // refused as INTERNAL ("nests deeper than 256 messages"), without naming the spot.
    for (const depth of [65, 90, 2_000, 200_000]) {
      for (const kind of ["object", "array"] as const) {
        const value = nestedValue(depth, kind);
        const spot = kind === "object" ? deepest : "/0".repeat(64);
        // CreateTask: task (1) { executor_name (1) "a", data (2) }
        const task = [...lengthDelimited(1, [0x61]), ...Buffer.from(lengthDelimited(2, value))];
        const created = await unary(
          client,
          "/taskexecutor.v1.TaskExecutorManagerService/CreateTask",
          lengthDelimited(1, task),
        );
        assert.equal(created.code, grpc.status.INVALID_ARGUMENT, `${depth} ${created.details}`);
        assert.deepEqual(violationsFromMetadata(created.metadata), [
          {
            field: `/task/data${spot}`,
            message: "Must not nest arrays and objects deeper than 64",
          },
        ]);
        // CreateExecutor: config (1) { name (1) "b", task_schema (6) }
        const config = [...lengthDelimited(1, [0x62]), ...lengthDelimited(6, value)];
        const schema = await unary(
          client,
          "/taskexecutor.v1.TaskExecutorManagerService/CreateExecutor",
          lengthDelimited(1, config),
        );
        assert.equal(schema.code, grpc.status.INVALID_ARGUMENT, `${depth} ${schema.details}`);
        assert.deepEqual(violationsFromMetadata(schema.metadata), [
          {
            field: `/config/taskSchema${spot}`,
            message: "Must not nest arrays and objects deeper than 64",
          },
        ]);
      }
    }
    assert.equal((await manager.service.listTasks({}, { limit: 10 })).items.length, 0);
  } finally {
    client.close();
  }
});

/** Sends `bytes` as a call's whole request stream to `path`, `headers` besides gRPC's own. */
async function rawCall(
  address: string,
  path: string,
  bytes: Uint8Array,
  headers: Record<string, string> = {},
): Promise<{ status: string; message: string }> {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  try {
    const stream = grpcStream(session, path, headers);
    const status = grpcStatusOf(stream);
    stream.resume();
    stream.end(bytes);
    return await status;
  } finally {
    session.close();
  }
}

/** A framed message with `flag` as its Compressed-Flag. */
function flagged(flag: number, message: Uint8Array): Uint8Array {
  const framed = grpcFrame(message);
  framed[0] = flag;
  return framed;
}

Deno.test("a message flagged compressed on a call without grpc-encoding, or with a flag gRPC does not have, is refused INTERNAL before it is read, on unary and streaming calls", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "a" });
  const create = encodeMessage("taskexecutor.v1.CreateTaskRequest", {
    task: { executorName: "a" },
  });
  const produce = encodeMessage("taskexecutor.v1.ProduceRequest", {
    requestId: 1,
    create: { task: { executorName: "a" } },
  });
  const cases: [string, Uint8Array, Record<string, string>, RegExp][] = [
    // Read as an uncompressed message before: the task was made.
    [CREATE_TASK, flagged(1, create), {}, /flagged compressed \(Compressed-Flag 1\)/],
    [CREATE_TASK, flagged(1, create), { "grpc-encoding": "identity" }, /flagged compressed/],
    [CREATE_TASK, flagged(2, create), {}, /Compressed-Flag 2, which gRPC does not have/],
    [CREATE_TASK, flagged(0x80, create), { "grpc-encoding": "gzip" }, /Compressed-Flag 128/],
    [PRODUCE, flagged(1, produce), {}, /flagged compressed/],
  ];
  for (const [path, bytes, headers, details] of cases) {
    const answer = await rawCall(manager.grpcAddress, path, bytes, headers);
    assert.equal(answer.status, String(grpc.status.INTERNAL), `${path}: ${answer.message}`);
    assert.match(answer.message, details);
  }
  assert.equal((await manager.service.listTasks({}, { limit: 10 })).items.length, 0);
  // A message that is compressed, on a call that says how, is read.
  const gzipped = new Uint8Array(gzipSync(create));
  const answer = await rawCall(manager.grpcAddress, CREATE_TASK, flagged(1, gzipped), {
    "grpc-encoding": "gzip",
  });
  assert.equal(answer.status, String(grpc.status.OK), answer.message);
  assert.equal((await manager.service.listTasks({}, { limit: 10 })).items.length, 1);
});

Deno.test("a request stream that ends in the middle of a message is refused INTERNAL, saying so, on unary and streaming calls", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "a" });
  const create = grpcFrame(
    encodeMessage("taskexecutor.v1.CreateTaskRequest", { task: { executorName: "a" } }),
  );
  const produce = grpcFrame(encodeMessage("taskexecutor.v1.ProduceRequest", {
    requestId: 1,
    create: { task: { executorName: "a" } },
  }));
  const cases: [string, Uint8Array][] = [
    // Its body cut short: UNIMPLEMENTED ("Received no request message") before.
    [CREATE_TASK, create.subarray(0, create.length - 1)],
    // Its length prefix cut short.
    [CREATE_TASK, create.subarray(0, 3)],
    // A whole message, then one cut short: the second was dropped unsaid, the first answered.
    [CREATE_TASK, Uint8Array.from([...create, ...create.subarray(0, 7)])],
    // A stream's last message cut short: the stream ended as if it was not sent.
    [PRODUCE, Uint8Array.from([...produce, ...produce.subarray(0, produce.length - 2)])],
  ];
  for (const [path, bytes] of cases) {
    const answer = await rawCall(manager.grpcAddress, path, bytes);
    assert.equal(answer.status, String(grpc.status.INTERNAL), `${path}: ${answer.message}`);
    assert.match(answer.message, /ended in the middle of a message/);
  }
});

Deno.test("a Produce stream that ends in the middle of a message, or holds a misframed one, answers the requests before it, then ends INTERNAL: a create it made is never left unanswered, and nothing after it is read", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "a" });
  const produce = (requestId: number) =>
    grpcFrame(encodeMessage("taskexecutor.v1.ProduceRequest", {
      requestId,
      create: { task: { executorName: "a" } },
    }));
  const flaggedCompressed = produce(4);
  flaggedCompressed[0] = 1;
  const cases: [string, Uint8Array, RegExp][] = [
    ["cut off", produce(4).subarray(0, 8), /ended in the middle of a message/],
    ["flagged compressed", Uint8Array.from([...flaggedCompressed, ...produce(5)]), /flagged/],
  ];
  let made = 0;
  for (const [name, last, details] of cases) {
    const session = http2.connect(`http://${manager.grpcAddress}`);
    session.on("error", () => {});
    try {
      const stream = grpcStream(session, PRODUCE);
      const status = grpcStatusOf(stream);
      const chunks: Uint8Array[] = [];
      stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      stream.end(Uint8Array.from([...produce(1), ...produce(2), ...produce(3), ...last]));
      const ended = await status;
      assert.equal(ended.status, String(grpc.status.INTERNAL), `${name}: ${ended.message}`);
      assert.match(ended.message, details);
      // Ended at once before: the tasks were made, and none was answered.
      const bytes = Buffer.concat(chunks);
      const answered = new Set<number>();
      for (let at = 0; at < bytes.length;) {
        const length = bytes.readUInt32BE(at + 1);
        const answer = messageType("taskexecutor.v1.ProduceResponse").decode(
          bytes.subarray(at + 5, at + 5 + length),
        ) as unknown as { requestId: number | { toNumber(): number } };
        answered.add(Number(answer.requestId));
        at += 5 + length;
      }
      assert.deepEqual([...answered].sort(), [1, 2, 3], name);
    } finally {
      session.close();
    }
    made += 3;
    assert.equal((await manager.service.listTasks({}, { limit: 100 })).items.length, made, name);
  }
  // What the calls held is given back.
  let held = -1;
  for (let i = 0; i < 100 && held !== 0; i++) {
    const text = await (await fetch(`${manager.httpUrl}/metrics`)).text();
    held = Number(/^tasks_executor_request_bytes_in_flight (\d+)$/m.exec(text)![1]);
    if (held !== 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(held, 0);
});
