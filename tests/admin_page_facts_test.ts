/**
 * The admin page takes server facts from the server (`/api/v1/meta`), in a real browser against a
 * real manager: the retry preview is the manager's backoff, defaults, bounds and choices are the
 * server's.
 */
import assert from "node:assert/strict";
import type { Locator } from "playwright-core";
import { retryDelay } from "../server/domain/backoff.ts";
import { DLQ_REASONS } from "../server/domain/dlq.ts";
import {
  DEFAULT_EXECUTOR_CONFIG,
  EXECUTOR_BOUNDS,
  EXECUTOR_NAME_PATTERN,
  NAME_CHARS,
  WRITE_CONCERN_LEVELS,
} from "../server/domain/executor.ts";
import { GROUP_KEY_MAX_CHARS, type NumberBound } from "../server/domain/flow.ts";
import { MAX_RETRY_DELAY_MS } from "../server/domain/limits.ts";
import { RUN_AGAIN_FROM, TASK_STATUSES } from "../server/domain/task.ts";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { openPageKeepingErrors } from "./fixtures/page_errors.ts";
import { restOk } from "./fixtures/rest.ts";

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

/** One flag of an input's `validity` (`valid`, `rangeUnderflow`, `patternMismatch`, …). */
function validity(input: Locator, flag: string): Promise<boolean> {
  return input.evaluate(
    (el, flag) => (el as unknown as { validity: Record<string, boolean> }).validity[flag],
    flag,
  );
}

/** Each number input of the executor form by name, with the manager's bound of its setting. */
function boundedInputs(bounds: typeof EXECUTOR_BOUNDS): [string, NumberBound][] {
  const capital = (word: string) => word[0].toUpperCase() + word.slice(1);
  return [
    ["timeout", bounds.timeout],
    ["maxConcurrency", bounds.maxConcurrency],
    ...Object.entries(bounds.retryPolicy),
    ...Object.entries(bounds.rateLimit).map(([k, b]): [string, NumberBound] => [
      `rateLimit${capital(k)}`,
      b,
    ]),
    ...Object.entries(bounds.rateLimitPerKey).map(([k, b]): [string, NumberBound] => [
      `rateLimitPerKey${capital(k)}`,
      b,
    ]),
    ["maxConcurrencyPerKey", bounds.maxConcurrencyPerKey],
  ];
}

