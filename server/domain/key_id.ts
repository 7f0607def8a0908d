/**
 * What an API key id is: 16 lower-case hex digits (8 random bytes), the id part of a token
 * (`te_<id>_<secret>`). Imports nothing, so that tokens (`auth/token.ts`, which configuration reads)
 * and the ids requests name (`refs.ts`) share the one rule.
 */

/** A key id, as a pattern source: 16 lower-case hex digits. */
export const KEY_ID = "[0-9a-f]{16}";

const KEY_ID_PATTERN: RegExp = new RegExp(`^${KEY_ID}$`);

/**
 * Why `id` cannot be a key id, or `null` when it can.
 *
 * @example
 * ```ts
 * import { keyIdProblem } from "./key_id.ts";
 * console.log(keyIdProblem("0123456789abcdef"), keyIdProblem("zz"));
 * // null Must be 16 lower-case hex digits, as keys list shows
 * ```
 */
export function keyIdProblem(id: string): string | null {
  return KEY_ID_PATTERN.test(id) ? null : "Must be 16 lower-case hex digits, as keys list shows";
}
