/**
 * The admin page's Schedules view in Chromium against a real manager: create a schedule with the
 * live "next fires" preview, pause and resume it, trigger it now and read its history; at 390 px
 * nothing scrolls sideways.
 */
import assert from "node:assert/strict";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { openPageKeepingErrors } from "./fixtures/page_errors.ts";
import { screenshot } from "./fixtures/screens.ts";

Deno.test({
  ...skipUnless(
    "the Schedules view creates a schedule with a live preview of its fires, pauses, resumes and triggers it, and shows its history",
    chromiumMissing(),
  ),
  async fn(t) {
    await using manager = await startTestManager();
    await manager.service.createExecutor({
      name: "report",
      taskSchema: { type: "object", required: ["kind"] },
    });
    const browser = await launchChromium();
    try {
      const { page, errors: failed } = await openPageKeepingErrors(browser, {
        baseURL: manager.httpUrl,
        timezoneId: "Europe/Berlin",
        width: 1280,
      });
      page.on("dialog", (dialog) => dialog.accept());
      const form = page.locator("form[aria-label='New schedule']");

      await t.step("the preview follows the expression as it is typed", async () => {
        await page.goto("/admin_page.html#/");
        await page.locator("nav a[href='#/schedules']").click();
        await page.locator("main h1", { hasText: "Schedules" }).waitFor();
        await form.locator("input[name=expression]").fill("30 2 * * *");
        const fires = form.locator("ol[aria-label='Next fires'] li");
        await fires.nth(4).waitFor();
        assert.equal(await fires.count(), 5);
        // 02:30 in Berlin (the form's zone, the browser's), shown in UTC as the page shows times:
        // 01:30Z in winter, 00:30Z in summer.
        for (const text of await fires.allTextContents()) {
          assert.match(text, /^\d{4}-\d{2}-\d{2} 0[01]:30:00Z$/);
        }
        await form.locator("input[name=expression]").fill("61 * * * *");
        await form.locator(".preview-note", { hasText: /minute: 61/ }).waitFor();
        assert.equal(await fires.count(), 0);
      });

      await t.step("a field error names the bad data; a good schedule is listed", async () => {
        await form.locator("input[name=name]").fill("nightly");
        await form.locator("select[name=kind]").selectOption("every");
        await form.locator("input[name=expression]").fill("1h");
        await form.locator("textarea[name=data]").fill('{"other": 1}');
        await form.locator("button[type=submit]").click();
        await form.locator("[data-pointer='/task/data'] .field-error", { hasText: /kind/ })
          .waitFor();
        await form.locator("textarea[name=data]").fill('{"kind": "daily"}');
        await form.locator("button[type=submit]").click();
        const row = page.locator("main tbody tr", { hasText: "nightly" });
        await row.waitFor();
        assert.match(await row.textContent() ?? "", /every 1h/);
        assert.match(await row.textContent() ?? "", /active/);
      });

      await t.step("pause and resume change its state", async () => {
        const row = page.locator("main tbody tr", { hasText: "nightly" });
        await row.getByRole("button", { name: "Pause schedule nightly" }).click();
        await row.locator(".badge", { hasText: "paused" }).waitFor();
        const stored = await manager.service.schedules.get("nightly");
        assert.equal(stored.enabled, false);
        await row.getByRole("button", { name: "Resume schedule nightly" }).click();
        await row.locator(".badge", { hasText: "active" }).waitFor();
      });

      await t.step("trigger now makes a task that the history links to", async () => {
        const row = page.locator("main tbody tr", { hasText: "nightly" });
        await row.getByRole("button", { name: "Trigger schedule nightly now" }).click();
        const done = page.locator(".notice", { hasText: /made task/ });
        await done.waitFor();
        const taskId = /made task (\S+)/.exec(await done.textContent() ?? "")![1];
        const task = await manager.service.getTask(taskId);
        assert.deepEqual(task.data, { kind: "daily" });
        await row.locator("a", { hasText: "nightly" }).click();
        await page.locator("main h1", { hasText: "Schedule nightly" }).waitFor();
        const fire = page.locator("main tbody tr", { hasText: "triggered by hand" });
        await fire.locator(`a[href='#/tasks/${taskId}']`).waitFor();
      });

      await t.step("screenshots at 1280 and 390 px; nothing scrolls sideways", async () => {
        for (const view of ["#/schedules/nightly", "#/schedules"]) {
          await page.goto(`/admin_page.html${view}`);
          await page.locator("main h1", { hasText: "Schedule" }).waitFor();
          for (const width of [1280, 390]) {
            await page.setViewportSize({ width, height: 900 });
            const scrollWidth = await page.evaluate<number>(
              "document.documentElement.scrollWidth",
            );
            assert.ok(scrollWidth <= width, `${view} is ${scrollWidth} px wide at ${width} px`);
            const name = view === "#/schedules" ? "schedules" : "schedule_detail";
            await screenshot(page, name);
          }
          await page.setViewportSize({ width: 1280, height: 900 });
        }
      });
      await t.step("the list pages with Next and Previous as the other lists do", async () => {
        // "nightly" and 60 more, by name: a page holds 50 (nightly to p48), the next p49 to p59.
        for (let i = 0; i < 60; i++) {
          await manager.service.schedules.create({
            name: `p${String(i).padStart(2, "0")}`,
            executorName: "report",
            every: "1h",
            task: { data: { kind: "daily" } },
          });
        }
        // The page is already on #/schedules and re-reads it on each burst of schedule events, so
        // a list read mid-way through the creates may show only some: leave it and come back.
        await page.goto("/admin_page.html#/");
        await page.locator("main h1", { hasText: "Dashboard" }).waitFor();
        await page.goto("/admin_page.html#/schedules");
        const rows = page.locator("main tbody tr");
        await page.locator("main tbody tr", { hasText: "p48" }).waitFor();
        assert.equal(await rows.count(), 50);
        await page.getByRole("button", { name: "Next →" }).click();
        await page.locator("main tbody tr", { hasText: "p59" }).waitFor();
        assert.equal(await rows.count(), 11);
        assert.equal(await page.getByRole("button", { name: "Next →" }).count(), 0);
        assert.match(page.url(), /#\/schedules\?cursor=p48$/);
        await page.getByRole("button", { name: "← Previous" }).click();
        await page.locator("main tbody tr", { hasText: "p00" }).waitFor();
      });
      assert.deepEqual(failed, []);
    } finally {
      await browser.close();
    }
  },
});
