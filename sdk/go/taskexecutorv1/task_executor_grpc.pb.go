// Tasks Executor wire protocol, version 1 (package taskexecutor.v1).
//
// Conventions (checked by `buf lint` with the STANDARD rules, see proto/buf.yaml); an rpc added
// later follows them too:
// - Services end in `Service`; every rpc has its own `<Rpc>Request` and `<Rpc>Response` message,
//   even when two carry the same fields, so that either can grow alone.
// - JSON values (task data, results, JSON Schemas) are `google.protobuf.Value` on the management
//   API, so that a JSON client writes them as plain JSON. Numbers in them must stay within
//   ±(2^53 - 1), where a double is exact: send bigger integers as strings (the manager refuses
//   them, naming the field). The worker stream (`Work`, `GetNextTask`, `ReportResults`) keeps
//   them as JSON text in `*_json` string fields: it is the hot path, and a small object costs
//   about 4 µs per task to encode and decode as text against about 16 µs as a Value (protobufjs,
//   measured on our 2-core machines), paid at every hop.
// - Closed sets of names are enums whose zero value is `<ENUM>_UNSPECIFIED`; the JSON and REST
//   names are the lowercase rest of the value name (TASK_STATUS_IN_PROGRESS = "in_progress"). Map
//   keys cannot be enums: `by_status` keys are those lowercase names. In a request, 0 means "not
//   given" only in a singular field, where it takes the default its comment names: the DLQ
//   `reason` filters (every reason), `view` (full), `overlap_policy` and `missed_fire_policy`
//   (their defaults), the `retry_policy` `type` and `write_concern` `level` of an executor (kept
//   or defaulted), a result's `failure_reason` (none). Where a value is required (the `status` of
//   UpdateTaskStatus) 0 is INVALID_ARGUMENT. In a repeated field 0 is never a value: "every
//   status" is the empty list, so a 0 in `status`, `from` or `scopes` is INVALID_ARGUMENT naming
//   its place (`/status/1`) and nothing is done; read as "no filter" it would widen the call.
// - Times are `google.protobuf.Timestamp` and intervals `google.protobuf.Duration`, on the
//   management API and the worker stream alike; unset = not set (keep, default, or no filter),
//   and both carry whole milliseconds (a finer part of a time is dropped, one of an executor's
//   duration refused). On the worker stream they cost little: encoding and decoding an
//   assignment with its two Timestamps takes about 0.85 µs more
//   per task than with int64 epoch ms (3.8 against 2.95 µs), a result with a Duration about 0.2 µs
//   more (`bench/worker_stream_times.ts`, protobufjs, 2 busy cores), against about 150 µs of CPU
//   per task end to end. Fields once int64 ms got new numbers; the old ones are not reused.
// - Field errors: INVALID_ARGUMENT with a `google.rpc.BadRequest` detail in
//   `grpc-status-details-bin`; each `field` is the JSON pointer of the field in the request, in
//   lowerCamelCase (`/task/data/to`, `/tasks/3/metadata/key`).
// - A repeated idempotency key: ALREADY_EXISTS with a `google.rpc.ErrorInfo` detail in
//   `grpc-status-details-bin` (reason `IDEMPOTENCY_KEY_USED`, domain `tasks-executor`, metadata
//   `taskId` = the id of the task the key made).
// - A worker id another API key holds (its work stream open, its leases or calls under way):
//   UNAVAILABLE on `Work`'s hello, `GetNextTask` and `ReportResults`, with a
//   `google.rpc.ErrorInfo` detail (reason `WORKER_ID_HELD`, domain `tasks-executor`, metadata
//   `workerId`, `heldBy` and `goneWithinMs`). `heldBy` `leases` (leases or calls only): the hold
//   ends by itself, try again. `heldBy` `stream`: a work stream of that key with this id is open,
//   one whose hello set `keepalive`; the manager closes one whose worker is gone within
//   `goneWithinMs` (4 keepalive intervals), so a stream still open that long after a first such
//   refusal has a live worker behind it: two workers under two keys share the id, and waiting will
//   not end (both SDKs' workers stop then); it is `stream` only while one such stream was heard
//   from within the last keepalive interval and a half. `heldBy` `calls`: no such stream, but a
//   unary call of that key under the id (`GetNextTask`, `ReportResults`) began within
//   `goneWithinMs`: a live worker too (a poller, whose leases would hold the id as long as it
//   polls); calls still made that long after a first `stream` or `calls` refusal have one behind
//   them, as a stream (both SDKs' workers stop then). `heldBy` `stream_draining`: only live
//   streams whose workers withdrew every credit (a credit of 0 per executor: a drain) are open,
//   with no such calls; they close once their running tasks end: try again, but for a bounded time
//   (both SDKs wait `goneWithinMs` and their own drain's length, then stop). `heldBy`
//   `stream_silent`: only keepalive streams quieter than that are open, whose workers may be gone
//   (lost after a first refusal): try again, as for `leases`. `heldBy` `stream_without_keepalive`:
//   only streams whose hello did not set `keepalive` are open, as silent when their workers idle
//   as when they are gone; the manager closes one once nothing arrives on it for
//   SILENCE_WITHOUT_KEEPALIVE, and `goneWithinMs` is then that and half a keepalive interval (its
//   checks' period): one still open that long after a first refusal was written to or opened
//   since, and both SDKs' workers stop as for `stream`. Take any other value as `leases`.
// - An executor that does not exist (or that the caller's key does not reach), on the calls that
//   read, change or serve one, and a task created for one (CreateTask, CreateAndWatchTask, a
//   Produce create, CreateTasks) or requeued from the DLQ for one gone since (RequeueDlqEntry),
//   and a schedule made or moved for one (CreateSchedule, UpdateSchedule): NOT_FOUND with a
//   `google.rpc.ErrorInfo` detail (reason `EXECUTOR_NOT_FOUND`, domain `tasks-executor`, metadata
//   `executor` = the name or id asked for). A create names the field by its pointer
//   (`/task/executorName: Executor "x" does not exist`); a CreateTasks batch with such a task is
//   refused whole, the message naming each such task (`/tasks/3/executorName: …`), the detail the
//   first.
// - Unknown fields are skipped, as protobuf says, except in the requests whose fields narrow what
//   the call acts on or reads, where skipping one would widen it: the bulk calls, the lists,
//   SearchTasks, GetStats, GetHistory, CreateKey (what a key may do), GetNextTask (what it
//   claims) and UpdateTaskStatus (its `from` precondition). There a field the manager does not
//   know is INVALID_ARGUMENT naming its number and message
//   (`unknown field 9 in taskexecutor.v1.CancelTasksRequest: …`), and nothing is done: a
//   field added to one of them later reaches an older manager as that refusal, not as a call
//   wider than its client asked.

// Code generated by protoc-gen-go-grpc. DO NOT EDIT.
// versions:
// - protoc-gen-go-grpc v1.6.2
// - protoc             v3.21.12
// source: taskexecutor/v1/task_executor.proto

package taskexecutorv1

import (
	context "context"
	grpc "google.golang.org/grpc"
	codes "google.golang.org/grpc/codes"
	status "google.golang.org/grpc/status"
)

// This is a compile-time assertion to ensure that this generated file
// is compatible with the grpc package it is being compiled against.
// Requires gRPC-Go v1.64.0 or later.
const _ = grpc.SupportPackageIsVersion9

