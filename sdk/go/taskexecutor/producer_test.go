package taskexecutor_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"tasks-executor/sdk/go/taskexecutor"
	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// callsOf is the manager's count of ended gRPC calls of a TaskExecutorManagerService method, with
// status code (e.g. "OK"; "" = any).
func callsOf(t *testing.T, method, code string) int {
	t.Helper()
	response, err := http.Get(manager.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	calls := 0
	want := `method="/taskexecutor.v1.TaskExecutorManagerService/` + method + `"`
	for scanner := bufio.NewScanner(response.Body); scanner.Scan(); {
		line := scanner.Text()
		if !strings.HasPrefix(line, "tasks_executor_grpc_requests_total{") || !strings.Contains(line, want) ||
			(code != "" && !strings.Contains(line, `code="`+code+`"`)) {
			continue
		}
		n, err := strconv.Atoi(line[strings.LastIndex(line, " ")+1:])
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		calls += n
	}
	return calls
}

// watchers is the manager's count of waits open (tasks_executor_task_watchers).
func watchers(t *testing.T) int {
	t.Helper()
	response, err := http.Get(manager.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	for scanner := bufio.NewScanner(response.Body); scanner.Scan(); {
		if value, found := strings.CutPrefix(scanner.Text(), "tasks_executor_task_watchers "); found {
			n, err := strconv.Atoi(value)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	return 0
}

// outcome is what a CreateAndWait run in the background returned.
type outcome struct {
	task *taskexecutor.Task
	err  error
}

// createAndWaitOpen registers an executor named prefix plus a number of its own (a task of an
// earlier run, -count=2, is not this one's), starts a CreateAndWait of one of its tasks, which no
// worker serves, and returns once the manager made the task and its answer as created reached the
// client: a create on the same stream made after the task was stored is answered after it (the
// store acknowledges writes in their order, as SQLite's syncs do). The outcome arrives on the
// channel.
func createAndWaitOpen(t *testing.T, ctx context.Context, client *taskexecutor.Client, prefix string) (*taskexecutor.Task, <-chan outcome) {
	t.Helper()
	executor := fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano())
	if err := client.RegisterExecutor(ctx, executor, taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	waited := make(chan outcome, 1)
	go func() {
		task, err := client.CreateAndWait(ctx, taskexecutor.NewTask{ExecutorName: executor})
		waited <- outcome{task, err}
	}()
	var tasks []*taskexecutor.Task
	for len(tasks) == 0 {
		var err error
		if tasks, _, err = client.ListTasks(ctx, taskexecutor.TaskFilter{ExecutorName: executor}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	later := taskexecutor.NewTask{ExecutorName: executor, RunAt: time.Now().Add(time.Hour)}
	if _, err := client.CreateTask(ctx, later); err != nil {
		t.Fatal(err)
	}
	return tasks[0], waited
}

// produceThrough creates tasks, waits and fails as a user would through client, on an executor
// no worker serves (each task is made final by cancelling it).
func produceThrough(t *testing.T, client *taskexecutor.Client, executor string) {
	t.Helper()
	ctx := context.Background()
	if err := client.RegisterExecutor(ctx, executor, taskexecutor.ExecutorConfig{
		TaskSchema: []byte(`{"type":"object","properties":{"n":{"type":"integer"}}}`),
	}); err != nil {
		t.Fatal(err)
	}
	first, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: executor, Data: map[string]int{"n": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != taskexecutor.StatusPending || string(first.Data) != `{"n":1}` {
		t.Fatalf("created: %+v", first)
	}
	// Refused as CreateTask refuses, the field named.
	_, err = client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: executor, Data: map[string]string{"n": "x"}})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("bad data: %v", err)
	}
	if v := taskexecutor.FieldViolations(err); len(v) != 1 || v[0].Field != "/task/data/n" {
		t.Fatalf("violations: %+v", v)
	}
	if _, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "no_such_executor"}); status.Code(err) != codes.NotFound {
		t.Fatalf("unknown executor: %v", err)
	}
	// A wait: the task is cancelled through another call, and the wait answers it, final.
	if _, err := client.CancelTask(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	done, err := client.Wait(ctx, first.ID, first.ID)
	if err != nil || len(done) != 2 || done[0].Status != taskexecutor.StatusCancelled {
		t.Fatalf("wait: %v %+v", err, done)
	}
	if _, err := client.Wait(ctx, "no_such_task"); status.Code(err) != codes.NotFound {
		t.Fatalf("wait for an unknown id: %v", err)
	}
	// A create that waits, given up by its deadline: the task stays, its id known.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	created, err := client.CreateAndWait(short, taskexecutor.NewTask{ExecutorName: executor, Data: map[string]int{"n": 2}})
	if status.Code(err) != codes.DeadlineExceeded || created == nil {
		t.Fatalf("create and wait past its deadline: %v %+v", err, created)
	}
	if task, err := client.GetTask(ctx, created.ID); err != nil || task.Status != taskexecutor.StatusPending {
		t.Fatalf("the task left behind: %v %+v", err, task)
	}
	// Cancelled while the wait is open: answered final.
	go func() {
		time.Sleep(100 * time.Millisecond)
		_, _ = client.CancelTask(ctx, created.ID)
	}()
	waited, err := client.Wait(ctx, created.ID)
	if err != nil || waited[0].Status != taskexecutor.StatusCancelled {
		t.Fatalf("wait: %v %+v", err, waited)
	}
}

func TestCreateTaskCreateAndWaitAndWaitTravelOnOneProduceStreamAndFailAsTheirOwnCallsWould(t *testing.T) {
	relay := &managerRelay{}
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: startManagerRelay(t, relay)})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	produceThrough(t, client, "go_produce")
	for _, method := range []string{"CreateTask", "CreateAndWatchTask", "WatchTasks"} {
		if calls := relay.callsTo(method); calls != 0 {
			t.Errorf("%d %s calls of their own", calls, method)
		}
	}
	if streams := relay.callsTo("Produce"); streams != 1 {
		t.Errorf("%d Produce streams, want 1", streams)
	}
}

// managerRelay serves the manager service by relaying each call the client makes to the real
// manager, and counts them. With older set it serves it as a version without Produce would (failure
// nil: UNIMPLEMENTED), or with a Produce that answers every request with failure; refuse ends each
// Produce stream with that status before anything is sent (served: after its headers and a
// request); hold, until closed, holds back the
// real manager's answers on Produce.
type managerRelay struct {
	pb.UnimplementedTaskExecutorManagerServiceServer
	real    pb.TaskExecutorManagerServiceClient
	older   bool
	failure *pb.ProduceError
	refuse  error
	served  bool        // refuse after sending headers
	trailer metadata.MD // set before refusing
	hold    chan struct{}
	stall   bool // Produce sends its headers and reads nothing (with windows of 64 KiB)
	unstall chan struct{}
	mu      sync.Mutex
	calls   map[string]int // by method
	kinds   []string       // of the requests sent on Produce
	trace   []string       // the traceparent of each request sent on Produce that had one
	states  []string       // the tracestate of each request sent on Produce that had one
	runAts  []time.Time    // the runAt of each create sent, on Produce or as its own call
	bounds  []time.Time    // the four times of each ListTasks filter sent (unset: the epoch)
}

// note records a request sent on Produce.
func (m *managerRelay) note(request *pb.ProduceRequest) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch request.GetKind().(type) {
	case *pb.ProduceRequest_Create:
		m.kinds = append(m.kinds, "create")
		m.runAts = append(m.runAts, request.GetCreate().GetTask().GetRunAt().AsTime())
	case *pb.ProduceRequest_CreateAndWatch:
		m.kinds = append(m.kinds, "create_and_watch")
	case *pb.ProduceRequest_Watch:
		m.kinds = append(m.kinds, "watch")
	case *pb.ProduceRequest_Cancel:
		m.kinds = append(m.kinds, "cancel")
	}
	if request.GetTraceparent() != "" {
		m.trace = append(m.trace, request.GetTraceparent())
	}
	if request.GetTracestate() != "" {
		m.states = append(m.states, request.GetTracestate())
	}
}

