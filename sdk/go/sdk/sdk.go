// Package sdk runs Go task processors against a Tasks Executor manager, in the shape of the
// original Go SDK: register a TaskProcessor per executor with RegisterProcessor, then call Run.
//
// Run registers each processor's executor with its JSON Schema (the executor is created when
// missing through the original gRPC interface's RegisterExecutor; the schema is set through the
// REST API, PUT /api/v1/executors/{name}, since the original interface has no schema field), then
// serves it. Every processor's name is checked to be one the manager takes (1-128 characters of
// a-z, 0-9, _, . or -, and not . or ..), and every schema to be JSON text of an object, a boolean
// or null (blank is none), before anything is sent.
// What only the manager judges (a schema that does not compile) is refused as Run goes,
// executors in name order, each created when missing and then given its schema: those before the
// refused one stay registered, a refused schema leaves its executor created but with the schema it
// had (none, when new), and Run returns the refusal. Serving, it polls GetNextTask, calls
// ProcessTask, and reports UpdateTaskStatus COMPLETED, or FAILED with the error's text (the
// manager retries by the executor's policy, then dead-letters). SIGINT or SIGTERM stops polling;
// tasks being processed finish and are reported before Run returns.
//
// Configuration comes from the environment unless Runner.Run is given Options: MANAGER_ADDRESS
// (gRPC, default localhost:50051), MANAGER_URL (REST, default http://localhost:8080) and
// TASKS_EXECUTOR_API_KEY (sent as "authorization: Bearer <key>" on both; none when unset).
package sdk

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"tasks-executor/sdk/go/internal/jstrim"
	"tasks-executor/sdk/go/internal/violation"
	"tasks-executor/sdk/go/models"
	pb "tasks-executor/sdk/go/taskexecutorpb"
)

// Task is the task a processor receives (an alias of models.Task).
type Task = models.Task

// TaskProcessor handles the tasks of one executor.
type TaskProcessor interface {
	// ProcessTask runs one attempt of a task: nil completes it, an error fails the attempt with
	// the error's text (retried by the executor's retry policy, then dead-lettered).
	ProcessTask(task *models.Task) error
	// GetTaskSchema returns the JSON Schema the task data must satisfy, as JSON text ("", or
	// white space alone as JavaScript's trim has it, for none: any data is accepted). The manager
	// refuses tasks whose data does not match.
	GetTaskSchema() string
}

// Options say where the manager is and how to poll it; zero fields take their defaults. Run
// refuses a negative Concurrency or duration, and a MaxPollInterval under PollInterval, naming it
// ("sdk: Options.Concurrency: Must be 0 (the default, 1) or more, not -1"): each was taken as its
// default, saying nothing.
type Options struct {
	// GRPCAddress is the manager's gRPC address (host:port). Default: localhost:50051.
	GRPCAddress string
	// URL is the manager's REST base URL. Default: http://localhost:8080.
	URL string
	// APIKey is sent as "authorization: Bearer <key>"; empty sends none (manager with AUTH=off).
	APIKey string
	// Concurrency is how many tasks of each executor are processed at once. Default: 1.
	Concurrency int
	// PollInterval is the first wait when no task is ready; it doubles up to MaxPollInterval
	// while none is, and starts again after a task. Defaults: 100 ms and 2 s.
	PollInterval    time.Duration
	MaxPollInterval time.Duration
	// CallTimeout bounds each call to the manager. Default: 30 s.
	CallTimeout time.Duration
	// Logger receives one line once every executor is registered ("sdk: Connected to the manager
	// at localhost:50051: serving a, b"), one per failed task and one per manager error (an error
	// GetNextTask answers again and again, such as a paused executor's, once until another answer
	// comes).
	// Default: log.Default().
	Logger *log.Logger
}

// OptionsFromEnv reads MANAGER_ADDRESS, MANAGER_URL and TASKS_EXECUTOR_API_KEY.
func OptionsFromEnv() Options {
	return Options{
		GRPCAddress: os.Getenv("MANAGER_ADDRESS"),
		URL:         os.Getenv("MANAGER_URL"),
		APIKey:      os.Getenv("TASKS_EXECUTOR_API_KEY"),
	}
}

