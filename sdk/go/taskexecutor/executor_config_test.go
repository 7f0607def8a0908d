package taskexecutor_test

import (
	"context"
	"testing"

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
