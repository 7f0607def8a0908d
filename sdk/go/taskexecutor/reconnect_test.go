package taskexecutor_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/taskexecutor"
	pb "tasks-executor/sdk/go/taskexecutorv1"
)

func TestAWorkerReconnectsAfterLosingItsConnectionAndDeliversTheResultOfARunningTask(t *testing.T) {
	p := startRelay(t, manager.GRPCAddress)
	started, release := make(chan string, 4), make(chan struct{})
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection:        taskexecutor.Connection{Address: p.address()},
		IgnoreSignals:     true,
		Logger:            quiet,
		ReconnectDelay:    10 * time.Millisecond,
		MaxReconnectDelay: 50 * time.Millisecond,
		Executors: []taskexecutor.Executor{{
			Name:        "go_reconnect",
			Concurrency: 2,
			// A task handed to the old stream in the instant it died is lost with it until its
			// lease expires: a short lease keeps this test short.
			Config: &taskexecutor.ExecutorConfig{Timeout: time.Second},
			Handler: func(_ context.Context, task *taskexecutor.Assignment) (any, error) {
				started <- task.ID
				<-release
				return task.Attempt, nil
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, worker)
	ctx := context.Background()
	client := newClient(t)
	running, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_reconnect"})
	if err != nil {
		t.Fatal(err)
	}
	within(t, "the handler to start", started)
	p.cut()
	// Created while the worker is away (or reconnecting): it runs once the worker is back.
	later, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_reconnect"})
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	tasks := wait(t, client, running.ID, later.ID)
	// Its lease kept by heartbeats on the new stream, the running task's first attempt counts.
	if task := tasks[0]; task.Status != taskexecutor.StatusCompleted || string(task.Result) != "1" {
		t.Fatalf("the task running across the reconnection: %+v", task)
	}
	if task := tasks[1]; task.Status != taskexecutor.StatusCompleted {
		t.Fatalf("the task created meanwhile: %+v", task)
	}
}

func TestAWorkerThatSkipsRegistrationLeavesItsExecutorsConfigurationAloneWhenItReconnects(t *testing.T) {
	ctx := context.Background()
	client := newClient(t)
	// Managed elsewhere, with a timeout of 10 s; the worker declares 1 s and skips registering.
	if err := client.RegisterExecutor(ctx, "go_managed", taskexecutor.ExecutorConfig{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	p := startRelay(t, manager.GRPCAddress)
	done := make(chan struct{}, 4)
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection:        taskexecutor.Connection{Address: p.address()},
		IgnoreSignals:     true,
		SkipRegistration:  true,
		Logger:            quiet,
		ReconnectDelay:    10 * time.Millisecond,
		MaxReconnectDelay: 50 * time.Millisecond,
		Executors: []taskexecutor.Executor{{
			Name:   "go_managed",
			Config: &taskexecutor.ExecutorConfig{Timeout: time.Second},
			Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
				done <- struct{}{}
				return nil, nil
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, worker)
	p.cut()
	// Served again after the reconnect: a task created now runs.
	created, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_managed"})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, client, created.ID)
	if p.connections() < 2 {
		t.Fatalf("the worker did not reconnect (%d connections)", p.connections())
	}
	stored, err := client.Manager().GetExecutor(ctx, &pb.GetExecutorRequest{Id: "go_managed"})
	if err != nil {
		t.Fatal(err)
	}
	if timeout := stored.GetExecutor().GetTimeout().AsDuration(); timeout != 10*time.Second {
		t.Fatalf("the stored timeout is %v, want the 10s set elsewhere", timeout)
	}
}

func TestWaitAndCreateAndWaitWatchAgainWhenTheirConnectionIsCut(t *testing.T) {
	p := startRelay(t, manager.GRPCAddress)
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: p.address()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	started, release := make(chan string, 2), make(chan struct{})
	startWorker(t, taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{{
		Name:        "go_wait_again",
		Concurrency: 2,
		Handler: func(_ context.Context, task *taskexecutor.Assignment) (any, error) {
			started <- task.ID
			<-release
			return "done", nil
		},
	}}})
	// The deadline guards against a hang; it does not time anything.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_wait_again"})
	if err != nil {
		t.Fatal(err)
	}
	waited, createdAndWaited := make(chan outcome, 1), make(chan outcome, 1)
	go func() {
		tasks, err := client.Wait(ctx, first.ID)
		if err != nil {
			waited <- outcome{err: err}
			return
		}
		waited <- outcome{task: tasks[0]}
	}()
	go func() {
		task, err := client.CreateAndWait(ctx, taskexecutor.NewTask{ExecutorName: "go_wait_again"})
		createdAndWaited <- outcome{task, err}
	}()
	// Both tasks run, held by their handlers: the client's connection is cut under its waits.
	// CreateAndWait can wait again only once the manager's answer naming its task has reached it
	// (cut before, it rightly answers UNAVAILABLE): a create on the same stream, made once that
	// task runs, is answered after it (the store acknowledges writes in their order, as SQLite's
	// syncs do).
	within(t, "the first handler to start", started)
	within(t, "the second handler to start", started)
	if _, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_wait_again", RunAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	p.cut()
	close(release)
	for name, ch := range map[string]chan outcome{"Wait": waited, "CreateAndWait": createdAndWaited} {
		got := within(t, name+" to answer", ch)
		if got.err != nil || got.task.Status != taskexecutor.StatusCompleted {
			t.Fatalf("%s after the cut: %+v, %v", name, got.task, got.err)
		}
	}
}

func TestWaitAndCreateAndWaitOnAnAddressWhereNoManagerListensFailAtOnceWithUnavailable(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	listener.Close()
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: address})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	// A wait that watched again would go on until this context, which only turns such a hang into
	// a failure.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, waitErr := client.Wait(ctx, "01a2384a6e4e028ba5d85f124a")
	_, createErr := client.CreateAndWait(ctx, taskexecutor.NewTask{ExecutorName: "nowhere"})
	for name, err := range map[string]error{"Wait": waitErr, "CreateAndWait": createErr} {
		if status.Code(err) != codes.Unavailable || strings.Contains(err.Error(), "watched again") {
			t.Errorf("%s on a manager never reached: %v", name, err)
		}
	}
}

func TestAWaitWhoseManagerIsGoneForGoodWatchesAgainUntilItsContextEndsThenEndsWithUnavailable(t *testing.T) {
	p := startRelay(t, manager.GRPCAddress)
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: p.address()})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.RegisterExecutor(context.Background(), "go_wait_gone", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	task, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_wait_gone"})
	if err != nil {
		t.Fatal(err)
	}
	// How long the wait watches again; nothing here is timed.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	waited := make(chan error, 1)
	go func() {
		_, err := client.Wait(ctx, task.ID)
		waited <- err
	}()
	// The manager's address goes away for good: the relay takes no new connection and drops its
	// own, under the wait (or before it is sent: the client had reached the manager all the same).
	p.listener.Close()
	p.cut()
	err = <-waited
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "stayed unreachable or unavailable") {
		t.Fatalf("a wait on a manager gone for good: %v", err)
	}
}

