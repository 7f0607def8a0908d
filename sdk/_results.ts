/**
 * Result sending: attempts' results queued, batched into messages within the manager's limits,
 * kept until the manager acknowledges them, sent again on a new stream, and waited for at
 * shutdown. The credits the results freed go right after them.
 *
 * The manager answers each results message with one acks message, in turn, acknowledging each
 * of its results: an answer to a message says that it handled everything this worker wrote before
 * it. An acks message that is not the answer the oldest unanswered message asks for (the same
 * task ids) answers nothing: a manager that sends acks unasked cannot end a wait for answers early.
 *
 * An ack names a task, not an attempt, yet two attempts of one task can both have results waiting
 * for an answer (the task leased again to this worker as its old lease expired, the old attempt's
 * result unanswered or still to come): the results waiting are kept each for itself, and listed
 * per task in the order they were sent, so that an ack of a task answers the oldest result of it
 * sent on this stream, the one the manager answers first. No result can then take the place of
 * another, or be forgotten by the ack of another.
 */
import { clearImmediate, setImmediate } from "node:timers";
import type { ResultAckMessage, ResultMessage } from "@tasks-executor/proto";
import type { Outbox } from "./_connection.ts";
import type { Credits } from "./_credits.ts";
import { fitResult, MESSAGE_OVERHEAD_BYTES, resultWireBytes, type SendLimits } from "./_run.ts";
import type { Logger } from "./types.ts";

const MAX_RESULTS_PER_MESSAGE = 500;
/** Most results kept waiting for an acknowledgement, and aborted tasks remembered. */
const MAX_UNACKED = 10_000;

/** The results of one worker on their way to the manager. */
export class ResultSender {
  readonly #outbox: Outbox;
  readonly #credits: Credits;
  readonly #limits: () => SendLimits;
  readonly #log: Logger;
  readonly #windowMs: number;
  /**
   * Results queued, oldest first, from `#pendingFrom` on: those before it were taken, and are
   * dropped once they are half the list, not by a splice per message, which moved every result
   * behind (600,000 results queued, as a manager's assignments past the concurrency are given
   * back, took 1.0-1.7 s to send, 0.66-0.77 s without). Empty: `#pendingFrom` is 0.
   */
  #pending: ResultMessage[] = [];
  #pendingFrom = 0;
  /** Results sent and not yet acknowledged, oldest first. */
  readonly #unacked = new Set<ResultMessage>();
  /** The same by task id, each task's oldest first (most tasks have one). */
  readonly #unackedOfTask = new Map<string, ResultMessage[]>();
  /**
   * Attempts (`attemptKey`) the manager took back (cancelled, lease lost): their results are
   * refused, quietly.
   */
  readonly #expectRefusal = new Set<string>();
  readonly #ackWaiters = new Set<() => void>();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #flushSoon: ReturnType<typeof setImmediate> | undefined;
  /** When results were last sent (performance.now()). */
  #flushedAt = -Infinity;
  /**
   * The answers that the results messages written on this stream and not yet answered ask for,
   * oldest first (`answerKey`), at most `MAX_UNACKED`.
   */
  #awaiting: string[] = [];

  /**
   * A sender writing to `outbox`; `limits` gives the manager's latest limits, `windowMs` is the
   * batching window (ms).
   */
  constructor(parts: {
    outbox: Outbox;
    credits: Credits;
    limits: () => SendLimits;
    log: Logger;
    windowMs: number;
  }) {
    this.#outbox = parts.outbox;
    this.#credits = parts.credits;
    this.#limits = parts.limits;
    this.#log = parts.log;
    this.#windowMs = parts.windowMs;
  }

