/**
 * Executors: the list (pause, resume, delete) and the create/edit form with every setting, a JSON
 * Schema textarea checked as you type, and a preview of the retry delays the policy gives, as the
 * manager computes them (`/api/v1/meta`, like the defaults, the bounds and the choices of each
 * setting).
 * A paused executor is one with `enabled: false`: its tasks are accepted and wait, none is run.
 */
import { del, get, newestLoads, post, put, seg } from "../api.js";
import {
  busy,
  button,
  clearFieldError,
  field,
  fmtMs,
  h,
  link,
  notice,
  replace,
  select,
  setFieldError,
  showError,
  table,
  time,
} from "../dom.js";
import { href, navigate } from "../router.js";
import { boundedNumber, flowFieldset } from "./executor_flow.js";
import { can } from "../session.js";
import { retryDelays } from "../meta.js";
import { loadFacts } from "./shared.js";
import { cursorPages } from "../pager.js";

/** How long the form waits after the last change of the retry policy before asking for delays. */
const PREVIEW_DELAY_MS = 150;

/** The executor list (`#/executors`, a page at a time: `?cursor=…` when they pass 2 MiB). */
export async function executorsView({ main, query, signal }) {
  const box = h("div");
  const body = h("div");
  const cursor = query.get("cursor") ?? "";
  const pages = cursorPages("/executors", {}, cursor);
  replace(
    main,
    h(
      "div",
      { class: "head" },
      h("h1", {}, "Executors"),
      can("executors.write")
        ? h("a", { class: "btn btn-primary", href: href("/executors/new") }, "New executor")
        : null,
    ),
    box,
    body,
  );

  const loads = newestLoads(signal, box);
  async function load() {
    const current = loads.next();
    try {
      const { executors, nextCursor } = await get("/executors", { cursor }, current);
      if (current.aborted) return;
      replace(
        body,
        table(
          [
            {
              label: "Name",
              cell: (e) => link(href(`/executors/${encodeURIComponent(e.name)}`), e.name),
            },
            {
              label: "State",
              cell: (e) =>
                h(
                  "span",
                  { class: `badge badge-${e.enabled ? "on" : "off"}` },
                  e.enabled ? "active" : "paused",
                ),
            },
            {
              label: "Retry",
              cell: (e) => `${e.retryPolicy.type}, ${e.retryPolicy.maxAttempts} attempts`,
            },
            { label: "Timeout", cell: (e) => fmtMs(e.timeout) },
            { label: "DLQ", cell: (e) => (e.dlqConfig.enabled ? e.dlqConfig.queueName : "off") },
            { label: "Updated", cell: (e) => time(e.updatedAt) },
            {
              label: "Actions",
              cell: (e) =>
                h(
                  "div",
                  { class: "actions" },
                  can("tasks.read") &&
                    link(href("/tasks", { executorName: e.name }), "Tasks", {
                      class: "btn btn-small",
                    }),
                  can("executors.write") &&
                    button(e.enabled ? "Pause" : "Resume", (ev) =>
                      busy(ev.currentTarget, async () => {
                        try {
                          await put(`/executors/${seg(e.name)}`, {
                            config: { enabled: !e.enabled },
                          });
                          box.replaceChildren();
                          await load();
                        } catch (error) {
                          showError(box, error);
                        }
                      }), {
                      class: "btn btn-small",
                      "aria-label": `${e.enabled ? "Pause" : "Resume"} ${e.name}`,
                      title: e.enabled
                        ? "Stop handing its tasks to workers; new tasks still queue"
                        : "Hand its tasks to workers again",
                    }),
                  can("executors.delete") &&
                    button("Delete", () =>
                      deleteExecutor(e.name, box, load), {
                      class: "btn btn-small btn-danger",
                      "aria-label": `Delete ${e.name}`,
                    }),
                ),
            },
          ],
          executors,
          { empty: cursor ? "No more executors." : "No executors yet.", caption: "Executors" },
        ),
        pages.pager(nextCursor),
      );
    } catch (error) {
      if (!current.aborted) showError(box, error);
    }
  }
  await load();
  return { refresh: (events) => events.some((e) => e.type !== "tasks") && load() };
}

/**
 * The delete confirmation in plain words: what goes (the configuration and every task of the
 * executor, dead ones included), with the counts from `/stats` when this key may read them.
 */