func TestAWaitThatLostItsConnectionAndGotThroughAgainEndsWithItsContextsStatus(t *testing.T) {
	p := startRelay(t, manager.GRPCAddress)
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: p.address()})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.RegisterExecutor(context.Background(), "go_wait_back", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	task, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_wait_back"})
	if err != nil {
		t.Fatal(err)
	}
	// How long the wait lasts; nothing here is timed.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	before := watchers(t)
	waited := make(chan error, 1)
	go func() {
		_, err := client.Wait(ctx, task.ID)
		waited <- err
	}()
	// Cut under the open wait: it watches again over a new connection, which the manager
	// answers; no worker runs the task.
	for watchers(t) == before {
		time.Sleep(10 * time.Millisecond)
	}
	p.cut()
	if err := <-waited; status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("a wait on a manager back, its task not final: %v", err)
	}
	if p.connections() < 2 {
		t.Fatalf("%d connections: the wait did not watch again", p.connections())
	}
}

func TestACreateAndWaitThatLostItsConnectionToAManagerSilentOnEveryNewOneEndsWithUnavailable(t *testing.T) {
	p := startRelay(t, manager.GRPCAddress)
	client, err := taskexecutor.NewClient(taskexecutor.Connection{Address: p.address()})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, waited := createAndWaitOpen(t, ctx, client, "go_wait_silent")
	// The manager's host goes silent: connections drop, and new ones are accepted but never answered.
	p.mu.Lock()
	p.silenceNew = true
	p.mu.Unlock()
	p.cut()
	got := <-waited
	if status.Code(got.err) != codes.Unavailable || !strings.Contains(got.err.Error(), "stayed unreachable or unavailable") || got.task == nil {
		t.Fatalf("a create-and-wait whose manager stays silent: %v %+v", got.err, got.task)
	}
}

