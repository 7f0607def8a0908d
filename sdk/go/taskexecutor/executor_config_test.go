package taskexecutor_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/taskexecutor"
	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// MaxConcurrency 0 removes the limit and Jitter 0 the jitter; nil keeps what the executor has.
// Both were sent without presence, so a 0 read as "not given" and the old value stayed.
func TestRegisterExecutorZeroMaxConcurrencyAndJitterRemoveThemNilKeepsThem(t *testing.T) {
	ctx := context.Background()
	client := newClient(t)
	five, none, half := 5, 0, 0.5
	zero := 0.0
	stored := func() *pb.Executor {
		t.Helper()
		answer, err := client.Manager().GetExecutor(ctx, &pb.GetExecutorRequest{Id: "go_zero_limits"})
		if err != nil {
			t.Fatal(err)
		}
		return answer.GetExecutor()
	}
	register := func(config taskexecutor.ExecutorConfig) {
		t.Helper()
		if err := client.RegisterExecutor(ctx, "go_zero_limits", config); err != nil {
			t.Fatal(err)
		}
	}
	register(taskexecutor.ExecutorConfig{
		MaxConcurrency: &five, RetryPolicy: &taskexecutor.RetryPolicy{Jitter: &half}})
	register(taskexecutor.ExecutorConfig{RetryPolicy: &taskexecutor.RetryPolicy{MaxAttempts: 4}})
	if e := stored(); e.GetMaxConcurrency() != 5 || e.GetRetryPolicy().GetJitter() != 0.5 {
		t.Fatalf("nil should keep the limit and the jitter: %v", e)
	}
	register(taskexecutor.ExecutorConfig{
		MaxConcurrency: &none, RetryPolicy: &taskexecutor.RetryPolicy{Jitter: &zero}})
	if e := stored(); e.GetMaxConcurrency() != 0 || e.GetRetryPolicy().GetJitter() != 0 {
		t.Fatalf("0 should remove the limit and the jitter: %v", e)
	}
}

// A duration finer than a millisecond is refused before anything is sent, naming the field: the
// manager keeps whole milliseconds, and its refusal speaks of REST's forms ("1.5s").
func TestRegisterExecutorRefusesADurationFinerThanAMillisecond(t *testing.T) {
	client := newClient(t)
	err := client.RegisterExecutor(context.Background(), "go_fine_period", taskexecutor.ExecutorConfig{
		RateLimit: &taskexecutor.RateLimit{Limit: 4, Period: 1500 * time.Microsecond}})
	if err == nil || !strings.Contains(err.Error(),
		"/config/rateLimit/period must be a whole number of milliseconds, not 1.5ms") {
		t.Fatalf("registering a period of 1.5 ms: %v", err)
	}
	if _, err := client.Manager().GetExecutor(context.Background(),
		&pb.GetExecutorRequest{Id: "go_fine_period"}); status.Code(err) != codes.NotFound {
		t.Fatalf("nothing should have been created: %v", err)
	}
}
