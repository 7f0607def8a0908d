package sdk_test

// The original shape against a manager that sends what a manager should not: a fake serving the
// original interface (and the REST call that sets a schema), independent of the test manager.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"tasks-executor/sdk/go/internal/testmanager"
	"tasks-executor/sdk/go/models"
	"tasks-executor/sdk/go/sdk"
	pb "tasks-executor/sdk/go/taskexecutorpb"
)

// oddTimes hands out one task whose times are all outside protobuf's range (years 1 to 9999),
// then none, and keeps the reports it gets.
type oddTimes struct {
	pb.UnimplementedTaskExecutorManagerServer
	mu      sync.Mutex
	given   bool
	reports []*pb.UpdateTaskStatusRequest
}

func (*oddTimes) RegisterExecutor(context.Context, *pb.RegisterExecutorRequest) (*pb.RegisterExecutorResponse, error) {
	return &pb.RegisterExecutorResponse{}, nil
}

func (f *oddTimes) GetNextTask(_ context.Context, request *pb.GetNextTaskRequest) (*pb.GetNextTaskResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.given {
		return nil, status.Error(codes.NotFound, "No task is ready")
	}
	f.given = true
	// The year 804,969.
	odd := &timestamppb.Timestamp{Seconds: 100 * 253_402_300_800}
	return &pb.GetNextTaskResponse{Task: &pb.Task{Id: "odd", ExecutorName: request.GetExecutorName(),
		Data: []byte("{}"), Status: pb.TaskStatus_TASK_STATUS_IN_PROGRESS,
		CreatedAt: odd, UpdatedAt: odd, StartedAt: odd, CompletedAt: odd}}, nil
}

func (f *oddTimes) UpdateTaskStatus(_ context.Context, request *pb.UpdateTaskStatusRequest) (*pb.UpdateTaskStatusResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reports = append(f.reports, request)
	return &pb.UpdateTaskStatusResponse{}, nil
}

func (f *oddTimes) reported() []*pb.UpdateTaskStatusRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*pb.UpdateTaskStatusRequest(nil), f.reports...)
}

// fakeAddresses is where a fake manager listens: its gRPC server, and a REST stub that answers {}.
type fakeAddresses struct {
	grpcAddress string
	restURL     string
}

// startFake serves impl over gRPC on a free port, beside a REST stub, until the test ends.
func startFake(t *testing.T, impl pb.TaskExecutorManagerServer) fakeAddresses {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	pb.RegisterTaskExecutorManagerServer(server, impl)
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(server.Stop)
	rest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("content-type", "application/json")
		_, _ = w.Write([]byte("{}"))
	}))
	t.Cleanup(rest.Close)
	return fakeAddresses{grpcAddress: listener.Addr().String(), restURL: rest.URL}
}

