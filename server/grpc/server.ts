/**
 * The manager's gRPC server: the management API, the worker protocol, `grpc.health.v1.Health`
 * and server reflection (so that `grpcurl` works unaided) on one `@grpc/grpc-js` server.
 */
import { setImmediate } from "node:timers";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { LOADER_OPTIONS, loadProtocol, withValueBytes } from "@tasks-executor/proto";
import { loadLegacyProtocol } from "@tasks-executor/proto/legacy";
import protobuf from "protobufjs";
import { type ConnectionCounts, ConnectionPlaces, openConnectionGate } from "../connections.ts";
import { ConnectionRateLimit } from "../connection_rate.ts";
import { ResourceExhaustedError } from "../domain/errors.ts";
import type { WorkerDirectory } from "../engine/workers.ts";
import type { Service } from "../service/service.ts";
import { OpenStreams } from "../auth/streams.ts";
import type { Authenticator } from "../auth/scopes.ts";
import { authenticateOnArrival, callerOf, guardService } from "./auth.ts";
import { KeyShares, type ShareRefusals } from "../auth/shares.ts";
import {
  type AnswerBytesInFlight,
  answerBytesInFlight,
  answerInTurn,
  CALLS_RUNNING_PER_CONNECTION,
} from "./answer_bytes.ts";
import { guardHttp2Streams, OpenHttp2Streams } from "./http2_guard.ts";
import { createManagerService } from "./manager_service.ts";
import { addReflection } from "./reflection.ts";
import { capOpenRequests, OPEN_CALLS_PER_CONNECTION, OPEN_REQUEST_BYTES } from "./open_requests.ts";
import type { Duplex } from "node:stream";
import { announceHeaderListLimit } from "./header_lists.ts";
import { afterClientPreface } from "./client_preface.ts";
import { nodeSocketOf, readClientFramesFirst } from "./socket.ts";
import { holdRequestBytes } from "./request_bytes.ts";
import { refuseMisframedMessages } from "./message_framing.ts";
import { type RequestBytesInFlight, requestBytesInFlight } from "../request_bytes.ts";
import { toGrpcError } from "./status.ts";
import { log } from "../log.ts";
import { waitAtMost } from "../wait_at_most.ts";
import { openTlsGate, type ServerTlsFiles } from "../tls_listener.ts";
import { measuredWorkerDefinition } from "./worker_service.ts";
import { checkedRequests, refuseMalformedRequests } from "./wire_check.ts";
import { producingDefinition } from "./produce.ts";

/** The standard health service, as published in grpc/grpc-proto (grpc/health/v1/health.proto). */
export const HEALTH_PROTO = `
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest {
  string service = 1;
}
message HealthCheckResponse {
  enum ServingStatus {
    UNKNOWN = 0;
    SERVING = 1;
    NOT_SERVING = 2;
    SERVICE_UNKNOWN = 3;
  }
  ServingStatus status = 1;
}
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
`;

/** Full name of the management service (a health service name). */
export const MANAGER_SERVICE_NAME = "taskexecutor.v1.TaskExecutorManagerService";
/** Full name of the worker service (a health service name when it is served). */
export const WORKER_SERVICE_NAME = "taskexecutor.v1.TaskExecutorService";
/** Full name of the original system's service (a health service name when it is served). */
export const LEGACY_SERVICE_NAME = "taskexecutor.TaskExecutorManager";
const HEALTH_SERVICE_NAME = "grpc.health.v1.Health";

type ServingStatus = "SERVING" | "NOT_SERVING";

function definitionOf(source: string, keepCase: boolean): protoLoader.PackageDefinition {
  const root = protobuf.parse(source, { keepCase }).root;
  return protoLoader.fromJSON(root.toJSON(), LOADER_OPTIONS);
}

/** The file descriptors of `grpc.health.v1`, with the names as written, for reflection. */
function healthDescriptors(): Uint8Array[] {
  const request = definitionOf(HEALTH_PROTO, true)["grpc.health.v1.HealthCheckRequest"];
  return (request as { fileDescriptorProtos: Uint8Array[] }).fileDescriptorProtos;
}

