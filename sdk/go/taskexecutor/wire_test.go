package taskexecutor_test

// The worker against a manager that misbehaves on the work stream (a buggy, older or newer one,
// or a man in the middle on plaintext): a scripted fake serving Work alone, independent of the
// test manager. Whatever the manager sends, the worker runs at most its concurrency and runs a
// lease once.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"tasks-executor/sdk/go/taskexecutor"
	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// fakeManager serves Work: script writes to each stream; what the worker sends is kept, and each
// results message is acknowledged, accepting every result, as the manager does (unless noAcks).
// It also finds every executor the worker registers as it reconnects.
type fakeManager struct {
	pb.UnimplementedTaskExecutorServiceServer
	script func(send func(*pb.WorkResponse))
	noAcks bool
	// endAfter ends the first stream once that many results came on it (0: never).
	endAfter int
	// endAtOnce ends each stream once script has written to it; with end, when set, as status.
	endAtOnce bool
	end       error
	// endFirstAtOnce ends the first stream alone once script has written to it.
	endFirstAtOnce bool

	mu       sync.Mutex
	streams  int
	send     func(*pb.WorkResponse) // writes to the latest stream
	requests []*pb.WorkRequest
	streamOf []int // the stream each request came on, from 1
}

type fakeRegistry struct {
	pb.UnimplementedTaskExecutorManagerServiceServer
}

func (fakeRegistry) GetExecutor(_ context.Context, request *pb.GetExecutorRequest) (*pb.GetExecutorResponse, error) {
	return &pb.GetExecutorResponse{Executor: &pb.Executor{Name: request.GetId()}}, nil
}

// startFakeManager serves fake, with fakeRegistry, until the test ends; it returns its address.
func startFakeManager(t *testing.T, fake *fakeManager) string {
	t.Helper()
	return startFakeManagerWith(t, fake, fakeRegistry{})
}

// startFakeManagerWith is startFakeManager with registry answering the worker's registrations.
func startFakeManagerWith(t *testing.T, fake *fakeManager, registry pb.TaskExecutorManagerServiceServer) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	pb.RegisterTaskExecutorServiceServer(server, fake)
	pb.RegisterTaskExecutorManagerServiceServer(server, registry)
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(server.Stop)
	return listener.Addr().String()
}

func (f *fakeManager) Work(stream grpc.BidiStreamingServer[pb.WorkRequest, pb.WorkResponse]) error {
	var mu sync.Mutex
	send := func(message *pb.WorkResponse) {
		mu.Lock()
		defer mu.Unlock()
		_ = stream.Send(message)
	}
	f.mu.Lock()
	f.streams++
	n := f.streams
	f.send = send
	f.mu.Unlock()
	f.script(send)
	if f.endAtOnce && f.end != nil {
		return f.end
	}
	if f.endAtOnce || f.endFirstAtOnce && n == 1 {
		return status.Error(codes.Unavailable, "the fake ends the stream")
	}
	results := 0
	for {
		request, err := stream.Recv()
		if err != nil {
			return nil
		}
		f.mu.Lock()
		f.requests = append(f.requests, request)
		f.streamOf = append(f.streamOf, n)
		f.mu.Unlock()
		results += len(request.GetResults().GetResults())
		if n == 1 && f.endAfter > 0 && results >= f.endAfter {
			return status.Error(codes.Unavailable, "the fake ends the stream")
		}
		if request.GetResults() != nil && !f.noAcks {
			acks := make([]*pb.ResultAck, len(request.GetResults().GetResults()))
			for i, result := range request.GetResults().GetResults() {
				acks[i] = &pb.ResultAck{TaskId: result.GetTaskId(), Accepted: true}
			}
			send(&pb.WorkResponse{Kind: &pb.WorkResponse_Acks{Acks: &pb.ResultAcks{Acks: acks}}})
		}
	}
}

// sendToWorker writes message to the latest stream.
func (f *fakeManager) sendToWorker(message *pb.WorkResponse) {
	f.mu.Lock()
	send := f.send
	f.mu.Unlock()
	send(message)
}

// resultsOn is every result the worker sent on stream n (from 1).
func (f *fakeManager) resultsOn(n int) []*pb.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	var results []*pb.Result
	for i, request := range f.requests {
		if f.streamOf[i] == n {
			results = append(results, request.GetResults().GetResults()...)
		}
	}
	return results
}

// results is every result the worker sent.
func (f *fakeManager) results() []*pb.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	var results []*pb.Result
	for _, request := range f.requests {
		results = append(results, request.GetResults().GetResults()...)
	}
	return results
}

// credits is the sum of the credits the worker granted.
func (f *fakeManager) credits() int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var sum int32
	for _, request := range f.requests {
		sum += request.GetCredit().GetCredits()
	}
	return sum
}

var fakeWelcome = &pb.WorkResponse{Kind: &pb.WorkResponse_Welcome{Welcome: &pb.Welcome{
	ManagerId: "fake", KeepaliveInterval: durationpb.New(10 * time.Second)}}}

var fakeLeases atomic.Int32

// lease is an assignment of a new task of executor, its lease a minute long.
func lease(executor string) *pb.Assignment {
	n := fakeLeases.Add(1)
	return &pb.Assignment{
		TaskId: fmt.Sprintf("task%d", n), ExecutorName: executor, DataJson: "{}", Attempt: 1, MaxAttempts: 3,
		LeaseToken: fmt.Sprintf("lease%d", n), LeaseExpiresAt: timestamppb.New(time.Now().Add(time.Minute)),
		CreatedAt: timestamppb.Now(),
	}
}

// unservedLeases is one message of count leases of an executor no worker serves: each is answered
// with a failed result, at once.
func unservedLeases(count int) *pb.WorkResponse {
	tasks := make([]*pb.Assignment, count)
	for i := range tasks {
		tasks[i] = lease("unserved")
	}
	return assignments(tasks...)
}

func assignments(tasks ...*pb.Assignment) *pb.WorkResponse {
	return &pb.WorkResponse{Kind: &pb.WorkResponse_Assignments{Assignments: &pb.Assignments{Tasks: tasks}}}
}

// leasedAgain is first's task leased again: the same assignment under another lease token.
func leasedAgain(first *pb.Assignment) *pb.Assignment {
	again := proto.Clone(first).(*pb.Assignment)
	again.LeaseToken += "-again"
	return again
}

// leasingTwice is a fake that welcomes the worker and leases first, then, pause later, again.
func leasingTwice(first, again *pb.Assignment, pause time.Duration) *fakeManager {
	return &fakeManager{script: func(send func(*pb.WorkResponse)) {
		send(fakeWelcome)
		send(assignments(first))
		time.Sleep(pause)
		send(assignments(again))
	}}
}

