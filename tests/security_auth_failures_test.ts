/**
 * Failed authentications on a real manager with authentication on: each is refused, and they are
 * logged with the key id tried, the peer address and the transport, never the token, one line per
 * peer and transport a minute however many come, and counted in `/metrics`.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { newToken } from "../server/auth/token.ts";
import { loadConfig } from "../server/config.ts";
import type { LogFields, Logger } from "../server/log.ts";
import { startManager } from "../server/manager.ts";
import { failureOf, grpcClients, unaryCall } from "./fixtures/secured_manager.ts";

Deno.test("a flood of wrong secrets over REST, gRPC and the login is refused and logged once per transport with the key id and peer, never the secret", async () => {
  const lines: { msg: string; fields: LogFields }[] = [];
  const keep = (msg: string, fields: LogFields = {}) => lines.push({ msg, fields });
  const log: Logger = { debug: () => {}, info: keep, warn: keep, error: keep };
  const dataDir = await Deno.makeTempDir({ prefix: "security-auth-failures-" });
  const admin = newToken();
  const manager = await startManager(
    loadConfig({
      MANAGER_HOST: "127.0.0.1",
      MANAGER_PORT: "0",
      MANAGER_GRPC_PORT: "0",
      DATA_DIR: dataDir,
      AUTH: "on",
      BOOTSTRAP_ADMIN_KEY: admin.token,
    }),
    log,
  );
  try {
    // The admin key's id with secrets that are not its own.
    const guesses = Array.from({ length: 200 }, () => `te_${admin.id}_${newToken().secret}`);
    const login = await fetch(`${manager.httpUrl}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: guesses[0] }),
    });
    assert.equal(login.status, 401);
    await login.body?.cancel();
    for (let i = 0; i < guesses.length; i += 50) {
      const statuses = await Promise.all(
        guesses.slice(i, i + 50).map(async (guess) => {
          const response = await fetch(`${manager.httpUrl}/api/v1/executors`, {
            headers: { authorization: `Bearer ${guess}` },
          });
          await response.body?.cancel();
          return response.status;
        }),
      );
      assert.deepEqual(new Set(statuses), new Set([401]));
    }
    using clients = grpcClients(manager.grpcAddress);
    for (const guess of guesses.slice(0, 20)) {
      const refused = await failureOf(unaryCall(clients.manager, "ListExecutors", {}, guess));
      assert.equal(refused.code, grpc.status.UNAUTHENTICATED);
    }

    const failed = lines.filter((line) => line.msg === "Authentication failed");
    assert.deepEqual(failed.map((line) => [line.fields.transport, line.fields.via]), [
      ["rest", "login"],
      ["grpc", "metadata"],
    ]);
    for (const { fields } of failed) {
      assert.equal(fields.keyId, admin.id);
      assert.equal(fields.peer, "127.0.0.1");
    }
    const written = JSON.stringify(lines);
    assert.ok(guesses.every((guess) => !written.includes(guess.slice(-43))), "a secret was logged");
    // Every one is counted, logged or not: the login and 200 requests over REST, 20 over gRPC.
    const metrics = await fetch(`${manager.httpUrl}/metrics`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    const text = await metrics.text();
    assert.match(text, /^tasks_executor_auth_failures_total\{transport="rest"\} 201$/m);
    assert.match(text, /^tasks_executor_auth_failures_total\{transport="grpc"\} 20$/m);
  } finally {
    await manager.shutdown();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
