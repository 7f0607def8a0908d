import assert from "node:assert/strict";
import { InvalidArgumentError } from "../domain/errors.ts";
import type { Executor } from "../domain/executor.ts";
import { DEFAULT_LIMITS } from "../domain/limits.ts";
import { SchemaRegistry } from "./schema.ts";

const EXECUTOR = { id: "e1", name: "orders", updatedAt: 1 } as Executor;

function refusal(schema: unknown): { field: string; message: string } {
  try {
    new SchemaRegistry().compile(schema, "/config/taskSchema");
  } catch (error) {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    return error.violations[0];
  }
  throw new Error("The schema was accepted");
}

Deno.test("compile() refuses patterns RE2 cannot express, naming each by its pointer", () => {
  const cases: [unknown, string][] = [
    [{ properties: { name: { pattern: "^(a)\\1$" } } }, "/properties/name/pattern"],
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
    const violation = refusal(schema);
    assert.equal(violation.field, `/config/taskSchema${pointer}`);
    assert.match(violation.message, /RE2 syntax/);
  }
});

Deno.test("compile() refuses regular expressions that compile too large", () => {
  assert.match(refusal({ pattern: "x".repeat(513) }).message, /at most 512 characters/);
  assert.match(refusal({ pattern: "[ab]{1000}c{100}" }).message, /at most 1000 RE2 instructions/);
  const many = Object.fromEntries(
    Array.from({ length: 30 }, (_, i) => [`p${i}`, { pattern: `^[a-z]{900}${i}$` }]),
  );
  assert.match(refusal({ properties: many }).message, /within 20000 RE2 instructions in all/);
});

Deno.test("compile() refuses a schema over the size or depth limit, naming it", () => {
  const big = { description: "x".repeat(DEFAULT_LIMITS.schemaBytes) };
  assert.equal(refusal(big).field, "/config/taskSchema");
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < DEFAULT_LIMITS.jsonDepth + 1; i++) deep = { not: deep };
  assert.match(refusal(deep).message, /deeper than 64/);
});

Deno.test("compile() keeps data inside const, enum and default out of the pattern check", () => {
  new SchemaRegistry().compile({
    properties: { x: { const: { pattern: "(a)\\1" }, default: { pattern: "(?=a)" } } },
  }, "/config/taskSchema");
});

Deno.test("violations() checks with RE2: the pattern that backtracks for hours answers at once", () => {
  const executor = {
    ...EXECUTOR,
    taskSchema: {
      type: "object",
      properties: { name: { type: "string", pattern: "^(a+)+$" } },
      patternProperties: { "^(b+)+$": { type: "number" } },
      propertyNames: { pattern: "^(?:(c+)+|[a-z!]+)$" },
    },
  };
  const registry = new SchemaRegistry();
  const evil = (c: string) => c.repeat(100) + "!";
  assert.deepEqual(registry.violations(executor, { name: evil("a") }, "/data"), [
    { field: "/data/name", message: 'must match pattern "^(a+)+$"' },
  ]);
  assert.deepEqual(
    registry.violations(executor, { [evil("b")]: "x", [evil("c")]: 1 }, "/data"),
    [],
  );
  assert.deepEqual(registry.violations(executor, { name: "aaa", bbb: 1 }, "/data"), []);
});

Deno.test("violations() reads patterns in ECMAScript escapes and Unicode classes", () => {
  const executor = {
    ...EXECUTOR,
    taskSchema: { type: "string", pattern: "^\\u0041\\p{L}+\\/\\d{2}$" },
  };
  const registry = new SchemaRegistry();
  assert.deepEqual(registry.violations(executor, "Aé/42", ""), []);
  assert.equal(registry.violations(executor, "B/42", "").length, 1);
});

Deno.test("violations() caps the url format, whose own expression is quadratic", () => {
  const executor = { ...EXECUTOR, taskSchema: { type: "string", format: "url" } };
  const registry = new SchemaRegistry();
  assert.deepEqual(registry.violations(executor, "https://example.com/a?b=c", ""), []);
  const attack = "ftp://172.30.3.564" + "1.6.7:1554".repeat(100_000) + "\n";
  assert.equal(registry.violations(executor, attack, "").length, 1);
});

Deno.test("violations() keeps executors with the same $id apart, and a new version replaces the old", () => {
  const schema = (minimum: number) => ({
    $id: "https://example.com/order.json",
    type: "object",
    properties: { n: { type: "integer", minimum } },
  });
  const registry = new SchemaRegistry();
  const a = { ...EXECUTOR, taskSchema: schema(0) };
  const b = { ...EXECUTOR, id: "e2", name: "other", taskSchema: schema(10) };
  assert.deepEqual(registry.violations(a, { n: 5 }, ""), []);
  assert.equal(registry.violations(b, { n: 5 }, "").length, 1);
  const a2 = { ...a, updatedAt: 2, taskSchema: schema(6) };
  assert.equal(registry.violations(a2, { n: 5 }, "").length, 1);
  assert.deepEqual(registry.violations(a, { n: 5 }, ""), []);
});
