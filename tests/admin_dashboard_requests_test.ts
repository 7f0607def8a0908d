/**
 * What the dashboard asks the manager for on each refresh: the cards' rates once for every
 * executor, where it once sent one history request per executor every 5 s (50 executors, 50
 * requests), and over a day or a week the history panel's rates from that same read, where it
 * once sent a third request of its own.
 */
import assert from "node:assert/strict";
import { emptySlot, type HistoryDelta, MINUTE_MS } from "../server/domain/history.ts";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { openPageKeepingErrors } from "./fixtures/page_errors.ts";
import type { Page } from "playwright-core";
import { restOk } from "./fixtures/rest.ts";
import { skipUnless } from "./fixtures/skip.ts";

/** An upper bound for the page to show something, not a sleep. */
const WAIT_MS = 30_000;

/** Sets up 20 executors (exec_05 completed 30 tasks a minute, exec_12 6) and opens the dashboard. */
async function onDashboard(
  body: (
    page: Page,
    sent: string[],
  ) => Promise<void>,
): Promise<void> {
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
    await view.page.locator("[data-executor='exec_19'] .spark span").waitFor({
      timeout: WAIT_MS,
    });
    await body(view.page, sent);
    assert.deepEqual(view.errors, []);
  } finally {
    await browser.close();
  }
}

/**
 * The history requests of each refresh begun once `sent` holds `from` paths, waiting for `count`
 * refreshes to be answered (a refresh begins with /stats).
 */
async function historyRequestsPerRefresh(
  sent: string[],
  from: number,
  count: number,
): Promise<number[]> {
  const deadline = Date.now() + WAIT_MS;
  const stats = () => sent.slice(from).filter((p) => p === "/api/v1/stats").length;
  while (stats() < count + 1 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const refreshes: number[] = [];
  for (const path of sent.slice(from)) {
    if (path === "/api/v1/stats") refreshes.push(0);
    else if (refreshes.length > 0) refreshes[refreshes.length - 1]++;
  }
  const complete = refreshes.slice(0, -1);
  assert.ok(complete.length >= count, `refreshes seen: ${refreshes.join(", ")}`);
  return complete;
}

/** The rate the page shows at `selector`, a number per minute. */
async function rateAt(page: Page, selector: string): Promise<number> {
  return Number.parseFloat(await page.locator(selector).textContent() ?? "");
}

Deno.test({
  ...skipUnless(
    "a dashboard refresh with 20 executors sends at most 2 history requests, and each card still shows its own rate",
    chromiumMissing(),
  ),
  async fn() {
    await onDashboard(async (page, sent) => {
      // Three refreshes begun (the first load and two polls 5 s apart), the last one answered.
      const complete = await historyRequestsPerRefresh(sent, 0, 3);
      for (const count of complete) {
        assert.ok(count <= 2, `history requests per refresh: ${complete.join(", ")}`);
      }
      // Each card shows its own executor's rate (about 30/min and 6/min), the others none.
      const five = await rateAt(page, "[data-executor='exec_05'] .spark span");
      const twelve = await rateAt(page, "[data-executor='exec_12'] .spark span");
      assert.ok(five >= 20 && five <= 31, `exec_05: ${five}`);
      assert.ok(twelve >= 4 && twelve <= 6.5, `exec_12: ${twelve}`);
      assert.equal(
        await page.locator("[data-executor='exec_00'] .spark span").textContent(),
        "0.0/min",
      );
      // The panel's rate of all executors, from its own hour of history.
      const overall = await rateAt(page, "[data-rate='completed']");
      assert.ok(Math.abs(overall - (five + twelve)) < 1, `all: ${overall}, ${five} + ${twelve}`);
    });
  },
});

Deno.test({
  ...skipUnless(
    "over the last day or week a dashboard refresh sends 2 history requests, not 3: the panel's rates come from the cards' read, for all executors and for one",
    chromiumMissing(),
  ),
  async fn() {
    await onDashboard(async (page, sent) => {
      for (const range of ["day", "week"]) {
        await page.locator(`[data-range='${range}']`).click();
        await page.locator(`[data-range='${range}'][aria-pressed='true']`).waitFor();
        const complete = await historyRequestsPerRefresh(sent, sent.length, 2);
        for (const count of complete) {
          assert.equal(count, 2, `${range}: history requests per refresh: ${complete.join(", ")}`);
        }
      }
      const five = await rateAt(page, "[data-executor='exec_05'] .spark span");
      const twelve = await rateAt(page, "[data-executor='exec_12'] .spark span");
      const overall = await rateAt(page, "[data-rate='completed']");
      assert.ok(Math.abs(overall - (five + twelve)) < 1, `all: ${overall}, ${five} + ${twelve}`);
      // One executor picked: its own rate, still without a request of the panel's own.
      await page.getByLabel("Executor shown in the charts").selectOption("exec_12");
      await page.waitForFunction(
        "Math.abs(parseFloat(document.querySelector(\"[data-rate='completed']\").textContent) - " +
          `${twelve}) < 0.5`,
        undefined,
        { timeout: WAIT_MS },
      );
      const complete = await historyRequestsPerRefresh(sent, sent.length, 1);
      assert.equal(complete[0], 2, `one executor: ${complete.join(", ")}`);
    });
  },
});
