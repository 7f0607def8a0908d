package taskexecutor_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/internal/testmanager"
	"tasks-executor/sdk/go/taskexecutor"
	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// held is a handler that reports each start and then waits for its context to end, reporting
// why it ended.
type held struct {
	started chan string
	ended   chan error
}

func newHeld() *held { return &held{started: make(chan string, 8), ended: make(chan error, 8)} }

func (h *held) handle(ctx context.Context, task *taskexecutor.Assignment) (any, error) {
	h.started <- task.ID
	<-ctx.Done()
	h.ended <- context.Cause(ctx)
	return nil, context.Cause(ctx)
}

func TestHandlerContextIsCancelledWithErrCancelledWhenTheTaskIsCancelled(t *testing.T) {
	h := newHeld()
	startWorker(t, taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{
		{Name: "go_held_cancel", Handler: h.handle},
	}})
	client := newClient(t)
	created, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_held_cancel"})
	if err != nil {
		t.Fatal(err)
	}
	within(t, "the handler to start", h.started)
	if _, err := client.CancelTask(context.Background(), created.ID); err != nil {
		t.Fatal(err)
	}
	if cause := within(t, "the handler's context to end", h.ended); !errors.Is(cause, taskexecutor.ErrCancelled) {
		t.Fatalf("cause: %v, want ErrCancelled", cause)
	}
	if task := wait(t, client, created.ID)[0]; task.Status != taskexecutor.StatusCancelled {
		t.Fatalf("task: %+v", task)
	}
}

func TestHandlerContextIsCancelledWithErrLeaseLostWhenTheTaskIsSettledElsewhere(t *testing.T) {
	h := newHeld()
	startWorker(t, taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{
		{Name: "go_held_lease", Handler: h.handle},
	}})
	client := newClient(t)
	created, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_held_lease"})
	if err != nil {
		t.Fatal(err)
	}
	within(t, "the handler to start", h.started)
	// Failed by hand (as an operator would): this worker's lease is gone.
	if _, err := client.Manager().UpdateTaskStatus(context.Background(), &pb.UpdateTaskStatusRequest{
		Id: created.ID, Status: pb.TaskStatus_TASK_STATUS_FAILED, Error: "given up by hand",
	}); err != nil {
		t.Fatal(err)
	}
	if cause := within(t, "the handler's context to end", h.ended); !errors.Is(cause, taskexecutor.ErrLeaseLost) {
		t.Fatalf("cause: %v, want ErrLeaseLost", cause)
	}
	// The late result is refused: the task stays as the operator left it.
	if task := wait(t, client, created.ID)[0]; task.Status != taskexecutor.StatusFailed ||
		task.Errors[len(task.Errors)-1].Message != "given up by hand" {
		t.Fatalf("task: %+v", task)
	}
}

func TestAnAttemptPastItsTimeoutIsCancelledWithErrTimeoutAndRetried(t *testing.T) {
	h := newHeld()
	var calls atomic.Int32
	startWorker(t, taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{{
		Name: "go_timeout",
		Config: &taskexecutor.ExecutorConfig{Timeout: 300 * time.Millisecond, RetryPolicy: &taskexecutor.RetryPolicy{
			Type: taskexecutor.RetryConstant, MaxAttempts: 2, Interval: durationRef(10 * time.Millisecond),
		}},
		Handler: func(ctx context.Context, task *taskexecutor.Assignment) (any, error) {
			if calls.Add(1) == 1 {
				return h.handle(ctx, task)
			}
			return "second time lucky", nil
		},
	}}})
	client := newClient(t)
	created, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_timeout"})
	if err != nil {
		t.Fatal(err)
	}
	if cause := within(t, "the first attempt to end", h.ended); !errors.Is(cause, taskexecutor.ErrTimeout) {
		t.Fatalf("cause: %v, want ErrTimeout", cause)
	}
	if task := wait(t, client, created.ID)[0]; task.Status != taskexecutor.StatusCompleted || task.Attempt != 2 {
		t.Fatalf("task: %+v", task)
	}
}

