/**
 * The one rule for `""` in what a caller sends: over REST (JSON) an optional string field sent as
 * `""` is refused, naming it, never read as left out. (gRPC's proto3 strings cannot tell `""` from
 * unset: its readers leave such a field out before it gets here, so there `""` is "not set".)
 */

type Obj = Record<string, unknown>;

const isObject = (value: unknown): value is Obj =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Refuses each field of `messages` (a path of member names below `input`, `dlqConfig/queueName`)
 * that `input` holds as `""`: `fail(path, message)` once each. Answers `input` without them (copied
 * where one was taken out), so that each is refused once, as empty, and not again as a bad value.
 *
 * @example
 * ```ts
 * import { withoutEmptyStrings } from "./empty_strings.ts";
 * const refused: string[] = [];
 * const kept = withoutEmptyStrings(
 *   { dlqConfig: { enabled: true, queueName: "" } },
 *   { "dlqConfig/queueName": "Must not be empty" },
 *   (path) => refused.push(path),
 * );
 * console.log(kept, refused); // { dlqConfig: { enabled: true } } [ "dlqConfig/queueName" ]
 * ```
 */
export function withoutEmptyStrings<T>(
  input: T,
  messages: Readonly<Record<string, string>>,
  fail: (path: string, message: string) => void,
): T {
  let result: unknown = input;
  for (const [path, message] of Object.entries(messages)) {
    const keys = path.split("/");
    const parents: Obj[] = [];
    let at: unknown = result;
    for (const key of keys) {
      if (!isObject(at)) break;
      parents.push(at);
      at = at[key];
    }
    if (parents.length !== keys.length || at !== "") continue;
    fail(path, message);
    // Copies the objects on the way down, each holding the copy of the next.
    let copy: Obj = Object.fromEntries(
      Object.entries(parents[keys.length - 1]).filter(([key]) => key !== keys[keys.length - 1]),
    );
    for (let i = keys.length - 2; i >= 0; i--) copy = { ...parents[i], [keys[i]]: copy };
    result = copy;
  }
  return result as T;
}
