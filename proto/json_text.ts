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
 *
 * The same walk finds a member name given twice in one object (`ObjectShapes.memberGivenTwice`):
 * RFC 8259 leaves what such an object means to each reader (`JSON.parse` takes the last value,
 * another reader may take the first), and I-JSON (RFC 7493) forbids it.
 *
 * In proto/, the package the manager and the SDK share and which imports neither, so that the
 * walk of protobuf messages' bytes can count their maps' shapes with the same `ObjectShapes`.
 * @module
 */
import { escapePointer } from "./json_value.ts";

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
 * its plain spelling: it only counts more.
 *
 * @example
 * ```ts
 * import { ObjectShapes } from "@tasks-executor/proto/json-text";
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
  /**
   * The JSON pointer, from the text's root, of the first member found given twice in its object
   * (`"a"` and `"\u0061"` are one name), which the request must not hold: counting stops there.
   * `null` while none is.
   */
  memberGivenTwice: string | null = null;

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
 * import { endsWithBackslash } from "@tasks-executor/proto/json-text";
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
 * Why a member is refused when its object holds its name twice: the message of a violation naming
 * it (`ObjectShapes.memberGivenTwice`).
 */
export const MEMBER_GIVEN_TWICE =
  "Is given twice in its object (names compared unescaped): member names must be unique (I-JSON, RFC 7493), as JSON readers differ on which of the values they take";

/**
 * Why a request is refused for holding more than `most` object shapes, after `subject`
 * ("Request body holds", "… takes the request to").
 *
 * @example
 * ```ts
 * import { tooManyShapes } from "@tasks-executor/proto/json-text";
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
 * import { countJsonText, ObjectShapes } from "@tasks-executor/proto/json-text";
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
 * there too, and the count stops once they are past their most (`shapes.past`), at a member name
 * that ends with a backslash (`shapes.nameEndingInBackslash`) or at one given twice in its object
 * (`shapes.memberGivenTwice`). Text that is not JSON is counted as far as it goes, and
 * `JSON.parse` refuses it after. About 4 ms for 4 MB, against `JSON.parse` and the key walk after
 * it, which took 0.5 s for a body of 1,390,000 empty objects.
 */
export function countJsonValues(bytes: Uint8Array, max: number, shapes?: ObjectShapes): number {
  let count = 1;
  let inString = false;
  let opened = false;
  // For each open container by depth: whether it is an array, an object or an object with a name
  // written with an escape, and its position: where an object's names begin in `names` (the start
  // and end of each, as written), an array's index of the item being read. An object's shapes are
  // counted once it closes: `JSON.parse` starts it from a shape of its member count
  // (`ObjectShapes.parsedRoot`).
  let objects = OBJECTS_KEPT;
  let positions = POSITIONS_KEPT;
  let names = NAMES_KEPT;
  let namesEnd = 0;
  let depth = 0;
  let nameNext = false;
  let nameStart = -1;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) {
        i++;
        if (nameStart >= 0) objects[depth - 1] = ESCAPED_OBJECT;
      } else if (byte === QUOTE) {
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
        const grownPositions = new Int32Array(depth * 2);
        grownPositions.set(positions);
        positions = grownPositions;
      }
      objects[depth] = byte === OPEN_BRACE ? OBJECT : ARRAY;
      positions[depth++] = byte === OPEN_BRACE ? namesEnd : 0;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      if (depth > 0) {
        depth--;
        if (shapes && objects[depth] !== ARRAY) {
          const first = positions[depth];
          const twice = nameGivenTwice(bytes, names, first, namesEnd, objects[depth]);
          if (twice >= 0) {
            shapes.memberGivenTwice = pointerOf(bytes, { objects, positions, names }, depth) +
              `/${escapePointer(nameText(bytes, names[twice], names[twice + 1]))}`;
            return count;
          }
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
    } else if (byte === COMMA) {
      if (++count > max) return count;
      if (depth > 0 && objects[depth - 1] === ARRAY) positions[depth - 1]++;
    }
    nameNext = depth > 0 && objects[depth - 1] !== ARRAY &&
      (byte === OPEN_BRACE || byte === COMMA);
  }
  return count;
}

/**
 * The containers' kinds and positions and the names' spans that `countJsonValues` starts with,
 * reused, one count running at a time (none waits): made for each count, they cost more than
 * counting a short text (1.7 µs for `null`, most of a result's count). A text that needs more
 * grows copies of its own.
 */
