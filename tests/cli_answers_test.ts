/**
 * The command line against a fake manager (a `Deno.serve` on port 0) that answers what no manager
 * should: every command checks the shape of what it reads and exits 5 naming the field, with no
 * stack and no usage text; counts are summed only as numbers; a bulk command stops when the
 * cursors go round in circles; a wait does not poll back to back a server that does not wait.
 */
import assert from "node:assert/strict";
import { AnswerError, CursorTrail } from "../cli/answer.ts";
import { shellWord, withNextPage } from "../cli/command.ts";
import { type Finished, runToEnd } from "./fixtures/process.ts";

/** Exit code of an answer the command cannot read. */
const BAD_ANSWER = 5;

/** A fake manager answering every call with `answer(calls so far)`: JSON, or a string as text. */
function fakeManager(answer: (call: number, url: URL) => unknown) {
  let calls = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const body = answer(++calls, new URL(request.url));
    return typeof body === "string" ? new Response(body) : Response.json(body);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    get calls() {
      return calls;
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

function cli(url: string, args: string[]): Promise<Finished> {
  return runToEnd(Deno.execPath(), ["run", "-A", "main.ts", ...args], {
    MANAGER_URL: url,
    TASKS_EXECUTOR_API_KEY: "",
  });
}

function describe(run: Finished): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

/** Asserts a run stopped on a bad answer: exit 5, `message` on stderr, no stack, no usage. */
function assertBadAnswer(run: Finished, message: RegExp, what: string): void {
  assert.equal(run.code, BAD_ANSWER, `${what}: ${describe(run)}`);
  assert.match(run.stderr, message, what);
  assert.doesNotMatch(run.stderr, /TypeError|\n\s+at |Usage:/, what);
  assert.equal(run.stdout, "", what);
}

Deno.test("an answer of another shape exits 5 naming the field, with no stack, whatever the command", async () => {
  const task = { id: "t1", executorName: "e", status: "pending" };
  const cases: [string[], unknown, RegExp][] = [
    [
      ["tasks", "list"],
      { tasks: "x", nextCursor: null },
      /GET \/api\/v1\/tasks .*\/tasks must be a list, not a string/,
    ],
    [
      ["tasks", "list"],
      { tasks: [null], nextCursor: null },
      /\/tasks\/0 must be an object, not null/,
    ],
    [
      ["tasks", "list", "--json"],
      { tasks: [{ ...task, id: 7 }], nextCursor: null },
      /\/tasks\/0\/id must be a string, not the number 7/,
    ],
    [["tasks", "list"], { tasks: [] }, /\/nextCursor must be a string or null, not missing/],
    [["tasks", "get", "t1"], { task: null }, /\/task must be an object, not null/],
    [
      ["tasks", "get", "t1"],
      { task: { ...task, errors: [null] } },
      /\/task\/errors\/0 must be an object/,
    ],
    [
      ["tasks", "create", "e"],
      { task: { ...task, metadata: "x" } },
      /\/task\/metadata must be an object or null or absent/,
    ],
    [
      ["tasks", "cancel", "--executor", "e"],
      { cancelled: "05", nextCursor: null },
      /\/cancelled must be a whole number from 0, not a string \("05"\)/,
    ],
    [
      ["tasks", "cancel", "--executor", "e", "--json"],
      { cancelled: "05", nextCursor: null },
      /\/cancelled must be a whole number/,
    ],
    [
      ["tasks", "delete", "--executor", "e"],
      { deleted: 1.5, nextCursor: null },
      /\/deleted must be a whole number/,
    ],
    [
      ["tasks", "retry", "--executor", "e"],
      { retried: 1, nextCursor: null },
      /\/invalid must be a whole number from 0, not missing/,
    ],
    [
      ["dlq", "list"],
      { entries: [{ id: "d", executorName: "e", task: "x" }], nextCursor: null },
      /\/entries\/0\/task must be an object/,
    ],
    [["dlq", "get", "d"], {}, /\/entry must be an object, not missing/],
    [["dlq", "purge", "--confirm"], { deleted: "3" }, /\/deleted must be a whole number/],
    [
      ["executors", "list"],
      { executors: [{ name: "a" }], nextCursor: null },
      /\/executors\/0\/retryPolicy must be an object, not missing/,
    ],
    [["schedules", "list"], {
      schedules: [{ name: "s", executorName: "e", nextFires: [], lastFires: [null] }],
      nextCursor: null,
    }, /\/schedules\/0\/lastFires\/0 must be an object/],
    [["schedules", "trigger", "s"], { taskId: "t" }, /\/schedule must be an object/],
    [
      ["stats"],
      { executors: [{ executorName: "e" }] },
      /\/executors\/0\/byStatus must be an object/,
    ],
    [
      ["workers", "list"],
      { workers: [{ workerId: "w", executors: "a" }] },
      /\/workers\/0\/executors must be a list/,
    ],
    [
      ["tasks", "list"],
      "<html>not the manager</html>",
      /answered 200 with a body that is not JSON/,
    ],
  ];
  for (const [args, answer, message] of cases) {
    await using fake = fakeManager(() => answer);
    assertBadAnswer(await cli(fake.url, args), message, args.join(" "));
  }
});

Deno.test("a bulk command stops with exit 5 when the manager gives a cursor again, saying what was done", async () => {
  {
    await using fake = fakeManager(() => ({ cancelled: 5, nextCursor: "same" }));
    const run = await cli(fake.url, ["tasks", "cancel", "--executor", "e"]);
    assertBadAnswer(
      run,
      /^The manager answered POST \/api\/v1\/tasks\/cancel with a nextCursor it had given before \("same", after 2 calls\): stopped, as its pages would never end; cancelled so far: 10\n$/,
      "same cursor",
    );
    assert.equal(fake.calls, 2);
  }
  {
    // Round in a circle of two: a, b, a.
    await using fake = fakeManager((call) => ({ deleted: 1, nextCursor: call % 2 ? "a" : "b" }));
    const run = await cli(fake.url, ["tasks", "delete", "--executor", "e", "--json"]);
    assertBadAnswer(
      run,
      /nextCursor it had given before \("a", after 3 calls\).*deleted so far: 3/,
      "circle",
    );
    assert.equal(fake.calls, 3);
  }
  {
    // Cursors that move on, then end: every count summed as a number.
    await using fake = fakeManager((call) => ({
      retried: call,
      invalid: 1,
      nextCursor: call < 3 ? `c${call}` : null,
    }));
    const run = await cli(fake.url, ["tasks", "retry", "--executor", "e", "--json"]);
    assert.equal(run.code, 0, describe(run));
    assert.deepEqual(JSON.parse(run.stdout), { retried: 6, invalid: 3 });
  }
});

Deno.test("tasks get --wait backs off from a server that answers every long poll at once with a task not yet final", async () => {
  const pending = { task: { id: "t1", executorName: "e", status: "pending" } };
  await using fake = fakeManager(() => pending);
  const run = await cli(fake.url, ["tasks", "get", "t1", "--wait", "3s"]);
  assert.equal(run.code, 4, describe(run));
  assert.match(run.stdout + run.stderr, /still pending after 3 s/);
  // Polls 250, 500, 1000 and 2000 ms apart fit 3 s about 5 times; back to back, thousands did.
  assert.ok(fake.calls <= 8, `${fake.calls} polls in 3 s`);
});

Deno.test("CursorTrail ends a run of calls that still has a cursor after its bound", () => {
  const trail = new CursorTrail("DELETE /api/v1/tasks", 3);
  assert.equal(trail.next("a"), "a");
  assert.equal(trail.next("b"), "b");
  assert.throws(
    () => trail.next("c"),
    (error: Error) =>
      error instanceof AnswerError &&
      error.message ===
        "The manager's answers to DELETE /api/v1/tasks still had a nextCursor after 3 calls: " +
          "stopped (run the command again to go on)",
  );
  assert.equal(new CursorTrail("DELETE /api/v1/tasks", 3).next(null), undefined);
});

Deno.test("the next page's hint gives its cursor as one shell word, quoted when it holds what a shell reads (a workers cursor ends with a worker id its worker chose)", async () => {
  assert.equal(withNextPage("t", "eyJhIjoxfQ"), "t\n\nMore: add --cursor eyJhIjoxfQ");
  assert.equal(withNextPage("t", "12:w-1"), "t\n\nMore: add --cursor 12:w-1");
  assert.equal(withNextPage("t", null), "t");
  for (const cursor of ["3:w 1; rm -rf ~", "4:it's $(id) `x` *", '5:a"b|c&d>e', "~root"]) {
    const word = shellWord(cursor);
    const echoed = await new Deno.Command("sh", { args: ["-c", `printf %s ${word}`] }).output();
    assert.equal(new TextDecoder().decode(echoed.stdout), cursor, word);
  }
});

Deno.test("a refusal that names what a command sent adds the options that send it, in every command", async () => {
  // A manager refusing every call with a field error for each query parameter and body field.
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url);
    const text = await request.text();
    const body = text === "" ? {} : JSON.parse(text);
    const errors = [
      ...[...url.searchParams.keys()].map((field) => ({ field, message: "Refused" })),
      ...Object.keys(body).map((field) => ({ field: `/${field}`, message: "Refused" })),
    ];
    return Response.json({ status: 400, detail: "Invalid request", errors }, { status: 400 });
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    const at = "2026-12-02T14:00:00Z";
    const filter = [
      "--executor=e",
      "--status=pending",
      `--created-after=${at}`,
      `--created-before=${at}`,
      `--finished-after=${at}`,
      `--finished-before=${at}`,
    ];
    const cases: string[][] = [
      ["executors", "list", "--limit=5", "--cursor=c"],
      ["executors", "delete", "x", "--force"],
      ["tasks", "list", ...filter, "--limit=5", "--cursor=c"],
      ["tasks", "delete", ...filter, "--confirm"],
      ["tasks", "cancel", ...filter, "--confirm"],
      ["tasks", "retry", ...filter, "--confirm"],
      [
        "tasks",
        "create",
        "x",
        "--data={}",
        "--priority=1",
        `--run-at=${at}`,
        "--metadata=a=1",
        "--idempotency-key=k",
        "--group-key=g",
      ],
      ["schedules", "list", "--executor=e", "--fires=2", "--limit=5", "--cursor=c"],
      ["schedules", "get", "x", "--fires=2"],
      [
        "schedules",
        "preview",
        "--cron=* * * * *",
        "--timezone=UTC",
        `--start-at=${at}`,
        `--end-at=${at}`,
        "--count=2",
      ],
      ["schedules", "preview", "--every=5m"],
      ["dlq", "list", "--executor=e", "--reason=timeout", "--limit=5", "--cursor=c"],
      ["dlq", "purge", "--confirm", "--executor=e", "--reason=timeout", `--dead-before=${at}`],
      ["dlq", "run-again", "x", "--data={}"],
      ["workers", "list", "--limit=5", "--cursor=c"],
      ["stats", "--executor=e"],
    ];
    for (const args of cases) {
      const run = await cli(url, args);
      const what = args.join(" ");
      assert.equal(run.code, 1, `${what}: ${describe(run)}`);
      const hint = /^\(options: (.*)\)$/m.exec(run.stderr)?.[1] ?? "";
      for (const option of args.filter((arg) => arg.startsWith("--"))) {
        const name = option.split("=")[0];
        assert.match(hint, new RegExp(`(^|[ ,])${name} `), `${what}: ${name}: ${describe(run)}`);
      }
    }
  } finally {
    await server.shutdown();
  }
});
