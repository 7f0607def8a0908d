/**
 * Every size, depth, count and time limit on what clients, workers and connections bring, in one
 * table. The README's "Limits" section mirrors it, one short row a limit, and docs/limits.md gives
 * each limit's details (what exactly is counted, why, the measurements); each limit is enforced in
 * one place.
 *
 * The largest task under the defaults, as one gRPC answer (protobuf; UTF-8 takes at most 3 bytes
 * per UTF-16 unit), measured by tests/task_size_budget_test.ts:
 *
 * | part                                                           | bytes                        |
 * | -------------------------------------------------------------- | ---------------------------- |
 * | data + result (1 MiB each, as JSON text)                       | 2,097,152                    |
 * | metadata: 64 × (256 + 4,096 characters) × 3                    | 835,584 (+ framing)          |
 * | errors: `errorsKept` 50 × ((4,096 + 256) characters × 3 + ~28) | 50 × 13,084 = 654,200        |
 * | their stacks and logs: 50 × ((2,000 + 10 × 150) chars × 3)     | 50 × ~10,540 = ~527,000      |
 * | the completed attempt's logs (10 × 150 × 3), progress (1 KiB)  | ~5,600                       |
 * | id, key, worker id, lease token, times, counts                 | ~2,900                       |
 * | one task in all                                                | 4,122,772 (a DLQ entry +924) |
 *
 * That is under the 4 MiB (4,194,304) a default gRPC client receives, which is what sets the caps
 * on stack traces, log lines and progress; 100 errors kept would not be. It is not under
 * `pageBytes` (2 MiB): data and result at their limits already take 2 MiB, so such a task comes
 * alone on its page (a page holds at least one item). As REST JSON, escapes (`\u0001` is 6
 * bytes) can make metadata and error messages up to twice as long.
 */

