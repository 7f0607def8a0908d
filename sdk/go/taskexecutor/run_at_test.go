package taskexecutor_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"tasks-executor/sdk/go/taskexecutor"
)

// The manager keeps a task's times in whole milliseconds (it drops a Timestamp's finer nanos) and
// the TypeScript SDK can give none finer: a RunAt is sent as the millisecond it falls in, the time
// the manager keeps and answers, whichever way the create goes.
func TestARunAtFinerThanAMillisecondIsSentAsTheMillisecondTheManagerKeeps(t *testing.T) {
	relay := &managerRelay{}
	client := relayedClient(t, relay, "go_run_at")
	runAt := time.Date(2030, 1, 2, 3, 4, 5, 123_456_789, time.UTC)
	want := time.Date(2030, 1, 2, 3, 4, 5, 123_000_000, time.UTC)
	ctx := context.Background()
	// On the Produce stream, then as its own call (metadata other than trace context).
	own := metadata.AppendToOutgoingContext(ctx, "x-request-source", "test")
	for _, ctx := range []context.Context{ctx, own} {
		task, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_run_at", RunAt: runAt})
		if err != nil {
			t.Fatal(err)
		}
		if !task.RunAt.Equal(want) {
			t.Errorf("the task's runAt is %v, want %v", task.RunAt, want)
		}
		if _, err := client.CancelTask(ctx, task.ID); err != nil {
			t.Fatal(err)
		}
	}
	relay.mu.Lock()
	defer relay.mu.Unlock()
	if len(relay.runAts) != 2 || !relay.runAts[0].Equal(want) || !relay.runAts[1].Equal(want) {
		t.Fatalf("runAt sent: %v, want %v twice", relay.runAts, want)
	}
}
