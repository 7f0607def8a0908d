/** Unit tests of the one time reader: RFC 3339 with an offset or epoch ms, nothing else. */
import assert from "node:assert/strict";
import { MAX_TIME_MS } from "./limits.ts";
import { parseOptionalTime, parseTime } from "./time.ts";

Deno.test("parseTime() reads RFC 3339 with Z or an offset as the same instant", () => {
  const utc = Date.UTC(2030, 5, 1, 12, 0, 0);
  assert.equal(parseTime("2030-06-01T12:00:00Z"), utc);
  assert.equal(parseTime("2030-06-01t12:00:00z"), utc);
  assert.equal(parseTime("2030-06-01T14:00:00+02:00"), utc);
  assert.equal(parseTime("2030-06-01T07:30:00-04:30"), utc);
  assert.equal(parseTime("2030-06-01T12:00:00.123Z"), utc + 123);
  assert.equal(parseTime("2030-06-01T12:00:00.5Z"), utc + 500);
  assert.equal(parseTime("2030-06-01T12:00:00.123456789Z"), utc + 123);
  assert.equal(parseTime("2028-02-29T00:00:00Z"), Date.UTC(2028, 1, 29));
});

Deno.test("parseTime() reads whole epoch milliseconds as a number or a string of digits", () => {
  assert.equal(parseTime(1_906_459_200_000), 1_906_459_200_000);
  assert.equal(parseTime("1906459200000"), 1_906_459_200_000);
  assert.equal(parseTime(0), 0);
  assert.equal(parseTime(MAX_TIME_MS), MAX_TIME_MS);
});

Deno.test("parseTime() refuses a time without an offset, whatever the manager's zone", () => {
  assert.equal(parseTime("2030-06-01T12:00:00"), undefined);
  assert.equal(parseTime("2030-06-01T12:00"), undefined);
  assert.equal(parseTime("2030-06-01"), undefined);
});

Deno.test("parseTime() refuses free-form text that Date.parse would take", () => {
  for (
    const text of [
      "June 1, 2030",
      "Sat Jun 01 2030 12:00:00 GMT+0000",
      "2030/06/01 12:00:00Z",
      "2030-06-01 12:00:00Z",
      "2030-06-01T12:00:00+0200",
      "2030-06-01T12:00:00 Z",
      " 2030-06-01T12:00:00Z",
      "",
      "12e3",
      "-5",
      "0x10",
    ]
  ) assert.equal(parseTime(text), undefined, text);
});

Deno.test("parseTime() refuses impossible dates and out-of-range fields", () => {
  for (
    const text of [
      "2030-02-29T00:00:00Z",
      "2030-13-01T00:00:00Z",
      "2030-04-31T00:00:00Z",
      "2030-06-01T24:00:00Z",
      "2030-06-01T12:60:00Z",
      "2030-06-01T12:00:60Z",
      "2030-06-01T12:00:00+24:00",
      "2030-06-01T12:00:00+02:60",
      "0099-01-01T00:00:00Z",
    ]
  ) assert.equal(parseTime(text), undefined, text);
});

Deno.test("parseTime() refuses times before the epoch or after MAX_TIME_MS", () => {
  assert.equal(parseTime(-1), undefined);
  assert.equal(parseTime(MAX_TIME_MS + 1), undefined);
  assert.equal(parseTime(2 ** 53), undefined);
  assert.equal(parseTime("1969-12-31T23:59:59.999Z"), undefined);
  assert.equal(parseTime("1969-12-31T23:00:00-01:00"), 0);
  assert.equal(parseTime("9999-12-31T23:59:59.999Z"), MAX_TIME_MS);
  assert.equal(parseTime("9999-12-31T23:59:59.999-00:01"), undefined);
  assert.equal(parseTime("99999999999999999"), undefined);
});

Deno.test("parseTime() refuses numbers that are not whole milliseconds, and other types", () => {
  for (const value of [1.5, NaN, Infinity, null, undefined, true, {}, [1]]) {
    assert.equal(parseTime(value), undefined, String(value));
  }
});

Deno.test('parseOptionalTime() reads the epoch as none however it is written, as null is; "" is no time', () => {
  for (
    const none of [null, 0, "0", "00", "1970-01-01T00:00:00Z", "1970-01-01T02:00:00+02:00"]
  ) {
    assert.equal(parseOptionalTime(none), null, JSON.stringify(none));
  }
  assert.equal(parseOptionalTime(1), 1);
  assert.equal(parseOptionalTime("1906459200000"), 1_906_459_200_000);
  assert.equal(parseOptionalTime("2030-06-01T12:00:00Z"), Date.UTC(2030, 5, 1, 12));
  assert.equal(parseOptionalTime("soon"), undefined);
  assert.equal(parseOptionalTime(""), undefined);
  assert.equal(parseOptionalTime(-1), undefined);
});
