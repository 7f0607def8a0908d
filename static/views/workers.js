/**
 * Workers: every worker connected to this manager (and those gone in the last 10 minutes), where
 * it runs (host, process id, runtime, SDK), when it connected and last spoke, what it runs now
 * with links to those tasks, and how busy it is in plain words: "busy", "idle" or "gone".
 */
import { get, newestLoads } from "../api.js";
import { ago, h, link, replace, showError, table, time } from "../dom.js";
import { href } from "../router.js";
import { cursorPages } from "../pager.js";

/** "busy", "idle" (connected, running nothing) or "gone" (disconnected, kept a while). */
function stateOf(w) {
  if (w.disconnectedAt) return "gone";
  return w.inFlight > 0 ? "busy" : "idle";
}

/** How much of what it can run it runs now, in words. */
function loadOf(w) {
  if (w.disconnectedAt) return `Disconnected ${ago(w.disconnectedAt)}`;
  const capacity = (w.inFlight ?? 0) + (w.credits ?? 0);
  if (!w.inFlight) return `Running nothing; can take ${capacity}`;
  return `Running ${w.inFlight} of ${capacity}`;
}

/** The tasks it runs now, as links. */
function runningOf(w) {
  const ids = w.runningTaskIds ?? [];
  if (ids.length === 0) return "—";
  return h(
    "ul",
    { class: "running" },
    ids.map((id) => h("li", {}, link(href(`/tasks/${encodeURIComponent(id)}`), id))),
    w.inFlight > ids.length ? h("li", {}, `and ${w.inFlight - ids.length} more`) : null,
  );
}

/** Host, process id and runtime as one line ("—" when the SDK did not say). */
function whereOf(w) {
  const parts = [w.host, w.pid ? `pid ${w.pid}` : "", w.runtime].filter(Boolean);
  return parts.length ? parts.join(" · ") : "—";
}

/**
 * The workers list (`#/workers`, a page at a time: `?cursor=…` when they pass 2 MiB), refreshed on
 * live events and every few seconds (heartbeats are not events).
 */
export async function workersView({ main, query, signal }) {
  const box = h("div");
  const body = h("div", { "aria-live": "polite" });
  const cursor = query.get("cursor") ?? "";
  const pages = cursorPages("/workers", {}, cursor);
  replace(main, h("div", { class: "head" }, h("h1", {}, "Workers")), box, body);

  const loads = newestLoads(signal);
  async function load() {
    const current = loads.next();
    try {
      const { workers, nextCursor } = await get("/workers", { cursor }, current);
      if (current.aborted) return;
      box.replaceChildren();
      replace(
        body,
        table(
          [
            { label: "Worker", class: "id", cell: (w) => w.workerId },
            {
              label: "State",
              cell: (w) =>
                h(
                  "span",
                  { class: `badge badge-worker-${stateOf(w)}`, dataset: { state: stateOf(w) } },
                  stateOf(w),
                ),
            },
            { label: "Load", cell: (w) => loadOf(w) },
            { label: "Running now", cell: (w) => runningOf(w) },
            {
              label: "Executors",
              cell: (w) =>
                h(
                  "span",
                  {},
                  (w.executors ?? []).flatMap((name, i) => [
                    i ? ", " : null,
                    link(href("/tasks", { executorName: name }), name),
                  ]),
                ),
            },
            { label: "Where", cell: (w) => whereOf(w) },
            { label: "SDK", cell: (w) => w.sdkVersion || "—" },
            { label: "Connected since", cell: (w) => time(w.connectedAt) },
            {
              label: "Last heartbeat",
              cell: (w) => w.disconnectedAt ? "—" : ago(w.lastHeartbeatAt),
            },
          ],
          workers,
          {
            empty: cursor
              ? "No more workers."
              : "No worker is connected to this manager, and none left in the last 10 minutes.",
            caption: "Workers: connected, and gone in the last 10 minutes",
          },
        ),
        pages.pager(nextCursor),
      );
    } catch (error) {
      if (!current.aborted) showError(box, error);
    }
  }
  await load();
  const timer = setInterval(() => {
    if (!document.hidden) load();
  }, 5000);
  signal.addEventListener("abort", () => clearInterval(timer));
  return { refresh: load };
}
