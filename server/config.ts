/**
 * Manager configuration from environment variables, validated at start: a bad value stops the
 * manager with a message naming the variable.
 */

import { parseToken } from "./auth/token.ts";
import { DEFAULT_LIMITS, LIMIT_VARIABLES, type Limits } from "./domain/limits.ts";
import { parseDuration } from "./domain/time.ts";
import { OPEN_CALL_BYTES } from "./request_bytes.ts";
import { readServerTls, type ServerTls, TlsFileError } from "./tls.ts";
import { type OtlpSettings, otlpSettings } from "@tasks-executor/proto/tracing";
import {
  KEEPALIVE_DEFAULT_MS,
  KEEPALIVE_MAX_MS,
  KEEPALIVE_MIN_MS,
  SILENCE_WITHOUT_KEEPALIVE_DEFAULT_MS,
  SILENCE_WITHOUT_KEEPALIVE_MAX_MS,
  SILENCE_WITHOUT_KEEPALIVE_MIN_MS,
} from "./domain/keepalive.ts";

/** The longest delay a timer takes, in ms (2^31 - 1): a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;
/**
 * What one request of the largest size holds on its connection's account besides its bytes, at
 * most: over gRPC, its call's `OPEN_CALL_BYTES` and its framing and header list (1 KiB).
 */
const ONE_REQUEST_OVERHEAD = OPEN_CALL_BYTES + 1024;

/** Log verbosity. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Everything the manager can be told. */
export interface Config {
  /** REST + admin page port (MANAGER_PORT, default 8080; 0 = any free port). */
  httpPort: number;
  /** gRPC port (MANAGER_GRPC_PORT, default 50051; 0 = any free port). */
  grpcPort: number;
  /** Address both servers listen on (MANAGER_HOST, default 0.0.0.0). */
  host: string;
  /** MongoDB connection string (MONGO_URI); unset = the embedded store. */
  mongoUri: string | null;
  /** MongoDB database (MONGO_DB, default task_executor). */
  mongoDb: string;
  /** Folder of the embedded store (DATA_DIR, default ./data). */
  dataDir: string;
  /** LOG_LEVEL: debug | info | warn | error (default info). */
  logLevel: LogLevel;
  /** LOG_FORMAT: json (default) | pretty. */
  logFormat: "json" | "pretty";
  /** Size, count and connection limits (see `server/domain/limits.ts`). */
  limits: Limits;
  /** How long completed and cancelled tasks are kept (COMPLETED_TASK_TTL, default 7d; 0 = forever). */
  completedTaskTtlMs: number;
  /** How long task history (per executor and minute) is kept (HISTORY_TTL, default 7d; 0 = forever). */
  historyTtlMs: number;
  /** How long shutdown waits for in-flight requests and streams (SHUTDOWN_GRACE_MS, default 10s). */
  shutdownGraceMs: number;
  /** How often expired leases are looked for (RESCUE_INTERVAL_MS, default 1s). */
  rescueIntervalMs: number;
  /**
   * How often, at least, the manager and a worker write to each other on a work stream; one that
   * hears nothing for 3 intervals drops the stream (KEEPALIVE_INTERVAL, default 10s, from 100ms to
   * 5m; see `server/domain/keepalive.ts`).
   */
  keepaliveIntervalMs: number;
  /**
   * How long a work stream whose worker does not speak keepalive may stay silent before the
   * manager closes it (SILENCE_WITHOUT_KEEPALIVE, default 5m, from 100ms to 1d; see
   * `server/domain/keepalive.ts`).
   */
  silenceWithoutKeepaliveMs: number;
  /** Whether callers need an API key (AUTH: on, the default, | off). */
  auth: boolean;
  /**
   * A token (`te_<id>_<secret>`) the manager makes sure exists as an admin key at start
   * (BOOTSTRAP_ADMIN_KEY), or `null`.
   */
  bootstrapAdminKey: string | null;
  /**
   * Host names the REST server answers to, lowercase: localhost, 127.0.0.1, ::1 and MANAGER_HOST,
   * plus the names in ALLOWED_HOSTS (comma list; `*` = any). IP literals are always answered.
   */
  allowedHosts: string[];
  /** Origins whose pages may call the REST API (CORS_ORIGINS, comma list; default none). */
  corsOrigins: string[];
  /**
   * TLS on both servers from the PEM files TLS_CERT_FILE and TLS_KEY_FILE (both or neither), read
   * at start and again on SIGHUP; client certificates asked of gRPC clients when TLS_CLIENT_CA_FILE
   * is set. `null` = plaintext.
   */
  tls: ServerTls | null;
  /**
   * Span export over OTLP/HTTP (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else
   * OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces; OTEL_SERVICE_NAME, default tasks-executor;
   * OTEL_SDK_DISABLED=true turns it off). `null` = off.
   */
  tracing: OtlpSettings | null;
}

