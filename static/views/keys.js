/**
 * API keys: every key (name, id, scopes, executors, when it was made, last used and revoked), a
 * form that makes one and shows its token once, and revocation. Only for keys that may
 * `keys.manage`; the manager keeps no token, so a token shown here cannot be shown again.
 */
import { del, get, newestLoads, post, seg } from "../api.js";
import { fmtTime } from "../times.js";
import {
  ago,
  busy,
  button,
  clearFieldErrors,
  field,
  h,
  notice,
  replace,
  showError,
  table,
  time,
} from "../dom.js";
import { can, currentSession } from "../session.js";
import { cursorPages } from "../pager.js";

/**
 * The scopes a key can have, with what each allows: the words of the README's scope table
 * (tests/security_scopes_test.ts keeps them equal).
 */
const SCOPES = [
  ["admin", "everything, keys included"],
  [
    "producer",
    "create and read tasks; create, read, change, pause, resume, trigger and delete schedules; " +
    "read executors; limited to named executors when made with executors",
  ],
  [
    "worker",
    "the worker protocol and registering its executors, limited to the executors named (required)",
  ],
  [
    "read",
    "read-only: executors, tasks, schedules, DLQ, stats, workers, events, metrics " +
    "(the admin page without write actions)",
  ],
  ["metrics", "GET /metrics only"],
];
/** Scopes that may be limited to named executors. */
const LIMITED = ["producer", "worker"];

/** The keys view (`#/keys`). */
export async function keysView({ main, query, signal }) {
  if (!can("keys.manage")) {
    replace(main, h("h1", {}, "API keys"), notice("info", "This key may not manage keys"));
    return {};
  }
  const box = h("div");
  const created = h("div", { "aria-live": "polite" });
  const body = h("div");
  // A page at a time (`?cursor=…`): revoked keys stay, so the list only grows.
  const cursor = query.get("cursor") ?? "";
  const pages = cursorPages("/keys", {}, cursor);

  const loads = newestLoads(signal, box);
  async function load() {
    const current = loads.next();
    try {
      const { keys, nextCursor } = await get("/keys", { cursor }, current);
      if (current.aborted) return;
      replace(body, keysTable(keys, box, load), pages.pager(nextCursor));
    } catch (error) {
      if (!current.aborted) showError(box, error);
    }
  }

  replace(
    main,
    h("div", { class: "head" }, h("h1", {}, "API keys")),
    box,
    created,
    createForm(box, created, load),
    h("h2", {}, "Keys"),
    body,
  );
  await load();
  // Keys are not among the live events: read them again when the tab comes back.
  return { refresh: (events) => events.some((e) => e.type === "resume") && load() };
}

function keysTable(keys, box, load) {
  const own = currentSession()?.keyId;
  return table(
    [
      {
        label: "Name",
        cell: (k) =>
          h(
            "span",
            {},
            k.name,
            k.id === own ? h("span", { class: "muted" }, " (this page)") : null,
          ),
      },
      { label: "Id", class: "id", cell: (k) => k.id },
      { label: "Scopes", cell: (k) => k.scopes.join(", ") },
      {
        label: "Executors",
        cell: (k) =>
          k.executors ? k.executors.join(", ") : h(
            "span",
            { class: "muted" },
            k.scopes.some((s) => LIMITED.includes(s)) ? "every executor" : "—",
          ),
      },
      { label: "Created", cell: (k) => time(k.createdAt) },
      {
        label: "Last used",
        cell: (k) =>
          k.lastUsedAt ? h("span", { title: fmtTime(k.lastUsedAt) }, ago(k.lastUsedAt)) : "never",
      },
      {
        label: "Revoked",
        cell: (k) => k.revokedAt ? time(k.revokedAt) : h("span", { class: "muted" }, "no"),
      },
      {
        label: "",
        cell: (k) =>
          k.revokedAt ? null : button("Revoke", () => revoke(k, own, box, load), {
            class: "btn btn-small btn-danger",
            "aria-label": `Revoke key ${k.name}`,
          }),
      },
    ],
    keys,
    {
      empty: "No keys yet.",
      caption: "API keys",
      rowClass: (k) => k.revokedAt ? "revoked" : "",
    },
  );
}

