/**
 * The OpenAPI description of authentication: the API key schemas, the `/api/v1/keys` paths and the
 * admin page's session (`/api/v1/session`).
 */
import { EXECUTOR_NAME_PATTERN } from "../../domain/executor.ts";
import { SCOPE_ENUM, SCOPES } from "../../auth/scopes.ts";
import { KEY_ID } from "../../domain/key_id.ts";
import { DEFAULT_LIMITS } from "../../domain/limits.ts";
import {
  cursor,
  type Json,
  json,
  NOT_FOUND,
  nullableTime,
  ok,
  pageOf,
  problem,
  protoEnumInput,
  queryParam,
  READS_WAITING,
  ref,
  refParam,
  time,
  withBody,
} from "./_parts.ts";

/** An admin page session: the caller, what it may do (operations of the permission table), its end. */
const SESSION = {
  type: "object",
  properties: {
    session: {
      type: "object",
      properties: {
        authentication: { enum: ["on", "off"] },
        keyId: { type: "string" },
        keyName: { type: "string" },
        scopes: { type: "array", items: { type: "string" } },
        executors: { type: ["array", "null"], items: { type: "string" } },
        operations: { type: "array", items: { type: "string" } },
        expiresAt: { type: ["string", "null"], format: "date-time" },
      },
    },
  },
};

/** Schemas of API keys (components). */
export const KEY_SCHEMAS: Record<string, Json> = {
  ApiKey: {
    type: "object",
    description: "An API key: never its secret, never a hash of it",
    properties: {
      id: { type: "string", description: "Public key id, the part after `te_` in its token" },
      name: { type: "string" },
      scopes: { type: "array", items: { type: "string", enum: [...SCOPES] } },
      executors: {
        type: ["array", "null"],
        items: { type: "string" },
        description: "Executors a producer or worker key is limited to; null = every executor",
      },
      createdAt: time,
      lastUsedAt: {
        ...nullableTime,
        description: "Latest use seen (recorded about once a second)",
      },
      revokedAt: nullableTime,
    },
  },
  NewApiKey: {
    type: "object",
    required: ["name", "scopes"],
    properties: {
      name: { type: "string", minLength: 1, maxLength: DEFAULT_LIMITS.keyNameChars },
      scopes: {
        type: "array",
        minItems: 1,
        maxItems: SCOPES.length,
        uniqueItems: true,
        items: protoEnumInput(SCOPE_ENUM, "A scope as a request gives it"),
      },
      executors: {
        type: ["array", "null"],
        minItems: 1,
        maxItems: DEFAULT_LIMITS.keyExecutors,
        items: { type: "string", pattern: EXECUTOR_NAME_PATTERN.source },
        description:
          "Limits a producer or worker key to these executors (required for worker keys); absent or null = every executor",
      },
    },
  },
};

/** The key and session paths. */
export const KEY_PATHS: Record<string, Json> = {
  "/api/v1/keys": {
    get: {
      operationId: "listKeys",
      summary:
        "A page of API keys, oldest first, revoked ones included (no secrets): up to 1,000 unless `limit` says fewer",
      parameters: [
        cursor,
        queryParam(
          "limit",
          "Most keys on the page (default 1000); a page also ends before 2 MiB of JSON (at least one key), so it may hold fewer while `nextCursor` says more follow",
          { type: "integer", minimum: 1, maximum: 1000 },
        ),
      ],
      responses: {
        "200": ok("A page of keys", pageOf("keys", "ApiKey")),
        "400": problem("Bad query parameter"),
        "503": READS_WAITING,
      },
    },
    post: {
      operationId: "createKey",
      summary: "Create an API key; the answer holds its token, shown this once",
      requestBody: { required: true, content: json(ref("NewApiKey")) },
      responses: {
        "201": ok("The key and its token (`te_<id>_<secret>`, sent as `Bearer <token>`)", {
          type: "object",
          properties: { key: ref("ApiKey"), token: { type: "string" } },
        }),
        ...withBody,
        "409": problem(
          "A key not revoked has the name already (the detail names /name and that key's id): choose another name, or revoke that key first",
        ),
      },
    },
  },
  "/api/v1/keys/{id}": {
    parameters: [{
      ...refParam("id", "Key id: 16 lower-case hex digits, as the key list shows", false),
      schema: { type: "string", pattern: `^${KEY_ID}$` },
    }],
    delete: {
      operationId: "revokeKey",
      summary: "Revoke an API key: refused by every manager sharing the store within a second",
      responses: {
        "200": ok("The revoked key", { type: "object", properties: { key: ref("ApiKey") } }),
        "404": NOT_FOUND,
        "409": problem(
          "The key is the last valid admin key (type failed-precondition): create another admin key first",
        ),
      },
    },
  },
  "/api/v1/session": {
    post: {
      operationId: "logIn",
      summary: "Log in to the admin page: the key becomes a session cookie (te_session)",
      requestBody: {
        required: true,
        content: json({
          type: "object",
          required: ["key"],
          properties: { key: { type: "string", description: "An API key (te_<id>_<secret>)" } },
        }),
      },
      responses: {
        "201": ok(
          "The session, with its cookie in Set-Cookie (HttpOnly, SameSite=Strict, Path=/, Max-Age = SESSION_TTL_MS; Secure whenever the port speaks TLS)",
          SESSION,
        ),
        "401": problem("The key is unknown or revoked"),
        "409": problem("Authentication is off (AUTH=off): there is nothing to log in to"),
        "429": problem(
          "This client address attempts logins past LOGIN_BURST at once, then LOGIN_RATE_LIMIT a second: refused before the body is read, with Retry-After: 1 and Connection: close",
        ),
        ...withBody,
      },
    },
    get: {
      operationId: "getSession",
      summary: "Who the caller is (session cookie or key) and which operations it may perform",
      responses: {
        "200": ok(
          'The session; {"session": null} when authentication is on and the request has neither a key nor a session cookie (not logged in)',
          {
            type: "object",
            properties: {
              session: { ...SESSION.properties.session, type: ["object", "null"] },
            },
          },
        ),
      },
    },
    delete: {
      operationId: "logOut",
      summary: "Log out: ends the cookie's session and clears the cookie",
      responses: { "204": { description: "Logged out" } },
    },
  },
};
