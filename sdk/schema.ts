/**
 * Task data validation on the worker side: the executor's JSON Schema (draft 2020-12 with
 * formats, in the dialect of `@tasks-executor/proto/json-schema`, as the manager checks it)
 * checked before a handler sees the data.
 */
import { compileJsonSchema, JsonSchemaError } from "@tasks-executor/proto/json-schema";
import type { FieldViolation } from "./errors.ts";

/** A JSON Schema (draft 2020-12): an object, or `true`/`false`. */
export type JsonSchema = Record<string, unknown> | boolean;

/** Checks data against a compiled schema; returns every violation (empty when valid). */
export type DataValidator = (data: unknown) => FieldViolation[];

/**
 * Compiles a task schema into a validator that names each bad field by its JSON pointer
 * (a missing required property is named by its own pointer, e.g. `/email`). The schema is
 * compiled on its own, as the manager does: its `$id`s never clash with another schema's, and
 * its regular expressions (RE2 syntax) run in time linear in the length of the data.
 *
 * @throws {TypeError} when the schema does not compile, naming the bad spot, e.g.
 *   `Invalid JSON Schema: /properties/name/pattern: …`, as the manager words its refusal.
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
  let check: (data: unknown) => FieldViolation[];
  try {
    check = compileJsonSchema(schema);
  } catch (error) {
    if (!(error instanceof JsonSchemaError)) throw error;
    throw new TypeError(`Invalid JSON Schema: ${error.pointer || "/"}: ${error.message}`, {
      cause: error,
    });
  }
  return (data) => check(data).map((v) => ({ field: v.field || "/", message: v.message }));
}

/**
 * Renders violations as one line, the way error results and the manager show them: `field:
 * message`, joined by "; ", a violation of the whole value (field `""`) by its message alone.
 *
 * @example
 * ```ts
 * import { describeViolations } from "@tasks-executor/sdk";
 * console.log(describeViolations([{ field: "/age", message: "must be >= 0" }])); // "/age: must be >= 0"
 * ```
 */
export function describeViolations(violations: FieldViolation[]): string {
  return violations.map((v) => v.field === "" ? v.message : `${v.field}: ${v.message}`)
    .join("; ");
}
