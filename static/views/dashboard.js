/**
 * Dashboard: the history panel (charts, totals, current rates), then per executor its counts by
 * status, its completion rate over a fixed window, connected workers and the oldest waiting task;
 * executors with waiting work and no worker, and paused ones, stand out. With many executors the
 * cards are filtered: by a part of the name, and to those needing attention (kept in the address:
 * `#/?executor=mail&attention=1`).
 */
import { get } from "../api.js";
import { ago, button, field, h, link, replace, showError, svg } from "../dom.js";
import { current, href } from "../router.js";
import { can } from "../session.js";
import { serverFacts } from "../meta.js";
import { fmtRate, historyPanel, RATE_WINDOW_MS, rateHistories, ratePerMinute } from "./history.js";

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

/**
 * Whether an executor needs attention: tasks wait and no worker serves it, it is paused, or it
 * holds dead letters.
 */
export function needsAttention(stat) {
  const waiting = (stat.byStatus?.pending ?? 0) > 0;
  return (waiting && stat.noWorkers === true) || stat.paused === true || (stat.dlqSize ?? 0) > 0;
}

/**
 * The executor filter above the cards: a part of the name, and "only those needing attention".
 * Calls `onChange()` as it changes; the filter is kept in the address (replaced, not a new
 * history entry), so a reload or a shared link shows the same cards.
 */
function executorFilter(query, onChange) {
  const state = {
    name: query.get("executor") ?? "",
    attention: query.get("attention") === "1",
  };
  const name = h("input", {
    type: "search",
    name: "executor",
    value: state.name,
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "Part of a name",
  });
  const attention = h("input", { type: "checkbox", name: "attention", checked: state.attention });
  const shown = h("p", { class: "filter-count", role: "status" });
  const update = () => {
    state.name = name.value.trim();
    state.attention = attention.checked;
    const { path } = current();
    const address = href(path, { executor: state.name, attention: state.attention ? "1" : "" });
    history.replaceState(null, "", `${location.pathname}${location.search}${address}`);
    onChange();
  };
  name.addEventListener("input", update);
  attention.addEventListener("change", update);
  const form = h(
    "form",
    { class: "panel executor-filter", role: "search", "aria-label": "Filter executors" },
    field("Executor", name),
    field("Only executors needing attention", attention, {
      hint: "Tasks waiting with no worker, paused, or holding dead letters",
    }),
    shown,
  );
  form.addEventListener("submit", (event) => event.preventDefault());
  return {
    form,
    /** The executors the filter lets through. */
    pick(executors) {
      const part = state.name.toLowerCase();
      return executors.filter((stat) =>
        (!part || stat.executorName.toLowerCase().includes(part)) &&
        (!state.attention || needsAttention(stat))
      );
    },
    /** Says how many are shown. */
    count(shownCount, total) {
      shown.textContent = shownCount === total
        ? `${total} executor${total === 1 ? "" : "s"}`
        : `Showing ${shownCount} of ${total} executors`;
    },
    /** Lets every executor through. */
    clear() {
      name.value = "";
      attention.checked = false;
      update();
    },
  };
}

/** Renders the dashboard and keeps it fresh (polling plus live events). */
export async function dashboardView({ main, query, signal }) {
  const box = h("div");
  const body = h("div", { class: "grid", "aria-live": "polite" });
  let history = null;
  /** The rate window the last refresh read (`rateHistories`), for the cards and the panel. */
  let rates = null;
  const head = h("div", { class: "head" }, h("h1", {}, "Dashboard"));
  /** What the last load read, drawn again as the filter changes. */
  let last = null;
  const filter = executorFilter(query, () => draw());
  filter.form.hidden = true;
  replace(main, head, box, filter.form, body);

  // On a phone the history panel is some 1,700 px tall: the filter goes above it, where it can be
  // reached, and on a wider screen below it, next to the cards it narrows. Moved in the document,
  // not only drawn elsewhere, so that the keyboard reaches it in the order it is seen.
  const narrow = globalThis.matchMedia("(max-width: 720px)");
  function place() {
    if (!history) return;
    if (narrow.matches) head.after(filter.form, history.panel);
    else head.after(history.panel, box, filter.form);
  }
  narrow.addEventListener("change", place);
  signal.addEventListener("abort", () => narrow.removeEventListener("change", place));

  function draw() {
    if (!last) return;
    const { executors, recent, card } = last;
    const shown = filter.pick(executors);
    filter.count(shown.length, executors.length);
    if (shown.length === 0) {
      replace(
        body,
        h(
          "p",
          { class: "empty" },
          "No executor matches this filter. ",
          button("Show all executors", () => filter.clear(), { class: "btn btn-small" }),
        ),
      );
    } else replace(body, shown.map((stat) => executorCard(stat, recent, card)));
  }

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
          history = historyPanel({
            executors: names,
            signal,
            // The panel's rates over a day or a week: this refresh's read, no request of its own.
            rates: (name) => name === "" ? rates?.all ?? null : rates?.byExecutor.get(name) ?? null,
          });
          place();
        }
        // Rates come from the stored per-minute counts of a fixed window: one read for them all.
        rates = names.length > 0 ? await rateHistories(names, signal) : null;
        const recent = rates?.byExecutor ?? new Map();
        if (signal.aborted) return;
        box.replaceChildren();
        filter.form.hidden = executors.length === 0;
        if (executors.length === 0) {
          last = null;
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
          last = { executors, recent, card: { now: Date.now(), statuses: facts.taskStatuses } };
          draw();
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
