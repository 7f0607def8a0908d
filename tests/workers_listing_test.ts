/**
 * The workers listing (`GET /api/v1/workers`, gRPC `ListWorkers`) over a real manager with real
 * worker streams: every answer stays within 4 MiB, a page at a time, connected workers and gone.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { loadProtocol } from "@tasks-executor/proto";
import { startTestManager, type TestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { TestWorker } from "./fixtures/test_worker.ts";

/** What a default grpc-js client receives, and what the README promises every answer stays within. */
const DEFAULT_RECEIVE_BYTES = 4 * 1024 * 1024;
/** A page's items take at most 2 MiB of JSON; the page's own fields and times add a little. */
const PAGE_BYTES = 2 * 1024 * 1024;

// Enough names on enough workers that one unpaged answer passes 4 MiB (about 4.7 MB).
const EXECUTORS = 600;
const WORKERS = 60;

interface WorkersPage {
  workers: { workerId: string; executors: string[]; disconnectedAt: unknown }[];
  nextCursor: string | null;
}

/** Every page of `GET /api/v1/workers`, following `nextCursor`, with each answer's size. */
async function restPages(httpUrl: string): Promise<{ page: WorkersPage; bytes: number }[]> {
  const pages: { page: WorkersPage; bytes: number }[] = [];
  let cursor: string | null = "";
  do {
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
    const response: Response = await fetch(`${httpUrl}/api/v1/workers${query}`);
    const text: string = await response.text();
    assert.equal(response.status, 200, text.slice(0, 300));
    const page = JSON.parse(text) as WorkersPage;
    pages.push({ page, bytes: new TextEncoder().encode(text).length });
    cursor = page.nextCursor;
    assert.ok(pages.length <= WORKERS, "the pages never end");
  } while (cursor);
  return pages;
}

/** Every page of `ListWorkers` through a grpc-js client with its default limits. */
async function grpcPages(address: string): Promise<WorkersPage[]> {
  const { TaskExecutorManagerService } = loadProtocol();
  const client = new TaskExecutorManagerService(address, grpc.credentials.createInsecure());
  const call = (cursor: string) =>
    new Promise<WorkersPage>((resolve, reject) =>
      (client as unknown as {
        ListWorkers(
          request: { cursor: string },
          done: (error: grpc.ServiceError | null, answer: WorkersPage) => void,
        ): void;
      }).ListWorkers({ cursor }, (error, answer) => error ? reject(error) : resolve(answer))
    );
  try {
    const pages: WorkersPage[] = [];
    let cursor = "";
    do {
      const page = await call(cursor);
      pages.push(page);
      cursor = page.nextCursor ?? "";
      assert.ok(pages.length <= WORKERS, "the pages never end");
    } while (cursor);
    return pages;
  } finally {
    client.close();
  }
}

/**
 * `WORKERS` worker streams whose hellos each name `EXECUTORS` executors of 128 characters: more
 * than 4 MiB of workers to list. Their ids, in the order listed.
 */
async function crowd(manager: TestManager): Promise<{ ids: string[]; workers: TestWorker[] }> {
  const names = Array.from(
    { length: EXECUTORS },
    (_, i) => `${String(i).padStart(4, "0")}-${"x".repeat(123)}`,
  );
  for (const name of names) await manager.service.createExecutor({ name });
  const ids = Array.from({ length: WORKERS }, (_, i) => `w-${String(i).padStart(3, "0")}`);
  const workers: TestWorker[] = [];
  try {
    for (const workerId of ids) {
      workers.push(await TestWorker.connect(manager.grpcAddress, { workerId, executors: names }));
    }
  } catch (error) {
    for (const worker of workers) await worker.close();
    throw error;
  }
  return { ids, workers };
}

function idsOf(pages: WorkersPage[]): string[] {
  return pages.flatMap((p) => p.workers.map((w) => w.workerId));
}

