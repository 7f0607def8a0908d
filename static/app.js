/**
 * The admin page's entry module: routes `location.hash` to a view, and keeps the view live with
 * the manager's server-sent events (closed while the tab is hidden, debounced re-fetches).
 */
import { h, notice, replace } from "./dom.js";
import { current, match } from "./router.js";
import { dashboardView } from "./views/dashboard.js";
import { executorFormView, executorsView } from "./views/executors.js";
import { tasksView } from "./views/tasks.js";
import { taskNewView } from "./views/task_new.js";
import { taskDetailView } from "./views/task_detail.js";
import { dlqDetailView, dlqView } from "./views/dlq.js";
import { workersView } from "./views/workers.js";

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
];

const main = document.getElementById("main");
const liveState = document.getElementById("live-state");
let active = null; // { controller, handle }

async function show() {
  active?.controller.abort();
  const controller = new AbortController();
  active = { controller, handle: null };
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
    if (!controller.signal.aborted) active.handle = handle ?? null;
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
    active?.handle?.refresh?.(events);
  }, 300);
}

function openEvents() {
  if (source) return;
  source = new EventSource("/api/v1/events");
  setLive("connecting", "Connecting…");
  source.addEventListener("open", () => setLive("live", "Live"));
  source.addEventListener("error", () => setLive("down", "Reconnecting…"));
  source.addEventListener("tasks", (e) => onServerEvent("tasks", e));
  source.addEventListener("executors", (e) => onServerEvent("executors", e));
}

function closeEvents() {
  source?.close();
  source = null;
  setLive("paused", "Paused");
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) closeEvents();
  else {
    openEvents();
    // Whatever changed while hidden was missed: fetch it now.
    active?.handle?.refresh?.([{ type: "resume", executorNames: null }]);
  }
});

// The skip link must not change the hash: the hash is the route.
document.querySelector(".skip")?.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
globalThis.addEventListener("hashchange", show);
if (!document.hidden) openEvents();
show();
