/**
 * The audit trail: one info line per state-changing call, and one per call refused for want of
 * permission (a worker id another key holds too, though answered UNAVAILABLE), naming the key that
 * made it (id and name, never the secret). Both lines are built here; each transport calls `audit`
 * in one place.
 */
import { log } from "../log.ts";
import { type Operation, OPERATIONS } from "./permissions.ts";
import type { Principal } from "./scopes.ts";

/** What a transport says about one call. */
export interface AuditedCall {
  transport: "rest" | "grpc";
  /** `METHOD /path` for REST, `package.Service/Method` for gRPC. */
  call: string;
  /** HTTP status, or gRPC status name (`OK`, `PERMISSION_DENIED`, …). */
  outcome: number | string;
  /** Why it was refused (the permission error's message), for a denied call. */
  reason?: string;
  /**
   * Refused by an authorization decision answered with another outcome: a worker id another key
   * holds (UNAVAILABLE, which workers retry). 403 and PERMISSION_DENIED are denials whatever this
   * says.
   */
  denied?: boolean;
}

/** Whether a call was refused for want of permission. */
function isDenied(call: AuditedCall): boolean {
  return call.denied === true || call.outcome === 403 || call.outcome === "PERMISSION_DENIED";
}

/**
 * Logs `call` at info with the caller's key id and name, the operation, transport, call and
 * outcome: as `Denied` (with `reason`) when it was refused for want of permission (403,
 * PERMISSION_DENIED, or `denied`: a worker id another key holds), whatever the operation; as
 * `Audit` when `operation` changes state; not at all for a read that was answered.
 *
 * @example
 * ```ts ignore
 * audit(caller, "tasks.create", { transport: "rest", call: "POST /api/v1/tasks", outcome: 201 });
 * ```
 */
export function audit(caller: Principal, operation: Operation, call: AuditedCall): void {
  const denied = isDenied(call);
  if (!denied && !OPERATIONS[operation].changes) return;
  const { reason, denied: _, ...rest } = call;
  log.info(denied ? "Denied" : "Audit", {
    keyId: caller.keyId,
    keyName: caller.keyName,
    operation,
    ...rest,
    ...(denied && reason !== undefined ? { reason } : {}),
  });
}
