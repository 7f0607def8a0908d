/**
 * Searching tasks over REST (`GET /api/v1/tasks/search`) and gRPC (`SearchTasks`): by id, by
 * metadata, by a JSON pointer into the data; paged; bad terms named by field. The store side of
 * the scan is tests/search_contract.ts.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import { createHttpApp } from "../server/http/app.ts";
import {
  ENUM_PREFIX,
  fromEnum,
  valueFromJson,
  violationsFromMetadata,
} from "@tasks-executor/proto";
import { rejectsWith, startGrpcStack } from "./fixtures/grpc_stack.ts";

// deno-lint-ignore no-explicit-any
type Msg = Record<string, any>;

async function startBoth() {
  const stack = await startGrpcStack();
  const app = createHttpApp({
    service: stack.service,
    workers: stack.workers,
    limits: DEFAULT_LIMITS,
    readiness: () => Promise.resolve({ ready: true, checks: {} }),
  });
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const search = async (query: Record<string, string>) => {
    const url = `http://127.0.0.1:${http.addr.port}/api/v1/tasks/search?${new URLSearchParams(
      query,
    )}`;
    const response = await fetch(url);
    return { status: response.status, body: await response.json() as Msg };
  };
  await stack.service.createExecutor({ name: "orders" });
  await stack.service.createExecutor({ name: "mail" });
  const make = (executorName: string, data: unknown, metadata: Record<string, string> = {}) =>
    stack.service.createTask({ executorName, data, metadata }).then((c) => c.task.id);
  return {
    stack,
    search,
    make,
    async [Symbol.asyncDispose]() {
      await http.shutdown();
      await stack[Symbol.asyncDispose]();
    },
  };
}

Deno.test("REST search finds tasks by a data field, by metadata and by id", async () => {
  await using both = await startBoth();
  const a = await both.make("orders", { orderId: 123, lines: [{ sku: "x" }] }, { tenant: "acme" });
  const b = await both.make("orders", { orderId: "123" }, { tenant: "acme" });
  const c = await both.make("mail", { orderId: 123 }, { tenant: "other" });
  const ids = async (query: Record<string, string>) => {
    const { status, body } = await both.search(query);
    assert.equal(status, 200, JSON.stringify(body));
    return body.tasks.map((t: Msg) => t.id);
  };
  assert.deepEqual(await ids({ dataPointer: "/orderId", dataValue: "123" }), [c, a]);
  assert.deepEqual(await ids({ dataPointer: "/orderId", dataValue: '"123"' }), [b]);
  assert.deepEqual(await ids({ dataPointer: "/lines/0/sku", dataValue: "x" }), [a]);
  assert.deepEqual(
    await ids({ dataPointer: "/orderId", dataValue: "123", executorName: "orders" }),
    [a],
  );
  assert.deepEqual(await ids({ metadataKey: "tenant", metadataValue: "acme" }), [b, a]);
  assert.deepEqual(
    await ids({
      metadataKey: "tenant",
      metadataValue: "acme",
      dataPointer: "/orderId",
      dataValue: "123",
    }),
    [a],
  );
  assert.deepEqual(await ids({ id: b }), [b]);
  assert.deepEqual(await ids({ id: b, status: "completed" }), []);
  const page = await both.search({ metadataKey: "tenant", metadataValue: "acme", limit: "1" });
  assert.deepEqual(page.body.tasks.map((t: Msg) => t.id), [b]);
  assert.equal(page.body.nextCursor, b);
  const next = await both.search({
    metadataKey: "tenant",
    metadataValue: "acme",
    limit: "1",
    cursor: page.body.nextCursor,
  });
  assert.deepEqual(next.body.tasks.map((t: Msg) => t.id), [a]);
});

Deno.test("REST search names each bad term, and bounds the pointer and value", async () => {
  await using both = await startBoth();
  const fields = async (query: Record<string, string>) => {
    const { status, body } = await both.search(query);
    assert.equal(status, 400, JSON.stringify(body));
    return body.errors.map((e: Msg) => e.field);
  };
  assert.deepEqual(await fields({}), ["id"]);
  assert.deepEqual(await fields({ dataPointer: "orderId", dataValue: "1" }), ["dataPointer"]);
  assert.deepEqual(await fields({ dataPointer: "/a~2", dataValue: "1" }), ["dataPointer"]);
  assert.deepEqual(await fields({ dataPointer: "/a" }), ["dataValue"]);
  // Values no data can hold match nothing: refused as data would be.
  for (const dataValue of ["1e400", "9007199254740993", "-1e400"]) {
    assert.deepEqual(await fields({ dataPointer: "/a", dataValue }), ["dataValue"], dataValue);
  }
  // limit reads as lists read it: a whole number written plainly.
  for (const limit of ["0x2", "0b10", "+2", "2.0", " 2", "1e1", "0"]) {
    assert.deepEqual(
      await fields({ metadataKey: "k", metadataValue: "v", limit }),
      ["limit"],
      limit,
    );
  }
  assert.deepEqual(await fields({ dataPointer: "/a", dataValue: '{"b":1}' }), ["dataValue"]);
  assert.deepEqual(await fields({ metadataValue: "x" }), ["metadataKey"]);
  const long = "/" + "a".repeat(DEFAULT_LIMITS.searchTermChars);
  assert.deepEqual(await fields({ dataPointer: long, dataValue: "1" }), ["dataPointer"]);
  assert.deepEqual(await fields({ id: "x", status: "done", limit: "0.5" }), [
    "id",
    "status",
    "limit",
  ]);
});

Deno.test("gRPC SearchTasks finds the same tasks, with the value as a google.protobuf.Value", async () => {
  await using both = await startBoth();
  const a = await both.make("orders", { orderId: 123 }, { tenant: "acme" });
  const b = await both.make("orders", { orderId: "123" });
  const found = await both.stack.call<Msg>("SearchTasks", {
    dataPointer: "/orderId",
    dataValue: valueFromJson(123),
  });
  assert.deepEqual(found.tasks.map((t: Msg) => t.id), [a]);
  assert.equal(found.nextCursor, "");
  // NaN and Infinity are no JSON: refused, not searched for as null.
  for (const numberValue of [NaN, Infinity, -Infinity]) {
    const refused = await rejectsWith(
      both.stack.call("SearchTasks", { dataPointer: "/orderId", dataValue: { numberValue } }),
      grpc.status.INVALID_ARGUMENT,
    );
    assert.deepEqual(
      violationsFromMetadata(refused.metadata).map((v) => v.field),
      ["/dataValue"],
      String(numberValue),
    );
  }
  assert.ok(found.scanned >= 2);
  const text = await both.stack.call<Msg>("SearchTasks", {
    dataPointer: "/orderId",
    dataValue: valueFromJson("123"),
    status: ["TASK_STATUS_PENDING"],
  });
  assert.deepEqual(text.tasks.map((t: Msg) => t.id), [b]);
  assert.equal(fromEnum(ENUM_PREFIX.taskStatus, text.tasks[0].status), "pending");
  const meta = await both.stack.call<Msg>("SearchTasks", {
    metadataKey: "tenant",
    metadataValue: "acme",
  });
  assert.deepEqual(meta.tasks.map((t: Msg) => t.id), [a]);
  const error = await rejectsWith(
    both.stack.call("SearchTasks", { dataPointer: "nope", dataValue: valueFromJson(1) }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(error.metadata).map((v) => v.field), ["/dataPointer"]);
});
