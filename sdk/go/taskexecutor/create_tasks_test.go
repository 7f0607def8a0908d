package taskexecutor_test

import (
	"context"
	"slices"
	"testing"

	"tasks-executor/sdk/go/taskexecutor"
)

// CreateTasks answered the tasks alone, so a caller could not tell a task it created from one an
// idempotency key had made before (REST's batch answer said so in `created`).
func TestCreateTasksDetailedTellsWhichTasksTheCallCreated(t *testing.T) {
	client := newClient(t)
	ctx := context.Background()
	if err := client.RegisterExecutor(ctx, "go_created_flags", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	used, err := client.CreateTask(ctx, taskexecutor.NewTask{
		ExecutorName: "go_created_flags", IdempotencyKey: "go-used",
	})
	if err != nil {
		t.Fatal(err)
	}
	batch := []taskexecutor.NewTask{
		{ExecutorName: "go_created_flags", IdempotencyKey: "go-new"},
		{ExecutorName: "go_created_flags", IdempotencyKey: "go-used"},
		{ExecutorName: "go_created_flags", IdempotencyKey: "go-new"},
	}
	tasks, created, err := client.CreateTasksDetailed(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, false}; !slices.Equal(created, want) {
		t.Fatalf("created %v, want %v", created, want)
	}
	if len(tasks) != 3 || tasks[1].ID != used.ID || tasks[2].ID != tasks[0].ID || tasks[0].ID == used.ID {
		t.Fatalf("tasks %v, %v, %v; the key's first task %v", tasks[0].ID, tasks[1].ID, tasks[2].ID, used.ID)
	}
}
