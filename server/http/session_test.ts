import assert from "node:assert/strict";
import type { Authenticator, Principal } from "../auth/scopes.ts";
import { SessionTable } from "./session.ts";

const principal: Principal = {
  keyId: "k1",
  keyName: "admin",
  scopes: ["admin"],
  executors: null,
};

/** An authenticator that knows one key, `te_admin`. */
const authenticator: Authenticator = {
  authenticate: (token) => Promise.resolve(token === "te_admin" ? principal : null),
  onRevoked: () => () => {},
};

/** Runs `body` counting the timers set meanwhile. */
async function countingTimers(body: () => Promise<void>): Promise<number> {
  const original = globalThis.setTimeout;
  let count = 0;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    count++;
    return original(...args);
  }) as typeof setTimeout;
  try {
    await body();
  } finally {
    globalThis.setTimeout = original;
  }
  return count;
}

Deno.test("SessionTable holds one expiry timer per session, however many requests it tracks", async () => {
  const sessions = new SessionTable(authenticator, { ttlMs: 60_000, maxSessions: 10 });
  const opened = await sessions.open("te_admin");
  assert(opened);
  const { handle } = (await sessions.resolve(opened.id))!;
  const closed: number[] = [];
  const forgets: (() => void)[] = [];
  const timers = await countingTimers(async () => {
    for (let i = 0; i < 1000; i++) forgets.push(sessions.track(handle, () => closed.push(i)));
    await Promise.resolve();
  });
  assert.equal(timers, 1);
  // A logout ends every tracked request at once.
  await sessions.close(opened.id);
  assert.equal(closed.length, 1000);
  for (const forget of forgets) forget();
});

Deno.test("SessionTable sets the timer again once every tracked request has ended", async () => {
  const sessions = new SessionTable(authenticator, { ttlMs: 60_000, maxSessions: 10 });
  const opened = await sessions.open("te_admin");
  const { handle } = (await sessions.resolve(opened!.id))!;
  const timers = await countingTimers(() => {
    for (let i = 0; i < 3; i++) sessions.track(handle, () => {})();
    return Promise.resolve();
  });
  assert.equal(timers, 3);
  await sessions.close(opened!.id);
});

Deno.test("SessionTable ends what a session holds open when it expires, with no request", async () => {
  const sessions = new SessionTable(authenticator, { ttlMs: 80, maxSessions: 10 });
  const opened = await sessions.open("te_admin");
  const { handle } = (await sessions.resolve(opened!.id))!;
  const ended = Promise.withResolvers<void>();
  const closed: string[] = [];
  sessions.track(handle, () => closed.push("stream"));
  sessions.track(handle, () => {
    closed.push("wait");
    ended.resolve();
  });
  const keep = setTimeout(() => {}, 5_000); // the expiry timer is unref'd
  await ended.promise;
  clearTimeout(keep);
  assert.deepEqual(closed, ["stream", "wait"]);
  assert.equal(await sessions.resolve(opened!.id), null);
});

Deno.test("a session's expiry timer keeps no process alive with Node's timers global, as in the bundled manager", async () => {
  // The bundled manager makes Node's timers global (node_timers.ts), whose `Timeout` objects
  // `Deno.unrefTimer` leaves holding the process: a held request's hour-long timer would too.
  const here = new URL(".", import.meta.url);
  const script = `
    import ${JSON.stringify(new URL("../node_timers.ts", here).href)};
    import { SessionTable } from ${JSON.stringify(new URL("./session.ts", here).href)};
    const principal = { keyId: "k1", keyName: "admin", scopes: ["admin"], executors: null };
    const sessions = new SessionTable(
      { authenticate: () => Promise.resolve(principal), onRevoked: () => () => {} },
      { ttlMs: 3_600_000, maxSessions: 10 },
    );
    const opened = await sessions.open("te_admin");
    const { handle } = (await sessions.resolve(opened.id));
    sessions.track(handle, () => {});
    console.log("tracked");
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const { code, stdout, stderr } = await child.output().finally(() => clearTimeout(timer));
  const err = new TextDecoder().decode(stderr);
  assert.equal(new TextDecoder().decode(stdout).trim(), "tracked", err);
  assert.equal(code, 0, `the process was held by its session's timer until killed\n${err}`);
});
