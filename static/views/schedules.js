/**
 * Schedules: the list (when each fires next, its latest fire, pause/resume, trigger now), a form
 * that creates one with a live preview of its next fires, and one schedule's history of fires
 * with the tasks they made (`#/schedules/<name>`).
 */
import { del, get, newestLoads, post, seg } from "../api.js";
import {
  busy,
  button,
  clearFieldErrors,
  field,
  h,
  link,
  notice,
  replace,
  select,
  showError,
  table,
  time,
} from "../dom.js";
import { cursorPages } from "../pager.js";
import { can } from "../session.js";
import { loadExecutors } from "./shared.js";

/** How a schedule fires, in words: its cron expression or interval, and its time zone. */
function when(s) {
  return s.cron ? `cron ${s.cron} (${s.timezone})` : `every ${s.every}`;
}

function state(s) {
  return h(
    "span",
    { class: `badge ${s.enabled ? "badge-completed" : "badge-cancelled"}` },
    s.enabled ? "active" : "paused",
  );
}

/** The task a fire made, or why it made none. */
function fireOutcome(fire) {
  if (fire.taskId) return link(`#/tasks/${seg(fire.taskId)}`, fire.taskId, { class: "id" });
  return h("span", { class: "muted" }, `skipped: ${fire.skipped}`);
}

/** Pause/resume and trigger buttons for one schedule (none for a key that may not write). */
function actions(s, box, reload) {
  if (!can("schedules.write")) return null;
  const act = (path, done) => async (event) => {
    await busy(event.currentTarget, async () => {
      try {
        const answer = await post(`/schedules/${seg(s.name)}/${path}`, {});
        replace(box, notice("ok", done(answer)));
        await reload();
      } catch (error) {
        showError(box, error);
      }
    });
  };
  return h(
    "span",
    { class: "actions" },
    s.enabled
      ? button("Pause", act("pause", () => `Schedule "${s.name}" paused`), {
        class: "btn btn-small",
        "aria-label": `Pause schedule ${s.name}`,
      })
      : button("Resume", act("resume", () => `Schedule "${s.name}" resumed`), {
        class: "btn btn-small",
        "aria-label": `Resume schedule ${s.name}`,
      }),
    button("Trigger now", act("trigger", (a) => `Schedule "${s.name}" made task ${a.taskId}`), {
      class: "btn btn-small",
      "aria-label": `Trigger schedule ${s.name} now`,
    }),
  );
}

/** The schedules view (`#/schedules`, a page at a time: `?cursor=…`). */
export async function schedulesView({ main, query, signal }) {
  const box = h("div", { "aria-live": "polite" });
  const body = h("div");
  const cursor = query.get("cursor") ?? "";
  const pages = cursorPages("/schedules", {}, cursor);

  const loads = newestLoads(signal, box);
  async function load() {
    const current = loads.next();
    try {
      const page = await get("/schedules", { fires: 1, cursor }, current);
      if (current.aborted) return;
      replace(body, schedulesTable(page.schedules, box, load), pages.pager(page.nextCursor));
    } catch (error) {
      if (!current.aborted) showError(box, error);
    }
  }

  const executors = can("schedules.write") ? await loadExecutors(box, signal) : [];
  if (executors === null) return {};
  replace(
    main,
    h("div", { class: "head" }, h("h1", {}, "Schedules")),
    box,
    body,
    can("schedules.write") ? createForm(executors, box, load, signal) : null,
  );
  await load();
  // Fires are not among the live events: read again on task changes and when the tab comes back.
  return { refresh: () => load() };
}

