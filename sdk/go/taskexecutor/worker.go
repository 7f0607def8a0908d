package taskexecutor

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"tasks-executor/sdk/go/internal/violation"
	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// SDKVersion is what the worker tells the manager in its hello.
const SDKVersion = "go-0.1.0"

// Handler runs one attempt of a task. A nil error completes the task with result (encoded with
// encoding/json; a json.RawMessage is sent as it is). An error fails the attempt: see
// NonRetryable, RetryAfter and RateLimited. ctx is cancelled when the attempt must stop;
// context.Cause(ctx) says why (ErrCancelled, ErrLeaseLost, ErrTimeout, ErrShutdown). A panic fails the attempt,
// its stack sent as the attempt's error stack, and is logged at error level with that stack.
type Handler func(ctx context.Context, task *Assignment) (result any, err error)

// Assignment is the task a handler runs: leased to this worker for this attempt.
type Assignment struct {
	ID           string
	ExecutorName string
	// Data is the task's JSON data, checked against the executor's schema by the manager when the
	// task was created or requeued.
	Data     json.RawMessage
	Metadata map[string]string
	// Attempt is 1 on the first attempt; MaxAttempts is the executor's limit.
	Attempt     int
	MaxAttempts int
	// CreatedAt is when the task was created; when the manager names no time, or one outside
	// protobuf's range (years 1 to 9999), when the lease arrived.
	CreatedAt time.Time
	WorkerID  string
}

// Executor is one executor a worker serves.
type Executor struct {
	// Name is the executor's name: 1-128 characters of a-z, 0-9, _, . and -, and not . or ..
	Name    string
	Handler Handler
	// Concurrency is how many of its tasks this worker runs at once, at most 2,147,483,647 (what
	// a credit holds). Default: 1.
	Concurrency int
	// Config is registered on start (created, or updated when the executor exists). Nil: the
	// executor is created with the manager's defaults when missing, and left as it is otherwise.
	// NewWorker checks it and keeps a copy of it as checked: a change made to it (or to what it
	// points to) after NewWorker returns has no effect on the worker, as a change to Name or
	// Concurrency has none; make a new Worker to register another configuration.
	Config *ExecutorConfig
}

// WorkerOptions configure a Worker; zero fields take their defaults.
type WorkerOptions struct {
	Connection
	// WorkerID names this worker to the manager. Default: worker-<pid>-<random>. NewWorker refuses
	// one the manager would (starting with "legacy:", past 256 characters, holding U+0000, not
	// UTF-8), naming /hello/workerId.
	WorkerID  string
	Executors []Executor
	// MaxAbandoned is the most abandoned handlers (still running a second after their context was
	// cancelled: see the package doc) this worker leaves running at once. Each is a goroutine Go
	// cannot end, holding whatever it holds; one more and the worker stops as on a signal (it takes
	// no more tasks and drains), and Run returns an error naming the count and the handler to fix.
	// A handler that returns at last counts no more, but a slow one counts while it runs on: each
	// slot given back runs the next attempt, which may be abandoned in turn. Default: twice the sum
	// of the executors' Concurrency, and at least 16, so that a handler slow to return (a second or
	// two after its cancel) does not stop the worker, while one that never returns does within a
	// few attempts per slot; negative: no bound.
	MaxAbandoned int
	// ShutdownGrace is how long a drain waits for running handlers before cancelling their
	// contexts with ErrShutdown. Default (0): 10 s; NewWorker refuses a negative one. A second
	// SIGINT/SIGTERM ends the wait at once.
	ShutdownGrace time.Duration
	// IgnoreSignals leaves SIGINT and SIGTERM alone: only the context given to Run drains.
	IgnoreSignals bool
	// SkipRegistration skips registering the executors' configuration, on start and on every
	// reconnect (the executors are managed elsewhere: their stored configuration is left alone).
	SkipRegistration bool
	// ReconnectDelay and MaxReconnectDelay bound the backoff between connection attempts
	// (doubled per failure, the upper half drawn at random; started over once a stream has lasted
	// stableStream, or MaxReconnectDelay when shorter, from the manager's first message on it).
	// Defaults (0): 100 ms and 10 s (ReconnectDelay when longer). NewWorker refuses a negative one,
	// and a MaxReconnectDelay under ReconnectDelay: each was taken as its default, saying nothing.
	ReconnectDelay    time.Duration
	MaxReconnectDelay time.Duration
	// Logger receives the worker's events. Default: slog.Default().
	Logger *slog.Logger
	// ResultBatchWindow: a result goes at once when every result sent before was acknowledged or
	// the last send is this old; otherwise it waits, with those that follow, for those
	// acknowledgements or the end of this window after the send, whichever comes first (Nagle's
	// rule, as in the TypeScript SDK). Default: 2 ms; negative: every result goes as soon as the
	// worker is free to send it.
	ResultBatchWindow time.Duration
}

// Worker serves executors over one Work stream. Create it with NewWorker, then call Run.
type Worker struct {
	options WorkerOptions
	served  map[string]*Executor
	// configs is each served executor's Config as NewWorker checked it, the message Run registers
	// (a deep copy, which nothing the caller holds points into); none for an executor without one.
	configs  map[string]*pb.ExecutorConfig
	names    []string
	log      *slog.Logger
	finished chan finished
	// stopped is closed when Run returns: handlers still running then drop their results.
	stopped   chan struct{}
	ready     chan struct{}
	readyOnce sync.Once
	// abandoned counts the handlers given up on (see abandon) that have not returned yet.
	abandoned atomic.Int64
	// ran is set by the first call of Run.
	ran atomic.Bool
}

var executorName = regexp.MustCompile(`^[a-z0-9_.-]{1,128}$`)

// defaultMinAbandoned is the least default of WorkerOptions.MaxAbandoned: with a concurrency of 1,
// two attempts in a row whose handler took two seconds to return after its cancel were both
// abandoned and running at once, and stopped a worker that leaked nothing for good.
const defaultMinAbandoned = 16