// check refuses an option Run would have taken as its default, saying nothing (a Concurrency of
// -1 served one task at a time, a MaxPollInterval under PollInterval waited 2 s), naming it.
func (o Options) check() error {
	if o.Concurrency < 0 {
		return optionError("Options.Concurrency",
			fmt.Sprintf("Must be 0 (the default, 1) or more, not %d", o.Concurrency))
	}
	for _, option := range []struct {
		name        string
		value, dflt time.Duration
	}{
		{"Options.PollInterval", o.PollInterval, 100 * time.Millisecond},
		{"Options.MaxPollInterval", o.MaxPollInterval, 2 * time.Second},
		{"Options.CallTimeout", o.CallTimeout, 30 * time.Second},
	} {
		if option.value < 0 {
			return optionError(option.name,
				fmt.Sprintf("Must be 0 (the default, %v) or more, not %v", option.dflt, option.value))
		}
	}
	if poll := cmp.Or(o.PollInterval, 100*time.Millisecond); o.MaxPollInterval > 0 && o.MaxPollInterval < poll {
		return optionError("Options.MaxPollInterval", fmt.Sprintf(
			"Must be 0 (the default, 2s or PollInterval when longer) or at least PollInterval (%v), not %v",
			poll, o.MaxPollInterval))
	}
	return nil
}

// optionError is Run's refusal of an option, worded as the manager words a bad field.
func optionError(field, description string) error {
	return errors.New("sdk: " + violation.Describe(field, description))
}

func (o Options) withDefaults() Options {
	if o.GRPCAddress == "" {
		o.GRPCAddress = "localhost:50051"
	}
	if o.URL == "" {
		o.URL = "http://localhost:8080"
	}
	o.URL = strings.TrimRight(o.URL, "/")
	if o.Concurrency == 0 {
		o.Concurrency = 1
	}
	if o.PollInterval == 0 {
		o.PollInterval = 100 * time.Millisecond
	}
	if o.MaxPollInterval == 0 {
		o.MaxPollInterval = max(2*time.Second, o.PollInterval)
	}
	if o.CallTimeout == 0 {
		o.CallTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = log.Default()
	}
	return o
}

// Runner holds registered processors and serves them. The package-level RegisterProcessor and
// Run use one default Runner.
type Runner struct {
	mu         sync.Mutex
	processors map[string]TaskProcessor
}

// NewRunner returns a Runner with no processors.
func NewRunner() *Runner {
	return &Runner{processors: map[string]TaskProcessor{}}
}

// RegisterProcessor makes processor handle the tasks of executor name. It panics on an empty
// name, a nil processor or a name registered twice (as http.Handle does).
func (r *Runner) RegisterProcessor(name string, processor TaskProcessor) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "" || processor == nil {
		panic("sdk: RegisterProcessor needs an executor name and a processor")
	}
	if _, taken := r.processors[name]; taken {
		panic(fmt.Sprintf("sdk: a processor is registered for %q already", name))
	}
	r.processors[name] = processor
}

var defaultRunner = NewRunner()

// RegisterProcessor registers processor for executor name on the default Runner.
func RegisterProcessor(name string, processor TaskProcessor) {
	defaultRunner.RegisterProcessor(name, processor)
}

// Run serves the processors registered with RegisterProcessor, configured from the environment
// (OptionsFromEnv), until SIGINT or SIGTERM; it returns once the tasks in hand are reported.
func Run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return defaultRunner.Run(ctx, OptionsFromEnv())
}

// Run registers every processor's executor with its schema, then serves them until ctx is done;
// it returns nil after a stop once the tasks in hand are reported, or the registration error.
func (r *Runner) Run(ctx context.Context, options Options) error {
	if err := options.check(); err != nil {
		return err
	}
	options = options.withDefaults()
	r.mu.Lock()
	names := make([]string, 0, len(r.processors))
	for name := range r.processors {
		names = append(names, name)
	}
	processors := r.processors
	r.mu.Unlock()
	if len(names) == 0 {
		return errors.New("sdk: no processor is registered")
	}
	sort.Strings(names)
	// Every name and schema is read before anything is sent: a name the manager does not take, or
	// a schema that is not JSON text, stopped Run with the executors before it registered, and
	// left so.
	schemas := make(map[string]json.RawMessage, len(names))
	for _, name := range names {
		if err := checkExecutorName(name); err != nil {
			return err
		}
		schema, err := taskSchemaOf(name, processors[name].GetTaskSchema())
		if err != nil {
			return err
		}
		schemas[name] = schema
	}

	conn, err := grpc.NewClient(options.GRPCAddress,
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("sdk: cannot reach the manager at %s: %w", options.GRPCAddress, err)
	}
	defer conn.Close()
	w := &worker{client: pb.NewTaskExecutorManagerClient(conn), options: options}
	for _, name := range names {
		if err := w.register(ctx, name, schemas[name]); err != nil {
			return err
		}
	}
	// Once, as the taskexecutor package's Worker and the TypeScript worker say it: the line that
	// tells a worker waiting for tasks from one that has not reached its manager yet.
	options.Logger.Printf("sdk: Connected to the manager at %s: serving %s", options.GRPCAddress,
		strings.Join(names, ", "))
	var wg sync.WaitGroup
	for _, name := range names {
		for range options.Concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.serve(ctx, name, processors[name])
			}()
		}
	}
	wg.Wait()
	return nil
}

