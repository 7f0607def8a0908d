/**
 * Facts of the server the page shows rather than copies — task statuses, DLQ reasons, executor
 * defaults and bounds, the retry backoff — read from `/api/v1/meta` (once per page load) and its
 * preview.
 */
import { get, post } from "./api.js";

let facts = null;

/**
 * The server facts (`ServerFacts` in the OpenAPI document): `taskStatuses`, `dlqReasons`,
 * `retryPolicyTypes`, `writeConcernLevels`, `executorDefaults` (durations in ms),
 * `executorBounds` (each numeric setting's `{min, max, integer}`), `namePattern`, `nameChars`,
 * `groupKeyChars` and `maxRetryDelayMs`. Read once; a failed read is tried again on the next call.
 *
 * @returns {Promise<any>}
 * @throws {ApiError}
 */
export function serverFacts() {
  facts ??= get("/meta").catch((error) => {
    facts = null;
    throw error;
  });
  return facts;
}

/**
 * The delay (ms) before each retry a retry policy gives, as the manager computes it (the longest
 * each may be: jitter only takes off). Fields left out take a new executor's defaults.
 *
 * @param {object} retryPolicy
 * @returns {Promise<number[]>}
 * @throws {ApiError} naming the bad fields (`/retryPolicy/…`)
 */
export async function retryDelays(retryPolicy) {
  return (await post("/meta/retry-delays", { retryPolicy })).delays;
}
