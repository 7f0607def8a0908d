/**
 * Times on the admin page are unambiguous and follow one rule, in a browser whose zone is not UTC:
 * UTC marked `Z` by default (as the command line gives them), local time with its offset when
 * picked; tooltips give the other zone, time inputs are read in the zone shown, and the chart axes
 * use the same 24-hour form on ticks of that zone. They showed local time with no zone marker, and
 * the charts 12-hour US times ("4:30pm", "12/7/26").
 */
import assert from "node:assert/strict";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { openPageKeepingErrors } from "./fixtures/page_errors.ts";
import { restOk } from "./fixtures/rest.ts";
import { skipUnless } from "./fixtures/skip.ts";

/** Kolkata is UTC+05:30 all year: a whole hour there is half past in UTC, and the other way round. */
const ZONE = "Asia/Kolkata";

Deno.test({
  ...skipUnless(
    "times show in UTC with Z by default, or in local time with its offset, in tables, tooltips, inputs and chart axes",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    await restOk(manager, "POST", "/executors", { config: { name: "mail", enabled: false } });
    // Its runAt is far ahead, 2099: the filters below from that time list no task (the task is
    // created now), which holds for seventy years and more.
    await restOk(manager, "POST", "/tasks", {
      executorName: "mail",
      data: {},
      runAt: "2099-12-08T01:30:00.000Z",
    });
    const browser = await launchChromium();
    try {
      await using view = await openPageKeepingErrors(browser, {
        baseURL: manager.httpUrl,
        timezoneId: ZONE,
        width: 1280,
      });
      const { page } = view;
      await page.goto("/admin_page.html#/tasks");
      const runAt = page.locator("main tbody td[data-label='Run at'] time");
      await runAt.waitFor();
      // The zone's name as the browser's time zone data gives it (an older one says Asia/Calcutta).
      const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
      assert.equal(await runAt.innerText(), "2099-12-08 01:30:00Z");
      assert.equal(await runAt.getAttribute("title"), `2099-12-08 07:00:00+05:30 (${zone})`);
      const created = await page.locator("main tbody td[data-label='Created'] time").innerText();
      assert.match(created, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);

      // A time typed in a filter is read in the zone shown: UTC here.
      const after = page.getByLabel("Created after (UTC)");
      await after.fill("2099-12-08T01:30");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForURL(/createdAfter=2099-12-08T01%3A30%3A00.000Z/);
      await page.locator("main .empty").waitFor();

      // Local time, with its offset; remembered across a reload.
      await page.goto("/admin_page.html#/tasks");
      await page.locator("#time-mode").selectOption("local");
      await page.locator("main tbody td[data-label='Run at'] time", {
        hasText: "2099-12-08 07:00:00+05:30",
      }).waitFor();
      await page.reload();
      await runAt.waitFor();
      assert.equal(await runAt.innerText(), "2099-12-08 07:00:00+05:30");
      assert.equal(await runAt.getAttribute("title"), "2099-12-08 01:30:00Z (UTC)");
      await page.getByLabel(`Created after (${zone})`).fill("2099-12-08T07:00");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForURL(/createdAfter=2099-12-08T01%3A30%3A00.000Z/);

      // The chart axes: 24-hour ticks on whole hours of the zone shown, that zone named.
      const ticksOf = async () => {
        const counts = page.locator("[data-chart='counts'][data-x-ticks]");
        await counts.waitFor({ state: "attached" });
        return (await counts.getAttribute("data-x-ticks"))!.split(" | ")
          .map((tick) => tick.split("\n")[0]);
      };
      await page.goto("/admin_page.html#/");
      await page.locator("[data-range='day']").click();
      await page.locator("[data-range='day'][aria-pressed='true']").waitFor();
      let ticks = await ticksOf();
      assert.ok(ticks.length >= 3, ticks.join(", "));
      for (const tick of ticks) assert.match(tick, /^([01]\d|2[0-3]):00$/, ticks.join(", "));
      await page.locator("#time-mode").selectOption("utc");
      await page.locator("[data-range='day']").click();
      await page.locator("[data-range='day'][aria-pressed='true']").waitFor();
      ticks = await ticksOf();
      assert.ok(ticks.length >= 3, ticks.join(", "));
      for (const tick of ticks) assert.match(tick, /^([01]\d|2[0-3]):00$/, ticks.join(", "));
      assert.deepEqual(view.errors, []);
    } finally {
      await browser.close();
    }
  },
});
