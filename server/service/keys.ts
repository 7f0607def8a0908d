/**
 * The use cases of API keys over the store contract: create (the token is shown once), list and
 * revoke, and the keys a manager makes sure of at start (BOOTSTRAP_ADMIN_KEY, the first admin).
 */
import { type ApiKey, toApiKey } from "../auth/keys.ts";
import { type Scope, SCOPE_ENUM, SCOPES } from "../auth/scopes.ts";
import { hashSecret, newToken, parseToken } from "../auth/token.ts";
import { ConflictError, type FieldViolation, NotFoundError } from "../domain/errors.ts";
import { checkedRef } from "../domain/refs.ts";
import { EXECUTOR_NAME_PATTERN, NAME_MESSAGE } from "../domain/executor.ts";
import { DEFAULT_LIMITS, type Limits } from "../domain/limits.ts";
import type { ApiKeyRecord, Page, Store } from "../store/store.ts";
import { collectPage, MAX_PAGE, pageBounds, pageLimit, type PageRequest } from "./paging.ts";
import type { ReadOptions } from "./caller.ts";
import { assertNoViolations, protoEnumField } from "./violations.ts";

/** A key just made, with its token: the only time the token is shown. */
export interface CreatedKey {
  key: ApiKey;
  /** `te_<id>_<secret>`: give it to the client; the manager keeps only a hash of the secret. */
  token: string;
}

/** What a key is for, checked. */
export interface KeySpec {
  name: string;
  scopes: Scope[];
  executors: string[] | null;
}

/** What became of BOOTSTRAP_ADMIN_KEY at start. */
export type BootstrapOutcome = "created" | "exists" | "revoked";

/**
 * The id of the admin key a manager makes on an empty store. Fixed, so that managers starting
 * together on one empty store make one key between them (the store refuses a second id).
 */
export const FIRST_ADMIN_KEY_ID = "0000000000000001";

/** Options of `KeyService`. */
export interface KeyServiceOptions {
  /** Limits on names and executor lists (default `DEFAULT_LIMITS`). */
  limits?: Readonly<Limits>;
  now?: () => number;
  /**
   * Told after each create and revoke, so that this manager's authenticator reads the keys at
   * once instead of at its next refresh.
   */
  onChange?: () => Promise<void>;
}

const LIMITED_SCOPES: readonly Scope[] = ["producer", "worker"];
/**
 * Characters that would let a name pass for another: control characters; format characters,
 * which are invisible (U+00AD soft hyphen, U+200B zero width space, U+FEFF) or turn text around
 * (U+202E, a name shown reversed); white space other than U+0020 (U+00A0 looks like it).
 */
const UNSEEN = /[\p{Cc}\p{Cf}]|[^\S ]/u;

/**
 * Reads what a caller asks a key to be for: `name` (1 to `keyNameChars` characters in NFC, no
 * control, invisible or text-direction characters, no white space but U+0020 and none at its ends:
 * a name is a key's own among the keys not revoked, and two names must not look the same), `scopes` (one or more of `SCOPES`, each once) and `executors`
 * (executor names, each once, a producer or worker key is limited to: required for worker keys,
 * optional for producer keys, refused for others; absent or `null` = every executor).
 *
 * @throws {InvalidArgumentError} naming each bad field by JSON pointer
 */
