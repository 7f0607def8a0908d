package sdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"tasks-executor/sdk/go/internal/testmanager"
	"tasks-executor/sdk/go/models"
	"tasks-executor/sdk/go/sdk"
	pb "tasks-executor/sdk/go/taskexecutorpb"
)

// The manager every test here talks to (see testmanager.Start).
var manager struct {
	grpcAddress string
	url         string
}

func TestMain(m *testing.M) {
	started, err := testmanager.Start("../../..")
	if err != nil {
		log.Fatalf("cannot start a manager: %v", err)
	}
	manager.grpcAddress, manager.url = started.GRPCAddress, started.URL
	code := m.Run()
	started.Stop()
	os.Exit(code)
}

// The original system's my_handler schema: a message, and a priority from 1 to 10.
const myHandlerSchema = `{"type":"object","required":["message"],"properties":{
	"message":{"type":"string"},"priority":{"type":"integer","minimum":1,"maximum":10}}}`

// recorder keeps every attempt a processor saw.
type recorder struct {
	mu       sync.Mutex
	attempts []models.Task
}

func (r *recorder) note(task *models.Task) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, *task)
	return len(r.attempts)
}

func (r *recorder) seen() []models.Task {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]models.Task(nil), r.attempts...)
}

// processor is a TaskProcessor made of a function and a schema.
type processor struct {
	recorder
	schema string
	handle func(task *models.Task, attempt int) error
}

func (p *processor) ProcessTask(task *models.Task) error { return p.handle(task, p.note(task)) }
func (p *processor) GetTaskSchema() string               { return p.schema }

func rest(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	var reader io.Reader
	if body != nil {
		encoded, _ := json.Marshal(body)
		reader = bytes.NewReader(encoded)
	}
	request, _ := http.NewRequest(method, manager.url+path, reader)
	request.Header.Set("content-type", "application/json")
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer response.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(response.Body).Decode(&out)
	if response.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s %v", method, path, response.Status, out)
	}
	return out
}

func waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	// A guard against a hang, not a timing assertion: every step here takes well under a second.
	deadline := time.Now().Add(60 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitForStatus(t *testing.T, client pb.TaskExecutorManagerClient, id string, want pb.TaskStatus) {
	t.Helper()
	waitFor(t, fmt.Sprintf("task %s to be %s", id, want), func() bool {
		response, err := client.GetTaskStatus(context.Background(), &pb.GetTaskStatusRequest{Id: id})
		if err != nil {
			t.Fatalf("GetTaskStatus: %v", err)
		}
		return response.GetStatus() == want
	})
}

func addTask(t *testing.T, client pb.TaskExecutorManagerClient, executor string, data any) *pb.Task {
	t.Helper()
	encoded, _ := json.Marshal(data)
	response, err := client.AddTask(context.Background(),
		&pb.AddTaskRequest{ExecutorName: executor, Data: encoded})
	if err != nil {
		t.Fatalf("AddTask %s: %v", executor, err)
	}
	return response.GetTask()
}

// The seed scenario, through the original interface and the SDK in the original shape.
func TestSeedScenario(t *testing.T) {
	conn, err := grpc.NewClient(manager.grpcAddress,
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewTaskExecutorManagerClient(conn)
	ctx := context.Background()

	// Retry policies set through the original CreateExecutor: exponential from 50 ms.
	for name, attempts := range map[string]int32{"flaky_handler": 3, "doomed_handler": 2} {
		_, err := client.CreateExecutor(ctx, &pb.CreateExecutorRequest{Config: &pb.ExecutorConfig{
			Name:    name,
			Enabled: true,
			RetryPolicy: &pb.RetryPolicy{
				Type:        pb.RetryPolicyType_RETRY_POLICY_TYPE_EXPONENTIAL,
				MaxAttempts: attempts,
				Interval:    durationpb.New(50 * time.Millisecond),
			},
			DlqConfig: &pb.DLQConfig{Enabled: true},
		}})
		if err != nil {
			t.Fatalf("CreateExecutor %s: %v", name, err)
		}
	}

	myHandler := &processor{schema: myHandlerSchema, handle: func(*models.Task, int) error { return nil }}
	flaky := &processor{handle: func(_ *models.Task, attempt int) error {
		if attempt <= 2 {
			return fmt.Errorf("flaky failure %d", attempt)
		}
		return nil
	}}
	doomed := &processor{handle: func(task *models.Task, _ int) error {
		var data struct{ Fixed bool }
		if err := json.Unmarshal(task.Data, &data); err != nil {
			return err
		}
		if !data.Fixed {
			return fmt.Errorf("cannot process unfixed data")
		}
		return nil
	}}
	runner := sdk.NewRunner()
	runner.RegisterProcessor("my_handler", myHandler)
	runner.RegisterProcessor("flaky_handler", flaky)
	runner.RegisterProcessor("doomed_handler", doomed)
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() {
		ran <- runner.Run(runCtx, sdk.Options{
			GRPCAddress:  manager.grpcAddress,
			URL:          manager.url,
			PollInterval: 20 * time.Millisecond,
			Logger:       log.New(io.Discard, "", 0),
		})
	}()
	defer func() {
		stop()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	// Run registered my_handler with the original schema.
	waitFor(t, "my_handler to have its schema", func() bool {
		response, err := client.GetExecutor(ctx, &pb.GetExecutorRequest{Id: "my_handler"})
		if status.Code(err) == codes.NotFound {
			return false
		}
		if err != nil {
			t.Fatalf("GetExecutor: %v", err)
		}
		executor := rest(t, "GET", "/api/v1/executors/"+response.GetExecutor().GetName(), nil)
		return executor["executor"].(map[string]any)["taskSchema"] != nil
	})

	t.Run("valid data is processed", func(t *testing.T) {
		task := addTask(t, client, "my_handler", map[string]any{"message": "hello", "priority": 5})
		waitForStatus(t, client, task.GetId(), pb.TaskStatus_TASK_STATUS_COMPLETED)
		seen := myHandler.seen()
		if len(seen) != 1 || string(seen[0].Data) != `{"message":"hello","priority":5}` {
			t.Fatalf("my_handler saw %+v", seen)
		}
	})

	t.Run("invalid data is refused naming the field", func(t *testing.T) {
		encoded, _ := json.Marshal(map[string]any{"priority": 50})
		_, err := client.AddTask(ctx, &pb.AddTaskRequest{ExecutorName: "my_handler", Data: encoded})
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("got %v, want INVALID_ARGUMENT", err)
		}
		message := status.Convert(err).Message()
		for _, field := range []string{"/data/message", "/data/priority"} {
			if !strings.Contains(message, field) {
				t.Errorf("%q does not name %s", message, field)
			}
		}
		_, err = client.AddTask(ctx, &pb.AddTaskRequest{ExecutorName: "my_handler", Data: []byte("{")})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "/data") {
			t.Fatalf("bad JSON: got %v, want INVALID_ARGUMENT naming /data", err)
		}
	})

	t.Run("a handler failing twice succeeds on its third attempt", func(t *testing.T) {
		task := addTask(t, client, "flaky_handler", map[string]any{"n": 1})
		waitForStatus(t, client, task.GetId(), pb.TaskStatus_TASK_STATUS_COMPLETED)
		var retries []int
		for _, attempt := range flaky.seen() {
			retries = append(retries, attempt.RetryCount)
		}
		if fmt.Sprint(retries) != "[0 1 2]" {
			t.Fatalf("retry counts seen: %v, want [0 1 2]", retries)
		}
		stored := rest(t, "GET", "/api/v1/tasks/"+task.GetId(), nil)["task"].(map[string]any)
		if stored["attempt"] != float64(3) || len(stored["errors"].([]any)) != 2 {
			t.Fatalf("stored task: %v", stored)
		}
	})

	t.Run("an always-failing task reaches the DLQ, and completes once requeued with edited data", func(t *testing.T) {
		task := addTask(t, client, "doomed_handler", map[string]any{"fixed": false})
		waitForStatus(t, client, task.GetId(), pb.TaskStatus_TASK_STATUS_DLQ)
		entry := rest(t, "GET", "/api/v1/dlq/"+task.GetId(), nil)["entry"].(map[string]any)
		if entry["reason"] != "max_attempts" {
			t.Fatalf("DLQ entry: %v", entry)
		}
		rest(t, "POST", "/api/v1/dlq/"+task.GetId()+"/requeue",
			map[string]any{"data": map[string]any{"fixed": true}})
		waitForStatus(t, client, task.GetId(), pb.TaskStatus_TASK_STATUS_COMPLETED)
		seen := doomed.seen()
		if last := seen[len(seen)-1]; string(last.Data) != `{"fixed":true}` {
			t.Fatalf("last attempt saw %s", last.Data)
		}
	})
}
