package taskexecutor_test

import (
	"context"
	"io"
	"log"
	"log/slog"
	"os"
	"testing"
	"time"

	"tasks-executor/sdk/go/internal/testmanager"
	"tasks-executor/sdk/go/taskexecutor"
)

// manager is the manager every test and example here talks to (see testmanager.Start).
var manager *testmanager.Manager

func TestMain(m *testing.M) {
	var err error
	if manager, err = testmanager.Start("../../.."); err != nil {
		log.Fatalf("cannot start a manager: %v", err)
	}
	// The examples read the manager's address from where a user's program would.
	os.Setenv("MANAGER_ADDRESS", manager.GRPCAddress)
	code := m.Run()
	manager.Stop()
	os.Exit(code)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startWorker runs a worker until the test ends (then drains it and checks that Run returned
// nil).
func startWorker(t *testing.T, options taskexecutor.WorkerOptions) *taskexecutor.Worker {
	t.Helper()
	options.Address = manager.GRPCAddress
	options.IgnoreSignals = true
	if options.Logger == nil {
		options.Logger = quiet
	}
	worker, err := taskexecutor.NewWorker(options)
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, worker)
	return worker
}

// runWorker runs worker until the test ends (then drains it and checks that Run returned nil),
// and returns once it is ready.
func runWorker(t *testing.T, worker *taskexecutor.Worker) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- worker.Run(ctx) }()
	select {
	case <-worker.Ready():
	case err := <-ran:
		t.Fatalf("Run: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("gave up waiting for the worker to be ready")
	}
	t.Cleanup(func() {
		stop()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// runUntilStopped runs worker until stop is called, and returns once it is ready; ran gives what
// Run returned.
func runUntilStopped(t *testing.T, worker *taskexecutor.Worker) (stop context.CancelFunc, ran <-chan error) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- worker.Run(ctx) }()
	within(t, "the worker to be ready", worker.Ready())
	return stop, result
}

func newClient(t *testing.T) *taskexecutor.Client {
	t.Helper()
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: manager.GRPCAddress})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// wait waits for tasks to end; the deadline guards against a hang, it does not time anything.
func wait(t *testing.T, client *taskexecutor.Client, ids ...string) []*taskexecutor.Task {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tasks, err := client.Wait(ctx, ids...)
	if err != nil {
		t.Fatalf("Wait %v: %v", ids, err)
	}
	return tasks
}

// idsOf is the ids of tasks, in order.
func idsOf(tasks []*taskexecutor.Task) []string {
	ids := make([]string, len(tasks))
	for i, task := range tasks {
		ids[i] = task.ID
	}
	return ids
}

// within fails the test when ch yields nothing in a minute (a guard against a hang).
func within[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case value := <-ch:
		return value
	case <-time.After(time.Minute):
		t.Fatalf("gave up waiting for %s", what)
		panic("unreachable")
	}
}
