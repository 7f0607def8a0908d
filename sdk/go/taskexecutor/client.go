package taskexecutor

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// TaskStatus is where a task stands, by its REST name: "pending", "in_progress", "completed",
// "failed", "dlq" or "cancelled".
type TaskStatus string

// The statuses of a task; the last four are final.
const (
	StatusPending    TaskStatus = "pending"
	StatusInProgress TaskStatus = "in_progress"
	StatusCompleted  TaskStatus = "completed"
	StatusFailed     TaskStatus = "failed"
	StatusDLQ        TaskStatus = "dlq"
	StatusCancelled  TaskStatus = "cancelled"
)

// Final reports whether no attempt will follow (completed, failed, dlq, cancelled).
func (s TaskStatus) Final() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusDLQ || s == StatusCancelled
}

// Task is a task as the manager stores it. Times not reached yet are the zero time, and so are
// times the manager sends outside protobuf's range (years 1 to 9999).
type Task struct {
	ID           string
	ExecutorName string
	// Data is the task's JSON data (decode it with json.Unmarshal).
	Data     json.RawMessage
	Metadata map[string]string
	Status   TaskStatus
	Priority int
	RunAt    time.Time
	// Attempt counts the attempts started so far; MaxAttempts is the executor's limit.
	Attempt     int
	MaxAttempts int
	// Run is 1, then one more per requeue (attempts count from 1 again in each run).
	Run int
	// Progress is the latest progress a worker reported with a heartbeat (JSON text; "null" when
	// none was, or in the basic view CreateTasks answers).
	Progress json.RawMessage
	// Logs holds the lines the handler logged during the attempt that completed the task, oldest
	// first (nil before; a failed attempt's lines are in its TaskError).
	Logs []string
	// LeaseExpiresAt is when the lease of the attempt holding the task runs out; the zero time
	// when no attempt holds it.
	LeaseExpiresAt time.Time
	// Errors has one entry per failed attempt, and per attempt ended by hand (a running task moved
	// back to pending or marked failed); the first and the newest ones when there were many,
	// ErrorsDropped says how many were left out.
	Errors        []TaskError
	ErrorsDropped int
	// Result is the handler's JSON result ("null" until it completes with one).
	Result         json.RawMessage
	CreatedAt      time.Time
	UpdatedAt      time.Time
	StartedAt      time.Time
	CompletedAt    time.Time
	IdempotencyKey string
	// GroupKey is the task's flow-control group ("" = none).
	GroupKey string
	// WorkerID is the worker of the current attempt: holding it, or whose attempt ended the task;
	// "" while it is pending (the workers of earlier attempts are in Errors).
	WorkerID string
}

// TaskError is one failed attempt, or one ended by hand (WorkerID names its worker either way).
type TaskError struct {
	Attempt  int
	Message  string
	At       time.Time
	WorkerID string
	// Stack is the failure's stack trace as the worker sent it: the Go worker sends the
	// goroutine's stack of a handler that panicked.
	Stack string
	// Run is the run the attempt belonged to (0 for an error recorded before runs were counted).
	Run int
	// Logs holds the lines the handler logged during the attempt, oldest first.
	Logs []string
}

// NewTask is a task to create.
type NewTask struct {
	ExecutorName string
	// Data is encoded with encoding/json (a json.RawMessage or []byte is taken as JSON text);
	// nil = JSON null. It must match the executor's schema.
	Data     any
	Metadata map[string]string
	// Priority: higher runs first among ready tasks of an executor.
	Priority int
	// RunAt delays the first attempt; zero (or the epoch) = now. It is sent as the millisecond it
	// falls in (a finer part is dropped), the time the manager keeps, as the TypeScript SDK's runAt
	// holds. A time before 1970 is refused with INVALID_ARGUMENT naming the field ("/task/runAt").
	RunAt time.Time
	// IdempotencyKey, when set, makes a second create with the same key make no second task:
	// CreateTask and CreateAndWait fail with codes.AlreadyExists, and ExistingTaskID(err) names
	// the task the first create made; CreateTasks and CreateTasksDetailed return that task.
	IdempotencyKey string
	// GroupKey puts the task in a flow-control group (per-key rate limits and concurrency, fair
	// dispatch between keys); "" = the executor's GroupKeyPointer into the data decides.
	GroupKey string
}

// TaskFilter selects tasks to list; zero fields select everything. A status in Statuses is a
// TaskStatus or the proto's name for one (TaskStatus("TASK_STATUS_FAILED")), as the manager reads
// either; another ("bogus", "Completed", "", "TASK_STATUS_UNSPECIFIED") is refused before anything
// is sent, as INVALID_ARGUMENT naming it ("/status/1"). Its times are sent as NewTask.RunAt is, as
// the millisecond they fall in; one before 1970 is refused naming it ("/createdAfter").
type TaskFilter struct {
	ExecutorName  string
	Statuses      []TaskStatus
	CreatedAfter  time.Time
	CreatedBefore time.Time
	// FinishedAfter and FinishedBefore select by when a task ended (completed, failed, dead or
	// cancelled). A page by end time looks at a bounded number of tasks, so it may hold fewer
	// than Limit, none even, with a next cursor to go on with.
	FinishedAfter  time.Time
	FinishedBefore time.Time
	// Cursor continues a listing (the next cursor a previous call returned).
	Cursor string
	// Limit is the page size: 0 is the manager's default (50); otherwise 1 to 1000, else the
	// manager refuses it (INVALID_ARGUMENT naming limit).
	Limit int
}

