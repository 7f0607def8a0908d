/**
 * The manager's Prometheus metrics: task counters and latency histograms from the engine, task
 * and worker gauges read at scrape time, and process and store health. Series labelled by
 * executor are those of the executors the store holds at the scrape: a deleted one's go.
 */
import type { Engine } from "../engine/engine.ts";
import { SAMPLE_BUCKETS_MS, type Samples, StatsRecorder } from "../engine/stats.ts";
import { workersServing } from "../engine/workers.ts";
import type { Service } from "../service/service.ts";
import type { ExecutorTaskStats, ExecutorVersion } from "../store/store.ts";
import { Counter, MetricsWriter, writeHistogramSeries } from "./prometheus.ts";
import type { EventLoopDelayProbe } from "./event_loop.ts";
import type { RequestMetrics } from "./requests.ts";
import type { ConnectionCounts } from "../connections.ts";
import { OPEN_CALL_BYTES } from "../request_bytes.ts";
import { SHARED_RESOURCES } from "../auth/shares.ts";

const PREFIX = "tasks_executor";
const SAMPLE_BUCKETS_SECONDS = SAMPLE_BUCKETS_MS.map((bound) => bound / 1000);

/** Writes one histogram series of durations in ms as seconds. */
function writeHistogram(
  out: MetricsWriter,
  metric: string,
  labels: Record<string, string>,
  samples: Samples,
): void {
  writeHistogramSeries(out, metric, labels, {
    bounds: SAMPLE_BUCKETS_SECONDS,
    buckets: samples.buckets,
    count: samples.count,
    sum: samples.sum / 1000,
  });
}

