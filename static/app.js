/**
 * The admin page's entry module: logs in (or finds the session), routes `location.hash` to a
 * view, and keeps the view live with the manager's server-sent events (closed while the tab is
 * hidden, debounced re-fetches). Sections and live updates the key may not read are left out.
 */
import { api, ApiError } from "./api.js";
import { h, notice, replace } from "./dom.js";
import { current, match } from "./router.js";
import {
  can,
  currentSession,
  loadSession,
  logIn,
  logOut,
  readOnly,
  sessionEnded,
  takeKeyFromAddress,
  takesKey,
} from "./session.js";
import { localZoneName, setTimeMode, timeMode } from "./times.js";
import { loginView } from "./views/login.js";
import { dashboardView } from "./views/dashboard.js";
import { executorFormView, executorsView } from "./views/executors.js";
import { tasksView } from "./views/tasks.js";
import { taskNewView } from "./views/task_new.js";
import { taskDetailView } from "./views/task_detail.js";
import { dlqDetailView, dlqView } from "./views/dlq.js";
import { workersView } from "./views/workers.js";
import { keysView } from "./views/keys.js";
import { scheduleDetailView, schedulesView } from "./views/schedules.js";

const routes = [
  [/^\/$/, dashboardView],
  [/^\/executors$/, executorsView],
  [/^\/executors\/new$/, executorFormView],
  [/^\/executors\/([^/]+)$/, executorFormView],
  [/^\/tasks$/, tasksView],
  [/^\/tasks\/new$/, taskNewView],
  [/^\/tasks\/([^/]+)$/, taskDetailView],
  [/^\/dlq$/, dlqView],
  [/^\/dlq\/([^/]+)$/, dlqDetailView],
  [/^\/workers$/, workersView],
  [/^\/keys$/, keysView],
  [/^\/schedules$/, schedulesView],
  [/^\/schedules\/([^/]+)$/, scheduleDetailView],
];

const main = document.getElementById("main");
const nav = document.querySelector("nav");
const liveState = document.getElementById("live-state");
const account = document.getElementById("account");
const logoutButton = document.getElementById("logout");
const timePicker = document.getElementById("time-mode");
let active = null; // { controller, handle, loaded }

