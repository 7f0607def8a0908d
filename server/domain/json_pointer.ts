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
 * The value at the reference tokens `tokens` (`parseJsonPointer`) inside the JSON value `value`,
 * or `undefined` when there is none: an object's own member of that name, an array's item at an
 * index as RFC 6901 writes one (`0`, `12`: not `01`, `-` or `length`).
 *
 * @example
 * ```ts
 * import { valueAtPointer } from "./json_pointer.ts";
 * console.log(valueAtPointer({ lines: [{ sku: "a" }] }, ["lines", "0", "sku"])); // "a"
 * console.log(valueAtPointer({ lines: [] }, ["lines", "length"])); // undefined
 * ```
 */
export function valueAtPointer(value: unknown, tokens: readonly string[]): unknown {
  let at = value;
  for (const token of tokens) {
    if (Array.isArray(at)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      at = at[Number(token)];
    } else if (at !== null && typeof at === "object") {
      if (!Object.hasOwn(at, token)) return undefined;
      at = (at as Record<string, unknown>)[token];
    } else return undefined;
  }
  return at;
}

/**
 * Why `text` is no pointer that can name a value inside task data, or `null` when it is one: an
 * RFC 6901 pointer (`parseJsonPointer`) of 1 to `maxTokens` reference tokens (data nests no
 * deeper: `limits.jsonDepth`), of well-formed Unicode (no member name holds a lone surrogate), and
 * none of its tokens ending in a backslash: the manager takes no member name that does (a request
 * holding one is refused, `endsWithBackslash` in proto/json_text.ts), so such a pointer was kept and
 * named nothing, ever. A control character may name a member (`{"\u0001": 1}` is data), so it
 * passes.
 *
 * @example
 * ```ts
 * import { dataPointerProblem } from "./json_pointer.ts";
 * console.log(dataPointerProblem("/customer/id", { maxTokens: 64 })); // null
 * console.log(dataPointerProblem("/customer\\", { maxTokens: 64 })); // "… backslash …"
 * ```
 */
export function dataPointerProblem(text: string, options: { maxTokens: number }): string | null {
  const tokens = parseJsonPointer(text);
  if (tokens === null || tokens.length === 0) {
    return `Must be a JSON pointer (RFC 6901) such as "/customerId"`;
  }
  if (tokens.length > options.maxTokens) {
    return `Must have at most ${options.maxTokens} reference tokens: data nests no deeper`;
  }
  if (!text.isWellFormed()) return "Must be well-formed Unicode (no lone surrogate)";
  if (tokens.some((token) => token.endsWith("\\"))) {
    return "Must not have a reference token that ends with a backslash: no member name of task data does (the manager refuses data holding one)";
  }
  return null;
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
