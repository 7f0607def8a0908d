package taskexecutor

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/internal/violation"
)

// Why a handler's context was cancelled: context.Cause(ctx) is one of these.
var (
	// ErrCancelled: the task was cancelled (through the API or the admin page).
	ErrCancelled = errors.New("taskexecutor: the task was cancelled")
	// ErrLeaseLost: the manager no longer holds this worker's lease on the task (it was settled by
	// hand, or its lease expired and it was handed on); the attempt's result will be refused.
	ErrLeaseLost = errors.New("taskexecutor: the lease on the task was lost")
	// ErrTimeout: the attempt ran past its executor's timeout without calling Heartbeat.
	ErrTimeout = errors.New("taskexecutor: the attempt timed out")
	// ErrShutdown: the worker is stopping and the drain's grace period is over, or the manager
	// refused the worker (its key revoked, its reach cut), which can deliver no result any more.
	ErrShutdown = errors.New("taskexecutor: the worker is shutting down")
)

// nonRetryable marks an error that must not be retried.
type nonRetryable struct{ err error }

func (e nonRetryable) Error() string { return e.err.Error() }
func (e nonRetryable) Unwrap() error { return e.err }

// NonRetryable wraps err so that a handler returning it fails the task for good: it is
// dead-lettered at once (reason non_retryable; failed when the executor's DLQ is disabled).
// NonRetryable(nil) does too, with the message "taskexecutor: NonRetryable(nil): no error given".
func NonRetryable(err error) error { return nonRetryable{orNil(err, "NonRetryable")} }

// orNil is err, or for nil an error saying which constructor was given nil: nil made Error()
// dereference a nil error, a panic the worker reported as a retryable failure.
func orNil(err error, constructor string) error {
	if err == nil {
		return errorf("%s(nil): no error given", constructor)
	}
	return err
}

// retryAfter asks for the next attempt after a given delay.
type retryAfter struct {
	err   error
	delay time.Duration
}

func (e retryAfter) Error() string { return e.err.Error() }
func (e retryAfter) Unwrap() error { return e.err }

// RetryAfter wraps err so that the next attempt runs after delay (whole milliseconds, at least
// 1 ms) instead of the retry policy's delay; the attempt still counts against maxAttempts. A nil
// err is taken as an error saying "taskexecutor: RetryAfter(nil): no error given".
func RetryAfter(delay time.Duration, err error) error {
	return retryAfter{err: orNil(err, "RetryAfter"), delay: max(delay, time.Millisecond)}
}

// rateLimited postpones the task without spending an attempt.
type rateLimited struct {
	err   error
	delay time.Duration
}

func (e rateLimited) Error() string { return e.err.Error() }
func (e rateLimited) Unwrap() error { return e.err }

// RateLimited wraps err to say the handler was rate limited by something it calls (a third-party
// API's 429): the task runs again after delay (whole milliseconds; the manager waits at least
// 100 ms) without spending an attempt and without an entry in its Errors, unlike RetryAfter. On
// the worker protocol it is a failed Result with rate_limited set. NonRetryable wins over it. A
// nil err is taken as an error saying "taskexecutor: RateLimited(nil): no error given".
func RateLimited(delay time.Duration, err error) error {
	return rateLimited{err: orNil(err, "RateLimited"), delay: max(delay, 0)}
}

// FieldViolation is one bad field of a refused request: the JSON pointer of the field in the
// request (lowerCamelCase, e.g. "/task/data/priority"), or the Go name of an option of the SDK's
// own that NewWorker or NewClient refuses ("WorkerOptions.ShutdownGrace"), and what is wrong with
// it.
type FieldViolation struct {
	Field       string
	Description string
}

// FieldViolations reads the field errors of an INVALID_ARGUMENT error from the manager (its
// google.rpc.BadRequest detail); nil when err carries none.
func FieldViolations(err error) []FieldViolation {
	var out []FieldViolation
	for _, detail := range status.Convert(err).Details() {
		if badRequest, ok := detail.(*errdetails.BadRequest); ok {
			for _, v := range badRequest.GetFieldViolations() {
				out = append(out, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
	}
	return out
}

// ExistingTaskID reads the id of the task a repeated idempotency key made from the
// codes.AlreadyExists error of CreateTask or CreateAndWait (the manager's google.rpc.ErrorInfo
// detail, reason IDEMPOTENCY_KEY_USED, domain tasks-executor, metadata taskId); "" when err
// carries none (another error, or a manager older than 2026-12-07). GetTask or Wait reads the task:
//
//	task, err := client.CreateTask(ctx, newTask)
//	if id := taskexecutor.ExistingTaskID(err); id != "" {
//		task, err = client.GetTask(ctx, id)
//	}
func ExistingTaskID(err error) string {
	if err == nil {
		return ""
	}
	for _, detail := range status.Convert(err).Details() {
		info, ok := detail.(*errdetails.ErrorInfo)
		if ok && info.GetReason() == "IDEMPOTENCY_KEY_USED" && info.GetDomain() == "tasks-executor" {
			if id := info.GetMetadata()["taskId"]; id != "" {
				return id
			}
		}
	}
	return ""
}

// MissingExecutor reads the name (or id, as asked) of the executor that does not exist from a
// codes.NotFound error: CreateTask or CreateAndWait for it, or a read or change of it, GetStats and
// GetHistory through Manager() naming it included (the manager's google.rpc.ErrorInfo detail,
// reason EXECUTOR_NOT_FOUND, domain tasks-executor, metadata executor); "" when err carries none (a
// missing task, another error, or a manager older than 2026-12-07, whose GetStats and GetHistory
// answered no figures and zeros for such a name):
//
//	task, err := client.CreateTask(ctx, newTask)
//	if name := taskexecutor.MissingExecutor(err); name != "" {
//		err = client.RegisterExecutor(ctx, name, taskexecutor.ExecutorConfig{})
//	}
func MissingExecutor(err error) string {
	if err == nil {
		return ""
	}
	for _, detail := range status.Convert(err).Details() {
		info, ok := detail.(*errdetails.ErrorInfo)
		if ok && info.GetReason() == "EXECUTOR_NOT_FOUND" && info.GetDomain() == "tasks-executor" {
			if name := info.GetMetadata()["executor"]; name != "" {
				return name
			}
		}
	}
	return ""
}

// invalidArgument is the SDK's refusal of a bad field before anything is sent, as the manager
// refuses one: an INVALID_ARGUMENT status whose message names the field (a JSON pointer, as the
// manager's) and which carries it as a google.rpc.BadRequest field violation (FieldViolations).
// description is in the manager's words, a sentence of its own ("Must be …", "Is required").
func invalidArgument(subject, field, description string) error {
	message := "taskexecutor: " + subject + ": " + violation.Describe(field, description)
	s, err := status.New(codes.InvalidArgument, message).WithDetails(&errdetails.BadRequest{
		FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: description}},
	})
	if err != nil {
		return status.Error(codes.InvalidArgument, message)
	}
	return s.Err()
}

// errorf builds the SDK's own errors.
func errorf(format string, args ...any) error {
	return fmt.Errorf("taskexecutor: "+format, args...)
}