// warnings keeps the messages of a worker's warnings and errors, and of its info lines too with
// infoToo.
type warnings struct {
	infoToo bool
	mu      sync.Mutex
	lines   []string
	errors  []string // each warning's "error" attribute, when it has one
}

func (w *warnings) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn || (w.infoToo && level >= slog.LevelInfo)
}
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }
func (w *warnings) Handle(_ context.Context, record slog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = append(w.lines, record.Message)
	record.Attrs(func(attr slog.Attr) bool {
		if attr.Key == "error" {
			w.errors = append(w.errors, attr.Value.String())
		}
		return true
	})
	return nil
}

// errorsText is the "error" attributes of the warnings, one a line.
func (w *warnings) errorsText() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.errors, "\n")
}

func (w *warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

// runFakeWorker runs a worker of executors against the fake at address until the test ends; it
// logs its warnings to log.
func runFakeWorker(t *testing.T, address string, log *warnings, executors ...taskexecutor.Executor) {
	t.Helper()
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: address}, Executors: executors,
		SkipRegistration: true, IgnoreSignals: true, Logger: slog.New(log),
	})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, worker)
}

// runToRefusal runs worker, which the manager refuses for good, and returns what Run returned. A
// worker that reconnected without end instead would return nil, once its 10 s context ended.
func runToRefusal(t *testing.T, worker *taskexecutor.Worker) error {
	t.Helper()
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	ran := make(chan error, 1)
	go func() { ran <- worker.Run(ctx) }()
	return within(t, "Run to return", ran)
}

// eventually fails the test when check does not hold within ten seconds.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	eventuallyWithin(t, 10*time.Second, what, check)
}

// eventuallyWithin is eventually with a deadline of its own, for a wait whose length depends on
// the machine's speed (thousands of messages under -race on a busy machine).
func eventuallyWithin(t *testing.T, limit time.Duration, what string, check func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !check(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
	}
}

func TestAWorkerSentMoreLeasesThanItsCreditsRunsItsConcurrencyAndGivesTheRestBackUnstarted(t *testing.T) {
	tasks := make([]*pb.Assignment, 20)
	for i := range tasks {
		tasks[i] = lease("crowded")
	}
	fake := &fakeManager{script: func(send func(*pb.WorkResponse)) {
		send(fakeWelcome)
		send(assignments(tasks...))
	}}
	address := startFakeManager(t, fake)
	var running, most atomic.Int32
	release := make(chan struct{})
	runFakeWorker(t, address, &warnings{}, taskexecutor.Executor{Name: "crowded", Concurrency: 2,
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			now := running.Add(1)
			for seen := most.Load(); now > seen && !most.CompareAndSwap(seen, now); seen = most.Load() {
			}
			<-release
			running.Add(-1)
			return "done", nil
		}})
	// Both handlers started, and the rest given back: the 18 may be sent before the second
	// handler's goroutine has run.
	eventually(t, "the leases past the concurrency are given back", func() bool {
		return (len(fake.results()) >= 18 && running.Load() == 2) || running.Load() > 2
	})
	close(release)
	if got := most.Load(); got != 2 {
		t.Fatalf("%d handlers ran at once, want 2 (the concurrency)", got)
	}
	eventually(t, "the two that ran report", func() bool { return len(fake.results()) == 20 })
	givenBack := 0
	for _, result := range fake.results() {
		if !result.GetOk() {
			givenBack++
			if !result.GetRateLimited() || !result.GetRetryable() ||
				!strings.Contains(result.GetError(), `runs 2 tasks of executor "crowded" already`) {
				t.Fatalf("given back as %+v, want a rate-limited attempt", result)
			}
		}
	}
	if givenBack != 18 {
		t.Fatalf("%d given back, want 18", givenBack)
	}
	// The first grant, then one per attempt that ran: the worker never owes more than 2.
	eventually(t, "the credits freed are granted", func() bool { return fake.credits() >= 4 })
	time.Sleep(50 * time.Millisecond)
	if got := fake.credits(); got != 4 {
		t.Fatalf("the worker granted %d credits in all, want 4", got)
	}
}

func TestAWorkerSentALeaseItRunsAlreadyRunsItOnceAndReportsItOnce(t *testing.T) {
	twice := lease("once")
	fake := &fakeManager{script: func(send func(*pb.WorkResponse)) {
		send(fakeWelcome)
		send(assignments(twice, twice))
		send(assignments(twice))
	}}
	address := startFakeManager(t, fake)
	var started atomic.Int32
	runFakeWorker(t, address, &warnings{}, taskexecutor.Executor{Name: "once", Concurrency: 4,
		Handler: func(ctx context.Context, _ *taskexecutor.Assignment) (any, error) {
			started.Add(1)
			time.Sleep(100 * time.Millisecond)
			return "done", context.Cause(ctx)
		}})
	eventually(t, "the attempt reports", func() bool { return len(fake.results()) > 0 })
	time.Sleep(100 * time.Millisecond)
	if got := started.Load(); got != 1 {
		t.Fatalf("the lease ran %d times, want once", got)
	}
	if results := fake.results(); len(results) != 1 || !results[0].GetOk() {
		t.Fatalf("results %v, want one, ok", results)
	}
}

func TestAWelcomeNamingAKeepaliveIntervalOfAHundredYearsKeepsTheStream(t *testing.T) {
	fake := &fakeManager{script: func(send func(*pb.WorkResponse)) {
		send(&pb.WorkResponse{Kind: &pb.WorkResponse_Welcome{Welcome: &pb.Welcome{
			ManagerId: "fake", KeepaliveInterval: durationpb.New(100 * 365 * 24 * time.Hour)}}})
	}}
	address := startFakeManager(t, fake)
	log := &warnings{}
	runFakeWorker(t, address, log, taskexecutor.Executor{Name: "quiet",
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }})
	time.Sleep(500 * time.Millisecond) // five of the worker's checks
	if lines := log.String(); lines != "" {
		t.Fatalf("the worker warned:\n%s", lines)
	}
}