/** The manager's limits. Sizes are bytes of UTF-8 JSON text unless said otherwise. */
export interface Limits {
  /** Largest REST request body and largest gRPC message received (MAX_REQUEST_BYTES). */
  requestBytes: number;
  /**
   * Bytes of requests received and not yet answered, over all connections: REST bodies from
   * their first byte to their answer, gRPC messages from their first byte until their call is
   * answered (a stream's: until handled). Worker streams' messages are held on an account of
   * their own with the same caps (MAX_REQUEST_BYTES_IN_FLIGHT; `request_bytes.ts`).
   */
  requestBytesInFlight: number;
  /** The same, on one connection (MAX_CONNECTION_REQUEST_BYTES). */
  connectionRequestBytes: number;
  /**
   * Bytes of gRPC answers written and not yet taken by their clients, over all connections
   * (MAX_ANSWER_BYTES_IN_FLIGHT; `grpc/answer_bytes.ts`).
   */
  answerBytesInFlight: number;
  /** The same, on one connection (MAX_CONNECTION_ANSWER_BYTES). */
  connectionAnswerBytes: number;
  /**
   * Longest time a request may take to arrive, in ms, to the last byte its handler needs: a REST
   * body from when its handler starts reading it, a gRPC message from its first byte (a unary
   * call's until its end arrives) (REQUEST_RECEIVE_MS). Held bytes are given back when it passes.
   */
  requestReceiveMs: number;
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
  /**
   * Most JSON values (`google.protobuf.Value` messages: each number, string, array, object, …)
   * one gRPC request may hold, over all its fields (MAX_REQUEST_JSON_VALUES). Each is several
   * objects once decoded, about a microsecond of the manager's one thread: checked on the wire,
   * before decoding (server/grpc/wire_check.ts).
   */
  requestJsonValues: number;
  /**
   * Most elements one gRPC request may hold outside its JSON values: messages, map entries and
   * values of repeated fields (MAX_REQUEST_ELEMENTS). Each is an object or an array slot once
   * decoded, about a microsecond of the manager's one thread: checked on the wire, before
   * decoding (server/grpc/wire_check.ts).
   */
  requestElements: number;
  /**
   * Most object shapes (distinct runs of member names an object starts with) the JSON of one
   * request may hold, over all its fields: REST bodies, gRPC `Struct`s and maps, the original
   * interface's JSON bytes; and of one worker's result, and one heartbeat's progress
   * (MAX_REQUEST_OBJECT_SHAPES). Each new one costs about 1-3 µs of the manager's one thread to
   * read (proto/json_text.ts): counted before anything is parsed.
   */
  requestObjectShapes: number;
  /** Largest executor `taskSchema`, as JSON text (TASK_SCHEMA_MAX_BYTES). */
  schemaBytes: number;
  /**
   * Most CPU time (of its validation process) one task's data may take to validate against its
   * schema, in ms (TASK_VALIDATION_MS).
   */
  validationMs: number;
  /**
   * Most CPU time (of its validation process) a task schema may take to compile, in ms
   * (TASK_SCHEMA_COMPILE_MS).
   */
  schemaCompileMs: number;
  /** Largest answer page of tasks or DLQ entries, as JSON text; a page holds at least one item. */
  pageBytes: number;
  /**
   * Open REST connections; one more takes the place of the connection idle the longest, or is
   * closed at once when every one has a request running (MAX_HTTP_CONNECTIONS).
   */
  httpConnections: number;
  /**
   * REST requests whose body is arriving, on one port; one more makes room by ending the one that
   * has gone the longest without a byte of its body, with 408 (MAX_HTTP_BODIES_ARRIVING).
   */
  httpBodiesArriving: number;
  /**
   * Open gRPC connections; one more takes the place of the connection idle the longest, or is
   * closed at once when every one has an authenticated call running (MAX_GRPC_CONNECTIONS).
   */
  grpcConnections: number;
  /**
   * New gRPC connections a second one client address (an IPv4 address, an IPv6 /64) may open once
   * its burst is spent; past it a new one is closed as it is accepted
   * (GRPC_CONNECTION_RATE_LIMIT).
   */
  grpcConnectionRateLimit: number;
  /** New gRPC connections one client address may open at once after a quiet spell (GRPC_CONNECTION_BURST). */
  grpcConnectionBurst: number;
  /**
   * Logins (`POST /api/v1/session`) a second one client address (an IPv4 address, an IPv6 /64)
   * may attempt once its burst is spent; past it one is refused with 429 before its body is read
   * (LOGIN_RATE_LIMIT).
   */
  loginRateLimit: number;
  /** Logins one client address may attempt at once after a quiet spell (LOGIN_BURST). */
  loginBurst: number;
  /**
   * Calls (HTTP/2 streams) one gRPC connection may have open at once, as the manager announces in
   * its HTTP/2 settings; a client waits for a free one before it opens more
   * (MAX_GRPC_STREAMS_PER_CONNECTION).
   */
  grpcStreamsPerConnection: number;
  /** Concurrent worker streams (`Work`) per manager (MAX_WORKER_STREAMS). */
  workerStreams: number;
  /** Concurrent event-stream (SSE) subscribers per manager (MAX_SSE_SUBSCRIBERS). */
  sseSubscribers: number;
  /** Concurrent gRPC health `Watch` streams per manager (MAX_HEALTH_WATCHERS); open to everyone. */
  healthWatchers: number;
  /**
   * A connection with no request or call running for this many ms is closed, one that never sends
   * a request included (CONNECTION_IDLE_MS).
   */
  connectionIdleMs: number;
  /**
   * A TLS client must finish its handshake within this many ms of connecting, else its socket is
   * closed: one that never sends a byte included (TLS_HANDSHAKE_MS). A gRPC client must send the
   * HTTP/2 preface within the sooner of this and `connectionIdleMs` of connecting (over TLS, of
   * its handshake's end), plaintext too.
   */
  tlsHandshakeMs: number;
  /** Most credits one worker stream may hold per executor. */
  creditsPerExecutor: number;
  /** Most tasks leased to one worker stream and not yet settled. */
  assignmentsInFlight: number;
  /** Longest worker id, task id or lease token a worker sends, in characters. */
  idChars: number;
  /** Most attempt errors a task keeps: the first and the newest (see `keepTaskErrors`). */
  errorsKept: number;
  /** Longest stack trace kept per failed attempt, in characters; longer ones are cut, marked. */
  errorStackChars: number;
  /** Most log lines kept per attempt (`ctx.log`); more are dropped and counted in a last line. */
  attemptLogLines: number;
  /** Longest log line kept, in characters; longer ones are cut, marked. */
  attemptLogLineChars: number;
  /** Largest progress a worker reports (`ctx.heartbeat(progress)`), as JSON text. */
  progressBytes: number;
  /** Longest API key name, in characters. */
  keyNameChars: number;
  /**
   * Most executors a store holds (MAX_EXECUTORS); one more is refused. Each carries a schema of up
   * to `schemaBytes`, every manager reads them all again every few seconds, and the executor list
   * answers them all at once: 2,000 executors of 60 KB schemas made a 121 MB list (1.3–4 s to
   * answer), held the manager's thread up to 474 ms at each reread and took RSS to 1.3 GB.
   */
  executors: number;
  /** Most executors one API key may be limited to. */
  keyExecutors: number;
  /** Most schedules a store holds (one more is refused). */
  schedules: number;
  /** Longest cron expression or interval text (`every`, `jitter`), in characters. */
  scheduleExpressionChars: number;
  /** Longest schedule time zone (`timezone`), in characters. */
  timezoneChars: number;
  /** Most fire times one answer or preview lists, and the highest `maxMissedFires`. */
  scheduleFires: number;
  /** Admin page sessions open at once per manager; one more login is refused (MAX_SESSIONS). */
  sessions: number;
  /** How long an admin page session lasts after login, in ms (SESSION_TTL_MS). */
  sessionTtlMs: number;
  /** Most task ids one wait (`WatchTasks`, `GET /api/v1/tasks/watch`) may name. */
  watchTaskIds: number;
  /** Waits (watch streams, long polls) open at once per manager (MAX_TASK_WATCHERS). */
  taskWatchers: number;
  /** Task ids waited for at once per manager, over all waits (MAX_WATCHED_TASKS). */
  watchedTasks: number;
  /** Longest long poll (`GET /api/v1/tasks/{id}?wait=…`), in ms. */
  waitMs: number;
  /** Most points one history read answers (`(to - from) / step`). */
  historyPoints: number;
  /** Most tasks or DLQ entries one bulk call handles; its `nextCursor` goes on (BULK_MAX_TASKS). */
  bulkTasks: number;
  /** Most tasks one search page looks at; its `nextCursor` goes on (SEARCH_SCAN_TASKS). */
  searchScanTasks: number;
  /** Longest time one search page spends looking, in ms (SEARCH_SCAN_MS). */
  searchScanMs: number;
  /** Longest JSON pointer, metadata key or value a search names, in characters. */
  searchTermChars: number;
  /**
   * Task searches and history reads running at once per manager (MAX_SEARCHES); a key that is not
   * an admin key runs half. Each gives the thread back every 10 ms, so this bounds how long other requests wait.
   */
  searches: number;
  /**
   * Task searches and history reads waiting for one of those places, per manager (MAX_SEARCHES_QUEUED); one more is
   * refused (503 / RESOURCE_EXHAUSTED). A key that is not an admin key runs and queues half of
   * both together.
   */
  searchesQueued: number;
}

