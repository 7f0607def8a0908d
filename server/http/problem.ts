/**
 * The one mapping from errors to HTTP answers: `application/problem+json` (RFC 9457) bodies with
 * the status each error class of server/domain/errors.ts stands for.
 */
import {
  ConflictError,
  FailedPreconditionError,
  type FieldViolation,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
} from "../domain/errors.ts";
import { log } from "../log.ts";
import { HttpError } from "./http_error.ts";
import { presentTask } from "./json.ts";

/** The media type of every error answer. */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** An error answer body. */
export interface Problem {
  /** A URI naming the kind of problem. */
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Every failing field, for a 400 caused by bad input. */
  errors?: FieldViolation[];
  /** Extension members, e.g. the existing `task` of an idempotent repeat. */
  [extension: string]: unknown;
}

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ["invalid-argument", "Bad Request"],
  401: ["unauthenticated", "Unauthorized"],
  403: ["forbidden", "Forbidden"],
  404: ["not-found", "Not Found"],
  405: ["method-not-allowed", "Method Not Allowed"],
  408: ["request-timeout", "Request Timeout"],
  409: ["conflict", "Conflict"],
  413: ["payload-too-large", "Payload Too Large"],
  415: ["unsupported-media-type", "Unsupported Media Type"],
  421: ["misdirected-request", "Misdirected Request"],
  429: ["too-many-requests", "Too Many Requests"],
  500: ["internal", "Internal Server Error"],
  503: ["unavailable", "Service Unavailable"],
};

function problem(status: number, detail: string, slug?: string): Problem {
  const [defaultSlug, title] = TITLES[status] ?? ["internal", "Error"];
  return { type: `urn:tasks-executor:problem:${slug ?? defaultSlug}`, title, status, detail };
}

/**
 * Maps any thrown value to the problem to answer with. Errors the API does not know are logged
 * with their stack and answered with a generic 500, so that internals never leak.
 *
 * @example
 * ```ts
 * import { NotFoundError } from "../domain/errors.ts";
 * import { problemFromError } from "./problem.ts";
 * const { problem } = problemFromError(new NotFoundError('Task "x" does not exist'));
 * console.log(problem.status); // 404
 * ```
 */
export function problemFromError(error: unknown): { problem: Problem; headers: Headers } {
  const headers = new Headers({ "content-type": PROBLEM_CONTENT_TYPE });
  if (error instanceof InvalidArgumentError) {
    return {
      problem: {
        ...problem(400, error.message),
        // A violation's `references` are the manager's, not the client's.
        errors: error.violations.map(({ field, message }) => ({ field, message })),
      },
      headers,
    };
  }
  if (error instanceof NotFoundError) return { problem: problem(404, error.message), headers };
  if (error instanceof UnauthenticatedError) {
    headers.set("www-authenticate", 'Bearer realm="tasks-executor"');
    return { problem: problem(401, error.message), headers };
  }
  if (error instanceof PermissionDeniedError) {
    return { problem: problem(403, error.message, "permission-denied"), headers };
  }
  if (error instanceof ConflictError) {
    // The existing task of an idempotent repeat travels as an extension member.
    const existing = error.existing ? { task: presentTask(error.existing.task) } : {};
    return { problem: { ...existing, ...problem(409, error.message) }, headers };
  }
  if (error instanceof FailedPreconditionError) {
    return { problem: problem(409, error.message, "failed-precondition"), headers };
  }
  if (error instanceof UnavailableError) {
    headers.set("retry-after", "1");
    return { problem: problem(503, error.message), headers };
  }
  if (error instanceof ResourceExhaustedError) {
    headers.set("retry-after", "5");
    return { problem: problem(503, error.message, "resource-exhausted"), headers };
  }
  if (error instanceof HttpError) {
    for (const [key, value] of Object.entries(error.headers)) headers.set(key, value);
    return { problem: problem(error.status, error.message), headers };
  }
  log.error("Unexpected error while answering an HTTP request", { error });
  return { problem: problem(500, "The server failed to answer; the error was logged"), headers };
}

/** The `Response` for any thrown value (see `problemFromError`). */
export function problemResponse(error: unknown): Response {
  const { problem, headers } = problemFromError(error);
  return new Response(JSON.stringify(problem), { status: problem.status, headers });
}

/**
 * The `stopped` member of a bulk answer that did part of its work (`BulkOutcome.stopped`): the
 * problem the call would have answered had it written nothing (`{type, title, status, detail}`,
 * e.g. a 503 when a task's data could not be validated in time); nothing without an error.
 */
export function stopOf(stopped: Error | undefined): { stopped?: Problem } {
  return stopped ? { stopped: problemFromError(stopped).problem } : {};
}
