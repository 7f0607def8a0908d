/**
 * Every field the SDK's option types document is one the call taking them accepts. The option
 * checks (`checkFields`) read each call's own list of fields, written apart from the types: a field
 * added to a type (or a list copied from another) without its entry answered `Unknown field` for an
 * option the documentation offers. The fields are read from the types themselves (`deno doc`), so a
 * field added later is walked too; each is given as `undefined` (not given), which only a field the
 * call does not know is refused for.
 */
import assert from "node:assert/strict";
import { Client, InvalidArgumentError, Worker } from "../sdk/mod.ts";
import { runHandler } from "../sdk/testing.ts";
import { startSdkManager } from "./fixtures/sdk_manager.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

interface TypeRef {
  kind: string;
  repr?: string;
  value?: {
    typeName?: string;
    typeParams?: TypeRef[];
    operator?: string;
    tsType?: TypeRef;
  };
}

interface InterfaceDef {
  extends?: TypeRef[];
  properties: { name: string }[];
}

/** The SDK's modules whose exported interfaces a user writes option objects of. */
const MODULES = ["../sdk/mod.ts", "../sdk/testing.ts", "../sdk/task.ts"];

/** Every exported interface of `MODULES`, by name, as `deno doc --json` describes it. */
async function interfaces(): Promise<Map<string, InterfaceDef>> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ...MODULES.map((m) => new URL(m, import.meta.url).pathname)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const doc = JSON.parse(new TextDecoder().decode(stdout));
  const found = new Map<string, InterfaceDef>();
  for (const module of Object.values(doc.nodes) as { symbols: Loose[] }[]) {
    for (const symbol of module.symbols) {
      for (const declaration of symbol.declarations) {
        if (declaration.kind === "interface") found.set(symbol.name, declaration.def);
      }
    }
  }
  return found;
}

/** The fields of interface `name`, its own and those it extends (`Omit<A, keyof B>` too). */
function fieldsOf(types: Map<string, InterfaceDef>, name: string): Set<string> {
  const type = types.get(name);
  assert.ok(type, `no exported interface ${name}`);
  const fields = new Set(type.properties.map((p) => p.name));
  for (const base of type.extends ?? []) {
    const baseName = base.value?.typeName;
    if (baseName === "Omit") {
      const [from, keys] = base.value!.typeParams!;
      const left = fieldsOf(types, from.value!.typeName!);
      const omitted = keys.value?.operator === "keyof"
        ? fieldsOf(types, keys.value.tsType!.value!.typeName!)
        : new Set<string>();
      for (const field of left) if (!omitted.has(field)) fields.add(field);
    } else if (baseName !== undefined) {
      for (const field of fieldsOf(types, baseName)) fields.add(field);
    }
  }
  return fields;
}

/** The fields refused as unknown by what `call` throws (or rejects with). */
async function unknownFields(call: () => unknown): Promise<string[]> {
  try {
    await call();
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      return error.violations.filter((v) => v.message === "Unknown field").map((v) => v.field);
    }
    // An executor definition's unknown field is a TypeError (`addServed`).
    if (error instanceof TypeError && / has no field /.test(error.message)) return [error.message];
  }
  return [];
}

Deno.test("every documented field of the SDK's option types is one its call accepts", async () => {
  const types = await interfaces();
  await using manager = await startSdkManager();
  const address = manager.grpcAddress;
  using client = new Client({ address, callTimeoutMs: 5000 });
  const worker = async (options: Loose) => {
    const made = new Worker({ address, logger: false, handleSignals: false, ...options });
    await made.stop();
  };
  const client2 = (options: Loose) => new Client({ address, ...options }).close();
  const schedule = (config: Loose) =>
    client.schedules.register("s", { executorName: "missing", every: 60_000, ...config });
  const executor = (config: Loose) => client.createExecutor("e", config);
  // Each option type, and a call that takes an object of it with `field` set to undefined.
  const probes: Record<string, (field: string) => unknown> = {
    WorkerOptions: (field) => worker({ [field]: undefined }),
    ConnectionOptions: (field) => client2({ [field]: undefined }),
    TlsOptions: (field) => client2({ tls: { [field]: undefined } }),
    ClientOptions: (field) => client2({ [field]: undefined }),
    ClientLimits: (field) => client2({ limits: { [field]: undefined } }),
    CreateTaskOptions: (field) => client.createTask("missing", {}, { [field]: undefined }),
    CreateAndWaitOptions: (field) =>
      client.createTaskAndWait("missing", {}, { [field]: undefined }),
    NewTask: (field) =>
      client.createTasks([{ executorName: "missing", data: {}, [field]: undefined }]),
    TraceOptions: (field) =>
      client.createTasks([{ executorName: "missing", data: {} }], { [field]: undefined }),
    WaitOptions: (field) => client.waitForTask("0".repeat(26), { [field]: undefined }),
    WaitManyOptions: (field) => client.waitForTasks(["0".repeat(26)], { [field]: undefined }),
    TaskFilter: (field) => client.listTasks({ [field]: undefined }),
    BulkTaskFilter: (field) => client.cancelTasks({ executorName: "missing", [field]: undefined }),
    DlqFilter: (field) => client.purgeDlq({ executorName: "missing", [field]: undefined }),
    HistoryQuery: (field) => client.getHistory({ [field]: undefined }),
    ScheduleListOptions: (field) => client.schedules.listPage({ [field]: undefined }),
    ScheduleConfig: (field) => schedule({ [field]: undefined }),
    ScheduleTask: (field) => schedule({ task: { [field]: undefined } }),
    ExecutorConfig: (field) => executor({ [field]: undefined }),
    RetryPolicy: (field) => executor({ retryPolicy: { [field]: undefined } }),
    DlqConfig: (field) => executor({ dlqConfig: { [field]: undefined } }),
    RateLimit: (field) => executor({ rateLimit: { limit: 5, [field]: undefined } }),
    ExecutorDefinition: (field) =>
      worker({ executors: [{ name: "e", handler: () => null, [field]: undefined }] }),
    RunHandlerOptions: (field) => runHandler(() => null, {}, { [field]: undefined }),
  };
  // Every exported type a user writes options of is probed: one added later must be listed here.
  const optionLike = /(Options|Filter|Config|Query|Policy|Limits?|Definition|Task)$/;
  const notOptions = ["Task", "ProcessorTask"];
  for (const name of types.keys()) {
    if (optionLike.test(name) && !notOptions.includes(name)) {
      assert.ok(name in probes, `${name} has no probe`);
    }
  }
  for (const [name, probe] of Object.entries(probes)) {
    // The probe reaches the check: a field the type does not have is refused.
    assert.notDeepEqual(await unknownFields(() => probe("notAField")), [], `${name}: no check`);
    for (const field of fieldsOf(types, name)) {
      assert.deepEqual(await unknownFields(() => probe(field)), [], `${name}.${field}`);
    }
  }
});
