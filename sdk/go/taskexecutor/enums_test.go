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
			`Must be one of pending, in_progress, completed, failed, dlq, cancelled, not "`+bad+`"`)
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
		`Must be one of constant, linear, exponential, not "fibonacci"`)
	err = client.RegisterExecutor(ctx, "go_enum_config", taskexecutor.ExecutorConfig{WriteConcern: "always"})
	refusedNaming(t, err, `executor "go_enum_config"`, "/config/writeConcern",
		`Must be one of replica_acknowledged, majority, unacknowledged, journaled, not "always"`)
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
