/**
 * The use cases of schedules over the store contract: create, read, change, pause, resume,
 * delete, trigger now, preview fire times, and the fire itself (`fireDue`, run by the scheduler).
 */
import { escapePointer } from "@tasks-executor/proto/json-value";
import {
  assertExecutor,
  assertFound,
  executorsWithin,
  type Operation,
} from "../auth/permissions.ts";
import { ANONYMOUS_ADMIN, type Principal, readerOf } from "../auth/scopes.ts";
import {
  ExecutorNotFoundError,
  FailedPreconditionError,
  fieldPointer,
  type FieldViolation,
  InvalidArgumentError,
  naming,
  NotFoundError,
} from "../domain/errors.ts";
import {
  type Executor,
  EXECUTOR_NAME_PATTERN,
  executorMissingError,
  NAME_MESSAGE,
} from "../domain/executor.ts";
import { checkedRef } from "../domain/refs.ts";
import type { Limits } from "../domain/limits.ts";
import { MAX_TIME_MS } from "../domain/limits.ts";
import {
  decideFires,
  FIRE_GRACE_MS,
  fireKey,
  type FireOutcome,
  lastScheduledFireAt,
  mergeFireState,
  MISSED_FIRE_POLICY_ENUM,
  OVERLAP_POLICY_ENUM,
  parseInterval,
  type Schedule,
  type ScheduleFire,
  type ScheduleSpec,
  type SkipReason,
} from "../domain/schedule.ts";
import { parseOptionalTime, TIME_FORMAT_MESSAGE } from "../domain/time.ts";
import { executorNamed, type Page, type Store } from "../store/store.ts";
import type { DueCursor } from "../store/store.ts";
import type { CallerOptions, CreatedTask, ReadOptions } from "./caller.ts";
import type { SchemaRegistry } from "./schema.ts";
import {
  canonicalTimeZone,
  cronProblem,
  cronText,
  fireClock,
  nextFires,
  sameTimeZone,
  type ScheduleTimes,
} from "./schedule_times.ts";
import {
  collectPage,
  jsonBytes,
  pageBounds,
  pageCursorCheck,
  pageLimit,
  type PageRequest,
} from "./paging.ts";
import { parseTaskInput } from "./task_input.ts";
import type { ProtoEnum } from "../domain/proto_enum.ts";
import { assertNoViolations, executorFilter, protoEnumField } from "./violations.ts";
import { pageReadInTurn, ThreadSlices } from "../thread_slices.ts";

/** A schedule as the APIs answer it: with its next fire times. */
export interface ScheduleView extends Schedule {
  /** The next fire times (epoch ms), as many as asked for. */
  nextFires: number[];
}

/** What one `fireDue` did, for metrics and logs. */
export interface FireReport {
  /** Tasks created, with how late each fire was (ms after its fire time). */
  fired: { fireAt: number; taskId: string; latenessMs: number }[];
  /**
   * Fires skipped, each with why; `refusal` is the message of the task create the store or the
   * executor's schema refused (`invalid_data`: `/data/to: Is required`; `executor_missing`).
   */
  skipped: { fireAt: number; reason: SkipReason; refusal?: string }[];
}

/** What the schedule service needs. */
export interface ScheduleServiceDeps {
  store: Store;
  schemas: SchemaRegistry;
  limits: Readonly<Limits>;
  now: () => number;
  newId: (now: number) => string;
  /**
   * Creates one task as `Service.createTask` does (validated, handed to a waiting worker); a
   * repeated idempotency key gives back the task it made, `created: false`.
   */
  createTask: (input: unknown) => Promise<CreatedTask>;
  /** Told after a schedule is created, changed or deleted. */
  onChange: () => void;
  /** Chance for jitter. Default `Math.random`. */
  random?: () => number;
}

const FIELDS = [
  "name",
  "executorName",
  "cron",
  "every",
  "timezone",
  "task",
  "enabled",
  "overlapPolicy",
  "missedFirePolicy",
  "maxMissedFires",
  "jitter",
  "startAt",
  "endAt",
];
const TIMING_FIELDS = ["cron", "every", "timezone", "startAt", "endAt"] as const;
/** The fields a string is a value of (`startAt`, `endAt`: as RFC 3339 text or epoch ms digits). */
const STRING_FIELDS = [
  "name",
  "executorName",
  "cron",
  "every",
  "timezone",
  "overlapPolicy",
  "missedFirePolicy",
  "jitter",
  "startAt",
  "endAt",
];
const DEFAULT_NEXT_FIRES = 5;
/** What one fire time adds to a schedule's JSON: `"2026-03-29T01:30:00.000Z",`. */
const FIRE_TIME_BYTES = 27;
/** Longest jitter: a day. */
const MAX_JITTER_MS = 86_400_000;
/** Shortest interval: a second (the scheduler ticks about four times a second). */
const MIN_INTERVAL_MS = 1000;
/**
 * How many times a write of a schedule (a change, a trigger's line in the history) is tried on a
 * fresh read when another write landed between its read and its compare and set. Each failed try
 * means another write succeeded, so N writers racing need at most N tries; past this many the
 * request is answered 409 rather than looping for ever.
 */
const WRITE_TRIES = 50;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The fields whose `null` is a value they hold (none: no start, no end), which `null` sets. Every
 * other field's `null` is the field left out: kept on update, its default on create, as an
 * executor's fields are (`{"cron": null}` kept the cron, `{"timezone": null}` was refused).
 */
const NULL_IS_NONE: readonly string[] = ["startAt", "endAt"];

/**
 * The message of a field sent as `""` on update. An empty string is no value of any schedule
 * field: a cron expression, an interval, a zone, a time, a name or a policy; it is refused rather
 * than read as left out (`cron`, `every` were), as none (`jitter`, `startAt`, `endAt` were) or as a
 * bad value (`timezone`, the names and policies were), which one field or another made of it.
 */
const EMPTY_MESSAGE = "Must not be empty: leave the field out (or send null) to keep its value";
/** The message of an optional field sent as `""` on create (or in a preview). */
const EMPTY_ON_CREATE_MESSAGE =
  "Must not be empty: leave the field out (or send null) for its default";
/** The message of `cron` or `every` sent as `""` on create (or in a preview) with `other` given. */
function emptyWithOtherMessage(other: string): string {
  return `Must not be empty: leave the field out (or send null) when ${other} is given`;
}
/**
 * The message of a change that needs the clock of a stored zone this manager's time zone data does
 * not know (one a manager with newer data stored).
 */
