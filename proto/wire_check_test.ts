/** Unit tests of the wire-format check: bounds at every depth, wire types, and what it passes. */
import assert from "node:assert/strict";
import fc from "fast-check";
import protobuf from "protobufjs";
import { protoRoot } from "./_root.ts";
import { encodeMessage } from "./mod.ts";
import { valueFromJson } from "./struct_value.ts";
import { checkWire, TooManyInRequest, walkTopLevel } from "./wire_check.ts";
import { shapesIn } from "../tests/fixtures/object_shapes.ts";

// A message of every kind of field the check tells apart: scalars of each wire type, enums,
// strings and bytes, repeated numbers (packed or not), maps, and messages nested in each other.
const root = protobuf.parse(`
syntax = "proto3";
package t;
enum Kind { A = 0; B = 1; }
message Inner {
  string name = 1;
  Inner child = 2;
  repeated int32 numbers = 3;
}
message Outer {
  int64 big = 1;
  sint32 small = 2;
  bool flag = 3;
  double ratio = 4;
  float share = 5;
  fixed32 mask = 6;
  sfixed64 offset = 7;
  string text = 8;
  bytes blob = 9;
  Kind kind = 10;
  repeated uint32 packed = 11;
  repeated fixed64 stamps = 12;
  repeated string tags = 13;
  map<string, string> labels = 14;
  map<string, Inner> inners = 15;
  Inner inner = 16;
  repeated Inner list = 17;
}
`).root;
const Outer = root.lookupType("t.Outer");
const Inner = root.lookupType("t.Inner");

const inner: fc.Arbitrary<Record<string, unknown>> = fc.letrec((tie) => ({
  node: fc.record({
    name: fc.string(),
    child: fc.option(tie("node"), { depthSize: "small", nil: undefined }),
    numbers: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 5 }),
  }),
})).node as fc.Arbitrary<Record<string, unknown>>;

const outer = fc.record({
  big: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => n.toString()),
  small: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  flag: fc.boolean(),
  ratio: fc.double(),
  share: fc.float(),
  mask: fc.nat({ max: 2 ** 32 - 1 }),
  offset: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => n.toString()),
  text: fc.string({ unit: "grapheme" }),
  blob: fc.uint8Array({ maxLength: 40 }),
  kind: fc.constantFrom(0, 1),
  packed: fc.array(fc.nat({ max: 2 ** 32 - 1 }), { maxLength: 8 }),
  stamps: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((n) => n.toString()), {
    maxLength: 4,
  }),
  tags: fc.array(fc.string(), { maxLength: 4 }),
  labels: fc.dictionary(fc.string(), fc.string(), { maxKeys: 4 }),
  inners: fc.dictionary(fc.string(), inner, { maxKeys: 3 }),
  inner,
  list: fc.array(inner, { maxLength: 3 }),
}, { requiredKeys: [] });

function encode(value: Record<string, unknown>): Uint8Array {
  return Outer.encode(Outer.fromObject(value)).finish();
}

Deno.test("checkWire() passes every message protobufjs encodes, and it decodes as before", () => {
  fc.assert(
    fc.property(outer, (value) => {
      const bytes = encode(value);
      checkWire(Outer, bytes);
      assert.deepEqual(Outer.decode(bytes).toJSON(), Outer.fromObject(value).toJSON());
    }),
    { numRuns: 300 },
  );
});

Deno.test("checkWire() passes unpacked repeated numbers and unknown fields of every wire type, groups included", () => {
  // packed (11) sent unpacked: two varints; then unknown fields 50 (varint), 51 (fixed64),
  // 52 (length-delimited), 53 (fixed32) and group 54 holding a varint and a nested group 55.
  const bytes = Uint8Array.from([
    0x58,
    0x01,
    0x58,
    0x02,
    0x90,
    0x03,
    0x7f,
    0x99,
    0x03,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    0xa2,
    0x03,
    0x02,
    0x61,
    0x62,
    0xad,
    0x03,
    1,
    2,
    3,
    4,
    0xb3,
    0x03,
    0x08,
    0x01,
    0xbb,
    0x03,
    0xbc,
    0x03,
    0xb4,
    0x03,
  ]);
  checkWire(Outer, bytes);
  assert.deepEqual(Outer.decode(bytes).toJSON().packed, [1, 2]);
});

