package taskexecutor_test

// A worker id the manager refuses for good: NewWorker refuses it by the manager's rule, naming
// /hello/workerId, and a hello the manager refuses (INVALID_ARGUMENT naming a field under /hello/)
// stops the worker instead of having it reconnect without end.

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/internal/testmanager"
	"tasks-executor/sdk/go/taskexecutor"
	pb "tasks-executor/sdk/go/taskexecutorv1"
)

func TestNewWorkerRefusesAWorkerIDTheManagerWouldRefuseNamingIt(t *testing.T) {
	for id, want := range map[string]string{
		"legacy:x":                `/hello/workerId: Must not start with "legacy:"`,
		strings.Repeat("w", 5000): "/hello/workerId: Must be at most 256 characters, not 5000",
		strings.Repeat("é", 257):  "/hello/workerId: Must be at most 256 characters, not 257",
		"a\x00b":                  "/hello/workerId: Must not contain U+0000",
		"a\xffb":                  "/hello/workerId: Must be well-formed Unicode (valid UTF-8)",
		"   ":                     "/hello/workerId: Is required",
	} {
		_, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
			Connection: taskexecutor.Connection{Address: "127.0.0.1:1"},
			WorkerID:   id,
			Executors:  []taskexecutor.Executor{{Name: "e", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }}},
		})
		violations := taskexecutor.FieldViolations(err)
		if status.Code(err) != codes.InvalidArgument || len(violations) != 1 ||
			violations[0].Field != "/hello/workerId" || !strings.Contains(err.Error(), want) {
			t.Errorf("NewWorker with id %.20q: %v, want INVALID_ARGUMENT naming /hello/workerId: %s", id, err, want)
		}
	}
	if _, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: "127.0.0.1:1"},
		WorkerID:   strings.Repeat("é", 256),
		Executors:  []taskexecutor.Executor{{Name: "e", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }}},
	}); err != nil {
		t.Fatalf("an id of 256 characters: %v", err)
	}
}

// An id is required as the manager requires it: not empty once trimmed by JavaScript's trim, which
// removes other characters than strings.TrimSpace (U+FEFF, but not U+0085): the worker refused
// ids the manager takes, and took ids it refuses.
func TestNewWorkerTrimsAWorkerIDAsTheManagerDoes(t *testing.T) {
	for id, required := range map[string]bool{
		"\t\v\f \u00a0\ufeff": true,
		"\n\r\u2028\u2029":    true,
		"\u1680\u2000\u200a":  true,
		"\u202f\u205f\u3000":  true,
		"\ufeff":              true,
		"\u0085":              false,
		"\u180e":              false,
		"\u200b":              false,
		" \u0085 ":            false,
		"\ufeffworker\u3000":  false,
	} {
		_, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
			Connection: taskexecutor.Connection{Address: "127.0.0.1:1"},
			WorkerID:   id,
			Executors:  []taskexecutor.Executor{{Name: "e", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }}},
		})
		if required && (err == nil || !strings.Contains(err.Error(), "/hello/workerId: Is required")) || !required && err != nil {
			t.Errorf("NewWorker with id %+q: %v, want it required: %v", id, err, required)
		}
	}
}

func TestAWorkerWhoseHelloTheManagerRefusesStopsWithTheRefusalInsteadOfReconnecting(t *testing.T) {
	refusal, err := status.New(codes.InvalidArgument, `Worker id "w": Must not start with "legacy:"`).
		WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: "/hello/workerId", Description: `Must not start with "legacy:"`},
		}})
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeManager{endAtOnce: true, end: refusal.Err(), script: func(func(*pb.WorkResponse)) {}}
	var log testmanager.LockedBuffer
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: startFakeManager(t, fake)}, SkipRegistration: true,
		IgnoreSignals: true, Logger: slog.New(slog.NewTextHandler(&log, nil)), ReconnectDelay: 5 * time.Millisecond,
		Executors: []taskexecutor.Executor{{Name: "e", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return nil, nil }}},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = runToRefusal(t, worker)
	if err == nil || !strings.Contains(err.Error(), `Must not start with "legacy:"`) ||
		len(taskexecutor.FieldViolations(err)) != 1 {
		t.Fatalf("Run: %v, want the refusal, naming /hello/workerId", err)
	}
	fake.mu.Lock()
	streams := fake.streams
	fake.mu.Unlock()
	if streams != 1 || strings.Contains(log.String(), "reconnecting") {
		t.Fatalf("%d streams, log:\n%s\nwant one stream and no reconnect", streams, log.String())
	}
}
