/**
 * Field pointers across transports: the service names request fields by JSON pointer in one
 * request shape (`/task/executorName`); an adapter whose request nests them elsewhere (a bare REST
 * body, the original interface's flat messages) moves them before answering.
 */
import { ExecutorNotFoundError, InvalidArgumentError, PermissionDeniedError } from "./errors.ts";

/** `pointer` with its prefix `from` (a whole segment or more) replaced by `to`, else unchanged. */
function moved(pointer: string, from: string, to: string): string {
  return pointer === from || pointer.startsWith(`${from}/`)
    ? `${to}${pointer.slice(from.length)}`
    : pointer;
}

/**
 * `error` with the field pointers it names moved from under `from` to under `to`: the violations
 * of an `InvalidArgumentError` (and the message `listing` made of them, see
 * `InvalidArgumentError.renamed`), the field of a `PermissionDeniedError`, the fields an
 * `ExecutorNotFoundError` lists. Any other value is answered as it is.
 *
 * @example
 * ```ts
 * import { PermissionDeniedError } from "./errors.ts";
 * import { movePointers } from "./pointers.ts";
 * const error = new PermissionDeniedError("Limited to \"a\"", { field: "/task/executorName" });
 * (movePointers(error, "/task", "") as Error).message; // 'Limited to "a" (/executorName)'
 * ```
 */
export function movePointers(error: unknown, from: string, to: string): unknown {
  // The fields, and the message from them: never a text replace, which moved a `/task/…` that
  // a value of the client's quoted in a message too.
  if (error instanceof InvalidArgumentError) return error.renamed((f) => moved(f, from, to));
  if (error instanceof PermissionDeniedError && error.field !== undefined) {
    return new PermissionDeniedError(error.reason, { field: moved(error.field, from, to) });
  }
  if (error instanceof ExecutorNotFoundError) return error.renamed((f) => moved(f, from, to));
  return error;
}

/**
 * `error` with the field pointers it names put under `under` (`/every` as `/config/every`, `""`
 * as `/config`), but for those of `beside` and below them, fields the request holds beside
 * `under` (`/id`, `/count`): for an adapter whose request holds in one field what the service
 * reads as a whole body. A bare name (a query parameter's) stays as it is. The message of an
 * `InvalidArgumentError` that lists its violations, or of an `ExecutorNotFoundError` that lists
 * the fields naming missing executors, is written again with the new names.
 *
 * @example
 * ```ts
 * import { InvalidArgumentError } from "./errors.ts";
 * import { nestPointers } from "./pointers.ts";
 * const error = InvalidArgumentError.listing("Invalid schedule", [
 *   { field: "/every", message: "Must be at least 1s" },
 *   { field: "/count", message: "Must be 1 to 100" },
 * ]);
 * (nestPointers(error, "/config", ["/count"]) as Error).message;
 * // "Invalid schedule: /config/every: Must be at least 1s; /count: Must be 1 to 100"
 * ```
 */
export function nestPointers(error: unknown, under: string, beside: readonly string[]): unknown {
  const nest = (field: string) =>
    (field === "" || field.startsWith("/")) &&
      !beside.some((b) => field === b || field.startsWith(`${b}/`))
      ? `${under}${field}`
      : field;
  if (error instanceof InvalidArgumentError) return error.renamed(nest);
  if (error instanceof PermissionDeniedError && error.field !== undefined) {
    return new PermissionDeniedError(error.reason, { field: nest(error.field) });
  }
  if (error instanceof ExecutorNotFoundError) return error.renamed(nest);
  return error;
}
