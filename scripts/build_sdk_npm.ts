/**
 * Builds the SDK as an npm package for Node in `dist/sdk-npm/` (`deno task sdk:npm`); `npm pack`
 * in that directory then gives `tasks-executor-sdk-<version>.tgz`.
 *
 * - `mod.js`: `sdk/mod.ts` (with the `proto/` package it imports) in one ES module made by
 *   `deno bundle`; the npm packages it imports stay imports, resolved by npm like a user's own.
 * - `types/`: `.d.ts` declarations emitted by TypeScript's `tsc` from the SDK's and proto
 *   package's own sources (`types/sdk/mod.d.ts` describes `mod.js`). The sources carry explicit
 *   types on every export (JSR's "no slow types"), so `tsc` emits them without type-checking the
 *   Deno-only code (`noCheck`); the relative `.ts` imports become `.js` and
 *   `@tasks-executor/proto[/x]` becomes a relative path, so Node resolution finds them.
 * - `package.json`: `@tasks-executor/sdk` at `sdk/deno.json`'s version, `type: module`, `exports`
 *   with `types`, and the npm dependencies pinned to the versions of `sdk/deno.json` and
 *   `proto/deno.json`.
 *
 * Only the main entry point is packaged (`@tasks-executor/sdk/testing` is not). TypeScript and
 * `@types/node` (for the declarations' `node:` types) are installed from npm into a temporary
 * directory while building.
 *
 * Usage: `deno run -A scripts/build_sdk_npm.ts [outDir]` (default `dist/sdk-npm`).
 * @module
 */

/** TypeScript version that emits the declarations. */
export const TYPESCRIPT_VERSION = "5.9.3";
/** `@types/node` used while emitting, and named as a peer dependency of the package. */
export const TYPES_NODE_VERSION = "20.19.43";

const ROOT = new URL("../", import.meta.url);

interface DenoConfig {
  version?: string;
  exports?: Record<string, string>;
  imports?: Record<string, string>;
}

async function readConfig(path: string): Promise<DenoConfig> {
  return JSON.parse(await Deno.readTextFile(new URL(path, ROOT)));
}

/** The `npm:` imports of the configs as `{ name: exactVersion }`. */
function npmDependencies(...configs: DenoConfig[]): Record<string, string> {
  const deps: Record<string, string> = {};
  for (const config of configs) {
    for (const specifier of Object.values(config.imports ?? {})) {
      const match = /^npm:((?:@[^/]+\/)?[^@/]+)@([^/]+)$/.exec(specifier);
      if (match) deps[match[1]] = match[2];
    }
  }
  return Object.fromEntries(Object.entries(deps).sort(([a], [b]) => a.localeCompare(b)));
}

async function run(command: string, args: string[], cwd: string | URL): Promise<void> {
  const out = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    throw new Error(`${command} ${args.join(" ")} failed:\n${text(out.stdout)}${text(out.stderr)}`);
  }
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else yield path;
  }
}

/** A relative module specifier from the file `from` to the file `to` (both absolute). */
function relativeSpecifier(from: string, to: string): string {
  const a = from.split("/").slice(0, -1);
  const b = to.split("/");
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const up = a.length - i;
  return (up === 0 ? "./" : "../".repeat(up)) + b.slice(i).join("/");
}

/**
 * Emits declarations for `sdk/mod.ts` into `<outDir>/types/{sdk,proto}/`, rewriting imports as
 * described in the module header.
 */
