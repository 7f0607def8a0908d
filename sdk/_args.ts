/**
 * The one check of the positional arguments of `Client`'s calls and of `client.schedules`' (an id,
 * a name, a list of ids; an options object, `optionsArgument`, where no field check reads it
 * first): one of the wrong type is refused before anything is sent, an `InvalidArgumentError`
 * naming it by the JSON pointer the manager names that field by (`/id`,
 * `/config/name`, `/taskIds/0`), instead of being sent as something else: `null` went as the id
 * `"null"` (a `NotFoundError` for a task "null"), `5` made an executor named "5", and a string
 * given for a list of ids was waited for character by character. What a string must hold is the
 * manager's to judge (an empty id is refused there, in its words).
 */
import type { FieldViolation } from "./errors.ts";
import { refuseViolations } from "./_fields.ts";

/**
 * What a missing or non-string argument is told, `null` when it is a string: the one rule of a
 * required string, for the arguments here and a new task's `executorName` (`_task_wire.ts`).
 */
export function stringProblem(value: unknown): string | null {
  if (value === undefined || value === null) return "Is required";
  return typeof value === "string" ? null : "Must be a string";
}

/**
 * `value`, a string argument named `field` (the manager's pointer for it) of a call that, refused,
 * says `what` (`"Invalid task id"`).
 *
 * @throws {InvalidArgumentError} naming `field` when `value` is not a string (nothing is sent)
 */
export function stringArgument(value: unknown, field: string, what: string): string {
  const problem = stringProblem(value);
  if (problem !== null) refuseViolations(what, [{ field, message: problem }]);
  return value as string;
}

/**
 * `value`, an array argument named `field` (the manager's pointer for it); with `strings`, each of
 * its entries must be a string (named `<field>/<index>`).
 *
 * @throws {InvalidArgumentError} naming `field`, or every entry that is not a string
 */
export function arrayArgument<T>(
  value: unknown,
  field: string,
  what: string,
  options: { strings?: boolean } = {},
): T[] {
  if (!Array.isArray(value)) {
    const message = value === undefined || value === null ? "Is required" : "Must be an array";
    refuseViolations(what, [{ field, message }]);
  }
  const list = value as unknown[];
  if (options.strings) {
    const violations: FieldViolation[] = [];
    list.forEach((item, i) => {
      const problem = stringProblem(item);
      if (problem !== null) violations.push({ field: `${field}/${i}`, message: problem });
    });
    refuseViolations(what, violations);
  }
  return list as T[];
}

/**
 * `value`, an options argument, when it is an object (`undefined`, left out, is `{}`): one that is
 * not (`null`, a number) is refused as every option object is, `Must be an object` naming the whole
 * value, instead of failing with a `TypeError` as the call reads it.
 *
 * @throws {InvalidArgumentError} when `value` is not an object (nothing is sent)
 */
export function optionsArgument<T extends object>(value: T | undefined, what: string): T {
  if (value === undefined) return {} as T;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    refuseViolations(what, [{ field: "", message: "Must be an object" }]);
  }
  return value;
}
