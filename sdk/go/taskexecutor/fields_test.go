package taskexecutor_test

import (
	"context"
	"math"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/taskexecutor"
	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// Text that is not UTF-8 failed in grpc-go's marshaling, as INTERNAL "grpc: error while
// marshaling: string field contains invalid UTF-8", naming no field (twice over on the producer
// stream); it is refused before anything is sent, as INVALID_ARGUMENT naming it.
func TestTextThatIsNotUTF8IsRefusedNamingTheField(t *testing.T) {
	ctx := context.Background()
	client := newClient(t)
	const bad = "a\xffb"
	const wellFormed = "Must be well-formed Unicode (valid UTF-8)"
	task := func(change func(*taskexecutor.NewTask)) taskexecutor.NewTask {
		task := taskexecutor.NewTask{ExecutorName: "go_not_utf8"}
		change(&task)
		return task
	}
	for _, c := range []struct {
		task        taskexecutor.NewTask
		field       string
		description string
	}{
		{task(func(t *taskexecutor.NewTask) { t.Metadata = map[string]string{"k": bad} }), "/metadata/k", wellFormed},
		{task(func(t *taskexecutor.NewTask) { t.Metadata = map[string]string{"a/" + bad: "v"} }), "/metadata/a~1a\ufffdb",
			"Must have a key of well-formed Unicode (valid UTF-8)"},
		{task(func(t *taskexecutor.NewTask) { t.IdempotencyKey = bad }), "/idempotencyKey", wellFormed},
		{task(func(t *taskexecutor.NewTask) { t.GroupKey = bad }), "/groupKey", wellFormed},
	} {
		_, err := client.CreateTask(ctx, c.task)
		refusedNaming(t, err, `a "go_not_utf8" task`, "/task"+c.field, c.description)
		_, err = client.CreateAndWait(ctx, c.task)
		refusedNaming(t, err, `a "go_not_utf8" task`, "/task"+c.field, c.description)
		_, err = client.CreateTasks(ctx, []taskexecutor.NewTask{{ExecutorName: "go_not_utf8"}, c.task})
		refusedNaming(t, err, `a "go_not_utf8" task`, "/tasks/1"+c.field, c.description)
	}
	_, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: bad})
	refusedNaming(t, err, `a "a\xffb" task`, "/task/executorName", wellFormed)
	_, _, err = client.ListTasks(ctx, taskexecutor.TaskFilter{ExecutorName: bad})
	refusedNaming(t, err, "a task filter", "/executorName", wellFormed)
	_, _, err = client.ListTasks(ctx, taskexecutor.TaskFilter{Cursor: bad})
	refusedNaming(t, err, "a task filter", "/cursor", wellFormed)
	_, err = client.Wait(ctx, "ok", bad)
	refusedNaming(t, err, "a wait", "/taskIds/1", wellFormed)
	_, err = client.GetTask(ctx, bad)
	refusedNaming(t, err, "a task id", "/id", wellFormed)
	_, err = client.CancelTask(ctx, bad)
	refusedNaming(t, err, "a task id", "/id", wellFormed)
	err = client.RegisterExecutor(ctx, "go_not_utf8", taskexecutor.ExecutorConfig{
		DLQ: &taskexecutor.DLQConfig{Enabled: true, QueueName: bad}})
	refusedNaming(t, err, `executor "go_not_utf8"`, "/config/dlqConfig/queueName", wellFormed)
	pointer := bad
	err = client.RegisterExecutor(ctx, "go_not_utf8", taskexecutor.ExecutorConfig{GroupKeyPointer: &pointer})
	refusedNaming(t, err, `executor "go_not_utf8"`, "/config/groupKeyPointer", wellFormed)
	if _, err := client.Manager().GetExecutor(ctx,
		&pb.GetExecutorRequest{Id: "go_not_utf8"}); status.Code(err) != codes.NotFound {
		t.Fatalf("nothing should have been created: %v", err)
	}
}

