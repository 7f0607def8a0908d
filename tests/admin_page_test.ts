/**
 * The admin page in a real browser (Chromium via playwright-core) against a real manager and a
 * real worker process: forms, live updates, the DLQ, untrusted text, narrow screens and the CSP.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { screenshot } from "./fixtures/screens.ts";

const WORKER = new URL("./fixtures/admin_worker.ts", import.meta.url);
const XSS = "<img src=x onerror=alert(1)>";
/** Long enough for a worker process to start and a task to run; an upper bound, not a sleep. */
const WAIT_MS = 30_000;

/** Everything the page did that a clean page must not: errors, CSP violations, alerts. */
interface PageProblems {
  console: string[];
  /** Every answer of 400 or more, as `STATUS METHOD PATH`. */
  http: string[];
  csp: string[];
  alerts: string[];
}

async function openPage(browser: Browser, baseUrl: string): Promise<[Page, PageProblems]> {
  const context = await browser.newContext({ baseURL: baseUrl });
  const page = await context.newPage();
  const problems: PageProblems = { console: [], http: [], csp: [], alerts: [] };
  // Init scripts run before the page's own code and are not subject to its CSP. Browser-side
  // code is passed as text: it runs in the page, not in Deno.
  await page.addInitScript({
    content: `globalThis.__csp = [];
      document.addEventListener("securitypolicyviolation", (e) => {
        globalThis.__csp.push(e.violatedDirective + " " + e.blockedURI);
      });`,
  });
  page.on("console", (message) => {
    // Chromium logs every 4xx answer to the console; those are checked, with their URL, in `http`.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      problems.console.push(message.text());
    }
  });
  page.on("response", (response) => {
    if (response.status() >= 400) {
      const url = new URL(response.url());
      problems.http.push(`${response.status()} ${response.request().method()} ${url.pathname}`);
    }
  });
  page.on("pageerror", (error) => problems.console.push(`Uncaught ${error.message}`));
  page.on("dialog", async (dialog) => {
    if (dialog.type() === "confirm") await dialog.accept();
    else {
      problems.alerts.push(`${dialog.type()}: ${dialog.message()}`);
      await dialog.dismiss();
    }
  });
  return [page, problems];
}

async function cspViolations(page: Page): Promise<string[]> {
  return await page.evaluate<string[]>("globalThis.__csp ?? []");
}

/** Goes to a route and waits until its view has rendered its heading. */
async function visit(page: Page, hash: string): Promise<void> {
  await page.goto(`/${hash}`);
  await page.locator("main h1").first().waitFor();
}

function startWorker(grpcAddress: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", WORKER.pathname, grpcAddress],
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
}

async function stopWorker(worker: Deno.ChildProcess): Promise<void> {
  try {
    worker.kill("SIGTERM");
  } catch {
    // It exited already.
  }
  await worker.status;
}

