import assert from "node:assert/strict";
import fc from "fast-check";
import { InvalidArgumentError } from "../domain/errors.ts";
import type { Executor } from "../domain/executor.ts";
import { DEFAULT_LIMITS } from "../domain/limits.ts";
import { SchemaRegistry } from "./schema.ts";

const EXECUTOR = { id: "e1", name: "orders", updatedAt: 1 } as Executor;

/** The violations of one piece of data. */
async function violations(
  registry: SchemaRegistry,
  executor: Executor,
  data: unknown,
  pointer: string,
) {
  return (await registry.violations([{ executor, data, pointer }]))[0];
}

async function refusal(schema: unknown): Promise<{ field: string; message: string }> {
  await using registry = new SchemaRegistry();
  try {
    await registry.compile(schema, "/config/taskSchema", "e");
  } catch (error) {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    return error.violations[0];
  }
  throw new Error("The schema was accepted");
}

Deno.test("compile() refuses patterns RE2 cannot express, naming each by its pointer", async () => {
  const cases: [unknown, string][] = [
    [{ properties: { name: { pattern: "^(a)\\1$" } } }, "/properties/name/pattern"],
    // Named: the translation to RE2 read `\k<n>` as the letters "k<n>".
    [{ properties: { nick: { pattern: "(?<n>a)\\k<n>" } } }, "/properties/nick/pattern"],
    [{ patternProperties: { "^(?=x)": {} } }, "/patternProperties/^(?=x)"],
    [{ propertyNames: { pattern: "(?<!a)b" } }, "/propertyNames/pattern"],
    [{ items: { pattern: "(?!a)" } }, "/items/pattern"],
    [{ prefixItems: [{}, { pattern: "\\2(a)(b)" }] }, "/prefixItems/1/pattern"],
    [{ $defs: { "a/b": { pattern: "(?<=a)" } } }, "/$defs/a~1b/pattern"],
    [
      { dependentSchemas: { x: { not: { pattern: "(x)\\1" } } } },
      "/dependentSchemas/x/not/pattern",
    ],
  ];
  for (const [schema, pointer] of cases) {
    const violation = await refusal(schema);
    assert.equal(violation.field, `/config/taskSchema${pointer}`);
    assert.match(violation.message, /RE2 syntax/);
  }
});

Deno.test("compile() refuses regular expressions that compile too large", async () => {
  assert.match((await refusal({ pattern: "x".repeat(513) })).message, /at most 512 characters/);
  assert.match(
    (await refusal({ pattern: "[ab]{1000}c{100}" })).message,
    /at most 1000 RE2 instructions/,
  );
  const many = Object.fromEntries(
    Array.from({ length: 30 }, (_, i) => [`p${i}`, { pattern: `^[a-z]{900}${i}$` }]),
  );
  assert.match(
    (await refusal({ properties: many })).message,
    /within 20000 RE2 instructions in all/,
  );
});

Deno.test("compile() refuses a schema over the size or depth limit, naming it", async () => {
  const big = { description: "x".repeat(DEFAULT_LIMITS.schemaBytes) };
  assert.equal((await refusal(big)).field, "/config/taskSchema");
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < DEFAULT_LIMITS.jsonDepth + 1; i++) deep = { not: deep };
  assert.match((await refusal(deep)).message, /deeper than 64/);
});

Deno.test("compile() keeps data inside const, enum and default out of the pattern check", async () => {
  await using registry = new SchemaRegistry();
  await registry.compile(
    {
      properties: { x: { const: { pattern: "(a)\\1" }, default: { pattern: "(?=a)" } } },
    },
    "/config/taskSchema",
    "e",
  );
});

Deno.test("violations() checks with RE2: the pattern that backtracks for hours answers at once", async () => {
  const executor = {
    ...EXECUTOR,
    taskSchema: {
      type: "object",
      properties: { name: { type: "string", pattern: "^(a+)+$" } },
      patternProperties: { "^(b+)+$": { type: "number" } },
      propertyNames: { pattern: "^(?:(c+)+|[a-z!]+)$" },
    },
  };
  await using registry = new SchemaRegistry();
  const evil = (c: string) => c.repeat(100) + "!";
  assert.deepEqual(await violations(registry, executor, { name: evil("a") }, "/data"), [
    { field: "/data/name", message: 'must match pattern "^(a+)+$"' },
  ]);
  assert.deepEqual(
    await violations(registry, executor, { [evil("b")]: "x", [evil("c")]: 1 }, "/data"),
    [],
  );
  assert.deepEqual(await violations(registry, executor, { name: "aaa", bbb: 1 }, "/data"), []);
});

Deno.test("violations() reads patterns in ECMAScript escapes and Unicode classes", async () => {
  const executor = {
    ...EXECUTOR,
    taskSchema: { type: "string", pattern: "^\\u0041\\p{L}+\\/\\d{2}$" },
  };
  await using registry = new SchemaRegistry();
  assert.deepEqual(await violations(registry, executor, "Aé/42", ""), []);
  assert.equal((await violations(registry, executor, "B/42", "")).length, 1);
});

Deno.test("violations() caps the url format, whose own expression is quadratic", async () => {
  const executor = { ...EXECUTOR, taskSchema: { type: "string", format: "url" } };
  await using registry = new SchemaRegistry();
  assert.deepEqual(await violations(registry, executor, "https://example.com/a?b=c", ""), []);
  const attack = "ftp://172.30.3.564" + "1.6.7:1554".repeat(100_000) + "\n";
  assert.equal((await violations(registry, executor, attack, "")).length, 1);
});

Deno.test("violations() keeps executors with the same $id apart, and a new version replaces the old", async () => {
  const schema = (minimum: number) => ({
    $id: "https://example.com/order.json",
    type: "object",
    properties: { n: { type: "integer", minimum } },
  });
  await using registry = new SchemaRegistry();
  const a = { ...EXECUTOR, taskSchema: schema(0) };
  const b = { ...EXECUTOR, id: "e2", name: "other", taskSchema: schema(10) };
  assert.deepEqual(await violations(registry, a, { n: 5 }, ""), []);
  assert.equal((await violations(registry, b, { n: 5 }, "")).length, 1);
  const a2 = { ...a, updatedAt: 2, taskSchema: schema(6) };
  assert.equal((await violations(registry, a2, { n: 5 }, "")).length, 1);
  assert.deepEqual(await violations(registry, a, { n: 5 }, ""), []);
});

Deno.test("violations() answers each check in the order asked, whatever the order of their executors", async () => {
  await using registry = new SchemaRegistry();
  const schema = (minimum: number) => ({
    type: "object",
    properties: { n: { type: "integer", minimum } },
  });
  const executors = [
    { ...EXECUTOR, taskSchema: schema(0) },
    { ...EXECUTOR, id: "e2", name: "other", taskSchema: schema(10) },
    { ...EXECUTOR, id: "e3", name: "free", taskSchema: null },
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ executor: fc.nat(2), n: fc.integer({ min: -5, max: 15 }) }), {
        maxLength: 40,
      }),
      async (cases) => {
        const found = await registry.violations(
          cases.map(({ executor, n }, i) => ({
            executor: executors[executor],
            data: { n },
            pointer: `/tasks/${i}/data`,
          })),
        );
        const expected = cases.map(({ executor, n }, i) =>
          executor === 2 || n >= [0, 10][executor] ? [] : [`/tasks/${i}/data/n`]
        );
        assert.deepEqual(found.map((list) => list.map((v) => v.field)), expected);
      },
    ),
    { numRuns: 50 },
  );
});
