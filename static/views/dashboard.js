/**
 * Dashboard: per-executor counts by status, recent throughput (from successive stats polls),
 * connected workers and the oldest waiting task; executors with waiting work and no worker stand out.
 */
import { get } from "../api.js";
import { ago, h, link, replace, showError, svg } from "../dom.js";
import { href } from "../router.js";
import { can } from "../session.js";

const POLL_MS = 5000;
const KEEP_MS = 10 * 60 * 1000;
const STATUSES = ["pending", "in_progress", "completed", "failed", "dlq", "cancelled"];

/** Stats polls kept across visits: `{ at, completed: Map<executorName, number> }`. */
const samples = [];

function record(stats) {
  const now = Date.now();
  samples.push({
    at: now,
    completed: new Map(stats.map((s) => [s.executorName, s.byStatus?.completed ?? 0])),
  });
  while (samples.length > 2 && samples[0].at < now - KEEP_MS) samples.shift();
}

/** Completions per minute between successive samples of one executor (newest last). */
export function rates(name) {
  const out = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    const dt = (b.at - a.at) / 60000;
    if (dt <= 0 || !a.completed.has(name) || !b.completed.has(name)) continue;
    // Completed counts can fall (retention cleanup, deletes): never show a negative rate.
    out.push(Math.max(0, (b.completed.get(name) - a.completed.get(name)) / dt));
  }
  return out.slice(-30);
}

function sparkline(values) {
  const width = 120;
  const height = 28;
  const max = Math.max(1, ...values);
  const slot = width / 30;
  const bars = values.map((v, i) => {
    const barHeight = Math.max(v > 0 ? 2 : 0, Math.round((v / max) * (height - 2)));
    return svg("rect", {
      class: "bar",
      x: (30 - values.length + i) * slot,
      y: height - barHeight,
      width: Math.max(1, slot - 1),
      height: barHeight,
    });
  });
  const latest = values.length ? values[values.length - 1] : null;
  const label = latest === null
    ? "Throughput: measuring"
    : `Throughput: ${latest.toFixed(1)} completed per minute`;
  return h(
    "div",
    { class: "spark" },
    svg(
      "svg",
      { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label },
      svg("line", { class: "base", x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5 }),
      ...bars,
    ),
    h("span", {}, latest === null ? "measuring…" : `${latest.toFixed(1)}/min`),
  );
}

function executorCard(stat) {
  const by = stat.byStatus ?? {};
  const waiting = (by.pending ?? 0) > 0;
  const stranded = waiting && (stat.noWorkers || (stat.workers ?? 0) === 0);
  const name = stat.executorName;
  return h(
    "article",
    { class: ["card", stranded && "alert"], dataset: { executor: name } },
    h(
      "h2",
      {},
      link(href(`/executors/${encodeURIComponent(name)}`), name),
      h("span", { class: "muted" }, `${stat.workers ?? 0} worker${stat.workers === 1 ? "" : "s"}`),
    ),
    stranded
      ? h(
        "p",
        { class: "warning", role: "note" },
        "Tasks are waiting and no worker serves this executor",
      )
      : null,
    h(
      "div",
      { class: "counts" },
      STATUSES.map((s) =>
        h(
          "a",
          { class: "count", href: href("/tasks", { executorName: name, status: s }) },
          h("b", {}, String(by[s] ?? 0)),
          h("span", {}, s.replace("_", " ")),
        )
      ),
    ),
    sparkline(rates(name)),
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
  replace(
    main,
    h("div", { class: "head" }, h("h1", {}, "Dashboard")),
    box,
    body,
  );

  let inFlight = null;
  function load() {
    if (inFlight) return inFlight;
    inFlight = (async () => {
      try {
        const { executors } = await get("/stats", undefined, signal);
        if (signal.aborted) return;
        record(executors);
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
        } else replace(body, executors.map(executorCard));
      } catch (error) {
        if (!signal.aborted) showError(box, error);
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  }

  await load();
  // Throughput needs regular samples; skip them while the tab is hidden.
  const timer = setInterval(() => {
    if (!document.hidden) load();
  }, POLL_MS);
  signal.addEventListener("abort", () => clearInterval(timer));
  return { refresh: load };
}