// Client calls the manager's management API (TaskExecutorManagerService). Safe for concurrent use.
// CreateTask, CreateAndWait and Wait travel as messages on one producer stream (Produce) kept open
// on the connection while they are in use (ended after 5 s with nothing open on it), each bounded
// by its own ctx and failing as its own call would; the `traceparent` and `tracestate` of ctx's
// outgoing metadata go with it. They are read first, by CreateTask, CreateAndWait, CreateTasks
// and Wait however they go: a traceparent the manager cannot read (W3C's, in lowercase hex) is
// refused as INVALID_ARGUMENT naming "/traceparent", as the TypeScript SDK refuses a malformed
// traceparent, and the tracestate goes as the manager keeps it (W3C's list rules, as the
// TypeScript SDK sends it): its malformed entries (a key or value off W3C's grammar, one not
// printable ASCII) dropped, at most 32 entries and 512 characters, none without a traceparent.
// Each goes as its own call instead when the manager does not serve
// the stream or that kind of request (an older version), when 1,000 requests are open on it, when
// it is larger than Connection.MaxRequestBytes (the manager's limit, default 4 MiB: its own call is
// refused alone) or when ctx carries other outgoing metadata.
type Client struct {
	conn     *grpc.ClientConn
	manager  pb.TaskExecutorManagerServiceClient
	producer *producer
	// answers tells whether the manager ever answered on conn (nil: not counted, never).
	answers *answers
}

// NewClient returns a client of the manager at connection.Address. It connects lazily: an
// unreachable manager shows in the first call's error.
func NewClient(connection Connection) (*Client, error) {
	if err := connection.check("a client"); err != nil {
		return nil, err
	}
	counted := &answers{}
	conn, err := connection.dial(grpc.WithStatsHandler(counted))
	if err != nil {
		return nil, err
	}
	client := clientOn(conn, connection)
	client.answers = counted
	return client, nil
}

// clientOn is a Client of the manager on conn, dialled from connection.
func clientOn(conn *grpc.ClientConn, connection Connection) *Client {
	manager := pb.NewTaskExecutorManagerServiceClient(conn)
	return &Client{conn: conn, manager: manager, producer: &producer{
		manager:         manager,
		maxRequestBytes: cmp.Or(connection.MaxRequestBytes, defaultMaxRequestBytes),
	}}
}

// Close closes the connection; requests still open on the producer stream fail with CANCELLED.
func (c *Client) Close() error {
	c.producer.close()
	return c.conn.Close()
}

// Manager is the generated client of the whole management API, on the same connection, for the
// calls this type does not wrap (DLQ, stats, keys, …). Its errors are the manager's statuses as
// they are: GetStats and GetHistory naming an executor that does not exist answer codes.NotFound,
// which MissingExecutor reads the name from.
func (c *Client) Manager() pb.TaskExecutorManagerServiceClient { return c.manager }

// CreateTask creates one task. Data that does not match the executor's schema is refused with
// INVALID_ARGUMENT (FieldViolations names the fields, e.g. "/task/data/priority"). When ctx ends
// before the manager answered, or the connection breaks, the task may have been made: retry with
// an IdempotencyKey. A key that made a task before is refused with ALREADY_EXISTS, and
// ExistingTaskID(err) names that task.
func (c *Client) CreateTask(ctx context.Context, task NewTask) (*Task, error) {
	ctx, err := checkTrace(ctx, "a create")
	if err != nil {
		return nil, err
	}
	message, err := newTaskMessage(task, "/task")
	if err != nil {
		return nil, err
	}
	request := &pb.CreateTaskRequest{Task: message}
	var created *pb.Task
	err = c.producer.send(ctx, kindCreate, &pb.ProduceRequest{
		Kind: &pb.ProduceRequest_Create{Create: request},
	}, 1, func(task *pb.Task) { created = task })
	if errors.Is(err, errOwnCall) {
		response, err := c.manager.CreateTask(ctx, request)
		if err != nil {
			return nil, err
		}
		created = response.GetTask()
	} else if err != nil {
		return nil, err
	}
	return taskFromMessage(created), nil
}

// CreateTasks creates many tasks in one call, all or none (a bad one is named by its index:
// "/tasks/3/data"). Returns them in the order given; CreateTasksDetailed also tells which of them
// the call created.
func (c *Client) CreateTasks(ctx context.Context, tasks []NewTask) ([]*Task, error) {
	created, _, err := c.CreateTasksDetailed(ctx, tasks)
	return created, err
}

