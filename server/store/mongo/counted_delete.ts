/**
 * Deletes of tasks that know how many went even when they fail. A `deleteMany` answers its count
 * only when it succeeds: one the server or the connection cuts part way (an outage, a failover,
 * `maxTimeMS`) may have deleted some of its documents and says nothing of them. Each delete here
 * names a bounded list of ids, so after a failure a read of those ids tells how many are gone.
 */
import type { Collection, Filter } from "mongodb";
import type { TaskDoc } from "./documents.ts";

/**
 * Deletes the tasks of `ids` that match `filter` in one `deleteMany`, and answers how many went.
 * When the delete fails, the ids still there are read, `onCut` is told how many of `ids` are gone
 * (counted as this delete's: one deleted by another call between the caller's read of the ids and
 * this delete counts too), and the delete's error is thrown. When that read fails as well, the
 * delete's error is thrown without a count (the caller cannot know what went).
 *
 * @throws the `deleteMany`'s error
 */
export async function deleteCounted(
  tasks: Collection<TaskDoc>,
  filter: Filter<TaskDoc>,
  ids: readonly string[],
  onCut: (gone: number) => void,
): Promise<number> {
  try {
    return (await tasks.deleteMany({ ...filter, _id: { $in: [...ids] } })).deletedCount;
  } catch (error) {
    const left = await tasks.find({ _id: { $in: [...ids] } }, { projection: { _id: 1 } })
      .toArray().catch(() => null);
    if (left !== null) onCut(new Set(ids).size - left.length);
    throw error;
  }
}