Deno.test("GET /api/v1/workers and ListWorkers stay within 4 MiB a page at a time and reach every worker, connected and gone", async () => {
  await using manager = await startTestManager();
  const { ids, workers } = await crowd(manager);
  try {
    for (const state of ["connected", "gone"]) {
      // Unpaged, the first call failed: RESOURCE_EXHAUSTED, received message larger than max.
      const pages = await grpcPages(manager.grpcAddress);
      assert.ok(pages.length > 1, `${state}: one gRPC page held every worker`);
      assert.deepEqual(idsOf(pages), ids, `${state}: gRPC`);

      const rest = await restPages(manager.httpUrl);
      for (const { bytes } of rest) {
        assert.ok(bytes <= PAGE_BYTES + 64 * 1024, `${state}: a page of ${bytes} bytes`);
      }
      assert.ok(rest.length > 1, `${state}: one page held every worker`);
      assert.deepEqual(idsOf(rest.map((r) => r.page)), ids, `${state}: REST`);
      for (const { page } of rest) {
        for (const w of page.workers) {
          assert.equal(w.executors.length, EXECUTORS);
          assert.equal(w.disconnectedAt !== null, state === "gone");
        }
      }
      if (state === "connected") {
        for (const worker of workers) await worker.close();
        // The manager lists a worker as gone once it has seen its stream end.
        for (let i = 0; i < 500; i++) {
          const listed = (await restPages(manager.httpUrl)).flatMap((r) => r.page.workers);
          if (listed.every((w) => w.disconnectedAt !== null)) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    }
    assert.ok(DEFAULT_RECEIVE_BYTES > PAGE_BYTES + 64 * 1024);
  } finally {
    for (const worker of workers) await worker.close();
  }
});

Deno.test("GET /api/v1/workers pages by limit and refuses a cursor it did not give", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "listed" });
  const ids = ["w-a", "w-b", "w-c"];
  const workers: TestWorker[] = [];
  try {
    for (const workerId of [...ids].reverse()) {
      workers.push(
        await TestWorker.connect(manager.grpcAddress, { workerId, executors: ["listed"] }),
      );
    }
    const seen: string[] = [];
    let cursor = "";
    let calls = 0;
    do {
      const query = `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const response = await fetch(`${manager.httpUrl}/api/v1/workers${query}`);
      const page = await response.json();
      assert.equal(response.status, 200, JSON.stringify(page));
      assert.ok(page.workers.length <= 2);
      seen.push(...page.workers.map((w: { workerId: string }) => w.workerId));
      cursor = page.nextCursor ?? "";
      calls++;
    } while (cursor);
    assert.deepEqual(seen, ids);
    assert.equal(calls, 2);

    for (const query of ["?cursor=w-a", "?limit=0", "?limit=1001"]) {
      const response = await fetch(`${manager.httpUrl}/api/v1/workers${query}`);
      const problem = await response.json();
      assert.equal(response.status, 400, query);
      assert.match(JSON.stringify(problem), query.includes("cursor") ? /cursor/ : /limit/);
    }
  } finally {
    for (const worker of workers) await worker.close();
  }
});

Deno.test({
  ...skipUnless(
    "the admin page's Workers view shows a page of workers and reaches the rest with Next",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    const { ids, workers } = await crowd(manager);
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ baseURL: manager.httpUrl });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto("/#/workers");
      const seen: string[] = [];
      for (let pages = 1;; pages++) {
        assert.ok(pages <= WORKERS, "the pages never end");
        const rows = page.locator("tbody tr");
        await rows.first().waitFor({ timeout: 20_000 });
        const shown = await rows.evaluateAll((trs) =>
          trs.map((tr) => tr.querySelector("td")?.textContent ?? "")
        );
        assert.ok(shown.length < WORKERS, `one page showed ${shown.length} workers`);
        seen.push(...shown);
        const next = page.getByRole("button", { name: "Next →" });
        if (await next.count() === 0) break;
        const first = shown[0];
        await next.click();
        await page.locator("tbody tr").first().filter({ hasNotText: first }).waitFor();
      }
      assert.deepEqual(seen, ids);
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      await browser.close();
      for (const worker of workers) await worker.close();
    }
  },
});
