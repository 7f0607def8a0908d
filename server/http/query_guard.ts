/**
 * Refuses a query parameter that the route does not take, as the OpenAPI document declares them:
 * a misspelt filter (`?executr=…`) must not be ignored, least of all on a bulk delete, where it
 * would widen what is deleted to every executor.
 */
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { InvalidArgumentError } from "../domain/errors.ts";
import { openApiPath } from "./auth.ts";
import { camelKey } from "./json.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** `"GET /api/v1/tasks/{id}"` → the query parameters the operation declares. */
function declaredQueries(openapi: Json): Map<string, Set<string>> {
  const declared = new Map<string, Set<string>>();
  for (const [path, item] of Object.entries(openapi.paths as Record<string, Json>)) {
    for (const [method, operation] of Object.entries(item as Record<string, Json>)) {
      if (method === "parameters") continue;
      const names = (operation.parameters ?? [])
        .filter((parameter: Json) => parameter.in === "query")
        .map((parameter: Json) => parameter.name as string);
      declared.set(`${method.toUpperCase()} ${path}`, new Set(names));
    }
  }
  return declared;
}

/**
 * The middleware: for a request that matches a route of `openapi`, every query parameter's name
 * (snake_case read as camelCase, as the routes read them) must be one the operation declares.
 * Requests that match no documented route pass on untouched.
 *
 * @throws {InvalidArgumentError} (400) naming the first parameter not taken, and those that are
 */
export function queryGuard(openapi: Json): MiddlewareHandler {
  const declared = declaredQueries(openapi);
  return async (c, next) => {
    const route = matchedRoutes(c).find((r) => r.method !== "ALL");
    const operation = route && `${route.method} ${openApiPath(route.path)}`;
    const takes = operation && declared.get(operation);
    if (takes) {
      const stray = Object.keys(c.req.queries()).find((name) => !takes.has(camelKey(name)));
      if (stray !== undefined) {
        const listed = takes.size === 0 ? "no query parameters" : [...takes].join(", ");
        const message = `Not taken here: ${operation} takes ${listed}`;
        const shown = stray.slice(0, 64);
        throw new InvalidArgumentError(`Invalid query parameter ${shown}: ${message}`, [
          { field: shown, message },
        ]);
      }
    }
    await next();
  };
}
