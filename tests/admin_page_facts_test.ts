/**
 * The admin page takes server facts from the server (`/api/v1/meta`), in a real browser against a
 * real manager: the retry preview is the manager's backoff, defaults and choices are the server's.
 */
import assert from "node:assert/strict";
import type { Locator } from "playwright-core";
import { retryDelay } from "../server/domain/backoff.ts";
import { DLQ_REASONS } from "../server/domain/dlq.ts";
import { DEFAULT_EXECUTOR_CONFIG, WRITE_CONCERN_LEVELS } from "../server/domain/executor.ts";
import { MAX_RETRY_DELAY_MS } from "../server/domain/limits.ts";
import { TASK_STATUSES } from "../server/domain/task.ts";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { openPageKeepingErrors } from "./fixtures/page_errors.ts";

/** The `value` of each element `locator` finds, in order. */
async function values(locator: Locator): Promise<(string | null)[]> {
  return await Promise.all((await locator.all()).map((one) => one.getAttribute("value")));
}

Deno.test({
  ...skipUnless(
    "the executor form previews the manager's own retry delays, 30-day cap included, and offers the server's defaults and choices",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    const browser = await launchChromium();
    try {
      const { page, errors } = await openPageKeepingErrors(browser, { baseURL: manager.httpUrl });
      await page.goto("/#/executors/new");
      const form = page.locator("form[aria-label='New executor']");
      await form.waitFor();

      // A new executor's settings start from the server's defaults.
      const defaults = DEFAULT_EXECUTOR_CONFIG;
      assert.equal(await form.locator("input[name=timeout]").inputValue(), `${defaults.timeout}`);
      assert.equal(
        await form.locator("input[name=maxAttempts]").inputValue(),
        `${defaults.retryPolicy.maxAttempts}`,
      );
      assert.deepEqual(
        await values(form.locator("select[name=writeConcern] option")),
        WRITE_CONCERN_LEVELS,
      );
      assert.equal(
        await form.locator("select[name=writeConcern]").inputValue(),
        defaults.writeConcern.level,
      );

      // Grows past 30 days by the fifth retry: the manager caps it there (MAX_RETRY_DELAY_MS),
      // where the formula alone gives 10^8 s, over three years.
      const policy = {
        type: "exponential",
        maxAttempts: 6,
        interval: 1000,
        maxInterval: 0,
        multiplier: 100,
        jitter: 0,
      } as const;
      assert.equal(retryDelay(policy, 5), MAX_RETRY_DELAY_MS);
      await form.locator("select[name=retryType]").selectOption(policy.type);
      await form.locator("input[name=maxAttempts]").fill(`${policy.maxAttempts}`);
      await form.locator("input[name=interval]").fill(`${policy.interval}`);
      await form.locator("input[name=maxInterval]").fill(`${policy.maxInterval}`);
      await form.locator("input[name=multiplier]").fill(`${policy.multiplier}`);
      await form.locator(".preview li", { hasText: /^retry 5: 30 d$/ }).waitFor();
      assert.deepEqual(await form.locator(".preview li").allTextContents(), [
        "retry 1: 1 s",
        "retry 2: 1 min 40 s",
        "retry 3: 2 h 46 min",
        "retry 4: 11 d 13 h",
        "retry 5: 30 d",
      ]);

      // A policy the server refuses says why, naming the field.
      await form.locator("input[name=multiplier]").fill("0.5");
      await form.locator(".preview", { hasText: "/retryPolicy/multiplier" }).waitFor();

      await page.goto("/#/tasks");
      await page.locator("fieldset.statuses input").first().waitFor();
      assert.deepEqual(await values(page.locator("fieldset.statuses input")), TASK_STATUSES);
      await page.goto("/#/dlq");
      const reasons = page.locator("select[name=reason] option");
      await reasons.first().waitFor({ state: "attached" });
      assert.deepEqual((await values(reasons)).slice(1), DLQ_REASONS);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  },
});