/** The limits a manager runs with when nothing is configured. */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  requestBytes: 4 * 1024 * 1024,
  requestBytesInFlight: 256 * 1024 * 1024,
  connectionRequestBytes: 64 * 1024 * 1024,
  answerBytesInFlight: 256 * 1024 * 1024,
  connectionAnswerBytes: 64 * 1024 * 1024,
  requestReceiveMs: 30_000,
  taskDataBytes: 1024 * 1024,
  resultBytes: 1024 * 1024,
  errorMessageChars: 4096,
  metadataEntries: 64,
  metadataKeyChars: 256,
  metadataValueChars: 4096,
  idempotencyKeyChars: 256,
  jsonDepth: 64,
  requestJsonValues: 256 * 1024,
  requestElements: 64 * 1024,
  requestObjectShapes: 16 * 1024,
  schemaBytes: 64 * 1024,
  validationMs: 250,
  schemaCompileMs: 2000,
  pageBytes: 2 * 1024 * 1024,
  httpConnections: 1000,
  httpBodiesArriving: 1024,
  grpcConnections: 1000,
  grpcConnectionRateLimit: 20,
  grpcConnectionBurst: 1000,
  loginRateLimit: 10,
  loginBurst: 100,
  grpcStreamsPerConnection: 1000,
  workerStreams: 1000,
  sseSubscribers: 200,
  healthWatchers: 100,
  connectionIdleMs: 60_000,
  tlsHandshakeMs: 10_000,
  creditsPerExecutor: 10_000,
  assignmentsInFlight: 10_000,
  idChars: 256,
  errorsKept: 50,
  errorStackChars: 2000,
  attemptLogLines: 10,
  attemptLogLineChars: 150,
  progressBytes: 1024,
  keyNameChars: 128,
  executors: 1000,
  keyExecutors: 100,
  schedules: 10_000,
  scheduleExpressionChars: 256,
  timezoneChars: 64,
  scheduleFires: 100,
  sessions: 10_000,
  sessionTtlMs: 12 * 3600 * 1000,
  watchTaskIds: 1000,
  taskWatchers: 1000,
  watchedTasks: 10_000,
  waitMs: 60_000,
  historyPoints: 1500,
  bulkTasks: 1000,
  searchScanTasks: 10_000,
  searchScanMs: 1000,
  searchTermChars: 1024,
  searches: 4,
  searchesQueued: 64,
};

