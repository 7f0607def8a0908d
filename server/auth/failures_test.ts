import assert from "node:assert/strict";
import type { LogFields, Logger } from "../log.ts";
import { newToken } from "./token.ts";
import {
  type AuthAttempt,
  AuthFailureLog,
  FAILURE_LINES,
  FAILURE_LOG_WINDOW_MS,
  hostOfPeer,
} from "./failures.ts";

function capture(): { log: Logger; lines: { msg: string; fields: LogFields }[] } {
  const lines: { msg: string; fields: LogFields }[] = [];
  const keep = (msg: string, fields: LogFields = {}) => lines.push({ msg, fields });
  return { log: { debug: keep, info: keep, warn: keep, error: keep }, lines };
}

const rest = (peer: string): AuthAttempt => ({ transport: "rest", peer, via: "authorization" });

Deno.test("hostOfPeer() drops the port of IPv4, bracketed and bare IPv6 peers", () => {
  assert.equal(hostOfPeer("10.0.0.1:5000"), "10.0.0.1");
  assert.equal(hostOfPeer("[::1]:80"), "::1");
  assert.equal(hostOfPeer("::1:80"), "::1");
  assert.equal(hostOfPeer("unknown"), "unknown");
});

Deno.test("AuthFailureLog counts every failure and logs one line per peer and transport a window, with the key id and never the token", () => {
  let now = 0;
  const { log, lines } = capture();
  const failures = new AuthFailureLog({ now: () => now, log });
  const guess = newToken();
  for (let i = 0; i < 1000; i++) failures.note(guess.token, rest(`10.0.0.1:${1000 + i}`));
  failures.note("not a token", { transport: "grpc", peer: "10.0.0.1:7", via: "metadata" });
  assert.deepEqual(failures.counts(), { rest: 1000, grpc: 1 });
  assert.deepEqual(lines.map((l) => [l.msg, l.fields.transport, l.fields.keyId]), [
    ["Authentication failed", "rest", guess.id],
    ["Authentication failed", "grpc", null],
  ]);
  assert.equal(lines[0].fields.peer, "10.0.0.1");
  assert.ok(!JSON.stringify(lines).includes(guess.secret));

  now += FAILURE_LOG_WINDOW_MS;
  failures.note(guess.token, rest("10.0.0.1:9"));
  assert.equal(lines.at(-1)!.fields.suppressed, 999);
});

Deno.test("AuthFailureLog writes at most FAILURE_LINES lines a window over all peers, and says how many it left out", () => {
  let now = 0;
  const { log, lines } = capture();
  const failures = new AuthFailureLog({ now: () => now, log });
  for (let i = 0; i < FAILURE_LINES + 50; i++) {
    failures.note(null, rest(`10.1.${i >> 8}.${i & 255}:1`));
  }
  assert.equal(lines.length, FAILURE_LINES);
  now += FAILURE_LOG_WINDOW_MS;
  failures.note(null, rest("10.9.9.9:1"));
  assert.equal(lines.length, FAILURE_LINES + 1);
  assert.equal(lines.at(-1)!.fields.suppressedElsewhere, 50);
});

Deno.test("AuthFailureLog says why each failed: a token not sent as Bearer, not a token, or a key unknown", () => {
  const { log, lines } = capture();
  const failures = new AuthFailureLog({ log });
  failures.note(null, rest("10.0.0.1:1"));
  failures.note("not a token", rest("10.0.0.2:1"));
  failures.note(newToken().token, rest("10.0.0.3:1"));
  assert.deepEqual(lines.map((l) => l.fields.reason), [
    "not sent as Bearer <token>",
    "not an API key token",
    "the key is unknown or revoked, or the secret is wrong",
  ]);
});