const (
	TaskExecutorManagerService_CreateExecutor_FullMethodName     = "/taskexecutor.v1.TaskExecutorManagerService/CreateExecutor"
	TaskExecutorManagerService_GetExecutor_FullMethodName        = "/taskexecutor.v1.TaskExecutorManagerService/GetExecutor"
	TaskExecutorManagerService_ListExecutors_FullMethodName      = "/taskexecutor.v1.TaskExecutorManagerService/ListExecutors"
	TaskExecutorManagerService_UpdateExecutor_FullMethodName     = "/taskexecutor.v1.TaskExecutorManagerService/UpdateExecutor"
	TaskExecutorManagerService_DeleteExecutor_FullMethodName     = "/taskexecutor.v1.TaskExecutorManagerService/DeleteExecutor"
	TaskExecutorManagerService_CreateTask_FullMethodName         = "/taskexecutor.v1.TaskExecutorManagerService/CreateTask"
	TaskExecutorManagerService_CreateTasks_FullMethodName        = "/taskexecutor.v1.TaskExecutorManagerService/CreateTasks"
	TaskExecutorManagerService_GetTask_FullMethodName            = "/taskexecutor.v1.TaskExecutorManagerService/GetTask"
	TaskExecutorManagerService_ListTasks_FullMethodName          = "/taskexecutor.v1.TaskExecutorManagerService/ListTasks"
	TaskExecutorManagerService_SearchTasks_FullMethodName        = "/taskexecutor.v1.TaskExecutorManagerService/SearchTasks"
	TaskExecutorManagerService_UpdateTaskStatus_FullMethodName   = "/taskexecutor.v1.TaskExecutorManagerService/UpdateTaskStatus"
	TaskExecutorManagerService_CancelTask_FullMethodName         = "/taskexecutor.v1.TaskExecutorManagerService/CancelTask"
	TaskExecutorManagerService_ListDlq_FullMethodName            = "/taskexecutor.v1.TaskExecutorManagerService/ListDlq"
	TaskExecutorManagerService_GetDlqEntry_FullMethodName        = "/taskexecutor.v1.TaskExecutorManagerService/GetDlqEntry"
	TaskExecutorManagerService_RequeueDlqEntry_FullMethodName    = "/taskexecutor.v1.TaskExecutorManagerService/RequeueDlqEntry"
	TaskExecutorManagerService_DeleteDlqEntry_FullMethodName     = "/taskexecutor.v1.TaskExecutorManagerService/DeleteDlqEntry"
	TaskExecutorManagerService_PurgeDlq_FullMethodName           = "/taskexecutor.v1.TaskExecutorManagerService/PurgeDlq"
	TaskExecutorManagerService_RequeueDlq_FullMethodName         = "/taskexecutor.v1.TaskExecutorManagerService/RequeueDlq"
	TaskExecutorManagerService_GetStats_FullMethodName           = "/taskexecutor.v1.TaskExecutorManagerService/GetStats"
	TaskExecutorManagerService_ListWorkers_FullMethodName        = "/taskexecutor.v1.TaskExecutorManagerService/ListWorkers"
	TaskExecutorManagerService_CreateKey_FullMethodName          = "/taskexecutor.v1.TaskExecutorManagerService/CreateKey"
	TaskExecutorManagerService_ListKeys_FullMethodName           = "/taskexecutor.v1.TaskExecutorManagerService/ListKeys"
	TaskExecutorManagerService_RevokeKey_FullMethodName          = "/taskexecutor.v1.TaskExecutorManagerService/RevokeKey"
	TaskExecutorManagerService_WatchTasks_FullMethodName         = "/taskexecutor.v1.TaskExecutorManagerService/WatchTasks"
	TaskExecutorManagerService_CreateAndWatchTask_FullMethodName = "/taskexecutor.v1.TaskExecutorManagerService/CreateAndWatchTask"
	TaskExecutorManagerService_Produce_FullMethodName            = "/taskexecutor.v1.TaskExecutorManagerService/Produce"
	TaskExecutorManagerService_DeleteTasks_FullMethodName        = "/taskexecutor.v1.TaskExecutorManagerService/DeleteTasks"
	TaskExecutorManagerService_CancelTasks_FullMethodName        = "/taskexecutor.v1.TaskExecutorManagerService/CancelTasks"
	TaskExecutorManagerService_RetryTasks_FullMethodName         = "/taskexecutor.v1.TaskExecutorManagerService/RetryTasks"
	TaskExecutorManagerService_CreateSchedule_FullMethodName     = "/taskexecutor.v1.TaskExecutorManagerService/CreateSchedule"
	TaskExecutorManagerService_ListSchedules_FullMethodName      = "/taskexecutor.v1.TaskExecutorManagerService/ListSchedules"
	TaskExecutorManagerService_GetSchedule_FullMethodName        = "/taskexecutor.v1.TaskExecutorManagerService/GetSchedule"
	TaskExecutorManagerService_UpdateSchedule_FullMethodName     = "/taskexecutor.v1.TaskExecutorManagerService/UpdateSchedule"
	TaskExecutorManagerService_DeleteSchedule_FullMethodName     = "/taskexecutor.v1.TaskExecutorManagerService/DeleteSchedule"
	TaskExecutorManagerService_PauseSchedule_FullMethodName      = "/taskexecutor.v1.TaskExecutorManagerService/PauseSchedule"
	TaskExecutorManagerService_ResumeSchedule_FullMethodName     = "/taskexecutor.v1.TaskExecutorManagerService/ResumeSchedule"
	TaskExecutorManagerService_TriggerSchedule_FullMethodName    = "/taskexecutor.v1.TaskExecutorManagerService/TriggerSchedule"
	TaskExecutorManagerService_PreviewSchedule_FullMethodName    = "/taskexecutor.v1.TaskExecutorManagerService/PreviewSchedule"
	TaskExecutorManagerService_GetHistory_FullMethodName         = "/taskexecutor.v1.TaskExecutorManagerService/GetHistory"
)

