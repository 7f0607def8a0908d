package taskexecutor_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/internal/testmanager"
	"tasks-executor/sdk/go/taskexecutor"
)

func TestAWorkerWhoseConnectionGoesSilentReconnectsOnANewConnectionAndRunsATaskCreatedAfterwards(t *testing.T) {
	m, err := testmanager.Start("../../..", "KEEPALIVE_INTERVAL=200ms")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	relay := startRelay(t, m.GRPCAddress)
	var logs testmanager.LockedBuffer
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection:        taskexecutor.Connection{Address: relay.address()},
		IgnoreSignals:     true,
		Logger:            slog.New(slog.NewTextHandler(&logs, nil)),
		ReconnectDelay:    10 * time.Millisecond,
		MaxReconnectDelay: 50 * time.Millisecond,
		Executors: []taskexecutor.Executor{{
			Name:    "go_keepalive",
			Handler: func(_ context.Context, task *taskexecutor.Assignment) (any, error) { return task.Attempt, nil },
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, worker)
	ctx := context.Background()
	before := relay.connections()
	relay.silence()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), "No message from the manager on the work stream, taking it as dead") {
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not notice the silence; its log:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: m.GRPCAddress})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	later, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_keepalive"})
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tasks, err := client.Wait(waitCtx, later.ID)
	if err != nil {
		t.Fatalf("Wait: %v; the worker's log:\n%s", err, logs.String())
	}
	if tasks[0].Status != taskexecutor.StatusCompleted {
		t.Fatalf("the task created after the silence: %+v", tasks[0])
	}
	if relay.connections() <= before {
		t.Fatalf("the worker did not come back on a new connection (%d accepted)", relay.connections())
	}
}

func TestAClientWhoseConnectionGoesSilentFailsTheCallAndMakesTheNextOnANewConnection(t *testing.T) {
	relay := startRelay(t, manager.GRPCAddress)
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: relay.address()})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	if err := client.RegisterExecutor(ctx, "go_client_keepalive", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	task, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_client_keepalive"})
	if err != nil {
		t.Fatal(err)
	}
	// A wait that hears nothing for longer than the keepalive time, on a live connection, goes on:
	// the manager answers the pings.
	waiting, cancel := context.WithTimeout(ctx, 17*time.Second)
	defer cancel()
	if _, err := client.Wait(waiting, task.ID); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("a wait on a live connection ended with %v, not at its deadline", err)
	}
	if relay.connections() != 1 {
		t.Fatalf("the live connection was replaced (%d accepted)", relay.connections())
	}

	relay.silence()
	// Far past the keepalive's time and timeout: the call ends when the PING goes unanswered.
	call, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := client.GetTask(call, task.ID); status.Code(err) != codes.Unavailable {
		t.Fatalf("the call on the silent connection ended with %v, not UNAVAILABLE", err)
	}
	again, err := client.GetTask(call, task.ID)
	if err != nil {
		t.Fatalf("the next call: %v", err)
	}
	if again.ID != task.ID || relay.connections() != 2 {
		t.Fatalf("the next call read %+v over %d connections", again, relay.connections())
	}
}