async function show() {
  active?.controller.abort();
  const controller = new AbortController();
  active = { controller, handle: null, loaded: false };
  if (!currentSession()) return;
  const { path, query } = current();
  const found = match(routes, path);
  for (const a of document.querySelectorAll("nav a")) {
    const section = a.getAttribute("href").slice(1);
    const on = section === "/" ? path === "/" : path.startsWith(section);
    if (on) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (!found) {
    replace(
      main,
      h("h1", {}, "Not found"),
      notice("error", "No such page", `Nothing lives at ${path}`),
    );
    return;
  }
  main.replaceChildren();
  try {
    const handle = await found.view({
      main,
      params: found.params,
      query,
      signal: controller.signal,
    });
    if (!controller.signal.aborted) {
      active.handle = handle ?? null;
      active.loaded = true;
      // Changes told while the view first loaded: its load may have read before them.
      if (queued && !refreshing) {
        const events = queued;
        queued = null;
        refreshView(events);
      }
    }
  } catch (error) {
    if (controller.signal.aborted) return;
    console.warn(error);
    main.append(notice("error", "This view failed to load", String(error?.message ?? error)));
  }
  if (!controller.signal.aborted) {
    const heading = main.querySelector("h1");
    document.title = `${heading?.textContent ?? "Admin"} · Tasks Executor`;
  }
}

// Live updates -------------------------------------------------------------------------------

let source = null;
let pending = null; // { timer, events }

function setLive(state, text) {
  liveState.dataset.state = state;
  liveState.textContent = text;
}

function onServerEvent(type, event) {
  let payload = {};
  try {
    payload = event.data ? JSON.parse(event.data) : {};
  } catch {
    payload = {};
  }
  if (!pending) pending = { timer: 0, events: [] };
  pending.events.push({ type, executorNames: payload.executorNames ?? null });
  clearTimeout(pending.timer);
  // Debounced: a burst of task changes causes one re-fetch, not one per task.
  pending.timer = setTimeout(() => {
    const events = pending.events;
    pending = null;
    refreshView(events);
  }, 300);
}

let refreshing = false;
let queued = null; // the events of refreshes asked for while one ran, or before the view loaded

/** How long, in ms, a refresh that has not answered holds the next one back. */
const REFRESH_HOLD_MS = 10_000;
/** The most events kept for a refresh to come. */
const MAX_QUEUED_EVENTS = 500;

/**
 * Refreshes the view shown, one refresh at a time: one asked for while another runs waits for it,
 * with the events of every ask meanwhile (and one asked for while the view first loads, until it
 * has). Two at once could answer out of order, and the older answer, shown last, hid what the
 * newer one had shown. A refresh that hangs (a dead connection) holds the next back
 * `REFRESH_HOLD_MS` at most; the next load of the view cancels it (`newestLoads`), so its answer,
 * should it come later, is not shown. While the tab is hidden nothing is refreshed (an event that
 * came just before it was hidden, or one queued behind a refresh, is dropped): showing it again
 * refreshes everything.
 */
async function refreshView(events) {
  if (document.hidden) {
    queued = null;
    return;
  }
  if (!active || (active.loaded && !active.handle?.refresh)) return;
  if (refreshing || !active.loaded) {
    queued = [...queued ?? [], ...events];
    // Past this many, "anything may have changed" says as much, in one event.
    if (queued.length > MAX_QUEUED_EVENTS) queued = [{ type: "resume", executorNames: null }];
    return;
  }
  refreshing = true;
  let timer;
  try {
    await Promise.race([
      active.handle.refresh(events),
      new Promise((resolve) => timer = setTimeout(resolve, REFRESH_HOLD_MS)),
    ]);
  } catch {
    // A view shows its own errors.
  } finally {
    clearTimeout(timer);
    refreshing = false;
  }
  const next = queued;
  queued = null;
  if (next) await refreshView(next);
}

/** Whether the event stream failed since it was last live (the manager may have been away). */
let lost = false;
/** Whether the manager was found unreachable since the stream was last live. */
let unreachable = false;
let probing = false;
let probeAgain = false;
let reopenTimer = 0;
/** Wait before opening a stream the browser gave up on again, ms: doubles to 30 s. */
let reopenDelay = 1000;

function openEvents() {
  if (source || !can("events.read")) return;
  const stream = new EventSource("/api/v1/events");
  source = stream;
  setLive("connecting", "Connecting…");
  stream.addEventListener("open", () => {
    if (source !== stream) return;
    setLive("live", "Live");
    reopenDelay = 1000;
    unreachable = false;
    // Changes made while the stream was down were told to no one: read everything again.
    if (lost) refreshView([{ type: "resume", executorNames: null }]);
    lost = false;
  });
  stream.addEventListener("error", () => {
    if (source !== stream) return;
    lost = true;
    setLive("down", "Reconnecting…");
    checkSession();
  });
  stream.addEventListener("tasks", (e) => onServerEvent("tasks", e));
  stream.addEventListener("executors", (e) => onServerEvent("executors", e));
  stream.addEventListener("schedules", (e) => onServerEvent("schedules", e));
}

/**
 * The event stream failed, and an EventSource does not say why: a manager away (the browser
 * opens it again by itself), or an answer other than 200 — a 401 for a session that ended (a
 * revoked key, a restart), a 503 — after which it gives up for good. One fetch of the session
 * tells: a 401 raises `unauthenticated` (the login form, as for any call); a session answered
 * while the stream is given up opens it again after a wait; a manager away leaves the browser's
 * own retries, or opens a given-up stream again after a wait, each failure checking once more.
 */
async function checkSession() {
  // One probe at a time; a failure told meanwhile (a stream opened since) is checked after it.
  if (probing) {
    probeAgain = true;
    return;
  }
  probing = true;
  let ended = false;
  try {
    ended = (await api("GET", "/session")).session === null;
  } catch (error) {
    // 401: `api` has raised `unauthenticated` already.
    if (error instanceof ApiError && error.status === 0) unreachable = true;
  } finally {
    probing = false;
  }
  if (probeAgain) {
    probeAgain = false;
    if (source) return checkSession();
  }
  const stream = source;
  if (!stream) return; // left or hidden meanwhile
  // No session cookie at all (logged out in another tab): ended as well.
  if (ended) globalThis.dispatchEvent(new Event("unauthenticated"));
  else if (stream.readyState === EventSource.CLOSED) {
    clearTimeout(reopenTimer);
    reopenTimer = setTimeout(() => {
      if (source !== stream) return;
      source = null;
      openEvents();
    }, reopenDelay);
    reopenDelay = Math.min(reopenDelay * 2, 30_000);
  }
}

function closeEvents() {
  source?.close();
  source = null;
  clearTimeout(reopenTimer);
  setLive("paused", "Paused");
}

document.addEventListener("visibilitychange", () => {
  if (!currentSession()) return;
  if (document.hidden) closeEvents();
  else {
    openEvents();
    // Whatever changed while hidden was missed: fetch it now.
    refreshView([{ type: "resume", executorNames: null }]);
  }
});

// Session ------------------------------------------------------------------------------------

/** Shows the page for the session's key: the sections it may read, its name, live updates. */
function enter() {
  const session = currentSession();
  for (const a of nav.querySelectorAll("a[data-needs]")) a.hidden = !can(a.dataset.needs);
  nav.hidden = false;
  const on = session.authentication === "on";
  document.getElementById("account-name").textContent = on
    ? `Key ${session.keyName}`
    : "Authentication off";
  document.getElementById("account-mode").hidden = !readOnly();
  logoutButton.hidden = !on;
  account.hidden = false;
  liveState.hidden = !can("events.read");
  lost = false;
  unreachable = false;
  reopenDelay = 1000;
  if (!document.hidden) openEvents();
  show();
}

/** Shows the login form instead of the page (nothing of the manager's data stays on screen). */
function leave(options = {}) {
  active?.controller.abort();
  active = null;
  closeEvents();
  nav.hidden = true;
  account.hidden = true;
  liveState.hidden = true;
  document.title = "Log in · Tasks Executor";
  loginView({ main, onLoggedIn: enter, ...options });
}

// Times in UTC (as the command line gives them) or in local time: the view is drawn again.
timePicker.querySelector("option[value=local]").textContent = `Local (${localZoneName()})`;
timePicker.value = timeMode();
timePicker.addEventListener("change", () => setTimeMode(timePicker.value));
globalThis.addEventListener("timemodechange", () => {
  timePicker.value = timeMode();
  if (currentSession()) show();
});

logoutButton.addEventListener("click", async () => {
  try {
    await logOut();
  } finally {
    leave({ reason: "Logged out" });
  }
});

// Any call refused for want of a valid session. The manager keeps sessions in memory only and
// cannot tell an ended one from one it never made, so the reason names every way a session ends;
// a manager found unreachable just before is said first, a restart being the likely one.
globalThis.addEventListener("unauthenticated", () => {
  if (!currentSession()) return;
  sessionEnded();
  leave({
    reason: unreachable
      ? "The manager was unreachable, and on its return no longer knows this session, as after " +
        "a restart (it keeps sessions in memory only): log in again"
      : "Your session ended: it expired, was logged out, its key was revoked, or the manager " +
        "restarted (it keeps sessions in memory only): log in again",
  });
});

async function start() {
  const key = takeKeyFromAddress();
  try {
    await loadSession();
    if (key && currentSession()?.authentication !== "off") await logIn(key);
  } catch (error) {
    leave({ error });
    return;
  }
  if (currentSession()) enter();
  else leave();
}

// The skip link must not change the hash: the hash is the route.
document.querySelector(".skip")?.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
// A key pasted into the address of an open page arrives as a hash change, not a page load.
globalThis.addEventListener("hashchange", () => takesKey() ? start() : show());
start();
