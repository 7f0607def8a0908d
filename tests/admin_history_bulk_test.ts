/**
 * The dashboard's history (charts, totals, current rates) and the bulk actions of the tasks and
 * DLQ views in a real browser (Chromium via playwright-core) against a real manager, at 1280 and
 * 390 px, with screenshots under tests/output/screens/.
 */
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { emptySlot, type HistoryDelta, MINUTE_MS } from "../server/domain/history.ts";
import { bucketOf } from "../server/domain/history.ts";
import { UnavailableError } from "../server/domain/errors.ts";
import type { Settlement } from "../server/store/store.ts";
import { startTestManager, type TestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { restOk } from "./fixtures/rest.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { openPageKeepingErrors } from "./fixtures/page_errors.ts";
import { fitsWidth, screenshot } from "./fixtures/screens.ts";
import { settleReady } from "./fixtures/settle_ready.ts";

const WORKER = new URL("./fixtures/admin_worker.ts", import.meta.url);
/** An upper bound for the page to show something, not a sleep. */
const WAIT_MS = 20_000;

/** Minutes `from`…`to` minutes ago (1 = the minute before this one) of one executor. */
function minutes(
  executorName: string,
  ago: { from: number; to: number },
  counts: Partial<HistoryDelta["counts"]>,
  runTimeMs: number[] = [],
): HistoryDelta[] {
  const current = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const out: HistoryDelta[] = [];
  for (let m = ago.from; m >= ago.to; m--) {
    const slot = emptySlot();
    Object.assign(slot.counts, counts);
    for (const ms of runTimeMs) slot.runTimeMs[bucketOf(ms)]++;
    out.push({ executorName, minute: current - m * MINUTE_MS, ...slot });
  }
  return out;
}

/** A page `width` px wide keeping its errors, whose dialogs are kept and accepted. */
async function openPage(browser: Browser, manager: TestManager, width: number) {
  const view = await openPageKeepingErrors(browser, { baseURL: manager.httpUrl, width });
  const dialogs: string[] = [];
  view.page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.accept();
  });
  return Object.assign(view, { dialogs });
}

/** Creates tasks of `executorName` and moves them to `status` through a lease (as a worker would). */
async function tasksIn(
  manager: TestManager,
  executorName: string,
  status: "completed" | "dlq" | "pending",
  count: number,
): Promise<void> {
  await restOk(manager, "POST", "/tasks/batch", {
    tasks: Array.from({ length: count }, () => ({ executorName, data: {} })),
  });
  if (status === "pending") return;
  const now = Date.now();
  const error = { attempt: 1, message: "Boom", at: now, workerId: "test" };
  const settlement: Settlement = status === "completed"
    ? { kind: "completed", result: 1 }
    : { kind: "dlq", error, reason: "max_attempts", queueName: "dlq" };
  const { tasks } = await settleReady(manager.store, executorName, {
    limit: count,
    now,
    settlement,
  });
  assert.equal(tasks.length, count);
}

