import assert from "node:assert/strict";
import { ThreadTurns } from "./thread_slices.ts";
import { ResourceExhaustedError, UnavailableError } from "./domain/errors.ts";

Deno.test("ThreadTurns: up to `concurrency` works start at once; past them, the next starts after a timer turn of the event loop; a failing work gives its place on", async () => {
  const turns = new ThreadTurns(2);
  const order: string[] = [];
  const work = (name: string, fail = false) => () => {
    order.push(name);
    return fail ? Promise.reject(new Error(name)) : Promise.resolve(name);
  };
  const runs = [
    turns.run(work("a", true)).catch((error) => `failed ${error.message}`),
    turns.run(work("b")),
    turns.run(work("c")),
    turns.run(work("d")),
  ];
  setTimeout(() => order.push("timer"), 0);
  assert.deepEqual(await Promise.all(runs), ["failed a", "b", "c", "d"]);
  assert.deepEqual(order, ["a", "b", "timer", "c", "d"]);
});

/** Holds the thread `ms` milliseconds, as a page read does. */
function busy(ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* the thread is held */ }
  return Promise.resolve();
}

/** Starts `run` right after a `ms` timer is set; answers whether the timer fired first. */
async function timerBefore(ms: number, run: (started: () => void) => Promise<void>) {
  const order: string[] = [];
  const timer = new Promise<void>((resolve) =>
    setTimeout(() => {
      order.push("timer");
      resolve();
    }, ms)
  );
  await Promise.all([timer, run(() => order.push("work"))]);
  return order[0] === "timer";
}

Deno.test("ThreadTurns with a share: once the burst is spent, the next work waits until the time taken is paid back, whether it waited for a place or came later", async () => {
  // Half the thread: a work of 30 ms puts the next off by 30 ms.
  const queued = new ThreadTurns(1, { share: 0.5, burstMs: 0 });
  const first = queued.run(() => busy(30));
  assert.ok(
    await timerBefore(10, (started) => queued.run(() => Promise.resolve(started()))),
    "the waiting work started before the debt was paid",
  );
  await first;

  const later = new ThreadTurns(1, { share: 0.5, burstMs: 0 });
  await later.run(() => busy(30));
  assert.ok(
    await timerBefore(10, (started) => later.run(() => Promise.resolve(started()))),
    "a work that came after the first ended started before the debt was paid",
  );

  // Within the burst nothing waits longer than a timer turn.
  const burst = new ThreadTurns(1, { share: 0.5, burstMs: 1000 });
  await burst.run(() => busy(30));
  assert.ok(
    !await timerBefore(10, (started) => burst.run(() => Promise.resolve(started()))),
    "a work within the burst waited",
  );
});

Deno.test("ThreadTurns with a share: a work is charged the time its slices held the thread, not what others did while it gave the thread back", async () => {
  const turns = new ThreadTurns(1, { share: 0.5, burstMs: 0 });
  // Whenever the work gives the thread back, other work holds it 100 ms.
  let others = 0;
  const other = setInterval(() => {
    others++;
    busy(100);
  }, 0);
  try {
    await turns.run(async (slices) => {
      for (let i = 0; i < 3; i++) {
        await busy(12);
        await slices.turn();
      }
    });
  } finally {
    clearInterval(other);
  }
  assert.ok(others >= 3, `others held the thread ${others} times while the work gave it back`);
  // Charged its ~36 ms, paid back by the ~300 ms others held the thread at half its share; charged
  // its ~336 ms of wall time, the next would wait ~336 ms.
  assert.ok(
    !await timerBefore(20, (started) => turns.run(() => Promise.resolve(started()))),
    "the next work waited for time others took",
  );
});

Deno.test("ThreadTurns: works waiting for a place are served owner by owner in rotation, each owner's in order", async () => {
  const turns = new ThreadTurns(1);
  const order: string[] = [];
  const work = (name: string) => () => Promise.resolve(void order.push(name));
  await Promise.all([
    turns.run(work("a1"), "a"),
    turns.run(work("a2"), "a"),
    turns.run(work("a3"), "a"),
    turns.run(work("a4"), "a"),
    turns.run(work("b1"), "b"),
    turns.run(work("c1"), "c"),
    turns.run(work("b2"), "b"),
  ]);
  assert.deepEqual(order, ["a1", "a2", "b1", "c1", "a3", "b2", "a4"]);
});

Deno.test("ThreadTurns: a work whose client went away leaves the queue without running, whether it waited for a place or for its debt, and the place goes on", async () => {
  const turns = new ThreadTurns(1, { share: 0.5, burstMs: 0 });
  const ran: string[] = [];
  const first = Promise.withResolvers<void>();
  const a = turns.run(() => (ran.push("a"), first.promise), "a");
  const leaving = new AbortController();
  const b = turns.run(() => Promise.resolve(void ran.push("b")), "b", leaving.signal);
  const paying = new AbortController();
  const c = turns.run(() => Promise.resolve(void ran.push("c")), "c", paying.signal);
  const d = turns.run(() => Promise.resolve(void ran.push("d")), "d");
  leaving.abort();
  await assert.rejects(b, UnavailableError);
  await busy(20);
  first.resolve();
  await a;
  // c now has the place, and waits for the debt a ran up: it leaves meanwhile.
  paying.abort();
  await assert.rejects(c, UnavailableError);
  await d;
  assert.deepEqual(ran, ["a", "d"]);
  await assert.rejects(turns.run(() => Promise.resolve(), "e", paying.signal), UnavailableError);
});

