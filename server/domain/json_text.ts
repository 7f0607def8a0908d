/**
 * JSON text as a client sends it, measured on its bytes before anything parses it: how many values
 * it holds (`countJsonValues`) and how many object shapes (`ObjectShapes`).
 *
 * Shapes matter besides values because `JSON.parse`, like any reader that makes a JavaScript
 * object of each JSON object, spends the thread on every run of member names it has not met
 * before: V8 gives each object a hidden class per prefix of its names (`{"a","b"}` passes through
 * the classes of `a` and of `a, b`; `JSON.parse` starts from a class of the object's member
 * count) and makes each new one. 150 tasks whose data held 150,000 distinct names (1.3 MB) held a
 * manager's thread about 0.4 s, and so did objects of 10 names out of 64 in random subsets and
 * orders, though they hold few names (a review measured 0.28–0.49 s for 3 MB of them, and 0.93 s
 * for subsets of 100 names out of 16,000), and objects of every length from 1 to 127 over the same
 * names (1.5–1.9 s for 3.9 MB).
 * @module
 */

/** A random seed per process: which prefixes share a hash cannot be worked out from outside. */
const [SEED_HIGH, SEED_LOW] = crypto.getRandomValues(new Uint32Array(2));
/**
 * A shape's hash keeps 30 bits, a small integer to V8 (no number boxed, a set of them cheap): at
 * 16,384 shapes two share one about one request in eight, which then counts one less.
 */
const HASH_MASK = 0x3fffffff;

/** Member counts V8's `JSON.parse` keeps a starting shape for, each its own (`parsedRoot`). */
const PARSED_ROOTS = 128;

/**
 * Named members an object holds in shapes at most (V8's `kMaxNumberOfDescriptors`): past them V8
 * keeps its members in a dictionary, which makes no shape, and costs about what a value does
 * (one object of 300,000 members parsed in 0.13 s). Only an object's first ones are counted.
 */
export const SHAPED_MEMBERS = 1020;

/**
 * V8 keeps at most this many shapes grown from one shape (`kMaxNumberOfTransitions`): an object
 * of any other grows a shape of its own, each time, as if new.
 */
const SHAPES_GROWN_FROM_ONE = 1536;

/**
 * The object shapes one request makes, up to `most`: each distinct prefix of an object's member
 * names, in the order they come (`{"a":1,"b":2}` and `{"a":3,"c":4}` make three: `a`, `a b`,
 * `a c`), and each object that V8 gives a shape of its own because more than 1,536 were grown
 * from the one before (`SHAPES_GROWN_FROM_ONE`: 131,000 objects of one name each, out of 16,000
 * names, held the thread 0.39 s though they hold 16,000 prefixes). Prefixes are told apart by a
 * 30-bit hash of their bytes, seeded per process. A name written with escapes counts apart from
 * its plain spelling, and a name given twice in one object as a new step: both only count more.
 *
 * @example
 * ```ts
 * import { ObjectShapes } from "./json_text.ts";
 * const shapes = new ObjectShapes(2);
 * const [a, b] = [new TextEncoder().encode("a"), new TextEncoder().encode("b")];
 * const first = shapes.step(ObjectShapes.EMPTY, a, 0, 1); // {"a"…
 * shapes.step(first, b, 0, 1); // {"a", "b"…
 * shapes.step(ObjectShapes.EMPTY, a, 0, 1); // {"a"… again: no new shape
 * console.log(shapes.size, shapes.past); // 2 false
 * ```
 */
export class ObjectShapes {
  /** The shape of an object before its first member, as one made by assignment starts. */
  static readonly EMPTY = 0;

  /**
   * The shape `JSON.parse` starts an object of `members` named members from: V8 keeps one for
   * each count under 128, so `{"a":1}` and `{"a":1,"b":2}` grow their `a` from different shapes
   * (objects of lengths 1 to 127 over the same names, 3.8 MB, held the thread 0.5 s when all were
   * counted from one).
   */
  static parsedRoot(members: number): number {
    return 1 + Math.min(members, PARSED_ROOTS);
  }
  /** Shapes one request may make. */
  readonly most: number;
  /** The shapes kept (grown from a shape with room), and how many were grown from each. */
  readonly #kept = new Set<number>();
  readonly #grown = new Map<number, number>();
  #made = 0;
  /**
   * Whether a member name ends with a backslash (`endsWithBackslash`), which the request must not
   * hold: counting stops there.
   */
  nameEndingInBackslash = false;

