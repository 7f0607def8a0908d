/** Unit tests of what a closed HTTP/2 session leaves reachable from the handle Deno keeps. */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { forgetClosedSessions, nativeHandleOf } from "./closed_sessions.ts";

Deno.test("forgetClosedSessions: once a session has closed, the native handle Deno keeps refers to nothing of it", async () => {
  const server = http2.createServer();
  forgetClosedSessions(server);
  const handles: Record<PropertyKey, unknown>[] = [];
  const closed = Promise.withResolvers<void>();
  server.on("session", (session) => {
    handles.push(nativeHandleOf(session)!);
    session.once("close", () => setTimeout(closed.resolve, 10));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const client = http2.connect(`http://127.0.0.1:${port}`);
  client.on("error", () => {});
  await new Promise((resolve) => client.once("connect", resolve));
  assert.equal(handles.length, 1);
  assert.ok(Reflect.ownKeys(handles[0]).length > 0, "an open session's handle has its owner");
  client.destroy();
  await closed.promise;
  assert.deepEqual(Reflect.ownKeys(handles[0]), []);
  await new Promise((resolve) => server.close(resolve));
});