export function parseKeySpec(input: unknown, limits: Readonly<Limits> = DEFAULT_LIMITS): KeySpec {
  const violations: FieldViolation[] = [];
  const body = typeof input === "object" && input !== null && !Array.isArray(input)
    ? input as Record<string, unknown>
    : null;
  if (!body) {
    assertNoViolations("Invalid key", [{ field: "", message: "Must be an object" }]);
  }
  const { name, scopes, executors } = body!;

  if (typeof name !== "string" || name.trim() === "") {
    violations.push({ field: "/name", message: "Must be a non-empty string" });
  } else if (!name.isWellFormed() || UNSEEN.test(name)) {
    violations.push({
      field: "/name",
      message:
        "Must be well-formed text without control, invisible or text-direction characters, or white space other than U+0020",
    });
  } else if (name.trim() !== name) {
    violations.push({ field: "/name", message: "Must not start or end with white space" });
  } else if (name.normalize("NFC") !== name) {
    violations.push({
      field: "/name",
      message:
        'Must be in Unicode normalization form NFC ("é" as U+00E9, not "e" and U+0301), as it looks the same',
    });
  } else if (name.length > limits.keyNameChars) {
    violations.push({
      field: "/name",
      message: `Must be at most ${limits.keyNameChars} characters, not ${name.length}`,
    });
  }

  const granted: Scope[] = [];
  if (!Array.isArray(scopes) || scopes.length === 0) {
    violations.push({
      field: "/scopes",
      message: `Must be a non-empty list of scopes: ${SCOPES.join(", ")}`,
    });
  } else if (scopes.length > SCOPES.length) {
    // Refused whole, not one violation an entry: the answer stays as small as a list allowed.
    violations.push({
      field: "/scopes",
      message: `Must name each scope at most once: at most ${SCOPES.length}, not ${scopes.length}`,
    });
  } else {
    scopes.forEach((given, i) => {
      // Any form `protoEnumOf` reads: `producer`, `SCOPE_PRODUCER` and 2 are one scope.
      const scope = protoEnumField(SCOPE_ENUM, given, `/scopes/${i}`, violations);
      if (scope === undefined) return;
      if (granted.includes(scope)) {
        violations.push({ field: `/scopes/${i}`, message: `Must not repeat "${scope}"` });
      } else granted.push(scope);
    });
  }

  let limitedTo: string[] | null = null;
  // Every scope of a limited key must be one the limit applies to: a key with `admin` or `read`
  // as well was stored as limited while those scopes reached every executor.
  const limitable = granted.every((scope) => LIMITED_SCOPES.includes(scope));
  if (executors !== undefined && executors !== null) {
    if (!Array.isArray(executors) || executors.length === 0) {
      violations.push({
        field: "/executors",
        message: "Must be a non-empty list of executor names, or left out for every executor",
      });
    } else if (!limitable && granted.length > 0) {
      violations.push({
        field: "/executors",
        message: "Only producer and worker keys are limited to executors",
      });
    } else if (executors.length > limits.keyExecutors) {
      violations.push({
        field: "/executors",
        message: `Must name at most ${limits.keyExecutors} executors, not ${executors.length}`,
      });
    } else {
      limitedTo = [];
      executors.forEach((executor, i) => {
        if (typeof executor !== "string" || !EXECUTOR_NAME_PATTERN.test(executor)) {
          violations.push({
            field: `/executors/${i}`,
            message: `Must be an executor name: ${NAME_MESSAGE}`,
          });
        } else if (limitedTo!.includes(executor)) {
          // As a repeated scope is: a repeat is a slip in the list, which it would hide.
          violations.push({ field: `/executors/${i}`, message: `Must not repeat "${executor}"` });
        } else limitedTo!.push(executor);
      });
    }
  } else if (granted.includes("worker")) {
    violations.push({
      field: "/executors",
      message: "Must name the executors a worker key serves",
    });
  }

  assertNoViolations("Invalid key", violations);
  return { name: name as string, scopes: granted, executors: limitedTo };
}

/**
 * API key use cases. Lists never carry secrets or hashes; a token is answered once, by `create`.
 *
 * @example
 * ```ts ignore
 * const keys = new KeyService(store);
 * const { key, token } = await keys.create({ name: "ci", scopes: ["producer"] });
 * await keys.revoke(key.id);
 * ```
 */
export class KeyService {
  readonly #store: Store;
  readonly #limits: Readonly<Limits>;
  readonly #now: () => number;
  readonly #onChange: () => Promise<void>;

  constructor(store: Store, options: KeyServiceOptions = {}) {
    this.#store = store;
    this.#limits = options.limits ?? DEFAULT_LIMITS;
    this.#now = options.now ?? Date.now;
    this.#onChange = options.onChange ?? (() => Promise.resolve());
  }

