/**
 * The layering rules of the code base, checked on the module graph Deno resolves (`deno info`):
 * what each folder may import, and no import cycles. Part of `deno task check`; exits 1 naming
 * every import that breaks a rule.
 */

/** One rule: modules under `from` (but not under `except`) must not import what `forbidden` matches. */
interface Rule {
  from: string;
  except?: string;
  forbidden: (target: string) => boolean;
  why: string;
}

const local = (target: string) => !target.startsWith("npm:") && !target.startsWith("node:");
const isDriver = (target: string) => target === "node:sqlite" || /^npm:\/?mongodb@/.test(target);
const isConcreteStore = (target: string) =>
  target.startsWith("server/store/") && target !== "server/store/store.ts";

/** The rules, as the README's architecture section states them. */
export const RULES: readonly Rule[] = [
  {
    from: "server/domain/",
    forbidden: (t) => !t.startsWith("server/domain/") && !t.startsWith("node:"),
    why: "domain/ holds pure types and rules and imports nothing outside itself",
  },
  {
    from: "server/",
    except: "server/store/",
    forbidden: isDriver,
    why: "only store/ speaks SQL or Mongo",
  },
  {
    from: "server/engine/",
    forbidden: isConcreteStore,
    why: "the engine sees the Store interface, never a concrete store",
  },
  {
    from: "server/service/",
    forbidden: isConcreteStore,
    why: "the service sees the Store interface, never a concrete store",
  },
  {
    from: "server/http/",
    forbidden: (t) => t.startsWith("server/store/") && t !== "server/store/store.ts",
    why: "REST is an adapter over the service",
  },
  {
    from: "server/grpc/",
    forbidden: (t) => t.startsWith("server/store/") && t !== "server/store/store.ts",
    why: "gRPC is an adapter over the service",
  },
  {
    from: "sdk/",
    forbidden: (t) => local(t) && !t.startsWith("sdk/") && !t.startsWith("proto/"),
    why: "the SDK imports proto/ only",
  },
  {
    from: "cli/",
    forbidden: (t) => local(t) && !t.startsWith("cli/"),
    why: "the command line talks to the manager over REST and imports nothing of it",
  },
  {
    from: "proto/",
    forbidden: (t) => local(t) && !t.startsWith("proto/"),
    why: "proto/ is shared by the SDK and the server and imports neither",
  },
];

/** The entry points whose graphs are checked. */
const ENTRIES = ["main.ts", "sdk/mod.ts", "sdk/testing.ts", "proto/mod.ts"];

type Graph = Map<string, Set<string>>;

/** Module graph of the entries: repository-relative paths (or `npm:`/`node:` names) → imports. */
async function moduleGraph(root: string): Promise<Graph> {
  const graph: Graph = new Map();
  const name = (specifier: string) =>
    specifier.startsWith(`file://${root}/`) ? specifier.slice(`file://${root}/`.length) : specifier;
  for (const entry of ENTRIES) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`deno info ${entry} failed`);
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
      }[];
    };
    for (const module of info.modules) {
      const from = name(module.specifier);
      if (!from.endsWith(".ts")) continue;
      const targets = graph.get(from) ?? new Set<string>();
      for (const dep of module.dependencies ?? []) {
        for (const resolved of [dep.code?.specifier, dep.type?.specifier]) {
          if (resolved) targets.add(name(resolved));
        }
      }
      graph.set(from, targets);
    }
  }
  return graph;
}

/** Every import that breaks a rule, as `from → target: why`. */
export function violations(graph: Graph): string[] {
  const found: string[] = [];
  for (const [from, targets] of graph) {
    for (const target of targets) {
      for (const rule of RULES) {
        const applies = from.startsWith(rule.from) &&
          !(rule.except && from.startsWith(rule.except));
        if (applies && rule.forbidden(target)) {
          found.push(`${from} → ${target}: ${rule.why}`);
        }
      }
    }
  }
  return found;
}

/** Every cycle among local modules, each as the list of its modules (Tarjan's algorithm). */
export function cycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.has(node)) found.push(component.reverse());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const graph = await moduleGraph(root);
  const broken = violations(graph);
  const loops = cycles(graph);
  for (const line of broken) console.error(`Import breaks the layering: ${line}`);
  for (const loop of loops) console.error(`Import cycle: ${[...loop, loop[0]].join(" → ")}`);
  if (broken.length > 0 || loops.length > 0) Deno.exit(1);
  console.log(`Boundaries: ${graph.size} modules, no layering breaks, no cycles`);
}
