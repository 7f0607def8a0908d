/**
 * Workers: every worker connected to this manager, the executors it serves, its SDK version,
 * when it connected and last spoke, and the tasks it holds and can still take.
 */
import { get } from "../api.js";
import { ago, h, link, replace, showError, table, time } from "../dom.js";
import { href } from "../router.js";

/** The workers list, refreshed on live events and every few seconds (heartbeats are not events). */
export async function workersView({ main, signal }) {
  const box = h("div");
  const body = h("div", { "aria-live": "polite" });
  replace(main, h("div", { class: "head" }, h("h1", {}, "Workers")), box, body);

  async function load() {
    try {
      const { workers } = await get("/workers", undefined, signal);
      if (signal.aborted) return;
      box.replaceChildren();
      replace(
        body,
        table(
          [
            { label: "Worker", class: "id", cell: (w) => w.workerId },
            {
              label: "Executors",
              cell: (w) =>
                h(
                  "span",
                  {},
                  (w.executors ?? []).flatMap((name, i) => [
                    i ? ", " : null,
                    link(href("/tasks", { executorName: name }), name),
                  ]),
                ),
            },
            { label: "SDK", cell: (w) => w.sdkVersion || "—" },
            { label: "Connected", cell: (w) => time(w.connectedAt) },
            { label: "Last heartbeat", cell: (w) => ago(w.lastHeartbeatAt) },
            { label: "In flight", cell: (w) => String(w.inFlight ?? 0) },
            { label: "Credits", cell: (w) => String(w.credits ?? 0) },
          ],
          workers,
          { empty: "No worker is connected to this manager.", caption: "Connected workers" },
        ),
      );
    } catch (error) {
      if (!signal.aborted) showError(box, error);
    }
  }
  await load();
  const timer = setInterval(() => {
    if (!document.hidden) load();
  }, 5000);
  signal.addEventListener("abort", () => clearInterval(timer));
  return { refresh: load };
}
