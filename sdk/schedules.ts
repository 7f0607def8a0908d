/**
 * Schedules through `Client.schedules`: create, read, change, pause, resume, trigger, preview
 * and delete the schedules that create tasks on a cron expression or a fixed interval, and
 * `register` (create or bring up to date) for schedules declared next to a handler in a `Worker`.
 */
import {
  durationFromMs,
  ENUM_PREFIX,
  fromEnum,
  jsonOfValue,
  type TimeMessage,
} from "@tasks-executor/proto";
import {
  checkedValueBytes,
  enumField,
  enumName,
  msOfDuration,
  pageLimit,
  requiredDate,
  toDate,
  toTimestamp,
} from "./_grpc.ts";
import {
  ConflictError,
  type FieldViolation,
  InvalidArgumentError,
  NotFoundError,
} from "./errors.ts";
import { checkFields, checkOptions, type FieldSpec, refuseViolations } from "./_fields.ts";
import { describeViolations } from "./schema.ts";
import { stringArgument } from "./_args.ts";
import type {
  MissedFirePolicy,
  OverlapPolicy,
  ScheduleConfig,
  ScheduleSkipReason,
  ScheduleTask,
} from "./schedule_config.ts";

/** One fire of a schedule: the task it created, or why it made none. */
export interface ScheduleFire {
  /** The fire time the schedule named (for a trigger: when it was asked for). */
  fireAt: Date;
  /** When a manager fired it. */
  firedAt: Date;
  /** The task it created; `null` when skipped. */
  taskId: string | null;
  /** Why it made no task; `null` when it made one. */
  skipped: ScheduleSkipReason | null;
  /** `true` for `trigger`. */
  manual: boolean;
}

/** A stored schedule, with its next fire times and its latest fires. */
export interface Schedule<TData = unknown> {
  /** Id of the schedule. */
  id: string;
  /** Its unique name. */
  name: string;
  /** The executor that runs its tasks. */
  executorName: string;
  /** Its cron expression; `null` with `every`. */
  cron: string | null;
  /** Its interval in ms; `null` with `cron`. */
  every: number | null;
  /** IANA time zone of `cron`, by the one name the manager keeps for it (`Europe/Paris`). */
  timezone: string;
  /** The task each fire creates. */
  task: Required<ScheduleTask<TData>>;
  /** `false` while paused. */
  enabled: boolean;
  /** Whether a fire may start while the previous one's task runs. */
  overlapPolicy: OverlapPolicy;
  /** What happens to fires missed during downtime. */
  missedFirePolicy: MissedFirePolicy;
  /** Cap of one catch-up under `run_each`. */
  maxMissedFires: number;
  /** Random delay of each fire's task, up to this many ms. */
  jitter: number;
  /** No fire before this time. */
  startAt: Date | null;
  /** No fire after this time. */
  endAt: Date | null;
  /** The next fire; `null` while paused or past `endAt`. */
  nextFireAt: Date | null;
  /** The next fire times (5 unless asked otherwise). */
  nextFires: Date[];
  /** The latest fires, newest first. */
  lastFires: ScheduleFire[];
  /** When it was created. */
  createdAt: Date;
  /** When it last changed. */
  updatedAt: Date;
}

/**
 * The range of a count of fire times (`fires`, a preview's `count`) and of `maxMissedFires`: the
 * manager's `limits.scheduleFires` (DEFAULT_LIMITS), which the SDK cannot import (it imports
 * nothing but proto/); tests/sdk_config_rules_test.ts holds the two equal.
 */
export const SCHEDULE_FIRES_BOUND: { min: number; max: number } = { min: 1, max: 100 };

/** What the manager says of a count of fire times out of `SCHEDULE_FIRES_BOUND`. */
const FIRES_MESSAGE =
  `Must be a whole number from ${SCHEDULE_FIRES_BOUND.min} to ${SCHEDULE_FIRES_BOUND.max}`;

/** Whether `value` is a whole number in `SCHEDULE_FIRES_BOUND`. */
function inFiresBound(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) &&
    value >= SCHEDULE_FIRES_BOUND.min && value <= SCHEDULE_FIRES_BOUND.max;
}