func TestAWorkerWhoseManagerReadsNothingGivesUpTheStreamInsteadOfWaitingWithoutEnd(t *testing.T) {
	unblock := make(chan struct{})
	var streams atomic.Int32
	fake := &fakeManager{script: func(send func(*pb.WorkResponse)) {
		send(&pb.WorkResponse{Kind: &pb.WorkResponse_Welcome{Welcome: &pb.Welcome{
			ManagerId: "fake", KeepaliveInterval: durationpb.New(100 * time.Millisecond)}}})
		if streams.Add(1) > 1 {
			return
		}
		// Leases of an executor the worker does not serve: a result each, more than HTTP/2 flow
		// control lets through while nothing is read.
		for range 20 {
			send(unservedLeases(1000))
		}
		<-unblock
	}}
	address := startFakeManager(t, fake)
	log := &warnings{}
	runFakeWorker(t, address, log, taskexecutor.Executor{Name: "served",
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }})
	t.Cleanup(func() { close(unblock) })
	// Its sends wait 3 keepalive intervals, as a silent stream does; they waited without end, and
	// with them the worker's drain (Run did not return once its context ended).
	eventually(t, "the worker gives up the stream", func() bool {
		return strings.Contains(log.String(), "Lost the work stream to the manager")
	})
	// Said by the send that was given up: its stream's receiving side ends with the stream's
	// context and says nothing, so before a welcome (no keepalive to notice) nothing else would.
	if why := log.errorsText(); !strings.Contains(why, "a send waited 300ms for the manager to read") {
		t.Fatalf("the loss does not say the send was given up: %q", why)
	}
}

func TestAWorkerWhoseResultsAreNeverAcknowledgedKeepsTenThousandOfThemAtMost(t *testing.T) {
	var streams atomic.Int32
	fake := &fakeManager{noAcks: true, endAfter: 12_000, script: func(send func(*pb.WorkResponse)) {
		send(fakeWelcome)
		if streams.Add(1) > 1 {
			return
		}
		// Leases of an executor the worker does not serve: a result each, at once.
		for range 12 {
			send(unservedLeases(1000))
		}
	}}
	address := startFakeManager(t, fake)
	runFakeWorker(t, address, &warnings{}, taskexecutor.Executor{Name: "served",
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }})
	// The first stream ends once its 12,000 results came: the second carries those the worker
	// kept, sent again, as it sends every result not acknowledged when a stream ends.
	// The wait is for the count, not a fixed time: under -race on a busy machine 10,000 results
	// take more than a few hundred milliseconds to come.
	eventuallyWithin(t, time.Minute, "the results kept are sent again",
		func() bool { return len(fake.resultsOn(2)) >= 10_000 })
	time.Sleep(100 * time.Millisecond) // none past the 10,000th
	if got := len(fake.resultsOn(2)); got != 10_000 {
		t.Fatalf("%d results sent again, want the latest 10,000", got)
	}
	if first := fake.resultsOn(2)[0].GetTaskId(); first != fake.resultsOn(1)[2_000].GetTaskId() {
		t.Fatalf("the first sent again is %s, want the 2,001st sent (the oldest are forgotten)", first)
	}
}

func TestAWorkerWarnsOfARefusalOfAResultItSentAndOfNoneOfAResultItNeverSent(t *testing.T) {
	sent := lease("refused")
	fake := &fakeManager{noAcks: true, script: func(send func(*pb.WorkResponse)) {
		send(fakeWelcome)
		send(assignments(sent))
	}}
	address := startFakeManager(t, fake)
	log := &warnings{}
	runFakeWorker(t, address, log, taskexecutor.Executor{Name: "refused",
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }})
	eventually(t, "the result is sent", func() bool { return len(fake.results()) == 1 })
	acks := []*pb.ResultAck{{TaskId: sent.GetTaskId(), Error: "Refused"}}
	for i := range 1000 {
		acks = append(acks, &pb.ResultAck{TaskId: fmt.Sprintf("never%d", i), Error: "Refused"})
	}
	fake.sendToWorker(&pb.WorkResponse{Kind: &pb.WorkResponse_Acks{Acks: &pb.ResultAcks{Acks: acks}}})
	eventually(t, "the refusal is logged", func() bool { return log.String() != "" })
	time.Sleep(100 * time.Millisecond)
	if lines := log.String(); lines != "Manager refused a result" {
		t.Fatalf("the worker warned:\n%s", lines)
	}
}

func TestAWorkerAtItsConcurrencySentANewLeaseOfATaskItRunsCancelsTheOldAttemptAndGivesTheNewLeaseBack(t *testing.T) {
	first := lease("relet")
	again := leasedAgain(first)
	fake := leasingTwice(first, again, 100*time.Millisecond)
	address := startFakeManager(t, fake)
	causes := make(chan error, 2)
	runFakeWorker(t, address, &warnings{}, taskexecutor.Executor{Name: "relet",
		Handler: func(ctx context.Context, _ *taskexecutor.Assignment) (any, error) {
			<-ctx.Done()
			causes <- context.Cause(ctx)
			return nil, context.Cause(ctx)
		}})
	if cause := within(t, "the old attempt's end", causes); !errors.Is(cause, taskexecutor.ErrLeaseLost) {
		t.Fatalf("the old attempt ended with %v, want ErrLeaseLost", cause)
	}
	eventually(t, "both leases are answered", func() bool { return len(fake.results()) == 2 })
	for _, result := range fake.results() {
		if result.GetLeaseToken() == again.GetLeaseToken() && !result.GetRateLimited() {
			t.Fatalf("the new lease was answered %+v, want given back", result)
		}
	}
}

func TestAWorkerKeepsTheResultsOfTwoAttemptsOfATaskBothWaitingForAnAckAndSendsBothAgain(t *testing.T) {
	// The task leased again to the worker (its old lease expired): the new attempt reports at
	// once, the old one 200 ms after its cancel. Neither is acknowledged; the stream ends after
	// both came, and the next must carry both again.
	first := lease("twice")
	again := leasedAgain(first)
	var streams atomic.Int32
	fake := &fakeManager{noAcks: true, endAfter: 2, script: func(send func(*pb.WorkResponse)) {
		send(fakeWelcome)
		if streams.Add(1) > 1 {
			return
		}
		send(assignments(first))
		time.Sleep(100 * time.Millisecond)
		send(assignments(again))
	}}
	address := startFakeManager(t, fake)
	var calls atomic.Int32
	runFakeWorker(t, address, &warnings{}, taskexecutor.Executor{Name: "twice", Concurrency: 2,
		Handler: func(ctx context.Context, _ *taskexecutor.Assignment) (any, error) {
			if calls.Add(1) > 1 {
				return "new", nil
			}
			<-ctx.Done()
			time.Sleep(200 * time.Millisecond)
			return nil, context.Cause(ctx)
		}})
	sent := func(n int) []string {
		var leases []string
		for _, result := range fake.resultsOn(n) {
			leases = append(leases, fmt.Sprintf("%s ok=%v", result.GetLeaseToken(), result.GetOk()))
		}
		slices.Sort(leases)
		return leases
	}
	want := []string{again.GetLeaseToken() + " ok=true", first.GetLeaseToken() + " ok=false"}
	slices.Sort(want)
	eventually(t, "both results are sent", func() bool { return len(fake.resultsOn(1)) == 2 })
	eventually(t, "results are sent again", func() bool { return len(fake.resultsOn(2)) > 0 })
	time.Sleep(200 * time.Millisecond)
	if got := sent(2); !slices.Equal(got, want) {
		t.Fatalf("sent again: %v, want %v", got, want)
	}
}

