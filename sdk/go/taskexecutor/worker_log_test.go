package taskexecutor_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tasks-executor/sdk/go/taskexecutor"
)

// records keeps a worker's log records, for a test to read their levels and attributes.
type records struct {
	mu    sync.Mutex
	lines []record
}

type record struct {
	level   slog.Level
	message string
	attrs   map[string]string
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *records) WithGroup(string) slog.Handler            { return r }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	line := record{level: rec.Level, message: rec.Message, attrs: map[string]string{}}
	rec.Attrs(func(a slog.Attr) bool {
		line.attrs[a.Key] = a.Value.String()
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, line)
	return nil
}

// all is the records so far.
func (r *records) all() []record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lines)
}

// about is the records naming taskId.
func (r *records) about(taskID string) []record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var found []record
	for _, line := range r.lines {
		if line.attrs["taskId"] == taskID {
			found = append(found, line)
		}
	}
	return found
}

// String lists the records, one a line, for a failure's message.
func (r *records) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var text strings.Builder
	for _, line := range r.lines {
		text.WriteString(line.level.String() + " " + line.message)
		for key, value := range line.attrs {
			text.WriteString(" " + key + "=" + value)
		}
		text.WriteString("\n")
	}
	return text.String()
}

// A handler's panic is a bug in the handler: it was logged at info, as an error the handler
// returned on purpose is, and its stack went to the task alone.
func TestAHandlerPanicIsLoggedAsAnErrorWithItsStack(t *testing.T) {
	logs := &records{}
	startWorker(t, taskexecutor.WorkerOptions{Logger: slog.New(logs), Executors: []taskexecutor.Executor{{
		Name: "go_panics_logged",
		Config: &taskexecutor.ExecutorConfig{RetryPolicy: &taskexecutor.RetryPolicy{
			Type: taskexecutor.RetryConstant, MaxAttempts: 2, Interval: durationRef(10 * time.Millisecond),
		}},
		Handler: panickingHandler,
	}}})
	client := newClient(t)
	created, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_panics_logged"})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, client, created.ID)
	var panics int
	for _, line := range logs.about(created.ID) {
		if line.level >= slog.LevelError && strings.Contains(line.attrs["error"], "panic: the handler broke") &&
			strings.Contains(line.attrs["stack"], "panickingHandler") {
			panics++
		} else if strings.Contains(line.attrs["error"], "panic") {
			t.Errorf("a panic logged at %s, want ERROR with its stack: %s %v", line.level, line.message, line.attrs)
		}
	}
	if panics != 2 {
		t.Fatalf("%d error lines with the panic and its stack, want one per attempt (2):\n%s", panics, logs)
	}
}

// A drain warned of a task the worker had timed out already (its context cancelled with
// ErrTimeout, its handler returning within the second it is given): "Grace period over, cancelling
// running tasks" counted it, though the drain cut nothing.
func TestADrainWarnsOfNoTaskItsTimeoutCancelledAlready(t *testing.T) {
	logs := &records{}
	timedOut := make(chan error, 1)
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: manager.GRPCAddress}, IgnoreSignals: true,
		Logger: slog.New(logs), ShutdownGrace: 50 * time.Millisecond,
		Executors: []taskexecutor.Executor{{
			Name: "go_drain_timed_out",
			Config: &taskexecutor.ExecutorConfig{Timeout: 300 * time.Millisecond, RetryPolicy: &taskexecutor.RetryPolicy{
				Type: taskexecutor.RetryConstant, MaxAttempts: 1,
			}},
			Handler: func(ctx context.Context, _ *taskexecutor.Assignment) (any, error) {
				<-ctx.Done()
				timedOut <- context.Cause(ctx)
				// Cleans up for a while, well within the second a cancelled handler is given.
				time.Sleep(500 * time.Millisecond)
				return nil, context.Cause(ctx)
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop, ran := runUntilStopped(t, worker)
	created, err := newClient(t).CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_drain_timed_out"})
	if err != nil {
		t.Fatal(err)
	}
	if cause := within(t, "the attempt to time out", timedOut); cause != taskexecutor.ErrTimeout {
		t.Fatalf("cause %v, want ErrTimeout", cause)
	}
	stop()
	if err := within(t, "Run to return", ran); err != nil {
		t.Fatal(err)
	}
	for _, line := range logs.all() {
		if strings.HasPrefix(line.message, "Grace period over") ||
			line.attrs["cause"] == taskexecutor.ErrShutdown.Error() {
			t.Fatalf("the drain warned of task %s, which it did not cut:\n%s", created.ID, logs)
		}
	}
}

// A failed attempt the manager retries is the retry policy at work, an info line; one it does not
// (the last attempt, a NonRetryable error) ends the task as failed or dead-lettered, a warning, as
// in the TypeScript SDK. Every failure was an info line: a task dead-lettered went by quietly.
func TestAFailedAttemptIsAnInfoLineWhileRetriedAndAWarningOnceItEndsTheTask(t *testing.T) {
	logs := &records{}
	startWorker(t, taskexecutor.WorkerOptions{Logger: slog.New(logs), Executors: []taskexecutor.Executor{{
		Name: "go_failure_levels",
		Config: &taskexecutor.ExecutorConfig{RetryPolicy: &taskexecutor.RetryPolicy{
			Type: taskexecutor.RetryConstant, MaxAttempts: 2, Interval: durationRef(10 * time.Millisecond),
		}, DLQ: &taskexecutor.DLQConfig{Enabled: true}},
		Handler: func(_ context.Context, task *taskexecutor.Assignment) (any, error) {
			if task.Metadata["kind"] == "non_retryable" {
				return nil, taskexecutor.NonRetryable(errors.New("bad input"))
			}
			return nil, errors.New("flaky downstream")
		},
	}}})
	client := newClient(t)
	flaky, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_failure_levels"})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_failure_levels",
		Metadata: map[string]string{"kind": "non_retryable"}})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, client, flaky.ID, bad.ID)
	levels := func(id string) []string {
		var got []string
		for _, line := range logs.about(id) {
			got = append(got, line.level.String()+" "+line.message+" attempt="+line.attrs["attempt"])
		}
		return got
	}
	if got, want := levels(flaky.ID), []string{
		"INFO Task attempt failed, the manager retries it attempt=1", "WARN Task attempt failed attempt=2",
	}; !slices.Equal(got, want) {
		t.Errorf("a task failing twice: %q, want %q", got, want)
	}
	if got, want := levels(bad.ID), []string{"WARN Task attempt failed attempt=1"}; !slices.Equal(got, want) {
		t.Errorf("a NonRetryable failure: %q, want %q", got, want)
	}
}