/**
 * A count of fire times to list as its request field, where 0 stands for "not given" (the default,
 * 5; so do `undefined` and `null`): a count that is not a whole number from 1 to 100 is refused
 * here, with the manager's answer word for word (`Invalid fire times: /fires: …`, a preview's
 * `/count`), rather than sent: 0 was answered with 5 fire times.
 *
 * @throws {InvalidArgumentError} naming `field` (nothing is sent)
 */
function fireCount(count: unknown, field: "/fires" | "/count"): number {
  if (count === undefined || count === null) return 0;
  if (inFiresBound(count)) return count;
  throw new InvalidArgumentError(`Invalid fire times: ${field}: ${FIRES_MESSAGE}`, 3, [
    { field, message: FIRES_MESSAGE },
  ]);
}

/** Which schedules `listPage` answers, and from where. */
export interface ScheduleListOptions {
  /** Only this executor's schedules. */
  executorName?: string;
  /** Next fire times per schedule: 1 to 100 (default, or `null`: 5; 0 is refused). */
  fires?: number | null;
  /** `nextCursor` of the previous page (`null` or left out: the first). */
  cursor?: string | null;
  /** Page size: 1 to 1000 (default, or `null`: 50; 0 is refused, as REST refuses it). */
  limit?: number | null;
}

