/**
 * Server-sent events for live views: service notifications coalesced into at most one message per
 * interval (`tasks` with the executors concerned, `executors`), and a keep-alive comment.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { ServiceEvents } from "../service/events.ts";

/** Timing of the event stream (shorter in tests). */
export interface EventStreamOptions {
  /** At most one message per this many ms. */
  coalesceMs?: number;
  /** A `ping` comment every this many ms, so proxies keep the connection open. */
  pingMs?: number;
}

/**
 * Answers a request with an endless `text/event-stream` of change notifications. Listeners and
 * timers go away when the client disconnects.
 */
export function eventStream(
  c: Context,
  events: ServiceEvents,
  options: EventStreamOptions = {},
): Response {
  const coalesceMs = options.coalesceMs ?? 250;
  const pingMs = options.pingMs ?? 15_000;
  return streamSSE(c, async (stream) => {
    const executorNames = new Set<string>();
    let tasksChanged = false;
    let executorsChanged = false;
    let lastFlush = 0;
    let flushTimer: number | undefined;
    let resolveGone!: () => void;
    const gone = new Promise<void>((resolve) => (resolveGone = resolve));

    // Writes are awaited one after another so that messages never interleave.
    let writing = Promise.resolve();
    const send = (text: string) => {
      writing = writing.then(() => stream.write(text)).then(() => {});
      return writing;
    };

    const flush = () => {
      flushTimer = undefined;
      lastFlush = Date.now();
      if (tasksChanged) {
        const names = [...executorNames].sort();
        send(`event: tasks\ndata: ${JSON.stringify({ executorNames: names })}\n\n`);
      }
      if (executorsChanged) send("event: executors\ndata: {}\n\n");
      executorNames.clear();
      tasksChanged = false;
      executorsChanged = false;
    };

    const unsubscribe = events.on((event) => {
      if (event.type === "tasks_changed") {
        tasksChanged = true;
        for (const name of event.executorNames) executorNames.add(name);
      } else if (event.type === "executors_changed") executorsChanged = true;
      else return;
      if (flushTimer === undefined) {
        flushTimer = setTimeout(flush, Math.max(0, lastFlush + coalesceMs - Date.now()));
      }
    });
    const pingTimer = setInterval(() => send(": ping\n\n"), pingMs);

    const cleanUp = () => {
      unsubscribe();
      clearInterval(pingTimer);
      if (flushTimer !== undefined) clearTimeout(flushTimer);
      flushTimer = undefined;
      resolveGone();
    };
    stream.onAbort(cleanUp);
    c.req.raw.signal.addEventListener("abort", cleanUp, { once: true });

    // The first bytes tell the client the subscription is live (and how soon to reconnect).
    await send("retry: 3000\n: connected\n\n");
    await gone;
  });
}
