/** Generated modules stay in step with their sources (run `deno task proto` / `deno task assets`). */
import assert from "node:assert/strict";
import { PROTO_SOURCE } from "@tasks-executor/proto";
import { protoModuleText } from "../proto/_generate.ts";

Deno.test("proto/_source.ts embeds the current task_executor.proto", async () => {
  const proto = await Deno.readTextFile(
    new URL("../proto/taskexecutor/v1/task_executor.proto", import.meta.url),
  );
  assert.equal(PROTO_SOURCE, proto, "Run `deno task proto` after editing the .proto file");
  const module = await Deno.readTextFile(new URL("../proto/_source.ts", import.meta.url));
  assert.equal(module, protoModuleText(proto));
});