// CreateTasksDetailed creates many tasks as CreateTasks does and returns, besides the tasks, one
// flag per task in the same order (REST's batch answer): true where this call created the task,
// false where an idempotency key had made it before, by an earlier call or by an earlier task of
// this one (the same key twice in one call makes one task, created once). The flags are nil when
// the manager is from before CreateTasksResponse.created and sent none.
func (c *Client) CreateTasksDetailed(ctx context.Context, tasks []NewTask) ([]*Task, []bool, error) {
	ctx, err := checkTrace(ctx, "a create")
	if err != nil {
		return nil, nil, err
	}
	messages := make([]*pb.NewTask, len(tasks))
	for i, task := range tasks {
		message, err := newTaskMessage(task, fmt.Sprintf("/tasks/%d", i))
		if err != nil {
			return nil, nil, err
		}
		messages[i] = message
	}
	response, err := c.manager.CreateTasks(ctx, &pb.CreateTasksRequest{Tasks: messages})
	if err != nil {
		return nil, nil, err
	}
	created := response.GetCreated()
	if len(created) != len(response.GetTasks()) {
		created = nil
	}
	return tasksFromMessages(response.GetTasks()), created, nil
}

// GetTask reads one task (NOT_FOUND when there is none with that id).
func (c *Client) GetTask(ctx context.Context, id string) (*Task, error) {
	request := &pb.GetTaskRequest{Id: id}
	if err := checkText("a task id", request, ""); err != nil {
		return nil, err
	}
	response, err := c.manager.GetTask(ctx, request)
	if err != nil {
		return nil, err
	}
	return taskFromMessage(response.GetTask()), nil
}

// ListTasks lists one page of tasks, newest first, and the cursor of the next page ("" at the
// end).
func (c *Client) ListTasks(ctx context.Context, filter TaskFilter) ([]*Task, string, error) {
	request := &pb.ListTasksRequest{
		ExecutorName: filter.ExecutorName,
		Cursor:       filter.Cursor,
		Limit:        wire32(filter.Limit),
	}
	for i, s := range filter.Statuses {
		value, err := enumValue(pb.TaskStatus_value, "TASK_STATUS_", string(s), "a name the protocol does not have",
			fmt.Sprintf("/status/%d", i))
		if err != nil {
			return nil, "", err
		}
		request.Status = append(request.Status, pb.TaskStatus(value))
	}
	request.CreatedAfter = managerTime(filter.CreatedAfter)
	request.CreatedBefore = managerTime(filter.CreatedBefore)
	request.FinishedAfter = managerTime(filter.FinishedAfter)
	request.FinishedBefore = managerTime(filter.FinishedBefore)
	if err := checkText("a task filter", request, ""); err != nil {
		return nil, "", err
	}
	response, err := c.manager.ListTasks(ctx, request)
	if err != nil {
		return nil, "", err
	}
	return tasksFromMessages(response.GetTasks()), response.GetNextCursor(), nil
}

// CancelTask cancels a pending or running task (a running one's handler sees its context
// cancelled with ErrCancelled); FAILED_PRECONDITION when it has ended.
func (c *Client) CancelTask(ctx context.Context, id string) (*Task, error) {
	request := &pb.CancelTaskRequest{Id: id}
	if err := checkText("a task id", request, ""); err != nil {
		return nil, err
	}
	response, err := c.manager.CancelTask(ctx, request)
	if err != nil {
		return nil, err
	}
	return taskFromMessage(response.GetTask()), nil
}

// MaxWaitIDs is how many task ids one Wait may name: the manager's default (1000).
const MaxWaitIDs = 1000

// Wait waits until every task named has a final status (completed, failed, dlq, cancelled) and
// returns them in the order given. It is one wait (a watch request on the producer stream, or a
// WatchTasks call; at most MaxWaitIDs ids, else INVALID_ARGUMENT naming /taskIds before anything
// is sent, as the manager would answer: far more would end the producer stream, and the requests
// open on it);
// bound it with ctx, whose end cancels the wait on the manager. NOT_FOUND when an id is unknown.
// No ids is no wait: an empty slice at once, nothing sent (every task named is final), as the
// TypeScript SDK's waitForTasks([]) answers [], so a batch that came out empty needs no case of
// its own; the manager refuses a watch that names no task.
//
// A wait that loses a manager it had reached (the manager stopped or restarted, the connection
// dropped) watches the tasks not yet final again, after a backoff of 100 ms doubling to 2 s, until
// ctx ends: waiting reads and changes nothing, and the manager keeps the tasks. It ends then with
// ctx's status when the manager is back (a watch open on a connection that is up), else with
// UNAVAILABLE saying the manager stayed unreachable or unavailable (the last watch failed, or hung
// on a connection not up). A manager never reached on this client's connection fails the wait at
// once with UNAVAILABLE, as every call does; any other error (a revoked key's UNAUTHENTICATED on
// watching again) ends it.
func (c *Client) Wait(ctx context.Context, ids ...string) ([]*Task, error) {
	if len(ids) == 0 {
		return []*Task{}, nil
	}
	if len(ids) > MaxWaitIDs {
		return nil, invalidArgument("a wait", "/taskIds",
			fmt.Sprintf("Must hold at most %d task ids, not %d", MaxWaitIDs, len(ids)))
	}
	if err := checkText("a wait", &pb.WatchTasksRequest{TaskIds: ids}, ""); err != nil {
		return nil, err
	}
	ctx, err := checkTrace(ctx, "a wait")
	if err != nil {
		return nil, err
	}
	return c.waitFor(ctx, ids, nil)
}