const UNKNOWN_STORED_ZONE_MESSAGE =
  "Is a time zone this manager's time zone data does not know: send one it knows";
/** The message of a schedule's `name` or `executorName` missing on create, or sent as `""`. */
const REQUIRED_MESSAGE = "Is required";
/** The message of a schedule with no cron expression and no interval on create. */
const EXPRESSION_MESSAGE = "Give a cron expression (cron) or an interval (every)";

/**
 * How a field sent as `""` is refused: on update (`base`) any field is kept when left out, so
 * `EMPTY_MESSAGE`; on create (or in a preview) a field the schedule cannot do without (`name`,
 * `executorName`, and `cron` or `every` when the other holds no value) is required, as when it is
 * missing: leaving it out, which the advice of `EMPTY_MESSAGE` was, is no way out of it (the admin
 * page's form sends `""` for a blank name or expression).
 */
function emptyMessage(
  key: string,
  input: Record<string, unknown>,
  base: ScheduleSpec | undefined,
): string {
  if (base) return EMPTY_MESSAGE;
  if (key === "name" || key === "executorName") return REQUIRED_MESSAGE;
  const given = (value: unknown) => value !== undefined && value !== null && value !== "";
  if (key === "cron" || key === "every") {
    const other = key === "cron" ? "every" : "cron";
    // Neither has a default: with the other given, the schedule goes by it.
    return given(input[other]) ? emptyWithOtherMessage(other) : EXPRESSION_MESSAGE;
  }
  return EMPTY_ON_CREATE_MESSAGE;
}

/** The violations `withoutEmptyStrings` made, each naming a field sent as `""`. */
const EMPTY_VIOLATIONS = new WeakSet<FieldViolation>();

/**
 * Refuses, naming each (`message` of its key), the fields of `keys` that `body` holds as `""`, and
 * answers `body` without them (each is refused once, not again as a bad value).
 */
function withoutEmptyStrings(
  body: Record<string, unknown>,
  keys: readonly string[],
  violations: FieldViolation[],
  message: (key: string) => string,
): Record<string, unknown> {
  const empty = keys.filter((key) => body[key] === "");
  for (const key of empty) {
    const violation = { field: `/${key}`, message: message(key) };
    EMPTY_VIOLATIONS.add(violation);
    violations.push(violation);
  }
  return Object.fromEntries(Object.entries(body).filter(([key]) => !empty.includes(key)));
}

/**
 * `violations` with one per field refused as empty (`withoutEmptyStrings`): a field it leaves out
 * may be missing too (`name` on create), which is the same fault. So is a missing expression
 * (`/cron`) when `cron` or `every` was sent as `""`: it is named at that field alone.
 */
function oncePerEmptyField(violations: FieldViolation[]): FieldViolation[] {
  const empty = violations.filter((v) => EMPTY_VIOLATIONS.has(v));
  const fields = new Set(empty.map((v) => v.field));
  const noExpression = empty.some((v) => v.message === EXPRESSION_MESSAGE);
  return violations.filter((v) =>
    EMPTY_VIOLATIONS.has(v) ||
    (!fields.has(v.field) && !(noExpression && v.message === EXPRESSION_MESSAGE))
  );
}

/** `body` without the fields whose `null` means left out (`NULL_IS_NONE`). */
function withoutNulls(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(body).filter(([key, value]) => value !== null || NULL_IS_NONE.includes(key)),
  );
}

/**
 * An interval text (`every`, `jitter`) of at most `maxChars` characters as ms (`parseInterval`),
 * or `undefined` when it is none.
 */
function intervalMs(value: unknown, maxChars: number): number | undefined {
  return typeof value === "string" && value.length <= maxChars ? parseInterval(value) : undefined;
}

/**
 * Reads the timing fields of a schedule (`cron` or `every`, `timezone`, `startAt`, `endAt`) from
 * `body` over `base`, adding violations named by JSON pointer. `body` holds `null` only where it
 * is a value (`withoutNulls`).
 */
function parseTimes(
  body: Record<string, unknown>,
  base: ScheduleTimes | undefined,
  limits: Readonly<Limits>,
  violations: FieldViolation[],
): ScheduleTimes {
  // A zone stored before zones were kept by their one name is written back so.
  const times: ScheduleTimes = base
    ? { ...base, timezone: canonicalTimeZone(base.timezone) ?? base.timezone }
    : { cron: null, every: null, timezone: "UTC", startAt: null, endAt: null };
  const maxChars = limits.scheduleExpressionChars;
  const hasCron = body.cron !== undefined;
  const hasEvery = body.every !== undefined;
  if (hasCron && hasEvery) {
    violations.push({
      field: "/every",
      ...naming`Give either ${fieldPointer("/cron")} or ${fieldPointer("/every")}, not both`,
    });
  } else if (hasCron) {
    if (typeof body.cron !== "string" || body.cron.length > maxChars) {
      violations.push({
        field: "/cron",
        message: `Must be a string of at most ${maxChars} characters`,
      });
    } else {
      const problem = cronProblem(body.cron);
      if (problem) violations.push({ field: "/cron", message: problem });
      else Object.assign(times, { cron: cronText(body.cron), every: null });
    }
  } else if (hasEvery) {
    const ms = intervalMs(body.every, maxChars);
    if (ms === undefined || ms < MIN_INTERVAL_MS || ms > MAX_TIME_MS) {
      violations.push({
        field: "/every",
        message: `Must be an interval from 1s to ${
          Math.floor(MAX_TIME_MS / 86_400_000)
        }d such as "30s", "5m" or "1h30m" (units ms, s, m, h, d), of at most ${maxChars} characters`,
      });
    } else Object.assign(times, { cron: null, every: ms });
  } else if (!base) {
    violations.push({ field: "/cron", message: EXPRESSION_MESSAGE });
  }
  if (body.timezone !== undefined) {
    const zone = body.timezone;
    const canonical = typeof zone === "string" && zone.length <= limits.timezoneChars
      ? canonicalTimeZone(zone)
      : null;
    if (canonical === null) {
      violations.push({
        field: "/timezone",
        message:
          `Must be an IANA time zone such as Europe/Berlin, or an offset such as +05:00, of at most ${limits.timezoneChars} characters`,
      });
    } else times.timezone = canonical;
  }
  for (const key of ["startAt", "endAt"] as const) {
    const value = body[key];
    if (value === undefined) continue;
    const ms = parseOptionalTime(value);
    if (ms === undefined) violations.push({ field: `/${key}`, message: TIME_FORMAT_MESSAGE });
    else times[key] = ms;
  }
  if (times.startAt !== null && times.endAt !== null && times.endAt < times.startAt) {
    violations.push({ field: "/endAt", ...naming`Must not be before ${fieldPointer("/startAt")}` });
  }
  return times;
}