// TaskExecutorManagerServiceClient is the client API for TaskExecutorManagerService service.
//
// For semantics around ctx use and closing/ending streaming RPCs, please refer to https://pkg.go.dev/google.golang.org/grpc/?tab=doc#ClientConn.NewStream.
type TaskExecutorManagerServiceClient interface {
	CreateExecutor(ctx context.Context, in *CreateExecutorRequest, opts ...grpc.CallOption) (*CreateExecutorResponse, error)
	GetExecutor(ctx context.Context, in *GetExecutorRequest, opts ...grpc.CallOption) (*GetExecutorResponse, error)
	ListExecutors(ctx context.Context, in *ListExecutorsRequest, opts ...grpc.CallOption) (*ListExecutorsResponse, error)
	UpdateExecutor(ctx context.Context, in *UpdateExecutorRequest, opts ...grpc.CallOption) (*UpdateExecutorResponse, error)
	DeleteExecutor(ctx context.Context, in *DeleteExecutorRequest, opts ...grpc.CallOption) (*DeleteExecutorResponse, error)
	CreateTask(ctx context.Context, in *CreateTaskRequest, opts ...grpc.CallOption) (*CreateTaskResponse, error)
	CreateTasks(ctx context.Context, in *CreateTasksRequest, opts ...grpc.CallOption) (*CreateTasksResponse, error)
	GetTask(ctx context.Context, in *GetTaskRequest, opts ...grpc.CallOption) (*GetTaskResponse, error)
	ListTasks(ctx context.Context, in *ListTasksRequest, opts ...grpc.CallOption) (*ListTasksResponse, error)
	// By id, by a metadata entry, or by a field of the data (scanned in pages; see SearchTasksResponse).
	SearchTasks(ctx context.Context, in *SearchTasksRequest, opts ...grpc.CallOption) (*SearchTasksResponse, error)
	UpdateTaskStatus(ctx context.Context, in *UpdateTaskStatusRequest, opts ...grpc.CallOption) (*UpdateTaskStatusResponse, error)
	CancelTask(ctx context.Context, in *CancelTaskRequest, opts ...grpc.CallOption) (*CancelTaskResponse, error)
	ListDlq(ctx context.Context, in *ListDlqRequest, opts ...grpc.CallOption) (*ListDlqResponse, error)
	GetDlqEntry(ctx context.Context, in *GetDlqEntryRequest, opts ...grpc.CallOption) (*GetDlqEntryResponse, error)
	RequeueDlqEntry(ctx context.Context, in *RequeueDlqEntryRequest, opts ...grpc.CallOption) (*RequeueDlqEntryResponse, error)
	DeleteDlqEntry(ctx context.Context, in *DeleteDlqEntryRequest, opts ...grpc.CallOption) (*DeleteDlqEntryResponse, error)
	PurgeDlq(ctx context.Context, in *PurgeDlqRequest, opts ...grpc.CallOption) (*PurgeDlqResponse, error)
	RequeueDlq(ctx context.Context, in *RequeueDlqRequest, opts ...grpc.CallOption) (*RequeueDlqResponse, error)
	GetStats(ctx context.Context, in *GetStatsRequest, opts ...grpc.CallOption) (*GetStatsResponse, error)
	ListWorkers(ctx context.Context, in *ListWorkersRequest, opts ...grpc.CallOption) (*ListWorkersResponse, error)
	CreateKey(ctx context.Context, in *CreateKeyRequest, opts ...grpc.CallOption) (*CreateKeyResponse, error)
	ListKeys(ctx context.Context, in *ListKeysRequest, opts ...grpc.CallOption) (*ListKeysResponse, error)
	RevokeKey(ctx context.Context, in *RevokeKeyRequest, opts ...grpc.CallOption) (*RevokeKeyResponse, error)
	// Sends each task named once it reaches a final status (completed, failed, dlq, cancelled) —
	// at once for those final already — then ends. An unknown id ends it with NOT_FOUND.
	WatchTasks(ctx context.Context, in *WatchTasksRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[WatchTasksResponse], error)
	// CreateTask and WatchTasks in one call, for a producer that waits for the result: the task
	// as created (once it is stored, as CreateTask answers it: already IN_PROGRESS when a worker
	// was waiting for it), then — unless it is final already —
	// the task once it reaches a final status, then the stream ends. Refused as CreateTask is
	// (nothing stored), and with RESOURCE_EXHAUSTED when the manager's waits are full; once the
	// first message is sent the task runs whatever happens to the call (its deadline included).
	CreateAndWatchTask(ctx context.Context, in *CreateAndWatchTaskRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[CreateAndWatchTaskResponse], error)
	// The producer's stream: CreateTask, CreateAndWatchTask and WatchTasks as messages on one stream
	// the producer keeps open, for a producer that creates (and waits for) one task at a time (a message on an open
	// stream reaches the manager several times sooner than a new call). Each request carries an id
	// the client picks, unique among its requests that have not had their last answer; each answer
	// names it, and a request's last answer says `done`. A request is refused alone, as its own call
	// would be (the stream goes on), one refused before it is decoded too (not protobuf's wire
	// format, past MAX_REQUEST_JSON_VALUES, MAX_REQUEST_ELEMENTS or MAX_REQUEST_OBJECT_SHAPES, or a
	// map key that ends with a backslash), under the request_id read from its bytes; only one whose
	// id cannot be read ends the stream. A create is answered once stored, a create_and_watch as
	// CreateAndWatchTask answers (as stored, then final), a watch as WatchTasks answers (each task
	// once final). A request of a kind the manager does not know is answered UNIMPLEMENTED. The
	// manager sends the response headers as it serves the stream: a status before them (the key,
	// the caps) means nothing ran. The stream
	// ends with RESOURCE_EXHAUSTED when a request arrives while PRODUCE_REQUESTS_IN_FLIGHT (1,000)
	// are open (not yet answered done: waits included, and answers the client has not read), with
	// INVALID_ARGUMENT for a request id of 0 or one in use, with UNAUTHENTICATED when its key is
	// revoked, and OK once the client has ended its side and every request had its last answer.
	// Opens for a key that may create or read tasks; each request is then checked as its own call
	// would be (a create needs the scope to create tasks, an executor a key may not use is refused,
	// a watch needs the scope to read tasks).
	Produce(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[ProduceRequest, ProduceResponse], error)
	// Bulk operations by filter: each touches at most BULK_MAX_TASKS matching tasks and answers
	// the cursor to go on from; a call that sets no filter field needs `confirm`.
	DeleteTasks(ctx context.Context, in *DeleteTasksRequest, opts ...grpc.CallOption) (*DeleteTasksResponse, error)
	CancelTasks(ctx context.Context, in *CancelTasksRequest, opts ...grpc.CallOption) (*CancelTasksResponse, error)
	RetryTasks(ctx context.Context, in *RetryTasksRequest, opts ...grpc.CallOption) (*RetryTasksResponse, error)
	CreateSchedule(ctx context.Context, in *CreateScheduleRequest, opts ...grpc.CallOption) (*CreateScheduleResponse, error)
	ListSchedules(ctx context.Context, in *ListSchedulesRequest, opts ...grpc.CallOption) (*ListSchedulesResponse, error)
	GetSchedule(ctx context.Context, in *GetScheduleRequest, opts ...grpc.CallOption) (*GetScheduleResponse, error)
	UpdateSchedule(ctx context.Context, in *UpdateScheduleRequest, opts ...grpc.CallOption) (*UpdateScheduleResponse, error)
	DeleteSchedule(ctx context.Context, in *DeleteScheduleRequest, opts ...grpc.CallOption) (*DeleteScheduleResponse, error)
	PauseSchedule(ctx context.Context, in *PauseScheduleRequest, opts ...grpc.CallOption) (*PauseScheduleResponse, error)
	ResumeSchedule(ctx context.Context, in *ResumeScheduleRequest, opts ...grpc.CallOption) (*ResumeScheduleResponse, error)
	TriggerSchedule(ctx context.Context, in *TriggerScheduleRequest, opts ...grpc.CallOption) (*TriggerScheduleResponse, error)
	PreviewSchedule(ctx context.Context, in *PreviewScheduleRequest, opts ...grpc.CallOption) (*PreviewScheduleResponse, error)
	GetHistory(ctx context.Context, in *GetHistoryRequest, opts ...grpc.CallOption) (*GetHistoryResponse, error)
}

type taskExecutorManagerServiceClient struct {
	cc grpc.ClientConnInterface
}

func NewTaskExecutorManagerServiceClient(cc grpc.ClientConnInterface) TaskExecutorManagerServiceClient {
	return &taskExecutorManagerServiceClient{cc}
}

