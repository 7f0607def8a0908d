/**
 * The schedule rpcs of `TaskExecutorManagerService`: one call of the schedule service each, and
 * the conversions between `Schedule`/`ScheduleConfig` messages and the service's JSON shapes.
 */
import type * as grpc from "@grpc/grpc-js";
import {
  durationFromMs,
  ENUM_PREFIX,
  fromEnum,
  type TimeMessage,
  timestampFromMs,
  toEnum,
  valueBytesOf,
  type ValueField,
} from "@tasks-executor/proto";
import type { FieldViolation } from "../domain/errors.ts";
import { nestPointers } from "../domain/pointers.ts";
import { formatInterval, type ScheduleFire } from "../domain/schedule.ts";
import type { ScheduleView } from "../service/schedules.ts";
import type { Service } from "../service/service.ts";
import { assertJsonFields, durationField, jsonField, timestampField } from "./convert.ts";
import { unary } from "./unary.ts";

type Obj = Record<string, unknown>;

/** A `ScheduleConfig` message as decoded (every field optional: proto3 presence rules below). */
export interface ScheduleConfigMessage {
  name?: string;
  executorName?: string;
  cron?: string;
  every?: TimeMessage | null;
  timezone?: string;
  task?:
    | { data?: ValueField | null; metadata?: Record<string, string>; priority?: number }
    | null;
  enabled?: boolean | null;
  overlapPolicy?: string | number;
  missedFirePolicy?: string | number;
  maxMissedFires?: number;
  jitter?: TimeMessage | null;
  startAt?: TimeMessage | null;
  endAt?: TimeMessage | null;
}

const TIMING = ["cron", "every", "timezone", "startAt", "endAt"];

/**
 * Where a request holds its `ScheduleConfig`: a field of it is named under it (`/config/every`,
 * `/config/task/data/…`), as `/config/timeout` is in `CreateExecutor`.
 */
const CONFIG = "/config";

/**
 * `run`'s answer; a field it refuses is named in the request (`/config/every`), not from the
 * config's root (`/every`) as the service names it for REST's bare body, but for `beside`, the
 * request's fields outside `config` (`/id`, `/count`).
 */
async function inConfig<T>(run: () => Promise<T>, beside: readonly string[]): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw nestPointers(error, CONFIG, beside);
  }
}

/**
 * Reads a `ScheduleConfig` message into the untrusted input `parseScheduleSpec` takes, copying
 * only the fields the caller set, so that an update keeps the others: empty strings, zero
 * numbers, unspecified enums and unset messages are "not set"; `enabled` has presence; `every`
 * and `jitter` become interval text (`"5m"`); a zero (epoch) `start_at` or `end_at` clears it.
 * A field is named where the request holds it (`/config/every`).
 *
 * @throws {InvalidArgumentError} when `task.data` nests deeper than `maxDepth`, or a `Duration` or
 *   `Timestamp` is one its well-known type does not allow
 */
export function scheduleInputFromMessage(
  message: ScheduleConfigMessage | null | undefined,
  options: { maxDepth: number },
): Obj {
  const input: Obj = {};
  if (!message) return input;
  for (const key of ["name", "executorName", "cron", "timezone"] as const) {
    if (message[key]) input[key] = message[key];
  }
  const every = durationField(message.every, `${CONFIG}/every`);
  if (every !== undefined) input.every = formatInterval(every);
  const jitter = durationField(message.jitter, `${CONFIG}/jitter`);
  if (jitter !== undefined) input.jitter = formatInterval(jitter);
  for (const key of ["startAt", "endAt"] as const) {
    const ms = timestampField(message[key], `${CONFIG}/${key}`);
    if (ms !== undefined) input[key] = ms;
  }
  if (message.enabled !== undefined && message.enabled !== null) input.enabled = message.enabled;
  const overlap = fromEnum(ENUM_PREFIX.overlapPolicy, message.overlapPolicy);
  if (overlap) input.overlapPolicy = overlap;
  const missed = fromEnum(ENUM_PREFIX.missedFirePolicy, message.missedFirePolicy);
  if (missed) input.missedFirePolicy = missed;
  if (message.maxMissedFires) input.maxMissedFires = message.maxMissedFires;
  if (message.task) {
    const violations: FieldViolation[] = [];
    const data = jsonField(message.task.data, `${CONFIG}/task/data`, {
      maxDepth: options.maxDepth,
      violations,
    });
    assertJsonFields(violations);
    input.task = {
      data: data ?? null,
      metadata: message.task.metadata ?? {},
      priority: message.task.priority ?? 0,
    };
  }
  return input;
}