/** One page of schedules. */
export interface SchedulePage {
  /** The schedules of this page, by name. */
  schedules: Schedule[];
  /** Pass as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

// deno-lint-ignore no-explicit-any
type Message = Record<string, any>;
type Call = <T>(method: string, request: unknown) => Promise<T>;

/**
 * The fields of a schedule's configuration and of its task, with their kinds (`checkFields`);
 * the task's data, the policies and the times are checked apart.
 */
const SCHEDULE_FIELDS: FieldSpec = {
  executorName: "string?null",
  cron: "string?null",
  every: "ms?null",
  timezone: "string?null",
  task: "object?null",
  enabled: "boolean?null",
  overlapPolicy: "any",
  missedFirePolicy: "any",
  maxMissedFires: "any",
  jitter: "ms?null",
  startAt: "any",
  endAt: "any",
};
/** The fields of `SCHEDULE_FIELDS`, each of any kind: what a preview takes without refusing. */
const ANY_SCHEDULE_FIELD: FieldSpec = Object.fromEntries(
  Object.keys(SCHEDULE_FIELDS).map((field) => [field, "any"]),
);
const SCHEDULE_TASK_FIELDS: FieldSpec = {
  data: "any",
  metadata: "strings?null",
  priority: "int32?null",
};

/** The options of `schedules.list`; `fires` is checked by `fireCount`. */
const LIST_FIELDS: FieldSpec = { executorName: "string?null", fires: "any" };

/** The options of `schedules.listPage`; `limit` is checked by `pageLimit`. */
const LIST_PAGE_FIELDS: FieldSpec = { ...LIST_FIELDS, cursor: "string?null", limit: "any" };

/**
 * The `ScheduleConfig` message of the fields given (unset ones are kept by an update); the task's
 * data nests at most `maxDepth` levels (`checkedValueBytes`). A field is named where the request
 * holds it (`/config/every`, `/config/task/data/…`), as the manager names it.
 *
 * @throws {InvalidArgumentError} for task data that is not JSON the manager keeps, or a policy
 *   name the protocol does not have
 */
function configToMessage(
  name: string,
  config: Partial<ScheduleConfig>,
  maxDepth: number,
): Message {
  const violations: FieldViolation[] = [];
  if (checkFields(config, SCHEDULE_FIELDS, "/config", violations) && config.task !== null) {
    checkFields(config.task, SCHEDULE_TASK_FIELDS, "/config/task", violations);
  }
  // Judged whole by the manager's one rule, in its words: a 0 would be sent as "not given" (the
  // default, 10, on a create; kept on an update), where REST refuses it.
  const { maxMissedFires } = config as Record<string, unknown>;
  if (maxMissedFires !== undefined && maxMissedFires !== null && !inFiresBound(maxMissedFires)) {
    violations.push({ field: "/config/maxMissedFires", message: FIRES_MESSAGE });
  }
  refuseViolations("Invalid schedule", violations);
  // `null` is not given, as REST reads it; but for `startAt` and `endAt`, whose `null` clears them.
  const message: Message = { name };
  if (config.executorName != null) message.executorName = config.executorName;
  if (config.cron != null) message.cron = config.cron;
  if (config.every != null) message.every = durationFromMs(config.every);
  if (config.timezone != null) message.timezone = config.timezone;
  if (config.task != null) {
    message.task = {
      // Named as the manager names what it refuses in a schedule (`/config/task/data/…`).
      data: checkedValueBytes(config.task.data ?? null, {
        pointer: "/config/task/data",
        maxDepth,
        describe: (violation) => `Invalid schedule: ${describeViolations([violation])}`,
      }),
      metadata: config.task.metadata ?? {},
      priority: config.task.priority ?? 0,
    };
  }
  if (config.enabled != null) message.enabled = config.enabled;
  if (config.overlapPolicy) {
    message.overlapPolicy = enumField(
      ENUM_PREFIX.overlapPolicy,
      config.overlapPolicy,
      "/config/overlapPolicy",
    );
  }
  if (config.missedFirePolicy) {
    message.missedFirePolicy = enumField(
      ENUM_PREFIX.missedFirePolicy,
      config.missedFirePolicy,
      "/config/missedFirePolicy",
    );
  }
  if (config.maxMissedFires != null) message.maxMissedFires = config.maxMissedFires;
  if (config.jitter != null) message.jitter = durationFromMs(config.jitter);
  // A zero (epoch) time is how the wire clears one.
  for (const key of ["startAt", "endAt"] as const) {
    const time = config[key];
    if (time !== undefined) message[key] = toTimestamp(time ?? 0, `/${key}`);
  }
  return message;
}

/**
 * The `ScheduleConfig` message that creates schedule `name`: what `create` and `register` send
 * first, and what a worker checks of each schedule it declares before registering anything.
 *
 * @throws {InvalidArgumentError} as `configToMessage`, or for a name that is not a string
 */
export function scheduleCreateMessage(
  name: string,
  config: Partial<ScheduleConfig>,
  maxDepth: number,
): Message {
  stringArgument(name, "/config/name", "Invalid schedule");
  return configToMessage(name, config, maxDepth);
}

function fireFromMessage(message: Message): ScheduleFire {
  return {
    fireAt: requiredDate(message.fireAt),
    firedAt: requiredDate(message.firedAt),
    taskId: message.taskId || null,
    skipped: (fromEnum(ENUM_PREFIX.scheduleSkipReason, message.skipped) ?? null) as
      | ScheduleSkipReason
      | null,
    manual: message.manual,
  };
}

function scheduleFromMessage(message: Message): Schedule {
  return {
    id: message.id,
    name: message.name,
    executorName: message.executorName,
    cron: message.cron || null,
    every: msOfDuration(message.every as TimeMessage | null) ?? null,
    timezone: message.timezone,
    task: {
      data: jsonOfValue(message.task?.data),
      metadata: { ...message.task?.metadata },
      priority: message.task?.priority ?? 0,
    },
    enabled: message.enabled,
    overlapPolicy: fromEnum(ENUM_PREFIX.overlapPolicy, message.overlapPolicy) as OverlapPolicy,
    missedFirePolicy: fromEnum(
      ENUM_PREFIX.missedFirePolicy,
      message.missedFirePolicy,
    ) as MissedFirePolicy,
    maxMissedFires: message.maxMissedFires,
    jitter: msOfDuration(message.jitter) ?? 0,
    startAt: toDate(message.startAt),
    endAt: toDate(message.endAt),
    nextFireAt: toDate(message.nextFireAt),
    nextFires: (message.nextFires ?? []).map((t: TimeMessage) => requiredDate(t)),
    lastFires: (message.lastFires ?? []).map(fireFromMessage),
    createdAt: requiredDate(message.createdAt),
    updatedAt: requiredDate(message.updatedAt),
  };
}

/**
 * The one name of the time zone `zone` names, as the manager keeps it (`europe/paris` and
 * `Europe/Paris` are `Europe/Paris`, `US/Eastern` is `America/New_York`), read by this runtime's
 * `Intl`; a name it does not know, as it is.
 */
function timeZoneName(zone: string | undefined): string | undefined {
  if (zone === undefined) return undefined;
  try {
    const name = new Intl.DateTimeFormat("en", { timeZone: zone }).resolvedOptions().timeZone;
    // A zero offset (`+00:00`, `-0000`), which ICU names `+00:00`, is kept as `UTC`.
    return name === "+00:00" ? "UTC" : name;
  } catch {
    return zone;
  }
}

/** The fields of `declared` whose value differs from `stored`. */
function differing(declared: ScheduleConfig, stored: Schedule): string[] {
  // The epoch is none, as the manager reads it (the wire's zero timestamp).
  const ms = (time: Date | number | null | undefined) =>
    (time instanceof Date ? time.getTime() : time) || null;
  // The manager keeps a cron's fields one space apart (`0  9\t* * *` is kept as `0 9 * * *`);
  // one stored before it did may hold other whitespace.
  const fields = (cron: string | null | undefined) =>
    cron === undefined || cron === null ? null : cron.trim().split(/\s+/).join(" ");
  const same: Record<string, () => boolean> = {
    cron: () => fields(declared.cron) === fields(stored.cron),
    every: () => (declared.every ?? null) === stored.every,
    // The manager keeps a zone by its one name; both sides are read here, so that a stored name
    // from before it did, or a runtime whose time zone data names the zone otherwise, still
    // compares equal.
    timezone: () => timeZoneName(declared.timezone) === timeZoneName(stored.timezone),
    task: () =>
      JSON.stringify([declared.task?.data ?? null, declared.task?.metadata ?? {}]) ===
        JSON.stringify([stored.task.data, stored.task.metadata]) &&
      (declared.task?.priority ?? 0) === stored.task.priority,
    enabled: () => declared.enabled === stored.enabled,
    // Either form of a name (`allow`, `OVERLAP_POLICY_ALLOW`) is the same value.
    overlapPolicy: () =>
      enumName(ENUM_PREFIX.overlapPolicy, declared.overlapPolicy) === stored.overlapPolicy,
    missedFirePolicy: () =>
      enumName(ENUM_PREFIX.missedFirePolicy, declared.missedFirePolicy) ===
        stored.missedFirePolicy,
    maxMissedFires: () => declared.maxMissedFires === stored.maxMissedFires,
    jitter: () => declared.jitter === stored.jitter,
    startAt: () => ms(declared.startAt) === ms(stored.startAt),
    endAt: () => ms(declared.endAt) === ms(stored.endAt),
  };
  // A field `null` is not given (but `startAt` and `endAt`, whose `null` is none).
  const given = (key: string) =>
    key === "startAt" || key === "endAt"
      ? declared[key] !== undefined
      : declared[key as keyof ScheduleConfig] != null;
  return Object.keys(same).filter((key) => given(key) && !same[key]());
}

/**
 * `nameOrId`, a schedule's name or id argument (`/id`, as the manager names it).
 *
 * @throws {InvalidArgumentError} when it is not a string (nothing is sent)
 */
function scheduleRef(nameOrId: unknown): string {
  return stringArgument(nameOrId, "/id", "Invalid schedule id or name");
}

/**
 * The schedule calls of a `Client` (`client.schedules`). Errors are the SDK's error classes:
 * `NotFoundError`, `InvalidArgumentError` (naming each bad field by JSON pointer),
 * `ConflictError` for a name in use, `PermissionDeniedError`-like `ManagerError`s for keys that
 * may not write schedules.
 *
 * @example Run a report every night in Berlin, and run it once now
 * ```ts
 * import { Client } from "@tasks-executor/sdk";
 * using client = new Client({ address: "localhost:50051" });
 * const schedule = await client.schedules.create("nightly_report", {
 *   executorName: "send_report",
 *   cron: "30 2 * * *",
 *   timezone: "Europe/Berlin",
 *   task: { data: { kind: "daily" } },
 * });
 * console.log(schedule.nextFires[0]);
 * const { taskId } = await client.schedules.trigger("nightly_report");
 * console.log(taskId);
 * ```
 */
export class ScheduleClient {
  readonly #call: Call;
  readonly #maxDepth: number;