const OBJECTS_KEPT = new Uint8Array(64);
const POSITIONS_KEPT = new Int32Array(64);
const NAMES_KEPT = new Int32Array(256);

/** What an open container is (`countJsonValues`). */
const ARRAY = 0;
const OBJECT = 1;
/** An object with a member name written with an escape: its names are compared unescaped. */
const ESCAPED_OBJECT = 2;

/**
 * Objects of at most this many members have their names compared each with each (at most 6
 * comparisons, most ending at the length); larger ones through a table of their hashes.
 */
const COMPARED_EACH_WITH_EACH = 4;

/**
 * Typed arrays the checks of objects' names reuse, one check running at a time (none waits): one
 * made for each object cost more than the check (36,000 objects of 9 members, 2.3 MB, took 52 ms
 * to count instead of 25). A larger object's are made for it.
 */
const SLOTS_KEPT = new Int32Array(2 * 4096);
const SPANS_KEPT = new Int32Array(4096);
const TEXTS_KEPT = new Uint8Array(64 * 1024);

/**
 * Where in `names` (the start and end of each name in `bytes`) the first name given twice among
 * those from `first` to `end` starts; -1 when none is. Names are compared as bytes. Linear in the
 * names' bytes: past `COMPARED_EACH_WITH_EACH` names they go through an open-addressing table of
 * their seeded hashes, and bytes are compared only when two hashes meet.
 */
function sameNameAt(bytes: Uint8Array, names: Int32Array, first: number, end: number): number {
  const members = (end - first) / 2;
  if (members <= COMPARED_EACH_WITH_EACH) {
    for (let at = first + 2; at < end; at += 2) {
      for (let before = first; before < at; before += 2) {
        if (sameBytes(bytes, names, at, before)) return at;
      }
    }
    return -1;
  }
  let size = 32;
  while (size < 2 * members) size *= 2;
  // Each slot: where its name is in `names` (+ 1; 0 = free), then its hash.
  const slots = 2 * size <= SLOTS_KEPT.length
    ? SLOTS_KEPT.fill(0, 0, 2 * size)
    : new Int32Array(2 * size);
  const mask = size - 1;
  for (let at = first; at < end; at += 2) {
    const hash = nameHash(bytes, names[at], names[at + 1]);
    let slot = hash & mask;
    while (slots[2 * slot] !== 0) {
      const other = slots[2 * slot] - 1;
      if (slots[2 * slot + 1] === hash && sameBytes(bytes, names, at, other)) return at;
      slot = (slot + 1) & mask;
    }
    slots[2 * slot] = at + 1;
    slots[2 * slot + 1] = hash;
  }
  return -1;
}

/**
 * Where in `names` the first name given twice in one object (its names from `first` to `end`, as
 * written in `bytes`) starts, compared as their text (`"a"` and `"\u0061"` are one name); -1 when
 * none is. Without an escape (`kind` OBJECT) a name's bytes are its text's, as UTF-8 spells each
 * text one way; with one (ESCAPED_OBJECT) each name is first written out unescaped.
 */
function nameGivenTwice(
  bytes: Uint8Array,
  names: Int32Array,
  first: number,
  end: number,
  kind: number,
): number {
  if (end - first < 4) return -1;
  if (kind !== ESCAPED_OBJECT) return sameNameAt(bytes, names, first, end);
  // A name unescaped is no longer than written. Its names' own bytes, not the span from the
  // first to the last: objects nested in one another, each with an escaped name, made that span
  // count the bytes of those inside each time (32,000 levels, 544 KB, took 2.5 s).
  let written = 0;
  for (let at = first; at < end; at += 2) written += names[at + 1] - names[at];
  const texts = written <= TEXTS_KEPT.length ? TEXTS_KEPT : new Uint8Array(written);
  const spans = end - first <= SPANS_KEPT.length ? SPANS_KEPT : new Int32Array(end - first);
  let length = 0;
  for (let at = first; at < end; at += 2) {
    spans[at - first] = length;
    length = unescapeName(bytes, names[at], names[at + 1], texts, length);
    spans[at - first + 1] = length;
  }
  const at = sameNameAt(texts, spans, 0, end - first);
  return at < 0 ? -1 : first + at;
}

/** Whether the names at `a` and `b` in `names` are the same bytes. */
function sameBytes(bytes: Uint8Array, names: Int32Array, a: number, b: number): boolean {
  const start = names[a];
  const length = names[a + 1] - start;
  const other = names[b];
  if (names[b + 1] - other !== length) return false;
  for (let i = 0; i < length; i++) {
    if (bytes[start + i] !== bytes[other + i]) return false;
  }
  return true;
}

