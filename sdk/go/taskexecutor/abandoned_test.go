package taskexecutor_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tasks-executor/sdk/go/taskexecutor"
)

// MaxAbandoned's default was the sum of the executors' Concurrency: with a concurrency of 1, a
// handler that took 2.5 s to return after each cancel had two attempts in a row abandoned and
// running at once, and the worker stopped ("2 task handlers still run … more than MaxAbandoned
// (1)"), though each returned in the end. By default such a handler keeps the worker running.
func TestByDefaultAHandlerSlowToReturnAfterItsCancelKeepsTheWorkerRunning(t *testing.T) {
	var attempts, returned atomic.Int32
	logs := &records{}
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: manager.GRPCAddress}, IgnoreSignals: true,
		Logger: slog.New(logs),
		Executors: []taskexecutor.Executor{{
			Name: "go_slow_to_return",
			Config: &taskexecutor.ExecutorConfig{Timeout: 300 * time.Millisecond, RetryPolicy: &taskexecutor.RetryPolicy{
				Type: taskexecutor.RetryConstant, MaxAttempts: 20, Interval: durationRef(10 * time.Millisecond),
			}},
			Handler: func(ctx context.Context, _ *taskexecutor.Assignment) (any, error) {
				attempts.Add(1)
				defer returned.Add(1)
				<-ctx.Done()
				time.Sleep(2500 * time.Millisecond) // slow, but it returns
				return nil, context.Cause(ctx)
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop, ran := runUntilStopped(t, worker)
	defer stop()
	if _, err := newClient(t).CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_slow_to_return"}); err != nil {
		t.Fatal(err)
	}
	// Five attempts or so: two of them abandoned and running at once from the second on.
	select {
	case err := <-ran:
		t.Fatalf("Run returned after %d attempts (%d returned): %v", attempts.Load(), returned.Load(), err)
	case <-time.After(6500 * time.Millisecond):
	}
	if n := attempts.Load(); n < 4 {
		t.Fatalf("%d attempts in 6.5 s, want 4 at least:\n%s", n, logs)
	}
	if returned.Load() == 0 {
		t.Fatalf("no handler returned at last:\n%s", logs)
	}
	for _, line := range logs.all() {
		if strings.Contains(line.message, "Too many abandoned") {
			t.Fatalf("the worker took a slow handler for one that leaks:\n%s", logs)
		}
	}
	stop()
	if err := within(t, "Run to return", ran); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// A handler that never returns still stops the worker under the default bound (twice the
// concurrency, at least 16: here 8 slots, so 16), rather than leak a goroutine per attempt.
func TestByDefaultAHandlerThatNeverReturnsStillStopsTheWorker(t *testing.T) {
	release := make(chan struct{})
	var hung atomic.Int32
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: manager.GRPCAddress}, IgnoreSignals: true,
		Logger: quiet,
		Executors: []taskexecutor.Executor{{
			Name: "go_never_returns", Concurrency: 8,
			Config: &taskexecutor.ExecutorConfig{Timeout: 300 * time.Millisecond, RetryPolicy: &taskexecutor.RetryPolicy{
				Type: taskexecutor.RetryConstant, MaxAttempts: 10, Interval: durationRef(10 * time.Millisecond),
			}},
			Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
				hung.Add(1)
				<-release // ignores its context
				return nil, nil
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop, ran := runUntilStopped(t, worker)
	defer stop()
	var releasing sync.Once
	defer releasing.Do(func() { close(release) })
	client := newClient(t)
	for range 8 {
		if _, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_never_returns"}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-ran:
		if err == nil || !strings.Contains(err.Error(), "17 task handlers still run after their context was cancelled") ||
			!strings.Contains(err.Error(), "MaxAbandoned (16)") {
			t.Fatalf("Run: %v, want 17 handlers past MaxAbandoned (16)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the worker kept running after %d hung attempts; it should stop past MaxAbandoned (16)", hung.Load())
	}
}