  /**
   * Used by `Client`; `call` makes one unary call of the management API, `maxDepth` is the
   * client's `limits.jsonDepth` (default 64, as the manager's).
   */
  constructor(call: Call, maxDepth = 64) {
    this.#call = call;
    this.#maxDepth = maxDepth;
  }

  async #one(method: string, request: unknown): Promise<Schedule> {
    const response = await this.#call<{ schedule: Message }>(method, request);
    return scheduleFromMessage(response.schedule);
  }

  /**
   * Creates a schedule named `name` (1-128 characters of a-z, 0-9, `_`, `.` or `-`).
   *
   * @throws {ConflictError} when the name is taken
   * @throws {InvalidArgumentError} for a bad field, or task data that breaks the schema
   */
  async create<TData>(name: string, config: ScheduleConfig<TData>): Promise<Schedule<TData>> {
    const message = scheduleCreateMessage(name, config, this.#maxDepth);
    return await this.#one("CreateSchedule", { config: message }) as Schedule<TData>;
  }

  /**
   * One page of schedules (of one executor when given), by name, with `fires` next fire times
   * each: up to `limit` (default 50, at most 1000), fewer when they would take 2 MiB or more.
   *
   * @throws {InvalidArgumentError} naming `/limit` when it is not a whole number from 1 to 1000,
   *   or `/fires` when it is not one from 1 to 100 (nothing is sent)
   *
   * @example Every schedule, a page at a time
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * let cursor: string | undefined;
   * do {
   *   const page = await client.schedules.listPage({ cursor });
   *   for (const schedule of page.schedules) console.log(schedule.name, schedule.nextFireAt);
   *   cursor = page.nextCursor ?? undefined;
   * } while (cursor);
   * ```
   */
  async listPage(options: ScheduleListOptions = {}): Promise<SchedulePage> {
    checkOptions(options, LIST_PAGE_FIELDS, "Invalid schedule list");
    const response = await this.#call<{ schedules: Message[]; nextCursor: string }>(
      "ListSchedules",
      {
        executorName: options.executorName ?? "",
        fires: fireCount(options.fires, "/fires"),
        cursor: options.cursor ?? "",
        limit: pageLimit(options.limit, "Invalid schedule filter"),
      },
    );
    return {
      schedules: response.schedules.map(scheduleFromMessage),
      nextCursor: response.nextCursor || null,
    };
  }

