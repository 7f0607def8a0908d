import assert from "node:assert/strict";
import { hashSecret, newToken, parseToken, secretMatches } from "./token.ts";

Deno.test("newToken() makes a te_<id>_<secret> token with 32 random bytes of secret", () => {
  const first = newToken();
  const second = newToken();
  assert.match(first.token, /^te_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(parseToken(first.token), { id: first.id, secret: first.secret });
  assert.notEqual(first.secret, second.secret);
  assert.notEqual(first.id, second.id);
});

Deno.test("parseToken() refuses what does not have the token's shape", () => {
  const { token } = newToken();
  for (
    const bad of [
      "",
      "te_",
      token.slice(0, -1),
      token + "a",
      token.toUpperCase(),
      token.replace("te_", "tk_"),
      token + "=",
      ` ${token}`,
    ]
  ) {
    assert.equal(parseToken(bad), null, bad);
  }
});

Deno.test("secretMatches() accepts the hashed secret only", async () => {
  const { secret } = newToken();
  const hash = await hashSecret(secret);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.ok(await secretMatches(secret, hash));
  assert.ok(!(await secretMatches(secret + "x", hash)));
  assert.ok(!(await secretMatches(secret, hash.slice(1))));
});
