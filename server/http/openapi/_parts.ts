/**
 * The building blocks every part of the OpenAPI document is written with: schema references,
 * answers (JSON and problem+json), path and query parameters, pages, and the input shapes of
 * times, durations and enums. The Problem schema lives here because every error answer names it.
 */
import { EXECUTOR_NAME_PATTERN } from "../../domain/executor.ts";
import { DEFAULT_LIMITS, MAX_TIME_MS } from "../../domain/limits.ts";
import { ID_MAX_CHARS } from "../../domain/refs.ts";
import type { ProtoEnum } from "../../domain/proto_enum.ts";
import { TASK_STATUS_ENUM, TASK_STATUSES, type TaskStatus } from "../../domain/task.ts";

/** A JSON object of the document. */
export type Json = Record<string, unknown>;

/** A reference to a component schema: `{$ref: "#/components/schemas/<name>"}`. */
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** The metadata of a task to create (a task's, a schedule's task's): string entries, bounded. */
export const METADATA_INPUT = {
  type: ["object", "null"],
  maxProperties: DEFAULT_LIMITS.metadataEntries,
  propertyNames: { minLength: 1, maxLength: DEFAULT_LIMITS.metadataKeyChars },
  additionalProperties: { type: "string", maxLength: DEFAULT_LIMITS.metadataValueChars },
};
/** An RFC 3339 time (an answer, or a body field that takes only that form). */
export const time = { type: "string", format: "date-time" };
/** An RFC 3339 time in an answer, or null. */
export const nullableTime = { type: ["string", "null"], format: "date-time" };
/** A content map holding one application/json schema. */
export const json = (schema: Json) => ({ "application/json": { schema } });
/** A JSON answer. */
export const ok = (description: string, schema: Json) => ({ description, content: json(schema) });
/** A problem+json answer (RFC 9457). */
export const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
});

/** 400: the answer to invalid input. */
export const BAD = problem("Invalid input; `errors` names every failing field");
/** 404: the answer when the resource named in the path does not exist. */
export const NOT_FOUND = problem("No such resource");
/** 409: the answer when the current state refuses the change. */
export const CONFLICT = problem("Conflicts with the current state");
/**
 * The 503 of an operation with a body: the request-bytes limits, or `also` when given (what else
 * answers 503 there).
 */
export function busyWithBody(also?: string) {
  return problem(
    `The connection or the manager holds too many request bytes not yet answered (MAX_CONNECTION_REQUEST_BYTES, MAX_REQUEST_BYTES_IN_FLIGHT)${
      also ? `, or ${also}` : ""
    }; retry (after Retry-After when given)`,
  );
}

/**
 * What else answers 503 where task data is checked against a schema, or a schema compiled: the
 * validation process was held up (README "Limits").
 */
export const VALIDATION_HELD_UP =
  "the schema check could not be done in time because the manager is busy (its validation process was held up past 10 budgets of TASK_VALIDATION_MS or TASK_SCHEMA_COMPILE_MS, at least 5 s, without using its CPU budget; nothing stored)";

/** A listing's 503: its key has as many page reads waiting for their turn as it may. */
export const READS_WAITING = problem(
  "This key (with authentication off, this client's host) has PAGE_READS_WAITING_PER_KEY page reads waiting for their turn already, or the manager PAGE_READS_WAITING of every key and this key as many as any, or this read made room for a key with fewer waiting; retry (after Retry-After)",
);

/** The answers every operation with a request body may give about that body. */
export const withBody = {
  "400": BAD,
  "408": problem(
    "Request body did not arrive within REQUEST_RECEIVE_MS, or stopped arriving while MAX_HTTP_BODIES_ARRIVING others were",
  ),
  "413": problem(
    "Request body larger than MAX_REQUEST_BYTES, or holding more JSON values (the root, members and items) than MAX_REQUEST_JSON_VALUES + MAX_REQUEST_ELEMENTS, or more object shapes (distinct runs of member names an object starts with) than MAX_REQUEST_OBJECT_SHAPES",
  ),
  "415": problem(
    "Request body is not application/json, its charset is not utf-8, or it has a Content-Encoding",
  ),
  "503": busyWithBody(),
};
/** A 204 answer. */
export const noContent = { description: "Done" };

/** A required path parameter (a non-empty string). */
export const pathParam = (name: string, description: string) => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type: "string", minLength: 1 },
});

const MALFORMED = "; an empty or malformed one answers 400 naming this parameter, a " +
  "well-formed one that names nothing 404";

/**
 * A path parameter naming a stored thing: by id or name (`byName`: executors, schedules, whose
 * ids take a name's characters) or by id (at most `ID_MAX_CHARS` characters, no white space or
 * control character).
 */
