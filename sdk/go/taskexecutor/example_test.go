package taskexecutor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"tasks-executor/sdk/go/taskexecutor"
)

// A worker serving one executor until SIGINT or SIGTERM, which drain it: running tasks finish
// and are reported before Run returns. The manager is found through MANAGER_ADDRESS (and the API
// key through TASKS_EXECUTOR_API_KEY).
func ExampleWorker() {
	second := time.Second
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Executors: []taskexecutor.Executor{{
			Name:        "send_email",
			Concurrency: 8,
			Config: &taskexecutor.ExecutorConfig{
				TaskSchema: json.RawMessage(`{"type":"object","required":["to"]}`),
				RetryPolicy: &taskexecutor.RetryPolicy{
					Type: taskexecutor.RetryExponential, MaxAttempts: 5, Interval: &second,
				},
				DLQ: &taskexecutor.DLQConfig{Enabled: true},
			},
			Handler: func(ctx context.Context, task *taskexecutor.Assignment) (any, error) {
				var email struct{ To string }
				if err := json.Unmarshal(task.Data, &email); err != nil {
					return nil, taskexecutor.NonRetryable(err)
				}
				// Pass ctx on: it is cancelled when the task is cancelled or its lease is lost.
				return map[string]string{"sentTo": email.To}, nil
			},
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithTimeout(context.Background(), 100*time.Millisecond) // for the example
	defer stop()
	if err := worker.Run(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("drained")
	// Output: drained
}

// Create a task and wait for its result; the worker runs in the same program here.
func ExampleClient_Wait() {
	worker, _ := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		IgnoreSignals: true,
		Logger:        quiet,
		Executors: []taskexecutor.Executor{{
			Name: "greet",
			Handler: func(_ context.Context, task *taskexecutor.Assignment) (any, error) {
				var who struct{ Name string }
				err := json.Unmarshal(task.Data, &who)
				return "Hello, " + who.Name, err
			},
		}},
	})
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error)
	go func() { ran <- worker.Run(ctx) }()
	<-worker.Ready()
	defer func() { stop(); <-ran }()

	client, err := taskexecutor.NewClient(taskexecutor.Connection{})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	task, err := client.CreateTask(ctx, taskexecutor.NewTask{
		ExecutorName: "greet",
		Data:         map[string]string{"name": "Ada"},
	})
	if err != nil {
		log.Fatal(err)
	}
	done, err := client.Wait(ctx, task.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(done[0].Status, string(done[0].Result))
	// Output: completed "Hello, Ada"
}

// Data that does not match the executor's schema is refused; FieldViolations names the fields.
func ExampleFieldViolations() {
	client, _ := taskexecutor.NewClient(taskexecutor.Connection{})
	defer client.Close()
	ctx := context.Background()
	_ = client.RegisterExecutor(ctx, "resize_image", taskexecutor.ExecutorConfig{
		TaskSchema: json.RawMessage(`{"type":"object","required":["url"]}`),
	})
	_, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "resize_image", Data: map[string]any{}})
	for _, violation := range taskexecutor.FieldViolations(err) {
		fmt.Println(violation.Field)
	}
	// Output: /task/data/url
}

// A handler decides how its failure is retried.
func ExampleNonRetryable() {
	handler := func(ctx context.Context, task *taskexecutor.Assignment) (any, error) {
		request, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://example.com", nil)
		if err != nil {
			return nil, taskexecutor.NonRetryable(err) // dead-lettered at once
		}
		response, err := http.DefaultClient.Do(request)
		if err != nil {
			return nil, err // retried by the executor's policy
		}
		defer response.Body.Close()
		if response.StatusCode == http.StatusTooManyRequests {
			// Runs again in a minute without spending an attempt.
			return nil, taskexecutor.RateLimited(time.Minute, errors.New("rate limited"))
		}
		return response.StatusCode, nil
	}
	_ = taskexecutor.Executor{Name: "fetch", Handler: handler}
}

// A long attempt calls Heartbeat to show progress, so that its executor's timeout starts again.
func ExampleHeartbeat() {
	_ = func(ctx context.Context, task *taskexecutor.Assignment) (any, error) {
		for step := range 100 {
			if err := ctx.Err(); err != nil {
				return nil, context.Cause(ctx) // ErrCancelled, ErrLeaseLost, ErrTimeout or ErrShutdown
			}
			_ = step // … one slow step …
			taskexecutor.Heartbeat(ctx)
		}
		return "done", nil
	}
}

// Run until SIGINT or SIGTERM yourself (the worker also drains on them unless IgnoreSignals).
func ExampleWorker_Run() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Executors: []taskexecutor.Executor{{Name: "noop", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			return nil, nil
		}}},
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = func() error { return worker.Run(ctx) } // blocks until a signal, then drains
}
