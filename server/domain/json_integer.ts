/**
 * Integers as proto3 JSON gives them: a JSON number, or a string of its decimal digits (`"4"`,
 * `"-2"`), which is how proto3 JSON writes 64-bit integers and which it takes for every integer
 * field (the earlier system's gRPC-Gateway did). Only a well-formed integer text is one: no sign
 * but `-`, no leading zero, space, fraction, exponent or hexadecimal.
 */

/** A JSON integer's text (the JSON number grammar without fraction or exponent). */
const INTEGER_TEXT = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * The number an integer field was given: a finite JSON number as it is (a fraction or a value
 * out of range left for the caller's rule to refuse) or a well-formed integer string read as its
 * value (one too big to be exact comes back inexact or `Infinity`, beyond any field's range);
 * `undefined` for anything else.
 *
 * @example
 * ```ts
 * import { jsonInteger } from "./json_integer.ts";
 * console.log(jsonInteger(4), jsonInteger("4"), jsonInteger("-2"), jsonInteger(4.5));
 * // 4 4 -2 4.5
 * console.log(jsonInteger("4.5"), jsonInteger(" 4"), jsonInteger("0x4"), jsonInteger("1e3"));
 * // undefined undefined undefined undefined
 * ```
 */
export function jsonInteger(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  // `+ 0` reads "-0" as 0.
  if (typeof value === "string" && INTEGER_TEXT.test(value)) return Number(value) + 0;
  return undefined;
}

/** What an integer field given as a string that is no integer's digits is told. */
export const INTEGER_TEXT_MESSAGE =
  'Must be a whole number, as a JSON number or a string of its decimal digits ("4")';
