/**
 * A guard on the header lists gRPC clients send, measured from their HPACK blocks (RFC 7541)
 * before node:http2 decodes them.
 *
 * Deno 2.7.14's `node:http2` bounds neither the size of a stream's header list (it does not
 * enforce `maxHeaderListSize`) nor what it keeps of one: it takes 128
 * fields and resets the stream at the 129th (ENHANCE_YOUR_CALM), and until V8's next full
 * collection — which V8 times by its own heap, barely grown by such streams — it keeps every field
 * the stream sent. A few bytes name a 4 KB entry of the client's HPACK table, so one stream of 130
 * such names costs 512 KiB: 2,800 of them grew a manager by 1 GB, for good; 120 names, under the
 * field limit, reached grpc-js as 480 KB of strings per stream (8 connections took a manager to
 * 2.8 GB). No key is needed for either.
 *
 * So the manager reads each header block as a decoder would, keeping only the sizes of its table's
 * entries, and closes the connection before node:http2 reads a block of more than
 * `MAX_HEADER_FIELDS` fields or `MAX_HEADER_LIST_BYTES` (RFC 9113 §6.5.2's measure: name and value
 * bytes plus 32 per field), or one it cannot read (an index past the table, a string past the
 * block; other faults node:http2 finds itself, and ends the connection). The bytes of a block are
 * held back from node:http2 until the block is whole (`FrameReader.settled`): nghttp2 decodes
 * fields as they arrive. Clients are told the byte limit (SETTINGS_MAX_HEADER_LIST_SIZE,
 * `announceHeaderListLimit`): grpc-go then fails a call past it itself, and the connection stays.
 */
import { Buffer } from "node:buffer";
import {
  closing,
  FRAME_FLAG,
  FRAME_TYPE,
  type FrameListener,
  MAX_FRAME_PAYLOAD,
} from "./frames.ts";

/** Fields one header block may carry: node:http2 resets a stream at the 129th. */
export const MAX_HEADER_FIELDS = 128;
/** Bytes one header list may have: names and values, plus 32 per field. */
export const MAX_HEADER_LIST_BYTES = 16 * 1024;
/** What each field counts besides its name and value (RFC 7541 §4.1, RFC 9113 §6.5.2). */
const FIELD_OVERHEAD = 32;
/**
 * The size of a client's HPACK table at the start, and the most it may set: the manager leaves
 * SETTINGS_HEADER_TABLE_SIZE at its default (RFC 9113 §6.5.2).
 */
const TABLE_BYTES = 4096;
/**
 * Bytes of a header block past which its list must pass `MAX_HEADER_LIST_BYTES`: each character
 * is 30 bits at most (Huffman), each field a few bytes against the 32 it counts. The block is
 * judged then, not held back to its end.
 */
const MAX_BLOCK_BYTES = 4 * MAX_HEADER_LIST_BYTES;
/** HEADERS flags that put bytes before the block fragment (RFC 9113 §6.2). */
const PADDED = 0x8;
const PRIORITY = 0x20;

/** The static table (RFC 7541 Appendix A): entries 1 to 61, as name and value. */
const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];
const STATIC_SIZES = STATIC_TABLE.map(([name, value]) => [name.length, value.length] as const);

/**
 * HPACK's Huffman code (RFC 7541 Appendix B) is canonical: the codes of each bit length follow
 * one another, shortest first. How many there are of each length is all a decoder that counts
 * characters needs.
 */
const CODES_OF_LENGTH: Readonly<Record<number, number>> = {
  5: 10,
  6: 26,
  7: 32,
  8: 6,
  10: 5,
  11: 3,
  12: 2,
  13: 6,
  14: 2,
  15: 3,
  19: 3,
  20: 8,
  21: 13,
  22: 26,
  23: 29,
  24: 12,
  25: 4,
  26: 15,
  27: 19,
  28: 29,
  30: 4,
};
/**
 * The code as a machine read four bits at a time: its states are the places inside a code (the
 * tree's inner nodes, the root first), and for each state and nibble, the state after it and
 * whether a character ended in it (codes are 5 bits at least: one at most per nibble).
 */