Deno.test({
  ...skipUnless(
    "the dashboard's completion rate stays near 60/min under a steady load of one task a second",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    await restOk(manager, "POST", "/executors", { config: { name: "admin_ok" } });
    // The same load ran for the ten minutes before (written as history, so that the test need
    // not wait ten minutes for its rate window to fill).
    await manager.store.history.historyAdd(
      minutes("admin_ok", { from: 10, to: 1 }, { created: 60, started: 60, completed: 60 }),
    );
    const worker = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", WORKER.pathname, manager.grpcAddress],
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    const browser = await launchChromium();
    let producing = true;
    const producer = (async () => {
      while (producing) {
        await restOk(manager, "POST", "/tasks", { executorName: "admin_ok", data: {} });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    })();
    try {
      await using view = await openPage(browser, manager, 1280);
      await view.page.goto("/#/");
      const rate = view.page.locator("[data-executor='admin_ok'] .spark span");
      await rate.waitFor({ timeout: WAIT_MS });
      const readings: number[] = [];
      for (let i = 0; i < 20; i++) {
        readings.push(Number.parseFloat(await rate.textContent() ?? ""));
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      const within = readings.filter((r) => r >= 30 && r <= 120);
      assert.equal(within.length, readings.length, `readings: ${readings.join(", ")}`);
      const shown = await view.page.locator("[data-rate='completed']").textContent();
      const overall = Number.parseFloat(shown ?? "");
      assert.ok(overall >= 30 && overall <= 120, `dashboard total rate ${shown}`);
      await screenshot(view.page, "dashboard_steady_rate");
      assert.deepEqual(view.errors, []);
    } finally {
      producing = false;
      await producer;
      await browser.close();
      worker.kill("SIGTERM");
      await worker.status;
    }
  },
});

Deno.test({
  ...skipUnless(
    "history charts and totals are drawn from a known load, for all executors and one, at 1280 and 390 px",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    for (const name of ["alpha", "beta"]) {
      await restOk(manager, "POST", "/executors", { config: { name, enabled: false } });
    }
    // Thirty minutes: alpha creates 10 and completes 8 a minute (each run 40 ms), beta creates 5.
    await manager.store.history.historyAdd([
      ...minutes(
        "alpha",
        { from: 30, to: 1 },
        { created: 10, started: 8, completed: 8 },
        Array(8).fill(40),
      ),
      ...minutes("beta", { from: 30, to: 1 }, { created: 5 }),
      // Three hours ago: outside the last hour, inside the last day.
      ...minutes("alpha", { from: 180, to: 180 }, { created: 1000 }),
    ]);
    const browser = await launchChromium();
    try {
      for (const width of [1280, 390]) {
        await using view = await openPage(browser, manager, width);
        const { page } = view;
        await page.goto("/#/");
        const total = (key: string) => page.locator(`[data-total='${key}']`).textContent();
        await page.locator(".chart canvas").first().waitFor({ timeout: WAIT_MS });
        assert.equal(await total("created"), "450");
        assert.equal(await total("completed"), "240");
        const counts = page.locator("[data-chart='counts']");
        assert.equal(await counts.getAttribute("data-points"), "60");
        assert.match(await counts.getAttribute("aria-label") ?? "", /created 450, completed 240/);
        const box = await counts.locator("canvas").boundingBox();
        assert.ok(box && box.width > 200 && box.height > 100, `canvas ${JSON.stringify(box)}`);
        assert.ok(await fitsWidth(page), `no horizontal scrolling at ${width} px`);
        await screenshot(page, "dashboard_history");

        await page.locator("select[name=executorName]").first().selectOption("alpha");
        await page.locator("[data-total='created']", { hasText: /^300$/ }).waitFor();
        assert.equal(await total("completed"), "240");
        const runTime = await page.locator(".totals").textContent();
        assert.match(runTime ?? "", /Run time p50 \/ p95\s*\d+(\.\d+)? ms \/ \d+(\.\d+)? ms/);

        await page.locator("[data-range='day']").click();
        await page.locator("[data-total='created']", { hasText: /^1,300$/ }).waitFor();
        assert.equal(await counts.getAttribute("data-points"), "96");
        assert.equal(await page.locator("[data-range='day']").getAttribute("aria-pressed"), "true");
        await screenshot(page, "dashboard_history_alpha_day");
        assert.deepEqual(view.errors, []);
      }
    } finally {
      await browser.close();
    }
  },
});

Deno.test({
  ...skipUnless(
    "queue wait and run time are drawn on scales of their own: a 75 ms run time is readable beside a 30 s wait",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    await restOk(manager, "POST", "/executors", { config: { name: "slowq", enabled: false } });
    // Ten minutes of tasks that waited 30 s and ran 75 ms. On one axis the run time was a flat
    // line at zero, its scale the queue wait's 0 to 30 s.
    const current = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
    await manager.store.history.historyAdd(
      Array.from({ length: 10 }, (_, i) => {
        const slot = emptySlot();
        Object.assign(slot.counts, { created: 4, started: 4, completed: 4 });
        slot.queueWaitMs[bucketOf(30_000)] += 4;
        slot.runTimeMs[bucketOf(75)] += 4;
        return { executorName: "slowq", minute: current - (i + 1) * MINUTE_MS, ...slot };
      }),
    );
    const browser = await launchChromium();
    try {
      for (const width of [1280, 390]) {
        await using view = await openPage(browser, manager, width);
        const { page } = view;
        await page.goto("/#/");
        const ticksOf = async (chart: string) => {
          const figure = page.locator(`[data-chart='${chart}'][data-y-ticks]`);
          await figure.waitFor({ state: "attached", timeout: WAIT_MS });
          return (await figure.getAttribute("data-y-ticks"))!.split(" | ");
        };
        // Run time: a scale around 75 ms, in ms; queue wait: one in seconds.
        const run = await ticksOf("run-time");
        assert.ok(run.length >= 2, run.join(", "));
        for (const tick of run) assert.match(tick, /^\d+(\.\d+)? ms$/, run.join(", "));
        assert.ok(run.some((tick) => parseFloat(tick) >= 50), run.join(", "));
        const wait = await ticksOf("queue-wait");
        assert.ok(wait.some((tick) => /^\d+(\.\d+)? s$/.test(tick)), wait.join(", "));
        assert.ok(await fitsWidth(page), `no horizontal scrolling at ${width} px`);
        await screenshot(page, "dashboard_latency");
        assert.deepEqual(view.errors, []);
      }
    } finally {
      await browser.close();
    }
  },
});

Deno.test({
  ...skipUnless(
    "bulk actions on the tasks and DLQ views state the count in their confirm and report what they did",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    await restOk(manager, "POST", "/executors", { config: { name: "bulk_x", enabled: false } });
    const browser = await launchChromium();
    try {
      for (const width of [1280, 390]) {
        for (const [status, count] of [["completed", 3], ["dlq", 2], ["pending", 4]] as const) {
          await tasksIn(manager, "bulk_x", status, count);
        }
        await using view = await openPage(browser, manager, width);
        const { page, dialogs } = view;
        // Each action: the view it is on (when it changes), its button, the confirm it asks and
        // the notice it ends with, then what is checked of the view.
        const actions = [{
          view: "/#/tasks?executorName=bulk_x",
          before: "tasks_bulk",
          button: "Delete finished…",
          confirm: /^Delete 3 finished tasks matching this filter\?/,
          notice: "Deleted 3 tasks",
        }, {
          button: "Cancel pending…",
          confirm: /^Cancel 4 pending tasks matching this filter\?/,
          notice: "Cancelled 4 tasks",
          fits: true,
          after: "tasks_bulk_done",
        }, {
          view: "/#/dlq?executorName=bulk_x",
          button: "Purge…",
          confirm: /^Delete 2 dead letters matching executor "bulk_x"\?/,
          notice: "2 dead letters purged",
          after: "dlq_bulk_done",
        }];
        for (const action of actions) {
          if (action.view) {
            await page.goto(action.view);
            await page.locator("main h1").waitFor();
          }
          if (action.before) await screenshot(page, action.before);
          await page.getByRole("button", { name: action.button }).click();
          await page.locator(".notice-ok", { hasText: action.notice }).waitFor({
            timeout: WAIT_MS,
          });
          assert.match(dialogs.at(-1)!, action.confirm);
          assert.equal(await page.locator(".notice-ok").textContent(), action.notice);
          if (action.fits) {
            assert.ok(await fitsWidth(page), `no horizontal scrolling at ${width} px`);
          }
          if (action.after) await screenshot(page, action.after);
        }

        const { tasks } = await restOk(manager, "GET", "/tasks?executorName=bulk_x");
        assert.deepEqual(
          tasks.map((t: { status: string }) => t.status),
          ["cancelled", "cancelled", "cancelled", "cancelled"],
        );
        // Clear the cancelled ones for the next width.
        await restOk(manager, "DELETE", "/tasks?executorName=bulk_x");
        assert.deepEqual(view.errors, []);
      }
    } finally {
      await browser.close();
    }
  },
});

Deno.test({
  ...skipUnless(
    "a bulk action the manager stops part way says what it did and why, and that the rest was not touched",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    await restOk(manager, "POST", "/executors", { config: { name: "bulk_y", enabled: false } });
    await tasksIn(manager, "bulk_y", "pending", 25);
    // The store fails from its second write of a cancel (ten tasks each): ten were cancelled.
    const store = manager.store;
    const real = store.taskTransitionMany;
    let calls = 0;
    store.taskTransitionMany = (...args) =>
      ++calls >= 2
        ? Promise.reject(new UnavailableError("The store cannot be reached"))
        : real.apply(store, args);
    const browser = await launchChromium();
    try {
      await using view = await openPage(browser, manager, 1280);
      const { page } = view;
      await page.goto("/#/tasks?executorName=bulk_y");
      await page.locator("main h1").waitFor();
      await page.getByRole("button", { name: "Cancel pending…" }).click();
      const stopped = page.locator(".notice-error", { hasText: "Stopped part way" });
      await stopped.waitFor({ timeout: WAIT_MS });
      assert.equal(
        await stopped.textContent(),
        "Stopped part wayCancelled 10 tasks, then: The store cannot be reached" +
          "The rest was not touched: run it again to go on.",
      );
      assert.deepEqual(view.errors, []);
    } finally {
      store.taskTransitionMany = real;
      await browser.close();
    }
    const { tasks } = await restOk(manager, "GET", "/tasks?executorName=bulk_y&status=pending");
    assert.equal(tasks.length, 15);
  },
});
