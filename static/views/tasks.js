/**
 * Tasks: the filtered list (filters kept in the URL hash), cursor pagination with a stack for the
 * previous pages, and live re-fetches when tasks of the shown executors change.
 */
import { get, newestLoads } from "../api.js";
import { badge, field, h, replace, select, showError, table, time } from "../dom.js";
import { cursorPages } from "../pager.js";
import { inputToIso, isoToInput, zoneName } from "../times.js";
import { href, navigate } from "../router.js";
import { can } from "../session.js";
import { loadExecutors, loadFacts, taskIdColumn } from "./shared.js";
import { bulkBar, bulkButton, countMatching, plural, runBulk } from "./bulk.js";
import {
  foldingFilters,
  searchField,
  searchNote,
  searchOrOpenTask,
  searchQuery,
} from "./search.js";

const FILTER_KEYS = [
  "executorName",
  "status",
  "createdAfter",
  "createdBefore",
  "finishedAfter",
  "finishedBefore",
  "limit",
  "q",
];
const TIME_FILTERS = [
  ["createdAfter", "Created after"],
  ["createdBefore", "Created before"],
  ["finishedAfter", "Finished after"],
  ["finishedBefore", "Finished before"],
];

/** The task list. */
export async function tasksView({ main, query, signal }) {
  const box = h("div");
  const body = h("div", { "aria-live": "polite" });
  const filters = Object.fromEntries(FILTER_KEYS.map((k) => [k, query.get(k) ?? ""]));
  const cursor = query.get("cursor") ?? "";
  const pages = cursorPages("/tasks", filters, cursor);

  const executors = await loadExecutors(box, signal);
  if (!executors) return;
  const facts = await loadFacts({ main, signal }, "Tasks");
  if (!facts) return;

  const wanted = new Set(filters.status.split(",").filter(Boolean));
  const form = h(
    "form",
    { class: "panel filters", role: "search", "aria-label": "Filter tasks" },
    field(
      "Executor",
      select(
        "executorName",
        [["", "All executors"], ...executors.map((e) => e.name)],
        filters.executorName,
      ),
    ),
    TIME_FILTERS.map(([name, label]) =>
      field(
        `${label} (${zoneName()})`,
        h("input", { type: "datetime-local", name, value: isoToInput(filters[name]) }),
      )
    ),
    field("Per page", select("limit", [["", "50"], "20", "100", "200"], filters.limit)),
    searchField(filters.q),
    h(
      "fieldset",
      { class: "statuses" },
      h("legend", {}, "Status"),
      facts.taskStatuses.map((s) =>
        h(
          "label",
          {},
          h("input", { type: "checkbox", name: "status", value: s, checked: wanted.has(s) }),
          s.replace("_", " "),
        )
      ),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary" }, "Apply filters"),
      h("a", { class: "btn", href: href("/tasks") }, "Clear"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const q = searchOrOpenTask(data, "/tasks");
    if (q === null) return;
    navigate("/tasks", {
      executorName: data.get("executorName"),
      status: data.getAll("status").join(","),
      ...Object.fromEntries(
        TIME_FILTERS.map(([name]) => [name, inputToIso(data.get(name))]),
      ),
      limit: data.get("limit"),
      q,
    });
  });
  const active = FILTER_KEYS.filter((key) => key !== "limit" && filters[key]).length;

  /** The filter of a bulk action limited to `allowed` statuses (`null`: none of them is asked for). */
  const bulkQuery = (allowed) => {
    const statuses = wanted.size ? allowed.filter((st) => wanted.has(st)) : allowed;
    if (statuses.length === 0) return null;
    const { executorName, createdAfter, createdBefore, finishedAfter, finishedBefore } = filters;
    return {
      executorName,
      createdAfter,
      createdBefore,
      finishedAfter,
      finishedBefore,
      status: statuses.join(","),
    };
  };
  const action = (label, allowed, options) =>
    bulkButton(label, {
      box,
      after: load,
      count: () => {
        const query = bulkQuery(allowed);
        return query ? countMatching("/tasks", query, "tasks") : { count: 0, more: false };
      },
      run: () => options.run(bulkQuery(allowed)),
      question: options.question,
      done: options.done,
      kind: options.kind,
    });
  // Bulk actions take the filter, not a search: hidden while a search narrows the list.
  const bulk = !filters.q && can("tasks.write") &&
    bulkBar(
      "All tasks matching this filter:",
      action("Delete finished…", ["completed", "failed", "cancelled"], {
        kind: "danger",
        question: (n) => `Delete ${n} finished tasks matching this filter? This cannot be undone.`,
        run: (query) => runBulk("DELETE", "/tasks", query, ["deleted"]),
        done: ({ deleted }) => `Deleted ${plural(deleted, "task")}`,
      }),
      action("Cancel pending…", ["pending"], {
        question: (n) => `Cancel ${n} pending tasks matching this filter?`,
        run: (query) => runBulk("POST", "/tasks/cancel", query, ["cancelled"]),
        done: ({ cancelled }) => `Cancelled ${plural(cancelled, "task")}`,
      }),
      action("Run failed again…", ["failed", "dlq"], {
        question: (n) =>
          `Run ${n} failed and dead tasks matching this filter again? Their data is checked against the schema first.`,
        run: (query) => runBulk("POST", "/tasks/retry", query, ["retried", "invalid"]),
        done: ({ retried, invalid }) =>
          `${plural(retried, "task")} will run again` +
          (invalid ? `; ${plural(invalid, "task")} stayed: data no longer valid` : ""),
      }),
    );

  replace(
    main,
    h(
      "div",
      { class: "head" },
      h("h1", {}, filters.executorName ? `Tasks of ${filters.executorName}` : "Tasks"),
      can("tasks.create")
        ? h("a", {
          class: "btn btn-primary",
          href: href("/tasks/new", { executorName: filters.executorName }),
        }, "New task")
        : null,
    ),
    box,
    foldingFilters(form, active),
    bulk,
    body,
  );

  const loads = newestLoads(signal, box);
  async function load() {
    const current = loads.next();
    try {
      const { q, ...listed } = filters;
      const search = searchQuery(q);
      const page = search
        ? await get("/tasks/search", {
          ...search,
          executorName: filters.executorName,
          status: filters.status,
          limit: filters.limit,
          cursor,
        }, current)
        : await get("/tasks", { ...listed, cursor }, current);
      if (current.aborted) return;
      const pager = pages.pager(page.nextCursor);
      replace(
        body,
        table(
          [
            taskIdColumn("/tasks"),
            { label: "Executor", cell: (t) => t.executorName },
            { label: "Status", cell: (t) => badge(t.status, t) },
            { label: "Attempt", cell: (t) => `${t.attempt} / ${t.maxAttempts}` },
            { label: "Priority", cell: (t) => String(t.priority) },
            { label: "Created", cell: (t) => time(t.createdAt) },
            { label: "Run at", cell: (t) => time(t.runAt) },
            { label: "Updated", cell: (t) => time(t.updatedAt) },
          ],
          page.tasks,
          {
            // A page by finish time looks at so many tasks, and may find none among them.
            empty: search
              ? "No tasks match this search."
              : page.nextCursor
              ? "None of the tasks looked at for this page match these filters: Next → looks further."
              : "No tasks match these filters.",
            caption: "Tasks",
          },
        ),
        search ? searchNote(page) : null,
        pager,
      );
    } catch (error) {
      if (!current.aborted) showError(box, error);
    }
  }
  await load();
  return {
    refresh(events) {
      const relevant = events.some((e) =>
        e.type !== "executors" &&
        (!filters.executorName || !e.executorNames ||
          e.executorNames.includes(filters.executorName))
      );
      if (relevant) return load();
    },
  };
}