// sent is what note recorded: the kinds of the requests sent on Produce, sorted, and their
// traceparents.
func (m *managerRelay) sent() ([]string, []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kinds := append([]string(nil), m.kinds...)
	sort.Strings(kinds)
	return kinds, append([]string(nil), m.trace...)
}

// startManagerRelay serves relay on a port of its own until the test ends; its address.
func startManagerRelay(t *testing.T, relay *managerRelay) string {
	t.Helper()
	conn, err := grpc.NewClient(manager.GRPCAddress, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	relay.real = pb.NewTaskExecutorManagerServiceClient(conn)
	relay.calls = map[string]int{}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// It takes what the manager might refuse, so that the manager is the one to refuse it.
	options := []grpc.ServerOption{grpc.MaxRecvMsgSize(64 << 20)}
	if relay.stall {
		options = append(options, grpc.InitialWindowSize(64<<10), grpc.InitialConnWindowSize(64<<10))
	}
	server := grpc.NewServer(options...)
	pb.RegisterTaskExecutorManagerServiceServer(server, relay)
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(func() {
		server.Stop()
		conn.Close()
	})
	return listener.Addr().String()
}

func (m *managerRelay) count(method string) {
	m.mu.Lock()
	m.calls[method]++
	m.mu.Unlock()
}

// callsTo is how many calls of method the relay saw.
func (m *managerRelay) callsTo(method string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[method]
}

func (m *managerRelay) Produce(stream grpc.BidiStreamingServer[pb.ProduceRequest, pb.ProduceResponse]) error {
	m.count("Produce")
	defer m.count("Produce ended")
	if m.stall {
		_ = stream.SendHeader(metadata.MD{})
		select {
		case <-stream.Context().Done():
			return nil
		case <-m.unstall: // the stall ends the stream (as a manager stopping would)
			return status.Error(codes.Unavailable, "The manager is stopping")
		}
	}
	if m.refuse != nil {
		if m.served {
			_ = stream.SendHeader(metadata.MD{})
			// Once the client's request is in: it may have been made.
			if _, err := stream.Recv(); err != nil {
				return err
			}
		}
		stream.SetTrailer(m.trailer)
		return m.refuse
	}
	if m.older && m.failure == nil {
		return status.Error(codes.Unimplemented, "unknown method Produce")
	}
	if m.older {
		for {
			request, err := stream.Recv()
			if err != nil {
				return nil
			}
			m.note(request)
			if err := stream.Send(&pb.ProduceResponse{RequestId: request.GetRequestId(), Kind: &pb.ProduceResponse_Error{Error: m.failure}, Done: true}); err != nil {
				return err
			}
		}
	}
	upstream, err := m.real.Produce(stream.Context())
	if err != nil {
		return err
	}
	go func() {
		for {
			request, err := stream.Recv()
			if err != nil {
				_ = upstream.CloseSend()
				return
			}
			m.note(request)
			if upstream.Send(request) != nil {
				return
			}
		}
	}()
	for {
		answer, err := upstream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if m.hold != nil {
			<-m.hold
		}
		if err := stream.Send(answer); err != nil {
			return err
		}
	}
}

func (m *managerRelay) CreateExecutor(ctx context.Context, r *pb.CreateExecutorRequest) (*pb.CreateExecutorResponse, error) {
	m.count("CreateExecutor")
	return m.real.CreateExecutor(ctx, r)
}
func (m *managerRelay) UpdateExecutor(ctx context.Context, r *pb.UpdateExecutorRequest) (*pb.UpdateExecutorResponse, error) {
	m.count("UpdateExecutor")
	return m.real.UpdateExecutor(ctx, r)
}
func (m *managerRelay) GetExecutor(ctx context.Context, r *pb.GetExecutorRequest) (*pb.GetExecutorResponse, error) {
	m.count("GetExecutor")
	return m.real.GetExecutor(ctx, r)
}
func (m *managerRelay) CreateTask(ctx context.Context, r *pb.CreateTaskRequest) (*pb.CreateTaskResponse, error) {
	m.count("CreateTask")
	m.mu.Lock()
	m.runAts = append(m.runAts, r.GetTask().GetRunAt().AsTime())
	m.mu.Unlock()
	return m.real.CreateTask(ctx, r)
}
func (m *managerRelay) ListTasks(ctx context.Context, r *pb.ListTasksRequest) (*pb.ListTasksResponse, error) {
	m.count("ListTasks")
	m.mu.Lock()
	for _, t := range []*timestamppb.Timestamp{r.GetCreatedAfter(), r.GetCreatedBefore(), r.GetFinishedAfter(), r.GetFinishedBefore()} {
		m.bounds = append(m.bounds, t.AsTime())
	}
	m.mu.Unlock()
	return m.real.ListTasks(ctx, r)
}
func (m *managerRelay) GetTask(ctx context.Context, r *pb.GetTaskRequest) (*pb.GetTaskResponse, error) {
	m.count("GetTask")
	return m.real.GetTask(ctx, r)
}
func (m *managerRelay) CancelTask(ctx context.Context, r *pb.CancelTaskRequest) (*pb.CancelTaskResponse, error) {
	m.count("CancelTask")
	return m.real.CancelTask(ctx, r)
}
func (m *managerRelay) WatchTasks(r *pb.WatchTasksRequest, stream grpc.ServerStreamingServer[pb.WatchTasksResponse]) error {
	m.count("WatchTasks")
	return relayStream(stream, func() (grpc.ServerStreamingClient[pb.WatchTasksResponse], error) {
		return m.real.WatchTasks(stream.Context(), r)
	})
}
func (m *managerRelay) CreateAndWatchTask(r *pb.CreateAndWatchTaskRequest, stream grpc.ServerStreamingServer[pb.CreateAndWatchTaskResponse]) error {
	m.count("CreateAndWatchTask")
	return relayStream(stream, func() (grpc.ServerStreamingClient[pb.CreateAndWatchTaskResponse], error) {
		return m.real.CreateAndWatchTask(stream.Context(), r)
	})
}

// relayStream sends what the real manager's stream sends, and ends as it ends.
func relayStream[T any](to grpc.ServerStreamingServer[T], open func() (grpc.ServerStreamingClient[T], error)) error {
	from, err := open()
	if err != nil {
		return err
	}
	for {
		message, err := from.Recv()
		if err != nil {
			if status.Code(err) == codes.OK || errors.Is(err, context.Canceled) {
				return nil
			}
			if s, ok := status.FromError(err); ok && s.Code() != codes.Unknown {
				return err
			}
			return nil
		}
		if err := to.Send(message); err != nil {
			return err
		}
	}
}

func TestAClientWhoseManagerDoesNotServeProduceOrAKindOfRequestOnItMakesEachRequestAsItsOwnCall(t *testing.T) {
	cases := map[string]*pb.ProduceError{
		"no Produce":                {},
		"UNIMPLEMENTED per request": {Code: int32(codes.Unimplemented), Message: "The request sets no kind this manager serves"},
		// What the first managers with Produce (2026-12-04) answered a kind they did not know.
		"INVALID_ARGUMENT per request": {Code: int32(codes.InvalidArgument), Message: "Message sets no known request: /kind Must be one of create"},
	}
	for name, failure := range cases {
		t.Run(name, func(t *testing.T) {
			if failure.GetCode() == 0 {
				failure = nil
			}
			relay := &managerRelay{older: true, failure: failure}
			client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: startManagerRelay(t, relay)})
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			produceThrough(t, client, "go_older")
			if kinds, _ := relay.sent(); failure != nil && strings.Join(kinds, ",") != "create,create_and_watch,watch" {
				t.Errorf("requests tried on the stream: %v (each kind once)", kinds)
			}
		})
	}
}

