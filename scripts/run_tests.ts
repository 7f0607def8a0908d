/**
 * Runs the whole test suite (the files deno.json's "test" section includes) and ends with one plain
 * line `N passed, N failed, N skipped`, counted from the run's JUnit report, with the reasons for
 * any skipped tests printed just above it. A skipped test whose name gives no reason (see
 * `tests/fixtures/skip.ts`) counts as failed.
 */
import { SKIP_MARK } from "../tests/fixtures/skip.ts";

const reportDir = await Deno.makeTempDir({ prefix: "tasks-executor-junit-" });
const report = `${reportDir}/report.xml`;
const extra = Deno.args;
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", `--junit-path=${report}`, ...extra],
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
const status = await child.status;

let passed = 0;
let failed = 0;
const skipped: string[] = [];
try {
  const xml = await Deno.readTextFile(report);
  for (
    const match of xml.matchAll(
      /<testcase\b[^>]*?name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g,
    )
  ) {
    const body = match[3] ?? "";
    if (/<skipped\b/.test(body)) skipped.push(match[1]);
    else if (/<failure\b|<error\b/.test(body)) failed++;
    else passed++;
  }
} catch (error) {
  console.error(`Could not read the test report: ${(error as Error).message}`);
  failed++;
}
await Deno.remove(reportDir, { recursive: true });
if (!status.success && failed === 0) failed = 1; // the runner itself failed (e.g. a type error)

const ENTITIES: Record<string, string> = { quot: '"', apos: "'", lt: "<", gt: ">", amp: "&" };
const unescape = (s: string) => s.replace(/&(quot|apos|lt|gt|amp);/g, (_, name) => ENTITIES[name]);
if (skipped.length > 0) {
  console.log(`Skipped tests (${skipped.length}):`);
  for (const name of skipped) console.log(`  - ${unescape(name)}`);
}
const unexplained = skipped.filter((name) => !unescape(name).includes(SKIP_MARK));
if (unexplained.length > 0) {
  console.log(`Skipped without a reason (counted as failed; name the reason with skipUnless):`);
  for (const name of unexplained) console.log(`  - ${unescape(name)}`);
  failed += unexplained.length;
}
console.log(`${passed} passed, ${failed} failed, ${skipped.length} skipped`);
Deno.exit(failed > 0 ? 1 : 0);