/** A hash of `bytes` from `start` to `end`, seeded per process. */
function nameHash(bytes: Uint8Array, start: number, end: number): number {
  let hash = SEED_LOW;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i], 0x5bd1e995);
  return hash ^ (hash >>> 15);
}

/** The bytes the escapes `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t` stand for, by their letter. */
const ESCAPED_BYTES: Record<number, number> = {
  0x22: 0x22,
  0x5c: 0x5c,
  0x2f: 0x2f,
  0x62: 0x08,
  0x66: 0x0c,
  0x6e: 0x0a,
  0x72: 0x0d,
  0x74: 0x09,
};

/**
 * Writes the text of the name written in `bytes` from `start` to `end` to `out` from `at`, as
 * UTF-8 (a lone surrogate as its three bytes, as WTF-8 writes it), and answers where it ends. An
 * escape that JSON does not have is written as it is: `JSON.parse` refuses the text after.
 */
function unescapeName(
  bytes: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
): number {
  for (let i = start; i < end; i++) {
    if (bytes[i] !== BACKSLASH) {
      out[at++] = bytes[i];
      continue;
    }
    const letter = bytes[++i];
    let code = letter === 0x75 ? hex4(bytes, i + 1) : -1;
    if (code < 0) {
      out[at++] = ESCAPED_BYTES[letter] ?? letter;
      continue;
    }
    i += 4;
    if (code >= 0xd800 && code < 0xdc00 && bytes[i + 1] === BACKSLASH && bytes[i + 2] === 0x75) {
      const low = hex4(bytes, i + 3);
      if (low >= 0xdc00 && low < 0xe000) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i += 6;
      }
    }
    if (code < 0x80) out[at++] = code;
    else if (code < 0x800) {
      out[at++] = 0xc0 | (code >> 6);
      out[at++] = 0x80 | (code & 0x3f);
    } else if (code < 0x10000) {
      out[at++] = 0xe0 | (code >> 12);
      out[at++] = 0x80 | ((code >> 6) & 0x3f);
      out[at++] = 0x80 | (code & 0x3f);
    } else {
      out[at++] = 0xf0 | (code >> 18);
      out[at++] = 0x80 | ((code >> 12) & 0x3f);
      out[at++] = 0x80 | ((code >> 6) & 0x3f);
      out[at++] = 0x80 | (code & 0x3f);
    }
  }
  return at;
}

/** The number four hex digits in `bytes` from `start` spell, or -1 when they are not four. */
function hex4(bytes: Uint8Array, start: number): number {
  let code = 0;
  for (let i = start; i < start + 4; i++) {
    const byte = bytes[i] | 0x20; // lower case
    const digit = byte >= 0x30 && byte <= 0x39
      ? byte - 0x30
      : byte >= 0x61 && byte <= 0x66
      ? byte - 0x57
      : -1;
    if (digit < 0 || i >= bytes.length) return -1;
    code = code * 16 + digit;
  }
  return code;
}

const decoder = new TextDecoder();

/**
 * The text of the JSON string written in `bytes` from `start` to `end` (between its quotes),
 * escapes read; as written when it is not a JSON string (`JSON.parse` refuses the text after).
 */
function nameText(bytes: Uint8Array, start: number, end: number): string {
  const written = decoder.decode(bytes.subarray(start, end));
  if (!written.includes("\\")) return written;
  try {
    return JSON.parse(`"${written}"`);
  } catch {
    return written;
  }
}

/**
 * The JSON pointer of the object open at `depth` (0: the root), as `countJsonValues` holds the
 * containers open around it: each sits in the one below under an array's index, or an object's
 * name read last, the one before the names of the first object above it.
 */
function pointerOf(
  bytes: Uint8Array,
  open: { objects: Uint8Array; positions: Int32Array; names: Int32Array },
  depth: number,
): string {
  let pointer = "";
  let namesAbove = open.positions[depth];
  for (let at = depth; at > 0; at--) {
    if (open.objects[at] !== ARRAY) namesAbove = open.positions[at];
    const key = open.objects[at - 1] === ARRAY
      ? String(open.positions[at - 1])
      : nameText(bytes, open.names[namesAbove - 2], open.names[namesAbove - 1]);
    pointer = `/${escapePointer(key)}${pointer}`;
  }
  return pointer;
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
