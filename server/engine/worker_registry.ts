/**
 * Who is connected and what they hold: worker sessions (one per open stream) with their credits,
 * the leases handed out through this manager, by task id, and the API key each worker id belongs to.
 */
import { KeepaliveState } from "@tasks-executor/proto";
import type { Principal } from "../auth/scopes.ts";
import type { Task } from "../domain/task.ts";
import type { Limits } from "../domain/limits.ts";
import {
  GONE_KEPT,
  GONE_KEPT_MS,
  POLL_SERVES_MS,
  RUNNING_LISTED,
  type WorkerDirectory,
  type WorkerSnapshot,
} from "./workers.ts";

/** Why a worker should abort a task. */
export type CancelReason = "cancelled" | "lease_lost" | "timeout";

/** Tells a worker to abort one task. */
export interface Cancellation {
  taskId: string;
  reason: CancelReason;
}

/** The way back to one connected worker (a gRPC stream, in practice). */
export interface WorkerChannel {
  /** Sends leased tasks (one message for the batch). */
  assign(tasks: Task[]): void;
  /** Tells the worker to abort these tasks. */
  cancel(cancellations: Cancellation[]): void;
  /** Ends the connection because the manager is going away. */
  close(reason: string): void;
  /** Tells the worker that an executor it serves was deleted (no more of its tasks will come). */
  executorDeleted(executorName: string): void;
  /**
   * Whether the connection takes more messages now: `false` while the peer is not reading what
   * was sent (flow control), so nothing more is leased to it until it catches up.
   */
  writable(): boolean;
  /**
   * How many more tasks of an executor it takes now (about what the peer's flow-control window
   * still admits), when the transport can tell; unset means as many as its credits allow.
   */
  assignable?(executorName: string): number;
  /** Writes a `Keepalive` (the liveness check calls it when one is due; see `liveness.ts`). */
  keepalive(): void;
}

/** What a worker says about itself when it connects. */
export interface WorkerHello {
  workerId: string;
  executors: string[];
  sdkVersion: string;
  /** Host name, process id and runtime (optional; cut to `HELLO_TEXT_CHARS`). */
  host?: string;
  pid?: number;
  runtime?: string;
  /** It speaks keepalive: it writes at least every keepalive interval and hears our keepalives. */
  keepalive?: boolean;
}

/** Longest host name, SDK version or runtime text kept from a hello, in characters. */
const HELLO_TEXT_CHARS = 256;

/**
 * A hello's free text cut to `HELLO_TEXT_CHARS`, as a string of its own: V8 keeps the whole
 * original behind a slice, and a session (and the list of gone workers) lives long — 50 hellos
 * with 1.3 M characters of host each held 200 MB of heap after their streams closed.
 */
function helloText(text: string | undefined): string {
  const value = String(text ?? "");
  return value.length <= HELLO_TEXT_CHARS ? value : [...value.slice(0, HELLO_TEXT_CHARS)].join("");
}

/** One open connection of a worker. A worker id may have more than one (a quick reconnect). */
export class WorkerSession {
  static #next = 1;
  /** Unique per connection. */
  readonly connectionId: number = WorkerSession.#next++;
  readonly workerId: string;
  readonly executors: readonly string[];
  readonly sdkVersion: string;
  readonly host: string;
  readonly pid: number;
  readonly runtime: string;
  readonly connectedAt: number;
  readonly channel: WorkerChannel;
  /** Whose key opened the connection: it reaches only the executors that key allows. */
  readonly caller: Principal;
  lastHeartbeatAt: number;
  /** Room for more tasks, per executor. */
  readonly credits: Map<string, number> = new Map();
  /** Set once the connection ended. */
  closed = false;
  /** Its worker speaks keepalive (`WorkerHello.keepalive`): it is dropped when silent. */
  readonly keepalive: boolean;
  /**
   * What arrived and was written on its stream since the last liveness check (see `liveness.ts`):
   * the transport tells it `heard()` and `wrote()`.
   */
  readonly liveness: KeepaliveState = new KeepaliveState();
  /**
   * When a message last arrived on its stream, or it opened (`performance.now()`): a session whose
   * worker does not speak keepalive is dropped once silent too long (see `liveness.ts`).
   */
  heardAt: number = performance.now();

