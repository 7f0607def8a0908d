/** Pieces more than one view shows. */
import { get } from "../api.js";
import { h, showError, table, time } from "../dom.js";

/** The heading and table of a task's failed attempts (a task's page, a DLQ entry's page). */
export function attemptErrors(task) {
  return [
    h("h2", {}, "Attempts and errors"),
    table(
      [
        { label: "Attempt", cell: (e) => String(e.attempt) },
        { label: "At", cell: (e) => time(e.at) },
        { label: "Worker", cell: (e) => e.workerId || "—" },
        { label: "Error", cell: (e) => h("code", {}, e.message) },
      ],
      task.errors ?? [],
      { empty: "No failed attempts.", caption: "Failed attempts" },
    ),
  ];
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
