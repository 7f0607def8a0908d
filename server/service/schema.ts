/**
 * Executor task schemas: bounded and compiled when an executor is saved, and task data checked
 * against them, both in the validation pool (`validation_pool.ts`), off the event loop and within
 * the time budgets of `Limits` (`schemaCompileMs`, `validationMs`).
 */
import { checkJsonValue } from "@tasks-executor/proto/json-value";
import {
  FailedPreconditionError,
  type FieldViolation,
  InvalidArgumentError,
} from "../domain/errors.ts";
import type { Executor } from "../domain/executor.ts";
import { DEFAULT_LIMITS, type Limits } from "../domain/limits.ts";
import {
  HEAP_MB,
  SchemaCompileError,
  ValidationCrashError,
  ValidationPool,
  type ValidationPoolOptions,
  type ValidationPoolStats,
  ValidationTimeoutError,
} from "./validation_pool.ts";

/** The limits a registry applies. */
export type SchemaLimits = Pick<
  Limits,
  "schemaBytes" | "jsonDepth" | "validationMs" | "schemaCompileMs"
>;

/** Task data to check: against the schema of `executor`, violations named inside `pointer`. */
export interface DataCheck {
  executor: Executor;
  data: unknown;
  /** JSON pointer of the data in the request, e.g. `/task/data` or `/tasks/3/data`. */
  pointer: string;
}

/** Compiles schemas and checks data against them. Dispose of it to stop its processes. */
export class SchemaRegistry implements AsyncDisposable {
  readonly #limits: SchemaLimits;
  readonly #pool: ValidationPool;

