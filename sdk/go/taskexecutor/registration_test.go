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
	h := func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: manager.GRPCAddress}, IgnoreSignals: true,
		Logger: quiet,
		Executors: []taskexecutor.Executor{
			{Name: "go_reg_first", Handler: h, Config: &taskexecutor.ExecutorConfig{Timeout: 5 * time.Second}},
			{Name: "go_reg_second", Handler: h, Config: &taskexecutor.ExecutorConfig{
				RetryPolicy: &taskexecutor.RetryPolicy{Type: "sometimes"}}},
		},
	})
	if err == nil {
		// Were the refusal left to Run's registration, what would it leave applied?
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = worker.Run(ctx)
		cancel()
	}
	if status.Code(err) != codes.InvalidArgument ||
		!strings.Contains(err.Error(), `executor "go_reg_second": /config/retryPolicy/type`) {
		t.Errorf("got %v; want the second executor's retry type refused, naming it", err)
	}
	for _, name := range []string{"go_reg_first", "go_reg_second"} {
		_, err := newClient(t).Manager().GetExecutor(context.Background(), &pb.GetExecutorRequest{Id: name})
		if status.Code(err) != codes.NotFound {
			t.Errorf("GetExecutor %s: %v; want NotFound (nothing registered)", name, err)
		}
	}
}
