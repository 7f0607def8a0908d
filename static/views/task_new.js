/**
 * New task form: the data inputs are generated from the executor's schema when it is a simple
 * object schema (one typed input per property), or typed as raw JSON otherwise.
 */
import { get, post, seg } from "../api.js";
import {
  busy,
  clearFieldErrors,
  field,
  h,
  localToIso,
  notice,
  replace,
  select,
  setFieldError,
  showError,
} from "../dom.js";
import { href, navigate } from "../router.js";
import { can } from "../session.js";
import { loadExecutors } from "./shared.js";

const SIMPLE_TYPES = ["string", "number", "integer", "boolean"];

function typeOf(prop) {
  if (Array.isArray(prop?.type)) return prop.type.find((t) => t !== "null");
  return prop?.type;
}

/** Whether a schema is an object schema whose properties are all simple scalars. */
export function isSimpleSchema(schema) {
  if (!schema || typeof schema !== "object" || schema.type !== "object") return false;
  const props = schema.properties;
  if (!props || typeof props !== "object" || Object.keys(props).length === 0) return false;
  return Object.values(props).every((p) =>
    SIMPLE_TYPES.includes(typeOf(p)) || Array.isArray(p?.enum)
  );
}

/** One input per property of a simple object schema. */
function schemaInputs(schema) {
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return Object.entries(schema.properties).map(([name, prop]) => {
    const type = typeOf(prop);
    let control;
    if (Array.isArray(prop.enum)) {
      control = select(
        name,
        [["", "—"], ...prop.enum.map((v) => [JSON.stringify(v), String(v)])],
        prop.default === undefined ? "" : JSON.stringify(prop.default),
      );
      control.dataset.kind = "enum";
    } else if (type === "boolean") {
      control = h("input", { type: "checkbox", name, checked: prop.default === true });
      control.dataset.kind = "boolean";
    } else if (type === "number" || type === "integer") {
      control = h("input", {
        type: "number",
        name,
        step: type === "integer" ? 1 : "any",
        min: prop.minimum,
        max: prop.maximum,
        value: prop.default,
      });
      control.dataset.kind = type;
    } else {
      control = h("input", {
        type: "text",
        name,
        value: prop.default,
        maxlength: prop.maxLength,
        autocomplete: "off",
      });
      control.dataset.kind = "string";
    }
    if (required.has(name)) control.required = true;
    control.dataset.prop = name;
    const label = `${prop.title || name}${required.has(name) ? " *" : ""}`;
    return field(label, control, {
      pointer: `/task/data/${name.replaceAll("~", "~0").replaceAll("/", "~1")}`,
      hint: prop.description,
    });
  });
}

/** Reads the generated inputs into a data object, leaving out empty optional ones. */
function readInputs(container) {
  const data = {};
  for (const control of container.querySelectorAll("[data-prop]")) {
    const name = control.dataset.prop;
    const kind = control.dataset.kind;
    if (kind === "boolean") data[name] = control.checked;
    else if (control.value === "") continue;
    else if (kind === "enum") data[name] = JSON.parse(control.value);
    else if (kind === "number" || kind === "integer") data[name] = Number(control.value);
    else data[name] = control.value;
  }
  return data;
}

function fillInputs(container, data) {
  if (!data || typeof data !== "object") return;
  for (const control of container.querySelectorAll("[data-prop]")) {
    const value = data[control.dataset.prop];
    if (value === undefined) continue;
    if (control.dataset.kind === "boolean") control.checked = Boolean(value);
    else if (control.dataset.kind === "enum") control.value = JSON.stringify(value);
    else control.value = String(value);
  }
}

