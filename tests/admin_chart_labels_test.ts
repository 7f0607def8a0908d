/**
 * The dashboard's charts leave room for their labels. A chart with nothing to show (no task ran, so
 * every latency is null) lost its y axis: the plot began at the canvas's left edge and the first
 * date label, centred on it, was cut ("026-12-07"). And the y axis was 60 px wide whatever its
 * labels: a queue wait of minutes showed "min 20 s" for "1 min 20 s".
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { openPageKeepingErrors } from "./fixtures/page_errors.ts";
import { restOk } from "./fixtures/rest.ts";
import { skipUnless } from "./fixtures/skip.ts";

/**
 * Runs `check` on a fresh page (not yet navigated) at a desktop width and at a phone width,
 * a manager with one executor behind it; an error thrown by the page's scripts fails the test.
 */
async function atEachWidth(check: (page: Page, width: number) => Promise<void>) {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "mail" });
  const browser = await launchChromium();
  try {
    for (const width of [1280, 390]) {
      await using view = await openPageKeepingErrors(browser, {
        baseURL: manager.httpUrl,
        width,
      });
      await check(view.page, width);
      assert.deepEqual(view.errors, []);
    }
  } finally {
    await browser.close();
  }
}

Deno.test({
  ...skipUnless(
    "every chart of the dashboard, empty ones included, leaves its first time label room inside the canvas",
    chromiumMissing(),
  ),
  async fn() {
    await atEachWidth(async (page, width) => {
      await page.goto("/admin_page.html#/");
      for (const range of ["hour", "day"]) {
        await page.locator(`[data-range='${range}']`).click();
        await page.locator(`[data-range='${range}'][aria-pressed='true']`).waitFor();
        await page.waitForFunction(
          `document.querySelectorAll("figure.chart[data-x-ticks] .u-over").length === 3`,
        );
        // Where each chart's plot begins in its canvas, and how wide its widest x label is
        // (drawn centred on its tick, the first tick may sit on the plot's left edge).
        // deno-lint-ignore no-explicit-any
        const measured: any[] = await page.evaluate(`[...document.querySelectorAll(
            "figure.chart[data-x-ticks]")].map((figure) => {
            const canvas = figure.querySelector("canvas");
            const over = figure.querySelector(".u-over");
            const context = document.createElement("canvas").getContext("2d");
            context.font = "12px system-ui, -apple-system, sans-serif";
            const lines = figure.dataset.xTicks.split(" | ").flatMap((t) => t.split("\\n"));
            return {
              chart: figure.dataset.chart,
              plotLeft: over.getBoundingClientRect().left - canvas.getBoundingClientRect().left,
              halfLabel: Math.max(...lines.map((line) => context.measureText(line).width)) / 2,
              lines,
            };
          })`);
        assert.equal(measured.length, 3);
        for (const m of measured) {
          assert.ok(
            m.plotLeft >= m.halfLabel,
            `${m.chart} at ${width} px, ${range}: the plot begins ${m.plotLeft} px into the ` +
              `canvas, less than half its label (${m.halfLabel} px of ${m.lines.join(", ")})`,
          );
        }
      }
    });
  },
});

/** Each point's latencies made long (minutes, hours), so that their y labels are wide. */
// deno-lint-ignore no-explicit-any
function longLatencies(history: any) {
  // deno-lint-ignore no-explicit-any
  history.points = history.points.map((point: any, i: number) => ({
    ...point,
    queueWaitMs: { p50: 80_000 + i * 1_000, p95: 140_000 + i * 1_000 },
    runTimeMs: { p50: 4_800_000 + i * 60_000, p95: 7_260_000 + i * 60_000 },
  }));
  return history;
}

Deno.test({
  ...skipUnless(
    'the latency charts\' y axes are as wide as their widest label ("1 min 20 s", "2 h 1 min")',
    chromiumMissing(),
  ),
  async fn() {
    await atEachWidth(async (page, width) => {
      // The dashboard's history (the executors' rate histories, executorNames, stay as they are).
      const dashboard = (url: URL) =>
        url.pathname === "/api/v1/history" && !url.searchParams.has("executorNames");
      await page.route(dashboard, async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, json: longLatencies(await response.json()) });
      });
      await page.goto("/admin_page.html#/");
      await page.locator("figure.chart[data-y-ticks] .u-over").nth(2).waitFor();
      // Where each chart's plot begins in its canvas, and how wide its widest y label is
      // (drawn right-aligned, a 10 px tick and a 5 px gap left of the plot).
      // deno-lint-ignore no-explicit-any
      const measured: any[] = await page.evaluate(`[...document.querySelectorAll(
          "figure.chart[data-y-ticks]")].map((figure) => {
          const canvas = figure.querySelector("canvas");
          const over = figure.querySelector(".u-over");
          const context = document.createElement("canvas").getContext("2d");
          context.font = "12px system-ui, -apple-system, sans-serif";
          const labels = figure.dataset.yTicks.split(" | ");
          return {
            chart: figure.dataset.chart,
            plotLeft: over.getBoundingClientRect().left - canvas.getBoundingClientRect().left,
            widest: Math.max(...labels.map((label) => context.measureText(label).width)),
            labels,
          };
        })`);
      const latency = measured.filter((m) => m.chart !== "counts");
      assert.equal(latency.length, 2);
      for (const m of latency) {
        assert.ok(m.labels.some((label: string) => / (min|h) /.test(label)), m.labels.join(", "));
        assert.ok(
          m.plotLeft >= m.widest + 15,
          `${m.chart} at ${width} px: the plot begins ${m.plotLeft} px into the canvas, less ` +
            `than its widest y label (${m.widest} px of ${m.labels.join(", ")}) and 15 px`,
        );
      }
      await page.unrouteAll({ behavior: "ignoreErrors" });
    });
  },
});
