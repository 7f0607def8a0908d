/**
 * Every size, depth, count and time limit on what clients, workers and connections bring, in one
 * table. The README's "Limits" section mirrors it; each limit is enforced in one place.
 */

/** The manager's limits. Sizes are bytes of UTF-8 JSON text unless said otherwise. */
export interface Limits {
  /** Largest REST request body and largest gRPC message received (MAX_REQUEST_BYTES). */
  requestBytes: number;
  /** Largest task `data`, as JSON text (TASK_DATA_MAX_BYTES). */
  taskDataBytes: number;
  /** Largest task `result`, as JSON text (TASK_RESULT_MAX_BYTES). */
  resultBytes: number;
  /** Longest error message kept per failed attempt, in characters; longer ones are cut, marked. */
  errorMessageChars: number;
  /** Most metadata entries per task. */
  metadataEntries: number;
  /** Longest metadata key, in characters. */
  metadataKeyChars: number;
  /** Longest metadata value, in characters. */
  metadataValueChars: number;
  /** Longest task idempotency key, in characters. */
  idempotencyKeyChars: number;
  /** Deepest nesting of arrays and objects in data, results and schemas. */
  jsonDepth: number;
  /** Largest executor `taskSchema`, as JSON text (TASK_SCHEMA_MAX_BYTES). */
  schemaBytes: number;
  /** Largest answer page of tasks or DLQ entries, as JSON text; a page holds at least one item. */
  pageBytes: number;
  /** Open REST connections; more are closed at once (MAX_HTTP_CONNECTIONS). */
  httpConnections: number;
  /** Open gRPC connections; more are closed at once (MAX_GRPC_CONNECTIONS). */
  grpcConnections: number;
  /** Concurrent worker streams (`Work`) per manager (MAX_WORKER_STREAMS). */
  workerStreams: number;
  /** Concurrent event-stream (SSE) subscribers per manager (MAX_SSE_SUBSCRIBERS). */
  sseSubscribers: number;
  /**
   * A connection with no request or call running for this many ms is closed, one that never sends
   * a request included (CONNECTION_IDLE_MS).
   */
  connectionIdleMs: number;
  /** Most credits one worker stream may hold per executor. */
  creditsPerExecutor: number;
  /** Most tasks leased to one worker stream and not yet settled. */
  assignmentsInFlight: number;
  /** Longest worker id, task id or lease token a worker sends, in characters. */
  idChars: number;
}

/** The limits a manager runs with when nothing is configured. */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  requestBytes: 4 * 1024 * 1024,
  taskDataBytes: 1024 * 1024,
  resultBytes: 1024 * 1024,
  errorMessageChars: 4096,
  metadataEntries: 64,
  metadataKeyChars: 256,
  metadataValueChars: 4096,
  idempotencyKeyChars: 256,
  jsonDepth: 64,
  schemaBytes: 64 * 1024,
  pageBytes: 2 * 1024 * 1024,
  httpConnections: 1000,
  grpcConnections: 1000,
  workerStreams: 1000,
  sseSubscribers: 200,
  connectionIdleMs: 60_000,
  creditsPerExecutor: 10_000,
  assignmentsInFlight: 10_000,
  idChars: 256,
};

/** Limits that can be set by environment variable, by the variable's name. */
export const LIMIT_VARIABLES: Readonly<Partial<Record<keyof Limits, string>>> = {
  requestBytes: "MAX_REQUEST_BYTES",
  taskDataBytes: "TASK_DATA_MAX_BYTES",
  resultBytes: "TASK_RESULT_MAX_BYTES",
  schemaBytes: "TASK_SCHEMA_MAX_BYTES",
  httpConnections: "MAX_HTTP_CONNECTIONS",
  grpcConnections: "MAX_GRPC_CONNECTIONS",
  workerStreams: "MAX_WORKER_STREAMS",
  sseSubscribers: "MAX_SSE_SUBSCRIBERS",
  connectionIdleMs: "CONNECTION_IDLE_MS",
};

/**
 * The latest time the manager stores or computes, in epoch ms (year 9999, end of year); a computed
 * time beyond it (a retry's backoff, say) is clamped to it, and a given one is refused.
 */
export const MAX_TIME_MS = 253_402_300_799_999;

/** The longest delay before a retry (30 days, in ms): computed backoffs and retry-after are capped. */
export const MAX_RETRY_DELAY_MS = 30 * 24 * 3600 * 1000;
