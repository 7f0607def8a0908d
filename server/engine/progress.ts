/**
 * The progress a worker's heartbeat reports for its tasks, read and bounded before it is kept.
 * @module
 */
import { checkJsonValue, utf8Length } from "@tasks-executor/proto/json-value";
import { JsonNames, noteJsonNames } from "../domain/json_text.ts";
import type { Limits } from "../domain/limits.ts";

/**
 * The progress a heartbeat reports that can be kept, by task id (see `Engine.heartbeat`): not
 * past `progressBytes`, nor past the heartbeat's `requestJsonNames` distinct member names in all
 * (each costs the thread about 2 µs to parse).
 */
export function readProgress(
  progressJson: Record<string, string>,
  taskIds: readonly string[],
  limits: Pick<Limits, "progressBytes" | "jsonDepth" | "requestJsonNames">,
): Map<string, unknown> {
  const kept = new Map<string, unknown>();
  const names = new JsonNames(limits.requestJsonNames);
  if (progressJson === null || typeof progressJson !== "object") return kept;
  // Only the tasks the heartbeat names (a bounded count): entries for others are not even read.
  for (const taskId of taskIds) {
    if (!Object.hasOwn(progressJson, taskId)) continue;
    const text = progressJson[taskId];
    if (typeof text !== "string" || utf8Length(text) > limits.progressBytes) continue;
    if (!noteJsonNames(text, names)) continue;
    try {
      const value = JSON.parse(text);
      if (checkJsonValue(value, { pointer: "/progress", maxDepth: limits.jsonDepth }, [])) {
        kept.set(taskId, value);
      }
    } catch {
      // Not JSON: the lease is still extended, the progress left as it was.
    }
  }
  return kept;
}
