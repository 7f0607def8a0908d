package taskexecutor_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"tasks-executor/sdk/go/taskexecutor"
)

// records keeps a worker's log records, for a test to read their levels and attributes.
type records struct {
	mu    sync.Mutex
	lines []record
}

type record struct {
	level   slog.Level
	message string
	attrs   map[string]string
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *records) WithGroup(string) slog.Handler            { return r }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	line := record{level: rec.Level, message: rec.Message, attrs: map[string]string{}}
	rec.Attrs(func(a slog.Attr) bool {
		line.attrs[a.Key] = a.Value.String()
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, line)
	return nil
}

// about is the records naming taskId.
func (r *records) about(taskID string) []record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var found []record
	for _, line := range r.lines {
		if line.attrs["taskId"] == taskID {
			found = append(found, line)
		}
	}
	return found
}

// String lists the records, one a line, for a failure's message.
func (r *records) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var text strings.Builder
	for _, line := range r.lines {
		text.WriteString(line.level.String() + " " + line.message)
		for key, value := range line.attrs {
			text.WriteString(" " + key + "=" + value)
		}
		text.WriteString("\n")
	}
	return text.String()
}

// A handler's panic is a bug in the handler: it was logged at info, as an error the handler
// returned on purpose is, and its stack went to the task alone.
func TestAHandlerPanicIsLoggedAsAnErrorWithItsStack(t *testing.T) {
	logs := &records{}
	startWorker(t, taskexecutor.WorkerOptions{Logger: slog.New(logs), Executors: []taskexecutor.Executor{{
		Name: "go_panics_logged",
		Config: &taskexecutor.ExecutorConfig{RetryPolicy: &taskexecutor.RetryPolicy{
			Type: taskexecutor.RetryConstant, MaxAttempts: 2, Interval: durationRef(10 * time.Millisecond),
		}},
		Handler: panickingHandler,
	}}})
	client := newClient(t)
	created, err := client.CreateTask(context.Background(), taskexecutor.NewTask{ExecutorName: "go_panics_logged"})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, client, created.ID)
	var panics int
	for _, line := range logs.about(created.ID) {
		if line.level >= slog.LevelError && strings.Contains(line.attrs["error"], "panic: the handler broke") &&
			strings.Contains(line.attrs["stack"], "panickingHandler") {
			panics++
		} else if strings.Contains(line.attrs["error"], "panic") {
			t.Errorf("a panic logged at %s, want ERROR with its stack: %s %v", line.level, line.message, line.attrs)
		}
	}
	if panics != 2 {
		t.Fatalf("%d error lines with the panic and its stack, want one per attempt (2):\n%s", panics, logs)
	}
}