func TestAWaitOnAManagerThatKeepsAnsweringUnavailableEndsWithUnavailableWhenItsContextEnds(t *testing.T) {
	direct, err := taskexecutor.NewClient(taskexecutor.Connection{Address: manager.GRPCAddress})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if err := direct.RegisterExecutor(context.Background(), "go_wait_unavailable", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	task, err := direct.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_wait_unavailable"})
	if err != nil {
		t.Fatal(err)
	}
	// A manager that serves the producer stream, then ends it with UNAVAILABLE (its store down).
	relay := &managerRelay{refuse: status.Error(codes.Unavailable, "The store is unavailable"), served: true}
	client := relayedClient(t, relay, "go_wait_unavailable")
	// How long the wait watches again; nothing here is timed.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err = client.Wait(ctx, task.ID)
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "The store is unavailable") ||
		!strings.Contains(err.Error(), "stayed unreachable or unavailable") {
		t.Fatalf("a wait on a manager answering UNAVAILABLE: %v", err)
	}
	if relay.callsTo("Produce") < 2 {
		t.Fatalf("%d producer streams: the wait did not watch again", relay.callsTo("Produce"))
	}
}

func TestAWorkerStoppedWhileItsStreamIsLostDeliversTheResultOfAHandlerFinishingInItsGrace(t *testing.T) {
	// The stream lost, the next one comes 600-1200 ms later: the stop falls in that gap.
	stopWhileLost(t, "go_stopped_while_lost", 1200*time.Millisecond, false)
}

func TestAWorkerStoppedWhileItsReconnectDelayIsLongerThanItsWaitForAcksReconnectsAtOnce(t *testing.T) {
	// The next stream would come 4-8 s after the loss: past the drain's 3 s wait for acks.
	t.Run("lost first", func(t *testing.T) {
		stopWhileLost(t, "go_stopped_before_reconnect_true", 8*time.Second, false)
	})
	t.Run("stopped first", func(t *testing.T) {
		stopWhileLost(t, "go_stopped_before_reconnect_false", 8*time.Second, true)
	})
}

// stopWhileLost runs a worker of executor name through a relay, with delay as its ReconnectDelay
// and MaxReconnectDelay, and a task whose handler runs until released: the relay cuts the
// worker's connection, the worker is stopped 100 ms later (stoppedFirst: 100 ms before the cut
// too), and the handler released 50 ms after that. Run must return nil, the task completed with
// the handler's result, delivered over the stream the drain opens again.
func stopWhileLost(t *testing.T, name string, delay time.Duration, stoppedFirst bool) {
	t.Helper()
	p := startRelay(t, manager.GRPCAddress)
	started, release := make(chan struct{}), make(chan struct{})
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection:        taskexecutor.Connection{Address: p.address()},
		IgnoreSignals:     true,
		Logger:            quiet,
		ReconnectDelay:    delay,
		MaxReconnectDelay: delay,
		ShutdownGrace:     10 * time.Second,
		Executors: []taskexecutor.Executor{{
			Name: name,
			Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
				close(started)
				<-release
				return "done", nil
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- worker.Run(ctx) }()
	within(t, "the worker to be ready", worker.Ready())
	client := newClient(t)
	task, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: name})
	if err != nil {
		t.Fatal(err)
	}
	within(t, "the handler to start", started)
	if stoppedFirst {
		cancel()
		time.Sleep(100 * time.Millisecond)
	}
	p.cut()
	time.Sleep(100 * time.Millisecond)
	cancel()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if err := within(t, "Run to return", ran); err != nil {
		t.Fatalf("Run: %v", err)
	}
	got, err := client.GetTask(context.Background(), task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != taskexecutor.StatusCompleted || string(got.Result) != `"done"` {
		t.Fatalf("the task after the stop: %+v", got)
	}
}