Deno.test("ThreadTurns: past `waitingPerOwner` works of one owner waiting, one more is refused, and other owners still queue", async () => {
  const turns = new ThreadTurns(1, { waitingPerOwner: 2 });
  const first = Promise.withResolvers<void>();
  const runs = [
    turns.run(() => first.promise, "a"),
    turns.run(() => Promise.resolve(), "b"),
    turns.run(() => Promise.resolve(), "b"),
  ];
  await assert.rejects(turns.run(() => Promise.resolve(), "b"), ResourceExhaustedError);
  runs.push(turns.run(() => Promise.resolve(), "c"));
  first.resolve();
  await Promise.all(runs);
});

/**
 * That `turns` (one place, `waitingTotal` of `total`) has none waiting: with its place taken,
 * `total` owners of one work each wait, and one more, with as few, is refused.
 */
async function assertNoneWaiting(turns: ThreadTurns, total: number): Promise<void> {
  const held = Promise.withResolvers<void>();
  const runs = [turns.run(() => held.promise, "holder")];
  for (let i = 0; i < total; i++) runs.push(turns.run(() => Promise.resolve(), `owner${i}`));
  await assert.rejects(turns.run(() => Promise.resolve(), "one more"), ResourceExhaustedError);
  held.resolve();
  await Promise.all(runs);
}

Deno.test("ThreadTurns: past `waitingTotal` works waiting, of any owners, one more is refused; one that left or started makes room", async () => {
  const turns = new ThreadTurns(1, { waitingTotal: 3 });
  const first = Promise.withResolvers<void>();
  const leaving = new AbortController();
  const runs = [
    turns.run(() => first.promise, "a"),
    turns.run(() => Promise.resolve(), "b"),
    turns.run(() => Promise.resolve(), "c"),
  ];
  const left = turns.run(() => Promise.resolve(), "d", leaving.signal);
  await assert.rejects(turns.run(() => Promise.resolve(), "e"), ResourceExhaustedError);
  leaving.abort();
  await assert.rejects(left, UnavailableError);
  runs.push(turns.run(() => Promise.resolve(), "e"));
  await assert.rejects(turns.run(() => Promise.resolve(), "f"), ResourceExhaustedError);
  first.resolve();
  await Promise.all(runs);
  // All served: the count is back to none waiting.
  await assertNoneWaiting(turns, 3);
});

Deno.test("ThreadTurns: past `waitingTotal`, an owner with fewer waiting takes the place of the latest work of the owner with the most, which is refused; an owner as long refuses itself", async () => {
  const turns = new ThreadTurns(1, { waitingTotal: 3 });
  const first = Promise.withResolvers<void>();
  const order: string[] = [];
  const work = (name: string) => () => {
    order.push(name);
    return Promise.resolve(name);
  };
  const running = turns.run(() => first.promise, "a");
  const b = ["b1", "b2", "b3"].map((name) => turns.run(work(name), "b").catch((e) => e));
  const c = turns.run(work("c1"), "c");
  // b1 and b2 wait with c1; b3 made room for c1.
  assert.ok((await b[2]) instanceof ResourceExhaustedError);
  await assert.rejects(turns.run(work("b4"), "b"), ResourceExhaustedError);
  await assert.rejects(turns.run(work("c2"), "c"), ResourceExhaustedError);
  first.resolve();
  await Promise.all([running, b[0], b[1], c]);
  assert.deepEqual(order, ["b1", "c1", "b2"]);
  await assertNoneWaiting(turns, 3);
});

Deno.test("ThreadTurns: when the work handed a place leaves before it starts, its owner's other works are still served", async () => {
  const turns = new ThreadTurns(1, { share: 0.5, burstMs: 0 });
  const ran: string[] = [];
  const work = (name: string) => () => Promise.resolve(void ran.push(name));
  const first = Promise.withResolvers<void>();
  const a1 = turns.run(() => (ran.push("a1"), first.promise), "a");
  const leaving = new AbortController();
  const a2 = turns.run(work("a2"), "a", leaving.signal);
  const a3 = turns.run(work("a3"), "a");
  const b1 = turns.run(work("b1"), "b");
  await busy(20);
  first.resolve();
  await a1;
  // a2 has the place and pays a1's debt: it leaves meanwhile.
  leaving.abort();
  await assert.rejects(a2, UnavailableError);
  await Promise.all([b1, a3]);
  assert.deepEqual(ran, ["a1", "b1", "a3"]);
});
