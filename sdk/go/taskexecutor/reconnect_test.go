package taskexecutor_test

import (
	"context"
	"testing"
	"time"

	"tasks-executor/sdk/go/taskexecutor"
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
