/**
 * The `GetHistory` rpc of `TaskExecutorManagerService`: one read of the history service, each
 * slot's latency histograms summed up as p50 and p95 `Duration`s (whole ms; unset when empty).
 */
import type * as grpc from "@grpc/grpc-js";
import { durationFromMs, timestampFromMs } from "@tasks-executor/proto";
import { type HistoryPoint, type HistorySlot, quantileOf } from "../domain/history.ts";
import type { Service } from "../service/service.ts";
import { durationField, timestampField } from "./convert.ts";
import { unary } from "./unary.ts";

function quantile(buckets: readonly number[], q: number) {
  const ms = quantileOf(buckets, q);
  return ms === null ? null : durationFromMs(Math.round(ms));
}

/** A history slot as a `HistorySlot` message. */
export function historySlotToMessage(slot: HistorySlot): Record<string, unknown> {
  return {
    ...slot.counts,
    queueWaitP50: quantile(slot.queueWaitMs, 0.5),
    queueWaitP95: quantile(slot.queueWaitMs, 0.95),
    runTimeP50: quantile(slot.runTimeMs, 0.5),
    runTimeP95: quantile(slot.runTimeMs, 0.95),
  };
}

/** The history rpc, to spread into the `TaskExecutorManagerService` implementation. */
export function historyMethods(service: Service): grpc.UntypedServiceImplementation {
  return {
    GetHistory: unary(async (req, caller, _metadata, signal) => {
      const history = await service.history.read({
        executorName: req.executorName,
        executorNames: req.executorNames,
        from: timestampField(req.from, "/from"),
        to: timestampField(req.to, "/to"),
        step: durationField(req.step, "/step"),
      }, { caller, signal });
      const points = (list: HistoryPoint[]) =>
        list.map((point) => ({
          at: timestampFromMs(point.at),
          slot: historySlotToMessage(point),
        }));
      return {
        executorName: history.executorName ?? "",
        from: timestampFromMs(history.from),
        to: timestampFromMs(history.to),
        step: durationFromMs(history.step),
        points: points(history.points),
        totals: historySlotToMessage(history.totals),
        series: (history.series ?? []).map((one) => ({
          executorName: one.executorName,
          points: points(one.points),
          totals: historySlotToMessage(one.totals),
        })),
      };
    }),
  };
}
