/**
 * The keepalive interval of work streams: how often, at least, the manager and a worker that
 * speaks keepalive write to each other (the rule itself: `proto/keepalive.ts`; the manager's
 * side: `server/engine/liveness.ts`). Set by KEEPALIVE_INTERVAL.
 */

/** Default keepalive interval (ms): a dead stream is noticed within about 30 s. */
export const KEEPALIVE_DEFAULT_MS = 10_000;
/** Shortest keepalive interval a manager may be set to (ms): tests use short ones. */
export const KEEPALIVE_MIN_MS = 100;
/** Longest keepalive interval a manager may be set to (ms). */
export const KEEPALIVE_MAX_MS = 300_000;

/**
 * Default longest silence of a work stream whose worker does not speak keepalive (ms): an older
 * worker sends nothing while idle, so it is closed (and reconnects) after 5 minutes of that, and a
 * gone one's stream no longer holds its worker id for good. Set by SILENCE_WITHOUT_KEEPALIVE.
 */
export const SILENCE_WITHOUT_KEEPALIVE_DEFAULT_MS = 300_000;
/** Shortest SILENCE_WITHOUT_KEEPALIVE a manager may be set to (ms): tests use short ones. */
export const SILENCE_WITHOUT_KEEPALIVE_MIN_MS = 100;
/** Longest SILENCE_WITHOUT_KEEPALIVE a manager may be set to (ms): a day. */
export const SILENCE_WITHOUT_KEEPALIVE_MAX_MS = 86_400_000;