async function emitDeclarations(
  outDir: string,
  proto: DenoConfig,
  deps: Record<string, string>,
): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "sdk-npm-" });
  try {
    await Deno.writeTextFile(
      `${work}/package.json`,
      JSON.stringify({
        private: true,
        type: "module",
        dependencies: {
          ...deps,
          typescript: TYPESCRIPT_VERSION,
          "@types/node": TYPES_NODE_VERSION,
        },
      }),
    );
    await run(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts"],
      work,
    );
    const protoPaths: Record<string, string[]> = {};
    for (const [sub, file] of Object.entries(proto.exports ?? {})) {
      protoPaths[`@tasks-executor/proto${sub.slice(1)}`] = [`${ROOT.pathname}proto/${file}`];
    }
    await Deno.writeTextFile(
      `${work}/tsconfig.json`,
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "ESNext",
          moduleResolution: "Bundler",
          allowImportingTsExtensions: true,
          declaration: true,
          emitDeclarationOnly: true,
          noCheck: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [`${work}/node_modules/@types`],
          rootDir: ROOT.pathname,
          outDir: `${outDir}/types`,
          baseUrl: work,
          paths: { ...protoPaths, "*": [`${work}/node_modules/*`] },
        },
        files: [`${ROOT.pathname}sdk/mod.ts`],
      }),
    );
    await run("node", [`${work}/node_modules/typescript/bin/tsc`, "-p", work], work);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
  const protoFiles = Object.fromEntries(
    Object.entries(proto.exports ?? {}).map((
      [sub, file],
    ) => [
      `@tasks-executor/proto${sub.slice(1)}`,
      `${outDir}/types/proto/${file.replace(/^\.\//, "")}`,
    ]),
  );
  for await (const path of walk(`${outDir}/types`)) {
    const text = await Deno.readTextFile(path);
    const rewritten = text
      .replace(/(["'])(\.\.?\/[^"']+)\.ts\1/g, "$1$2.js$1")
      .replace(/(["'])(@tasks-executor\/proto(?:\/[\w-]+)?)\1/g, (_, q: string, name: string) => {
        const target = protoFiles[name];
        if (!target) throw new Error(`${path}: no proto export ${name}`);
        return q + relativeSpecifier(path, target.replace(/\.ts$/, ".js")) + q;
      });
    await Deno.writeTextFile(path, rewritten);
  }
}

/** Builds the package into `outDir` (emptied first). */
export async function buildSdkNpm(outDir: string): Promise<void> {
  const [sdk, proto] = await Promise.all([
    readConfig("sdk/deno.json"),
    readConfig("proto/deno.json"),
  ]);
  const deps = npmDependencies(sdk, proto);
  await Deno.remove(outDir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await Deno.mkdir(outDir, { recursive: true });
  const externals = Object.keys(deps).flatMap((
    name,
  ) => ["--external", name, "--external", `${name}/*`]);
  await run(
    Deno.execPath(),
    ["bundle", "--quiet", ...externals, "-o", `${outDir}/mod.js`, "sdk/mod.ts"],
    ROOT,
  );
  await emitDeclarations(outDir, proto, deps);
  await Deno.copyFile(new URL("sdk/README.md", ROOT), `${outDir}/README.md`);
  const pkg = {
    name: "@tasks-executor/sdk",
    version: sdk.version,
    description: "Workers and clients for the Tasks Executor task queue",
    license: "MIT",
    type: "module",
    exports: { ".": { types: "./types/sdk/mod.d.ts", default: "./mod.js" } },
    types: "./types/sdk/mod.d.ts",
    files: ["mod.js", "types/", "README.md"],
    engines: { node: ">=20" },
    dependencies: deps,
    peerDependencies: { "@types/node": `>=${TYPES_NODE_VERSION.split(".")[0]}` },
    peerDependenciesMeta: { "@types/node": { optional: true } },
  };
  await Deno.writeTextFile(`${outDir}/package.json`, JSON.stringify(pkg, null, 2) + "\n");
}

if (import.meta.main) {
  const outDir = Deno.args[0] ?? new URL("dist/sdk-npm", ROOT).pathname;
  await buildSdkNpm(outDir.startsWith("/") ? outDir : `${Deno.cwd()}/${outDir}`);
  console.log(`Built ${outDir}; run \`npm pack\` there for a tarball.`);
}
