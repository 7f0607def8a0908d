/**
 * `TaskExecutorManagerService.SearchTasks`: a thin adapter over `TaskSearchService`, which the
 * REST route `GET /api/v1/tasks/search` shares.
 */
import { ENUM_PREFIX } from "@tasks-executor/proto";
import { checkJsonValue } from "@tasks-executor/proto/json-value";
import type { FieldViolation } from "../domain/errors.ts";
import { TaskSearchService } from "../service/task_search.ts";
import type { Service } from "../service/service.ts";
import type { Principal } from "../auth/scopes.ts";
import { assertJsonFields, enumListField, jsonField, taskToMessage } from "./convert.ts";

// deno-lint-ignore no-explicit-any
type Message = Record<string, any>;

/** The `SearchTasks` handler over `service`, for `unary` to serve. */
export function searchTasksRpc(
  service: Service,
): (
  req: Message,
  caller: Principal,
  metadata: unknown,
  signal: AbortSignal,
) => Promise<Message> {
  const search = new TaskSearchService(service);
  return async (req, caller, _metadata, signal) => {
    const violations: FieldViolation[] = [];
    const value = jsonField(req.dataValue, "/dataValue", {
      maxDepth: service.limits.jsonDepth,
      violations,
    });
    // JSON text has no NaN or Infinity: as text they would search for null.
    if (value !== undefined) {
      checkJsonValue(
        value,
        { pointer: "/dataValue", maxDepth: service.limits.jsonDepth },
        violations,
      );
    }
    assertJsonFields(violations);
    const page = await search.searchTasks({
      id: req.id,
      // proto3 cannot tell an unset key from an empty one: unset, as a REST call leaving it out.
      metadataKey: req.metadataKey || undefined,
      metadataValue: req.metadataValue,
      dataPointer: req.dataPointer,
      // JSON text, as REST sends it: a Value string "123" stays a string.
      dataValue: value === undefined ? undefined : JSON.stringify(value),
      executorName: req.executorName,
      status: enumListField(ENUM_PREFIX.taskStatus, req.status, "/status", "Invalid task search"),
      cursor: req.cursor,
      limit: req.limit,
    }, { caller, signal });
    return {
      tasks: page.items.map(taskToMessage),
      nextCursor: page.nextCursor ?? "",
      scanned: page.scanned,
    };
  };
}