type worker struct {
	client  pb.TaskExecutorManagerClient
	options Options
}

// call returns a context for one call to the manager: bounded by CallTimeout, carrying the API
// key, and not cancelled by a stop (so that a task claimed or finished is still reported).
func (w *worker) call() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), w.options.CallTimeout)
	if w.options.APIKey != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+w.options.APIKey)
	}
	return ctx, cancel
}

// executorName is the manager's rule for an executor's name (with "." and ".." refused apart), as
// the taskexecutor package's NewWorker and the TypeScript SDK's worker check it.
var executorName = regexp.MustCompile(`^[a-z0-9_.-]{1,128}$`)

// checkExecutorName refuses a processor's name the manager would refuse, in its words, naming it.
func checkExecutorName(name string) error {
	if executorName.MatchString(name) && name != "." && name != ".." {
		return nil
	}
	return fmt.Errorf("sdk: cannot register executor %q: %s", name, violation.Describe("/executorName",
		"Must be a name: 1-128 characters of a-z, 0-9, _, . or -, and not . or .."))
}

// taskSchemaOf is the taskSchema a processor's schema sets: null for a blank one (blank as the
// manager's trim has it: a schema of U+FEFF alone, a byte order mark, is none, one of U+0085 is
// text that is not JSON); JSON text that is not an object, a boolean or null is refused.
func taskSchemaOf(name, schema string) (json.RawMessage, error) {
	if jstrim.Trim(schema) == "" {
		return json.RawMessage("null"), nil
	}
	if !json.Valid([]byte(schema)) {
		return nil, fmt.Errorf("sdk: the task schema of %q is not JSON text", name)
	}
	// The manager refuses JSON of any other kind (5, [1], "x"), in these words, after Run has
	// created the executor (and the executors before it).
	switch first := bytes.TrimLeft([]byte(schema), " \t\r\n")[0]; first {
	case '{', 't', 'f', 'n':
	default:
		return nil, fmt.Errorf("sdk: the task schema of %q: %s", name,
			violation.Describe("/taskSchema", "Must be a JSON Schema object, a boolean or null"))
	}
	return json.RawMessage(schema), nil
}

// register creates the executor when missing and sets its task schema (taskSchemaOf's).
func (w *worker) register(ctx context.Context, name string, taskSchema json.RawMessage) error {
	callCtx, cancel := w.call()
	defer cancel()
	if _, err := w.client.RegisterExecutor(callCtx, &pb.RegisterExecutorRequest{ExecutorName: name}); err != nil {
		hint := ""
		if status.Code(err) == codes.Unauthenticated && w.options.APIKey == "" {
			hint = " (no API key given: set Options.APIKey, which OptionsFromEnv and Run read from TASKS_EXECUTOR_API_KEY)"
		}
		return fmt.Errorf("sdk: cannot register executor %q: %w%s", name, err, hint)
	}
	body, err := json.Marshal(map[string]json.RawMessage{"taskSchema": taskSchema})
	if err != nil {
		return err
	}
	request, err := http.NewRequestWithContext(ctx, http.MethodPut,
		w.options.URL+"/api/v1/executors/"+url.PathEscape(name), bytes.NewReader(body))
	if err != nil {
		return err
	}
	request.Header.Set("content-type", "application/json")
	if w.options.APIKey != "" {
		request.Header.Set("authorization", "Bearer "+w.options.APIKey)
	}
	client := http.Client{Timeout: w.options.CallTimeout}
	response, err := client.Do(request)
	if err != nil {
		return fmt.Errorf("sdk: cannot set the task schema of %q: %w", name, err)
	}
	defer response.Body.Close()
	if response.StatusCode/100 != 2 {
		detail, _ := io.ReadAll(io.LimitReader(response.Body, 4096))
		return fmt.Errorf("sdk: cannot set the task schema of %q: %s: %s",
			name, response.Status, bytes.TrimSpace(detail))
	}
	return nil
}