  /**
   * Tasks this connection was told to abort (`cancel`) since they were last leased to its worker,
   * oldest first, the latest `#toldKept`: a heartbeat its worker wrote before it read the
   * cancellation still names the task, and is not told again (with `lease_lost` after the rescue's
   * `timeout`, say).
   */
  readonly #told = new Set<string>();
  readonly #toldKept: number;

  /**
   * `toldKept`: how many of the tasks it was told to abort it remembers (the most its worker may
   * name in one heartbeat will do).
   */
  constructor(
    hello: WorkerHello,
    channel: WorkerChannel,
    options: { now: number; caller: Principal; toldKept: number },
  ) {
    this.workerId = hello.workerId;
    this.executors = [...new Set(hello.executors)];
    this.sdkVersion = helloText(hello.sdkVersion);
    this.host = helloText(hello.host);
    this.pid = Number.isSafeInteger(hello.pid) && hello.pid! > 0 ? hello.pid! : 0;
    this.runtime = helloText(hello.runtime);
    this.keepalive = hello.keepalive === true;
    this.connectedAt = options.now;
    this.lastHeartbeatAt = options.now;
    this.channel = channel;
    this.caller = options.caller;
    for (const name of this.executors) this.credits.set(name, 0);
    this.#toldKept = options.toldKept;
  }

  /** A message arrived on its stream (the transport tells it). */
  heard(): void {
    this.heardAt = performance.now();
    this.liveness.heard();
  }

