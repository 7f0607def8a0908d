/**
 * Starts and stops one manager: the store, the service, the engine and its background duties, the
 * REST server and the gRPC server. `main.ts` and the tests both start managers through here.
 */
import { KeyAuthenticator } from "./auth/keys.ts";
import { firstStart, prepareKeys } from "./auth/startup.ts";
import type { Config } from "./config.ts";
import { Engine } from "./engine/engine.ts";
import { RetentionCleaner } from "./engine/retention.ts";
import { Resumer } from "./engine/resumer.ts";
import { HistoryRecorder } from "./engine/history_recorder.ts";
import { Scheduler } from "./engine/scheduler.ts";
import { startGrpcServer } from "./grpc/server.ts";
import { createWorkerService } from "./grpc/worker_service.ts";
import { createLegacyService } from "./grpc/legacy_service.ts";
import { createHttpApp } from "./http/app.ts";
import { loginRate } from "./http/session.ts";
import { type HttpServer, serveHttp } from "./http/serve.ts";
import { requestBytesInFlight } from "./request_bytes.ts";
import { answerBytesInFlight } from "./grpc/answer_bytes.ts";
import { ServerTlsFiles } from "./tls_listener.ts";
import { storeEnvironment } from "./store_location.ts";
import { type Logger, setLogger } from "./log.ts";
import { ManagerMetrics } from "./monitoring/metrics.ts";
import { startManagerTracing } from "./monitoring/tracing.ts";
import { RequestMetrics } from "./monitoring/requests.ts";
import { EventLoopDelayProbe } from "./monitoring/event_loop.ts";
import { ServiceEvents } from "./service/events.ts";
import { Service } from "./service/service.ts";
import { openStore } from "./store/open.ts";
import type { Store } from "./store/store.ts";

/** A running manager. Dispose it (or call `shutdown`) to stop it gracefully. */
export interface Manager extends AsyncDisposable {
  /** REST base URL, e.g. `http://127.0.0.1:8080` (`https://` under TLS). */
  readonly httpUrl: string;
  /** gRPC address, e.g. `127.0.0.1:50051`. */
  readonly grpcAddress: string;
  readonly service: Service;
  readonly engine: Engine;
  readonly store: Store;
  /** Writes this manager's task history to the store (`flush()` writes it now). */
  readonly history: HistoryRecorder;
  /** Stops accepting, finishes in-flight requests and streams, closes the store. Idempotent. */
  shutdown(): Promise<void>;
  /**
   * Reads the TLS files again (SIGHUP) for the connections accepted from now on, and logs what
   * happened. Says `false` when a file is not usable (the ones in use stay) or TLS is off.
   */
  reloadTls(): boolean;
}

/** The manager cannot start: a port is taken, the store cannot be opened, … */
export class StartupError extends Error {
  override name = "StartupError";
}

/** Starts a server, turning a failure to bind into a message that names the variable. */
async function listen<T>(
  what: string,
  variable: string,
  port: number,
  start: () => T | Promise<T>,
): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const text = String((error as Error).message);
    const reason = error instanceof Deno.errors.AddrInUse || /EADDRINUSE|in use/i.test(text)
      ? "the address is already in use"
      : text;
    throw new StartupError(`Cannot listen for ${what} on port ${port} (${variable}): ${reason}`);
  }
}

/**
 * Refuses a start whose ports are taken before the store is opened, or made: a start refused for
 * a taken port once left a new, empty tasks.db (and, with AUTH on, a first admin key) in a new
 * DATA_DIR. Each port is bound and let go at once; a port taken between this check and the
 * servers' bind is still refused there, as before (the store made by then).
 */
async function checkPorts(config: Config): Promise<void> {
  const held: Deno.Listener[] = [];
  try {
    for (
      const [what, variable, port] of [
        ["gRPC", "MANAGER_GRPC_PORT", config.grpcPort],
        ["REST", "MANAGER_PORT", config.httpPort],
      ] as const
    ) {
      if (port === 0) continue;
      held.push(
        await listen(what, variable, port, () => Deno.listen({ hostname: config.host, port })),
      );
    }
  } finally {
    for (const listener of held) listener.close();
  }
}

