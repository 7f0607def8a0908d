/**
 * Writes `proto/_source.ts` from `proto/task_executor.proto`, and `proto/_legacy_source.ts` from
 * `proto/taskexecutor/taskexecutor.proto`, so that the manager, the SDK and a bundled binary carry
 * the protocols without reading files at run time.
 *
 * Run with `deno task proto` after editing a `.proto` file; a test fails while they differ.
 */
import { LEGACY_PROTO_NAMES, protoModuleText } from "../proto/_generate.ts";

const protoUrl = new URL("../proto/task_executor.proto", import.meta.url);
const outUrl = new URL("../proto/_source.ts", import.meta.url);
await Deno.writeTextFile(outUrl, protoModuleText(await Deno.readTextFile(protoUrl)));
console.log(`Wrote ${outUrl.pathname}`);

const legacyUrl = new URL(`../proto/${LEGACY_PROTO_NAMES.file}`, import.meta.url);
const legacyOutUrl = new URL("../proto/_legacy_source.ts", import.meta.url);
await Deno.writeTextFile(
  legacyOutUrl,
  protoModuleText(await Deno.readTextFile(legacyUrl), LEGACY_PROTO_NAMES),
);
console.log(`Wrote ${legacyOutUrl.pathname}`);