func TestAProcessorGivenATaskWhoseTimesAreOutsideProtobufsRangeReadsThemAsUnset(t *testing.T) {
	fake := &oddTimes{}
	manager := startFake(t, fake)

	seen := make(chan *models.Task, 1)
	runner := sdk.NewRunner()
	runner.RegisterProcessor("odd_times", &processor{handle: func(task *models.Task, _ int) error {
		seen <- task
		// Read as they came, the times made a task that encoding/json refuses.
		_, err := json.Marshal(task)
		return err
	}})
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() {
		ran <- runner.Run(ctx, sdk.Options{GRPCAddress: manager.grpcAddress, URL: manager.restURL,
			PollInterval: 10 * time.Millisecond})
	}()
	var task *models.Task
	select {
	case task = <-seen:
	case err := <-ran:
		t.Fatalf("Run: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("gave up waiting for the task")
	}
	stop()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !task.CreatedAt.IsZero() || !task.UpdatedAt.IsZero() || task.StartedAt != nil || task.CompletedAt != nil {
		t.Fatalf("the processor read the times as %v, %v, %v, %v; want them unset",
			task.CreatedAt, task.UpdatedAt, task.StartedAt, task.CompletedAt)
	}
	if reports := fake.reported(); len(reports) != 1 || reports[0].GetStatus() != pb.TaskStatus_TASK_STATUS_COMPLETED {
		t.Fatalf("reported %v, want the task completed", reports)
	}
}

// keyRefused refuses every registration as a manager with authentication on refuses a call
// without a valid key.
type keyRefused struct {
	pb.UnimplementedTaskExecutorManagerServer
}

func (keyRefused) RegisterExecutor(context.Context, *pb.RegisterExecutorRequest) (*pb.RegisterExecutorResponse, error) {
	return nil, status.Error(codes.Unauthenticated, "Authentication required")
}

func TestARunnerRefusedForWantOfAKeySaysHowToGiveOne(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	pb.RegisterTaskExecutorManagerServer(server, keyRefused{})
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(server.Stop)
	const hint = "no API key given: set Options.APIKey, which OptionsFromEnv and Run read from TASKS_EXECUTOR_API_KEY"
	for _, key := range []string{"", "te_refused"} {
		runner := sdk.NewRunner()
		runner.RegisterProcessor("keyed", &processor{handle: func(*models.Task, int) error { return nil }})
		err := runner.Run(context.Background(), sdk.Options{GRPCAddress: listener.Addr().String(), APIKey: key})
		if err == nil || status.Code(errors.Unwrap(err)) != codes.Unauthenticated {
			t.Fatalf("key %q: Run: %v, want the refusal", key, err)
		}
		if said := strings.Contains(err.Error(), hint); said != (key == "") {
			t.Errorf("key %q: %v (the hint is for no key only)", key, err)
		}
	}
}

// refusing answers every GetNextTask with the error refusal gives for its executor, and counts
// the calls.
type refusing struct {
	pb.UnimplementedTaskExecutorManagerServer
	refusal func(executor string) error
	mu      sync.Mutex
	polls   int
}

func (*refusing) RegisterExecutor(context.Context, *pb.RegisterExecutorRequest) (*pb.RegisterExecutorResponse, error) {
	return &pb.RegisterExecutorResponse{}, nil
}

func (f *refusing) GetNextTask(_ context.Context, request *pb.GetNextTaskRequest) (*pb.GetNextTaskResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls++
	return nil, f.refusal(request.GetExecutorName())
}

func (f *refusing) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.polls
}

// pollRefused runs a runner for legacy1 against fake until it has polled 5 times at least, and
// answers what the runner logged.
func pollRefused(t *testing.T, fake *refusing) string {
	t.Helper()
	manager := startFake(t, fake)
	logged := &testmanager.LockedBuffer{}
	runner := sdk.NewRunner()
	runner.RegisterProcessor("legacy1", &processor{handle: func(*models.Task, int) error { return nil }})
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() {
		ran <- runner.Run(ctx, sdk.Options{GRPCAddress: manager.grpcAddress, URL: manager.restURL,
			PollInterval: time.Millisecond, MaxPollInterval: time.Millisecond,
			Logger: log.New(logged, "", 0)})
	}()
	deadline := time.Now().Add(time.Minute)
	for fake.count() < 5 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if fake.count() < 5 {
		t.Fatalf("%d polls, want 5 at least", fake.count())
	}
	return logged.String()
}

func TestARunnerLogsThatItsExecutorIsPausedOnceNotAtEveryPoll(t *testing.T) {
	fake := &refusing{refusal: func(name string) error {
		return status.Errorf(codes.FailedPrecondition,
			"Executor %q is paused (enabled: false): no task is handed out until it is resumed", name)
	}}
	logged := pollRefused(t, fake)
	said := strings.Count(logged, `Executor "legacy1" is paused`)
	if said != 1 {
		t.Fatalf("the pause was logged %d times over %d polls, want once:\n%s", said, fake.count(), logged)
	}
}

// TestARunnerLogsThatItsExecutorIsMissingOnceAndNoTaskReadyNever: the original interface answers
// NOT_FOUND both when no task is ready and when the executor does not exist (deleted since the
// runner registered it); the manager tells the second by a google.rpc.ErrorInfo detail.
func TestARunnerLogsThatItsExecutorIsMissingOnceAndNoTaskReadyNever(t *testing.T) {
	missing := &refusing{refusal: func(name string) error {
		s, err := status.Newf(codes.NotFound, "Executor %q does not exist", name).WithDetails(
			&errdetails.ErrorInfo{Reason: "EXECUTOR_NOT_FOUND", Domain: "tasks-executor",
				Metadata: map[string]string{"executor": name}})
		if err != nil {
			t.Fatal(err)
		}
		return s.Err()
	}}
	logged := pollRefused(t, missing)
	if said := strings.Count(logged, `Executor "legacy1" does not exist`); said != 1 {
		t.Fatalf("the missing executor was logged %d times over %d polls, want once:\n%s",
			said, missing.count(), logged)
	}

	idle := &refusing{refusal: func(name string) error {
		return status.Errorf(codes.NotFound, "No task of executor %q is ready", name)
	}}
	if logged := pollRefused(t, idle); strings.Contains(logged, "GetNextTask") {
		t.Fatalf("no task ready was logged:\n%s", logged)
	}
}

