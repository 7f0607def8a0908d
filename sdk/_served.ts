/**
 * The executors a worker serves: each definition checked (name, concurrency, schema compiled once)
 * and kept as the worker runs it; a processor in the original Go SDK's shape becomes a definition.
 */
import { compileTaskSchema, type DataValidator } from "./schema.ts";
import type {
  AnyExecutorDefinition,
  ExecutorConfig,
  Handler,
  Processor,
  ScheduleDeclaration,
  TaskContext,
} from "./types.ts";

/** One executor as the worker serves it. */
export interface Served {
  name: string;
  handler: Handler<never, unknown>;
  /** Most attempts of this executor running at once in this worker (>= 1). */
  concurrency: number;
  config?: ExecutorConfig;
  /** The compiled `config.taskSchema`, when there is one. */
  validate?: DataValidator;
  schedules: ScheduleDeclaration[];
}

/** The fields of an executor definition (`ExecutorDefinition`). */
const DEFINITION_FIELDS: readonly string[] = [
  "name",
  "handler",
  "concurrency",
  "config",
  "schedules",
];

/**
 * Checks a definition and adds it to `served`.
 *
 * @throws {TypeError} on a bad name, a name served already, a field a definition does not have, no
 * handler, `schedules` that is not an array of objects, a concurrency that is not a whole number
 * >= 1, or a `taskSchema` that does not compile
 */
export function addServed(served: Map<string, Served>, definition: AnyExecutorDefinition): void {
  const { name } = definition;
  // The manager's rule: `.` and `..` alone are not names (a URL path reads them as folders).
  if (!/^(?!\.\.?$)[a-z0-9_.-]{1,128}$/.test(name)) {
    throw new TypeError(
      `Executor name "${name}" must be 1-128 characters of a-z, 0-9, _, . or -, and not . or ..`,
    );
  }
  if (served.has(name)) throw new TypeError(`Executor "${name}" is registered twice`);
  // A misspelt field (`concurency`, `confg`) was ignored: the executor ran with the defaults.
  const unknown = Object.keys(definition).filter((key) => !DEFINITION_FIELDS.includes(key));
  if (unknown.length > 0) {
    throw new TypeError(
      `Executor "${name}" has no field ${unknown.map((key) => `"${key}"`).join(", ")} (it takes ${
        DEFINITION_FIELDS.join(", ")
      })`,
    );
  }
  if (typeof definition.handler !== "function") {
    throw new TypeError(`Executor "${name}" needs a handler function`);
  }
  // A string was declared as one schedule per character, an object as none.
  const schedules = definition.schedules ?? [];
  if (!Array.isArray(schedules) || schedules.some((s) => typeof s !== "object" || s === null)) {
    throw new TypeError(`Executor "${name}" schedules must be an array of schedule declarations`);
  }
  const concurrency = definition.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new TypeError(`Executor "${name}" concurrency must be a whole number >= 1`);
  }
  const schema = definition.config?.taskSchema;
  let validate: DataValidator | undefined;
  if (schema !== undefined && schema !== null) {
    try {
      validate = compileTaskSchema(schema);
    } catch (error) {
      throw new TypeError(`Executor "${name}" taskSchema: ${(error as Error).message}`);
    }
  }
  served.set(name, {
    name,
    handler: definition.handler,
    concurrency,
    config: definition.config,
    validate,
    schedules,
  });
}

/**
 * The executor definition of a processor shaped like the original Go SDK's: its `getTaskSchema()`
 * becomes `config.taskSchema` (over `getConfig()`'s), and `processTask` gets the task's facts.
 *
 * @throws {TypeError} when `processTask` is not a function, or `getTaskSchema` or `getConfig` is
 *   given and is not one
 */
export function definitionOfProcessor<TData, TResult>(
  name: string,
  processor: Processor<TData, TResult>,
  concurrency: number | undefined,
): AnyExecutorDefinition {
  // A processor without `processTask` was taken, and failed every task it was given.
  if (typeof processor?.processTask !== "function") {
    throw new TypeError(`Processor "${name}" needs a processTask function`);
  }
  for (const method of ["getTaskSchema", "getConfig"] as const) {
    const given = processor[method];
    if (given !== undefined && given !== null && typeof given !== "function") {
      throw new TypeError(`Processor "${name}" ${method} must be a function`);
    }
  }
  const schema = processor.getTaskSchema?.();
  const config: ExecutorConfig = { ...processor.getConfig?.() };
  if (schema !== undefined && schema !== null) config.taskSchema = schema;
  return {
    name,
    concurrency,
    config,
    handler: ((data: TData, ctx: TaskContext) =>
      processor.processTask({
        id: ctx.taskId,
        executorName: ctx.executorName,
        data,
        metadata: ctx.metadata,
        attempt: ctx.attempt,
        maxAttempts: ctx.maxAttempts,
        createdAt: ctx.createdAt,
      }, ctx)) as Handler<never, unknown>,
  };
}
