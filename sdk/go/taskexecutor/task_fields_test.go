package taskexecutor

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// A Task carries every field of the manager's, as REST shows them: the run, the latest progress,
// the lease's end and the completing attempt's log lines, and each error's run, stack and log
// lines. Progress, Logs, Run and LeaseExpiresAt were dropped, so a producer could not read them.
func TestATaskHasTheRunProgressLeaseLogsAndErrorStacksTheManagerSends(t *testing.T) {
	progress, err := structpb.NewValue(map[string]any{"step": 1})
	if err != nil {
		t.Fatal(err)
	}
	lease := time.UnixMilli(1_700_000_000_123).UTC()
	task := taskFromMessage(&pb.Task{
		Id:             "t1",
		Run:            2,
		Progress:       progress,
		Logs:           []string{"done"},
		LeaseExpiresAt: timestamppb.New(lease),
		Errors: []*pb.TaskError{{
			Attempt: 1, Message: "boom", Run: 1, Stack: "Error: boom\n  at handler", Logs: []string{"first"},
		}},
	})
	if task.Run != 2 || !task.LeaseExpiresAt.Equal(lease) || !reflect.DeepEqual(task.Logs, []string{"done"}) {
		t.Fatalf("task: %+v", task)
	}
	var got map[string]any
	if err := json.Unmarshal(task.Progress, &got); err != nil || !reflect.DeepEqual(got, map[string]any{"step": 1.0}) {
		t.Fatalf("progress %s: %v", task.Progress, err)
	}
	want := TaskError{Attempt: 1, Message: "boom", Run: 1, Stack: "Error: boom\n  at handler", Logs: []string{"first"}}
	if len(task.Errors) != 1 || !reflect.DeepEqual(task.Errors[0], want) {
		t.Fatalf("errors: %+v", task.Errors)
	}
	// Unset: no progress is JSON null, no lease the zero time.
	bare := taskFromMessage(&pb.Task{Id: "t2"})
	if string(bare.Progress) != "null" || !bare.LeaseExpiresAt.IsZero() || bare.Logs != nil {
		t.Fatalf("bare task: %+v", bare)
	}
}