func TestAWorkerLogsAStreamsWelcomeOnceHoweverManyTheManagerSends(t *testing.T) {
	fake := &fakeManager{script: func(send func(*pb.WorkResponse)) {
		for range 1000 {
			send(fakeWelcome)
		}
		send(assignments(lease("welcomed")))
	}}
	address := startFakeManager(t, fake)
	log := &warnings{infoToo: true}
	runFakeWorker(t, address, log, taskexecutor.Executor{Name: "welcomed",
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }})
	eventually(t, "the task after the welcomes reports", func() bool { return len(fake.results()) > 0 })
	if lines := log.String(); lines != "Connected to the manager" {
		t.Fatalf("the worker logged:\n%.300s", lines)
	}
}

func TestAWorkerLogsACancellationOfAnAttemptOnceHoweverManyTimesTheManagerSendsIt(t *testing.T) {
	cancelled := lease("cancelled")
	fake := &fakeManager{script: func(send func(*pb.WorkResponse)) {
		send(fakeWelcome)
		send(assignments(cancelled))
		time.Sleep(100 * time.Millisecond)
		tasks := make([]*pb.Cancellation, 1000)
		for i := range tasks {
			tasks[i] = &pb.Cancellation{TaskId: cancelled.GetTaskId(),
				Reason: pb.CancellationReason_CANCELLATION_REASON_CANCELLED}
		}
		send(&pb.WorkResponse{Kind: &pb.WorkResponse_Cancellations{
			Cancellations: &pb.Cancellations{Tasks: tasks}}})
	}}
	address := startFakeManager(t, fake)
	log := &warnings{infoToo: true}
	runFakeWorker(t, address, log, taskexecutor.Executor{Name: "cancelled",
		Handler: func(ctx context.Context, _ *taskexecutor.Assignment) (any, error) {
			<-ctx.Done()
			return nil, context.Cause(ctx)
		}})
	eventually(t, "the cancelled attempt reports", func() bool { return len(fake.results()) > 0 })
	if got := strings.Count(log.String(), "Manager asked to abort a task"); got != 1 {
		t.Fatalf("the cancellation was logged %d times, want once", got)
	}
}

func TestAWorkerWhoseResultsAreNeverAcknowledgedForgetsTheRefusalItExpectsOfACancelledAttemptWithItsResult(t *testing.T) {
	cancelled := lease("forgotten")
	again := leasedAgain(cancelled)
	again.Attempt = 2
	fake := &fakeManager{noAcks: true, script: func(send func(*pb.WorkResponse)) { send(fakeWelcome) }}
	address := startFakeManager(t, fake)
	log := &warnings{}
	started := make(chan struct{}, 1)
	runFakeWorker(t, address, log, taskexecutor.Executor{Name: "forgotten",
		Handler: func(ctx context.Context, task *taskexecutor.Assignment) (any, error) {
			if task.Attempt > 1 {
				return "done", nil
			}
			started <- struct{}{}
			<-ctx.Done()
			return nil, context.Cause(ctx)
		}})
	eventually(t, "the worker's first credit", func() bool { return fake.credits() > 0 })
	fake.sendToWorker(assignments(cancelled))
	within(t, "the attempt to start", started)
	fake.sendToWorker(&pb.WorkResponse{Kind: &pb.WorkResponse_Cancellations{Cancellations: &pb.Cancellations{
		Tasks: []*pb.Cancellation{{TaskId: cancelled.GetTaskId(),
			Reason: pb.CancellationReason_CANCELLATION_REASON_CANCELLED}}}}})
	eventually(t, "the cancelled attempt reports", func() bool { return len(fake.results()) == 1 })
	// 10,000 results sent after it: the worker forgets the cancelled attempt's result, never
	// acknowledged, and the refusal it expected of it with it. Kept, that expectation grew by one
	// per cancelled attempt for as long as the manager did not answer, and hid a later refusal.
	for range 10 {
		fake.sendToWorker(unservedLeases(1000))
	}
	eventually(t, "the 10,000 are sent", func() bool { return len(fake.results()) == 10_001 })
	fake.sendToWorker(assignments(again))
	eventually(t, "the next attempt reports", func() bool { return len(fake.results()) == 10_002 })
	fake.sendToWorker(&pb.WorkResponse{Kind: &pb.WorkResponse_Acks{Acks: &pb.ResultAcks{
		Acks: []*pb.ResultAck{{TaskId: again.GetTaskId(), Error: "Refused"}}}}})
	eventually(t, "the refusal of the next attempt's result is logged", func() bool {
		return log.String() == "Manager refused a result"
	})
}

func TestAWelcomeNamingAKeepaliveIntervalOfOneMillisecondCountsAsTheManagersLeastAndKeepsTheStream(t *testing.T) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	var keepalives atomic.Int32
	fake := &fakeManager{script: func(send func(*pb.WorkResponse)) {
		send(&pb.WorkResponse{Kind: &pb.WorkResponse_Welcome{Welcome: &pb.Welcome{
			ManagerId: "fake", KeepaliveInterval: durationpb.New(time.Millisecond)}}})
		// A keepalive every 20 ms: the manager writes far more often than the 100 ms a manager
		// may be set to at least, but not every millisecond.
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
					send(&pb.WorkResponse{Kind: &pb.WorkResponse_Keepalive{Keepalive: &pb.Keepalive{}}})
					keepalives.Add(1)
				}
			}
		}()
	}}
	address := startFakeManager(t, fake)
	log := &warnings{}
	runFakeWorker(t, address, log, taskexecutor.Executor{Name: "hurried",
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }})
	// The worker checks its stream every 100 ms: 30 keepalives span several checks. Each found
	// the stream silent for 3 ms (3 intervals of 1 ms) and opened it again, 10 times a second.
	eventually(t, "30 keepalives are sent", func() bool { return keepalives.Load() >= 30 })
	fake.mu.Lock()
	streams := fake.streams
	fake.mu.Unlock()
	if streams != 1 || log.String() != "" {
		t.Fatalf("the worker opened %d streams and warned:\n%s", streams, log.String())
	}
}

// outOfRange is a timestamp past protobuf's range (years 1 to 9999), which a time.Time holds as
// the year 804,969: time.Time's JSON refuses it, and a lease expiring then is 292 years long.
var outOfRange = &timestamppb.Timestamp{Seconds: 100 * 253_402_300_800}

