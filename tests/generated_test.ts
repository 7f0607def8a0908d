/** Generated modules stay in step with their sources (run `deno task proto` / `deno task assets`). */
import assert from "node:assert/strict";
import { buildDescriptorSet, protoModuleText, readProtoFiles } from "../proto/_generate.ts";

Deno.test("proto/_source.ts embeds the current .proto files and their descriptors", async () => {
  const protoDir = new URL("../proto/", import.meta.url);
  const module = await Deno.readTextFile(new URL("../proto/_source.ts", import.meta.url));
  const expected = protoModuleText(
    await readProtoFiles(protoDir),
    await buildDescriptorSet(protoDir),
  );
  assert.ok(module === expected, "Run `deno task proto` after editing a .proto file");
});
