/** The suite's runner: its closing line, and skipped tests that must say why. */
import assert from "node:assert/strict";

Deno.test("the test runner counts a test skipped without a reason as failed", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/run_tests.ts", "tests/fixtures/unexplained_skip.ts"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.success, false, text);
  assert.match(text, /Skipped without a reason[^\n]*\n {2}- a test skipped with no reason given/);
  assert.match(text, /^1 passed, 1 failed, 1 skipped$/m);
});