// NewWorker checks the options (executor names, handlers, concurrency, schemas) and returns a
// Worker; nothing connects before Run. Each executor's Config is checked by the conversion Run
// sends it through, so one the SDK refuses (a retry type the protocol does not have, a duration
// finer than a millisecond) is refused here, naming the executor, before any is registered; the
// Worker keeps what it checked, and registers that: a Config changed after NewWorker returns is
// not read again.
func NewWorker(options WorkerOptions) (*Worker, error) {
	if len(options.Executors) == 0 {
		return nil, invalidArgument("a worker", "/executors", "Must hold at least one executor")
	}
	if options.WorkerID == "" {
		options.WorkerID = fmt.Sprintf("worker-%d-%08x", os.Getpid(), rand.Uint32())
	}
	if problem := workerIDProblem(options.WorkerID); problem != "" {
		return nil, invalidArgument("a worker", "/hello/workerId", problem)
	}
	if err := options.Connection.check("a worker"); err != nil {
		return nil, err
	}
	// A negative duration was taken as its default, saying nothing (ShutdownGrace -1 gave 10 s),
	// and so was a MaxReconnectDelay under ReconnectDelay.
	for _, option := range []struct {
		name  string
		value time.Duration
		dflt  time.Duration
	}{
		{"WorkerOptions.ShutdownGrace", options.ShutdownGrace, 10 * time.Second},
		{"WorkerOptions.ReconnectDelay", options.ReconnectDelay, 100 * time.Millisecond},
		{"WorkerOptions.MaxReconnectDelay", options.MaxReconnectDelay, 10 * time.Second},
	} {
		if err := checkOption("a worker", option.name, notBelowZero(option.value, option.dflt)); err != nil {
			return nil, err
		}
	}
	if reconnect := cmp.Or(options.ReconnectDelay, 100*time.Millisecond); options.MaxReconnectDelay > 0 &&
		options.MaxReconnectDelay < reconnect {
		return nil, checkOption("a worker", "WorkerOptions.MaxReconnectDelay", fmt.Sprintf(
			"Must be 0 (the default, 10s or ReconnectDelay when longer) or at least ReconnectDelay (%v), not %v",
			reconnect, options.MaxReconnectDelay))
	}
	if options.ShutdownGrace == 0 {
		options.ShutdownGrace = 10 * time.Second
	}
	if options.ResultBatchWindow == 0 {
		options.ResultBatchWindow = 2 * time.Millisecond
	} else if options.ResultBatchWindow < 0 {
		// Any negative window is none; the most negative, less the time since a send, wrapped
		// past a time.Duration to 292 years, and held results for their acknowledgements.
		options.ResultBatchWindow = -1
	}
	if options.MaxAbandoned == 0 {
		// In 64 bits, capped: the sum of concurrencies of 2^31 - 1 overflowed an int of 32 bits.
		var slots int64
		for _, e := range options.Executors {
			slots = min(slots+int64(max(e.Concurrency, 1)), math.MaxInt32)
		}
		options.MaxAbandoned = int(min(max(defaultMinAbandoned, 2*slots), math.MaxInt32))
	}
	if options.ReconnectDelay == 0 {
		options.ReconnectDelay = 100 * time.Millisecond
	}
	if options.MaxReconnectDelay == 0 {
		options.MaxReconnectDelay = max(10*time.Second, options.ReconnectDelay)
	}
	w := &Worker{
		options:  options,
		served:   map[string]*Executor{},
		configs:  map[string]*pb.ExecutorConfig{},
		log:      options.Logger,
		finished: make(chan finished, 64),
		stopped:  make(chan struct{}),
		ready:    make(chan struct{}),
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	for i := range options.Executors {
		e := options.Executors[i]
		subject, field := fmt.Sprintf("executor %q", e.Name), fmt.Sprintf("/executors/%d", i)
		switch {
		case !executorName.MatchString(e.Name) || e.Name == "." || e.Name == "..":
			return nil, invalidArgument(subject, field+"/name",
				"Must be 1-128 characters of a-z, 0-9, _, . or -, and not . or ..")
		case w.served[e.Name] != nil:
			return nil, invalidArgument(subject, field+"/name", "Names an executor served already")
		case e.Handler == nil:
			return nil, invalidArgument(subject, field+"/handler", "Is required")
		case e.Concurrency < 0 || e.Concurrency > math.MaxInt32:
			// A credit holds an int32: 2^32 was granted as 0 credits, and the worker got no task.
			return nil, invalidArgument(subject, field+"/concurrency", fmt.Sprintf("Must be 1 to %d", math.MaxInt32))
		case e.Config != nil && e.Config.TaskSchema != nil && !json.Valid(e.Config.TaskSchema):
			return nil, invalidArgument(subject, field+"/config/taskSchema", "Is not JSON text")
		}
		if e.Config != nil {
			// Refused here, naming the executor, rather than by Run's registration: a retry type or
			// write concern the protocol does not have, or a duration finer than a millisecond.
			message, err := executorConfigMessage(e.Name, *e.Config)
			if err != nil {
				return nil, err
			}
			// Run registers this copy: the Config was read through its pointers as Run went, so a
			// change made after NewWorker was sent unchecked (a retry type "sometimes" set then was
			// refused by Run's registration, after the executors before it were registered). The
			// message shares pointers with the Config (Enabled): cloned, it shares none.
			w.configs[e.Name] = proto.Clone(message).(*pb.ExecutorConfig)
			e.Config = nil
		}
		if e.Concurrency == 0 {
			e.Concurrency = 1
		}
		w.served[e.Name] = &e
		w.names = append(w.names, e.Name)
	}
	return w, nil
}

// Ready is closed once the worker has registered its executors and the manager has welcomed it
// on its first Work stream: tasks created from then on reach it.
func (w *Worker) Ready() <-chan struct{} { return w.ready }

// ID is the worker's id, as the manager and the admin page show it.
func (w *Worker) ID() string { return w.options.WorkerID }

// Heartbeat tells the worker that the attempt running under ctx makes progress: its timeout
// starts again (another executor timeout from now). Leases are kept alive without it; only an
// attempt that may run longer than its executor's timeout needs it. No-op outside a handler.
func Heartbeat(ctx context.Context) {
	if r, ok := ctx.Value(runKey{}).(*run); ok {
		r.progressed.Store(true)
	}
}

type runKey struct{}

// run is one attempt in progress; its fields other than progressed belong to the loop goroutine.
type run struct {
	assignment *pb.Assignment
	executor   *Executor
	cancel     context.CancelCauseFunc
	lease      time.Duration
	deadline   time.Time
	nextBeat   time.Time
	released   bool // the manager took it back (cancelled, lease lost): a refusal is expected
	progressed atomic.Bool
	// cancelledAt is when its context was cancelled (timeout, cancellation, lease lost), and
	// cause why: a handler still running abortSettle later is abandoned.
	cancelledAt time.Time
	cause       error
	// replaced is set when a new lease of its task took its place in runs: it holds no slot there,
	// but its result (refused) and the credit of its lease still come back when it returns.
	replaced bool
	// over is set by whichever comes first: the handler's goroutine once it returned, or the loop
	// abandoning it.
	over atomic.Bool
}

// stop cancels the attempt's context with cause, once, and starts the wait for its handler.
func (r *run) stop(cause error) {
	if r.cancelledAt.IsZero() {
		r.cancelledAt, r.cause = time.Now(), cause
	}
	r.cancel(cause)
}

type finished struct {
	run    *run
	result *pb.Result
	// panicked: the handler panicked (result.Stack is where).
	panicked bool
}

// Limits the manager states in its welcome; these stand in until then (gRPC's default 4 MiB).
type sendLimits struct {
	messageBytes, resultBytes int
	errorChars, stackChars    int
}

const (
	maxResultsPerMessage = 500
	// maxUnacked is the most results kept waiting for an acknowledgement (the TypeScript SDK's
	// bound), and so of the refusals expected of them: past it the oldest are forgotten, so that
	// a manager that never acknowledges cannot grow them without end.
	maxUnacked  = 10_000
	tick        = 100 * time.Millisecond
	abortSettle = time.Second
	ackWait     = 3 * time.Second
	// stoppingReconnect is the longest a draining worker waits before opening a lost stream again.
	stoppingReconnect = 100 * time.Millisecond
	callTimeout       = 10 * time.Second
	// silentIntervals of the manager's keepalive interval without a message, and the work
	// stream is taken as dead (the rule of proto/keepalive.ts, kept the same on both SDKs).
	silentIntervals = 3
	// maxKeepalive is the longest keepalive interval taken from a welcome: the most a manager may
	// be set to (KEEPALIVE_INTERVAL, 5 minutes), as the TypeScript SDK takes it. A longer one counts
	// as that: 100 years overflowed a time.Duration (the stream was taken as dead at once), and
	// 49.7 days had a silent manager's stream, and a drain waiting on a send to it, held 149 days.
	maxKeepalive = 5 * time.Minute
	// minKeepalive is the shortest keepalive interval taken from a welcome: the least a manager
	// may be set to (KEEPALIVE_INTERVAL, 100 ms). A shorter one counts as that: 1 ms took a stream
	// that heard from the manager every 20 ms as dead at each check, reconnecting 10 times a second.
	minKeepalive = 100 * time.Millisecond
	// maxSendBytes is the largest message grpc-go sends (its default send limit): a welcome's
	// size limits count as at most that, as the TypeScript SDK's count as at most its own, so that
	// no results message is one the send refuses. An int of 32 bits kept the low bits of a
	// larger one: 2^32 + 16 bytes was a limit of 16.
	maxSendBytes = math.MaxInt32
	// defaultKeepalive is the manager's default keepalive interval, which bounds sends until a
	// welcome names one, or when an older manager names none.
	defaultKeepalive = 10 * time.Second
)

// Run registers the executors (retrying while the manager is unreachable), then serves them
// until ctx is done or SIGINT/SIGTERM arrives, and drains: it takes no more tasks, waits up to
// ShutdownGrace for running handlers, cancels the rest (ErrShutdown; reported as retryable
// failures), delivers the results and returns nil. It returns an error only when the manager
// refuses a registration (INVALID_ARGUMENT, PERMISSION_DENIED, …: executors are registered in the
// order given, and those before the refused one stay registered, e.g. when the manager cannot
// compile the second's TaskSchema, which the SDK does not compile), when it refuses the worker's
// key or its reach later (UNAUTHENTICATED or PERMISSION_DENIED on the work stream, or on a
// registration before a reconnect: the worker drains first, but with no grace, as no result can
// be delivered any more: running handlers' contexts are cancelled at once with ErrShutdown, and
// Run waits a second at most for them to return), when another API key's live worker holds its
// worker id (an error wrapping ErrWorkerIDHeld that names the id: the manager kept refusing the
// id while that key's work stream stayed open past the time in which the manager drops a gone
// worker's; the worker drains as on a refused key, its running handlers' contexts cancelled at
// once with ErrShutdown), when more handlers than MaxAbandoned were abandoned and still run (the
// worker drains first), or when the connection cannot be set up. Call it once: a later call
// (during the first, or after it) returns a FAILED_PRECONDITION status at once.
func (w *Worker) Run(ctx context.Context) error {
	if !w.ran.CompareAndSwap(false, true) {
		return status.Error(codes.FailedPrecondition,
			"taskexecutor: Run was called already; a Worker runs once (create another with NewWorker)")
	}
	defer close(w.stopped)
	conn, err := w.options.Connection.dial()
	if err != nil {
		return err
	}
	signals := make(chan os.Signal, 2)
	if !w.options.IgnoreSignals {
		signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(signals)
	}
	l := &loop{
		Worker:    w,
		runs:      map[string]*run{},
		replaced:  map[*run]bool{},
		unacked:   map[*pb.Result]bool{},
		unackedOf: map[string][]*pb.Result{},
		refusal:   map[attemptKey]bool{},
		grants:    map[string]int32{},
		limits:    sendLimits{4 << 20, 4 << 20, 64 << 10, 2000},
		signals:   signals,
		incoming:  newInbox(),
	}
	l.use(conn)
	defer func() { _ = l.client.Close() }()
	if err := l.register(ctx); err != nil {
		return err
	}
	if ctx.Err() != nil || l.signalled {
		return nil
	}
	return l.serve(ctx)
}

// loop is the state of one Run; only its goroutine touches it (handlers talk to it through
// w.finished, the receiving goroutine through incoming).
type loop struct {
	*Worker
	client    *Client
	work      pb.TaskExecutorServiceClient
	stream    grpc.BidiStreamingClient[pb.WorkRequest, pb.WorkResponse]
	closeWork context.CancelFunc
	incoming  *inbox
	runs      map[string]*run
	// replaced is the attempts a new lease of their task took the place of in runs, until their
	// handler returns or is abandoned.
	replaced map[*run]bool
	pending  []*pb.Result
	// unacked is the results sent and not yet acknowledged. An ack names a task, not an attempt,
	// yet two attempts of one task can both have results waiting for one (the task leased again to
	// this worker as its old lease expired, the old attempt's result unanswered or still to come):
	// each result is kept for itself, and unackedOf lists them per task id in the order they were
	// sent, so that an ack of a task answers the oldest result of it sent on this stream, the one
	// the manager answers first. No result takes the place of another or is forgotten by another's
	// ack.
	unacked   map[*pb.Result]bool
	unackedOf map[string][]*pb.Result
	// sentOrder is unacked in the order they were sent, with some acknowledged since.
	sentOrder []*pb.Result
	// refusal is the attempts the manager took back (cancelled, lease lost), whose result's
	// refusal is expected: not warned of. Each is forgotten with its result, so at most
	// maxUnacked are kept past those pending.
	refusal   map[attemptKey]bool
	grants    map[string]int32
	limits    sendLimits
	failures  int
	draining  bool
	signals   chan os.Signal
	signalled bool
	reconnect <-chan time.Time
	// refused is the manager's refusal of this worker's key or of its reach (UNAUTHENTICATED,
	// PERMISSION_DENIED) on its work stream or a registration before a reconnect: the worker
	// stops (drains) and Run returns it, as retrying cannot mend it.
	refused error
	// overAbandoned is set once more handlers than MaxAbandoned are abandoned and still running:
	// the worker stops (drains) and Run returns it.
	overAbandoned error
	// flushedAt is when results were last sent; flushLater fires at the end of the batch window.
	flushedAt  time.Time
	flushLater <-chan time.Time
	// awaiting is, oldest first, the answer each results message sent on the current stream and
	// not yet answered asks for (answerKey), at most maxUnacked: the manager answers each in turn.
	awaiting []answer
	// keepalive is the interval the current stream's welcome named (0: none, an older manager);
	// heardAt and sentAt are when a message last arrived on it and was last sent.
	keepalive       time.Duration
	heardAt, sentAt time.Time
	// answeredAt is when the current stream's first message came (zero before it): a stream that
	// lasts stableStream from there starts the reconnect delays over (lost).
	answeredAt time.Time
	// welcomed is whether the current stream's welcome came.
	welcomed bool
	// heldID is the wait for a worker id another API key holds (connection.go).
	heldID heldIDWait
}

// use makes conn the connection every call goes over.
func (l *loop) use(conn *grpc.ClientConn) {
	l.client = clientOn(conn, l.options.Connection)
	l.work = pb.NewTaskExecutorServiceClient(conn)
}

// stableStream is how long a stream must last from the manager's first message on it for the
// reconnect delays to start over when it ends (MaxReconnectDelay when shorter): longer than a
// stream that a manager ends at once, or that fails on a message the worker refuses, takes.
const stableStream = time.Second

// backoff is the next reconnection delay: doubled per failure up to the cap, jittered so that a
// fleet of workers does not come back at once.
func (l *loop) backoff() time.Duration {
	base := reconnectBase(l.options.ReconnectDelay, l.options.MaxReconnectDelay, l.failures)
	l.failures++
	return jittered(base)
}

// reconnectBase is first doubled per failure, capped at most (first <= most). A doubling past
// most is never made: 10 s doubled 30 times is past a time.Duration, and wrapped to a negative
// delay that jittered panicked on.
func reconnectBase(first, most time.Duration, failures int) time.Duration {
	shift := min(failures, 30)
	if first > most>>shift {
		return most
	}
	return first << shift
}

// register registers every executor, retrying with backoff while the manager is unavailable.
func (l *loop) register(ctx context.Context) error {
	if l.options.SkipRegistration {
		return nil
	}
	for {
		stopped, err := l.registerUnlessStopped(ctx, ctx.Done())
		if err == nil || stopped || ctx.Err() != nil {
			return nil
		}
		if code := status.Code(err); code != codes.Unavailable && code != codes.DeadlineExceeded {
			return errorf("cannot register executors: %w%s", err, l.options.Connection.missingKeyHint(code))
		}
		delay := l.backoff()
		l.log.Warn("Manager unreachable, retrying executor registration",
			"retryIn", delay, "error", err)
		select {
		case <-ctx.Done():
			return nil
		case <-l.signals:
			l.signalled = true
			return nil
		case <-time.After(delay):
		}
	}
}

func (l *loop) registerAll(ctx context.Context) error {
	for _, name := range l.names {
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		var err error
		if message := l.configs[name]; message != nil {
			err = l.client.registerExecutorMessage(callCtx, name, message)
		} else {
			err = l.client.ensureExecutor(callCtx, name)
		}
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

func (l *loop) serve(ctx context.Context) error {
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	l.connect()
	for l.refused == nil && l.overAbandoned == nil && !l.step(ctx.Done(), ticker, nil) {
	}
	if !l.signalled {
		l.log.Info("Stopping, draining", "inFlight", len(l.runs))
	}
	if err := l.drain(ticker); err != nil {
		return err
	}
	if l.refused != nil {
		return l.refused
	}
	return l.overAbandoned
}

// step waits for one event and handles it: a message, a finished handler, a tick or a
// reconnection. It returns true, having handled nothing, when stop is closed, wake fires or a
// signal arrives.
func (l *loop) step(stop <-chan struct{}, ticker *time.Ticker, wake <-chan time.Time) bool {
	select {
	case <-stop:
		return true
	case <-wake:
		return true
	case <-l.signals:
		l.signal()
		return true
	case in := <-l.incoming.messages:
		l.incoming.took(in)
		l.receive(in)
	case f := <-l.finished:
		l.finish(f)
		for more := true; more; {
			select {
			case f := <-l.finished:
				l.finish(f)
			default:
				more = false
			}
		}
		if wait := l.options.ResultBatchWindow - time.Since(l.flushedAt); wait <= 0 || len(l.unacked) == 0 || l.draining {
			l.flush()
		} else if l.flushLater == nil {
			l.flushLater = time.After(wait)
		}
	case <-l.flushLater:
		l.flush()
	case <-ticker.C:
		l.heartbeats()
		l.keepAlive()
	case <-l.reconnect:
		l.reconnect = nil
		if !l.draining && !l.options.SkipRegistration {
			stopped, err := l.registerUnlessStopped(context.Background(), stop)
			if stopped {
				// The drain that follows still connects (a draining worker registers nothing),
				// so that the results of the handlers running reach the manager: it delivers
				// them only over a stream or a reconnection to come.
				l.reconnect = reconnectNow
				return true
			}
			if err != nil {
				l.lost(nil, err)
				return false
			}
		}
		l.connect()
	}
	return false
}

// reconnectNow is a reconnection due at once: it is closed.
var reconnectNow = func() <-chan time.Time {
	now := make(chan time.Time)
	close(now)
	return now
}()

// signal notes a SIGINT or SIGTERM: the first starts a drain, a second cuts its grace.
func (l *loop) signal() {
	if l.signalled {
		l.log.Warn("Received a second signal, cancelling running tasks now")
	} else {
		l.log.Info("Received a signal, draining", "inFlight", len(l.runs))
	}
	l.signalled = true
}

// registerUnlessStopped registers every executor (registerAll), unless a stop comes first: stop
// closed (Run's context done) or a signal ends the wait at once, cancelling the calls, and
// stopped is true. A manager that accepts connections but never answers held a stop for up to
// callTimeout per executor.
func (l *loop) registerUnlessStopped(ctx context.Context, stop <-chan struct{}) (stopped bool, err error) {
	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	// The loop waits here meanwhile: registerAll reads what nothing else changes until it is done.
	go func() { done <- l.registerAll(callCtx) }()
	select {
	case err = <-done:
		return false, err
	case <-stop:
	case <-l.signals:
		l.signal()
	}
	cancel()
	<-done
	return true, nil
}

// connect opens a Work stream: hello, the credits left, then what the last stream may not have
// delivered (results, heartbeats of running tasks).
func (l *loop) connect() {
	streamCtx, cancel := context.WithCancel(context.Background())
	stream, err := l.work.Work(streamCtx)
	if err != nil {
		cancel()
		l.lost(nil, err)
		return
	}
	l.stream, l.closeWork = stream, cancel
	l.keepalive, l.heardAt, l.answeredAt, l.welcomed = 0, time.Now(), time.Time{}, false
	l.incoming = newInbox()
	go l.incoming.receive(streamCtx, stream, stream.Recv)
	l.send(&pb.WorkRequest{Kind: &pb.WorkRequest_Hello{Hello: &pb.Hello{
		WorkerId: l.options.WorkerID, Executors: l.names, SdkVersion: SDKVersion, Keepalive: true,
	}}})
	l.awaiting = l.awaiting[:0]
	clear(l.grants)
	if !l.draining {
		for _, name := range l.names {
			room := int32(l.served[name].Concurrency)
			for _, r := range l.runs {
				if r.executor.Name == name {
					room--
				}
			}
			if room > 0 {
				l.grants[name] = room
			}
		}
	}
	// Those sent and not acknowledged go again ahead of those queued since, which were made after
	// them: oldest first, as the TypeScript worker sends them (queued first, they went out of
	// order).
	var again []*pb.Result
	for _, result := range l.sentOrder {
		if l.unacked[result] {
			again = append(again, result)
		}
	}
	l.pending = append(again, l.pending...)
	l.sentOrder = nil
	clear(l.unacked)
	clear(l.unackedOf)
	l.flush()
	var running []string
	for id, r := range l.runs {
		if !r.released {
			running = append(running, id)
		}
	}
	if len(running) > 0 {
		l.send(&pb.WorkRequest{Kind: &pb.WorkRequest_Heartbeat{Heartbeat: &pb.Heartbeat{TaskIds: running}}})
	}
}

// lost ends the current stream (if stream is it) and schedules a reconnection. A refusal for
// want of a key says how to give one, as a refused registration does: with SkipRegistration the
// work stream is the first call the manager refuses. The manager's refusal of the key or of its
// reach (UNAUTHENTICATED, PERMISSION_DENIED) schedules none: the worker stops with it (refused),
// as the TypeScript worker does; it was retried without end, each refusal a warning. So does a
// refusal of the hello itself (INVALID_ARGUMENT naming a field under /hello/, such as the worker
// id): every stream starts with the same hello.
func (l *loop) lost(stream grpc.BidiStreamingClient[pb.WorkRequest, pb.WorkResponse], err error) {
	if stream != nil && stream != l.stream {
		return
	}
	code := status.Code(err)
	if hint := l.options.Connection.missingKeyHint(code); hint != "" {
		err = fmt.Errorf("%w%s", err, hint)
	}
	if l.closeWork != nil {
		l.closeWork()
	}
	l.stream, l.closeWork = nil, nil
	if code == codes.Unauthenticated || code == codes.PermissionDenied {
		l.stopRefused(errorf("the manager refused this worker: %w", err), err,
			"Manager refused this worker's API key or what it may serve, stopping")
		return
	}
	if helloRefused(err) {
		l.stopRefused(errorf("the manager refused this worker's hello: %w", err), err,
			"Manager refused this worker's hello (its id or executors), stopping")
		return
	}
	if held := l.heldID.refused(err, l.welcomed, l.options.WorkerID, l.options.ShutdownGrace+ackWait, time.Now()); held != nil {
		l.stopRefused(held, held, "Another API key's worker holds this worker's id, stopping")
		return
	}
	// Only a stream that lasted starts the delays over: a manager that ends each stream it
	// welcomes, or sends on it a message the worker refuses, had it reconnect about ten times a
	// second when any message did.
	if !l.answeredAt.IsZero() && time.Since(l.answeredAt) >= min(stableStream, l.options.MaxReconnectDelay) {
		l.failures = 0
	}
	l.answeredAt = time.Time{}
	delay := l.backoff()
	if l.draining {
		// The drain waits ackWait at most for its acknowledgements: a stream lost meanwhile is
		// opened again within stoppingReconnect, not after a backoff that may be longer than that
		// (MaxReconnectDelay, 10 s by default).
		delay = min(delay, stoppingReconnect)
	}
	l.log.Warn("Lost the work stream to the manager, reconnecting",
		"error", err, "retryIn", delay, "inFlight", len(l.runs))
	l.reconnect = time.After(delay)
}

// stopRefused stops the worker for good: no reconnection, its running handlers cancelled at once
// by the drain, and Run returns refused. Only the first refusal is kept, and logged as message
// with cause.
func (l *loop) stopRefused(refused, cause error, message string) {
	l.reconnect = nil
	if l.refused != nil {
		return
	}
	l.refused = refused
	l.log.Error(message, "error", cause, "inFlight", len(l.runs))
}

func (l *loop) send(message *pb.WorkRequest) bool {
	if l.stream == nil {
		return false
	}
	// A manager that reads nothing holds a send back without end (HTTP/2 flow control), and this
	// loop with it: drain, keepalive, everything. A send waits as long as the stream may be
	// silent, then the stream is given up (and opened again) as a silent one is.
	wait := silentIntervals * cmp.Or(l.keepalive, defaultKeepalive)
	giveUp := time.AfterFunc(wait, l.closeWork)
	err := l.stream.Send(message)
	switch {
	case !giveUp.Stop():
		// Given up here, whatever Send answered (it may have gone through, or ended as the
		// timer started): the stream's context is cancelled, so its receiving side ends with it
		// and reports nothing.
		l.lost(l.stream, fmt.Errorf("a send waited %s for the manager to read", wait))
	case err == nil:
		l.sentAt = time.Now()
		return true
	case !errors.Is(err, io.EOF):
		l.lost(l.stream, err)
	}
	// io.EOF: the manager ended the stream, and why (a status such as UNAUTHENTICATED) is what
	// the receiving side reads (grpc-go's rule): that side reports it, so that the log says why;
	// lost() ignores a second report of one stream.
	return false
}

// keepAlive keeps the open stream's side of the keepalive its welcome asked for: an empty
// heartbeat when nothing was sent for half an interval, and, when nothing arrived for
// silentIntervals intervals (the manager's host lost, a network cut with no FIN or RST), the
// stream taken as dead and opened again on a new connection.
func (l *loop) keepAlive() {
	if l.stream == nil || l.keepalive <= 0 {
		return
	}
	now := time.Now()
	if silent := now.Sub(l.heardAt); silent >= silentIntervals*l.keepalive {
		l.log.Warn("No message from the manager on the work stream, taking it as dead",
			"silent", silent, "keepaliveInterval", l.keepalive)
		l.lost(l.stream, fmt.Errorf("no message from the manager for %s", silent.Round(time.Millisecond)))
		// The connection under it is presumed dead: calls go over a new one from now on.
		if conn, err := l.options.Connection.dial(); err == nil {
			old := l.client
			l.use(conn)
			_ = old.Close()
		}
		return
	}
	if now.Sub(l.sentAt) >= l.keepalive/2 {
		l.send(&pb.WorkRequest{Kind: &pb.WorkRequest_Heartbeat{Heartbeat: &pb.Heartbeat{}}})
	}
}

func (l *loop) receive(in received) {
	if in.stream != l.stream {
		return
	}
	if in.err != nil {
		l.lost(in.stream, in.err)
		return
	}
	l.heardAt = time.Now()
	if l.answeredAt.IsZero() {
		l.answeredAt = l.heardAt
	}
	switch kind := in.message.GetKind().(type) {
	case *pb.WorkResponse_Keepalive:
		// Its arrival is all it says.
	case *pb.WorkResponse_Welcome:
		welcome := kind.Welcome
		if d := welcome.GetKeepaliveInterval(); d != nil && d.AsDuration() > 0 {
			l.keepalive = keepaliveOf(d.AsDuration())
		}
		if n := welcome.GetMaxMessageBytes(); n > 0 {
			l.limits.messageBytes = int(min(n, maxSendBytes))
		}
		if n := welcome.GetMaxResultBytes(); n > 0 {
			l.limits.resultBytes = int(min(n, maxSendBytes))
		}
		if n := welcome.GetMaxErrorChars(); n > 0 {
			l.limits.errorChars = int(n)
		}
		if n := welcome.GetMaxStackChars(); n > 0 {
			l.limits.stackChars = int(n)
		}
		l.readyOnce.Do(func() { close(l.ready) })
		// Once a stream: a manager that sent 65,000 welcomes logged a line each.
		if !l.welcomed {
			l.welcomed = true
			l.log.Info("Connected to the manager", "managerId", welcome.GetManagerId(),
				"workerId", l.options.WorkerID, "executors", l.names)
		}
	case *pb.WorkResponse_Assignments:
		for _, a := range kind.Assignments.GetTasks() {
			if l.draining {
				// A lease the manager wrote before it read this worker's zero credits.
				l.giveBack(a, "The worker was stopping")
			} else {
				l.start(a)
			}
		}
		l.flush() // give-backs, refusals of executors not served
	case *pb.WorkResponse_Cancellations:
		for _, c := range kind.Cancellations.GetTasks() {
			r := l.runs[c.GetTaskId()]
			// Logged and cancelled once: a manager that cancelled an attempt 1,000 times logged a
			// line each.
			if r == nil || r.released {
				continue
			}
			r.released = true
			cause := ErrCancelled
			switch c.GetReason() {
			case pb.CancellationReason_CANCELLATION_REASON_LEASE_LOST:
				cause = ErrLeaseLost
			case pb.CancellationReason_CANCELLATION_REASON_TIMEOUT:
				cause = ErrTimeout
			}
			l.log.Info("Manager asked to abort a task", "taskId", c.GetTaskId(), "reason", cause)
			r.stop(cause)
		}
	case *pb.WorkResponse_Acks:
		// Only the answer the oldest message asks for answers it: acks sent unasked answer nothing.
		ids := make([]string, len(kind.Acks.GetAcks()))
		for i, ack := range kind.Acks.GetAcks() {
			ids[i] = ack.GetTaskId()
		}
		if len(l.awaiting) > 0 && l.awaiting[0] == answerKey(ids) {
			l.awaiting = l.awaiting[1:]
		}
		for _, ack := range kind.Acks.GetAcks() {
			// An ack of no result waiting for one (never sent, or answered before) says nothing.
			// Else it answers the oldest result of its task sent: the manager answers them in turn.
			waiting := l.unackedOf[ack.GetTaskId()]
			if len(waiting) == 0 {
				continue
			}
			result := waiting[0]
			l.forget(result)
			expected := l.refusal[attemptOf(result)]
			delete(l.refusal, attemptOf(result))
			if !ack.GetAccepted() && !expected {
				l.log.Warn("Manager refused a result", "taskId", ack.GetTaskId(), "error", ack.GetError())
			}
		}
		// Every result sent is acknowledged: those waiting for that go now.
		if len(l.unacked) == 0 && l.flushLater != nil {
			l.flush()
		}
	}
}

// giveBack returns a lease unstarted: a rate-limited result, so the task runs again (elsewhere, or
// here once there is room) with no attempt spent. It frees no credit: it took none.
func (l *loop) giveBack(a *pb.Assignment, why string) {
	l.log.Debug("Giving back a task unstarted", "taskId", a.GetTaskId(), "why", why)
	l.pending = append(l.pending, &pb.Result{TaskId: a.GetTaskId(), LeaseToken: a.GetLeaseToken(),
		Error: why, Retryable: true, RateLimited: true})
}

// start runs one assignment in its own goroutine. A lease this worker runs already is the same
// attempt, not another; one past the executor's concurrency (more than its credits: a manager
// that miscounts) is given back unstarted.
func (l *loop) start(a *pb.Assignment) {
	executor := l.served[a.GetExecutorName()]
	if executor == nil {
		l.pending = append(l.pending, &pb.Result{
			TaskId: a.GetTaskId(), LeaseToken: a.GetLeaseToken(), Retryable: true,
			Error: fmt.Sprintf("Worker %s does not serve executor %q", l.options.WorkerID, a.GetExecutorName()),
		})
		return
	}
	previous := l.runs[a.GetTaskId()]
	if previous != nil && previous.assignment.GetLeaseToken() == a.GetLeaseToken() {
		l.log.Debug("Ignoring a lease the worker runs already", "taskId", a.GetTaskId())
		return
	}
	if previous != nil {
		// Leased again (ours expired meanwhile): the old attempt's result will be refused.
		previous.released = true
		previous.stop(ErrLeaseLost)
	}
	running := 0
	for _, r := range l.runs {
		if r.executor == executor {
			running++
		}
	}
	if running >= executor.Concurrency {
		l.giveBack(a, fmt.Sprintf("Worker %s runs %d tasks of executor %q already (its concurrency)",
			l.options.WorkerID, executor.Concurrency, executor.Name))
		return
	}
	now := time.Now()
	// A lease that expires at a time outside protobuf's range (years 1 to 9999), or at none, lasts
	// the executor's timeout: 100 times the year 9999 lasted 292 years, with no heartbeat and
	// no timeout.
	var lease time.Duration
	if expires := a.GetLeaseExpiresAt(); expires.CheckValid() == nil {
		lease = expires.AsTime().Sub(now)
	}
	if lease <= 0 {
		lease = 30 * time.Second
		if timeout := l.configs[executor.Name].GetTimeout(); timeout.AsDuration() > 0 {
			lease = timeout.AsDuration()
		}
	}
	r := &run{assignment: a, executor: executor, lease: lease, deadline: now.Add(lease),
		nextBeat: now.Add(max(tick, lease/3))}
	ctx, cancel := context.WithCancelCause(context.WithValue(context.Background(), runKey{}, r))
	r.cancel = cancel
	if previous != nil {
		previous.replaced = true
		l.replaced[previous] = true
	}
	l.runs[a.GetTaskId()] = r
	// Unset, or outside protobuf's range (which time.Time's JSON refuses): when the lease came,
	// as in the TypeScript SDK.
	createdAt := now
	if created := a.GetCreatedAt(); created.CheckValid() == nil {
		createdAt = created.AsTime()
	}
	task := &Assignment{
		ID:           a.GetTaskId(),
		ExecutorName: executor.Name,
		Data:         json.RawMessage(a.GetDataJson()),
		Metadata:     a.GetMetadata(),
		Attempt:      int(a.GetAttempt()),
		MaxAttempts:  int(a.GetMaxAttempts()),
		CreatedAt:    createdAt,
		WorkerID:     l.options.WorkerID,
	}
	limits := l.limits
	go func() {
		result, panicked := attempt(ctx, executor.Handler, task, limits)
		result.TaskId, result.LeaseToken = a.GetTaskId(), a.GetLeaseToken()
		cancel(nil)
		if !r.over.CompareAndSwap(false, true) {
			left := l.abandoned.Add(-1)
			if panicked {
				l.log.Error("An abandoned task handler panicked at last; its result is dropped",
					"taskId", task.ID, "executor", executor.Name, "error", result.GetError(),
					"stack", result.GetStack(), "abandonedHandlers", left)
				return
			}
			l.log.Warn("An abandoned task handler returned at last; its result is dropped",
				"taskId", task.ID, "executor", executor.Name, "abandonedHandlers", left)
			return
		}
		select {
		case l.finished <- finished{r, result, panicked}:
		case <-l.stopped:
		}
	}()
}

// attempt calls the handler and turns what it returned (or its panic, then panicked) into a result.
func attempt(ctx context.Context, handler Handler, task *Assignment, limits sendLimits) (result *pb.Result, panicked bool) {
	defer func() {
		if recovered := recover(); recovered != nil {
			panicked = true
			result = failure(fmt.Errorf("panic: %v", recovered), limits)
			// Where it panicked: the task's errors[].stack, cut to the welcome's max_stack_chars.
			stack := []rune(string(debug.Stack()))
			result.Stack = string(stack[:min(len(stack), limits.stackChars)])
		}
	}()
	value, err := handler(ctx, task)
	if err != nil {
		return failure(err, limits), false
	}
	text, isRaw := value.(json.RawMessage)
	if !isRaw {
		if text, err = json.Marshal(value); err != nil {
			return failure(resultRefused(fmt.Sprintf("Must be a JSON value (%v)", err)), limits), false
		}
	}
	if len(text) == 0 {
		text = json.RawMessage("null")
	}
	if len(text) > limits.resultBytes {
		return failure(resultRefused(fmt.Sprintf("Must be at most %d bytes of JSON (the manager's limit), not %d",
			limits.resultBytes, len(text))), limits), false
	}
	return &pb.Result{Ok: true, ResultJson: string(text)}, false
}

// resultRefused is the failed attempt, not retryable (the same handler on the same data would most
// likely return it again), of a result the manager cannot store as it is, worded as the TypeScript
// SDK's: "Result cannot be stored as it is: /result: Must be …".
func resultRefused(description string) error {
	return NonRetryable(errors.New("Result cannot be stored as it is: " +
		violation.Describe("/result", description)))
}

func failure(err error, limits sendLimits) *pb.Result {
	message := []rune(err.Error())
	if len(message) > limits.errorChars {
		message = message[:limits.errorChars]
	}
	result := &pb.Result{Error: string(message), Retryable: true}
	var limited rateLimited
	var later retryAfter
	switch {
	case errors.As(err, new(nonRetryable)):
		result.Retryable = false
	case errors.As(err, &limited):
		result.RateLimited = true
		result.RetryAfter = durationpb.New(limited.delay.Truncate(time.Millisecond))
	case errors.As(err, &later):
		result.RetryAfter = durationpb.New(later.delay.Truncate(time.Millisecond))
	}
	return result
}

func (l *loop) finish(f finished) {
	r := f.run
	id := r.assignment.GetTaskId()
	// Only a handler that was not abandoned comes here (abandon and its return race for r.over):
	// r is in runs, or in replaced once a new lease of its task took its place.
	if l.runs[id] == r {
		delete(l.runs, id)
	}
	delete(l.replaced, r)
	// A replaced attempt (its task leased again) reports too, as in TypeScript: the manager counted
	// its lease against a credit, which was lost when its result was dropped here.
	switch {
	case f.panicked:
		// A bug in the handler, whether or not the manager took the task back meanwhile: an error,
		// with where it panicked (the stack the attempt's errors[].stack holds too).
		l.log.Error("Task handler panicked", "taskId", id, "executor", r.executor.Name,
			"attempt", r.assignment.GetAttempt(), "retryable", f.result.GetRetryable(),
			"error", f.result.GetError(), "stack", f.result.GetStack())
	case !f.result.GetOk() && !r.released:
		fields := []any{"taskId", id, "executor", r.executor.Name, "attempt", r.assignment.GetAttempt(),
			"retryable", f.result.GetRetryable(), "error", f.result.GetError()}
		// An attempt the manager retries is the retry policy at work: an info line. The last one, or
		// one not to be retried, ends the task (failed or dead-lettered): a warning, as in the
		// TypeScript SDK. A rate-limited attempt spends none; a manager naming no maxAttempts, none known.
		attempt, most := r.assignment.GetAttempt(), r.assignment.GetMaxAttempts()
		if f.result.GetRetryable() && (f.result.GetRateLimited() || most <= 0 || attempt < most) {
			l.log.Info("Task attempt failed, the manager retries it", fields...)
		} else {
			l.log.Warn("Task attempt failed", fields...)
		}
	}
	if r.released {
		l.refusal[attemptOf(f.result)] = true
	}
	l.pending = append(l.pending, f.result)
	if !l.draining {
		l.grants[r.executor.Name]++
	}
}

// attemptKey is what identifies an attempt of a task: its task id and lease token.
type attemptKey struct{ taskID, leaseToken string }

func attemptOf(result *pb.Result) attemptKey {
	return attemptKey{result.GetTaskId(), result.GetLeaseToken()}
}

// forget drops a result sent from those waiting for an ack (acknowledged, or the oldest of all):
// the oldest of its task.
func (l *loop) forget(result *pb.Result) {
	delete(l.unacked, result)
	waiting := l.unackedOf[result.GetTaskId()]
	if i := slices.Index(waiting, result); i >= 0 {
		waiting = slices.Delete(waiting, i, i+1)
	}
	if len(waiting) == 0 {
		delete(l.unackedOf, result.GetTaskId())
	} else {
		l.unackedOf[result.GetTaskId()] = waiting
	}
}

// flush sends the queued results, in messages within the manager's size limit, then the credits
// they freed.
func (l *loop) flush() {
	l.flushLater = nil
	if len(l.pending) > 0 {
		l.flushedAt = time.Now()
	}
	for len(l.pending) > 0 && l.stream != nil {
		size, n := 64, 0
		for n < len(l.pending) && n < maxResultsPerMessage {
			next := proto.Size(l.pending[n]) + 8
			if n > 0 && size+next > l.limits.messageBytes {
				break
			}
			size += next
			n++
		}
		// Taken off the queue and kept for an ack before the send: one that fails leaves them kept,
		// and the next stream sends them again (connect). Left queued too, they went twice there.
		batch := l.pending[:n:n]
		l.pending = l.pending[n:]
		for _, result := range batch {
			l.unacked[result] = true
			l.unackedOf[result.GetTaskId()] = append(l.unackedOf[result.GetTaskId()], result)
			l.sentOrder = append(l.sentOrder, result)
		}
		if !l.sendResults(batch) {
			return
		}
	}
	if len(l.sentOrder) > 2*maxUnacked {
		l.sentOrder = slices.DeleteFunc(l.sentOrder, func(result *pb.Result) bool { return !l.unacked[result] })
	}
	for len(l.unacked) > maxUnacked {
		result := l.sentOrder[0]
		if l.unacked[result] {
			// The refusal expected of it goes with it: kept, it grew by one per cancelled attempt
			// while the manager answered none, and hid the refusal of a later attempt's result.
			delete(l.refusal, attemptOf(result))
			l.forget(result)
		}
		l.sentOrder = l.sentOrder[1:]
	}
	if l.stream == nil || l.draining {
		return
	}
	for name, credits := range l.grants {
		if credits > 0 {
			l.send(&pb.WorkRequest{Kind: &pb.WorkRequest_Credit{
				Credit: &pb.Credit{ExecutorName: name, Credits: credits}}})
		}
	}
	clear(l.grants)
}

// sendResults writes one results message, counted until the manager answers it.
func (l *loop) sendResults(results []*pb.Result) bool {
	if !l.send(&pb.WorkRequest{Kind: &pb.WorkRequest_Results{Results: &pb.Results{Results: results}}}) {
		return false
	}
	ids := make([]string, len(results))
	for i, result := range results {
		ids[i] = result.GetTaskId()
	}
	l.awaiting = append(l.awaiting, answerKey(ids))
	// A manager that answers nothing: waits for answers end at their timeout.
	if len(l.awaiting) > maxUnacked {
		l.awaiting = l.awaiting[1:]
	}
	return true
}

// answer identifies the answer to a results message: the count of its task ids and a 32-bit
// FNV-1a hash of them sorted, as the TypeScript SDK's answerKey (the manager lists refused results
// after the others).
type answer struct {
	count int
	hash  uint32
}

func answerKey(taskIds []string) answer {
	sorted := slices.Clone(taskIds)
	slices.Sort(sorted)
	hash := fnv.New32a()
	for _, id := range sorted {
		hash.Write([]byte(id))
		hash.Write([]byte{'\n'}) // a separator: "ab","c" is not "a","bc"
	}
	return answer{count: len(taskIds), hash: hash.Sum32()}
}

// heartbeats extends the leases that are due and times out attempts past their deadline.
func (l *loop) heartbeats() {
	now := time.Now()
	var due []string
	for r := range l.replaced {
		if now.Sub(r.cancelledAt) >= abortSettle {
			delete(l.replaced, r)
			l.abandon(r)
		}
	}
	for id, r := range l.runs {
		if !r.cancelledAt.IsZero() && now.Sub(r.cancelledAt) >= abortSettle {
			l.abandon(r)
			continue
		}
		if r.released {
			continue
		}
		if r.progressed.Swap(false) {
			r.deadline = now.Add(r.lease)
		}
		if now.After(r.deadline) {
			// No heartbeats after a timeout: the lease runs out unless the handler returns first.
			r.released = true
			l.log.Warn("Task attempt timed out, cancelling it", "taskId", id, "timeout", r.lease)
			r.stop(ErrTimeout)
			continue
		}
		if !now.Before(r.nextBeat) {
			due = append(due, id)
			r.nextBeat = now.Add(max(tick, r.lease/3))
		}
	}
	if len(due) > 0 {
		l.send(&pb.WorkRequest{Kind: &pb.WorkRequest_Heartbeat{Heartbeat: &pb.Heartbeat{TaskIds: due}}})
	}
}

// abandon gives up on a handler that has not returned abortSettle after its context was
// cancelled (it ignores its context): Go cannot stop a goroutine, so it is left running, its
// attempt is reported as a retryable failure naming the cause (refused when the manager took the
// task back), and its slot is given back, so that the executor's other tasks run on this worker.
// Its result, if it ever returns, is dropped. A handler that returned meanwhile is not abandoned.
func (l *loop) abandon(r *run) {
	// Counted before the handler can find itself abandoned, so that its decrement, when it returns,
	// comes after: the count is never below the goroutines still running.
	left := l.abandoned.Add(1)
	if !r.over.CompareAndSwap(false, true) {
		l.abandoned.Add(-1)
		return // it returned: its result is on its way to finish
	}
	id := r.assignment.GetTaskId()
	if l.runs[id] == r { // a replaced attempt is in replaced, not in runs
		delete(l.runs, id)
	}
	message := "Task handler did not return after its context was cancelled: abandoning its goroutine, " +
		"which keeps running, and giving back its slot"
	if l.draining {
		message = "Task handler did not return after its context was cancelled: abandoning its goroutine, " +
			"which keeps running"
	}
	l.log.Error(message, "taskId", id, "executor", r.executor.Name, "attempt", r.assignment.GetAttempt(),
		"cause", r.cause, "waited", abortSettle, "abandonedHandlers", left)
	if r.released {
		l.refusal[attemptKey{id, r.assignment.GetLeaseToken()}] = true
	}
	l.pending = append(l.pending, &pb.Result{TaskId: id, LeaseToken: r.assignment.GetLeaseToken(),
		Error: fmt.Sprintf("%v; the handler did not return within %s of its cancel and was abandoned",
			r.cause, abortSettle), Retryable: true})
	if !l.draining {
		l.grants[r.executor.Name]++
	}
	l.flush()
	if most := l.options.MaxAbandoned; most >= 0 && left > int64(most) && !l.draining && l.overAbandoned == nil {
		// Each such handler is a goroutine leaked for good: a handler that always hangs leaked one per
		// attempt without end. The worker stops instead, and says which handler to fix.
		l.overAbandoned = errorf("%d task handlers still run after their context was cancelled, more than "+
			"MaxAbandoned (%d): the worker stopped rather than leak a goroutine per attempt; the last was "+
			"task %s of executor %q (%v): fix its handler to return once its ctx is done",
			left, most, id, r.executor.Name, r.cause)
		l.log.Error("Too many abandoned task handlers, stopping the worker: fix the handler to return once its ctx is done",
			"abandonedHandlers", left, "maxAbandoned", most, "taskId", id, "executor", r.executor.Name)
	}
}

// drain takes no more tasks, waits for the running ones (ShutdownGrace, cut short by a second
// signal, and not waited at all once the manager refused the worker), cancels the rest, delivers
// the results and closes the stream.
func (l *loop) drain(ticker *time.Ticker) error {
	l.draining = true
	if l.reconnect != nil {
		// A reconnection due after a delay longer than the wait for acknowledgements came after it,
		// and the results of the handlers finishing in the grace were never delivered.
		l.reconnect = reconnectNow
	}
	for _, name := range l.names {
		// A zero credit withdraws every credit left: the manager sends nothing more.
		l.send(&pb.WorkRequest{Kind: &pb.WorkRequest_Credit{Credit: &pb.Credit{ExecutorName: name}}})
	}
	// A worker the manager refused (its key revoked, its reach cut) cannot deliver a result: its
	// handlers are cancelled at once, not given the grace to finish work nobody can receive.
	grace := time.After(l.options.ShutdownGrace)
	for len(l.runs) > 0 && l.refused == nil && !l.step(nil, ticker, grace) {
	}
	// Only the attempts still running as they were are cut by the drain: one whose context was
	// cancelled already (timed out, cancelled, lease lost) has its second to return from then, as
	// anywhere, and its own cause.
	var cut []string
	for id, r := range l.runs {
		if r.cancelledAt.IsZero() {
			cut = append(cut, id)
			r.stop(ErrShutdown)
		}
	}
	if len(cut) > 0 {
		slices.Sort(cut)
		if l.refused != nil {
			l.log.Warn("The manager refused this worker, cancelling running tasks now: their results cannot be delivered",
				"running", len(cut), "taskIds", cut)
		} else {
			l.log.Warn("Grace period over, cancelling running tasks", "running", len(cut), "taskIds", cut)
		}
	}
	if len(l.runs) > 0 {
		settle := time.After(abortSettle)
		for len(l.runs) > 0 && !l.step(nil, ticker, settle) {
		}
		for len(l.runs) > 0 {
			for _, r := range l.runs {
				// The handler ignores its context: report the attempt as interrupted, stop waiting.
				l.abandon(r)
			}
			if len(l.runs) > 0 {
				// Those abandon left returned just now: their results are on their way to finish.
				l.finish(<-l.finished)
			}
		}
	}
	l.flush()
	// A results message holding none: the manager answers it after it handled the zero credits,
	// so no lease comes after that answer (those before it are given back, and waited for).
	l.sendResults(nil)
	acks := time.After(ackWait)
	for (len(l.unacked) > 0 || len(l.pending) > 0 || len(l.awaiting) > 0) &&
		(l.stream != nil || l.reconnect != nil) &&
		!l.step(nil, ticker, acks) {
	}
	if l.stream != nil {
		_ = l.stream.CloseSend()
		l.closeWork()
	}
	l.log.Info("Worker stopped", "workerId", l.options.WorkerID)
	return nil
}

// keepaliveOf is the keepalive interval a worker takes from a welcome naming d: from minKeepalive
// to maxKeepalive, the least and the most a manager may be set to.
func keepaliveOf(d time.Duration) time.Duration {
	return min(max(d, minKeepalive), maxKeepalive)
}
