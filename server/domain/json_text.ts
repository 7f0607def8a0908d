/**
 * JSON text as a client sends it, measured on its bytes before anything parses it: how many values
 * it holds (`countJsonValues`) and how many distinct member names (`JsonNames`).
 *
 * Names matter besides values because `JSON.parse`, like any reader that makes a JavaScript object
 * of each JSON object, spends the thread on every name it has not met before: V8 interns the name
 * and gives each new run of names a hidden class of its own. 150 tasks whose data held 150,000
 * distinct names (1.3 MB) held a manager's thread about 0.4 s, against 0.18 s for the same members
 * under 1,000 names; 300,000 distinct names in objects of 100 took `JSON.parse` alone 0.4–0.7 s.
 * @module
 */

/** A random seed per process: which names share a hash cannot be worked out from outside. */
const [SEED_HIGH, SEED_LOW] = crypto.getRandomValues(new Uint32Array(2));

/**
 * The distinct member names met in one request, counted by a 53-bit hash of their bytes (seeded
 * per process) up to `most`. A name spelled with escapes counts apart from its plain spelling.
 *
 * @example
 * ```ts
 * import { JsonNames } from "./json_text.ts";
 * const names = new JsonNames(1);
 * const bytes = new TextEncoder().encode("ab");
 * names.add(bytes, 0, 1); // "a"
 * names.add(bytes, 0, 1); // "a" again: not a new name
 * console.log(names.past, names.add(bytes, 1, 2), names.past); // false false true
 * ```
 */
export class JsonNames {
  /** Distinct names one request may hold. */
  readonly most: number;
  readonly #seen = new Set<number>();

  constructor(most: number) {
    this.most = most;
  }

  /** Distinct names met so far (past `most`, the first one past it). */
  get size(): number {
    return this.#seen.size;
  }

  /** Whether more than `most` distinct names were met. */
  get past(): boolean {
    return this.#seen.size > this.most;
  }

  /** Notes the name in `bytes` from `start` to `end` (exclusive); `false` once past `most`. */
  add(bytes: Uint8Array, start: number, end: number): boolean {
    let high = SEED_HIGH;
    let low = SEED_LOW;
    for (let i = start; i < end; i++) {
      high = Math.imul(high ^ bytes[i], 0x01000193);
      low = Math.imul(low ^ bytes[i], 0x5bd1e995);
    }
    this.#seen.add((high >>> 0) * 0x200000 + ((low >>> 11) & 0x1fffff));
    return !this.past;
  }
}

/**
 * Why a request is refused for holding more than `most` distinct member names, after `subject`
 * ("Request body holds", "… takes the request to").
 *
 * @example
 * ```ts
 * import { tooManyNames } from "./json_text.ts";
 * console.log(tooManyNames("Request body holds", 2).startsWith("Request body holds more than 2")); // true
 * ```
 */
export function tooManyNames(subject: string, most: number): string {
  return `${subject} more than ${most} distinct member names (object keys, map keys), the most one request may hold (MAX_REQUEST_JSON_NAMES): each new name costs the manager's one thread about 2 µs to read; send less in one request`;
}

const encoder = new TextEncoder();

/**
 * Notes the member names of the JSON `text` in `names`; `false` when it holds a name and they are
 * past their most. Text without a quote holds no name, costs nothing to parse for names, and is
 * not looked at: `true`.
 *
 * @example
 * ```ts
 * import { JsonNames, noteJsonNames } from "./json_text.ts";
 * const names = new JsonNames(2);
 * console.log(noteJsonNames('{"a":1,"b":{"c":[]}}', names), names.past); // false true
 * ```
 */
export function noteJsonNames(text: string, names: JsonNames): boolean {
  if (!text.includes('"')) return true;
  countJsonValues(encoder.encode(text), Infinity, names);
  return !names.past;
}

/**
 * How many values the JSON text in `bytes` holds, counted without parsing it, up to `max` (past it,
 * `max + 1`): the root, and every member of an object and item of an array, each once (an object
 * member is its value; its key is not counted). With `names`, every member name is noted there
 * too, and the count stops once they are past their most (`names.past`). Text that is not JSON is
 * counted as far as it goes, and `JSON.parse` refuses it after. About 4 ms for 4 MB, against
 * `JSON.parse` and the key walk after it, which took 0.5 s for a body of 1,390,000 empty objects.
 */
export function countJsonValues(bytes: Uint8Array, max: number, names?: JsonNames): number {
  let count = 1;
  let inString = false;
  let opened = false;
  // Whether each open container is an object, by depth: a string right after `{`, or after a
  // comma in an object, is a member's name.
  let objects = new Uint8Array(64);
  let depth = 0;
  let nameNext = false;
  let nameStart = -1;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) {
        inString = false;
        if (nameStart >= 0 && !names!.add(bytes, nameStart, i)) return count;
        nameStart = -1;
      }
      continue;
    }
    if (byte === SPACE || byte === TAB || byte === LF || byte === CR) continue;
    // The first byte after an opening bracket: a first member or item, unless it closes.
    if (opened) {
      opened = false;
      if (byte !== CLOSE_BRACE && byte !== CLOSE_BRACKET && ++count > max) return count;
    }
    if (byte === QUOTE) {
      inString = true;
      if (nameNext && names) nameStart = i + 1;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      opened = true;
      if (depth === objects.length) {
        const grown = new Uint8Array(depth * 2);
        grown.set(objects);
        objects = grown;
      }
      objects[depth++] = byte === OPEN_BRACE ? 1 : 0;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      if (depth > 0) depth--;
    } else if (byte === COMMA && ++count > max) return count;
    nameNext = byte === OPEN_BRACE || (byte === COMMA && depth > 0 && objects[depth - 1] === 1);
  }
  return count;
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