Deno.test("checkWire() refuses a length that runs past the message holding it, at any depth, naming the field", () => {
  const cases: [number[], RegExp][] = [
    // The whole message: text (8) says 5 bytes, one follows.
    [[0x42, 0x05, 0x61], /^t\.Outer\.text runs past the end of its message/],
    // inner (16) is 3 bytes long; its name says 10 and would run into flag (3) after it.
    [
      [0x82, 0x01, 0x03, 0x0a, 0x0a, 0x61, 0x18, 0x01, 0x18, 0x01, 0x18, 0x01, 0x18, 0x01, 0x18],
      /^t\.Inner\.name runs past/,
    ],
    // Two levels down: inner.child.name.
    [[
      0x82,
      0x01,
      0x05,
      0x12,
      0x03,
      0x0a,
      0x09,
      0x61,
      0x18,
      0x01,
      0x18,
      0x01,
      0x18,
      0x01,
      0x18,
      0x01,
    ], /^t\.Inner\.name runs past/],
    // A map entry of labels (14) 3 bytes long, its key saying 4.
    [[0x72, 0x03, 0x0a, 0x04, 0x61, 0x12, 0x01, 0x62], /^t\.Outer\.LabelsEntry\.key runs past/],
    // A packed uint32 (11) whose last varint is cut by the field's end.
    [[0x5a, 0x02, 0x01, 0x80, 0x01], /^t\.Outer\.packed runs past/],
    // A packed fixed64 (12) of 7 bytes.
    [
      [0x62, 0x07, 1, 2, 3, 4, 5, 6, 7],
      /^t\.Outer\.stamps is packed in a length not a multiple of 8/,
    ],
    // A fixed32 (6) with 3 bytes left; a varint cut short; an unknown field's length past the end.
    [[0x35, 1, 2, 3], /^t\.Outer\.mask runs past/],
    [[0x08, 0x80], /^t\.Outer\.big runs past/],
    [[0xa2, 0x03, 0x05, 0x61], /^field 52 of t\.Outer runs past/],
  ];
  for (const [bytes, expected] of cases) {
    assert.throws(
      () => checkWire(Outer, Uint8Array.from(bytes)),
      { name: "RangeError", message: expected },
      `${bytes}`,
    );
  }
});

Deno.test("checkWire() refuses a known field in another wire type than its own, and what protobuf does not have", () => {
  const cases: [number[], RegExp][] = [
    // inner (16) as a varint: protobufjs took the varint for the sub-message's length.
    [[0x80, 0x01, 0x03, 0x08, 0x01, 0x02], /^t\.Outer\.inner has wire type 0, not 2/],
    // text (8) as a varint, flag (3) as a length-delimited field, ratio (4) as fixed32.
    [[0x40, 0x05], /^t\.Outer\.text has wire type 0, not 2/],
    [[0x1a, 0x01, 0x01], /^t\.Outer\.flag has wire type 2, not 0/],
    [[0x25, 1, 2, 3, 4], /^t\.Outer\.ratio has wire type 5, not 1/],
    // Field number 0; wire types 6 and 7; a group never closed; the end of a group never opened.
    [[0x00, 0x01], /has a field numbered 0/],
    [[0x9e, 0x03], /wire type 6, which protobuf does not have/],
    [[0x9f, 0x03], /wire type 7, which protobuf does not have/],
    [[0xb3, 0x03, 0x08, 0x01], /does not close group 54/],
    [[0xb4, 0x03], /ends group 54, which was not opened/],
    // A tag longer than 5 bytes.
    [[0x80, 0x80, 0x80, 0x80, 0x80, 0x01], /has a tag that is cut short or longer than 5 bytes/],
    // A 32-bit varint of 6 bytes (small, 2): protobufjs reads 5 and skips 5 more.
    [
      [0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x18, 0x01, 0x18, 0x01],
      /^t\.Outer\.small is a 32-bit varint of 6 bytes/,
    ],
  ];
  for (const [bytes, expected] of cases) {
    assert.throws(
      () => checkWire(Outer, Uint8Array.from(bytes)),
      { name: "RangeError", message: expected },
      `${bytes}`,
    );
  }
});

