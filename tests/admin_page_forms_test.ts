/**
 * The admin page's executor actions and new-task form in a real browser against a real manager:
 * pause and resume, a delete question in plain words with the task counts, a new-task form
 * that keeps the task's fields apart from the data's and checks the schema's bounds itself, and
 * fields that cannot be changed looking so.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { newToken } from "../server/auth/token.ts";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { restOk } from "./fixtures/rest.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { screenshot } from "./fixtures/screens.ts";

/** A page at `width` px whose confirm questions are kept (and accepted) and requests counted. */
async function openPage(browser: Browser, baseUrl: string, width: number) {
  const context = await browser.newContext({ baseURL: baseUrl });
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 900 });
  const questions: string[] = [];
  const posts: string[] = [];
  const errors: string[] = [];
  page.on("dialog", async (dialog) => {
    questions.push(dialog.message());
    if (dialog.type() === "confirm") await dialog.accept();
    else await dialog.dismiss();
  });
  page.on("request", (request) => {
    if (request.method() !== "GET") {
      posts.push(`${request.method()} ${new URL(request.url()).pathname}`);
    }
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return { page, questions, posts, errors };
}

async function visit(page: Page, hash: string): Promise<void> {
  await page.goto(`/${hash}`);
  await page.locator("main h1").first().waitFor();
}

for (const width of [1280, 390]) {
  Deno.test({
    ...skipUnless(
      `executors view at ${width} px: pause and resume buttons, and a delete question that says what goes`,
      chromiumMissing(),
    ),
    async fn() {
      await using manager = await startTestManager();
      await restOk(manager, "POST", "/executors", { name: "mailer" });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push(
          (await restOk(manager, "POST", "/tasks", { executorName: "mailer", data: {} })).task.id,
        );
      }
      await restOk(manager, "POST", `/tasks/${ids[0]}/cancel`);
      const browser = await launchChromium();
      try {
        const { page, questions, errors } = await openPage(browser, manager.httpUrl, width);
        await visit(page, "#/executors");
        const row = page.locator("tr", { hasText: "mailer" });
        assert.equal(await row.locator(".badge").textContent(), "active");

        await page.getByRole("button", { name: "Pause mailer" }).click();
        await page.getByRole("button", { name: "Resume mailer" }).waitFor();
        assert.equal(await row.locator(".badge").textContent(), "paused");
        assert.equal((await restOk(manager, "GET", "/executors/mailer")).executor.enabled, false);
        await screenshot(page, "executors_paused");
        await page.getByRole("button", { name: "Resume mailer" }).click();
        await page.getByRole("button", { name: "Pause mailer" }).waitFor();
        assert.equal((await restOk(manager, "GET", "/executors/mailer")).executor.enabled, true);

        await visit(page, "#/executors/mailer");
        await page.getByLabel("Active").waitFor();
        assert.match(
          await page.locator("[data-pointer='/config/enabled'] .hint").textContent() ?? "",
          /paused: tasks queue, none is run/,
        );

        await visit(page, "#/executors");
        await page.getByRole("button", { name: "Delete mailer" }).click();
        await page.locator(".notice-ok", { hasText: 'Executor "mailer" deleted' }).waitFor();
        assert.deepEqual(questions, [
          'Delete executor "mailer"?\n\nIts configuration and all its 3 tasks are deleted: ' +
          "2 waiting, 1 finished. Workers serving it get no more tasks. This cannot be undone.",
        ]);
        assert.equal((await restOk(manager, "GET", "/tasks?executorName=mailer")).tasks.length, 0);
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    },
  });

  Deno.test({
    ...skipUnless(
      `new-task form at ${width} px: the task's priority stands apart from data.priority, and the schema's bounds are checked before sending`,
      chromiumMissing(),
    ),
    async fn() {
      await using manager = await startTestManager();
      await restOk(manager, "POST", "/executors", {
        name: "ranked",
        taskSchema: {
          type: "object",
          required: ["name"],
          properties: {
            priority: { type: "integer", minimum: 1, maximum: 5 },
            name: { type: "string", minLength: 2, maxLength: 4 },
            ratio: { type: "number", exclusiveMinimum: 0, multipleOf: 0.5 },
            urgent: { type: "boolean" },
          },
        },
      });
      const browser = await launchChromium();
      try {
        const { page, posts, errors } = await openPage(browser, manager.httpUrl, width);
        await visit(page, "#/tasks/new?executorName=ranked");
        const form = page.locator("form[aria-label='New task']");
        await form.locator("input[name=priority]").first().waitFor();

        // No two fields of the form read alike.
        const labels = (await form.locator("label").allTextContents())
          .map((text) => text.replace(/\s*\*$/, "").trim().toLowerCase());
        assert.equal(new Set(labels).size, labels.length, labels.join(" | "));
        const taskPriority = form.getByLabel("Task priority", { exact: true });
        const dataPriority = form.getByLabel("priority", { exact: true });
        assert.equal(await taskPriority.count(), 1);
        assert.equal(await dataPriority.count(), 1);

        const error = (name: string) =>
          form.locator(`[data-pointer='/task/data/${name}'] .field-error`);
        await dataPriority.fill("9");
        await form.getByLabel("name *", { exact: true }).fill("a");
        await form.getByLabel("ratio", { exact: true }).fill("0.7");
        await form.locator("button[type=submit]").click();
        assert.equal(await error("priority").textContent(), "Must be 5 or less");
        assert.equal(await error("name").textContent(), "Must be at least 2 characters long");
        assert.equal(await error("ratio").textContent(), "Must be a multiple of 0.5");
        await screenshot(page, "task_new_bounds");

        await form.getByLabel("name *", { exact: true }).fill("");
        await form.getByLabel("ratio", { exact: true }).fill("0");
        await form.locator("button[type=submit]").click();
        assert.equal(await error("name").textContent(), "Is required");
        assert.equal(await error("ratio").textContent(), "Must be more than 0");
        await form.getByLabel("name *", { exact: true }).fill("abcde");
        await form.locator("button[type=submit]").click();
        assert.equal(await error("name").textContent(), "Must be at most 4 characters long");
        assert.deepEqual(posts, [], "nothing is sent while a field is wrong");

        await dataPriority.fill("3");
        await form.getByLabel("name *", { exact: true }).fill("ab");
        await form.getByLabel("ratio", { exact: true }).fill("1.5");
        await taskPriority.fill("7");
        await form.locator("button[type=submit]").click();
        await page.waitForURL(/#\/tasks\/[^/?]+$/);
        const id = decodeURIComponent(new URL(page.url()).hash.split("/")[2]);
        const { task } = await restOk(manager, "GET", `/tasks/${id}`);
        assert.equal(task.priority, 7);
        assert.deepEqual(task.data, { priority: 3, name: "ab", ratio: 1.5, urgent: false });
        assert.deepEqual(posts, ["POST /api/v1/tasks"]);
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    },
  });
}

/** How each field of the form `form` (a CSS selector) looks and whether it can be changed. */
interface FieldLook {
  name: string;
  fixed: boolean;
  background: string;
  border: string;
  color: string;
}
function fieldLooks(page: Page, form: string): Promise<FieldLook[]> {
  return page.evaluate<FieldLook[]>(`[...document.querySelectorAll(
    ${JSON.stringify(form)} + " :is(input:not([type=checkbox]), select, textarea)")].map((el) => {
      const style = getComputedStyle(el);
      return {
        name: el.name,
        fixed: el.readOnly === true || el.matches(":disabled"),
        background: style.backgroundColor,
        border: style.borderTopStyle,
        color: style.color,
      };
    })`);
}

Deno.test({
  ...skipUnless(
    "fields that cannot be changed look it: an executor's name and a setting that does not apply, and every field of a read-only key's executor form, on a grey ground in a dashed border",
    chromiumMissing(),
  ),
  async fn() {
    const admin = newToken().token;
    await using manager = await startTestManager({
      env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: admin },
    });
    await manager.service.createExecutor({ name: "mailer", retryPolicy: { type: "linear" } });
    const reader = await manager.service.keys.create({ name: "viewer", scopes: ["read"] });
    const browser = await launchChromium();
    try {
      const { page, errors } = await openPage(browser, manager.httpUrl, 1280);
      const form = "form[aria-label='Edit executor mailer']";
      const open = async (token: string, name: string) => {
        await page.goto(`/admin_page.html#key=${encodeURIComponent(token)}`);
        await page.locator("#account-name", { hasText: `Key ${name}` }).waitFor();
        await visit(page, "#/executors/mailer");
        await page.locator(form).waitFor();
      };

      await open(admin, "bootstrap-admin");
      const looks = await fieldLooks(page, form);
      const byName = Object.fromEntries(looks.map((look) => [look.name, look]));
      // The name cannot change (readonly); the multiplier does not apply to a linear policy.
      assert.equal(await page.locator(`${form} input[name=name]`).getAttribute("readonly"), "");
      assert.equal(byName.multiplier.fixed, true);
      const editable = byName.timeout;
      assert.deepEqual([editable.fixed, editable.background, editable.border], [
        false,
        "rgb(255, 255, 255)",
        "solid",
      ]);
      const fixed = { background: "rgb(238, 241, 244)", border: "dashed" };
      for (const look of looks) {
        assert.deepEqual(
          { background: look.background, border: look.border },
          look.fixed ? fixed : { background: editable.background, border: "solid" },
          `${look.name} (${look.fixed ? "cannot change" : "editable"})`,
        );
      }
      assert.deepEqual(looks.filter((l) => l.fixed).map((l) => l.name), ["name", "multiplier"]);
      // A setting that does not apply has its text greyed (still 5.6:1 on its ground).
      assert.notEqual(byName.multiplier.color, byName.name.color);
      await screenshot(page, "executor_fixed_fields");

      await page.getByRole("button", { name: "Log out" }).click();
      await open(reader.token, "viewer");
      const readOnly = await fieldLooks(page, form);
      assert.ok(readOnly.length > 15, `${readOnly.length} fields`);
      for (const look of readOnly) {
        // Every setting is shown, none can be changed, and each looks so; its text as dark as the
        // name's, being what the key came to read.
        assert.deepEqual(
          { fixed: look.fixed, ...fixed, color: look.color },
          { fixed: true, ...fixed, color: byName.name.color },
          look.name,
        );
      }
      await screenshot(page, "executor_read_only_key");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  },
});
