/**
 * Writes `proto/_source.ts` from the `.proto` files below `proto/` (and their descriptors, compiled
 * by `buf build`), so that the manager, the SDK and a bundled binary carry the protocol without
 * reading files at run time.
 *
 * Run with `deno task proto` after editing a `.proto` file; a test fails while they differ.
 */
import { buildDescriptorSet, protoModuleText, readProtoFiles } from "../proto/_generate.ts";

const protoDir = new URL("../proto/", import.meta.url);
const outUrl = new URL("../proto/_source.ts", import.meta.url);
const text = protoModuleText(await readProtoFiles(protoDir), await buildDescriptorSet(protoDir));
await Deno.writeTextFile(outUrl, text);
console.log(`Wrote ${outUrl.pathname}`);
