/**
 * The progress a worker's heartbeat reports for its tasks, read and bounded before it is kept.
 * @module
 */
import { checkJsonValue, utf8Length } from "@tasks-executor/proto/json-value";
import { countJsonText, ObjectShapes } from "@tasks-executor/proto/json-text";
import type { Limits } from "../domain/limits.ts";
import { ThreadSlices } from "../thread_slices.ts";

/**
 * Progress text, in UTF-16 units, read (and then written) between two turns of the thread: a
 * heartbeat of 3,500 tasks' progress of 1 KiB read all of it in one go, then wrote it 500 tasks a
 * store call, holding the thread 230-600 ms at times. The engine's lease writes close a chunk here
 * too (`Engine.heartbeat`).
 */
export const PROGRESS_CHUNK_CHARS = 64 * 1024;

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
  shapes: ObjectShapes = new ObjectShapes(limits.requestObjectShapes),
  kept: Map<string, unknown> = new Map(),
): Map<string, unknown> {
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

/**
 * `readProgress` in chunks of at most `PROGRESS_CHUNK_CHARS` of progress text (or one entry past
 * it), the thread given back between them once a slice is spent (`ThreadSlices`); the object
 * shapes are counted over the whole heartbeat, as `readProgress` does.
 */
export async function readProgressInSlices(
  progressJson: Record<string, string>,
  taskIds: readonly string[],
  limits: Pick<Limits, "progressBytes" | "jsonDepth" | "requestObjectShapes">,
  slices: ThreadSlices = new ThreadSlices(),
): Promise<Map<string, unknown>> {
  const kept = new Map<string, unknown>();
  if (progressJson === null || typeof progressJson !== "object") return kept;
  const shapes = new ObjectShapes(limits.requestObjectShapes);
  let chunk: string[] = [];
  let chars = 0;
  for (const taskId of new Set(taskIds)) {
    if (!Object.hasOwn(progressJson, taskId)) continue;
    const text = progressJson[taskId];
    chars += typeof text === "string" ? text.length : 0;
    chunk.push(taskId);
    if (chars < PROGRESS_CHUNK_CHARS) continue;
    readProgress(progressJson, chunk, limits, shapes, kept);
    chunk = [];
    chars = 0;
    await slices.turn();
  }
  readProgress(progressJson, chunk, limits, shapes, kept);
  return kept;
}
