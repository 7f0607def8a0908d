/**
 * The task detail (stack traces, log lines per attempt, runs, live progress) and the workers view
 * (host, process id, runtime, running tasks with links, busy / idle / gone) in a real browser
 * (Chromium via playwright-core) against a real manager and a real SDK worker process, at 1280
 * and 390 px. Screenshots under tests/output/screens/.
 */
import assert from "node:assert/strict";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { startDetailWorker } from "./fixtures/detail_process.ts";
import { restOk } from "./fixtures/rest.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { fitsWidth, screenshot } from "./fixtures/screens.ts";

/** An upper bound for the page to show something, not a sleep. */
const WAIT_MS = 20_000;

Deno.test({
  ...skipUnless(
    "the task detail shows stacks, log lines, runs and live progress; the workers view tells busy, idle and gone apart",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    const worker = await startDetailWorker(manager);
    const browser = await launchChromium();
    try {
      // A task that dies (two failed attempts), then runs again with fixed data and completes.
      const { task: dead } = await restOk(manager, "POST", "/tasks", {
        executorName: "detail_orders",
        data: { orderId: 7, fail: true },
      });
      assert.equal((await restOk(manager, "GET", `/tasks/${dead.id}?wait=20s`)).task.status, "dlq");
      await restOk(manager, "POST", `/dlq/${dead.id}/requeue`, { data: { orderId: 7 } });
      assert.equal(
        (await restOk(manager, "GET", `/tasks/${dead.id}?wait=20s`)).task.status,
        "completed",
      );
      // A task that runs until cancelled, with progress.
      const { task: held } = await restOk(manager, "POST", "/tasks", {
        executorName: "detail_orders",
        data: { orderId: 8, hold: true },
      });

      for (const width of [1280, 390]) {
        const context = await browser.newContext({ baseURL: manager.httpUrl });
        const page = await context.newPage();
        const errors: string[] = [];
        page.on("pageerror", (error) => errors.push(error.message));
        await page.setViewportSize({ width, height: 900 });
        try {
          await page.goto(`/#/tasks/${dead.id}`);
          await page.locator("#task-status[data-status=completed]").waitFor({ timeout: WAIT_MS });
          const main = page.locator("main");
          await main.getByText("run 2: 1 of 2").waitFor();
          assert.equal(await main.getByText("Run 1, attempt 1").count(), 1);
          assert.equal(await main.getByText("Run 1, attempt 2").count(), 1);
          // Stack traces and log lines fold under each failed attempt.
          await main.getByText("Stack trace").first().click();
          await main.locator("pre.stack", { hasText: "at chargeCard" }).first().waitFor();
          await main.getByText("Log (2 lines)").first().click();
          await main.locator("table pre.log", { hasText: "Charging order 7" }).first().waitFor();
          await main.getByText("Log of the attempt that completed it (10 lines)").click();
          await main.locator("pre.log", { hasText: "… 5 more lines dropped" }).waitFor();
          assert.equal(await main.getByText("Completed", { exact: true }).count(), 1);
          assert.ok(await fitsWidth(page), `no sideways scrolling at ${width} px`);
          await screenshot(page, "task_detail_attempts");

          await page.goto(`/#/tasks/${held.id}`);
          await page.locator("#task-status[data-status=in_progress]").waitFor({ timeout: WAIT_MS });
          // Progress arrives with a heartbeat; the page reads a running task again by itself.
          await page.locator("#task-progress progress[value='40']").waitFor({ timeout: WAIT_MS });
          await screenshot(page, "task_detail_progress");

          await page.goto("/#/workers");
          const row = page.locator("tbody tr", { hasText: "detail-worker" });
          await row.locator("[data-state=busy]").waitFor({ timeout: WAIT_MS });
          await row.getByText("Running 1 of 4").waitFor();
          await row.getByText(`pid ${worker.child.pid}`, { exact: false }).waitFor();
          assert.match(await row.textContent() ?? "", /deno \d+\.\d+\.\d+/);
          assert.ok(await fitsWidth(page), `no sideways scrolling at ${width} px`);
          await screenshot(page, "workers_busy");
          await row.getByRole("link", { name: held.id }).click();
          await page.waitForURL(new RegExp(`#/tasks/${held.id}$`));
          assert.deepEqual(errors, []);
        } finally {
          await context.close();
        }
      }

      // Idle once the held task is cancelled; gone (not idle) once the worker stops.
      await restOk(manager, "POST", `/tasks/${held.id}/cancel`, {});
      const context = await browser.newContext({ baseURL: manager.httpUrl });
      const page = await context.newPage();
      await page.setViewportSize({ width: 1280, height: 900 });
      try {
        await page.goto("/#/workers");
        const row = page.locator("tbody tr", { hasText: "detail-worker" });
        await row.locator("[data-state=idle]").waitFor({ timeout: WAIT_MS });
        await row.getByText("Running nothing; can take 4").waitFor();
        await screenshot(page, "workers_idle");
        worker.kill("SIGTERM");
        await worker.status;
        await row.locator("[data-state=gone]").waitFor({ timeout: WAIT_MS });
        await row.getByText(/^Disconnected /).waitFor();
        assert.equal(await row.locator("[data-state=idle]").count(), 0);
        await screenshot(page, "workers_gone");
      } finally {
        await context.close();
      }
    } finally {
      await browser.close();
      await worker.stop();
    }
  },
});
