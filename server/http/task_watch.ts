/**
 * Waiting for tasks over REST, on the service's waits: a long poll of one task
 * (`GET /api/v1/tasks/{id}?wait=…`) and a server-sent event stream of tasks as they reach a final
 * state (`GET /api/v1/tasks/watch?ids=…`).
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { InvalidArgumentError, NotFoundError } from "../domain/errors.ts";
import { parseDuration } from "../domain/time.ts";
import { ENDED_STATUSES, type Task } from "../domain/task.ts";
import type { TraceContext } from "@tasks-executor/proto/tracing";
import type { Principal } from "../auth/scopes.ts";
import type { Service } from "../service/service.ts";
import type { TaskWatch } from "../service/task_watch.ts";
import { presentTask } from "./json.ts";

/** An AbortSignal aborted after `ms` or when any of `signals` is; `clear` drops the timer. */
function deadline(ms: number, signals: (AbortSignal | undefined)[]) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const abort = () => controller.abort();
  for (const signal of signals) signal?.addEventListener("abort", abort, { once: true });
  if (signals.some((signal) => signal?.aborted)) abort();
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      for (const signal of signals) signal?.removeEventListener("abort", abort);
    },
  };
}

/**
 * The `wait` query parameter as ms: absent, empty or 0 = 0 (no wait: the task as it stands).
 *
 * @throws {InvalidArgumentError} naming `wait` when it is not a duration up to `maxMs`
 */
export function waitOf(value: string | undefined, maxMs: number): number {
  if (value === undefined || value === "") return 0;
  const ms = parseDuration(value);
  if (ms === undefined || ms > maxMs) {
    const message =
      `Must be a duration up to ${maxMs} ms (plain ms, or a number with ms, s, m, h ` +
      `or d; 0 = no wait), not "${value.slice(0, 64)}"`;
    throw new InvalidArgumentError(`Invalid query parameter wait: ${message}`, [
      { field: "wait", message },
    ]);
  }
  return ms;
}

/**
 * Task `id` once it is final, or as it stands when `waitMs` passes first (or the client leaves,
 * or `stopping` is aborted).
 *
 * @throws {NotFoundError} {PermissionDeniedError} {ResourceExhaustedError} as `TaskWatcher.open`
 */
export async function waitForTask(
  service: Service,
  id: string,
  options: WaitOptions,
): Promise<Task> {
  using watch = await service.watch.open([id], { caller: options.caller, pointer: "/id" });
  return await finalOrCurrent(service, watch, id, options);
}

/** How long a request waits for a task to be final, for whom, and what ends the wait early. */
interface WaitOptions {
  waitMs: number;
  caller: Principal;
  signals: (AbortSignal | undefined)[];
}

/**
 * Creates a task from `input` (`POST /api/v1/tasks?wait=…`) and answers it once it is final, or as
 * it stands when `waitMs` passes first (or the client leaves, or the manager stops). Once it is
 * created, only its deletion fails the call (404, as `GET` would answer): whatever else ends the
 * wait, the manager stopping included, the answer is the task as it stands (as created, when it
 * cannot be read again), so that a client is never told to try again a create that was made (a
 * 503 there made a client create it twice).
 *
 * @throws as `Service.createTaskAndWatch` (nothing is created then) · {NotFoundError} when the task
 *   was deleted while waited for
 */
export async function createAndWaitForTask(
  service: Service,
  input: unknown,
  options: WaitOptions & { trace: TraceContext | null },
): Promise<Task> {
  const { created, watch } = await service.createTaskAndWatch(input, {
    caller: options.caller,
    trace: options.trace,
  });
  using _watch = watch;
  if (ENDED_STATUSES.includes(created.task.status)) return created.task;
  const id = created.task.id;
  try {
    return await finalOrCurrent(service, watch, id, options);
  } catch (error) {
    // The wait failed (the manager stopping ends every wait with UnavailableError).
    if (error instanceof NotFoundError) throw error;
    return await service.getTask(id, { caller: options.caller }).catch((error) => {
      if (error instanceof NotFoundError) throw error;
      return created.task;
    });
  }
}

/** Task `id` from `watch` once it is final; else, when the wait ends first, as it stands. */
async function finalOrCurrent(
  service: Service,
  watch: TaskWatch,
  id: string,
  options: WaitOptions,
): Promise<Task> {
  const until = deadline(options.waitMs, options.signals);
  try {
    return await watch.next(until.signal) ??
      await service.getTask(id, { caller: options.caller });
  } finally {
    until.clear();
  }
}

/**
 * A route handler answering `?ids=a,b` (or `ids` repeated) with a `text/event-stream`: one
 * `task` event (`{"task": {…}}`) per task as it becomes final — at once for those final already
 * — then an `end` event, and the stream closes. Errors before the stream starts are answered as
 * problem+json (400 naming `ids`, 404 naming the unknown id, 503 at the waits' limits); a `ping`
 * comment every `pingMs` keeps proxies from closing a quiet stream.
 */
export function taskWatchStreams(
  service: Service,
  options: { callerOf: (c: Context) => Principal; stopping?: AbortSignal; pingMs?: number },
): (c: Context) => Promise<Response> {
  const pingMs = options.pingMs ?? 15_000;
  return async (c) => {
    const ids = c.req.queries("ids")?.flatMap((v) => v.split(",")).filter((v) => v !== "") ?? [];
    const watch = await service.watch.open(ids, { caller: options.callerOf(c), pointer: "ids" });
    return streamSSE(c, async (stream) => {
      const left = new AbortController();
      const leave = () => left.abort();
      stream.onAbort(leave);
      c.req.raw.signal.addEventListener("abort", leave, { once: true });
      options.stopping?.addEventListener("abort", leave, { once: true });
      // Writes go one after another; one that fails (the client left) ends nothing else.
      let writing = Promise.resolve();
      const send = (text: string) =>
        writing = writing.then(() => stream.write(text)).then(() => {}, () => {});
      send("retry: 3000\n: connected\n\n");
      const ping = setInterval(() => send(": ping\n\n"), pingMs);
      try {
        for (let task; (task = await watch.next(left.signal));) {
          await send(`event: task\ndata: ${JSON.stringify({ task: presentTask(task) })}\n\n`);
        }
        if (!left.signal.aborted) await send("event: end\ndata: {}\n\n");
      } catch (error) {
        // The wait failed after the stream began (the manager stops, a task was deleted).
        await send(
          `event: error\ndata: ${JSON.stringify({ detail: (error as Error).message })}\n\n`,
        );
      } finally {
        clearInterval(ping);
        watch.close();
        c.req.raw.signal.removeEventListener("abort", leave);
        options.stopping?.removeEventListener("abort", leave);
      }
    });
  };
}
