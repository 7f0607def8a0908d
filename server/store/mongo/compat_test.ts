import assert from "node:assert/strict";
import { WRITE_CONCERN_LEVELS } from "../../domain/executor.ts";
import { MONGODB, writeConcernOf } from "./compat.ts";

Deno.test("writeConcernOf() gives each level at least what every weaker one asks: a write at the strictest of a create's levels holds each (majority journaled too, whatever the replica set's default)", () => {
  const acknowledgedBy = (w: number | string | undefined) => w === "majority" ? Infinity : w ?? 1;
  for (const needAnswer of [false, true]) {
    const settings = WRITE_CONCERN_LEVELS.map((level) =>
      writeConcernOf(level, { needAnswer, compat: MONGODB })!
    );
    for (let i = 1; i < settings.length; i++) {
      const [weaker, stricter] = [settings[i - 1], settings[i]];
      const levels = `${WRITE_CONCERN_LEVELS[i - 1]} → ${WRITE_CONCERN_LEVELS[i]}`;
      assert.ok(acknowledgedBy(stricter.w) >= acknowledgedBy(weaker.w), levels);
      if (weaker.journal) assert.equal(stricter.journal, true, levels);
    }
  }
  assert.deepEqual(writeConcernOf("majority", { needAnswer: false, compat: MONGODB }), {
    w: "majority",
    journal: true,
  });
});