/** A configuration value that cannot be used. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export { parseDuration };

function commaList(text: string | undefined): string[] {
  return (text ?? "").split(",").map((item) => item.trim()).filter((item) => item !== "");
}

/**
 * Loopback names are always answered: a DNS-rebinding page cannot make a browser send them as
 * `Host`, and the first-start address names `localhost`. ALLOWED_HOSTS adds to them.
 */
const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1"];

function allowedHostsOf(text: string | undefined, managerHost: string): string[] {
  const listed = commaList(text).map((host) => host.toLowerCase().replace(/^\[(.*)\]$/, "$1"));
  const hosts = [...LOOPBACK_HOSTS, managerHost, ...listed];
  for (const host of hosts) {
    if (host !== "*" && !/^[a-z0-9.:-]+$/.test(host)) {
      throw new ConfigError(
        `ALLOWED_HOSTS must list host names (or *), separated by commas, got "${host}"`,
      );
    }
  }
  return [...new Set(hosts)];
}

function corsOriginsOf(text: string | undefined): string[] {
  return commaList(text).map((origin) => {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      // Reported below.
    }
    if (
      !parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin.replace(/\/$/, "")
    ) {
      throw new ConfigError(
        `CORS_ORIGINS must list origins such as https://app.example.com, separated by commas, got "${origin}"`,
      );
    }
    return parsed.origin;
  });
}

