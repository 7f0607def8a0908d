/**
 * Dashboard: the history panel (charts, totals, current rates), then per executor its counts by
 * status, its completion rate over a fixed window, connected workers and the oldest waiting task;
 * executors with waiting work and no worker, and paused ones, stand out.
 */
import { get } from "../api.js";
import { ago, h, link, replace, showError, svg } from "../dom.js";
import { href } from "../router.js";
import { can } from "../session.js";
import { serverFacts } from "../meta.js";
import { fmtRate, historyPanel, RATE_WINDOW_MS, rateHistory, ratePerMinute } from "./history.js";

const POLL_MS = 5000;

/** Completions per minute of the rate window as small bars, and the rate over that window. */
function sparkline(points, now) {
  const width = 120;
  const height = 28;
  const values = points.map((p) => p.completed);
  const max = Math.max(1, ...values);
  const slot = width / Math.max(1, values.length);
  const bars = values.map((v, i) => {
    const barHeight = Math.max(v > 0 ? 2 : 0, Math.round((v / max) * (height - 2)));
    return svg("rect", {
      class: "bar",
      x: i * slot,
      y: height - barHeight,
      width: Math.max(1, slot - 1),
      height: barHeight,
    });
  });
  const rate = fmtRate(ratePerMinute(points, "completed", now));
  const minutes = RATE_WINDOW_MS / 60_000;
  return h(
    "div",
    { class: "spark" },
    svg(
      "svg",
      {
        width,
        height,
        viewBox: `0 0 ${width} ${height}`,
        role: "img",
        "aria-label": `Completed: ${rate} over the last ${minutes} minutes`,
      },
      svg("line", { class: "base", x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5 }),
      ...bars,
    ),
    h("span", { title: `Completed per minute over the last ${minutes} minutes` }, rate),
  );
}

function executorCard(stat, recent, { now, statuses }) {
  const by = stat.byStatus ?? {};
  const waiting = (by.pending ?? 0) > 0;
  const paused = stat.paused === true;
  // `workers` counts connected workers only: a worker that polls (the original interface's
  // GetNextTask) serves it too, which `noWorkers` and `polled` tell.
  const stranded = waiting && stat.noWorkers === true;
  const name = stat.executorName;
  // A worker that polls is not counted in `workers`: "polled" says one served it lately.
  const count = `${stat.workers ?? 0} worker${stat.workers === 1 ? "" : "s"}`;
  const workers = stat.polled === true ? `${count} · polled` : count;
  // A paused executor hands out no task, served or not: that is what its waiting tasks wait for.
  let note = null;
  if (paused) {
    note = waiting
      ? "Paused: tasks are waiting, and none is handed out until this executor is resumed"
      : "Paused: no task is handed out until this executor is resumed";
  } else if (stranded) note = "Tasks are waiting and no worker serves this executor";
  return h(
    "article",
    { class: ["card", (stranded || (paused && waiting)) && "alert"], dataset: { executor: name } },
    h(
      "h2",
      {},
      link(href(`/executors/${encodeURIComponent(name)}`), name),
      h(
        "span",
        {
          class: "muted",
          title: stat.polled === true
            ? "A worker that polls (GetNextTask) asked for this executor's tasks in the last minute"
            : null,
        },
        paused ? `paused · ${workers}` : workers,
      ),
    ),
    note ? h("p", { class: "warning", role: "note" }, note) : null,
    h(
      "div",
      { class: "counts" },
      statuses.map((s) =>
        h(
          "a",
          { class: "count", href: href("/tasks", { executorName: name, status: s }) },
          h("b", {}, String(by[s] ?? 0)),
          h("span", {}, s.replace("_", " ")),
        )
      ),
    ),
    sparkline(recent.get(name) ?? [], now),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Oldest waiting"),
      h("dd", {}, stat.oldestPendingAt ? ago(stat.oldestPendingAt) : "none"),
      h("dt", {}, "Dead letters"),
      h("dd", {}, link(href("/dlq", { executorName: name }), String(stat.dlqSize ?? 0))),
    ),
  );
}

/** Renders the dashboard and keeps it fresh (polling plus live events). */
export async function dashboardView({ main, signal }) {
  const box = h("div");
  const body = h("div", { class: "grid", "aria-live": "polite" });
  let history = null;
  const head = h("div", { class: "head" }, h("h1", {}, "Dashboard"));
  replace(main, head, box, body);

  let inFlight = null;
  function load() {
    if (inFlight) return inFlight;
    inFlight = (async () => {
      try {
        const [{ executors }, facts] = await Promise.all([
          get("/stats", undefined, signal),
          serverFacts(),
        ]);
        if (signal.aborted) return;
        const names = executors.map((s) => s.executorName);
        if (!history && names.length > 0) {
          history = historyPanel({ executors: names, signal });
          head.after(history.panel);
        }
        // Rates come from the stored per-minute counts of a fixed window, one read per executor.
        const recent = new Map(
          await Promise.all(
            names.map(async (name) => [name, (await rateHistory(name, signal)).points]),
          ),
        );
        if (signal.aborted) return;
        box.replaceChildren();
        if (executors.length === 0) {
          replace(
            body,
            h(
              "p",
              { class: "empty" },
              "No executors yet. ",
              can("executors.write") ? [link(href("/executors/new"), "Create one"), " or s"] : "S",
              "tart a worker that registers its own.",
            ),
          );
        } else {
          const card = { now: Date.now(), statuses: facts.taskStatuses };
          replace(body, executors.map((stat) => executorCard(stat, recent, card)));
        }
        await history?.refresh();
      } catch (error) {
        if (!signal.aborted) showError(box, error);
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  }

  await load();
  const timer = setInterval(() => {
    if (!document.hidden) load();
  }, POLL_MS);
  signal.addEventListener("abort", () => clearInterval(timer));
  return { refresh: load };
}