const HUFFMAN_STEPS: { next: Uint16Array; ends: Uint8Array } = (() => {
  // The code tree, from each length's codes in order (canonical): children of inner nodes, a
  // leaf as -1. The codes fill it: every path of 30 bits ends at a leaf.
  const LEAF = -1;
  const children: [number, number][] = [[0, 0]];
  let first = 0;
  for (let length = 1; length <= 30; length++) {
    for (let code = first; code < first + (CODES_OF_LENGTH[length] ?? 0); code++) {
      let node = 0;
      for (let bit = length - 1; bit >= 0; bit--) {
        const side = (code >> bit) & 1;
        if (bit === 0) children[node][side] = LEAF;
        else {
          if (children[node][side] === 0) children[node][side] = children.push([0, 0]) - 1;
          node = children[node][side];
        }
      }
    }
    first = (first + (CODES_OF_LENGTH[length] ?? 0)) * 2;
  }
  const next = new Uint16Array(children.length * 16);
  const ends = new Uint8Array(children.length * 16);
  for (let state = 0; state < children.length; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      for (let bit = 3; bit >= 0; bit--) {
        const child = children[node][(nibble >> bit) & 1];
        // A leaf ends a character.
        if (child === LEAF) {
          ends[state * 16 + nibble] = 1;
          node = 0;
        } else node = child;
      }
      next[state * 16 + nibble] = node;
    }
  }
  return { next, ends };
})();

/** Characters of a Huffman-coded string: `bytes` of `block` from `start` (RFC 7541 §5.2). */
function huffmanLength(block: Uint8Array, start: number, bytes: number): number {
  const { next, ends } = HUFFMAN_STEPS;
  let characters = 0;
  let state = 0;
  for (let i = start; i < start + bytes; i++) {
    const high = state * 16 + (block[i] >> 4);
    characters += ends[high];
    const low = next[high] * 16 + (block[i] & 0xf);
    characters += ends[low];
    state = next[low];
  }
  // What is left is padding: the first bits of the end-of-string code.
  return characters;
}

/** What one header block carries, as far as it was read: fields and bytes (with overheads). */
export interface HeaderListSize {
  fields: number;
  bytes: number;
}

/** A block that cannot be read. */
class BadBlock extends Error {}

/**
 * One connection's HPACK decoding state, as far as sizes go: the dynamic table's entries as the
 * byte lengths of their names and values, newest first.
 *
 * @example
 * ```ts
 * import { HeaderListSizes } from "./header_lists.ts";
 * const sizes = new HeaderListSizes();
 * // :method POST (static), then "x-a: b" put in the table, then named from it.
 * sizes.measure(new Uint8Array([0x83, 0x40, 3, 0x78, 0x2d, 0x61, 1, 0x62, 0xbe]));
 * // → { fields: 3, bytes: (7 + 4 + 32) + 2 * (3 + 1 + 32) }
 * ```
 */
export class HeaderListSizes {
  readonly #entries: [number, number][] = [];
  #tableBytes = 0;
  #maxTableBytes = TABLE_BYTES;