export function deleteQuestion(name, stats) {
  const head = `Delete executor "${name}"?`;
  const tail = "Workers serving it get no more tasks. This cannot be undone.";
  if (!stats) return `${head}\n\nIts configuration and all its tasks are deleted. ${tail}`;
  const by = stats.byStatus;
  const total = Object.values(by).reduce((sum, n) => sum + n, 0);
  if (total === 0) return `${head}\n\nIts configuration is deleted; it has no tasks. ${tail}`;
  const parts = [
    [by.pending, "waiting"],
    [by.in_progress, "running now (their handlers are told to stop)"],
    [by.completed + by.failed + by.cancelled, "finished"],
    [by.dlq, "in the dead letter queue"],
  ].filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  return `${head}\n\nIts configuration and all its ${total} ${
    total === 1 ? "task" : "tasks"
  } are deleted: ${parts.join(", ")}. ${tail}`;
}

async function deleteExecutor(name, box, after) {
  let stats = null;
  if (can("stats.read")) {
    try {
      stats = (await get("/stats", { executorName: name })).executors[0] ?? null;
    } catch {
      // The question is asked without counts.
    }
  }
  if (!confirm(deleteQuestion(name, stats))) return;
  try {
    // The question said that tasks waiting or running go too: no second question.
    await del(`/executors/${seg(name)}`, { force: true });
    replace(box, notice("ok", `Executor "${name}" deleted`));
    await after?.();
  } catch (error) {
    showError(box, error);
  }
}

