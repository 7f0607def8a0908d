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

// A TaskFilter's times are sent as a RunAt is, as the millisecond they fall in: they went with
// their nanoseconds, finer than the manager reads them, while a RunAt was cut to its millisecond.
func TestAFilterTimeIsSentAsTheMillisecondTheManagerKeepsAsARunAtIs(t *testing.T) {
	relay := &managerRelay{}
	client := relayedClient(t, relay, "go_filter_ms")
	at := func(nanos int) time.Time { return time.Date(2030, 1, 2, 3, 4, 5, nanos, time.UTC) }
	filter := taskexecutor.TaskFilter{
		ExecutorName: "go_filter_ms", CreatedAfter: at(1_999_999), CreatedBefore: at(2_000_001),
		FinishedAfter: at(123_456_789), FinishedBefore: at(987_654_321),
	}
	if _, _, err := client.ListTasks(context.Background(), filter); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{at(1_000_000), at(2_000_000), at(123_000_000), at(987_000_000)}
	relay.mu.Lock()
	defer relay.mu.Unlock()
	if len(relay.bounds) != len(want) {
		t.Fatalf("times sent: %v, want %v", relay.bounds, want)
	}
	for i, sent := range relay.bounds {
		if !sent.Equal(want[i]) {
			t.Errorf("times sent: %v, want %v", relay.bounds, want)
			break
		}
	}
}