// executorMissing reports whether err is the manager's NOT_FOUND of an executor that does not
// exist (deleted since Run registered it): the original interface answers NOT_FOUND when no task
// is ready too, and tells this one by a google.rpc.ErrorInfo detail (domain "tasks-executor",
// reason "EXECUTOR_NOT_FOUND"). A manager older than the detail sends none: its NOT_FOUND reads as
// no task ready, as before.
func executorMissing(err error) bool {
	s, ok := status.FromError(err)
	if !ok || s.Code() != codes.NotFound {
		return false
	}
	for _, detail := range s.Details() {
		info, ok := detail.(*errdetails.ErrorInfo)
		if ok && info.GetDomain() == "tasks-executor" && info.GetReason() == "EXECUTOR_NOT_FOUND" {
			return true
		}
	}
	return false
}

// serve polls for tasks of one executor and processes them one at a time until ctx is done.
func (w *worker) serve(ctx context.Context, name string, processor TaskProcessor) {
	wait := w.options.PollInterval
	// The refusal logged last: the same one again (a paused or missing executor, at every poll)
	// is not logged again until something else is answered.
	said := ""
	for ctx.Err() == nil {
		callCtx, cancel := w.call()
		response, err := w.client.GetNextTask(callCtx, &pb.GetNextTaskRequest{ExecutorName: name})
		cancel()
		if err != nil {
			if status.Code(err) == codes.NotFound && !executorMissing(err) {
				said = ""
			} else if err.Error() != said {
				said = err.Error()
				w.options.Logger.Printf("sdk: GetNextTask for %q: %v", name, err)
			}
			sleep(ctx, wait)
			wait = min(2*wait, w.options.MaxPollInterval)
			continue
		}
		said = ""
		wait = w.options.PollInterval
		w.process(name, processor, response.GetTask())
	}
}

// process runs one attempt and reports it; a panic in the processor fails the attempt.
func (w *worker) process(name string, processor TaskProcessor, task *pb.Task) {
	report := &pb.UpdateTaskStatusRequest{Id: task.GetId(), Status: pb.TaskStatus_TASK_STATUS_COMPLETED}
	if err := runProcessor(processor, fromProto(task)); err != nil {
		report.Status = pb.TaskStatus_TASK_STATUS_FAILED
		report.Error = err.Error()
		w.options.Logger.Printf("sdk: task %s of %q failed: %v", task.GetId(), name, err)
	}
	callCtx, cancel := w.call()
	defer cancel()
	if _, err := w.client.UpdateTaskStatus(callCtx, report); err != nil {
		w.options.Logger.Printf("sdk: cannot report task %s of %q: %v", task.GetId(), name, err)
	}
}

func runProcessor(processor TaskProcessor, task *models.Task) (err error) {
	defer func() {
		if recovered := recover(); recovered != nil {
			err = fmt.Errorf("panic: %v", recovered)
		}
	}()
	return processor.ProcessTask(task)
}

func sleep(ctx context.Context, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}

// fromProto is the task a processor receives. A time unset, or outside protobuf's range (years 1
// to 9999), is the zero time (nil when optional): read as it came, such a time made a task that
// encoding/json refuses.
func fromProto(task *pb.Task) *models.Task {
	optional := func(t *timestamppb.Timestamp) *time.Time {
		if t.CheckValid() != nil {
			return nil
		}
		value := t.AsTime()
		return &value
	}
	required := func(t *timestamppb.Timestamp) time.Time {
		if value := optional(t); value != nil {
			return *value
		}
		return time.Time{}
	}
	return &models.Task{
		ID:           task.GetId(),
		ExecutorName: task.GetExecutorName(),
		Data:         json.RawMessage(task.GetData()),
		Metadata:     task.GetMetadata(),
		Status:       models.TaskStatus(strings.ToLower(strings.TrimPrefix(task.GetStatus().String(), "TASK_STATUS_"))),
		Error:        task.GetError(),
		RetryCount:   int(task.GetRetryCount()),
		CreatedAt:    required(task.GetCreatedAt()),
		UpdatedAt:    required(task.GetUpdatedAt()),
		StartedAt:    optional(task.GetStartedAt()),
		CompletedAt:  optional(task.GetCompletedAt()),
	}
}
