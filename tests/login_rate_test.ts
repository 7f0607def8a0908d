/**
 * The login route is open to everyone, and its body (the key) is read before anything else can be
 * known of the client: a flood of logins from one address had each body read. Logins past
 * LOGIN_BURST at once, then LOGIN_RATE_LIMIT a second, from one client address are refused with
 * 429 before their bodies are read, and the connection is closed once that is answered (over
 * HTTP/1.1 the unread body would otherwise have to be read, or be taken for the next request).
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { startTestManager } from "./_manager.ts";
import { createLogger, setLogger } from "../server/log.ts";

/** Everything the manager sends on `conn` until it closes it (or `ms` pass: then what came). */
async function untilClosed(conn: Deno.Conn, ms = 10_000): Promise<string> {
  const chunks: Uint8Array[] = [];
  const timer = setTimeout(() => conn.close(), ms);
  try {
    const buffer = new Uint8Array(16_384);
    while (true) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed by the timer.
    }
  }
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((chunk) => [...chunk])));
}

Deno.test("logins past LOGIN_BURST, then LOGIN_RATE_LIMIT a second, from one address are refused with 429 before their bodies are read, and their HTTP/1.1 connections closed once answered", async () => {
  await using manager = await startTestManager({
    env: { LOGIN_BURST: "2", LOGIN_RATE_LIMIT: "1" },
  });
  const { hostname, port } = new URL(manager.httpUrl);
  const login = JSON.stringify({ key: "te_nope" });
  const head = (length: number) =>
    `POST /api/v1/session HTTP/1.1\r\nhost: ${hostname}:${port}\r\n` +
    `content-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
  const encoder = new TextEncoder();

  // The burst: read and answered (authentication is off: 409).
  for (let i = 0; i < 2; i++) {
    const answer = await fetch(`${manager.httpUrl}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: login,
    });
    assert.equal(answer.status, 409);
    await answer.body?.cancel();
  }

  // Past it: a login whose body never comes is answered at once, its body unread (read first, it
  // would have waited REQUEST_RECEIVE_MS, 30 s, for it), and its connection closed.
  const unsent = await Deno.connect({ hostname, port: Number(port) });
  await unsent.write(encoder.encode(head(4000)));
  const refused = await untilClosed(unsent);
  assert.match(refused, /^HTTP\/1\.1 429 /);
  assert.match(refused, /\r\nretry-after: 1\r\n/i);
  assert.match(refused, /\r\nconnection: close\r\n/i);
  assert.match(
    refused,
    /Too many logins from this address: LOGIN_BURST at once, then LOGIN_RATE_LIMIT/,
  );
  assert.equal(refused.match(/HTTP\/1\.1 /g)?.length, 1, refused);

  // A refused login whose body came whole, with another request behind it on the connection: the
  // connection ends after the 429, and neither the body nor the request behind it is answered.
  const keptAlive = await Deno.connect({ hostname, port: Number(port) });
  await keptAlive.write(
    encoder.encode(
      head(login.length) + login + `GET /healthz HTTP/1.1\r\nhost: ${hostname}:${port}\r\n\r\n`,
    ),
  );
  const answered = await untilClosed(keptAlive);
  assert.match(answered, /^HTTP\/1\.1 429 /);
  assert.equal(answered.match(/HTTP\/1\.1 /g)?.length, 1, answered);

  // Over HTTP/2: refused as well, the stream's body unread.
  const session = http2.connect(manager.httpUrl);
  session.on("error", () => {});
  try {
    const stream = session.request({
      ":method": "POST",
      ":path": "/api/v1/session",
      "content-type": "application/json",
      "content-length": "4000",
    });
    stream.on("error", () => {});
    const status = await new Promise((resolve) =>
      stream.once("response", (headers) => resolve(headers[":status"]))
    );
    assert.equal(status, 429);
    stream.close(http2.constants.NGHTTP2_CANCEL);
  } finally {
    session.close();
  }

  // Once the rate allows (one a second), a login is read again.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const again = await fetch(`${manager.httpUrl}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: login,
  });
  assert.equal(again.status, 409);
  await again.body?.cancel();
});

Deno.test("logins refused for their client address's rate are counted on /metrics, and warned of as logins", async () => {
  await using manager = await startTestManager({
    env: { LOGIN_BURST: "1", LOGIN_RATE_LIMIT: "1" },
  });
  const sample = async () => {
    const text = await (await fetch(`${manager.httpUrl}/metrics`)).text();
    const line = text.split("\n").find((l) =>
      l.startsWith("tasks_executor_logins_rate_limited_total ")
    );
    assert.ok(line, "no tasks_executor_logins_rate_limited_total on /metrics");
    assert.match(text, /# TYPE tasks_executor_logins_rate_limited_total counter/);
    return Number(line.split(" ").pop());
  };
  const login = async () => {
    const answer = await fetch(`${manager.httpUrl}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: "te_nope" }),
    });
    await answer.body?.cancel();
    return answer.status;
  };
  // There from the start, at 0 (rate() and increase() see the first refusal).
  assert.equal(await sample(), 0);
  const lines: string[] = [];
  setLogger(createLogger({ level: "info", format: "json", write: (line) => lines.push(line) }));
  try {
    // The burst (authentication is off: 409), then three refused.
    assert.deepEqual([await login(), await login(), await login(), await login()], [
      409,
      429,
      429,
      429,
    ]);
  } finally {
    setLogger(createLogger({ level: "warn", format: "json" }));
  }
  assert.equal(await sample(), 3);
  // One warning a minute, worded for logins: it read "A client opens logins (LOGIN_RATE_LIMIT,
  // LOGIN_BURST) faster than its rate limit", the wording of connections.
  const warnings = lines.map((line) => JSON.parse(line)).filter((e) => e.level === "warn");
  assert.equal(warnings.length, 1, lines.join("\n"));
  assert.equal(
    warnings[0].msg,
    "Logins refused: a client address attempts them past LOGIN_BURST at once, then LOGIN_RATE_LIMIT a second; they are answered 429, their bodies unread",
  );
  assert.equal(warnings[0].client, "127.0.0.1");
  assert.equal(warnings[0].burst, 1);
  assert.equal(warnings[0].perSecond, 1);
});
