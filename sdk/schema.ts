/**
 * Task data validation on the worker side: the executor's JSON Schema (draft 2020-12 with
 * formats, compiled by Ajv, as the manager does) checked before a handler sees the data.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { FieldViolation } from "./errors.ts";

/** A JSON Schema (draft 2020-12): an object, or `true`/`false`. */
export type JsonSchema = Record<string, unknown> | boolean;

/** Checks data against a compiled schema; returns every violation (empty when valid). */
export type DataValidator = (data: unknown) => FieldViolation[];

type AjvValidate = ((data: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] | null;
};

let shared: Ajv2020 | undefined;

function ajv(): Ajv2020 {
  if (!shared) {
    shared = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(shared);
  }
  return shared;
}

/**
 * Compiles a task schema into a validator that names each bad field by its JSON pointer
 * (a missing required property is named by its own pointer, e.g. `/email`).
 *
 * @throws {TypeError} when the schema does not compile.
 *
 * @example
 * ```ts
 * import { compileTaskSchema } from "@tasks-executor/sdk";
 * const validate = compileTaskSchema({
 *   type: "object",
 *   required: ["email"],
 *   properties: { email: { type: "string", format: "email" } },
 * });
 * console.log(validate({})); // [{ field: "/email", message: "must have required property 'email'" }]
 * ```
 */
export function compileTaskSchema(schema: JsonSchema): DataValidator {
  let validate: AjvValidate;
  try {
    validate = ajv().compile(schema as Record<string, unknown>) as AjvValidate;
  } catch (error) {
    throw new TypeError(`Invalid JSON Schema: ${(error as Error).message}`, { cause: error });
  }
  return (data) => {
    if (validate(data)) return [];
    return (validate.errors ?? []).map((e) => {
      const missing = e.params?.missingProperty;
      const field = missing ? `${e.instancePath}/${missing}` : e.instancePath;
      return { field: field || "/", message: e.message ?? "is invalid" };
    });
  };
}

/**
 * Renders violations as one line, the way error results and the manager show them.
 *
 * @example
 * ```ts
 * import { describeViolations } from "@tasks-executor/sdk";
 * console.log(describeViolations([{ field: "/age", message: "must be >= 0" }])); // "/age must be >= 0"
 * ```
 */
export function describeViolations(violations: FieldViolation[]): string {
  return violations.map((v) => `${v.field} ${v.message}`).join("; ");
}
