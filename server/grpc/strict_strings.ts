/**
 * protobufjs reads a string field from a Node `Buffer` (what grpc-js hands its deserializers)
 * without checking that its length fits the message: a message cut short (`0a 05 61`: field 1, 5
 * bytes, then one) decoded as `"a"`, and a task was made for executor "a". Its reader of plain
 * byte arrays refuses such a message ("index out of range"); the manager's `Buffer` reader is
 * made to refuse it the same way, so grpc-js answers it as any message that does not decode
 * (INTERNAL, "Error deserializing request", as gRPC's table of library codes says). Only the
 * manager's process is changed: the SDK leaves the protobufjs of its users' programs as it is.
 */
import protobuf from "protobufjs";

interface BufferReaderLike {
  buf: { utf8Slice?: (start: number, end: number) => string; toString(...args: unknown[]): string };
  pos: number;
  len: number;
  uint32(): number;
}

let applied = false;

/** Makes protobufjs's `Buffer` reader refuse a string longer than what is left of the message. */
export function strictProtobufStrings(): void {
  if (applied) return;
  applied = true;
  const reader = (protobuf as unknown as { BufferReader: { prototype: BufferReaderLike } })
    .BufferReader.prototype as BufferReaderLike & { string(): string };
  reader.string = function (this: BufferReaderLike): string {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > this.len) {
      throw new RangeError(`index out of range: ${this.pos} + ${length} > ${this.len}`);
    }
    const text = this.buf.utf8Slice
      ? this.buf.utf8Slice(this.pos, end)
      : this.buf.toString("utf-8", this.pos, end);
    this.pos = end;
    return text;
  };
}
