/**
 * Writes `proto/_source.ts` from `proto/taskexecutor/v1/task_executor.proto`, so that the manager, the SDK and a
 * bundled binary carry the protocol without reading files at run time.
 *
 * Run with `deno task proto` after editing the `.proto` file; a test fails while they differ.
 */
import { protoModuleText } from "../proto/_generate.ts";

const protoUrl = new URL("../proto/taskexecutor/v1/task_executor.proto", import.meta.url);
const outUrl = new URL("../proto/_source.ts", import.meta.url);
await Deno.writeTextFile(outUrl, protoModuleText(await Deno.readTextFile(protoUrl)));
console.log(`Wrote ${outUrl.pathname}`);
