/**
 * Refuses a query parameter that the route does not take, as the OpenAPI document declares them:
 * a misspelt filter (`?executr=…`) must not be ignored, least of all on a bulk delete, where it
 * would widen what is deleted to every executor. A parameter given twice is refused too: one
 * route read the first value and another all of them joined, so `?wait=1s&wait=0` waited. So is
 * one whose percent-encoding is not UTF-8 (`%F0`, a lone surrogate's `%ED%A0%80`): it was read as
 * U+FFFD and searched for. And so is a body sent to a route that takes none, for the same reason:
 * `POST /api/v1/tasks/cancel?confirm=true` with `{"executorName":"a"}` in its body cancelled the
 * pending tasks of every executor (the DLQ's requeue takes its filter in the body, and the other
 * bulk calls looked alike).
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { InvalidArgumentError } from "../domain/errors.ts";
import type { PageRequest } from "../service/paging.ts";
import { openApiPath } from "./auth.ts";
import { camelKey } from "./json.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/**
 * Most bytes the guard reads of a body sent to a route that takes none: enough for the bodies that
 * say nothing, which pass (JSON whitespace around them left out).
 */
const NO_BODY_BYTES = 64;
/** Bodies that say nothing: what clients send with a POST that carries no parameters. */
const EMPTY_BODIES = new Set(["", "{}", "null", "[]"]);

/** What one operation takes besides its path: its query parameters, and whether a body. */
interface Takes {
  /** Each parameter's name, with whether it may be repeated (an array, such as `ids`). */
  queries: Map<string, boolean>;
  body: boolean;
}

/** `"GET /api/v1/tasks/{id}"` → what the operation declares it takes. */
function declaredOperations(openapi: Json): Map<string, Takes> {
  const declared = new Map<string, Takes>();
  for (const [path, item] of Object.entries(openapi.paths as Record<string, Json>)) {
    for (const [method, operation] of Object.entries(item as Record<string, Json>)) {
      if (method === "parameters") continue;
      const names = (operation.parameters ?? [])
        .filter((parameter: Json) => parameter.in === "query")
        .map((parameter: Json) => [parameter.name, parameter.schema?.type === "array"]);
      declared.set(`${method.toUpperCase()} ${path}`, {
        queries: new Map(names),
        body: operation.requestBody !== undefined,
      });
    }
  }
  return declared;
}

/**
 * @throws {InvalidArgumentError} naming the first parameter whose name or value does not decode as
 *   UTF-8 (`search` is the URL's `?…` part)
 */
function assertUtf8Query(search: string): void {
  for (const part of search.slice(1).split("&")) {
    try {
      decodeURIComponent(part.replaceAll("+", " "));
    } catch {
      const name = part.split("=")[0];
      let shown: string;
      try {
        shown = decodeURIComponent(name).slice(0, 64);
      } catch {
        shown = name.slice(0, 64);
      }
      const message = "Is not valid UTF-8 once percent-decoded";
      throw new InvalidArgumentError(`Invalid query parameter ${shown}: ${message}`, [
        { field: shown, message },
      ]);
    }
  }
}

/**
 * The middleware: for a request that matches a route of `openapi`, every query parameter's name
 * (snake_case read as camelCase, as the routes read them) must be one the operation declares,
 * given once (a list is one comma-separated value), percent-encoded as UTF-8; and an operation
 * that declares no body takes none but one that says nothing (`EMPTY_BODIES`, such as the `{}`
 * the admin page sends with a POST, whatever its headers), of which `readShortBody` reads
 * `NO_BODY_BYTES` at most. Requests that match no documented route pass on untouched.
 *
 * @throws {InvalidArgumentError} (400) naming the first parameter not taken (and those that are),
 *   given more than once or not UTF-8, or the body (`""`) when it is not taken; what
 *   `readShortBody` throws for a body that does not arrive
 */
export function requestGuard(
  openapi: Json,
  readShortBody: (c: Context, maxBytes: number) => Promise<Uint8Array | null>,
): MiddlewareHandler {
  const declared = declaredOperations(openapi);
  return async (c, next) => {
    const route = matchedRoutes(c).find((r) => r.method !== "ALL");
    const operation = route && `${route.method} ${openApiPath(route.path)}`;
    const takes = operation ? declared.get(operation) : undefined;
    if (takes) {
      assertUtf8Query(new URL(c.req.url).search);
      const queries = Object.entries(c.req.queries());
      // `limit` and `limit` or `executor_name` and `executorName`: one parameter, given twice.
      const seen = new Set<string>();
      const repeated = queries.find(([name, values]) => {
        const camel = camelKey(name);
        if (seen.has(camel)) return true;
        seen.add(camel);
        return values.length > 1 && !takes.queries.get(camel);
      });
      if (repeated !== undefined) {
        const shown = repeated[0].slice(0, 64);
        const message =
          "Is given more than once: give one value (a list as comma-separated values)";
        throw new InvalidArgumentError(`Invalid query parameter ${shown}: ${message}`, [
          { field: shown, message },
        ]);
      }
      const stray = queries.map(([name]) => name).find((name) =>
        !takes.queries.has(camelKey(name))
      );
      if (stray !== undefined) {
        const listed = takes.queries.size === 0
          ? "no query parameters"
          : [...takes.queries.keys()].join(", ");
        const message = `Not taken here: ${operation} takes ${listed}`;
        const shown = stray.slice(0, 64);
        throw new InvalidArgumentError(`Invalid query parameter ${shown}: ${message}`, [
          { field: shown, message },
        ]);
      }
      if (!takes.body && c.req.raw.body !== null) {
        const bytes = await readShortBody(c, NO_BODY_BYTES);
        const text = bytes && new TextDecoder().decode(bytes).replace(/[ \t\r\n]/g, "");
        if (text === null || !EMPTY_BODIES.has(text)) {
          const message =
            `Not taken here: ${operation} takes no body (give its parameters in the query)`;
          throw new InvalidArgumentError(`Invalid body: ${message}`, [{ field: "", message }]);
        }
      }
    }
    await next();
  };
}

/**
 * The query parameters, snake_case names read as camelCase: how every route reads its query
 * (each given once, as `requestGuard` checked, but for lists such as `status`, whose values are
 * joined by commas).
 */
export function queryOf(c: Context): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, values] of Object.entries(c.req.queries())) {
    out[camelKey(key)] = values.join(",");
  }
  return out;
}

/**
 * The paging of a list or search: `cursor`, and `limit` read as a whole number only (`0x2`, `1e1`,
 * `2.0` or `+2` read as NaN, which the service refuses naming `limit` with the other bad terms).
 */
export function pageOf(query: Record<string, string>): PageRequest {
  const page: PageRequest = {};
  if (query.cursor) page.cursor = query.cursor;
  if (query.limit !== undefined && query.limit !== "") {
    page.limit = /^[1-9]\d{0,8}$/.test(query.limit) ? Number(query.limit) : NaN;
  }
  return page;
}
