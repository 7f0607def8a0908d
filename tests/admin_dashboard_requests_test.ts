/**
 * What the dashboard asks the manager for on each refresh: the cards' rates once for every
 * executor, where it once sent one history request per executor every 5 s (50 executors, 50
 * requests).
 */
import assert from "node:assert/strict";
import { emptySlot, type HistoryDelta, MINUTE_MS } from "../server/domain/history.ts";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { openPageKeepingErrors } from "./fixtures/page_errors.ts";
import { restOk } from "./fixtures/rest.ts";
import { skipUnless } from "./fixtures/skip.ts";

/** An upper bound for the page to show something, not a sleep. */
const WAIT_MS = 30_000;

Deno.test({
  ...skipUnless(
    "a dashboard refresh with 20 executors sends at most 2 history requests, and each card still shows its own rate",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    const names = Array.from({ length: 20 }, (_, i) => `exec_${String(i).padStart(2, "0")}`);
    for (const name of names) {
      await restOk(manager, "POST", "/executors", { config: { name, enabled: false } });
    }
    // The ten minutes before this one: exec_05 completed 30 tasks a minute, exec_12 6.
    const current = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
    const deltas: HistoryDelta[] = [];
    for (const [executorName, completed] of [["exec_05", 30], ["exec_12", 6]] as const) {
      for (let m = 10; m >= 1; m--) {
        const slot = emptySlot();
        slot.counts.completed = completed;
        deltas.push({ executorName, minute: current - m * MINUTE_MS, ...slot });
      }
    }
    await manager.store.history.historyAdd(deltas);
    const browser = await launchChromium();
    try {
      await using view = await openPageKeepingErrors(browser, {
        baseURL: manager.httpUrl,
        width: 1280,
      });
      // Each refresh reads /stats first, then the rates and the history panel.
      const sent: string[] = [];
      view.page.on("request", (request) => {
        const path = new URL(request.url()).pathname;
        if (path === "/api/v1/stats" || path === "/api/v1/history") sent.push(path);
      });
      await view.page.goto("/#/");
      const rate = (name: string) =>
        view.page.locator(`[data-executor='${name}'] .spark span`).textContent();
      await view.page.locator("[data-executor='exec_19'] .spark span").waitFor({
        timeout: WAIT_MS,
      });
      // Three refreshes begun (the first load and two polls 5 s apart), the last one answered.
      const deadline = Date.now() + WAIT_MS;
      while (sent.filter((p) => p === "/api/v1/stats").length < 4 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const refreshes: number[] = [];
      for (const path of sent) {
        if (path === "/api/v1/stats") refreshes.push(0);
        else if (refreshes.length > 0) refreshes[refreshes.length - 1]++;
      }
      const complete = refreshes.slice(0, -1);
      assert.ok(complete.length >= 3, `refreshes seen: ${refreshes.join(", ")}`);
      for (const count of complete) {
        assert.ok(count <= 2, `history requests per refresh: ${complete.join(", ")}`);
      }
      // Each card shows its own executor's rate (about 30/min and 6/min), the others none.
      const five = Number.parseFloat(await rate("exec_05") ?? "");
      const twelve = Number.parseFloat(await rate("exec_12") ?? "");
      assert.ok(five >= 20 && five <= 31, `exec_05: ${five}`);
      assert.ok(twelve >= 4 && twelve <= 6.5, `exec_12: ${twelve}`);
      assert.equal(await rate("exec_00"), "0.0/min");
      // The panel's rate of all executors, from its own hour of history.
      const overall = Number.parseFloat(
        await view.page.locator("[data-rate='completed']").textContent() ?? "",
      );
      assert.ok(Math.abs(overall - (five + twelve)) < 1, `all: ${overall}, ${five} + ${twelve}`);
      assert.deepEqual(view.errors, []);
    } finally {
      await browser.close();
    }
  },
});
