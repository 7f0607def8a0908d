/**
 * What authentication does when a manager starts: warns while it is off, makes sure of
 * BOOTSTRAP_ADMIN_KEY, and makes (then prints, once) the first admin key of an empty store.
 */
import type { Logger } from "../log.ts";
import type { CreatedKey, KeyService } from "../service/keys.ts";

/**
 * Runs the duties due before the manager listens: makes sure of BOOTSTRAP_ADMIN_KEY, and warns
 * while authentication is off.
 *
 * @throws {ConflictError} when BOOTSTRAP_ADMIN_KEY's id belongs to a key with another secret
 * @throws {UnavailableError} when the store cannot be reached
 */
export async function prepareKeys(
  keys: KeyService,
  config: { auth: boolean; bootstrapAdminKey: string | null },
  log: Logger,
): Promise<void> {
  if (config.bootstrapAdminKey !== null) {
    const outcome = await keys.ensureBootstrapKey(config.bootstrapAdminKey);
    if (outcome === "created") log.info("Made the admin key of BOOTSTRAP_ADMIN_KEY");
    if (outcome === "revoked") {
      log.warn("BOOTSTRAP_ADMIN_KEY names a revoked key; it stays revoked");
    }
  }
  if (!config.auth) {
    log.warn(
      "Authentication is off (AUTH=off): anyone who reaches the REST or gRPC port may do everything",
    );
  }
}

/**
 * Once the manager listens (so that its token is printed, not lost to a port already in use):
 * makes the first admin key when authentication is on and the store holds no key, and answers
 * the lines to print on stdout, or `null` when there is nothing to print. With authentication on
 * and keys in the store but no valid admin key among them, warns naming the command that makes
 * one.
 */
export async function firstStart(
  keys: KeyService,
  options: { auth: boolean; httpUrl: string; storeEnv: string; log: Logger },
): Promise<string | null> {
  if (!options.auth) return null;
  try {
    const created = await keys.createFirstAdmin();
    if (created) return firstAdminNotice(created, options);
  } catch (error) {
    // The manager runs on; the next start tries again, or `keys create` makes one.
    options.log.error("Cannot make the first admin key", { error: (error as Error).message });
    return null;
  }
  // A store made by `keys create` holds the keys made there and no first admin key: said, with
  // the command that makes one, rather than a manager nobody can manage keys of. No admin key is
  // made here, as that would print a token at every start on a store whose keys were made by hand.
  try {
    if (!await keys.hasValidAdmin()) {
      options.log.warn(
        "The store holds no valid admin key: nobody can create or revoke keys through this " +
          "manager. Make one with the keys command on its store: " +
          `${options.storeEnv} ${keysCommandPrefix()} create --name NAME --scope admin`,
      );
    }
  } catch (error) {
    options.log.error("Cannot read the keys", { error: (error as Error).message });
  }
  return null;
}

/**
 * How to run the keys command with what runs this manager: the compiled binary itself, or the
 * README's command for this Deno version (works wherever Node is, Deno installed or not).
 */
function keysCommandPrefix(): string {
  return Deno.build.standalone
    ? `${Deno.execPath()} keys`
    : `npx -y deno@${Deno.version.deno} task start keys`;
}

/**
 * The lines printed when a start made the first admin key: the token (shown this once), an
 * admin-page address that logs in with it, and how to make another on the same store.
 * `httpUrl` is the REST base URL; `storeEnv` the environment naming the store (`DATA_DIR=…`):
 * the `keys` command run elsewhere would otherwise make a new store in its own `./data`.
 */
function firstAdminNotice(
  created: CreatedKey,
  { httpUrl, storeEnv }: { httpUrl: string; storeEnv: string },
): string {
  return [
    `First start: made the admin key "${created.key.name}" (id ${created.key.id}).`,
    "Its token is shown this once; the manager keeps only a hash of it:",
    "",
    `  ${created.token}`,
    "",
    "Open the admin page, logged in with it:",
    "",
    `  ${httpUrl}/admin_page.html#key=${created.token}`,
    "",
    "Lost it? Make another (NAME is yours to pick) with the keys command on this manager's store " +
    `(its DATA_DIR or MONGO_URI)${Deno.build.standalone ? "" : ", run in the project's folder"}:`,
    "",
    `  ${storeEnv} ${keysCommandPrefix()} create --name NAME --scope admin`,
    "",
  ].join("\n");
}