// waitFor is Wait for ids, valid; lost is how an earlier wait for them lost the manager
// (CreateAndWait's), or nil.
func (c *Client) waitFor(ctx context.Context, ids []string, lost error) ([]*Task, error) {
	found := make(map[string]*Task, len(ids))
	delay := waitAgainFirst
	for left := ids; len(left) > 0; left = missing(ids, found) {
		before := len(found)
		err := c.watch(ctx, left, found)
		switch {
		case err == nil:
			lost = nil
		case c.watchesAgain(err):
			lost = err
		case ctx.Err() != nil && status.Code(err) == status.Code(status.FromContextError(ctx.Err()).Err()):
			// The context ended while the watch was open: the manager is back when the connection
			// is up (the tasks are just not final yet).
			if c.conn.GetState() == connectivity.Ready {
				lost = nil
			}
			return nil, waitEnded(ctx, lost)
		default:
			return nil, err
		}
		if len(missing(ids, found)) == 0 {
			break
		}
		// A watch that brought a task had the manager back: the backoff starts again.
		if len(found) > before {
			delay = waitAgainFirst
		}
		// Lost the manager, or the wait ended before every task was final: watch again.
		select {
		case <-ctx.Done():
			// Between two watches: lost (not nil) is how the last one failed.
			return nil, waitEnded(ctx, lost)
		case <-time.After(jittered(delay)):
		}
		delay = min(2*delay, waitAgainMax)
	}
	out := make([]*Task, len(ids))
	for i, id := range ids {
		out[i] = found[id]
	}
	return out, nil
}

// waitEnded is the error of a wait whose context ended: the context's status, or, when the wait
// had lost the manager (lost) and did not get through again, UNAVAILABLE saying so.
func waitEnded(ctx context.Context, lost error) error {
	if lost == nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	return status.Errorf(codes.Unavailable,
		"%s; the wait watched again until its context ended, and the manager stayed unreachable or unavailable",
		status.Convert(lost).Message())
}

// missing is the ids that found has no task for.
func missing(ids []string, found map[string]*Task) []string {
	var left []string
	for _, id := range ids {
		if found[id] == nil {
			left = append(left, id)
		}
	}
	return left
}

// The backoff of a wait that lost its manager before it watches again (Wait).
const (
	waitAgainFirst = 100 * time.Millisecond
	waitAgainMax   = 2 * time.Second
)

// watchesAgain says whether a wait that failed with err watches again: UNAVAILABLE once the
// manager had answered on this client's connection.
func (c *Client) watchesAgain(err error) bool {
	return status.Code(err) == codes.Unavailable && c.answers != nil && c.answers.heard.Load()
}

// watch is one wait for the tasks of ids, putting each in found as it is final.
func (c *Client) watch(ctx context.Context, ids []string, found map[string]*Task) error {
	request := &pb.WatchTasksRequest{TaskIds: ids}
	err := c.producer.send(ctx, kindWatch, &pb.ProduceRequest{
		Kind: &pb.ProduceRequest_Watch{Watch: request},
	}, len(ids)+1, func(message *pb.Task) {
		task := taskFromMessage(message)
		found[task.ID] = task
	})
	if errors.Is(err, errOwnCall) {
		err = c.watchCall(ctx, request, found)
	}
	return err
}

// watchCall waits for the tasks of request with their own WatchTasks call, putting each in found.
func (c *Client) watchCall(ctx context.Context, request *pb.WatchTasksRequest, found map[string]*Task) error {
	stream, err := c.manager.WatchTasks(ctx, request)
	if err != nil {
		return err
	}
	for {
		response, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		task := taskFromMessage(response.GetTask())
		found[task.ID] = task
	}
}

// CreateAndWait creates one task and waits for it to reach a final status, in one request (a
// create_and_watch on the producer stream, or a CreateAndWatchTask call): the manager sends the
// task as created, then the moment it is final — a round trip less than CreateTask then Wait. It
// is refused as CreateTask is, and with RESOURCE_EXHAUSTED when the manager's waits are full,
// before anything is created. Once created the task runs whatever becomes of the call: when ctx
// ends first, the error is ctx's status (status.Code(err) is codes.DeadlineExceeded or
// codes.Canceled; errors.Is with the context's errors does not match it) and the task is returned
// as created, so that its id is known. The task as created is as CreateTask answers it: already in
// progress when a worker was waiting. Once the task is created, a wait that loses its manager
// watches the task again as Wait does.
func (c *Client) CreateAndWait(ctx context.Context, task NewTask) (*Task, error) {
	ctx, err := checkTrace(ctx, "a create")
	if err != nil {
		return nil, err
	}
	message, err := newTaskMessage(task, "/task")
	if err != nil {
		return nil, err
	}
	request := &pb.CreateAndWatchTaskRequest{Task: message}
	var created, final *Task
	err = c.producer.send(ctx, kindCreateAndWatch, &pb.ProduceRequest{
		Kind: &pb.ProduceRequest_CreateAndWatch{CreateAndWatch: request},
	}, 3, func(message *pb.Task) {
		got := taskFromMessage(message)
		if created == nil {
			created = got
		}
		if got.Status.Final() {
			final = got
		}
	})
	switch {
	case errors.Is(err, errOwnCall):
		return c.createAndWaitCall(ctx, request)
	case created != nil && err == nil && final == nil:
		return c.waitOn(ctx, created, nil)
	case created != nil && c.watchesAgain(err):
		return c.waitOn(ctx, created, err)
	case err != nil:
		return created, err
	}
	return final, nil
}