func TestRetryAfterSetsTheDelayBeforeTheNextAttempt(t *testing.T) {
	var first atomic.Bool
	startWorker(t, taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{{
		Name: "go_retry_after",
		// The policy's own delay is an hour: only RetryAfter can bring the next attempt sooner.
		Config: &taskexecutor.ExecutorConfig{RetryPolicy: &taskexecutor.RetryPolicy{
			Type: taskexecutor.RetryConstant, MaxAttempts: 2, Interval: durationRef(time.Hour), MaxInterval: durationRef(time.Hour),
		}},
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			if first.CompareAndSwap(false, true) {
				return nil, taskexecutor.RetryAfter(20*time.Millisecond, errors.New("rate limited"))
			}
			return nil, nil
		},
	}}})
	client := newClient(t)
	created, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_retry_after"})
	if err != nil {
		t.Fatal(err)
	}
	if task := wait(t, client, created.ID)[0]; task.Status != taskexecutor.StatusCompleted || task.Attempt != 2 {
		t.Fatalf("task: %+v", task)
	}
}

func TestAWorkerRunsAtMostConcurrencyTasksOfAnExecutorAtOnce(t *testing.T) {
	var running, most atomic.Int32
	startWorker(t, taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{{
		Name:        "go_concurrency",
		Concurrency: 3,
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			now := running.Add(1)
			for seen := most.Load(); now > seen && !most.CompareAndSwap(seen, now); seen = most.Load() {
			}
			time.Sleep(20 * time.Millisecond)
			running.Add(-1)
			return nil, nil
		},
	}}})
	client := newClient(t)
	batch := make([]taskexecutor.NewTask, 30)
	for i := range batch {
		batch[i] = taskexecutor.NewTask{ExecutorName: "go_concurrency"}
	}
	created, err := client.CreateTasks(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range wait(t, client, idsOf(created)...) {
		if task.Status != taskexecutor.StatusCompleted {
			t.Fatalf("task: %+v", task)
		}
	}
	if got := most.Load(); got != 3 {
		t.Fatalf("at most %d ran at once, want 3", got)
	}
}

