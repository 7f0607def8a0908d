// Package taskexecutor is the idiomatic Go SDK of Tasks Executor, over the versioned gRPC API
// (taskexecutor.v1; stubs in package taskexecutorv1).
//
// A Worker serves executors over one TaskExecutorService.Work stream: it grants credits (how
// many more tasks each executor can take, its Concurrency), receives assignments in batches,
// runs each in its own goroutine, and sends results in batches. It keeps leases alive with
// heartbeats, turns the manager's cancellations (cancelled, lease lost, timeout) and its own
// attempt timeout into the cancellation of the handler's context (context.Cause tells which:
// ErrCancelled, ErrLeaseLost, ErrTimeout, ErrShutdown), reconnects with exponential backoff and
// jitter, and drains on SIGINT/SIGTERM (or when the context given to Run is done). A manager
// that refuses the worker's key or its reach (UNAUTHENTICATED, PERMISSION_DENIED) is not
// reconnected to: as no result can reach the manager any more, the worker cancels its running
// handlers' contexts at once (ErrShutdown), with no grace, waits a second at most for them to
// return, and Run returns the refusal. A worker id another API key holds (UNAVAILABLE) is waited
// for while the hold can end by itself (after a key rotation); once a live worker of that key is
// found to hold it, Run returns an error wrapping ErrWorkerIDHeld that names the id.
//
// A handler that ignores its context cannot be stopped (Go cannot end a goroutine): one still
// running a second after its context was cancelled is abandoned. The worker logs an error
// naming the task and the count of abandoned goroutines (abandonedHandlers), reports the attempt
// as a retryable failure and gives its slot back, so the executor's other tasks keep running on
// this worker; the goroutine runs on, and what it returns is dropped (it counts no more once it
// returns; a slow one counts while it runs on). Those left running are bounded by
// WorkerOptions.MaxAbandoned (default: twice the sum of the executors' Concurrency, at least 16,
// which a handler slow to return does not reach): the one past it stops the worker, which drains,
// and Run returns an error naming the count and the handler to fix, rather than leak a goroutine
// per attempt.
//
// A handler's error fails the attempt: the manager retries it by the executor's retry policy,
// then dead-letters it. NonRetryable(err) dead-letters it at once; RetryAfter(d, err) retries it
// after d instead of the policy's delay; RateLimited(d, err) runs it again after d without
// spending an attempt (the handler was rate limited by something it calls). A panic fails the
// attempt too (retryable), its stack sent as the attempt's error stack; the worker logs it at
// error level ("Task handler panicked", with the stack), as the bug in the handler it is.
//
// A Client creates tasks (one or many), reads and lists them, cancels them, and waits for them
// to end (Wait, over WatchTasks; Wait with no ids answers an empty slice at once, sending
// nothing), or creates one and waits for it in one call (CreateAndWait, over CreateAndWatchTask).
// Its Manager method gives the generated client for the rest of the API. Errors are gRPC
// statuses: tell them apart with status.Code(err) (codes.NotFound, codes.DeadlineExceeded when a
// wait's ctx ran out, …), not errors.Is. The SDK's own refusals, before anything is sent
// (NewWorker's checks, a duration finer than a millisecond, a task schema or task data that is
// not JSON, a wait for more than MaxWaitIDs ids, text that is not UTF-8, a NaN or infinite
// Multiplier or Jitter, a RateLimit of Limit 0 other than NoRateLimit), are INVALID_ARGUMENT
// statuses naming the field, as the manager's are ("taskexecutor: a task filter: /executorName:
// Must be …"): FieldViolations reads it. Ranges (a priority, MaxAttempts, a page's Limit) are the
// manager's, whose refusal names the field too.
//
// Both connect with Connection: the gRPC address, TLS (a *tls.Config; plaintext when nil) and
// an API key sent as "authorization: Bearer <key>" (default: TASKS_EXECUTOR_API_KEY).
package taskexecutor
