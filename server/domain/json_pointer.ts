/**
 * RFC 6901 JSON pointers: reading one a client gave, and naming a key inside one (the field of a
 * violation). The proto package keeps its own `escapePointer` for the SDK: domain/ imports
 * nothing outside itself.
 */

/**
 * The reference tokens of an RFC 6901 JSON pointer (`~1` → `/`, `~0` → `~`), or `null` when the
 * text is not a pointer. The empty pointer `""` (the whole document) has no tokens.
 *
 * @example
 * ```ts
 * import { parseJsonPointer } from "./json_pointer.ts";
 * console.log(parseJsonPointer("/order/lines/0/sku")); // ["order", "lines", "0", "sku"]
 * console.log(parseJsonPointer("/a~1b")); // ["a/b"]
 * ```
 */
export function parseJsonPointer(text: string): string[] | null {
  if (text === "") return [];
  if (!text.startsWith("/")) return null;
  const tokens = text.slice(1).split("/");
  if (tokens.some((token) => /~[^01]|~$/.test(token))) return null;
  return tokens.map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/**
 * A key as one reference token of a pointer (`~` → `~0`, `/` → `~1`), so that the field of a
 * violation names the key a client sent, whatever its characters.
 *
 * @example
 * ```ts
 * import { pointerToken } from "./json_pointer.ts";
 * console.log(`/config/${pointerToken("a/b")}`); // "/config/a~1b"
 * ```
 */
export function pointerToken(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}
