package taskexecutor_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/taskexecutor"
	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// A worker serving two executors, the second's Config one the SDK refuses, must fail before it
// registers anything: registering in order, it would create the first and then stop, leaving half
// its configuration applied.
func TestAWorkerWhoseSecondConfigIsRefusedRegistersNeitherExecutor(t *testing.T) {
	worker, err := workerOfTwo(&taskexecutor.ExecutorConfig{
		RetryPolicy: &taskexecutor.RetryPolicy{Type: "sometimes"}})
	registeredNeither(t, worker, err, "/config/retryPolicy/type")
}

// A task schema that is JSON but not a JSON Schema (5, [1], "x") was the manager's to refuse, as
// Run registered in order: the first executor was left registered.
func TestAWorkerWhoseSecondTaskSchemaIsNotAJSONSchemaRegistersNeitherExecutor(t *testing.T) {
	for _, schema := range []string{"5", "[1]", `"x"`} {
		worker, err := workerOfTwo(&taskexecutor.ExecutorConfig{TaskSchema: []byte(schema)})
		registeredNeither(t, worker, err,
			"/config/taskSchema: Must be a JSON Schema object, a boolean or null")
	}
}

// workerOfTwo is NewWorker's answer for a worker serving go_reg_first (a valid Config) and then
// go_reg_second with config second.
func workerOfTwo(second *taskexecutor.ExecutorConfig) (*taskexecutor.Worker, error) {
	h := func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }
	return taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: manager.GRPCAddress}, IgnoreSignals: true,
		Logger: quiet,
		Executors: []taskexecutor.Executor{
			{Name: "go_reg_first", Handler: h, Config: &taskexecutor.ExecutorConfig{Timeout: 5 * time.Second}},
			{Name: "go_reg_second", Handler: h, Config: second},
		},
	})
}

// registeredNeither fails t unless err (NewWorker's, else worker's Run's) is INVALID_ARGUMENT
// naming go_reg_second's field, and neither go_reg_first nor go_reg_second exists.
func registeredNeither(t *testing.T, worker *taskexecutor.Worker, err error, field string) {
	t.Helper()
	if err == nil {
		// Were the refusal left to Run's registration, what would it leave applied?
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = worker.Run(ctx)
		cancel()
	}
	if status.Code(err) != codes.InvalidArgument ||
		!strings.Contains(err.Error(), `executor "go_reg_second": `+field) {
		t.Errorf("got %v; want the second executor's %s refused, naming it", err, field)
	}
	for _, name := range []string{"go_reg_first", "go_reg_second"} {
		_, err := newClient(t).Manager().GetExecutor(context.Background(), &pb.GetExecutorRequest{Id: name})
		if status.Code(err) != codes.NotFound {
			t.Errorf("GetExecutor %s: %v; want NotFound (nothing registered)", name, err)
			_, _ = newClient(t).Manager().DeleteExecutor(context.Background(), &pb.DeleteExecutorRequest{Id: name})
		}
	}
}

// NewWorker checks each executor's Config, but Run read it again through its pointer as it
// registered: a change made in between was sent unchecked (a retry type "sometimes" was refused by
// Run's registration, after the executors before it were registered) or registered what NewWorker
// never saw. The worker registers the Config as NewWorker checked it.
func TestAConfigChangedAfterNewWorkerIsNotRegistered(t *testing.T) {
	h := func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }
	enabled, jitter, interval := true, 0.25, 2*time.Second
	config := &taskexecutor.ExecutorConfig{
		Enabled: &enabled, Timeout: 5 * time.Second, TaskSchema: []byte(`{"type":"object"}`),
		RetryPolicy: &taskexecutor.RetryPolicy{Type: taskexecutor.RetryLinear, MaxAttempts: 4,
			Interval: &interval, Jitter: &jitter},
	}
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: manager.GRPCAddress}, IgnoreSignals: true,
		Logger:    quiet,
		Executors: []taskexecutor.Executor{{Name: "go_reg_copied", Handler: h, Config: config}},
	})
	if err != nil {
		t.Fatal(err)
	}
	enabled, jitter, interval = false, 0.75, 3*time.Second
	config.Timeout = time.Nanosecond
	config.TaskSchema[2] = 'x'
	config.RetryPolicy.Type = "sometimes"
	config.RetryPolicy.MaxAttempts = 9
	runWorker(t, worker)
	answer, err := newClient(t).Manager().GetExecutor(context.Background(),
		&pb.GetExecutorRequest{Id: "go_reg_copied"})
	if err != nil {
		t.Fatal(err)
	}
	e := answer.GetExecutor()
	p := e.GetRetryPolicy()
	if !e.GetEnabled() || e.GetTimeout().AsDuration() != 5*time.Second ||
		e.GetTaskSchema().GetStructValue().GetFields()["type"].GetStringValue() != "object" ||
		p.GetType() != pb.RetryPolicyType_RETRY_POLICY_TYPE_LINEAR || p.GetMaxAttempts() != 4 ||
		p.GetInterval().AsDuration() != 2*time.Second || p.GetJitter() != 0.25 {
		t.Fatalf("want the Config NewWorker checked registered, got %v", e)
	}
}
