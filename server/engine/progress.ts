/**
 * The progress a worker's heartbeat reports for its tasks, read and bounded before it is kept.
 * @module
 */
import { checkJsonValue, utf8Length } from "@tasks-executor/proto/json-value";
import { countJsonText, ObjectShapes } from "@tasks-executor/proto/json-text";
import type { Limits } from "../domain/limits.ts";

/**
 * The progress a heartbeat reports that can be kept, by task id (see `Engine.heartbeat`): not
 * past `progressBytes`, and, with member names, only while the heartbeat's progress holds at most
 * `requestObjectShapes` object shapes in all (each new one costs the thread about 1-3 µs to
 * parse: `proto/json_text.ts`); the rest is not kept, nor progress with a member name that ends with a
 * backslash (`endsWithBackslash`) or one given twice in an object.
 */
export function readProgress(
  progressJson: Record<string, string>,
  taskIds: readonly string[],
  limits: Pick<Limits, "progressBytes" | "jsonDepth" | "requestObjectShapes">,
): Map<string, unknown> {
  const kept = new Map<string, unknown>();
  const shapes = new ObjectShapes(limits.requestObjectShapes);
  if (progressJson === null || typeof progressJson !== "object") return kept;
  // Only the tasks the heartbeat names (a bounded count): entries for others are not even read.
  // Each once: a heartbeat naming one task 65,536 times read its 584 bytes of progress as often,
  // 0.61 s of the manager's thread.
  for (const taskId of new Set(taskIds)) {
    if (!Object.hasOwn(progressJson, taskId)) continue;
    const text = progressJson[taskId];
    if (typeof text !== "string" || utf8Length(text) > limits.progressBytes) continue;
    // Text without a quote holds no member name, and makes no shape.
    if (text.includes('"')) {
      countJsonText(text, Infinity, shapes);
      if (shapes.past) continue;
      if (shapes.nameEndingInBackslash || shapes.memberGivenTwice !== null) {
        shapes.nameEndingInBackslash = false;
        shapes.memberGivenTwice = null;
        continue;
      }
    }
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