func TestSIGTERMDrainsTheWorkerLettingRunningTasksFinish(t *testing.T) {
	started, release := make(chan struct{}, 1), make(chan struct{})
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: manager.GRPCAddress},
		Logger:     quiet,
		Executors: []taskexecutor.Executor{{
			Name: "go_drain",
			Handler: func(ctx context.Context, _ *taskexecutor.Assignment) (any, error) {
				started <- struct{}{}
				select {
				case <-release:
					return "finished", nil
				case <-ctx.Done():
					return nil, context.Cause(ctx)
				}
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- worker.Run(context.Background()) }()
	within(t, "the worker to be ready", worker.Ready())
	client := newClient(t)
	created, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_drain"})
	if err != nil {
		t.Fatal(err)
	}
	within(t, "the handler to start", started)
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Draining: a task created now is not taken by this worker.
	waiting, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_drain"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ran:
		t.Fatalf("Run returned before its task finished: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := within(t, "Run to return", ran); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if task := wait(t, client, created.ID)[0]; task.Status != taskexecutor.StatusCompleted ||
		string(task.Result) != `"finished"` {
		t.Fatalf("task: %+v", task)
	}
	if task, err := client.GetTask(context.Background(), waiting.ID); err != nil ||
		task.Status != taskexecutor.StatusPending {
		t.Fatalf("task created while draining: %+v %v", task, err)
	}
}

// drainLog counts a worker's log lines that say it drains and that it gave back a lease.
type drainLog struct{ draining, gaveBack atomic.Int32 }

func (l *drainLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *drainLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *drainLog) WithGroup(string) slog.Handler            { return l }
func (l *drainLog) Handle(_ context.Context, record slog.Record) error {
	switch {
	case strings.HasPrefix(record.Message, "Stopping, draining"):
		l.draining.Add(1)
	case strings.HasPrefix(record.Message, "Giving back"):
		l.gaveBack.Add(1)
	}
	return nil
}

func TestADrainingWorkerGivesBackUnstartedALeaseTheManagerWroteBeforeItReadTheZeroCredits(t *testing.T) {
	relay := startRelay(t, manager.GRPCAddress)
	var started atomic.Int32
	logs := &drainLog{}
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection:    taskexecutor.Connection{Address: relay.address()},
		WorkerID:      "go-give-back",
		IgnoreSignals: true,
		Logger:        slog.New(logs),
		Executors: []taskexecutor.Executor{{
			Name: "go_give_back",
			Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
				started.Add(1)
				return "ran", nil
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop, ran := runUntilStopped(t, worker)
	client := newClient(t)
	until := func(what string, done func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !done(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting for %s", what)
			}
		}
	}
	until("the manager to hold the worker's credit", func() bool {
		listed, err := client.Manager().ListWorkers(context.Background(), &pb.ListWorkersRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range listed.GetWorkers() {
			if w.GetWorkerId() == "go-give-back" && w.GetDisconnectedAt() == nil {
				return w.GetCredits() == 1
			}
		}
		return false
	})
	// What the worker writes from now on (its zero credit when it drains) waits, as it would for
	// a manager slow to read: a task created meanwhile is still handed over to it.
	relay.hold()
	stop()
	until("the worker to drain", func() bool { return logs.draining.Load() > 0 })
	created, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_give_back"})
	if err != nil {
		t.Fatal(err)
	}
	until("the lease to reach the worker", func() bool {
		return logs.gaveBack.Load() > 0 || started.Load() > 0 || len(ran) > 0
	})
	relay.release()
	if err := within(t, "Run to return", ran); err != nil {
		t.Fatalf("Run: %v", err)
	}
	task, err := client.GetTask(context.Background(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if started.Load() != 0 || task.Status != taskexecutor.StatusPending || task.Attempt != 0 ||
		len(task.Errors) != 0 {
		t.Fatalf("given back unstarted, with no attempt spent: %+v, started %d", task, started.Load())
	}
}

func TestRateLimitedRunsTheTaskAgainLaterWithoutSpendingAnAttempt(t *testing.T) {
	var runs atomic.Int32
	startWorker(t, taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{{
		Name: "go_rate_limited",
		// More limited runs than attempts, and an hour between attempts: spending an attempt on
		// each would dead-letter the task or keep it waiting past the test.
		Config: &taskexecutor.ExecutorConfig{RetryPolicy: &taskexecutor.RetryPolicy{
			Type: taskexecutor.RetryConstant, MaxAttempts: 2, Interval: durationRef(time.Hour), MaxInterval: durationRef(time.Hour),
		}},
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			if runs.Add(1) <= 3 {
				return nil, taskexecutor.RateLimited(20*time.Millisecond, errors.New("provider answered 429"))
			}
			return "sent", nil
		},
	}}})
	client := newClient(t)
	created, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_rate_limited"})
	if err != nil {
		t.Fatal(err)
	}
	task := wait(t, client, created.ID)[0]
	if task.Status != taskexecutor.StatusCompleted || task.Attempt != 1 || len(task.Errors) != 0 ||
		string(task.Result) != `"sent"` || runs.Load() != 4 {
		t.Fatalf("task: %+v after %d runs", task, runs.Load())
	}
}

func TestRegisterExecutorAndCreateTaskCarryFlowControl(t *testing.T) {
	client := newClient(t)
	ctx := context.Background()
	perKey, pointer := 2, "/customerId"
	err := client.RegisterExecutor(ctx, "go_flow", taskexecutor.ExecutorConfig{
		RateLimit:            &taskexecutor.RateLimit{Limit: 50, Period: 2 * time.Second, Burst: 10},
		RateLimitPerKey:      &taskexecutor.RateLimit{Limit: 5},
		MaxConcurrencyPerKey: &perKey,
		GroupKeyPointer:      &pointer,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.Manager().GetExecutor(ctx, &pb.GetExecutorRequest{Id: "go_flow"})
	if err != nil {
		t.Fatal(err)
	}
	e := got.GetExecutor()
	if rate := e.GetRateLimit(); rate.GetLimit() != 50 || rate.GetPeriod().AsDuration() != 2*time.Second ||
		rate.GetBurst() != 10 {
		t.Fatalf("rate limit: %v", rate)
	}
	if rate := e.GetRateLimitPerKey(); rate.GetLimit() != 5 || rate.GetPeriod().AsDuration() != time.Second ||
		rate.GetBurst() != 5 {
		t.Fatalf("rate limit per key: %v", rate)
	}
	if e.GetMaxConcurrencyPerKey() != 2 || e.GetGroupKeyPointer() != "/customerId" {
		t.Fatalf("executor: %v", e)
	}

	given, err := client.CreateTask(ctx, taskexecutor.NewTask{
		ExecutorName: "go_flow", Data: map[string]string{"customerId": "c1"}, GroupKey: "acme",
	})
	if err != nil {
		t.Fatal(err)
	}
	fromData, err := client.CreateTask(ctx, taskexecutor.NewTask{
		ExecutorName: "go_flow", Data: map[string]string{"customerId": "c2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if given.GroupKey != "acme" || fromData.GroupKey != "c2" {
		t.Fatalf("group keys: %q, %q", given.GroupKey, fromData.GroupKey)
	}

	// NoRateLimit and zero values take the limits away; fields left nil are kept.
	zero, none := 0, ""
	if err := client.RegisterExecutor(ctx, "go_flow", taskexecutor.ExecutorConfig{
		RateLimit: taskexecutor.NoRateLimit, MaxConcurrencyPerKey: &zero, GroupKeyPointer: &none,
	}); err != nil {
		t.Fatal(err)
	}
	if got, err = client.Manager().GetExecutor(ctx, &pb.GetExecutorRequest{Id: "go_flow"}); err != nil {
		t.Fatal(err)
	}
	e = got.GetExecutor()
	if e.GetRateLimit() != nil || e.GetRateLimitPerKey().GetLimit() != 5 ||
		e.GetMaxConcurrencyPerKey() != 0 || e.GetGroupKeyPointer() != "" {
		t.Fatalf("executor after removing: %v", e)
	}
}

// An executor served without Config is created when missing, even when its name is another
// executor's id (GetExecutor finds executors by id too): the other one is left as it is.
func TestAWorkerServingWithoutConfigAnExecutorNamedLikeAnotherExecutorsIDCreatesIt(t *testing.T) {
	client := newClient(t)
	ctx := context.Background()
	timeout := 12 * time.Second
	if err := client.RegisterExecutor(ctx, "go_named_by_id", taskexecutor.ExecutorConfig{Timeout: timeout}); err != nil {
		t.Fatal(err)
	}
	other, err := client.Manager().GetExecutor(ctx, &pb.GetExecutorRequest{Id: "go_named_by_id"})
	if err != nil {
		t.Fatal(err)
	}
	id := other.GetExecutor().GetId()
	startWorker(t, taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{
		{Name: id, Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }},
	}})
	made, err := client.Manager().GetExecutor(ctx, &pb.GetExecutorRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if made.GetExecutor().GetName() != id || made.GetExecutor().GetTimeout().AsDuration() == timeout {
		t.Fatalf("executor named %s: %v", id, made.GetExecutor())
	}
	kept, err := client.Manager().GetExecutor(ctx, &pb.GetExecutorRequest{Id: "go_named_by_id"})
	if err != nil || kept.GetExecutor().GetTimeout().AsDuration() != timeout {
		t.Fatalf("the other executor: %v, %v", kept.GetExecutor(), err)
	}
}

// A result goes at once when every result sent before was acknowledged, and one waiting for
// acknowledgements goes when they come: with a 10-minute batching window, results held for the
// window would not arrive within the 30 s the waits here allow.
func TestAResultGoesOnceTheResultsBeforeItAreAcknowledgedNotAtTheEndOfTheBatchingWindow(t *testing.T) {
	startWorker(t, taskexecutor.WorkerOptions{
		ResultBatchWindow: 10 * time.Minute,
		Executors: []taskexecutor.Executor{{
			Name:        "go_nagle",
			Concurrency: 20,
			Handler: func(_ context.Context, task *taskexecutor.Assignment) (any, error) {
				var n int
				if err := json.Unmarshal(task.Data, &n); err != nil {
					return nil, err
				}
				time.Sleep(time.Duration(n) * time.Microsecond)
				return n, nil
			},
		}},
	})
	client := newClient(t)
	waitShort := func(ids ...string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		tasks, err := client.Wait(ctx, ids...)
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
		for _, task := range tasks {
			if task.Status != taskexecutor.StatusCompleted {
				t.Fatalf("task: %+v", task)
			}
		}
	}
	// One after the other: each result follows an acknowledged one.
	for i := 0; i < 2; i++ {
		created, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_nagle", Data: 0})
		if err != nil {
			t.Fatal(err)
		}
		waitShort(created.ID)
	}
	// Together, finishing 0.3 ms apart (less than an acknowledgement takes): those finishing while
	// a result is unacknowledged wait for its acknowledgement.
	batch := make([]taskexecutor.NewTask, 20)
	for i := range batch {
		batch[i] = taskexecutor.NewTask{ExecutorName: "go_nagle", Data: i * 300}
	}
	created, err := client.CreateTasks(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	waitShort(idsOf(created)...)
}

// A credit holds an int32: a concurrency of 2^32 was granted as 0 credits, and the worker never
// got a task.
func TestNewWorkerRefusesAConcurrencyPastWhatACreditHolds(t *testing.T) {
	if strconv.IntSize == 32 {
		t.Skip("an int holds no more than a credit here")
	}
	var most int64 = math.MaxInt32
	for _, concurrency := range []int{int(most + 1), int(most+1) * 2} {
		_, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{{
			Name: "crowded", Concurrency: concurrency,
			Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil },
		}}})
		if err == nil || !strings.Contains(err.Error(), `executor "crowded": /executors/0/concurrency: Must be 1 to 2147483647`) ||
			status.Code(err) != codes.InvalidArgument {
			t.Fatalf("a concurrency of %d: %v", concurrency, err)
		}
	}
	if _, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{{
		Name: "crowded", Concurrency: math.MaxInt32,
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil },
	}}}); err != nil {
		t.Fatalf("the most a credit holds: %v", err)
	}
}

func TestAHandlerThatIgnoresItsTimeoutIsAbandonedAndItsSlotGoesToTheNextTask(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	returned := make(chan struct{})
	var logs testmanager.LockedBuffer
	startWorker(t, taskexecutor.WorkerOptions{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Executors: []taskexecutor.Executor{{
			Name:        "go_hung",
			Concurrency: 1,
			Config: &taskexecutor.ExecutorConfig{Timeout: 300 * time.Millisecond, RetryPolicy: &taskexecutor.RetryPolicy{
				Type: taskexecutor.RetryConstant, MaxAttempts: 2, Interval: durationRef(10 * time.Millisecond),
			}},
			Handler: func(ctx context.Context, task *taskexecutor.Assignment) (any, error) {
				if calls.Add(1) == 1 {
					// Ignores its context until the test ends.
					<-release
					defer close(returned)
					return "too late", nil
				}
				return "quick", nil
			},
		}},
	})
	// Registered after startWorker's cleanup, so run before it: the hung handler returns, and the
	// worker drops its result, before the worker drains.
	t.Cleanup(func() {
		close(release)
		within(t, "the abandoned handler to return", returned)
	})
	client := newClient(t)
	hung, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_hung"})
	if err != nil {
		t.Fatal(err)
	}
	for calls.Load() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	quick, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_hung"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	tasks, err := client.Wait(ctx, quick.ID, hung.ID)
	if err != nil {
		t.Fatalf("Wait (the worker took no task after the hung one?): %v\n%s", err, logs.String())
	}
	if tasks[0].Status != taskexecutor.StatusCompleted {
		t.Fatalf("quick task: %+v", tasks[0])
	}
	// The manager timed out the first attempt itself; the second ran here.
	if task := tasks[1]; task.Status != taskexecutor.StatusCompleted || task.Attempt != 2 {
		t.Fatalf("hung task: %+v", task)
	}
	if text := logs.String(); !strings.Contains(text, "level=ERROR") || !strings.Contains(text, hung.ID) ||
		!strings.Contains(text, "abandonedHandlers=1") {
		t.Fatalf("logs:\n%s", text)
	}
}

func TestRunCalledAgainReturnsAnErrorInsteadOfPanicking(t *testing.T) {
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: manager.GRPCAddress}, IgnoreSignals: true, Logger: quiet,
		Executors: []taskexecutor.Executor{{Name: "go_run_twice", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			return nil, nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop, ran := runUntilStopped(t, worker)
	second := make(chan error, 1)
	go func() { second <- worker.Run(context.Background()) }()
	select {
	case err := <-second:
		if status.Code(err) != codes.FailedPrecondition {
			t.Fatalf("second Run while the first runs: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a second Run while the first runs did not return")
	}
	stop()
	if err := within(t, "Run to return", ran); err != nil {
		t.Fatalf("first Run: %v", err)
	}
	if err := worker.Run(context.Background()); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("Run after the first returned: %v", err)
	}
}

func TestNonRetryableOfNilFailsTheTaskForGoodWithAMessage(t *testing.T) {
	startWorker(t, taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{{
		Name: "go_non_retryable_nil",
		Config: &taskexecutor.ExecutorConfig{RetryPolicy: &taskexecutor.RetryPolicy{
			Type: taskexecutor.RetryConstant, MaxAttempts: 3, Interval: durationRef(10 * time.Millisecond),
		}, DLQ: &taskexecutor.DLQConfig{Enabled: true}},
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			return nil, taskexecutor.NonRetryable(nil)
		},
	}}})
	client := newClient(t)
	created, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_non_retryable_nil"})
	if err != nil {
		t.Fatal(err)
	}
	task := wait(t, client, created.ID)[0]
	if task.Status != taskexecutor.StatusDLQ || task.Attempt != 1 || len(task.Errors) != 1 ||
		task.Errors[0].Message != "taskexecutor: NonRetryable(nil): no error given" {
		t.Fatalf("task: %+v", task)
	}
	for _, err := range []error{taskexecutor.RetryAfter(time.Second, nil), taskexecutor.RateLimited(time.Second, nil)} {
		if !strings.Contains(err.Error(), "(nil): no error given") {
			t.Errorf("message: %q", err.Error())
		}
	}
}

// A handler's panic fails the attempt with the panic's value, and its stack says where it was.
func TestAHandlerPanicIsAFailedAttemptWhoseStackSaysWhere(t *testing.T) {
	startWorker(t, taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{{
		Name: "go_panics",
		Config: &taskexecutor.ExecutorConfig{RetryPolicy: &taskexecutor.RetryPolicy{
			Type: taskexecutor.RetryConstant, MaxAttempts: 1,
		}, DLQ: &taskexecutor.DLQConfig{Enabled: true}},
		Handler: panickingHandler,
	}}})
	client := newClient(t)
	created, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_panics"})
	if err != nil {
		t.Fatal(err)
	}
	task := wait(t, client, created.ID)[0]
	if task.Status != taskexecutor.StatusDLQ || len(task.Errors) != 1 ||
		task.Errors[0].Message != "panic: the handler broke" ||
		!strings.Contains(task.Errors[0].Stack, "panickingHandler") {
		t.Fatalf("task: %+v", task)
	}
}

