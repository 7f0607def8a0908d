/**
 * One task: its data, metadata, attempts and errors, timestamps, worker and result, with the
 * actions cancel and retry now; it follows the task live while it runs.
 */
import { get, post, put, seg } from "../api.js";
import { badge, busy, button, h, json, link, notice, replace, showError, time } from "../dom.js";
import { href } from "../router.js";
import { can } from "../session.js";
import { attemptErrors } from "./shared.js";

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
          "Retry now",
          (e) =>
            act(e.currentTarget, () =>
              put(`/tasks/${seg(t.id)}/status`, { status: "pending" }), "Task queued to run now"),
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
      ["Attempt", `${t.attempt} of ${t.maxAttempts}`],
      ["Priority", String(t.priority)],
      ["Worker", t.workerId || "—"],
      ["Idempotency key", t.idempotencyKey || "—"],
      ["Created", time(t.createdAt)],
      ["Run at", time(t.runAt)],
      ["Started", time(t.startedAt)],
      ["Completed", time(t.completedAt)],
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
      ),
      ...attemptErrors(t),
    );
  }

  async function load() {
    try {
      task = (await get(`/tasks/${seg(id)}`, undefined, signal)).task;
      if (signal.aborted) return;
      render();
    } catch (error) {
      if (!signal.aborted) showError(box, error);
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
