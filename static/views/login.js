/**
 * The login view: an API key typed once becomes a session cookie the page never sees (HttpOnly);
 * the key itself is kept nowhere in the page.
 */
import { busy, field, h, notice, replace, showError } from "../dom.js";
import { logIn } from "../session.js";

/**
 * Renders the login form in `main`; calls `onLoggedIn(session)` after a successful login.
 *
 * @param {{main: HTMLElement, onLoggedIn: (session: object) => void, error?: unknown,
 *   reason?: string}} options `error` is shown at once (a failed `#key=` login), `reason` says
 *   why the page asks again (a session that ended)
 */
export function loginView({ main, onLoggedIn, error, reason }) {
  const box = h("div");
  const key = h("input", {
    type: "password",
    name: "key",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    placeholder: "te_…",
  });
  const form = h(
    "form",
    { class: "form panel login", novalidate: true, "aria-label": "Log in" },
    field("API key", key, {
      pointer: "/key",
      hint: "The manager printed an admin key at its first start, and the command that makes " +
        "more: keys create --name NAME --scope admin (or read, producer…) on its store.",
    }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary" }, "Log in"),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    box.replaceChildren();
    await busy(form.querySelector('button[type="submit"]'), async () => {
      try {
        const session = await logIn(key.value.trim());
        key.value = "";
        onLoggedIn(session);
      } catch (failure) {
        showError(box, failure, form);
      }
    });
  });
  replace(
    main,
    h("div", { class: "head" }, h("h1", {}, "Log in")),
    reason ? notice("info", reason) : null,
    box,
    form,
  );
  if (error) showError(box, error, form);
  key.focus();
}
