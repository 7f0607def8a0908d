/**
 * One task: its data, metadata, attempts and errors, timestamps, worker and result, with the
 * actions cancel and retry now; it follows the task live while it runs.
 */
import { get, newestLoads, post, put, seg } from "../api.js";
import { badge, busy, button, h, json, link, notice, replace, showError, time } from "../dom.js";
import { href } from "../router.js";
import { serverFacts } from "../meta.js";
import { can } from "../session.js";
import { attemptErrors, keepFoldsOpen, logLines } from "./shared.js";

/** How the end of a task is named by how it ended: a dead task never reads "Completed". */
const ENDED_LABEL = {
  completed: "Completed",
  failed: "Failed",
  dlq: "Dead since",
  cancelled: "Cancelled",
};
/** While a task runs, the page reads it again this often (ms): progress comes with heartbeats. */
const RUNNING_REFRESH_MS = 2000;

/** The task detail (`#/tasks/<id>`). */
export async function taskDetailView({ main, params, signal }) {
  const id = params[0];
  const box = h("div");
  const body = h("div");
  const heading = h("h1", {}, `Task ${id}`);
  const actions = h("div", { class: "actions" });
  replace(main, h("div", { class: "head" }, heading, actions), box, body);
  let task = null;

  async function act(btn, work, done) {
    await busy(btn, async () => {
      try {
        await work();
        replace(box, notice("ok", done));
        await load();
      } catch (error) {
        showError(box, error);
      }
    });
  }

  function render() {
    const t = task;
    const canCancel = can("tasks.write") && (t.status === "pending" || t.status === "in_progress");
    const canRetry = can("tasks.write") &&
      (t.status === "failed" || t.status === "dlq" || t.status === "cancelled" ||
        (t.status === "pending" && new Date(t.runAt).getTime() > Date.now()));
    replace(
      actions,
      link(href("/tasks", { executorName: t.executorName }), "All tasks", { class: "btn" }),
      canRetry
        ? button(
          t.status === "pending" ? "Run now" : "Run again",
          (e) =>
            act(
              e.currentTarget,
              // `from`: the manager refuses (409) a task leased since this page read it, rather
              // than take it from its worker. The statuses are the manager's (`runAgainFrom`).
              async () =>
                put(`/tasks/${seg(t.id)}/status`, {
                  status: "pending",
                  from: (await serverFacts()).runAgainFrom,
                }),
              "Task queued to run now",
            ),
          { kind: "primary" },
        )
        : null,
      canCancel
        ? button("Cancel task", (e) => {
          if (confirm("Cancel this task?")) {
            act(e.currentTarget, () => post(`/tasks/${seg(t.id)}/cancel`, {}), "Task cancelled");
          }
        }, { kind: "danger" })
        : null,
      t.status === "dlq" && can("dlq.read")
        ? link(href(`/dlq/${encodeURIComponent(t.id)}`), "Dead letter entry", { class: "btn" })
        : null,
    );
    const facts = [
      [
        "Status",
        h("span", { dataset: { status: t.status }, id: "task-status" }, badge(t.status, t)),
      ],
      ["Executor", link(href(`/executors/${encodeURIComponent(t.executorName)}`), t.executorName)],
      ["Attempt", runAndAttempt(t)],
      ["Progress", progressOf(t)],
      ["Priority", String(t.priority)],
      ["Worker", t.workerId || "—"],
      ["Idempotency key", t.idempotencyKey || "—"],
      ["Created", time(t.createdAt)],
      ["Run at", time(t.runAt)],
      ["Started", time(t.startedAt)],
      [ENDED_LABEL[t.status] ?? "Ended", time(t.completedAt)],
      ["Updated", time(t.updatedAt)],
    ];
    replace(
      body,
      h(
        "div",
        { class: "detail" },
        h(
          "section",
          { class: "panel", "aria-labelledby": "task-facts" },
          h("h2", { id: "task-facts" }, "Overview"),
          h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
        ),
        h(
          "section",
          { class: "panel", "aria-labelledby": "task-data" },
          h("h2", { id: "task-data" }, "Data"),
          json(t.data, { id: "task-data-json" }),
          h("h2", {}, "Metadata"),
          Object.keys(t.metadata ?? {}).length
            ? json(t.metadata)
            : h("p", { class: "muted" }, "None"),
        ),
      ),
      h(
        "section",
        { class: "panel", "aria-labelledby": "task-result" },
        h("h2", { id: "task-result" }, "Result"),
        t.result === null || t.result === undefined
          ? h("p", { class: "muted" }, "No result yet")
          : json(t.result, { id: "task-result-json" }),
        logLines(t.logs, "Log of the attempt that completed it", "log-final"),
      ),
      ...attemptErrors(t),
    );
  }

  let timer = null;
  signal.addEventListener("abort", () => clearTimeout(timer));
  const loads = newestLoads(signal, box);
  async function load() {
    const current = loads.next();
    try {
      const answer = await get(`/tasks/${seg(id)}`, undefined, current);
      if (current.aborted) return;
      task = answer.task;
      keepFoldsOpen(body, render);
      clearTimeout(timer);
      if (task.status === "in_progress") timer = setTimeout(load, RUNNING_REFRESH_MS);
    } catch (error) {
      if (!current.aborted) showError(box, error);
    }
  }
  await load();
  return {
    refresh(events) {
      if (
        !task || events.some((e) =>
          e.type !== "executors" &&
          (!e.executorNames || e.executorNames.includes(task.executorName))
        )
      ) {
        return load();
      }
    },
  };
}

/** "2 of 3", with the run when the task was requeued: "run 2: 1 of 3". */
function runAndAttempt(t) {
  const attempts = `${t.attempt} of ${t.maxAttempts}`;
  return t.run > 1 ? `run ${t.run}: ${attempts}` : attempts;
}

/** The latest progress a worker reported: a number as a percent bar, anything else as JSON. */
function progressOf(t) {
  const p = t.progress;
  if (p === null || p === undefined) return "—";
  const percent = typeof p === "number"
    ? p
    : typeof p === "object" && typeof p.percent === "number"
    ? p.percent
    : null;
  return h(
    "span",
    { id: "task-progress" },
    percent !== null && percent >= 0 && percent <= 100
      ? h("progress", { max: 100, value: percent, "aria-label": "Progress" }, `${percent}%`)
      : null,
    " ",
    h("code", {}, JSON.stringify(p)),
  );
}
