/**
 * `schedules list|get|create|update|delete|pause|resume|trigger|preview`: schedules over REST.
 * Schedule files are sent as they are (the manager checks them, naming the field); `preview`
 * builds its request from options, since the manager previews the timing fields only.
 */
import { anything, listOf, object, pageOf, type Shape, text } from "./answer.ts";
import { ValueError } from "./client.ts";
import {
  assertOptions,
  type CommandGroup,
  integerOf,
  operands,
  PAGE_FLAGS,
  PAGE_OPTIONS,
  pageParams,
  print,
  queryOf,
  requiredFile,
  segment,
  stringOf,
  timeOf,
  type Values,
  verbOf,
  withNextPage,
} from "./command.ts";
import { Block, details, pretty, table, time } from "./format.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const VERBS = [
  "list",
  "get",
  "create",
  "update",
  "delete",
  "pause",
  "resume",
  "trigger",
  "preview",
] as const;

const USAGE = `Usage: tasks-executor schedules <command> [options]

  list [--executor NAME] [--fires N] [--limit N] [--cursor CURSOR]
                                one page of schedules by name: executor, state, cron or interval,
                                next and last fire
  get NAME [--fires N]          one schedule: its settings, task, next N fire times and history
  create -f FILE                create from a JSON file (name, executorName, cron or every, task, …)
  update NAME -f FILE           change the fields the file names (the rest stay as they are)
  delete NAME                   delete it; the tasks it made stay
  pause NAME                    no fires until it is resumed
  resume NAME                   fire again, from the next fire time after now
  trigger NAME                  create its task now, paused or not; prints the task's id
  preview (--cron EXPR | --every INTERVAL) [--timezone ZONE] [--start-at TIME] [--end-at TIME]
          [--count N]           the next fire times of an expression that is not saved

  -f, --file FILE               a JSON schedule file; - reads standard input
  --fires N                     how many next fire times to show (5 unless given, at most 100)

INTERVAL as "30s", "5m", "1h"; ZONE an IANA zone (UTC unless given); TIME is RFC 3339 with an
offset (2026-12-02T14:00:00Z) or epoch milliseconds, 0 for none. The manager reads EXPR, INTERVAL
and ZONE: one it refuses exits 1, named.`;

const OPTIONS: Record<string, readonly string[]> = {
  list: ["executor", "fires", "limit", "cursor"],
  get: ["fires"],
  create: ["file"],
  update: ["file"],
  preview: ["cron", "every", "timezone", "start-at", "end-at", "count"],
};

/** The option that sends each query parameter or preview field, for the manager's refusals. */
const FLAGS: Record<string, string> = {
  executorName: "--executor",
  fires: "--fires",
  ...PAGE_FLAGS,
  cron: "--cron",
  every: "--every",
  timezone: "--timezone",
  startAt: "--start-at",
  endAt: "--end-at",
  count: "--count",
};

/** `--fires N` as a query parameter: a whole number from 1 (the manager checks the greatest). */
function firesOf(values: Values): string | undefined {
  return integerOf(values, "fires", 1)?.toString();
}

/** A schedule as the commands read it: its fires lists (of objects, for the last ones). */
const SCHEDULE: Shape = object({
  name: text,
  executorName: text,
  nextFires: listOf(anything),
  lastFires: listOf(object({})),
});
const SCHEDULE_ANSWER: Shape = object({ schedule: SCHEDULE });

function state(schedule: Json): string {
  return schedule.enabled ? "active" : "paused";
}

/** When it fires: `cron 30 2 * * * (Europe/Berlin)` or `every 5m`. */
function when(schedule: Json): string {
  return schedule.cron === null
    ? `every ${schedule.every}`
    : `cron ${schedule.cron} (${schedule.timezone})`;
}

/** What a fire did: its task, or why it was skipped. */
function outcome(fire: Json): string {
  const what = fire.taskId ? `task ${fire.taskId}` : `skipped (${fire.skipped})`;
  return fire.manual ? `${what}, by hand` : what;
}

function lastFire(schedule: Json): string {
  const fire = schedule.lastFires[0];
  return fire ? `${time(fire.firedAt)} ${outcome(fire)}` : "-";
}

function listTable(schedules: Json[]): string {
  return table(
    ["NAME", "EXECUTOR", "STATE", "WHEN", "NEXT FIRE", "LAST FIRE"],
    schedules.map((s) => [
      s.name,
      s.executorName,
      state(s),
      when(s),
      time(s.nextFireAt),
      lastFire(s),
    ]),
  );
}

function scheduleDetails(s: Json): string {
  const history = s.lastFires.length === 0 ? "-" : new Block(table(
    ["FIRE AT", "FIRED AT", "OUTCOME"],
    s.lastFires.map((f: Json) => [time(f.fireAt), time(f.firedAt), outcome(f)]),
  ));
  return details([
    ["Name", s.name],
    ["Id", s.id],
    ["Executor", s.executorName],
    ["State", state(s)],
    ["When", when(s)],
    ["Start at", time(s.startAt)],
    ["End at", time(s.endAt)],
    ["Overlap policy", s.overlapPolicy],
    ["Missed fires", `${s.missedFirePolicy} (at most ${s.maxMissedFires})`],
    ["Jitter", s.jitter],
    ["Next fires", s.nextFires.length === 0 ? "-" : new Block(s.nextFires.map(time).join("\n"))],
    ["Created", time(s.createdAt)],
    ["Updated", time(s.updatedAt)],
    ["Task", pretty(s.task)],
    ["History", history],
  ]);
}