/**
 * How timing not yet stored is read (`fireClock`): a preview's, and a create's or change's
 * before its store call, which may still refuse it. Its cron and zone clock are not kept, so
 * timing that is never stored does not push out the crons of stored schedules.
 */
const NOT_KEPT = { keep: false };

/**
 * Refuses timing that never fires from now on (`0 0 30 2 *`, an interval that ends past the last
 * time the API reads, an `endAt` already past, a cron's `startAt` past the year 2999, croner's
 * last), naming the field to change: such a schedule was stored and never made a task.
 *
 * @throws {InvalidArgumentError} naming `/cron` or `/every` when it never fires from now on
 *   whatever the bounds, else `/endAt` when it is what ends the fires, else `/startAt`
 */
function assertFiresAgain(spec: ScheduleSpec, nextFireAt: number | null, now: number): void {
  if (nextFireAt !== null) return;
  const fires = (bounds: Partial<ScheduleSpec>) =>
    fireClock({ ...spec, ...bounds }, now, NOT_KEPT)(now) !== null;
  // The expression first: a cron no date matches is read once more at most, not per bound.
  const field = !fires({ startAt: null, endAt: null })
    ? (spec.cron !== null ? "/cron" : "/every")
    : spec.endAt !== null && fires({ endAt: null })
    ? "/endAt"
    : spec.startAt !== null
    ? "/startAt"
    : (spec.cron !== null ? "/cron" : "/every");
  const message = field === "/startAt" && spec.cron !== null
    ? "Never fires from now on: a cron's fires end with the year 2999"
    : "Never fires from now on";
  assertNoViolations("Invalid schedule", [{ field, message }]);
}

/**
 * Reads a schedule from a client over `base` (a change keeps the fields it leaves out, and those
 * it sends `null` but `startAt` and `endAt`, whose `null` is none: `NULL_IS_NONE`): see
 * `ScheduleSpec` for the fields; `jitter` is an interval text like `every` (`"30s"`). A field sent
 * as `""` is refused (`emptyMessage`). Every bound is in `limits`.
 *
 * @throws {InvalidArgumentError} naming each bad field by JSON pointer (`/name`, `/task/data`, …)
 */
export function parseScheduleSpec(
  input: unknown,
  options: { base?: ScheduleSpec; limits: Readonly<Limits> },
): ScheduleSpec {
  const { base, limits } = options;
  if (!isObject(input)) {
    assertNoViolations("Invalid schedule", [{ field: "", message: "Must be an object" }]);
  }
  const violations: FieldViolation[] = [];
  for (const key of Object.keys(input as Record<string, unknown>)) {
    if (!FIELDS.includes(key)) {
      violations.push({ field: `/${escapePointer(key)}`, message: "Unknown field" });
    }
  }
  const body = withoutEmptyStrings(
    withoutNulls(input as Record<string, unknown>),
    STRING_FIELDS,
    violations,
    (key) => emptyMessage(key, input as Record<string, unknown>, base),
  );
  const name = body.name ?? base?.name;
  if (name === undefined) {
    violations.push({ field: "/name", message: REQUIRED_MESSAGE });
  } else if (typeof name !== "string" || !EXECUTOR_NAME_PATTERN.test(name)) {
    violations.push({ field: "/name", message: NAME_MESSAGE });
  }
  const executorName = body.executorName ?? base?.executorName;
  if (executorName === undefined) {
    violations.push({ field: "/executorName", message: REQUIRED_MESSAGE });
  } else if (typeof executorName !== "string" || !EXECUTOR_NAME_PATTERN.test(executorName)) {
    violations.push({ field: "/executorName", message: "Must be an executor name" });
  }
  const times = parseTimes(body, base, limits, violations);

  let task = base?.task ?? { data: null, metadata: {}, priority: 0 };
  if (body.task !== undefined) {
    if (!isObject(body.task)) {
      violations.push({ field: "/task", message: "Must be an object: {data, metadata, priority}" });
    } else {
      for (const key of Object.keys(body.task)) {
        if (!["data", "metadata", "priority"].includes(key)) {
          violations.push({ field: `/task/${escapePointer(key)}`, message: "Unknown field" });
        }
      }
      const parsed = parseTaskInput(
        {
          executorName: "-",
          data: body.task.data,
          metadata: body.task.metadata,
          priority: body.task.priority,
        },
        { pointer: "/task", limits },
        violations,
      );
      if (parsed) {
        task = { data: parsed.data, metadata: parsed.metadata, priority: parsed.priority };
      }
    }
  }

  // Any form `protoEnumOf` reads (`run_each`, `MISSED_FIRE_POLICY_RUN_EACH`, 3); the proto's "not
  // set" keeps the policy in force, as a field left out does (a new schedule's default).
  const pick = <T extends string>(key: string, spec: ProtoEnum<T>, fallback: T): T => {
    const value = body[key];
    if (value === undefined) return fallback;
    return protoEnumField(spec, value, `/${key}`, violations, { unspecified: "unset" }) ??
      fallback;
  };
  const overlapPolicy = pick("overlapPolicy", OVERLAP_POLICY_ENUM, base?.overlapPolicy ?? "skip");
  const missedFirePolicy = pick(
    "missedFirePolicy",
    MISSED_FIRE_POLICY_ENUM,
    base?.missedFirePolicy ?? "run_once",
  );
  let maxMissedFires = base?.maxMissedFires ?? 10;
  if (body.maxMissedFires !== undefined) {
    const value = body.maxMissedFires;
    if (
      !Number.isInteger(value) || (value as number) < 1 || (value as number) > limits.scheduleFires
    ) {
      violations.push({
        field: "/maxMissedFires",
        message: `Must be a whole number from 1 to ${limits.scheduleFires}`,
      });
    } else maxMissedFires = value as number;
  }
  let enabled = base?.enabled ?? true;
  if (body.enabled !== undefined) {
    if (typeof body.enabled !== "boolean") {
      violations.push({ field: "/enabled", message: "Must be true or false" });
    } else enabled = body.enabled;
  }
  let jitterMs = base?.jitterMs ?? 0;
  if (body.jitter !== undefined) {
    const ms = body.jitter === 0 || body.jitter === "0"
      ? 0
      : intervalMs(body.jitter, limits.scheduleExpressionChars);
    if (ms === undefined || ms > MAX_JITTER_MS) {
      violations.push({
        field: "/jitter",
        message:
          `Must be an interval of at most 1d such as "30s", of at most ${limits.scheduleExpressionChars} characters`,
      });
    } else jitterMs = ms;
  }
  assertNoViolations("Invalid schedule", oncePerEmptyField(violations));
  return {
    ...times,
    name: name as string,
    executorName: executorName as string,
    task,
    enabled,
    overlapPolicy,
    missedFirePolicy,
    maxMissedFires,
    jitterMs,
  };
}