Deno.test({
  ...skipUnless(
    "the executor form bounds every number and the name by what /api/v1/meta says the manager takes, and follows it when it says otherwise",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    const browser = await launchChromium();
    try {
      const { page, errors } = await openPageKeepingErrors(browser, { baseURL: manager.httpUrl });
      const form = page.locator("form[aria-label='New executor']");
      /** Each bounded input's `min`, `max` and `step`, and the name's `pattern`. */
      const shown = async () => {
        const inputs: Record<string, string[]> = {};
        for (const [name] of boundedInputs(EXECUTOR_BOUNDS)) {
          const input = form.locator(`input[name=${name}]`);
          inputs[name] = await Promise.all(
            ["min", "max", "step"].map(async (a) => await input.getAttribute(a) ?? ""),
          );
        }
        const attribute = (input: string, name: string) =>
          form.locator(`input[name=${input}]`).getAttribute(name);
        return {
          inputs,
          pattern: await attribute("name", "pattern"),
          queuePattern: await attribute("queueName", "pattern"),
          pointerChars: await attribute("groupKeyPointer", "maxlength"),
          hints: await Promise.all(
            ["name", "queueName"].map((input) =>
              form.locator(`.field:has(input[name=${input}]) .hint`).textContent()
            ),
          ),
        };
      };
      const expected = (
        bounds: typeof EXECUTOR_BOUNDS,
        pattern: string,
        nameChars: string,
        groupKeyChars: number,
      ) => ({
        inputs: Object.fromEntries(
          boundedInputs(bounds).map((
            [name, b],
          ) => [name, [`${b.min}`, `${b.max}`, b.integer ? "1" : "any"]]),
        ),
        pattern,
        queuePattern: pattern,
        pointerChars: `${groupKeyChars}`,
        // The name rule said for people, under the name and the queue name.
        hints: [nameChars, nameChars],
      });

      await page.goto("/#/executors/new");
      await form.waitFor();
      assert.deepEqual(
        await shown(),
        expected(EXECUTOR_BOUNDS, EXECUTOR_NAME_PATTERN.source, NAME_CHARS, GROUP_KEY_MAX_CHARS),
      );
      // Under the lease's minimum (the manager's 300 ms) the browser finds the timeout too short.
      const timeout = form.locator("input[name=timeout]");
      await timeout.fill(`${EXECUTOR_BOUNDS.timeout.min - 1}`);
      assert.equal(await validity(timeout, "rangeUnderflow"), true);
      await timeout.fill(`${EXECUTOR_BOUNDS.timeout.min}`);
      assert.equal(await validity(timeout, "valid"), true);
      // A name the manager refuses ("..", which the form's own copy of the rule let through).
      const name = form.locator("input[name=name]");
      await name.fill("..");
      assert.equal(await validity(name, "patternMismatch"), true);
      await name.fill("mailer");
      assert.equal(await validity(name, "valid"), true);

      // A manager whose bounds are other ones: the form takes each of them, none of its own.
      const moved = JSON.parse(
        JSON.stringify(EXECUTOR_BOUNDS),
        (_key, value) =>
          typeof value === "object" && value !== null && "min" in value
            ? { min: value.min + 7, max: value.max - 3, integer: !value.integer }
            : value,
      );
      await page.route((url) => url.pathname === "/api/v1/meta", async (route) => {
        const response = await route.fetch();
        const facts = await response.json();
        await route.fulfill({
          response,
          json: {
            ...facts,
            executorBounds: moved,
            namePattern: "[a-z]{2,5}",
            nameChars: "1 to 9 letters",
            groupKeyChars: 17,
          },
        });
      });
      await page.reload();
      await form.waitFor();
      assert.deepEqual(await shown(), expected(moved, "[a-z]{2,5}", "1 to 9 letters", 17));
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  },
});

Deno.test({
  ...skipUnless(
    "the task page's Run again sends as `from` what /api/v1/meta says as runAgainFrom, not a list of its own",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    await restOk(manager, "POST", "/executors", { config: { name: "facts", enabled: false } });
    const { task } = await restOk(manager, "POST", "/tasks", { task: { executorName: "facts" } });
    await restOk(manager, "POST", `/tasks/${task.id}/cancel`);
    const browser = await launchChromium();
    try {
      const { page } = await openPageKeepingErrors(browser, { baseURL: manager.httpUrl });
      const sent: unknown[] = [];
      page.on("request", (request) => {
        if (request.method() === "PUT") sent.push(request.postDataJSON().from);
      });
      // A manager that says another list: the page sends that one (and this one refuses).
      await page.route((url) => url.pathname === "/api/v1/meta", async (route) => {
        const response = await route.fetch();
        await route.fulfill({
          response,
          json: { ...await response.json(), runAgainFrom: ["failed"] },
        });
      });
      await page.goto(`/#/tasks/${task.id}`);
      const put = page.waitForResponse((response) => response.request().method() === "PUT");
      await page.getByRole("button", { name: "Run again" }).click();
      assert.equal((await put).status(), 409);
      assert.deepEqual(sent, [["failed"]]);
      assert.equal((await restOk(manager, "GET", `/tasks/${task.id}`)).task.status, "cancelled");

      // As the manager says it: the task runs again.
      await page.unrouteAll();
      await page.reload();
      const again = page.waitForResponse((response) => response.request().method() === "PUT");
      await page.getByRole("button", { name: "Run again" }).click();
      assert.equal((await again).status(), 200);
      assert.deepEqual(sent, [["failed"], [...RUN_AGAIN_FROM]]);
      assert.equal((await restOk(manager, "GET", `/tasks/${task.id}`)).task.status, "pending");
    } finally {
      await browser.close();
    }
  },
});
