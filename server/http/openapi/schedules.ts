/**
 * The OpenAPI description of schedules: the schedule schemas (input, fire, schedule) and the
 * `/api/v1/schedules` paths.
 */
import { EXECUTOR_NAME_PATTERN } from "../../domain/executor.ts";
import { DEFAULT_LIMITS } from "../../domain/limits.ts";
import {
  MISSED_FIRE_POLICIES,
  MISSED_FIRE_POLICY_ENUM,
  OVERLAP_POLICIES,
  OVERLAP_POLICY_ENUM,
  SKIP_REASONS,
} from "../../domain/schedule.ts";
import {
  cursor,
  type Json,
  limit,
  METADATA_INPUT,
  nullableTime,
  ok,
  pageOf,
  problem,
  protoEnumInput,
  queryParam,
  READS_WAITING,
  ref,
  refParam,
  time,
  withBody,
} from "./_parts.ts";

const name = { type: "string", minLength: 1, pattern: EXECUTOR_NAME_PATTERN.source };
const interval = {
  type: "string",
  minLength: 1,
  maxLength: DEFAULT_LIMITS.scheduleExpressionChars,
  description: 'An interval: digits and units ms, s, m, h, d ("30s", "5m", "1h30m")',
};
const timeIn = {
  oneOf: [time, { type: "integer", minimum: 0 }, { type: "null" }],
  description:
    'RFC 3339 with an offset, or epoch ms; null or the epoch however written (0, "0") clears it ("" is refused)',
};

/** Schemas of schedules (components). */
export const SCHEDULE_SCHEMAS: Record<string, Json> = {
  ScheduleInput: {
    type: "object",
    description:
      "A schedule. On create, name, executorName and cron or every are required, and a field null or left out takes its default; on update, a field null or left out is kept, but for startAt and endAt, whose null is none (it clears them). An empty string is no value of any field: it is refused naming the field (leave the field out or send null; on create, a required field sent empty is refused as a missing one is: Is required).",
    properties: {
      name: { ...name, type: ["string", "null"] },
      executorName: { ...name, type: ["string", "null"] },
      cron: {
        type: ["string", "null"],
        minLength: 1,
        maxLength: DEFAULT_LIMITS.scheduleExpressionChars,
        description: "5 fields (minute hour day month weekday) or 6 (seconds first)",
      },
      every: { ...interval, type: ["string", "null"], description: "A fixed interval (≥ 1s)" },
      timezone: {
        type: ["string", "null"],
        minLength: 1,
        maxLength: DEFAULT_LIMITS.timezoneChars,
        description:
          "IANA time zone, or an offset such as +05:00 (default UTC); any case, any alias: kept and answered by the zone's one name (europe/paris as Europe/Paris, US/Eastern as America/New_York, utc as UTC)",
      },
      task: {
        type: ["object", "null"],
        properties: {
          data: { description: "Checked against the executor's schema when saved" },
          metadata: METADATA_INPUT,
          priority: { type: "integer", minimum: -1_000_000, maximum: 1_000_000 },
        },
      },
      enabled: { type: ["boolean", "null"] },
      overlapPolicy: {
        anyOf: [
          protoEnumInput(OVERLAP_POLICY_ENUM, "An overlap policy as a request gives it"),
          { type: "null" },
        ],
      },
      missedFirePolicy: {
        anyOf: [
          protoEnumInput(MISSED_FIRE_POLICY_ENUM, "A missed-fire policy as a request gives it"),
          { type: "null" },
        ],
      },
      maxMissedFires: {
        type: ["integer", "null"],
        minimum: 1,
        maximum: DEFAULT_LIMITS.scheduleFires,
      },
      jitter: {
        ...interval,
        type: ["string", "null"],
        description: "Each task runs up to this long after its fire time",
      },
      startAt: timeIn,
      endAt: timeIn,
    },
  },
  ScheduleFire: {
    type: "object",
    properties: {
      fireAt: time,
      firedAt: time,
      taskId: { type: ["string", "null"] },
      skipped: { type: ["string", "null"], enum: [...SKIP_REASONS, null] },
      manual: { type: "boolean" },
    },
  },
  Schedule: {
    type: "object",
    properties: {
      id: { type: "string" },
      name: { type: "string" },
      executorName: { type: "string" },
      cron: { type: ["string", "null"] },
      every: { type: ["string", "null"] },
      timezone: { type: "string", description: "The zone's one name (Europe/Paris)" },
      task: { type: "object" },
      enabled: { type: "boolean" },
      overlapPolicy: { type: "string", enum: [...OVERLAP_POLICIES] },
      missedFirePolicy: { type: "string", enum: [...MISSED_FIRE_POLICIES] },
      maxMissedFires: { type: "integer" },
      jitter: { type: "string" },
      startAt: nullableTime,
      endAt: nullableTime,
      nextFireAt: { ...nullableTime, description: "null while paused or when none is left" },
      nextFires: { type: "array", items: time },
      lastFires: {
        type: "array",
        items: ref("ScheduleFire"),
        description: "The newest fires first (at most 20)",
      },
      createdAt: time,
      updatedAt: time,
    },
  },
};

