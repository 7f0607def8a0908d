/**
 * JSON Schema compilation (Ajv, draft 2020-12 with formats) and data validation, with compiled
 * validators cached per executor version.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { type FieldViolation, InvalidArgumentError } from "../domain/errors.ts";
import type { Executor } from "../domain/executor.ts";

type Validate = ((data: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] | null;
};

function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv;
}

/** Compiles schemas and checks data against them. */
export class SchemaRegistry {
  #ajv = newAjv();
  #cache = new Map<string, Validate>();

  /**
   * Throws unless `schema` is a JSON Schema Ajv can compile.
   *
   * @throws {InvalidArgumentError} naming `pointer`.
   */
  assertCompilable(schema: unknown, pointer: string): void {
    if (schema === null) return;
    try {
      newAjv().compile(schema as Record<string, unknown>);
    } catch (error) {
      const message = `Invalid JSON Schema: ${(error as Error).message}`;
      throw new InvalidArgumentError(message, [{ field: pointer, message }]);
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

  /** Every violation of the executor's schema by `data` (empty when valid). */
  violations(executor: Executor, data: unknown, pointer: string): FieldViolation[] {
    if (executor.taskSchema === null) return [];
    const key = `${executor.id}@${executor.updatedAt}`;
    let validate = this.#cache.get(key);
    if (!validate) {
      validate = this.#ajv.compile(executor.taskSchema as Record<string, unknown>) as Validate;
      this.#cache.set(key, validate);
    }
    if (validate(data)) return [];
    return (validate.errors ?? []).map((e) => {
      const missing = e.params?.missingProperty;
      const path = missing ? `${e.instancePath}/${missing}` : e.instancePath;
      return { field: `${pointer}${path}`, message: e.message ?? "is invalid" };
    });
  }
}