  constructor(
    limits: SchemaLimits = DEFAULT_LIMITS,
    options: Pick<ValidationPoolOptions, "size"> = {},
  ) {
    this.#limits = limits;
    this.#pool = new ValidationPool({
      ...options,
      validationMs: limits.validationMs,
      compileMs: limits.schemaCompileMs,
    });
  }

  /**
   * Refuses `schema` (`null`: no schema, no check) unless it is a JSON Schema the manager accepts:
   * at most `limits.schemaBytes` as JSON text, nested at most `limits.jsonDepth` deep, valid for
   * draft 2020-12, with every regular expression in RE2 syntax within the sizes of
   * `@tasks-executor/proto/json-schema`, and compiled within `limits.schemaCompileMs`.
   *
   * @throws {InvalidArgumentError} naming the bad spot below `pointer`, e.g.
   *   `/config/taskSchema/properties/name/pattern`, or `pointer` itself for a schema too large,
   *   too deep or too slow to compile.
   * @throws {UnavailableError} when its validation process was held up past its backstop
   *   (`ValidationStalledError`: the manager is busy)
   */
  async compile(schema: unknown, pointer: string, executorName: string): Promise<void> {
    if (schema === null) return;
    const violations: FieldViolation[] = [];
    const limits = {
      pointer,
      maxDepth: this.#limits.jsonDepth,
      maxBytes: this.#limits.schemaBytes,
    };
    if (!checkJsonValue(schema, limits, violations)) throw invalidSchema(violations[0]);
    try {
      await this.#pool.compile(schema, `compile:${executorName}`);
    } catch (error) {
      if (error instanceof SchemaCompileError) {
        throw invalidSchema({ field: `${pointer}${error.pointer}`, message: error.message });
      }
      if (error instanceof ValidationTimeoutError) {
        throw invalidSchema({
          field: pointer,
          message:
            `Must compile within ${error.budgetMs} ms (TASK_SCHEMA_COMPILE_MS): this one took longer`,
        });
      }
      if (error instanceof ValidationCrashError) {
        throw invalidSchema({
          field: pointer,
          message: `Must compile within ${HEAP_MB} MiB of memory: this one did not`,
        });
      }
      throw error;
    }
  }

  /**
   * Checks `data` against the executor's schema; every violation is named by the JSON pointer of
   * the field inside `pointer`.
   *
   * @throws {InvalidArgumentError} {FailedPreconditionError} as `violations`
   */
  async assertValid(executor: Executor, data: unknown, pointer: string): Promise<void> {
    const [violations] = await this.violations([{ executor, data, pointer }]);
    if (violations.length > 0) {
      throw InvalidArgumentError.listing(
        `Task data does not match the schema of executor "${executor.name}"`,
        violations,
      );
    }
  }

  /**
   * The violations of each check (empty lists when valid), in the order of `checks`. Data of an
   * executor without a schema is not looked at; the rest goes to the validation pool, one job per
   * executor. Data that takes longer than `limits.validationMs` to check is a violation named by
   * its pointer, saying so (the data of that executor after it is then not checked).
   *
   * @throws {FailedPreconditionError} when a stored schema no longer compiles (saved before a
   *   limit was lowered): the executor must be updated first.
   * @throws {UnavailableError} when `signal` (the client's request) is aborted before the checks
   *   are done: what waits is not checked for nobody; and when a validation process was held up
   *   past its backstop (`ValidationStalledError`: the manager is busy, the data may be fine)
   */
  async violations(checks: DataCheck[], signal?: AbortSignal): Promise<FieldViolation[][]> {
    const found: FieldViolation[][] = checks.map(() => []);
    const byExecutor = new Map<string, number[]>();
    checks.forEach((check, i) => {
      if (check.executor.taskSchema === null) return;
      // Pushed, not copied: a copy per check made a batch of 10,000 hold the thread 139 ms here.
      const indexes = byExecutor.get(check.executor.id);
      if (indexes) indexes.push(i);
      else byExecutor.set(check.executor.id, [i]);
    });
    await Promise.all(
      [...byExecutor.values()].map(async (indexes) => {
        const results = await this.#check(indexes.map((i) => checks[i]), signal);
        results.forEach((violations, j) => (found[indexes[j]] = violations));
      }),
    );
    return found;
  }

  /** The violations of each check of one executor. */
  async #check(group: DataCheck[], signal?: AbortSignal): Promise<FieldViolation[][]> {
    const { id, name, updatedAt, taskSchema } = group[0].executor;
    try {
      const results = await this.#pool.validate(
        id,
        updatedAt,
        taskSchema,
        group.map((c) => c.data),
        signal,
      );
      return results.map((violations, i) =>
        violations.map((v) => ({ field: `${group[i].pointer}${v.field}`, message: v.message }))
      );
    } catch (error) {
      if (error instanceof ValidationTimeoutError || error instanceof ValidationCrashError) {
        // The task that could not be checked is refused; the ones after it were not checked.
        const index = Math.max(0, error.index);
        const found: FieldViolation[][] = group.map(() => []);
        found[index] = [{ field: group[index].pointer, message: stopped(error, name) }];
        return found;
      }
      if (error instanceof SchemaCompileError) {
        throw new FailedPreconditionError(
          `Cannot check task data: the schema of executor "${name}" is refused at /config/taskSchema${error.pointer} (${error.message}); update the executor`,
        );
      }
      throw error;
    }
  }

  /** Drops the validators of one executor (deleted). */
  forget(executorId: string): void {
    this.#pool.forget(executorId);
  }

  /** What the validation pool has done so far (processes started, timeouts). */
  stats(): ValidationPoolStats {
    return this.#pool.stats();
  }

  /** Stops the validation processes and waits for them to end. Idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#pool.close();
  }
}

/** Why a task's data could not be checked, as a violation message. */
function stopped(error: ValidationTimeoutError | ValidationCrashError, executor: string): string {
  if (error instanceof ValidationCrashError) {
    return `Could not be validated against the schema within ${HEAP_MB} MiB of memory`;
  }
  return error.index < 0
    ? `Could not be checked: the schema of executor "${executor}" took longer than ${error.budgetMs} ms to compile (TASK_SCHEMA_COMPILE_MS)`
    : `Took longer than ${error.budgetMs} ms to validate against the schema (TASK_VALIDATION_MS)`;
}

function invalidSchema(violation: FieldViolation): InvalidArgumentError {
  return InvalidArgumentError.listing("Invalid JSON Schema", [violation]);
}