  /**
   * Reads one header block (its fragments joined) and updates the table as a decoder does. Stops
   * once the block has more than `MAX_HEADER_FIELDS` fields or `MAX_HEADER_LIST_BYTES` (the size
   * says so, and the table is no longer what the client's is). `null` for a block it cannot read
   * (an index past the table, a string or an integer past the block, a size update past 4,096);
   * other faults (an end-of-string code in a string, a size update after a field) it leaves to
   * nghttp2, which ends such a connection.
   */
  measure(block: Uint8Array): HeaderListSize | null {
    const size: HeaderListSize = { fields: 0, bytes: 0 };
    let at = 0;
    const integer = (prefixBits: number): number => {
      if (at >= block.length) throw new BadBlock();
      const mask = (1 << prefixBits) - 1;
      let value = block[at++] & mask;
      if (value < mask) return value;
      for (let shift = 0;; shift += 7) {
        if (at >= block.length || shift > 21) throw new BadBlock();
        const byte = block[at++];
        value += (byte & 0x7f) * 2 ** shift;
        if ((byte & 0x80) === 0) return value;
      }
    };
    // A string's decoded length; `null` when it alone takes the list past its limit.
    const string = (): number | null => {
      const huffman = (block[at] & 0x80) !== 0;
      const bytes = integer(7);
      if (at + bytes > block.length) throw new BadBlock();
      // A Huffman code is 30 bits at most: fewer characters than that cannot be.
      const least = huffman ? Math.floor(bytes * 8 / 30) : bytes;
      if (size.bytes + least > MAX_HEADER_LIST_BYTES) return null;
      const length = huffman ? huffmanLength(block, at, bytes) : bytes;
      at += bytes;
      return length;
    };
    const entry = (index: number): readonly [number, number] => {
      const found = index <= STATIC_SIZES.length
        ? STATIC_SIZES[index - 1]
        : this.#entries[index - STATIC_SIZES.length - 1];
      if (index === 0 || !found) throw new BadBlock();
      return found;
    };
    const over = () => size.fields > MAX_HEADER_FIELDS || size.bytes > MAX_HEADER_LIST_BYTES;
    try {
      while (at < block.length && !over()) {
        const first = block[at];
        if ((first & 0xe0) === 0x20) {
          // Dynamic table size update (§6.3).
          const max = integer(5);
          if (max > TABLE_BYTES) throw new BadBlock();
          this.#maxTableBytes = max;
          this.#evict(0);
          continue;
        }
        let name: number | null;
        let value: number | null;
        let indexing = false;
        if ((first & 0x80) !== 0) {
          // Indexed field (§6.1).
          [name, value] = entry(integer(7));
        } else {
          // Literal field, with incremental indexing (§6.2.1) or without it (§6.2.2, §6.2.3).
          indexing = (first & 0xc0) === 0x40;
          const index = integer(indexing ? 6 : 4);
          name = index === 0 ? string() : entry(index)[0];
          value = name === null ? null : string();
        }
        size.fields++;
        if (name === null || value === null) {
          size.bytes = MAX_HEADER_LIST_BYTES + 1;
          break;
        }
        size.bytes += name + value + FIELD_OVERHEAD;
        if (indexing) this.#insert(name, value);
      }
    } catch (error) {
      if (error instanceof BadBlock) return null;
      throw error;
    }
    return size;
  }

  #insert(name: number, value: number): void {
    const bytes = name + value + FIELD_OVERHEAD;
    this.#evict(bytes);
    // An entry larger than the table empties it and is not added (§4.4).
    if (bytes > this.#maxTableBytes) return;
    this.#entries.unshift([name, value]);
    this.#tableBytes += bytes;
  }

  /** Evicts the oldest entries until `room` more bytes fit in the table. */
  #evict(room: number): void {
    while (this.#entries.length > 0 && this.#tableBytes + room > this.#maxTableBytes) {
      const [name, value] = this.#entries.pop()!;
      this.#tableBytes -= name + value + FIELD_OVERHEAD;
    }
  }
}

/**
 * For one connection from `peer`: the frame listener that measures each header block its client
 * sends (HEADERS, then any CONTINUATIONs) and asks to close it, before node:http2 reads the block,
 * when the block passes `MAX_HEADER_FIELDS` or `MAX_HEADER_LIST_BYTES` or cannot be read
 * (`closing` logs it).
 */
