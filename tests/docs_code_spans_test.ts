/**
 * No code span (`…`) of the repository's markdown runs over a line break: one that does renders
 * with a space where the break was and is not found by a search for its text, and `deno fmt`
 * keeps such a break where it finds one. And every markdown file with a TypeScript or JavaScript
 * block is type-checked by `deno task check` (`deno check --doc-only` checks only the files it is
 * given).
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** A code span that runs over a line break: the line it starts on (from 1) and its text. */
interface BrokenSpan {
  line: number;
  span: string;
}

/** A line that opens or closes a fenced code block: its fence (```` ``` ````, `~~~`, longer). */
const FENCE = /^\s*(`{3,}|~{3,})/;

/**
 * The code spans of `markdown` that run over a line break, outside fenced code blocks. A span
 * ends in its paragraph (a blank line, a heading, a table row or a fence ends one), as CommonMark
 * reads them: a run of backticks opens a span closed by the next run of the same length, and is
 * text when no such run follows; a backslash before a run outside a span makes its first
 * backtick text.
 *
 * @example
 * ```ts
 * brokenCodeSpans("see `deno fmt\n--check` here"); // [{ line: 1, span: "`deno fmt\n--check`" }]
 * ```
 */
function brokenCodeSpans(markdown: string): BrokenSpan[] {
  const found: BrokenSpan[] = [];
  let fence: string | null = null;
  let block: { start: number; text: string } | null = null;
  const endBlock = () => {
    if (block) found.push(...spansOver(block.text, block.start));
    block = null;
  };
  markdown.split("\n").forEach((line, i) => {
    const opener = FENCE.exec(line);
    if (fence !== null) {
      const closes = opener !== null && opener[1][0] === fence[0] &&
        opener[1].length >= fence.length && line.trim() === opener[1];
      if (closes) fence = null;
      return;
    }
    // A backtick fence's info string holds no backtick (```` ```js` ```` is no fence).
    if (opener && !(opener[1][0] === "`" && line.slice(opener[0].length).includes("`"))) {
      endBlock();
      fence = opener[1];
      return;
    }
    if (line.trim() === "" || /^\s*(\||#)/.test(line)) {
      endBlock();
      if (line.trim() !== "") found.push(...spansOver(line, i + 1));
      return;
    }
    if (block) block.text += `\n${line}`;
    else block = { start: i + 1, text: line };
  });
  endBlock();
  return found;
}

/** The code spans of one paragraph, `text` from line `start`, that hold a line break. */
function spansOver(text: string, start: number): BrokenSpan[] {
  const found: BrokenSpan[] = [];
  const runs = [...text.matchAll(/`+/g)].map((m) => ({ at: m.index, length: m[0].length }));
  let next = 0;
  while (next < runs.length) {
    let { at, length } = runs[next];
    let slashes = 0;
    while (text[at - slashes - 1] === "\\") slashes++;
    if (slashes % 2 === 1) {
      at++;
      length--;
    }
    const close = length === 0 ? -1 : runs.findIndex((run, j) => j > next && run.length === length);
    if (close === -1) {
      next++;
      continue;
    }
    const span = text.slice(at, runs[close].at + length);
    if (span.includes("\n")) {
      found.push({ line: start + text.slice(0, at).split("\n").length - 1, span });
    }
    next = close + 1;
  }
  return found;
}

/** The repository's markdown files, but those of folders deno.json leaves out of `fmt`. */
async function markdownFiles(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const excluded: string[] = config.fmt?.exclude ?? [];
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(dir || ".", ROOT))) {
      const path = `${dir}${entry.name}`;
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      if (excluded.some((folder) => `${path}/`.startsWith(folder))) continue;
      if (entry.isDirectory) await walk(`${path}/`);
      else if (entry.isFile && entry.name.endsWith(".md")) files.push(path);
    }
  };
  await walk("");
  return files.sort();
}

Deno.test("no code span of the repository's markdown runs over a line break", async () => {
  const files = await markdownFiles();
  assert.ok(files.includes("README.md") && files.includes("sdk/README.md"), files.join(", "));
  const broken = [];
  for (const path of files) {
    for (const { line, span } of brokenCodeSpans(await Deno.readTextFile(new URL(path, ROOT)))) {
      broken.push(`${path}:${line}: ${JSON.stringify(span)}`);
    }
  }
  assert.deepEqual(
    broken,
    [],
    "keep each code span on one line (rewrap the sentence around it; deno fmt keeps it whole)",
  );
});

Deno.test("brokenCodeSpans() finds spans over a line break, in paragraphs and list items, and nothing else", () => {
  assert.deepEqual(brokenCodeSpans("a `b\nc` d"), [{ line: 1, span: "`b\nc`" }]);
  assert.deepEqual(brokenCodeSpans("x\n\n- a `b` and `c\n  d`, `e`"), [
    { line: 3, span: "`c\n  d`" },
  ]);
  assert.deepEqual(brokenCodeSpans("one\ntwo ``a ` b\nc`` three"), [
    { line: 2, span: "``a ` b\nc``" },
  ]);
  for (
    const fine of [
      "a `b` c\nd `e` f",
      // Fenced code: its backticks are no spans, nor is a paragraph's span with one in it.
      "```sh\necho `date\n```\n\ntext",
      "  ~~~\n  a `b\n  c`\n  ~~~",
      "````md\n```\n`a\nb`\n```\n````",
      // A paragraph ends a span that would run on: a blank line, a heading, a table row.
      "a `b\n\nc` d",
      "a `b\n# c` d",
      "| `a | b\n| c` |",
      // An unmatched run is text; an escaped backtick too.
      "a ` b\nc `` d",
      "a \\`b\nc` d",
    ]
  ) {
    assert.deepEqual(brokenCodeSpans(fine), [], fine);
  }
});

/** A fence that opens a TypeScript or JavaScript block that `deno check --doc-only` checks. */
const CHECKED_FENCE = /^\s*(`{3,}|~{3,})\s*(ts|tsx|typescript|mts|js|jsx|javascript|mjs)\s*$/m;

Deno.test("every markdown file with a TypeScript or JavaScript block is type-checked by deno task check", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const docCheck = /deno check --doc-only ([^&]+)/.exec(config.tasks.check)?.[1];
  assert.ok(docCheck, config.tasks.check);
  const checked = new Set(docCheck.trim().split(/\s+/));
  const withCode = [];
  for (const path of await markdownFiles()) {
    if (CHECKED_FENCE.test(await Deno.readTextFile(new URL(path, ROOT)))) withCode.push(path);
  }
  assert.ok(withCode.includes("README.md") && withCode.includes("sdk/README.md"), withCode.join());
  assert.deepEqual(
    withCode.filter((path) => !checked.has(path)),
    [],
    "name these files after `deno check --doc-only` in deno.json's check task (or tag a block " +
      "that is no program `ts ignore`)",
  );
});
