/** Pieces more than one view shows. */
import { get } from "../api.js";
import { h, link, replace, showError, table, time } from "../dom.js";
import { serverFacts } from "../meta.js";
import { href } from "../router.js";

/**
 * The first column of a list of tasks (or DLQ entries, whose id is their task's): the id, a link
 * to its page under `base` (`/tasks`, `/dlq`).
 */
export function taskIdColumn(base) {
  return {
    label: "Task",
    class: "id",
    cell: (t) => link(href(`${base}/${encodeURIComponent(t.id)}`), t.id),
  };
}

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
  const key = `${error.run ?? 0}-${error.attempt}-${error.at}`;
  return h(
    "div",
    { class: "attempt-detail" },
    h("code", {}, error.message),
    error.stack
      ? h(
        "details",
        { dataset: { fold: `stack-${key}` } },
        h("summary", {}, "Stack trace"),
        h("pre", { class: "stack" }, error.stack),
      )
      : null,
    logLines(error.logs, "Log", `log-${key}`),
  );
}

/**
 * An attempt's log lines (`ctx.log`) folded under `label`; `null` when there are none. `key`
 * names the fold, so that a view drawn again keeps it open (see `keepFoldsOpen`).
 */
export function logLines(lines, label, key) {
  if (!lines || lines.length === 0) return null;
  return h(
    "details",
    { class: "attempt-log", dataset: { fold: key } },
    h("summary", {}, `${label} (${lines.length} ${lines.length === 1 ? "line" : "lines"})`),
    h("pre", { class: "log" }, lines.join("\n")),
  );
}

/**
 * Draws `draw()` into `el` with the folds (`details[data-fold]`) that were open before open again,
 * so that a live view drawn anew does not close what the reader opened.
 */
export function keepFoldsOpen(el, draw) {
  const open = new Set(
    [...el.querySelectorAll("details[open][data-fold]")].map((d) => d.dataset.fold),
  );
  draw();
  for (const fold of el.querySelectorAll("details[data-fold]")) {
    if (open.has(fold.dataset.fold)) fold.open = true;
  }
}

/**
 * The executors, for a view's pickers; `null` when the view was left meanwhile. A failure is shown
 * in `box` and gives an empty list, so the view still works without them.
 */
export async function loadExecutors(box, signal) {
  try {
    // Every page: one holds them all unless their configurations pass 2 MiB together.
    const executors = [];
    let cursor = "";
    do {
      const page = await get("/executors", { cursor }, signal);
      executors.push(...page.executors);
      cursor = page.nextCursor ?? "";
    } while (cursor && !signal.aborted);
    return executors;
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