func TestACreateAndWaitOpenOnTheProduceStreamWhenItsConnectionDropsWatchesItsTaskAgainOverANewConnection(t *testing.T) {
	r := startRelay(t, manager.GRPCAddress)
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: r.address()})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	// The deadline guards against a hang; it does not time anything.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	task, waited := createAndWaitOpen(t, ctx, client, "go_produce_cut")
	r.cut()
	// The wait goes on over a new connection, and answers the task once final.
	direct, err := taskexecutor.NewClient(taskexecutor.Connection{Address: manager.GRPCAddress})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if _, err := direct.CancelTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	got := <-waited
	if got.err != nil || got.task.ID != task.ID || got.task.Status != taskexecutor.StatusCancelled {
		t.Fatalf("open when the connection dropped: %v %+v", got.err, got.task)
	}
	if r.connections() != 2 {
		t.Fatalf("%d connections, not 2", r.connections())
	}
}

func TestAClientEndsItsProduceStreamOnceNothingWasOpenOnItForFiveSecondsAndOpensAnotherForItsNextRequest(t *testing.T) {
	relay := &managerRelay{}
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: startManagerRelay(t, relay)})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	if err := client.RegisterExecutor(ctx, "go_produce_idle", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	create := func() {
		t.Helper()
		if _, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_produce_idle"}); err != nil {
			t.Fatal(err)
		}
	}
	create()
	create()
	if streams := relay.callsTo("Produce"); streams != 1 {
		t.Fatalf("%d streams for two creates in a row, want 1", streams)
	}
	// Ended by the client after 5 s with nothing open on it (the relay sees its end).
	for deadline := time.Now().Add(15 * time.Second); relay.callsTo("Produce ended") == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the idle stream was not ended")
		}
	}
	create()
	if streams := relay.callsTo("Produce"); streams != 2 {
		t.Errorf("%d streams, want 2: the first ended after 5 s idle", streams)
	}
	if calls := relay.callsTo("CreateTask"); calls != 0 {
		t.Errorf("%d creates as calls of their own", calls)
	}
}

