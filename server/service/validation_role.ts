/**
 * Makes the manager's entry file the entry of its validation workers too, for the bundled manager
 * (`deno task bundle`: one file, so there is no `validation_worker.ts` beside it to start). Imported
 * first by `main.ts`: in a thread named `VALIDATION_WORKER_NAME` it runs the validation worker and
 * never lets the rest of the file run; anywhere else it does nothing.
 * @module
 */
import { VALIDATION_WORKER_NAME } from "./validation_protocol.ts";

if ((globalThis as { name?: string }).name === VALIDATION_WORKER_NAME) {
  await import("./validation_worker.ts");
  // The manager's own modules come after this one in the bundle: they must not start here.
  await new Promise<never>(() => {});
}