func TestALeaseCreatedAtATimeOutsideProtobufsRangeGivesTheHandlerTheTimeItArrived(t *testing.T) {
	odd := lease("odd_created")
	odd.CreatedAt = outOfRange
	unset := lease("odd_created")
	unset.CreatedAt = nil
	fake := &fakeManager{script: func(send func(*pb.WorkResponse)) { send(fakeWelcome) }}
	address := startFakeManager(t, fake)
	runFakeWorker(t, address, &warnings{}, taskexecutor.Executor{Name: "odd_created", Concurrency: 2,
		Handler: func(_ context.Context, task *taskexecutor.Assignment) (any, error) {
			return task.CreatedAt, nil
		}})
	eventually(t, "the worker's first credit", func() bool { return fake.credits() > 0 })
	before := time.Now()
	fake.sendToWorker(assignments(odd, unset))
	eventually(t, "both attempts report", func() bool { return len(fake.results()) == 2 })
	after := time.Now()
	for _, result := range fake.results() {
		// Given as it came, the handler's result could not be encoded, and the task was
		// dead-lettered; unset, it was 1970-01-01.
		var createdAt time.Time
		if !result.GetOk() || json.Unmarshal([]byte(result.GetResultJson()), &createdAt) != nil ||
			createdAt.Before(before) || createdAt.After(after) {
			t.Fatalf("the handler read CreatedAt as %+v, want when the lease arrived", result)
		}
	}
}

func TestALeaseExpiringAtATimeOutsideProtobufsRangeLastsTheExecutorsTimeout(t *testing.T) {
	odd := lease("odd_lease")
	odd.LeaseExpiresAt = outOfRange
	fake := &fakeManager{script: func(send func(*pb.WorkResponse)) {
		send(fakeWelcome)
		send(assignments(odd))
	}}
	address := startFakeManager(t, fake)
	causes := make(chan error, 1)
	runFakeWorker(t, address, &warnings{}, taskexecutor.Executor{Name: "odd_lease",
		Config: &taskexecutor.ExecutorConfig{Timeout: 200 * time.Millisecond},
		Handler: func(ctx context.Context, _ *taskexecutor.Assignment) (any, error) {
			<-ctx.Done()
			causes <- context.Cause(ctx)
			return nil, context.Cause(ctx)
		}})
	// It lasted 292 years (as far as a time.Duration goes): no heartbeat, no timeout.
	if cause := within(t, "the attempt's end", causes); !errors.Is(cause, taskexecutor.ErrTimeout) {
		t.Fatalf("the attempt ended with %v, want ErrTimeout", cause)
	}
}

func TestAWorkerWhoseResultBatchWindowIsTheMostNegativeDurationSendsEveryResultAtOnce(t *testing.T) {
	fake := &fakeManager{noAcks: true, script: func(send func(*pb.WorkResponse)) { send(fakeWelcome) }}
	address := startFakeManager(t, fake)
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: address}, SkipRegistration: true,
		IgnoreSignals: true, Logger: slog.New(&warnings{}), ResultBatchWindow: math.MinInt64,
		Executors: []taskexecutor.Executor{{Name: "eager",
			Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }}},
	})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, worker)
	eventually(t, "the worker's first credit", func() bool { return fake.credits() > 0 })
	fake.sendToWorker(assignments(lease("eager")))
	eventually(t, "the first result is sent", func() bool { return len(fake.results()) == 1 })
	// Unacknowledged, the first result held the second: the window less the time since the first
	// send wrapped past a time.Duration to 292 years.
	fake.sendToWorker(assignments(lease("eager")))
	eventually(t, "the second result is sent", func() bool { return len(fake.results()) == 2 })
}

// oddTimes serves GetTask with a task whose times are all outside protobuf's range.
type oddTimes struct {
	pb.UnimplementedTaskExecutorManagerServiceServer
}

func (oddTimes) GetTask(_ context.Context, request *pb.GetTaskRequest) (*pb.GetTaskResponse, error) {
	return &pb.GetTaskResponse{Task: &pb.Task{Id: request.GetId(), ExecutorName: "odd",
		Status: pb.TaskStatus_TASK_STATUS_FAILED, RunAt: outOfRange, CreatedAt: outOfRange,
		UpdatedAt: outOfRange, StartedAt: outOfRange, CompletedAt: outOfRange,
		Errors: []*pb.TaskError{{Attempt: 1, Message: "Failed", At: outOfRange}}}}, nil
}

func TestAClientReadsATaskTimeOutsideProtobufsRangeAsTheZeroTime(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	pb.RegisterTaskExecutorManagerServiceServer(server, oddTimes{})
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(server.Stop)
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	task, err := client.GetTask(context.Background(), "odd")
	if err != nil {
		t.Fatal(err)
	}
	// Read as they came (the year 804,969), they could not be encoded as JSON.
	if _, err := json.Marshal(task); err != nil {
		t.Fatalf("the task read cannot be encoded: %v", err)
	}
	for _, at := range []time.Time{task.RunAt, task.CreatedAt, task.UpdatedAt, task.StartedAt,
		task.CompletedAt, task.Errors[0].At} {
		if !at.IsZero() {
			t.Fatalf("a time of the task read is %v, want the zero time", at)
		}
	}
}

// On a 32-bit platform an int kept the low bits of the welcome's int64 limits: 2^32 + 16 bytes was
// a limit of 16, and every result longer failed its attempt, not retried.
func TestAWelcomeNamingSizeLimitsPastFourGigabytesTakesThemAsTheMostAMessageCarries(t *testing.T) {
	fake := &fakeManager{script: func(send func(*pb.WorkResponse)) {
		send(&pb.WorkResponse{Kind: &pb.WorkResponse_Welcome{Welcome: &pb.Welcome{ManagerId: "fake",
			MaxMessageBytes: 1<<32 + 16, MaxResultBytes: 1<<32 + 16,
			KeepaliveInterval: durationpb.New(10 * time.Second)}}})
		send(assignments(lease("roomy")))
	}}
	address := startFakeManager(t, fake)
	runFakeWorker(t, address, &warnings{}, taskexecutor.Executor{Name: "roomy",
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			return strings.Repeat("x", 100), nil
		}})
	eventually(t, "the attempt reports", func() bool { return len(fake.results()) == 1 })
	if result := fake.results()[0]; !result.GetOk() {
		t.Fatalf("the result of 102 bytes was sent as %+v", result)
	}
}

