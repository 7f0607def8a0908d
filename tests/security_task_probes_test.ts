/**
 * A key limited to some executors learns nothing of other executors' tasks by their ids: every read
 * that names a task it may not read answers as for a task that does not exist, over REST, gRPC and
 * the original interface; and a list filter naming an executor it may not read is refused alike
 * for tasks and schedules.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { loadLegacyProtocol } from "@tasks-executor/proto/legacy";
import { newId } from "../server/domain/id.ts";
import {
  failureOf,
  grpcClients,
  type KeyedAnswer,
  startSecuredManager,
  unaryCall,
} from "./fixtures/secured_manager.ts";

/** An answer with every mention of `id` written as `<id>`, to compare two answers' shapes. */
function shapeOf(answer: KeyedAnswer, id: string) {
  return {
    status: answer.status,
    body: JSON.parse(JSON.stringify(answer.body).replaceAll(id, "<id>")),
  };
}

/** The first message or the status of a server stream. */
function firstOf(stream: grpc.ClientReadableStream<unknown>): Promise<grpc.ServiceError | null> {
  return new Promise((resolve) => {
    stream.once("data", () => {
      stream.cancel();
      resolve(null);
    });
    stream.once("error", (error: grpc.ServiceError) => resolve(error));
  });
}

Deno.test("a key limited to exa gets for a task of exb what it gets for no task: REST get, wait, watch and search, gRPC GetTask and WatchTasks, the original GetTaskStatus", async () => {
  await using secured = await startSecuredManager();
  const { manager } = secured;
  await manager.service.createExecutor({ name: "exa" });
  await manager.service.createExecutor({ name: "exb" });
  const { task: other } = await manager.service.createTask({ executorName: "exb" });
  const missing = newId();
  const producer = await secured.key({
    name: "exa-producer",
    scopes: ["producer"],
    executors: ["exa"],
  });

  for (
    const path of [
      (id: string) => `/tasks/${id}`,
      (id: string) => `/tasks/${id}?wait=5s`,
      (id: string) => `/tasks/watch?ids=${id}`,
    ]
  ) {
    const forOther = await secured.rest("GET", path(other.id), producer.token);
    const forMissing = await secured.rest("GET", path(missing), producer.token);
    assert.equal(forOther.status, 404, `${path(other.id)}: ${JSON.stringify(forOther.body)}`);
    assert.deepEqual(shapeOf(forOther, other.id), shapeOf(forMissing, missing));
  }
  const searched = await secured.rest("GET", `/tasks/search?id=${other.id}`, producer.token);
  const searchedMissing = await secured.rest("GET", `/tasks/search?id=${missing}`, producer.token);
  assert.equal(searched.status, 200);
  assert.deepEqual(searched.body, searchedMissing.body);
  assert.deepEqual(searched.body, { tasks: [], nextCursor: null, scanned: 0 });

  using clients = grpcClients(manager.grpcAddress);
  const getOther = await failureOf(
    unaryCall(clients.manager, "GetTask", { id: other.id }, producer.token),
  );
  const getMissing = await failureOf(
    unaryCall(clients.manager, "GetTask", { id: missing }, producer.token),
  );
  assert.equal(getOther.code, grpc.status.NOT_FOUND, getOther.details);
  assert.equal(
    getOther.details.replace(other.id, "<id>"),
    getMissing.details.replace(missing, "<id>"),
  );
  const watch = (id: string) => {
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${producer.token}`);
    // deno-lint-ignore no-explicit-any
    return firstOf((clients.manager as any).WatchTasks({ taskIds: [id] }, metadata));
  };
  const watchOther = await watch(other.id);
  const watchMissing = await watch(missing);
  assert.equal(watchOther?.code, grpc.status.NOT_FOUND, String(watchOther?.details));
  assert.equal(
    watchOther!.details.replace(other.id, "<id>"),
    watchMissing!.details.replace(missing, "<id>"),
  );

  const Legacy = loadLegacyProtocol().TaskExecutorManager;
  const legacy = new Legacy(manager.grpcAddress, grpc.credentials.createInsecure());
  try {
    const status = await failureOf(
      unaryCall(legacy, "GetTaskStatus", { id: other.id }, producer.token),
    );
    assert.equal(status.code, grpc.status.NOT_FOUND, status.details);
  } finally {
    legacy.close();
  }
});

Deno.test("a list filter naming an executor the key may not read is refused the same way for tasks, searches and schedules (403 / PERMISSION_DENIED naming executorName)", async () => {
  await using secured = await startSecuredManager();
  const { manager } = secured;
  await manager.service.createExecutor({ name: "exa" });
  await manager.service.createExecutor({ name: "exb" });
  const producer = await secured.key({
    name: "exa-producer",
    scopes: ["producer"],
    executors: ["exa"],
  });

  const answers = await Promise.all(
    [
      "/tasks?executorName=exb",
      "/tasks/search?metadataKey=k&metadataValue=v&executorName=exb",
      "/schedules?executorName=exb",
    ]
      .map((path) => secured.rest("GET", path, producer.token)),
  );
  for (const answer of answers) {
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
    assert.equal(answer.body.type, "urn:tasks-executor:problem:permission-denied");
    assert.match(answer.body.detail, /may not read (tasks|schedules) for "exb" \(executorName\)$/);
  }
  assert.equal(
    (await secured.rest("GET", "/schedules?executorName=exa", producer.token)).status,
    200,
  );

  using clients = grpcClients(manager.grpcAddress);
  for (const method of ["ListTasks", "ListSchedules"]) {
    const refused = await failureOf(
      unaryCall(clients.manager, method, { executorName: "exb" }, producer.token),
    );
    assert.equal(refused.code, grpc.status.PERMISSION_DENIED, `${method}: ${refused.details}`);
  }
});

Deno.test("a key limited to exa gets for exb's executor and schedule what it gets for none, by name or id: REST and gRPC get, change, pause, resume, trigger and delete", async () => {
  await using secured = await startSecuredManager();
  const { manager } = secured;
  const exb = await manager.service.createExecutor({ name: "exb" });
  await manager.service.createExecutor({ name: "exa" });
  const schedule = await manager.service.schedules.create({
    name: "nightly",
    executorName: "exb",
    every: "1h",
  });
  const key = await secured.key({
    name: "exa-both",
    scopes: ["producer", "worker"],
    executors: ["exa"],
  });
  /** An answer with `name` written as `<name>`, to compare with the one for a name nobody has. */
  const shape = (answer: KeyedAnswer, name: string) => ({
    status: answer.status,
    body: JSON.parse(JSON.stringify(answer.body).replaceAll(name, "<name>")),
  });
  const rest: [string, (name: string) => string, unknown?][] = [
    ["GET", (name) => `/executors/${name}`],
    ["PUT", (name) => `/executors/${name}`, { timeout: 5000 }],
    ["GET", (name) => `/schedules/${name}`],
    ["PUT", (name) => `/schedules/${name}`, { every: "2h" }],
    ["POST", (name) => `/schedules/${name}/pause`],
    ["POST", (name) => `/schedules/${name}/resume`],
    ["POST", (name) => `/schedules/${name}/trigger`],
    ["DELETE", (name) => `/schedules/${name}`],
  ];
  for (const [method, path, body] of rest) {
    for (
      const name of path(".").startsWith("/executors") ? ["exb", exb.id] : ["nightly", schedule.id]
    ) {
      const taken = await secured.rest(method, path(name), key.token, body);
      const free = await secured.rest(method, path("nobody"), key.token, body);
      assert.equal(taken.status, 404, `${method} ${path(name)}: ${JSON.stringify(taken.body)}`);
      assert.deepEqual(shape(taken, name), shape(free, "nobody"), `${method} ${path(name)}`);
    }
  }

  using clients = grpcClients(manager.grpcAddress);
  const grpcCalls: [string, string, (id: string) => Record<string, unknown>][] = [
    ["GetExecutor", "exb", (id) => ({ id })],
    ["UpdateExecutor", "exb", (id) => ({ id, config: { name: "exb" } })],
    ["GetSchedule", "nightly", (id) => ({ id })],
    ["UpdateSchedule", "nightly", (id) => ({ id, config: { every: { seconds: 7200 } } })],
    ["PauseSchedule", "nightly", (id) => ({ id })],
    ["ResumeSchedule", "nightly", (id) => ({ id })],
    ["TriggerSchedule", "nightly", (id) => ({ id })],
    ["DeleteSchedule", "nightly", (id) => ({ id })],
  ];
  for (const [method, name, request] of grpcCalls) {
    const taken = await failureOf(unaryCall(clients.manager, method, request(name), key.token));
    const free = await failureOf(unaryCall(clients.manager, method, request("nobody"), key.token));
    assert.equal(taken.code, grpc.status.NOT_FOUND, `${method}: ${taken.details}`);
    assert.equal(taken.details.replace(name, "<name>"), free.details.replace("nobody", "<name>"));
  }
  // Nothing was changed, paused, fired or deleted.
  const after = await manager.service.schedules.get("nightly");
  assert.equal(after.enabled, true);
  assert.equal(after.updatedAt, schedule.updatedAt);
  assert.equal((await manager.service.getExecutor("exb")).timeout, exb.timeout);
});
