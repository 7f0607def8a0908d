/**
 * Searching tasks: by id (a primary-key read), or by a metadata entry and a field of the data (a
 * scan of the newest tasks in pages, bounded by `limits.searchScanTasks` and `searchScanMs`).
 * Parses and bounds what a caller asks, checks what it may read, and sizes the answer page.
 */
import { fieldPointer, type FieldViolation, naming } from "../domain/errors.ts";
import { isId } from "../domain/id.ts";
import type { Task, TaskStatus } from "../domain/task.ts";
import { dataPointerProblem } from "../domain/json_pointer.ts";
import { matchesTaskSearch, type TaskSearch } from "../domain/task_search.ts";
import { assertExecutor, executorsWithin, reaches } from "../auth/permissions.ts";
import { ANONYMOUS_ADMIN, type Principal } from "../auth/scopes.ts";
import type { TaskSearchPage } from "../store/store.ts";
import { checkJsonValue } from "@tasks-executor/proto/json-value";
import { jsonBytes, pageCursorCheck } from "./paging.ts";
import type { ReadOptions } from "./caller.ts";
import type { Service } from "./service.ts";
import { assertNoViolations, checkStatusList, executorFilter } from "./violations.ts";

/** A search as a caller sends it (REST query parameters, gRPC fields); empty = not given. */
export interface TaskSearchRequest {
  /** A task id: that task alone, when it matches the rest. */
  id?: string;
  metadataKey?: string;
  metadataValue?: string;
  /** An RFC 6901 pointer into the data, e.g. `/order/id`. */
  dataPointer?: string;
  /** JSON text of a string, number, boolean or null; text that is not JSON is taken as a string. */
  dataValue?: string;
  executorName?: string;
  /** Statuses, comma-separated or as a list. */
  status?: string | string[];
  cursor?: string;
  /** Most matches per page: 1 to 1,000 (absent or 0: 50). */
  limit?: number;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

const given = (value: string | undefined): value is string => value !== undefined && value !== "";

/**
 * The data value a search compares with (see `TaskSearchRequest.dataValue`). An object or array is
 * no such value, and is not parsed: a member name that ends with a backslash would mislead the
 * runtime's JSON parser for later requests (`endsWithBackslash` in proto/json_text.ts).
 */
function dataValueOf(text: string): string | number | boolean | null | undefined {
  const first = text.trimStart()[0];
  if (first === "{" || first === "[") return undefined;
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON: the text itself, a string.
  }
  const scalar = value === null || ["string", "number", "boolean"].includes(typeof value);
  return scalar ? value as string | number | boolean | null : undefined;
}

/** Task search over the service's store and permissions (see the module doc). */
export class TaskSearchService {
  readonly #service: Service;

  constructor(service: Service) {
    this.#service = service;
  }

