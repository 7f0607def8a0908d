package taskexecutor_test

import (
	"context"
	"encoding/json"
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

// &RateLimit{} (Limit 0) went as a limit of 0 alone, which removes the executor's limit: a limit
// read as 0 from a setting left unset took it away, saying nothing, where the TypeScript SDK
// refuses rateLimit: {}. It is refused naming the field, and NoRateLimit removes a limit.
func TestRegisterExecutorRefusesARateLimitOfLimitZeroAndNoRateLimitRemovesIt(t *testing.T) {
	ctx := context.Background()
	client := newClient(t)
	register := func(config taskexecutor.ExecutorConfig) error {
		return client.RegisterExecutor(ctx, "go_no_rate_limit", config)
	}
	limits := func() (*pb.RateLimit, *pb.RateLimit) {
		t.Helper()
		answer, err := client.Manager().GetExecutor(ctx, &pb.GetExecutorRequest{Id: "go_no_rate_limit"})
		if err != nil {
			t.Fatal(err)
		}
		return answer.GetExecutor().GetRateLimit(), answer.GetExecutor().GetRateLimitPerKey()
	}
	if err := register(taskexecutor.ExecutorConfig{RateLimit: &taskexecutor.RateLimit{Limit: 10},
		RateLimitPerKey: &taskexecutor.RateLimit{Limit: 3}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		config taskexecutor.ExecutorConfig
		field  string
	}{
		{taskexecutor.ExecutorConfig{RateLimit: &taskexecutor.RateLimit{}}, "/config/rateLimit/limit"},
		{taskexecutor.ExecutorConfig{RateLimitPerKey: &taskexecutor.RateLimit{Period: time.Second}}, "/config/rateLimitPerKey/limit"},
	} {
		err := register(c.config)
		if v := taskexecutor.FieldViolations(err); status.Code(err) != codes.InvalidArgument || len(v) != 1 ||
			v[0].Field != c.field || !strings.Contains(err.Error(), c.field+": Must be a whole number between 1 and 1000000") {
			t.Errorf("a rate limit of limit 0 (%s): %v", c.field, err)
		}
	}
	if rate, perKey := limits(); rate.GetLimit() != 10 || perKey.GetLimit() != 3 {
		t.Fatalf("the limits after the refusals: %v, %v; want 10 and 3 kept", rate, perKey)
	}
	if err := register(taskexecutor.ExecutorConfig{RateLimit: taskexecutor.NoRateLimit}); err != nil {
		t.Fatal(err)
	}
	if rate, perKey := limits(); rate != nil || perKey.GetLimit() != 3 {
		t.Fatalf("the limits after NoRateLimit: %v, %v; want none and 3 kept", rate, perKey)
	}
	if err := register(taskexecutor.ExecutorConfig{RateLimitPerKey: taskexecutor.NoRateLimit}); err != nil {
		t.Fatal(err)
	}
	if _, perKey := limits(); perKey != nil {
		t.Fatalf("the limit per key after NoRateLimit: %v, want none", perKey)
	}
}

// durationRef is d's address, for the durations of a RetryPolicy (nil keeps the executor's).
func durationRef(d time.Duration) *time.Duration { return &d }

// A retry policy's Interval and MaxInterval 0 set 0 (retry at once, no bound); nil keeps them.
// They were time.Duration values, whose 0 was sent as no value: a bound, once set, could not be
// removed through the Client, nor the delay set to none.
func TestRegisterExecutorZeroIntervalAndMaxIntervalSetThemNilKeepsThem(t *testing.T) {
	ctx := context.Background()
	client := newClient(t)
	policy := func() *pb.RetryPolicy {
		t.Helper()
		answer, err := client.Manager().GetExecutor(ctx, &pb.GetExecutorRequest{Id: "go_zero_intervals"})
		if err != nil {
			t.Fatal(err)
		}
		return answer.GetExecutor().GetRetryPolicy()
	}
	register := func(retry taskexecutor.RetryPolicy) {
		t.Helper()
		err := client.RegisterExecutor(ctx, "go_zero_intervals",
			taskexecutor.ExecutorConfig{RetryPolicy: &retry})
		if err != nil {
			t.Fatal(err)
		}
	}
	register(taskexecutor.RetryPolicy{
		Interval: durationRef(2 * time.Second), MaxInterval: durationRef(5 * time.Second)})
	register(taskexecutor.RetryPolicy{MaxAttempts: 4})
	if p := policy(); p.GetInterval().AsDuration() != 2*time.Second ||
		p.GetMaxInterval().AsDuration() != 5*time.Second || p.GetMaxAttempts() != 4 {
		t.Fatalf("nil should keep the interval and its bound: %v", p)
	}
	register(taskexecutor.RetryPolicy{MaxInterval: durationRef(0)})
	if p := policy(); p.GetMaxInterval() == nil || p.GetMaxInterval().AsDuration() != 0 ||
		p.GetInterval().AsDuration() != 2*time.Second {
		t.Fatalf("MaxInterval 0 should remove the bound and keep the interval: %v", p)
	}
	register(taskexecutor.RetryPolicy{Interval: durationRef(0)})
	if p := policy(); p.GetInterval().AsDuration() != 0 || p.GetMaxInterval().AsDuration() != 0 {
		t.Fatalf("Interval 0 should set no delay: %v", p)
	}
}

// A duration finer than a millisecond is refused before anything is sent, naming the field: the
// manager keeps whole milliseconds, and its refusal speaks of REST's forms ("1.5s").
func TestRegisterExecutorRefusesADurationFinerThanAMillisecond(t *testing.T) {
	client := newClient(t)
	err := client.RegisterExecutor(context.Background(), "go_fine_period", taskexecutor.ExecutorConfig{
		RateLimit: &taskexecutor.RateLimit{Limit: 4, Period: 1500 * time.Microsecond}})
	if err == nil || !strings.Contains(err.Error(),
		"/config/rateLimit/period: Must be a whole number of milliseconds, not 1.5ms") {
		t.Fatalf("registering a period of 1.5 ms: %v", err)
	}
	if _, err := client.Manager().GetExecutor(context.Background(),
		&pb.GetExecutorRequest{Id: "go_fine_period"}); status.Code(err) != codes.NotFound {
		t.Fatalf("nothing should have been created: %v", err)
	}
}

// A DLQ's QueueName "" keeps the executor's queue ("dlq" on creation), as every field of the
// manager does: the doc said "" is the default queue, but an update with "" never moved an
// executor's dead letters back to "dlq"; only naming it does.
func TestRegisterExecutorDLQQueueNameEmptyKeepsTheQueue(t *testing.T) {
	ctx := context.Background()
	client := newClient(t)
	queue := func() string {
		t.Helper()
		answer, err := client.Manager().GetExecutor(ctx, &pb.GetExecutorRequest{Id: "go_dlq_queue"})
		if err != nil {
			t.Fatal(err)
		}
		return answer.GetExecutor().GetDlqConfig().GetQueueName()
	}
	register := func(dlq taskexecutor.DLQConfig) {
		t.Helper()
		if err := client.RegisterExecutor(ctx, "go_dlq_queue", taskexecutor.ExecutorConfig{DLQ: &dlq}); err != nil {
			t.Fatal(err)
		}
	}
	register(taskexecutor.DLQConfig{Enabled: true})
	if q := queue(); q != "dlq" {
		t.Fatalf("a new executor's queue: %q, want dlq", q)
	}
	register(taskexecutor.DLQConfig{Enabled: true, QueueName: "go_own_queue"})
	register(taskexecutor.DLQConfig{Enabled: true})
	if q := queue(); q != "go_own_queue" {
		t.Fatalf("QueueName \"\" should keep the queue: %q", q)
	}
	register(taskexecutor.DLQConfig{Enabled: true, QueueName: "dlq"})
	if q := queue(); q != "dlq" {
		t.Fatalf("naming dlq should move it back: %q", q)
	}
}

// The SDK's own refusals, made before anything is sent, are INVALID_ARGUMENT statuses naming the
// field, as the manager's are: in the message and as a field violation.
func TestTheSDKsOwnRefusalsAreInvalidArgumentStatusesNamingTheField(t *testing.T) {
	client := newClient(t)
	ctx := context.Background()
	check := func(what string, err error, field, description string) {
		t.Helper()
		if status.Code(err) != codes.InvalidArgument || strings.Contains(err.Error(), "proto:") ||
			!strings.Contains(err.Error(), field+": "+description) {
			t.Errorf("%s: %v", what, err)
		}
		if v := taskexecutor.FieldViolations(err); len(v) != 1 || v[0].Field != field ||
			!strings.HasPrefix(v[0].Description, description) {
			t.Errorf("%s: field violations %+v", what, v)
		}
	}
	check("a timeout of 1.5 ms", client.RegisterExecutor(ctx, "go_own_refusals",
		taskexecutor.ExecutorConfig{Timeout: 1500 * time.Microsecond}),
		"/config/timeout", "Must be a whole number of milliseconds, not 1.5ms")
	check("a task schema that is not JSON", client.RegisterExecutor(ctx, "go_own_refusals",
		taskexecutor.ExecutorConfig{TaskSchema: json.RawMessage(`{"type":`)}),
		"/config/taskSchema", "Is not JSON text")
	_, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_own_refusals", Data: make(chan int)})
	check("data that cannot be encoded", err, "/task/data", "Cannot be encoded as JSON")
	_, err = client.CreateTasks(ctx, []taskexecutor.NewTask{
		{ExecutorName: "go_own_refusals"}, {ExecutorName: "go_own_refusals", Data: json.RawMessage(`{x}`)}})
	check("the second task's data, not JSON", err, "/tasks/1/data", "Is not JSON text")
	_, err = taskexecutor.NewWorker(taskexecutor.WorkerOptions{Executors: []taskexecutor.Executor{{Name: "Bad name"}}})
	check("a bad executor name", err, "/executors/0/name", "Must be 1-128 characters")
}

// JSONValue's errors were fragments meant to follow a field's name ("is not JSON text: …"): said
// alone, to its own caller, they named nothing and did not say they came from the SDK.
func TestJSONValueSaysWhatItRefuses(t *testing.T) {
	for _, c := range []struct {
		value any
		want  string
	}{
		{json.RawMessage(`{"a":`), "taskexecutor: the value is not JSON text: "},
		{make(chan int), "taskexecutor: the value cannot be encoded as JSON: "},
	} {
		if _, err := taskexecutor.JSONValue(c.value); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("JSONValue(%T): %v; want %q…", c.value, err, c.want)
		}
	}
	if v, err := taskexecutor.JSONValue(map[string]int{"a": 1}); err != nil || v.GetStructValue().GetFields()["a"].GetNumberValue() != 1 {
		t.Errorf("JSONValue of a map: %v, %v", v, err)
	}
}