Deno.test({
  ...skipUnless(
    "admin page drives executors, tasks and the DLQ live in a real browser",
    chromiumMissing(),
  ),
  async fn(t) {
    await using manager = await startTestManager();
    const browser = await launchChromium();
    let worker: Deno.ChildProcess | null = null;
    try {
      const [page, problems] = await openPage(browser, manager.httpUrl);
      await page.setViewportSize({ width: 1280, height: 900 });
      let okTaskId = "";
      let failTaskId = "";

      await t.step("an executor is created through the form, errors shown by field", async () => {
        await visit(page, "#/executors/new");
        const form = page.locator("form[aria-label='New executor']");
        await form.locator("input[name=name]").fill("Bad Name");
        await form.locator("select[name=retryType]").selectOption("linear");
        await form.locator("input[name=maxAttempts]").fill("4");
        await form.locator("input[name=interval]").fill("200");
        await form.locator("input[name=maxInterval]").fill("500");
        // The manager computes the delays; the preview shows them once they come back.
        const preview = form.locator(".preview", { hasText: "retry 3: 500 ms" });
        await preview.waitFor();
        assert.match(await preview.textContent() ?? "", /retry 1: 200 ms.*retry 2: 400 ms/);

        const schema = form.locator("textarea[name=taskSchema]");
        await schema.fill('{"type": "object",');
        const schemaError = form.locator("[data-pointer='/config/taskSchema'] .field-error");
        assert.match(await schemaError.textContent() ?? "", /Invalid JSON/);
        await schema.fill(JSON.stringify({
          type: "object",
          properties: { message: { type: "string" }, count: { type: "integer" } },
          required: ["message"],
        }));
        assert.equal(await schemaError.textContent(), "");

        // The server refuses the name; its message lands next to the name field.
        await form.locator("button[type=submit]").click();
        const nameError = form.locator("[data-pointer='/config/name'] .field-error");
        await nameError.filter({ hasText: /.+/ }).waitFor();
        assert.equal(await form.locator("input[name=name]").getAttribute("aria-invalid"), "true");
        await page.locator(".notice-error").waitFor();
        // This refusal was asked for; any other error answer fails the last step.
        assert.deepEqual(problems.http, ["400 POST /api/v1/executors"]);
        problems.http.length = 0;

        await form.locator("input[name=name]").fill("admin_ok");
        await form.locator("input[name=rateLimitLimit]").fill("50");
        await form.locator("input[name=groupKeyPointer]").fill("/customer/id");
        await form.locator("input[name=maxConcurrencyPerKey]").fill("2");
        await form.locator("button[type=submit]").click();
        await page.waitForURL(/#\/executors\/admin_ok\?saved=1$/);
        const saved = await manager.service.getExecutor("admin_ok");
        assert.deepEqual(saved.rateLimit, { limit: 50, period: 1000, burst: 50 });
        assert.equal(saved.groupKeyPointer, "/customer/id");
        assert.equal(saved.maxConcurrencyPerKey, 2);
        assert.equal(saved.rateLimitPerKey, null, "an empty per-key limit is none");
        assert.equal(saved.retryPolicy.type, "linear");
        assert.equal(saved.retryPolicy.maxAttempts, 4);
        assert.deepEqual(
          (saved.taskSchema as { required: string[] }).required,
          ["message"],
        );
      });

      await t.step(
        "a task enqueued through the form completes live as the worker runs it",
        async () => {
          await visit(page, "#/tasks/new?executorName=admin_ok");
          const form = page.locator("form[aria-label='New task']");
          await form.locator("input[name=message]").fill(XSS);
          await form.locator("input[name=count]").fill("3");
          await form.locator("button[type=submit]").click();
          await page.waitForURL(/#\/tasks\/[^/?]+$/);
          okTaskId = decodeURIComponent(new URL(page.url()).hash.split("/")[2]);
          await page.locator("#task-status[data-status=pending]").waitFor();
          const stored = await manager.service.getTask(okTaskId);
          assert.deepEqual(stored.data, { message: XSS, count: 3 });

          // The worker starts only now: the page must learn of the completion by itself (SSE).
          worker = startWorker(manager.grpcAddress);
          await page.locator("#task-status[data-status=completed]").waitFor({ timeout: WAIT_MS });
          assert.match(await page.locator("#task-result-json").textContent() ?? "", /"done": true/);
        },
      );

      await t.step("untrusted task data shows as text, never as markup", async () => {
        await visit(page, `#/tasks/${okTaskId}`);
        await page.locator("#task-data-json").waitFor();
        assert.match(await page.locator("#task-data-json").textContent() ?? "", /<img src=x/);
        assert.equal(await page.locator("main img").count(), 0);
        await visit(page, "#/tasks?executorName=admin_ok");
        assert.equal(await page.locator("main img").count(), 0);
        assert.deepEqual(problems.alerts, []);
      });

      await t.step(
        "the task list pages by cursor (kept in the URL) and finds a task by id",
        async () => {
          const ids: string[] = [];
          for (const n of [1, 2, 3]) {
            ids.push(
              (await manager.service.createTask({
                executorName: "admin_ok",
                data: { message: `page ${n}` },
                runAt: Date.now() + 3_600_000, // waits, so the list stays as it is
              })).task.id,
            );
          }
          const firstRow = page.locator("tbody tr").first();
          await visit(page, "#/tasks?executorName=admin_ok&status=pending&limit=2");
          await firstRow.filter({ hasText: ids[2] }).waitFor();
          await page.getByRole("button", { name: "Next →" }).click();
          await page.waitForURL(/cursor=/);
          await firstRow.filter({ hasText: ids[0] }).waitFor();
          assert.equal(await page.locator("tbody tr").count(), 1);
          await page.getByRole("button", { name: "← Previous" }).click();
          await firstRow.filter({ hasText: ids[2] }).waitFor();
          assert.doesNotMatch(page.url(), /cursor=/);
          // An id in the search box goes straight to one task.
          await page.locator("input[name=q]").fill(ids[1]);
          await page.getByRole("button", { name: "Apply filters" }).click();
          await page.waitForURL(new RegExp(`#/tasks/${ids[1]}$`));
          await page.locator("#task-status[data-status=pending]").waitFor();
          for (const id of ids) await manager.service.cancelTask(id);
        },
      );

      await t.step("a failing task reaches the DLQ and is requeued from the page", async () => {
        await visit(page, "#/dlq?executorName=admin_fail");
        const created = await manager.service.createTask({
          executorName: "admin_fail",
          data: { note: XSS },
          metadata: { source: "admin page test" },
        });
        failTaskId = created.task.id;
        // The list updates live when the task dies.
        const row = page.locator("tbody tr", { hasText: failTaskId });
        await row.waitFor({ timeout: WAIT_MS });
        assert.match(await row.textContent() ?? "", /non retryable/);
        assert.equal(await page.locator("main img").count(), 0);

        const firstDeath = (await manager.service.getDlqEntry(failTaskId)).deadAt;
        await row.getByRole("button", { name: `Run ${failTaskId} again` }).click();
        await page.locator(".notice-ok", { hasText: "Task will run again" }).waitFor();
        // Still broken: the worker sends it straight back, so it dies a second time.
        await page.waitForFunction(
          async ([id, before]) => {
            // The list, not the entry: between the requeue and the second death the entry is
            // gone, and the page must see no error answers.
            const response = await fetch("/api/v1/dlq?executorName=admin_fail");
            const { entries } = await response.json();
            const entry = entries.find((e: { id: string }) => e.id === id);
            return entry !== undefined && Date.parse(entry.deadAt) > before;
          },
          [failTaskId, firstDeath] as const,
          { timeout: WAIT_MS, polling: 100 },
        );

        await visit(page, `#/dlq/${failTaskId}`);
        await page.locator("textarea[name=data]").fill('{"note": "fixed", "repaired": true}');
        await page.getByRole("button", { name: "Run again", exact: true }).click();
        await page.waitForURL(new RegExp(`#/tasks/${failTaskId}$`));
        await page.locator("#task-status[data-status=completed]").waitFor({ timeout: WAIT_MS });
        const task = await manager.service.getTask(failTaskId);
        assert.deepEqual(task.data, { note: "fixed", repaired: true });
      });

      await t.step("every view fits 390 px without horizontal scrolling; screenshots", async () => {
        // One more dead task so the DLQ views have something to show.
        const dead = await manager.service.createTask({
          executorName: "admin_fail",
          data: { note: XSS },
        });
        await page.waitForFunction(
          async (id) => {
            const response = await fetch("/api/v1/dlq?executorName=admin_fail");
            return (await response.json()).entries.some((e: { id: string }) => e.id === id);
          },
          dead.task.id,
          { timeout: WAIT_MS, polling: 100 },
        );
        const views: [string, string][] = [
          ["dashboard", "#/"],
          ["executors", "#/executors"],
          ["executor_edit", "#/executors/admin_ok"],
          ["executor_new", "#/executors/new"],
          ["tasks", "#/tasks"],
          ["task_new", "#/tasks/new?executorName=admin_ok"],
          ["task_detail", `#/tasks/${failTaskId}`],
          ["dlq", "#/dlq"],
          ["dlq_detail", `#/dlq/${dead.task.id}`],
          ["workers", "#/workers"],
        ];
        for (const width of [1280, 390]) {
          await page.setViewportSize({ width, height: 900 });
          for (const [name, hash] of views) {
            await visit(page, hash);
            if (name === "workers") await page.locator("tbody tr").first().waitFor();
            if (width === 390) {
              const scrollWidth = await page.evaluate<number>(
                "document.documentElement.scrollWidth",
              );
              assert.ok(scrollWidth <= 390, `${name} is ${scrollWidth} px wide at 390 px`);
            }
            await screenshot(page, name);
          }
        }
      });

      await t.step(
        "cancel, retry, disable, enable, bulk requeue, purge and delete work",
        async () => {
          // A delayed task is retried now, then cancelled, from its page.
          const { task } = await manager.service.createTask({
            executorName: "admin_fail",
            data: { note: "later" },
            runAt: Date.now() + 3_600_000,
          });
          await visit(page, `#/tasks/${task.id}`);
          await page.getByRole("button", { name: "Cancel task" }).click();
          await page.locator("#task-status[data-status=cancelled]").waitFor({ timeout: WAIT_MS });
          await page.getByRole("button", { name: "Run again" }).click();
          // Requeued, it runs at once: admin_fail sends it to the DLQ.
          await page.locator("#task-status[data-status=dlq]").waitFor({ timeout: WAIT_MS });

          await visit(page, "#/executors");
          await page.getByRole("button", { name: "Pause admin_ok" }).click();
          await page.getByRole("button", { name: "Resume admin_ok" }).waitFor();
          assert.equal((await manager.service.getExecutor("admin_ok")).enabled, false);
          await page.getByRole("button", { name: "Resume admin_ok" }).click();
          await page.getByRole("button", { name: "Pause admin_ok" }).waitFor();
          assert.equal((await manager.service.getExecutor("admin_ok")).enabled, true);

          const deadNow = async () =>
            (await manager.service.listDlq({ executorName: "admin_fail" })).items.length;
          assert.ok(await deadNow() >= 2);
          await visit(page, "#/dlq?executorName=admin_fail");
          const dead = await deadNow();
          await page.getByRole("button", { name: "Run all again" }).click();
          const requeued = page.locator(".notice-ok", { hasText: /will run again/ });
          await requeued.waitFor();
          assert.equal(await requeued.textContent(), `${dead} tasks will run again`);
          const purgedAt = Date.now();
          await page.getByRole("button", { name: "Purge" }).click();
          await page.locator(".notice-ok", { hasText: /purged/ }).waitFor();
          // Requeued tasks may die again during the purge; nothing that died before it is left.
          const left = await manager.service.listDlq({ executorName: "admin_fail" });
          assert.deepEqual(left.items.filter((e) => e.deadAt < purgedAt), []);

          // An executor with waiting work: one question that names it, then a forced delete.
          await manager.service.createExecutor({ name: "admin_tmp" });
          await manager.service.createTask({ executorName: "admin_tmp", data: {} });
          await visit(page, "#/executors");
          await page.getByRole("button", { name: "Delete admin_tmp" }).click();
          await page.locator(".notice-ok", { hasText: 'Executor "admin_tmp" deleted' }).waitFor();
          await assert.rejects(manager.service.getExecutor("admin_tmp"), /does not exist/);
          assert.deepEqual(problems.http, []);
        },
      );

      await t.step(
        "live updates pause while the tab is hidden and catch up when it shows",
        async () => {
          await visit(page, "#/tasks?executorName=admin_ok&status=pending");
          await page.locator("#live-state[data-state=live]").waitFor({ timeout: WAIT_MS });
          // Browser-side code as text: it runs in the page. Hiding the tab is simulated the way the
          // page sees it: document.hidden and a visibilitychange event.
          const setHidden = (hidden: boolean) =>
            page.evaluate(`Object.defineProperty(document, "hidden", {
              configurable: true, get: () => ${hidden} });
            document.dispatchEvent(new Event("visibilitychange"));`);
          await setHidden(true);
          await page.locator("#live-state[data-state=paused]").waitFor();
          const { task } = await manager.service.createTask({
            executorName: "admin_ok",
            data: { message: "made while hidden" },
            runAt: Date.now() + 3_600_000,
          });
          // No stream, no refresh: the new task is not on the page while it is hidden.
          await new Promise((resolve) => setTimeout(resolve, 600));
          assert.equal(await page.locator("tbody tr", { hasText: task.id }).count(), 0);
          await setHidden(false);
          await page.locator("tbody tr", { hasText: task.id }).waitFor({ timeout: WAIT_MS });
          await page.locator("#live-state[data-state=live]").waitFor({ timeout: WAIT_MS });
          await manager.service.cancelTask(task.id);
        },
      );

      await t.step("the sections are reachable from the keyboard alone", async () => {
        await visit(page, "#/");
        const focusedText = () =>
          page.evaluate<string>("document.activeElement?.textContent ?? ''");
        // A view moves focus to its content (for screen readers); the sections are back from there.
        const seen: string[] = [];
        for (let i = 0; i < 12 && seen.at(-1) !== "Dead letters"; i++) {
          await page.keyboard.press("Shift+Tab");
          seen.push((await focusedText()).trim());
        }
        assert.equal(seen.at(-1), "Dead letters", `Shift+Tab went through: ${seen.join(" | ")}`);
        await page.keyboard.press("Enter");
        await page.waitForURL(/#\/dlq$/);
        await page.locator("main h1", { hasText: "Dead letters" }).waitFor();
      });

      await t.step("the page logged no errors and broke no CSP rule", async () => {
        assert.deepEqual(await cspViolations(page), []);
        assert.deepEqual(problems.console, []);
        assert.deepEqual(problems.http, []);
        assert.deepEqual(problems.alerts, []);
      });
    } finally {
      await browser.close();
      if (worker) await stopWorker(worker);
    }
  },
});