export const refParam = (name: string, description: string, byName: boolean) => ({
  name,
  in: "path",
  required: true,
  description: description + MALFORMED,
  schema: byName
    ? { type: "string", pattern: EXECUTOR_NAME_PATTERN.source }
    : { type: "string", minLength: 1, maxLength: ID_MAX_CHARS },
});
/** How every boolean query parameter is read (`booleanField`). */
export const BOOLEAN_QUERY =
  "true or false in any case, or 1 or 0; anything else is a 400 naming the parameter, filter or not";

/** An optional query parameter, a string unless `schema` says otherwise. */
export const queryParam = (
  name: string,
  description: string,
  schema: Json = { type: "string" },
) => ({
  name,
  in: "query",
  required: false,
  description,
  schema,
});

/** What `nextCursor` of a page means. */
export const NEXT_CURSOR =
  "Pass as `cursor` for the next page; `null` on the last page. Pages end at `limit` items or before 2 MiB of JSON, whichever comes first";
/**
 * A page answer: `items`, an array of the component schema `schema`, then `nextCursor`, then
 * `more` (properties some pages add).
 */
export const pageOf = (items: string, schema: string, more: Json = {}) => ({
  type: "object",
  properties: {
    [items]: { type: "array", items: ref(schema) },
    nextCursor: { type: ["string", "null"], description: NEXT_CURSOR },
    ...more,
  },
});
/** The `cursor` query parameter of a page. */
export const cursor = queryParam(
  "cursor",
  "Where the page starts: `nextCursor` of the previous page; anything else is a 400 naming `cursor`",
);
/** The `limit` query parameter of a page. */
export const limit = queryParam(
  "limit",
  "Most items on the page (default 50); a page also ends before 2 MiB of JSON (the pageBytes limit, at least one item), so it may hold fewer while `nextCursor` says more follow",
  { type: "integer", minimum: 1, maximum: 1000 },
);
/**
 * Every spelling of `names` (all of `spec`'s unless told) a request may give (`protoEnumOf`, the
 * rule of every enum REST reads that the proto declares too): our name (`dlq`), the proto's value
 * name (`TASK_STATUS_DLQ`) and its number as text (`"5"`, as a query string carries it).
 */
export const protoEnumSpellings = <T extends string>(
  spec: ProtoEnum<T>,
  names: readonly T[] = spec.names,
) => [
  ...names,
  ...names.map((name) => `${spec.prefix}${name.toUpperCase()}`),
  ...names.map((name) => String(spec.numbers[name])),
];
/**
 * A value of `spec` as a request body gives it, said for people too: any of `protoEnumSpellings`, or
 * the number as a JSON number. Answers give our names.
 */
export const protoEnumInput = <T extends string>(spec: ProtoEnum<T>, description: string) => ({
  description: `${description}: our name (\`${spec.names[0]}\`), the proto's value name ` +
    `(\`${spec.prefix}${spec.names[0].toUpperCase()}\`) or its number (${
      spec.names.map((name) => `${name} ${spec.numbers[name]}`).join(", ")
    }); answers give our names`,
  anyOf: [
    { type: "string", enum: protoEnumSpellings(spec) },
    { type: "integer", enum: spec.names.map((name) => spec.numbers[name]) },
  ],
});
/** Every spelling of `statuses` a request may give (`protoEnumSpellings` of `TaskStatus`). */
export const statusSpellings = (statuses: readonly TaskStatus[]) =>
  protoEnumSpellings(TASK_STATUS_ENUM, statuses);
/** What a request's task status may be, said for people. */
export const STATUS_FORMS = "our name (`dlq`), the proto's value name (`TASK_STATUS_DLQ`) or " +
  "its number (5: pending 1, in_progress 2, completed 3, failed 4, dlq 5, cancelled 6, as both " +
  "protos number them); answers give our names";

/** The `status` query parameter of a task filter: statuses comma-separated or repeated. */
export const statusQuery = (
  description: string,
  statuses: readonly TaskStatus[] = TASK_STATUSES,
) => ({
  ...queryParam(
    "status",
    `${description}: comma-separated or repeated, each once, as ${STATUS_FORMS}`,
    {
      type: "array",
      maxItems: statuses.length,
      uniqueItems: true,
      items: { type: "string", enum: statusSpellings(statuses) },
    },
  ),
  style: "form",
  explode: false,
});