// A retry policy's Multiplier NaN was read by the manager as not given: RegisterExecutor answered
// nil and the executor kept its multiplier. NaN and the infinities are refused before anything is
// sent, as Jitter's are, naming the field.
func TestAMultiplierOrJitterThatIsNoNumberIsRefusedNamingTheField(t *testing.T) {
	ctx := context.Background()
	client := newClient(t)
	for _, value := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		err := client.RegisterExecutor(ctx, "go_nan_policy", taskexecutor.ExecutorConfig{
			RetryPolicy: &taskexecutor.RetryPolicy{Multiplier: value}})
		refusedNaming(t, err, `executor "go_nan_policy"`, "/config/retryPolicy/multiplier",
			"Must be a number, not "+formatFloat(value))
		err = client.RegisterExecutor(ctx, "go_nan_policy", taskexecutor.ExecutorConfig{
			RetryPolicy: &taskexecutor.RetryPolicy{Jitter: &value}})
		refusedNaming(t, err, `executor "go_nan_policy"`, "/config/retryPolicy/jitter",
			"Must be a number, not "+formatFloat(value))
		_, err = taskexecutor.NewWorker(taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{{
			Name: "go_nan_policy", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil },
			Config: &taskexecutor.ExecutorConfig{RetryPolicy: &taskexecutor.RetryPolicy{Multiplier: value}}}}})
		refusedNaming(t, err, `executor "go_nan_policy"`, "/config/retryPolicy/multiplier",
			"Must be a number, not "+formatFloat(value))
	}
}

// formatFloat is value as %v writes it.
func formatFloat(value float64) string {
	switch {
	case math.IsNaN(value):
		return "NaN"
	case math.IsInf(value, 1):
		return "+Inf"
	case math.IsInf(value, -1):
		return "-Inf"
	}
	panic("a finite value")
}

// A negative duration option was taken as its default, saying nothing (a ShutdownGrace of -1 s
// gave handlers 10 s), as was a MaxReconnectDelay under ReconnectDelay, and a negative
// MaxRequestBytes sent every request as its own call: each is refused, naming the option.
func TestNewWorkerAndNewClientRefuseAnOptionTheyWouldHaveReplacedNamingIt(t *testing.T) {
	executors := []taskexecutor.Executor{{Name: "e",
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }}}
	for _, c := range []struct {
		options     taskexecutor.WorkerOptions
		field       string
		description string
	}{
		{taskexecutor.WorkerOptions{ShutdownGrace: -time.Second}, "WorkerOptions.ShutdownGrace",
			"Must be 0 (the default, 10s) or more, not -1s"},
		{taskexecutor.WorkerOptions{ReconnectDelay: -time.Millisecond}, "WorkerOptions.ReconnectDelay",
			"Must be 0 (the default, 100ms) or more, not -1ms"},
		{taskexecutor.WorkerOptions{MaxReconnectDelay: -time.Second}, "WorkerOptions.MaxReconnectDelay",
			"Must be 0 (the default, 10s) or more, not -1s"},
		{taskexecutor.WorkerOptions{ReconnectDelay: time.Second, MaxReconnectDelay: 500 * time.Millisecond},
			"WorkerOptions.MaxReconnectDelay",
			"Must be 0 (the default, 10s or ReconnectDelay when longer) or at least ReconnectDelay (1s), not 500ms"},
		{taskexecutor.WorkerOptions{MaxReconnectDelay: 50 * time.Millisecond},
			"WorkerOptions.MaxReconnectDelay",
			"Must be 0 (the default, 10s or ReconnectDelay when longer) or at least ReconnectDelay (100ms), not 50ms"},
		{taskexecutor.WorkerOptions{Connection: taskexecutor.Connection{MaxRequestBytes: -1}},
			"Connection.MaxRequestBytes", "Must be 0 (the default, 4194304) or more, not -1"},
	} {
		c.options.Executors = executors
		_, err := taskexecutor.NewWorker(c.options)
		refusedNaming(t, err, "a worker", c.field, c.description)
	}
	_, err := taskexecutor.NewClient(taskexecutor.Connection{MaxRequestBytes: -1})
	refusedNaming(t, err, "a client", "Connection.MaxRequestBytes", "Must be 0 (the default, 4194304) or more, not -1")
	for _, fine := range []taskexecutor.WorkerOptions{
		{},
		{ReconnectDelay: time.Second, MaxReconnectDelay: time.Second},
		{ReconnectDelay: 20 * time.Second},
		{MaxReconnectDelay: 100 * time.Millisecond},
	} {
		fine.Executors = executors
		if _, err := taskexecutor.NewWorker(fine); err != nil {
			t.Errorf("NewWorker(%+v): %v", fine, err)
		}
	}
}