  /** Tells its worker to abort these tasks (`WorkerChannel.cancel`), and remembers it. */
  cancel(cancellations: Cancellation[]): void {
    for (const { taskId } of cancellations) {
      this.#told.delete(taskId);
      this.#told.add(taskId);
      if (this.#told.size > this.#toldKept) this.#told.delete(this.#told.values().next().value!);
    }
    this.channel.cancel(cancellations);
  }

  /** Whether it was told to abort `taskId` since the task was last leased to its worker. */
  wasTold(taskId: string): boolean {
    return this.#told.has(taskId);
  }

  /** `taskId` is leased to its worker again: a new attempt, told nothing yet. */
  leasedAgain(taskId: string): void {
    this.#told.delete(taskId);
  }

  /** How many times its worker withdrew its credit (a credit of 0), per executor. */
  readonly #withdrawals = new Map<string, number>();
  /** Executors whose credit its worker withdrew and has not granted since. */
  readonly #withdrawn = new Set<string>();

  /** Credits left for one executor. */
  creditFor(executorName: string): number {
    return this.credits.get(executorName) ?? 0;
  }

  /** Its worker withdrew the credit of `executorName` (a credit of 0): it takes no more now. */
  withdraw(executorName: string): void {
    this.credits.set(executorName, 0);
    this.#withdrawn.add(executorName);
    this.#withdrawals.set(executorName, this.withdrawalsOf(executorName) + 1);
  }

  /**
   * How many times its worker withdrew the credit of `executorName`: a claim made before a
   * withdrawal is not handed over after it (its worker may be closing the stream).
   */
  withdrawalsOf(executorName: string): number {
    return this.#withdrawals.get(executorName) ?? 0;
  }

  /** Sets the credits left for one executor after its worker granted more. */
  grant(executorName: string, credits: number): void {
    this.credits.set(executorName, credits);
    this.#withdrawn.delete(executorName);
  }

  /**
   * Whether its worker withdrew the credit of every executor and granted none since: it drains
   * (takes no more tasks, and closes its stream once its running ones end).
   */
  get draining(): boolean {
    return this.executors.every((name) => this.#withdrawn.has(name));
  }

  /** Credits summed over every executor. */
  totalCredits(): number {
    let total = 0;
    for (const n of this.credits.values()) total += n;
    return total;
  }
}

/** A lease handed out through this manager and not yet settled. */
export interface HeldLease {
  taskId: string;
  executorName: string;
  workerId: string;
  leaseToken: string;
  /** 1-based number of the attempt under way. */
  attempt: number;
  maxAttempts: number;
  /** The task's run (1, then one more per requeue). */
  run: number;
  /** When the worker got it (epoch ms). */
  startedAt: number;
  leaseExpiresAt: number;
  /** Lease length, used again by heartbeats. */
  leaseMs: number;
  /** Handed out over a stream (so a closed stream means the holder is gone). */
  streamed: boolean;
  /**
   * When its holder's result reached this manager (epoch ms), while it waits to be applied: the
   * rescuer keeps such a lease alive instead of expiring it (see `Rescuer`), and the lease check
   * leaves it to the settlement (see `LeaseCheck`), both for `RESULT_WAIT_MS` at most.
   */
  resultAt?: number;
  /**
   * How many results noted for it (`WorkerRegistry.noteResults`) are still being handled: the
   * last of them refused clears `resultAt` (see `WorkerRegistry.resultsHandled`).
   */
  resultsWaiting?: number;
  /** The task's W3C trace context (`Task.traceparent`), parent of the attempt's spans. */
  traceparent: string | null;
  tracestate: string | null;
}

/** A result noted on its arrival (`WorkerRegistry.noteResults`), until it was handled. */
export interface ResultNote {
  taskId: string;
  workerId: string;
  leaseToken: string;
  /** When it arrived (epoch ms). */
  at: number;
  /** The lease it marks: none while that lease is not known here. */
  lease?: HeldLease;
}

/**
 * How long a result that reached this manager may wait to be applied while its lease is treated as
 * answered (kept alive by the rescuer, left alone by the lease check); past this, the store is as
 * good as gone and the lease is handled as usual.
 */
export const RESULT_WAIT_MS = 60_000;

/**
 * Whether `lease`'s holder answered it (`resultAt`) less than `RESULT_WAIT_MS` before `now`: its
 * result is on its way to the store, or just written there, and the lease is not yet released.
 */
export function resultWaits(lease: HeldLease, now: number): boolean {
  return lease.resultAt !== undefined && now - lease.resultAt < RESULT_WAIT_MS;
}

/** Who holds a lease taken in the store, and for how long (ms) it is extended by heartbeats. */
export interface LeaseHolder {
  workerId: string;
  leaseMs: number;
  /** Handed out over a stream. */
  streamed: boolean;
  /** Now (epoch ms): stands in for times the task does not carry. */
  now: number;
}

/** The lease a claimed (`in_progress`) task stands under, as this manager holds it. */
export function leaseOf(task: Task, holder: LeaseHolder): HeldLease {
  return {
    taskId: task.id,
    executorName: task.executorName,
    workerId: holder.workerId,
    leaseToken: task.leaseToken ?? "",
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    run: task.run,
    startedAt: task.startedAt ?? holder.now,
    leaseExpiresAt: task.leaseExpiresAt ?? holder.now + holder.leaseMs,
    leaseMs: holder.leaseMs,
    streamed: holder.streamed,
    traceparent: task.traceparent,
    tracestate: task.tracestate,
  };
}

/**
 * Connected workers, the leases they hold, and who holds each worker id: one API key, from the
 * first stream, lease or call under way that uses it until the last of them ends (`holdId`).
 */
export class WorkerRegistry implements WorkerDirectory {
  #sessions = new Set<WorkerSession>();
  /**
   * By worker id: the key holding it (`null` while only leases with no known key do, a moment at
   * most: see `hold`), how many streams, leases and calls hold it, and when the last unary call
   * under it began (`noteCall`).
   */
  #owners = new Map<string, { keyId: string | null; holds: number; calledAt?: number }>();
  #byExecutor = new Map<string, WorkerSession[]>();
  #byWorker = new Map<string, WorkerSession[]>();
  #leases = new Map<string, HeldLease>();
  /** Notes of results being handled for leases not known here, by task id (`noteResults`). */
  readonly #unknownNotes = new Map<string, ResultNote[]>();
  #leaseCount = new Map<string, number>();
  #heldByExecutor = new Map<string, number>();
  /** Workers whose last connection ended, by worker id, oldest first (see `gone`). */
  #gone = new Map<string, WorkerSnapshot>();
  /**
   * When a worker without a stream last polled each executor here, oldest first (see `polled`):
   * kept `POLL_SERVES_MS`, so it holds no more than the executors polled in that time.
   */
  #polls = new Map<string, number>();

  /** Registers an open connection. */
  add(session: WorkerSession): void {
    this.#gone.delete(session.workerId);
    this.#sessions.add(session);
    this.#take(session.workerId, session.caller.keyId);
    for (const name of session.executors) push(this.#byExecutor, name, session);
    push(this.#byWorker, session.workerId, session);
  }

  /**
   * Forgets a connection (its leases stay held until settled, rescued or reclaimed). The worker's
   * last connection ending at `now` lists it as gone (see `gone`). `false` when it was not listed
   * (removed before).
   */
  remove(session: WorkerSession, now: number): boolean {
    session.closed = true;
    if (!this.#sessions.delete(session)) return false;
    this.#drop(session.workerId);
    for (const name of session.executors) pull(this.#byExecutor, name, session);
    pull(this.#byWorker, session.workerId, session);
    if (this.sessionsOf(session.workerId).length > 0) return true;
    this.#gone.delete(session.workerId);
    this.#gone.set(session.workerId, { ...this.#snapshot(session), disconnectedAt: now });
    if (this.#gone.size > GONE_KEPT) this.#gone.delete(this.#gone.keys().next().value!);
    return true;
  }

  /** Workers gone since `now − GONE_KEPT_MS` and not back, newest first. */
  gone(now: number = Date.now()): WorkerSnapshot[] {
    for (const [id, worker] of this.#gone) {
      if (worker.disconnectedAt! >= now - GONE_KEPT_MS) break;
      this.#gone.delete(id);
    }
    return [...this.#gone.values()].reverse();
  }

  /** Notes a poll of these executors at `now` by a worker without a stream (unary `GetNextTask`). */
  notePoll(executorNames: readonly string[], now: number): void {
    for (const name of executorNames) {
      this.#polls.delete(name);
      this.#polls.set(name, now);
    }
    this.#forgetPolls(now);
  }

  /** Executors a worker without a stream polled since `now − POLL_SERVES_MS`. */
  polled(now: number): ReadonlySet<string> {
    this.#forgetPolls(now);
    return new Set(this.#polls.keys());
  }

  /** When a worker without a stream last polled each executor, since `now − POLL_SERVES_MS`. */
  pollTimes(now: number): ReadonlyMap<string, number> {
    this.#forgetPolls(now);
    return new Map(this.#polls);
  }

  #forgetPolls(now: number): void {
    for (const [name, at] of this.#polls) {
      if (at >= now - POLL_SERVES_MS) break;
      this.#polls.delete(name);
    }
  }

  /** Every open connection. */
  sessions(): WorkerSession[] {
    return [...this.#sessions];
  }

  /** Connections serving one executor, in the order they connected. */
  sessionsFor(executorName: string): readonly WorkerSession[] {
    return this.#byExecutor.get(executorName) ?? [];
  }

  /** Open connections of one worker id. */
  sessionsOf(workerId: string): readonly WorkerSession[] {
    return this.#byWorker.get(workerId) ?? [];
  }

  /** Names of the executors some connected worker serves. */
  executorNames(): string[] {
    return [...this.#byExecutor.keys()];
  }

  /**
   * The id of the API key that holds `workerId` on this manager (see `holdId`), or `null` when no
   * key does.
   */
  ownerOf(workerId: string): string | null {
    return this.#owners.get(workerId)?.keyId ?? null;
  }

  /**
   * Holds `workerId` for key `keyId` until the answer is called (once; later calls do nothing), so
   * that no other key takes it meanwhile; `null` when another key holds it. Streams (`add`) and
   * leases (`hold`) hold their worker ids too: an id stays its key's while any of them lasts.
   */
  holdId(workerId: string, keyId: string): (() => void) | null {
    const owner = this.ownerOf(workerId);
    if (owner !== null && owner !== keyId) return null;
    this.#take(workerId, keyId);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#drop(workerId);
    };
  }

  /** Notes that a unary call under `workerId`, which holds it (`holdId`), began at `now`. */
  noteCall(workerId: string, now: number): void {
    const owner = this.#owners.get(workerId);
    if (owner) owner.calledAt = now;
  }

  /**
   * When the last unary call under `workerId` began (epoch ms) while its key has held it without
   * a break; `undefined` when none did.
   */
  calledAt(workerId: string): number | undefined {
    return this.#owners.get(workerId)?.calledAt;
  }

  #take(workerId: string, keyId: string | null): void {
    const owner = this.#owners.get(workerId);
    if (!owner) this.#owners.set(workerId, { keyId, holds: 1 });
    else {
      owner.holds++;
      owner.keyId ??= keyId;
    }
  }

  #drop(workerId: string): void {
    const owner = this.#owners.get(workerId);
    if (owner && --owner.holds <= 0) this.#owners.delete(workerId);
  }

  /**
   * Records a lease handed out; it holds its worker id for the key holding it now (leases are
   * taken under a stream or a call that holds the id, so one does).
   */
  hold(lease: HeldLease): void {
    const previous = this.#leases.get(lease.taskId);
    if (previous) this.#uncount(previous);
    this.#leases.set(lease.taskId, lease);
    for (const session of this.sessionsOf(lease.workerId)) session.leasedAgain(lease.taskId);
    // Results of this lease that arrived before it was known mark it from their arrival.
    for (const note of [...this.#unknownNotes.get(lease.taskId) ?? []]) {
      if (note.workerId !== lease.workerId || note.leaseToken !== lease.leaseToken) continue;
      mark(note, lease);
      pull(this.#unknownNotes, lease.taskId, note);
    }
    this.#take(lease.workerId, null);
    add(this.#leaseCount, lease.workerId, 1);
    add(this.#heldByExecutor, lease.executorName, 1);
  }

  /** The lease held on a task, if this manager handed it out. */
  lease(taskId: string): HeldLease | undefined {
    return this.#leases.get(taskId);
  }

  /**
   * Notes results on their arrival, and answers the notes: pass them to `resultsHandled` once
   * those results were handled, whatever became of them. `results` comes straight off the wire:
   * anything that is not a `{ taskId, leaseToken }` reference is passed over. A result for a lease
   * held here (same task, holder and token) marks it answered at `now` (`resultAt`); one for a
   * lease not known here yet (held through a manager before this one, learned from the store by
   * whatever the worker sends first) marks it, from `now`, as soon as it is learned (`hold`) while
   * the result is still being handled. Results for leases not known are noted only in a batch of
   * at most `limits.assignmentsInFlight` results, with ids of at most `limits.idChars` characters
   * (a worker holds no more tasks; a longer batch is refused whole).
   */
  noteResults(
    workerId: string,
    results: unknown,
    now: number,
    limits: Pick<Limits, "assignmentsInFlight" | "idChars">,
  ): ResultNote[] {
    const notes: ResultNote[] = [];
    if (!Array.isArray(results)) return notes;
    const unknownToo = results.length <= limits.assignmentsInFlight;
    for (const result of results) {
      const { taskId, leaseToken } = (result ?? {}) as { taskId?: unknown; leaseToken?: unknown };
      if (typeof taskId !== "string" || typeof leaseToken !== "string") continue;
      const note: ResultNote = { taskId, workerId, leaseToken, at: now };
      const lease = this.#leases.get(taskId);
      if (lease) {
        if (lease.workerId !== workerId || lease.leaseToken !== leaseToken) continue;
        mark(note, lease);
      } else {
        if (!unknownToo || !taskId || !leaseToken) continue;
        if (taskId.length > limits.idChars || leaseToken.length > limits.idChars) continue;
        push(this.#unknownNotes, taskId, note);
      }
      notes.push(note);
    }
    return notes;
  }

  /**
   * The results of `notes` (`noteResults`) were handled. A result settled released its lease
   * already; one refused (invalid, or answered "no" by an ack) leaves its lease held, and once no
   * other result noted for it waits, the lease is no longer treated as answered: it expires and is
   * rescued, or is found ended by the lease check, as any lease whose worker did not report. With
   * `keep` (the result was not refused but dropped unapplied: its stream ended first, or the store
   * was unavailable, and its worker sends it again) the mark stays, `RESULT_WAIT_MS` at most. A
   * note whose lease was never learned is forgotten.
   */
  resultsHandled(notes: readonly ResultNote[], keep = false): void {
    for (const note of notes) {
      const lease = note.lease;
      if (!lease) {
        pull(this.#unknownNotes, note.taskId, note);
        continue;
      }
      const waiting = (lease.resultsWaiting ?? 1) - 1;
      lease.resultsWaiting = waiting;
      if (waiting <= 0 && !keep) lease.resultAt = undefined;
    }
  }

  /** Forgets a lease, unless a newer one (another token) replaced it meanwhile. */
  release(taskId: string, leaseToken: string): HeldLease | undefined {
    const lease = this.#leases.get(taskId);
    if (!lease || lease.leaseToken !== leaseToken) return undefined;
    this.#leases.delete(taskId);
    this.#uncount(lease);
    return lease;
  }

  /** Every lease held through this manager. */
  leases(): IterableIterator<HeldLease> {
    return this.#leases.values();
  }

  /** How many leases are held through this manager. */
  leaseCount(): number {
    return this.#leases.size;
  }

  /** How many tasks one worker id holds through this manager (over all its connections). */
  heldBy(workerId: string): number {
    return this.#leaseCount.get(workerId) ?? 0;
  }

  /** How many tasks of one executor are held through this manager. */
  heldFor(executorName: string): number {
    return this.#heldByExecutor.get(executorName) ?? 0;
  }

  #uncount(lease: HeldLease): void {
    this.#drop(lease.workerId);
    add(this.#leaseCount, lease.workerId, -1);
    add(this.#heldByExecutor, lease.executorName, -1);
  }

  /** Workers connected now, one entry per connection. */
  list(): WorkerSnapshot[] {
    return [...this.#sessions].map((s) => this.#snapshot(s));
  }

  #snapshot(s: WorkerSession): WorkerSnapshot {
    const running: string[] = [];
    for (const lease of this.#leases.values()) {
      if (running.length === RUNNING_LISTED) break;
      if (lease.workerId === s.workerId) running.push(lease.taskId);
    }
    return {
      workerId: s.workerId,
      connectionId: s.connectionId,
      executors: [...s.executors],
      sdkVersion: s.sdkVersion,
      host: s.host,
      pid: s.pid,
      runtime: s.runtime,
      connectedAt: s.connectedAt,
      lastHeartbeatAt: s.lastHeartbeatAt,
      inFlight: this.#leaseCount.get(s.workerId) ?? 0,
      credits: s.totalCredits(),
      running,
      disconnectedAt: null,
    };
  }
}

/** `note`'s result answers `lease`: the lease is marked answered from the note's arrival. */
function mark(note: ResultNote, lease: HeldLease): void {
  note.lease = lease;
  lease.resultAt ??= note.at;
  lease.resultsWaiting = (lease.resultsWaiting ?? 0) + 1;
}

/** Adds `delta` to a count, dropping counts that reach zero. */
function add<K>(map: Map<K, number>, key: K, delta: number): void {
  const n = (map.get(key) ?? 0) + delta;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function pull<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (!list) return;
  const i = list.indexOf(value);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) map.delete(key);
}