func panickingHandler(context.Context, *taskexecutor.Assignment) (any, error) {
	panic("the handler broke")
}

// A worker's executor Config with a retry type the protocol does not have, or a duration finer
// than a millisecond, passed NewWorker and was refused by Run's registration, naming no executor:
// with several executors, which one was wrong went untold.
func TestNewWorkerRefusesABadExecutorConfigNamingTheExecutor(t *testing.T) {
	h := func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }
	for _, c := range []struct {
		config *taskexecutor.ExecutorConfig
		field  string
	}{
		{&taskexecutor.ExecutorConfig{RetryPolicy: &taskexecutor.RetryPolicy{Type: "Exponential"}}, "/config/retryPolicy/type"},
		{&taskexecutor.ExecutorConfig{WriteConcern: "all"}, "/config/writeConcern"},
		{&taskexecutor.ExecutorConfig{Timeout: 1500 * time.Microsecond}, "/config/timeout"},
	} {
		_, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{
			{Name: "go_fine", Handler: h}, {Name: "go_misconfigured", Handler: h, Config: c.config}}})
		violations := taskexecutor.FieldViolations(err)
		if status.Code(err) != codes.InvalidArgument || len(violations) != 1 || violations[0].Field != c.field ||
			!strings.Contains(err.Error(), `executor "go_misconfigured": `+c.field+": Must ") {
			t.Errorf("%s: %v %v", c.field, err, violations)
		}
	}
}