// relayedClient is a client of a new relay to the real manager, with executor registered.
func relayedClient(t *testing.T, relay *managerRelay, executor string) *taskexecutor.Client {
	t.Helper()
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: startManagerRelay(t, relay)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if err := client.RegisterExecutor(context.Background(), executor, taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	return client
}

// Every task named is final when none is: a batch that came out empty was refused with
// INVALID_ARGUMENT, where the TypeScript SDK's waitForTasks([]) answers [].
func TestAWaitForNoTasksAnswersNoneAtOnceAndSendsNothing(t *testing.T) {
	relay := &managerRelay{}
	client := relayedClient(t, relay, "go_wait_none")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, ids := range [][]string{nil, {}} {
		tasks, err := client.Wait(ctx, ids...)
		if err != nil || tasks == nil || len(tasks) != 0 {
			t.Fatalf("a wait for %#v: %#v, %v; want an empty slice and no error", ids, tasks, err)
		}
	}
	if kinds, _ := relay.sent(); len(kinds) != 0 || relay.callsTo("Produce") != 0 || relay.callsTo("WatchTasks") != 0 {
		t.Errorf("sent %v, %d Produce and %d WatchTasks calls, want nothing", kinds,
			relay.callsTo("Produce"), relay.callsTo("WatchTasks"))
	}
}

func TestARequestTheStreamCannotCarryFailsAloneOrGoesAsItsOwnCallAndTheOthersOnItGoOn(t *testing.T) {
	relay := &managerRelay{}
	client := relayedClient(t, relay, "go_produce_alone")
	ctx := context.Background()
	pending, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_produce_alone"})
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan []*taskexecutor.Task, 1)
	go func() {
		tasks, err := client.Wait(ctx, pending.ID)
		if err != nil {
			t.Errorf("the wait beside them: %v", err)
		}
		waited <- tasks
	}()
	// More ids than a wait may name: refused before anything is sent (70,000 on the stream would
	// have ended it, with the wait beside them).
	many := make([]string, taskexecutor.MaxWaitIDs+1)
	for i := range many {
		many[i] = pending.ID
	}
	_, err = client.Wait(ctx, many...)
	if want := "taskexecutor: a wait: /taskIds: Must hold at most 1000 task ids, not 1001"; status.Code(err) != codes.InvalidArgument ||
		status.Convert(err).Message() != want || len(taskexecutor.FieldViolations(err)) != 1 {
		t.Errorf("a wait for %d ids: %v, want INVALID_ARGUMENT %q", len(many), err, want)
	}
	// Not protobuf (a string that is not UTF-8): refused alone, before anything is sent, naming it.
	if _, err := client.Wait(ctx, "bad\xff"); status.Code(err) != codes.InvalidArgument ||
		len(taskexecutor.FieldViolations(err)) != 1 || taskexecutor.FieldViolations(err)[0].Field != "/taskIds/0" {
		t.Errorf("a wait for a non-UTF-8 id: %v", err)
	}
	// Larger than the manager takes (MAX_REQUEST_BYTES, 4 MiB): its own call, refused alone.
	huge := strings.Repeat("x", 5<<20)
	if _, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_produce_alone", Data: huge}); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("a create of 5 MiB: %v", err)
	}
	// Metadata other than trace context goes with a call of its own; trace context rides along.
	custom := metadata.AppendToOutgoingContext(ctx, "x-request-source", "test")
	if _, err := client.CreateTask(custom, taskexecutor.NewTask{ExecutorName: "go_produce_alone"}); err != nil {
		t.Fatal(err)
	}
	const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	traced := metadata.AppendToOutgoingContext(ctx, "traceparent", traceparent)
	if _, err := client.CreateTask(traced, taskexecutor.NewTask{ExecutorName: "go_produce_alone"}); err != nil {
		t.Fatal(err)
	}
	if calls := relay.callsTo("CreateTask"); calls != 2 {
		t.Errorf("%d creates as their own calls, want 2 (the 5 MiB one, the one with metadata)", calls)
	}
	// An empty header is no header (as on a call of its own).
	empty := metadata.NewOutgoingContext(ctx, metadata.MD{"traceparent": nil})
	if _, err := client.CreateTask(empty, taskexecutor.NewTask{ExecutorName: "go_produce_alone"}); err != nil {
		t.Fatal(err)
	}
	if _, trace := relay.sent(); len(trace) != 1 || trace[0] != traceparent {
		t.Errorf("trace context sent on the stream: %v", trace)
	}
	// A manager set to take less (MAX_REQUEST_BYTES): a request over it goes as its own call.
	limited := &managerRelay{}
	small, err := taskexecutor.NewClient(taskexecutor.Connection{Address: startManagerRelay(t, limited), MaxRequestBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	if _, err := small.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_produce_alone", Data: strings.Repeat("y", 2000)}); err != nil {
		t.Fatal(err)
	}
	if _, err := small.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_produce_alone", Data: "z"}); err != nil {
		t.Fatal(err)
	}
	if kinds, _ := limited.sent(); limited.callsTo("CreateTask") != 1 || strings.Join(kinds, ",") != "create" {
		t.Errorf("with MaxRequestBytes 1000: %d own calls and %v on the stream, want 1 and the small create", limited.callsTo("CreateTask"), kinds)
	}
	// The wait beside them is still open, and answers its task once final.
	if _, err := client.CancelTask(ctx, pending.ID); err != nil {
		t.Fatal(err)
	}
	if tasks := <-waited; len(tasks) != 1 || tasks[0].Status != taskexecutor.StatusCancelled {
		t.Errorf("the wait beside them: %+v", tasks)
	}
	if streams := relay.callsTo("Produce"); streams != 1 {
		t.Errorf("%d streams, want 1", streams)
	}
}

