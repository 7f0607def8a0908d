/**
 * The JSON Schema dialect of task schemas, which the manager and the SDK check data with alike:
 * draft 2020-12 with the ajv-formats formats, every user regular expression run by a linear-time
 * engine (RE2 syntax), and each schema compiled on its own (its `$id`s are seen by no other).
 *
 * @example Compile a schema and check data
 * ```ts
 * import { compileJsonSchema } from "@tasks-executor/proto/json-schema";
 * const check = compileJsonSchema({ type: "object", properties: { name: { pattern: "^(a+)+$" } } });
 * console.log(check({ name: "a".repeat(30) + "!" })); // [{ field: "/name", message: 'must match pattern "^(a+)+$"' }]
 * ```
 * @module
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { fullFormats } from "ajv-formats/dist/formats.js";
import { RE2JS } from "re2js";
import { escapePointer } from "./json_value.ts";
import type { FieldViolationMessage } from "./mod.ts";

/** Longest regular expression a schema may hold (`pattern`, a `patternProperties` key), in characters. */
export const MAX_PATTERN_CHARS = 512;
/** Largest compiled regular expression, in RE2 instructions (`a{1000}` is about 1,000). */
export const MAX_PATTERN_PROGRAM = 1000;
/** Largest sum of the compiled sizes of one schema's regular expressions, in RE2 instructions. */
export const MAX_SCHEMA_PROGRAM = 20_000;
/**
 * Longest string the `url` format checks, in characters; longer ones do not match. Its regular
 * expression (from ajv-formats) needs time quadratic in the length of the string.
 */
export const MAX_URL_CHARS = 2083;

/** A schema that cannot be used, and where in it the fault lies. */
export class JsonSchemaError extends Error {
  /** JSON pointer of the fault inside the schema (`""` for the whole schema). */
  readonly pointer: string;

  constructor(message: string, pointer: string) {
    super(message);
    this.name = "JsonSchemaError";
    this.pointer = pointer;
  }
}

/** Checks data against a compiled schema: every violation, fields as JSON pointers (`""` is the root). */
export type JsonSchemaCheck = (data: unknown) => FieldViolationMessage[];

/** A compiled user regular expression, as Ajv's `code.regExp` engine hands it out. */
interface CompiledPattern {
  test(text: string): boolean;
  toString(): string;
}

/**
 * Compiles `pattern` (ECMAScript syntax, read as RE2: no backreferences, no lookaround) for the
 * linear-time engine; the matching time is linear in the length of the input. Ajv's `code.regExp`
 * engine: `flags` ("u" or "") changes nothing, RE2 always reads code points.
 *
 * @throws {Error} when RE2 cannot express the pattern.
 */
export function linearRegExp(pattern: string, _flags?: string): CompiledPattern {
  return asPattern(pattern, compileRe2(pattern));
}
linearRegExp.code = 'require("@tasks-executor/proto/json-schema").linearRegExp';

/** `\k<…>` not itself escaped: ECMAScript's named backreference, which the translation to RE2 would read as the letters `k<…>`. */
const NAMED_BACKREFERENCE = /(?:^|[^\\])(?:\\\\)*\\k</;

function compileRe2(pattern: string): RE2JS {
  if (NAMED_BACKREFERENCE.test(pattern)) {
    throw new Error("named backreferences (\\k<name>) are not supported");
  }
  return RE2JS.compile(RE2JS.translateRegExp(pattern));
}

function asPattern(pattern: string, re: RE2JS): CompiledPattern {
  return { test: (text) => re.test(text), toString: () => `/${pattern}/` };
}

const AJV_OPTIONS = { allErrors: true, strict: false } as const;

/** Checks schemas against the draft 2020-12 meta-schema; compiles none, so holds no `$id`. */
const metaSchema = new Ajv2020(AJV_OPTIONS);
addFormats.default(metaSchema);

const ajvUrl = fullFormats.url as RegExp;

/**
 * Compiles a task schema on an Ajv instance of its own, after checking it against the meta-schema
 * and checking every regular expression in it (see `MAX_PATTERN_CHARS`, `MAX_PATTERN_PROGRAM`,
 * `MAX_SCHEMA_PROGRAM`). Validation takes time linear in the size of the data for any schema's
 * regular expressions.
 *
 * Data that meets a reference loop (a `$ref` back to itself that never goes into the data) is one
 * violation at the root, not a thrown stack overflow.
 *
 * @throws {JsonSchemaError} naming the bad spot, e.g. `/properties/name/pattern`, or the whole
 *   schema (`""`) when such a loop is met by plain values (`null`, `{}`, `[]`, `0`, `""`, `true`).
 */