  /**
   * Every schedule (of one executor when given), by name, with `fires` next fire times each:
   * `listPage` called until the last page (a store holds at most 10,000 schedules).
   */
  async list(options: { executorName?: string; fires?: number } = {}): Promise<Schedule[]> {
    // Checked here: `listPage`'s own fields (`cursor`, `limit`) would be overwritten, not refused.
    checkOptions(options, LIST_FIELDS, "Invalid schedule list");
    const schedules: Schedule[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listPage({ ...options, cursor, limit: 1000 });
      schedules.push(...page.schedules);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return schedules;
  }

  /**
   * Reads one schedule by name or id, with its next `fires` fire times (1 to 100; default 5).
   *
   * @throws {NotFoundError} {InvalidArgumentError} (`fires` not a whole number from 1 to 100)
   */
  async get(nameOrId: string, options: { fires?: number | null } = {}): Promise<Schedule> {
    scheduleRef(nameOrId);
    checkOptions(options, { fires: "any" }, "Invalid schedule query");
    return await this.#one("GetSchedule", {
      id: nameOrId,
      fires: fireCount(options.fires, "/fires"),
    });
  }

  /**
   * Changes the fields given, keeping the others (timing changes count the next fire from now).
   *
   * @throws {NotFoundError} {InvalidArgumentError}
   */
  async update(nameOrId: string, config: Partial<ScheduleConfig>): Promise<Schedule> {
    scheduleRef(nameOrId);
    const message = configToMessage("", config, this.#maxDepth);
    return await this.#one("UpdateSchedule", { id: nameOrId, config: message });
  }

  /** Stops the schedule firing (no catch-up on resume). @throws {NotFoundError} */
  async pause(nameOrId: string): Promise<Schedule> {
    return await this.#one("PauseSchedule", { id: scheduleRef(nameOrId) });
  }

  /** Lets a paused schedule fire again, from now on. @throws {NotFoundError} */
  async resume(nameOrId: string): Promise<Schedule> {
    return await this.#one("ResumeSchedule", { id: scheduleRef(nameOrId) });
  }

  /** Deletes the schedule (the tasks it made stay). @throws {NotFoundError} */
  async delete(nameOrId: string): Promise<void> {
    scheduleRef(nameOrId);
    await this.#call("DeleteSchedule", { id: nameOrId });
  }

  /**
   * Creates the schedule's task now, paused or not, and records the fire in its history.
   *
   * @throws {NotFoundError} {InvalidArgumentError} when the data no longer fits the schema
   */
  async trigger(nameOrId: string): Promise<{ schedule: Schedule; taskId: string }> {
    scheduleRef(nameOrId);
    const response = await this.#call<{ schedule: Message; taskId: string }>(
      "TriggerSchedule",
      { id: nameOrId },
    );
    return { schedule: scheduleFromMessage(response.schedule), taskId: response.taskId };
  }

  /**
   * The next `count` fire times (default 5, at most 100) of timing settings not saved yet (`cron`
   * or `every`, `timezone`, `startAt`, `endAt`; intervals count from now).
   *
   * @throws {InvalidArgumentError} naming the bad field; `/count` for a count that is not a whole
   *   number from 1 to 100 (refused before it is sent, as REST refuses it)
   */
  async preview(
    timing: Pick<ScheduleConfig, "cron" | "every" | "timezone" | "startAt" | "endAt">,
    options: { count?: number | null } = {},
  ): Promise<Date[]> {
    checkOptions(options, { count: "any" }, "Invalid schedule preview");
    // A whole `ScheduleConfig` may be given, of which only the timing fields are sent; a field no
    // schedule has (a misspelt `timezon`) is refused, not left out.
    checkOptions(timing, ANY_SCHEDULE_FIELD, "Invalid schedule", "/config");
    const { cron, every, timezone, startAt, endAt } = timing;
    const response = await this.#call<{ nextFires: TimeMessage[] }>("PreviewSchedule", {
      config: configToMessage("", { cron, every, timezone, startAt, endAt }, this.#maxDepth),
      count: fireCount(options.count, "/count"),
    });
    return response.nextFires.map((t) => requiredDate(t));
  }

  /**
   * Creates the schedule, or, when one of this name exists for the same executor, changes the
   * fields of `config` whose stored value differs (none differing = no write, so a restart does
   * not move its next fire). Fields `config` leaves out keep their stored value, so a pause made
   * elsewhere survives unless `config` sets `enabled`. Between two callers declaring different
   * settings, the later call wins. A schedule that has ended (its `endAt` past, which a create
   * refuses) is compared so too: a worker declaring it still starts.
   *
   * @throws {ConflictError} when the name belongs to a schedule of another executor
   * @throws {InvalidArgumentError}
   */
  async register(name: string, config: ScheduleConfig): Promise<Schedule> {
    stringArgument(name, "/config/name", "Invalid schedule");
    let found: Schedule | undefined;
    try {
      return await this.create(name, config);
    } catch (error) {
      // A create may be refused before its name is looked at (an `endAt` now past: "Never fires
      // from now on"): a schedule of that name is then compared as one found taken would be.
      if (!(error instanceof ConflictError)) {
        found = await this.get(name).catch((lookup) => {
          throw lookup instanceof NotFoundError ? error : lookup;
        });
      }
    }
    const stored = found ?? await this.get(name);
    if (stored.executorName !== config.executorName) {
      throw new ConflictError(
        `Cannot declare schedule "${name}" for executor "${config.executorName}": it exists for executor "${stored.executorName}"`,
        6, // ALREADY_EXISTS
      );
    }
    const changed = differing(config, stored);
    if (changed.length === 0) return stored;
    const update = Object.fromEntries(
      changed.map((key) => [key, config[key as keyof ScheduleConfig]]),
    );
    // A timing change is sent whole: `every` replaces `cron` and the other way round.
    if (changed.includes("cron") || changed.includes("every")) {
      Object.assign(update, { cron: config.cron, every: config.every });
    }
    return await this.update(name, update);
  }
}
