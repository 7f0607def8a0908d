/**
 * Driver errors of the MongoDB store: which ones mean "the server is unreachable" (answered as
 * `UnavailableError`), the codes the store reads, and the unordered bulk write's per-operation
 * errors.
 */
import {
  MongoBulkWriteError,
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from "mongodb";
import { UnavailableError } from "../../domain/errors.ts";

/** The server's code of a unique index violation. */
export const DUPLICATE_KEY = 11000;
/** The server's code for a collection (or index) that does not exist. */
export const NAMESPACE_NOT_FOUND = 26;

const SOCKET_ERROR_CODES = ["EPIPE", "ECONNRESET", "ECONNREFUSED", "ERR_SOCKET_CLOSED"];

function isConnectionError(error: unknown): boolean {
  if (
    error instanceof MongoNetworkError || error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError || error instanceof MongoTopologyClosedError ||
    (error instanceof MongoError && error.name === "MongoPoolClearedError")
  ) return true;
  // A socket that ends mid-write can surface as the runtime's own error, not the driver's.
  if (!(error instanceof Error) || error instanceof MongoError) return false;
  const code = (error as Error & { code?: unknown }).code;
  return (typeof code === "string" && SOCKET_ERROR_CODES.includes(code)) ||
    /socket has been ended|socket hang up/i.test(error.message);
}

/** Turns driver errors of an unreachable server into `UnavailableError`; others pass through. */
export function translate(error: unknown): unknown {
  if (isConnectionError(error)) {
    return new UnavailableError(
      `MongoDB store is unavailable: ${(error as Error).message || (error as Error).name}`,
    );
  }
  return error;
}

/**
 * Runs one store call, turning an unreachable server into `UnavailableError`.
 *
 * @throws {UnavailableError} when the server cannot be reached; other errors pass through.
 */
export async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translate(error);
  }
}

/** The failed operations of an unordered bulk write: their codes and indexes in the batch. */
function bulkWriteErrors(
  error: MongoBulkWriteError,
): readonly { code: number; index: number }[] {
  const errors = error.writeErrors;
  return (Array.isArray(errors) ? errors : [errors]) as readonly { code: number; index: number }[];
}

/**
 * Indexes of the operations of a bulk write that failed on a duplicate key, or `null` when
 * `error` is no bulk write error or another error is among them.
 */
export function duplicateKeyFailures(error: unknown): number[] | null {
  if (!(error instanceof MongoBulkWriteError)) return null;
  const errors = bulkWriteErrors(error);
  if (errors.length === 0 || errors.some((e) => e.code !== DUPLICATE_KEY)) return null;
  return errors.map((e) => e.index);
}