// waitOn waits for created, a task whose create-and-wait lost its manager (lost) or ended early
// (lost nil), as Wait does; on failure it returns created with the error.
func (c *Client) waitOn(ctx context.Context, created *Task, lost error) (*Task, error) {
	tasks, err := c.waitFor(ctx, []string{created.ID}, lost)
	if err != nil {
		return created, err
	}
	return tasks[0], nil
}

// createAndWaitCall is CreateAndWait with its own CreateAndWatchTask call.
func (c *Client) createAndWaitCall(ctx context.Context, request *pb.CreateAndWatchTaskRequest) (*Task, error) {
	stream, err := c.manager.CreateAndWatchTask(ctx, request)
	if err != nil {
		return nil, err
	}
	var created *Task
	for {
		response, err := stream.Recv()
		if created != nil && errors.Is(err, io.EOF) {
			return c.waitOn(ctx, created, nil)
		}
		if created != nil && c.watchesAgain(err) {
			return c.waitOn(ctx, created, err)
		}
		if errors.Is(err, io.EOF) {
			return nil, status.Error(codes.Unavailable, "the manager ended the wait before the task was created")
		}
		if err != nil {
			return created, err
		}
		got := taskFromMessage(response.GetTask())
		if created == nil {
			created = got
		}
		if got.Status.Final() {
			return got, nil
		}
	}
}

// RetryPolicyType names how the delay between attempts grows.
type RetryPolicyType string

// The retry policy types.
const (
	RetryConstant    RetryPolicyType = "constant"
	RetryLinear      RetryPolicyType = "linear"
	RetryExponential RetryPolicyType = "exponential"
)

// RetryPolicy says how often and how soon a failed attempt is retried. Zero fields keep what the
// executor has (the manager's defaults on creation); the fields whose 0 is a value of theirs
// (Interval, MaxInterval, Jitter) are pointers, which keep it when nil.
type RetryPolicy struct {
	Type        RetryPolicyType
	MaxAttempts int
	// Interval is the base delay before a retry (whole milliseconds); nil keeps it, 0 = at once.
	Interval *time.Duration
	// MaxInterval bounds each delay (whole milliseconds, 0 or at least Interval); nil keeps it,
	// 0 = no bound.
	MaxInterval *time.Duration
	// Multiplier grows the delay of an exponential policy; 0 keeps it. NaN and the infinities are
	// refused before anything is sent, naming the field, and so are they in Jitter.
	Multiplier float64
	Jitter     *float64 // 0..1, the fraction of each delay drawn at random; nil keeps it, 0 = none
}

// ExecutorConfig is the configuration a worker registers for an executor. Zero fields keep what
// the executor has (or the manager's defaults on creation).
type ExecutorConfig struct {
	Enabled *bool
	// TaskSchema is the JSON Schema task data must match (JSON text); nil keeps the current one,
	// "null" removes it.
	TaskSchema  json.RawMessage
	RetryPolicy *RetryPolicy
	// DLQ enables the dead letter queue or not; its QueueName "" keeps the executor's queue ("dlq"
	// on creation): name "dlq" to move one back to the default queue.
	DLQ *DLQConfig
	// WriteConcern: "unacknowledged", "replica_acknowledged", "journaled" or "majority", or the
	// proto's name for one ("WRITE_CONCERN_LEVEL_MAJORITY"); "" keeps it. Another name is refused
	// before anything is sent (INVALID_ARGUMENT naming "/config/writeConcern"), as is a
	// RetryPolicy.Type other than the RetryPolicyType constants, the proto's names for them
	// ("RETRY_POLICY_TYPE_LINEAR") or "".
	WriteConcern string
	// Timeout is the length of one attempt's lease (whole milliseconds).
	Timeout time.Duration
	// MaxConcurrency bounds running tasks across every worker and manager; nil keeps it,
	// 0 = unlimited.
	MaxConcurrency *int
	// RateLimit bounds the executor's task starts, shared by every worker and manager; nil keeps
	// it, NoRateLimit removes it. A Limit of 0 is refused before anything is sent.
	RateLimit *RateLimit
	// RateLimitPerKey bounds task starts per group key; nil keeps it, NoRateLimit removes it.
	RateLimitPerKey *RateLimit
	// MaxConcurrencyPerKey bounds running tasks of one group key across every worker and manager;
	// nil keeps it, 0 = unlimited.
	MaxConcurrencyPerKey *int
	// GroupKeyPointer is a JSON pointer into task data giving a task created without a GroupKey
	// its key ("/customerId"); nil keeps it, "" removes it.
	GroupKeyPointer *string
}

