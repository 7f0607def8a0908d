/**
 * The search box of the tasks and DLQ views: what its text means (a data field, a metadata entry
 * or a task id), the query `GET /api/v1/tasks/search` takes for it, and the filter panel that
 * folds away on a phone.
 */
import { field, h } from "../dom.js";
import { navigate } from "../router.js";

/** Widest viewport, in CSS px, where the filter panel starts folded. */
const PHONE = "(max-width: 720px)";

/**
 * The search query of a search box text: `/pointer = value` searches the data (the value as JSON,
 * or as a string when it is not JSON), `key = value` the metadata, anything else is a task id
 * (the views go straight to that task). `null` for empty text.
 *
 * @param {string} text
 * @returns {Record<string, string> | null}
 */
export function searchQuery(text) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const at = trimmed.indexOf("=");
  if (at < 0) return { id: trimmed };
  const left = trimmed.slice(0, at).trim();
  const right = trimmed.slice(at + 1).trim();
  if (left.startsWith("/")) return { dataPointer: left, dataValue: right };
  return { metadataKey: left, metadataValue: right };
}

/**
 * The search text of a submitted filter form (its `q`, trimmed), or `null` when that text is a
 * task id: then the task's page under `base` (`/tasks`, `/dlq`) is opened instead.
 *
 * @param {FormData} data
 * @param {string} base
 * @returns {string | null}
 */
export function searchOrOpenTask(data, base) {
  const q = String(data.get("q") ?? "").trim();
  const search = searchQuery(q);
  if (search?.id) {
    navigate(`${base}/${encodeURIComponent(search.id)}`);
    return null;
  }
  return q;
}

/** The search box field, named `q`. */
export function searchField(value) {
  return field(
    "Search",
    h("input", {
      type: "search",
      name: "q",
      value,
      placeholder: "/orderId = 123, tenant = acme or a task id",
      autocomplete: "off",
      spellcheck: "false",
    }),
    {
      hint: "A data field (JSON pointer), a metadata entry, or a task id to open",
      class: "field-search",
    },
  );
}

/**
 * A note under search results that did not look at every task: how many this page looked at,
 * and that "Next" searches older tasks. `null` when the search looked at all there was.
 */
export function searchNote(page) {
  if (!page.nextCursor || page.scanned === undefined) return null;
  return h(
    "p",
    { class: "hint search-note" },
    `Searched the ${page.scanned} newest tasks from here. Use “Next →” to search older ones.`,
  );
}

/**
 * The filter form inside a panel that folds: open on a wide screen, folded on a phone, its
 * summary saying how many filters are set.
 *
 * @param {HTMLFormElement} form
 * @param {number} active filters set now (search included)
 */
export function foldingFilters(form, active) {
  const details = h(
    "details",
    { class: "filters-fold" },
    h("summary", {}, active ? `Filters and search (${active} set)` : "Filters and search"),
    form,
  );
  details.open = !globalThis.matchMedia?.(PHONE).matches;
  return details;
}