export function compileJsonSchema(schema: unknown): JsonSchemaCheck {
  if (typeof schema !== "boolean" && !isObject(schema)) {
    throw new JsonSchemaError("Must be an object or a boolean", "");
  }
  assertMetaValid(schema);
  const compiled = assertPatternsLinear(schema);
  const regExp = Object.assign(
    (pattern: string) => asPattern(pattern, compiled.get(pattern) ?? compileRe2(pattern)),
    { code: linearRegExp.code },
  );
  const ajv = new Ajv2020({
    ...AJV_OPTIONS,
    validateSchema: false,
    code: { regExp },
  });
  addFormats.default(ajv);
  ajv.addFormat("url", (text: string) => text.length <= MAX_URL_CHARS && ajvUrl.test(text));
  let validate: ReturnType<Ajv2020["compile"]>;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new JsonSchemaError(`Must be a schema Ajv compiles: ${(error as Error).message}`, "");
  }
  const check: JsonSchemaCheck = (data) => {
    try {
      if (validate(data)) return [];
    } catch (error) {
      if (!isStackOverflow(error)) throw error;
      return [{ field: "", message: ENDLESS_MESSAGE }];
    }
    return (validate.errors ?? []).map((e) => {
      const missing = e.params?.missingProperty;
      const field = missing === undefined ? e.instancePath : `${e.instancePath}/${missing}`;
      return { field, message: e.message ?? "is invalid" };
    });
  };
  // A reference that comes back to itself without going into the data (`{"$ref": "#"}`, or
  // through `allOf`, `anyOf`, `not`, `$defs`) recurses for ever: refused here when one of these
  // plain values meets it; any other data that meets one is refused by `check` as it runs.
  for (const probe of LOOP_PROBES) {
    if (check(probe).some((v) => v.message === ENDLESS_MESSAGE)) {
      throw new JsonSchemaError(
        "Must not refer to itself without going into the data (a $ref loop that never ends)",
        "",
      );
    }
  }
  return check;
}

const ENDLESS_MESSAGE =
  "Could not be checked: the schema refers to itself without end for this data ($ref loop)";
const LOOP_PROBES: readonly unknown[] = [null, {}, [], 0, "", true];

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

function assertMetaValid(schema: object | boolean): void {
  let valid: boolean;
  try {
    valid = metaSchema.validateSchema(schema) as boolean;
  } catch (error) {
    throw new JsonSchemaError(`Must be a schema Ajv compiles: ${(error as Error).message}`, "");
  }
  if (valid) return;
  const errors = metaSchema.errors ?? [];
  const text = [...new Set(errors.map((e) => `${e.instancePath || "/"} ${e.message}`))].join("; ");
  throw new JsonSchemaError(
    `Must be a valid JSON Schema (draft 2020-12): ${text}`,
    errors[0]?.instancePath ?? "",
  );
}

/** Keywords whose value is one schema, an array of schemas, or an object of schemas (2020-12). */
const SCHEMA_KEYWORDS = new Set([
  "additionalItems",
  "additionalProperties",
  "contains",
  "contentSchema",
  "else",
  "if",
  "items",
  "not",
  "propertyNames",
  "then",
  "unevaluatedItems",
  "unevaluatedProperties",
]);
const SCHEMA_ARRAY_KEYWORDS = new Set(["allOf", "anyOf", "items", "oneOf", "prefixItems"]);
const SCHEMA_MAP_KEYWORDS = new Set([
  "$defs",
  "definitions",
  "dependencies",
  "dependentSchemas",
  "patternProperties",
  "properties",
]);

/**
 * Every regular expression of the schema compiles on the linear-time engine within the size
 * limits; returns them compiled, by pattern. A pattern this walk would miss is compiled when Ajv
 * asks for it, and refused there if RE2 cannot express it (named by the whole schema).
 */
function assertPatternsLinear(schema: object | boolean): Map<string, RE2JS> {
  const compiled = new Map<string, RE2JS>();
  let program = 0;
  const check = (pattern: string, pointer: string) => {
    if (pattern.length > MAX_PATTERN_CHARS) {
      throw new JsonSchemaError(
        `Must be a regular expression of at most ${MAX_PATTERN_CHARS} characters, not ${pattern.length}`,
        pointer,
      );
    }
    if (compiled.has(pattern)) return;
    let re: RE2JS;
    try {
      re = compileRe2(pattern);
    } catch (error) {
      throw new JsonSchemaError(
        `Must be a regular expression in RE2 syntax (no backreferences, no lookaround): ${
          (error as Error).message
        }`,
        pointer,
      );
    }
    const size = re.programSize();
    if (size > MAX_PATTERN_PROGRAM) {
      throw new JsonSchemaError(
        `Must be a regular expression of at most ${MAX_PATTERN_PROGRAM} RE2 instructions, not ${size}`,
        pointer,
      );
    }
    compiled.set(pattern, re);
    program += size;
    if (program > MAX_SCHEMA_PROGRAM) {
      throw new JsonSchemaError(
        `Must keep the schema's regular expressions within ${MAX_SCHEMA_PROGRAM} RE2 instructions in all`,
        pointer,
      );
    }
  };
  const stack: { schema: unknown; pointer: string }[] = [{ schema, pointer: "" }];
  while (stack.length > 0) {
    const { schema, pointer } = stack.pop()!;
    if (!isObject(schema)) continue;
    for (const [keyword, value] of Object.entries(schema)) {
      const at = `${pointer}/${escapePointer(keyword)}`;
      if (keyword === "pattern" && typeof value === "string") check(value, at);
      if (keyword === "patternProperties" && isObject(value)) {
        for (const key of Object.keys(value)) check(key, `${at}/${escapePointer(key)}`);
      }
      if (SCHEMA_KEYWORDS.has(keyword)) stack.push({ schema: value, pointer: at });
      if (SCHEMA_ARRAY_KEYWORDS.has(keyword) && Array.isArray(value)) {
        value.forEach((item, i) => stack.push({ schema: item, pointer: `${at}/${i}` }));
      }
      if (SCHEMA_MAP_KEYWORDS.has(keyword) && isObject(value)) {
        for (const [key, item] of Object.entries(value)) {
          stack.push({ schema: item, pointer: `${at}/${escapePointer(key)}` });
        }
      }
    }
  }
  return compiled;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
