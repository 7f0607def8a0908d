/**
 * Health and reflection, open to everyone, take small requests only: a message that says it is
 * longer than OPEN_REQUEST_BYTES is refused once its length prefix has come, before its bytes are
 * kept (a client without a key held 650 MB of the manager with 200 checks of 3 MiB never ended).
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { startTestManager } from "./_manager.ts";
import { OPEN_REQUEST_BYTES } from "../server/grpc/open_requests.ts";

/**
 * Sends only the 5-byte prefix of a message `declared` bytes long, and ends the call there (so a
 * server that waits for the rest answers at once instead); answers grpc-status and message.
 */
async function prefixOnly(
  session: http2.ClientHttp2Session,
  path: string,
  declared: number,
): Promise<{ status: string; message: string }> {
  const stream = session.request({
    ":method": "POST",
    ":path": path,
    "content-type": "application/grpc",
    te: "trailers",
  });
  const prefix = new Uint8Array(5);
  new DataView(prefix.buffer).setUint32(1, declared);
  stream.end(prefix);
  stream.on("data", () => {});
  const answer = new Promise<{ status: string; message: string }>((resolve, reject) => {
    // A status may come as trailers, or alone in the headers ("trailers-only").
    const take = (headers: http2.IncomingHttpHeaders) => {
      if (headers["grpc-status"] !== undefined) {
        resolve({
          status: String(headers["grpc-status"]),
          message: decodeURIComponent(String(headers["grpc-message"] ?? "")),
        });
      }
    };
    stream.on("response", take);
    stream.on("trailers", take);
    stream.on("error", reject);
  });
  try {
    return await answer;
  } finally {
    stream.close();
  }
}

Deno.test("health and reflection refuse a request message longer than OPEN_REQUEST_BYTES from its length prefix; the API takes the server's limit", async () => {
  await using manager = await startTestManager();
  const session = http2.connect(`http://${manager.grpcAddress}`);
  session.on("error", () => {});
  try {
    for (
      const path of [
        "/grpc.health.v1.Health/Check",
        "/grpc.health.v1.Health/Watch",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      ]
    ) {
      const answer = await prefixOnly(session, path, 4_000_000);
      assert.equal(answer.status, "8", `${path}: ${answer.message}`); // RESOURCE_EXHAUSTED
      assert.match(
        answer.message,
        new RegExp(`larger than max \\(4000000 vs ${OPEN_REQUEST_BYTES}\\)`),
      );
    }
    // The API's methods keep MAX_REQUEST_BYTES (4 MiB): past it, refused the same way.
    const api = await prefixOnly(
      session,
      "/taskexecutor.v1.TaskExecutorManagerService/CreateTask",
      5 * 1024 * 1024,
    );
    assert.equal(api.status, "8");
    assert.match(api.message, /larger than max \(5242880 vs 4194304\)/);
  } finally {
    session.close();
  }
});
