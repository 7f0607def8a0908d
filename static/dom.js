/**
 * DOM helpers shared by the views: element builders that only ever set text through
 * `textContent`, time and duration formatting, tables that stack as cards, and error display.
 */
import { ApiError } from "./api.js";
import { fmtTime, timeMode, zoneName } from "./times.js";

const SVG_NS = "http://www.w3.org/2000/svg";

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Builds an element. `props` keys: `class`, `text` (set as textContent), `on` (event listeners),
 * `dataset`, boolean or string attributes otherwise. Strings among the children become text
 * nodes, so untrusted data can never become markup.
 *
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    } else if (key === "text") el.textContent = String(value);
    else if (key === "on") {
      for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn);
    } else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "value") el.value = String(value);
    else if (key === "checked" || key === "selected") el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** Builds an SVG element with attributes (no style attributes: a strict CSP forbids them). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  append(el, children);
  return el;
}

/** Replaces every child of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A link to a route of this page. */
export function link(href, text, props = {}) {
  return h("a", { href, ...props }, text);
}

/**
 * An RFC 3339 time as a `<time>` element in the zone shown (see times.js: `…Z` for UTC, or the
 * local offset), its tooltip the same instant in the other zone; a dash for none.
 */
export function time(value) {
  if (!value) return h("span", { class: "muted" }, "—");
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return h("span", {}, String(value));
  const other = timeMode() === "utc" ? "local" : "utc";
  return h(
    "time",
    { datetime: date.toISOString(), title: `${fmtTime(date, other)} (${zoneName(other)})` },
    fmtTime(date),
  );
}

/** Milliseconds as a short human duration (`250 ms`, `1.5 s`, `2 min 5 s`, `3 h 10 min`). */
export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(s < 10 ? 2 : 1))} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${Math.round(s % 60) ? ` ${Math.round(s % 60)} s` : ""}`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h${m % 60 ? ` ${m % 60} min` : ""}`;
  return `${Math.floor(hours / 24)} d${hours % 24 ? ` ${hours % 24} h` : ""}`;
}

/** How long ago an RFC 3339 time was. */
export function ago(value) {
  if (!value) return "—";
  const ms = Date.now() - new Date(value).getTime();
  if (!Number.isFinite(ms)) return "—";
  return ms < 0 ? `in ${fmtMs(-ms)}` : `${fmtMs(ms)} ago`;
}

/** A status badge (`pending` shown as "retrying" when a retry waits out its backoff). */
export function badge(status, task) {
  const label = status === "pending" && task && task.attempt > 0 ? "retrying" : status;
  return h("span", { class: `badge badge-${status}` }, label.replace("_", " "));
}

/** Pretty JSON in a `<pre>`, set as text. */
export function json(value, props = {}) {
  return h(
    "pre",
    { class: "json", tabindex: "0", ...props },
    JSON.stringify(value ?? null, null, 2),
  );
}

/**
 * A table whose rows stack as labelled cards on narrow screens.
 *
 * @param {{label: string, cell: (row: any) => any, class?: string}[]} columns
 * @param {any[]} rows
 * @param {{empty?: string, caption?: string, rowClass?: (row: any) => string}} [options]
 */
export function table(columns, rows, options = {}) {
  if (rows.length === 0) return h("p", { class: "empty" }, options.empty ?? "Nothing here yet.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "cards" },
      options.caption ? h("caption", { class: "visually-hidden" }, options.caption) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
      h(
        "tbody",
        {},
        rows.map((row) =>
          h(
            "tr",
            { class: options.rowClass?.(row) },
            columns.map((c) =>
              h("td", { dataset: { label: c.label }, class: c.class }, c.cell(row))
            ),
          )
        ),
      ),
    ),
  );
}