/**
 * Reads the configuration from `env`.
 *
 * @throws {ConfigError} naming the variable and what it must be
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const port = (name: string, fallback: number) => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n > 65535) {
      throw new ConfigError(`${name} must be a port number from 0 to 65535, got "${v}"`);
    }
    return n;
  };
  const duration = (name: string, fallback: number) => {
    const v = value(name);
    if (v === undefined) return fallback;
    const ms = parseDuration(v);
    if (ms === undefined) {
      throw new ConfigError(
        `${name} must be a duration such as 500ms, 30s, 7d or plain milliseconds, got "${v}"`,
      );
    }
    return ms;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const v = value(name);
    if (v === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(v)) {
      throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, got "${v}"`);
    }
    return v as T;
  };

  const mongoUri = value("MONGO_URI") ?? null;
  if (mongoUri !== null && !/^mongodb(\+srv)?:\/\//.test(mongoUri)) {
    throw new ConfigError(`MONGO_URI must start with mongodb:// or mongodb+srv://`);
  }
  const mongoDb = value("MONGO_DB") ?? "task_executor";
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(mongoDb)) {
    throw new ConfigError(`MONGO_DB must be 1-63 letters, digits, _ or -, got "${mongoDb}"`);
  }
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const [key, name] of Object.entries(LIMIT_VARIABLES) as [keyof Limits, string][]) {
    const v = value(name);
    if (v === undefined) continue;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) {
      throw new ConfigError(`${name} must be a whole number of at least 1, got "${v}"`);
    }
    // Times are timer delays: past 2^31 - 1 ms (24.8 days) a timer fires at once.
    if (key.endsWith("Ms") && n > MAX_TIMER_MS) {
      throw new ConfigError(`${name} must be at most ${MAX_TIMER_MS} ms, got "${v}"`);
    }
    limits[key] = n;
  }
  if (limits.requestBytes < 1024) {
    throw new ConfigError(`MAX_REQUEST_BYTES must be at least 1024, got "${limits.requestBytes}"`);
  }
  // Unset, the caps on request bytes in flight grow with a larger MAX_REQUEST_BYTES; set, a
  // connection must be able to bring one request of the largest size (with its framing, its
  // headers and, over gRPC, what its call holds for being open).
  if (value("MAX_CONNECTION_REQUEST_BYTES") === undefined) {
    limits.connectionRequestBytes = Math.max(
      limits.connectionRequestBytes,
      4 * limits.requestBytes,
    );
  }
  if (value("MAX_REQUEST_BYTES_IN_FLIGHT") === undefined) {
    limits.requestBytesInFlight = Math.max(
      limits.requestBytesInFlight,
      4 * limits.connectionRequestBytes,
    );
  }
  const oneRequest = limits.requestBytes + ONE_REQUEST_OVERHEAD;
  if (limits.connectionRequestBytes < oneRequest) {
    throw new ConfigError(
      `MAX_CONNECTION_REQUEST_BYTES must be at least MAX_REQUEST_BYTES + ${ONE_REQUEST_OVERHEAD} (${oneRequest}: a request of the largest size, and what its gRPC call holds for being open), got "${limits.connectionRequestBytes}"`,
    );
  }
  if (limits.requestBytesInFlight < limits.connectionRequestBytes) {
    throw new ConfigError(
      `MAX_REQUEST_BYTES_IN_FLIGHT must be at least MAX_CONNECTION_REQUEST_BYTES (${limits.connectionRequestBytes}), got "${limits.requestBytesInFlight}"`,
    );
  }
  // An answer is at most a page (or one task at its limits, about as much): a connection must be
  // able to hold a few while its client reads them.
  const fewAnswers = 4 * limits.pageBytes;
  if (limits.connectionAnswerBytes < fewAnswers) {
    throw new ConfigError(
      `MAX_CONNECTION_ANSWER_BYTES must be at least 4 pages of answers (${fewAnswers}), got "${limits.connectionAnswerBytes}"`,
    );
  }
  if (limits.answerBytesInFlight < limits.connectionAnswerBytes) {
    throw new ConfigError(
      `MAX_ANSWER_BYTES_IN_FLIGHT must be at least MAX_CONNECTION_ANSWER_BYTES (${limits.connectionAnswerBytes}), got "${limits.answerBytesInFlight}"`,
    );
  }
  const bootstrapAdminKey = value("BOOTSTRAP_ADMIN_KEY") ?? null;
  if (bootstrapAdminKey !== null && parseToken(bootstrapAdminKey) === null) {
    throw new ConfigError(
      "BOOTSTRAP_ADMIN_KEY must be a token of the form te_<16 hex digits>_<43 base64url characters>",
    );
  }
  const rescueIntervalMs = duration("RESCUE_INTERVAL_MS", 1000);
  if (rescueIntervalMs < 10) throw new ConfigError("RESCUE_INTERVAL_MS must be at least 10ms");

  const keepaliveIntervalMs = duration("KEEPALIVE_INTERVAL", KEEPALIVE_DEFAULT_MS);
  if (keepaliveIntervalMs < KEEPALIVE_MIN_MS || keepaliveIntervalMs > KEEPALIVE_MAX_MS) {
    throw new ConfigError(
      `KEEPALIVE_INTERVAL must be from ${KEEPALIVE_MIN_MS}ms to ${
        KEEPALIVE_MAX_MS / 60_000
      }m, got "${value("KEEPALIVE_INTERVAL")}"`,
    );
  }

  const silenceWithoutKeepaliveMs = duration(
    "SILENCE_WITHOUT_KEEPALIVE",
    SILENCE_WITHOUT_KEEPALIVE_DEFAULT_MS,
  );
  if (
    silenceWithoutKeepaliveMs < SILENCE_WITHOUT_KEEPALIVE_MIN_MS ||
    silenceWithoutKeepaliveMs > SILENCE_WITHOUT_KEEPALIVE_MAX_MS
  ) {
    throw new ConfigError(
      `SILENCE_WITHOUT_KEEPALIVE must be from ${SILENCE_WITHOUT_KEEPALIVE_MIN_MS}ms to ${
        SILENCE_WITHOUT_KEEPALIVE_MAX_MS / 86_400_000
      }d, got "${value("SILENCE_WITHOUT_KEEPALIVE")}"`,
    );
  }

  const httpPort = port("MANAGER_PORT", 8080);
  const grpcPort = port("MANAGER_GRPC_PORT", 50051);
  // Both servers listen on MANAGER_HOST: the second would find the port taken, and its error
  // would name one server only.
  if (httpPort !== 0 && httpPort === grpcPort) {
    throw new ConfigError(
      `MANAGER_PORT (REST) and MANAGER_GRPC_PORT (gRPC) must be different ports, both are ${httpPort}` +
        " (the defaults are 8080 and 50051; 0 = any free port)",
    );
  }
  const host = value("MANAGER_HOST") ?? "0.0.0.0";
  let tls: ServerTls | null;
  try {
    tls = readServerTls({
      certFile: value("TLS_CERT_FILE"),
      keyFile: value("TLS_KEY_FILE"),
      clientCaFile: value("TLS_CLIENT_CA_FILE"),
    });
  } catch (error) {
    throw error instanceof TlsFileError ? new ConfigError(error.message) : error;
  }
  let tracing: OtlpSettings | null;
  try {
    tracing = otlpSettings(value, "tasks-executor");
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return {
    httpPort,
    grpcPort,
    host,
    mongoUri,
    mongoDb,
    dataDir: value("DATA_DIR") ?? "./data",
    logLevel: oneOf("LOG_LEVEL", ["debug", "info", "warn", "error"] as const, "info"),
    logFormat: oneOf("LOG_FORMAT", ["json", "pretty"] as const, "json"),
    limits,
    completedTaskTtlMs: duration("COMPLETED_TASK_TTL", 7 * 86_400_000),
    historyTtlMs: duration("HISTORY_TTL", 7 * 86_400_000),
    shutdownGraceMs: duration("SHUTDOWN_GRACE_MS", 10_000),
    rescueIntervalMs,
    keepaliveIntervalMs,
    silenceWithoutKeepaliveMs,
    auth: oneOf("AUTH", ["on", "off"] as const, "on") === "on",
    bootstrapAdminKey,
    allowedHosts: allowedHostsOf(value("ALLOWED_HOSTS"), host.toLowerCase()),
    corsOrigins: corsOriginsOf(value("CORS_ORIGINS")),
    tls,
    tracing,
  };
}
