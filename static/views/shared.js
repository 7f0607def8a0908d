/** Pieces more than one view shows. */
import { get } from "../api.js";
import { h, replace, showError, table, time } from "../dom.js";
import { serverFacts } from "../meta.js";

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

/**
 * The server facts (see meta.js) for a view; `null` when the view was left meanwhile, or when
 * they cannot be read: the view then shows `title` and the failure.
 */
export async function loadFacts({ main, signal }, title) {
  try {
    const facts = await serverFacts();
    return signal.aborted ? null : facts;
  } catch (error) {
    if (signal.aborted) return null;
    const box = h("div");
    replace(main, h("h1", {}, title), box);
    showError(box, error);
    return null;
  }
}
