/**
 * The admin page notices an ended session on every view, not only on those that poll: a view kept
 * live by the event stream alone (Tasks) showed "Reconnecting…" for ever after a revocation or a
 * restart of the manager, as a 401 closes an EventSource for good and says nothing of why. A
 * manager back up with the session still good makes the page live again, and the view is read anew.
 */
import assert from "node:assert/strict";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { openPageKeepingErrors } from "./fixtures/page_errors.ts";
import { managerSpec, startManagerProc } from "./fixtures/resilience_cluster.ts";
import { startSecuredManager } from "./fixtures/secured_manager.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { tempDir } from "./fixtures/temp_dir.ts";
import { newToken } from "../server/auth/token.ts";

Deno.test({
  ...skipUnless(
    "a key revoked while the Tasks view is live takes the page to the login form",
    chromiumMissing(),
  ),
  async fn() {
    await using secured = await startSecuredManager();
    const ops = await secured.key({ name: "ops", scopes: ["admin"] });
    const browser = await launchChromium();
    try {
      await using view = await openPageKeepingErrors(browser, {
        baseURL: secured.manager.httpUrl,
      });
      const { page } = view;
      await page.goto(`/admin_page.html#key=${ops.token}`);
      await page.locator("nav").waitFor();
      await page.goto("/admin_page.html#/tasks");
      await page.locator("main h1", { hasText: "Tasks" }).waitFor();
      await page.locator("#live-state[data-state='live']").waitFor({ state: "attached" });

      await secured.manager.service.keys.revoke(ops.id);
      await page.locator("form[aria-label='Log in']").waitFor();
      assert.match(
        await page.locator("main .notice").innerText(),
        /Your session ended: it expired, was logged out, its key was revoked, or the manager restarted/,
      );
      assert.equal(await page.locator("nav").isHidden(), true);
      assert.deepEqual(view.errors, []);
    } finally {
      await browser.close();
    }
  },
});

Deno.test({
  ...skipUnless(
    "a manager restarted while the Tasks view is open: the page shows it away, then asks for the key again",
    chromiumMissing(),
  ),
  async fn() {
    await using dir = await tempDir();
    const token = newToken().token;
    const spec = {
      ...managerSpec(dir.path),
      env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: token },
    };
    let manager = await startManagerProc("manager", spec);
    const browser = await launchChromium();
    try {
      await using view = await openPageKeepingErrors(browser, { baseURL: manager.url });
      const { page } = view;
      await page.goto(`/admin_page.html#key=${token}`);
      await page.locator("nav").waitFor();
      await page.goto("/admin_page.html#/tasks");
      await page.locator("main h1", { hasText: "Tasks" }).waitFor();
      const live = page.locator("#live-state");
      await page.locator("#live-state[data-state='live']").waitFor({ state: "attached" });

      await manager.stop();
      await page.locator("#live-state[data-state='down']").waitFor({ state: "attached" });
      assert.equal(await live.innerText(), "Reconnecting…");
      manager = await startManagerProc("manager (restarted)", spec);

      // The browser opens the stream again by itself; the new manager knows no session.
      await page.locator("form[aria-label='Log in']").waitFor();
      assert.match(
        await page.locator("main .notice").innerText(),
        /The manager was unreachable, and on its return no longer knows this session, as after a restart/,
      );
      // The same key logs in again, and the page is live once more.
      await page.locator("input[name=key]").fill(token);
      await page.locator("form[aria-label='Log in'] button[type=submit]").click();
      await page.locator("#live-state[data-state='live']").waitFor({ state: "attached" });
      assert.deepEqual(view.errors, []);
    } finally {
      await browser.close();
      await manager.stop();
    }
  },
});

Deno.test({
  ...skipUnless(
    "a manager away and back with the session still good: the page is live again and shows what changed meanwhile",
    chromiumMissing(),
  ),
  async fn() {
    await using dir = await tempDir();
    const spec = managerSpec(dir.path);
    let manager = await startManagerProc("manager", spec);
    const browser = await launchChromium();
    try {
      await using view = await openPageKeepingErrors(browser, { baseURL: manager.url });
      const { page } = view;
      const named = (name: string) =>
        page.locator("main tbody").getByRole("link", { name, exact: true });
      await fetch(`${manager.url}/api/v1/executors`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ config: { name: "before" } }),
      }).then((r) => r.body?.cancel());
      await page.goto("/admin_page.html#/executors");
      await named("before").waitFor();
      await page.locator("#live-state[data-state='live']").waitFor({ state: "attached" });

      await manager.stop();
      await page.locator("#live-state[data-state='down']").waitFor({ state: "attached" });
      // A change the page is told of by no event: made through another manager on the same
      // store, on other ports, while this one is away.
      const other = await startManagerProc("other manager", managerSpec(dir.path));
      const made = await fetch(`${other.url}/api/v1/executors`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ config: { name: "meanwhile" } }),
      });
      assert.equal(made.status, 201);
      await made.body?.cancel();
      await other.stop();
      manager = await startManagerProc("manager (back)", spec);

      await page.locator("#live-state[data-state='live']").waitFor({ state: "attached" });
      await named("meanwhile").waitFor();
      assert.equal(await page.locator("form[aria-label='Log in']").count(), 0);
      assert.deepEqual(view.errors, []);
    } finally {
      await browser.close();
      await manager.stop();
    }
  },
});
