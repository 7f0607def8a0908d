/**
 * The Grafana dashboard (deploy/grafana/tasks-executor.json) against a real manager's /metrics:
 * every metric its queries name is exported (a renamed metric fails here), its panels are well
 * formed, and the README lists them. Also the request counters the error panels read.
 */
import assert from "node:assert/strict";
import { Client } from "../sdk/mod.ts";
import { newToken } from "../server/auth/token.ts";
import { startTestManager } from "./_manager.ts";

const ROOT = new URL("../", import.meta.url);
const DASHBOARD = new URL("deploy/grafana/tasks-executor.json", ROOT);

// deno-lint-ignore no-explicit-any
type Json = any;

interface Query {
  panel: string;
  expr: string;
}

/** Every PromQL query of the dashboard: panel targets and template variables. */
function queriesOf(dashboard: Json): Query[] {
  const queries: Query[] = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      queries.push({ panel: panel.title, expr: target.expr });
    }
  }
  for (const variable of dashboard.templating.list) {
    if (variable.type === "query") {
      queries.push({ panel: `$${variable.name}`, expr: variable.query.query });
    }
  }
  return queries;
}

/** Metric names a PromQL expression reads (ours and the process ones we export). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(?:tasks_executor|process)_[a-z_]+\b/g)].map((m) => m[0]);
}

/** The series selectors of a PromQL expression: each metric name with its `{…}` matchers, if any. */
function selectorsOf(expr: string): string[] {
  return [...expr.matchAll(/\b(?:tasks_executor|process)_[a-z_]+\b(?:\{[^}]*\})?/g)].map((m) =>
    m[0]
  );
}

/** Names a scrape offers: each family, and its `_bucket`/`_sum`/`_count` series for histograms. */
function exportedNames(scrape: string): Set<string> {
  const names = new Set<string>();
  for (const line of scrape.split("\n")) {
    const type = line.match(/^# TYPE (\S+) (\S+)/);
    if (type) {
      names.add(type[1]);
      if (type[2] === "histogram") {
        for (const suffix of ["_bucket", "_sum", "_count"]) names.add(type[1] + suffix);
      }
    } else if (line !== "" && !line.startsWith("#")) {
      names.add(line.split(/[{ ]/)[0]);
    }
  }
  return names;
}

Deno.test("every metric the Grafana dashboard queries is in a real manager's /metrics", async () => {
  const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD));
  // Authentication on, as by default: some families (auth failures) exist only then.
  const key = newToken().token;
  await using manager = await startTestManager({
    env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: key },
  });
  const refused = await fetch(`${manager.httpUrl}/api/v1/tasks`);
  assert.equal(refused.status, 401);
  await refused.body?.cancel();
  const scrape = await (await fetch(`${manager.httpUrl}/metrics`, {
    headers: { authorization: `Bearer ${key}` },
  })).text();
  const exported = exportedNames(scrape);
  const queries = queriesOf(dashboard);
  assert.ok(queries.length > 20, "the dashboard has its queries");
  const missing = queries.flatMap((q) =>
    metricNames(q.expr).filter((name) => !exported.has(name)).map((name) => `${q.panel}: ${name}`)
  );
  assert.deepEqual(missing, [], "metrics named by the dashboard but not exported");
  // And the other way round: each family the manager exports is on the dashboard.
  const queried = new Set(queries.flatMap((q) => metricNames(q.expr)));
  const families = [...scrape.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
  const unused = families.filter((family) =>
    ![family, `${family}_bucket`, `${family}_sum`, `${family}_count`].some((n) => queried.has(n))
  );
  assert.deepEqual(unused, [], "exported metrics the dashboard shows nowhere");
});

Deno.test("the Grafana dashboard is importable: unique panel ids, a data source variable on every query, panels inside the 24-column grid, and each panel listed in the README", async () => {
  const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD));
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const ids = dashboard.panels.map((p: Json) => p.id);
  assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
  assert.equal(dashboard.uid, "tasks-executor");
  assert.ok(dashboard.templating.list.some((v: Json) => v.type === "datasource"));
  for (const panel of dashboard.panels) {
    const { x, w } = panel.gridPos;
    assert.ok(x >= 0 && w > 0 && x + w <= 24, `${panel.title} fits the grid`);
    if (panel.type === "row") continue;
    assert.equal(panel.datasource.uid, "${datasource}", `${panel.title} uses the chosen source`);
    assert.ok(panel.targets.length > 0, `${panel.title} has queries`);
    const cell = new RegExp(`\\|\\s*${RegExp.escape(panel.title)}\\s*\\|`);
    assert.match(readme, cell, `README lists the panel "${panel.title}"`);
  }
});

Deno.test('every query of the Grafana dashboard reads the chosen jobs only: each series selector of every panel and of the executor variable matches job=~"$job"', async () => {
  const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD));
  // The job variable lists the jobs, so it alone reads them all.
  const queries = queriesOf(dashboard).filter((q) => q.panel !== "$job");
  assert.ok(queries.some((q) => q.panel === "$executor"), "the executor variable is checked");
  const unfiltered = queries.flatMap((q) =>
    selectorsOf(q.expr)
      .filter((selector) => !/[{,]\s*job=~"\$job"\s*[,}]/.test(selector))
      .map((selector) => `${q.panel}: ${selector}`)
  );
  assert.deepEqual(unfiltered, [], "series selectors that ignore the job variable");
});

/** The store's gauges: one series per executor (and status), which every manager reports alike. */
const STORE_GAUGES = /\b(tasks_executor_tasks|tasks_executor_dlq_size)\{([^}]*)\}/g;

Deno.test("the dashboard takes each store gauge once per job and executor before adding them up: the largest over managers, never over executors or deployments", async () => {
  const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD));
  const wrong = queriesOf(dashboard).flatMap((q) =>
    [...q.expr.matchAll(STORE_GAUGES)].flatMap((m) => {
      // The aggregation right around the selector must be a max that keeps both labels (and the
      // status, when the selector reads more than one).
      const before = q.expr.slice(0, m.index);
      const by = before.match(/max by \(([^)]*)\) \($/);
      const labels = new Set(by ? by[1].split(",").map((l) => l.trim()) : []);
      const needed = ["job", "executor", ...(/status=~/.test(m[2]) ? ["status"] : [])];
      if (q.panel === "$executor" || needed.every((l) => labels.has(l))) return [];
      return [`${q.panel}: ${by ? by[0] : "no max by"} ${m[0]}`];
    })
  );
  assert.deepEqual(wrong, [], "store gauges taken over executors or jobs");
});

Deno.test("the request counters the error panels read count REST answers by route and status, and gRPC calls by method and status code", async () => {
  await using manager = await startTestManager();
  const missing = await fetch(`${manager.httpUrl}/api/v1/tasks/01ARZ3NDEKTSV4RRFFQ69G5FAV`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  using client = new Client({ address: manager.grpcAddress });
  await assert.rejects(client.getTask("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
  const scrape = await (await fetch(`${manager.httpUrl}/metrics`)).text();
  assert.match(
    scrape,
    /^tasks_executor_http_requests_total\{method="GET",route="\/api\/v1\/tasks\/:id",code="404"\} 1$/m,
  );
  assert.match(
    scrape,
    /^tasks_executor_grpc_requests_total\{method="\/taskexecutor\.v1\.TaskExecutorManagerService\/GetTask",code="NOT_FOUND"\} 1$/m,
  );
});