/** The new task form (`#/tasks/new?executorName=…`). */
export async function taskNewView({ main, query, signal }) {
  const box = h("div");
  if (!can("tasks.create")) {
    replace(main, h("h1", {}, "New task"), notice("info", "This key may not create tasks"));
    return {};
  }
  const executors = await loadExecutors(box, signal);
  if (!executors) return;
  const chosen = query.get("executorName") ?? executors[0]?.name ?? "";
  const executorSelect = select("executorName", executors.map((e) => e.name), chosen);
  const raw = h("textarea", { name: "data", rows: 8, spellcheck: "false" });
  raw.value = "{}";
  const rawField = field("Data (JSON)", raw, { pointer: "/task/data" });
  const rawToggle = h("input", { type: "checkbox", name: "rawMode" });
  const toggleField = field("Edit data as raw JSON", rawToggle);
  const generated = h("div", { class: "row" });
  const generatedBox = h(
    "fieldset",
    { dataset: { pointer: "/task/data" } },
    h("legend", {}, "Data"),
    generated,
    h("span", { class: "field-error", "aria-live": "polite" }),
  );
  const schemaNote = h("p", { class: "hint" });
  const metadata = h("textarea", {
    name: "metadata",
    rows: 3,
    spellcheck: "false",
    placeholder: "key=value, one per line",
  });
  const priority = h("input", { type: "number", name: "priority", value: 0, step: 1 });
  const runAt = h("input", { type: "datetime-local", name: "runAt" });
  const idem = h("input", { name: "idempotencyKey", autocomplete: "off" });
  let schema = null;

  function simple() {
    return isSimpleSchema(schema) && !rawToggle.checked;
  }

  function layout() {
    const useForm = simple();
    generatedBox.hidden = !useForm;
    rawField.hidden = useForm;
    toggleField.hidden = !isSimpleSchema(schema);
  }

  async function loadSchema() {
    schema = null;
    generated.replaceChildren();
    const name = executorSelect.value;
    if (!name) return layout();
    try {
      const { executor } = await get(`/executors/${seg(name)}`, undefined, signal);
      schema = executor.taskSchema;
      schemaNote.textContent = schema === null || schema === undefined
        ? "This executor accepts any JSON data."
        : isSimpleSchema(schema)
        ? "Fields come from the executor's task schema."
        : "The executor's schema is not a simple object: type the data as JSON.";
      if (isSimpleSchema(schema)) generated.append(...schemaInputs(schema));
    } catch (error) {
      showError(box, error);
    }
    layout();
  }

  rawToggle.addEventListener("change", () => {
    if (rawToggle.checked) raw.value = JSON.stringify(readInputs(generated), null, 2);
    else {
      try {
        fillInputs(generated, JSON.parse(raw.value));
      } catch { /* keep the inputs as they were */ }
    }
    layout();
  });
  executorSelect.addEventListener("change", loadSchema);

  const form = h(
    "form",
    { class: "form panel", novalidate: true, "aria-label": "New task" },
    h(
      "div",
      { class: "row" },
      field("Executor", executorSelect, { pointer: "/task/executorName" }),
      field("Priority", priority, { pointer: "/task/priority", hint: "Higher runs first" }),
      field("Run at (empty = now)", runAt, { pointer: "/task/runAt" }),
      field("Idempotency key", idem, { pointer: "/task/idempotencyKey" }),
    ),
    schemaNote,
    toggleField,
    generatedBox,
    rawField,
    field("Metadata", metadata, { pointer: "/task/metadata", hint: "key=value, one per line" }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary" }, "Create task"),
      h(
        "a",
        { class: "btn", href: href("/tasks", { executorName: executorSelect.value }) },
        "Cancel",
      ),
    ),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    box.replaceChildren();
    let data;
    if (simple()) data = readInputs(generated);
    else {
      try {
        data = JSON.parse(raw.value || "null");
      } catch (error) {
        setFieldError(rawField, `Invalid JSON: ${error.message}`);
        raw.focus();
        return;
      }
    }
    const meta = {};
    for (const line of metadata.value.split("\n")) {
      if (!line.trim()) continue;
      const at = line.indexOf("=");
      if (at < 1) {
        setFieldError(
          form.querySelector('[data-pointer="/task/metadata"]'),
          `Line "${line.trim()}" is not key=value`,
        );
        return;
      }
      meta[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    const task = {
      executorName: executorSelect.value,
      data,
      metadata: meta,
      priority: priority.value === "" ? 0 : Number(priority.value),
    };
    if (runAt.value) task.runAt = localToIso(runAt.value);
    if (idem.value.trim()) task.idempotencyKey = idem.value.trim();
    await busy(form.querySelector('button[type="submit"]'), async () => {
      try {
        const created = await post("/tasks", { task });
        navigate(`/tasks/${encodeURIComponent(created.task.id)}`);
      } catch (error) {
        showError(box, error, form);
      }
    });
  });

  replace(
    main,
    h("div", { class: "head" }, h("h1", {}, "New task")),
    box,
    executors.length === 0
      ? notice("info", "No executors yet", "Create an executor before enqueueing tasks.")
      : form,
  );
  await loadSchema();
  return {};
}
