/**
 * A small router over `location.hash` (`#/tasks?status=pending`): the path picks the view and the
 * query keeps the view's filters, so a filtered list can be bookmarked, shared and reloaded.
 */

/** The current route: `path` (e.g. `/tasks/123`) and its `query`. */
export function current() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const at = raw.indexOf("?");
  const path = at === -1 ? raw : raw.slice(0, at);
  const query = new URLSearchParams(at === -1 ? "" : raw.slice(at + 1));
  return { path: path.startsWith("/") ? path : `/${path}`, query };
}

/**
 * A hash link to `path` with the non-empty entries of `query`.
 *
 * @param {string} path
 * @param {Record<string, string|number|undefined|null>|URLSearchParams} [query]
 */
export function href(path, query = {}) {
  const params = new URLSearchParams();
  const entries = query instanceof URLSearchParams ? query.entries() : Object.entries(query);
  for (const [key, value] of entries) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const qs = params.toString();
  return `#${path}${qs ? `?${qs}` : ""}`;
}

/** Goes to a route (a new history entry, so Back works). */
export function navigate(path, query) {
  const target = href(path, query);
  if (location.hash === target) globalThis.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = target;
}

/**
 * Finds the view for a path.
 *
 * @param {[RegExp, Function][]} routes
 * @param {string} path
 * @returns {{view: Function, params: string[]} | null}
 */
export function match(routes, path) {
  for (const [pattern, view] of routes) {
    const found = pattern.exec(path);
    if (found) return { view, params: found.slice(1).map((p) => decodeURIComponent(p)) };
  }
  return null;
}