export function headerListCheck(peer: string): FrameListener {
  const sizes = new HeaderListSizes();
  // The fragments of the block under way, until its END_HEADERS, and their bytes.
  let fragments: Uint8Array[] = [];
  let blockBytes = 0;
  const close = (why: string) => {
    fragments = [];
    return closing(peer, why);
  };
  return {
    wantsPayload: (head) =>
      (head.type === FRAME_TYPE.HEADERS || head.type === FRAME_TYPE.CONTINUATION) &&
      head.length <= MAX_FRAME_PAYLOAD,
    frame(head, payload) {
      if (head.type !== FRAME_TYPE.HEADERS && head.type !== FRAME_TYPE.CONTINUATION) return false;
      // node:http2 ends a connection whose frames pass the size it was told.
      if (!payload && head.length > 0) return close("a header block frame is too large");
      let fragment = payload ?? new Uint8Array(0);
      if (head.type === FRAME_TYPE.HEADERS) {
        fragments = [];
        blockBytes = 0;
        const padding = (head.flags & PADDED) !== 0 ? fragment[0] ?? 0 : 0;
        const start = ((head.flags & PADDED) !== 0 ? 1 : 0) +
          ((head.flags & PRIORITY) !== 0 ? 5 : 0);
        if (start + padding > fragment.length) return close("a header block cannot be read");
        fragment = fragment.subarray(start, fragment.length - padding);
      }
      fragments.push(fragment);
      blockBytes += fragment.length;
      if (blockBytes > MAX_BLOCK_BYTES) {
        return close(`a header list is larger than ${MAX_HEADER_LIST_BYTES} bytes`);
      }
      if ((head.flags & FRAME_FLAG.END_HEADERS) === 0) return false;
      const block = fragments.length === 1 ? fragments[0] : Buffer.concat(fragments);
      fragments = [];
      blockBytes = 0;
      const size = sizes.measure(block);
      if (size === null) return close("a header block cannot be read");
      if (size.fields > MAX_HEADER_FIELDS) {
        return close(`a header list has more than ${MAX_HEADER_FIELDS} fields`);
      }
      if (size.bytes > MAX_HEADER_LIST_BYTES) {
        return close(`a header list is larger than ${MAX_HEADER_LIST_BYTES} bytes`);
      }
      return false;
    },
  };
}

/**
 * Has the HTTP/2 servers `server` makes from now on tell their clients `MAX_HEADER_LIST_BYTES`
 * (SETTINGS_MAX_HEADER_LIST_SIZE) beside grpc-js's own settings: grpc-js passes only the
 * concurrent streams' limit, so this reaches into its `commonServerOptions`.
 */
export function announceHeaderListLimit(server: object): void {
  const internal = server as { commonServerOptions: { settings?: Record<string, unknown> } };
  internal.commonServerOptions.settings = {
    ...internal.commonServerOptions.settings,
    maxHeaderListSize: MAX_HEADER_LIST_BYTES,
  };
}

/** Each stream's header list size (`noteHeaderList`), until the stream is collected. */
const listBytesOfStream = new WeakMap<object, number>();

/**
 * Notes the size of the header list `stream` came with (`headers`, as node:http2 hands them to its
 * `stream` listener), by RFC 9113 §6.5.2's measure: name and value bytes plus 32 per field,
 * `MAX_HEADER_LIST_BYTES` at most, as the guard above lets through. What the call's account
 * then holds for it (`headerListBytesOf`).
 */
export function noteHeaderList(stream: object, headers: Record<string, unknown>): void {
  let bytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      bytes += Buffer.byteLength(name) + Buffer.byteLength(String(one)) + FIELD_OVERHEAD;
    }
  }
  listBytesOfStream.set(stream, bytes);
}

/** The header list size noted for `stream` (`noteHeaderList`); 0 when none was. */
export function headerListBytesOf(stream: object | undefined): number {
  return stream ? listBytesOfStream.get(stream) ?? 0 : 0;
}
