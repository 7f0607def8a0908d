/**
 * The dashboard's charts leave room for their time labels. A chart with nothing to show (no task
 * ran, so every latency is null) lost its y axis: the plot began at the canvas's left edge and the
 * first date label, centred on it, was cut ("026-12-07").
 */
import assert from "node:assert/strict";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { openPageKeepingErrors } from "./fixtures/page_errors.ts";
import { restOk } from "./fixtures/rest.ts";
import { skipUnless } from "./fixtures/skip.ts";

Deno.test({
  ...skipUnless(
    "every chart of the dashboard, empty ones included, leaves its first time label room inside the canvas",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    await restOk(manager, "POST", "/executors", { name: "mail" });
    const browser = await launchChromium();
    try {
      for (const width of [1280, 390]) {
        await using view = await openPageKeepingErrors(browser, {
          baseURL: manager.httpUrl,
          width,
        });
        const { page } = view;
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
        assert.deepEqual(view.errors, []);
      }
    } finally {
      await browser.close();
    }
  },
});