/** The create (`#/executors/new`) and edit (`#/executors/<name>`) form. */
export async function executorFormView({ main, params, query, signal }) {
  const editing = params[0] ?? null;
  const box = h("div");
  if (!editing && !can("executors.write")) {
    replace(
      main,
      h("h1", {}, "New executor"),
      notice("info", "This key may not create executors"),
    );
    return {};
  }
  // A key that may not change executors sees the settings, but nothing to change them with.
  const writable = can("executors.write");
  const facts = await loadFacts({ main, signal }, editing ? `Executor ${editing}` : "New executor");
  if (!facts) return;
  let current = { name: "", ...facts.executorDefaults };
  if (editing) {
    try {
      current = (await get(`/executors/${seg(editing)}`, undefined, signal)).executor;
    } catch (error) {
      replace(main, h("h1", {}, `Executor ${editing}`), box);
      showError(box, error);
      return;
    }
  }
  const rp = current.retryPolicy;
  // The manager's bounds of each setting (`/api/v1/meta`), not copies of them.
  const bounds = facts.executorBounds;
  const retryBounds = bounds.retryPolicy;
  const schemaText = current.taskSchema === null || current.taskSchema === undefined
    ? ""
    : JSON.stringify(current.taskSchema, null, 2);

  const inputs = {
    name: h("input", {
      name: "name",
      value: current.name,
      required: true,
      pattern: facts.namePattern,
      readonly: Boolean(editing),
      autocomplete: "off",
      spellcheck: "false",
    }),
    enabled: h("input", { type: "checkbox", name: "enabled", checked: current.enabled }),
    level: select("writeConcern", facts.writeConcernLevels, current.writeConcern?.level),
    type: select("retryType", facts.retryPolicyTypes, rp.type),
    maxAttempts: boundedNumber("maxAttempts", rp.maxAttempts, retryBounds.maxAttempts),
    interval: boundedNumber("interval", rp.interval, retryBounds.interval),
    maxInterval: boundedNumber("maxInterval", rp.maxInterval, retryBounds.maxInterval),
    multiplier: boundedNumber("multiplier", rp.multiplier, retryBounds.multiplier),
    jitter: boundedNumber("jitter", rp.jitter, retryBounds.jitter),
    dlqEnabled: h("input", {
      type: "checkbox",
      name: "dlqEnabled",
      checked: current.dlqConfig?.enabled,
    }),
    queueName: h("input", {
      name: "queueName",
      value: current.dlqConfig?.queueName ?? "",
      pattern: facts.namePattern,
      autocomplete: "off",
      spellcheck: "false",
    }),
    timeout: boundedNumber("timeout", current.timeout, bounds.timeout),
    maxConcurrency: boundedNumber("maxConcurrency", current.maxConcurrency, bounds.maxConcurrency),
    schema: h("textarea", {
      name: "taskSchema",
      readonly: !writable,
      rows: 10,
      spellcheck: "false",
      placeholder: '{"type": "object", "properties": {…}}',
    }),
  };
  inputs.schema.value = schemaText;
  const flow = flowFieldset(current, writable, bounds, facts.groupKeyChars);

  const schemaField = field("Task schema (JSON Schema)", inputs.schema, {
    pointer: "/config/taskSchema",
    hint: "Leave empty to accept any data. Checked as you type.",
  });
  const schemaState = h("span", { class: "hint", "aria-live": "polite" });
  schemaField.append(schemaState);
  const preview = h("div", { class: "preview", "aria-live": "polite" });

  /** Reads the schema textarea; `{ ok, value }` or `{ ok: false, message }`. */
  function readSchema() {
    const text = inputs.schema.value.trim();
    if (!text) return { ok: true, value: null };
    try {
      const value = JSON.parse(text);
      if (
        value === null || typeof value === "boolean" ||
        (typeof value === "object" && !Array.isArray(value))
      ) {
        return { ok: true, value };
      }
      return { ok: false, message: "A schema must be a JSON object or a boolean" };
    } catch (error) {
      return { ok: false, message: `Invalid JSON: ${error.message}` };
    }
  }

  function checkSchema() {
    const result = readSchema();
    if (result.ok) {
      clearFieldError(schemaField);
      schemaState.textContent = result.value === null
        ? "No schema: any data is accepted"
        : "Valid JSON";
    } else {
      setFieldError(schemaField, result.message);
      schemaState.textContent = "";
    }
    return result;
  }

  const numberOf = (input) => (input.value === "" ? undefined : Number(input.value));

  function policy() {
    return {
      type: inputs.type.value,
      maxAttempts: numberOf(inputs.maxAttempts),
      interval: numberOf(inputs.interval),
      maxInterval: numberOf(inputs.maxInterval),
      multiplier: numberOf(inputs.multiplier),
      jitter: numberOf(inputs.jitter),
    };
  }

  let previewTimer = 0;
  let previewAsked = 0;
  function updatePreview() {
    const p = policy();
    inputs.multiplier.disabled = p.type !== "exponential";
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => showPreview(p), PREVIEW_DELAY_MS);
  }

  /** Shows the delays the manager computes for `p`; fields left empty keep what saving keeps. */
  async function showPreview(p) {
    const asked = ++previewAsked;
    const given = Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));
    let delays;
    try {
      delays = await retryDelays({ ...rp, ...given });
    } catch (error) {
      if (asked !== previewAsked || signal.aborted) return;
      const why = error.errors?.length
        ? error.errors.map((e) => `${e.field}: ${e.message}`).join("; ")
        : error.message;
      replace(preview, h("strong", {}, "Retry delays: "), `fix the policy to see them (${why})`);
      return;
    }
    // An older answer that arrives late is not shown over a newer one.
    if (asked !== previewAsked || signal.aborted) return;
    const shown = delays.slice(0, 12);
    replace(
      preview,
      h("strong", {}, "Retry delays: "),
      delays.length === 0 ? "no retries (one attempt only)" : h(
        "ol",
        { "aria-label": "Delay before each retry" },
        shown.map((d, i) => h("li", {}, `retry ${i + 1}: ${fmtMs(d)}`)),
        delays.length > shown.length
          ? h("li", { class: "muted" }, `… ${delays.length - shown.length} more`)
          : null,
      ),
      p.jitter > 0
        ? h(
          "p",
          { class: "hint" },
          `Jitter takes up to ${Math.round(p.jitter * 100)}% off each delay at random.`,
        )
        : null,
    );
  }

  const form = h(
    "form",
    {
      class: "form panel",
      novalidate: true,
      "aria-label": editing ? `Edit executor ${editing}` : "New executor",
    },
    h(
      "fieldset",
      { disabled: !writable },
      h("legend", {}, "Executor"),
      h(
        "div",
        { class: "row" },
        field("Name", inputs.name, {
          pointer: "/config/name",
          hint: editing ? "Names cannot change" : facts.nameChars,
        }),
        field("Active", inputs.enabled, {
          pointer: "/config/enabled",
          hint: "Unchecked = paused: tasks queue, none is run",
        }),
        field("Write concern", inputs.level, { pointer: "/config/writeConcern" }),
        field("Timeout per attempt (ms)", inputs.timeout, { pointer: "/config/timeout" }),
        field("Max concurrency (0 = no limit)", inputs.maxConcurrency, {
          pointer: "/config/maxConcurrency",
        }),
      ),
    ),
    h(
      "fieldset",
      { disabled: !writable },
      h("legend", {}, "Retry policy"),
      h(
        "div",
        { class: "row" },
        field("Type", inputs.type, { pointer: "/config/retryPolicy/type" }),
        field("Max attempts", inputs.maxAttempts, {
          pointer: "/config/retryPolicy/maxAttempts",
          hint: "The first attempt included",
        }),
        field("Interval (ms)", inputs.interval, { pointer: "/config/retryPolicy/interval" }),
        field("Max interval (ms, 0 = none)", inputs.maxInterval, {
          pointer: "/config/retryPolicy/maxInterval",
        }),
        field("Multiplier", inputs.multiplier, {
          pointer: "/config/retryPolicy/multiplier",
          hint: "Exponential only",
        }),
        field("Jitter (0–1)", inputs.jitter, { pointer: "/config/retryPolicy/jitter" }),
      ),
      preview,
    ),
    h(
      "fieldset",
      { disabled: !writable },
      h("legend", {}, "Dead letter queue"),
      h(
        "div",
        { class: "row" },
        field("Send dead tasks to the DLQ", inputs.dlqEnabled, {
          pointer: "/config/dlqConfig/enabled",
        }),
        field("Queue name", inputs.queueName, {
          pointer: "/config/dlqConfig/queueName",
          hint: facts.nameChars,
        }),
      ),
    ),
    flow.fieldset,
    schemaField,
    h(
      "div",
      { class: "actions" },
      writable
        ? h(
          "button",
          { type: "submit", class: "btn btn-primary" },
          editing ? "Save changes" : "Create executor",
        )
        : null,
      h("a", { class: "btn", href: href("/executors") }, writable ? "Cancel" : "Back"),
      editing && can("executors.delete")
        ? button("Delete", () => deleteExecutor(editing, box, () => navigate("/executors")), {
          kind: "danger",
        })
        : null,
    ),
  );

  inputs.schema.addEventListener("input", checkSchema);
  for (const key of ["type", "maxAttempts", "interval", "maxInterval", "multiplier", "jitter"]) {
    inputs[key].addEventListener("input", updatePreview);
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const schema = checkSchema();
    if (!schema.ok) {
      replace(box, notice("error", "Fix the task schema", schema.message));
      inputs.schema.focus();
      return;
    }
    const config = {
      enabled: inputs.enabled.checked,
      writeConcern: { level: inputs.level.value },
      retryPolicy: policy(),
      dlqConfig: { enabled: inputs.dlqEnabled.checked, queueName: inputs.queueName.value.trim() },
      taskSchema: schema.value,
      timeout: numberOf(inputs.timeout),
      maxConcurrency: numberOf(inputs.maxConcurrency),
      ...flow.read(),
    };
    if (!editing) config.name = inputs.name.value.trim();
    const submit = form.querySelector('button[type="submit"]');
    await busy(submit, async () => {
      try {
        const { executor } = editing
          ? await put(`/executors/${seg(editing)}`, { config })
          : await post("/executors", { config });
        navigate(`/executors/${encodeURIComponent(executor.name)}`, { saved: "1" });
      } catch (error) {
        showError(box, error, form);
      }
    });
  });

  const saved = query.get("saved");
  replace(
    main,
    h(
      "div",
      { class: "head" },
      h("h1", {}, editing ? `Executor ${editing}` : "New executor"),
      editing
        ? h(
          "div",
          { class: "actions" },
          can("tasks.read") &&
            link(href("/tasks", { executorName: editing }), "Tasks", { class: "btn" }),
          can("tasks.create") &&
            link(href("/tasks/new", { executorName: editing }), "New task", { class: "btn" }),
        )
        : null,
    ),
    box,
    form,
    editing
      ? h(
        "p",
        { class: "muted" },
        "Created ",
        time(current.createdAt),
        " · updated ",
        time(current.updatedAt),
      )
      : null,
  );
  if (saved) replace(box, notice("ok", "Executor saved"));
  signal.addEventListener("abort", () => clearTimeout(previewTimer));
  checkSchema();
  updatePreview();
  return {};
}
