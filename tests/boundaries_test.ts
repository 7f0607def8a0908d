/** The layering check of `deno task check` finds broken imports and cycles. */
import assert from "node:assert/strict";
import { cycles, violations } from "../scripts/check_boundaries.ts";

const graph = (edges: Record<string, string[]>) =>
  new Map(Object.entries(edges).map(([from, to]) => [from, new Set(to)]));

Deno.test("the boundary check names each import that breaks the layering", () => {
  const found = violations(graph({
    "server/domain/task.ts": ["server/log.ts"],
    "server/engine/engine.ts": ["server/store/sqlite/store.ts", "server/store/store.ts"],
    "server/http/app.ts": ["npm:mongodb@7.9.0"],
    "server/store/mongo.ts": ["npm:mongodb@7.9.0"],
    "sdk/worker.ts": ["server/domain/task.ts", "proto/mod.ts", "npm:@grpc/grpc-js@1.14.7"],
  }));
  assert.deepEqual(found, [
    "server/domain/task.ts → server/log.ts: domain/ holds pure types and rules and imports nothing outside itself",
    "server/engine/engine.ts → server/store/sqlite/store.ts: the engine sees the Store interface, never a concrete store",
    "server/http/app.ts → npm:mongodb@7.9.0: only store/ speaks SQL or Mongo",
    "sdk/worker.ts → server/domain/task.ts: the SDK imports proto/ only",
  ]);
});

Deno.test("the boundary check finds import cycles and passes a graph without them", () => {
  assert.deepEqual(
    cycles(graph({ "a.ts": ["b.ts"], "b.ts": ["c.ts"], "c.ts": ["a.ts"], "d.ts": ["a.ts"] })),
    [["a.ts", "b.ts", "c.ts"]],
  );
  assert.deepEqual(cycles(graph({ "a.ts": ["b.ts"], "b.ts": [], "d.ts": ["a.ts", "b.ts"] })), []);
});
