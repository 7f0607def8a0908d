/**
 * OpenAPI parts of flow control (`server/domain/flow.ts`): the rate limit shape, the executor
 * fields that configure it, and the task's group key.
 */
import {
  GROUP_KEY_MAX_CHARS,
  MAX_CONCURRENCY_PER_KEY_BOUND,
  RATE_LIMIT_BOUNDS,
} from "../../domain/flow.ts";
import { DURATION_TEXT_PATTERN, integerInput, ref } from "./_parts.ts";

/** Schemas added to the document's components. */
export const FLOW_SCHEMAS = {
  RateLimit: {
    type: "object",
    required: ["limit"],
    additionalProperties: false,
    description: "GCRA: at most `limit` starts per `period`, up to `burst` at once; any window " +
      "of one period holds at most limit + burst starts",
    properties: {
      // 0 is no limit, but the way to remove one.
      limit: integerInput(
        { minimum: 0, maximum: RATE_LIMIT_BOUNDS.limit.max },
        'In a configuration, {"limit": 0} alone removes the limit',
        false,
      ),
      period: {
        description: 'Whole milliseconds or a duration such as "1s" (1 ms .. 1 day; a finer ' +
          "part is refused); default 1 s",
        anyOf: [
          {
            type: "integer",
            minimum: RATE_LIMIT_BOUNDS.period.min,
            maximum: RATE_LIMIT_BOUNDS.period.max,
          },
          { type: "string", pattern: DURATION_TEXT_PATTERN },
          { type: "object" },
        ],
      },
      burst: integerInput(
        { minimum: RATE_LIMIT_BOUNDS.burst.min, maximum: RATE_LIMIT_BOUNDS.burst.max },
        "Default: limit",
        false,
      ),
    },
  },
};

/** Executor properties in a configuration (input). */
export const FLOW_CONFIG_PROPERTIES = {
  rateLimit: { anyOf: [ref("RateLimit"), { type: "null" }], description: "Executor-wide" },
  rateLimitPerKey: { anyOf: [ref("RateLimit"), { type: "null" }], description: "Per group key" },
  maxConcurrencyPerKey: integerInput(
    { minimum: MAX_CONCURRENCY_PER_KEY_BOUND.min, maximum: MAX_CONCURRENCY_PER_KEY_BOUND.max },
    "Tasks of one group key in progress at once; 0 = no limit",
  ),
  groupKeyPointer: {
    type: ["string", "null"],
    maxLength: GROUP_KEY_MAX_CHARS,
    description: 'JSON pointer into task data giving the group key, e.g. "/customerId"; one ' +
      "that can name no value of data (a reference token ending with a backslash, more tokens " +
      "than data nests: 64) is refused, unless it is the one stored (sent again as stored)",
  },
};

/** Executor properties in an answer. */
export const FLOW_EXECUTOR_PROPERTIES = {
  rateLimit: { anyOf: [ref("RateLimit"), { type: "null" }] },
  rateLimitPerKey: { anyOf: [ref("RateLimit"), { type: "null" }] },
  maxConcurrencyPerKey: { type: "integer" },
  groupKeyPointer: { type: ["string", "null"] },
};

/** The group key of a task to create, and of a task in an answer. */
export const GROUP_KEY_PROPERTY = {
  groupKey: {
    type: ["string", "null"],
    maxLength: GROUP_KEY_MAX_CHARS,
    description: "Flow-control group (per-key limits, fair dispatch); default: the executor's " +
      "groupKeyPointer into data. No U+0000 or lone surrogate",
  },
};