/** Starts a manager with `config`. */
export async function startManager(config: Config, log: Logger): Promise<Manager> {
  setLogger(log);
  await checkPorts(config);
  let store: Store;
  try {
    store = await openStore(config);
  } catch (error) {
    const where = config.mongoUri
      ? "the MongoDB store (MONGO_URI)"
      : `DATA_DIR "${config.dataDir}"`;
    throw new StartupError(`Cannot open ${where}: ${(error as Error).message}`);
  }
  let authenticator: KeyAuthenticator | null = null;
  const tracing = startManagerTracing(config.tracing);
  // Made in this order so each is given what it uses (see the header of service/service.ts).
  const events = new ServiceEvents();
  const engine = new Engine({ store, events, spans: tracing?.spans }, {
    rescueIntervalMs: config.rescueIntervalMs,
    limits: config.limits,
    keepaliveIntervalMs: config.keepaliveIntervalMs,
    silenceWithoutKeepaliveMs: config.silenceWithoutKeepaliveMs,
  });
  const service = new Service(store, {
    spans: tracing?.spans,
    events,
    handoff: engine.handoff,
    executors: engine.executors,
    limits: config.limits,
    onKeysChange: () => authenticator?.refresh() ?? Promise.resolve(),
  });
  try {
    authenticator = config.auth ? await KeyAuthenticator.start(store) : null;
    await prepareKeys(service.keys, config, log);
  } catch (error) {
    await authenticator?.[Symbol.asyncDispose]();
    await store[Symbol.asyncDispose]();
    await tracing?.shutdown();
    throw new StartupError(`Cannot prepare API keys: ${(error as Error).message}`);
  }
  const tls = config.tls ? new ServerTlsFiles(config.tls) : null;
  const requests = new RequestMetrics();
  // REST bodies and gRPC messages received and not yet answered, and what open gRPC calls hold
  // (the gauges add the workers').
  const requestBytes = requestBytesInFlight(config.limits, service.events);
  // Worker streams' messages, on an account of their own (see `startGrpcServer`).
  const workerRequestBytes = requestBytesInFlight(config.limits);
  // gRPC answers written and not yet taken by their clients.
  const answerBytes = answerBytesInFlight(config.limits);
  let grpcServer: Awaited<ReturnType<typeof startGrpcServer>> | undefined;
  let http: HttpServer | undefined;
  // Logins per client address: the REST app refuses past it, the metrics count its refusals.
  const logins = loginRate(config.limits);
  // How late the event loop turns: started with the background duties, stopped with them.
  const eventLoopDelay = new EventLoopDelayProbe();
  const scheduler = new Scheduler(service, { log });
  const metrics = new ManagerMetrics(service, engine, {
    requests,
    eventLoopDelay,
    connections: () => ({ rest: http?.connections, grpc: grpcServer?.connections }),
    requestBytes: {
      get held() {
        return requestBytes.held + workerRequestBytes.held;
      },
      get callsHeld() {
        return requestBytes.callsHeld + workerRequestBytes.callsHeld;
      },
    },
    answerBytes,
    loginsRateLimited: () => logins.refused,
    schedulesBackingOff: () => scheduler.backingOff,
    ...authenticator ? { authFailures: () => authenticator!.failures.counts() } : {},
  });
  const retention = new RetentionCleaner(store, {
    ttlMs: config.completedTaskTtlMs,
    log,
    events: service.events,
  });
  const resumer = new Resumer(store, { log, events: service.events });
  const history = new HistoryRecorder(
    { history: store.history, events: service.events, stats: () => engine.stats(), log },
    { ttlMs: config.historyTtlMs },
  );

  let serving = false;
  const readiness = async () => {
    const checks: Record<string, string> = { servers: serving ? "ok" : "starting" };
    // A server that cannot accept (out of file descriptors, say) takes the manager out of rotation.
    for (const [name, server] of [["rest", http], ["grpc", grpcServer]] as const) {
      const error = server?.acceptError;
      if (error) checks[name] = `Cannot accept connections: ${error}`;
    }
    try {
      await store.ping();
      checks.store = "ok";
    } catch (error) {
      checks.store = (error as Error).message;
    }
    return { ready: Object.values(checks).every((c) => c === "ok"), checks };
  };

  const stopping = new AbortController();
  const app = createHttpApp({
    service,
    workers: engine.workers,
    limits: config.limits,
    readiness,
    metrics: () => metrics.render(),
    stopping: stopping.signal,
    browser: {
      allowedHosts: config.allowedHosts,
      corsOrigins: config.corsOrigins,
      tls: config.tls !== null,
    },
    authenticator,
    countRequests: requests.http,
    logins,
  });
  try {
    grpcServer = await listen("gRPC", "MANAGER_GRPC_PORT", config.grpcPort, () =>
      startGrpcServer(
        {
          service,
          workers: engine.workers,
          workerService: createWorkerService(engine),
          legacyService: createLegacyService({ engine, service }),
          authenticator,
          interceptors: [requests.grpc],
          requestBytes,
          workerRequestBytes,
          answerBytes,
        },
        { host: config.host, port: config.grpcPort, tls },
      ));
    http = await listen(
      "REST",
      "MANAGER_PORT",
      config.httpPort,
      () =>
        serveHttp(app.fetch, {
          hostname: config.host,
          port: config.httpPort,
          maxConnections: config.limits.httpConnections,
          idleMs: config.limits.connectionIdleMs,
          maxBodiesArriving: config.limits.httpBodiesArriving,
          tls: tls ?? undefined,
          handshakeMs: config.limits.tlsHandshakeMs,
          requestBytes,
        }),
    );
  } catch (error) {
    await grpcServer?.close({ graceMs: 0 });
    metrics[Symbol.dispose]();
    await service.schemas[Symbol.asyncDispose]();
    await authenticator?.[Symbol.asyncDispose]();
    await store[Symbol.asyncDispose]();
    await tracing?.shutdown();
    throw error;
  }
  await engine.start();
  retention.start();
  resumer.start();
  history.start();
  scheduler.start();
  eventLoopDelay.start();

  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
  const scheme = config.tls ? "https" : "http";
  const httpUrl = `${scheme}://${host}:${http.addr.port}`;
  const grpcAddress = `${host}:${grpcServer.port}`;
  log.info("Manager started", {
    httpUrl,
    grpcAddress,
    store: store.kind,
    adminPage: `${httpUrl}/admin_page.html`,
  });
  const local = ["0.0.0.0", "127.0.0.1", "::", "::1"].includes(config.host);
  const notice = await firstStart(service.keys, {
    auth: config.auth,
    httpUrl: local ? `${scheme}://localhost:${http.addr.port}` : httpUrl,
    storeEnv: storeEnvironment(config),
    log,
  });
  if (notice) console.log(notice);
  // Ready once the first admin key (if any) is printed, so whoever waits for /readyz has it.
  serving = true;

  // Readiness follows the store: the gRPC health service says NOT_SERVING while it is away.
  const healthTimer = setInterval(async () => {
    const { ready } = await readiness();
    grpcServer.setServing(ready);
  }, 2000);

  let closing: Promise<void> | undefined;
  const shutdown = () =>
    closing ??= (async () => {
      log.info("Manager stopping");
      serving = false;
      stopping.abort();
      service.watch.close();
      clearInterval(healthTimer);
      grpcServer.setServing(false);
      await retention.stop();
      await resumer.stop();
      await scheduler.stop();
      await engine.stop();
      await history.stop();
      eventLoopDelay.stop();
      metrics[Symbol.dispose]();
      await Promise.all([
        http.shutdown({ graceMs: config.shutdownGraceMs }),
        grpcServer.close({ graceMs: config.shutdownGraceMs }),
      ]);
      await service.schemas[Symbol.asyncDispose]();
      await authenticator?.[Symbol.asyncDispose]();
      await store[Symbol.asyncDispose]();
      await tracing?.shutdown();
      log.info("Manager stopped");
    })();

  const reloadTls = () => {
    if (!tls) {
      log.warn("TLS files not reloaded: TLS is off (TLS_CERT_FILE, TLS_KEY_FILE)");
      return false;
    }
    try {
      tls.reload();
    } catch (error) {
      log.error("TLS files not reloaded; the ones in use stay", {
        error: (error as Error).message,
      });
      return false;
    }
    log.info("TLS files reloaded for new connections", { ...tls.current.files });
    return true;
  };

  return {
    httpUrl,
    grpcAddress,
    service,
    engine,
    store,
    history,
    shutdown,
    reloadTls,
    [Symbol.asyncDispose]: shutdown,
  };
}
