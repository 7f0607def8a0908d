package taskexecutor_test

import (
	"context"
	"fmt"
	"testing"

	"tasks-executor/sdk/go/taskexecutor"
)

// Go ranges over a map in random order, and the manager bounds the distinct runs of member names
// one request may hold (MAX_REQUEST_OBJECT_SHAPES, 16,384): in random orders, a CreateTasks of
// 3,000 tasks whose data had 12 keys was refused with RESOURCE_EXHAUSTED.
func TestTasksWhoseDataHasTheSameKeysGoInOneCreateTasksHoweverManyThereAre(t *testing.T) {
	client := newClient(t)
	ctx := context.Background()
	if err := client.RegisterExecutor(ctx, "go_sorted_keys", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	batch := make([]taskexecutor.NewTask, 3_000)
	for i := range batch {
		data := make(map[string]any, 12)
		for k := range 12 {
			data[fmt.Sprintf("f%d", k)] = i
		}
		batch[i] = taskexecutor.NewTask{ExecutorName: "go_sorted_keys", Data: data}
	}
	created, err := client.CreateTasks(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != len(batch) {
		t.Fatalf("%d tasks created, want %d", len(created), len(batch))
	}
}