/** The `schedules` command group. */
export const SCHEDULES: CommandGroup = {
  name: "schedules",
  summary: "list, get, create, update, delete, pause, resume, trigger and preview schedules",
  verbs: VERBS,
  usage: USAGE,
  options: {
    file: { type: "string", short: "f" },
    executor: { type: "string" },
    fires: { type: "string" },
    ...PAGE_OPTIONS,
    cron: { type: "string", notEmpty: true },
    every: { type: "string", notEmpty: true },
    timezone: { type: "string", notEmpty: true },
    "start-at": { type: "string" },
    "end-at": { type: "string" },
    count: { type: "string" },
  },
  async run(args, values, context) {
    const verb = verbOf("schedules", args, VERBS);
    const rest = args.slice(1);
    const { client } = context;
    assertOptions(`schedules ${verb}`, values, OPTIONS[verb] ?? []);
    switch (verb) {
      case "list": {
        operands("schedules list", rest, []);
        const query = queryOf({
          executorName: stringOf(values, "executor"),
          fires: firesOf(values),
          ...pageParams(values),
        });
        const body = await client.call("GET", `/schedules${query}`, undefined, {
          shape: pageOf("schedules", SCHEDULE),
          flags: FLAGS,
        }) as Json;
        print(context, body, () => withNextPage(listTable(body.schedules), body.nextCursor));
        return;
      }
      case "get": {
        const [name] = operands("schedules get", rest, ["NAME"]);
        const query = queryOf({ fires: firesOf(values) });
        const body = await client.call("GET", `/schedules/${segment(name)}${query}`, undefined, {
          shape: SCHEDULE_ANSWER,
          flags: FLAGS,
        }) as Json;
        print(context, body, () => scheduleDetails(body.schedule));
        return;
      }
      case "create": {
        operands("schedules create -f FILE", rest, []);
        const file = await requiredFile(values, context, `schedules ${verb}`);
        const body = await client.call("POST", "/schedules", file, {
          shape: SCHEDULE_ANSWER,
        }) as Json;
        print(
          context,
          body,
          () => `Created schedule ${body.schedule.name}\n\n${scheduleDetails(body.schedule)}`,
        );
        return;
      }
      case "update": {
        const [name] = operands("schedules update", rest, ["NAME"]);
        const file = await requiredFile(values, context, `schedules ${verb}`);
        const body = await client.call("PUT", `/schedules/${segment(name)}`, file, {
          shape: SCHEDULE_ANSWER,
        }) as Json;
        // A file may rename it: the schedule is named as it is now.
        const now = body.schedule.name;
        const renamed = now === name ? "" : ` (renamed from ${name})`;
        print(
          context,
          body,
          () => `Updated schedule ${now}${renamed}\n\n${scheduleDetails(body.schedule)}`,
        );
        return;
      }
      case "delete": {
        const [name] = operands("schedules delete", rest, ["NAME"]);
        await client.call("DELETE", `/schedules/${segment(name)}`);
        print(context, { deleted: 1 }, () => `Deleted schedule ${name} (its tasks stay)`);
        return;
      }
      case "pause":
      case "resume": {
        const [name] = operands(`schedules ${verb}`, rest, ["NAME"]);
        const body = await client.call("POST", `/schedules/${segment(name)}/${verb}`, undefined, {
          shape: SCHEDULE_ANSWER,
        }) as Json;
        print(
          context,
          body,
          () =>
            verb === "pause"
              ? `Paused schedule ${name}: no fires until it is resumed`
              : `Resumed schedule ${name}: next fire ${time(body.schedule.nextFireAt)}`,
        );
        return;
      }
      case "trigger": {
        const [name] = operands("schedules trigger", rest, ["NAME"]);
        const body = await client.call("POST", `/schedules/${segment(name)}/trigger`, undefined, {
          shape: object({ schedule: SCHEDULE, taskId: text }),
        }) as Json;
        print(context, body, () => `Triggered schedule ${name}: task ${body.taskId}`);
        return;
      }
      case "preview": {
        operands("schedules preview", rest, []);
        if ((values.cron === undefined) === (values.every === undefined)) {
          throw new ValueError(
            "schedules preview needs --cron EXPR or --every INTERVAL, one of them",
          );
        }
        const request = {
          cron: stringOf(values, "cron"),
          every: stringOf(values, "every"),
          timezone: stringOf(values, "timezone"),
          startAt: timeOf(values, "start-at"),
          endAt: timeOf(values, "end-at"),
          count: integerOf(values, "count", 1),
        };
        const body = await client.call("POST", "/schedules/preview", request, {
          shape: object({ nextFires: listOf(anything) }),
          flags: FLAGS,
        }) as Json;
        print(context, body, () => body.nextFires.map(time).join("\n") || "No fire times");
        return;
      }
    }
  },
};