func TestAStoppingWorkerWaitsForTheAnswerToItsLastResultsMessageNotForAcksSentUnasked(t *testing.T) {
	fake := &fakeManager{noAcks: true, script: func(send func(*pb.WorkResponse)) { send(fakeWelcome) }}
	address := startFakeManager(t, fake)
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: address}, SkipRegistration: true,
		IgnoreSignals: true, Logger: slog.New(&warnings{}),
		Executors: []taskexecutor.Executor{{Name: "quiet",
			Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return "ran", nil }}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop, ran := runUntilStopped(t, worker)
	stop()
	// The stop's results message holding none: what the worker waits to hear answered.
	eventually(t, "the stop's empty results message", func() bool {
		fake.mu.Lock()
		defer fake.mu.Unlock()
		for _, request := range fake.requests {
			if request.GetResults() != nil && len(request.GetResults().GetResults()) == 0 {
				return true
			}
		}
		return false
	})
	// Acks of results the worker never sent answer nothing: the worker still reads, and gives
	// back unstarted the lease that follows them.
	fake.sendToWorker(&pb.WorkResponse{Kind: &pb.WorkResponse_Acks{Acks: &pb.ResultAcks{
		Acks: []*pb.ResultAck{{TaskId: "never-sent", Accepted: true}}}}})
	late := lease("quiet")
	fake.sendToWorker(assignments(late))
	eventually(t, "the lease sent after the unasked acks given back", func() bool {
		for _, result := range fake.results() {
			if result.GetTaskId() == late.GetTaskId() {
				return true
			}
		}
		return false
	})
	// The answers the worker waits for: to the empty message, then to the give-back.
	fake.sendToWorker(&pb.WorkResponse{Kind: &pb.WorkResponse_Acks{Acks: &pb.ResultAcks{}}})
	fake.sendToWorker(&pb.WorkResponse{Kind: &pb.WorkResponse_Acks{Acks: &pb.ResultAcks{
		Acks: []*pb.ResultAck{{TaskId: late.GetTaskId(), Accepted: true}}}}})
	if err := within(t, "Run to return", ran); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// retryDelays keeps the retryIn of each "Lost the work stream" warning.
type retryDelays struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (r *retryDelays) Enabled(context.Context, slog.Level) bool { return true }
func (r *retryDelays) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *retryDelays) WithGroup(string) slog.Handler            { return r }
func (r *retryDelays) Handle(_ context.Context, record slog.Record) error {
	record.Attrs(func(attr slog.Attr) bool {
		if attr.Key == "retryIn" && strings.HasPrefix(record.Message, "Lost the work stream") {
			r.mu.Lock()
			r.delays = append(r.delays, attr.Value.Duration())
			r.mu.Unlock()
		}
		return true
	})
	return nil
}

func (r *retryDelays) taken() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.delays)
}

// runReconnectingWorker runs a worker against the fake at address, reconnecting after 10 ms
// doubled per failure up to most, and keeps the delays it names.
func runReconnectingWorker(t *testing.T, address string, most time.Duration) *retryDelays {
	t.Helper()
	log := &retryDelays{}
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: address}, SkipRegistration: true,
		IgnoreSignals: true, Logger: slog.New(log),
		ReconnectDelay: 10 * time.Millisecond, MaxReconnectDelay: most,
		Executors: []taskexecutor.Executor{{Name: "ended", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			return nil, nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, worker)
	eventually(t, "five streams ended", func() bool { return len(log.taken()) >= 5 })
	return log
}