func TestEveryRequestIsBoundedByItsCtxWhileTheConnectionComesUpAndCloseFailsOpenOnesWithCancelled(t *testing.T) {
	// A server that accepts connections and never answers: the stream never opens.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan error, 2)
	for _, timeout := range []time.Duration{500 * time.Millisecond, 300 * time.Millisecond} {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			_, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_produce_bounded"})
			results <- err
		}()
	}
	for range 2 {
		select {
		case err := <-results:
			if status.Code(err) != codes.DeadlineExceeded {
				t.Errorf("a create past its deadline: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a create outlived its ctx by 10 s")
		}
	}
	client.Close()

	// Close during an open request (a wait on the real manager): CANCELLED.
	relay := &managerRelay{}
	open := relayedClient(t, relay, "go_produce_close")
	task, err := open.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_produce_close"})
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		_, err := open.Wait(context.Background(), task.ID)
		waited <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if kinds, _ := relay.sent(); strings.Contains(strings.Join(kinds, ","), "watch") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the wait was not sent")
		}
	}
	open.Close()
	if err := <-waited; status.Code(err) != codes.Canceled {
		t.Errorf("a wait open when the client closed: %v", err)
	}
}

func TestAWaitGivenUpByItsCtxIsCancelledOnTheManagerAndAStreamRefusedAsItOpensFailsEachRequestAsItsOwnCall(t *testing.T) {
	relay := &managerRelay{}
	client := relayedClient(t, relay, "go_produce_cancel")
	task, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_produce_cancel"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := client.Wait(ctx, task.ID); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("a wait past its deadline: %v", err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if kinds, _ := relay.sent(); strings.Join(kinds, ",") == "cancel,create,watch" {
			break
		}
		if time.Now().After(deadline) {
			kinds, _ := relay.sent()
			t.Fatalf("sent on the stream: %v, want a cancel after the wait", kinds)
		}
	}

	// Refused before its headers (the key, the caps): nothing ran, and the error is the call's own.
	refused := &managerRelay{refuse: status.Error(codes.PermissionDenied, "Key k may not create tasks")}
	other := relayedClient(t, refused, "go_produce_refused")
	if _, err := other.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_produce_refused"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a create on a refused stream: %v", err)
	}
	// Ended after its headers: the create may have been made, and says so.
	ended := &managerRelay{refuse: status.Error(codes.PermissionDenied, "Key k was revoked"), served: true}
	late := relayedClient(t, ended, "go_produce_refused")
	if _, err := late.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_produce_refused"}); status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "may have been made") {
		t.Errorf("a create on a stream ended after it was served: %v", err)
	}
	// Ended by a stopping manager whose trailer says what it did not answer was not run: the
	// error is the stream's status, as a refused call's (nothing was made).
	stopping := &managerRelay{
		refuse:  status.Error(codes.Unavailable, "The manager is stopping: the requests this stream did not answer were not run; send them again"),
		served:  true,
		trailer: metadata.Pairs("tasks-executor-not-run", "true"),
	}
	notRun := relayedClient(t, stopping, "go_produce_refused")
	_, err = notRun.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_produce_refused"})
	if status.Code(err) != codes.Unavailable || strings.Contains(err.Error(), "may have been made") || !strings.Contains(err.Error(), "were not run") {
		t.Errorf("a create on a stream a stopping manager ended, saying it was not run: %v", err)
	}
}

