/**
 * The dashboard with many executors: one card each made it about 5,500 px long on a desktop and
 * 20,300 px on a phone. A filter by a part of the name, and to the executors needing attention,
 * narrows the cards, at 375×667 and 1280×800, and keeps through live refreshes and a reload. On a
 * phone it stands above the history panel, where it once sat below its 1,700 px.
 */
import assert from "node:assert/strict";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { openPageKeepingErrors } from "./fixtures/page_errors.ts";
import { restOk } from "./fixtures/rest.ts";
import { fitsWidth, screenshot } from "./fixtures/screens.ts";
import { skipUnless } from "./fixtures/skip.ts";

Deno.test({
  ...skipUnless(
    "the dashboard's executor filter narrows 50 cards by name and to those needing attention, on a phone and a desktop",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    // 50 executors: mail_00…mail_24 and sms_00…sms_24; sms_03 and mail_11 paused, and tasks
    // waiting for mail_07, which no worker serves: three need attention.
    for (const kind of ["mail", "sms"]) {
      for (let i = 0; i < 25; i++) {
        const name = `${kind}_${String(i).padStart(2, "0")}`;
        const paused = name === "sms_03" || name === "mail_11";
        await restOk(manager, "POST", "/executors", { config: { name, enabled: !paused } });
      }
    }
    await restOk(manager, "POST", "/tasks", { executorName: "mail_07", data: {} });
    const browser = await launchChromium();
    try {
      for (const [width, height] of [[375, 667], [1280, 800]]) {
        await using view = await openPageKeepingErrors(browser, {
          baseURL: manager.httpUrl,
          viewport: { width, height },
        });
        const { page } = view;
        const cards = page.locator("main article.card");
        const count = page.locator(".executor-filter .filter-count");
        await page.goto("/admin_page.html#/");
        await count.filter({ hasText: "50 executors" }).waitFor();
        assert.equal(await cards.count(), 50);
        // On a phone the filter is above the history panel (some 1,700 px tall), in the first
        // screen; on a desktop below it, next to the cards. In the document so too, for the keyboard.
        const filterBox = (await page.locator(".executor-filter").boundingBox())!;
        const panelBox = (await page.locator("section.history").boundingBox())!;
        const filterFirst = await page.evaluate<boolean>(
          "!!(document.querySelector('.executor-filter').compareDocumentPosition(" +
            "document.querySelector('section.history')) & Node.DOCUMENT_POSITION_FOLLOWING)",
        );
        if (width < 720) {
          assert.ok(filterBox.y < panelBox.y, `filter at ${filterBox.y}, panel at ${panelBox.y}`);
          assert.ok(filterBox.y + filterBox.height <= height, `filter ends at ${filterBox.y}`);
          assert.ok(filterFirst, "the filter comes before the panel in the document");
        } else {
          assert.ok(panelBox.y < filterBox.y, `filter at ${filterBox.y}, panel at ${panelBox.y}`);
          assert.ok(!filterFirst);
        }
        const fullHeight = await page.evaluate<number>("document.documentElement.scrollHeight");

        await page.getByLabel("Executor", { exact: true }).fill("mail_1");
        await count.filter({ hasText: "Showing 10 of 50 executors" }).waitFor();
        assert.equal(await cards.count(), 10);
        for (const name of await cards.locator("h2 a").allTextContents()) {
          assert.match(name, /^mail_1\d$/);
        }

        await page.getByLabel("Executor", { exact: true }).fill("");
        await page.getByLabel("Only executors needing attention").check();
        await count.filter({ hasText: "Showing 3 of 50 executors" }).waitFor();
        assert.deepEqual(
          (await cards.locator("h2 a").allTextContents()).sort(),
          ["mail_07", "mail_11", "sms_03"],
        );
        const filteredHeight = await page.evaluate<number>("document.documentElement.scrollHeight");
        assert.ok(
          filteredHeight * 2 < fullHeight,
          `${filteredHeight} px filtered, ${fullHeight} px in all`,
        );
        assert.ok(await fitsWidth(page), `no horizontal scrolling at ${width} px`);
        await screenshot(page, "dashboard_filtered");

        // The filter is in the address: a reload shows the same cards.
        assert.match(page.url(), /#\/\?attention=1$/);
        await page.reload();
        await count.filter({ hasText: "Showing 3 of 50 executors" }).waitFor();
        assert.equal(await page.getByLabel("Only executors needing attention").isChecked(), true);

        // A live refresh draws the cards again through the filter: a task waiting for sms_20,
        // which no worker serves, makes it need attention too.
        await restOk(manager, "POST", "/tasks", { executorName: "sms_20", data: {} });
        await count.filter({ hasText: "Showing 4 of 50 executors" }).waitFor();
        await page.locator("main article.card[data-executor='sms_20']").waitFor();

        // A filter that lets nothing through says so, and offers every executor back.
        await page.getByLabel("Executor", { exact: true }).fill("nothing_like_this");
        await page.getByRole("button", { name: "Show all executors" }).click();
        await count.filter({ hasText: /^50 executors$/ }).waitFor();
        assert.equal(await cards.count(), 50);
        assert.deepEqual(view.errors, []);
        // Leave the manager as it was for the next width.
        await restOk(manager, "POST", "/tasks/cancel?executorName=sms_20&status=pending", {});
      }
    } finally {
      await browser.close();
    }
  },
});