/** Limits that can be set by environment variable, by the variable's name. */
export const LIMIT_VARIABLES: Readonly<Partial<Record<keyof Limits, string>>> = {
  requestBytes: "MAX_REQUEST_BYTES",
  requestBytesInFlight: "MAX_REQUEST_BYTES_IN_FLIGHT",
  connectionRequestBytes: "MAX_CONNECTION_REQUEST_BYTES",
  answerBytesInFlight: "MAX_ANSWER_BYTES_IN_FLIGHT",
  connectionAnswerBytes: "MAX_CONNECTION_ANSWER_BYTES",
  requestReceiveMs: "REQUEST_RECEIVE_MS",
  requestJsonValues: "MAX_REQUEST_JSON_VALUES",
  requestElements: "MAX_REQUEST_ELEMENTS",
  requestObjectShapes: "MAX_REQUEST_OBJECT_SHAPES",
  taskDataBytes: "TASK_DATA_MAX_BYTES",
  resultBytes: "TASK_RESULT_MAX_BYTES",
  schemaBytes: "TASK_SCHEMA_MAX_BYTES",
  validationMs: "TASK_VALIDATION_MS",
  schemaCompileMs: "TASK_SCHEMA_COMPILE_MS",
  httpConnections: "MAX_HTTP_CONNECTIONS",
  httpBodiesArriving: "MAX_HTTP_BODIES_ARRIVING",
  grpcConnections: "MAX_GRPC_CONNECTIONS",
  grpcConnectionRateLimit: "GRPC_CONNECTION_RATE_LIMIT",
  grpcConnectionBurst: "GRPC_CONNECTION_BURST",
  loginRateLimit: "LOGIN_RATE_LIMIT",
  loginBurst: "LOGIN_BURST",
  grpcStreamsPerConnection: "MAX_GRPC_STREAMS_PER_CONNECTION",
  executors: "MAX_EXECUTORS",
  workerStreams: "MAX_WORKER_STREAMS",
  sseSubscribers: "MAX_SSE_SUBSCRIBERS",
  healthWatchers: "MAX_HEALTH_WATCHERS",
  connectionIdleMs: "CONNECTION_IDLE_MS",
  tlsHandshakeMs: "TLS_HANDSHAKE_MS",
  sessions: "MAX_SESSIONS",
  sessionTtlMs: "SESSION_TTL_MS",
  taskWatchers: "MAX_TASK_WATCHERS",
  watchedTasks: "MAX_WATCHED_TASKS",
  bulkTasks: "BULK_MAX_TASKS",
  searchScanTasks: "SEARCH_SCAN_TASKS",
  searchScanMs: "SEARCH_SCAN_MS",
  searches: "MAX_SEARCHES",
  searchesQueued: "MAX_SEARCHES_QUEUED",
};

/**
 * The latest time the manager stores or computes, in epoch ms (year 9999, end of year); a computed
 * time beyond it (a retry's backoff, say) is clamped to it, and a given one is refused.
 */
export const MAX_TIME_MS = 253_402_300_799_999;

/** The longest delay before a retry (30 days, in ms): computed backoffs and retry-after are capped. */
export const MAX_RETRY_DELAY_MS = 30 * 24 * 3600 * 1000;