// The README says the drain abandons a handler that ignores its ErrShutdown as a cancelled one is
// abandoned, but it dropped it unlogged and uncounted: no error named the task, abandonedHandlers
// left it out, and what it returned after Run did was dropped without a word.
func TestTheDrainAbandonsAHandlerThatIgnoresItsShutdownAsACancelledOneIs(t *testing.T) {
	started, release, returned := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var logs testmanager.LockedBuffer
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: manager.GRPCAddress}, IgnoreSignals: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), ShutdownGrace: 50 * time.Millisecond,
		Executors: []taskexecutor.Executor{{Name: "go_drain_hung", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			close(started)
			<-release
			defer close(returned)
			return "too late", nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop, ran := runUntilStopped(t, worker)
	if _, err := newClient(t).CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_drain_hung"}); err != nil {
		t.Fatal(err)
	}
	within(t, "the handler to start", started)
	stop()
	if err := within(t, "Run to return", ran); err != nil {
		t.Fatal(err)
	}
	close(release)
	within(t, "the abandoned handler to return", returned)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "returned at last") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if text := logs.String(); !strings.Contains(text, "level=ERROR") || !strings.Contains(text, "abandonedHandlers=1") ||
		!strings.Contains(text, "returned at last") {
		t.Fatalf("logs:\n%s", text)
	}
}

