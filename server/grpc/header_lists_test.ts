/** Unit tests of the measure of header blocks (HPACK) and the guard built on it. */
import assert from "node:assert/strict";
import http2 from "node:http2";
import fc from "fast-check";
import { FRAME_FLAG, FRAME_TYPE, FrameReader } from "./frames.ts";
import {
  headerListCheck,
  HeaderListSizes,
  MAX_HEADER_FIELDS,
  MAX_HEADER_LIST_BYTES,
} from "./header_lists.ts";

const hex = (text: string) =>
  new Uint8Array(text.replace(/\s/g, "").match(/../g)!.map((byte) => parseInt(byte, 16)));
/** RFC 9113 §6.5.2's size of a header list. */
const sizeOf = (fields: [string, string][]) =>
  fields.reduce((sum, [name, value]) => sum + name.length + value.length + 32, 0);

Deno.test("HeaderListSizes measures the requests of RFC 7541 Appendix C, with and without Huffman, table included", () => {
  const first: [string, string][] = [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
  ];
  const second: [string, string][] = [...first, ["cache-control", "no-cache"]];
  const third: [string, string][] = [
    [":method", "GET"],
    [":scheme", "https"],
    [":path", "/index.html"],
    [":authority", "www.example.com"],
    ["custom-key", "custom-value"],
  ];
  // Each appendix's three requests on one connection, table included: C.3 plain, C.4 Huffman.
  const appendix = {
    "C.3": [
      "828684410f7777772e6578616d706c652e636f6d",
      "828684be58086e6f2d6361636865",
      "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
    ],
    "C.4": [
      "828684418cf1e3c2e5f23a6ba0ab90f4ff",
      "828684be5886a8eb10649cbf",
      "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
    ],
  };
  for (const [section, blocks] of Object.entries(appendix)) {
    const sizes = new HeaderListSizes();
    for (const [i, list] of [first, second, third].entries()) {
      assert.deepEqual(
        sizes.measure(hex(blocks[i])),
        { fields: list.length, bytes: sizeOf(list) },
        `${section}, request ${i + 1}`,
      );
    }
  }
});

Deno.test("HeaderListSizes follows evictions and size updates, and refuses what a decoder refuses", () => {
  const sizes = new HeaderListSizes();
  const value = "v".repeat(2100);
  // Two entries of 3 + 2,100 + 32 bytes do not both fit in 4,096: the second evicts the first.
  const entry = (name: string) => [
    0x40,
    name.length,
    ...new TextEncoder().encode(name),
    ...[0x7f, 0xb5, 0x0f], // 2,100 = 127 + 0x35 + 0x0f * 128
    ...new TextEncoder().encode(value),
  ];
  assert.equal(sizes.measure(new Uint8Array(entry("x-a")))?.fields, 1);
  assert.equal(sizes.measure(new Uint8Array(entry("x-b")))?.fields, 1);
  assert.deepEqual(sizes.measure(new Uint8Array([0xbe])), { fields: 1, bytes: 3 + 2100 + 32 });
  assert.equal(sizes.measure(new Uint8Array([0xbf])), null, "entry 63 was evicted");
  // A size update to 0 empties the table; one past 4,096 is refused.
  assert.equal(sizes.measure(new Uint8Array([0x20, 0xbe])), null);
  assert.equal(sizes.measure(new Uint8Array([0x3f, 0xe2, 0x1f])), null, "4,097");
  assert.equal(sizes.measure(new Uint8Array([0x80])), null, "index 0");
  assert.equal(sizes.measure(new Uint8Array([0x00, 0x05, 0x61])), null, "a string past the block");
});

Deno.test("HeaderListSizes stops at the limits: more than MAX_HEADER_FIELDS fields, or MAX_HEADER_LIST_BYTES", () => {
  const sizes = new HeaderListSizes();
  // :method GET, 127 more times: 128 fields of 42 bytes (5,376) pass; a 129th does not.
  assert.deepEqual(sizes.measure(new Uint8Array(MAX_HEADER_FIELDS).fill(0x82)), {
    fields: MAX_HEADER_FIELDS,
    bytes: MAX_HEADER_FIELDS * 42,
  });
  assert.equal(sizes.measure(new Uint8Array(MAX_HEADER_FIELDS + 1).fill(0x82))!.fields, 129);
  // A field of 1 + 4,000 + 32 bytes, put in the table and named four times more, passes 16 KiB.
  const value = new TextEncoder().encode("v".repeat(4000));
  const block = new Uint8Array([0x40, 1, 0x78, 0x7f, 0xa1, 0x1e, ...value, 0xbe, 0xbe, 0xbe, 0xbe]);
  assert.ok(
    new HeaderListSizes().measure(block.subarray(0, block.length - 1))!.bytes <=
      MAX_HEADER_LIST_BYTES,
  );
  assert.ok(sizes.measure(block)!.bytes > MAX_HEADER_LIST_BYTES);
  // A string whose shortest decoding alone passes the limit (it is not decoded).
  // Its length, 65,536 bytes of Huffman code (at least 17,476 characters): 127 + 1 + 127 * 128 + 3 * 16,384.
  const long = new Uint8Array([0x00, 1, 0x78, 0xff, 0x81, 0xff, 0x03, ...new Uint8Array(65_536)]);
  assert.ok(new HeaderListSizes().measure(long)!.bytes > MAX_HEADER_LIST_BYTES);
});