  /**
   * One page of matches, newest first. A page may hold fewer than `limit` matches (or none) and
   * still have a `nextCursor`: the scan stopped at its budget; call again with it to go on.
   *
   * Searches that scan run a few at a time (`Service.searches`: MAX_SEARCHES per manager, half for
   * a key that is not an admin key); the others wait their turn, up to MAX_SEARCHES_QUEUED, and
   * leave the queue once `options.signal` (the client's request) is aborted; a running scan stops
   * there too. A search by id, one read, does not wait.
   *
   * @throws {InvalidArgumentError} naming each bad field
   * @throws {PermissionDeniedError} for an executor the caller may not read
   * @throws {ResourceExhaustedError} when the search can neither run nor wait (see `SearchSlots`)
   */
  async searchTasks(
    request: TaskSearchRequest,
    options: ReadOptions = {},
  ): Promise<TaskSearchPage> {
    const limits = this.#service.limits;
    const violations: FieldViolation[] = [];
    const search: TaskSearch = {};
    const bounded = (field: string, value: string) => {
      if (value.length <= limits.searchTermChars) return true;
      violations.push({ field, message: `Must be at most ${limits.searchTermChars} characters` });
      return false;
    };
    if (given(request.metadataKey)) {
      const value = request.metadataValue ?? "";
      if (bounded("metadataKey", request.metadataKey) && bounded("metadataValue", value)) {
        search.metadata = { key: request.metadataKey, value };
      }
    } else if (given(request.metadataValue)) {
      violations.push({
        field: "metadataKey",
        message: request.metadataKey === ""
          ? "Must not be empty: no metadata key is, give the key metadataValue is searched under"
          : "Must be given with metadataValue",
      });
    }
    if (given(request.dataPointer)) {
      const data = this.#dataTerm(request.dataPointer, request.dataValue, violations);
      if (data) search.data = data;
    } else if (given(request.dataValue)) {
      violations.push({
        field: "dataPointer",
        ...naming`Must be given with ${fieldPointer("/dataValue")}`,
      });
    }
    if (given(request.id) && !isId(request.id)) {
      violations.push({ field: "id", message: "Must be a task id" });
    }
    if (!given(request.id) && !search.data && !search.metadata && violations.length === 0) {
      violations.push({
        field: "id",
        ...naming`Must search by ${fieldPointer("/id")}, ${fieldPointer("/metadataKey")} and ${
          fieldPointer("/metadataValue")
        }, or ${fieldPointer("/dataPointer")} and ${fieldPointer("/dataValue")}`,
      });
    }
    const listed = Array.isArray(request.status)
      ? request.status
      : (request.status ?? "").split(",");
    const statuses = listed.filter((status) => status !== "");
    const status = checkStatusList(statuses, "status", () => "status", violations);
    const limit = request.limit === undefined || request.limit === 0
      ? DEFAULT_LIMIT
      : request.limit;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      violations.push({ field: "limit", message: `Must be a whole number from 1 to ${MAX_LIMIT}` });
    }
    const named = executorFilter(request.executorName, violations);
    pageCursorCheck(request, violations, isId);
    assertNoViolations("Invalid task search", violations);
    const caller = options.caller ?? ANONYMOUS_ADMIN;
    let executorName = named;
    const within = executorsWithin(caller, "tasks.read");
    if (within?.length === 1) executorName ??= within[0];
    if (within !== null) {
      assertExecutor(caller, "tasks.read", executorName ?? "", { pointer: "executorName" });
    }
    const parsed = {
      executorName,
      status,
      search,
      limit,
      caller,
      signal: options.signal,
    };
    // A search by id reads one task by its key: only scans wait for a slot.
    if (given(request.id)) return await this.#search(request, parsed);
    const release = await this.#service.searches.take(caller, options.signal);
    try {
      return await this.#search(request, parsed);
    } finally {
      release();
    }
  }

  async #search(
    request: TaskSearchRequest,
    parsed: {
      executorName: string | undefined;
      status: TaskStatus[];
      search: TaskSearch;
      limit: number;
      caller: Principal;
      signal: AbortSignal | undefined;
    },
  ): Promise<TaskSearchPage> {
    const { executorName, status, search, limit, caller, signal } = parsed;
    const limits = this.#service.limits;
    if (given(request.id)) {
      const found = await this.#service.store.taskGet(request.id);
      // A task the caller may not read was not looked at: `scanned` tells it from no task.
      const task = found && reaches(caller, "tasks.read", found.executorName) ? found : null;
      const fits = (t: Task) =>
        (executorName === undefined || t.executorName === executorName) &&
        (status.length === 0 || status.includes(t.status)) && matchesTaskSearch(t, search);
      return { items: task && fits(task) ? [task] : [], nextCursor: null, scanned: task ? 1 : 0 };
    }
    const page = await this.#service.store.search.taskSearch({
      executorName,
      status,
      search,
      cursor: given(request.cursor) ? request.cursor : undefined,
      limit,
      scanLimit: limits.searchScanTasks,
      maxBytes: limits.pageBytes,
      budgetMs: limits.searchScanMs,
      signal,
    });
    return this.#trimmed(page);
  }

  /** The data term of a search, or `undefined` with its violations added. */
  #dataTerm(
    pointer: string,
    text: string | undefined,
    violations: FieldViolation[],
  ): TaskSearch["data"] {
    const limits = this.#service.limits;
    const before = violations.length;
    // A pointer no data can hold a value at would match nothing: the rule of data applies.
    const problem = pointer.length > limits.searchTermChars
      ? `Must be at most ${limits.searchTermChars} characters`
      : dataPointerProblem(pointer, { maxTokens: limits.jsonDepth });
    if (problem !== null) violations.push({ field: "dataPointer", message: problem });
    const value = text === undefined ? undefined : dataValueOf(text);
    if (!given(text)) {
      violations.push({
        field: "dataValue",
        ...naming`Is required (not empty) with ${fieldPointer("/dataPointer")}`,
      });
    } else if (text.length > limits.searchTermChars) {
      violations.push({
        field: "dataValue",
        message: `Must be at most ${limits.searchTermChars} characters`,
      });
    } else if (value === undefined) {
      violations.push({
        field: "dataValue",
        message: "Must be a string, number, boolean or null (objects and arrays do not match)",
      });
    } else {
      // A value no data can hold (1e400, 2^53 + 1) would match nothing: the rule of data applies.
      checkJsonValue(value, { pointer: "dataValue", maxDepth: 0 }, violations);
    }
    return violations.length > before || value === undefined ? undefined : { pointer, value };
  }

  /** Cuts a page to `limits.pageBytes` of JSON (one match at least), going on after the last kept. */
  #trimmed(page: TaskSearchPage): TaskSearchPage {
    let bytes = 0;
    for (let i = 0; i < page.items.length; i++) {
      bytes += jsonBytes(page.items[i]);
      if (i > 0 && bytes > this.#service.limits.pageBytes) {
        const items = page.items.slice(0, i);
        return { ...page, items, nextCursor: items[i - 1].id };
      }
    }
    return page;
  }
}