/** Check and Watch over a map of service name → status; "" is the server as a whole. */
class HealthService {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #watchers = new Set<{
    service: string;
    call: grpc.ServerWritableStream<{ service: string }, unknown>;
  }>();
  readonly #maxWatchers: number;

  /** `maxWatchers`: Watch streams open at once (MAX_HEALTH_WATCHERS); more get RESOURCE_EXHAUSTED. */
  constructor(services: string[], maxWatchers: number) {
    for (const name of ["", ...services]) this.#statuses.set(name, "SERVING");
    this.#maxWatchers = maxWatchers;
  }

  /** Sets every status; watchers hear of it only when it changes (as the health protocol says). */
  set(serving: boolean): void {
    const status: ServingStatus = serving ? "SERVING" : "NOT_SERVING";
    if (this.#statuses.get("") === status) return;
    for (const name of this.#statuses.keys()) this.#statuses.set(name, status);
    for (const { service, call } of this.#watchers) {
      call.write({ status: this.#statuses.get(service) ?? "SERVICE_UNKNOWN" });
    }
  }

  /** Ends every Watch stream, so that a graceful shutdown need not wait for them. */
  endWatches(): void {
    for (const { call } of this.#watchers) call.end();
    this.#watchers.clear();
  }

  implementation(): grpc.UntypedServiceImplementation {
    const check: grpc.handleUnaryCall<{ service: string }, unknown> = (call, callback) => {
      const status = this.#statuses.get(call.request.service ?? "");
      if (!status) {
        callback({
          code: grpc.status.NOT_FOUND,
          details: `Unknown service "${call.request.service}"`,
        });
        return;
      }
      callback(null, { status });
    };
    const watch: grpc.handleServerStreamingCall<{ service: string }, unknown> = (call) => {
      if (this.#watchers.size >= this.#maxWatchers) {
        call.emit(
          "error",
          toGrpcError(
            new ResourceExhaustedError(
              `Too many health watchers: this manager serves at most ${this.#maxWatchers} (MAX_HEALTH_WATCHERS); use Check`,
            ),
          ),
        );
        return;
      }
      const watcher = { service: call.request.service ?? "", call };
      this.#watchers.add(watcher);
      call.on("cancelled", () => this.#watchers.delete(watcher));
      call.write({ status: this.#statuses.get(watcher.service) ?? "SERVICE_UNKNOWN" });
    };
    return { Check: check, Watch: watch };
  }
}

/** A running gRPC server. */
export interface GrpcServer {
  /** The port it listens on (the real one when 0 was asked). */
  readonly port: number;
  /** Why new connections cannot be accepted now, or `null` while they can. */
  readonly acceptError: string | null;
  /** Its connections: open now, and closed so far to make room for new ones. */
  readonly connections: ConnectionCounts;
  /** Flips every health status between SERVING and NOT_SERVING. */
  setServing(serving: boolean): void;
  /**
   * Stops accepting and taking calls, lets running calls finish (answers still on their way
   * included; `Produce` streams answer what they have open and end) for up to `graceMs` (default
   * 5 s), then cuts the rest (worker streams included); resolves once every connection is
   * closed. Safe to call twice.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Starts the gRPC server on `host:port` (port 0 picks a free one). A message larger than the
 * service's `limits.requestBytes` is refused with RESOURCE_EXHAUSTED before it is decoded;
 * answers are sized by the service (pages by `limits.pageBytes`) to stay within the 4 MiB
 * that default clients receive.
 *
 * @example
 * ```ts ignore
 * const grpcServer = await startGrpcServer({ service, workers }, { host: "127.0.0.1", port: 0 });
 * console.log(`gRPC on ${grpcServer.port}`);
 * await grpcServer.close({ graceMs: 1000 });
 * ```
 */
export async function startGrpcServer(
  deps: {
    service: Service;
    workers: WorkerDirectory;
    workerService?: grpc.UntypedServiceImplementation;
    /** The original system's `taskexecutor.TaskExecutorManager` (legacy_service.ts). */
    legacyService?: grpc.UntypedServiceImplementation;
    /** Finds the caller behind a key; `null` or absent = authentication off (AUTH=off). */
    authenticator?: Authenticator | null;
    /** Server interceptors (the requests metric counts calls through one). */
    interceptors?: grpc.ServerInterceptor[];
    /**
     * The manager's account of request bytes received and not yet answered, shared with the REST
     * server; absent = one of this server's own, with the service's limits.
     */
    requestBytes?: RequestBytesInFlight;
    /** The account of worker streams' message bytes; absent = one with the service's limits. */
    workerRequestBytes?: RequestBytesInFlight;
    /** The account of answer bytes not yet taken; absent = one with the service's limits. */
    answerBytes?: AnswerBytesInFlight;
  },
  options: {
    host: string;
    port: number;
    /**
     * Serve TLS with these files, asking for client certificates when TLS_CLIENT_CA_FILE is set;
     * absent or `null` = plaintext.
     */
    tls?: ServerTlsFiles | null;
  },
): Promise<GrpcServer> {
  // grpc-js prints its own errors (`E …`) on stderr; they go into the JSON log instead.
  grpc.setLogger({
    error: (...args: unknown[]) => log.warn("gRPC runtime", { detail: args.join(" ") }),
  });
  const protocol = loadProtocol();
  const limits = deps.service.limits;
  // Every handler of the API services goes through one check (health and reflection are open);
  // the caller is found as the call arrives, before its messages are read.
  const authenticator = deps.authenticator ?? null;
  // The methods of health and reflection, open to everyone: their requests are kept small.
  const openPaths = new Set<string>();
  const answers = deps.answerBytes ?? answerBytesInFlight(limits);
  const workPath = protocol.TaskExecutorService.service.Work.path;
  const server = new grpc.Server({
    "grpc.max_receive_message_length": limits.requestBytes,
    "grpc.max_connection_idle_ms": limits.connectionIdleMs,
    // A client without a key kept 20,000 refused calls of 16 KB open on 4 connections (446 MB).
    "grpc.max_concurrent_streams": limits.grpcStreamsPerConnection,
    // The first is nearest the wire: it sees the statuses that the ones after it send.
    interceptors: [
      ...deps.interceptors ?? [],
      // A message flagged compressed without a compression, or cut off by the stream's end: INTERNAL.
      refuseMisframedMessages(),
      // Requests are held until answered; a Produce request's until its last answer.
      holdRequestBytes(deps.requestBytes ?? requestBytesInFlight(limits), {
        untilHandled: new Set([protocol.TaskExecutorManagerService.service.Produce.path]),
        holds: (path) => path !== workPath,
        waits: new Set([protocol.TaskExecutorManagerService.service.CreateAndWatchTask.path]),
      }),
      // A worker stream's messages wait their turn in its handler: held until handled, on an
      // account of their own, so that requests and waits (a create that waits holds its bytes
      // until its task ends) cannot take the room the results that end them need.
      holdRequestBytes(deps.workerRequestBytes ?? requestBytesInFlight(limits), {
        untilHandled: new Set([workPath]),
        holds: (path) => path === workPath,
      }),
      capOpenRequests(openPaths, {
        bytes: OPEN_REQUEST_BYTES,
        perConnection: OPEN_CALLS_PER_CONNECTION,
      }),
      ...authenticator ? [authenticateOnArrival(authenticator)] : [],
      refuseMalformedRequests,
      // An answer is about a page at most: no room for one, no call (the answer would be built).
      answerInTurn(answers, {
        roomFor: limits.pageBytes,
        running: CALLS_RUNNING_PER_CONNECTION,
        waitMs: limits.requestReceiveMs,
      }),
    ],
  });
  // The paths of the methods whose request is one message, as services are added.
  const singleRequestPaths = new Set<string>();
  const openStreams = new OpenHttp2Streams(singleRequestPaths);
  guardHttp2Streams(server, openStreams);
  announceHeaderListLimit(server);
  const addService = (
    definition: grpc.ServiceDefinition,
    implementation: grpc.UntypedServiceImplementation,
  ) => {
    for (const method of Object.values(definition)) {
      if (!method.requestStream) singleRequestPaths.add(method.path);
    }
    server.addService(definition, implementation);
  };
  // Aborted as the server begins to stop: streams that would stay open end once answered.
  const draining = new AbortController();

  const served = [MANAGER_SERVICE_NAME];
  const streams = authenticator ? new OpenStreams(authenticator) : null;
  const what = "gRPC connections (MAX_GRPC_CONNECTIONS)";
  const places = new ConnectionPlaces(
    limits.grpcConnections,
    what,
    new ConnectionRateLimit({
      perSecond: limits.grpcConnectionRateLimit,
      burst: limits.grpcConnectionBurst,
      what: "gRPC connections (GRPC_CONNECTION_RATE_LIMIT, GRPC_CONNECTION_BURST)",
    }),
  );
  const guarded = (
    definition: grpc.ServiceDefinition,
    implementation: grpc.UntypedServiceImplementation,
  ) => guardService({ definition, implementation }, { authenticator, streams, places });
  // Every request is checked against the wire format before it is decoded (wire_check.ts).
  const checked = (definition: grpc.ServiceDefinition, options: { jsonDepth?: number } = {}) =>
    checkedRequests(definition, {
      jsonValues: limits.requestJsonValues,
      elements: limits.requestElements,
      shapes: limits.requestObjectShapes,
      refuseNamesEndingInBackslash: true,
      ...options,
    });
  // Task data, results and schemas are read and written as the bytes of their `Value`s, one
  // JavaScript value per JSON value (proto/value_bytes.ts), which refuses an array or object
  // nested past `jsonDepth` before reading into it: the wire check leaves those unwalked, so any
  // depth gets that answer (INVALID_ARGUMENT naming the spot).
  const manager = producingDefinition(
    checked(withValueBytes(protocol.TaskExecutorManagerService.service), {
      jsonDepth: limits.jsonDepth,
    }),
  );
  addService(
    manager,
    guarded(
      manager,
      createManagerService({
        service: deps.service,
        workers: deps.workers,
        draining: draining.signal,
      }),
    ),
  );
  if (deps.workerService) {
    const worker = measuredWorkerDefinition(checked(protocol.TaskExecutorService.service));
    addService(
      worker,
      // Inside the guard: a stream counts against its key's share from its start (its hello may
      // come up to REQUEST_RECEIVE_MS later), so one key's streams that never say hello cannot
      // take every place either.
      guarded(
        worker,
        capWorkStreams(deps.workerService, limits.workerStreams, deps.service.events),
      ),
    );
    served.push(WORKER_SERVICE_NAME);
  }
  if (deps.legacyService) {
    const legacy = checked(loadLegacyProtocol().TaskExecutorManager.service);
    addService(legacy, guarded(legacy, deps.legacyService));
    served.push(LEGACY_SERVICE_NAME);
  }

  const healthDefinition = checked(
    definitionOf(HEALTH_PROTO, false)[HEALTH_SERVICE_NAME] as grpc.ServiceDefinition,
  );
  const health = new HealthService([...served, HEALTH_SERVICE_NAME], limits.healthWatchers);
  addService(healthDefinition, health.implementation());
  for (const method of Object.values(healthDefinition)) openPaths.add(method.path);

  // Reflection serves the compiled descriptors (snake_case field names, as written); the wire
  // format only knows field numbers, so this matches the camelCase definition handlers decode with.
  const descriptors = [...protocol.fileDescriptors, ...healthDescriptors()];
  for (const path of addReflection(server, descriptors, draining.signal)) {
    openPaths.add(path);
  }

  // Connections come through the manager's own accept loop (capped, and it survives running
  // out of file descriptors), not through `bindAsync`, whose listener stops accepting for good.
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const sockets = new Set<{ socket: Duplex; closed: Promise<void> }>();
  // A client sends the preface as it connects: the sooner of the two deadlines bounds the wait,
  // so that a connection idle before its session and then idle in it stays near the idle limit.
  const prefaceMs = Math.min(limits.connectionIdleMs, limits.tlsHandshakeMs);
  // `readFrames` has the client's frames read before node:http2 reads them (TLS: socket.ts).
  const track = (socket: Duplex, closed: Promise<void>, readFrames?: () => void) => {
    // A stopping server takes no new session: its calls would run, answered by nobody's grace.
    // (A TLS handshake may end after the stop began; its socket is closed at once.)
    const stopping = () => {
      if (!draining.signal.aborted) return false;
      socket.destroy();
      return true;
    };
    if (stopping()) return closed;
    const entry = { socket, closed };
    sockets.add(entry);
    closed.then(() => sockets.delete(entry));
    afterClientPreface(socket, prefaceMs, () => {
      if (stopping()) return;
      readFrames?.();
      answers.watch(socket);
      injector.injectConnection(socket);
    });
    return closed;
  };
  const gateOptions = { hostname: options.host, port: options.port, places, what };
  const gate = options.tls
    ? await openTlsGate({
      ...gateOptions,
      files: options.tls,
      handshakes: "gRPC TLS handshakes (TLS_CERT_FILE, TLS_CLIENT_CA_FILE)",
      // gRPC clients insist on h2 by ALPN.
      alpnProtocols: ["h2"],
      clientCertificates: true,
      handshakeMs: limits.tlsHandshakeMs,
      // The gate closes an evicted TLS connection itself.
      serve: (socket) =>
        track(
          socket,
          new Promise((closed) => socket.once("close", () => closed())),
          () => readClientFramesFirst(socket, `${socket.remoteAddress}:${socket.remotePort}`),
        ),
    })
    : openConnectionGate({
      ...gateOptions,
      serve: (conn, place) => {
        const { socket, closed } = nodeSocketOf(conn);
        place.evicted.addEventListener("abort", () => socket.destroy());
        return track(socket, closed);
      },
    });

  let closing: Promise<void> | undefined;
  return {
    port: gate.addr.port,
    get acceptError() {
      return gate.acceptError;
    },
    connections: gate,
    setServing: (serving) => health.set(serving),
    close: (closeOptions = {}) => {
      streams?.[Symbol.dispose]();
      draining.abort();
      closing ??= (async () => {
        const graceMs = closeOptions.graceMs ?? 5000;
        const deadline = performance.now() + graceMs;
        await gate.close();
        await shutdown(server, health, openStreams, graceMs);
        // grpc-js ends its HTTP/2 sessions but can leave their connections open: each is ended
        // once what it was handed is written, within the grace (over TLS the last records, a
        // call's status, were still on their way when the socket was destroyed at once).
        await new Promise((resolve) => setImmediate(resolve));
        await Promise.all(
          [...sockets].map(({ socket, closed }) =>
            endWritten(socket, closed, deadline - performance.now())
          ),
        );
      })();
      return closing;
    },
  };
}

/**
 * Ends `socket` once what it was handed is written (its `finish`), or it closes, or `ms` pass;
 * then destroys it. Resolves with `closed`.
 */
async function endWritten(socket: Duplex, closed: Promise<void>, ms: number): Promise<void> {
  if (!socket.destroyed) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, ms));
      socket.once("finish", resolve);
      socket.once("close", resolve);
      socket.end();
    });
    clearTimeout(timer);
    socket.destroy();
  }
  return closed;
}

/**
 * `Work` streams beyond `max` open at once, or beyond the caller's key's share of them
 * (`server/auth/shares.ts`), are refused with RESOURCE_EXHAUSTED. A stream counts from its start,
 * before its hello; `refusals` are told of the share's refusals. `service` runs inside the guard
 * (`callerOf`).
 */
function capWorkStreams(
  service: grpc.UntypedServiceImplementation,
  max: number,
  refusals: ShareRefusals,
): grpc.UntypedServiceImplementation {
  const work = service.Work as grpc.handleBidiStreamingCall<unknown, unknown>;
  const shares = new KeyShares("worker_streams", refusals);
  let open = 0;
  const capped: grpc.handleBidiStreamingCall<unknown, unknown> = (call) => {
    let giveShare: () => void;
    try {
      if (open >= max) {
        throw new ResourceExhaustedError(
          `Too many worker streams: this manager serves at most ${max} (MAX_WORKER_STREAMS)`,
        );
      }
      giveShare = shares.take(callerOf(call), 1, max);
    } catch (error) {
      call.emit("error", toGrpcError(error));
      return;
    }
    open++;
    let counted = true;
    const release = () => {
      if (counted) open--;
      counted = false;
      giveShare();
    };
    call.once("close", release);
    call.once("cancelled", release);
    work(call);
  };
  return { ...service, Work: capped };
}

/**
 * Refuses new calls, waits up to `graceMs` for every open stream to end, then cuts the rest.
 * grpc-js's own `tryShutdown` is not waited for alone: it calls back once Deno has marked the
 * sessions closed, which it does before their streams are done (an answer still on its way to
 * a slow client was cut 12 ms into a 10 s grace).
 */
async function shutdown(
  server: grpc.Server,
  health: HealthService,
  openStreams: OpenHttp2Streams,
  graceMs: number,
) {
  health.set(false);
  health.endWatches();
  const stopped = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  openStreams.refuseUnstarted();
  const done = await waitAtMost(Promise.all([stopped, openStreams.drained()]), graceMs);
  if (!done) server.forceShutdown();
}
