package taskexecutor_test

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/taskexecutor"
	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// NewTask's doc promised that a second create with the same idempotency key returned the first
// task, but CreateTask and CreateAndWait answered a bare ALREADY_EXISTS: a retried create could not
// learn the id of the task its first try made.
func TestRepeatedIdempotencyKeyNamesTheExistingTask(t *testing.T) {
	client := newClient(t)
	ctx := context.Background()
	if err := client.RegisterExecutor(ctx, "go_existing_task", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	newTask := taskexecutor.NewTask{ExecutorName: "go_existing_task", IdempotencyKey: "go-once"}
	first, err := client.CreateTask(ctx, newTask)
	if err != nil {
		t.Fatal(err)
	}
	if id := taskexecutor.ExistingTaskID(nil); id != "" {
		t.Fatalf("ExistingTaskID(nil) = %q", id)
	}
	again, err := client.CreateTask(ctx, newTask)
	if status.Code(err) != codes.AlreadyExists || again != nil {
		t.Fatalf("second CreateTask: %v, %v; want nil, ALREADY_EXISTS", again, err)
	}
	if id := taskexecutor.ExistingTaskID(err); id != first.ID {
		t.Fatalf("ExistingTaskID(CreateTask) = %q, want %q (%v)", id, first.ID, err)
	}
	_, err = client.CreateAndWait(ctx, newTask)
	if status.Code(err) != codes.AlreadyExists {
		t.Fatalf("CreateAndWait: %v; want ALREADY_EXISTS", err)
	}
	if id := taskexecutor.ExistingTaskID(err); id != first.ID {
		t.Fatalf("ExistingTaskID(CreateAndWait) = %q, want %q (%v)", id, first.ID, err)
	}
	existing, err := client.GetTask(ctx, taskexecutor.ExistingTaskID(err))
	if err != nil || existing.ID != first.ID {
		t.Fatalf("GetTask of the existing task: %v, %v", existing, err)
	}
	// Any other error names none.
	if id := taskexecutor.ExistingTaskID(errors.New("boom")); id != "" {
		t.Fatalf("ExistingTaskID(boom) = %q", id)
	}
	_, err = client.Manager().CreateExecutor(ctx, &pb.CreateExecutorRequest{
		Config: &pb.ExecutorConfig{Name: "go_existing_task"},
	})
	if status.Code(err) != codes.AlreadyExists || taskexecutor.ExistingTaskID(err) != "" {
		t.Fatalf("CreateExecutor of a taken name: %v, ExistingTaskID %q", err, taskexecutor.ExistingTaskID(err))
	}
}