/** Bytes 0 to 255 in HPACK's Huffman code (RFC 7541 Appendix B), codes of 5 to 30 bits, padded. */
const EVERY_BYTE_HUFFMAN = hex(
  "ffc7fffd8fffffe2fffffe3fffffe4fffffe5fffffe6fffffe7fffffe8ffffeafffffff3fffffa7fffffabffffffdfff" +
    "ffebfffffecfffffedfffffeefffffefffffff0ffffff1ffffff2fffffffbfffffcffffffd3fffffd7fffffdbfffffdf" +
    "fffffe3fffffe7fffffebfffffed4fe3f9ffaffcabf1febfafefe7fdfd2cbb00089969b71d79fb9f7fff20ffbff3ff50" +
    "ddbd7f061c58f265cd9f469d5af66dddbf871e5f9cff7ff7fffc3ff9ffe45fff4719242cb34e6e9d68a6a3d7dac426de" +
    "fe3cfaf7fffbfe7ffbffdffffffcfffe6ffff4bfff9ffffa3fffd3ffff53fffd5ffffb3fffeb7fffdaffffb7ffff73ff" +
    "feeffffdeffffebffffbfffffd9ffffdbfffebffffe0ffffeeffffc3ffff8bffff1ffffe4fffee7fffb1ffff97fffd9f" +
    "fffcdffff9fffffbffffdafffeeffff4ffffb7fffee7fffe8ffffd3fffdeffffd5fffeeffffbdffffe1fffdfffff7fff" +
    "ff5ffffecffff07fff87fffe0ffff17fffedffff87ffff77fffeffffeaffff8bfffe3ffff93ffff87fffcbffff37ffff" +
    "1fffff83ffffe1fffebfffe3ffff3fffff2ffffa3ffffd9fffff17ffffc7fffff27ffffdefffffbffffff2fffff8ffff" +
    "fb7fff97fff8fffffe6fffffc1fffff87ffffe7fffffc5ffffe5fffe4ffff2fffffd1fffff4ffffffefffffe3fffffc9" +
    "fffff97fffb3ffffcffffb7fffcdffff4ffff9ffffd1ffffcffffeaffffafffffddffffeffffff4fffff5fffffabffff" +
    "a7ffffd7fffff9bffffecfffffb7fffff3fffffe8fffffd3fffffabfffff5fffffff7ffffecfffffdbfffffbbfffff7f" +
    "fffff0fffffbbf",
);

/** The bit length of each byte's code (RFC 7541 Appendix B), byte 0 first, sixteen a row. */
// deno-fmt-ignore
const CODE_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
];

/** `bytes` in HPACK's Huffman code, built from `CODE_LENGTHS` (the code is canonical), padded with ones. */
function huffmanCoded(bytes: Uint8Array): Uint8Array {
  const order = [...CODE_LENGTHS.keys()].sort((a, b) => CODE_LENGTHS[a] - CODE_LENGTHS[b] || a - b);
  const codes: bigint[] = [];
  let code = 0n;
  for (const [i, symbol] of order.entries()) {
    if (i > 0) code = (code + 1n) << BigInt(CODE_LENGTHS[symbol] - CODE_LENGTHS[order[i - 1]]);
    codes[symbol] = code;
  }
  let bits = "";
  for (const byte of bytes) bits += codes[byte].toString(2).padStart(CODE_LENGTHS[byte], "0");
  bits += "1".repeat((8 - bits.length % 8) % 8);
  return new Uint8Array(bits.match(/.{8}/g)?.map((b) => parseInt(b, 2)) ?? []);
}

