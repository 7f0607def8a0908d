import assert from "node:assert/strict";
import { InvalidArgumentError } from "../domain/errors.ts";
import type { WorkerDirectory, WorkerSnapshot } from "../engine/workers.ts";
import { workersPage } from "./workers.ts";

function worker(workerId: string, connectionId: number, executors: string[] = []): WorkerSnapshot {
  return {
    workerId,
    connectionId,
    executors,
    sdkVersion: "",
    host: "",
    pid: 0,
    runtime: "",
    connectedAt: 0,
    lastHeartbeatAt: 0,
    inFlight: 0,
    credits: 0,
    running: [],
    disconnectedAt: null,
  };
}

/** Follows `nextCursor` to the end, giving the ids (`<worker id>#<connection>`) of each page. */
async function everyPage(
  directory: WorkerDirectory,
  limit: number,
  maxBytes: number,
): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await workersPage(directory, { cursor, limit }, { maxBytes });
    pages.push(page.items.map((w) => `${w.workerId}#${w.connectionId}`));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && pages.length < 100);
  return pages;
}

Deno.test("workersPage() lists connected and gone workers by worker id and connection, a page at a time", async () => {
  const directory: WorkerDirectory = {
    list: () => [worker("b", 7), worker("a", 9), worker("b", 3)],
    gone: () => [worker("c", 1), worker("a:1", 2)],
  };
  assert.deepEqual(await everyPage(directory, 2, 1 << 20), [["a#9", "a:1#2"], ["b#3", "b#7"], [
    "c#1",
  ]]);
  assert.deepEqual(await everyPage(directory, 1000, 1 << 20), [[
    "a#9",
    "a:1#2",
    "b#3",
    "b#7",
    "c#1",
  ]]);
});

Deno.test("workersPage() ends a page before maxBytes of JSON, with one worker at least", async () => {
  const names = Array.from({ length: 100 }, (_, i) => `${i}`.padStart(100, "x"));
  const directory: WorkerDirectory = {
    list: () => ["a", "b", "c", "d"].map((id, i) => worker(id, i, names)),
  };
  // One worker takes about 10.6 KB of JSON: a page of 25 KB holds two, a page of 1 KB one.
  assert.deepEqual(await everyPage(directory, 1000, 25_000), [["a#0", "b#1"], ["c#2", "d#3"]]);
  assert.deepEqual(await everyPage(directory, 1000, 1000), [["a#0"], ["b#1"], ["c#2"], ["d#3"]]);
});

Deno.test("workersPage() refuses a limit past 1000 and a cursor it did not give", async () => {
  const directory: WorkerDirectory = { list: () => [] };
  for (const page of [{ limit: 1001 }, { limit: 0.5 }, { cursor: "w-1" }, { cursor: "1:" }]) {
    assert.throws(
      () => workersPage(directory, page, { maxBytes: 1 << 20 }),
      InvalidArgumentError,
      JSON.stringify(page),
    );
  }
  assert.deepEqual(await workersPage(directory, { cursor: "12:w-1" }, { maxBytes: 1 << 20 }), {
    items: [],
    nextCursor: null,
  });
});