// A work stream refused (PERMISSION_DENIED) while a task runs: no stream is opened again, the
// handler is cancelled at once (ErrShutdown: its result could not be delivered, so no grace is
// waited) and Run returns the refusal. It was taken as any lost stream, and opened again after the
// backoff without end.
func TestAWorkerRefusedOnItsWorkStreamWhileATaskRunsDrainsAndReturnsTheRefusal(t *testing.T) {
	started, cancelled := make(chan struct{}), make(chan error, 1)
	fake := &fakeManager{endAtOnce: true, end: status.Error(codes.PermissionDenied, "Key k may not serve held")}
	fake.script = func(send func(*pb.WorkResponse)) {
		send(fakeWelcome)
		send(&pb.WorkResponse{Kind: &pb.WorkResponse_Assignments{
			Assignments: &pb.Assignments{Tasks: []*pb.Assignment{lease("held")}}}})
		<-started
	}
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: startFakeManager(t, fake)}, SkipRegistration: true,
		IgnoreSignals: true, Logger: quiet, ReconnectDelay: 5 * time.Millisecond, ShutdownGrace: time.Hour,
		Executors: []taskexecutor.Executor{{Name: "held", Handler: func(ctx context.Context, _ *taskexecutor.Assignment) (any, error) {
			close(started)
			<-ctx.Done()
			cancelled <- context.Cause(ctx)
			return nil, context.Cause(ctx)
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Within a minute, not after ShutdownGrace's hour.
	err = runToRefusal(t, worker)
	if err == nil || !strings.Contains(err.Error(), "code = PermissionDenied desc = Key k may not serve held") ||
		strings.Contains(err.Error(), "no API key given") {
		t.Fatalf("Run: %v, want the refusal without the missing-key hint", err)
	}
	select {
	case cause := <-cancelled:
		if cause != taskexecutor.ErrShutdown {
			t.Fatalf("the handler was cancelled with %v, want ErrShutdown", cause)
		}
	default:
		t.Fatal("Run returned before the handler's context was cancelled")
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.streams != 1 {
		t.Fatalf("%d work streams opened, want 1: a refusal is not reconnected to", fake.streams)
	}
}

func TestAWorkerWhoseStreamsTheManagerEndsRightAfterWelcomingItWaitsLongerAfterEach(t *testing.T) {
	// The welcome started the delays over: the worker reconnected about ten times a second.
	fake := &fakeManager{endAtOnce: true, script: func(send func(*pb.WorkResponse)) { send(fakeWelcome) }}
	log := runReconnectingWorker(t, startFakeManager(t, fake), 10*time.Second)
	// Doubled from 10 ms per failure, each drawn from the upper half of its base: 10, 20, ... 160.
	for n, delay := range log.taken()[:5] {
		base := 10 * time.Millisecond << n
		if delay < base/2 || delay > base {
			t.Fatalf("delay %d: %v, want within [%v, %v] (all: %v)", n+1, delay, base/2, base, log.taken())
		}
	}
}

func TestAWorkersReconnectDelaysStartOverAfterAStreamThatLastedStableStreamOrMaxReconnectDelayFromItsWelcome(t *testing.T) {
	// Four streams ended at once, then one held 1 s (the longest delay is 100 ms: a stall of
	// the worker up to 0.9 s still leaves it long enough).
	fake := &fakeManager{endAtOnce: true}
	fake.script = func(send func(*pb.WorkResponse)) {
		send(fakeWelcome)
		fake.mu.Lock()
		fifth := fake.streams == 5
		fake.mu.Unlock()
		if fifth {
			time.Sleep(time.Second)
		}
	}
	delays := runReconnectingWorker(t, startFakeManager(t, fake), 100*time.Millisecond).taken()
	// 10, 20, 40 and 80 ms bases, then 10 again: without starting over, the 100 ms cap.
	if delays[3] < 40*time.Millisecond || delays[4] > 10*time.Millisecond {
		t.Fatalf("delays %v: want the fourth at least 40 ms, the fifth at most 10 ms", delays)
	}
}

// A task leased again to the worker that runs it (its lease ran out meanwhile) replaces the old
// attempt, which the manager counted against a credit as it counts the new one: the old attempt's
// result was dropped when its handler returned, and the credit with it, so each such lease left
// the executor one task fewer to run on this worker until it reconnected.
func TestATaskLeasedAgainToItsWorkerGivesBackTheOldAttemptsCredit(t *testing.T) {
	first := lease("again")
	second := leasedAgain(first)
	fake := leasingTwice(first, second, 50*time.Millisecond)
	address := startFakeManager(t, fake)
	runFakeWorker(t, address, &warnings{}, taskexecutor.Executor{Name: "again", Concurrency: 2,
		Handler: func(ctx context.Context, _ *taskexecutor.Assignment) (any, error) {
			select {
			case <-ctx.Done(): // the old attempt, its lease lost
			case <-time.After(300 * time.Millisecond):
			}
			return nil, context.Cause(ctx)
		}})
	// The first grant (2), then one per attempt that returned: the old one's too.
	eventually(t, "both attempts report", func() bool { return len(fake.results()) == 2 })
	eventually(t, "each attempt's credit is given back", func() bool { return fake.credits() >= 4 })
	time.Sleep(50 * time.Millisecond)
	if got := fake.credits(); got != 4 {
		t.Fatalf("the worker granted %d credits in all, want 4", got)
	}
	if results := fake.results(); results[0].GetLeaseToken() != first.GetLeaseToken() ||
		results[1].GetLeaseToken() != second.GetLeaseToken() || !results[1].GetOk() {
		t.Fatalf("results %v, want the old attempt's, then the new one's, ok", results)
	}
}

// The old attempt of a task leased again, when its handler ignores its ErrLeaseLost, is abandoned
// as any cancelled attempt is, a second later: it was out of the runs the worker checks, so it was
// never abandoned, and its credit never came back.
func TestAReplacedAttemptWhoseHandlerIgnoresItsCancelIsAbandoned(t *testing.T) {
	first := lease("again_hung")
	second := leasedAgain(first)
	fake := leasingTwice(first, second, 50*time.Millisecond)
	address := startFakeManager(t, fake)
	release := make(chan struct{})
	var calls atomic.Int32
	log := &warnings{}
	runFakeWorker(t, address, log, taskexecutor.Executor{Name: "again_hung", Concurrency: 2,
		Handler: func(ctx context.Context, _ *taskexecutor.Assignment) (any, error) {
			if calls.Add(1) == 1 {
				<-release // ignores its cancel
				return nil, nil
			}
			return "done", nil
		}})
	t.Cleanup(func() { close(release) })
	eventually(t, "the old attempt is abandoned and its credit given back", func() bool {
		return fake.credits() >= 4 && len(fake.results()) == 2
	})
	for _, result := range fake.results() {
		if result.GetLeaseToken() == first.GetLeaseToken() &&
			(result.GetOk() || !strings.Contains(result.GetError(), "was abandoned")) {
			t.Fatalf("the old attempt reported %+v, want its abandonment", result)
		}
	}
	if text := log.String(); !strings.Contains(text, "abandoning its goroutine") {
		t.Fatalf("errors logged: %q", text)
	}
}

// stallingRegistry answers the first answered GetExecutor calls, then none: each waits for its
// caller to give up, as a manager that accepts connections but never answers.
type stallingRegistry struct {
	pb.UnimplementedTaskExecutorManagerServiceServer
	answered int32
	calls    atomic.Int32
}

func (r *stallingRegistry) GetExecutor(ctx context.Context, request *pb.GetExecutorRequest) (*pb.GetExecutorResponse, error) {
	if r.calls.Add(1) > r.answered {
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	return &pb.GetExecutorResponse{Executor: &pb.Executor{Name: request.GetId()}}, nil
}

func TestAStopEndsTheRegistrationBeforeAReconnectionAtOnceWhenTheManagerNeverAnswers(t *testing.T) {
	for _, bySignal := range []bool{false, true} {
		// Every stream ends once welcomed: the worker registers its two executors again before
		// each reconnection, and the manager answers none of those calls.
		fake := &fakeManager{endAtOnce: true, script: func(send func(*pb.WorkResponse)) { send(fakeWelcome) }}
		registry := &stallingRegistry{answered: 2}
		address := startFakeManagerWith(t, fake, registry)
		handler := func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }
		worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
			Connection: taskexecutor.Connection{Address: address},
			Executors: []taskexecutor.Executor{{Name: "stalled1", Handler: handler},
				{Name: "stalled2", Handler: handler}},
			IgnoreSignals: !bySignal, Logger: quiet,
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan error, 1)
		go func() { ran <- worker.Run(ctx) }()
		within(t, "the worker to be ready", worker.Ready())
		eventually(t, "a registration before a reconnection waits", func() bool { return registry.calls.Load() > 2 })
		stoppedAt := time.Now()
		if bySignal {
			if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		} else {
			cancel()
		}
		select {
		case err := <-ran:
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Run still running 30 s after the stop")
		}
		if took := time.Since(stoppedAt); took > 3*time.Second {
			t.Fatalf("Run returned %s after the stop (by signal: %v), want at once", took, bySignal)
		}
		cancel()
	}
}

// A stop during the registration before a reconnection still has the drain connect: the results
// of the handlers that finish in its grace reach the manager. The registration returned stopped,
// the reconnection was dropped with it, and the drain, which delivers results only over a stream
// or a reconnection to come, had neither: Run returned nil, and the result never left the worker.
func TestAStopDuringTheRegistrationBeforeAReconnectionStillDeliversTheResultsOfRunningHandlers(t *testing.T) {
	// The first stream leases a task, then ends: the worker registers before it reconnects, and
	// the manager answers none of those calls.
	var leased atomic.Bool
	fake := &fakeManager{endFirstAtOnce: true, script: func(send func(*pb.WorkResponse)) {
		send(fakeWelcome)
		if !leased.Swap(true) {
			send(assignments(lease("stopped_mid_registration")))
		}
	}}
	registry := &stallingRegistry{answered: 1}
	address := startFakeManagerWith(t, fake, registry)
	started, release := make(chan struct{}), make(chan struct{})
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: address},
		Executors: []taskexecutor.Executor{{Name: "stopped_mid_registration",
			Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
				close(started)
				<-release
				return "done", nil
			}}},
		ReconnectDelay: 10 * time.Millisecond, IgnoreSignals: true, Logger: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- worker.Run(ctx) }()
	within(t, "the handler to start", started)
	eventually(t, "a registration before a reconnection waits", func() bool { return registry.calls.Load() > 1 })
	cancel()
	time.Sleep(50 * time.Millisecond)
	close(release)
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run still running 10 s after the stop")
	}
	if results := fake.results(); len(results) != 1 || !results[0].GetOk() || results[0].GetResultJson() != `"done"` {
		t.Fatalf("the manager received the results %v, want the task's, done", results)
	}
}

