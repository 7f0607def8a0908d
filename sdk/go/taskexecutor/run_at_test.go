package taskexecutor_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

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

// A time before 1970 is refused naming its field, whichever way it goes, as the TypeScript SDK
// refuses a runAt or filter time below 0 and REST one before 1970: it is none the manager keeps.
// The epoch itself is a RunAt of now, as the TypeScript SDK's runAt 0 and gRPC's zero timestamp.
func TestATimeBefore1970IsRefusedNamingItsFieldAndTheEpochIsARunAtOfNow(t *testing.T) {
	client := newClient(t)
	ctx := context.Background()
	if err := client.RegisterExecutor(ctx, "go_before_1970", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	// Half a millisecond before the epoch is its millisecond, the one before the epoch.
	before := time.Unix(0, -500_000)
	refused := func(what string, err error, field string) {
		t.Helper()
		v := taskexecutor.FieldViolations(err)
		if status.Code(err) != codes.InvalidArgument || len(v) != 1 || v[0].Field != field ||
			!strings.Contains(v[0].Description, "from 1970") {
			t.Errorf("%s: %v (%v), want INVALID_ARGUMENT naming %s: from 1970", what, err, v, field)
		}
	}
	task := taskexecutor.NewTask{ExecutorName: "go_before_1970", RunAt: before}
	own := metadata.AppendToOutgoingContext(ctx, "x-request-source", "test")
	_, err := client.CreateTask(ctx, task)
	refused("CreateTask on the Produce stream", err, "/task/runAt")
	_, err = client.CreateTask(own, task)
	refused("CreateTask as its own call", err, "/task/runAt")
	_, err = client.CreateAndWait(ctx, task)
	refused("CreateAndWait", err, "/task/runAt")
	_, err = client.CreateTasks(ctx, []taskexecutor.NewTask{{ExecutorName: "go_before_1970"}, task})
	refused("CreateTasks", err, "/tasks/1/runAt")
	for field, filter := range map[string]taskexecutor.TaskFilter{
		"/createdAfter":   {CreatedAfter: before},
		"/createdBefore":  {CreatedBefore: before},
		"/finishedAfter":  {FinishedAfter: before},
		"/finishedBefore": {FinishedBefore: before},
	} {
		_, _, err := client.ListTasks(ctx, filter)
		refused("ListTasks", err, field)
	}
	sent := time.Now().Truncate(time.Millisecond)
	created, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_before_1970", RunAt: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if created.RunAt.Before(sent) || created.RunAt.After(time.Now()) {
		t.Errorf("a RunAt of the epoch made a task to run at %v, want now (%v)", created.RunAt, sent)
	}
	if _, err := client.CancelTask(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
}