  constructor(most: number) {
    this.most = most;
  }

  /** Shapes made so far (past `most`, the first one past it). */
  get size(): number {
    return this.#made;
  }

  /** Whether more than `most` shapes were made. */
  get past(): boolean {
    return this.#made > this.most;
  }

  /**
   * The shape of an object of shape `shape` once it has the member named by `bytes` from `start`
   * to `end` (exclusive, the name as written between its quotes), counted when it is made.
   */
  step(shape: number, bytes: Uint8Array, start: number, end: number): number {
    let high = SEED_HIGH ^ shape;
    let low = SEED_LOW ^ Math.imul(shape, 0x9e3779b1);
    for (let i = start; i < end; i++) {
      high = Math.imul(high ^ bytes[i], 0x01000193);
      low = Math.imul(low ^ bytes[i], 0x5bd1e995);
    }
    // The name's length too, so that "ab" then "c" is not "a" then "bc".
    high = Math.imul(high ^ (end - start), 0x01000193);
    low = Math.imul(low ^ (end - start), 0x5bd1e995);
    const next = (high ^ (low >>> 15)) & HASH_MASK;
    if (this.#kept.has(next)) return next;
    this.#made++;
    const grown = this.#grown.get(shape) ?? 0;
    if (grown < SHAPES_GROWN_FROM_ONE) {
      this.#grown.set(shape, grown + 1);
      this.#kept.add(next);
    }
    return next;
  }
}

/**
 * Whether the member name in `bytes` from `start` to `end` ends with a backslash: as `written`
 * in JSON text, between its quotes (`\\` or `\u005c` last), else as the name's own UTF-8 bytes.
 *
 * Deno 2.7.14's V8 misreads names after such a one: once `{"z":0,"a\\":1}` is parsed, any later
 * `JSON.parse` of an object whose names run `z`, then `a` followed by an escape (`"a\n"`,
 * `"a\u00e9"`), reads that name as `a\` (Node 20's V8 reads it right). One client's name could so
 * rewrite another's, in data, metadata or results, for as long as the process keeps that shape;
 * such names are therefore refused wherever a request brings them.
 *
 * @example
 * ```ts
 * import { endsWithBackslash } from "./json_text.ts";
 * const written = (name: string) => {
 *   const bytes = new TextEncoder().encode(name);
 *   return endsWithBackslash(bytes, 0, bytes.length, true);
 * };
 * // The names `a\`, `a\n` (a backslash, then n), `a\` and `a\u005c` (text), as written in JSON:
 * console.log(written("a\\\\"), written("a\\\\n"), written("a\\u005c"), written("a\\\\u005c"));
 * // true false true false
 * ```
 */
export function endsWithBackslash(
  bytes: Uint8Array,
  start: number,
  end: number,
  written: boolean,
): boolean {
  if (!written) return end > start && bytes[end - 1] === BACKSLASH;
  // Written, a name ends with an escape or a character; the escapes before its last are whole.
  let run = 0;
  while (end - run > start && bytes[end - 1 - run] === BACKSLASH) run++;
  if (run > 0) return run % 2 === 0;
  if (end - start < 6 || bytes[end - 6] !== BACKSLASH || bytes[end - 5] !== 0x75) return false;
  // `\u005c`, unless its backslash is itself escaped (then `u005c` is text).
  let before = 0;
  while (end - 6 - before - 1 >= start && bytes[end - 7 - before] === BACKSLASH) before++;
  const hex = String.fromCharCode(...bytes.subarray(end - 4, end)).toLowerCase();
  return before % 2 === 0 && hex === "005c";
}

/**
 * Why a request holding a member name that ends with a backslash is refused, after `subject`
 * ("Request body", "/data").
 */
export function backslashNameRefused(subject: string): string {
  return `${subject} holds a member name that ends with a backslash, which the manager does not take: the runtime's JSON parser (Deno 2.7.14's V8) would read some names of later requests as that one`;
}

/**
 * Why a request is refused for holding more than `most` object shapes, after `subject`
 * ("Request body holds", "… takes the request to").
 *
 * @example
 * ```ts
 * import { tooManyShapes } from "./json_text.ts";
 * console.log(tooManyShapes("Request body holds", 2).startsWith("Request body holds more than 2")); // true
 * ```
 */
export function tooManyShapes(subject: string, most: number): string {
  return `${subject} more than ${most} object shapes (distinct runs of member names an object starts with: {"a","b"} and {"a","c"} are 3; and each object past 1,536 grown from one), the most one request may hold (MAX_REQUEST_OBJECT_SHAPES): each new one costs the manager's one thread about 1-3 µs to read; send less in one request, or give objects alike the same members in the same order`;
}

const encoder = new TextEncoder();

/**
 * How many values the JSON `text` holds (`countJsonValues`), up to `maxValues`, its object shapes
 * noted in `shapes`.
 *
 * @example
 * ```ts
 * import { countJsonText, ObjectShapes } from "./json_text.ts";
 * const shapes = new ObjectShapes(Infinity);
 * console.log(countJsonText('{"a":1,"b":{"c":[]}}', 100, shapes), shapes.size); // 4 3
 * ```
 */
export function countJsonText(text: string, maxValues: number, shapes: ObjectShapes): number {
  // Text without a quote holds no member name.
  return countJsonValues(encoder.encode(text), maxValues, text.includes('"') ? shapes : undefined);
}

/**
 * How many values the JSON text in `bytes` holds, counted without parsing it, up to `max` (past it,
 * `max + 1`): the root, and every member of an object and item of an array, each once (an object
 * member is its value; its key is not counted). With `shapes`, every object's shapes are noted
 * there too, and the count stops once they are past their most (`shapes.past`). Text that is not
 * JSON is counted as far as it goes, and `JSON.parse` refuses it after. About 4 ms for 4 MB,
 * against `JSON.parse` and the key walk after it, which took 0.5 s for a body of 1,390,000 empty
 * objects.
 */
export function countJsonValues(bytes: Uint8Array, max: number, shapes?: ObjectShapes): number {
  let count = 1;
  let inString = false;
  let opened = false;
  // For each open container by depth: whether it is an object, and where its names begin in
  // `names` (the start and end of each, as written). An object's shapes are counted once it
  // closes: `JSON.parse` starts it from a shape of its member count (`ObjectShapes.parsedRoot`).
  let objects = new Uint8Array(64);
  let firstName = new Int32Array(64);
  let names = new Int32Array(256);
  let namesEnd = 0;
  let depth = 0;
  let nameNext = false;
  let nameStart = -1;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) {
        inString = false;
        if (nameStart >= 0) {
          if (endsWithBackslash(bytes, nameStart, i, true)) {
            shapes!.nameEndingInBackslash = true;
            return count;
          }
          if (namesEnd === names.length) {
            const grown = new Int32Array(namesEnd * 2);
            grown.set(names);
            names = grown;
          }
          names[namesEnd++] = nameStart;
          names[namesEnd++] = i;
          nameStart = -1;
        }
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
      if (nameNext && shapes) nameStart = i + 1;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      opened = true;
      if (depth === objects.length) {
        const grownObjects = new Uint8Array(depth * 2);
        grownObjects.set(objects);
        objects = grownObjects;
        const grownFirst = new Int32Array(depth * 2);
        grownFirst.set(firstName);
        firstName = grownFirst;
      }
      objects[depth] = byte === OPEN_BRACE ? 1 : 0;
      firstName[depth++] = namesEnd;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      if (depth > 0) {
        depth--;
        if (shapes && objects[depth] === 1) {
          const first = firstName[depth];
          const members = (namesEnd - first) / 2;
          let shape = ObjectShapes.parsedRoot(members);
          const shaped = first + 2 * Math.min(members, SHAPED_MEMBERS);
          for (let at = first; at < shaped; at += 2) {
            shape = shapes.step(shape, bytes, names[at], names[at + 1]);
          }
          namesEnd = first;
          if (shapes.past) return count;
        }
      }
    } else if (byte === COMMA && ++count > max) return count;
    nameNext = depth > 0 && objects[depth - 1] === 1 &&
      (byte === OPEN_BRACE || byte === COMMA);
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