Deno.test("HeaderListSizes counts the characters of any bytes in Huffman code", () => {
  assert.deepEqual(
    huffmanCoded(new Uint8Array(Array.from({ length: 256 }, (_, i) => i))),
    EVERY_BYTE_HUFFMAN,
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 30 }), (bytes) => {
      const coded = huffmanCoded(bytes);
      // Literal without indexing, name "x", value Huffman-coded (30 bytes: 113 coded at most).
      const block = new Uint8Array([0x00, 1, 0x78, 0x80 | coded.length, ...coded]);
      assert.deepEqual(new HeaderListSizes().measure(block), {
        fields: 1,
        bytes: 1 + bytes.length + 32,
      });
    }),
    { numRuns: 2000 },
  );
});

Deno.test("HeaderListSizes counts the characters of Huffman strings whatever their codes' lengths", () => {
  assert.equal(EVERY_BYTE_HUFFMAN.length, 583);
  // Literal never indexed, name "x", value Huffman-coded: 583 = 127 + 0x48 + 3 * 128.
  const block = new Uint8Array([0x10, 1, 0x78, 0xff, 0xc8, 0x03, ...EVERY_BYTE_HUFFMAN]);
  assert.deepEqual(new HeaderListSizes().measure(block), { fields: 1, bytes: 1 + 256 + 32 });
});

Deno.test("HeaderListSizes evicts the oldest entry first, names entries past 15 in every literal form, and drops an entry larger than the table", () => {
  const sizes = new HeaderListSizes();
  const text = new TextEncoder();
  const literal = (prefix: number, name: string, value: string) => [
    prefix,
    name.length,
    ...text.encode(name),
    ...(value.length < 127 ? [value.length] : [
      0x7f,
      value.length - 127 - 128 * Math.floor((value.length - 127) / 128) | 0x80,
      Math.floor((value.length - 127) / 128),
    ]),
    ...text.encode(value),
  ];
  // Three entries of 1,300 bytes or so: a, b, c (c newest); a fourth evicts a, the oldest.
  for (const name of ["x-a", "x-b", "x-c", "x-d"]) {
    assert.equal(sizes.measure(new Uint8Array(literal(0x40, name, "v".repeat(1265))))?.fields, 1);
  }
  // Entries now: 62 x-d, 63 x-c, 64 x-b; 65 is gone.
  assert.deepEqual(sizes.measure(new Uint8Array([0x80 | 64])), { fields: 1, bytes: 3 + 1265 + 32 });
  assert.equal(sizes.measure(new Uint8Array([0x80 | 65])), null);
  // Names by index past 15, in the 4-bit forms (without indexing, never indexed): 0x0f then 64 - 15.
  for (const form of [0x00, 0x10]) {
    assert.deepEqual(sizes.measure(new Uint8Array([form | 0x0f, 64 - 15, 1, 0x76])), {
      fields: 1,
      bytes: 3 + 1 + 32,
    });
  }
  // An entry larger than the table empties it and is not added.
  assert.equal(sizes.measure(new Uint8Array(literal(0x40, "x-e", "v".repeat(4100))))?.fields, 1);
  assert.equal(sizes.measure(new Uint8Array([0x80 | 62])), null);
});

Deno.test("headerListCheck closes a connection at a header block past the limits, whatever its frames, and lets the others by", () => {
  const check = headerListCheck("127.0.0.1:1");
  const send = (type: number, flags: number, payload: Uint8Array) =>
    check.frame({ type, flags, stream: 1, length: payload.length }, payload);
  // 128 fields over HEADERS (padded, with priority) and CONTINUATIONs: let by.
  const padded = new Uint8Array([3, 0, 0, 0, 0, 16, ...new Uint8Array(60).fill(0x82), 0, 0, 0]);
  assert.equal(send(FRAME_TYPE.HEADERS, 0x8 | 0x20, padded), false);
  assert.equal(send(FRAME_TYPE.CONTINUATION, 0, new Uint8Array(60).fill(0x82)), false);
  assert.equal(
    send(FRAME_TYPE.CONTINUATION, FRAME_FLAG.END_HEADERS, new Uint8Array(8).fill(0x82)),
    false,
  );
  // PRIORITY alone: its 5 bytes (here 0x82 each) are not fields; read as fields they make 133.
  const prioritized = new Uint8Array([
    ...new Uint8Array(5).fill(0x82),
    ...new Uint8Array(MAX_HEADER_FIELDS).fill(0x82),
  ]);
  assert.equal(send(FRAME_TYPE.HEADERS, 0x20 | FRAME_FLAG.END_HEADERS, prioritized), false);
  // The same with one more field: closed.
  assert.equal(send(FRAME_TYPE.HEADERS, 0, new Uint8Array(64).fill(0x82)), false);
  assert.equal(
    send(FRAME_TYPE.CONTINUATION, FRAME_FLAG.END_HEADERS, new Uint8Array(65).fill(0x82)),
    true,
  );
  // A block past 64 KiB is judged before its end (no list under 16 KiB needs so many bytes).
  const big = headerListCheck("127.0.0.1:1");
  const fragment = new Uint8Array(16_384).fill(0x82);
  for (let i = 0; i < 4; i++) {
    const type = i === 0 ? FRAME_TYPE.HEADERS : FRAME_TYPE.CONTINUATION;
    assert.equal(big.frame({ type, flags: 0, stream: 5, length: 16_384 }, fragment), false);
  }
  const fifth = { type: FRAME_TYPE.CONTINUATION, flags: 0, stream: 5, length: 1 };
  assert.equal(big.frame(fifth, new Uint8Array([0x82])), true);
  // A frame larger than node:http2 takes is not read: closed.
  assert.equal(
    check.frame({ type: FRAME_TYPE.HEADERS, flags: 0, stream: 3, length: 20_000 }, null),
    true,
  );
});

