import assert from "node:assert/strict";
import { ResourceExhaustedError } from "../domain/errors.ts";
import { RequestBytesInFlight } from "../request_bytes.ts";
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

/** A POST whose body's bytes come when the test enqueues them (a byte stream, as Deno's are). */
function trickled(headers: Record<string, string> = {}) {
  let body!: ReadableByteStreamController;
  const request = new Request("http://x/", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: new ReadableStream({ type: "bytes", start: (controller) => void (body = controller) }),
  });
  return { request, body };
}

/** Ends a byte stream whose reader waits with a BYOB read (it answers once that read is). */
function end(body: ReadableByteStreamController): void {
  body.close();
  body.byobRequest?.respond(0);
}

Deno.test("a body's first buffer is held on its connection's account from before its first byte comes until the body is in (1 KiB, or its Content-Length + 1 when less), its bytes as they come, and all of it goes back; an account that cannot take it refuses the body unread", async () => {
  const inFlight = new RequestBytesInFlight({ total: 10_000, perConnection: 10_000, receiveMs: 0 });
  const held = inFlight.connection();
  const turn = () => new Promise((resolve) => setTimeout(resolve, 0));
  const encoder = new TextEncoder();

  const unsaid = trickled();
  const read = readJsonObject(unsaid.request, { maxBytes: 4096, held });
  await turn();
  assert.equal(held.held, 1024);
  const data = `{"a":"${"x".repeat(1500)}"}`;
  unsaid.body.enqueue(encoder.encode(data.slice(0, 1000)));
  await turn();
  assert.equal(held.held, 1024 + 1000);
  unsaid.body.enqueue(encoder.encode(data.slice(1000)));
  await turn();
  assert.equal(held.held, 1024 + data.length);
  end(unsaid.body);
  assert.equal((await read).a, "x".repeat(1500));
  assert.equal(held.held, 0);

  const declared = trickled({ "content-length": "7" });
  const short = readJsonObject(declared.request, { maxBytes: 4096, held });
  await turn();
  assert.equal(held.held, 8);
  declared.body.enqueue(encoder.encode('{"b"'));
  await turn();
  assert.equal(held.held, 8 + 4);
  declared.body.enqueue(encoder.encode(":1}"));
  end(declared.body);
  assert.equal((await short).b, 1);
  assert.equal(inFlight.held, 0);

  // Read to its end, a body's bytes stay held until it is answered, its first buffer no longer.
  const answered = Promise.withResolvers<void>();
  const kept = trickled();
  const reading = readJsonObject(kept.request, {
    maxBytes: 4096,
    held,
    answered: answered.promise,
  });
  await turn();
  kept.body.enqueue(encoder.encode('{"c":1}'));
  end(kept.body);
  assert.equal((await reading).c, 1);
  assert.equal(held.held, 7);
  answered.resolve();
  await turn();
  assert.equal(held.held, 0);

  const full = inFlight.connection();
  full.take(9_500);
  const refused = trickled();
  await assert.rejects(
    readJsonObject(refused.request, { maxBytes: 4096, held }),
    ResourceExhaustedError,
  );
  assert.equal(held.held, 0);
  assert.equal(inFlight.held, 9_500);
});