async function revoke(key, own, box, load) {
  const warning = key.id === own
    ? "\n\nThis page is logged in with it and will ask for a key."
    : "";
  const question = `Revoke key "${key.name}" (${key.id})? ` +
    `Every client using it is refused at once.${warning}`;
  if (!confirm(question)) return;
  try {
    await del(`/keys/${seg(key.id)}`);
    replace(box, notice("ok", `Key "${key.name}" revoked`));
    await load();
  } catch (error) {
    showError(box, error);
  }
}

/** Executor names typed as a list separated by commas or spaces. */
function names(text) {
  return text.split(/[\s,]+/).filter(Boolean);
}

function createForm(box, created, load) {
  const name = h("input", {
    name: "name",
    required: true,
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "billing-producer",
  });
  const scopes = SCOPES.map(([scope]) =>
    h("input", { type: "checkbox", name: "scopes", value: scope })
  );
  const executors = h("input", {
    name: "executors",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "send_email, resize_image",
    disabled: true,
  });
  const chosen = () => scopes.filter((s) => s.checked).map((s) => s.value);
  const limitable = () => chosen().some((s) => LIMITED.includes(s));
  for (const input of scopes) {
    input.addEventListener("change", () => executors.disabled = !limitable());
  }

  const form = h(
    "form",
    { class: "form panel", novalidate: true, "aria-label": "New key" },
    h("h2", {}, "New key"),
    h(
      "div",
      { class: "row" },
      field("Name", name, { pointer: "/name", hint: "Who or what uses it" }),
      field("Executors", executors, {
        pointer: "/executors",
        hint: "Producer and worker keys: names separated by commas. Required for worker keys; " +
          "empty = every executor.",
      }),
    ),
    h(
      "fieldset",
      { class: "statuses", dataset: { pointer: "/scopes" } },
      h("legend", {}, "Scopes"),
      scopes.map((input, i) =>
        h(
          "label",
          {},
          input,
          h("span", { class: "scope" }, SCOPES[i][0]),
          h("span", { class: "hint" }, SCOPES[i][1]),
        )
      ),
      h("span", { class: "field-error", "aria-live": "polite" }),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary" }, "Create key"),
    ),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    box.replaceChildren();
    created.replaceChildren();
    clearFieldErrors(form);
    const input = { name: name.value.trim(), scopes: chosen() };
    const limitedTo = names(executors.value);
    if (limitable() && limitedTo.length) input.executors = limitedTo;
    await busy(form.querySelector('button[type="submit"]'), async () => {
      try {
        const answer = await post("/keys", input);
        form.reset();
        executors.disabled = true;
        replace(created, tokenOnce(answer.key, answer.token, created));
        created.querySelector("input")?.focus();
        await load();
      } catch (error) {
        showError(box, error, form);
      }
    });
  });
  return form;
}

/** The new key's token in a read-only field, with a copy button and the warning. */
function tokenOnce(key, token, container) {
  const output = h("input", {
    name: "token",
    readonly: true,
    value: token,
    autocomplete: "off",
    spellcheck: "false",
    class: "mono",
  });
  output.addEventListener("focus", () => output.select());
  const copied = h("span", { class: "hint", "aria-live": "polite" });
  return h(
    "section",
    { class: "panel", "aria-label": "New key's token" },
    notice(
      "warn",
      `Key "${key.name}" created (id ${key.id})`,
      h(
        "p",
        {},
        "Copy its token now: it will not be shown again. The manager keeps only a hash of it.",
      ),
    ),
    field("Token", output),
    h(
      "div",
      { class: "actions" },
      button("Copy", async () => {
        output.select();
        try {
          await navigator.clipboard.writeText(token);
          copied.textContent = "Copied";
        } catch {
          // No clipboard outside a secure context: the token is selected for the keyboard.
          copied.textContent = "Selected: press Ctrl+C (⌘C) to copy";
        }
      }, { kind: "primary" }),
      button("Done", () => container.replaceChildren()),
      copied,
    ),
  );
}
