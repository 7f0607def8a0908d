/**
 * New task form: the data inputs are generated from the executor's schema when it is a simple
 * object schema (one typed input per property, its bounds checked in the browser before sending),
 * or typed as raw JSON otherwise. The task's own fields sit apart, under "Task", so a data field
 * named like one of them (`priority`) is never mistaken for it.
 */
import { get, post, seg } from "../api.js";
import {
  busy,
  clearFieldError,
  clearFieldErrors,
  field,
  h,
  notice,
  replace,
  select,
  setFieldError,
  showError,
} from "../dom.js";
import { href, navigate } from "../router.js";
import { inputToIso, zoneName } from "../times.js";
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

/** The schema property each generated input was made from. */
const PROPS = new WeakMap();

const isNumber = (value) => typeof value === "number" && Number.isFinite(value);

/**
 * What is wrong with a generated input's value against its property's schema, or "" when
 * nothing: required, type (integer, number), minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum, multipleOf, minLength and maxLength (counted in characters, as JSON Schema
 * does). `pattern` and `format` are left to the manager, whose answer shows at the field.
 */
export function inputProblem(kind, value, prop, required) {
  if (kind === "boolean") return "";
  if (value === "") return required ? "Is required" : "";
  if (kind === "string") {
    const length = [...value].length;
    if (isNumber(prop.minLength) && length < prop.minLength) {
      return `Must be at least ${prop.minLength} characters long`;
    }
    if (isNumber(prop.maxLength) && length > prop.maxLength) {
      return `Must be at most ${prop.maxLength} characters long`;
    }
  }
  if (kind === "number" || kind === "integer") {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n)) return "Must be a number";
    if (kind === "integer" && !Number.isInteger(n)) return "Must be a whole number";
    if (isNumber(prop.minimum) && n < prop.minimum) return `Must be ${prop.minimum} or more`;
    if (isNumber(prop.maximum) && n > prop.maximum) return `Must be ${prop.maximum} or less`;
    if (isNumber(prop.exclusiveMinimum) && n <= prop.exclusiveMinimum) {
      return `Must be more than ${prop.exclusiveMinimum}`;
    }
    if (isNumber(prop.exclusiveMaximum) && n >= prop.exclusiveMaximum) {
      return `Must be less than ${prop.exclusiveMaximum}`;
    }
    if (isNumber(prop.multipleOf) && prop.multipleOf > 0) {
      const ratio = n / prop.multipleOf;
      if (Math.abs(ratio - Math.round(ratio)) > 1e-9) {
        return `Must be a multiple of ${prop.multipleOf}`;
      }
    }
  }
  return "";
}

/** Checks one generated input, showing the problem at its field; answers whether it is fine. */
function checkInput(control) {
  const wrapper = control.closest("[data-pointer]");
  // An input whose text is not a number reads as "" (badInput): that is a problem too.
  const value = control.validity.badInput ? "not a number" : control.value;
  const problem = inputProblem(control.dataset.kind, value, PROPS.get(control), control.required);
  if (problem) setFieldError(wrapper, problem);
  else clearFieldError(wrapper);
  return problem === "";
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
        // Bounds for the arrows and the keyboard; every rule is checked by `inputProblem`.
        step: type === "integer" ? 1 : "any",
        min: isNumber(prop.minimum) ? prop.minimum : prop.exclusiveMinimum,
        max: isNumber(prop.maximum) ? prop.maximum : prop.exclusiveMaximum,
        value: prop.default,
      });
      control.dataset.kind = type;
    } else {
      control = h("input", {
        type: "text",
        name,
        value: prop.default,
        autocomplete: "off",
      });
      control.dataset.kind = "string";
    }
    // A required boolean is sent either way: a checkbox marked required would demand "true".
    if (required.has(name) && control.dataset.kind !== "boolean") control.required = true;
    control.dataset.prop = name;
    PROPS.set(control, prop);
    control.addEventListener("change", () => checkInput(control));
    const label = `${prop.title || name}${required.has(name) ? " *" : ""}`;
    return field(label, control, {
      pointer: `/task/data/${name.replaceAll("~", "~0").replaceAll("/", "~1")}`,
      hint: prop.description,
    });
  });
}

/** Reads the generated inputs into a data object, leaving out empty optional ones. */
function readInputs(container) {
  const data = Object.create(null); // property names come from the schema: "__proto__" too
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
    h("legend", {}, "Data (checked against the executor's schema)"),
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
      "fieldset",
      {},
      h("legend", {}, "Task"),
      h(
        "div",
        { class: "row" },
        field("Executor", executorSelect, { pointer: "/task/executorName" }),
        field("Task priority", priority, {
          pointer: "/task/priority",
          hint: "Higher runs first; not part of the data",
        }),
        field(`Run at, ${zoneName()} (empty = now)`, runAt, { pointer: "/task/runAt" }),
        field("Idempotency key", idem, { pointer: "/task/idempotencyKey" }),
      ),
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
    if (simple()) {
      const controls = [...generated.querySelectorAll("[data-prop]")];
      const wrong = controls.filter((control) => !checkInput(control));
      if (wrong.length > 0) {
        wrong[0].focus();
        return;
      }
      data = readInputs(generated);
    } else {
      try {
        data = JSON.parse(raw.value || "null");
      } catch (error) {
        setFieldError(rawField, `Invalid JSON: ${error.message}`);
        raw.focus();
        return;
      }
    }
    const meta = Object.create(null); // keys are typed by the user: "__proto__" too
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
    if (runAt.value) task.runAt = inputToIso(runAt.value);
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
