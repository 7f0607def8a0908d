/**
 * The OpenAPI document and the HTTP app cannot drift apart: every route the app answers is
 * described and every described operation is routed; and the document has a valid OpenAPI shape.
 */
import assert from "node:assert/strict";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import { createHttpApp } from "../server/http/app.ts";
import { OPENAPI } from "../server/http/openapi/mod.ts";
import { Service } from "../server/service/service.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";

type Json = Record<string, unknown>;
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

async function routedOperations(): Promise<Set<string>> {
  const dir = await Deno.makeTempDir({ prefix: "openapi-test-" });
  const store = await openSqliteStore({ path: `${dir}/tasks.db` });
  try {
    const app = createHttpApp({
      service: new Service(store),
      workers: { list: () => [] },
      limits: DEFAULT_LIMITS,
      readiness: () => Promise.resolve({ ready: true, checks: {} }),
    });
    return new Set(
      app.routes
        .filter((route) => route.method !== "ALL")
        .map((route) =>
          `${route.method.toLowerCase()} ${
            route.path.replace(/:(\w+)(\{[^}]*\})?/g, (_, name: string) => `{${name}}`)
          }`
        ),
    );
  } finally {
    await store[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
}

function documentedOperations(): Set<string> {
  const out = new Set<string>();
  for (const [path, item] of Object.entries(OPENAPI.paths as Record<string, Json>)) {
    for (const method of METHODS) if (item[method]) out.add(`${method} ${path}`);
  }
  return out;
}

Deno.test("every route the app answers is in the OpenAPI document, and nothing else is", async () => {
  const routed = await routedOperations();
  const documented = documentedOperations();
  assert.deepEqual([...routed].filter((op) => !documented.has(op)).sort(), [], "undocumented");
  assert.deepEqual([...documented].filter((op) => !routed.has(op)).sort(), [], "not routed");
});

function resolve(pointer: string): unknown {
  assert.ok(pointer.startsWith("#/"), `local $ref: ${pointer}`);
  let node: unknown = OPENAPI;
  for (const part of pointer.slice(2).split("/")) node = (node as Json | undefined)?.[part];
  return node;
}

function* refsIn(node: unknown): Generator<string> {
  if (Array.isArray(node)) { for (const item of node) yield* refsIn(item); }
  else if (typeof node === "object" && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") yield value;
      else yield* refsIn(value);
    }
  }
}

Deno.test("the OpenAPI document has the shape OpenAPI 3.1 requires", () => {
  assert.match(String(OPENAPI.openapi), /^3\.1\.\d+$/);
  const info = OPENAPI.info as Json;
  assert.equal(typeof info.title, "string");
  assert.equal(typeof info.version, "string");

  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(OPENAPI.paths as Record<string, Json>)) {
    assert.ok(path.startsWith("/"), path);
    const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    const shared = (item.parameters ?? []) as Json[];
    let operations = 0;
    for (const method of METHODS) {
      const operation = item[method] as Json | undefined;
      if (!operation) continue;
      operations++;
      const id = String(operation.operationId);
      assert.ok(!operationIds.has(id), `operationId ${id} is unique`);
      operationIds.add(id);
      const responses = operation.responses as Record<string, Json>;
      assert.ok(Object.keys(responses).length > 0, `${method} ${path} has responses`);
      for (const [code, response] of Object.entries(responses)) {
        assert.match(code, /^([1-5]\d\d|[1-5]XX|default)$/, `${method} ${path} ${code}`);
        assert.equal(typeof response.description, "string", `${method} ${path} ${code}`);
      }
      const params = [...shared, ...((operation.parameters ?? []) as Json[])];
      for (const param of params) {
        assert.ok(["path", "query", "header", "cookie"].includes(String(param.in)));
        assert.ok(param.schema, `${method} ${path} parameter ${param.name} has a schema`);
        if (param.in === "path") assert.equal(param.required, true);
      }
      const pathParams = params.filter((p) => p.in === "path").map((p) => String(p.name)).sort();
      assert.deepEqual(pathParams, templated, `${method} ${path} declares its path parameters`);
    }
    assert.ok(operations > 0, `${path} has operations`);
  }
  for (const ref of refsIn(OPENAPI)) assert.ok(resolve(ref) !== undefined, `${ref} resolves`);
});

Deno.test("every name pattern the OpenAPI document gives takes what the manager takes and refuses '.' and '..', as the manager does", () => {
  const patterns: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (value === null || typeof value !== "object") return;
    const pattern = (value as Json).pattern;
    // The name class, its "-" escaped or not.
    if (typeof pattern === "string" && /\[a-z0-9_\.\\?-\]/.test(pattern)) patterns.push(pattern);
    Object.values(value).forEach(walk);
  };
  walk(OPENAPI);
  assert.ok(patterns.length >= 4, `${patterns.length} name patterns`);
  for (const pattern of patterns) {
    const regex = new RegExp(pattern, "u");
    assert.ok(regex.test("send_email.v2"), pattern);
    assert.ok(!regex.test(".") && !regex.test(".."), `${pattern} takes "." or ".."`);
  }
});
