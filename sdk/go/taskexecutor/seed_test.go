package taskexecutor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/taskexecutor"
	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// The original system's my_handler schema: a message, and a priority from 1 to 10.
const myHandlerSchema = `{"type":"object","required":["message"],"properties":{
	"message":{"type":"string"},"priority":{"type":"integer","minimum":1,"maximum":10}}}`

// attempts records the attempts a handler saw.
type attempts struct {
	mu   sync.Mutex
	seen []taskexecutor.Assignment
}

func (a *attempts) note(task *taskexecutor.Assignment) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, *task)
}

func (a *attempts) numbers() []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []int
	for _, task := range a.seen {
		out = append(out, task.Attempt)
	}
	return out
}

// The seed scenario on the idiomatic API: a Worker over the Work stream and a Client.
func TestSeedScenario(t *testing.T) {
	var myHandler, flaky, doomed attempts
	exponential := func(maxAttempts int) *taskexecutor.ExecutorConfig {
		interval := 50 * time.Millisecond
		return &taskexecutor.ExecutorConfig{
			RetryPolicy: &taskexecutor.RetryPolicy{
				Type: taskexecutor.RetryExponential, MaxAttempts: maxAttempts, Interval: &interval,
			},
			DLQ: &taskexecutor.DLQConfig{Enabled: true},
		}
	}
	startWorker(t, taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{
		{
			Name:   "go_my_handler",
			Config: &taskexecutor.ExecutorConfig{TaskSchema: json.RawMessage(myHandlerSchema)},
			Handler: func(_ context.Context, task *taskexecutor.Assignment) (any, error) {
				myHandler.note(task)
				var data struct{ Message string }
				if err := json.Unmarshal(task.Data, &data); err != nil {
					return nil, taskexecutor.NonRetryable(err)
				}
				return map[string]string{"echoed": data.Message}, nil
			},
		},
		{
			Name:   "go_flaky_handler",
			Config: exponential(3),
			Handler: func(_ context.Context, task *taskexecutor.Assignment) (any, error) {
				flaky.note(task)
				if task.Attempt <= 2 {
					return nil, fmt.Errorf("flaky failure %d", task.Attempt)
				}
				return "ok", nil
			},
		},
		{
			Name:   "go_doomed_handler",
			Config: exponential(2),
			Handler: func(_ context.Context, task *taskexecutor.Assignment) (any, error) {
				doomed.note(task)
				var data struct{ Fixed, Fatal bool }
				if err := json.Unmarshal(task.Data, &data); err != nil {
					return nil, err
				}
				switch {
				case data.Fatal:
					return nil, taskexecutor.NonRetryable(errors.New("cannot ever process this"))
				case !data.Fixed:
					return nil, errors.New("cannot process unfixed data")
				}
				return nil, nil
			},
		},
	}})
	client := newClient(t)
	ctx := context.Background()

	t.Run("my_handler is registered with the original schema", func(t *testing.T) {
		response, err := client.Manager().GetExecutor(ctx, &pb.GetExecutorRequest{Id: "go_my_handler"})
		for status.Code(err) == codes.NotFound {
			time.Sleep(20 * time.Millisecond)
			response, err = client.Manager().GetExecutor(ctx, &pb.GetExecutorRequest{Id: "go_my_handler"})
		}
		if err != nil {
			t.Fatal(err)
		}
		required := response.GetExecutor().GetTaskSchema().GetStructValue().GetFields()["required"]
		if got := required.GetListValue().GetValues(); len(got) != 1 || got[0].GetStringValue() != "message" {
			t.Fatalf("schema: %v", response.GetExecutor().GetTaskSchema())
		}
	})

	t.Run("valid data is processed and its result stored", func(t *testing.T) {
		created, err := client.CreateTask(ctx, taskexecutor.NewTask{
			ExecutorName: "go_my_handler", Data: map[string]any{"message": "hello", "priority": 5},
		})
		if err != nil {
			t.Fatal(err)
		}
		task := wait(t, client, created.ID)[0]
		if task.Status != taskexecutor.StatusCompleted || string(task.Result) != `{"echoed":"hello"}` {
			t.Fatalf("task: %+v", task)
		}
	})

	t.Run("invalid data is refused naming the field", func(t *testing.T) {
		_, err := client.CreateTask(ctx, taskexecutor.NewTask{
			ExecutorName: "go_my_handler", Data: map[string]any{"priority": 50},
		})
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("got %v, want INVALID_ARGUMENT", err)
		}
		var fields []string
		for _, v := range taskexecutor.FieldViolations(err) {
			fields = append(fields, v.Field)
		}
		for _, want := range []string{"/task/data/message", "/task/data/priority"} {
			if !slices.Contains(fields, want) {
				t.Errorf("field violations %v do not name %s", fields, want)
			}
		}
	})

	t.Run("CreateAndWait answers the task once final; refused, it creates nothing; past its deadline, it names the task", func(t *testing.T) {
		waitCtx, cancel := context.WithTimeout(ctx, time.Minute) // a guard against a hang
		defer cancel()
		task, err := client.CreateAndWait(waitCtx, taskexecutor.NewTask{
			ExecutorName: "go_my_handler", Data: map[string]any{"message": "at once"},
		})
		if err != nil || task.Status != taskexecutor.StatusCompleted ||
			string(task.Result) != `{"echoed":"at once"}` {
			t.Fatalf("task: %+v, err: %v", task, err)
		}

		before, _, err := client.ListTasks(ctx, taskexecutor.TaskFilter{ExecutorName: "go_my_handler", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.CreateAndWait(waitCtx, taskexecutor.NewTask{
			ExecutorName: "go_my_handler", Data: map[string]any{"priority": 50},
		})
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("got %v, want INVALID_ARGUMENT", err)
		}
		after, _, err := client.ListTasks(ctx, taskexecutor.TaskFilter{ExecutorName: "go_my_handler", Limit: 1000})
		if err != nil || len(after) != len(before) {
			t.Fatalf("%d tasks before the refused call, %d after (%v)", len(before), len(after), err)
		}

		// Due in an hour: the short deadline passes with the task created and pending.
		short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancelShort()
		created, err := client.CreateAndWait(short, taskexecutor.NewTask{
			ExecutorName: "go_my_handler", Data: map[string]any{"message": "later"},
			RunAt: time.Now().Add(time.Hour),
		})
		if status.Code(err) != codes.DeadlineExceeded || created == nil {
			t.Fatalf("got %+v, %v; want the created task and DEADLINE_EXCEEDED", created, err)
		}
		if stored, err := client.GetTask(ctx, created.ID); err != nil || stored.Status != taskexecutor.StatusPending {
			t.Fatalf("stored: %+v, %v", stored, err)
		}
		if _, err := client.CancelTask(ctx, created.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a handler failing twice succeeds on its third attempt", func(t *testing.T) {
		created, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_flaky_handler"})
		if err != nil {
			t.Fatal(err)
		}
		task := wait(t, client, created.ID)[0]
		if task.Status != taskexecutor.StatusCompleted || task.Attempt != 3 || len(task.Errors) != 2 {
			t.Fatalf("task: %+v", task)
		}
		if got := fmt.Sprint(flaky.numbers()); got != "[1 2 3]" {
			t.Fatalf("attempts seen: %s", got)
		}
		// Exponential from 50 ms: the second delay is twice the first (jitter aside).
		if gap := task.Errors[1].At.Sub(task.Errors[0].At); gap < 50*time.Millisecond {
			t.Fatalf("retries %v apart", gap)
		}
	})

	t.Run("an always-failing task reaches the DLQ, and completes once requeued with edited data", func(t *testing.T) {
		created, err := client.CreateTask(ctx, taskexecutor.NewTask{
			ExecutorName: "go_doomed_handler", Data: map[string]any{"fixed": false},
		})
		if err != nil {
			t.Fatal(err)
		}
		if task := wait(t, client, created.ID)[0]; task.Status != taskexecutor.StatusDLQ || task.Attempt != 2 {
			t.Fatalf("task: %+v", task)
		}
		entry, err := client.Manager().GetDlqEntry(ctx, &pb.GetDlqEntryRequest{Id: created.ID})
		if err != nil || entry.GetEntry().GetReason() != pb.DlqReason_DLQ_REASON_MAX_ATTEMPTS {
			t.Fatalf("DLQ entry: %v %v", entry, err)
		}
		fixed, _ := taskexecutor.JSONValue(map[string]any{"fixed": true})
		if _, err := client.Manager().RequeueDlqEntry(ctx,
			&pb.RequeueDlqEntryRequest{Id: created.ID, Data: fixed}); err != nil {
			t.Fatal(err)
		}
		if task := wait(t, client, created.ID)[0]; task.Status != taskexecutor.StatusCompleted ||
			string(task.Data) != `{"fixed":true}` {
			t.Fatalf("requeued task: %+v", task)
		}
	})

	t.Run("a non-retryable error dead-letters the task after one attempt", func(t *testing.T) {
		created, err := client.CreateTask(ctx, taskexecutor.NewTask{
			ExecutorName: "go_doomed_handler", Data: map[string]any{"fatal": true},
		})
		if err != nil {
			t.Fatal(err)
		}
		if task := wait(t, client, created.ID)[0]; task.Status != taskexecutor.StatusDLQ || task.Attempt != 1 {
			t.Fatalf("task: %+v", task)
		}
		entry, err := client.Manager().GetDlqEntry(ctx, &pb.GetDlqEntryRequest{Id: created.ID})
		if err != nil || entry.GetEntry().GetReason() != pb.DlqReason_DLQ_REASON_NON_RETRYABLE {
			t.Fatalf("DLQ entry: %v %v", entry, err)
		}
	})
}
