/** The SDK worker's default logger (`sdk/_logger.ts`): one console line per event, time first. */
import assert from "node:assert/strict";
import { workerLogger } from "../sdk/_logger.ts";

Deno.test("the default worker logger writes the UTC time, the SDK's tag, the message and the fields as JSON", () => {
  const written: string[] = [];
  const original = { log: console.log, warn: console.warn };
  console.log = (line: string) => written.push(line);
  console.warn = (line: string) => written.push(line);
  try {
    const log = workerLogger(undefined);
    log.info("Connected to the manager", { workerId: "w-1" });
    log.warn("Lost the work stream to the manager, reconnecting");
    log.debug("not written");
  } finally {
    console.log = original.log;
    console.warn = original.warn;
  }
  assert.equal(written.length, 2, written.join("\n"));
  assert.match(
    written[0],
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[tasks-executor\] Connected to the manager \{"workerId":"w-1"\}$/,
  );
  assert.match(
    written[1],
    /Z \[tasks-executor\] Lost the work stream to the manager, reconnecting$/,
  );
  const at = Date.parse(written[0].slice(0, 24));
  assert.ok(Math.abs(Date.now() - at) < 60_000, written[0]);
});
