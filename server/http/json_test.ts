import assert from "node:assert/strict";
import { readJsonObject } from "./json.ts";

/** A POST of `body` as JSON. */
function post(body: string): Request {
  return new Request("http://x/", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
}

Deno.test("large bodies are parsed in turns (the fifth of six after the event loop turned); small ones at once", async () => {
  const large = JSON.stringify({ data: "a".repeat(100_000) });
  const order: string[] = [];
  const parses = Array.from({ length: 6 }, async (_, n) => {
    const read = await readJsonObject(post(large), { maxBytes: 1_000_000 });
    order.push(`parsed ${n}`);
    return read;
  });
  const small = readJsonObject(post('{"a":1}'), { maxBytes: 1_000_000 }).then((read) => {
    order.push("small");
    return read;
  });
  await new Promise((resolve) => setTimeout(resolve, 0));
  order.push("timer");
  await Promise.all([...parses, small]);
  assert.ok(order.indexOf("small") < order.indexOf("timer"), order.join(", "));
  assert.ok(order.indexOf("parsed 5") > order.indexOf("timer"), order.join(", "));
  assert.equal((await parses[5]).data, "a".repeat(100_000));
});