function schedulesTable(schedules, box, load) {
  return table(
    [
      {
        label: "Name",
        cell: (s) => link(`#/schedules/${seg(s.name)}`, s.name),
      },
      { label: "Executor", cell: (s) => s.executorName },
      { label: "When", cell: (s) => h("code", {}, when(s)) },
      { label: "State", cell: state },
      { label: "Next fire", cell: (s) => time(s.nextFireAt) },
      {
        label: "Latest fire",
        cell: (s) =>
          s.lastFires[0]
            ? h("span", {}, time(s.lastFires[0].fireAt), " ", fireOutcome(s.lastFires[0]))
            : h("span", { class: "muted" }, "never"),
      },
      { label: "", cell: (s) => actions(s, box, load) },
    ],
    schedules,
    { empty: "No schedules yet.", caption: "Schedules" },
  );
}

function createForm(executors, box, load, signal) {
  const input = (name, props = {}) =>
    h("input", { name, autocomplete: "off", spellcheck: "false", ...props });
  const name = input("name", { required: true, placeholder: "nightly-report" });
  const executor = select("executorName", executors.map((e) => e.name));
  const kind = select("kind", [["cron", "Cron expression"], ["every", "Fixed interval"]], "cron");
  const expression = input("expression", { required: true, placeholder: "30 2 * * *" });
  const timezone = input("timezone", {
    value: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
  });
  const data = h("textarea", { name: "data", rows: 4, class: "mono", spellcheck: "false" }, "{}");
  const overlap = select("overlapPolicy", [
    ["skip", "Skip while the previous task runs"],
    ["allow", "Allow overlapping tasks"],
  ], "skip");
  const missed = select("missedFirePolicy", [
    ["run_once", "Run once after downtime"],
    ["run_each", "Run each missed fire (capped)"],
    ["skip", "Skip missed fires"],
  ], "run_once");
  const preview = h("ol", { "aria-live": "polite", "aria-label": "Next fires" });
  const previewNote = h("small", { class: "hint preview-note" });

  const timing = () =>
    kind.value === "cron"
      ? { cron: expression.value.trim(), timezone: timezone.value.trim() || "UTC" }
      : { every: expression.value.trim() };

  let previewTimer = 0;
  let previewRun = 0;
  const refreshPreview = () => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(async () => {
      const run = ++previewRun;
      if (!expression.value.trim()) {
        preview.replaceChildren();
        previewNote.textContent = "Type an expression to see when it fires.";
        return;
      }
      try {
        const { nextFires } = await post("/schedules/preview", { ...timing(), count: 5 });
        if (run !== previewRun || signal.aborted) return;
        replace(preview, ...nextFires.map((t) => h("li", {}, time(t))));
        previewNote.textContent = nextFires.length ? "" : "It never fires.";
      } catch (error) {
        if (run !== previewRun || signal.aborted) return;
        preview.replaceChildren();
        previewNote.textContent = error.errors?.[0]?.message ?? String(error.message ?? error);
      }
    }, 250);
  };
  for (const control of [kind, expression, timezone]) {
    control.addEventListener("input", refreshPreview);
    control.addEventListener("change", refreshPreview);
  }
  kind.addEventListener("change", () => {
    expression.placeholder = kind.value === "cron" ? "30 2 * * *" : "5m";
    timezone.disabled = kind.value !== "cron";
  });

  const form = h(
    "form",
    { class: "form panel", novalidate: true, "aria-label": "New schedule" },
    h("h2", {}, "New schedule"),
    h(
      "div",
      { class: "row" },
      field("Name", name, { pointer: "/name" }),
      field("Executor", executor, { pointer: "/executorName" }),
    ),
    h(
      "div",
      { class: "row" },
      field("Fires on", kind),
      field("Expression", expression, {
        pointer: kind.value === "cron" ? "/cron" : "/every",
        hint: "Cron: 5 fields (minute first) or 6 (seconds first). Interval: 30s, 5m, 1h30m.",
      }),
      field("Time zone", timezone, { pointer: "/timezone", hint: "IANA name, for cron" }),
    ),
    h(
      "section",
      { class: "panel preview", "aria-label": "Preview" },
      h("h3", {}, "Next fires"),
      preview,
      previewNote,
    ),
    field("Task data (JSON)", data, {
      pointer: "/task/data",
      hint: "Checked against the executor's schema when saved",
    }),
    h(
      "div",
      { class: "row" },
      field("Overlap", overlap, { pointer: "/overlapPolicy" }),
      field("After downtime", missed, { pointer: "/missedFirePolicy" }),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary" }, "Create schedule"),
    ),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    box.replaceChildren();
    clearFieldErrors(form);
    // Cron and interval errors land on the one expression field.
    form.querySelector(`[data-pointer="/cron"], [data-pointer="/every"]`).dataset.pointer =
      kind.value === "cron" ? "/cron" : "/every";
    let parsed;
    try {
      parsed = JSON.parse(data.value || "null");
    } catch (error) {
      replace(box, notice("error", "Task data is not JSON", String(error.message)));
      return;
    }
    const body = {
      name: name.value.trim(),
      executorName: executor.value,
      ...timing(),
      task: { data: parsed },
      overlapPolicy: overlap.value,
      missedFirePolicy: missed.value,
    };
    await busy(form.querySelector('button[type="submit"]'), async () => {
      try {
        await post("/schedules", body);
        replace(box, notice("ok", `Schedule "${body.name}" created`));
        form.reset();
        preview.replaceChildren();
        await load();
      } catch (error) {
        showError(box, error, form);
      }
    });
  });
  return form;
}