function fireToMessage(fire: ScheduleFire): Obj {
  return {
    fireAt: timestampFromMs(fire.fireAt),
    firedAt: timestampFromMs(fire.firedAt),
    taskId: fire.taskId ?? "",
    skipped: toEnum(ENUM_PREFIX.scheduleSkipReason, fire.skipped),
    manual: fire.manual,
  };
}

/** A schedule as a `Schedule` message (history newest first, as REST answers it). */
export function scheduleToMessage(schedule: ScheduleView): Obj {
  return {
    id: schedule.id,
    name: schedule.name,
    executorName: schedule.executorName,
    cron: schedule.cron ?? "",
    every: durationFromMs(schedule.every),
    timezone: schedule.timezone,
    task: {
      data: valueBytesOf(schedule.task.data),
      metadata: schedule.task.metadata,
      priority: schedule.task.priority,
    },
    enabled: schedule.enabled,
    overlapPolicy: toEnum(ENUM_PREFIX.overlapPolicy, schedule.overlapPolicy),
    missedFirePolicy: toEnum(ENUM_PREFIX.missedFirePolicy, schedule.missedFirePolicy),
    maxMissedFires: schedule.maxMissedFires,
    jitter: durationFromMs(schedule.jitterMs),
    startAt: timestampFromMs(schedule.startAt),
    endAt: timestampFromMs(schedule.endAt),
    nextFireAt: schedule.enabled ? timestampFromMs(schedule.nextFireAt) : null,
    nextFires: schedule.nextFires.map((ms) => timestampFromMs(ms)),
    lastFires: schedule.lastFires.toReversed().map(fireToMessage),
    createdAt: timestampFromMs(schedule.createdAt),
    updatedAt: timestampFromMs(schedule.updatedAt),
  };
}

/** `fires` / `count`: 0 (unset) leaves the service's default. */
const countOf = (value: unknown) => (typeof value === "number" && value !== 0 ? value : undefined);

/**
 * `ListSchedules`: one page; a call cancelled (by its client, or its deadline) stops working out
 * fire times, and its page ends there.
 */
function listSchedules(service: Service): grpc.handleUnaryCall<Obj, unknown> {
  const handle = (signal: AbortSignal) =>
    unary(async (req, caller) => {
      const page = await service.schedules.list(
        { executorName: req.executorName || undefined, fires: countOf(req.fires) },
        { cursor: req.cursor, limit: req.limit },
        { caller, signal },
      );
      return { schedules: page.items.map(scheduleToMessage), nextCursor: page.nextCursor ?? "" };
    });
  return (call, callback) => {
    const cancelled = new AbortController();
    call.once("cancelled", () => cancelled.abort());
    handle(cancelled.signal)(call, callback);
  };
}

/** The schedule rpcs, to spread into the `TaskExecutorManagerService` implementation. */
export function scheduleMethods(service: Service): grpc.UntypedServiceImplementation {
  const schedules = service.schedules;
  const maxDepth = service.limits.jsonDepth;
  const answer = (schedule: ScheduleView) => ({ schedule: scheduleToMessage(schedule) });
  return {
    CreateSchedule: unary(async (req, caller) => {
      const input = scheduleInputFromMessage(req.config, { maxDepth });
      return answer(await inConfig(() => schedules.create(input, { caller }), []));
    }),
    ListSchedules: listSchedules(service),
    GetSchedule: unary(async (req, caller) =>
      answer(await schedules.get(req.id, { caller, fires: countOf(req.fires) }))
    ),
    UpdateSchedule: unary(async (req, caller) => {
      const input = scheduleInputFromMessage(req.config, { maxDepth });
      return answer(await inConfig(() => schedules.update(req.id, input, { caller }), ["/id"]));
    }),
    DeleteSchedule: unary(async (req, caller) => {
      await schedules.delete(req.id, { caller });
      return { deleted: true };
    }),
    PauseSchedule: unary(async (req, caller) => answer(await schedules.pause(req.id, { caller }))),
    ResumeSchedule: unary(async (req, caller) =>
      answer(await schedules.resume(req.id, { caller }))
    ),
    TriggerSchedule: unary(async (req, caller) => {
      const { schedule, taskId } = await schedules.trigger(req.id, { caller });
      return { schedule: scheduleToMessage(schedule), taskId };
    }),
    PreviewSchedule: unary((req, caller) => {
      const input = scheduleInputFromMessage(req.config, { maxDepth });
      const timing = Object.fromEntries(Object.entries(input).filter(([k]) => TIMING.includes(k)));
      const count = countOf(req.count);
      return inConfig(async () => {
        const times = await schedules.preview(timing, { count, caller });
        return { nextFires: times.map((ms) => timestampFromMs(ms)) };
      }, ["/count"]);
    }),
  };
}
