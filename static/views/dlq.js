/**
 * Dead letter queue: entries per executor or all, one entry's detail, "run again" (a requeue,
 * optionally with edited data, from the list or the entry), delete, purge of the filtered set
 * (after confirm) and running the filtered set again.
 */
import { del, get, newestLoads, post, seg } from "../api.js";
import {
  busy,
  button,
  field,
  h,
  json,
  link,
  notice,
  replace,
  select,
  setFieldError,
  showError,
  table,
  time,
} from "../dom.js";
import { cursorPages } from "../pager.js";
import { href, navigate } from "../router.js";
import { can } from "../session.js";
import { attemptErrors, loadExecutors, loadFacts, taskIdColumn } from "./shared.js";
import { bulkBar, bulkButton, countMatching, plural, runBulk } from "./bulk.js";
import {
  foldingFilters,
  searchField,
  searchNote,
  searchOrOpenTask,
  searchQuery,
} from "./search.js";

function lastError(entry) {
  const errors = entry.task?.errors ?? [];
  return errors.length ? errors[errors.length - 1].message : "";
}

/** The DLQ list (`#/dlq?executorName=…&reason=…`). */
export async function dlqView({ main, query, signal }) {
  const box = h("div");
  const body = h("div", { "aria-live": "polite" });
  const filters = {
    executorName: query.get("executorName") ?? "",
    reason: query.get("reason") ?? "",
    q: query.get("q") ?? "",
  };
  const cursor = query.get("cursor") ?? "";
  const pages = cursorPages("/dlq", filters, cursor);

  const executors = await loadExecutors(box, signal);
  if (!executors) return;
  const facts = await loadFacts({ main, signal }, "Dead letters");
  if (!facts) return;

  const form = h(
    "form",
    { class: "panel filters", role: "search", "aria-label": "Filter dead letters" },
    field(
      "Executor",
      select("executorName", [
        ["", "All executors"],
        ...executors.map((e) => e.name),
      ], filters.executorName),
    ),
    field("Reason", select("reason", [["", "Any reason"], ...facts.dlqReasons], filters.reason)),
    searchField(filters.q),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary" }, "Apply filters"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const q = searchOrOpenTask(data, "/dlq");
    if (q === null) return;
    navigate("/dlq", { executorName: data.get("executorName"), reason: data.get("reason"), q });
  });
  const scope = filters.executorName || filters.reason
    ? `matching ${
      [
        filters.executorName && `executor "${filters.executorName}"`,
        filters.reason && `reason "${filters.reason}"`,
      ].filter(Boolean).join(" and ")
    }`
    : "in every queue";

  const matching = () => countMatching("/dlq", filters, "entries");
  // Bulk actions take the filter, not a search: hidden while a search narrows the list.
  const bulk = !filters.q && can("dlq.write") && bulkBar(
    `All dead letters ${scope}:`,
    bulkButton("Run all again…", {
      box,
      after: load,
      kind: "primary",
      count: matching,
      question: (n) => `Run ${n} dead letters ${scope} again?`,
      run: () => runBulk("POST", "/dlq/requeue", filters, ["requeued", "failed"]),
      done: ({ requeued, failed }) =>
        `${plural(requeued, "task")} will run again` +
        (failed ? `; ${plural(failed, "entry", "entries")} stayed: data no longer valid` : ""),
    }),
    bulkButton("Purge…", {
      box,
      after: load,
      kind: "danger",
      count: matching,
      question: (n) => `Delete ${n} dead letters ${scope}? This cannot be undone.`,
      run: () => runBulk("DELETE", "/dlq", filters, ["deleted"]),
      done: ({ deleted }) => `${plural(deleted, "dead letter")} purged`,
    }),
  );

  replace(
    main,
    h("div", { class: "head" }, h("h1", {}, "Dead letters")),
    box,
    foldingFilters(form, [filters.executorName, filters.reason, filters.q].filter(Boolean).length),
    bulk,
    body,
  );

  const loads = newestLoads(signal, box);
  async function load() {
    const current = loads.next();
    try {
      const search = searchQuery(filters.q);
      if (search) return await loadSearch(search, current);
      const page = await get("/dlq", {
        executorName: filters.executorName,
        reason: filters.reason,
        cursor,
      }, current);
      if (current.aborted) return;
      const pager = pages.pager(page.nextCursor);
      replace(
        body,
        table(
          [
            taskIdColumn("/dlq"),
            { label: "Executor", cell: (d) => d.executorName },
            { label: "Queue", cell: (d) => d.queueName },
            { label: "Reason", cell: (d) => d.reason.replaceAll("_", " ") },
            { label: "Last error", cell: (d) => h("code", {}, lastError(d)) },
            { label: "Died", cell: (d) => time(d.deadAt) },
            can("dlq.write") && {
              label: "Actions",
              cell: (d) =>
                h(
                  "div",
                  { class: "actions" },
                  link(href(`/dlq/${encodeURIComponent(d.id)}`), "Edit data…", {
                    class: "btn btn-small",
                    "aria-label": `Edit the data of ${d.id} and run it again`,
                  }),
                  button("Run again", (e) =>
                    busy(e.currentTarget, async () => {
                      try {
                        await post(`/dlq/${seg(d.id)}/requeue`, {});
                        replace(box, notice("ok", "Task will run again"));
                        await load();
                      } catch (error) {
                        showError(box, error);
                      }
                    }), { class: "btn btn-small", "aria-label": `Run ${d.id} again` }),
                  button("Delete", (e) =>
                    busy(e.currentTarget, async () => {
                      if (!confirm("Delete this dead letter and its task?")) return;
                      try {
                        await del(`/dlq/${seg(d.id)}`);
                        replace(box, notice("ok", "Dead letter deleted"));
                        await load();
                      } catch (error) {
                        showError(box, error);
                      }
                    }), { class: "btn btn-small btn-danger", "aria-label": `Delete ${d.id}` }),
                ),
            },
          ].filter(Boolean),
          page.entries,
          { empty: "The dead letter queue is empty.", caption: "Dead letters" },
        ),
        pager,
      );
    } catch (error) {
      if (!current.aborted) showError(box, error);
    }
  }
  /** Dead tasks found by a search (a task in status `dlq` is its entry: same id). */
  async function loadSearch(search, current) {
    const page = await get("/tasks/search", {
      ...search,
      executorName: filters.executorName,
      status: "dlq",
      cursor,
    }, current);
    if (current.aborted) return;
    replace(
      body,
      table(
        [
          taskIdColumn("/dlq"),
          { label: "Executor", cell: (t) => t.executorName },
          { label: "Last error", cell: (t) => h("code", {}, lastError({ task: t })) },
          { label: "Died", cell: (t) => time(t.completedAt) },
        ],
        page.tasks,
        { empty: "No dead letters match this search.", caption: "Dead letters" },
      ),
      searchNote(page),
      pages.pager(page.nextCursor),
    );
  }
  await load();
  return { refresh: (events) => events.some((e) => e.type !== "executors") && load() };
}

