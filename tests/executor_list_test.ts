/**
 * The executor list is paged like every other list: by name, up to `limit` (default 1000, so one
 * page holds every executor unless they are large) and 2 MiB of JSON. Before, 1,000 executors of
 * 60 KB schemas made one 60 MB answer, more than a default gRPC client takes (4 MiB).
 */
import assert from "node:assert/strict";
import { startTestManager } from "./_manager.ts";
import { rest, restOk } from "./fixtures/rest.ts";
import { managerClient, rejectsWith, unary } from "./fixtures/grpc_stack.ts";
import * as grpc from "@grpc/grpc-js";
import { Client } from "../sdk/mod.ts";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { openPageKeepingErrors } from "./fixtures/page_errors.ts";

const COUNT = 40;
const names = Array.from({ length: COUNT }, (_, i) => `big_${String(i).padStart(2, "0")}`);

Deno.test("40 executors of 60 KB schemas come in pages of at most 2 MiB over REST, gRPC and the SDK, each once and by name; limit and cursor are checked", async () => {
  await using manager = await startTestManager();
  const taskSchema = { type: "object", description: "x".repeat(60_000) };
  for (const name of [...names].reverse()) {
    await restOk(manager, "POST", "/executors", { config: { name, taskSchema } });
  }

  // REST: every page within 2 MiB, the pages together every executor once.
  const seen: string[] = [];
  let cursor: string | null = "";
  let pages = 0;
  while (cursor !== null) {
    const response: Response = await fetch(
      `${manager.httpUrl}/api/v1/executors${cursor ? `?cursor=${cursor}` : ""}`,
    );
    const text = await response.text();
    assert.equal(response.status, 200);
    assert.ok(new TextEncoder().encode(text).length <= DEFAULT_LIMITS.pageBytes + 1024);
    const page = JSON.parse(text);
    seen.push(...page.executors.map((e: { name: string }) => e.name));
    cursor = page.nextCursor;
    pages++;
  }
  assert.deepEqual(seen, names);
  assert.equal(pages, 2);

  const five = await restOk(manager, "GET", "/executors?limit=5");
  assert.deepEqual(five.executors.map((e: { name: string }) => e.name), names.slice(0, 5));
  assert.equal(five.nextCursor, names[4]);
  const next = await restOk(manager, "GET", `/executors?limit=5&cursor=${five.nextCursor}`);
  assert.deepEqual(next.executors.map((e: { name: string }) => e.name), names.slice(5, 10));
  const tooMany = await rest(manager, "GET", "/executors?limit=1001");
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.body.errors[0].field, "limit");
  const badCursor = await rest(manager, "GET", "/executors?cursor=NOT%20A%20NAME");
  assert.equal(badCursor.status, 400);
  assert.equal(badCursor.body.errors[0].field, "cursor");

  // gRPC, with a default client (it takes 4 MiB at most).
  const port = Number(manager.grpcAddress.split(":").pop());
  const client = managerClient(port);
  try {
    const grpcSeen: string[] = [];
    let grpcCursor = "";
    do {
      const page: { executors: { name: string }[]; nextCursor: string } = await unary(
        client,
        "ListExecutors",
        { cursor: grpcCursor },
      );
      grpcSeen.push(...page.executors.map((e) => e.name));
      grpcCursor = page.nextCursor;
    } while (grpcCursor);
    assert.deepEqual(grpcSeen, names);
    const refused = await rejectsWith(
      unary(client, "ListExecutors", { limit: 5000 }),
      grpc.status.INVALID_ARGUMENT,
    );
    assert.match(refused.details, /limit/);
  } finally {
    client.close();
  }

  // The SDK reads every page.
  using sdk = new Client({ address: manager.grpcAddress });
  assert.deepEqual((await sdk.listExecutors()).map((e) => e.name), names);
});

Deno.test({
  ...skipUnless(
    "the admin page pages 40 executors of 60 KB schemas with Next and Previous, and its executor pickers list them all",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    const taskSchema = { type: "object", description: "x".repeat(60_000) };
    for (const name of names) await manager.service.createExecutor({ name, taskSchema });
    const browser = await launchChromium();
    try {
      const { page, errors: failed } = await openPageKeepingErrors(browser, {
        baseURL: manager.httpUrl,
      });
      await page.goto("/admin_page.html#/executors");
      const rows = page.locator("main tbody tr");
      await rows.first().waitFor();
      const first = await rows.count();
      assert.ok(first > 0 && first < COUNT, `${first} rows on the first page`);
      await page.getByRole("button", { name: "Next →" }).click();
      await page.locator("main tbody tr", { hasText: names[COUNT - 1] }).waitFor();
      assert.equal(await rows.count(), COUNT - first);
      assert.equal(await page.getByRole("button", { name: "Next →" }).count(), 0);
      await page.getByRole("button", { name: "← Previous" }).click();
      await page.locator("main tbody tr", { hasText: names[0] }).waitFor();

      // The tasks view's executor filter reads every page.
      await page.goto("/admin_page.html#/tasks");
      const options = page.locator("select[name='executorName'] option", { hasText: "big_" });
      await page.locator("select[name='executorName'] option", { hasText: names[COUNT - 1] })
        .waitFor({ state: "attached" });
      assert.equal(await options.count(), COUNT);
      assert.deepEqual(failed, []);
    } finally {
      await browser.close();
    }
  },
});