// A handler that always ignores its context was abandoned at each attempt, its slot given to the
// next, which it hung too: a goroutine leaked per attempt, without end. Past MaxAbandoned (here
// 1) the worker stops, and Run says which handler to fix; a handler that returns at last counts
// no more.
func TestAWorkerStopsOnceMoreHandlersThanMaxAbandonedIgnoreTheirContext(t *testing.T) {
	release := make(chan struct{})
	var hung, returned atomic.Int32
	logs := &records{}
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: manager.GRPCAddress}, IgnoreSignals: true,
		Logger: slog.New(logs), MaxAbandoned: 1,
		Executors: []taskexecutor.Executor{{
			Name: "go_always_hung",
			Config: &taskexecutor.ExecutorConfig{Timeout: 300 * time.Millisecond, RetryPolicy: &taskexecutor.RetryPolicy{
				Type: taskexecutor.RetryConstant, MaxAttempts: 10, Interval: durationRef(10 * time.Millisecond),
			}},
			Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
				hung.Add(1)
				defer returned.Add(1)
				<-release // ignores its context
				return "too late", nil
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop, ran := runUntilStopped(t, worker)
	defer stop()
	var releasing sync.Once
	free := func() { releasing.Do(func() { close(release) }) }
	defer free()
	if _, err := newClient(t).CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_always_hung"}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ran:
		if err == nil || !strings.Contains(err.Error(), "2 task handlers still run after their context was cancelled") ||
			!strings.Contains(err.Error(), "MaxAbandoned (1)") || !strings.Contains(err.Error(), `executor "go_always_hung"`) {
			t.Fatalf("Run: %v, want the count, the bound and the executor", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the worker kept running after %d hung attempts; it should stop past MaxAbandoned (1):\n%s",
			hung.Load(), logs)
	}
	if n := hung.Load(); n != 2 {
		t.Fatalf("%d attempts hung, want 2 (the one past the bound stops the worker)", n)
	}
	free()
	deadline := time.Now().Add(10 * time.Second)
	for returned.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// The count goes down as they return: the last to return says none is left.
	for time.Now().Before(deadline) {
		for _, line := range logs.all() {
			if strings.Contains(line.message, "returned at last") && line.attrs["abandonedHandlers"] == "0" {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no handler returning at last said none was left:\n%s", logs)
}