const TIME_INPUT = { anyOf: [time, { type: "string", pattern: "^[0-9]{1,16}$" }] };
/** A time a body takes: RFC 3339 with an offset, or epoch ms from 0 to `MAX_TIME_MS`. */
export const TIME_IN_BODY = {
  anyOf: [time, { type: "integer", minimum: 0, maximum: MAX_TIME_MS }],
  description: "RFC 3339 with offset or epoch ms",
};
/** A time a query parameter takes: RFC 3339 with an offset, or epoch ms. */
export const timeQuery = (name: string, description: string) =>
  queryParam(name, `${description} (RFC 3339 with offset or epoch ms)`, TIME_INPUT);

const MAX_MS = 30 * 24 * 3600 * 1000;
/** A proto3 JSON duration string of whole milliseconds ("1.5s", "0.250s"). */
export const DURATION_TEXT_PATTERN = "^[0-9]{1,12}(\\.[0-9]{1,3}0{0,6})?s$";

/** A well-formed integer's text, as proto3 JSON writes one (`jsonInteger`, server/domain). */
export const INTEGER_TEXT_PATTERN = "^-?(0|[1-9][0-9]*)$";

/**
 * An integer setting as a configuration takes it: a JSON number within `minimum`..`maximum`, or
 * (proto3 JSON) a string of its decimal digits, held to the same range; answers give numbers.
 */
export const integerInput = (
  bound: { minimum: number; maximum: number; multipleOf?: number },
  description?: string,
  nullable = true,
) => ({
  description: `${description ? `${description}; a` : "A"} JSON number or a string of its ` +
    `decimal digits ("4"), within ${bound.minimum}..${bound.maximum} either way; answers give a number`,
  anyOf: [
    { type: "integer", ...bound },
    { type: "string", pattern: INTEGER_TEXT_PATTERN },
    ...(nullable ? [{ type: "null" }] : []),
  ],
});

/** A duration as the API takes it: ms (at least `minimum`, at most 30 days), a proto3 JSON string (`"1.5s"`) or a Duration object. */
export const durationInput = (description: string, minimum: number) => ({
  description: `${description}: whole milliseconds (${minimum} at least), as a number, a proto3 ` +
    `JSON duration string such as "1.5s", or {"seconds", "nanos"} (nanos a multiple of 1000000); ` +
    `a finer part is refused; answers always give milliseconds`,
  anyOf: [
    { type: "integer", minimum, maximum: MAX_MS },
    { type: "string", pattern: DURATION_TEXT_PATTERN },
    {
      type: "object",
      additionalProperties: false,
      properties: {
        seconds: {
          anyOf: [{ type: "integer", minimum: 0 }, {
            type: "string",
            pattern: "^(0|[1-9][0-9]{0,11})$",
          }],
        },
        nanos: integerInput(
          { minimum: 0, maximum: 999000000, multipleOf: 1000000 },
          undefined,
          false,
        ),
      },
    },
    { type: "null" },
  ],
});
/**
 * An executor setting's enum as a configuration takes it (`Reader.enumValue`): any of
 * `protoEnumSpellings`, a value name with the earlier system's config files' shorter prefix
 * (`shortPrefix`) or none, the number as a JSON number; 0, `<PREFIX>UNSPECIFIED`, `""` and null
 * are "not set".
 */
export const configEnumInput = <T extends string>(spec: ProtoEnum<T>, shortPrefix: string) => ({
  description:
    `Answers give the lowercase name; the proto's value name (${
      spec.names.map((name) => spec.prefix + name.toUpperCase()).join(", ")
    }, also as ${shortPrefix}… or without a prefix, as the earlier system's config files wrote it) ` +
    `and number (${
      spec.names.map((name) => `${spec.numbers[name]} = ${name}`).join(", ")
    }, also as text; 0 = not set) are also taken`,
  anyOf: [
    {
      enum: [
        ...protoEnumSpellings(spec),
        ...spec.names.map((name) => shortPrefix + name.toUpperCase()),
        ...spec.names.map((name) => name.toUpperCase()),
        `${spec.prefix}UNSPECIFIED`,
        "0",
        "",
        null,
      ],
    },
    { type: "integer", enum: [0, ...spec.names.map((name) => spec.numbers[name])] },
  ],
});

/** The Problem schema (components): what every error answer holds. */
export const PROBLEM_SCHEMAS: Record<string, Json> = {
  Problem: {
    type: "object",
    description: "RFC 9457 problem details",
    required: ["type", "title", "status", "detail"],
    properties: {
      type: { type: "string" },
      title: { type: "string" },
      status: { type: "integer" },
      detail: { type: "string" },
      errors: {
        type: "array",
        items: {
          type: "object",
          required: ["field", "message"],
          properties: {
            field: { type: "string", description: "JSON pointer into the request body" },
            message: { type: "string" },
          },
        },
      },
      task: { ...ref("Task"), description: "The existing task of an idempotent repeat" },
    },
  },
};
