/**
 * Row ↔ domain mapping of the embedded store: JSON columns, the task, executor, DLQ entry (a dead
 * task's row) and API key rows as the domain types, and the parameters an executor is written with.
 */
import type { DlqEntry } from "../../domain/dlq.ts";
import type { Executor, WriteConcernLevel } from "../../domain/executor.ts";
import { type FlowControl, flowOf, groupKeyField, NO_FLOW_CONTROL } from "../../domain/flow.ts";
import type { Task, TaskStatus } from "../../domain/task.ts";
import type { ApiKeyRecord } from "../store.ts";

/** A row as `node:sqlite` returns it. */
export type Row = Record<string, unknown>;
/** Named statement parameters (`$name`). */
export type Params = Record<string, string | number | null>;

/** JSON text of any value; `undefined` (and what JSON cannot hold) is stored as `null`. */
export function json(value: unknown): string {
  return JSON.stringify(value ?? null) ?? "null";
}

/** Parses stored JSON text; the commonest values of a fresh task skip the parser. */
export function parseJson<T>(text: string): T {
  switch (text) {
    case "null":
      return null as T;
    case "[]":
      return [] as T;
    case "{}":
      return {} as T;
    default:
      return JSON.parse(text);
  }
}

/** A `tasks` row (`SELECT *`) as the domain task. */
export function rowToTask(row: Row): Task {
  return {
    id: row.id as string,
    executorName: row.executor_name as string,
    data: parseJson(row.data as string),
    metadata: parseJson(row.metadata as string),
    status: row.status as TaskStatus,
    priority: row.priority as number,
    runAt: row.run_at as number,
    attempt: row.attempt as number,
    maxAttempts: row.max_attempts as number,
    errors: parseJson(row.errors as string),
    errorsDropped: row.errors_dropped as number,
    run: row.run as number,
    progress: parseJson(row.progress as string),
    logs: parseJson(row.logs as string),
    result: parseJson(row.result as string),
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    startedAt: row.started_at as number | null,
    completedAt: row.completed_at as number | null,
    idempotencyKey: row.idempotency_key as string | null,
    ...groupKeyField(row.group_key as string | null),
    workerId: row.worker_id as string | null,
    leaseToken: row.lease_token as string | null,
    leaseExpiresAt: row.lease_expires_at as number | null,
    traceparent: (row.traceparent ?? null) as string | null,
    tracestate: (row.tracestate ?? null) as string | null,
  };
}

/** An `executors` row as the domain executor (flow control from the `flow` JSON column). */
export function rowToExecutor(row: Row): Executor {
  return {
    id: row.id as string,
    name: row.name as string,
    enabled: row.enabled === 1,
    writeConcern: { level: row.write_concern as WriteConcernLevel },
    retryPolicy: JSON.parse(row.retry_policy as string),
    dlqConfig: JSON.parse(row.dlq_config as string),
    taskSchema: JSON.parse(row.task_schema as string),
    timeout: row.timeout as number,
    maxConcurrency: row.max_concurrency as number,
    ...flowOfRow(row),
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
  };
}

/** The flow control of an `executors` row (its `flow` JSON column; none on older rows). */
export function flowOfRow(row: Row): FlowControl {
  return { ...NO_FLOW_CONTROL, ...(row.flow ? JSON.parse(row.flow as string) : {}) };
}

/** The named parameters an executor row is written with. */
export function executorParams(executor: Executor): Params {
  return {
    id: executor.id,
    name: executor.name,
    enabled: executor.enabled ? 1 : 0,
    write_concern: executor.writeConcern.level,
    retry_policy: json(executor.retryPolicy),
    dlq_config: json(executor.dlqConfig),
    task_schema: json(executor.taskSchema),
    timeout: executor.timeout,
    max_concurrency: executor.maxConcurrency,
    flow: json(flowOf(executor)),
    created_at: executor.createdAt,
    updated_at: executor.updatedAt,
  };
}

/**
 * A dead task's row (status `dlq`, `SELECT *`) as the API's DLQ entry: its dead-letter columns and
 * the task itself, unchanged since it died.
 */
export function rowToDlqEntry(row: Row): DlqEntry {
  return {
    id: row.id as string,
    queueName: row.dlq_queue_name as string,
    executorName: row.executor_name as string,
    reason: row.dlq_reason as DlqEntry["reason"],
    deadAt: row.dead_at as number,
    task: rowToTask(row),
  };
}

/** An `api_keys` row as the key record. */
export function rowToKey(row: Row): ApiKeyRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    scopes: JSON.parse(row.scopes as string),
    executors: JSON.parse(row.executors as string),
    secretHash: row.secret_hash as string,
    createdAt: row.created_at as number,
    lastUsedAt: row.last_used_at as number | null,
    revokedAt: row.revoked_at as number | null,
  };
}