/** The header blocks a real HTTP/2 client (nghttp2's encoder, Huffman and table) sends for `requests`. */
async function blocksOfClient(requests: Record<string, string>[]): Promise<Uint8Array[]> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const blocks: Uint8Array[] = [];
  let fragments: Uint8Array[] = [];
  const reader = new FrameReader([{
    wantsPayload: (head) =>
      head.type === FRAME_TYPE.HEADERS || head.type === FRAME_TYPE.CONTINUATION,
    frame(head, payload) {
      if (head.type !== FRAME_TYPE.HEADERS && head.type !== FRAME_TYPE.CONTINUATION) return;
      fragments.push(payload ?? new Uint8Array(0));
      if ((head.flags & FRAME_FLAG.END_HEADERS) === 0) return;
      const block = new Uint8Array(fragments.reduce((n, f) => n + f.length, 0));
      let at = 0;
      for (const f of fragments) block.set(f, (at += f.length) - f.length);
      blocks.push(block);
      fragments = [];
    },
  }]);
  const serve = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(64 * 1024);
    // The server's SETTINGS (none), so that the client sends its requests.
    await conn.write(new Uint8Array([0, 0, 0, 4, 0, 0, 0, 0, 0]));
    try {
      while (blocks.length < requests.length) {
        const n = await conn.read(buffer);
        if (n === null) break;
        reader.read(buffer.subarray(0, n));
      }
    } finally {
      conn.close();
    }
  })();
  const client = http2.connect(`http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
  client.on("error", () => {});
  for (const headers of requests) {
    client.request(headers, { endStream: true }).on("error", () => {});
  }
  await serve;
  client.destroy();
  listener.close();
  return blocks;
}

Deno.test("HeaderListSizes measures what a real HTTP/2 client's encoder sends (Huffman, table, evictions) as the header lists it was given", async () => {
  // Few names and values that come back, some long: the encoder names table entries, and
  // the table (4,096 bytes) fills and evicts.
  const name = fc.constantFrom("x-a", "x-bb", "x-trace", "x-long-name-of-a-field", "user-agent");
  const value = fc.oneof(
    fc.constantFrom("", "1", "same value", "w".repeat(700)),
    fc.stringMatching(/^[ -~]{0,600}$/),
  );
  const field = fc.tuple(name, value);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(field, { minLength: 0, maxLength: 8 }), { minLength: 1, maxLength: 12 }),
      async (lists) => {
        const requests = lists.map((fields) => {
          const headers: Record<string, string> = { ":method": "POST", ":path": "/a.B/C" };
          for (const [name, value] of fields) headers[name] = value;
          return headers;
        });
        const blocks = await blocksOfClient(requests);
        assert.equal(blocks.length, requests.length);
        const sizes = new HeaderListSizes();
        for (const [i, block] of blocks.entries()) {
          // The client adds :scheme and :authority (127.0.0.1:port) to what it was given.
          const given = Object.entries(requests[i]).filter(([name]) =>
            !name.startsWith(":") || name === ":method" || name === ":path"
          );
          const measured = sizes.measure(block);
          assert.ok(measured, `block ${i} measured`);
          const known = sizeOf(given as [string, string][]);
          assert.equal(measured.fields, given.length + 2);
          const extra = measured.bytes - known;
          // :scheme http (7 + 4 + 32) and :authority 127.0.0.1:NNNNN (10 + 14 or 15 + 32).
          assert.ok(extra >= 43 + 56 && extra <= 43 + 57, `block ${i}: ${extra} bytes besides`);
        }
      },
    ),
    { numRuns: 25 },
  );
});
