/**
 * The settings of a schedule as a client gives them (`ScheduleConfig`) and the names they use:
 * shared by `client.schedules` and the schedules a `Worker` declares next to a handler.
 */
import type { ProtoEnumName } from "./_enum_name.ts";

/** Whether a fire may start while the previous fire's task is still pending or running. */
export type OverlapPolicy = "skip" | "allow";
/**
 * What happens to fire times missed while no manager ran: `skip` them, `run_once` (one task for
 * the latest), or `run_each` (one per missed fire, at most `maxMissedFires`).
 */
export type MissedFirePolicy = "skip" | "run_once" | "run_each";
/** Why a fire made no task. */
export type ScheduleSkipReason =
  | "overlap"
  | "missed"
  | "missed_cap"
  | "invalid_data"
  | "executor_missing";

/** The task each fire creates. */
export interface ScheduleTask<TData = unknown> {
  /** The task's data, checked against the executor's schema when the schedule is saved. */
  data?: TData;
  /** String metadata of each task. */
  metadata?: Record<string, string>;
  /** Higher runs first (default 0). */
  priority?: number;
}

/**
 * A schedule's settings, as created or changed. Give either `cron` or `every`. On `update`,
 * fields left out keep their value.
 *
 * @example
 * ```ts
 * import type { ScheduleConfig } from "@tasks-executor/sdk";
 * const nightly: ScheduleConfig = {
 *   executorName: "send_report",
 *   cron: "30 2 * * *",
 *   timezone: "Europe/Berlin",
 *   task: { data: { kind: "daily" } },
 * };
 * console.log(nightly.cron);
 * ```
 */
export interface ScheduleConfig<TData = unknown> {
  /** The executor that runs the tasks. */
  executorName: string;
  /** A cron expression of 5 fields (minute first) or 6 (second first). */
  cron?: string;
  /** A fixed interval in ms (at least 1000), counted from `startAt` or the creation. */
  every?: number;
  /**
   * IANA time zone the cron expression is read in (default `UTC`), in any case and by any alias:
   * the manager keeps the zone's one name (`europe/paris` as `Europe/Paris`, `US/Eastern` as
   * `America/New_York`).
   */
  timezone?: string;
  /** The task each fire creates (default: data `null`, no metadata, priority 0). */
  task?: ScheduleTask<TData>;
  /** `false` = paused (default true). */
  enabled?: boolean;
  /** Default `skip`; the proto's name (`OVERLAP_POLICY_ALLOW`) is taken too. */
  overlapPolicy?: ProtoEnumName<"OVERLAP_POLICY_", OverlapPolicy>;
  /** Default `run_once`; the proto's name (`MISSED_FIRE_POLICY_RUN_EACH`) is taken too. */
  missedFirePolicy?: ProtoEnumName<"MISSED_FIRE_POLICY_", MissedFirePolicy>;
  /** Most tasks one catch-up makes under `run_each`: 1 to 100 (default 10). */
  maxMissedFires?: number;
  /** Each fire's task runs up to this many ms after the fire time, at random (default 0). */
  jitter?: number;
  /** No fire before this time; `null` (or the epoch, 0) clears it. */
  startAt?: Date | number | null;
  /** No fire after this time; `null` (or the epoch, 0) clears it. */
  endAt?: Date | number | null;
}
