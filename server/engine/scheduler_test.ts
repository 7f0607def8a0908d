import assert from "node:assert/strict";
import type { Schedule } from "../domain/schedule.ts";
import { UnavailableError } from "../domain/errors.ts";
import { createLogger } from "../log.ts";
import type { Service } from "../service/service.ts";
import { FIRE_BACKOFF, Scheduler } from "./scheduler.ts";

Deno.test("a store away fails every due schedule on every tick: Cannot fire schedule is written the first 10 times per schedule, then counted in one line", async () => {
  const lines: { msg: string; schedule?: string; count?: number }[] = [];
  const log = createLogger({
    level: "warn",
    format: "json",
    write: (line) => lines.push(JSON.parse(line)),
  });
  const due = ["nightly", "hourly"].map((name) => ({ id: name, name }) as Schedule);
  // The service as the scheduler uses it, its store away.
  const service = {
    now: () => 0,
    schedules: {
      due: () => Promise.resolve(due),
      fireDue: () => Promise.reject(new UnavailableError("Store unavailable")),
    },
    events: { emit: () => {} },
  } as unknown as Service;
  // Each tick past the longest backoff, so each tries every due schedule again.
  let at = 0;
  const scheduler = new Scheduler(service, { log, now: () => at });
  for (let tick = 0; tick < 40; tick++, at += FIRE_BACKOFF.maxInterval) {
    assert.equal(await scheduler.tick(), 0);
  }
  await scheduler.stop();
  for (const name of ["nightly", "hourly"]) {
    const of = lines.filter((line) => line.schedule === name);
    assert.equal(of.length, 11, `${name}: ${of.length} lines`);
    assert(of.slice(0, 10).every((line) => line.msg === "Cannot fire schedule"));
    assert.equal(of[10].count, 30);
    assert.match(of[10].msg, /^Cannot fire schedule: 30 more within 60 s, not logged one by one/);
    assert.match(of[10].msg, /the first 10 of each schedule/);
  }
});