func TestAResultsMessageWhoseSendFailedGoesOnceOnTheNextStream(t *testing.T) {
	unblock := make(chan struct{})
	var streams atomic.Int32
	fake := &fakeManager{script: func(send func(*pb.WorkResponse)) {
		if streams.Add(1) > 1 {
			send(fakeWelcome)
			return
		}
		send(&pb.WorkResponse{Kind: &pb.WorkResponse_Welcome{Welcome: &pb.Welcome{
			ManagerId: "fake", KeepaliveInterval: durationpb.New(100 * time.Millisecond)}}})
		// Leases of an executor the worker does not serve: a result each, more than HTTP/2 flow
		// control lets through while nothing is read, so that a send of results is given up.
		for range 20 {
			send(unservedLeases(1000))
		}
		<-unblock
	}}
	address := startFakeManager(t, fake)
	log := &warnings{}
	runFakeWorker(t, address, log, taskexecutor.Executor{Name: "served",
		Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }})
	t.Cleanup(func() { close(unblock) })
	eventually(t, "the worker gives up the first stream", func() bool {
		return strings.Contains(log.errorsText(), "a send waited")
	})
	// Every result kept or queued goes on the second stream, which reads and acknowledges them.
	carried := 0
	eventually(t, "the second stream carries the results", func() bool {
		last := carried
		time.Sleep(300 * time.Millisecond)
		carried = len(fake.resultsOn(2))
		return carried > 0 && carried == last
	})
	// The results of the message whose send was given up went once: they were both kept for an
	// ack and left queued, and went twice, the second copy refused by a manager as a duplicate or
	// an unknown task, each a warning of a refused result.
	seen := map[string]int{}
	var twice []string
	for _, result := range fake.resultsOn(2) {
		if seen[result.GetTaskId()]++; seen[result.GetTaskId()] == 2 {
			twice = append(twice, result.GetTaskId())
		}
	}
	if len(twice) > 0 {
		t.Fatalf("%d of the %d results on the second stream went twice, the first %s", len(twice),
			carried, twice[0])
	}
}

// A result the manager cannot store as it is fails its attempt, not retried, naming /result as the
// TypeScript SDK does ("Result cannot be stored as it is: /result: …"): the Go worker said
// "cannot encode the result: …" and "the result is N bytes, over the manager's limit of L".
func TestAResultTheManagerCannotStoreFailsItsAttemptNamingResult(t *testing.T) {
	fake := &fakeManager{script: func(send func(*pb.WorkResponse)) {
		send(&pb.WorkResponse{Kind: &pb.WorkResponse_Welcome{Welcome: &pb.Welcome{ManagerId: "fake",
			MaxResultBytes: 16, KeepaliveInterval: durationpb.New(10 * time.Second)}}})
		send(assignments(lease("odd"), lease("big")))
	}}
	address := startFakeManager(t, fake)
	runFakeWorker(t, address, &warnings{},
		taskexecutor.Executor{Name: "odd", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			return math.NaN(), nil
		}},
		taskexecutor.Executor{Name: "big", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			return strings.Repeat("x", 100), nil
		}})
	eventually(t, "both attempts report", func() bool { return len(fake.results()) == 2 })
	got := map[string]string{}
	for _, result := range fake.results() {
		if result.GetOk() || result.GetRetryable() {
			t.Fatalf("a result the manager cannot store was sent as %+v", result)
		}
		got[result.GetError()] = ""
	}
	for _, want := range []string{
		"Result cannot be stored as it is: /result: Must be a JSON value (json: unsupported value: NaN)",
		"Result cannot be stored as it is: /result: Must be at most 16 bytes of JSON (the manager's limit), not 102",
	} {
		if _, ok := got[want]; !ok {
			t.Fatalf("no attempt failed with %q: %v", want, fake.results())
		}
	}
}

func TestAWorkerSendsItsResultsAgainOldestFirstAfterAReconnect(t *testing.T) {
	// The first attempt's result is sent and never acknowledged; the stream ends once it came.
	// The second attempt returns while the worker waits to reconnect, its result queued. The next
	// stream carries both in the order they were made, as the TypeScript worker sends them: the
	// queued one went first, ahead of the older one sent before.
	early, late := lease("order"), lease("order")
	var streams atomic.Int32
	fake := &fakeManager{noAcks: true, endAfter: 1, script: func(send func(*pb.WorkResponse)) {
		send(fakeWelcome)
		if streams.Add(1) > 1 {
			return
		}
		send(assignments(early, late))
	}}
	address := startFakeManager(t, fake)
	release := make(chan struct{})
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: address}, SkipRegistration: true,
		IgnoreSignals: true, Logger: quiet,
		// The next stream 500 ms to 1 s after the loss: the second result comes in between.
		ReconnectDelay: time.Second, MaxReconnectDelay: time.Second,
		Executors: []taskexecutor.Executor{{Name: "order", Concurrency: 2,
			Handler: func(_ context.Context, task *taskexecutor.Assignment) (any, error) {
				if task.ID == late.GetTaskId() {
					<-release
				}
				return task.ID, nil
			}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, worker)
	eventually(t, "the first result is sent", func() bool { return len(fake.resultsOn(1)) == 1 })
	time.Sleep(200 * time.Millisecond) // the stream is lost, the next one not yet opened
	close(release)
	eventually(t, "both results are sent again", func() bool { return len(fake.resultsOn(2)) >= 2 })
	var order []string
	for _, result := range fake.resultsOn(2) {
		order = append(order, result.GetTaskId())
	}
	if want := []string{early.GetTaskId(), late.GetTaskId()}; !slices.Equal(order, want) {
		t.Fatalf("sent on the next stream: %v, want %v (oldest first)", order, want)
	}
}
