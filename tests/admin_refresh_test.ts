/**
 * The admin page refreshes the view shown one refresh at a time. Two refreshes at once could be
 * answered out of order, and the older answer, shown last, hid what the newer one had shown.
 */
import assert from "node:assert/strict";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { skipUnless } from "./fixtures/skip.ts";

Deno.test({
  ...skipUnless(
    "a refresh asked for while one is slow waits for it: a held, older answer does not hide what a newer change brought",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    await manager.service.createExecutor({ name: "a" });
    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext({ baseURL: manager.httpUrl })).newPage();
      const failed: string[] = [];
      page.on("pageerror", (error) => failed.push(error.message));
      await page.goto("/admin_page.html#/executors");
      const rows = page.locator("main tbody tr");
      const named = (name: string) =>
        page.locator("main tbody").getByRole("link", { name, exact: true });
      await named("a").waitFor();
      await page.locator("#live-state[data-state='live']").waitFor({ state: "attached" });

      // From now on each executor list asked for is recorded; the first one's answer is read at
      // once (it lists a and b) but handed to the page only once released.
      const asked: { at: string; answered?: string }[] = [];
      let release!: () => void;
      const released = new Promise<void>((resolve) => release = resolve);
      let firstAsked!: () => void;
      const first = new Promise<void>((resolve) => firstAsked = resolve);
      await page.route((url) => url.pathname === "/api/v1/executors", async (route) => {
        const entry: { at: string; answered?: string } = { at: `asked ${asked.length}` };
        asked.push(entry);
        const response = await route.fetch();
        if (asked.length === 1) {
          firstAsked();
          await released;
        }
        await route.fulfill({ response });
        entry.answered = `answered ${asked.indexOf(entry)}`;
      });
      await manager.service.createExecutor({ name: "b" });
      await first;
      // A second change while the first refresh is held: its refresh waits for the first.
      await manager.service.createExecutor({ name: "c" });
      // Time for that change's event (debounced 300 ms) to reach the page: were refreshes not one
      // at a time, its list would be asked for now (a slower machine can only hide that, not fake it).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(asked.length, 1, "no second list was asked for while the first was held");
      release();
      await named("c").waitFor();
      assert.equal(await rows.count(), 3);
      assert.equal(asked.length, 2);
      assert.deepEqual(failed, []);
    } finally {
      await browser.close();
    }
  },
});
