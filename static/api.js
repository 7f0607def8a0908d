/**
 * The one fetch wrapper of the admin page: JSON in, JSON out, and problem+json errors turned
 * into `ApiError` so that every view can show the server's `detail` and per-field `errors[]`;
 * a 401 is also announced as an `unauthenticated` event on `globalThis`. The session cookie
 * travels by itself (same origin); every body is JSON, as the manager requires of a browser.
 */

/** An API call that failed: HTTP status, problem title and detail, and per-field violations. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0 when the manager could not be reached)
   * @param {{title?: string, detail?: string, errors?: {field: string, message: string}[]}} problem
   */
  constructor(status, problem) {
    super(problem.detail || problem.title || `Request failed with status ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.title = problem.title || "Request failed";
    this.detail = problem.detail || "";
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

/**
 * Calls the REST API under /api/v1.
 *
 * @param {string} method
 * @param {string} path e.g. `/tasks/123`
 * @param {{query?: Record<string, string|number|boolean|undefined|null>, body?: unknown,
 *   signal?: AbortSignal}} [options]
 * @returns {Promise<any>} the parsed JSON body, or `null` for an empty one
 * @throws {ApiError}
 */
export async function api(method, path, options = {}) {
  const url = new URL(`/api/v1${path}`, location.origin);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== null && value !== "") {
      url.searchParams.set(key, String(value));
    }
  }
  const init = { method, headers: { accept: "application/json" }, signal: options.signal };
  if (options.body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const loadBox = loadBoxes.get(options.signal);
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw Object.assign(
      new ApiError(0, {
        title: "Manager unreachable",
        detail: "The manager cannot be reached; check that it is running",
      }),
      { load: loadBox !== undefined },
    );
  }
  const text = await response.text();
  let body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = { detail: text.slice(0, 500) };
    }
  }
  if (!response.ok) {
    // The session ended (expired, logged out elsewhere, key revoked): the page asks for a login.
    if (response.status === 401) globalThis.dispatchEvent(new Event("unauthenticated"));
    throw Object.assign(
      new ApiError(response.status, body && typeof body === "object" ? body : {}),
      { load: loadBox !== undefined },
    );
  }
  // A view's load answered: an error an earlier load left in its box is stale now.
  for (const stale of loadBox?.querySelectorAll("[data-load-error]") ?? []) stale.remove();
  return body;
}

/** GET shorthand. */
export const get = (path, query, signal) => api("GET", path, { query, signal });
/** POST shorthand. */
export const post = (path, body, query) => api("POST", path, { body, query });
/** PUT shorthand. */
export const put = (path, body) => api("PUT", path, { body });
/** DELETE shorthand. */
export const del = (path, query) => api("DELETE", path, { query });

/** Encodes one path segment (ids and names come from data). */
export const seg = (value) => encodeURIComponent(String(value));

/** The error box of each load's signal (`newestLoads`). */
const loadBoxes = new WeakMap();

/**
 * The loads of one view, newest wins: `next()` gives each load a signal that aborts when the view
 * goes (`viewSignal`) or the view's next load starts, so an older answer that arrives after a
 * newer one is dropped (its request cancelled) instead of shown over it. An error of a load's
 * request, shown with `showError`, is marked as the load's; the first answer of a later load
 * removes it from `box` (a "Manager unreachable" stayed over a view that loaded again), while the
 * errors and notices of actions shown in `box` stay.
 */
export function newestLoads(viewSignal, box) {
  let latest = null;
  return {
    next() {
      latest?.abort();
      latest = new AbortController();
      const signal = AbortSignal.any([viewSignal, latest.signal]);
      if (box) loadBoxes.set(signal, box);
      return signal;
    },
  };
}
