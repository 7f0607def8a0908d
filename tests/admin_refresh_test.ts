/**
 * The admin page refreshes the view shown one refresh at a time. Two refreshes at once could be
 * answered out of order, and the older answer, shown last, hid what the newer one had shown.
 */
import assert from "node:assert/strict";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { openPageKeepingErrors } from "./fixtures/page_errors.ts";
import { restOk } from "./fixtures/rest.ts";

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
      const { page, errors: failed } = await openPageKeepingErrors(browser, {
        baseURL: manager.httpUrl,
      });
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

Deno.test({
  ...skipUnless(
    "a load started after another drops the older one's answer: a deleted executor does not come back",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    await manager.service.createExecutor({ name: "a" });
    let releaseLater!: () => void;
    const later = new Promise<void>((resolve) => releaseLater = resolve);
    const browser = await launchChromium();
    try {
      const { page, errors: failed } = await openPageKeepingErrors(browser, {
        baseURL: manager.httpUrl,
      });
      page.on("dialog", (dialog) => dialog.accept());
      await page.goto("/admin_page.html#/executors");
      const named = (name: string) =>
        page.locator("main tbody").getByRole("link", { name, exact: true });
      await named("a").waitFor();
      await page.locator("#live-state[data-state='live']").waitFor({ state: "attached" });

      // Every executor list asked for from now on is read at once; all but the second (the one
      // the delete asks for) are handed to the page only once released: the first by `release`,
      // later ones (the refreshes that follow, which would hide a wrong answer) at the end.
      let lists = 0;
      let release!: () => void;
      const released = new Promise<void>((resolve) => release = resolve);
      let firstHeld!: () => void;
      const held = new Promise<void>((resolve) => firstHeld = resolve);
      let firstDone!: (outcome: string) => void;
      const firstOutcome = new Promise<string>((resolve) => firstDone = resolve);
      await page.route((url) => url.pathname === "/api/v1/executors", async (route) => {
        const index = lists++;
        const response = await route.fetch();
        if (index === 0) {
          firstHeld();
          await released;
        } else if (index > 1) await later;
        try {
          await route.fulfill({ response });
          if (index === 0) firstDone("handed to the page");
        } catch (error) {
          if (index === 0) firstDone(`not taken: ${(error as Error).message}`);
        }
      });
      // A change: its refresh lists a and b, and that answer is held.
      await manager.service.createExecutor({ name: "b" });
      await held;
      // The delete reads the list again: it lists b alone, and the page shows it.
      await page.getByRole("button", { name: "Delete a", exact: true }).click();
      await page.getByText('Executor "a" deleted').waitFor();
      await named("b").waitFor();
      assert.equal(await named("a").count(), 0);
      // The held, older answer arrives last: it must not bring a back.
      release();
      await firstOutcome;
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 500)));
      assert.equal(await named("a").count(), 0, "the older list was shown over the newer");
      assert.equal(await named("b").count(), 1);
      assert.deepEqual(failed, []);
    } finally {
      releaseLater();
      await browser.close();
    }
  },
});

Deno.test({
  ...skipUnless(
    "an error a view's load showed goes when a later load of that view is answered (tasks, executors, a task)",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    await restOk(manager, "POST", "/executors", { name: "a" });
    const { task } = await restOk(manager, "POST", "/tasks", { executorName: "a", data: {} });
    const browser = await launchChromium();
    try {
      await using view = await openPageKeepingErrors(browser, { baseURL: manager.httpUrl });
      const { page } = view;
      // A change every view shown here is refreshed for: a task of a, and an executor.
      let changes = 0;
      const change = async () => {
        await restOk(manager, "POST", "/tasks", { executorName: "a", data: {} });
        await restOk(manager, "POST", "/executors", { name: `x${changes++}` });
      };
      const unreachable = page.locator("main .notice-error", { hasText: "Manager unreachable" });
      const views = [
        { hash: "#/tasks", path: "/api/v1/tasks", ready: "main tbody tr" },
        { hash: "#/executors", path: "/api/v1/executors", ready: "main tbody tr" },
        { hash: `#/tasks/${task.id}`, path: `/api/v1/tasks/${task.id}`, ready: "main h1" },
      ];
      for (const { hash, path, ready } of views) {
        await page.goto(`/admin_page.html${hash}`);
        await page.locator(ready).first().waitFor();
        await page.locator("#live-state[data-state='live']").waitFor({ state: "attached" });
        // The view's next load cannot reach the manager: it says so.
        const cut = (url: URL) => url.pathname === path;
        await page.route(cut, (route) => route.abort("connectionrefused"));
        await change();
        await unreachable.waitFor({ timeout: 10_000 });
        // The manager is back: the next load is answered, and the notice goes.
        await page.unroute(cut);
        await change();
        await unreachable.waitFor({ state: "detached", timeout: 10_000 });
      }
      assert.deepEqual(view.errors, []);
    } finally {
      await browser.close();
    }
  },
});
