// Command go_worker is the benchmark's worker process in Go: the same part as bench/_worker.ts,
// on the Go SDK (package taskexecutor). It serves one no-op executor and tells the driver, one
// JSON line per event on stdout, when it has run the number of tasks the driver expects.
//
// Usage: go_worker <address> <executor> <concurrency> [write concern]. Commands on stdin, one per
// line: "expect <n>" (count the next n handler runs; answered {"event":"expecting"}) and "quit".
// Each handler returns {"startedAt": …}, the epoch time in ms (sub-ms precision) at which it was
// called, so that the driver can measure enqueue → handler start from the task's result.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"tasks-executor/sdk/go/taskexecutor"
)

func clock() float64 { return float64(time.Now().UnixNano()) / 1e6 }

var out = json.NewEncoder(os.Stdout)

func emit(event map[string]any) {
	if err := out.Encode(event); err != nil {
		log.Fatal(err)
	}
}

func main() {
	if len(os.Args) < 2 {
		log.Fatal("Usage: go_worker <address> <executor> <concurrency> [write concern]")
	}
	arg := func(i int, fallback string) string {
		if len(os.Args) > i {
			return os.Args[i]
		}
		return fallback
	}
	executor := arg(2, "bench_noop")
	concurrency, err := strconv.Atoi(arg(3, "512"))
	if err != nil {
		log.Fatal(err)
	}

	// Unset = the SDK's default result batching window; 0 = none.
	window := time.Duration(0)
	if text, set := os.LookupEnv("BENCH_RESULT_BATCH_MS"); set {
		ms, err := strconv.Atoi(text)
		if err != nil {
			log.Fatal(err)
		}
		window = time.Duration(ms) * time.Millisecond
		if ms == 0 {
			window = -1 // the SDK's "no window"
		}
	}

	retryInterval := 100 * time.Millisecond
	var mu sync.Mutex
	expected, seen, firstAt := 0, 0, 0.0
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection:        taskexecutor.Connection{Address: os.Args[1]},
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		ShutdownGrace:     2 * time.Second,
		ResultBatchWindow: window,
		Executors: []taskexecutor.Executor{{
			Name:        executor,
			Concurrency: concurrency,
			// No schema: validation is not what this benchmark measures.
			Config: &taskexecutor.ExecutorConfig{
				RetryPolicy:  &taskexecutor.RetryPolicy{MaxAttempts: 3, Interval: &retryInterval},
				Timeout:      time.Minute,
				WriteConcern: arg(4, "journaled"),
			},
			Handler: func(_ context.Context, task *taskexecutor.Assignment) (any, error) {
				startedAt := clock()
				mu.Lock()
				defer mu.Unlock()
				if expected > 0 {
					if seen == 0 {
						firstAt = startedAt
					}
					seen++
					if seen == expected {
						// The last run of the batch: its task id lets the driver see when it is settled.
						emit(map[string]any{"event": "done", "count": seen, "firstAt": firstAt,
							"lastAt": startedAt, "lastTaskId": task.ID})
						expected = 0
					}
				}
				return map[string]float64{"startedAt": startedAt}, nil
			},
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- worker.Run(ctx) }()
	select {
	case <-worker.Ready():
	case err := <-ran:
		log.Fatalf("the worker stopped: %v", err)
	}
	emit(map[string]any{"event": "ready", "workerId": worker.ID()})

	// Commands from the driver; stdin closing means the driver is gone.
	lines := bufio.NewScanner(os.Stdin)
	for lines.Scan() {
		command, value, _ := strings.Cut(strings.TrimSpace(lines.Text()), " ")
		if command == "quit" {
			break
		}
		if command == "expect" {
			n, _ := strconv.Atoi(value)
			mu.Lock()
			expected, seen, firstAt = n, 0, 0
			mu.Unlock()
			emit(map[string]any{"event": "expecting", "count": n})
		}
	}
	stop()
	if err := <-ran; err != nil {
		log.Fatal(err)
	}
}