func TestARequestMadeWhileAThousandAreOpenOnTheStreamGoesAsItsOwnCall(t *testing.T) {
	relay := &managerRelay{hold: make(chan struct{})}
	client := relayedClient(t, relay, "go_produce_cap")
	results := make(chan error, 1001)
	for range 1001 {
		go func() {
			_, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_produce_cap"})
			results <- err
		}()
	}
	// The relay holds the answers: 1,000 are open on the stream, the one past them is a call.
	for deadline := time.Now().Add(30 * time.Second); relay.callsTo("CreateTask") == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no create went as its own call")
		}
	}
	close(relay.hold)
	for range 1001 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if calls := relay.callsTo("CreateTask"); calls != 1 {
		t.Errorf("%d creates as their own calls, want 1", calls)
	}
}

// gate holds the connections it accepts until released, then pipes them to target.
func gate(t *testing.T, target string) (address string, release func()) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := make(chan struct{})
	t.Cleanup(func() { listener.Close() })
	go func() {
		for {
			client, err := listener.Accept()
			if err != nil {
				return
			}
			go func() {
				<-open
				server, err := net.Dial("tcp", target)
				if err != nil {
					client.Close()
					return
				}
				go func() { _, _ = io.Copy(server, client); server.Close() }()
				_, _ = io.Copy(client, server)
				client.Close()
			}()
		}
	}()
	return listener.Addr().String(), sync.OnceFunc(func() { close(open) })
}

