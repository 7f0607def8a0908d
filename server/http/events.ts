/**
 * Server-sent events for live views: service notifications coalesced into at most one message per
 * interval (`tasks` with the executors concerned, `executors`, `schedules`), a keep-alive comment,
 * and a cap on subscribers.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { ResourceExhaustedError, UnavailableError } from "../domain/errors.ts";
import type { ServiceEvents } from "../service/events.ts";
import type { Principal } from "../auth/scopes.ts";
import { KeyShares } from "../auth/shares.ts";

/** How many may subscribe, and the timing of the stream (shorter in tests). */
export interface EventStreamOptions {
  /** Most subscribers at once (MAX_SSE_SUBSCRIBERS); a key that is not an admin key, its share. */
  maxSubscribers: number;
  /** The caller of a request (its key's share of `maxSubscribers` is counted). */
  callerOf: (c: Context) => Principal;
  /** At most one message per this many ms. */
  coalesceMs?: number;
  /** A `ping` comment every this many ms, so proxies keep the connection open. */
  pingMs?: number;
  /** When aborted (the manager is stopping), open streams end and new ones are refused. */
  signal?: AbortSignal;
}

/**
 * A route handler answering each request with an endless `text/event-stream` of change
 * notifications. Listeners, timers and the subscriber's place go away when the client disconnects
 * or `signal` is aborted.
 *
 * @throws {ResourceExhaustedError} from the handler when `maxSubscribers` are subscribed already,
 *   or the caller's key holds its share of them (`KeyShares`)
 * @throws {UnavailableError} from the handler once `signal` is aborted
 * @example
 * ```ts ignore
 * app.get("/api/v1/events", eventStreams(service.events, { maxSubscribers: 200, callerOf }));
 * ```
 */
export function eventStreams(
  events: ServiceEvents,
  options: EventStreamOptions,
): (c: Context) => Response {
  let subscribers = 0;
  const shares = new KeyShares("event_subscriptions", events);
  return (c) => {
    if (options.signal?.aborted) {
      throw new UnavailableError("The manager is stopping: subscribe to events on another one");
    }
    if (subscribers >= options.maxSubscribers) {
      throw new ResourceExhaustedError(
        `Too many event subscribers: this manager serves at most ${options.maxSubscribers} ` +
          "(MAX_SSE_SUBSCRIBERS)",
      );
    }
    const release = shares.take(options.callerOf(c), 1, options.maxSubscribers);
    subscribers++;
    let subscribed = true;
    const leave = () => {
      if (subscribed) subscribers--;
      subscribed = false;
      release();
    };
    try {
      return eventStream(c, events, options, leave);
    } catch (error) {
      leave();
      throw error;
    }
  };
}

function eventStream(
  c: Context,
  events: ServiceEvents,
  options: EventStreamOptions,
  leave: () => void,
): Response {
  const coalesceMs = options.coalesceMs ?? 250;
  const pingMs = options.pingMs ?? 15_000;
  return streamSSE(c, async (stream) => {
    const executorNames = new Set<string>();
    let tasksChanged = false;
    let executorsChanged = false;
    let schedulesChanged = false;
    let lastFlush = 0;
    let flushTimer: number | undefined;
    let ended = false;
    let resolveGone!: () => void;
    const gone = new Promise<void>((resolve) => (resolveGone = resolve));

    // One write at a time, and changes that come meanwhile wait for it in the flags above: a
    // subscriber that reads nothing holds one message and a set of names, not a queue of them.
    let writing = false;
    const write = async (text: string) => {
      writing = true;
      try {
        await stream.write(text);
      } finally {
        writing = false;
      }
      if (tasksChanged || executorsChanged || schedulesChanged) scheduleFlush();
    };

    const flush = () => {
      flushTimer = undefined;
      if (writing) return; // the write's end flushes what is pending
      lastFlush = Date.now();
      let text = "";
      if (tasksChanged) {
        const names = [...executorNames].sort();
        text += `event: tasks\ndata: ${JSON.stringify({ executorNames: names })}\n\n`;
      }
      if (executorsChanged) text += "event: executors\ndata: {}\n\n";
      if (schedulesChanged) text += "event: schedules\ndata: {}\n\n";
      schedulesChanged = false;
      executorNames.clear();
      tasksChanged = false;
      executorsChanged = false;
      write(text).catch(() => {}); // a write to a gone client: the abort cleans up
    };
    const scheduleFlush = () => {
      if (flushTimer === undefined && !writing && !ended) {
        flushTimer = setTimeout(flush, Math.max(0, lastFlush + coalesceMs - Date.now()));
      }
    };

    const unsubscribe = events.on((event) => {
      if (event.type === "tasks_changed") {
        tasksChanged = true;
        for (const name of event.executorNames) executorNames.add(name);
      } else if (event.type === "executors_changed") executorsChanged = true;
      else if (event.type === "schedules_changed" || event.type === "schedule_fired") {
        schedulesChanged = true;
      } else return;
      scheduleFlush();
    });
    // A ping is for an idle connection: none while a message is still on its way.
    const pingTimer = setInterval(() => writing || write(": ping\n\n").catch(() => {}), pingMs);

    const cleanUp = () => {
      ended = true;
      leave();
      unsubscribe();
      clearInterval(pingTimer);
      if (flushTimer !== undefined) clearTimeout(flushTimer);
      flushTimer = undefined;
      options.signal?.removeEventListener("abort", cleanUp);
      resolveGone();
    };
    stream.onAbort(cleanUp);
    c.req.raw.signal.addEventListener("abort", cleanUp, { once: true });
    // The manager stopping ends the stream: the client sees it end and reconnects elsewhere.
    options.signal?.addEventListener("abort", cleanUp, { once: true });
    if (options.signal?.aborted) cleanUp();

    try {
      // The first bytes tell the client the subscription is live (and how soon to reconnect).
      await write("retry: 3000\n: connected\n\n");
      await gone;
    } finally {
      cleanUp();
    }
  });
}