// RateLimit allows at most Limit task starts per Period (whole milliseconds, 1 ms .. 1 day;
// 0 = 1 s), up to Burst at once (0 = Limit). Limit is 1 to 1,000,000: a RateLimit of Limit 0 is
// refused (INVALID_ARGUMENT naming "/config/rateLimit/limit"), as the TypeScript SDK refuses
// `rateLimit: {}`; give NoRateLimit to remove a limit.
type RateLimit struct {
	Limit  int
	Period time.Duration
	Burst  int
}

// NoRateLimit, as ExecutorConfig.RateLimit or RateLimitPerKey, removes the executor's limit (sent
// as a RateLimit of limit 0 alone, as REST's {"limit": 0} and the TypeScript SDK's null are). It
// is told by its address, whatever it holds: any other RateLimit of Limit 0, such as
// &RateLimit{}, is refused.
var NoRateLimit = &RateLimit{}

// DLQConfig is an executor's dead letter queue setting: Enabled is always sent, QueueName ""
// keeps the executor's queue ("dlq" on creation).
type DLQConfig struct {
	Enabled   bool
	QueueName string
}

// RegisterExecutor creates executor name with config, or updates it when it exists.
func (c *Client) RegisterExecutor(ctx context.Context, name string, config ExecutorConfig) error {
	message, err := executorConfigMessage(name, config)
	if err != nil {
		return err
	}
	return c.registerExecutorMessage(ctx, name, message)
}

// registerExecutorMessage creates executor name with message (executorConfigMessage's), or updates
// it when it exists.
func (c *Client) registerExecutorMessage(ctx context.Context, name string, message *pb.ExecutorConfig) error {
	_, err := c.manager.CreateExecutor(ctx, &pb.CreateExecutorRequest{Config: message})
	if status.Code(err) == codes.AlreadyExists {
		_, err = c.manager.UpdateExecutor(ctx, &pb.UpdateExecutorRequest{Id: name, Config: message})
	}
	return err
}

// ensureExecutor creates executor name with the manager's defaults when it does not exist.
func (c *Client) ensureExecutor(ctx context.Context, name string) error {
	found, err := c.manager.GetExecutor(ctx, &pb.GetExecutorRequest{Id: name})
	// Read by name or id: one found by its id is another executor.
	if status.Code(err) == codes.NotFound || (err == nil && found.GetExecutor().GetName() != name) {
		_, err = c.manager.CreateExecutor(ctx,
			&pb.CreateExecutorRequest{Config: &pb.ExecutorConfig{Name: name}})
		if status.Code(err) == codes.AlreadyExists {
			return nil
		}
	}
	return err
}

// taskSchemaKindProblem is the manager's refusal of a task schema that is JSON of another kind.
const taskSchemaKindProblem = "Must be a JSON Schema object, a boolean or null"

func executorConfigMessage(name string, config ExecutorConfig) (*pb.ExecutorConfig, error) {
	if err := checkWholeMilliseconds(name, config); err != nil {
		return nil, err
	}
	message := &pb.ExecutorConfig{
		Name:    name,
		Enabled: config.Enabled,
		Timeout: durationOrNil(config.Timeout),
	}
	if config.MaxConcurrency != nil {
		n := wire32(*config.MaxConcurrency)
		message.MaxConcurrency = &n
	}
	if config.TaskSchema != nil {
		schema, err := jsonValue(config.TaskSchema)
		if err != nil {
			return nil, invalidArgument(fmt.Sprintf("executor %q", name), "/config/taskSchema", sentence(err))
		}
		// The manager refuses any other kind of JSON (5, [1], "x"), in these words; refused here,
		// NewWorker refuses it before any executor is registered, as the TypeScript worker does.
		switch schema.GetKind().(type) {
		case *structpb.Value_StructValue, *structpb.Value_BoolValue, *structpb.Value_NullValue:
		default:
			return nil, invalidArgument(fmt.Sprintf("executor %q", name), "/config/taskSchema", taskSchemaKindProblem)
		}
		message.TaskSchema = schema
	}
	if p := config.RetryPolicy; p != nil {
		if err := checkNumber(fmt.Sprintf("executor %q", name), "/config/retryPolicy/multiplier", p.Multiplier); err != nil {
			return nil, err
		}
		if p.Jitter != nil {
			if err := checkNumber(fmt.Sprintf("executor %q", name), "/config/retryPolicy/jitter", *p.Jitter); err != nil {
				return nil, err
			}
		}
		var retryType int32 // "" keeps the executor's type
		if p.Type != "" {
			var err error
			retryType, err = enumValue(pb.RetryPolicyType_value, "RETRY_POLICY_TYPE_", string(p.Type),
				fmt.Sprintf("executor %q", name), "/config/retryPolicy/type")
			if err != nil {
				return nil, err
			}
		}
		message.RetryPolicy = &pb.RetryPolicy{
			Type:        pb.RetryPolicyType(retryType),
			MaxAttempts: wire32(p.MaxAttempts),
			Interval:    durationOfPointer(p.Interval),
			MaxInterval: durationOfPointer(p.MaxInterval),
			Multiplier:  p.Multiplier,
			Jitter:      p.Jitter,
		}
	}
	if d := config.DLQ; d != nil {
		message.DlqConfig = &pb.DlqConfig{Enabled: d.Enabled, QueueName: d.QueueName}
	}
	for _, rate := range []struct {
		given   *RateLimit
		message **pb.RateLimit
		field   string
	}{
		{config.RateLimit, &message.RateLimit, "/config/rateLimit/limit"},
		{config.RateLimitPerKey, &message.RateLimitPerKey, "/config/rateLimitPerKey/limit"},
	} {
		// &RateLimit{} is what a limit read as 0 (unset) gives too: sent as limit 0 alone, it
		// removed the executor's limit, saying nothing.
		if rate.given != nil && rate.given != NoRateLimit && rate.given.Limit == 0 {
			return nil, invalidArgument(fmt.Sprintf("executor %q", name), rate.field,
				"Must be a whole number between 1 and 1000000, not 0 (NoRateLimit removes the limit)")
		}
		*rate.message = rateLimitMessage(rate.given)
	}
	if config.MaxConcurrencyPerKey != nil {
		k := wire32(*config.MaxConcurrencyPerKey)
		message.MaxConcurrencyPerKey = &k
	}
	message.GroupKeyPointer = config.GroupKeyPointer
	if config.WriteConcern != "" {
		level, err := enumValue(pb.WriteConcernLevel_value, "WRITE_CONCERN_LEVEL_", config.WriteConcern,
			fmt.Sprintf("executor %q", name), "/config/writeConcern")
		if err != nil {
			return nil, err
		}
		message.WriteConcern = &pb.WriteConcern{Level: pb.WriteConcernLevel(level)}
	}
	if err := checkText(fmt.Sprintf("executor %q", name), message, "/config"); err != nil {
		return nil, err
	}
	return message, nil
}

