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

// A task's create for an executor that does not exist answers NOT_FOUND, as a missing task's read
// does: MissingExecutor tells the two apart by the manager's EXECUTOR_NOT_FOUND detail.
func TestMissingExecutorNamesTheExecutorAMissingTaskNone(t *testing.T) {
	client := newClient(t)
	ctx := context.Background()
	newTask := taskexecutor.NewTask{ExecutorName: "go_missing_executor"}
	_, err := client.CreateTask(ctx, newTask)
	if status.Code(err) != codes.NotFound {
		t.Fatalf("CreateTask: %v; want NOT_FOUND", err)
	}
	if name := taskexecutor.MissingExecutor(err); name != "go_missing_executor" {
		t.Fatalf("MissingExecutor(CreateTask) = %q (%v)", name, err)
	}
	_, err = client.CreateAndWait(ctx, newTask)
	if name := taskexecutor.MissingExecutor(err); name != "go_missing_executor" {
		t.Fatalf("MissingExecutor(CreateAndWait) = %q (%v)", name, err)
	}
	_, err = client.GetTask(ctx, "no-such-task")
	if status.Code(err) != codes.NotFound {
		t.Fatalf("GetTask: %v; want NOT_FOUND", err)
	}
	if name := taskexecutor.MissingExecutor(err); name != "" {
		t.Fatalf("MissingExecutor(GetTask) = %q, want none (%v)", name, err)
	}
	for _, other := range []error{nil, errors.New("boom")} {
		if name := taskexecutor.MissingExecutor(other); name != "" {
			t.Fatalf("MissingExecutor(%v) = %q", other, name)
		}
	}
}

// GetStats and GetHistory through Manager() naming an executor that does not exist answer
// NOT_FOUND with the EXECUTOR_NOT_FOUND detail, as Manager's and MissingExecutor's docs say, not
// an empty list or an hour of zeros.
func TestMissingExecutorNamesTheExecutorOfAStatsOrHistoryRead(t *testing.T) {
	client := newClient(t)
	ctx := context.Background()
	name := "go_missing_executor_figures"
	_, err := client.Manager().GetStats(ctx, &pb.GetStatsRequest{ExecutorName: name})
	if status.Code(err) != codes.NotFound || taskexecutor.MissingExecutor(err) != name {
		t.Fatalf("GetStats: %v, MissingExecutor = %q; want NOT_FOUND naming %s", err, taskexecutor.MissingExecutor(err), name)
	}
	_, err = client.Manager().GetHistory(ctx, &pb.GetHistoryRequest{ExecutorName: name})
	if status.Code(err) != codes.NotFound || taskexecutor.MissingExecutor(err) != name {
		t.Fatalf("GetHistory: %v, MissingExecutor = %q; want NOT_FOUND naming %s", err, taskexecutor.MissingExecutor(err), name)
	}
}