func TestACreateGivenUpWhileTheConnectionCameUpIsNeverSentAndOneHeldByFlowControlReturnsWithItsCtx(t *testing.T) {
	relay := &managerRelay{}
	address, release := gate(t, startManagerRelay(t, relay))
	defer release()
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: address})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_produce_gate"}); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("a create while the connection comes up: %v", err)
	}
	release()
	if err := client.RegisterExecutor(context.Background(), "go_produce_gate", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_produce_gate"}); err != nil {
		t.Fatal(err)
	}
	if kinds, _ := relay.sent(); strings.Join(kinds, ",") != "create" {
		t.Errorf("sent on the stream: %v, want the second create alone", kinds)
	}

	// A stream whose manager reads nothing: the first create fills its window, and every request
	// after it still returns when its ctx ends.
	stalled := &managerRelay{stall: true}
	held, err := taskexecutor.NewClient(taskexecutor.Connection{Address: startManagerRelay(t, stalled)})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	for i, data := range []any{strings.Repeat("x", 1<<20), "small"} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		started := time.Now()
		_, err := held.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_produce_held", Data: data})
		cancel()
		if status.Code(err) != codes.DeadlineExceeded || time.Since(started) > 5*time.Second {
			t.Errorf("create %d on a stream held by flow control: %v after %v", i, err, time.Since(started))
		}
	}
}

