/**
 * The SDK's version, sent to the manager in the worker's hello so that the admin page can show
 * which workers run which SDK.
 */

/**
 * The version of this SDK (kept equal to `version` in sdk/deno.json).
 *
 * @example
 * ```ts
 * import { SDK_VERSION } from "@tasks-executor/sdk";
 * console.log(`tasks-executor sdk ${SDK_VERSION}`);
 * ```
 */
export const SDK_VERSION = "0.1.0";
