/**
 * The audit trail: one info line per state-changing call, naming the key that made it (id and
 * name, never the secret). Each transport calls `audit` in one place.
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
}

/**
 * Logs `call` at info as `Audit` with the caller's key id and name, when `operation` changes
 * state; does nothing for reads.
 *
 * @example
 * ```ts ignore
 * audit(caller, "tasks.create", { transport: "rest", call: "POST /api/v1/tasks", outcome: 201 });
 * ```
 */
export function audit(caller: Principal, operation: Operation, call: AuditedCall): void {
  if (!OPERATIONS[operation].changes) return;
  log.info("Audit", { keyId: caller.keyId, keyName: caller.keyName, operation, ...call });
}