Deno.test("checkWire() refuses messages nested deeper than 256, and walks 256 levels", () => {
  // Inner.child (field 2) inside Inner.child…, written by hand: protobufjs encodes 100 levels.
  const bytes = (depth: number) => {
    let message: number[] = [];
    for (let i = 0; i < depth; i++) {
      const length = message.length < 128
        ? [message.length]
        : [(message.length & 0x7f) | 0x80, message.length >> 7];
      message = [0x12, ...length, ...message];
    }
    return Uint8Array.from(message);
  };
  checkWire(Inner, bytes(256));
  assert.throws(() => checkWire(Inner, bytes(257)), {
    name: "RangeError",
    message: /nests deeper than 256 messages/,
  });
});

Deno.test("whatever bytes checkWire() passes, protobufjs decodes without error, ending where they end", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        // Valid messages with one byte changed: near misses of every kind.
        fc.tuple(outer, fc.nat(), fc.nat({ max: 255 })).map(([value, at, byte]) => {
          const bytes = encode(value);
          if (bytes.length > 0) bytes[at % bytes.length] = byte;
          return bytes;
        }),
      ),
      (bytes) => {
        try {
          checkWire(Outer, bytes);
        } catch (error) {
          if (error instanceof RangeError) return;
          throw error;
        }
        const reader = protobuf.Reader.create(bytes);
        Outer.decode(reader);
        assert.deepEqual(reader.pos, bytes.length);
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("checkWire() counts every JSON value a request holds, over all its fields, and refuses one past maxJsonValues naming the field (property)", () => {
  const request = protoRoot().lookupType("taskexecutor.v1.CreateTasksRequest");
  // The values of a JSON value as google.protobuf.Value encodes it: itself and all it holds.
  const valuesIn = (json: unknown): number =>
    1 +
    (Array.isArray(json)
      ? json.reduce((sum: number, item) => sum + valuesIn(item), 0)
      : json !== null && typeof json === "object"
      ? Object.values(json).reduce((sum: number, item) => sum + valuesIn(item), 0)
      : 0);
  fc.assert(
    fc.property(
      fc.array(fc.jsonValue({ maxDepth: 4 }), { minLength: 1, maxLength: 4 }),
      (datas) => {
        const bytes = encodeMessage("taskexecutor.v1.CreateTasksRequest", {
          tasks: datas.map((data) => ({ executorName: "e", data: valueFromJson(data) })),
        });
        const count = datas.reduce((sum: number, data) => sum + valuesIn(data), 0);
        checkWire(request, bytes, { jsonValues: count });
        assert.throws(
          () => checkWire(request, bytes, { jsonValues: count - 1 }),
          (error: unknown) =>
            error instanceof TooManyInRequest &&
            error.message.startsWith("taskexecutor.v1.NewTask.data takes the request past") &&
            error.message.includes(`${count - 1} JSON values`),
        );
      },
    ),
  );
});

Deno.test("checkWire() counts the object shapes of a request's maps, its data's objects and its metadata, and refuses one past maxShapes naming the field (property)", () => {
  const request = protoRoot().lookupType("taskexecutor.v1.CreateTasksRequest");
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          data: fc.jsonValue({ maxDepth: 4 }),
          metadata: fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 2 })),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      (tasks) => {
        const bytes = encodeMessage("taskexecutor.v1.CreateTasksRequest", {
          tasks: tasks.map(({ data, metadata }) => ({
            executorName: "e",
            data: valueFromJson(data),
            metadata,
          })),
        });
        const shapes = new Set<string>();
        for (const { data, metadata } of tasks) {
          shapesIn(data, false, shapes);
          shapesIn(metadata, false, shapes);
        }
        checkWire(request, bytes, { shapes: shapes.size });
        if (shapes.size === 0) return;
        assert.throws(
          () => checkWire(request, bytes, { shapes: shapes.size - 1 }),
          (error: unknown) =>
            error instanceof TooManyInRequest &&
            /^taskexecutor\.v1\.NewTask\.(data|MetadataEntry\.key) takes the request to more than/
              .test(error.message) &&
            error.message.includes(`${shapes.size - 1} object shapes`),
        );
      },
    ),
  );
});