func (c *taskExecutorManagerServiceClient) CreateExecutor(ctx context.Context, in *CreateExecutorRequest, opts ...grpc.CallOption) (*CreateExecutorResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(CreateExecutorResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_CreateExecutor_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) GetExecutor(ctx context.Context, in *GetExecutorRequest, opts ...grpc.CallOption) (*GetExecutorResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetExecutorResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_GetExecutor_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) ListExecutors(ctx context.Context, in *ListExecutorsRequest, opts ...grpc.CallOption) (*ListExecutorsResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ListExecutorsResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_ListExecutors_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) UpdateExecutor(ctx context.Context, in *UpdateExecutorRequest, opts ...grpc.CallOption) (*UpdateExecutorResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(UpdateExecutorResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_UpdateExecutor_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) DeleteExecutor(ctx context.Context, in *DeleteExecutorRequest, opts ...grpc.CallOption) (*DeleteExecutorResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(DeleteExecutorResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_DeleteExecutor_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) CreateTask(ctx context.Context, in *CreateTaskRequest, opts ...grpc.CallOption) (*CreateTaskResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(CreateTaskResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_CreateTask_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) CreateTasks(ctx context.Context, in *CreateTasksRequest, opts ...grpc.CallOption) (*CreateTasksResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(CreateTasksResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_CreateTasks_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) GetTask(ctx context.Context, in *GetTaskRequest, opts ...grpc.CallOption) (*GetTaskResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetTaskResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_GetTask_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) ListTasks(ctx context.Context, in *ListTasksRequest, opts ...grpc.CallOption) (*ListTasksResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ListTasksResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_ListTasks_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) SearchTasks(ctx context.Context, in *SearchTasksRequest, opts ...grpc.CallOption) (*SearchTasksResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(SearchTasksResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_SearchTasks_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) UpdateTaskStatus(ctx context.Context, in *UpdateTaskStatusRequest, opts ...grpc.CallOption) (*UpdateTaskStatusResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(UpdateTaskStatusResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_UpdateTaskStatus_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) CancelTask(ctx context.Context, in *CancelTaskRequest, opts ...grpc.CallOption) (*CancelTaskResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(CancelTaskResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_CancelTask_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) ListDlq(ctx context.Context, in *ListDlqRequest, opts ...grpc.CallOption) (*ListDlqResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ListDlqResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_ListDlq_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) GetDlqEntry(ctx context.Context, in *GetDlqEntryRequest, opts ...grpc.CallOption) (*GetDlqEntryResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetDlqEntryResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_GetDlqEntry_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) RequeueDlqEntry(ctx context.Context, in *RequeueDlqEntryRequest, opts ...grpc.CallOption) (*RequeueDlqEntryResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(RequeueDlqEntryResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_RequeueDlqEntry_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) DeleteDlqEntry(ctx context.Context, in *DeleteDlqEntryRequest, opts ...grpc.CallOption) (*DeleteDlqEntryResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(DeleteDlqEntryResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_DeleteDlqEntry_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) PurgeDlq(ctx context.Context, in *PurgeDlqRequest, opts ...grpc.CallOption) (*PurgeDlqResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(PurgeDlqResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_PurgeDlq_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) RequeueDlq(ctx context.Context, in *RequeueDlqRequest, opts ...grpc.CallOption) (*RequeueDlqResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(RequeueDlqResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_RequeueDlq_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) GetStats(ctx context.Context, in *GetStatsRequest, opts ...grpc.CallOption) (*GetStatsResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetStatsResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_GetStats_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) ListWorkers(ctx context.Context, in *ListWorkersRequest, opts ...grpc.CallOption) (*ListWorkersResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ListWorkersResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_ListWorkers_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) CreateKey(ctx context.Context, in *CreateKeyRequest, opts ...grpc.CallOption) (*CreateKeyResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(CreateKeyResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_CreateKey_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) ListKeys(ctx context.Context, in *ListKeysRequest, opts ...grpc.CallOption) (*ListKeysResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ListKeysResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_ListKeys_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) RevokeKey(ctx context.Context, in *RevokeKeyRequest, opts ...grpc.CallOption) (*RevokeKeyResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(RevokeKeyResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_RevokeKey_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) WatchTasks(ctx context.Context, in *WatchTasksRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[WatchTasksResponse], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &TaskExecutorManagerService_ServiceDesc.Streams[0], TaskExecutorManagerService_WatchTasks_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[WatchTasksRequest, WatchTasksResponse]{ClientStream: stream}
	if err := x.ClientStream.SendMsg(in); err != nil {
		return nil, err
	}
	if err := x.ClientStream.CloseSend(); err != nil {
		return nil, err
	}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type TaskExecutorManagerService_WatchTasksClient = grpc.ServerStreamingClient[WatchTasksResponse]

func (c *taskExecutorManagerServiceClient) CreateAndWatchTask(ctx context.Context, in *CreateAndWatchTaskRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[CreateAndWatchTaskResponse], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &TaskExecutorManagerService_ServiceDesc.Streams[1], TaskExecutorManagerService_CreateAndWatchTask_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[CreateAndWatchTaskRequest, CreateAndWatchTaskResponse]{ClientStream: stream}
	if err := x.ClientStream.SendMsg(in); err != nil {
		return nil, err
	}
	if err := x.ClientStream.CloseSend(); err != nil {
		return nil, err
	}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type TaskExecutorManagerService_CreateAndWatchTaskClient = grpc.ServerStreamingClient[CreateAndWatchTaskResponse]

func (c *taskExecutorManagerServiceClient) Produce(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[ProduceRequest, ProduceResponse], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &TaskExecutorManagerService_ServiceDesc.Streams[2], TaskExecutorManagerService_Produce_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[ProduceRequest, ProduceResponse]{ClientStream: stream}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type TaskExecutorManagerService_ProduceClient = grpc.BidiStreamingClient[ProduceRequest, ProduceResponse]

func (c *taskExecutorManagerServiceClient) DeleteTasks(ctx context.Context, in *DeleteTasksRequest, opts ...grpc.CallOption) (*DeleteTasksResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(DeleteTasksResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_DeleteTasks_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) CancelTasks(ctx context.Context, in *CancelTasksRequest, opts ...grpc.CallOption) (*CancelTasksResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(CancelTasksResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_CancelTasks_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) RetryTasks(ctx context.Context, in *RetryTasksRequest, opts ...grpc.CallOption) (*RetryTasksResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(RetryTasksResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_RetryTasks_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) CreateSchedule(ctx context.Context, in *CreateScheduleRequest, opts ...grpc.CallOption) (*CreateScheduleResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(CreateScheduleResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_CreateSchedule_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) ListSchedules(ctx context.Context, in *ListSchedulesRequest, opts ...grpc.CallOption) (*ListSchedulesResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ListSchedulesResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_ListSchedules_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) GetSchedule(ctx context.Context, in *GetScheduleRequest, opts ...grpc.CallOption) (*GetScheduleResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetScheduleResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_GetSchedule_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) UpdateSchedule(ctx context.Context, in *UpdateScheduleRequest, opts ...grpc.CallOption) (*UpdateScheduleResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(UpdateScheduleResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_UpdateSchedule_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) DeleteSchedule(ctx context.Context, in *DeleteScheduleRequest, opts ...grpc.CallOption) (*DeleteScheduleResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(DeleteScheduleResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_DeleteSchedule_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) PauseSchedule(ctx context.Context, in *PauseScheduleRequest, opts ...grpc.CallOption) (*PauseScheduleResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(PauseScheduleResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_PauseSchedule_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) ResumeSchedule(ctx context.Context, in *ResumeScheduleRequest, opts ...grpc.CallOption) (*ResumeScheduleResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ResumeScheduleResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_ResumeSchedule_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) TriggerSchedule(ctx context.Context, in *TriggerScheduleRequest, opts ...grpc.CallOption) (*TriggerScheduleResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(TriggerScheduleResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_TriggerSchedule_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) PreviewSchedule(ctx context.Context, in *PreviewScheduleRequest, opts ...grpc.CallOption) (*PreviewScheduleResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(PreviewScheduleResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_PreviewSchedule_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorManagerServiceClient) GetHistory(ctx context.Context, in *GetHistoryRequest, opts ...grpc.CallOption) (*GetHistoryResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetHistoryResponse)
	err := c.cc.Invoke(ctx, TaskExecutorManagerService_GetHistory_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TaskExecutorManagerServiceServer is the server API for TaskExecutorManagerService service.
// All implementations must embed UnimplementedTaskExecutorManagerServiceServer
// for forward compatibility.
type TaskExecutorManagerServiceServer interface {
	CreateExecutor(context.Context, *CreateExecutorRequest) (*CreateExecutorResponse, error)
	GetExecutor(context.Context, *GetExecutorRequest) (*GetExecutorResponse, error)
	ListExecutors(context.Context, *ListExecutorsRequest) (*ListExecutorsResponse, error)
	UpdateExecutor(context.Context, *UpdateExecutorRequest) (*UpdateExecutorResponse, error)
	DeleteExecutor(context.Context, *DeleteExecutorRequest) (*DeleteExecutorResponse, error)
	CreateTask(context.Context, *CreateTaskRequest) (*CreateTaskResponse, error)
	CreateTasks(context.Context, *CreateTasksRequest) (*CreateTasksResponse, error)
	GetTask(context.Context, *GetTaskRequest) (*GetTaskResponse, error)
	ListTasks(context.Context, *ListTasksRequest) (*ListTasksResponse, error)
	// By id, by a metadata entry, or by a field of the data (scanned in pages; see SearchTasksResponse).
	SearchTasks(context.Context, *SearchTasksRequest) (*SearchTasksResponse, error)
	UpdateTaskStatus(context.Context, *UpdateTaskStatusRequest) (*UpdateTaskStatusResponse, error)
	CancelTask(context.Context, *CancelTaskRequest) (*CancelTaskResponse, error)
	ListDlq(context.Context, *ListDlqRequest) (*ListDlqResponse, error)
	GetDlqEntry(context.Context, *GetDlqEntryRequest) (*GetDlqEntryResponse, error)
	RequeueDlqEntry(context.Context, *RequeueDlqEntryRequest) (*RequeueDlqEntryResponse, error)
	DeleteDlqEntry(context.Context, *DeleteDlqEntryRequest) (*DeleteDlqEntryResponse, error)
	PurgeDlq(context.Context, *PurgeDlqRequest) (*PurgeDlqResponse, error)
	RequeueDlq(context.Context, *RequeueDlqRequest) (*RequeueDlqResponse, error)
	GetStats(context.Context, *GetStatsRequest) (*GetStatsResponse, error)
	ListWorkers(context.Context, *ListWorkersRequest) (*ListWorkersResponse, error)
	CreateKey(context.Context, *CreateKeyRequest) (*CreateKeyResponse, error)
	ListKeys(context.Context, *ListKeysRequest) (*ListKeysResponse, error)
	RevokeKey(context.Context, *RevokeKeyRequest) (*RevokeKeyResponse, error)
	// Sends each task named once it reaches a final status (completed, failed, dlq, cancelled) —
	// at once for those final already — then ends. An unknown id ends it with NOT_FOUND.
	WatchTasks(*WatchTasksRequest, grpc.ServerStreamingServer[WatchTasksResponse]) error
	// CreateTask and WatchTasks in one call, for a producer that waits for the result: the task
	// as created (once it is stored, as CreateTask answers it: already IN_PROGRESS when a worker
	// was waiting for it), then — unless it is final already —
	// the task once it reaches a final status, then the stream ends. Refused as CreateTask is
	// (nothing stored), and with RESOURCE_EXHAUSTED when the manager's waits are full; once the
	// first message is sent the task runs whatever happens to the call (its deadline included).
	CreateAndWatchTask(*CreateAndWatchTaskRequest, grpc.ServerStreamingServer[CreateAndWatchTaskResponse]) error
	// The producer's stream: CreateTask, CreateAndWatchTask and WatchTasks as messages on one stream
	// the producer keeps open, for a producer that creates (and waits for) one task at a time (a message on an open
	// stream reaches the manager several times sooner than a new call). Each request carries an id
	// the client picks, unique among its requests that have not had their last answer; each answer
	// names it, and a request's last answer says `done`. A request is refused alone, as its own call
	// would be (the stream goes on), one refused before it is decoded too (not protobuf's wire
	// format, past MAX_REQUEST_JSON_VALUES, MAX_REQUEST_ELEMENTS or MAX_REQUEST_OBJECT_SHAPES, or a
	// map key that ends with a backslash), under the request_id read from its bytes; only one whose
	// id cannot be read ends the stream. A create is answered once stored, a create_and_watch as
	// CreateAndWatchTask answers (as stored, then final), a watch as WatchTasks answers (each task
	// once final). A request of a kind the manager does not know is answered UNIMPLEMENTED. The
	// manager sends the response headers as it serves the stream: a status before them (the key,
	// the caps) means nothing ran. The stream
	// ends with RESOURCE_EXHAUSTED when a request arrives while PRODUCE_REQUESTS_IN_FLIGHT (1,000)
	// are open (not yet answered done: waits included, and answers the client has not read), with
	// INVALID_ARGUMENT for a request id of 0 or one in use, with UNAUTHENTICATED when its key is
	// revoked, and OK once the client has ended its side and every request had its last answer.
	// Opens for a key that may create or read tasks; each request is then checked as its own call
	// would be (a create needs the scope to create tasks, an executor a key may not use is refused,
	// a watch needs the scope to read tasks).
	Produce(grpc.BidiStreamingServer[ProduceRequest, ProduceResponse]) error
	// Bulk operations by filter: each touches at most BULK_MAX_TASKS matching tasks and answers
	// the cursor to go on from; a call that sets no filter field needs `confirm`.
	DeleteTasks(context.Context, *DeleteTasksRequest) (*DeleteTasksResponse, error)
	CancelTasks(context.Context, *CancelTasksRequest) (*CancelTasksResponse, error)
	RetryTasks(context.Context, *RetryTasksRequest) (*RetryTasksResponse, error)
	CreateSchedule(context.Context, *CreateScheduleRequest) (*CreateScheduleResponse, error)
	ListSchedules(context.Context, *ListSchedulesRequest) (*ListSchedulesResponse, error)
	GetSchedule(context.Context, *GetScheduleRequest) (*GetScheduleResponse, error)
	UpdateSchedule(context.Context, *UpdateScheduleRequest) (*UpdateScheduleResponse, error)
	DeleteSchedule(context.Context, *DeleteScheduleRequest) (*DeleteScheduleResponse, error)
	PauseSchedule(context.Context, *PauseScheduleRequest) (*PauseScheduleResponse, error)
	ResumeSchedule(context.Context, *ResumeScheduleRequest) (*ResumeScheduleResponse, error)
	TriggerSchedule(context.Context, *TriggerScheduleRequest) (*TriggerScheduleResponse, error)
	PreviewSchedule(context.Context, *PreviewScheduleRequest) (*PreviewScheduleResponse, error)
	GetHistory(context.Context, *GetHistoryRequest) (*GetHistoryResponse, error)
	mustEmbedUnimplementedTaskExecutorManagerServiceServer()
}

// UnimplementedTaskExecutorManagerServiceServer must be embedded to have
// forward compatible implementations.
//
// NOTE: this should be embedded by value instead of pointer to avoid a nil
// pointer dereference when methods are called.
type UnimplementedTaskExecutorManagerServiceServer struct{}

func (UnimplementedTaskExecutorManagerServiceServer) CreateExecutor(context.Context, *CreateExecutorRequest) (*CreateExecutorResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method CreateExecutor not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) GetExecutor(context.Context, *GetExecutorRequest) (*GetExecutorResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetExecutor not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) ListExecutors(context.Context, *ListExecutorsRequest) (*ListExecutorsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method ListExecutors not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) UpdateExecutor(context.Context, *UpdateExecutorRequest) (*UpdateExecutorResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method UpdateExecutor not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) DeleteExecutor(context.Context, *DeleteExecutorRequest) (*DeleteExecutorResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method DeleteExecutor not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) CreateTask(context.Context, *CreateTaskRequest) (*CreateTaskResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method CreateTask not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) CreateTasks(context.Context, *CreateTasksRequest) (*CreateTasksResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method CreateTasks not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) GetTask(context.Context, *GetTaskRequest) (*GetTaskResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetTask not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) ListTasks(context.Context, *ListTasksRequest) (*ListTasksResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method ListTasks not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) SearchTasks(context.Context, *SearchTasksRequest) (*SearchTasksResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method SearchTasks not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) UpdateTaskStatus(context.Context, *UpdateTaskStatusRequest) (*UpdateTaskStatusResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method UpdateTaskStatus not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) CancelTask(context.Context, *CancelTaskRequest) (*CancelTaskResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method CancelTask not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) ListDlq(context.Context, *ListDlqRequest) (*ListDlqResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method ListDlq not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) GetDlqEntry(context.Context, *GetDlqEntryRequest) (*GetDlqEntryResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetDlqEntry not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) RequeueDlqEntry(context.Context, *RequeueDlqEntryRequest) (*RequeueDlqEntryResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method RequeueDlqEntry not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) DeleteDlqEntry(context.Context, *DeleteDlqEntryRequest) (*DeleteDlqEntryResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method DeleteDlqEntry not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) PurgeDlq(context.Context, *PurgeDlqRequest) (*PurgeDlqResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method PurgeDlq not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) RequeueDlq(context.Context, *RequeueDlqRequest) (*RequeueDlqResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method RequeueDlq not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) GetStats(context.Context, *GetStatsRequest) (*GetStatsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetStats not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) ListWorkers(context.Context, *ListWorkersRequest) (*ListWorkersResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method ListWorkers not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) CreateKey(context.Context, *CreateKeyRequest) (*CreateKeyResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method CreateKey not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) ListKeys(context.Context, *ListKeysRequest) (*ListKeysResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method ListKeys not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) RevokeKey(context.Context, *RevokeKeyRequest) (*RevokeKeyResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method RevokeKey not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) WatchTasks(*WatchTasksRequest, grpc.ServerStreamingServer[WatchTasksResponse]) error {
	return status.Error(codes.Unimplemented, "method WatchTasks not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) CreateAndWatchTask(*CreateAndWatchTaskRequest, grpc.ServerStreamingServer[CreateAndWatchTaskResponse]) error {
	return status.Error(codes.Unimplemented, "method CreateAndWatchTask not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) Produce(grpc.BidiStreamingServer[ProduceRequest, ProduceResponse]) error {
	return status.Error(codes.Unimplemented, "method Produce not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) DeleteTasks(context.Context, *DeleteTasksRequest) (*DeleteTasksResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method DeleteTasks not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) CancelTasks(context.Context, *CancelTasksRequest) (*CancelTasksResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method CancelTasks not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) RetryTasks(context.Context, *RetryTasksRequest) (*RetryTasksResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method RetryTasks not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) CreateSchedule(context.Context, *CreateScheduleRequest) (*CreateScheduleResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method CreateSchedule not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) ListSchedules(context.Context, *ListSchedulesRequest) (*ListSchedulesResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method ListSchedules not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) GetSchedule(context.Context, *GetScheduleRequest) (*GetScheduleResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetSchedule not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) UpdateSchedule(context.Context, *UpdateScheduleRequest) (*UpdateScheduleResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method UpdateSchedule not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) DeleteSchedule(context.Context, *DeleteScheduleRequest) (*DeleteScheduleResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method DeleteSchedule not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) PauseSchedule(context.Context, *PauseScheduleRequest) (*PauseScheduleResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method PauseSchedule not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) ResumeSchedule(context.Context, *ResumeScheduleRequest) (*ResumeScheduleResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method ResumeSchedule not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) TriggerSchedule(context.Context, *TriggerScheduleRequest) (*TriggerScheduleResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method TriggerSchedule not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) PreviewSchedule(context.Context, *PreviewScheduleRequest) (*PreviewScheduleResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method PreviewSchedule not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) GetHistory(context.Context, *GetHistoryRequest) (*GetHistoryResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetHistory not implemented")
}
func (UnimplementedTaskExecutorManagerServiceServer) mustEmbedUnimplementedTaskExecutorManagerServiceServer() {
}
func (UnimplementedTaskExecutorManagerServiceServer) testEmbeddedByValue() {}

// UnsafeTaskExecutorManagerServiceServer may be embedded to opt out of forward compatibility for this service.
// Use of this interface is not recommended, as added methods to TaskExecutorManagerServiceServer will
// result in compilation errors.
type UnsafeTaskExecutorManagerServiceServer interface {
	mustEmbedUnimplementedTaskExecutorManagerServiceServer()
}

func RegisterTaskExecutorManagerServiceServer(s grpc.ServiceRegistrar, srv TaskExecutorManagerServiceServer) {
	// If the following call panics, it indicates UnimplementedTaskExecutorManagerServiceServer was
	// embedded by pointer and is nil.  This will cause panics if an
	// unimplemented method is ever invoked, so we test this at initialization
	// time to prevent it from happening at runtime later due to I/O.
	if t, ok := srv.(interface{ testEmbeddedByValue() }); ok {
		t.testEmbeddedByValue()
	}
	s.RegisterService(&TaskExecutorManagerService_ServiceDesc, srv)
}

func _TaskExecutorManagerService_CreateExecutor_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(CreateExecutorRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).CreateExecutor(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_CreateExecutor_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).CreateExecutor(ctx, req.(*CreateExecutorRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_GetExecutor_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetExecutorRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).GetExecutor(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_GetExecutor_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).GetExecutor(ctx, req.(*GetExecutorRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_ListExecutors_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ListExecutorsRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).ListExecutors(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_ListExecutors_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).ListExecutors(ctx, req.(*ListExecutorsRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_UpdateExecutor_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(UpdateExecutorRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).UpdateExecutor(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_UpdateExecutor_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).UpdateExecutor(ctx, req.(*UpdateExecutorRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_DeleteExecutor_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(DeleteExecutorRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).DeleteExecutor(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_DeleteExecutor_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).DeleteExecutor(ctx, req.(*DeleteExecutorRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_CreateTask_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(CreateTaskRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).CreateTask(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_CreateTask_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).CreateTask(ctx, req.(*CreateTaskRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_CreateTasks_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(CreateTasksRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).CreateTasks(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_CreateTasks_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).CreateTasks(ctx, req.(*CreateTasksRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_GetTask_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetTaskRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).GetTask(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_GetTask_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).GetTask(ctx, req.(*GetTaskRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_ListTasks_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ListTasksRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).ListTasks(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_ListTasks_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).ListTasks(ctx, req.(*ListTasksRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_SearchTasks_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(SearchTasksRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).SearchTasks(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_SearchTasks_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).SearchTasks(ctx, req.(*SearchTasksRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_UpdateTaskStatus_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(UpdateTaskStatusRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).UpdateTaskStatus(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_UpdateTaskStatus_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).UpdateTaskStatus(ctx, req.(*UpdateTaskStatusRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_CancelTask_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(CancelTaskRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).CancelTask(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_CancelTask_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).CancelTask(ctx, req.(*CancelTaskRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_ListDlq_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ListDlqRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).ListDlq(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_ListDlq_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).ListDlq(ctx, req.(*ListDlqRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_GetDlqEntry_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetDlqEntryRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).GetDlqEntry(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_GetDlqEntry_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).GetDlqEntry(ctx, req.(*GetDlqEntryRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_RequeueDlqEntry_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(RequeueDlqEntryRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).RequeueDlqEntry(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_RequeueDlqEntry_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).RequeueDlqEntry(ctx, req.(*RequeueDlqEntryRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_DeleteDlqEntry_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(DeleteDlqEntryRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).DeleteDlqEntry(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_DeleteDlqEntry_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).DeleteDlqEntry(ctx, req.(*DeleteDlqEntryRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_PurgeDlq_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(PurgeDlqRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).PurgeDlq(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_PurgeDlq_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).PurgeDlq(ctx, req.(*PurgeDlqRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_RequeueDlq_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(RequeueDlqRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).RequeueDlq(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_RequeueDlq_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).RequeueDlq(ctx, req.(*RequeueDlqRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_GetStats_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetStatsRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).GetStats(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_GetStats_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).GetStats(ctx, req.(*GetStatsRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_ListWorkers_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ListWorkersRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).ListWorkers(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_ListWorkers_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).ListWorkers(ctx, req.(*ListWorkersRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_CreateKey_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(CreateKeyRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).CreateKey(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_CreateKey_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).CreateKey(ctx, req.(*CreateKeyRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_ListKeys_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ListKeysRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).ListKeys(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_ListKeys_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).ListKeys(ctx, req.(*ListKeysRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_RevokeKey_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(RevokeKeyRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).RevokeKey(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_RevokeKey_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).RevokeKey(ctx, req.(*RevokeKeyRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_WatchTasks_Handler(srv interface{}, stream grpc.ServerStream) error {
	m := new(WatchTasksRequest)
	if err := stream.RecvMsg(m); err != nil {
		return err
	}
	return srv.(TaskExecutorManagerServiceServer).WatchTasks(m, &grpc.GenericServerStream[WatchTasksRequest, WatchTasksResponse]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type TaskExecutorManagerService_WatchTasksServer = grpc.ServerStreamingServer[WatchTasksResponse]

func _TaskExecutorManagerService_CreateAndWatchTask_Handler(srv interface{}, stream grpc.ServerStream) error {
	m := new(CreateAndWatchTaskRequest)
	if err := stream.RecvMsg(m); err != nil {
		return err
	}
	return srv.(TaskExecutorManagerServiceServer).CreateAndWatchTask(m, &grpc.GenericServerStream[CreateAndWatchTaskRequest, CreateAndWatchTaskResponse]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type TaskExecutorManagerService_CreateAndWatchTaskServer = grpc.ServerStreamingServer[CreateAndWatchTaskResponse]

func _TaskExecutorManagerService_Produce_Handler(srv interface{}, stream grpc.ServerStream) error {
	return srv.(TaskExecutorManagerServiceServer).Produce(&grpc.GenericServerStream[ProduceRequest, ProduceResponse]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type TaskExecutorManagerService_ProduceServer = grpc.BidiStreamingServer[ProduceRequest, ProduceResponse]

func _TaskExecutorManagerService_DeleteTasks_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(DeleteTasksRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).DeleteTasks(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_DeleteTasks_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).DeleteTasks(ctx, req.(*DeleteTasksRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_CancelTasks_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(CancelTasksRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).CancelTasks(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_CancelTasks_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).CancelTasks(ctx, req.(*CancelTasksRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_RetryTasks_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(RetryTasksRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).RetryTasks(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_RetryTasks_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).RetryTasks(ctx, req.(*RetryTasksRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_CreateSchedule_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(CreateScheduleRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).CreateSchedule(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_CreateSchedule_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).CreateSchedule(ctx, req.(*CreateScheduleRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_ListSchedules_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ListSchedulesRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).ListSchedules(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_ListSchedules_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).ListSchedules(ctx, req.(*ListSchedulesRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_GetSchedule_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetScheduleRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).GetSchedule(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_GetSchedule_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).GetSchedule(ctx, req.(*GetScheduleRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_UpdateSchedule_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(UpdateScheduleRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).UpdateSchedule(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_UpdateSchedule_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).UpdateSchedule(ctx, req.(*UpdateScheduleRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_DeleteSchedule_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(DeleteScheduleRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).DeleteSchedule(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_DeleteSchedule_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).DeleteSchedule(ctx, req.(*DeleteScheduleRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_PauseSchedule_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(PauseScheduleRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).PauseSchedule(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_PauseSchedule_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).PauseSchedule(ctx, req.(*PauseScheduleRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_ResumeSchedule_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ResumeScheduleRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).ResumeSchedule(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_ResumeSchedule_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).ResumeSchedule(ctx, req.(*ResumeScheduleRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_TriggerSchedule_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(TriggerScheduleRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).TriggerSchedule(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_TriggerSchedule_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).TriggerSchedule(ctx, req.(*TriggerScheduleRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_PreviewSchedule_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(PreviewScheduleRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).PreviewSchedule(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_PreviewSchedule_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).PreviewSchedule(ctx, req.(*PreviewScheduleRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorManagerService_GetHistory_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetHistoryRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorManagerServiceServer).GetHistory(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorManagerService_GetHistory_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorManagerServiceServer).GetHistory(ctx, req.(*GetHistoryRequest))
	}
	return interceptor(ctx, in, info, handler)
}

// TaskExecutorManagerService_ServiceDesc is the grpc.ServiceDesc for TaskExecutorManagerService service.
// It's only intended for direct use with grpc.RegisterService,
// and not to be introspected or modified (even as a copy)
var TaskExecutorManagerService_ServiceDesc = grpc.ServiceDesc{
	ServiceName: "taskexecutor.v1.TaskExecutorManagerService",
	HandlerType: (*TaskExecutorManagerServiceServer)(nil),
	Methods: []grpc.MethodDesc{
		{
			MethodName: "CreateExecutor",
			Handler:    _TaskExecutorManagerService_CreateExecutor_Handler,
		},
		{
			MethodName: "GetExecutor",
			Handler:    _TaskExecutorManagerService_GetExecutor_Handler,
		},
		{
			MethodName: "ListExecutors",
			Handler:    _TaskExecutorManagerService_ListExecutors_Handler,
		},
		{
			MethodName: "UpdateExecutor",
			Handler:    _TaskExecutorManagerService_UpdateExecutor_Handler,
		},
		{
			MethodName: "DeleteExecutor",
			Handler:    _TaskExecutorManagerService_DeleteExecutor_Handler,
		},
		{
			MethodName: "CreateTask",
			Handler:    _TaskExecutorManagerService_CreateTask_Handler,
		},
		{
			MethodName: "CreateTasks",
			Handler:    _TaskExecutorManagerService_CreateTasks_Handler,
		},
		{
			MethodName: "GetTask",
			Handler:    _TaskExecutorManagerService_GetTask_Handler,
		},
		{
			MethodName: "ListTasks",
			Handler:    _TaskExecutorManagerService_ListTasks_Handler,
		},
		{
			MethodName: "SearchTasks",
			Handler:    _TaskExecutorManagerService_SearchTasks_Handler,
		},
		{
			MethodName: "UpdateTaskStatus",
			Handler:    _TaskExecutorManagerService_UpdateTaskStatus_Handler,
		},
		{
			MethodName: "CancelTask",
			Handler:    _TaskExecutorManagerService_CancelTask_Handler,
		},
		{
			MethodName: "ListDlq",
			Handler:    _TaskExecutorManagerService_ListDlq_Handler,
		},
		{
			MethodName: "GetDlqEntry",
			Handler:    _TaskExecutorManagerService_GetDlqEntry_Handler,
		},
		{
			MethodName: "RequeueDlqEntry",
			Handler:    _TaskExecutorManagerService_RequeueDlqEntry_Handler,
		},
		{
			MethodName: "DeleteDlqEntry",
			Handler:    _TaskExecutorManagerService_DeleteDlqEntry_Handler,
		},
		{
			MethodName: "PurgeDlq",
			Handler:    _TaskExecutorManagerService_PurgeDlq_Handler,
		},
		{
			MethodName: "RequeueDlq",
			Handler:    _TaskExecutorManagerService_RequeueDlq_Handler,
		},
		{
			MethodName: "GetStats",
			Handler:    _TaskExecutorManagerService_GetStats_Handler,
		},
		{
			MethodName: "ListWorkers",
			Handler:    _TaskExecutorManagerService_ListWorkers_Handler,
		},
		{
			MethodName: "CreateKey",
			Handler:    _TaskExecutorManagerService_CreateKey_Handler,
		},
		{
			MethodName: "ListKeys",
			Handler:    _TaskExecutorManagerService_ListKeys_Handler,
		},
		{
			MethodName: "RevokeKey",
			Handler:    _TaskExecutorManagerService_RevokeKey_Handler,
		},
		{
			MethodName: "DeleteTasks",
			Handler:    _TaskExecutorManagerService_DeleteTasks_Handler,
		},
		{
			MethodName: "CancelTasks",
			Handler:    _TaskExecutorManagerService_CancelTasks_Handler,
		},
		{
			MethodName: "RetryTasks",
			Handler:    _TaskExecutorManagerService_RetryTasks_Handler,
		},
		{
			MethodName: "CreateSchedule",
			Handler:    _TaskExecutorManagerService_CreateSchedule_Handler,
		},
		{
			MethodName: "ListSchedules",
			Handler:    _TaskExecutorManagerService_ListSchedules_Handler,
		},
		{
			MethodName: "GetSchedule",
			Handler:    _TaskExecutorManagerService_GetSchedule_Handler,
		},
		{
			MethodName: "UpdateSchedule",
			Handler:    _TaskExecutorManagerService_UpdateSchedule_Handler,
		},
		{
			MethodName: "DeleteSchedule",
			Handler:    _TaskExecutorManagerService_DeleteSchedule_Handler,
		},
		{
			MethodName: "PauseSchedule",
			Handler:    _TaskExecutorManagerService_PauseSchedule_Handler,
		},
		{
			MethodName: "ResumeSchedule",
			Handler:    _TaskExecutorManagerService_ResumeSchedule_Handler,
		},
		{
			MethodName: "TriggerSchedule",
			Handler:    _TaskExecutorManagerService_TriggerSchedule_Handler,
		},
		{
			MethodName: "PreviewSchedule",
			Handler:    _TaskExecutorManagerService_PreviewSchedule_Handler,
		},
		{
			MethodName: "GetHistory",
			Handler:    _TaskExecutorManagerService_GetHistory_Handler,
		},
	},
	Streams: []grpc.StreamDesc{
		{
			StreamName:    "WatchTasks",
			Handler:       _TaskExecutorManagerService_WatchTasks_Handler,
			ServerStreams: true,
		},
		{
			StreamName:    "CreateAndWatchTask",
			Handler:       _TaskExecutorManagerService_CreateAndWatchTask_Handler,
			ServerStreams: true,
		},
		{
			StreamName:    "Produce",
			Handler:       _TaskExecutorManagerService_Produce_Handler,
			ServerStreams: true,
			ClientStreams: true,
		},
	},
	Metadata: "taskexecutor/v1/task_executor.proto",
}

const (
	TaskExecutorService_Work_FullMethodName          = "/taskexecutor.v1.TaskExecutorService/Work"
	TaskExecutorService_GetNextTask_FullMethodName   = "/taskexecutor.v1.TaskExecutorService/GetNextTask"
	TaskExecutorService_ReportResults_FullMethodName = "/taskexecutor.v1.TaskExecutorService/ReportResults"
)

// TaskExecutorServiceClient is the client API for TaskExecutorService service.
//
// For semantics around ctx use and closing/ending streaming RPCs, please refer to https://pkg.go.dev/google.golang.org/grpc/?tab=doc#ClientConn.NewStream.
type TaskExecutorServiceClient interface {
	// The main path: hello, then credits and results up; assignments and cancellations down.
	Work(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[WorkRequest, WorkResponse], error)
	// Plain unary calls for clients that only have generated stubs.
	GetNextTask(ctx context.Context, in *GetNextTaskRequest, opts ...grpc.CallOption) (*GetNextTaskResponse, error)
	ReportResults(ctx context.Context, in *ReportResultsRequest, opts ...grpc.CallOption) (*ReportResultsResponse, error)
}

type taskExecutorServiceClient struct {
	cc grpc.ClientConnInterface
}

func NewTaskExecutorServiceClient(cc grpc.ClientConnInterface) TaskExecutorServiceClient {
	return &taskExecutorServiceClient{cc}
}

func (c *taskExecutorServiceClient) Work(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[WorkRequest, WorkResponse], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &TaskExecutorService_ServiceDesc.Streams[0], TaskExecutorService_Work_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[WorkRequest, WorkResponse]{ClientStream: stream}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type TaskExecutorService_WorkClient = grpc.BidiStreamingClient[WorkRequest, WorkResponse]

func (c *taskExecutorServiceClient) GetNextTask(ctx context.Context, in *GetNextTaskRequest, opts ...grpc.CallOption) (*GetNextTaskResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetNextTaskResponse)
	err := c.cc.Invoke(ctx, TaskExecutorService_GetNextTask_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *taskExecutorServiceClient) ReportResults(ctx context.Context, in *ReportResultsRequest, opts ...grpc.CallOption) (*ReportResultsResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ReportResultsResponse)
	err := c.cc.Invoke(ctx, TaskExecutorService_ReportResults_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TaskExecutorServiceServer is the server API for TaskExecutorService service.
// All implementations must embed UnimplementedTaskExecutorServiceServer
// for forward compatibility.
type TaskExecutorServiceServer interface {
	// The main path: hello, then credits and results up; assignments and cancellations down.
	Work(grpc.BidiStreamingServer[WorkRequest, WorkResponse]) error
	// Plain unary calls for clients that only have generated stubs.
	GetNextTask(context.Context, *GetNextTaskRequest) (*GetNextTaskResponse, error)
	ReportResults(context.Context, *ReportResultsRequest) (*ReportResultsResponse, error)
	mustEmbedUnimplementedTaskExecutorServiceServer()
}

// UnimplementedTaskExecutorServiceServer must be embedded to have
// forward compatible implementations.
//
// NOTE: this should be embedded by value instead of pointer to avoid a nil
// pointer dereference when methods are called.
type UnimplementedTaskExecutorServiceServer struct{}

func (UnimplementedTaskExecutorServiceServer) Work(grpc.BidiStreamingServer[WorkRequest, WorkResponse]) error {
	return status.Error(codes.Unimplemented, "method Work not implemented")
}
func (UnimplementedTaskExecutorServiceServer) GetNextTask(context.Context, *GetNextTaskRequest) (*GetNextTaskResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetNextTask not implemented")
}
func (UnimplementedTaskExecutorServiceServer) ReportResults(context.Context, *ReportResultsRequest) (*ReportResultsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method ReportResults not implemented")
}
func (UnimplementedTaskExecutorServiceServer) mustEmbedUnimplementedTaskExecutorServiceServer() {}
func (UnimplementedTaskExecutorServiceServer) testEmbeddedByValue()                             {}

// UnsafeTaskExecutorServiceServer may be embedded to opt out of forward compatibility for this service.
// Use of this interface is not recommended, as added methods to TaskExecutorServiceServer will
// result in compilation errors.
type UnsafeTaskExecutorServiceServer interface {
	mustEmbedUnimplementedTaskExecutorServiceServer()
}

func RegisterTaskExecutorServiceServer(s grpc.ServiceRegistrar, srv TaskExecutorServiceServer) {
	// If the following call panics, it indicates UnimplementedTaskExecutorServiceServer was
	// embedded by pointer and is nil.  This will cause panics if an
	// unimplemented method is ever invoked, so we test this at initialization
	// time to prevent it from happening at runtime later due to I/O.
	if t, ok := srv.(interface{ testEmbeddedByValue() }); ok {
		t.testEmbeddedByValue()
	}
	s.RegisterService(&TaskExecutorService_ServiceDesc, srv)
}

func _TaskExecutorService_Work_Handler(srv interface{}, stream grpc.ServerStream) error {
	return srv.(TaskExecutorServiceServer).Work(&grpc.GenericServerStream[WorkRequest, WorkResponse]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type TaskExecutorService_WorkServer = grpc.BidiStreamingServer[WorkRequest, WorkResponse]

func _TaskExecutorService_GetNextTask_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetNextTaskRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorServiceServer).GetNextTask(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorService_GetNextTask_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorServiceServer).GetNextTask(ctx, req.(*GetNextTaskRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _TaskExecutorService_ReportResults_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ReportResultsRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(TaskExecutorServiceServer).ReportResults(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: TaskExecutorService_ReportResults_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(TaskExecutorServiceServer).ReportResults(ctx, req.(*ReportResultsRequest))
	}
	return interceptor(ctx, in, info, handler)
}

// TaskExecutorService_ServiceDesc is the grpc.ServiceDesc for TaskExecutorService service.
// It's only intended for direct use with grpc.RegisterService,
// and not to be introspected or modified (even as a copy)
var TaskExecutorService_ServiceDesc = grpc.ServiceDesc{
	ServiceName: "taskexecutor.v1.TaskExecutorService",
	HandlerType: (*TaskExecutorServiceServer)(nil),
	Methods: []grpc.MethodDesc{
		{
			MethodName: "GetNextTask",
			Handler:    _TaskExecutorService_GetNextTask_Handler,
		},
		{
			MethodName: "ReportResults",
			Handler:    _TaskExecutorService_ReportResults_Handler,
		},
	},
	Streams: []grpc.StreamDesc{
		{
			StreamName:    "Work",
			Handler:       _TaskExecutorService_Work_Handler,
			ServerStreams: true,
			ClientStreams: true,
		},
	},
	Metadata: "taskexecutor/v1/task_executor.proto",
}