const answer = { type: "object", properties: { schedule: ref("Schedule") } };
const one = refParam("idOrName", "Schedule name or id (looked up as a name first)", true);
const fires = queryParam("fires", "How many next fire times to list (default 5)", {
  type: "integer",
  minimum: 1,
  maximum: DEFAULT_LIMITS.scheduleFires,
});
/** 404 of a schedule named by id or name. */
const SCHEDULE_NOT_FOUND = problem(
  "No such schedule, or one of an executor the key may not reach: both are answered alike",
);
const action = (operationId: string, summary: string) => ({
  post: {
    operationId,
    summary,
    responses: { "200": ok("The schedule now", answer), "404": SCHEDULE_NOT_FOUND },
  },
});

/** The schedule paths. */
export const SCHEDULE_PATHS: Record<string, Json> = {
  "/api/v1/schedules": {
    get: {
      operationId: "listSchedules",
      summary:
        "A page of schedules, by name, with their next fire times and latest fires (each schedule's fire times count towards the page's 2 MiB)",
      parameters: [
        queryParam(
          "executorName",
          "Only this executor's schedules (403 for one the key may not read, as task lists)",
        ),
        fires,
        cursor,
        limit,
      ],
      responses: {
        "200": ok("A page of schedules", pageOf("schedules", "Schedule")),
        "400": problem("Bad query parameter"),
        "503": READS_WAITING,
      },
    },
    post: {
      operationId: "createSchedule",
      summary: "Create a schedule (its task data is checked against the executor's schema)",
      requestBody: {
        required: true,
        content: { "application/json": { schema: ref("ScheduleInput") } },
      },
      responses: {
        "201": ok("Created", answer),
        ...withBody,
        "404": problem("The executor does not exist"),
        "409": problem("The name is taken, or the store holds the most schedules it may"),
      },
    },
  },
  "/api/v1/schedules/preview": {
    post: {
      operationId: "previewSchedule",
      summary: "The next fire times of cron or every (with timezone, startAt, endAt), unsaved",
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: {
              type: "object",
              properties: {
                cron: { type: "string" },
                every: interval,
                timezone: { type: "string" },
                startAt: timeIn,
                endAt: timeIn,
                count: { type: "integer", minimum: 1, maximum: DEFAULT_LIMITS.scheduleFires },
              },
            },
          },
        },
      },
      responses: {
        "200": ok("Fire times", {
          type: "object",
          properties: { nextFires: { type: "array", items: time } },
        }),
        ...withBody,
      },
    },
  },
  "/api/v1/schedules/{idOrName}": {
    parameters: [one],
    get: {
      operationId: "getSchedule",
      summary: "A schedule, its next fire times and latest fires with their task ids",
      parameters: [fires],
      responses: { "200": ok("The schedule", answer), "404": SCHEDULE_NOT_FOUND },
    },
    put: {
      operationId: "updateSchedule",
      summary: "Change the fields given; the next fire is counted from now",
      requestBody: {
        required: true,
        content: { "application/json": { schema: ref("ScheduleInput") } },
      },
      responses: {
        "200": ok("The schedule now", answer),
        ...withBody,
        "404": problem(
          "No such schedule (or one of an executor the key may not reach), or the executor it is moved to does not exist",
        ),
        "409": problem("The new name is taken"),
      },
    },
    delete: {
      operationId: "deleteSchedule",
      summary: "Delete a schedule (the tasks it made stay)",
      responses: { "204": { description: "Deleted" }, "404": SCHEDULE_NOT_FOUND },
    },
  },
  "/api/v1/schedules/{idOrName}/pause": {
    parameters: [one],
    ...action("pauseSchedule", "Stop firing until resumed"),
  },
  "/api/v1/schedules/{idOrName}/resume": {
    parameters: [one],
    ...action("resumeSchedule", "Fire again, from the next fire time after now"),
  },
  "/api/v1/schedules/{idOrName}/trigger": {
    parameters: [one],
    post: {
      operationId: "triggerSchedule",
      summary: "Create the schedule's task now, whatever its overlap policy or pause",
      responses: {
        "201": ok("The task's id and the schedule now", {
          type: "object",
          properties: { schedule: ref("Schedule"), taskId: { type: "string" } },
        }),
        "400": problem("The task data no longer matches the executor's schema"),
        "404": SCHEDULE_NOT_FOUND,
      },
    },
  },
};
