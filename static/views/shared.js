/** Pieces more than one view shows. */
import { get } from "../api.js";
import { h, showError, table, time } from "../dom.js";

/** The heading and table of a task's failed attempts (a task's page, a DLQ entry's page). */
export function attemptErrors(task) {
  return [
    h("h2", {}, "Attempts and errors"),
    table(
      [
        { label: "Attempt", cell: (e) => attemptName(e) },
        { label: "At", cell: (e) => time(e.at) },
        { label: "Worker", cell: (e) => e.workerId || "—" },
        { label: "Error", cell: (e) => attemptDetail(e) },
      ],
      task.errors ?? [],
      { empty: "No failed attempts.", caption: "Failed attempts" },
    ),
  ];
}

/** "Run 2, attempt 1" (or "Attempt 3" for an error from before runs were counted). */
export function attemptName(error) {
  return error.run ? `Run ${error.run}, attempt ${error.attempt}` : `Attempt ${error.attempt}`;
}

/** One failed attempt's message, with its stack trace and log lines folded beneath. */
function attemptDetail(error) {
  return h(
    "div",
    { class: "attempt-detail" },
    h("code", {}, error.message),
    error.stack
      ? h("details", {}, h("summary", {}, "Stack trace"), h("pre", { class: "stack" }, error.stack))
      : null,
    logLines(error.logs, "Log"),
  );
}

/** An attempt's log lines (`ctx.log`) folded under `label`; `null` when there are none. */
export function logLines(lines, label) {
  if (!lines || lines.length === 0) return null;
  return h(
    "details",
    { class: "attempt-log" },
    h("summary", {}, `${label} (${lines.length} ${lines.length === 1 ? "line" : "lines"})`),
    h("pre", { class: "log" }, lines.join("\n")),
  );
}

/**
 * The executors, for a view's pickers; `null` when the view was left meanwhile. A failure is shown
 * in `box` and gives an empty list, so the view still works without them.
 */
export async function loadExecutors(box, signal) {
  try {
    return (await get("/executors", undefined, signal)).executors;
  } catch (error) {
    if (signal.aborted) return null;
    showError(box, error);
    return [];
  }
}