Deno.test("checkWire() counts a struct's entry without its Value as the null member it is read as", () => {
  const request = protoRoot().lookupType("taskexecutor.v1.CreateTaskRequest");
  // CreateTaskRequest { task: NewTask { data: Value { struct_value: Struct { fields: entries } } } },
  // each entry a key ("k0", "k1", …) and no value.
  const entries = Array.from({ length: 3 }, (_, i) => [0x0a, 0x04, 0x0a, 0x02, 0x6b, 0x30 + i]);
  const struct = entries.flat();
  const value = [0x2a, struct.length, ...struct];
  const task = [0x12, value.length, ...value];
  const bytes = Uint8Array.of(0x0a, task.length, ...task);
  // The data's Value and three null members.
  checkWire(request, bytes, { jsonValues: 4 });
  assert.throws(
    () => checkWire(request, bytes, { jsonValues: 3 }),
    (error: unknown) =>
      error instanceof TooManyInRequest && error.message.includes("past 3 JSON values"),
  );
});

Deno.test("checkWire() counts every element outside JSON values (messages, map entries, values of repeated fields) and refuses one past the limit naming the field (property)", () => {
  const request = protoRoot().lookupType("taskexecutor.v1.CreateTasksRequest");
  const task = fc.record({
    metadata: fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), {
      maxKeys: 4,
      noNullPrototype: true,
    }),
    runAt: fc.option(fc.record({ seconds: fc.nat(), nanos: fc.nat(999_999_999) }), {
      nil: undefined,
    }),
    data: fc.jsonValue({ maxDepth: 2 }),
  });
  fc.assert(
    fc.property(fc.array(task, { minLength: 1, maxLength: 5 }), (tasks) => {
      const bytes = encodeMessage("taskexecutor.v1.CreateTasksRequest", {
        tasks: tasks.map((t) => ({ executorName: "e", ...t, data: valueFromJson(t.data) })),
      });
      // Each task, its metadata entries and its runAt; its data is counted as JSON values.
      const count = tasks.reduce(
        (sum, t) => sum + 1 + Object.keys(t.metadata).length + (t.runAt ? 1 : 0),
        0,
      );
      checkWire(request, bytes, { elements: count });
      assert.throws(
        () => checkWire(request, bytes, { elements: count - 1 }),
        (error: unknown) =>
          error instanceof TooManyInRequest &&
          /^taskexecutor\.v1\.(CreateTasksRequest\.tasks|NewTask\.(metadata|runAt)) takes the request past \d+ elements/
            .test(error.message),
      );
    }),
  );
});

Deno.test("checkWire() counts the values of a repeated field one by one, packed or not", () => {
  const request = protoRoot().lookupType("taskexecutor.v1.DeleteTasksRequest");
  // status (field 2): three packed values, then two more sent one by one.
  const bytes = Uint8Array.of(0x12, 0x03, 0x03, 0x04, 0x06, 0x10, 0x03, 0x10, 0x04);
  checkWire(request, bytes, { elements: 5 });
  assert.throws(
    () => checkWire(request, bytes, { elements: 4 }),
    (error: unknown) =>
      error instanceof TooManyInRequest &&
      error.message.startsWith(
        "taskexecutor.v1.DeleteTasksRequest.status takes the request past 4",
      ),
  );
  assert.throws(() => checkWire(request, bytes, { elements: 2 }), TooManyInRequest);
});

