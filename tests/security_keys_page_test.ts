/**
 * The admin page's Keys view in Chromium against a real manager with authentication on: an admin
 * makes a producer key through the form, the token is shown once and works against the REST API,
 * revoking it through the page refuses it at once; a read-only key sees no Keys section.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { newToken } from "../server/auth/token.ts";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { screenshot } from "./fixtures/screens.ts";

/** Logs in through the login form with `token` and waits for the header to name the key. */
async function logIn(page: Page, token: string, keyName: string): Promise<void> {
  const form = page.locator("form[aria-label='Log in']");
  await form.waitFor();
  await form.locator("input[name=key]").fill(token);
  await form.locator("button[type=submit]").click();
  await page.locator("#account-name", { hasText: `Key ${keyName}` }).waitFor();
}

Deno.test({
  ...skipUnless(
    "the Keys view makes a producer key whose token is shown once and works, revokes it to a 401, and is hidden from a read-only key",
    chromiumMissing(),
  ),
  async fn(t) {
    const admin = newToken().token;
    await using manager = await startTestManager({
      env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: admin },
    });
    await manager.service.createExecutor({ name: "send_email" });
    const reader = await manager.service.keys.create({ name: "viewer", scopes: ["read"] });
    const tasks = `${manager.httpUrl}/api/v1/tasks`;
    const createTask = (token: string) =>
      fetch(tasks, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ executorName: "send_email", data: { to: "a@example.com" } }),
      });

    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ baseURL: manager.httpUrl });
      const page = await context.newPage();
      await page.setViewportSize({ width: 1280, height: 900 });
      const failed: string[] = [];
      page.on("pageerror", (error) => failed.push(error.message));
      const dialogs: string[] = [];
      page.on("dialog", async (dialog) => {
        dialogs.push(dialog.message());
        await dialog.accept();
      });
      let token = "";

      await t.step("an admin key sees Keys and makes a producer key through the form", async () => {
        await page.goto("/admin_page.html#/");
        await logIn(page, admin, "bootstrap-admin");
        await page.locator("nav a[href='#/keys']").click();
        await page.locator("main h1", { hasText: "API keys" }).waitFor();
        await page.locator("main tbody tr", { hasText: "viewer" }).waitFor();
        const form = page.locator("form[aria-label='New key']");
        // A producer key with no scope: the manager's field error shows next to the scopes.
        await form.locator("input[name=name]").fill("mailer <b>x</b>");
        await form.locator("button[type=submit]").click();
        await form.locator("[data-pointer='/scopes'] .field-error", { hasText: /scopes/ })
          .waitFor();
        assert.equal(await form.locator("input[name=executors]").isDisabled(), true);
        await form.locator("input[value=producer]").check();
        await form.locator("input[name=executors]").fill("send_email");
        await form.locator("button[type=submit]").click();
        const shown = page.locator('section[aria-label="New key\'s token"]');
        await shown.waitFor();
        assert.match(await shown.textContent() ?? "", /will not be shown again/);
        const field = shown.locator("input[name=token]");
        assert.equal(await field.getAttribute("readonly"), "");
        token = await field.inputValue();
        assert.match(token, /^te_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
        // The name is text, not markup.
        const row = page.locator("main tbody tr", { hasText: "mailer <b>x</b>" });
        await row.waitFor();
        assert.equal(await page.locator("main b", { hasText: "x" }).count(), 0);
        assert.match(await row.textContent() ?? "", /producer.*send_email.*never/);
      });

      await t.step("the token shown works against the REST API", async () => {
        const created = await createTask(token);
        assert.equal(created.status, 201, await created.clone().text());
        await created.body?.cancel();
      });

      await t.step("screenshots at 1280 and 390 px; nothing scrolls sideways", async () => {
        for (const width of [1280, 390]) {
          await page.setViewportSize({ width, height: 900 });
          if (width === 390) {
            const scrollWidth = await page.evaluate<number>(
              "document.documentElement.scrollWidth",
            );
            assert.ok(scrollWidth <= 390, `the keys view is ${scrollWidth} px wide at 390 px`);
            // Names on one line each: the scope names ("pro/duc/er") and the brand in the header
            // ("Task/s/Exe/cuto/r" beside a read-only badge) were squeezed a few letters a line.
            const lines = await page.evaluate<Record<string, number>>(`Object.fromEntries(
              [...document.querySelectorAll(".statuses .scope, .brand")].map((el) => [
                el.textContent,
                Math.round(el.getBoundingClientRect().height /
                  (parseFloat(getComputedStyle(el).fontSize) * 1.6)) || 1,
              ]))`);
            assert.deepEqual(
              lines,
              Object.fromEntries(Object.keys(lines).map((name) => [name, 1])),
              "names on one line at 390 px",
            );
            assert.equal(Object.keys(lines).length, 6, "the brand and five scopes");
          }
          await screenshot(page, "keys");
        }
        await page.setViewportSize({ width: 1280, height: 900 });
      });

      await t.step("the token is not shown again once the view is left", async () => {
        await page.locator("nav a[href='#/tasks']").click();
        await page.locator("main h1", { hasText: "Tasks" }).waitFor();
        await page.locator("nav a[href='#/keys']").click();
        await page.locator("main tbody tr", { hasText: "mailer" }).waitFor();
        assert.equal(await page.locator("input[name=token]").count(), 0);
        assert.ok(!(await page.content()).includes(token));
      });

      await t.step("a key's last use tells its time as every time on the page does", async () => {
        // The key this page logged in with has been used: its "Last used" is a while ago, and its
        // tooltip the time itself, in UTC marked Z (it was the raw API text, milliseconds and all).
        const used = page.locator("main tbody td[data-label='Last used'] span[title]").first();
        await used.waitFor();
        assert.match(
          await used.getAttribute("title") ?? "",
          /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/,
        );
      });

      await t.step("revoking through the page names the key and refuses its token", async () => {
        const row = page.locator("main tbody tr", { hasText: "mailer <b>x</b>" });
        await row.getByRole("button", { name: "Revoke key mailer <b>x</b>" }).click();
        await page.locator(".notice-ok", { hasText: 'Key "mailer <b>x</b>" revoked' }).waitFor();
        assert.equal(dialogs.length, 1);
        assert.match(dialogs[0], /^Revoke key "mailer <b>x<\/b>" \([0-9a-f]{16}\)\?/);
        // The notice comes first; the list is drawn again after it.
        await row.getByRole("button", { name: /Revoke/ }).waitFor({ state: "detached" });
        assert.match(await row.textContent() ?? "", /\d{4}-\d{2}-\d{2}/);
        const refused = await createTask(token);
        assert.equal(refused.status, 401);
        await refused.body?.cancel();
      });

      await t.step("a read-only key sees no Keys section", async () => {
        const other = await browser.newContext({ baseURL: manager.httpUrl });
        const readerPage = await other.newPage();
        readerPage.on("pageerror", (error) => failed.push(error.message));
        await readerPage.goto("/admin_page.html#/");
        await logIn(readerPage, reader.token, "viewer");
        // Once logged in, the page makes no call the key may not make.
        const refused: string[] = [];
        readerPage.on("response", (r) => {
          if (r.status() >= 400) refused.push(`${r.status()} ${r.url()}`);
        });
        assert.equal(await readerPage.locator("nav a[href='#/workers']").isVisible(), true);
        assert.equal(await readerPage.locator("nav a[href='#/keys']").isHidden(), true);
        await readerPage.goto("/admin_page.html#/keys");
        await readerPage.locator(".notice-info", { hasText: "may not manage keys" }).waitFor();
        assert.equal(await readerPage.locator("main form, main table").count(), 0);
        await readerPage.waitForLoadState("networkidle");
        assert.deepEqual(refused, []);
        await other.close();
      });
      assert.deepEqual(failed, []);
    } finally {
      await browser.close();
    }
  },
});
