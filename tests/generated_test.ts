/** Generated modules stay in step with their sources (run `deno task proto` / `deno task assets`). */
import assert from "node:assert/strict";
import { PROTO_SOURCE } from "@tasks-executor/proto";
import { LEGACY_PROTO_SOURCE } from "@tasks-executor/proto/legacy";
import { LEGACY_PROTO_NAMES, protoModuleText } from "../proto/_generate.ts";

Deno.test("proto/_source.ts embeds the current task_executor.proto", async () => {
  const proto = await Deno.readTextFile(new URL("../proto/task_executor.proto", import.meta.url));
  assert.equal(PROTO_SOURCE, proto, "Run `deno task proto` after editing the .proto file");
  const module = await Deno.readTextFile(new URL("../proto/_source.ts", import.meta.url));
  assert.equal(module, protoModuleText(proto));
});

Deno.test("proto/_legacy_source.ts embeds the current taskexecutor/taskexecutor.proto", async () => {
  const url = new URL(`../proto/${LEGACY_PROTO_NAMES.file}`, import.meta.url);
  const proto = await Deno.readTextFile(url);
  assert.equal(LEGACY_PROTO_SOURCE, proto, "Run `deno task proto` after editing the .proto file");
  const module = await Deno.readTextFile(new URL("../proto/_legacy_source.ts", import.meta.url));
  assert.equal(module, protoModuleText(proto, LEGACY_PROTO_NAMES));
});
