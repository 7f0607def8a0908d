/**
 * A bound on one message of the work stream from the manager, checked on its bytes before they
 * are decoded: decoding makes an object per element, and one message of 1,000,000 metadata
 * entries (12.9 MB) held the worker's event loop 3.0-3.2 s (0.15-0.29 s now, receiving it).
 */

/**
 * Most elements (assignments, their metadata entries, cancellations, acks) one work stream
 * message may hold. A manager sends no more assignments than the worker's credits, each with at
 * most 64 metadata entries by default, and answers a results message of at most 500 results.
 */
export const MAX_WORK_MESSAGE_ELEMENTS = 100_000;

/** `WorkResponse` fields counted: assignments, cancellations, acks (their repeated field 1). */
const ASSIGNMENTS = 2;
const CANCELLATIONS = 3;
const ACKS = 4;
/** `Assignment.metadata`. */
const METADATA = 4;

/**
 * How many elements a `WorkResponse`'s bytes hold (`MAX_WORK_MESSAGE_ELEMENTS`), counted without
 * decoding: the repeated fields of its assignments, cancellations and acks, and each
 * assignment's metadata entries. Stops counting past `most`. Bytes that do not parse as
 * protobuf without groups (which proto3 never writes) count as `Infinity`: counting cannot stop
 * where the decoder would go on.
 */
export function workMessageElements(bytes: Uint8Array, most: number): number {
  let count = 0;
  const parsed = forEachField(bytes, 0, bytes.length, (field, start, end) => {
    if (field !== ASSIGNMENTS && field !== CANCELLATIONS && field !== ACKS) return true;
    return forEachField(bytes, start, end, (inner, taskStart, taskEnd) => {
      if (inner !== 1) return true;
      count++;
      if (field !== ASSIGNMENTS) return count <= most;
      return forEachField(bytes, taskStart, taskEnd, (taskField) => {
        if (taskField === METADATA) count++;
        return count <= most;
      });
    });
  });
  return parsed || count > most ? count : Infinity;
}

/**
 * Calls `visit` with each length-delimited field of the message in `bytes[from, to)` (its number
 * and the span of its bytes), skipping other wire types, until `visit` returns false or the bytes
 * end. Returns false when `visit` did, or the bytes do not parse.
 */
function forEachField(
  bytes: Uint8Array,
  from: number,
  to: number,
  visit: (field: number, start: number, end: number) => boolean,
): boolean {
  let pos = from;
  while (pos < to) {
    const tag = readVarint(bytes, pos, to);
    if (tag === undefined) return false;
    pos = tag.next;
    const field = Math.floor(tag.value / 8);
    switch (tag.value % 8) {
      case 0: {
        const skipped = readVarint(bytes, pos, to);
        if (skipped === undefined) return false;
        pos = skipped.next;
        break;
      }
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const length = readVarint(bytes, pos, to);
        if (length === undefined || length.next + length.value > to) return false;
        const start = length.next;
        pos = start + length.value;
        if (!visit(field, start, pos)) return false;
        break;
      }
      default:
        return false; // groups, or not protobuf
    }
  }
  return pos === to;
}

/**
 * The varint at `pos` (exact up to 2^53; a longer one is only skipped), or `undefined` past `to`
 * or longer than 10 bytes.
 */
function readVarint(
  bytes: Uint8Array,
  pos: number,
  to: number,
): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10 && pos < to; i++) {
    const byte = bytes[pos++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: pos };
    scale *= 128;
  }
  return undefined;
}