/** One schedule (`#/schedules/<name>`): its settings, next fires and history of fires. */
export async function scheduleDetailView({ main, params, signal }) {
  const box = h("div", { "aria-live": "polite" });
  const body = h("div");
  const nameOf = decodeURIComponent(params[0]);

  const loads = newestLoads(signal, box);
  async function load() {
    const current = loads.next();
    try {
      const { schedule: s } = await get(`/schedules/${seg(nameOf)}`, { fires: 5 }, current);
      if (current.aborted) return;
      replace(
        body,
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Executor"),
          h("dd", {}, link(`#/executors/${seg(s.executorName)}`, s.executorName)),
          h("dt", {}, "When"),
          h("dd", {}, h("code", {}, when(s))),
          h("dt", {}, "State"),
          h("dd", {}, state(s), " ", actions(s, box, load)),
          h("dt", {}, "Overlap, after downtime"),
          h("dd", {}, `${s.overlapPolicy}, ${s.missedFirePolicy}`),
        ),
        h("h2", {}, "Next fires"),
        s.nextFires.length
          ? h(
            "div",
            { class: "preview" },
            h("ol", {}, s.nextFires.map((t) => h("li", {}, time(t)))),
          )
          : h("p", { class: "empty" }, s.enabled ? "It never fires again." : "Paused."),
        h("h2", {}, "History"),
        table(
          [
            { label: "Fire time", cell: (f) => time(f.fireAt) },
            { label: "Fired", cell: (f) => time(f.firedAt) },
            { label: "Task", cell: fireOutcome },
            { label: "How", cell: (f) => f.manual ? "triggered by hand" : "on schedule" },
          ],
          s.lastFires,
          { empty: "It has not fired yet.", caption: "Latest fires" },
        ),
        can("schedules.write")
          ? h(
            "div",
            { class: "actions" },
            button("Delete schedule", async () => {
              if (!confirm(`Delete schedule "${s.name}"? The tasks it made stay.`)) return;
              try {
                await del(`/schedules/${seg(s.name)}`);
                location.hash = "#/schedules";
              } catch (error) {
                showError(box, error);
              }
            }, { kind: "danger" }),
          )
          : null,
      );
    } catch (error) {
      if (!current.aborted) showError(box, error);
    }
  }

  replace(
    main,
    h("div", { class: "head" }, h("h1", {}, `Schedule ${nameOf}`)),
    box,
    body,
  );
  await load();
  return { refresh: () => load() };
}
