/**
 * A bound on one message of the work stream from the manager, checked on its bytes before they
 * are decoded, by the walk the manager checks its requests with (`checkWire`, proto/wire_check.ts):
 * decoding makes an object or a string of each message, map entry and string, and reads each
 * field in a step of its own; one message of 1,000,000 metadata entries (12.9 MB) held the
 * worker's event loop 3.0-3.2 s (0.15-0.29 s now, receiving it).
 */
import { messageType } from "@tasks-executor/proto";
import { checkWire } from "@tasks-executor/proto/wire-check";

/** A message type of the protocol, as protobufjs reflects it. */
type MessageType = ReturnType<typeof messageType>;

/** Most metadata entries a task holds: the manager's `limits.metadataEntries`, which no setting changes. */
export const TASK_METADATA_ENTRIES = 64;

/**
 * Elements (`checkWire`'s count) one lease may be sent with: the assignment, its two times, and
 * each metadata entry. Its other fields, sent once each, are not elements.
 */
const ELEMENTS_PER_LEASE = 1 + 2 + TASK_METADATA_ENTRIES;

/**
 * Elements a message may hold besides its leases: a welcome, the acks of a results message (500
 * results at most; the manager's 10,000 acks at most make 10,001), the cancellations of running
 * attempts. The bound counted fields before, and allowed 100,000; a metadata entry was 3 of them
 * (the entry, its key, its value). The slowest messages within this bound, at capacity 1, checked
 * and decoded: small assignments with every field set (11,008 of them) 90-125 ms, where the old
 * bound let 6,656 in at 41-71 ms; one lease of 33,000 metadata entries 68-75 ms; empty
 * assignments 57-66 ms, where the old bound's 100,096 took 141-174 ms, its slowest; at capacity
 * 2,000 the slowest is 195-280 ms, against 650-737 ms (3 runs each, a busy 2-core machine).
 */
const WORK_MESSAGE_BASE_ELEMENTS = 33_000;

/**
 * Most elements one message of the work stream may hold for a worker that runs at most
 * `capacity` attempts at once (its executors' concurrency together): a manager leases no more
 * tasks than the worker's credits, which never pass its capacity. An element is what
 * `checkWire` counts: each message (the oneof's, each lease, each time, each ack, …), map entry
 * and value of a repeated field, each singular field from its second time on, and each field the
 * protocol does not declare.
 *
 * @example
 * ```ts ignore
 * maxWorkMessageElements(1); // 33,067
 * maxWorkMessageElements(2_000); // 167,000
 * ```
 */
export function maxWorkMessageElements(capacity: number): number {
  return WORK_MESSAGE_BASE_ELEMENTS + capacity * ELEMENTS_PER_LEASE;
}

let workResponse: MessageType | undefined;

/**
 * Checks that `bytes` are a `WorkResponse` in protobuf's wire format (`checkWire`: each length
 * within the message that holds it, each known field in its own wire type, each string UTF-8) of
 * at most `most` elements (`maxWorkMessageElements`), walked as the work stream decodes it (its
 * `Value` fields as bytes, `withValueBytes`), without decoding it.
 *
 * Unknown fields count as elements here, which the manager does not do (`unknownFieldsAreElements`):
 * each is a step of the decoder, and what the manager takes is at most 4 MiB (2,097,152 unknown
 * fields, checked and decoded there in 57-82 ms), while a worker receives up to 64 MiB: a welcome
 * of 30 million numbers (57 MB), each a singular field sent again, held a worker 3 s. The
 * elements bound what the decoder reads besides them too: each message, counted, holds at most 11
 * fields it declares (an assignment's), read once each for free.
 *
 * @throws {RangeError} naming the field that does not fit the wire format
 * @throws {TooManyInRequest} (proto/wire_check.ts) naming the field that takes the message past
 *   `most` elements
 */
export function checkWorkMessage(bytes: Uint8Array, most: number): void {
  workResponse ??= messageType("taskexecutor.v1.WorkResponse", { valueBytes: true });
  checkWire(workResponse, bytes, { elements: most, unknownFieldsAreElements: true });
}