// checkWholeMilliseconds refuses a duration of config with a part finer than a millisecond,
// which the manager refuses (it keeps whole milliseconds), naming the field as the manager does.
func checkWholeMilliseconds(name string, config ExecutorConfig) error {
	fields := []string{"/config/timeout"}
	durations := []time.Duration{config.Timeout}
	if p := config.RetryPolicy; p != nil {
		if p.Interval != nil {
			fields = append(fields, "/config/retryPolicy/interval")
			durations = append(durations, *p.Interval)
		}
		if p.MaxInterval != nil {
			fields = append(fields, "/config/retryPolicy/maxInterval")
			durations = append(durations, *p.MaxInterval)
		}
	}
	if config.RateLimit != nil {
		fields = append(fields, "/config/rateLimit/period")
		durations = append(durations, config.RateLimit.Period)
	}
	if config.RateLimitPerKey != nil {
		fields = append(fields, "/config/rateLimitPerKey/period")
		durations = append(durations, config.RateLimitPerKey.Period)
	}
	for i, d := range durations {
		if d%time.Millisecond != 0 {
			return invalidArgument(fmt.Sprintf("executor %q", name), fields[i],
				fmt.Sprintf("Must be a whole number of milliseconds, not %v", d))
		}
	}
	return nil
}

func rateLimitMessage(rate *RateLimit) *pb.RateLimit {
	if rate == nil {
		return nil
	}
	if rate == NoRateLimit {
		return &pb.RateLimit{} // limit 0 alone: the manager removes the limit
	}
	return &pb.RateLimit{
		Limit: wire32(rate.Limit), Period: durationOrNil(rate.Period), Burst: wire32(rate.Burst),
	}
}

// newTaskMessage is task as the manager takes it; field is the JSON pointer of the task in the
// request ("/task", "/tasks/3"), which names its data when that cannot be encoded.
func newTaskMessage(task NewTask, field string) (*pb.NewTask, error) {
	data, err := jsonValue(task.Data)
	if err != nil {
		return nil, invalidArgument(fmt.Sprintf("a %q task", task.ExecutorName), field+"/data", sentence(err))
	}
	message := &pb.NewTask{
		ExecutorName:   task.ExecutorName,
		Data:           data,
		Metadata:       task.Metadata,
		Priority:       wire32(task.Priority),
		RunAt:          managerTime(task.RunAt),
		IdempotencyKey: task.IdempotencyKey,
		GroupKey:       task.GroupKey,
	}
	if err := checkText(fmt.Sprintf("a %q task", task.ExecutorName), message, field); err != nil {
		return nil, err
	}
	return message, nil
}

// JSONValue turns a Go value (encoded with encoding/json; a json.RawMessage or []byte is taken as
// JSON text) into the protobuf Value the management API carries JSON in, for calls made through
// Client.Manager (RequeueDlqEntry's data, UpdateTaskStatus's result, …). A value it cannot take
// is an error saying why ("taskexecutor: the value is not JSON text: …").
func JSONValue(value any) (*structpb.Value, error) {
	out, err := jsonValue(value)
	if err != nil {
		return nil, errorf("the value %w", err)
	}
	return out, nil
}