/** A message box; `kind` is `error`, `ok` or `info`. */
export function notice(kind, title, ...body) {
  return h(
    "div",
    { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" },
    title ? h("strong", {}, title) : null,
    body.length ? h("div", {}, body) : null,
  );
}

/**
 * Shows an error in `box`. For an `ApiError`, per-field errors go next to the field in `form`
 * whose `data-pointer` is the longest prefix of the error's JSON pointer; the rest are listed in
 * the box.
 *
 * @param {HTMLElement} box
 * @param {unknown} error
 * @param {HTMLFormElement} [form]
 */
export function showError(box, error, form) {
  if (form) clearFieldErrors(form);
  if (error instanceof DOMException && error.name === "AbortError") return;
  if (!(error instanceof ApiError)) {
    console.warn(error);
    replace(box, notice("error", "Something went wrong", String(error?.message ?? error)));
    return;
  }
  const unplaced = [];
  for (const violation of error.errors) {
    if (!form || !placeFieldError(form, violation)) unplaced.push(violation);
  }
  replace(
    box,
    notice(
      "error",
      error.title,
      error.detail ? h("p", {}, error.detail) : null,
      unplaced.length
        ? h(
          "ul",
          {},
          unplaced.map((v) => h("li", {}, h("code", {}, v.field || "/"), " ", v.message)),
        )
        : null,
    ),
  );
  // A load's error (`newestLoads`) goes when a later load of the view is answered.
  if (error.load) box.querySelector(".notice")?.setAttribute("data-load-error", "");
  box.querySelector(".notice")?.focus?.();
}

function placeFieldError(form, violation) {
  let pointer = String(violation.field ?? "");
  while (pointer) {
    const slot = [...form.querySelectorAll("[data-pointer]")]
      .find((el) => el.dataset.pointer === pointer);
    if (slot) {
      setFieldError(slot, violation.message);
      return true;
    }
    pointer = pointer.slice(0, Math.max(0, pointer.lastIndexOf("/")));
  }
  return false;
}

/** Shows `message` next to the field whose wrapper carries `data-pointer`. */
export function setFieldError(wrapper, message) {
  const out = wrapper.querySelector(".field-error");
  const input = wrapper.querySelector("input, select, textarea");
  if (out) out.textContent = message;
  if (input) input.setAttribute("aria-invalid", "true");
}

/** Clears one field's error. */
export function clearFieldError(wrapper) {
  const out = wrapper.querySelector(".field-error");
  const input = wrapper.querySelector("input, select, textarea");
  if (out) out.textContent = "";
  if (input) input.removeAttribute("aria-invalid");
}

/** Clears every field error of a form. */
export function clearFieldErrors(form) {
  for (const wrapper of form.querySelectorAll("[data-pointer]")) clearFieldError(wrapper);
}

let fieldCounter = 0;

/**
 * A labelled form field with its error slot. `pointer` is the JSON pointer the API uses for it.
 *
 * @param {string} label
 * @param {HTMLElement} control an input, select or textarea
 * @param {{pointer?: string, hint?: string, class?: string}} [options]
 */
export function field(label, control, options = {}) {
  const id = control.id || `f${++fieldCounter}`;
  control.id = id;
  const errorId = `${id}-error`;
  const hintId = options.hint ? `${id}-hint` : null;
  control.setAttribute("aria-describedby", [hintId, errorId].filter(Boolean).join(" "));
  const isCheck = control instanceof HTMLInputElement && control.type === "checkbox";
  return h(
    "div",
    {
      class: ["field", isCheck && "field-check", options.class],
      dataset: options.pointer ? { pointer: options.pointer } : undefined,
    },
    isCheck ? null : h("label", { for: id }, label),
    isCheck ? h("label", { for: id, class: "check" }, control, " ", label) : control,
    hintId ? h("small", { id: hintId, class: "hint" }, options.hint) : null,
    h("span", { id: errorId, class: "field-error", "aria-live": "polite" }),
  );
}

/** A `<select>` with options given as values or `[value, label]` pairs. */
export function select(name, options, value) {
  return h(
    "select",
    { name },
    options.map((o) => {
      const [v, label] = Array.isArray(o) ? o : [o, o];
      return h("option", { value: v, selected: String(v) === String(value ?? "") }, label);
    }),
  );
}

/** A button; `kind` is `primary`, `danger` or empty. */
export function button(text, onClick, props = {}) {
  const { kind, ...rest } = props;
  return h("button", {
    type: "button",
    class: ["btn", kind && `btn-${kind}`],
    on: { click: onClick },
    ...rest,
  }, text);
}

/** Disables a button while `work` runs. */
export async function busy(btn, work) {
  btn.disabled = true;
  btn.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    btn.disabled = false;
    btn.removeAttribute("aria-busy");
  }
}