/**
 * Schedule use cases. Fires are made unique by the store: each fire's task carries the
 * idempotency key `schedule:<id>:<fire time>`, and the fire state is written by compare and set
 * on the schedule's version, so managers sharing a store may all fire without a leader.
 */
export class ScheduleService {
  readonly #deps: ScheduleServiceDeps;
  readonly #random: () => number;

  constructor(deps: ScheduleServiceDeps) {
    this.#deps = deps;
    this.#random = deps.random ?? Math.random;
  }

  get #store() {
    return this.#deps.store.schedules;
  }

  /** `stored` as answered, with its next `count` fire times. */
  async #view(stored: Schedule, count: number, slices: ThreadSlices): Promise<ScheduleView> {
    return answered(stored, await this.#fires(stored, count, slices));
  }

  /**
   * The next `count` fire times of `stored` as answered (`#view`); `clock.keep: false`
   * (`NOT_KEPT`) for a schedule not stored yet, whose write may still be refused.
   */
  async #fires(
    stored: Schedule,
    count: number,
    slices?: ThreadSlices,
    clock: { keep?: boolean } = {},
  ): Promise<number[]> {
    // A paused schedule lists none, so none is worked out (a rare cron costs ~13 ms per 100).
    const first = stored.enabled ? stored.nextFireAt : null;
    if (first === null) return [];
    const zone = canonicalTimeZone(stored.timezone);
    // A cron in a zone this manager's time zone data does not know (stored by a manager with newer
    // data) is answered with the next fire time stored, the one other manager's: reading its clock
    // threw, which failed the whole page it was on (500).
    if (zone === null && stored.cron !== null) return [first];
    const next = fireClock(
      { ...stored, timezone: zone ?? stored.timezone },
      stored.createdAt,
      clock,
    );
    return [first, ...await nextFires(next, first, count - 1, slices)].slice(0, count);
  }

  /**
   * Works out fire times for `options.caller` in its turn among the page reads (`PAGE_READ_TURNS`:
   * one at a time, readers in rotation, at most their share of the thread): the one rule for every
   * request that makes the manager read a cron, whether it answers fire times (a preview, a read, a
   * list) or checks and stores them (a create, a change, a pause or resume, a trigger). The 100
   * fires of a sparse cron (`0 0 29 2 1#5`) hold the thread ~100 ms, given back in slices, and 30
   * clients of a `read` key previewing it in a loop held every other request ~1 s while each took
   * its own; 30 producers sending creates of it refused as never firing, 30–45 ms p50 and up to 0.1–0.5 s. A call
   * with no caller (the manager's own, a tool or test inside the process) takes no turn, as a page
   * read for no reader: 200 creates at once from inside the process were refused past the 64 a key
   * may have waiting, and their debt of thread time held a client's listing after them.
   *
   * @throws {UnavailableError} when `options.signal` is aborted before the turn comes
   * @throws {ResourceExhaustedError} when too many of the caller's (or of all keys') wait already
   */
  #firesInTurn<T>(work: (slices: ThreadSlices) => Promise<T>, options: ReadOptions): Promise<T> {
    return pageReadInTurn(work, {
      reader: options.caller && readerOf(options.caller),
      signal: options.signal,
    });
  }

  /** Checks `count` (fire times to list): 1 to `limits.scheduleFires`. */
  #count(count: number | undefined, field = "fires"): number {
    if (count === undefined) return DEFAULT_NEXT_FIRES;
    const max = this.#deps.limits.scheduleFires;
    if (!Number.isInteger(count) || count < 1 || count > max) {
      throw InvalidArgumentError.listing("Invalid fire times", [
        { field, message: `Must be a whole number from 1 to ${max}` },
      ]);
    }
    return count;
  }

  /**
   * The executor named `name`, which a schedule's write (`what`: `create schedule`, `change
   * schedule`) names: NOT_FOUND when it does not exist (`executorMissingError`), as the store
   * refuses one deleted between this read and the write, and as a task's create is refused,
   * naming the request's `/executorName` when it sent one (`named`, `executorFieldNamed`).
   */
  async #executor(name: string, what: string, named: boolean): Promise<Executor> {
    const executor = await executorNamed(this.#deps.store, name);
    if (!executor) {
      const missing = executorMissingError(what, name);
      throw named ? executorFieldNamed(missing, what) : missing;
    }
    return executor;
  }

  /**
   * The schedule `idOrName`, if `caller` may perform `operation` on it: one of an executor its key
   * does not reach is answered as missing (`assertFound`).
   */
  async #schedule(idOrName: string, caller: Principal, operation: Operation): Promise<Schedule> {
    const schedule = await this.#store.scheduleGet(checkedRef("schedule", idOrName, "/id"));
    if (!schedule) throw scheduleNotFound(idOrName);
    assertFound(caller, operation, schedule.executorName, () => scheduleNotFound(idOrName));
    return schedule;
  }

  /**
   * Creates a schedule; its task data is checked against the executor's schema now. Its fire times
   * (the cron read, the next fire, the check that it fires again, those answered) are worked out
   * in the caller's turn (`#firesInTurn`) before anything is stored.
   *
   * @throws {InvalidArgumentError} {ConflictError} {PermissionDeniedError}
   * @throws {UnavailableError} {ResourceExhaustedError} from its turn (`#firesInTurn`), nothing stored
   * @throws {ExecutorNotFoundError} when its executor does not exist, naming `/executorName`
   * @throws {FailedPreconditionError} when the store holds `limits.schedules` already
   */
  async create(input: unknown, options: ReadOptions = {}): Promise<ScheduleView> {
    const spec = parseScheduleSpec(input, { limits: this.#deps.limits });
    assertExecutor(options.caller ?? ANONYMOUS_ADMIN, "schedules.write", spec.executorName, {
      pointer: "/executorName",
    });
    const executor = await this.#executor(spec.executorName, "create schedule", true);
    await this.#deps.schemas.assertValid(executor, spec.task.data, "/task/data");
    const [schedule, fires] = await this.#firesInTurn(async (slices) => {
      const now = this.#deps.now();
      const schedule: Schedule = {
        ...spec,
        id: this.#deps.newId(now),
        createdAt: now,
        updatedAt: now,
        version: 1,
        nextFireAt: fireClock(spec, now, NOT_KEPT)(now),
        lastTaskId: null,
        lastFires: [],
      };
      assertFiresAgain(spec, schedule.nextFireAt, now);
      return [schedule, await this.#fires(schedule, DEFAULT_NEXT_FIRES, slices, NOT_KEPT)] as const;
    }, options);
    // Counted and inserted by the store in one step: a count here, awaited before the insert, let
    // 60 creates at once past 9,990 schedules store 10,033. The store also refuses it when the
    // executor was deleted since it was read above (a schedule stored then fired into
    // `executor_missing` for ever).
    const created = await this.#store.scheduleCreate(schedule, {
      max: this.#deps.limits.schedules,
    }).catch((error) => {
      throw executorFieldNamed(error, "create schedule");
    });
    this.#deps.onChange();
    return answered(created, fires);
  }

  /**
   * One page of the schedules the caller may read (of `filter.executorName` when given), by
   * name, with `filter.fires` next fire times each: up to `page.limit` (50 unless given, at most
   * 1000) and at most `limits.pageBytes` of JSON (one schedule at least, fire times counted);
   * `nextCursor` continues after the last one. Fire times are worked out for the page's schedules
   * only, giving the thread back between them; once `options.signal` is aborted (the client went
   * away) the page ends after the schedule at hand, with `nextCursor` after it.
   *
   * @throws {InvalidArgumentError} naming `executorName`, `cursor`, `limit` or `fires`
   * @throws {PermissionDeniedError} naming `executorName` for an executor the caller may not read
   */
  async list(
    filter: { executorName?: string; fires?: number } = {},
    page: PageRequest = {},
    options: ReadOptions = {},
  ): Promise<Page<ScheduleView>> {
    const violations: FieldViolation[] = [];
    const executorName = executorFilter(filter.executorName, violations);
    const limit = pageLimit(page, violations);
    // The store's cursor is the name of a page's last schedule.
    pageCursorCheck(page, violations, (cursor) => EXECUTOR_NAME_PATTERN.test(cursor));
    assertNoViolations("Invalid schedule filter", violations);
    const count = this.#count(filter.fires);
    const caller = options.caller ?? ANONYMOUS_ADMIN;
    const within = executorsWithin(caller, "schedules.read");
    // A filter naming an executor the key does not reach is refused, as task lists refuse it.
    if (within !== null && executorName !== undefined) {
      assertExecutor(caller, "schedules.read", executorName, { pointer: "executorName" });
    }
    const executorNames = within === null
      ? (executorName === undefined ? undefined : [executorName])
      : within.filter((name) => executorName === undefined || name === executorName);
    if (executorNames?.length === 0) return { items: [], nextCursor: null };
    // Each schedule is measured with its fire times as answered (about 27 bytes each).
    const bounds = pageBounds<Schedule>(
      page,
      { limit, maxBytes: this.#deps.limits.pageBytes },
      { caller, signal: options.signal },
    );
    const listed = await collectPage(
      (p) => this.#store.scheduleList({ executorNames }, p),
      { ...bounds, sizeOf: (schedule) => jsonBytes(schedule) + FIRE_TIME_BYTES * count },
    );
    // A rare cron takes ~13 ms per 100 fire times: the thread is given back between schedules,
    // and between fire times (`nextFires`).
    const views = await this.#firesInTurn(async (slices) => {
      const views: ScheduleView[] = [];
      for (const schedule of listed.items) {
        if (views.length > 0 && options.signal?.aborted) break;
        views.push(await this.#view(schedule, count, slices));
        await slices.turn();
      }
      return views;
    }, options);
    const cut = views.length < listed.items.length;
    return { items: views, nextCursor: cut ? views[views.length - 1].name : listed.nextCursor };
  }

  /** Every schedule of `executorName`, a page at a time (bounded by `limits.pageBytes`). */
  async *#allOf(executorName: string): AsyncGenerator<Schedule[]> {
    let cursor: string | undefined;
    do {
      const page = await this.#store.scheduleList({ executorNames: [executorName] }, {
        cursor,
        limit: 1000,
        maxBytes: this.#deps.limits.pageBytes,
      });
      yield page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** @throws {NotFoundError} {PermissionDeniedError} */
  async get(
    idOrName: string,
    options: ReadOptions & { fires?: number } = {},
  ): Promise<ScheduleView> {
    const count = this.#count(options.fires);
    const schedule = await this.#schedule(
      idOrName,
      options.caller ?? ANONYMOUS_ADMIN,
      "schedules.read",
    );
    return await this.#firesInTurn((slices) => this.#view(schedule, count, slices), options);
  }

  /**
   * Changes the fields given, keeping the others; the next fire is counted from now (a paused
   * schedule that resumes does not catch up on the fires it was paused for).
   *
   * The change is applied to the schedule as stored and written by compare and set on its
   * version; when another write (a fire, a trigger, another change) lands in between, it is
   * applied again to a fresh read (`#rewrite`). A change never sets the next fire time back:
   * a change that keeps the timing keeps the stored `nextFireAt`, and one that moves it counts
   * from now or from the newest fire time already fired, whichever is later. A change that
   * leaves everything stored as it is (`{}`, the values as stored) writes nothing: `updatedAt` and
   * `version` stay. Its fire times (the next fire, the check that it fires again, those answered)
   * are worked out in the caller's turn (`#firesInTurn`) before each try's write.
   *
   * @throws {NotFoundError} {InvalidArgumentError} {ConflictError} {PermissionDeniedError}
   * @throws {FailedPreconditionError} when other writes kept winning (`WRITE_TRIES`)
   * @throws {UnavailableError} {ResourceExhaustedError} from its turn (`#firesInTurn`), nothing written
   */
  async update(
    idOrName: string,
    input: unknown,
    options: ReadOptions = {},
  ): Promise<ScheduleView> {
    const caller = options.caller ?? ANONYMOUS_ADMIN;
    let unchanged = false;
    // The fire times answered, of the schedule the last try wrote (or kept).
    let fires: number[] = [];
    // The request names the executor (else it keeps the stored one): a refusal for it names it.
    const named = isObject(input) && input.executorName !== undefined &&
      input.executorName !== null;
    const updated = await this.#rewrite(idOrName, async (current) => {
      assertFound(
        caller,
        "schedules.write",
        current.executorName,
        () => scheduleNotFound(idOrName),
      );
      const spec = parseScheduleSpec(input, { base: current, limits: this.#deps.limits });
      // Timing sent as it is stored (a declaration applied again, a cron spaced otherwise) is no
      // change: it keeps the stored next fire, an overdue one included.
      const timing = TIMING_FIELDS.some((key) =>
        key === "timezone"
          ? !sameTimeZone(spec.timezone, current.timezone)
          : spec[key] !== current[key]
      );
      // Timing sent, changed or not, must still fire: a resume that re-sends an endAt now past was
      // stored, enabled, never to fire again.
      const timingSent = isObject(input) &&
        TIMING_FIELDS.some((key) => key in withoutNulls(input));
      if (spec.executorName !== current.executorName) {
        assertExecutor(caller, "schedules.write", spec.executorName, { pointer: "/executorName" });
      }
      const executor = await this.#executor(spec.executorName, "change schedule", named);
      await this.#deps.schemas.assertValid(executor, spec.task.data, "/task/data");
      const resumed = spec.enabled && !current.enabled;
      const fired = lastScheduledFireAt(current.lastFires);
      if ((timing || resumed) && spec.cron !== null && canonicalTimeZone(spec.timezone) === null) {
        // Stored by a manager with newer time zone data: reading its clock here threw (500).
        assertNoViolations("Invalid schedule", [{
          field: "/timezone",
          message: UNKNOWN_STORED_ZONE_MESSAGE,
        }]);
      }
      const [next, nextFires] = await this.#firesInTurn(async (slices) => {
        const now = this.#deps.now();
        const nextFireAt = timing || resumed
          ? fireClock(spec, current.createdAt, NOT_KEPT)(Math.max(now, fired ?? now))
          : current.nextFireAt;
        if (timing || timingSent) assertFiresAgain(spec, nextFireAt, now);
        // Nothing stored would change (`{}`, the values as stored, a pause of a paused schedule):
        // no write, so `updatedAt` and `version` say when it last changed, not when it was sent.
        unchanged = nextFireAt === current.nextFireAt && sameSpec(spec, current);
        const next = unchanged
          ? current
          : { ...current, ...spec, nextFireAt, updatedAt: Math.max(now, current.updatedAt + 1) };
        return [next, await this.#fires(next, DEFAULT_NEXT_FIRES, slices, NOT_KEPT)] as const;
      }, options);
      fires = nextFires;
      return next;
    }).catch((error) => {
      throw named ? executorFieldNamed(error, "change schedule") : error;
    });
    if (!unchanged) this.#deps.onChange();
    return answered(updated, fires);
  }

  /**
   * Writes `change(current)` over the schedule as stored, by compare and set on the version read;
   * when another write landed in between, reads it again and applies `change` to that, up to
   * `WRITE_TRIES` times. Retrying (rather than answering 409 at once) is right here: the client
   * named only the fields it changes, never the fire state, so its change applies as well to the
   * fresh read, and a schedule firing every second would otherwise refuse many of its changes.
   * A `change` that answers `current` itself writes nothing.
   *
   * @throws {NotFoundError} when the schedule is gone
   * @throws {FailedPreconditionError} when other writes won every try
   */
  async #rewrite(
    idOrName: string,
    change: (current: Schedule) => Promise<Schedule>,
  ): Promise<Schedule> {
    checkedRef("schedule", idOrName, "/id");
    let id: string | null = null;
    for (let i = 0; i < WRITE_TRIES; i++) {
      // Then by the id found (the name may be another schedule's id).
      const current = await this.#store.scheduleGet(id ?? idOrName, { byId: id !== null });
      if (!current) throw scheduleNotFound(idOrName);
      id = current.id;
      const next = await change(current);
      // `change` found nothing to write.
      if (next === current) return current;
      const written = await this.#store.scheduleUpdate(next);
      if (written) return written;
    }
    throw busyError(`change schedule "${idOrName}"`);
  }

  /** `update` with `enabled: false`. */
  pause(idOrName: string, options: ReadOptions = {}): Promise<ScheduleView> {
    return this.update(idOrName, { enabled: false }, options);
  }

  /** `update` with `enabled: true`. */
  resume(idOrName: string, options: ReadOptions = {}): Promise<ScheduleView> {
    return this.update(idOrName, { enabled: true }, options);
  }

  /** @throws {NotFoundError} {PermissionDeniedError} */
  async delete(idOrName: string, options: CallerOptions = {}): Promise<void> {
    const schedule = await this.#schedule(
      idOrName,
      options.caller ?? ANONYMOUS_ADMIN,
      "schedules.write",
    );
    if (!(await this.#store.scheduleDelete(schedule.id))) {
      throw scheduleNotFound(idOrName);
    }
    this.#deps.onChange();
  }

  /**
   * Creates the schedule's task now, whatever its overlap policy and whether it is paused, and
   * records the fire (`manual: true`) in its history. Every trigger makes its own task and its own
   * line, however many come at once: the line is written by compare and set on a fresh read until
   * it is in (or the request fails saying the task it made).
   *
   * @throws {NotFoundError} {PermissionDeniedError}
   * @throws {InvalidArgumentError} when the data no longer fits the executor's schema
   * @throws {FailedPreconditionError} when other writes kept winning (`WRITE_TRIES`), or the
   *   schedule is a cron in a zone this manager's time zone data does not know (naming
   *   `/timezone`), before any task is made
   * @throws {UnavailableError} {ResourceExhaustedError} from its turn (`#firesInTurn`), in which the
   *   fire times it answers are worked out, from the schedule as read, before any task is made
   */
  async trigger(
    idOrName: string,
    options: ReadOptions = {},
  ): Promise<{ schedule: ScheduleView; taskId: string }> {
    const schedule = await this.#schedule(
      idOrName,
      options.caller ?? ANONYMOUS_ADMIN,
      "schedules.write",
    );
    if (schedule.cron !== null && canonicalTimeZone(schedule.timezone) === null) {
      // Stored by a manager with newer time zone data: recording the fire reads its clock, which
      // threw (500) after the task was made, the task left out of the schedule's history.
      throw new FailedPreconditionError(
        `Cannot trigger schedule "${idOrName}": /timezone: ${UNKNOWN_STORED_ZONE_MESSAGE} (or trigger it through a manager that knows it)`,
      );
    }
    // A trigger leaves the next fire time and the timing where they are.
    const fires = await this.#firesInTurn(
      (slices) => this.#fires(schedule, DEFAULT_NEXT_FIRES, slices),
      options,
    );
    const now = this.#deps.now();
    // Each trigger is its own task: a key of the time alone made triggers in one millisecond
    // share one task (20 at once made 4).
    const { task } = await this.#deps.createTask({
      executorName: schedule.executorName,
      data: schedule.task.data,
      metadata: schedule.task.metadata,
      priority: schedule.task.priority,
      idempotencyKey: `${fireKey(schedule.id, now)}:manual:${this.#deps.newId(now)}`,
    });
    const fire: ScheduleFire = {
      fireAt: now,
      firedAt: now,
      taskId: task.id,
      skipped: null,
      manual: true,
    };
    // The next fire time as read: a trigger leaves it where any other write has put it.
    const recorded = await this.#recordFires(schedule, {
      from: schedule.nextFireAt,
      nextFireAt: schedule.nextFireAt,
      fires: [fire],
      lastTaskId: task.id,
    });
    if (recorded === "written") {
      this.#deps.onChange();
      const stored = (await this.#store.scheduleGet(schedule.id, { byId: true })) ?? schedule;
      return { schedule: answered(stored, fires), taskId: task.id };
    }
    if (recorded === "gone") {
      throw new NotFoundError(
        `Schedule "${idOrName}" was deleted while triggered: task ${task.id} was created and is not in its history`,
      );
    }
    throw busyError(
      `record the trigger of schedule "${idOrName}" (task ${task.id} was created but is not in its history)`,
    );
  }

  /**
   * Merges `outcome` into the schedule's fire state (`mergeFireState`) by compare and set on the
   * version read, on a fresh read each time another write got in, up to `WRITE_TRIES` times (each
   * failed try means another write succeeded, so N writers at once need at most N tries): how it
   * ended — `written`, `recorded` (what is stored holds it all already: another manager's fire),
   * `gone` (the schedule was deleted) or `busy`.
   */
  async #recordFires(
    schedule: Schedule,
    outcome: FireOutcome,
  ): Promise<"written" | "recorded" | "gone" | "busy"> {
    let current: Schedule | null = schedule;
    for (let i = 0; i < WRITE_TRIES; i++) {
      if (!current) return "gone";
      const state = mergeFireState(current, outcome, fireClock(current, current.createdAt));
      if (i > 0 && recordedAlready(current, state)) return "recorded";
      if (await this.#store.scheduleSetFireState(current.id, current.version, state)) {
        return "written";
      }
      current = await this.#store.scheduleGet(schedule.id, { byId: true });
    }
    return current ? "busy" : "gone";
  }

  /**
   * The next `count` fire times of a schedule not saved yet, for a live preview: only the timing
   * fields (`cron` or `every`, `timezone`, `startAt`, `endAt`) are read; intervals count from now.
   *
   * @throws {InvalidArgumentError} naming the bad field
   */
  async preview(input: unknown, options: ReadOptions & { count?: number } = {}): Promise<number[]> {
    const count = this.#count(options.count, "/count");
    if (!isObject(input)) {
      assertNoViolations("Invalid schedule", [{ field: "", message: "Must be an object" }]);
    }
    const violations: FieldViolation[] = [];
    for (const key of Object.keys(input as Record<string, unknown>)) {
      if (![...TIMING_FIELDS, "count"].includes(key)) {
        violations.push({ field: `/${escapePointer(key)}`, message: "Unknown field" });
      }
    }
    const body = withoutEmptyStrings(
      withoutNulls(input as Record<string, unknown>),
      TIMING_FIELDS,
      violations,
      (key) => emptyMessage(key, input as Record<string, unknown>, undefined),
    );
    const times = parseTimes(body, undefined, this.#deps.limits, violations);
    assertNoViolations("Invalid schedule", oncePerEmptyField(violations));
    // Not kept: a preview is sent as the user types, each a timing never stored.
    return await this.#firesInTurn((slices) => {
      const now = this.#deps.now();
      return nextFires(fireClock(times, now, NOT_KEPT), now, count, slices);
    }, options);
  }

  /**
   * Refuses a schema for `executor` that the task data of one of its schedules does not match
   * (checked when the executor's schema is saved).
   *
   * @throws {InvalidArgumentError} naming `/config/taskSchema` and the schedule
   */
  async assertSchedulesFit(executor: Executor): Promise<void> {
    const bad: { schedule: Schedule; first: FieldViolation }[] = [];
    for await (const schedules of this.#allOf(executor.name)) {
      const found = await this.#deps.schemas.violations(
        schedules.map((s) => ({ executor, data: s.task.data, pointer: "/task/data" })),
      );
      schedules.forEach((schedule, i) => {
        if (found[i].length > 0) bad.push({ schedule, first: found[i][0] });
      });
    }
    if (bad.length === 0) return;
    const names = bad.slice(0, 10).map((b) => `"${b.schedule.name}"`).join(", ");
    throw InvalidArgumentError.listing(`Cannot change the schema of executor "${executor.name}"`, [{
      field: "/config/taskSchema",
      message:
        `Must accept the task data of schedule ${names} (change or delete the schedules first): ${
          bad[0].first.field
        }: ${bad[0].first.message}`,
    }]);
  }

  /**
   * Up to `limit` enabled schedules due at `now`, earliest first (by next fire time, then id),
   * after `after` when given (the last schedule of the batch before).
   */
  due(now: number, limit: number, after?: DueCursor): Promise<Schedule[]> {
    return this.#store.scheduleDue({ now, limit, after });
  }

  /**
   * Fires what of `schedule` is due at `now` (see `decideFires`): creates one task per fire, with
   * the idempotency key `schedule:<id>:<fire time>`, skips fires by the overlap and missed-fire
   * policies, then writes the fire state by compare and set on the version read. A fire whose task
   * exists already (another manager made it) is recorded, not made again; when the version moved
   * meanwhile, nothing is written and only the tasks this call created are reported.
   */
  async fireDue(schedule: Schedule, now: number): Promise<FireReport> {
    const report: FireReport = { fired: [], skipped: [] };
    const clock = fireClock(schedule, schedule.createdAt);
    const slices = new ThreadSlices();
    const decision = await decideFires(schedule, now, {
      next: clock,
      graceMs: FIRE_GRACE_MS,
      turn: () => slices.turn(),
    });
    const fires: ScheduleFire[] = [];
    let lastTaskId = schedule.lastTaskId;
    const skip = (fireAt: number, reason: SkipReason, refusal?: Error) => {
      report.skipped.push({ fireAt, reason, ...refusal && { refusal: refusal.message } });
      fires.push({ fireAt, firedAt: now, taskId: null, skipped: reason, manual: false });
    };
    for (const { fireAt, reason } of decision.skip) skip(fireAt, reason);
    // Overlap is with the task of a fire before this pass: the fires of one catch-up (`run_each`)
    // are all due now, and each would otherwise find the task the one before it just made.
    let busy = false;
    if (schedule.overlapPolicy === "skip" && lastTaskId !== null && decision.fire.length > 0) {
      const last = await this.#deps.store.taskGet(lastTaskId);
      busy = last !== null && (last.status === "pending" || last.status === "in_progress");
    }
    for (const fireAt of decision.fire) {
      if (busy) {
        skip(fireAt, "overlap");
        continue;
      }
      let outcome: CreatedTask;
      try {
        outcome = await this.#deps.createTask({
          executorName: schedule.executorName,
          data: schedule.task.data,
          metadata: schedule.task.metadata,
          priority: schedule.task.priority,
          // The fire time plus the jitter, however late the fire was made: counted from the
          // making (`max(now, fireAt) + …`), a 900 ms jitter put an on-time fire's task 941 ms
          // after its fire time, a catch-up's 3 s. A time already past is a task ready now.
          runAt: schedule.jitterMs > 0
            ? fireAt + Math.floor(this.#random() * schedule.jitterMs)
            : undefined,
          idempotencyKey: fireKey(schedule.id, fireAt),
        });
      } catch (error) {
        if (error instanceof InvalidArgumentError) skip(fireAt, "invalid_data", error);
        // Not the outcome of a create racing the executor's delete (the stores refuse such a
        // schedule, and the delete takes the executor's schedules along); but a fire may still
        // meet it on MongoDB while a delete sweeps, or for a schedule a crash during a delete
        // (MongoDB) or an older version of the manager left behind.
        else if (error instanceof NotFoundError) skip(fireAt, "executor_missing", error);
        else throw error;
        continue;
      }
      // Not created: another manager (or an earlier try of ours that could not record it) made
      // this fire's task. The fire is recorded with it all the same, so the schedule moves on.
      lastTaskId = outcome.task.id;
      if (outcome.created) {
        report.fired.push({ fireAt, taskId: outcome.task.id, latenessMs: now - fireAt });
      }
      fires.push({ fireAt, firedAt: now, taskId: outcome.task.id, skipped: null, manual: false });
    }
    // Written by compare and set. When another write got in (a change of settings, a trigger,
    // another manager's fire), the fire is merged into the schedule as it is now: its lines join
    // the history once and the next fire time never goes back to a time handled here, so a
    // change racing a fire neither drops its lines nor makes the next tick fire it again.
    const outcome = {
      from: schedule.nextFireAt,
      nextFireAt: decision.nextFireAt,
      fires,
      lastTaskId: lastTaskId === schedule.lastTaskId ? null : lastTaskId,
    };
    if (await this.#recordFires(schedule, outcome) === "written") return report;
    // Another manager recorded this fire (or the schedule is gone): only our tasks are ours.
    return { fired: report.fired, skipped: [] };
  }
}