  /**
   * Makes a key from untrusted input (see `parseKeySpec`). Its name must not be that of a key not
   * revoked: a name is how an operator tells keys apart (in `keys list`, the admin page, the logs'
   * `key`), and two valid keys named `oncall` cannot be told apart, nor the right one revoked. A
   * revoked key's name may be used again (rotating a key: revoke, then create under its name).
   * The check reads the keys before the insert, so two creates of one name at the same instant (on
   * two managers, or a manager and `keys create`) may both succeed.
   *
   * @throws {InvalidArgumentError} naming each bad field
   * @throws {ConflictError} naming `/name` when a key not revoked has the name
   */
  async create(input: unknown): Promise<CreatedKey> {
    const spec = parseKeySpec(input, this.#limits);
    const taken = (await this.#store.keyList({ valid: true })).find((k) => k.name === spec.name);
    if (taken) {
      throw new ConflictError(
        `Cannot create key: /name: key ${taken.id} is named "${spec.name}" and not revoked: ` +
          "choose another name, or revoke that key first",
      );
    }
    return await this.#insert(spec, newToken());
  }

  /**
   * The keys, oldest first, revoked ones included (with `revokedAt`): up to `page.limit` (1 to
   * 1000; unset = 1000) and at most `limits.pageBytes` of JSON (one at least); `nextCursor`
   * continues after the last one. Revoked keys stay, so the list only grows.
   *
   * @throws {InvalidArgumentError} on a bad `limit` or `cursor`
   */
  async list(
    page: PageRequest = {},
    options: ReadOptions = {},
  ): Promise<Page<ApiKey>> {
    const violations: FieldViolation[] = [];
    const limit = pageLimit(page, violations, MAX_PAGE);
    assertNoViolations("Invalid key list", violations);
    const listed = await collectPage(
      (p) => this.#store.keyListPage(p),
      pageBounds(page, { limit, maxBytes: this.#limits.pageBytes }, options),
    );
    return { items: listed.items.map(toApiKey), nextCursor: listed.nextCursor };
  }

  /**
   * Revokes a key: every manager sharing the store refuses it within a second, this one at once.
   * Revoking a revoked key changes nothing.
   *
   * @throws {NotFoundError} when there is no such key
   */
  async revoke(id: string): Promise<ApiKey> {
    const record = await this.#store.keyRevoke(checkedRef("key", id, "/id"), this.#now());
    if (!record) throw new NotFoundError(`Key "${id}" does not exist`);
    await this.#onChange();
    return toApiKey(record);
  }

  /**
   * Makes sure `token` (BOOTSTRAP_ADMIN_KEY) is an admin key named `bootstrap-admin`: creates it
   * when its id is free; a revoked one stays revoked.
   *
   * @throws {ConflictError} when its id belongs to a key with another secret
   */
  async ensureBootstrapKey(token: string): Promise<BootstrapOutcome> {
    const parts = parseToken(token);
    if (!parts) throw new ConflictError("BOOTSTRAP_ADMIN_KEY is not a token");
    const existing = await this.#store.keyGet(parts.id);
    if (!existing) {
      await this.#insert({ name: "bootstrap-admin", scopes: ["admin"], executors: null }, {
        ...parts,
        token,
      });
      return "created";
    }
    if (existing.secretHash !== await hashSecret(parts.secret)) {
      throw new ConflictError(
        `BOOTSTRAP_ADMIN_KEY names key "${parts.id}", which exists with another secret`,
      );
    }
    return existing.revokedAt === null ? "exists" : "revoked";
  }

  /**
   * When the store holds no key at all (revoked ones count), makes the admin key `first-admin`
   * and answers it with its token; otherwise `null`. Of managers starting together on one empty
   * store, one gets the key and the others `null`.
   */
  async createFirstAdmin(): Promise<CreatedKey | null> {
    if ((await this.#store.keyListPage({ limit: 1 })).items.length > 0) return null;
    try {
      return await this.#insert(
        { name: "first-admin", scopes: ["admin"], executors: null },
        newToken(FIRST_ADMIN_KEY_ID),
      );
    } catch (error) {
      if (error instanceof ConflictError) return null;
      throw error;
    }
  }

  /**
   * Whether the store holds a valid admin key (one with the `admin` scope, not revoked): without
   * one nobody can create or revoke keys through a manager.
   */
  async hasValidAdmin(): Promise<boolean> {
    let cursor: string | null = "";
    do {
      const page: Page<ApiKey> = await this.list({ cursor });
      if (page.items.some((key) => key.revokedAt === null && key.scopes.includes("admin"))) {
        return true;
      }
      cursor = page.nextCursor;
    } while (cursor);
    return false;
  }

  async #insert(
    spec: KeySpec,
    token: { id: string; secret: string; token: string },
  ): Promise<CreatedKey> {
    const record: ApiKeyRecord = {
      id: token.id,
      name: spec.name,
      scopes: spec.scopes,
      executors: spec.executors,
      secretHash: await hashSecret(token.secret),
      createdAt: this.#now(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.#store.keyCreate(record);
    await this.#onChange();
    return { key: toApiKey(record), token: token.token };
  }
}