Deno.test("checkWire() counts a singular field from its second time on, inside JSON values too", () => {
  const getTask = protoRoot().lookupType("taskexecutor.v1.GetTaskRequest");
  // id (field 1) sent four times: three count.
  const ids = Uint8Array.of(0x0a, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x0a, 0x00);
  checkWire(getTask, ids, { elements: 3 });
  assert.throws(
    () => checkWire(getTask, ids, { elements: 2 }),
    (error: unknown) =>
      error instanceof TooManyInRequest &&
      error.message.startsWith("taskexecutor.v1.GetTaskRequest.id takes the request past 2"),
  );
  // A Value whose struct_value is sent three times: one JSON value, two elements.
  const create = protoRoot().lookupType("taskexecutor.v1.CreateTaskRequest");
  const value = [0x2a, 0x00, 0x2a, 0x00, 0x2a, 0x00];
  const task = [0x12, value.length, ...value];
  const bytes = Uint8Array.of(0x0a, task.length, ...task);
  checkWire(create, bytes, { jsonValues: 1, elements: 3 });
  assert.throws(() => checkWire(create, bytes, { jsonValues: 1, elements: 2 }), TooManyInRequest);
});

Deno.test("checkWire() counts each unknown field as an element with unknownFieldsAreElements, those inside a group too, and refuses one past the limit naming it", () => {
  // Unknown fields 50 (varint), 51 (fixed64), 52 (length-delimited), 53 (fixed32), then group 54
  // holding a varint (1) and group 55: 7 fields the decoder skips; then flag (3), known.
  const bytes = Uint8Array.of(
    ...[0x90, 0x03, 0x7f, 0x99, 0x03, 1, 2, 3, 4, 5, 6, 7, 8, 0xa2, 0x03, 0x02, 0x61, 0x62],
    ...[0xad, 0x03, 1, 2, 3, 4, 0xb3, 0x03, 0x08, 0x01, 0xbb, 0x03, 0xbc, 0x03, 0xb4, 0x03],
    ...[0x18, 0x01],
  );
  checkWire(Outer, bytes, { elements: 0 });
  checkWire(Outer, bytes, { elements: 7, unknownFieldsAreElements: true });
  assert.throws(
    () => checkWire(Outer, bytes, { elements: 6, unknownFieldsAreElements: true }),
    (error: unknown) =>
      error instanceof TooManyInRequest &&
      error.field === "field 55 of a group of unknown fields" &&
      error.message.startsWith("field 55 of a group of unknown fields takes the request past 6"),
  );
  assert.throws(
    () => checkWire(Outer, bytes, { elements: 2, unknownFieldsAreElements: true }),
    (error: unknown) => error instanceof TooManyInRequest && error.field === "field 52 of t.Outer",
  );
});

/** Each top-level field `walkTopLevel` visits, and whether it walked to the end. */
function walked(bytes: ArrayLike<number>): { walked: boolean; fields: number[][] } {
  const fields: number[][] = [];
  const ok = walkTopLevel(
    Uint8Array.from(bytes),
    (id, wire, value) => fields.push([id, wire, value]),
  );
  return { walked: ok, fields };
}