/**
 * Whether `spec` holds what `stored` holds, field by field as stored (a zone stored under another
 * of its names is written again, by its one name).
 */
function sameSpec(spec: ScheduleSpec, stored: Schedule): boolean {
  return (Object.keys(spec) as (keyof ScheduleSpec)[]).every((key) =>
    JSON.stringify(spec[key]) === JSON.stringify(stored[key])
  );
}

/** Whether writing `state` would change nothing of `schedule`'s fire state. */
function recordedAlready(
  schedule: Schedule,
  state: Pick<Schedule, "nextFireAt" | "lastTaskId" | "lastFires">,
): boolean {
  return schedule.nextFireAt === state.nextFireAt &&
    schedule.lastTaskId === state.lastTaskId &&
    JSON.stringify(schedule.lastFires) === JSON.stringify(state.lastFires);
}

/** The answer for a schedule that does not exist, or whose executor the caller's key does not reach. */
/**
 * A missing executor's refusal that names no field (`executorMissingError`: the read's, or the
 * store's for an executor deleted since) as one naming the request's `/executorName`, as a task's
 * create names its own: `Cannot create schedule: /executorName: Executor "x" does not exist`.
 * Anything else is answered as it is.
 */
function executorFieldNamed(error: unknown, what: string): unknown {
  if (!(error instanceof ExecutorNotFoundError) || error.listed !== undefined) return error;
  return ExecutorNotFoundError.listing(error.executor, `Cannot ${what}`, [
    { field: "/executorName", message: `Executor "${error.executor}" does not exist` },
  ]);
}

/** `stored` as answered: with `nextFires`, and by its zone's one name (`canonicalTimeZone`). */
function answered(stored: Schedule, nextFires: number[]): ScheduleView {
  // A zone stored before zones were kept by their one name is answered by it all the same.
  const zone = canonicalTimeZone(stored.timezone);
  return { ...stored, timezone: zone ?? stored.timezone, nextFires };
}

function scheduleNotFound(idOrName: string): NotFoundError {
  return new NotFoundError(`Schedule "${idOrName}" does not exist`);
}

/**
 * What a write is told when other writes of the schedule won every try (`WRITE_TRIES`): 409, try
 * again. (gRPC's ABORTED would say it better; the transports map no error to it yet.)
 */
function busyError(what: string): FailedPreconditionError {
  return new FailedPreconditionError(
    `Cannot ${what}: other writes of the schedule won each of ${WRITE_TRIES} tries; try again`,
  );
}