/** Collects what is not in the store (tasks created through this manager) and renders a scrape. */
export class ManagerMetrics implements Disposable {
  readonly #service: Service;
  readonly #engine: Engine;
  readonly #created = new Counter(
    `${PREFIX}_tasks_created_total`,
    "Tasks created through this manager.",
  );
  readonly #fires = new Counter(
    `${PREFIX}_schedule_fires_total`,
    "Tasks created by schedule fires through this manager.",
  );
  readonly #fireSkips = new Counter(
    `${PREFIX}_schedule_fires_skipped_total`,
    "Schedule fires that created no task, by reason.",
  );
  readonly #shareRefusals = new Counter(
    `${PREFIX}_share_refusals_total`,
    "Places refused to an API key because it held its share of a cap (server/auth/shares.ts; an admin key holds whole caps, but for wait_bytes), by resource: event_subscriptions (MAX_SSE_SUBSCRIBERS), searches (MAX_SEARCHES + MAX_SEARCHES_QUEUED), task_watchers (MAX_TASK_WATCHERS), wait_bytes (request bytes of creates that wait), watched_tasks (MAX_WATCHED_TASKS), worker_streams (MAX_WORKER_STREAMS).",
  );
  readonly #fireFailures = new Counter(
    `${PREFIX}_schedule_fire_failures_total`,
    "Schedule fires through this manager that failed and left the schedule due, each followed by a backoff.",
  );
  /** How late fires were, from fire time to task created (ms). */
  readonly #fireLateness: Samples = StatsRecorder.emptySamples();
  readonly #unsubscribe: () => void;
  readonly #startedAt = Date.now();
  /** The executors the store held at the last scrape that could read them; none before one. */
  #executorNames: ReadonlySet<string> = new Set();

  readonly #requests: RequestMetrics | null;
  readonly #eventLoopDelay: EventLoopDelayProbe | null;
  readonly #connections: () => Partial<Record<"rest" | "grpc", ConnectionCounts>>;
  readonly #requestBytes: { readonly held: number; readonly callsHeld: number } | null;
  readonly #answerBytes: { readonly held: number } | null;
  readonly #authFailures: (() => Record<"rest" | "grpc", number>) | null;
  readonly #loginsRateLimited: (() => number) | null;
  readonly #schedulesBackingOff: (() => number) | null;

  /**
   * `requests`, when given, adds the REST and gRPC request counters to each scrape;
   * `eventLoopDelay`, the event loop delay histogram of a probe (started and stopped by its owner);
   * `connections`, the servers' connection counts (a port not listening yet is left out);
   * `requestBytes`, the bytes on the manager's request account (`held`, of which `callsHeld` for
   * open gRPC calls, the rest of requests not yet answered); `answerBytes`, the gRPC
   * answer bytes written and not yet taken by their clients; `authFailures`, the
   * failed authentications by transport (with authentication on); `loginsRateLimited`, the logins
   * refused for their client address's rate (LOGIN_BURST, LOGIN_RATE_LIMIT); `schedulesBackingOff`,
   * the schedules in the backoff of this manager's scheduler (`Scheduler.backingOff`).
   */
  constructor(
    service: Service,
    engine: Engine,
    sources: {
      requests?: RequestMetrics;
      eventLoopDelay?: EventLoopDelayProbe;
      connections?: () => Partial<Record<"rest" | "grpc", ConnectionCounts>>;
      requestBytes?: { readonly held: number; readonly callsHeld: number };
      answerBytes?: { readonly held: number };
      authFailures?: () => Record<"rest" | "grpc", number>;
      loginsRateLimited?: () => number;
      schedulesBackingOff?: () => number;
    } = {},
  ) {
    this.#service = service;
    this.#engine = engine;
    this.#requests = sources.requests ?? null;
    this.#eventLoopDelay = sources.eventLoopDelay ?? null;
    this.#connections = sources.connections ?? (() => ({}));
    this.#requestBytes = sources.requestBytes ?? null;
    this.#answerBytes = sources.answerBytes ?? null;
    this.#authFailures = sources.authFailures ?? null;
    this.#loginsRateLimited = sources.loginsRateLimited ?? null;
    this.#schedulesBackingOff = sources.schedulesBackingOff ?? null;
    this.#unsubscribe = service.events.on((event) => {
      if (event.type === "schedule_fired") {
        const labels = { schedule: event.scheduleName, executor: event.executorName };
        this.#fires.inc(labels, event.latenessMs.length);
        for (const ms of event.latenessMs) StatsRecorder.addSample(this.#fireLateness, ms);
        for (const reason of event.skipped) this.#fireSkips.inc({ ...labels, reason });
      }
      if (event.type === "share_refused") {
        this.#shareRefusals.inc({ resource: event.resource });
      }
      if (event.type === "schedule_fire_failed") {
        this.#fireFailures.inc({ schedule: event.scheduleName, executor: event.executorName });
      }
      if (event.type !== "tasks_created") return;
      for (const [executor, count] of Object.entries(event.counts)) {
        this.#created.inc({ executor }, count);
      }
    });
  }

  /** The Prometheus text exposition of every metric now. */
  async render(): Promise<string> {
    const { storeUp, taskStats } = await this.#readStore();
    const executorNames = this.#executorNames;
    const out = new MetricsWriter();
    // Every executor's counters are there from its first scrape, at 0 until something counts:
    // a series that appeared with its first task hid that task from rate() and increase().
    for (const executor of executorNames) this.#created.inc({ executor }, 0);
    this.#created.write(out);
    this.#fires.write(out);
    this.#fireSkips.write(out);
    for (const resource of SHARED_RESOURCES) this.#shareRefusals.inc({ resource }, 0);
    this.#shareRefusals.write(out);
    this.#fireFailures.write(out);
    this.#requests?.write(out);
    this.#eventLoopDelay?.write(out);
    const ports = Object.entries(this.#connections()).filter(([, c]) => c !== undefined);
    const byPort: [string, "gauge" | "counter", string, keyof ConnectionCounts][] = [
      [
        "connections_open",
        "gauge",
        "Connections open, by port (MAX_HTTP_CONNECTIONS, MAX_GRPC_CONNECTIONS cap them).",
        "open",
      ],
      [
        "connections_evicted_total",
        "counter",
        "Idle connections closed to make room for new ones at the cap, by port.",
        "evictions",
      ],
      [
        "connections_rate_limited_total",
        "counter",
        "Connections closed as accepted because their client address opened them past its rate limit (GRPC_CONNECTION_BURST, GRPC_CONNECTION_RATE_LIMIT), by port.",
        "rateLimited",
      ],
    ];
    for (const [name, type, help, count] of byPort) {
      out.family(`${PREFIX}_${name}`, type, help);
      for (const [port, c] of ports) out.sample(`${PREFIX}_${name}`, { port }, c![count]);
    }
    if (this.#requestBytes) {
      out.family(
        `${PREFIX}_request_bytes_in_flight`,
        "gauge",
        "Bytes of REST bodies and gRPC messages received and not yet answered or handled; 0 on an idle manager. With request_bytes_of_open_calls, capped by MAX_REQUEST_BYTES_IN_FLIGHT.",
      );
      out.sample(
        `${PREFIX}_request_bytes_in_flight`,
        {},
        this.#requestBytes.held - this.#requestBytes.callsHeld,
      );
      out.family(
        `${PREFIX}_request_bytes_of_open_calls`,
        "gauge",
        `Bytes held for open gRPC calls: each call's header list and a fixed ${OPEN_CALL_BYTES} bytes for its state, from its start until its stream closes (an open worker stream holds them all its life). With request_bytes_in_flight, capped by MAX_REQUEST_BYTES_IN_FLIGHT.`,
      );
      out.sample(`${PREFIX}_request_bytes_of_open_calls`, {}, this.#requestBytes.callsHeld);
    }
    if (this.#answerBytes) {
      out.family(
        `${PREFIX}_answer_bytes_in_flight`,
        "gauge",
        "Bytes of gRPC answers written and not yet taken by their clients (MAX_ANSWER_BYTES_IN_FLIGHT caps them).",
      );
      out.sample(`${PREFIX}_answer_bytes_in_flight`, {}, this.#answerBytes.held);
    }
    if (this.#authFailures) {
      out.family(
        `${PREFIX}_auth_failures_total`,
        "counter",
        "Requests whose API key or session did not authenticate, by transport.",
      );
      for (const [transport, n] of Object.entries(this.#authFailures())) {
        out.sample(`${PREFIX}_auth_failures_total`, { transport }, n);
      }
    }
    if (this.#loginsRateLimited) {
      out.family(
        `${PREFIX}_logins_rate_limited_total`,
        "counter",
        "Logins answered 429, their bodies unread, because their client address attempted them past its rate limit (LOGIN_BURST, LOGIN_RATE_LIMIT).",
      );
      out.sample(`${PREFIX}_logins_rate_limited_total`, {}, this.#loginsRateLimited());
    }
    if (this.#schedulesBackingOff) {
      out.family(
        `${PREFIX}_schedules_backing_off`,
        "gauge",
        "Schedules whose last fire through this manager failed, tried again after a backoff.",
      );
      out.sample(`${PREFIX}_schedules_backing_off`, {}, this.#schedulesBackingOff());
    }
    const lateness = `${PREFIX}_schedule_fire_lateness_seconds`;
    out.family(lateness, "histogram", "Time from a schedule's fire time to its task's creation.");
    writeHistogram(out, lateness, {}, this.#fireLateness);

    const stats = this.#engine.stats();
    const counters: [string, string, keyof (typeof stats.executors)[string]][] = [
      ["tasks_completed_total", "Attempts that completed successfully.", "completed"],
      [
        "task_attempts_failed_total",
        "Attempts that failed (error, timeout or lost lease).",
        "failedAttempts",
      ],
      ["tasks_retried_total", "Failed attempts scheduled to run again.", "retried"],
      ["tasks_dead_lettered_total", "Tasks moved to the dead letter queue.", "deadLettered"],
      [
        "tasks_failed_total",
        "Tasks that ended failed (retries exhausted, DLQ disabled).",
        "failed",
      ],
      ["tasks_dispatched_total", "Tasks handed to workers.", "dispatched"],
      ["leases_rescued_total", "Expired leases taken back by the rescuer.", "rescued"],
    ];
    // The engine keeps the counters of executors since deleted: only those that exist are shown,
    // each from its first scrape (0 until the engine counts it).
    for (const [name, help, key] of counters) {
      out.family(`${PREFIX}_${name}`, "counter", help);
      for (const executor of executorNames) {
        const c = stats.executors[executor];
        out.sample(`${PREFIX}_${name}`, { executor }, c ? c[key] as number : 0);
      }
    }
    const executors = Object.entries(stats.executors).filter(([name]) => executorNames.has(name));
    const histograms = [
      [
        "task_queue_wait_seconds",
        "Time from when a task was due to when a worker got it.",
        "queueWaitMs",
      ],
      ["task_run_seconds", "Time from lease to reported result.", "runTimeMs"],
    ] as const;
    for (const [name, help, key] of histograms) {
      const metric = `${PREFIX}_${name}`;
      out.family(metric, "histogram", help);
      for (const [executor, c] of executors) writeHistogram(out, metric, { executor }, c[key]);
    }

    const now = this.#service.now();
    const workers = this.#engine.workers.list();
    out.family(`${PREFIX}_tasks`, "gauge", "Tasks by executor and status.");
    for (const s of taskStats) {
      for (const [status, count] of Object.entries(s.byStatus)) {
        out.sample(`${PREFIX}_tasks`, { executor: s.executorName, status }, count);
      }
    }
    out.family(`${PREFIX}_dlq_size`, "gauge", "Entries in the dead letter queue.");
    for (const s of taskStats) {
      out.sample(`${PREFIX}_dlq_size`, { executor: s.executorName }, s.dlqSize);
    }
    out.family(
      `${PREFIX}_oldest_pending_task_age_seconds`,
      "gauge",
      "Age of the longest-waiting ready task (0 when none waits).",
    );
    for (const s of taskStats) {
      const age = s.oldestPendingRunAt === null
        ? 0
        : Math.max(0, now - s.oldestPendingRunAt) / 1000;
      out.sample(`${PREFIX}_oldest_pending_task_age_seconds`, { executor: s.executorName }, age);
    }
    out.family(
      `${PREFIX}_workers_connected`,
      "gauge",
      "Workers connected to this manager, per executor.",
    );
    const serving = workersServing(workers);
    for (const s of taskStats) {
      const count = serving.get(s.executorName) ?? 0;
      out.sample(`${PREFIX}_workers_connected`, { executor: s.executorName }, count);
    }
    out.family(
      `${PREFIX}_tasks_in_flight`,
      "gauge",
      "Tasks leased through this manager and not yet settled.",
    );
    out.sample(`${PREFIX}_tasks_in_flight`, {}, stats.inFlight);
    out.family(
      `${PREFIX}_task_watchers`,
      "gauge",
      "Producers waiting here for tasks to finish (watch streams and long polls).",
    );
    out.sample(`${PREFIX}_task_watchers`, {}, this.#service.watch.size);

    out.family(
      `${PREFIX}_store_up`,
      "gauge",
      "Whether the store answered this scrape (1) or not (0).",
    );
    out.sample(`${PREFIX}_store_up`, { store: this.#service.store.kind }, storeUp);
    const memory = Deno.memoryUsage();
    out.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    out.sample("process_resident_memory_bytes", {}, memory.rss);
    out.family("process_heap_used_bytes", "gauge", "V8 heap in use in bytes.");
    out.sample("process_heap_used_bytes", {}, memory.heapUsed);
    out.family(
      "process_start_time_seconds",
      "gauge",
      "Start time of the process since the Unix epoch.",
    );
    out.sample("process_start_time_seconds", {}, Math.floor(this.#startedAt / 1000));
    return out.text();
  }

  /**
   * Reads the task figures and which executors and schedules exist, and forgets the series this
   * manager counted for executors or schedules gone since (a producer creating and deleting
   * schedules would grow the fire series for ever). Only series counted before the read are
   * dropped: one counted while it ran may be of an executor or schedule created meanwhile. When the store does not answer (`storeUp` 0),
   * the executors of the last scrape are kept, so that series do not come and go with the store.
   */
  async #readStore(): Promise<{ storeUp: number; taskStats: ExecutorTaskStats[] }> {
    const fireCounters = [this.#fires, this.#fireSkips];
    const counted = new Set([
      ...this.#created.values("executor"),
      ...fireCounters.flatMap((counter) => [...counter.values("executor")]),
    ]);
    const countedSchedules = new Set(fireCounters.flatMap((c) => [...c.values("schedule")]));
    let versions: ExecutorVersion[];
    let taskStats: ExecutorTaskStats[];
    let schedules: string[];
    try {
      [versions, taskStats, schedules] = await Promise.all([
        this.#service.store.executorVersions(),
        this.#service.taskStats(),
        this.#service.store.schedules.scheduleNames(),
      ]);
    } catch {
      return { storeUp: 0, taskStats: [] };
    }
    const names = this.#executorNames = new Set(versions.map((v) => v.name));
    const gone = new Set([...counted].filter((name) => !names.has(name)));
    for (const counter of [this.#created, ...fireCounters]) counter.remove("executor", gone);
    const scheduleNames = new Set(schedules);
    const goneSchedules = new Set([...countedSchedules].filter((name) => !scheduleNames.has(name)));
    for (const counter of fireCounters) counter.remove("schedule", goneSchedules);
    // Task figures slow to count are reused for a few seconds, and may still name one deleted.
    return { storeUp: 1, taskStats: taskStats.filter((s) => names.has(s.executorName)) };
  }

  /** Stops listening to the service. */
  [Symbol.dispose](): void {
    this.#unsubscribe();
  }
}
