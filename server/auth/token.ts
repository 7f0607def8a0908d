/**
 * API key tokens: `te_<id>_<secret>`, made from the system's random source, and the SHA-256 of the
 * secret that the store keeps instead of it. Imports only the key id rule (`domain/key_id.ts`,
 * which imports nothing), so configuration can check tokens.
 */
import { timingSafeEqual } from "node:crypto";
import { KEY_ID } from "../domain/key_id.ts";

/**
 * A token: `te_`, the key id (`KEY_ID`), `_`, then the secret (32 random bytes in unpadded
 * base64url: 43 characters).
 */
const TOKEN_PATTERN = new RegExp(`^te_(${KEY_ID})_([A-Za-z0-9_-]{43})$`);

/** The two parts of a token. */
export interface TokenParts {
  /** The key id: public, the store's lookup key. */
  id: string;
  /** The secret: never stored, only its SHA-256 (`hashSecret`). */
  secret: string;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

/**
 * A fresh token from the system's random source: 8 bytes of id (unless `id`, 16 lower-case hex
 * digits, is given) and 32 bytes of secret.
 *
 * @example
 * ```ts
 * import { newToken } from "./token.ts";
 * const { id, token } = newToken();
 * console.log(token.startsWith(`te_${id}_`)); // true
 * ```
 */
export function newToken(
  id: string = hex(crypto.getRandomValues(new Uint8Array(8))),
): TokenParts & { token: string } {
  const secret = base64url(crypto.getRandomValues(new Uint8Array(32)));
  return { id, secret, token: `te_${id}_${secret}` };
}

/**
 * The id and secret of a token; `null` when it does not have the token's shape.
 *
 * @example
 * ```ts
 * import { parseToken } from "./token.ts";
 * parseToken("not a token"); // null
 * ```
 */
export function parseToken(token: string): TokenParts | null {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { id: match[1], secret: match[2] } : null;
}

/** Lower-case hex SHA-256 of a secret: what the store keeps. */
export async function hashSecret(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  return hex(new Uint8Array(digest));
}

/** Whether `secret` hashes to `secretHash`, compared in constant time. */
export async function secretMatches(secret: string, secretHash: string): Promise<boolean> {
  const given = new TextEncoder().encode(await hashSecret(secret));
  const stored = new TextEncoder().encode(secretHash);
  return given.length === stored.length && timingSafeEqual(given, stored);
}

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * The token of an `Authorization` header or `authorization` metadata value: what follows
 * `Bearer` (any case), or `null` in any other form, a bare token included, which authenticates
 * nothing (a bare token authenticated, where the docs ask for `Bearer <token>`).
 *
 * @example
 * ```ts
 * import { bearerToken } from "./token.ts";
 * console.log(bearerToken("Bearer te_x"), bearerToken("te_x")); // "te_x" null
 * ```
 */
export function bearerToken(value: string): string | null {
  return BEARER.exec(value)?.[1] ?? null;
}
