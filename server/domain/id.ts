/** Ids: time-ordered, so that sorting by id sorts by creation and ids make stable cursors. */

let lastMs = 0;
let counter = 0;

/** Random bytes drawn 4 KiB at a time: one call into the system's generator per ~800 ids. */
const pool = new Uint8Array(4096);
let poolAt = pool.length;
/** Two hex digits per byte value. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/**
 * A new 26-character id: 12 hex digits of epoch milliseconds, 4 of a per-millisecond counter,
 * 10 random. Lexicographic order follows creation order within one process.
 *
 * @example
 * ```ts
 * import { newId } from "./id.ts";
 * console.log(newId().length); // 26
 * ```
 */
export function newId(now: number = Date.now()): string {
  if (now === lastMs) counter++;
  else {
    lastMs = now;
    counter = 0;
  }
  if (poolAt + 5 > pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += 5;
  return now.toString(16).padStart(12, "0") + (counter & 0xffff).toString(16).padStart(4, "0") +
    HEX[pool[at]] + HEX[pool[at + 1]] + HEX[pool[at + 2]] + HEX[pool[at + 3]] + HEX[pool[at + 4]];
}

/**
 * The least id `newId` makes at epoch millisecond `ms` (its 12-digit time prefix): every id made
 * at `ms` or later sorts at or after it, every one made before sorts before it. A task's id is
 * made at its `createdAt`, so a range of creation times is a range of ids, which the stores'
 * primary keys find without reading the tasks outside it.
 *
 * @example
 * ```ts
 * import { idFloorAt, newId } from "./id.ts";
 * console.log(newId(1_000) >= idFloorAt(1_000), newId(999) < idFloorAt(1_000)); // true true
 * ```
 */
export function idFloorAt(ms: number): string {
  return Math.max(0, Math.trunc(ms)).toString(16).padStart(12, "0");
}

/** Whether a string has the shape of an id made by `newId`. */
export function isId(value: string): boolean {
  return /^[0-9a-f]{26}$/.test(value);
}
