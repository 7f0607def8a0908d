/**
 * The schedule routes of the REST API (`/api/v1/schedules`): a thin adapter over the schedule
 * service, and the JSON a schedule is answered as.
 */
import type { Context, Hono } from "hono";
import { InvalidArgumentError } from "../domain/errors.ts";
import { checkedRef } from "../domain/refs.ts";
import { formatInterval, type ScheduleFire } from "../domain/schedule.ts";
import type { ScheduleView } from "../service/schedules.ts";
import type { Service } from "../service/service.ts";
import { callerOf } from "./auth.ts";
import { type JsonObject, rfc3339 } from "./json.ts";
import { pageOf, queryOf } from "./query_guard.ts";

/** One fire of a schedule's history as API JSON. */
function presentFire(fire: ScheduleFire): JsonObject {
  return {
    fireAt: rfc3339(fire.fireAt),
    firedAt: rfc3339(fire.firedAt),
    taskId: fire.taskId,
    skipped: fire.skipped,
    manual: fire.manual,
  };
}

/** A schedule as API JSON: intervals as text (`"5m"`), times RFC 3339, history newest first. */
export function presentSchedule(schedule: ScheduleView): JsonObject {
  return {
    id: schedule.id,
    name: schedule.name,
    executorName: schedule.executorName,
    cron: schedule.cron,
    every: schedule.every === null ? null : formatInterval(schedule.every),
    timezone: schedule.timezone,
    task: schedule.task,
    enabled: schedule.enabled,
    overlapPolicy: schedule.overlapPolicy,
    missedFirePolicy: schedule.missedFirePolicy,
    maxMissedFires: schedule.maxMissedFires,
    jitter: formatInterval(schedule.jitterMs),
    startAt: rfc3339(schedule.startAt),
    endAt: rfc3339(schedule.endAt),
    nextFireAt: schedule.enabled ? rfc3339(schedule.nextFireAt) : null,
    nextFires: schedule.nextFires.map(rfc3339),
    lastFires: schedule.lastFires.toReversed().map(presentFire),
    createdAt: rfc3339(schedule.createdAt),
    updatedAt: rfc3339(schedule.updatedAt),
  };
}

/** `?fires=N`: how many next fire times to list. */
function firesOf(c: Context): number | undefined {
  const text = queryOf(c).fires;
  if (text === undefined || text === "") return undefined;
  if (!/^\d{1,6}$/.test(text)) {
    throw new InvalidArgumentError("Invalid query parameter fires: Must be a whole number", [
      { field: "fires", message: "Must be a whole number" },
    ]);
  }
  return Number(text);
}

/** The schedule's id or name in the path; a malformed one is refused naming the parameter. */
function nameParam(c: Context): string {
  return checkedRef("schedule", c.req.param("idOrName") ?? "", "idOrName");
}

/**
 * Mounts the schedule routes on `app`. `body` reads a request's JSON object (bounded).
 */
export function mountScheduleRoutes(
  app: Hono,
  deps: { service: Service; body: (c: Context, required?: boolean) => Promise<JsonObject> },
): void {
  const schedules = deps.service.schedules;
  app.get("/api/v1/schedules", async (c) => {
    const query = queryOf(c);
    const page = await schedules.list(
      { executorName: query.executorName || undefined, fires: firesOf(c) },
      pageOf(query),
      { caller: callerOf(c), signal: c.req.raw.signal },
    );
    return c.json({ schedules: page.items.map(presentSchedule), nextCursor: page.nextCursor });
  });
  app.post("/api/v1/schedules", async (c) => {
    const schedule = await schedules.create(await deps.body(c, true), {
      caller: callerOf(c),
      signal: c.req.raw.signal,
    });
    return c.json({ schedule: presentSchedule(schedule) }, 201);
  });
  app.post("/api/v1/schedules/preview", async (c) => {
    const input = await deps.body(c, true);
    const count = input.count;
    if (count !== undefined && typeof count !== "number") {
      throw InvalidArgumentError.listing("Invalid preview", [
        { field: "/count", message: "Must be a whole number" },
      ]);
    }
    const times = await schedules.preview(input, {
      count: count as number | undefined,
      caller: callerOf(c),
      signal: c.req.raw.signal,
    });
    return c.json({ nextFires: times.map(rfc3339) });
  });
  app.get("/api/v1/schedules/:idOrName", async (c) => {
    const schedule = await schedules.get(nameParam(c), {
      caller: callerOf(c),
      signal: c.req.raw.signal,
      fires: firesOf(c),
    });
    return c.json({ schedule: presentSchedule(schedule) });
  });
  app.put("/api/v1/schedules/:idOrName", async (c) => {
    const name = nameParam(c);
    const schedule = await schedules.update(name, await deps.body(c, true), {
      caller: callerOf(c),
      signal: c.req.raw.signal,
    });
    return c.json({ schedule: presentSchedule(schedule) });
  });
  app.delete("/api/v1/schedules/:idOrName", async (c) => {
    await schedules.delete(nameParam(c), { caller: callerOf(c) });
    return c.body(null, 204);
  });
  app.post("/api/v1/schedules/:idOrName/pause", async (c) => {
    const schedule = await schedules.pause(nameParam(c), {
      caller: callerOf(c),
      signal: c.req.raw.signal,
    });
    return c.json({ schedule: presentSchedule(schedule) });
  });
  app.post("/api/v1/schedules/:idOrName/resume", async (c) => {
    const schedule = await schedules.resume(nameParam(c), {
      caller: callerOf(c),
      signal: c.req.raw.signal,
    });
    return c.json({ schedule: presentSchedule(schedule) });
  });
  app.post("/api/v1/schedules/:idOrName/trigger", async (c) => {
    const { schedule, taskId } = await schedules.trigger(nameParam(c), {
      caller: callerOf(c),
      signal: c.req.raw.signal,
    });
    return c.json({ schedule: presentSchedule(schedule), taskId }, 201);
  });
}