// jsonValue is JSONValue with its error said of no subject ("is not JSON text: …"), for the
// refusal that names the field.
func jsonValue(value any) (*structpb.Value, error) {
	var text []byte
	switch v := value.(type) {
	case json.RawMessage:
		text = v
	case []byte:
		text = v
	default:
		encoded, err := json.Marshal(value)
		if err != nil {
			return nil, fmt.Errorf("cannot be encoded as JSON: %w", err)
		}
		text = encoded
	}
	var syntax any
	if err := json.Unmarshal(text, &syntax); err != nil {
		// protojson's own message ("proto: syntax error (line 1:2): …") speaks of its parser.
		return nil, fmt.Errorf("is not JSON text: %w", err)
	}
	out := &structpb.Value{}
	if err := protojson.Unmarshal(text, out); err != nil {
		return nil, fmt.Errorf("cannot be carried as a protobuf Value: %w", err)
	}
	return out, nil
}

// sentence is err, a fragment of jsonValue's ("is not JSON text: …"), as a field's description
// in the manager's words, a sentence of its own ("Is not JSON text: …").
func sentence(err error) string {
	text := err.Error()
	r, size := utf8.DecodeRuneInString(text)
	return string(unicode.ToUpper(r)) + text[size:]
}

// jsonText turns a protobuf Value into compact JSON text ("null" when unset).
func jsonText(value *structpb.Value) json.RawMessage {
	if value == nil {
		return json.RawMessage("null")
	}
	encoded, err := protojson.Marshal(value)
	if err != nil {
		return json.RawMessage("null")
	}
	var compact bytes.Buffer
	if json.Compact(&compact, encoded) != nil {
		return encoded
	}
	return compact.Bytes()
}

func taskFromMessage(m *pb.Task) *Task {
	task := &Task{
		ID:             m.GetId(),
		ExecutorName:   m.GetExecutorName(),
		Data:           jsonText(m.GetData()),
		Metadata:       m.GetMetadata(),
		Status:         TaskStatus(strings.ToLower(strings.TrimPrefix(m.GetStatus().String(), "TASK_STATUS_"))),
		Priority:       int(m.GetPriority()),
		RunAt:          timeOrZero(m.GetRunAt()),
		Attempt:        int(m.GetAttempt()),
		MaxAttempts:    int(m.GetMaxAttempts()),
		Run:            int(m.GetRun()),
		Progress:       jsonText(m.GetProgress()),
		Logs:           m.GetLogs(),
		LeaseExpiresAt: timeOrZero(m.GetLeaseExpiresAt()),
		ErrorsDropped:  int(m.GetErrorsDropped()),
		Result:         jsonText(m.GetResult()),
		CreatedAt:      timeOrZero(m.GetCreatedAt()),
		UpdatedAt:      timeOrZero(m.GetUpdatedAt()),
		StartedAt:      timeOrZero(m.GetStartedAt()),
		CompletedAt:    timeOrZero(m.GetCompletedAt()),
		IdempotencyKey: m.GetIdempotencyKey(),
		GroupKey:       m.GetGroupKey(),
		WorkerID:       m.GetWorkerId(),
	}
	for _, e := range m.GetErrors() {
		task.Errors = append(task.Errors, TaskError{
			Attempt:  int(e.GetAttempt()),
			Message:  e.GetMessage(),
			At:       timeOrZero(e.GetAt()),
			WorkerID: e.GetWorkerId(),
			Stack:    e.GetStack(),
			Run:      int(e.GetRun()),
			Logs:     e.GetLogs(),
		})
	}
	return task
}

func tasksFromMessages(messages []*pb.Task) []*Task {
	out := make([]*Task, len(messages))
	for i, m := range messages {
		out[i] = taskFromMessage(m)
	}
	return out
}

// timeOrZero is t, or the zero time when t is unset or outside protobuf's range (years 1 to
// 9999): read as it came, such a time made a Task that encoding/json refuses.
func timeOrZero(t *timestamppb.Timestamp) time.Time {
	if t.CheckValid() != nil {
		return time.Time{}
	}
	return t.AsTime()
}

// managerTime is t as the manager keeps a time, every time the Client sends (a task's RunAt, a
// filter's bounds): the millisecond it falls in, its finer part dropped (the manager drops it
// itself, and a TypeScript Date holds none); nil for the zero time (not given).
func managerTime(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t.Truncate(time.Millisecond))
}

// wire32 is n as an int32 field carries it: past its range, its nearest end, which the manager
// refuses naming the field. Converted, it wrapped around: 2^32 + 3 attempts were stored as 3.
func wire32(n int) int32 {
	return int32(min(max(n, math.MinInt32), math.MaxInt32))
}

func durationOrNil(d time.Duration) *durationpb.Duration {
	if d == 0 {
		return nil
	}
	return durationpb.New(d)
}

// durationOfPointer is *d as a message, set when d is (a zero duration included), nil otherwise.
func durationOfPointer(d *time.Duration) *durationpb.Duration {
	if d == nil {
		return nil
	}
	return durationpb.New(*d)
}
