/**
 * Makes the manager's entry file the entry of its validation processes too, for the bundled
 * manager (`deno task bundle`: one file, so there is no `validation_worker.ts` beside it to run).
 * Imported first by `main.ts`: started with `VALIDATION_WORKER_ARG` it serves validation and never
 * lets the rest of the file run; otherwise it does nothing.
 * @module
 */
import { VALIDATION_WORKER_ARG } from "./validation_protocol.ts";

if (Deno.args[0] === VALIDATION_WORKER_ARG) {
  const { serveValidation } = await import("./validation_worker.ts");
  await serveValidation({ compileMs: Number(Deno.args[1]), validationMs: Number(Deno.args[2]) });
  // The manager's own modules come after this one in the bundle: they must not start here.
  Deno.exit(0);
}
