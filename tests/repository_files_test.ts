/**
 * The repository holds the project's files, not the scratch files of a local run: process ids,
 * lists of ids, logs and output at the root are ignored by git, and none is tracked.
 */
import assert from "node:assert/strict";
import { skipUnless } from "./fixtures/skip.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const SCRATCH = ["w2.pid", "slow2.ids", "run.log", "bench.out", "server/manager.pid"];

/** Runs git in the repository; `null` when git or the repository is not there (a copied tree). */
async function git(...args: string[]): Promise<{ code: number; out: string } | null> {
  try {
    const { code, stdout } = await new Deno.Command("git", {
      args: ["-C", ROOT, ...args],
      stdout: "piped",
      stderr: "null",
    }).output();
    return { code, out: new TextDecoder().decode(stdout) };
  } catch {
    return null;
  }
}

const inRepository = (await git("rev-parse", "--is-inside-work-tree"))?.out.trim() === "true";

Deno.test({
  ...skipUnless(
    "scratch files of a local run are ignored by git, and none is tracked",
    inRepository ? null : "not in a git work tree",
  ),
  async fn() {
    const ignored = await git("check-ignore", "--no-index", ...SCRATCH);
    assert.deepEqual(ignored?.out.trim().split("\n").sort(), [...SCRATCH].sort());
    const tracked = (await git("ls-files"))!.out.trim().split("\n");
    const scratch = tracked.filter((path) =>
      /\.pid$/.test(path) || (!path.includes("/") && /\.(ids|log|out)$/.test(path))
    );
    assert.deepEqual(scratch, []);
  },
});
