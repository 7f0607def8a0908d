/**
 * Executor task schemas: bounded and compiled when an executor is saved, and one compiled
 * validator per executor (the current version only) to check task data with.
 */
import {
  compileJsonSchema,
  type JsonSchemaCheck,
  JsonSchemaError,
} from "@tasks-executor/proto/json-schema";
import {
  FailedPreconditionError,
  type FieldViolation,
  InvalidArgumentError,
} from "../domain/errors.ts";
import type { Executor } from "../domain/executor.ts";
import { checkJsonValue } from "@tasks-executor/proto/json-value";
import { DEFAULT_LIMITS, type Limits } from "../domain/limits.ts";

/** Compiles schemas and checks data against them. */
export class SchemaRegistry {
  readonly #limits: Pick<Limits, "schemaBytes" | "jsonDepth">;
  /** Executor id → the validator of its schema as of `updatedAt`. */
  #validators = new Map<string, { updatedAt: number; check: JsonSchemaCheck }>();

  constructor(limits: Pick<Limits, "schemaBytes" | "jsonDepth"> = DEFAULT_LIMITS) {
    this.#limits = limits;
  }

  /**
   * Compiles `schema` (`null`: no schema, no check) if it is a JSON Schema the manager accepts: at
   * most `limits.schemaBytes` as JSON text, nested at most `limits.jsonDepth` deep, valid for
   * draft 2020-12, and with every regular expression in RE2 syntax within the sizes of
   * `@tasks-executor/proto/json-schema`.
   *
   * @throws {InvalidArgumentError} naming the bad spot below `pointer`, e.g.
   *   `/config/taskSchema/properties/name/pattern`.
   */
  compile(schema: unknown, pointer: string): JsonSchemaCheck | null {
    if (schema === null) return null;
    const violations: FieldViolation[] = [];
    const limits = {
      pointer,
      maxDepth: this.#limits.jsonDepth,
      maxBytes: this.#limits.schemaBytes,
    };
    if (!checkJsonValue(schema, limits, violations)) {
      throw new InvalidArgumentError(
        `Invalid JSON Schema at ${violations[0].field}: ${violations[0].message}`,
        violations,
      );
    }
    try {
      return compileJsonSchema(schema);
    } catch (error) {
      if (!(error instanceof JsonSchemaError)) throw error;
      const field = `${pointer}${error.pointer}`;
      throw new InvalidArgumentError(`Invalid JSON Schema at ${field}: ${error.message}`, [
        { field, message: error.message },
      ]);
    }
  }

  /**
   * Checks `data` against the executor's schema; every violation is named by the JSON pointer of
   * the field inside `pointer`.
   *
   * @throws {InvalidArgumentError}
   */
  assertValid(executor: Executor, data: unknown, pointer: string): void {
    const violations = this.violations(executor, data, pointer);
    if (violations.length > 0) {
      throw new InvalidArgumentError(
        `Task data does not match the schema of executor "${executor.name}": ${
          violations.map((v) => `${v.field} ${v.message}`).join("; ")
        }`,
        violations,
      );
    }
  }

  /**
   * Every violation of the executor's schema by `data` (empty when valid). The validator of an
   * older version of the executor is replaced by the current one's.
   *
   * @throws {FailedPreconditionError} when the stored schema no longer compiles (saved before a
   *   limit was lowered): the executor must be updated first.
   */
  violations(executor: Executor, data: unknown, pointer: string): FieldViolation[] {
    if (executor.taskSchema === null) return [];
    let entry = this.#validators.get(executor.id);
    if (entry?.updatedAt !== executor.updatedAt) {
      entry = { updatedAt: executor.updatedAt, check: compileStored(executor) };
      this.#validators.set(executor.id, entry);
    }
    return entry.check(data).map((v) => ({ field: `${pointer}${v.field}`, message: v.message }));
  }

  /** Keeps `check` (from `compile`) as the validator of the executor as just saved. */
  remember(executor: Executor, check: JsonSchemaCheck | null): void {
    if (check) this.#validators.set(executor.id, { updatedAt: executor.updatedAt, check });
  }

  /** Drops the validator of one executor (deleted). */
  forget(executorId: string): void {
    this.#validators.delete(executorId);
  }
}

function compileStored(executor: Executor): JsonSchemaCheck {
  try {
    return compileJsonSchema(executor.taskSchema);
  } catch (error) {
    if (!(error instanceof JsonSchemaError)) throw error;
    throw new FailedPreconditionError(
      `Cannot check task data: the schema of executor "${executor.name}" is refused at /config/taskSchema${error.pointer} (${error.message}); update the executor`,
    );
  }
}