// A runner says once that it reached its manager, as the taskexecutor package's Worker and the
// TypeScript worker do: it said nothing until a task failed or the manager refused something.
func TestARunnerLogsOnceThatItIsConnectedAndWhatItServes(t *testing.T) {
	fake := &refusing{refusal: func(name string) error {
		return status.Errorf(codes.NotFound, "No task of executor %q is ready", name)
	}}
	logged := pollRefused(t, fake)
	if said := strings.Count(logged, "Connected to the manager"); said != 1 {
		t.Fatalf("connected was logged %d times over %d polls, want once:\n%s", said, fake.count(), logged)
	}
	if !strings.HasPrefix(logged, "sdk: Connected to the manager at 127.0.0.1:") ||
		!strings.HasSuffix(logged, ": serving legacy1\n") {
		t.Fatalf("logged %q, want the manager's address and the executor served", logged)
	}
}

// idle takes every registration and has no task ready.
type idle struct {
	pb.UnimplementedTaskExecutorManagerServer
}

func (idle) RegisterExecutor(context.Context, *pb.RegisterExecutorRequest) (*pb.RegisterExecutorResponse, error) {
	return &pb.RegisterExecutorResponse{}, nil
}

func (idle) GetNextTask(context.Context, *pb.GetNextTaskRequest) (*pb.GetNextTaskResponse, error) {
	return nil, status.Error(codes.NotFound, "No task is ready")
}

// A schema of white space alone is none, white space as the manager's trim (JavaScript's) has it:
// strings.TrimSpace, which the Runner trimmed with, keeps U+FEFF (a byte order mark alone was
// refused as not JSON text) and removes U+0085 (a schema of it alone was sent as none).
func TestARunnerReadsABlankSchemaAsTheManagersTrimDoes(t *testing.T) {
	for schema, none := range map[string]bool{
		"":              true,
		" \t\r\n":       true,
		"\ufeff":        true,
		"\u00a0\u3000":  true,
		"\u0085":        false,
		" \u0085\u200b": false,
	} {
		listener, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		server := grpc.NewServer()
		pb.RegisterTaskExecutorManagerServer(server, idle{})
		go func() { _ = server.Serve(listener) }()
		bodies := make(chan string, 1)
		rest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var body strings.Builder
			_, _ = io.Copy(&body, r.Body)
			select {
			case bodies <- body.String():
			default:
			}
			w.Header().Set("content-type", "application/json")
			_, _ = w.Write([]byte("{}"))
		}))
		ctx, stop := context.WithCancel(context.Background())
		runner := sdk.NewRunner()
		runner.RegisterProcessor("blank_schema", &processor{schema: schema})
		ran := make(chan error, 1)
		go func() {
			ran <- runner.Run(ctx, sdk.Options{GRPCAddress: listener.Addr().String(), URL: rest.URL,
				Logger: log.New(io.Discard, "", 0)})
		}()
		var runErr error
		var sent string
		returned := false
		select {
		case sent = <-bodies:
		case runErr = <-ran:
			returned = true
		case <-time.After(time.Minute):
			t.Fatalf("schema %+q: gave up waiting for the registration", schema)
		}
		stop()
		if !returned {
			runErr = <-ran
		}
		switch {
		case none && (returned || sent != `{"taskSchema":null}`):
			t.Errorf("schema %+q: sent %q, Run: %v; want it sent as none", schema, sent, runErr)
		case !none && (runErr == nil || !strings.Contains(runErr.Error(), "is not JSON text")):
			t.Errorf("schema %+q: sent %q, Run: %v; want it refused as not JSON text", schema, sent, runErr)
		}
		rest.Close()
		server.Stop()
	}
}
