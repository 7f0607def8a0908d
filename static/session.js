/**
 * Who is using the page: the session the manager reports, logging in with an API key (typed, or
 * given once in the address as `#key=…`), logging out, and what the key may do.
 */
import { api, ApiError } from "./api.js";

/**
 * The session as `GET /api/v1/session` gives it: `{authentication, keyId, keyName, scopes,
 * executors, operations, readOnly, expiresAt}`, or `null` while logged out.
 */
let session = null;

/** The current session, or `null`. */
export function currentSession() {
  return session;
}

/**
 * Whether the key may perform `operation` (an operation of the manager's permission table, such
 * as `tasks.create` or `dlq.write`): views show only the actions it may take.
 *
 * @param {string} operation
 */
export function can(operation) {
  return Boolean(session?.operations?.includes(operation));
}

/** Whether the key may change nothing at all (a `read` or `metrics` key). */
export function readOnly() {
  return session?.readOnly !== false;
}

/**
 * Asks the manager who the page is logged in as: `{session: null}` without a session cookie (a
 * first visit, answered 200 so that no error shows in the console), 401 for one that ended.
 *
 * @returns {Promise<object|null>} the session, or `null` when not logged in
 * @throws {ApiError} when the manager cannot answer
 */
export async function loadSession() {
  try {
    session = (await api("GET", "/session")).session;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    session = null;
  }
  return session;
}

/**
 * Logs in with an API key; the manager answers with an HttpOnly session cookie.
 *
 * @param {string} key
 * @throws {ApiError} 401 for a key that is not valid
 */
export async function logIn(key) {
  session = (await api("POST", "/session", { body: { key } })).session;
  return session;
}

/** Logs out: the manager ends the session and clears the cookie. */
export async function logOut() {
  try {
    await api("DELETE", "/session");
  } finally {
    session = null;
  }
}

/** Forgets the session after the manager refused it (expired, logged out, key revoked). */
export function sessionEnded() {
  session = null;
}

const KEY_IN_ADDRESS = /^#key=([^&]+)/;

/** Whether the address holds a key (`#key=…`). */
export function takesKey() {
  return KEY_IN_ADDRESS.test(location.hash);
}

/**
 * Takes a key given in the address (`#key=…`, as the manager prints it at its first start) out
 * of it at once, so that it stays in no history entry, and returns it; `null` when there is none.
 */
export function takeKeyFromAddress() {
  const match = KEY_IN_ADDRESS.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, "", `${location.pathname}${location.search}#/`);
  return decodeURIComponent(match[1]);
}