func TestARequestStillQueuedWhenTheStreamEndsGoesAsItsOwnCallAndOneSentFailsWithUnavailable(t *testing.T) {
	relay := &managerRelay{stall: true, unstall: make(chan struct{})}
	client := relayedClient(t, relay, "go_produce_queued")
	create := func(data any) <-chan error {
		done := make(chan error, 1)
		go func() {
			_, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_produce_queued", Data: data})
			done <- err
		}()
		time.Sleep(200 * time.Millisecond)
		return done
	}
	// The relay reads nothing: the first create (1 MB) is sent and takes the stream's window, the
	// writer then waits to send the second, and the third stays in the client's queue.
	first := create(strings.Repeat("x", 1<<20))
	second := create("second")
	third := create("third")
	close(relay.unstall)
	if err := <-first; status.Code(err) != codes.Unavailable {
		t.Errorf("the create sent when the stream ended: %v", err)
	}
	<-second // being sent when the stream ended: UNAVAILABLE, or its own call
	if err := <-third; err != nil {
		t.Errorf("the create still queued: %v (it should have gone as its own call)", err)
	}
	if calls := relay.callsTo("CreateTask"); calls < 1 {
		t.Errorf("%d creates as their own calls, want the queued one at least", calls)
	}
}

// A count past an int32 goes as the most an int32 holds, which the manager refuses naming the
// field: it wrapped around, and 2^32 + 3 attempts were stored as 3.
func TestACountPastWhatTheWireHoldsIsRefusedByTheManagerNotWrappedAround(t *testing.T) {
	if strconv.IntSize == 32 {
		t.Skip("an int holds no more than the wire here")
	}
	var wide int64 = 1<<32 + 3
	client := newClient(t)
	err := client.RegisterExecutor(context.Background(), "go_wide_count", taskexecutor.ExecutorConfig{
		RetryPolicy: &taskexecutor.RetryPolicy{Type: taskexecutor.RetryConstant, MaxAttempts: int(wide)}})
	if v := taskexecutor.FieldViolations(err); len(v) != 1 || v[0].Field != "/config/retryPolicy/maxAttempts" {
		t.Fatalf("registering 2^32 + 3 attempts: %v", err)
	}
	_, err = client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_wide_count",
		Priority: int(-wide)})
	if v := taskexecutor.FieldViolations(err); len(v) != 1 || v[0].Field != "/task/priority" {
		t.Fatalf("creating a task of priority -(2^32 + 3): %v", err)
	}
}
