/**
 * Searching from the admin page's tasks and DLQ views in a real browser (Chromium via
 * playwright-core) against a real manager, at 1280 and 390 px: a data field, a metadata entry and
 * an id; the filter panel folds away on a phone. Screenshots under tests/output/screens/.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { Settlement } from "../server/store/store.ts";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { restOk } from "./fixtures/rest.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { openPageKeepingErrors } from "./fixtures/page_errors.ts";
import { fitsWidth, screenshot } from "./fixtures/screens.ts";

/** An upper bound for the page to show something, not a sleep. */
const WAIT_MS = 20_000;

/** The task ids in the shown table, top to bottom. */
function shownIds(page: Page): Promise<string[]> {
  return page.locator("main table td.id").allTextContents().then((ids) => ids.map((s) => s.trim()));
}

/** Whether the filter panel is open. */
function filtersOpen(page: Page): Promise<boolean> {
  return page.locator("details.filters-fold").evaluate((el) => "open" in el && el.open === true);
}

/** Waits (up to `WAIT_MS`) until the table shows exactly these task ids, top to bottom. */
async function showsIds(page: Page, expected: string[]): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  let shown = await shownIds(page);
  while (JSON.stringify(shown) !== JSON.stringify(expected) && Date.now() < deadline) {
    await page.waitForTimeout(50);
    shown = await shownIds(page);
  }
  assert.deepEqual(shown, expected);
}

/** Types `text` in the search box (unfolding the filters on a phone) and submits it. */
async function search(page: Page, text: string): Promise<void> {
  if (!(await filtersOpen(page))) {
    await page.locator("details.filters-fold > summary").click();
  }
  await page.getByLabel("Search", { exact: true }).fill(text);
  await page.getByLabel("Search", { exact: true }).press("Enter");
}

Deno.test({
  ...skipUnless(
    "the tasks and DLQ views find tasks by a data field, a metadata entry and an id, at 1280 and 390 px",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    await restOk(manager, "POST", "/executors", { config: { name: "orders" } });
    const make = async (data: unknown, metadata: Record<string, string>) =>
      (await restOk(manager, "POST", "/tasks", { executorName: "orders", data, metadata }))
        .task.id as string;
    const a = await make({ orderId: 123, customer: { name: "Ada" } }, { tenant: "acme" });
    const b = await make({ orderId: 124 }, { tenant: "acme" });
    const c = await make({ orderId: "123" }, { tenant: "globex" });
    const dead = await make({ orderId: 999 }, { tenant: "acme" });
    // `dead` goes to the DLQ through a lease, as a worker's last failure would put it there.
    const now = Date.now();
    const [leased] = await manager.store.taskClaim({
      executorName: "orders",
      limit: 1,
      leaseMs: 60_000,
      owner: "test",
      now,
      maxConcurrency: 0,
    });
    assert.equal(leased.id, a, "the oldest task is leased first");
    // Lease them all, settle `dead` into the DLQ and put the others back.
    const rest = await manager.store.taskClaim({
      executorName: "orders",
      limit: 10,
      leaseMs: 60_000,
      owner: "test",
      now,
      maxConcurrency: 0,
    });
    const error = { attempt: 1, message: "Order 999 is unknown", at: now, workerId: "test" };
    for (const task of [leased, ...rest]) {
      const settlement: Settlement = task.id === dead
        ? { kind: "dlq", error, reason: "non_retryable", queueName: "dlq" }
        : { kind: "retry", runAt: now + 3_600_000, error };
      await manager.store.taskSettle([{
        taskId: task.id,
        leaseToken: task.leaseToken!,
        settlement,
      }], {
        now,
      });
    }
    const browser = await launchChromium();
    try {
      for (const width of [1280, 390]) {
        await using tab = await openPageKeepingErrors(browser, { baseURL: manager.httpUrl, width });
        const { page } = tab;
        await page.goto("/#/tasks");
        await page.locator("main table td.id").first().waitFor();
        const folded = !(await filtersOpen(page));
        assert.equal(folded, width < 720, `the filters are folded at ${width} px only on a phone`);
        if (width === 390) {
          await screenshot(page, "search_filters_folded");
        }

        await search(page, "/orderId = 123");
        await page.waitForURL(/q=/);
        // 123 finds the number, not the string.
        await showsIds(page, [a]);
        await screenshot(page, "search_data_field");

        await search(page, '/orderId = "123"');
        await showsIds(page, [c]);

        await search(page, "tenant = acme");
        await showsIds(page, [dead, b, a]);
        assert.equal(
          await page.locator("details.filters-fold > summary").textContent(),
          "Filters and search (1 set)",
        );

        await search(page, b);
        await page.waitForURL(new RegExp(`#/tasks/${b}$`));
        await page.goto("/#/tasks");
        await page.locator("main table td.id").first().waitFor();

        await search(page, "/customer/name = Nobody");
        await page.getByText("No tasks match this search.").waitFor();

        await search(page, "/orderId =");
        await page.getByText(/dataValue: Is required \(not empty\) with \/dataPointer/).waitFor();

        await page.goto("/#/dlq");
        await page.locator("main table td.id").first().waitFor();
        await search(page, "tenant = acme");
        await page.waitForURL(/q=/);
        // The DLQ view finds dead tasks only.
        await showsIds(page, [dead]);
        await page.getByText("Order 999 is unknown").waitFor();
        assert.ok(await fitsWidth(page), `no sideways scrolling at ${width} px`);
        await screenshot(page, "search_dlq");
        await search(page, dead);
        await page.waitForURL(new RegExp(`#/dlq/${dead}$`));
        assert.deepEqual(tab.errors, []);
      }
    } finally {
      await browser.close();
    }
  },
});
