/**
 * What the command line reads of the manager's answers, checked before it reads them: each call
 * names the shape it uses, and an answer of another shape (or pages that never end) stops the
 * command with `EXIT_BAD_ANSWER` and the field at fault, not a TypeError's stack or text summed.
 */

/** Exit code: the manager answered something the command cannot use. */
export const EXIT_BAD_ANSWER = 5;

/** The manager's answer is not of the shape the command reads, or its pages do not end. */
export class AnswerError extends Error {
  override name = "AnswerError";
}

/** A mismatch found at a JSON pointer of the answer (`/tasks/0/id`). */
class Mismatch extends Error {
  constructor(readonly at: string, readonly expected: string, readonly got: unknown) {
    super(`${at || "the body"} must be ${expected}, not ${kindOf(got)}`);
  }
}

/** Checks the value found at `at` (a JSON pointer into the answer); throws a `Mismatch`. */
export type Shape = (value: unknown, at: string) => void;

function kindOf(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `a string (${JSON.stringify(value.slice(0, 40))})`;
  if (typeof value === "number") return `the number ${value}`;
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Any value, present or not: shown as it is (`cell` prints whatever it gets). */
export const anything: Shape = () => {};

/** A string. */
export const text: Shape = (value, at) => {
  if (typeof value !== "string") throw new Mismatch(at, "a string", value);
};

/** A count: a whole number from 0 (a count sent as a string is not summed as text). */
export const count: Shape = (value, at) => {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new Mismatch(at, "a whole number from 0", value);
  }
};

/** What `shape` accepts, or also `null` (and absence, with `absent`). */
function orNothing(shape: Shape, absent: boolean): Shape {
  const also = absent ? "null or absent" : "null";
  return (value, at) => {
    if (value === null || (absent && value === undefined)) return;
    try {
      shape(value, at);
    } catch (error) {
      if (!(error instanceof Mismatch) || error.at !== at) throw error;
      throw new Mismatch(at, `${error.expected} or ${also}`, value);
    }
  };
}

/** `null` or what `shape` accepts. */
export function orNull(shape: Shape): Shape {
  return orNothing(shape, false);
}

/** Absent, `null`, or what `shape` accepts. */
export function optional(shape: Shape): Shape {
  return orNothing(shape, true);
}

/** A list whose every item `item` accepts. */
export function listOf(item: Shape): Shape {
  return (value, at) => {
    if (!Array.isArray(value)) throw new Mismatch(at, "a list", value);
    value.forEach((v, i) => item(v, `${at}/${i}`));
  };
}

/** An object whose every value `item` accepts (`byStatus`, `metadata`). */
export function recordOf(item: Shape): Shape {
  return (value, at) => {
    if (!isObject(value)) throw new Mismatch(at, "an object", value);
    for (const [key, v] of Object.entries(value)) item(v, `${at}/${pointerToken(key)}`);
  };
}

/** An object with `fields` (others may come too, and are not read). */
export function object(fields: Record<string, Shape>): Shape {
  return (value, at) => {
    if (!isObject(value)) throw new Mismatch(at, "an object", value);
    for (const [key, shape] of Object.entries(fields)) {
      shape(Object.hasOwn(value, key) ? value[key] : undefined, `${at}/${pointerToken(key)}`);
    }
  };
}

/** A page of `key` items (`{tasks, nextCursor}`): the list and a cursor or `null`. */
export function pageOf(key: string, item: Shape): Shape {
  return object({ [key]: listOf(item), nextCursor: orNull(text) });
}

function pointerToken(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

/**
 * `body` when `shape` accepts it.
 *
 * @throws {AnswerError} naming the route and the first field at fault
 * @example
 * ```ts
 * import { answerOf, count, object } from "./answer.ts";
 * console.log(answerOf({ deleted: 3 }, object({ deleted: count }), "DELETE /api/v1/dlq"));
 * ```
 */
export function answerOf<T = unknown>(body: unknown, shape: Shape, route: string): T {
  try {
    shape(body, "");
  } catch (error) {
    if (!(error instanceof Mismatch)) throw error;
    throw new AnswerError(
      `The manager's answer to ${route} is not what this command reads: ${error.message}`,
    );
  }
  return body as T;
}

/**
 * Follows the `nextCursor`s of a run of calls, refusing to go round in circles: a cursor the
 * manager gave before (its pages would never end), or more than `maxCalls` calls.
 *
 * @example
 * ```ts
 * import { CursorTrail } from "./answer.ts";
 * const trail = new CursorTrail("POST /api/v1/tasks/cancel", 100);
 * console.log(trail.next("a"), trail.next(null)); // "a" undefined
 * ```
 */
export class CursorTrail {
  readonly #route: string;
  readonly #maxCalls: number;
  readonly #seen = new Set<string>();
  #calls = 0;

  constructor(route: string, maxCalls: number) {
    this.#route = route;
    this.#maxCalls = maxCalls;
  }

  /**
   * The cursor to send with the next call after an answer with `nextCursor` (`undefined`: done).
   *
   * @throws {AnswerError} when the cursor comes again, or the calls pass `maxCalls`
   */
  next(nextCursor: string | null): string | undefined {
    this.#calls++;
    if (nextCursor === null || nextCursor === "") return undefined;
    if (this.#seen.has(nextCursor)) {
      throw new AnswerError(
        `The manager answered ${this.#route} with a nextCursor it had given before ` +
          `(${JSON.stringify(nextCursor.slice(0, 100))}, after ${this.#calls} calls): ` +
          "stopped, as its pages would never end",
      );
    }
    if (this.#calls >= this.#maxCalls) {
      throw new AnswerError(
        `The manager's answers to ${this.#route} still had a nextCursor after ${this.#calls} ` +
          "calls: stopped (run the command again to go on)",
      );
    }
    this.#seen.add(nextCursor);
    return nextCursor;
  }
}

/**
 * A task as the commands read it (`tasks`, a dead task of `dlq`): ids and status as strings, its
 * metadata an object and its errors a list of objects; what is only shown may be anything.
 */
export const TASK: Shape = object({
  id: text,
  executorName: text,
  status: text,
  metadata: optional(recordOf(anything)),
  errors: optional(listOf(object({}))),
});

/** `{task}`: the answer of a read, create, cancel, wait or requeue of one task. */
export const TASK_ANSWER: Shape = object({ task: TASK });