  /**
   * Queues a result. It goes after the current turn of the event loop (so that results finishing
   * together, one assignment message, share one message) when every result sent before was
   * acknowledged, or the last send is a window old; otherwise it waits, with those that follow,
   * for those acknowledgements or the window's end, whichever comes first (the window counts from
   * the send: a result 1.9 ms after one waits at most 0.1 ms). As Nagle's rule for TCP: a worker
   * whose results are acknowledged sends each at once, a busy one batches. The Go SDK does the same.
   */
  queue(result: ResultMessage): void {
    this.#pending.push(result);
    if (this.#flushTimer !== undefined || this.#flushSoon !== undefined) return;
    const sinceSend = performance.now() - this.#flushedAt;
    if (this.#unacked.size === 0 || sinceSend >= this.#windowMs) return this.#flushAfterTurn();
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.flush();
    }, this.#windowMs - sinceSend);
  }

  #flushAfterTurn(): void {
    this.#flushSoon = setImmediate(() => {
      this.#flushSoon = undefined;
      this.flush();
    });
  }

  /**
   * The manager will refuse the result of this attempt of a task (it took the task back): no
   * warning then.
   */
  expectRefusal(taskId: string, leaseToken: string): void {
    this.#expectRefusal.add(attemptKey(taskId, leaseToken));
    if (this.#expectRefusal.size > MAX_UNACKED) {
      this.#expectRefusal.delete(this.#expectRefusal.values().next().value!);
    }
  }

  /**
   * Sends queued results and the credits they freed, in messages within the manager's size limit;
   * each result is first fitted to its limits (`fitResult`), so that no result can stop the
   * others. Without a stream, they wait for the next one.
   */
  flush(): void {
    this.#clearTimers();
    if (!this.#outbox.isOpen) return;
    if (this.#pending.length > 0) this.#flushedAt = performance.now();
    while (this.#pending.length > 0) {
      const batch = this.#nextBatch();
      for (const result of batch) this.#keep(result);
      if (!this.#write(batch)) return;
    }
    // The oldest dropped in one pass: a Set's first value, asked again after each delete, is found
    // past every value deleted before it (100,000 results sent at once took 2.1 s here).
    let over = this.#unacked.size - MAX_UNACKED;
    for (const result of this.#unacked) {
      if (over-- <= 0) break;
      this.#forget(result);
    }
    this.#credits.send(this.#outbox);
  }

  /** Keeps a result sent until its acknowledgement. */
  #keep(result: ResultMessage): void {
    this.#unacked.add(result);
    const ofTask = this.#unackedOfTask.get(result.taskId);
    if (ofTask) ofTask.push(result);
    else this.#unackedOfTask.set(result.taskId, [result]);
  }

  /** Forgets a result kept, the oldest of its task (acknowledged, or the oldest of all). */
  #forget(result: ResultMessage): void {
    this.#unacked.delete(result);
    const ofTask = this.#unackedOfTask.get(result.taskId)!;
    if (ofTask.length === 1) this.#unackedOfTask.delete(result.taskId);
    else ofTask.splice(ofTask.indexOf(result), 1);
  }

  #write(results: ResultMessage[]): boolean {
    if (!this.#outbox.write({ results: { results } })) return false;
    this.#awaiting.push(answerKey(results.map((result) => result.taskId)));
    // A manager that answers nothing: waits for answers end at their timeout.
    if (this.#awaiting.length > MAX_UNACKED) this.#awaiting.shift();
    return true;
  }

  /** A new stream: results the last one may not have delivered go first (stale ones are refused). */
  resend(): void {
    this.#awaiting = [];
    const resend = [...this.#unacked];
    this.#unacked.clear();
    this.#unackedOfTask.clear();
    this.#pending = [...resend, ...this.#pending.slice(this.#pendingFrom)];
    this.#pendingFrom = 0;
    this.flush();
  }

  /**
   * The manager's answers to results: forgets them, warns of unexpected refusals. An answer about
   * no result waiting for one (never sent, or answered before) says nothing: one message of
   * 200,000 such refusals was 200,000 warnings, and held the event loop 1.9 s.
   */
  acknowledged(acks: ResultAckMessage[]): void {
    if (this.#awaiting[0] === answerKey(acks.map((ack) => ack.taskId))) this.#awaiting.shift();
    for (const ack of acks) {
      // The oldest result of the task sent: the manager answers them in the order they came.
      const result = this.#unackedOfTask.get(ack.taskId)?.[0];
      if (!result) continue;
      this.#forget(result);
      const expected = this.#expectRefusal.delete(attemptKey(result.taskId, result.leaseToken));
      if (!ack.accepted) {
        const fields = { taskId: ack.taskId, error: ack.error };
        if (expected) this.#log.debug("Manager refused the result of an aborted task", fields);
        else this.#log.warn("Manager refused a result", fields);
      }
    }
    // Every result sent is acknowledged: those waiting for that go now.
    if (this.#unacked.size === 0 && this.#flushTimer !== undefined) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
      this.#flushAfterTurn();
    }
    this.#notify();
  }

  /**
   * The stream ended: nobody will answer on it any more. Its messages are no longer waited for; its
   * results unacknowledged are, and go again on the next stream (`resend`).
   */
  lost(): void {
    this.#awaiting = [];
    this.#notify();
  }

  /**
   * Waits until the manager has acknowledged every result this worker has (sent or queued) and
   * answered everything written on the stream open now, or `ms` passes. It first writes a results
   * message that holds none, so the last answer comes after the manager handled all this worker
   * wrote before (a credit of 0, when stopping: no lease comes after it); results queued
   * meanwhile are waited for too. A stream lost meanwhile, or none open, ends no wait while
   * results are unacknowledged: the stream opened again delivers them (`resend`); only when no
   * stream is open and `hopeless()` says none will be (the manager refused this worker) does the
   * wait end with them undelivered.
   */
  waitForAcks(ms: number, hopeless: () => boolean = () => false): Promise<void> {
    this.flush();
    this.#write([]);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#ackWaiters.delete(check);
        resolve();
      };
      const check = () => {
        const answered = this.#awaiting.length === 0 && this.#unacked.size === 0 &&
          this.#pending.length === 0;
        if (answered || (!this.#outbox.isOpen && hopeless())) done();
      };
      const timer = setTimeout(done, ms);
      this.#ackWaiters.add(check);
      check();
    });
  }

  /** Stops the batching timers (at shutdown). */
  stop(): void {
    this.#clearTimers();
  }

  #clearTimers(): void {
    if (this.#flushTimer !== undefined) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
    }
    if (this.#flushSoon !== undefined) {
      clearImmediate(this.#flushSoon);
      this.#flushSoon = undefined;
    }
  }

  #notify(): void {
    for (const check of [...this.#ackWaiters]) check();
  }

  /** Takes the next results that fit in one message (at least one) off the queue. */
  #nextBatch(): ResultMessage[] {
    const limits = this.#limits();
    const batch: ResultMessage[] = [];
    let bytes = MESSAGE_OVERHEAD_BYTES;
    let at = this.#pendingFrom;
    for (; at < this.#pending.length && batch.length < MAX_RESULTS_PER_MESSAGE; at++) {
      const queued = this.#pending[at];
      const result = fitResult(queued, limits);
      this.#pending[at] = result;
      if (result.ok !== queued.ok) {
        this.#log.warn("Task result is over the manager's limit, reporting a failed attempt", {
          taskId: result.taskId,
          error: result.error,
        });
      }
      const size = resultWireBytes(result);
      if (batch.length > 0 && bytes + size > limits.maxMessageBytes) break;
      batch.push(result);
      bytes += size;
    }
    this.#pendingFrom = at;
    if (at === this.#pending.length) {
      this.#pending = [];
      this.#pendingFrom = 0;
    } else if (at * 2 >= this.#pending.length) {
      this.#pending = this.#pending.slice(at);
      this.#pendingFrom = 0;
    }
    return batch;
  }
}

/** What identifies an attempt of a task: its task id and lease token. */
function attemptKey(taskId: string, leaseToken: string): string {
  return `${taskId}\n${leaseToken}`;
}

/**
 * What identifies the answer to a results message: its task ids, in any order (the manager lists
 * refused results after the others), as their count and a 32-bit FNV-1a hash of them sorted.
 */
function answerKey(taskIds: string[]): string {
  let hash = 0x811c9dc5;
  for (const id of [...taskIds].sort()) {
    for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
    hash = Math.imul(hash ^ 0x0a, 0x01000193); // a separator: "ab","c" is not "a","bc"
  }
  return `${taskIds.length}:${(hash >>> 0).toString(16)}`;
}
