/**
 * Executor registration, on start and before each reconnect: each served executor's
 * configuration created or updated (or, served without one, the executor made sure of), then its
 * schedules declared. On start it is retried with backoff while the manager is unreachable.
 * Everything the SDK checks of those configurations and schedules is checked of them all before
 * the first call: one it refuses leaves the manager as it was, not the executors before it
 * applied.
 */
import type { Backoff } from "./_backoff.ts";
import { executorConfigToMessage } from "./_grpc.ts";
import type { Served } from "./_served.ts";
import type { Client } from "./client.ts";
import { ConflictError, InvalidArgumentError, NotFoundError, UnavailableError } from "./errors.ts";
import { refuseViolations } from "./_fields.ts";
import { scheduleCreateMessage } from "./schedules.ts";
import type { Logger } from "./types.ts";

/**
 * How deep the registration client lets JSON nest (its `limits.jsonDepth`, left at the default,
 * the manager's).
 */
const JSON_DEPTH = 64;

/**
 * Registers every served executor and its schedules, once `checkRegistration` has found nothing
 * to refuse in any of them.
 *
 * @throws {InvalidArgumentError} from `checkRegistration` (nothing sent), or the manager's
 *   refusal, saying which executor's configuration, or which schedule, it refuses; the `Client`
 *   call's other errors (`UnavailableError`, …)
 */
export async function registerExecutors(
  manager: Client,
  served: ReadonlyMap<string, Served>,
  log: Logger,
): Promise<void> {
  checkRegistration(served);
  for (const executor of served.values()) {
    await naming(
      `Executor "${executor.name}"`,
      () =>
        executor.config
          ? manager.registerExecutor(executor.name, executor.config)
          : ensureExecutor(manager, executor.name, log),
    );
    for (const { name, ...declared } of executor.schedules) {
      await naming(
        `Schedule "${name}" of executor "${executor.name}"`,
        () => manager.schedules.register(name, { ...declared, executorName: executor.name }),
      );
    }
  }
  log.debug("Executors registered", { executors: [...served.keys()] });
}

/**
 * Checks every served executor's configuration and each schedule it declares by the conversions
 * their registration sends them through (`executorConfigToMessage`, `scheduleCreateMessage`), and
 * each schedule's task data against its executor's `taskSchema` (`checkScheduleData`),
 * sending nothing: a worker whose second executor's configuration has a field the SDK refuses
 * had created or updated the first before it stopped.
 *
 * @throws {InvalidArgumentError} naming the executor or schedule, as the manager's refusal is
 */
export function checkRegistration(served: ReadonlyMap<string, Served>): void {
  for (const executor of served.values()) {
    if (executor.config) {
      namingNow(
        `Executor "${executor.name}"`,
        () => executorConfigToMessage(executor.name, executor.config!, JSON_DEPTH),
      );
    }
    for (const { name, ...declared } of executor.schedules) {
      namingNow(`Schedule "${name}" of executor "${executor.name}"`, () => {
        scheduleCreateMessage(name, { ...declared, executorName: executor.name }, JSON_DEPTH);
        checkScheduleData(executor, declared.task?.data);
      });
    }
  }
}

/**
 * Refuses a declared schedule's task data (as sent: its JSON) that the executor's own
 * `taskSchema` refuses, naming each field as the manager does (`/config/task/data/to`): the
 * registration makes that schema the executor's, so the manager refused the schedule after the
 * executors before it were registered, and the worker would refuse each task it made.
 *
 * @throws {InvalidArgumentError}
 */
function checkScheduleData(executor: Served, data: unknown): void {
  if (!executor.validate || data === undefined) return;
  const violations = executor.validate(JSON.parse(JSON.stringify(data)));
  refuseViolations(
    "Invalid schedule",
    violations.map((v) => ({
      field: `/config/task/data${v.field === "/" ? "" : v.field}`,
      message: v.message,
    })),
  );
}

/**
 * Runs `call`, its refusal of a field (`InvalidArgumentError`, whose pointer alone, such as
 * `/config/retryPolicy/type`, does not say which of a worker's executors it is about) said of
 * `subject`; any other error as it is.
 */
async function naming(subject: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    throw said(subject, error);
  }
}

/** `naming`, of a call that returns at once. */
function namingNow(subject: string, call: () => unknown): void {
  try {
    call();
  } catch (error) {
    throw said(subject, error);
  }
}

/** `error`, an `InvalidArgumentError` said of `subject`; any other as it is. */
function said(subject: string, error: unknown): unknown {
  if (!(error instanceof InvalidArgumentError)) return error;
  return new InvalidArgumentError(`${subject}: ${error.message}`, error.code, error.violations, {
    cause: error,
  });
}

/**
 * Registers every served executor, waiting out the backoff while the manager is unreachable
 * (`UnavailableError`) and giving up quietly once `active()` turns false.
 *
 * @throws any other error of `registerExecutors` (a refusal)
 */
export async function registerUntilDone(
  manager: Client,
  served: ReadonlyMap<string, Served>,
  parts: { backoff: Backoff; log: Logger; address: string; active: () => boolean },
): Promise<void> {
  while (parts.active()) {
    try {
      await registerExecutors(manager, served, parts.log);
      return;
    } catch (error) {
      if (!(error instanceof UnavailableError)) throw error;
      const delay = parts.backoff.next();
      parts.log.warn("Manager unreachable, retrying executor registration", {
        address: parts.address,
        retryInMs: delay,
        error: error.message,
      });
      await parts.backoff.sleep(delay);
    }
  }
}

/**
 * An executor served without `config`: created with the manager's defaults when it does not
 * exist, left as it is when it does (its configuration is someone else's, the API's or the admin
 * page's).
 */
async function ensureExecutor(manager: Client, name: string, log: Logger): Promise<void> {
  try {
    // Read by name or id: one found by its id is another executor.
    if ((await manager.getExecutor(name)).name === name) return;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  log.info("Creating executor with the manager's defaults", { executor: name });
  try {
    await manager.createExecutor(name);
  } catch (error) {
    // Made meanwhile, or found by its id only (a manager that looks an id up first): it exists.
    if (!(error instanceof ConflictError)) throw error;
  }
}