Deno.test("walkTopLevel() visits each top-level field of any request protobufjs encodes, a varint with the value protobufjs decodes (property)", () => {
  const request = protoRoot().lookupType("taskexecutor.v1.ProduceRequest");
  fc.assert(
    fc.property(
      fc.nat({ max: 2 ** 32 - 1 }),
      fc.jsonValue(),
      fc.string(),
      (requestId, data, traceparent) => {
        const bytes = encodeMessage("taskexecutor.v1.ProduceRequest", {
          requestId,
          create: { task: { executorName: "a", data: valueFromJson(data) } },
          traceparent,
        });
        const { walked: ok, fields } = walked(bytes);
        assert.ok(ok);
        const decoded = request.decode(bytes) as unknown as { requestId: number };
        // Each field set is written, defaults too.
        assert.deepEqual(fields.map(([id, wire]) => [id, wire]), [[1, 0], [2, 2], [5, 2]]);
        assert.equal(fields[0][2], decoded.requestId);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("walkTopLevel() steps over what is inside a field, reads a varint's low 32 bits, and stops where the top level cannot be walked", () => {
  const request = protoRoot().lookupType("taskexecutor.v1.ProduceRequest");
  // Two ids, fixed-size fields, and a create whose inside runs past its own length: all visited.
  assert.deepEqual(
    walked([
      0x08,
      7,
      0x49,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      0x4d,
      1,
      2,
      3,
      4,
      0x12,
      3,
      0x0a,
      0x7f,
      0x61,
      0x08,
      9,
    ]),
    {
      walked: true,
      fields: [[1, 0, 7], [9, 1, 0], [9, 5, 0], [2, 2, 0], [1, 0, 9]],
    },
  );
  // A 10-byte varint (a negative int32's encoding): its low 32 bits, as protobufjs reads it; one
  // of 7 bytes, which no 32-bit field may be: -1.
  const ten = [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
  const decoded = request.decode(Uint8Array.from(ten)) as unknown as { requestId: number };
  assert.deepEqual(walked(ten).fields, [[1, 0, decoded.requestId]]);
  assert.deepEqual(walked([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).fields, [[1, 0, -1]]);
  for (
    const [bytes, why] of [
      [[0x08, 5, 0x12, 0x7f, 0], "a length past the end"],
      [[0x08, 5, 0x12], "a tag with no length"],
      [[0x08, 5, 0x4d, 1, 2], "a fixed32 cut short"],
      [[0x08, 5, 0x08, 0x80], "a varint cut short"],
      [[0x08, 5, 0x08, ...new Array(11).fill(0x80), 0], "a varint of 12 bytes"],
      [[0x08, 5, 0x43, 0x44], "a group"],
      [[0x08, 5, 0x00], "field 0"],
      [[0x08, 5, 0x0e], "wire type 6"],
      [[0x08, 5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], "a tag of 6 bytes"],
    ] as const
  ) {
    assert.deepEqual(walked(bytes), { walked: false, fields: [[1, 0, 5]] }, why);
  }
});

Deno.test("checkWire() with a jsonDepth walks a Value's arrays and objects down to it and not past it, at any depth", () => {
  const value = protoRoot().lookupType("google.protobuf.Value");
  // Arrays nested `depth` deep around a string, written from the inside out: each level is
  // Value.list_value (6) { ListValue.values (1) { … } }.
  const nested = (depth: number, inner: number[]) => {
    let bytes = inner;
    for (let i = 0; i < depth; i++) {
      const list = [0x0a, ...varint(bytes.length), ...bytes];
      bytes = [0x32, ...varint(list.length), ...list];
    }
    return Uint8Array.from(bytes);
  };
  const badUtf8 = [0x1a, 0x01, 0xff]; // string_value, not UTF-8
  // Within the limit every level is walked: the bad string is found.
  assert.throws(() => checkWire(value, nested(3, badUtf8), { jsonDepth: 3 }), {
    name: "RangeError",
    message: /is not valid UTF-8/,
  });
  // Past it the array is not walked (its reader refuses it unread, naming the spot).
  checkWire(value, nested(4, badUtf8), { jsonDepth: 3 });
  checkWire(value, nested(1_000, []), { jsonDepth: 64 });
  // Without one, every level is walked, up to 256 messages.
  assert.throws(() => checkWire(value, nested(1_000, [])), {
    name: "RangeError",
    message: /nests deeper than 256 messages/,
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return out;
}
