import assert from "node:assert/strict";
import type { Authenticator, Principal } from "./scopes.ts";
import { OpenStreams } from "./streams.ts";

/** An authenticator whose revocations the test announces. */
function revocations(): Authenticator & { revoke(keyId: string): void; listeners: number } {
  const listeners = new Set<(keyId: string) => void>();
  return {
    authenticate: () => Promise.resolve(null),
    onRevoked(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    revoke: (keyId) => listeners.forEach((listener) => listener(keyId)),
    get listeners() {
      return listeners.size;
    },
  };
}

const caller = (keyId: string): Principal => ({
  keyId,
  keyName: keyId,
  scopes: ["worker"],
  executors: ["send_email"],
});

Deno.test("OpenStreams closes every stream of a revoked key once, and no other", () => {
  const auth = revocations();
  using streams = new OpenStreams(auth);
  const closed: string[] = [];
  streams.track(caller("a"), () => closed.push("a1"));
  streams.track(caller("a"), () => closed.push("a2"));
  streams.track(caller("b"), () => closed.push("b1"));
  auth.revoke("a");
  auth.revoke("a");
  assert.deepEqual(closed, ["a1", "a2"]);
});

Deno.test("OpenStreams closes at once a stream opened with a key revoked a moment before", () => {
  const auth = revocations();
  using streams = new OpenStreams(auth);
  auth.revoke("a");
  let closed = false;
  streams.track(caller("a"), () => (closed = true));
  assert.equal(closed, true);
});

Deno.test("OpenStreams leaves alone a stream that ended before its key was revoked", () => {
  const auth = revocations();
  const streams = new OpenStreams(auth);
  let closed = false;
  const forget = streams.track(caller("a"), () => (closed = true));
  forget();
  auth.revoke("a");
  assert.equal(closed, false);
  streams[Symbol.dispose]();
  assert.equal(auth.listeners, 0, "disposing unsubscribes");
});
