package taskexecutor_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/taskexecutor"
	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// refusedNaming fails t unless err is INVALID_ARGUMENT naming subject and field (and only it),
// with description, as the SDK's other refusals read, in the manager's form
// (`taskexecutor: <subject>: <field>: Must …`).
func refusedNaming(t *testing.T, err error, subject, field, description string) {
	t.Helper()
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("want INVALID_ARGUMENT naming %s, got %v", field, err)
	}
	message := "taskexecutor: " + subject + ": " + field + ": " + description
	violations := taskexecutor.FieldViolations(err)
	if got := status.Convert(err).Message(); got != message || len(violations) != 1 ||
		violations[0] != (taskexecutor.FieldViolation{Field: field, Description: description}) {
		t.Fatalf("want the message %q and %s refused with %q, got %q and %v",
			message, field, description, got, violations)
	}
}

// A status name the SDK does not know was looked up as TASK_STATUS_UNSPECIFIED, which the
// manager read as no filter: ListTasks with Statuses{"bogus"} listed every task.
func TestListTasksRefusesAnUnknownStatusName(t *testing.T) {
	ctx := context.Background()
	client := newClient(t)
	if err := client.RegisterExecutor(ctx, "go_enum_list", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	task, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_enum_list"})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"bogus", "Completed", ""} {
		tasks, _, err := client.ListTasks(ctx, taskexecutor.TaskFilter{
			ExecutorName: "go_enum_list",
			Statuses:     []taskexecutor.TaskStatus{taskexecutor.StatusPending, taskexecutor.TaskStatus(bad)},
		})
		refusedNaming(t, err, "a name the protocol does not have", "/status/1",
			"Must be one of pending, in_progress, completed, failed, dlq, cancelled, "+
				`or the proto's name for one (TASK_STATUS_PENDING, …), not "`+bad+`"`)
		if tasks != nil {
			t.Fatalf("no tasks with a refusal: %v", tasks)
		}
	}
	tasks, _, err := client.ListTasks(ctx, taskexecutor.TaskFilter{
		ExecutorName: "go_enum_list", Statuses: []taskexecutor.TaskStatus{taskexecutor.StatusPending}})
	if err != nil || len(tasks) != 1 || tasks[0].ID != task.ID {
		t.Fatalf("a known status still lists: %v %v", tasks, err)
	}
}

// An unknown retry type or write concern was sent as not given: RegisterExecutor returned nil
// and the executor kept its old values.
func TestRegisterExecutorRefusesAnUnknownRetryTypeOrWriteConcern(t *testing.T) {
	ctx := context.Background()
	client := newClient(t)
	err := client.RegisterExecutor(ctx, "go_enum_config", taskexecutor.ExecutorConfig{
		RetryPolicy: &taskexecutor.RetryPolicy{Type: "fibonacci"}})
	refusedNaming(t, err, `executor "go_enum_config"`, "/config/retryPolicy/type",
		`Must be one of constant, linear, exponential, or the proto's name for one (RETRY_POLICY_TYPE_CONSTANT, …), not "fibonacci"`)
	err = client.RegisterExecutor(ctx, "go_enum_config", taskexecutor.ExecutorConfig{WriteConcern: "always"})
	refusedNaming(t, err, `executor "go_enum_config"`, "/config/writeConcern",
		`Must be one of replica_acknowledged, majority, unacknowledged, journaled, or the proto's name for one (WRITE_CONCERN_LEVEL_REPLICA_ACKNOWLEDGED, …), not "always"`)
	if _, err := client.Manager().GetExecutor(ctx,
		&pb.GetExecutorRequest{Id: "go_enum_config"}); status.Code(err) != codes.NotFound {
		t.Fatalf("nothing should have been created: %v", err)
	}
	if err := client.RegisterExecutor(ctx, "go_enum_config", taskexecutor.ExecutorConfig{
		RetryPolicy:  &taskexecutor.RetryPolicy{Type: taskexecutor.RetryLinear},
		WriteConcern: "majority",
	}); err != nil {
		t.Fatal(err)
	}
	answer, err := client.Manager().GetExecutor(ctx, &pb.GetExecutorRequest{Id: "go_enum_config"})
	if err != nil {
		t.Fatal(err)
	}
	if e := answer.GetExecutor(); e.GetRetryPolicy().GetType() != pb.RetryPolicyType_RETRY_POLICY_TYPE_LINEAR ||
		e.GetWriteConcern().GetLevel() != pb.WriteConcernLevel_WRITE_CONCERN_LEVEL_MAJORITY {
		t.Fatalf("known names are sent: %v", e)
	}
}

// The manager reads the proto's value name of an enum as it reads ours; the SDK refused it
// ("TASK_STATUS_PENDING" was not one of pending, …), so a caller holding the proto's names could
// not filter or configure by them.
func TestTheProtosEnumNamesAreTaken(t *testing.T) {
	ctx := context.Background()
	client := newClient(t)
	if err := client.RegisterExecutor(ctx, "go_enum_proto", taskexecutor.ExecutorConfig{
		RetryPolicy:  &taskexecutor.RetryPolicy{Type: "RETRY_POLICY_TYPE_LINEAR"},
		WriteConcern: "WRITE_CONCERN_LEVEL_MAJORITY",
	}); err != nil {
		t.Fatal(err)
	}
	answer, err := client.Manager().GetExecutor(ctx, &pb.GetExecutorRequest{Id: "go_enum_proto"})
	if err != nil {
		t.Fatal(err)
	}
	if e := answer.GetExecutor(); e.GetRetryPolicy().GetType() != pb.RetryPolicyType_RETRY_POLICY_TYPE_LINEAR ||
		e.GetWriteConcern().GetLevel() != pb.WriteConcernLevel_WRITE_CONCERN_LEVEL_MAJORITY {
		t.Fatalf("the proto's names are sent as their values: %v", e)
	}
	task, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_enum_proto"})
	if err != nil {
		t.Fatal(err)
	}
	tasks, _, err := client.ListTasks(ctx, taskexecutor.TaskFilter{
		ExecutorName: "go_enum_proto", Statuses: []taskexecutor.TaskStatus{"TASK_STATUS_PENDING"}})
	if err != nil || len(tasks) != 1 || tasks[0].ID != task.ID {
		t.Fatalf("TASK_STATUS_PENDING lists the pending task: %v %v", tasks, err)
	}
	tasks, _, err = client.ListTasks(ctx, taskexecutor.TaskFilter{
		ExecutorName: "go_enum_proto", Statuses: []taskexecutor.TaskStatus{"TASK_STATUS_COMPLETED"}})
	if err != nil || len(tasks) != 0 {
		t.Fatalf("TASK_STATUS_COMPLETED lists none: %v %v", tasks, err)
	}
	for _, bad := range []string{"TASK_STATUS_UNSPECIFIED", "task_status_pending", "STATUS_PENDING"} {
		_, _, err := client.ListTasks(ctx, taskexecutor.TaskFilter{
			Statuses: []taskexecutor.TaskStatus{taskexecutor.TaskStatus(bad)}})
		refusedNaming(t, err, "a name the protocol does not have", "/status/0",
			"Must be one of pending, in_progress, completed, failed, dlq, cancelled, "+
				`or the proto's name for one (TASK_STATUS_PENDING, …), not "`+bad+`"`)
	}
}