/** One DLQ entry (`#/dlq/<id>`): inspect, edit the data, requeue or delete. */
export async function dlqDetailView({ main, params, signal }) {
  const id = params[0];
  const box = h("div");
  replace(main, h("div", { class: "head" }, h("h1", {}, `Dead letter ${id}`)), box);
  let entry;
  try {
    entry = (await get(`/dlq/${seg(id)}`, undefined, signal)).entry;
  } catch (error) {
    if (!signal.aborted) showError(box, error);
    return;
  }
  const task = entry.task ?? {};
  const original = JSON.stringify(task.data ?? null, null, 2);
  const writable = can("dlq.write");
  const data = h("textarea", { name: "data", rows: 10, spellcheck: "false", readonly: !writable });
  data.value = original;
  const dataField = field(writable ? "Data to run it again with (JSON)" : "Data (JSON)", data, {
    pointer: "/data",
    hint: writable
      ? "Edit to fix the data; it is checked against the executor's schema again."
      : undefined,
  });
  const form = h(
    "form",
    { class: "form panel", novalidate: true, "aria-label": "Run dead letter again" },
    dataField,
    writable && h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary" }, "Run again"),
      button("Delete", (e) =>
        busy(e.currentTarget, async () => {
          if (!confirm("Delete this dead letter and its task?")) return;
          try {
            await del(`/dlq/${seg(id)}`);
            navigate("/dlq", { executorName: entry.executorName });
          } catch (error) {
            showError(box, error, form);
          }
        }), { kind: "danger" }),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let body = {};
    if (data.value.trim() !== original.trim()) {
      try {
        body = { data: JSON.parse(data.value) };
      } catch (error) {
        setFieldError(dataField, `Invalid JSON: ${error.message}`);
        data.focus();
        return;
      }
    }
    await busy(form.querySelector('button[type="submit"]'), async () => {
      try {
        const result = await post(`/dlq/${seg(id)}/requeue`, body);
        navigate(`/tasks/${encodeURIComponent(result?.task?.id ?? id)}`);
      } catch (error) {
        showError(box, error, form);
      }
    });
  });
  main.append(
    h(
      "div",
      { class: "detail" },
      h(
        "section",
        { class: "panel" },
        h("h2", {}, "Overview"),
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Executor"),
          h(
            "dd",
            {},
            link(href(`/executors/${encodeURIComponent(entry.executorName)}`), entry.executorName),
          ),
          h("dt", {}, "Queue"),
          h("dd", {}, entry.queueName),
          h("dt", {}, "Reason"),
          h("dd", {}, entry.reason.replaceAll("_", " ")),
          h("dt", {}, "Died"),
          h("dd", {}, time(entry.deadAt)),
          h("dt", {}, "Attempts"),
          h("dd", {}, `${task.attempt ?? 0} of ${task.maxAttempts ?? "?"}`),
          h("dt", {}, "Created"),
          h("dd", {}, time(task.createdAt)),
        ),
        h("h2", {}, "Metadata"),
        json(task.metadata ?? {}),
      ),
      form,
    ),
    ...attemptErrors(task),
  );
  return {};
}
