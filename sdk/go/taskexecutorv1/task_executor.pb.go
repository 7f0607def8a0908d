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

// Code generated by protoc-gen-go. DO NOT EDIT.
// versions:
// 	protoc-gen-go v1.36.12
// 	protoc        v3.21.12
// source: taskexecutor/v1/task_executor.proto

package taskexecutorv1

import (
	protoreflect "google.golang.org/protobuf/reflect/protoreflect"
	protoimpl "google.golang.org/protobuf/runtime/protoimpl"
	durationpb "google.golang.org/protobuf/types/known/durationpb"
	structpb "google.golang.org/protobuf/types/known/structpb"
	timestamppb "google.golang.org/protobuf/types/known/timestamppb"
	reflect "reflect"
	sync "sync"
	unsafe "unsafe"
)

const (
	// Verify that this generated code is sufficiently up-to-date.
	_ = protoimpl.EnforceVersion(20 - protoimpl.MinVersion)
	// Verify that runtime/protoimpl is sufficiently up-to-date.
	_ = protoimpl.EnforceVersion(protoimpl.MaxVersion - 20)
)

// Where a task stands. Pending may wait for `run_at` (a delay or a retry's backoff).
type TaskStatus int32

const (
	TaskStatus_TASK_STATUS_UNSPECIFIED TaskStatus = 0
	TaskStatus_TASK_STATUS_PENDING     TaskStatus = 1
	TaskStatus_TASK_STATUS_IN_PROGRESS TaskStatus = 2
	TaskStatus_TASK_STATUS_COMPLETED   TaskStatus = 3
	TaskStatus_TASK_STATUS_FAILED      TaskStatus = 4 // retries exhausted with the DLQ disabled
	TaskStatus_TASK_STATUS_DLQ         TaskStatus = 5
	TaskStatus_TASK_STATUS_CANCELLED   TaskStatus = 6
)

// Enum value maps for TaskStatus.
var (
	TaskStatus_name = map[int32]string{
		0: "TASK_STATUS_UNSPECIFIED",
		1: "TASK_STATUS_PENDING",
		2: "TASK_STATUS_IN_PROGRESS",
		3: "TASK_STATUS_COMPLETED",
		4: "TASK_STATUS_FAILED",
		5: "TASK_STATUS_DLQ",
		6: "TASK_STATUS_CANCELLED",
	}
	TaskStatus_value = map[string]int32{
		"TASK_STATUS_UNSPECIFIED": 0,
		"TASK_STATUS_PENDING":     1,
		"TASK_STATUS_IN_PROGRESS": 2,
		"TASK_STATUS_COMPLETED":   3,
		"TASK_STATUS_FAILED":      4,
		"TASK_STATUS_DLQ":         5,
		"TASK_STATUS_CANCELLED":   6,
	}
)

func (x TaskStatus) Enum() *TaskStatus {
	p := new(TaskStatus)
	*p = x
	return p
}

func (x TaskStatus) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (TaskStatus) Descriptor() protoreflect.EnumDescriptor {
	return file_taskexecutor_v1_task_executor_proto_enumTypes[0].Descriptor()
}

func (TaskStatus) Type() protoreflect.EnumType {
	return &file_taskexecutor_v1_task_executor_proto_enumTypes[0]
}

func (x TaskStatus) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use TaskStatus.Descriptor instead.
func (TaskStatus) EnumDescriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{0}
}

// How the delay between attempts grows.
type RetryPolicyType int32

const (
	RetryPolicyType_RETRY_POLICY_TYPE_UNSPECIFIED RetryPolicyType = 0
	RetryPolicyType_RETRY_POLICY_TYPE_CONSTANT    RetryPolicyType = 1
	RetryPolicyType_RETRY_POLICY_TYPE_LINEAR      RetryPolicyType = 2
	RetryPolicyType_RETRY_POLICY_TYPE_EXPONENTIAL RetryPolicyType = 3
)

// Enum value maps for RetryPolicyType.
var (
	RetryPolicyType_name = map[int32]string{
		0: "RETRY_POLICY_TYPE_UNSPECIFIED",
		1: "RETRY_POLICY_TYPE_CONSTANT",
		2: "RETRY_POLICY_TYPE_LINEAR",
		3: "RETRY_POLICY_TYPE_EXPONENTIAL",
	}
	RetryPolicyType_value = map[string]int32{
		"RETRY_POLICY_TYPE_UNSPECIFIED": 0,
		"RETRY_POLICY_TYPE_CONSTANT":    1,
		"RETRY_POLICY_TYPE_LINEAR":      2,
		"RETRY_POLICY_TYPE_EXPONENTIAL": 3,
	}
)

func (x RetryPolicyType) Enum() *RetryPolicyType {
	p := new(RetryPolicyType)
	*p = x
	return p
}

func (x RetryPolicyType) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (RetryPolicyType) Descriptor() protoreflect.EnumDescriptor {
	return file_taskexecutor_v1_task_executor_proto_enumTypes[1].Descriptor()
}

func (RetryPolicyType) Type() protoreflect.EnumType {
	return &file_taskexecutor_v1_task_executor_proto_enumTypes[1]
}

func (x RetryPolicyType) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use RetryPolicyType.Descriptor instead.
func (RetryPolicyType) EnumDescriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{1}
}

// How durable a write of this executor's tasks must be before it is acknowledged (MongoDB).
type WriteConcernLevel int32

const (
	WriteConcernLevel_WRITE_CONCERN_LEVEL_UNSPECIFIED          WriteConcernLevel = 0
	WriteConcernLevel_WRITE_CONCERN_LEVEL_REPLICA_ACKNOWLEDGED WriteConcernLevel = 1
	WriteConcernLevel_WRITE_CONCERN_LEVEL_MAJORITY             WriteConcernLevel = 2
	WriteConcernLevel_WRITE_CONCERN_LEVEL_UNACKNOWLEDGED       WriteConcernLevel = 3
	WriteConcernLevel_WRITE_CONCERN_LEVEL_JOURNALED            WriteConcernLevel = 4
)

// Enum value maps for WriteConcernLevel.
var (
	WriteConcernLevel_name = map[int32]string{
		0: "WRITE_CONCERN_LEVEL_UNSPECIFIED",
		1: "WRITE_CONCERN_LEVEL_REPLICA_ACKNOWLEDGED",
		2: "WRITE_CONCERN_LEVEL_MAJORITY",
		3: "WRITE_CONCERN_LEVEL_UNACKNOWLEDGED",
		4: "WRITE_CONCERN_LEVEL_JOURNALED",
	}
	WriteConcernLevel_value = map[string]int32{
		"WRITE_CONCERN_LEVEL_UNSPECIFIED":          0,
		"WRITE_CONCERN_LEVEL_REPLICA_ACKNOWLEDGED": 1,
		"WRITE_CONCERN_LEVEL_MAJORITY":             2,
		"WRITE_CONCERN_LEVEL_UNACKNOWLEDGED":       3,
		"WRITE_CONCERN_LEVEL_JOURNALED":            4,
	}
)

func (x WriteConcernLevel) Enum() *WriteConcernLevel {
	p := new(WriteConcernLevel)
	*p = x
	return p
}

func (x WriteConcernLevel) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (WriteConcernLevel) Descriptor() protoreflect.EnumDescriptor {
	return file_taskexecutor_v1_task_executor_proto_enumTypes[2].Descriptor()
}

func (WriteConcernLevel) Type() protoreflect.EnumType {
	return &file_taskexecutor_v1_task_executor_proto_enumTypes[2]
}

func (x WriteConcernLevel) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use WriteConcernLevel.Descriptor instead.
func (WriteConcernLevel) EnumDescriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{2}
}

// Why a task was dead-lettered.
type DlqReason int32

const (
	DlqReason_DLQ_REASON_UNSPECIFIED   DlqReason = 0
	DlqReason_DLQ_REASON_MAX_ATTEMPTS  DlqReason = 1
	DlqReason_DLQ_REASON_NON_RETRYABLE DlqReason = 2
	DlqReason_DLQ_REASON_TIMEOUT       DlqReason = 3
	DlqReason_DLQ_REASON_LEASE_LOST    DlqReason = 4
	DlqReason_DLQ_REASON_VALIDATION    DlqReason = 5
)

// Enum value maps for DlqReason.
var (
	DlqReason_name = map[int32]string{
		0: "DLQ_REASON_UNSPECIFIED",
		1: "DLQ_REASON_MAX_ATTEMPTS",
		2: "DLQ_REASON_NON_RETRYABLE",
		3: "DLQ_REASON_TIMEOUT",
		4: "DLQ_REASON_LEASE_LOST",
		5: "DLQ_REASON_VALIDATION",
	}
	DlqReason_value = map[string]int32{
		"DLQ_REASON_UNSPECIFIED":   0,
		"DLQ_REASON_MAX_ATTEMPTS":  1,
		"DLQ_REASON_NON_RETRYABLE": 2,
		"DLQ_REASON_TIMEOUT":       3,
		"DLQ_REASON_LEASE_LOST":    4,
		"DLQ_REASON_VALIDATION":    5,
	}
)

func (x DlqReason) Enum() *DlqReason {
	p := new(DlqReason)
	*p = x
	return p
}

func (x DlqReason) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (DlqReason) Descriptor() protoreflect.EnumDescriptor {
	return file_taskexecutor_v1_task_executor_proto_enumTypes[3].Descriptor()
}

func (DlqReason) Type() protoreflect.EnumType {
	return &file_taskexecutor_v1_task_executor_proto_enumTypes[3]
}

func (x DlqReason) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use DlqReason.Descriptor instead.
func (DlqReason) EnumDescriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{3}
}

// Why the manager asks a worker to abort a task.
type CancellationReason int32

const (
	CancellationReason_CANCELLATION_REASON_UNSPECIFIED CancellationReason = 0
	CancellationReason_CANCELLATION_REASON_CANCELLED   CancellationReason = 1
	CancellationReason_CANCELLATION_REASON_LEASE_LOST  CancellationReason = 2
	CancellationReason_CANCELLATION_REASON_TIMEOUT     CancellationReason = 3
)

// Enum value maps for CancellationReason.
var (
	CancellationReason_name = map[int32]string{
		0: "CANCELLATION_REASON_UNSPECIFIED",
		1: "CANCELLATION_REASON_CANCELLED",
		2: "CANCELLATION_REASON_LEASE_LOST",
		3: "CANCELLATION_REASON_TIMEOUT",
	}
	CancellationReason_value = map[string]int32{
		"CANCELLATION_REASON_UNSPECIFIED": 0,
		"CANCELLATION_REASON_CANCELLED":   1,
		"CANCELLATION_REASON_LEASE_LOST":  2,
		"CANCELLATION_REASON_TIMEOUT":     3,
	}
)

func (x CancellationReason) Enum() *CancellationReason {
	p := new(CancellationReason)
	*p = x
	return p
}

func (x CancellationReason) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (CancellationReason) Descriptor() protoreflect.EnumDescriptor {
	return file_taskexecutor_v1_task_executor_proto_enumTypes[4].Descriptor()
}

func (CancellationReason) Type() protoreflect.EnumType {
	return &file_taskexecutor_v1_task_executor_proto_enumTypes[4]
}

func (x CancellationReason) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use CancellationReason.Descriptor instead.
func (CancellationReason) EnumDescriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{4}
}

// What an API key may do.
type Scope int32

const (
	Scope_SCOPE_UNSPECIFIED Scope = 0
	Scope_SCOPE_ADMIN       Scope = 1
	Scope_SCOPE_PRODUCER    Scope = 2
	Scope_SCOPE_WORKER      Scope = 3
	Scope_SCOPE_READ        Scope = 4
	Scope_SCOPE_METRICS     Scope = 5
)

// Enum value maps for Scope.
var (
	Scope_name = map[int32]string{
		0: "SCOPE_UNSPECIFIED",
		1: "SCOPE_ADMIN",
		2: "SCOPE_PRODUCER",
		3: "SCOPE_WORKER",
		4: "SCOPE_READ",
		5: "SCOPE_METRICS",
	}
	Scope_value = map[string]int32{
		"SCOPE_UNSPECIFIED": 0,
		"SCOPE_ADMIN":       1,
		"SCOPE_PRODUCER":    2,
		"SCOPE_WORKER":      3,
		"SCOPE_READ":        4,
		"SCOPE_METRICS":     5,
	}
)

func (x Scope) Enum() *Scope {
	p := new(Scope)
	*p = x
	return p
}

func (x Scope) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (Scope) Descriptor() protoreflect.EnumDescriptor {
	return file_taskexecutor_v1_task_executor_proto_enumTypes[5].Descriptor()
}

func (Scope) Type() protoreflect.EnumType {
	return &file_taskexecutor_v1_task_executor_proto_enumTypes[5]
}

func (x Scope) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use Scope.Descriptor instead.
func (Scope) EnumDescriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{5}
}

// How much of a created task `CreateTasks` answers (AIP-157's view enum). Echoing every task's
// data back doubled the bytes a batch of small tasks costs to encode on the manager, which is
// its busiest thread; a producer that keeps what it sent needs none of it back.
type TaskView int32

const (
	TaskView_TASK_VIEW_UNSPECIFIED TaskView = 0 // the same as TASK_VIEW_FULL
	// A task this request created comes without `data`, `metadata`, `result` and `progress`: its
	// data and metadata are what the request sent, and a task just created has no result or
	// progress. Every other field is set as in FULL (id, status, times, attempts, group key, the
	// idempotency key). A task an idempotency key had made before comes whole, `data` included
	// (it may differ from what this request sent): an unset `data` marks a created task.
	TaskView_TASK_VIEW_BASIC TaskView = 1
	TaskView_TASK_VIEW_FULL  TaskView = 2 // every field of every task
)

// Enum value maps for TaskView.
var (
	TaskView_name = map[int32]string{
		0: "TASK_VIEW_UNSPECIFIED",
		1: "TASK_VIEW_BASIC",
		2: "TASK_VIEW_FULL",
	}
	TaskView_value = map[string]int32{
		"TASK_VIEW_UNSPECIFIED": 0,
		"TASK_VIEW_BASIC":       1,
		"TASK_VIEW_FULL":        2,
	}
)

func (x TaskView) Enum() *TaskView {
	p := new(TaskView)
	*p = x
	return p
}

func (x TaskView) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (TaskView) Descriptor() protoreflect.EnumDescriptor {
	return file_taskexecutor_v1_task_executor_proto_enumTypes[6].Descriptor()
}

func (TaskView) Type() protoreflect.EnumType {
	return &file_taskexecutor_v1_task_executor_proto_enumTypes[6]
}

func (x TaskView) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use TaskView.Descriptor instead.
func (TaskView) EnumDescriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{6}
}

// Whether a fire may start while the previous fire's task is still pending or running.
type OverlapPolicy int32

const (
	OverlapPolicy_OVERLAP_POLICY_UNSPECIFIED OverlapPolicy = 0
	OverlapPolicy_OVERLAP_POLICY_SKIP        OverlapPolicy = 1
	OverlapPolicy_OVERLAP_POLICY_ALLOW       OverlapPolicy = 2
)

// Enum value maps for OverlapPolicy.
var (
	OverlapPolicy_name = map[int32]string{
		0: "OVERLAP_POLICY_UNSPECIFIED",
		1: "OVERLAP_POLICY_SKIP",
		2: "OVERLAP_POLICY_ALLOW",
	}
	OverlapPolicy_value = map[string]int32{
		"OVERLAP_POLICY_UNSPECIFIED": 0,
		"OVERLAP_POLICY_SKIP":        1,
		"OVERLAP_POLICY_ALLOW":       2,
	}
)

func (x OverlapPolicy) Enum() *OverlapPolicy {
	p := new(OverlapPolicy)
	*p = x
	return p
}

func (x OverlapPolicy) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (OverlapPolicy) Descriptor() protoreflect.EnumDescriptor {
	return file_taskexecutor_v1_task_executor_proto_enumTypes[7].Descriptor()
}

func (OverlapPolicy) Type() protoreflect.EnumType {
	return &file_taskexecutor_v1_task_executor_proto_enumTypes[7]
}

func (x OverlapPolicy) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use OverlapPolicy.Descriptor instead.
func (OverlapPolicy) EnumDescriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{7}
}

// What happens to fire times missed while no manager ran.
type MissedFirePolicy int32

const (
	MissedFirePolicy_MISSED_FIRE_POLICY_UNSPECIFIED MissedFirePolicy = 0
	MissedFirePolicy_MISSED_FIRE_POLICY_SKIP        MissedFirePolicy = 1
	MissedFirePolicy_MISSED_FIRE_POLICY_RUN_ONCE    MissedFirePolicy = 2
	MissedFirePolicy_MISSED_FIRE_POLICY_RUN_EACH    MissedFirePolicy = 3
)

// Enum value maps for MissedFirePolicy.
var (
	MissedFirePolicy_name = map[int32]string{
		0: "MISSED_FIRE_POLICY_UNSPECIFIED",
		1: "MISSED_FIRE_POLICY_SKIP",
		2: "MISSED_FIRE_POLICY_RUN_ONCE",
		3: "MISSED_FIRE_POLICY_RUN_EACH",
	}
	MissedFirePolicy_value = map[string]int32{
		"MISSED_FIRE_POLICY_UNSPECIFIED": 0,
		"MISSED_FIRE_POLICY_SKIP":        1,
		"MISSED_FIRE_POLICY_RUN_ONCE":    2,
		"MISSED_FIRE_POLICY_RUN_EACH":    3,
	}
)

func (x MissedFirePolicy) Enum() *MissedFirePolicy {
	p := new(MissedFirePolicy)
	*p = x
	return p
}

func (x MissedFirePolicy) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (MissedFirePolicy) Descriptor() protoreflect.EnumDescriptor {
	return file_taskexecutor_v1_task_executor_proto_enumTypes[8].Descriptor()
}

func (MissedFirePolicy) Type() protoreflect.EnumType {
	return &file_taskexecutor_v1_task_executor_proto_enumTypes[8]
}

func (x MissedFirePolicy) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use MissedFirePolicy.Descriptor instead.
func (MissedFirePolicy) EnumDescriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{8}
}

// Why a fire made no task.
type ScheduleSkipReason int32

const (
	ScheduleSkipReason_SCHEDULE_SKIP_REASON_UNSPECIFIED      ScheduleSkipReason = 0 // the fire made a task
	ScheduleSkipReason_SCHEDULE_SKIP_REASON_OVERLAP          ScheduleSkipReason = 1
	ScheduleSkipReason_SCHEDULE_SKIP_REASON_MISSED           ScheduleSkipReason = 2
	ScheduleSkipReason_SCHEDULE_SKIP_REASON_MISSED_CAP       ScheduleSkipReason = 3
	ScheduleSkipReason_SCHEDULE_SKIP_REASON_INVALID_DATA     ScheduleSkipReason = 4
	ScheduleSkipReason_SCHEDULE_SKIP_REASON_EXECUTOR_MISSING ScheduleSkipReason = 5
)

// Enum value maps for ScheduleSkipReason.
var (
	ScheduleSkipReason_name = map[int32]string{
		0: "SCHEDULE_SKIP_REASON_UNSPECIFIED",
		1: "SCHEDULE_SKIP_REASON_OVERLAP",
		2: "SCHEDULE_SKIP_REASON_MISSED",
		3: "SCHEDULE_SKIP_REASON_MISSED_CAP",
		4: "SCHEDULE_SKIP_REASON_INVALID_DATA",
		5: "SCHEDULE_SKIP_REASON_EXECUTOR_MISSING",
	}
	ScheduleSkipReason_value = map[string]int32{
		"SCHEDULE_SKIP_REASON_UNSPECIFIED":      0,
		"SCHEDULE_SKIP_REASON_OVERLAP":          1,
		"SCHEDULE_SKIP_REASON_MISSED":           2,
		"SCHEDULE_SKIP_REASON_MISSED_CAP":       3,
		"SCHEDULE_SKIP_REASON_INVALID_DATA":     4,
		"SCHEDULE_SKIP_REASON_EXECUTOR_MISSING": 5,
	}
)

func (x ScheduleSkipReason) Enum() *ScheduleSkipReason {
	p := new(ScheduleSkipReason)
	*p = x
	return p
}

func (x ScheduleSkipReason) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (ScheduleSkipReason) Descriptor() protoreflect.EnumDescriptor {
	return file_taskexecutor_v1_task_executor_proto_enumTypes[9].Descriptor()
}

func (ScheduleSkipReason) Type() protoreflect.EnumType {
	return &file_taskexecutor_v1_task_executor_proto_enumTypes[9]
}

func (x ScheduleSkipReason) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use ScheduleSkipReason.Descriptor instead.
func (ScheduleSkipReason) EnumDescriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{9}
}

type RetryPolicy struct {
	state       protoimpl.MessageState `protogen:"open.v1"`
	Type        RetryPolicyType        `protobuf:"varint,1,opt,name=type,proto3,enum=taskexecutor.v1.RetryPolicyType" json:"type,omitempty"`
	MaxAttempts int32                  `protobuf:"varint,2,opt,name=max_attempts,json=maxAttempts,proto3" json:"max_attempts,omitempty"`
	Interval    *durationpb.Duration   `protobuf:"bytes,3,opt,name=interval,proto3" json:"interval,omitempty"`
	MaxInterval *durationpb.Duration   `protobuf:"bytes,4,opt,name=max_interval,json=maxInterval,proto3" json:"max_interval,omitempty"`
	Multiplier  float64                `protobuf:"fixed64,5,opt,name=multiplier,proto3" json:"multiplier,omitempty"`
	// 0..1, fraction of the delay drawn at random; in an ExecutorConfig, unset = keep, 0 = none.
	Jitter        *float64 `protobuf:"fixed64,6,opt,name=jitter,proto3,oneof" json:"jitter,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RetryPolicy) Reset() {
	*x = RetryPolicy{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[0]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RetryPolicy) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RetryPolicy) ProtoMessage() {}

func (x *RetryPolicy) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[0]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RetryPolicy.ProtoReflect.Descriptor instead.
func (*RetryPolicy) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{0}
}

func (x *RetryPolicy) GetType() RetryPolicyType {
	if x != nil {
		return x.Type
	}
	return RetryPolicyType_RETRY_POLICY_TYPE_UNSPECIFIED
}

func (x *RetryPolicy) GetMaxAttempts() int32 {
	if x != nil {
		return x.MaxAttempts
	}
	return 0
}

func (x *RetryPolicy) GetInterval() *durationpb.Duration {
	if x != nil {
		return x.Interval
	}
	return nil
}

func (x *RetryPolicy) GetMaxInterval() *durationpb.Duration {
	if x != nil {
		return x.MaxInterval
	}
	return nil
}

func (x *RetryPolicy) GetMultiplier() float64 {
	if x != nil {
		return x.Multiplier
	}
	return 0
}

func (x *RetryPolicy) GetJitter() float64 {
	if x != nil && x.Jitter != nil {
		return *x.Jitter
	}
	return 0
}

type DlqConfig struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Enabled       bool                   `protobuf:"varint,1,opt,name=enabled,proto3" json:"enabled,omitempty"`
	QueueName     string                 `protobuf:"bytes,2,opt,name=queue_name,json=queueName,proto3" json:"queue_name,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DlqConfig) Reset() {
	*x = DlqConfig{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[1]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DlqConfig) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DlqConfig) ProtoMessage() {}

func (x *DlqConfig) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[1]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DlqConfig.ProtoReflect.Descriptor instead.
func (*DlqConfig) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{1}
}

func (x *DlqConfig) GetEnabled() bool {
	if x != nil {
		return x.Enabled
	}
	return false
}

func (x *DlqConfig) GetQueueName() string {
	if x != nil {
		return x.QueueName
	}
	return ""
}

type WriteConcern struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Level         WriteConcernLevel      `protobuf:"varint,1,opt,name=level,proto3,enum=taskexecutor.v1.WriteConcernLevel" json:"level,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *WriteConcern) Reset() {
	*x = WriteConcern{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[2]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *WriteConcern) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*WriteConcern) ProtoMessage() {}

func (x *WriteConcern) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[2]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use WriteConcern.ProtoReflect.Descriptor instead.
func (*WriteConcern) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{2}
}

func (x *WriteConcern) GetLevel() WriteConcernLevel {
	if x != nil {
		return x.Level
	}
	return WriteConcernLevel_WRITE_CONCERN_LEVEL_UNSPECIFIED
}

// At most `limit` task starts per `period`, up to `burst` at once (GCRA, shared by every manager).
type RateLimit struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Limit         int32                  `protobuf:"varint,1,opt,name=limit,proto3" json:"limit,omitempty"`  // 1..1,000,000; in an ExecutorConfig, a RateLimit with only `limit` 0 removes it
	Period        *durationpb.Duration   `protobuf:"bytes,2,opt,name=period,proto3" json:"period,omitempty"` // 1 ms .. 1 day; unset = 1 s
	Burst         int32                  `protobuf:"varint,3,opt,name=burst,proto3" json:"burst,omitempty"`  // 1..1,000,000; 0 = `limit`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RateLimit) Reset() {
	*x = RateLimit{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[3]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RateLimit) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RateLimit) ProtoMessage() {}

func (x *RateLimit) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[3]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RateLimit.ProtoReflect.Descriptor instead.
func (*RateLimit) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{3}
}

func (x *RateLimit) GetLimit() int32 {
	if x != nil {
		return x.Limit
	}
	return 0
}

func (x *RateLimit) GetPeriod() *durationpb.Duration {
	if x != nil {
		return x.Period
	}
	return nil
}

func (x *RateLimit) GetBurst() int32 {
	if x != nil {
		return x.Burst
	}
	return 0
}

type ExecutorConfig struct {
	state        protoimpl.MessageState `protogen:"open.v1"`
	Name         string                 `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
	Enabled      *bool                  `protobuf:"varint,2,opt,name=enabled,proto3,oneof" json:"enabled,omitempty"`
	WriteConcern *WriteConcern          `protobuf:"bytes,3,opt,name=write_concern,json=writeConcern,proto3" json:"write_concern,omitempty"`
	RetryPolicy  *RetryPolicy           `protobuf:"bytes,4,opt,name=retry_policy,json=retryPolicy,proto3" json:"retry_policy,omitempty"`
	DlqConfig    *DlqConfig             `protobuf:"bytes,5,opt,name=dlq_config,json=dlqConfig,proto3" json:"dlq_config,omitempty"`
	// The JSON Schema task data must match; unset = keep it, a null value = no schema.
	TaskSchema     *structpb.Value      `protobuf:"bytes,6,opt,name=task_schema,json=taskSchema,proto3" json:"task_schema,omitempty"`
	Timeout        *durationpb.Duration `protobuf:"bytes,7,opt,name=timeout,proto3" json:"timeout,omitempty"`                                            // per attempt
	MaxConcurrency *int32               `protobuf:"varint,8,opt,name=max_concurrency,json=maxConcurrency,proto3,oneof" json:"max_concurrency,omitempty"` // unset = keep (a create gets 0); 0 = unlimited
	// Flow control: unset = keep (a create gets none).
	RateLimit            *RateLimit `protobuf:"bytes,9,opt,name=rate_limit,json=rateLimit,proto3" json:"rate_limit,omitempty"`
	RateLimitPerKey      *RateLimit `protobuf:"bytes,10,opt,name=rate_limit_per_key,json=rateLimitPerKey,proto3" json:"rate_limit_per_key,omitempty"`                       // one bucket per group key
	MaxConcurrencyPerKey *int32     `protobuf:"varint,11,opt,name=max_concurrency_per_key,json=maxConcurrencyPerKey,proto3,oneof" json:"max_concurrency_per_key,omitempty"` // 0 = no limit
	// JSON pointer into task data giving a task's group key (`/customerId`); "" = none.
	GroupKeyPointer *string `protobuf:"bytes,12,opt,name=group_key_pointer,json=groupKeyPointer,proto3,oneof" json:"group_key_pointer,omitempty"`
	unknownFields   protoimpl.UnknownFields
	sizeCache       protoimpl.SizeCache
}

func (x *ExecutorConfig) Reset() {
	*x = ExecutorConfig{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[4]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ExecutorConfig) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ExecutorConfig) ProtoMessage() {}

func (x *ExecutorConfig) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[4]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ExecutorConfig.ProtoReflect.Descriptor instead.
func (*ExecutorConfig) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{4}
}

func (x *ExecutorConfig) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *ExecutorConfig) GetEnabled() bool {
	if x != nil && x.Enabled != nil {
		return *x.Enabled
	}
	return false
}

func (x *ExecutorConfig) GetWriteConcern() *WriteConcern {
	if x != nil {
		return x.WriteConcern
	}
	return nil
}

func (x *ExecutorConfig) GetRetryPolicy() *RetryPolicy {
	if x != nil {
		return x.RetryPolicy
	}
	return nil
}

func (x *ExecutorConfig) GetDlqConfig() *DlqConfig {
	if x != nil {
		return x.DlqConfig
	}
	return nil
}

func (x *ExecutorConfig) GetTaskSchema() *structpb.Value {
	if x != nil {
		return x.TaskSchema
	}
	return nil
}

func (x *ExecutorConfig) GetTimeout() *durationpb.Duration {
	if x != nil {
		return x.Timeout
	}
	return nil
}

func (x *ExecutorConfig) GetMaxConcurrency() int32 {
	if x != nil && x.MaxConcurrency != nil {
		return *x.MaxConcurrency
	}
	return 0
}

func (x *ExecutorConfig) GetRateLimit() *RateLimit {
	if x != nil {
		return x.RateLimit
	}
	return nil
}

func (x *ExecutorConfig) GetRateLimitPerKey() *RateLimit {
	if x != nil {
		return x.RateLimitPerKey
	}
	return nil
}

func (x *ExecutorConfig) GetMaxConcurrencyPerKey() int32 {
	if x != nil && x.MaxConcurrencyPerKey != nil {
		return *x.MaxConcurrencyPerKey
	}
	return 0
}

func (x *ExecutorConfig) GetGroupKeyPointer() string {
	if x != nil && x.GroupKeyPointer != nil {
		return *x.GroupKeyPointer
	}
	return ""
}

type Executor struct {
	state                protoimpl.MessageState `protogen:"open.v1"`
	Id                   string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Name                 string                 `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	Enabled              bool                   `protobuf:"varint,3,opt,name=enabled,proto3" json:"enabled,omitempty"`
	WriteConcern         *WriteConcern          `protobuf:"bytes,4,opt,name=write_concern,json=writeConcern,proto3" json:"write_concern,omitempty"`
	RetryPolicy          *RetryPolicy           `protobuf:"bytes,5,opt,name=retry_policy,json=retryPolicy,proto3" json:"retry_policy,omitempty"`
	DlqConfig            *DlqConfig             `protobuf:"bytes,6,opt,name=dlq_config,json=dlqConfig,proto3" json:"dlq_config,omitempty"`
	TaskSchema           *structpb.Value        `protobuf:"bytes,7,opt,name=task_schema,json=taskSchema,proto3" json:"task_schema,omitempty"` // null when the executor has none
	Timeout              *durationpb.Duration   `protobuf:"bytes,8,opt,name=timeout,proto3" json:"timeout,omitempty"`
	MaxConcurrency       int32                  `protobuf:"varint,9,opt,name=max_concurrency,json=maxConcurrency,proto3" json:"max_concurrency,omitempty"`
	CreatedAt            *timestamppb.Timestamp `protobuf:"bytes,10,opt,name=created_at,json=createdAt,proto3" json:"created_at,omitempty"`
	UpdatedAt            *timestamppb.Timestamp `protobuf:"bytes,11,opt,name=updated_at,json=updatedAt,proto3" json:"updated_at,omitempty"`
	RateLimit            *RateLimit             `protobuf:"bytes,12,opt,name=rate_limit,json=rateLimit,proto3" json:"rate_limit,omitempty"`                                       // unset = none
	RateLimitPerKey      *RateLimit             `protobuf:"bytes,13,opt,name=rate_limit_per_key,json=rateLimitPerKey,proto3" json:"rate_limit_per_key,omitempty"`                 // unset = none
	MaxConcurrencyPerKey int32                  `protobuf:"varint,14,opt,name=max_concurrency_per_key,json=maxConcurrencyPerKey,proto3" json:"max_concurrency_per_key,omitempty"` // 0 = no limit
	GroupKeyPointer      string                 `protobuf:"bytes,15,opt,name=group_key_pointer,json=groupKeyPointer,proto3" json:"group_key_pointer,omitempty"`                   // "" = none
	unknownFields        protoimpl.UnknownFields
	sizeCache            protoimpl.SizeCache
}

func (x *Executor) Reset() {
	*x = Executor{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[5]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Executor) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Executor) ProtoMessage() {}

func (x *Executor) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[5]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Executor.ProtoReflect.Descriptor instead.
func (*Executor) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{5}
}

func (x *Executor) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *Executor) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *Executor) GetEnabled() bool {
	if x != nil {
		return x.Enabled
	}
	return false
}

func (x *Executor) GetWriteConcern() *WriteConcern {
	if x != nil {
		return x.WriteConcern
	}
	return nil
}

func (x *Executor) GetRetryPolicy() *RetryPolicy {
	if x != nil {
		return x.RetryPolicy
	}
	return nil
}

func (x *Executor) GetDlqConfig() *DlqConfig {
	if x != nil {
		return x.DlqConfig
	}
	return nil
}

func (x *Executor) GetTaskSchema() *structpb.Value {
	if x != nil {
		return x.TaskSchema
	}
	return nil
}

func (x *Executor) GetTimeout() *durationpb.Duration {
	if x != nil {
		return x.Timeout
	}
	return nil
}

func (x *Executor) GetMaxConcurrency() int32 {
	if x != nil {
		return x.MaxConcurrency
	}
	return 0
}

func (x *Executor) GetCreatedAt() *timestamppb.Timestamp {
	if x != nil {
		return x.CreatedAt
	}
	return nil
}

func (x *Executor) GetUpdatedAt() *timestamppb.Timestamp {
	if x != nil {
		return x.UpdatedAt
	}
	return nil
}

func (x *Executor) GetRateLimit() *RateLimit {
	if x != nil {
		return x.RateLimit
	}
	return nil
}

func (x *Executor) GetRateLimitPerKey() *RateLimit {
	if x != nil {
		return x.RateLimitPerKey
	}
	return nil
}

func (x *Executor) GetMaxConcurrencyPerKey() int32 {
	if x != nil {
		return x.MaxConcurrencyPerKey
	}
	return 0
}

func (x *Executor) GetGroupKeyPointer() string {
	if x != nil {
		return x.GroupKeyPointer
	}
	return ""
}

type TaskError struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Attempt       int32                  `protobuf:"varint,1,opt,name=attempt,proto3" json:"attempt,omitempty"`
	Message       string                 `protobuf:"bytes,2,opt,name=message,proto3" json:"message,omitempty"`
	At            *timestamppb.Timestamp `protobuf:"bytes,3,opt,name=at,proto3" json:"at,omitempty"`
	WorkerId      string                 `protobuf:"bytes,4,opt,name=worker_id,json=workerId,proto3" json:"worker_id,omitempty"`
	Run           int32                  `protobuf:"varint,5,opt,name=run,proto3" json:"run,omitempty"`    // the run it belonged to (0 = not recorded: an error from before runs were)
	Stack         string                 `protobuf:"bytes,6,opt,name=stack,proto3" json:"stack,omitempty"` // the error's stack trace, as the worker sent it
	Logs          []string               `protobuf:"bytes,7,rep,name=logs,proto3" json:"logs,omitempty"`   // lines the handler logged during the attempt
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *TaskError) Reset() {
	*x = TaskError{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[6]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *TaskError) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*TaskError) ProtoMessage() {}

func (x *TaskError) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[6]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use TaskError.ProtoReflect.Descriptor instead.
func (*TaskError) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{6}
}

func (x *TaskError) GetAttempt() int32 {
	if x != nil {
		return x.Attempt
	}
	return 0
}

func (x *TaskError) GetMessage() string {
	if x != nil {
		return x.Message
	}
	return ""
}

func (x *TaskError) GetAt() *timestamppb.Timestamp {
	if x != nil {
		return x.At
	}
	return nil
}

func (x *TaskError) GetWorkerId() string {
	if x != nil {
		return x.WorkerId
	}
	return ""
}

func (x *TaskError) GetRun() int32 {
	if x != nil {
		return x.Run
	}
	return 0
}

func (x *TaskError) GetStack() string {
	if x != nil {
		return x.Stack
	}
	return ""
}

func (x *TaskError) GetLogs() []string {
	if x != nil {
		return x.Logs
	}
	return nil
}

type Task struct {
	state          protoimpl.MessageState `protogen:"open.v1"`
	Id             string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	ExecutorName   string                 `protobuf:"bytes,2,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	Data           *structpb.Value        `protobuf:"bytes,3,opt,name=data,proto3" json:"data,omitempty"`
	Metadata       map[string]string      `protobuf:"bytes,4,rep,name=metadata,proto3" json:"metadata,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	Status         TaskStatus             `protobuf:"varint,5,opt,name=status,proto3,enum=taskexecutor.v1.TaskStatus" json:"status,omitempty"`
	Priority       int32                  `protobuf:"varint,6,opt,name=priority,proto3" json:"priority,omitempty"`
	RunAt          *timestamppb.Timestamp `protobuf:"bytes,7,opt,name=run_at,json=runAt,proto3" json:"run_at,omitempty"`
	Attempt        int32                  `protobuf:"varint,8,opt,name=attempt,proto3" json:"attempt,omitempty"`
	MaxAttempts    int32                  `protobuf:"varint,9,opt,name=max_attempts,json=maxAttempts,proto3" json:"max_attempts,omitempty"`
	Errors         []*TaskError           `protobuf:"bytes,10,rep,name=errors,proto3" json:"errors,omitempty"`
	Result         *structpb.Value        `protobuf:"bytes,11,opt,name=result,proto3" json:"result,omitempty"` // null until the task completes with one
	CreatedAt      *timestamppb.Timestamp `protobuf:"bytes,12,opt,name=created_at,json=createdAt,proto3" json:"created_at,omitempty"`
	UpdatedAt      *timestamppb.Timestamp `protobuf:"bytes,13,opt,name=updated_at,json=updatedAt,proto3" json:"updated_at,omitempty"`
	StartedAt      *timestamppb.Timestamp `protobuf:"bytes,14,opt,name=started_at,json=startedAt,proto3" json:"started_at,omitempty"`       // unset until it starts
	CompletedAt    *timestamppb.Timestamp `protobuf:"bytes,15,opt,name=completed_at,json=completedAt,proto3" json:"completed_at,omitempty"` // unset until it ends
	IdempotencyKey string                 `protobuf:"bytes,16,opt,name=idempotency_key,json=idempotencyKey,proto3" json:"idempotency_key,omitempty"`
	WorkerId       string                 `protobuf:"bytes,17,opt,name=worker_id,json=workerId,proto3" json:"worker_id,omitempty"`
	// Failed attempts left out of `errors` (which keeps the first and the newest ones).
	ErrorsDropped int32           `protobuf:"varint,18,opt,name=errors_dropped,json=errorsDropped,proto3" json:"errors_dropped,omitempty"`
	Run           int32           `protobuf:"varint,19,opt,name=run,proto3" json:"run,omitempty"`                          // 1, then one more per requeue (attempts count again from 1 in each run)
	Progress      *structpb.Value `protobuf:"bytes,20,opt,name=progress,proto3" json:"progress,omitempty"`                 // the latest progress a worker reported; null = none
	Logs          []string        `protobuf:"bytes,21,rep,name=logs,proto3" json:"logs,omitempty"`                         // lines the handler logged during the attempt that completed it
	GroupKey      string          `protobuf:"bytes,22,opt,name=group_key,json=groupKey,proto3" json:"group_key,omitempty"` // flow-control group; "" = none
	// When the lease of the attempt that holds it runs out; unset when no attempt holds it.
	LeaseExpiresAt *timestamppb.Timestamp `protobuf:"bytes,23,opt,name=lease_expires_at,json=leaseExpiresAt,proto3" json:"lease_expires_at,omitempty"`
	unknownFields  protoimpl.UnknownFields
	sizeCache      protoimpl.SizeCache
}

func (x *Task) Reset() {
	*x = Task{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[7]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Task) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Task) ProtoMessage() {}

func (x *Task) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[7]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Task.ProtoReflect.Descriptor instead.
func (*Task) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{7}
}

func (x *Task) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *Task) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *Task) GetData() *structpb.Value {
	if x != nil {
		return x.Data
	}
	return nil
}

func (x *Task) GetMetadata() map[string]string {
	if x != nil {
		return x.Metadata
	}
	return nil
}

func (x *Task) GetStatus() TaskStatus {
	if x != nil {
		return x.Status
	}
	return TaskStatus_TASK_STATUS_UNSPECIFIED
}

func (x *Task) GetPriority() int32 {
	if x != nil {
		return x.Priority
	}
	return 0
}

func (x *Task) GetRunAt() *timestamppb.Timestamp {
	if x != nil {
		return x.RunAt
	}
	return nil
}

func (x *Task) GetAttempt() int32 {
	if x != nil {
		return x.Attempt
	}
	return 0
}

func (x *Task) GetMaxAttempts() int32 {
	if x != nil {
		return x.MaxAttempts
	}
	return 0
}

func (x *Task) GetErrors() []*TaskError {
	if x != nil {
		return x.Errors
	}
	return nil
}

func (x *Task) GetResult() *structpb.Value {
	if x != nil {
		return x.Result
	}
	return nil
}

func (x *Task) GetCreatedAt() *timestamppb.Timestamp {
	if x != nil {
		return x.CreatedAt
	}
	return nil
}

func (x *Task) GetUpdatedAt() *timestamppb.Timestamp {
	if x != nil {
		return x.UpdatedAt
	}
	return nil
}

func (x *Task) GetStartedAt() *timestamppb.Timestamp {
	if x != nil {
		return x.StartedAt
	}
	return nil
}

func (x *Task) GetCompletedAt() *timestamppb.Timestamp {
	if x != nil {
		return x.CompletedAt
	}
	return nil
}

func (x *Task) GetIdempotencyKey() string {
	if x != nil {
		return x.IdempotencyKey
	}
	return ""
}

func (x *Task) GetWorkerId() string {
	if x != nil {
		return x.WorkerId
	}
	return ""
}

func (x *Task) GetErrorsDropped() int32 {
	if x != nil {
		return x.ErrorsDropped
	}
	return 0
}

func (x *Task) GetRun() int32 {
	if x != nil {
		return x.Run
	}
	return 0
}

func (x *Task) GetProgress() *structpb.Value {
	if x != nil {
		return x.Progress
	}
	return nil
}

func (x *Task) GetLogs() []string {
	if x != nil {
		return x.Logs
	}
	return nil
}

func (x *Task) GetGroupKey() string {
	if x != nil {
		return x.GroupKey
	}
	return ""
}

func (x *Task) GetLeaseExpiresAt() *timestamppb.Timestamp {
	if x != nil {
		return x.LeaseExpiresAt
	}
	return nil
}

type DlqEntry struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	QueueName     string                 `protobuf:"bytes,2,opt,name=queue_name,json=queueName,proto3" json:"queue_name,omitempty"`
	Task          *Task                  `protobuf:"bytes,3,opt,name=task,proto3" json:"task,omitempty"`
	Reason        DlqReason              `protobuf:"varint,4,opt,name=reason,proto3,enum=taskexecutor.v1.DlqReason" json:"reason,omitempty"`
	DeadAt        *timestamppb.Timestamp `protobuf:"bytes,5,opt,name=dead_at,json=deadAt,proto3" json:"dead_at,omitempty"`
	ExecutorName  string                 `protobuf:"bytes,6,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DlqEntry) Reset() {
	*x = DlqEntry{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[8]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DlqEntry) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DlqEntry) ProtoMessage() {}

func (x *DlqEntry) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[8]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DlqEntry.ProtoReflect.Descriptor instead.
func (*DlqEntry) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{8}
}

func (x *DlqEntry) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *DlqEntry) GetQueueName() string {
	if x != nil {
		return x.QueueName
	}
	return ""
}

func (x *DlqEntry) GetTask() *Task {
	if x != nil {
		return x.Task
	}
	return nil
}

func (x *DlqEntry) GetReason() DlqReason {
	if x != nil {
		return x.Reason
	}
	return DlqReason_DLQ_REASON_UNSPECIFIED
}

func (x *DlqEntry) GetDeadAt() *timestamppb.Timestamp {
	if x != nil {
		return x.DeadAt
	}
	return nil
}

func (x *DlqEntry) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

type CreateExecutorRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Config        *ExecutorConfig        `protobuf:"bytes,1,opt,name=config,proto3" json:"config,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreateExecutorRequest) Reset() {
	*x = CreateExecutorRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[9]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateExecutorRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateExecutorRequest) ProtoMessage() {}

func (x *CreateExecutorRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[9]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateExecutorRequest.ProtoReflect.Descriptor instead.
func (*CreateExecutorRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{9}
}

func (x *CreateExecutorRequest) GetConfig() *ExecutorConfig {
	if x != nil {
		return x.Config
	}
	return nil
}

type GetExecutorRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"` // id or name
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetExecutorRequest) Reset() {
	*x = GetExecutorRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[10]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetExecutorRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetExecutorRequest) ProtoMessage() {}

func (x *GetExecutorRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[10]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetExecutorRequest.ProtoReflect.Descriptor instead.
func (*GetExecutorRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{10}
}

func (x *GetExecutorRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

type ListExecutorsRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Cursor        string                 `protobuf:"bytes,1,opt,name=cursor,proto3" json:"cursor,omitempty"` // next_cursor of the previous page
	Limit         int32                  `protobuf:"varint,2,opt,name=limit,proto3" json:"limit,omitempty"`  // 1..1000; 0 = 1000 (every executor, unless together they pass 2 MiB)
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListExecutorsRequest) Reset() {
	*x = ListExecutorsRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[11]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListExecutorsRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListExecutorsRequest) ProtoMessage() {}

func (x *ListExecutorsRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[11]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListExecutorsRequest.ProtoReflect.Descriptor instead.
func (*ListExecutorsRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{11}
}

func (x *ListExecutorsRequest) GetCursor() string {
	if x != nil {
		return x.Cursor
	}
	return ""
}

func (x *ListExecutorsRequest) GetLimit() int32 {
	if x != nil {
		return x.Limit
	}
	return 0
}

type UpdateExecutorRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"` // id or name
	Config        *ExecutorConfig        `protobuf:"bytes,2,opt,name=config,proto3" json:"config,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *UpdateExecutorRequest) Reset() {
	*x = UpdateExecutorRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[12]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *UpdateExecutorRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*UpdateExecutorRequest) ProtoMessage() {}

func (x *UpdateExecutorRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[12]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use UpdateExecutorRequest.ProtoReflect.Descriptor instead.
func (*UpdateExecutorRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{12}
}

func (x *UpdateExecutorRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *UpdateExecutorRequest) GetConfig() *ExecutorConfig {
	if x != nil {
		return x.Config
	}
	return nil
}

type DeleteExecutorRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Force         bool                   `protobuf:"varint,2,opt,name=force,proto3" json:"force,omitempty"` // also delete its tasks, even pending or running ones, and its DLQ entries
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DeleteExecutorRequest) Reset() {
	*x = DeleteExecutorRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[13]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeleteExecutorRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeleteExecutorRequest) ProtoMessage() {}

func (x *DeleteExecutorRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[13]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeleteExecutorRequest.ProtoReflect.Descriptor instead.
func (*DeleteExecutorRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{13}
}

func (x *DeleteExecutorRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *DeleteExecutorRequest) GetForce() bool {
	if x != nil {
		return x.Force
	}
	return false
}

type CreateExecutorResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Executor      *Executor              `protobuf:"bytes,1,opt,name=executor,proto3" json:"executor,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreateExecutorResponse) Reset() {
	*x = CreateExecutorResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[14]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateExecutorResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateExecutorResponse) ProtoMessage() {}

func (x *CreateExecutorResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[14]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateExecutorResponse.ProtoReflect.Descriptor instead.
func (*CreateExecutorResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{14}
}

func (x *CreateExecutorResponse) GetExecutor() *Executor {
	if x != nil {
		return x.Executor
	}
	return nil
}

type GetExecutorResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Executor      *Executor              `protobuf:"bytes,1,opt,name=executor,proto3" json:"executor,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetExecutorResponse) Reset() {
	*x = GetExecutorResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[15]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetExecutorResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetExecutorResponse) ProtoMessage() {}

func (x *GetExecutorResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[15]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetExecutorResponse.ProtoReflect.Descriptor instead.
func (*GetExecutorResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{15}
}

func (x *GetExecutorResponse) GetExecutor() *Executor {
	if x != nil {
		return x.Executor
	}
	return nil
}

type UpdateExecutorResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Executor      *Executor              `protobuf:"bytes,1,opt,name=executor,proto3" json:"executor,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *UpdateExecutorResponse) Reset() {
	*x = UpdateExecutorResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[16]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *UpdateExecutorResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*UpdateExecutorResponse) ProtoMessage() {}

func (x *UpdateExecutorResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[16]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use UpdateExecutorResponse.ProtoReflect.Descriptor instead.
func (*UpdateExecutorResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{16}
}

func (x *UpdateExecutorResponse) GetExecutor() *Executor {
	if x != nil {
		return x.Executor
	}
	return nil
}

// By name. A page ends at `limit` executors or before 2 MiB (one executor at least), so it may
// hold fewer while `next_cursor` says more follow.
type ListExecutorsResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Executors     []*Executor            `protobuf:"bytes,1,rep,name=executors,proto3" json:"executors,omitempty"`
	NextCursor    string                 `protobuf:"bytes,2,opt,name=next_cursor,json=nextCursor,proto3" json:"next_cursor,omitempty"` // empty on the last page
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListExecutorsResponse) Reset() {
	*x = ListExecutorsResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[17]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListExecutorsResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListExecutorsResponse) ProtoMessage() {}

func (x *ListExecutorsResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[17]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListExecutorsResponse.ProtoReflect.Descriptor instead.
func (*ListExecutorsResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{17}
}

func (x *ListExecutorsResponse) GetExecutors() []*Executor {
	if x != nil {
		return x.Executors
	}
	return nil
}

func (x *ListExecutorsResponse) GetNextCursor() string {
	if x != nil {
		return x.NextCursor
	}
	return ""
}

type DeleteExecutorResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Deleted       bool                   `protobuf:"varint,1,opt,name=deleted,proto3" json:"deleted,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DeleteExecutorResponse) Reset() {
	*x = DeleteExecutorResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[18]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeleteExecutorResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeleteExecutorResponse) ProtoMessage() {}

func (x *DeleteExecutorResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[18]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeleteExecutorResponse.ProtoReflect.Descriptor instead.
func (*DeleteExecutorResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{18}
}

func (x *DeleteExecutorResponse) GetDeleted() bool {
	if x != nil {
		return x.Deleted
	}
	return false
}

type NewTask struct {
	state          protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName   string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	Data           *structpb.Value        `protobuf:"bytes,2,opt,name=data,proto3" json:"data,omitempty"` // unset = null
	Metadata       map[string]string      `protobuf:"bytes,3,rep,name=metadata,proto3" json:"metadata,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	Priority       int32                  `protobuf:"varint,4,opt,name=priority,proto3" json:"priority,omitempty"`
	RunAt          *timestamppb.Timestamp `protobuf:"bytes,5,opt,name=run_at,json=runAt,proto3" json:"run_at,omitempty"` // unset = now
	IdempotencyKey string                 `protobuf:"bytes,6,opt,name=idempotency_key,json=idempotencyKey,proto3" json:"idempotency_key,omitempty"`
	// Flow-control group (per-key limits, fair dispatch); "" = from the executor's group_key_pointer.
	GroupKey      string `protobuf:"bytes,7,opt,name=group_key,json=groupKey,proto3" json:"group_key,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *NewTask) Reset() {
	*x = NewTask{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[19]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *NewTask) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*NewTask) ProtoMessage() {}

func (x *NewTask) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[19]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use NewTask.ProtoReflect.Descriptor instead.
func (*NewTask) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{19}
}

func (x *NewTask) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *NewTask) GetData() *structpb.Value {
	if x != nil {
		return x.Data
	}
	return nil
}

func (x *NewTask) GetMetadata() map[string]string {
	if x != nil {
		return x.Metadata
	}
	return nil
}

func (x *NewTask) GetPriority() int32 {
	if x != nil {
		return x.Priority
	}
	return 0
}

func (x *NewTask) GetRunAt() *timestamppb.Timestamp {
	if x != nil {
		return x.RunAt
	}
	return nil
}

func (x *NewTask) GetIdempotencyKey() string {
	if x != nil {
		return x.IdempotencyKey
	}
	return ""
}

func (x *NewTask) GetGroupKey() string {
	if x != nil {
		return x.GroupKey
	}
	return ""
}

type CreateTaskRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Task          *NewTask               `protobuf:"bytes,1,opt,name=task,proto3" json:"task,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreateTaskRequest) Reset() {
	*x = CreateTaskRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[20]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateTaskRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateTaskRequest) ProtoMessage() {}

func (x *CreateTaskRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[20]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateTaskRequest.ProtoReflect.Descriptor instead.
func (*CreateTaskRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{20}
}

func (x *CreateTaskRequest) GetTask() *NewTask {
	if x != nil {
		return x.Task
	}
	return nil
}

type CreateTasksRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	Tasks []*NewTask             `protobuf:"bytes,1,rep,name=tasks,proto3" json:"tasks,omitempty"`
	// How much of each task the answer carries; unset = TASK_VIEW_FULL.
	View          TaskView `protobuf:"varint,2,opt,name=view,proto3,enum=taskexecutor.v1.TaskView" json:"view,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreateTasksRequest) Reset() {
	*x = CreateTasksRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[21]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateTasksRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateTasksRequest) ProtoMessage() {}

func (x *CreateTasksRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[21]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateTasksRequest.ProtoReflect.Descriptor instead.
func (*CreateTasksRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{21}
}

func (x *CreateTasksRequest) GetTasks() []*NewTask {
	if x != nil {
		return x.Tasks
	}
	return nil
}

func (x *CreateTasksRequest) GetView() TaskView {
	if x != nil {
		return x.View
	}
	return TaskView_TASK_VIEW_UNSPECIFIED
}

type CreateTaskResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Task          *Task                  `protobuf:"bytes,1,opt,name=task,proto3" json:"task,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreateTaskResponse) Reset() {
	*x = CreateTaskResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[22]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateTaskResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateTaskResponse) ProtoMessage() {}

func (x *CreateTaskResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[22]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateTaskResponse.ProtoReflect.Descriptor instead.
func (*CreateTaskResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{22}
}

func (x *CreateTaskResponse) GetTask() *Task {
	if x != nil {
		return x.Task
	}
	return nil
}

type CreateTasksResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	Tasks []*Task                `protobuf:"bytes,1,rep,name=tasks,proto3" json:"tasks,omitempty"`
	// One per task, in the order of `tasks` (as REST's `created`): true when this request created
	// the task, false when an idempotency key had made it before (by an earlier request, or by an
	// earlier task of this one) and the task is that one, as stored. A manager from before this
	// field sends none.
	Created       []bool `protobuf:"varint,2,rep,packed,name=created,proto3" json:"created,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreateTasksResponse) Reset() {
	*x = CreateTasksResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[23]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateTasksResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateTasksResponse) ProtoMessage() {}

func (x *CreateTasksResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[23]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateTasksResponse.ProtoReflect.Descriptor instead.
func (*CreateTasksResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{23}
}

func (x *CreateTasksResponse) GetTasks() []*Task {
	if x != nil {
		return x.Tasks
	}
	return nil
}

func (x *CreateTasksResponse) GetCreated() []bool {
	if x != nil {
		return x.Created
	}
	return nil
}

type GetTaskRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetTaskRequest) Reset() {
	*x = GetTaskRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[24]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetTaskRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetTaskRequest) ProtoMessage() {}

func (x *GetTaskRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[24]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetTaskRequest.ProtoReflect.Descriptor instead.
func (*GetTaskRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{24}
}

func (x *GetTaskRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

type GetTaskResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Task          *Task                  `protobuf:"bytes,1,opt,name=task,proto3" json:"task,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetTaskResponse) Reset() {
	*x = GetTaskResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[25]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetTaskResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetTaskResponse) ProtoMessage() {}

func (x *GetTaskResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[25]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetTaskResponse.ProtoReflect.Descriptor instead.
func (*GetTaskResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{25}
}

func (x *GetTaskResponse) GetTask() *Task {
	if x != nil {
		return x.Task
	}
	return nil
}

type CancelTaskRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CancelTaskRequest) Reset() {
	*x = CancelTaskRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[26]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CancelTaskRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CancelTaskRequest) ProtoMessage() {}

func (x *CancelTaskRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[26]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CancelTaskRequest.ProtoReflect.Descriptor instead.
func (*CancelTaskRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{26}
}

func (x *CancelTaskRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

type CancelTaskResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Task          *Task                  `protobuf:"bytes,1,opt,name=task,proto3" json:"task,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CancelTaskResponse) Reset() {
	*x = CancelTaskResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[27]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CancelTaskResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CancelTaskResponse) ProtoMessage() {}

func (x *CancelTaskResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[27]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CancelTaskResponse.ProtoReflect.Descriptor instead.
func (*CancelTaskResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{27}
}

func (x *CancelTaskResponse) GetTask() *Task {
	if x != nil {
		return x.Task
	}
	return nil
}

type ListTasksRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName  string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	Status        []TaskStatus           `protobuf:"varint,2,rep,packed,name=status,proto3,enum=taskexecutor.v1.TaskStatus" json:"status,omitempty"` // any of these; none = every status
	CreatedAfter  *timestamppb.Timestamp `protobuf:"bytes,3,opt,name=created_after,json=createdAfter,proto3" json:"created_after,omitempty"`
	CreatedBefore *timestamppb.Timestamp `protobuf:"bytes,4,opt,name=created_before,json=createdBefore,proto3" json:"created_before,omitempty"`
	Cursor        string                 `protobuf:"bytes,5,opt,name=cursor,proto3" json:"cursor,omitempty"`
	Limit         int32                  `protobuf:"varint,6,opt,name=limit,proto3" json:"limit,omitempty"`
	// Ended at or after / before. A page by end time looks at a bounded number of tasks
	// (SEARCH_SCAN_TASKS), so it may hold fewer than `limit` (even none) with a `next_cursor`.
	FinishedAfter  *timestamppb.Timestamp `protobuf:"bytes,7,opt,name=finished_after,json=finishedAfter,proto3" json:"finished_after,omitempty"`
	FinishedBefore *timestamppb.Timestamp `protobuf:"bytes,8,opt,name=finished_before,json=finishedBefore,proto3" json:"finished_before,omitempty"`
	unknownFields  protoimpl.UnknownFields
	sizeCache      protoimpl.SizeCache
}

func (x *ListTasksRequest) Reset() {
	*x = ListTasksRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[28]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListTasksRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListTasksRequest) ProtoMessage() {}

func (x *ListTasksRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[28]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListTasksRequest.ProtoReflect.Descriptor instead.
func (*ListTasksRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{28}
}

func (x *ListTasksRequest) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *ListTasksRequest) GetStatus() []TaskStatus {
	if x != nil {
		return x.Status
	}
	return nil
}

func (x *ListTasksRequest) GetCreatedAfter() *timestamppb.Timestamp {
	if x != nil {
		return x.CreatedAfter
	}
	return nil
}

func (x *ListTasksRequest) GetCreatedBefore() *timestamppb.Timestamp {
	if x != nil {
		return x.CreatedBefore
	}
	return nil
}

func (x *ListTasksRequest) GetCursor() string {
	if x != nil {
		return x.Cursor
	}
	return ""
}

func (x *ListTasksRequest) GetLimit() int32 {
	if x != nil {
		return x.Limit
	}
	return 0
}

func (x *ListTasksRequest) GetFinishedAfter() *timestamppb.Timestamp {
	if x != nil {
		return x.FinishedAfter
	}
	return nil
}

func (x *ListTasksRequest) GetFinishedBefore() *timestamppb.Timestamp {
	if x != nil {
		return x.FinishedBefore
	}
	return nil
}

type ListTasksResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Tasks         []*Task                `protobuf:"bytes,1,rep,name=tasks,proto3" json:"tasks,omitempty"`
	NextCursor    string                 `protobuf:"bytes,2,opt,name=next_cursor,json=nextCursor,proto3" json:"next_cursor,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListTasksResponse) Reset() {
	*x = ListTasksResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[29]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListTasksResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListTasksResponse) ProtoMessage() {}

func (x *ListTasksResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[29]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListTasksResponse.ProtoReflect.Descriptor instead.
func (*ListTasksResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{29}
}

func (x *ListTasksResponse) GetTasks() []*Task {
	if x != nil {
		return x.Tasks
	}
	return nil
}

func (x *ListTasksResponse) GetNextCursor() string {
	if x != nil {
		return x.NextCursor
	}
	return ""
}

type SearchTasksRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`                                      // a task id: that task alone, when it matches the rest
	MetadataKey   string                 `protobuf:"bytes,2,opt,name=metadata_key,json=metadataKey,proto3" json:"metadata_key,omitempty"` // with metadata_value: tasks whose metadata has exactly that entry
	MetadataValue string                 `protobuf:"bytes,3,opt,name=metadata_value,json=metadataValue,proto3" json:"metadata_value,omitempty"`
	DataPointer   string                 `protobuf:"bytes,4,opt,name=data_pointer,json=dataPointer,proto3" json:"data_pointer,omitempty"` // an RFC 6901 JSON pointer into the data, e.g. "/orderId"
	DataValue     *structpb.Value        `protobuf:"bytes,5,opt,name=data_value,json=dataValue,proto3" json:"data_value,omitempty"`       // the scalar there (JSON equality); with data_pointer
	ExecutorName  string                 `protobuf:"bytes,6,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	Status        []TaskStatus           `protobuf:"varint,7,rep,packed,name=status,proto3,enum=taskexecutor.v1.TaskStatus" json:"status,omitempty"` // any of these; none = every status
	Cursor        string                 `protobuf:"bytes,8,opt,name=cursor,proto3" json:"cursor,omitempty"`
	Limit         int32                  `protobuf:"varint,9,opt,name=limit,proto3" json:"limit,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *SearchTasksRequest) Reset() {
	*x = SearchTasksRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[30]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *SearchTasksRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*SearchTasksRequest) ProtoMessage() {}

func (x *SearchTasksRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[30]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use SearchTasksRequest.ProtoReflect.Descriptor instead.
func (*SearchTasksRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{30}
}

func (x *SearchTasksRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *SearchTasksRequest) GetMetadataKey() string {
	if x != nil {
		return x.MetadataKey
	}
	return ""
}

func (x *SearchTasksRequest) GetMetadataValue() string {
	if x != nil {
		return x.MetadataValue
	}
	return ""
}

func (x *SearchTasksRequest) GetDataPointer() string {
	if x != nil {
		return x.DataPointer
	}
	return ""
}

func (x *SearchTasksRequest) GetDataValue() *structpb.Value {
	if x != nil {
		return x.DataValue
	}
	return nil
}

func (x *SearchTasksRequest) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *SearchTasksRequest) GetStatus() []TaskStatus {
	if x != nil {
		return x.Status
	}
	return nil
}

func (x *SearchTasksRequest) GetCursor() string {
	if x != nil {
		return x.Cursor
	}
	return ""
}

func (x *SearchTasksRequest) GetLimit() int32 {
	if x != nil {
		return x.Limit
	}
	return 0
}

// Newest first. A search by metadata or data scans a bounded number of tasks per call, so a page
// may hold fewer than `limit` matches (even none) with a `next_cursor` to go on from.
type SearchTasksResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Tasks         []*Task                `protobuf:"bytes,1,rep,name=tasks,proto3" json:"tasks,omitempty"`
	NextCursor    string                 `protobuf:"bytes,2,opt,name=next_cursor,json=nextCursor,proto3" json:"next_cursor,omitempty"`
	Scanned       int32                  `protobuf:"varint,3,opt,name=scanned,proto3" json:"scanned,omitempty"` // tasks looked at for this page
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *SearchTasksResponse) Reset() {
	*x = SearchTasksResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[31]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *SearchTasksResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*SearchTasksResponse) ProtoMessage() {}

func (x *SearchTasksResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[31]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use SearchTasksResponse.ProtoReflect.Descriptor instead.
func (*SearchTasksResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{31}
}

func (x *SearchTasksResponse) GetTasks() []*Task {
	if x != nil {
		return x.Tasks
	}
	return nil
}

func (x *SearchTasksResponse) GetNextCursor() string {
	if x != nil {
		return x.NextCursor
	}
	return ""
}

func (x *SearchTasksResponse) GetScanned() int32 {
	if x != nil {
		return x.Scanned
	}
	return 0
}

type UpdateTaskStatusRequest struct {
	state  protoimpl.MessageState `protogen:"open.v1"`
	Id     string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Status TaskStatus             `protobuf:"varint,2,opt,name=status,proto3,enum=taskexecutor.v1.TaskStatus" json:"status,omitempty"`
	Result *structpb.Value        `protobuf:"bytes,3,opt,name=result,proto3" json:"result,omitempty"`
	Error  string                 `protobuf:"bytes,4,opt,name=error,proto3" json:"error,omitempty"`
	// A precondition (compare and set): the statuses the task must be in now for the change to
	// happen; a task in another one is FAILED_PRECONDITION naming its status, and nothing changes.
	// The check and the change are one conditional write. Empty = any status the transition allows.
	// Run again sends what `runAgainFrom` of REST's /api/v1/meta lists: a task leased meanwhile stays
	// its worker's.
	From          []TaskStatus `protobuf:"varint,5,rep,packed,name=from,proto3,enum=taskexecutor.v1.TaskStatus" json:"from,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *UpdateTaskStatusRequest) Reset() {
	*x = UpdateTaskStatusRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[32]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *UpdateTaskStatusRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*UpdateTaskStatusRequest) ProtoMessage() {}

func (x *UpdateTaskStatusRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[32]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use UpdateTaskStatusRequest.ProtoReflect.Descriptor instead.
func (*UpdateTaskStatusRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{32}
}

func (x *UpdateTaskStatusRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *UpdateTaskStatusRequest) GetStatus() TaskStatus {
	if x != nil {
		return x.Status
	}
	return TaskStatus_TASK_STATUS_UNSPECIFIED
}

func (x *UpdateTaskStatusRequest) GetResult() *structpb.Value {
	if x != nil {
		return x.Result
	}
	return nil
}

func (x *UpdateTaskStatusRequest) GetError() string {
	if x != nil {
		return x.Error
	}
	return ""
}

func (x *UpdateTaskStatusRequest) GetFrom() []TaskStatus {
	if x != nil {
		return x.From
	}
	return nil
}

type UpdateTaskStatusResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Task          *Task                  `protobuf:"bytes,1,opt,name=task,proto3" json:"task,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *UpdateTaskStatusResponse) Reset() {
	*x = UpdateTaskStatusResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[33]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *UpdateTaskStatusResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*UpdateTaskStatusResponse) ProtoMessage() {}

func (x *UpdateTaskStatusResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[33]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use UpdateTaskStatusResponse.ProtoReflect.Descriptor instead.
func (*UpdateTaskStatusResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{33}
}

func (x *UpdateTaskStatusResponse) GetTask() *Task {
	if x != nil {
		return x.Task
	}
	return nil
}

type ListDlqRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName  string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	Reason        DlqReason              `protobuf:"varint,2,opt,name=reason,proto3,enum=taskexecutor.v1.DlqReason" json:"reason,omitempty"` // unspecified = every reason
	Cursor        string                 `protobuf:"bytes,3,opt,name=cursor,proto3" json:"cursor,omitempty"`
	Limit         int32                  `protobuf:"varint,4,opt,name=limit,proto3" json:"limit,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListDlqRequest) Reset() {
	*x = ListDlqRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[34]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListDlqRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListDlqRequest) ProtoMessage() {}

func (x *ListDlqRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[34]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListDlqRequest.ProtoReflect.Descriptor instead.
func (*ListDlqRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{34}
}

func (x *ListDlqRequest) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *ListDlqRequest) GetReason() DlqReason {
	if x != nil {
		return x.Reason
	}
	return DlqReason_DLQ_REASON_UNSPECIFIED
}

func (x *ListDlqRequest) GetCursor() string {
	if x != nil {
		return x.Cursor
	}
	return ""
}

func (x *ListDlqRequest) GetLimit() int32 {
	if x != nil {
		return x.Limit
	}
	return 0
}

type ListDlqResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Entries       []*DlqEntry            `protobuf:"bytes,1,rep,name=entries,proto3" json:"entries,omitempty"`
	NextCursor    string                 `protobuf:"bytes,2,opt,name=next_cursor,json=nextCursor,proto3" json:"next_cursor,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListDlqResponse) Reset() {
	*x = ListDlqResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[35]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListDlqResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListDlqResponse) ProtoMessage() {}

func (x *ListDlqResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[35]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListDlqResponse.ProtoReflect.Descriptor instead.
func (*ListDlqResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{35}
}

func (x *ListDlqResponse) GetEntries() []*DlqEntry {
	if x != nil {
		return x.Entries
	}
	return nil
}

func (x *ListDlqResponse) GetNextCursor() string {
	if x != nil {
		return x.NextCursor
	}
	return ""
}

type GetDlqEntryRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetDlqEntryRequest) Reset() {
	*x = GetDlqEntryRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[36]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetDlqEntryRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetDlqEntryRequest) ProtoMessage() {}

func (x *GetDlqEntryRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[36]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetDlqEntryRequest.ProtoReflect.Descriptor instead.
func (*GetDlqEntryRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{36}
}

func (x *GetDlqEntryRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

type GetDlqEntryResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Entry         *DlqEntry              `protobuf:"bytes,1,opt,name=entry,proto3" json:"entry,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetDlqEntryResponse) Reset() {
	*x = GetDlqEntryResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[37]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetDlqEntryResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetDlqEntryResponse) ProtoMessage() {}

func (x *GetDlqEntryResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[37]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetDlqEntryResponse.ProtoReflect.Descriptor instead.
func (*GetDlqEntryResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{37}
}

func (x *GetDlqEntryResponse) GetEntry() *DlqEntry {
	if x != nil {
		return x.Entry
	}
	return nil
}

type DeleteDlqEntryRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DeleteDlqEntryRequest) Reset() {
	*x = DeleteDlqEntryRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[38]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeleteDlqEntryRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeleteDlqEntryRequest) ProtoMessage() {}

func (x *DeleteDlqEntryRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[38]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeleteDlqEntryRequest.ProtoReflect.Descriptor instead.
func (*DeleteDlqEntryRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{38}
}

func (x *DeleteDlqEntryRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

type DeleteDlqEntryResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Deleted       bool                   `protobuf:"varint,1,opt,name=deleted,proto3" json:"deleted,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DeleteDlqEntryResponse) Reset() {
	*x = DeleteDlqEntryResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[39]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeleteDlqEntryResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeleteDlqEntryResponse) ProtoMessage() {}

func (x *DeleteDlqEntryResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[39]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeleteDlqEntryResponse.ProtoReflect.Descriptor instead.
func (*DeleteDlqEntryResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{39}
}

func (x *DeleteDlqEntryResponse) GetDeleted() bool {
	if x != nil {
		return x.Deleted
	}
	return false
}

type RequeueDlqEntryRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Data          *structpb.Value        `protobuf:"bytes,2,opt,name=data,proto3" json:"data,omitempty"` // replaces the task data when set
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RequeueDlqEntryRequest) Reset() {
	*x = RequeueDlqEntryRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[40]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RequeueDlqEntryRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RequeueDlqEntryRequest) ProtoMessage() {}

func (x *RequeueDlqEntryRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[40]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RequeueDlqEntryRequest.ProtoReflect.Descriptor instead.
func (*RequeueDlqEntryRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{40}
}

func (x *RequeueDlqEntryRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *RequeueDlqEntryRequest) GetData() *structpb.Value {
	if x != nil {
		return x.Data
	}
	return nil
}

type RequeueDlqEntryResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Task          *Task                  `protobuf:"bytes,1,opt,name=task,proto3" json:"task,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RequeueDlqEntryResponse) Reset() {
	*x = RequeueDlqEntryResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[41]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RequeueDlqEntryResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RequeueDlqEntryResponse) ProtoMessage() {}

func (x *RequeueDlqEntryResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[41]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RequeueDlqEntryResponse.ProtoReflect.Descriptor instead.
func (*RequeueDlqEntryResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{41}
}

func (x *RequeueDlqEntryResponse) GetTask() *Task {
	if x != nil {
		return x.Task
	}
	return nil
}

type PurgeDlqRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName  string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	Reason        DlqReason              `protobuf:"varint,2,opt,name=reason,proto3,enum=taskexecutor.v1.DlqReason" json:"reason,omitempty"` // unspecified = every reason
	DeadBefore    *timestamppb.Timestamp `protobuf:"bytes,3,opt,name=dead_before,json=deadBefore,proto3" json:"dead_before,omitempty"`
	Confirm       bool                   `protobuf:"varint,4,opt,name=confirm,proto3" json:"confirm,omitempty"` // must be true to purge the whole queue (no filter set)
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PurgeDlqRequest) Reset() {
	*x = PurgeDlqRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[42]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PurgeDlqRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PurgeDlqRequest) ProtoMessage() {}

func (x *PurgeDlqRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[42]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PurgeDlqRequest.ProtoReflect.Descriptor instead.
func (*PurgeDlqRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{42}
}

func (x *PurgeDlqRequest) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *PurgeDlqRequest) GetReason() DlqReason {
	if x != nil {
		return x.Reason
	}
	return DlqReason_DLQ_REASON_UNSPECIFIED
}

func (x *PurgeDlqRequest) GetDeadBefore() *timestamppb.Timestamp {
	if x != nil {
		return x.DeadBefore
	}
	return nil
}

func (x *PurgeDlqRequest) GetConfirm() bool {
	if x != nil {
		return x.Confirm
	}
	return false
}

type PurgeDlqResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Deleted       int32                  `protobuf:"varint,1,opt,name=deleted,proto3" json:"deleted,omitempty"`
	Stopped       *BulkStop              `protobuf:"bytes,2,opt,name=stopped,proto3" json:"stopped,omitempty"` // set when the store failed after `deleted` were deleted
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PurgeDlqResponse) Reset() {
	*x = PurgeDlqResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[43]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PurgeDlqResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PurgeDlqResponse) ProtoMessage() {}

func (x *PurgeDlqResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[43]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PurgeDlqResponse.ProtoReflect.Descriptor instead.
func (*PurgeDlqResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{43}
}

func (x *PurgeDlqResponse) GetDeleted() int32 {
	if x != nil {
		return x.Deleted
	}
	return 0
}

func (x *PurgeDlqResponse) GetStopped() *BulkStop {
	if x != nil {
		return x.Stopped
	}
	return nil
}

// Requeues the entries matching the filter, at most BULK_MAX_TASKS per call after `cursor`.
type RequeueDlqRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName  string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	Reason        DlqReason              `protobuf:"varint,2,opt,name=reason,proto3,enum=taskexecutor.v1.DlqReason" json:"reason,omitempty"` // unspecified = every reason
	DeadBefore    *timestamppb.Timestamp `protobuf:"bytes,3,opt,name=dead_before,json=deadBefore,proto3" json:"dead_before,omitempty"`
	Confirm       bool                   `protobuf:"varint,4,opt,name=confirm,proto3" json:"confirm,omitempty"` // must be true to requeue the whole queue (no filter set)
	Cursor        string                 `protobuf:"bytes,5,opt,name=cursor,proto3" json:"cursor,omitempty"`    // next_cursor of the previous call
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RequeueDlqRequest) Reset() {
	*x = RequeueDlqRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[44]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RequeueDlqRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RequeueDlqRequest) ProtoMessage() {}

func (x *RequeueDlqRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[44]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RequeueDlqRequest.ProtoReflect.Descriptor instead.
func (*RequeueDlqRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{44}
}

func (x *RequeueDlqRequest) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *RequeueDlqRequest) GetReason() DlqReason {
	if x != nil {
		return x.Reason
	}
	return DlqReason_DLQ_REASON_UNSPECIFIED
}

func (x *RequeueDlqRequest) GetDeadBefore() *timestamppb.Timestamp {
	if x != nil {
		return x.DeadBefore
	}
	return nil
}

func (x *RequeueDlqRequest) GetConfirm() bool {
	if x != nil {
		return x.Confirm
	}
	return false
}

func (x *RequeueDlqRequest) GetCursor() string {
	if x != nil {
		return x.Cursor
	}
	return ""
}

type RequeueDlqResponse struct {
	state    protoimpl.MessageState `protogen:"open.v1"`
	Requeued int32                  `protobuf:"varint,1,opt,name=requeued,proto3" json:"requeued,omitempty"`
	Failed   int32                  `protobuf:"varint,2,opt,name=failed,proto3" json:"failed,omitempty"` // entries whose data no longer matches the schema, or whose executor is gone
	// Empty once every matching entry was looked at. With `stopped`: the request's cursor, to
	// repeat the call (the entries it requeued no longer match).
	NextCursor    string    `protobuf:"bytes,3,opt,name=next_cursor,json=nextCursor,proto3" json:"next_cursor,omitempty"`
	Stopped       *BulkStop `protobuf:"bytes,4,opt,name=stopped,proto3" json:"stopped,omitempty"` // set when the call stopped part way; `requeued` were requeued
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RequeueDlqResponse) Reset() {
	*x = RequeueDlqResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[45]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RequeueDlqResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RequeueDlqResponse) ProtoMessage() {}

func (x *RequeueDlqResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[45]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RequeueDlqResponse.ProtoReflect.Descriptor instead.
func (*RequeueDlqResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{45}
}

func (x *RequeueDlqResponse) GetRequeued() int32 {
	if x != nil {
		return x.Requeued
	}
	return 0
}

func (x *RequeueDlqResponse) GetFailed() int32 {
	if x != nil {
		return x.Failed
	}
	return 0
}

func (x *RequeueDlqResponse) GetNextCursor() string {
	if x != nil {
		return x.NextCursor
	}
	return ""
}

func (x *RequeueDlqResponse) GetStopped() *BulkStop {
	if x != nil {
		return x.Stopped
	}
	return nil
}

type GetStatsRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName  string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetStatsRequest) Reset() {
	*x = GetStatsRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[46]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetStatsRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetStatsRequest) ProtoMessage() {}

func (x *GetStatsRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[46]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetStatsRequest.ProtoReflect.Descriptor instead.
func (*GetStatsRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{46}
}

func (x *GetStatsRequest) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

type ExecutorStats struct {
	state            protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName     string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	ByStatus         map[string]int64       `protobuf:"bytes,2,rep,name=by_status,json=byStatus,proto3" json:"by_status,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"varint,2,opt,name=value"`
	DlqSize          int64                  `protobuf:"varint,3,opt,name=dlq_size,json=dlqSize,proto3" json:"dlq_size,omitempty"`
	Workers          int32                  `protobuf:"varint,4,opt,name=workers,proto3" json:"workers,omitempty"` // connected workers (work streams) serving it; a worker that polls is not
	OldestPendingAge *durationpb.Duration   `protobuf:"bytes,5,opt,name=oldest_pending_age,json=oldestPendingAge,proto3" json:"oldest_pending_age,omitempty"`
	// 6 was completed_last_minute, never filled (throughput comes from the /metrics counters). Not
	// declared `reserved`: protobufjs writes reserved ranges that strict reflection clients refuse.
	Paused bool `protobuf:"varint,7,opt,name=paused,proto3" json:"paused,omitempty"` // enabled is false: none of its tasks is handed out until it is resumed
	// Tasks are pending, none is in progress, and no worker connected to this manager serves the
	// executor nor polled it here (a unary GetNextTask) in the last 60 s (REST's `noWorkers`).
	NoWorkers bool `protobuf:"varint,8,opt,name=no_workers,json=noWorkers,proto3" json:"no_workers,omitempty"`
	// A worker without a stream polled the executor on this manager (a unary GetNextTask: the
	// original interface's, or v1's) in the last 60 s: it serves the executor, and `workers` does
	// not count it (REST's `polled`).
	Polled        bool `protobuf:"varint,9,opt,name=polled,proto3" json:"polled,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ExecutorStats) Reset() {
	*x = ExecutorStats{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[47]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ExecutorStats) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ExecutorStats) ProtoMessage() {}

func (x *ExecutorStats) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[47]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ExecutorStats.ProtoReflect.Descriptor instead.
func (*ExecutorStats) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{47}
}

func (x *ExecutorStats) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *ExecutorStats) GetByStatus() map[string]int64 {
	if x != nil {
		return x.ByStatus
	}
	return nil
}

func (x *ExecutorStats) GetDlqSize() int64 {
	if x != nil {
		return x.DlqSize
	}
	return 0
}

func (x *ExecutorStats) GetWorkers() int32 {
	if x != nil {
		return x.Workers
	}
	return 0
}

func (x *ExecutorStats) GetOldestPendingAge() *durationpb.Duration {
	if x != nil {
		return x.OldestPendingAge
	}
	return nil
}

func (x *ExecutorStats) GetPaused() bool {
	if x != nil {
		return x.Paused
	}
	return false
}

func (x *ExecutorStats) GetNoWorkers() bool {
	if x != nil {
		return x.NoWorkers
	}
	return false
}

func (x *ExecutorStats) GetPolled() bool {
	if x != nil {
		return x.Polled
	}
	return false
}

type GetStatsResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Executors     []*ExecutorStats       `protobuf:"bytes,1,rep,name=executors,proto3" json:"executors,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetStatsResponse) Reset() {
	*x = GetStatsResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[48]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetStatsResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetStatsResponse) ProtoMessage() {}

func (x *GetStatsResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[48]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetStatsResponse.ProtoReflect.Descriptor instead.
func (*GetStatsResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{48}
}

func (x *GetStatsResponse) GetExecutors() []*ExecutorStats {
	if x != nil {
		return x.Executors
	}
	return nil
}

type WorkerInfo struct {
	state           protoimpl.MessageState `protogen:"open.v1"`
	WorkerId        string                 `protobuf:"bytes,1,opt,name=worker_id,json=workerId,proto3" json:"worker_id,omitempty"`
	Executors       []string               `protobuf:"bytes,2,rep,name=executors,proto3" json:"executors,omitempty"`
	SdkVersion      string                 `protobuf:"bytes,3,opt,name=sdk_version,json=sdkVersion,proto3" json:"sdk_version,omitempty"`
	ConnectedAt     *timestamppb.Timestamp `protobuf:"bytes,4,opt,name=connected_at,json=connectedAt,proto3" json:"connected_at,omitempty"`
	LastHeartbeatAt *timestamppb.Timestamp `protobuf:"bytes,5,opt,name=last_heartbeat_at,json=lastHeartbeatAt,proto3" json:"last_heartbeat_at,omitempty"`
	InFlight        int32                  `protobuf:"varint,6,opt,name=in_flight,json=inFlight,proto3" json:"in_flight,omitempty"` // tasks it runs now
	Credits         int32                  `protobuf:"varint,7,opt,name=credits,proto3" json:"credits,omitempty"`                   // tasks it can still take: in_flight + credits is what it can run at once
	Host            string                 `protobuf:"bytes,8,opt,name=host,proto3" json:"host,omitempty"`
	Pid             int32                  `protobuf:"varint,9,opt,name=pid,proto3" json:"pid,omitempty"`
	Runtime         string                 `protobuf:"bytes,10,opt,name=runtime,proto3" json:"runtime,omitempty"`
	RunningTaskIds  []string               `protobuf:"bytes,11,rep,name=running_task_ids,json=runningTaskIds,proto3" json:"running_task_ids,omitempty"` // the tasks it runs now (at most 20)
	DisconnectedAt  *timestamppb.Timestamp `protobuf:"bytes,12,opt,name=disconnected_at,json=disconnectedAt,proto3" json:"disconnected_at,omitempty"`   // unset = connected; set = gone (kept 10 min)
	unknownFields   protoimpl.UnknownFields
	sizeCache       protoimpl.SizeCache
}

func (x *WorkerInfo) Reset() {
	*x = WorkerInfo{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[49]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *WorkerInfo) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*WorkerInfo) ProtoMessage() {}

func (x *WorkerInfo) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[49]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use WorkerInfo.ProtoReflect.Descriptor instead.
func (*WorkerInfo) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{49}
}

func (x *WorkerInfo) GetWorkerId() string {
	if x != nil {
		return x.WorkerId
	}
	return ""
}

func (x *WorkerInfo) GetExecutors() []string {
	if x != nil {
		return x.Executors
	}
	return nil
}

func (x *WorkerInfo) GetSdkVersion() string {
	if x != nil {
		return x.SdkVersion
	}
	return ""
}

func (x *WorkerInfo) GetConnectedAt() *timestamppb.Timestamp {
	if x != nil {
		return x.ConnectedAt
	}
	return nil
}

func (x *WorkerInfo) GetLastHeartbeatAt() *timestamppb.Timestamp {
	if x != nil {
		return x.LastHeartbeatAt
	}
	return nil
}

func (x *WorkerInfo) GetInFlight() int32 {
	if x != nil {
		return x.InFlight
	}
	return 0
}

func (x *WorkerInfo) GetCredits() int32 {
	if x != nil {
		return x.Credits
	}
	return 0
}

func (x *WorkerInfo) GetHost() string {
	if x != nil {
		return x.Host
	}
	return ""
}

func (x *WorkerInfo) GetPid() int32 {
	if x != nil {
		return x.Pid
	}
	return 0
}

func (x *WorkerInfo) GetRuntime() string {
	if x != nil {
		return x.Runtime
	}
	return ""
}

func (x *WorkerInfo) GetRunningTaskIds() []string {
	if x != nil {
		return x.RunningTaskIds
	}
	return nil
}

func (x *WorkerInfo) GetDisconnectedAt() *timestamppb.Timestamp {
	if x != nil {
		return x.DisconnectedAt
	}
	return nil
}

type ApiKey struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Name          string                 `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	Scopes        []Scope                `protobuf:"varint,3,rep,packed,name=scopes,proto3,enum=taskexecutor.v1.Scope" json:"scopes,omitempty"`
	Executors     []string               `protobuf:"bytes,4,rep,name=executors,proto3" json:"executors,omitempty"` // what a producer or worker key is limited to; empty = every one
	CreatedAt     *timestamppb.Timestamp `protobuf:"bytes,5,opt,name=created_at,json=createdAt,proto3" json:"created_at,omitempty"`
	LastUsedAt    *timestamppb.Timestamp `protobuf:"bytes,6,opt,name=last_used_at,json=lastUsedAt,proto3" json:"last_used_at,omitempty"` // unset = never used
	RevokedAt     *timestamppb.Timestamp `protobuf:"bytes,7,opt,name=revoked_at,json=revokedAt,proto3" json:"revoked_at,omitempty"`      // unset = valid
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ApiKey) Reset() {
	*x = ApiKey{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[50]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ApiKey) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ApiKey) ProtoMessage() {}

func (x *ApiKey) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[50]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ApiKey.ProtoReflect.Descriptor instead.
func (*ApiKey) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{50}
}

func (x *ApiKey) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *ApiKey) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *ApiKey) GetScopes() []Scope {
	if x != nil {
		return x.Scopes
	}
	return nil
}

func (x *ApiKey) GetExecutors() []string {
	if x != nil {
		return x.Executors
	}
	return nil
}

func (x *ApiKey) GetCreatedAt() *timestamppb.Timestamp {
	if x != nil {
		return x.CreatedAt
	}
	return nil
}

func (x *ApiKey) GetLastUsedAt() *timestamppb.Timestamp {
	if x != nil {
		return x.LastUsedAt
	}
	return nil
}

func (x *ApiKey) GetRevokedAt() *timestamppb.Timestamp {
	if x != nil {
		return x.RevokedAt
	}
	return nil
}

type CreateKeyRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Name          string                 `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
	Scopes        []Scope                `protobuf:"varint,2,rep,packed,name=scopes,proto3,enum=taskexecutor.v1.Scope" json:"scopes,omitempty"`
	Executors     []string               `protobuf:"bytes,3,rep,name=executors,proto3" json:"executors,omitempty"` // empty = every executor (a worker key must name its executors)
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreateKeyRequest) Reset() {
	*x = CreateKeyRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[51]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateKeyRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateKeyRequest) ProtoMessage() {}

func (x *CreateKeyRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[51]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateKeyRequest.ProtoReflect.Descriptor instead.
func (*CreateKeyRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{51}
}

func (x *CreateKeyRequest) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *CreateKeyRequest) GetScopes() []Scope {
	if x != nil {
		return x.Scopes
	}
	return nil
}

func (x *CreateKeyRequest) GetExecutors() []string {
	if x != nil {
		return x.Executors
	}
	return nil
}

type CreateKeyResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Key           *ApiKey                `protobuf:"bytes,1,opt,name=key,proto3" json:"key,omitempty"`
	Token         string                 `protobuf:"bytes,2,opt,name=token,proto3" json:"token,omitempty"` // shown this once; the manager keeps only a hash of its secret
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreateKeyResponse) Reset() {
	*x = CreateKeyResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[52]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateKeyResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateKeyResponse) ProtoMessage() {}

func (x *CreateKeyResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[52]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateKeyResponse.ProtoReflect.Descriptor instead.
func (*CreateKeyResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{52}
}

func (x *CreateKeyResponse) GetKey() *ApiKey {
	if x != nil {
		return x.Key
	}
	return nil
}

func (x *CreateKeyResponse) GetToken() string {
	if x != nil {
		return x.Token
	}
	return ""
}

type ListKeysRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Cursor        string                 `protobuf:"bytes,1,opt,name=cursor,proto3" json:"cursor,omitempty"` // next_cursor of the previous page
	Limit         int32                  `protobuf:"varint,2,opt,name=limit,proto3" json:"limit,omitempty"`  // 1..1000; 0 = 1000
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListKeysRequest) Reset() {
	*x = ListKeysRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[53]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListKeysRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListKeysRequest) ProtoMessage() {}

func (x *ListKeysRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[53]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListKeysRequest.ProtoReflect.Descriptor instead.
func (*ListKeysRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{53}
}

func (x *ListKeysRequest) GetCursor() string {
	if x != nil {
		return x.Cursor
	}
	return ""
}

func (x *ListKeysRequest) GetLimit() int32 {
	if x != nil {
		return x.Limit
	}
	return 0
}

// Oldest first, revoked ones included. A page ends at `limit` keys or before 2 MiB (one key at
// least), so it may hold fewer while `next_cursor` says more follow.
type ListKeysResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Keys          []*ApiKey              `protobuf:"bytes,1,rep,name=keys,proto3" json:"keys,omitempty"`
	NextCursor    string                 `protobuf:"bytes,2,opt,name=next_cursor,json=nextCursor,proto3" json:"next_cursor,omitempty"` // empty on the last page
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListKeysResponse) Reset() {
	*x = ListKeysResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[54]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListKeysResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListKeysResponse) ProtoMessage() {}

func (x *ListKeysResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[54]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListKeysResponse.ProtoReflect.Descriptor instead.
func (*ListKeysResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{54}
}

func (x *ListKeysResponse) GetKeys() []*ApiKey {
	if x != nil {
		return x.Keys
	}
	return nil
}

func (x *ListKeysResponse) GetNextCursor() string {
	if x != nil {
		return x.NextCursor
	}
	return ""
}

type RevokeKeyRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RevokeKeyRequest) Reset() {
	*x = RevokeKeyRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[55]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RevokeKeyRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RevokeKeyRequest) ProtoMessage() {}

func (x *RevokeKeyRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[55]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RevokeKeyRequest.ProtoReflect.Descriptor instead.
func (*RevokeKeyRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{55}
}

func (x *RevokeKeyRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

type RevokeKeyResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Key           *ApiKey                `protobuf:"bytes,1,opt,name=key,proto3" json:"key,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RevokeKeyResponse) Reset() {
	*x = RevokeKeyResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[56]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RevokeKeyResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RevokeKeyResponse) ProtoMessage() {}

func (x *RevokeKeyResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[56]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RevokeKeyResponse.ProtoReflect.Descriptor instead.
func (*RevokeKeyResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{56}
}

func (x *RevokeKeyResponse) GetKey() *ApiKey {
	if x != nil {
		return x.Key
	}
	return nil
}

type WatchTasksRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	TaskIds       []string               `protobuf:"bytes,1,rep,name=task_ids,json=taskIds,proto3" json:"task_ids,omitempty"` // 1 to 1000 ids
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *WatchTasksRequest) Reset() {
	*x = WatchTasksRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[57]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *WatchTasksRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*WatchTasksRequest) ProtoMessage() {}

func (x *WatchTasksRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[57]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use WatchTasksRequest.ProtoReflect.Descriptor instead.
func (*WatchTasksRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{57}
}

func (x *WatchTasksRequest) GetTaskIds() []string {
	if x != nil {
		return x.TaskIds
	}
	return nil
}

type WatchTasksResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Task          *Task                  `protobuf:"bytes,1,opt,name=task,proto3" json:"task,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *WatchTasksResponse) Reset() {
	*x = WatchTasksResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[58]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *WatchTasksResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*WatchTasksResponse) ProtoMessage() {}

func (x *WatchTasksResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[58]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use WatchTasksResponse.ProtoReflect.Descriptor instead.
func (*WatchTasksResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{58}
}

func (x *WatchTasksResponse) GetTask() *Task {
	if x != nil {
		return x.Task
	}
	return nil
}

type CreateAndWatchTaskRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Task          *NewTask               `protobuf:"bytes,1,opt,name=task,proto3" json:"task,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreateAndWatchTaskRequest) Reset() {
	*x = CreateAndWatchTaskRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[59]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateAndWatchTaskRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateAndWatchTaskRequest) ProtoMessage() {}

func (x *CreateAndWatchTaskRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[59]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateAndWatchTaskRequest.ProtoReflect.Descriptor instead.
func (*CreateAndWatchTaskRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{59}
}

func (x *CreateAndWatchTaskRequest) GetTask() *NewTask {
	if x != nil {
		return x.Task
	}
	return nil
}

type CreateAndWatchTaskResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Task          *Task                  `protobuf:"bytes,1,opt,name=task,proto3" json:"task,omitempty"` // as created first, then final
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreateAndWatchTaskResponse) Reset() {
	*x = CreateAndWatchTaskResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[60]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateAndWatchTaskResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateAndWatchTaskResponse) ProtoMessage() {}

func (x *CreateAndWatchTaskResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[60]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateAndWatchTaskResponse.ProtoReflect.Descriptor instead.
func (*CreateAndWatchTaskResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{60}
}

func (x *CreateAndWatchTaskResponse) GetTask() *Task {
	if x != nil {
		return x.Task
	}
	return nil
}

type ProduceRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Names the request in its answers: 1 or more, unique among this stream's requests that have
	// not had their last answer.
	RequestId uint32 `protobuf:"varint,1,opt,name=request_id,json=requestId,proto3" json:"request_id,omitempty"`
	// Types that are valid to be assigned to Kind:
	//
	//	*ProduceRequest_Create
	//	*ProduceRequest_CreateAndWatch
	//	*ProduceRequest_Cancel
	//	*ProduceRequest_Watch
	Kind isProduceRequest_Kind `protobuf_oneof:"kind"`
	// W3C trace context of the create, as the `traceparent` and `tracestate` metadata of its own
	// call would be (malformed = none).
	Traceparent   string `protobuf:"bytes,5,opt,name=traceparent,proto3" json:"traceparent,omitempty"`
	Tracestate    string `protobuf:"bytes,6,opt,name=tracestate,proto3" json:"tracestate,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ProduceRequest) Reset() {
	*x = ProduceRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[61]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ProduceRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ProduceRequest) ProtoMessage() {}

func (x *ProduceRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[61]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ProduceRequest.ProtoReflect.Descriptor instead.
func (*ProduceRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{61}
}

func (x *ProduceRequest) GetRequestId() uint32 {
	if x != nil {
		return x.RequestId
	}
	return 0
}

func (x *ProduceRequest) GetKind() isProduceRequest_Kind {
	if x != nil {
		return x.Kind
	}
	return nil
}

func (x *ProduceRequest) GetCreate() *CreateTaskRequest {
	if x != nil {
		if x, ok := x.Kind.(*ProduceRequest_Create); ok {
			return x.Create
		}
	}
	return nil
}

func (x *ProduceRequest) GetCreateAndWatch() *CreateAndWatchTaskRequest {
	if x != nil {
		if x, ok := x.Kind.(*ProduceRequest_CreateAndWatch); ok {
			return x.CreateAndWatch
		}
	}
	return nil
}

func (x *ProduceRequest) GetCancel() *ProduceCancel {
	if x != nil {
		if x, ok := x.Kind.(*ProduceRequest_Cancel); ok {
			return x.Cancel
		}
	}
	return nil
}

func (x *ProduceRequest) GetWatch() *WatchTasksRequest {
	if x != nil {
		if x, ok := x.Kind.(*ProduceRequest_Watch); ok {
			return x.Watch
		}
	}
	return nil
}

func (x *ProduceRequest) GetTraceparent() string {
	if x != nil {
		return x.Traceparent
	}
	return ""
}

func (x *ProduceRequest) GetTracestate() string {
	if x != nil {
		return x.Tracestate
	}
	return ""
}

type isProduceRequest_Kind interface {
	isProduceRequest_Kind()
}

type ProduceRequest_Create struct {
	Create *CreateTaskRequest `protobuf:"bytes,2,opt,name=create,proto3,oneof"` // answered with the task as stored
}

type ProduceRequest_CreateAndWatch struct {
	CreateAndWatch *CreateAndWatchTaskRequest `protobuf:"bytes,3,opt,name=create_and_watch,json=createAndWatch,proto3,oneof"` // the task as stored, then final
}

type ProduceRequest_Cancel struct {
	// Stops the wait of the create_and_watch or watch `request_id` names: answered with CANCELLED
	// (the task runs all the same). Naming no wait (over, or never made) does nothing.
	Cancel *ProduceCancel `protobuf:"bytes,4,opt,name=cancel,proto3,oneof"`
}

type ProduceRequest_Watch struct {
	// Waits for tasks as WatchTasks does: each task answered the moment it is final, `done` on
	// the last. Needs the scope to read tasks.
	Watch *WatchTasksRequest `protobuf:"bytes,7,opt,name=watch,proto3,oneof"`
}

func (*ProduceRequest_Create) isProduceRequest_Kind() {}

func (*ProduceRequest_CreateAndWatch) isProduceRequest_Kind() {}

func (*ProduceRequest_Cancel) isProduceRequest_Kind() {}

func (*ProduceRequest_Watch) isProduceRequest_Kind() {}

type ProduceCancel struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ProduceCancel) Reset() {
	*x = ProduceCancel{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[62]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ProduceCancel) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ProduceCancel) ProtoMessage() {}

func (x *ProduceCancel) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[62]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ProduceCancel.ProtoReflect.Descriptor instead.
func (*ProduceCancel) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{62}
}

type ProduceResponse struct {
	state     protoimpl.MessageState `protogen:"open.v1"`
	RequestId uint32                 `protobuf:"varint,1,opt,name=request_id,json=requestId,proto3" json:"request_id,omitempty"`
	// Types that are valid to be assigned to Kind:
	//
	//	*ProduceResponse_Task
	//	*ProduceResponse_Error
	Kind          isProduceResponse_Kind `protobuf_oneof:"kind"`
	Done          bool                   `protobuf:"varint,4,opt,name=done,proto3" json:"done,omitempty"` // the request's last answer
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ProduceResponse) Reset() {
	*x = ProduceResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[63]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ProduceResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ProduceResponse) ProtoMessage() {}

func (x *ProduceResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[63]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ProduceResponse.ProtoReflect.Descriptor instead.
func (*ProduceResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{63}
}

func (x *ProduceResponse) GetRequestId() uint32 {
	if x != nil {
		return x.RequestId
	}
	return 0
}

func (x *ProduceResponse) GetKind() isProduceResponse_Kind {
	if x != nil {
		return x.Kind
	}
	return nil
}

func (x *ProduceResponse) GetTask() *Task {
	if x != nil {
		if x, ok := x.Kind.(*ProduceResponse_Task); ok {
			return x.Task
		}
	}
	return nil
}

func (x *ProduceResponse) GetError() *ProduceError {
	if x != nil {
		if x, ok := x.Kind.(*ProduceResponse_Error); ok {
			return x.Error
		}
	}
	return nil
}

func (x *ProduceResponse) GetDone() bool {
	if x != nil {
		return x.Done
	}
	return false
}

type isProduceResponse_Kind interface {
	isProduceResponse_Kind()
}

type ProduceResponse_Task struct {
	Task *Task `protobuf:"bytes,2,opt,name=task,proto3,oneof"` // as stored, then (create_and_watch) as final; (watch) each task once final
}

type ProduceResponse_Error struct {
	Error *ProduceError `protobuf:"bytes,3,opt,name=error,proto3,oneof"` // the request failed: as its own call would have
}

func (*ProduceResponse_Task) isProduceResponse_Kind() {}

func (*ProduceResponse_Error) isProduceResponse_Kind() {}

// A request's failure, as its own call's status would say it. Field pointers in `details` are
// those of that call's request (`/task/data/to`).
type ProduceError struct {
	state   protoimpl.MessageState `protogen:"open.v1"`
	Code    int32                  `protobuf:"varint,1,opt,name=code,proto3" json:"code,omitempty"` // gRPC status code
	Message string                 `protobuf:"bytes,2,opt,name=message,proto3" json:"message,omitempty"`
	// The binary google.rpc.Status its call's `grpc-status-details-bin` trailer would hold (for
	// INVALID_ARGUMENT, a google.rpc.BadRequest naming each bad field); empty when it has none.
	Details []byte `protobuf:"bytes,3,opt,name=details,proto3" json:"details,omitempty"`
	// ALREADY_EXISTS: the task its idempotency key made (its call's `existing-task-id` trailer; the
	// ErrorInfo in `details` names it too).
	ExistingTaskId string `protobuf:"bytes,4,opt,name=existing_task_id,json=existingTaskId,proto3" json:"existing_task_id,omitempty"`
	unknownFields  protoimpl.UnknownFields
	sizeCache      protoimpl.SizeCache
}

func (x *ProduceError) Reset() {
	*x = ProduceError{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[64]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ProduceError) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ProduceError) ProtoMessage() {}

func (x *ProduceError) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[64]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ProduceError.ProtoReflect.Descriptor instead.
func (*ProduceError) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{64}
}

func (x *ProduceError) GetCode() int32 {
	if x != nil {
		return x.Code
	}
	return 0
}

func (x *ProduceError) GetMessage() string {
	if x != nil {
		return x.Message
	}
	return ""
}

func (x *ProduceError) GetDetails() []byte {
	if x != nil {
		return x.Details
	}
	return nil
}

func (x *ProduceError) GetExistingTaskId() string {
	if x != nil {
		return x.ExistingTaskId
	}
	return ""
}

type ListWorkersRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Cursor        string                 `protobuf:"bytes,1,opt,name=cursor,proto3" json:"cursor,omitempty"` // next_cursor of the previous page
	Limit         int32                  `protobuf:"varint,2,opt,name=limit,proto3" json:"limit,omitempty"`  // 1..1000; 0 = 1000 (every worker, unless together they pass 2 MiB)
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListWorkersRequest) Reset() {
	*x = ListWorkersRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[65]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListWorkersRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListWorkersRequest) ProtoMessage() {}

func (x *ListWorkersRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[65]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListWorkersRequest.ProtoReflect.Descriptor instead.
func (*ListWorkersRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{65}
}

func (x *ListWorkersRequest) GetCursor() string {
	if x != nil {
		return x.Cursor
	}
	return ""
}

func (x *ListWorkersRequest) GetLimit() int32 {
	if x != nil {
		return x.Limit
	}
	return 0
}

// Connected and gone workers alike, by worker id (then by connection). A page ends at `limit`
// workers or before 2 MiB (one worker at least), so it may hold fewer while `next_cursor` says
// more follow.
type ListWorkersResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Workers       []*WorkerInfo          `protobuf:"bytes,1,rep,name=workers,proto3" json:"workers,omitempty"`
	NextCursor    string                 `protobuf:"bytes,2,opt,name=next_cursor,json=nextCursor,proto3" json:"next_cursor,omitempty"` // empty on the last page
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListWorkersResponse) Reset() {
	*x = ListWorkersResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[66]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListWorkersResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListWorkersResponse) ProtoMessage() {}

func (x *ListWorkersResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[66]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListWorkersResponse.ProtoReflect.Descriptor instead.
func (*ListWorkersResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{66}
}

func (x *ListWorkersResponse) GetWorkers() []*WorkerInfo {
	if x != nil {
		return x.Workers
	}
	return nil
}

func (x *ListWorkersResponse) GetNextCursor() string {
	if x != nil {
		return x.NextCursor
	}
	return ""
}

// Bulk operations on tasks. Filter fields combine with AND; `status` lies within the statuses
// the operation may touch (none = all of those). A call that sets none of executor_name and the
// four times refuses to run without `confirm`. A field the manager does not know is refused, not
// skipped (see the header).
type DeleteTasksRequest struct {
	state          protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName   string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	Status         []TaskStatus           `protobuf:"varint,2,rep,packed,name=status,proto3,enum=taskexecutor.v1.TaskStatus" json:"status,omitempty"` // within completed, failed, cancelled
	CreatedAfter   *timestamppb.Timestamp `protobuf:"bytes,3,opt,name=created_after,json=createdAfter,proto3" json:"created_after,omitempty"`
	CreatedBefore  *timestamppb.Timestamp `protobuf:"bytes,4,opt,name=created_before,json=createdBefore,proto3" json:"created_before,omitempty"`
	FinishedAfter  *timestamppb.Timestamp `protobuf:"bytes,5,opt,name=finished_after,json=finishedAfter,proto3" json:"finished_after,omitempty"`
	FinishedBefore *timestamppb.Timestamp `protobuf:"bytes,6,opt,name=finished_before,json=finishedBefore,proto3" json:"finished_before,omitempty"`
	Cursor         string                 `protobuf:"bytes,7,opt,name=cursor,proto3" json:"cursor,omitempty"` // next_cursor of the previous call
	Confirm        bool                   `protobuf:"varint,8,opt,name=confirm,proto3" json:"confirm,omitempty"`
	unknownFields  protoimpl.UnknownFields
	sizeCache      protoimpl.SizeCache
}

func (x *DeleteTasksRequest) Reset() {
	*x = DeleteTasksRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[67]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeleteTasksRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeleteTasksRequest) ProtoMessage() {}

func (x *DeleteTasksRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[67]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeleteTasksRequest.ProtoReflect.Descriptor instead.
func (*DeleteTasksRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{67}
}

func (x *DeleteTasksRequest) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *DeleteTasksRequest) GetStatus() []TaskStatus {
	if x != nil {
		return x.Status
	}
	return nil
}

func (x *DeleteTasksRequest) GetCreatedAfter() *timestamppb.Timestamp {
	if x != nil {
		return x.CreatedAfter
	}
	return nil
}

func (x *DeleteTasksRequest) GetCreatedBefore() *timestamppb.Timestamp {
	if x != nil {
		return x.CreatedBefore
	}
	return nil
}

func (x *DeleteTasksRequest) GetFinishedAfter() *timestamppb.Timestamp {
	if x != nil {
		return x.FinishedAfter
	}
	return nil
}

func (x *DeleteTasksRequest) GetFinishedBefore() *timestamppb.Timestamp {
	if x != nil {
		return x.FinishedBefore
	}
	return nil
}

func (x *DeleteTasksRequest) GetCursor() string {
	if x != nil {
		return x.Cursor
	}
	return ""
}

func (x *DeleteTasksRequest) GetConfirm() bool {
	if x != nil {
		return x.Confirm
	}
	return false
}

type DeleteTasksResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Deleted       int32                  `protobuf:"varint,1,opt,name=deleted,proto3" json:"deleted,omitempty"`
	NextCursor    string                 `protobuf:"bytes,2,opt,name=next_cursor,json=nextCursor,proto3" json:"next_cursor,omitempty"` // empty once every matching task was looked at; as in RetryTasksResponse
	Stopped       *BulkStop              `protobuf:"bytes,3,opt,name=stopped,proto3" json:"stopped,omitempty"`                         // set when the store failed after `deleted` were deleted
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DeleteTasksResponse) Reset() {
	*x = DeleteTasksResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[68]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeleteTasksResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeleteTasksResponse) ProtoMessage() {}

func (x *DeleteTasksResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[68]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeleteTasksResponse.ProtoReflect.Descriptor instead.
func (*DeleteTasksResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{68}
}

func (x *DeleteTasksResponse) GetDeleted() int32 {
	if x != nil {
		return x.Deleted
	}
	return 0
}

func (x *DeleteTasksResponse) GetNextCursor() string {
	if x != nil {
		return x.NextCursor
	}
	return ""
}

func (x *DeleteTasksResponse) GetStopped() *BulkStop {
	if x != nil {
		return x.Stopped
	}
	return nil
}

type CancelTasksRequest struct {
	state          protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName   string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	Status         []TaskStatus           `protobuf:"varint,2,rep,packed,name=status,proto3,enum=taskexecutor.v1.TaskStatus" json:"status,omitempty"` // pending only
	CreatedAfter   *timestamppb.Timestamp `protobuf:"bytes,3,opt,name=created_after,json=createdAfter,proto3" json:"created_after,omitempty"`
	CreatedBefore  *timestamppb.Timestamp `protobuf:"bytes,4,opt,name=created_before,json=createdBefore,proto3" json:"created_before,omitempty"`
	FinishedAfter  *timestamppb.Timestamp `protobuf:"bytes,5,opt,name=finished_after,json=finishedAfter,proto3" json:"finished_after,omitempty"`
	FinishedBefore *timestamppb.Timestamp `protobuf:"bytes,6,opt,name=finished_before,json=finishedBefore,proto3" json:"finished_before,omitempty"`
	Cursor         string                 `protobuf:"bytes,7,opt,name=cursor,proto3" json:"cursor,omitempty"`
	Confirm        bool                   `protobuf:"varint,8,opt,name=confirm,proto3" json:"confirm,omitempty"`
	unknownFields  protoimpl.UnknownFields
	sizeCache      protoimpl.SizeCache
}

func (x *CancelTasksRequest) Reset() {
	*x = CancelTasksRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[69]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CancelTasksRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CancelTasksRequest) ProtoMessage() {}

func (x *CancelTasksRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[69]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CancelTasksRequest.ProtoReflect.Descriptor instead.
func (*CancelTasksRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{69}
}

func (x *CancelTasksRequest) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *CancelTasksRequest) GetStatus() []TaskStatus {
	if x != nil {
		return x.Status
	}
	return nil
}

func (x *CancelTasksRequest) GetCreatedAfter() *timestamppb.Timestamp {
	if x != nil {
		return x.CreatedAfter
	}
	return nil
}

func (x *CancelTasksRequest) GetCreatedBefore() *timestamppb.Timestamp {
	if x != nil {
		return x.CreatedBefore
	}
	return nil
}

func (x *CancelTasksRequest) GetFinishedAfter() *timestamppb.Timestamp {
	if x != nil {
		return x.FinishedAfter
	}
	return nil
}

func (x *CancelTasksRequest) GetFinishedBefore() *timestamppb.Timestamp {
	if x != nil {
		return x.FinishedBefore
	}
	return nil
}

func (x *CancelTasksRequest) GetCursor() string {
	if x != nil {
		return x.Cursor
	}
	return ""
}

func (x *CancelTasksRequest) GetConfirm() bool {
	if x != nil {
		return x.Confirm
	}
	return false
}

type CancelTasksResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Cancelled     int32                  `protobuf:"varint,1,opt,name=cancelled,proto3" json:"cancelled,omitempty"`
	NextCursor    string                 `protobuf:"bytes,2,opt,name=next_cursor,json=nextCursor,proto3" json:"next_cursor,omitempty"` // as in RetryTasksResponse
	Stopped       *BulkStop              `protobuf:"bytes,3,opt,name=stopped,proto3" json:"stopped,omitempty"`                         // set when the call stopped part way; `cancelled` were cancelled
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CancelTasksResponse) Reset() {
	*x = CancelTasksResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[70]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CancelTasksResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CancelTasksResponse) ProtoMessage() {}

func (x *CancelTasksResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[70]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CancelTasksResponse.ProtoReflect.Descriptor instead.
func (*CancelTasksResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{70}
}

func (x *CancelTasksResponse) GetCancelled() int32 {
	if x != nil {
		return x.Cancelled
	}
	return 0
}

func (x *CancelTasksResponse) GetNextCursor() string {
	if x != nil {
		return x.NextCursor
	}
	return ""
}

func (x *CancelTasksResponse) GetStopped() *BulkStop {
	if x != nil {
		return x.Stopped
	}
	return nil
}

type RetryTasksRequest struct {
	state          protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName   string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	Status         []TaskStatus           `protobuf:"varint,2,rep,packed,name=status,proto3,enum=taskexecutor.v1.TaskStatus" json:"status,omitempty"` // within failed, dlq
	CreatedAfter   *timestamppb.Timestamp `protobuf:"bytes,3,opt,name=created_after,json=createdAfter,proto3" json:"created_after,omitempty"`
	CreatedBefore  *timestamppb.Timestamp `protobuf:"bytes,4,opt,name=created_before,json=createdBefore,proto3" json:"created_before,omitempty"`
	FinishedAfter  *timestamppb.Timestamp `protobuf:"bytes,5,opt,name=finished_after,json=finishedAfter,proto3" json:"finished_after,omitempty"`
	FinishedBefore *timestamppb.Timestamp `protobuf:"bytes,6,opt,name=finished_before,json=finishedBefore,proto3" json:"finished_before,omitempty"`
	Cursor         string                 `protobuf:"bytes,7,opt,name=cursor,proto3" json:"cursor,omitempty"`
	Confirm        bool                   `protobuf:"varint,8,opt,name=confirm,proto3" json:"confirm,omitempty"`
	unknownFields  protoimpl.UnknownFields
	sizeCache      protoimpl.SizeCache
}

func (x *RetryTasksRequest) Reset() {
	*x = RetryTasksRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[71]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RetryTasksRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RetryTasksRequest) ProtoMessage() {}

func (x *RetryTasksRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[71]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RetryTasksRequest.ProtoReflect.Descriptor instead.
func (*RetryTasksRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{71}
}

func (x *RetryTasksRequest) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *RetryTasksRequest) GetStatus() []TaskStatus {
	if x != nil {
		return x.Status
	}
	return nil
}

func (x *RetryTasksRequest) GetCreatedAfter() *timestamppb.Timestamp {
	if x != nil {
		return x.CreatedAfter
	}
	return nil
}

func (x *RetryTasksRequest) GetCreatedBefore() *timestamppb.Timestamp {
	if x != nil {
		return x.CreatedBefore
	}
	return nil
}

func (x *RetryTasksRequest) GetFinishedAfter() *timestamppb.Timestamp {
	if x != nil {
		return x.FinishedAfter
	}
	return nil
}

func (x *RetryTasksRequest) GetFinishedBefore() *timestamppb.Timestamp {
	if x != nil {
		return x.FinishedBefore
	}
	return nil
}

func (x *RetryTasksRequest) GetCursor() string {
	if x != nil {
		return x.Cursor
	}
	return ""
}

func (x *RetryTasksRequest) GetConfirm() bool {
	if x != nil {
		return x.Confirm
	}
	return false
}

type RetryTasksResponse struct {
	state   protoimpl.MessageState `protogen:"open.v1"`
	Retried int32                  `protobuf:"varint,1,opt,name=retried,proto3" json:"retried,omitempty"`
	Invalid int32                  `protobuf:"varint,2,opt,name=invalid,proto3" json:"invalid,omitempty"` // left as they are: their data no longer fits the schema
	// Empty once every matching task was looked at. With `stopped`: the request's cursor, to
	// repeat the call (the tasks it ran again no longer match).
	NextCursor    string    `protobuf:"bytes,3,opt,name=next_cursor,json=nextCursor,proto3" json:"next_cursor,omitempty"`
	Stopped       *BulkStop `protobuf:"bytes,4,opt,name=stopped,proto3" json:"stopped,omitempty"` // set when the call stopped part way; `retried` were run again
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RetryTasksResponse) Reset() {
	*x = RetryTasksResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[72]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RetryTasksResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RetryTasksResponse) ProtoMessage() {}

func (x *RetryTasksResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[72]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RetryTasksResponse.ProtoReflect.Descriptor instead.
func (*RetryTasksResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{72}
}

func (x *RetryTasksResponse) GetRetried() int32 {
	if x != nil {
		return x.Retried
	}
	return 0
}

func (x *RetryTasksResponse) GetInvalid() int32 {
	if x != nil {
		return x.Invalid
	}
	return 0
}

func (x *RetryTasksResponse) GetNextCursor() string {
	if x != nil {
		return x.NextCursor
	}
	return ""
}

func (x *RetryTasksResponse) GetStopped() *BulkStop {
	if x != nil {
		return x.Stopped
	}
	return nil
}

// Why a bulk call that writes a task (or a batch) at a time stopped after some writes: the status
// the call would have failed with had it written nothing (UNAVAILABLE when a task's data could
// not be validated in time, or the store failed). A bulk call that fails before its first write
// fails with that status instead: a failed call stored nothing.
type BulkStop struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Code          int32                  `protobuf:"varint,1,opt,name=code,proto3" json:"code,omitempty"` // the gRPC status code
	Message       string                 `protobuf:"bytes,2,opt,name=message,proto3" json:"message,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *BulkStop) Reset() {
	*x = BulkStop{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[73]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *BulkStop) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*BulkStop) ProtoMessage() {}

func (x *BulkStop) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[73]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use BulkStop.ProtoReflect.Descriptor instead.
func (*BulkStop) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{73}
}

func (x *BulkStop) GetCode() int32 {
	if x != nil {
		return x.Code
	}
	return 0
}

func (x *BulkStop) GetMessage() string {
	if x != nil {
		return x.Message
	}
	return ""
}

// The task each fire creates.
type ScheduleTask struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Data          *structpb.Value        `protobuf:"bytes,1,opt,name=data,proto3" json:"data,omitempty"` // unset = null
	Metadata      map[string]string      `protobuf:"bytes,2,rep,name=metadata,proto3" json:"metadata,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	Priority      int32                  `protobuf:"varint,3,opt,name=priority,proto3" json:"priority,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ScheduleTask) Reset() {
	*x = ScheduleTask{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[74]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ScheduleTask) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ScheduleTask) ProtoMessage() {}

func (x *ScheduleTask) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[74]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ScheduleTask.ProtoReflect.Descriptor instead.
func (*ScheduleTask) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{74}
}

func (x *ScheduleTask) GetData() *structpb.Value {
	if x != nil {
		return x.Data
	}
	return nil
}

func (x *ScheduleTask) GetMetadata() map[string]string {
	if x != nil {
		return x.Metadata
	}
	return nil
}

func (x *ScheduleTask) GetPriority() int32 {
	if x != nil {
		return x.Priority
	}
	return 0
}

// A schedule as created or changed. On update, unset fields keep their value; a zero (epoch)
// start_at or end_at clears it. Give either cron or every.
type ScheduleConfig struct {
	state            protoimpl.MessageState `protogen:"open.v1"`
	Name             string                 `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
	ExecutorName     string                 `protobuf:"bytes,2,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	Cron             string                 `protobuf:"bytes,3,opt,name=cron,proto3" json:"cron,omitempty"`                                                                                          // 5 fields, or 6 with seconds first
	Every            *durationpb.Duration   `protobuf:"bytes,4,opt,name=every,proto3" json:"every,omitempty"`                                                                                        // at least 1 s
	Timezone         string                 `protobuf:"bytes,5,opt,name=timezone,proto3" json:"timezone,omitempty"`                                                                                  // IANA name; default UTC
	Task             *ScheduleTask          `protobuf:"bytes,6,opt,name=task,proto3" json:"task,omitempty"`                                                                                          // replaces the whole task when set
	Enabled          *bool                  `protobuf:"varint,7,opt,name=enabled,proto3,oneof" json:"enabled,omitempty"`                                                                             // default true
	OverlapPolicy    OverlapPolicy          `protobuf:"varint,8,opt,name=overlap_policy,json=overlapPolicy,proto3,enum=taskexecutor.v1.OverlapPolicy" json:"overlap_policy,omitempty"`               // default skip
	MissedFirePolicy MissedFirePolicy       `protobuf:"varint,9,opt,name=missed_fire_policy,json=missedFirePolicy,proto3,enum=taskexecutor.v1.MissedFirePolicy" json:"missed_fire_policy,omitempty"` // default run_once
	MaxMissedFires   int32                  `protobuf:"varint,10,opt,name=max_missed_fires,json=maxMissedFires,proto3" json:"max_missed_fires,omitempty"`                                            // default 10
	Jitter           *durationpb.Duration   `protobuf:"bytes,11,opt,name=jitter,proto3" json:"jitter,omitempty"`
	StartAt          *timestamppb.Timestamp `protobuf:"bytes,12,opt,name=start_at,json=startAt,proto3" json:"start_at,omitempty"`
	EndAt            *timestamppb.Timestamp `protobuf:"bytes,13,opt,name=end_at,json=endAt,proto3" json:"end_at,omitempty"`
	unknownFields    protoimpl.UnknownFields
	sizeCache        protoimpl.SizeCache
}

func (x *ScheduleConfig) Reset() {
	*x = ScheduleConfig{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[75]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ScheduleConfig) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ScheduleConfig) ProtoMessage() {}

func (x *ScheduleConfig) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[75]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ScheduleConfig.ProtoReflect.Descriptor instead.
func (*ScheduleConfig) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{75}
}

func (x *ScheduleConfig) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *ScheduleConfig) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *ScheduleConfig) GetCron() string {
	if x != nil {
		return x.Cron
	}
	return ""
}

func (x *ScheduleConfig) GetEvery() *durationpb.Duration {
	if x != nil {
		return x.Every
	}
	return nil
}

func (x *ScheduleConfig) GetTimezone() string {
	if x != nil {
		return x.Timezone
	}
	return ""
}

func (x *ScheduleConfig) GetTask() *ScheduleTask {
	if x != nil {
		return x.Task
	}
	return nil
}

func (x *ScheduleConfig) GetEnabled() bool {
	if x != nil && x.Enabled != nil {
		return *x.Enabled
	}
	return false
}

func (x *ScheduleConfig) GetOverlapPolicy() OverlapPolicy {
	if x != nil {
		return x.OverlapPolicy
	}
	return OverlapPolicy_OVERLAP_POLICY_UNSPECIFIED
}

func (x *ScheduleConfig) GetMissedFirePolicy() MissedFirePolicy {
	if x != nil {
		return x.MissedFirePolicy
	}
	return MissedFirePolicy_MISSED_FIRE_POLICY_UNSPECIFIED
}

func (x *ScheduleConfig) GetMaxMissedFires() int32 {
	if x != nil {
		return x.MaxMissedFires
	}
	return 0
}

func (x *ScheduleConfig) GetJitter() *durationpb.Duration {
	if x != nil {
		return x.Jitter
	}
	return nil
}

func (x *ScheduleConfig) GetStartAt() *timestamppb.Timestamp {
	if x != nil {
		return x.StartAt
	}
	return nil
}

func (x *ScheduleConfig) GetEndAt() *timestamppb.Timestamp {
	if x != nil {
		return x.EndAt
	}
	return nil
}

type ScheduleFire struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	FireAt        *timestamppb.Timestamp `protobuf:"bytes,1,opt,name=fire_at,json=fireAt,proto3" json:"fire_at,omitempty"`
	FiredAt       *timestamppb.Timestamp `protobuf:"bytes,2,opt,name=fired_at,json=firedAt,proto3" json:"fired_at,omitempty"`
	TaskId        string                 `protobuf:"bytes,3,opt,name=task_id,json=taskId,proto3" json:"task_id,omitempty"` // empty when skipped
	Skipped       ScheduleSkipReason     `protobuf:"varint,4,opt,name=skipped,proto3,enum=taskexecutor.v1.ScheduleSkipReason" json:"skipped,omitempty"`
	Manual        bool                   `protobuf:"varint,5,opt,name=manual,proto3" json:"manual,omitempty"` // TriggerSchedule
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ScheduleFire) Reset() {
	*x = ScheduleFire{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[76]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ScheduleFire) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ScheduleFire) ProtoMessage() {}

func (x *ScheduleFire) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[76]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ScheduleFire.ProtoReflect.Descriptor instead.
func (*ScheduleFire) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{76}
}

func (x *ScheduleFire) GetFireAt() *timestamppb.Timestamp {
	if x != nil {
		return x.FireAt
	}
	return nil
}

func (x *ScheduleFire) GetFiredAt() *timestamppb.Timestamp {
	if x != nil {
		return x.FiredAt
	}
	return nil
}

func (x *ScheduleFire) GetTaskId() string {
	if x != nil {
		return x.TaskId
	}
	return ""
}

func (x *ScheduleFire) GetSkipped() ScheduleSkipReason {
	if x != nil {
		return x.Skipped
	}
	return ScheduleSkipReason_SCHEDULE_SKIP_REASON_UNSPECIFIED
}

func (x *ScheduleFire) GetManual() bool {
	if x != nil {
		return x.Manual
	}
	return false
}

type Schedule struct {
	state            protoimpl.MessageState   `protogen:"open.v1"`
	Id               string                   `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Name             string                   `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	ExecutorName     string                   `protobuf:"bytes,3,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	Cron             string                   `protobuf:"bytes,4,opt,name=cron,proto3" json:"cron,omitempty"`   // empty with every
	Every            *durationpb.Duration     `protobuf:"bytes,5,opt,name=every,proto3" json:"every,omitempty"` // unset with cron
	Timezone         string                   `protobuf:"bytes,6,opt,name=timezone,proto3" json:"timezone,omitempty"`
	Task             *ScheduleTask            `protobuf:"bytes,7,opt,name=task,proto3" json:"task,omitempty"`
	Enabled          bool                     `protobuf:"varint,8,opt,name=enabled,proto3" json:"enabled,omitempty"`
	OverlapPolicy    OverlapPolicy            `protobuf:"varint,9,opt,name=overlap_policy,json=overlapPolicy,proto3,enum=taskexecutor.v1.OverlapPolicy" json:"overlap_policy,omitempty"`
	MissedFirePolicy MissedFirePolicy         `protobuf:"varint,10,opt,name=missed_fire_policy,json=missedFirePolicy,proto3,enum=taskexecutor.v1.MissedFirePolicy" json:"missed_fire_policy,omitempty"`
	MaxMissedFires   int32                    `protobuf:"varint,11,opt,name=max_missed_fires,json=maxMissedFires,proto3" json:"max_missed_fires,omitempty"`
	Jitter           *durationpb.Duration     `protobuf:"bytes,12,opt,name=jitter,proto3" json:"jitter,omitempty"`
	StartAt          *timestamppb.Timestamp   `protobuf:"bytes,13,opt,name=start_at,json=startAt,proto3" json:"start_at,omitempty"`
	EndAt            *timestamppb.Timestamp   `protobuf:"bytes,14,opt,name=end_at,json=endAt,proto3" json:"end_at,omitempty"`
	NextFireAt       *timestamppb.Timestamp   `protobuf:"bytes,15,opt,name=next_fire_at,json=nextFireAt,proto3" json:"next_fire_at,omitempty"` // unset when paused or past end_at
	NextFires        []*timestamppb.Timestamp `protobuf:"bytes,16,rep,name=next_fires,json=nextFires,proto3" json:"next_fires,omitempty"`
	LastFires        []*ScheduleFire          `protobuf:"bytes,17,rep,name=last_fires,json=lastFires,proto3" json:"last_fires,omitempty"` // newest first
	CreatedAt        *timestamppb.Timestamp   `protobuf:"bytes,18,opt,name=created_at,json=createdAt,proto3" json:"created_at,omitempty"`
	UpdatedAt        *timestamppb.Timestamp   `protobuf:"bytes,19,opt,name=updated_at,json=updatedAt,proto3" json:"updated_at,omitempty"`
	unknownFields    protoimpl.UnknownFields
	sizeCache        protoimpl.SizeCache
}

func (x *Schedule) Reset() {
	*x = Schedule{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[77]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Schedule) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Schedule) ProtoMessage() {}

func (x *Schedule) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[77]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Schedule.ProtoReflect.Descriptor instead.
func (*Schedule) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{77}
}

func (x *Schedule) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *Schedule) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *Schedule) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *Schedule) GetCron() string {
	if x != nil {
		return x.Cron
	}
	return ""
}

func (x *Schedule) GetEvery() *durationpb.Duration {
	if x != nil {
		return x.Every
	}
	return nil
}

func (x *Schedule) GetTimezone() string {
	if x != nil {
		return x.Timezone
	}
	return ""
}

func (x *Schedule) GetTask() *ScheduleTask {
	if x != nil {
		return x.Task
	}
	return nil
}

func (x *Schedule) GetEnabled() bool {
	if x != nil {
		return x.Enabled
	}
	return false
}

func (x *Schedule) GetOverlapPolicy() OverlapPolicy {
	if x != nil {
		return x.OverlapPolicy
	}
	return OverlapPolicy_OVERLAP_POLICY_UNSPECIFIED
}

func (x *Schedule) GetMissedFirePolicy() MissedFirePolicy {
	if x != nil {
		return x.MissedFirePolicy
	}
	return MissedFirePolicy_MISSED_FIRE_POLICY_UNSPECIFIED
}

func (x *Schedule) GetMaxMissedFires() int32 {
	if x != nil {
		return x.MaxMissedFires
	}
	return 0
}

func (x *Schedule) GetJitter() *durationpb.Duration {
	if x != nil {
		return x.Jitter
	}
	return nil
}

func (x *Schedule) GetStartAt() *timestamppb.Timestamp {
	if x != nil {
		return x.StartAt
	}
	return nil
}

func (x *Schedule) GetEndAt() *timestamppb.Timestamp {
	if x != nil {
		return x.EndAt
	}
	return nil
}

func (x *Schedule) GetNextFireAt() *timestamppb.Timestamp {
	if x != nil {
		return x.NextFireAt
	}
	return nil
}

func (x *Schedule) GetNextFires() []*timestamppb.Timestamp {
	if x != nil {
		return x.NextFires
	}
	return nil
}

func (x *Schedule) GetLastFires() []*ScheduleFire {
	if x != nil {
		return x.LastFires
	}
	return nil
}

func (x *Schedule) GetCreatedAt() *timestamppb.Timestamp {
	if x != nil {
		return x.CreatedAt
	}
	return nil
}

func (x *Schedule) GetUpdatedAt() *timestamppb.Timestamp {
	if x != nil {
		return x.UpdatedAt
	}
	return nil
}

type CreateScheduleRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Config        *ScheduleConfig        `protobuf:"bytes,1,opt,name=config,proto3" json:"config,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreateScheduleRequest) Reset() {
	*x = CreateScheduleRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[78]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateScheduleRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateScheduleRequest) ProtoMessage() {}

func (x *CreateScheduleRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[78]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateScheduleRequest.ProtoReflect.Descriptor instead.
func (*CreateScheduleRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{78}
}

func (x *CreateScheduleRequest) GetConfig() *ScheduleConfig {
	if x != nil {
		return x.Config
	}
	return nil
}

type CreateScheduleResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Schedule      *Schedule              `protobuf:"bytes,1,opt,name=schedule,proto3" json:"schedule,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreateScheduleResponse) Reset() {
	*x = CreateScheduleResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[79]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateScheduleResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateScheduleResponse) ProtoMessage() {}

func (x *CreateScheduleResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[79]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateScheduleResponse.ProtoReflect.Descriptor instead.
func (*CreateScheduleResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{79}
}

func (x *CreateScheduleResponse) GetSchedule() *Schedule {
	if x != nil {
		return x.Schedule
	}
	return nil
}

type ListSchedulesRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName  string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	Fires         int32                  `protobuf:"varint,2,opt,name=fires,proto3" json:"fires,omitempty"`  // next fire times per schedule; 0 = 5
	Cursor        string                 `protobuf:"bytes,3,opt,name=cursor,proto3" json:"cursor,omitempty"` // next_cursor of the previous page
	Limit         int32                  `protobuf:"varint,4,opt,name=limit,proto3" json:"limit,omitempty"`  // 1..1000; 0 = 50
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListSchedulesRequest) Reset() {
	*x = ListSchedulesRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[80]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListSchedulesRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListSchedulesRequest) ProtoMessage() {}

func (x *ListSchedulesRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[80]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListSchedulesRequest.ProtoReflect.Descriptor instead.
func (*ListSchedulesRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{80}
}

func (x *ListSchedulesRequest) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *ListSchedulesRequest) GetFires() int32 {
	if x != nil {
		return x.Fires
	}
	return 0
}

func (x *ListSchedulesRequest) GetCursor() string {
	if x != nil {
		return x.Cursor
	}
	return ""
}

func (x *ListSchedulesRequest) GetLimit() int32 {
	if x != nil {
		return x.Limit
	}
	return 0
}

// By name. A page ends at `limit` schedules or before 2 MiB (one schedule at least), so it may
// hold fewer while `next_cursor` says more follow.
type ListSchedulesResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Schedules     []*Schedule            `protobuf:"bytes,1,rep,name=schedules,proto3" json:"schedules,omitempty"`
	NextCursor    string                 `protobuf:"bytes,2,opt,name=next_cursor,json=nextCursor,proto3" json:"next_cursor,omitempty"` // empty on the last page
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListSchedulesResponse) Reset() {
	*x = ListSchedulesResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[81]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListSchedulesResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListSchedulesResponse) ProtoMessage() {}

func (x *ListSchedulesResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[81]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListSchedulesResponse.ProtoReflect.Descriptor instead.
func (*ListSchedulesResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{81}
}

func (x *ListSchedulesResponse) GetSchedules() []*Schedule {
	if x != nil {
		return x.Schedules
	}
	return nil
}

func (x *ListSchedulesResponse) GetNextCursor() string {
	if x != nil {
		return x.NextCursor
	}
	return ""
}

type GetScheduleRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"` // id or name
	Fires         int32                  `protobuf:"varint,2,opt,name=fires,proto3" json:"fires,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetScheduleRequest) Reset() {
	*x = GetScheduleRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[82]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetScheduleRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetScheduleRequest) ProtoMessage() {}

func (x *GetScheduleRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[82]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetScheduleRequest.ProtoReflect.Descriptor instead.
func (*GetScheduleRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{82}
}

func (x *GetScheduleRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *GetScheduleRequest) GetFires() int32 {
	if x != nil {
		return x.Fires
	}
	return 0
}

type GetScheduleResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Schedule      *Schedule              `protobuf:"bytes,1,opt,name=schedule,proto3" json:"schedule,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetScheduleResponse) Reset() {
	*x = GetScheduleResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[83]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetScheduleResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetScheduleResponse) ProtoMessage() {}

func (x *GetScheduleResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[83]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetScheduleResponse.ProtoReflect.Descriptor instead.
func (*GetScheduleResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{83}
}

func (x *GetScheduleResponse) GetSchedule() *Schedule {
	if x != nil {
		return x.Schedule
	}
	return nil
}

type UpdateScheduleRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"` // id or name
	Config        *ScheduleConfig        `protobuf:"bytes,2,opt,name=config,proto3" json:"config,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *UpdateScheduleRequest) Reset() {
	*x = UpdateScheduleRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[84]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *UpdateScheduleRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*UpdateScheduleRequest) ProtoMessage() {}

func (x *UpdateScheduleRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[84]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use UpdateScheduleRequest.ProtoReflect.Descriptor instead.
func (*UpdateScheduleRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{84}
}

func (x *UpdateScheduleRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *UpdateScheduleRequest) GetConfig() *ScheduleConfig {
	if x != nil {
		return x.Config
	}
	return nil
}

type UpdateScheduleResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Schedule      *Schedule              `protobuf:"bytes,1,opt,name=schedule,proto3" json:"schedule,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *UpdateScheduleResponse) Reset() {
	*x = UpdateScheduleResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[85]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *UpdateScheduleResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*UpdateScheduleResponse) ProtoMessage() {}

func (x *UpdateScheduleResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[85]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use UpdateScheduleResponse.ProtoReflect.Descriptor instead.
func (*UpdateScheduleResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{85}
}

func (x *UpdateScheduleResponse) GetSchedule() *Schedule {
	if x != nil {
		return x.Schedule
	}
	return nil
}

type DeleteScheduleRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DeleteScheduleRequest) Reset() {
	*x = DeleteScheduleRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[86]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeleteScheduleRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeleteScheduleRequest) ProtoMessage() {}

func (x *DeleteScheduleRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[86]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeleteScheduleRequest.ProtoReflect.Descriptor instead.
func (*DeleteScheduleRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{86}
}

func (x *DeleteScheduleRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

type DeleteScheduleResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Deleted       bool                   `protobuf:"varint,1,opt,name=deleted,proto3" json:"deleted,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DeleteScheduleResponse) Reset() {
	*x = DeleteScheduleResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[87]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeleteScheduleResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeleteScheduleResponse) ProtoMessage() {}

func (x *DeleteScheduleResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[87]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeleteScheduleResponse.ProtoReflect.Descriptor instead.
func (*DeleteScheduleResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{87}
}

func (x *DeleteScheduleResponse) GetDeleted() bool {
	if x != nil {
		return x.Deleted
	}
	return false
}

type PauseScheduleRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PauseScheduleRequest) Reset() {
	*x = PauseScheduleRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[88]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PauseScheduleRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PauseScheduleRequest) ProtoMessage() {}

func (x *PauseScheduleRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[88]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PauseScheduleRequest.ProtoReflect.Descriptor instead.
func (*PauseScheduleRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{88}
}

func (x *PauseScheduleRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

type PauseScheduleResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Schedule      *Schedule              `protobuf:"bytes,1,opt,name=schedule,proto3" json:"schedule,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PauseScheduleResponse) Reset() {
	*x = PauseScheduleResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[89]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PauseScheduleResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PauseScheduleResponse) ProtoMessage() {}

func (x *PauseScheduleResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[89]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PauseScheduleResponse.ProtoReflect.Descriptor instead.
func (*PauseScheduleResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{89}
}

func (x *PauseScheduleResponse) GetSchedule() *Schedule {
	if x != nil {
		return x.Schedule
	}
	return nil
}

type ResumeScheduleRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ResumeScheduleRequest) Reset() {
	*x = ResumeScheduleRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[90]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ResumeScheduleRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ResumeScheduleRequest) ProtoMessage() {}

func (x *ResumeScheduleRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[90]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ResumeScheduleRequest.ProtoReflect.Descriptor instead.
func (*ResumeScheduleRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{90}
}

func (x *ResumeScheduleRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

type ResumeScheduleResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Schedule      *Schedule              `protobuf:"bytes,1,opt,name=schedule,proto3" json:"schedule,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ResumeScheduleResponse) Reset() {
	*x = ResumeScheduleResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[91]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ResumeScheduleResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ResumeScheduleResponse) ProtoMessage() {}

func (x *ResumeScheduleResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[91]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ResumeScheduleResponse.ProtoReflect.Descriptor instead.
func (*ResumeScheduleResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{91}
}

func (x *ResumeScheduleResponse) GetSchedule() *Schedule {
	if x != nil {
		return x.Schedule
	}
	return nil
}

// Creates the schedule's task now, paused or not.
type TriggerScheduleRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *TriggerScheduleRequest) Reset() {
	*x = TriggerScheduleRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[92]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *TriggerScheduleRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*TriggerScheduleRequest) ProtoMessage() {}

func (x *TriggerScheduleRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[92]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use TriggerScheduleRequest.ProtoReflect.Descriptor instead.
func (*TriggerScheduleRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{92}
}

func (x *TriggerScheduleRequest) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

type TriggerScheduleResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Schedule      *Schedule              `protobuf:"bytes,1,opt,name=schedule,proto3" json:"schedule,omitempty"`
	TaskId        string                 `protobuf:"bytes,2,opt,name=task_id,json=taskId,proto3" json:"task_id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *TriggerScheduleResponse) Reset() {
	*x = TriggerScheduleResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[93]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *TriggerScheduleResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*TriggerScheduleResponse) ProtoMessage() {}

func (x *TriggerScheduleResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[93]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use TriggerScheduleResponse.ProtoReflect.Descriptor instead.
func (*TriggerScheduleResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{93}
}

func (x *TriggerScheduleResponse) GetSchedule() *Schedule {
	if x != nil {
		return x.Schedule
	}
	return nil
}

func (x *TriggerScheduleResponse) GetTaskId() string {
	if x != nil {
		return x.TaskId
	}
	return ""
}

// The next fire times of timing fields not saved yet (only cron, every, timezone, start_at and
// end_at of `config` are read).
type PreviewScheduleRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Config        *ScheduleConfig        `protobuf:"bytes,1,opt,name=config,proto3" json:"config,omitempty"`
	Count         int32                  `protobuf:"varint,2,opt,name=count,proto3" json:"count,omitempty"` // 0 = 5
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PreviewScheduleRequest) Reset() {
	*x = PreviewScheduleRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[94]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PreviewScheduleRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PreviewScheduleRequest) ProtoMessage() {}

func (x *PreviewScheduleRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[94]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PreviewScheduleRequest.ProtoReflect.Descriptor instead.
func (*PreviewScheduleRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{94}
}

func (x *PreviewScheduleRequest) GetConfig() *ScheduleConfig {
	if x != nil {
		return x.Config
	}
	return nil
}

func (x *PreviewScheduleRequest) GetCount() int32 {
	if x != nil {
		return x.Count
	}
	return 0
}

type PreviewScheduleResponse struct {
	state         protoimpl.MessageState   `protogen:"open.v1"`
	NextFires     []*timestamppb.Timestamp `protobuf:"bytes,1,rep,name=next_fires,json=nextFires,proto3" json:"next_fires,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PreviewScheduleResponse) Reset() {
	*x = PreviewScheduleResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[95]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PreviewScheduleResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PreviewScheduleResponse) ProtoMessage() {}

func (x *PreviewScheduleResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[95]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PreviewScheduleResponse.ProtoReflect.Descriptor instead.
func (*PreviewScheduleResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{95}
}

func (x *PreviewScheduleResponse) GetNextFires() []*timestamppb.Timestamp {
	if x != nil {
		return x.NextFires
	}
	return nil
}

// What happened in one time slot.
type HistorySlot struct {
	state          protoimpl.MessageState `protogen:"open.v1"`
	Created        int64                  `protobuf:"varint,1,opt,name=created,proto3" json:"created,omitempty"`
	Started        int64                  `protobuf:"varint,2,opt,name=started,proto3" json:"started,omitempty"`
	Completed      int64                  `protobuf:"varint,3,opt,name=completed,proto3" json:"completed,omitempty"`
	FailedAttempts int64                  `protobuf:"varint,4,opt,name=failed_attempts,json=failedAttempts,proto3" json:"failed_attempts,omitempty"`
	Retried        int64                  `protobuf:"varint,5,opt,name=retried,proto3" json:"retried,omitempty"`
	DeadLettered   int64                  `protobuf:"varint,6,opt,name=dead_lettered,json=deadLettered,proto3" json:"dead_lettered,omitempty"`
	Cancelled      int64                  `protobuf:"varint,7,opt,name=cancelled,proto3" json:"cancelled,omitempty"`
	// Queue wait (due to leased) and run time (leased to settled), from histograms, whole ms;
	// unset when nothing ran.
	QueueWaitP50  *durationpb.Duration `protobuf:"bytes,8,opt,name=queue_wait_p50,json=queueWaitP50,proto3" json:"queue_wait_p50,omitempty"`
	QueueWaitP95  *durationpb.Duration `protobuf:"bytes,9,opt,name=queue_wait_p95,json=queueWaitP95,proto3" json:"queue_wait_p95,omitempty"`
	RunTimeP50    *durationpb.Duration `protobuf:"bytes,10,opt,name=run_time_p50,json=runTimeP50,proto3" json:"run_time_p50,omitempty"`
	RunTimeP95    *durationpb.Duration `protobuf:"bytes,11,opt,name=run_time_p95,json=runTimeP95,proto3" json:"run_time_p95,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *HistorySlot) Reset() {
	*x = HistorySlot{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[96]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *HistorySlot) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*HistorySlot) ProtoMessage() {}

func (x *HistorySlot) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[96]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use HistorySlot.ProtoReflect.Descriptor instead.
func (*HistorySlot) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{96}
}

func (x *HistorySlot) GetCreated() int64 {
	if x != nil {
		return x.Created
	}
	return 0
}

func (x *HistorySlot) GetStarted() int64 {
	if x != nil {
		return x.Started
	}
	return 0
}

func (x *HistorySlot) GetCompleted() int64 {
	if x != nil {
		return x.Completed
	}
	return 0
}

func (x *HistorySlot) GetFailedAttempts() int64 {
	if x != nil {
		return x.FailedAttempts
	}
	return 0
}

func (x *HistorySlot) GetRetried() int64 {
	if x != nil {
		return x.Retried
	}
	return 0
}

func (x *HistorySlot) GetDeadLettered() int64 {
	if x != nil {
		return x.DeadLettered
	}
	return 0
}

func (x *HistorySlot) GetCancelled() int64 {
	if x != nil {
		return x.Cancelled
	}
	return 0
}

func (x *HistorySlot) GetQueueWaitP50() *durationpb.Duration {
	if x != nil {
		return x.QueueWaitP50
	}
	return nil
}

func (x *HistorySlot) GetQueueWaitP95() *durationpb.Duration {
	if x != nil {
		return x.QueueWaitP95
	}
	return nil
}

func (x *HistorySlot) GetRunTimeP50() *durationpb.Duration {
	if x != nil {
		return x.RunTimeP50
	}
	return nil
}

func (x *HistorySlot) GetRunTimeP95() *durationpb.Duration {
	if x != nil {
		return x.RunTimeP95
	}
	return nil
}

type HistoryPoint struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	At            *timestamppb.Timestamp `protobuf:"bytes,1,opt,name=at,proto3" json:"at,omitempty"` // the slot is [at, at + step)
	Slot          *HistorySlot           `protobuf:"bytes,2,opt,name=slot,proto3" json:"slot,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *HistoryPoint) Reset() {
	*x = HistoryPoint{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[97]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *HistoryPoint) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*HistoryPoint) ProtoMessage() {}

func (x *HistoryPoint) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[97]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use HistoryPoint.ProtoReflect.Descriptor instead.
func (*HistoryPoint) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{97}
}

func (x *HistoryPoint) GetAt() *timestamppb.Timestamp {
	if x != nil {
		return x.At
	}
	return nil
}

func (x *HistoryPoint) GetSlot() *HistorySlot {
	if x != nil {
		return x.Slot
	}
	return nil
}

type GetHistoryRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// One executor: one that exists, or one deleted whose rows are kept (until HISTORY_TTL), else
	// NOT_FOUND; empty = every executor summed, deleted ones' rows too.
	ExecutorName string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	From         *timestamppb.Timestamp `protobuf:"bytes,2,opt,name=from,proto3" json:"from,omitempty"` // default: an hour before `to`
	To           *timestamppb.Timestamp `protobuf:"bytes,3,opt,name=to,proto3" json:"to,omitempty"`     // default: the end of the current minute
	Step         *durationpb.Duration   `protobuf:"bytes,4,opt,name=step,proto3" json:"step,omitempty"` // whole minutes from 1m to 7d; default 1m
	// Several executors, each answered apart in `series` in this order: each once, 1 to 100, each
	// one that exists or one deleted whose rows are kept (else NOT_FOUND, as for `executor_name`);
	// `points` and `totals` are then theirs summed. Not with `executor_name`.
	ExecutorNames []string `protobuf:"bytes,5,rep,name=executor_names,json=executorNames,proto3" json:"executor_names,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetHistoryRequest) Reset() {
	*x = GetHistoryRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[98]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetHistoryRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetHistoryRequest) ProtoMessage() {}

func (x *GetHistoryRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[98]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetHistoryRequest.ProtoReflect.Descriptor instead.
func (*GetHistoryRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{98}
}

func (x *GetHistoryRequest) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *GetHistoryRequest) GetFrom() *timestamppb.Timestamp {
	if x != nil {
		return x.From
	}
	return nil
}

func (x *GetHistoryRequest) GetTo() *timestamppb.Timestamp {
	if x != nil {
		return x.To
	}
	return nil
}

func (x *GetHistoryRequest) GetStep() *durationpb.Duration {
	if x != nil {
		return x.Step
	}
	return nil
}

func (x *GetHistoryRequest) GetExecutorNames() []string {
	if x != nil {
		return x.ExecutorNames
	}
	return nil
}

// One executor's history in a GetHistoryResponse of several (`executor_names`).
type HistorySeries struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName  string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	Points        []*HistoryPoint        `protobuf:"bytes,2,rep,name=points,proto3" json:"points,omitempty"`
	Totals        *HistorySlot           `protobuf:"bytes,3,opt,name=totals,proto3" json:"totals,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *HistorySeries) Reset() {
	*x = HistorySeries{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[99]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *HistorySeries) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*HistorySeries) ProtoMessage() {}

func (x *HistorySeries) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[99]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use HistorySeries.ProtoReflect.Descriptor instead.
func (*HistorySeries) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{99}
}

func (x *HistorySeries) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *HistorySeries) GetPoints() []*HistoryPoint {
	if x != nil {
		return x.Points
	}
	return nil
}

func (x *HistorySeries) GetTotals() *HistorySlot {
	if x != nil {
		return x.Totals
	}
	return nil
}

type GetHistoryResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName  string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	From          *timestamppb.Timestamp `protobuf:"bytes,2,opt,name=from,proto3" json:"from,omitempty"`
	To            *timestamppb.Timestamp `protobuf:"bytes,3,opt,name=to,proto3" json:"to,omitempty"`
	Step          *durationpb.Duration   `protobuf:"bytes,4,opt,name=step,proto3" json:"step,omitempty"`
	Points        []*HistoryPoint        `protobuf:"bytes,5,rep,name=points,proto3" json:"points,omitempty"`
	Totals        *HistorySlot           `protobuf:"bytes,6,opt,name=totals,proto3" json:"totals,omitempty"`
	Series        []*HistorySeries       `protobuf:"bytes,7,rep,name=series,proto3" json:"series,omitempty"` // with `executor_names`: one per name, in its order
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetHistoryResponse) Reset() {
	*x = GetHistoryResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[100]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetHistoryResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetHistoryResponse) ProtoMessage() {}

func (x *GetHistoryResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[100]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetHistoryResponse.ProtoReflect.Descriptor instead.
func (*GetHistoryResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{100}
}

func (x *GetHistoryResponse) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *GetHistoryResponse) GetFrom() *timestamppb.Timestamp {
	if x != nil {
		return x.From
	}
	return nil
}

func (x *GetHistoryResponse) GetTo() *timestamppb.Timestamp {
	if x != nil {
		return x.To
	}
	return nil
}

func (x *GetHistoryResponse) GetStep() *durationpb.Duration {
	if x != nil {
		return x.Step
	}
	return nil
}

func (x *GetHistoryResponse) GetPoints() []*HistoryPoint {
	if x != nil {
		return x.Points
	}
	return nil
}

func (x *GetHistoryResponse) GetTotals() *HistorySlot {
	if x != nil {
		return x.Totals
	}
	return nil
}

func (x *GetHistoryResponse) GetSeries() []*HistorySeries {
	if x != nil {
		return x.Series
	}
	return nil
}

type WorkRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Types that are valid to be assigned to Kind:
	//
	//	*WorkRequest_Hello
	//	*WorkRequest_Credit
	//	*WorkRequest_Results
	//	*WorkRequest_Heartbeat
	Kind          isWorkRequest_Kind `protobuf_oneof:"kind"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *WorkRequest) Reset() {
	*x = WorkRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[101]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *WorkRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*WorkRequest) ProtoMessage() {}

func (x *WorkRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[101]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use WorkRequest.ProtoReflect.Descriptor instead.
func (*WorkRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{101}
}

func (x *WorkRequest) GetKind() isWorkRequest_Kind {
	if x != nil {
		return x.Kind
	}
	return nil
}

func (x *WorkRequest) GetHello() *Hello {
	if x != nil {
		if x, ok := x.Kind.(*WorkRequest_Hello); ok {
			return x.Hello
		}
	}
	return nil
}

func (x *WorkRequest) GetCredit() *Credit {
	if x != nil {
		if x, ok := x.Kind.(*WorkRequest_Credit); ok {
			return x.Credit
		}
	}
	return nil
}

func (x *WorkRequest) GetResults() *Results {
	if x != nil {
		if x, ok := x.Kind.(*WorkRequest_Results); ok {
			return x.Results
		}
	}
	return nil
}

func (x *WorkRequest) GetHeartbeat() *Heartbeat {
	if x != nil {
		if x, ok := x.Kind.(*WorkRequest_Heartbeat); ok {
			return x.Heartbeat
		}
	}
	return nil
}

type isWorkRequest_Kind interface {
	isWorkRequest_Kind()
}

type WorkRequest_Hello struct {
	Hello *Hello `protobuf:"bytes,1,opt,name=hello,proto3,oneof"`
}

type WorkRequest_Credit struct {
	Credit *Credit `protobuf:"bytes,2,opt,name=credit,proto3,oneof"`
}

type WorkRequest_Results struct {
	Results *Results `protobuf:"bytes,3,opt,name=results,proto3,oneof"`
}

type WorkRequest_Heartbeat struct {
	Heartbeat *Heartbeat `protobuf:"bytes,4,opt,name=heartbeat,proto3,oneof"`
}

func (*WorkRequest_Hello) isWorkRequest_Kind() {}

func (*WorkRequest_Credit) isWorkRequest_Kind() {}

func (*WorkRequest_Results) isWorkRequest_Kind() {}

func (*WorkRequest_Heartbeat) isWorkRequest_Kind() {}

type Hello struct {
	state      protoimpl.MessageState `protogen:"open.v1"`
	WorkerId   string                 `protobuf:"bytes,1,opt,name=worker_id,json=workerId,proto3" json:"worker_id,omitempty"`
	Executors  []string               `protobuf:"bytes,2,rep,name=executors,proto3" json:"executors,omitempty"`
	SdkVersion string                 `protobuf:"bytes,3,opt,name=sdk_version,json=sdkVersion,proto3" json:"sdk_version,omitempty"`
	Host       string                 `protobuf:"bytes,4,opt,name=host,proto3" json:"host,omitempty"`       // the worker's host name
	Pid        int32                  `protobuf:"varint,5,opt,name=pid,proto3" json:"pid,omitempty"`        // its process id
	Runtime    string                 `protobuf:"bytes,6,opt,name=runtime,proto3" json:"runtime,omitempty"` // e.g. "deno 2.7.14", "go1.26"
	// The worker speaks keepalive: it sends a message (an empty `Heartbeat` when it has nothing
	// else to say) at least every `Welcome.keepalive_interval`, and treats the stream as dead when
	// nothing arrives for 3 of them. Only such a worker gets `Keepalive` messages, and only such a
	// worker's stream is dropped by the manager when nothing arrives from it for 3 intervals.
	Keepalive     bool `protobuf:"varint,7,opt,name=keepalive,proto3" json:"keepalive,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Hello) Reset() {
	*x = Hello{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[102]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Hello) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Hello) ProtoMessage() {}

func (x *Hello) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[102]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Hello.ProtoReflect.Descriptor instead.
func (*Hello) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{102}
}

func (x *Hello) GetWorkerId() string {
	if x != nil {
		return x.WorkerId
	}
	return ""
}

func (x *Hello) GetExecutors() []string {
	if x != nil {
		return x.Executors
	}
	return nil
}

func (x *Hello) GetSdkVersion() string {
	if x != nil {
		return x.SdkVersion
	}
	return ""
}

func (x *Hello) GetHost() string {
	if x != nil {
		return x.Host
	}
	return ""
}

func (x *Hello) GetPid() int32 {
	if x != nil {
		return x.Pid
	}
	return 0
}

func (x *Hello) GetRuntime() string {
	if x != nil {
		return x.Runtime
	}
	return ""
}

func (x *Hello) GetKeepalive() bool {
	if x != nil {
		return x.Keepalive
	}
	return false
}

type Credit struct {
	state        protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	// How many more tasks the worker can take for this executor, added to what it granted before;
	// 0 withdraws every credit left (the worker is draining and takes nothing more).
	Credits       int32 `protobuf:"varint,2,opt,name=credits,proto3" json:"credits,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Credit) Reset() {
	*x = Credit{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[103]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Credit) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Credit) ProtoMessage() {}

func (x *Credit) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[103]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Credit.ProtoReflect.Descriptor instead.
func (*Credit) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{103}
}

func (x *Credit) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *Credit) GetCredits() int32 {
	if x != nil {
		return x.Credits
	}
	return 0
}

type Result struct {
	state      protoimpl.MessageState `protogen:"open.v1"`
	TaskId     string                 `protobuf:"bytes,1,opt,name=task_id,json=taskId,proto3" json:"task_id,omitempty"`
	LeaseToken string                 `protobuf:"bytes,2,opt,name=lease_token,json=leaseToken,proto3" json:"lease_token,omitempty"`
	Ok         bool                   `protobuf:"varint,3,opt,name=ok,proto3" json:"ok,omitempty"`
	ResultJson string                 `protobuf:"bytes,4,opt,name=result_json,json=resultJson,proto3" json:"result_json,omitempty"`
	Error      string                 `protobuf:"bytes,5,opt,name=error,proto3" json:"error,omitempty"`
	Retryable  bool                   `protobuf:"varint,6,opt,name=retryable,proto3" json:"retryable,omitempty"`
	// 7 was int64 retry_after_ms.
	RetryAfter *durationpb.Duration `protobuf:"bytes,12,opt,name=retry_after,json=retryAfter,proto3" json:"retry_after,omitempty"` // unset or zero = use the executor's policy
	// Why the attempt failed when the worker knows better than "error": DLQ_REASON_VALIDATION (the
	// data does not match the executor's schema; dead-lettered at once with reason validation) or
	// unspecified.
	FailureReason DlqReason `protobuf:"varint,8,opt,name=failure_reason,json=failureReason,proto3,enum=taskexecutor.v1.DlqReason" json:"failure_reason,omitempty"`
	// The handler was rate limited by something it calls: the task runs again after
	// `retry_after` (at least 100 ms) without spending an attempt and without an error recorded.
	RateLimited   bool     `protobuf:"varint,9,opt,name=rate_limited,json=rateLimited,proto3" json:"rate_limited,omitempty"`
	Stack         string   `protobuf:"bytes,10,opt,name=stack,proto3" json:"stack,omitempty"` // the failure's stack trace (cut to the welcome's max_stack_chars)
	Logs          []string `protobuf:"bytes,11,rep,name=logs,proto3" json:"logs,omitempty"`   // lines the handler logged during the attempt (ctx.log)
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Result) Reset() {
	*x = Result{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[104]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Result) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Result) ProtoMessage() {}

func (x *Result) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[104]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Result.ProtoReflect.Descriptor instead.
func (*Result) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{104}
}

func (x *Result) GetTaskId() string {
	if x != nil {
		return x.TaskId
	}
	return ""
}

func (x *Result) GetLeaseToken() string {
	if x != nil {
		return x.LeaseToken
	}
	return ""
}

func (x *Result) GetOk() bool {
	if x != nil {
		return x.Ok
	}
	return false
}

func (x *Result) GetResultJson() string {
	if x != nil {
		return x.ResultJson
	}
	return ""
}

func (x *Result) GetError() string {
	if x != nil {
		return x.Error
	}
	return ""
}

func (x *Result) GetRetryable() bool {
	if x != nil {
		return x.Retryable
	}
	return false
}

func (x *Result) GetRetryAfter() *durationpb.Duration {
	if x != nil {
		return x.RetryAfter
	}
	return nil
}

func (x *Result) GetFailureReason() DlqReason {
	if x != nil {
		return x.FailureReason
	}
	return DlqReason_DLQ_REASON_UNSPECIFIED
}

func (x *Result) GetRateLimited() bool {
	if x != nil {
		return x.RateLimited
	}
	return false
}

func (x *Result) GetStack() string {
	if x != nil {
		return x.Stack
	}
	return ""
}

func (x *Result) GetLogs() []string {
	if x != nil {
		return x.Logs
	}
	return nil
}

type Results struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Results       []*Result              `protobuf:"bytes,1,rep,name=results,proto3" json:"results,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Results) Reset() {
	*x = Results{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[105]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Results) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Results) ProtoMessage() {}

func (x *Results) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[105]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Results.ProtoReflect.Descriptor instead.
func (*Results) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{105}
}

func (x *Results) GetResults() []*Result {
	if x != nil {
		return x.Results
	}
	return nil
}

type Heartbeat struct {
	state   protoimpl.MessageState `protogen:"open.v1"`
	TaskIds []string               `protobuf:"bytes,1,rep,name=task_ids,json=taskIds,proto3" json:"task_ids,omitempty"` // leases to extend
	// The latest progress of some of those tasks, by task id, as JSON text (ctx.heartbeat(progress)).
	ProgressJson  map[string]string `protobuf:"bytes,2,rep,name=progress_json,json=progressJson,proto3" json:"progress_json,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Heartbeat) Reset() {
	*x = Heartbeat{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[106]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Heartbeat) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Heartbeat) ProtoMessage() {}

func (x *Heartbeat) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[106]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Heartbeat.ProtoReflect.Descriptor instead.
func (*Heartbeat) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{106}
}

func (x *Heartbeat) GetTaskIds() []string {
	if x != nil {
		return x.TaskIds
	}
	return nil
}

func (x *Heartbeat) GetProgressJson() map[string]string {
	if x != nil {
		return x.ProgressJson
	}
	return nil
}

type WorkResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Types that are valid to be assigned to Kind:
	//
	//	*WorkResponse_Welcome
	//	*WorkResponse_Assignments
	//	*WorkResponse_Cancellations
	//	*WorkResponse_Acks
	//	*WorkResponse_ExecutorDeleted
	//	*WorkResponse_Keepalive
	Kind          isWorkResponse_Kind `protobuf_oneof:"kind"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *WorkResponse) Reset() {
	*x = WorkResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[107]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *WorkResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*WorkResponse) ProtoMessage() {}

func (x *WorkResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[107]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use WorkResponse.ProtoReflect.Descriptor instead.
func (*WorkResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{107}
}

func (x *WorkResponse) GetKind() isWorkResponse_Kind {
	if x != nil {
		return x.Kind
	}
	return nil
}

func (x *WorkResponse) GetWelcome() *Welcome {
	if x != nil {
		if x, ok := x.Kind.(*WorkResponse_Welcome); ok {
			return x.Welcome
		}
	}
	return nil
}

func (x *WorkResponse) GetAssignments() *Assignments {
	if x != nil {
		if x, ok := x.Kind.(*WorkResponse_Assignments); ok {
			return x.Assignments
		}
	}
	return nil
}

func (x *WorkResponse) GetCancellations() *Cancellations {
	if x != nil {
		if x, ok := x.Kind.(*WorkResponse_Cancellations); ok {
			return x.Cancellations
		}
	}
	return nil
}

func (x *WorkResponse) GetAcks() *ResultAcks {
	if x != nil {
		if x, ok := x.Kind.(*WorkResponse_Acks); ok {
			return x.Acks
		}
	}
	return nil
}

func (x *WorkResponse) GetExecutorDeleted() *ExecutorDeleted {
	if x != nil {
		if x, ok := x.Kind.(*WorkResponse_ExecutorDeleted); ok {
			return x.ExecutorDeleted
		}
	}
	return nil
}

func (x *WorkResponse) GetKeepalive() *Keepalive {
	if x != nil {
		if x, ok := x.Kind.(*WorkResponse_Keepalive); ok {
			return x.Keepalive
		}
	}
	return nil
}

type isWorkResponse_Kind interface {
	isWorkResponse_Kind()
}

type WorkResponse_Welcome struct {
	Welcome *Welcome `protobuf:"bytes,1,opt,name=welcome,proto3,oneof"`
}

type WorkResponse_Assignments struct {
	Assignments *Assignments `protobuf:"bytes,2,opt,name=assignments,proto3,oneof"`
}

type WorkResponse_Cancellations struct {
	Cancellations *Cancellations `protobuf:"bytes,3,opt,name=cancellations,proto3,oneof"`
}

type WorkResponse_Acks struct {
	Acks *ResultAcks `protobuf:"bytes,4,opt,name=acks,proto3,oneof"`
}

type WorkResponse_ExecutorDeleted struct {
	ExecutorDeleted *ExecutorDeleted `protobuf:"bytes,5,opt,name=executor_deleted,json=executorDeleted,proto3,oneof"`
}

type WorkResponse_Keepalive struct {
	Keepalive *Keepalive `protobuf:"bytes,6,opt,name=keepalive,proto3,oneof"`
}

func (*WorkResponse_Welcome) isWorkResponse_Kind() {}

func (*WorkResponse_Assignments) isWorkResponse_Kind() {}

func (*WorkResponse_Cancellations) isWorkResponse_Kind() {}

func (*WorkResponse_Acks) isWorkResponse_Kind() {}

func (*WorkResponse_ExecutorDeleted) isWorkResponse_Kind() {}

func (*WorkResponse_Keepalive) isWorkResponse_Kind() {}

// The manager is alive: sent to a worker whose hello set `keepalive` whenever the manager has
// written nothing else on the stream for a `Welcome.keepalive_interval`. Carries nothing.
type Keepalive struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Keepalive) Reset() {
	*x = Keepalive{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[108]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Keepalive) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Keepalive) ProtoMessage() {}

func (x *Keepalive) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[108]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Keepalive.ProtoReflect.Descriptor instead.
func (*Keepalive) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{108}
}

// An executor this worker serves was deleted: its tasks are gone and no more will come.
type ExecutorDeleted struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	ExecutorName  string                 `protobuf:"bytes,1,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ExecutorDeleted) Reset() {
	*x = ExecutorDeleted{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[109]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ExecutorDeleted) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ExecutorDeleted) ProtoMessage() {}

func (x *ExecutorDeleted) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[109]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ExecutorDeleted.ProtoReflect.Descriptor instead.
func (*ExecutorDeleted) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{109}
}

func (x *ExecutorDeleted) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

type Welcome struct {
	state     protoimpl.MessageState `protogen:"open.v1"`
	ManagerId string                 `protobuf:"bytes,1,opt,name=manager_id,json=managerId,proto3" json:"manager_id,omitempty"`
	// The manager's limits on what a worker sends (0 = not said: an older manager). A worker keeps
	// every message within max_message_bytes, reports a result_json over max_result_bytes as a
	// failed attempt instead, and cuts error messages to max_error_chars characters.
	MaxMessageBytes  int64 `protobuf:"varint,2,opt,name=max_message_bytes,json=maxMessageBytes,proto3" json:"max_message_bytes,omitempty"`
	MaxResultBytes   int64 `protobuf:"varint,3,opt,name=max_result_bytes,json=maxResultBytes,proto3" json:"max_result_bytes,omitempty"`
	MaxErrorChars    int32 `protobuf:"varint,4,opt,name=max_error_chars,json=maxErrorChars,proto3" json:"max_error_chars,omitempty"`
	MaxStackChars    int32 `protobuf:"varint,5,opt,name=max_stack_chars,json=maxStackChars,proto3" json:"max_stack_chars,omitempty"`
	MaxLogLines      int32 `protobuf:"varint,6,opt,name=max_log_lines,json=maxLogLines,proto3" json:"max_log_lines,omitempty"` // per attempt
	MaxLogLineChars  int32 `protobuf:"varint,7,opt,name=max_log_line_chars,json=maxLogLineChars,proto3" json:"max_log_line_chars,omitempty"`
	MaxProgressBytes int64 `protobuf:"varint,8,opt,name=max_progress_bytes,json=maxProgressBytes,proto3" json:"max_progress_bytes,omitempty"`
	// How often, at least, the manager writes to a worker whose hello set `keepalive` (a
	// `Keepalive` when it has nothing else to send), and how often such a worker must write to it.
	// Unset = not said (an older manager): no keepalive either way.
	KeepaliveInterval *durationpb.Duration `protobuf:"bytes,9,opt,name=keepalive_interval,json=keepaliveInterval,proto3" json:"keepalive_interval,omitempty"`
	unknownFields     protoimpl.UnknownFields
	sizeCache         protoimpl.SizeCache
}

func (x *Welcome) Reset() {
	*x = Welcome{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[110]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Welcome) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Welcome) ProtoMessage() {}

func (x *Welcome) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[110]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Welcome.ProtoReflect.Descriptor instead.
func (*Welcome) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{110}
}

func (x *Welcome) GetManagerId() string {
	if x != nil {
		return x.ManagerId
	}
	return ""
}

func (x *Welcome) GetMaxMessageBytes() int64 {
	if x != nil {
		return x.MaxMessageBytes
	}
	return 0
}

func (x *Welcome) GetMaxResultBytes() int64 {
	if x != nil {
		return x.MaxResultBytes
	}
	return 0
}

func (x *Welcome) GetMaxErrorChars() int32 {
	if x != nil {
		return x.MaxErrorChars
	}
	return 0
}

func (x *Welcome) GetMaxStackChars() int32 {
	if x != nil {
		return x.MaxStackChars
	}
	return 0
}

func (x *Welcome) GetMaxLogLines() int32 {
	if x != nil {
		return x.MaxLogLines
	}
	return 0
}

func (x *Welcome) GetMaxLogLineChars() int32 {
	if x != nil {
		return x.MaxLogLineChars
	}
	return 0
}

func (x *Welcome) GetMaxProgressBytes() int64 {
	if x != nil {
		return x.MaxProgressBytes
	}
	return 0
}

func (x *Welcome) GetKeepaliveInterval() *durationpb.Duration {
	if x != nil {
		return x.KeepaliveInterval
	}
	return nil
}

type Assignment struct {
	state        protoimpl.MessageState `protogen:"open.v1"`
	TaskId       string                 `protobuf:"bytes,1,opt,name=task_id,json=taskId,proto3" json:"task_id,omitempty"`
	ExecutorName string                 `protobuf:"bytes,2,opt,name=executor_name,json=executorName,proto3" json:"executor_name,omitempty"`
	DataJson     string                 `protobuf:"bytes,3,opt,name=data_json,json=dataJson,proto3" json:"data_json,omitempty"`
	Metadata     map[string]string      `protobuf:"bytes,4,rep,name=metadata,proto3" json:"metadata,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	Attempt      int32                  `protobuf:"varint,5,opt,name=attempt,proto3" json:"attempt,omitempty"`
	MaxAttempts  int32                  `protobuf:"varint,6,opt,name=max_attempts,json=maxAttempts,proto3" json:"max_attempts,omitempty"`
	LeaseToken   string                 `protobuf:"bytes,7,opt,name=lease_token,json=leaseToken,proto3" json:"lease_token,omitempty"`
	// 8 and 9 were int64 epoch ms lease_expires_at and created_at.
	LeaseExpiresAt *timestamppb.Timestamp `protobuf:"bytes,12,opt,name=lease_expires_at,json=leaseExpiresAt,proto3" json:"lease_expires_at,omitempty"`
	CreatedAt      *timestamppb.Timestamp `protobuf:"bytes,13,opt,name=created_at,json=createdAt,proto3" json:"created_at,omitempty"`
	// W3C trace context the attempt continues: the manager's create span when it traces, else the
	// producer's (version 00, 55 characters); "" = the task carries no trace.
	Traceparent string `protobuf:"bytes,10,opt,name=traceparent,proto3" json:"traceparent,omitempty"`
	// W3C tracestate sent with `traceparent` (printable ASCII, at most 512 characters); "" = none.
	Tracestate    string `protobuf:"bytes,11,opt,name=tracestate,proto3" json:"tracestate,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Assignment) Reset() {
	*x = Assignment{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[111]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Assignment) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Assignment) ProtoMessage() {}

func (x *Assignment) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[111]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Assignment.ProtoReflect.Descriptor instead.
func (*Assignment) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{111}
}

func (x *Assignment) GetTaskId() string {
	if x != nil {
		return x.TaskId
	}
	return ""
}

func (x *Assignment) GetExecutorName() string {
	if x != nil {
		return x.ExecutorName
	}
	return ""
}

func (x *Assignment) GetDataJson() string {
	if x != nil {
		return x.DataJson
	}
	return ""
}

func (x *Assignment) GetMetadata() map[string]string {
	if x != nil {
		return x.Metadata
	}
	return nil
}

func (x *Assignment) GetAttempt() int32 {
	if x != nil {
		return x.Attempt
	}
	return 0
}

func (x *Assignment) GetMaxAttempts() int32 {
	if x != nil {
		return x.MaxAttempts
	}
	return 0
}

func (x *Assignment) GetLeaseToken() string {
	if x != nil {
		return x.LeaseToken
	}
	return ""
}

func (x *Assignment) GetLeaseExpiresAt() *timestamppb.Timestamp {
	if x != nil {
		return x.LeaseExpiresAt
	}
	return nil
}

func (x *Assignment) GetCreatedAt() *timestamppb.Timestamp {
	if x != nil {
		return x.CreatedAt
	}
	return nil
}

func (x *Assignment) GetTraceparent() string {
	if x != nil {
		return x.Traceparent
	}
	return ""
}

func (x *Assignment) GetTracestate() string {
	if x != nil {
		return x.Tracestate
	}
	return ""
}

type Assignments struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Tasks         []*Assignment          `protobuf:"bytes,1,rep,name=tasks,proto3" json:"tasks,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Assignments) Reset() {
	*x = Assignments{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[112]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Assignments) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Assignments) ProtoMessage() {}

func (x *Assignments) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[112]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Assignments.ProtoReflect.Descriptor instead.
func (*Assignments) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{112}
}

func (x *Assignments) GetTasks() []*Assignment {
	if x != nil {
		return x.Tasks
	}
	return nil
}

type Cancellation struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	TaskId        string                 `protobuf:"bytes,1,opt,name=task_id,json=taskId,proto3" json:"task_id,omitempty"`
	Reason        CancellationReason     `protobuf:"varint,2,opt,name=reason,proto3,enum=taskexecutor.v1.CancellationReason" json:"reason,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Cancellation) Reset() {
	*x = Cancellation{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[113]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Cancellation) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Cancellation) ProtoMessage() {}

func (x *Cancellation) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[113]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Cancellation.ProtoReflect.Descriptor instead.
func (*Cancellation) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{113}
}

func (x *Cancellation) GetTaskId() string {
	if x != nil {
		return x.TaskId
	}
	return ""
}

func (x *Cancellation) GetReason() CancellationReason {
	if x != nil {
		return x.Reason
	}
	return CancellationReason_CANCELLATION_REASON_UNSPECIFIED
}

type Cancellations struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Tasks         []*Cancellation        `protobuf:"bytes,1,rep,name=tasks,proto3" json:"tasks,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Cancellations) Reset() {
	*x = Cancellations{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[114]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Cancellations) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Cancellations) ProtoMessage() {}

func (x *Cancellations) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[114]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Cancellations.ProtoReflect.Descriptor instead.
func (*Cancellations) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{114}
}

func (x *Cancellations) GetTasks() []*Cancellation {
	if x != nil {
		return x.Tasks
	}
	return nil
}

type ResultAck struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	TaskId        string                 `protobuf:"bytes,1,opt,name=task_id,json=taskId,proto3" json:"task_id,omitempty"`
	Accepted      bool                   `protobuf:"varint,2,opt,name=accepted,proto3" json:"accepted,omitempty"`
	Error         string                 `protobuf:"bytes,3,opt,name=error,proto3" json:"error,omitempty"` // why a result was refused
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ResultAck) Reset() {
	*x = ResultAck{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[115]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ResultAck) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ResultAck) ProtoMessage() {}

func (x *ResultAck) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[115]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ResultAck.ProtoReflect.Descriptor instead.
func (*ResultAck) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{115}
}

func (x *ResultAck) GetTaskId() string {
	if x != nil {
		return x.TaskId
	}
	return ""
}

func (x *ResultAck) GetAccepted() bool {
	if x != nil {
		return x.Accepted
	}
	return false
}

func (x *ResultAck) GetError() string {
	if x != nil {
		return x.Error
	}
	return ""
}

type ResultAcks struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Acks          []*ResultAck           `protobuf:"bytes,1,rep,name=acks,proto3" json:"acks,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ResultAcks) Reset() {
	*x = ResultAcks{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[116]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ResultAcks) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ResultAcks) ProtoMessage() {}

func (x *ResultAcks) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[116]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ResultAcks.ProtoReflect.Descriptor instead.
func (*ResultAcks) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{116}
}

func (x *ResultAcks) GetAcks() []*ResultAck {
	if x != nil {
		return x.Acks
	}
	return nil
}

type GetNextTaskRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	WorkerId      string                 `protobuf:"bytes,1,opt,name=worker_id,json=workerId,proto3" json:"worker_id,omitempty"`
	Executors     []string               `protobuf:"bytes,2,rep,name=executors,proto3" json:"executors,omitempty"`
	MaxTasks      int32                  `protobuf:"varint,3,opt,name=max_tasks,json=maxTasks,proto3" json:"max_tasks,omitempty"` // default 1
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetNextTaskRequest) Reset() {
	*x = GetNextTaskRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[117]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetNextTaskRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetNextTaskRequest) ProtoMessage() {}

func (x *GetNextTaskRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[117]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetNextTaskRequest.ProtoReflect.Descriptor instead.
func (*GetNextTaskRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{117}
}

func (x *GetNextTaskRequest) GetWorkerId() string {
	if x != nil {
		return x.WorkerId
	}
	return ""
}

func (x *GetNextTaskRequest) GetExecutors() []string {
	if x != nil {
		return x.Executors
	}
	return nil
}

func (x *GetNextTaskRequest) GetMaxTasks() int32 {
	if x != nil {
		return x.MaxTasks
	}
	return 0
}

type GetNextTaskResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Tasks         []*Assignment          `protobuf:"bytes,1,rep,name=tasks,proto3" json:"tasks,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetNextTaskResponse) Reset() {
	*x = GetNextTaskResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[118]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetNextTaskResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetNextTaskResponse) ProtoMessage() {}

func (x *GetNextTaskResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[118]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetNextTaskResponse.ProtoReflect.Descriptor instead.
func (*GetNextTaskResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{118}
}

func (x *GetNextTaskResponse) GetTasks() []*Assignment {
	if x != nil {
		return x.Tasks
	}
	return nil
}

type ReportResultsRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	WorkerId      string                 `protobuf:"bytes,1,opt,name=worker_id,json=workerId,proto3" json:"worker_id,omitempty"`
	Results       []*Result              `protobuf:"bytes,2,rep,name=results,proto3" json:"results,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ReportResultsRequest) Reset() {
	*x = ReportResultsRequest{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[119]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ReportResultsRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ReportResultsRequest) ProtoMessage() {}

func (x *ReportResultsRequest) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[119]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ReportResultsRequest.ProtoReflect.Descriptor instead.
func (*ReportResultsRequest) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{119}
}

func (x *ReportResultsRequest) GetWorkerId() string {
	if x != nil {
		return x.WorkerId
	}
	return ""
}

func (x *ReportResultsRequest) GetResults() []*Result {
	if x != nil {
		return x.Results
	}
	return nil
}

type ReportResultsResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Acks          []*ResultAck           `protobuf:"bytes,1,rep,name=acks,proto3" json:"acks,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ReportResultsResponse) Reset() {
	*x = ReportResultsResponse{}
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[120]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ReportResultsResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ReportResultsResponse) ProtoMessage() {}

func (x *ReportResultsResponse) ProtoReflect() protoreflect.Message {
	mi := &file_taskexecutor_v1_task_executor_proto_msgTypes[120]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ReportResultsResponse.ProtoReflect.Descriptor instead.
func (*ReportResultsResponse) Descriptor() ([]byte, []int) {
	return file_taskexecutor_v1_task_executor_proto_rawDescGZIP(), []int{120}
}

func (x *ReportResultsResponse) GetAcks() []*ResultAck {
	if x != nil {
		return x.Acks
	}
	return nil
}

var File_taskexecutor_v1_task_executor_proto protoreflect.FileDescriptor

const file_taskexecutor_v1_task_executor_proto_rawDesc = "" +
	"\n" +
	"#taskexecutor/v1/task_executor.proto\x12\x0ftaskexecutor.v1\x1a\x1egoogle/protobuf/duration.proto\x1a\x1cgoogle/protobuf/struct.proto\x1a\x1fgoogle/protobuf/timestamp.proto\"\xa3\x02\n" +
	"\vRetryPolicy\x124\n" +
	"\x04type\x18\x01 \x01(\x0e2 .taskexecutor.v1.RetryPolicyTypeR\x04type\x12!\n" +
	"\fmax_attempts\x18\x02 \x01(\x05R\vmaxAttempts\x125\n" +
	"\binterval\x18\x03 \x01(\v2\x19.google.protobuf.DurationR\binterval\x12<\n" +
	"\fmax_interval\x18\x04 \x01(\v2\x19.google.protobuf.DurationR\vmaxInterval\x12\x1e\n" +
	"\n" +
	"multiplier\x18\x05 \x01(\x01R\n" +
	"multiplier\x12\x1b\n" +
	"\x06jitter\x18\x06 \x01(\x01H\x00R\x06jitter\x88\x01\x01B\t\n" +
	"\a_jitter\"D\n" +
	"\tDlqConfig\x12\x18\n" +
	"\aenabled\x18\x01 \x01(\bR\aenabled\x12\x1d\n" +
	"\n" +
	"queue_name\x18\x02 \x01(\tR\tqueueName\"H\n" +
	"\fWriteConcern\x128\n" +
	"\x05level\x18\x01 \x01(\x0e2\".taskexecutor.v1.WriteConcernLevelR\x05level\"j\n" +
	"\tRateLimit\x12\x14\n" +
	"\x05limit\x18\x01 \x01(\x05R\x05limit\x121\n" +
	"\x06period\x18\x02 \x01(\v2\x19.google.protobuf.DurationR\x06period\x12\x14\n" +
	"\x05burst\x18\x03 \x01(\x05R\x05burst\"\xe2\x05\n" +
	"\x0eExecutorConfig\x12\x12\n" +
	"\x04name\x18\x01 \x01(\tR\x04name\x12\x1d\n" +
	"\aenabled\x18\x02 \x01(\bH\x00R\aenabled\x88\x01\x01\x12B\n" +
	"\rwrite_concern\x18\x03 \x01(\v2\x1d.taskexecutor.v1.WriteConcernR\fwriteConcern\x12?\n" +
	"\fretry_policy\x18\x04 \x01(\v2\x1c.taskexecutor.v1.RetryPolicyR\vretryPolicy\x129\n" +
	"\n" +
	"dlq_config\x18\x05 \x01(\v2\x1a.taskexecutor.v1.DlqConfigR\tdlqConfig\x127\n" +
	"\vtask_schema\x18\x06 \x01(\v2\x16.google.protobuf.ValueR\n" +
	"taskSchema\x123\n" +
	"\atimeout\x18\a \x01(\v2\x19.google.protobuf.DurationR\atimeout\x12,\n" +
	"\x0fmax_concurrency\x18\b \x01(\x05H\x01R\x0emaxConcurrency\x88\x01\x01\x129\n" +
	"\n" +
	"rate_limit\x18\t \x01(\v2\x1a.taskexecutor.v1.RateLimitR\trateLimit\x12G\n" +
	"\x12rate_limit_per_key\x18\n" +
	" \x01(\v2\x1a.taskexecutor.v1.RateLimitR\x0frateLimitPerKey\x12:\n" +
	"\x17max_concurrency_per_key\x18\v \x01(\x05H\x02R\x14maxConcurrencyPerKey\x88\x01\x01\x12/\n" +
	"\x11group_key_pointer\x18\f \x01(\tH\x03R\x0fgroupKeyPointer\x88\x01\x01B\n" +
	"\n" +
	"\b_enabledB\x12\n" +
	"\x10_max_concurrencyB\x1a\n" +
	"\x18_max_concurrency_per_keyB\x14\n" +
	"\x12_group_key_pointer\"\xfc\x05\n" +
	"\bExecutor\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x12\n" +
	"\x04name\x18\x02 \x01(\tR\x04name\x12\x18\n" +
	"\aenabled\x18\x03 \x01(\bR\aenabled\x12B\n" +
	"\rwrite_concern\x18\x04 \x01(\v2\x1d.taskexecutor.v1.WriteConcernR\fwriteConcern\x12?\n" +
	"\fretry_policy\x18\x05 \x01(\v2\x1c.taskexecutor.v1.RetryPolicyR\vretryPolicy\x129\n" +
	"\n" +
	"dlq_config\x18\x06 \x01(\v2\x1a.taskexecutor.v1.DlqConfigR\tdlqConfig\x127\n" +
	"\vtask_schema\x18\a \x01(\v2\x16.google.protobuf.ValueR\n" +
	"taskSchema\x123\n" +
	"\atimeout\x18\b \x01(\v2\x19.google.protobuf.DurationR\atimeout\x12'\n" +
	"\x0fmax_concurrency\x18\t \x01(\x05R\x0emaxConcurrency\x129\n" +
	"\n" +
	"created_at\x18\n" +
	" \x01(\v2\x1a.google.protobuf.TimestampR\tcreatedAt\x129\n" +
	"\n" +
	"updated_at\x18\v \x01(\v2\x1a.google.protobuf.TimestampR\tupdatedAt\x129\n" +
	"\n" +
	"rate_limit\x18\f \x01(\v2\x1a.taskexecutor.v1.RateLimitR\trateLimit\x12G\n" +
	"\x12rate_limit_per_key\x18\r \x01(\v2\x1a.taskexecutor.v1.RateLimitR\x0frateLimitPerKey\x125\n" +
	"\x17max_concurrency_per_key\x18\x0e \x01(\x05R\x14maxConcurrencyPerKey\x12*\n" +
	"\x11group_key_pointer\x18\x0f \x01(\tR\x0fgroupKeyPointer\"\xc4\x01\n" +
	"\tTaskError\x12\x18\n" +
	"\aattempt\x18\x01 \x01(\x05R\aattempt\x12\x18\n" +
	"\amessage\x18\x02 \x01(\tR\amessage\x12*\n" +
	"\x02at\x18\x03 \x01(\v2\x1a.google.protobuf.TimestampR\x02at\x12\x1b\n" +
	"\tworker_id\x18\x04 \x01(\tR\bworkerId\x12\x10\n" +
	"\x03run\x18\x05 \x01(\x05R\x03run\x12\x14\n" +
	"\x05stack\x18\x06 \x01(\tR\x05stack\x12\x12\n" +
	"\x04logs\x18\a \x03(\tR\x04logs\"\xa4\b\n" +
	"\x04Task\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12#\n" +
	"\rexecutor_name\x18\x02 \x01(\tR\fexecutorName\x12*\n" +
	"\x04data\x18\x03 \x01(\v2\x16.google.protobuf.ValueR\x04data\x12?\n" +
	"\bmetadata\x18\x04 \x03(\v2#.taskexecutor.v1.Task.MetadataEntryR\bmetadata\x123\n" +
	"\x06status\x18\x05 \x01(\x0e2\x1b.taskexecutor.v1.TaskStatusR\x06status\x12\x1a\n" +
	"\bpriority\x18\x06 \x01(\x05R\bpriority\x121\n" +
	"\x06run_at\x18\a \x01(\v2\x1a.google.protobuf.TimestampR\x05runAt\x12\x18\n" +
	"\aattempt\x18\b \x01(\x05R\aattempt\x12!\n" +
	"\fmax_attempts\x18\t \x01(\x05R\vmaxAttempts\x122\n" +
	"\x06errors\x18\n" +
	" \x03(\v2\x1a.taskexecutor.v1.TaskErrorR\x06errors\x12.\n" +
	"\x06result\x18\v \x01(\v2\x16.google.protobuf.ValueR\x06result\x129\n" +
	"\n" +
	"created_at\x18\f \x01(\v2\x1a.google.protobuf.TimestampR\tcreatedAt\x129\n" +
	"\n" +
	"updated_at\x18\r \x01(\v2\x1a.google.protobuf.TimestampR\tupdatedAt\x129\n" +
	"\n" +
	"started_at\x18\x0e \x01(\v2\x1a.google.protobuf.TimestampR\tstartedAt\x12=\n" +
	"\fcompleted_at\x18\x0f \x01(\v2\x1a.google.protobuf.TimestampR\vcompletedAt\x12'\n" +
	"\x0fidempotency_key\x18\x10 \x01(\tR\x0eidempotencyKey\x12\x1b\n" +
	"\tworker_id\x18\x11 \x01(\tR\bworkerId\x12%\n" +
	"\x0eerrors_dropped\x18\x12 \x01(\x05R\rerrorsDropped\x12\x10\n" +
	"\x03run\x18\x13 \x01(\x05R\x03run\x122\n" +
	"\bprogress\x18\x14 \x01(\v2\x16.google.protobuf.ValueR\bprogress\x12\x12\n" +
	"\x04logs\x18\x15 \x03(\tR\x04logs\x12\x1b\n" +
	"\tgroup_key\x18\x16 \x01(\tR\bgroupKey\x12D\n" +
	"\x10lease_expires_at\x18\x17 \x01(\v2\x1a.google.protobuf.TimestampR\x0eleaseExpiresAt\x1a;\n" +
	"\rMetadataEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"\xf2\x01\n" +
	"\bDlqEntry\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x1d\n" +
	"\n" +
	"queue_name\x18\x02 \x01(\tR\tqueueName\x12)\n" +
	"\x04task\x18\x03 \x01(\v2\x15.taskexecutor.v1.TaskR\x04task\x122\n" +
	"\x06reason\x18\x04 \x01(\x0e2\x1a.taskexecutor.v1.DlqReasonR\x06reason\x123\n" +
	"\adead_at\x18\x05 \x01(\v2\x1a.google.protobuf.TimestampR\x06deadAt\x12#\n" +
	"\rexecutor_name\x18\x06 \x01(\tR\fexecutorName\"P\n" +
	"\x15CreateExecutorRequest\x127\n" +
	"\x06config\x18\x01 \x01(\v2\x1f.taskexecutor.v1.ExecutorConfigR\x06config\"$\n" +
	"\x12GetExecutorRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\"D\n" +
	"\x14ListExecutorsRequest\x12\x16\n" +
	"\x06cursor\x18\x01 \x01(\tR\x06cursor\x12\x14\n" +
	"\x05limit\x18\x02 \x01(\x05R\x05limit\"`\n" +
	"\x15UpdateExecutorRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x127\n" +
	"\x06config\x18\x02 \x01(\v2\x1f.taskexecutor.v1.ExecutorConfigR\x06config\"=\n" +
	"\x15DeleteExecutorRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x14\n" +
	"\x05force\x18\x02 \x01(\bR\x05force\"O\n" +
	"\x16CreateExecutorResponse\x125\n" +
	"\bexecutor\x18\x01 \x01(\v2\x19.taskexecutor.v1.ExecutorR\bexecutor\"L\n" +
	"\x13GetExecutorResponse\x125\n" +
	"\bexecutor\x18\x01 \x01(\v2\x19.taskexecutor.v1.ExecutorR\bexecutor\"O\n" +
	"\x16UpdateExecutorResponse\x125\n" +
	"\bexecutor\x18\x01 \x01(\v2\x19.taskexecutor.v1.ExecutorR\bexecutor\"q\n" +
	"\x15ListExecutorsResponse\x127\n" +
	"\texecutors\x18\x01 \x03(\v2\x19.taskexecutor.v1.ExecutorR\texecutors\x12\x1f\n" +
	"\vnext_cursor\x18\x02 \x01(\tR\n" +
	"nextCursor\"2\n" +
	"\x16DeleteExecutorResponse\x12\x18\n" +
	"\adeleted\x18\x01 \x01(\bR\adeleted\"\xf0\x02\n" +
	"\aNewTask\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\x12*\n" +
	"\x04data\x18\x02 \x01(\v2\x16.google.protobuf.ValueR\x04data\x12B\n" +
	"\bmetadata\x18\x03 \x03(\v2&.taskexecutor.v1.NewTask.MetadataEntryR\bmetadata\x12\x1a\n" +
	"\bpriority\x18\x04 \x01(\x05R\bpriority\x121\n" +
	"\x06run_at\x18\x05 \x01(\v2\x1a.google.protobuf.TimestampR\x05runAt\x12'\n" +
	"\x0fidempotency_key\x18\x06 \x01(\tR\x0eidempotencyKey\x12\x1b\n" +
	"\tgroup_key\x18\a \x01(\tR\bgroupKey\x1a;\n" +
	"\rMetadataEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"A\n" +
	"\x11CreateTaskRequest\x12,\n" +
	"\x04task\x18\x01 \x01(\v2\x18.taskexecutor.v1.NewTaskR\x04task\"s\n" +
	"\x12CreateTasksRequest\x12.\n" +
	"\x05tasks\x18\x01 \x03(\v2\x18.taskexecutor.v1.NewTaskR\x05tasks\x12-\n" +
	"\x04view\x18\x02 \x01(\x0e2\x19.taskexecutor.v1.TaskViewR\x04view\"?\n" +
	"\x12CreateTaskResponse\x12)\n" +
	"\x04task\x18\x01 \x01(\v2\x15.taskexecutor.v1.TaskR\x04task\"\\\n" +
	"\x13CreateTasksResponse\x12+\n" +
	"\x05tasks\x18\x01 \x03(\v2\x15.taskexecutor.v1.TaskR\x05tasks\x12\x18\n" +
	"\acreated\x18\x02 \x03(\bR\acreated\" \n" +
	"\x0eGetTaskRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\"<\n" +
	"\x0fGetTaskResponse\x12)\n" +
	"\x04task\x18\x01 \x01(\v2\x15.taskexecutor.v1.TaskR\x04task\"#\n" +
	"\x11CancelTaskRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\"?\n" +
	"\x12CancelTaskResponse\x12)\n" +
	"\x04task\x18\x01 \x01(\v2\x15.taskexecutor.v1.TaskR\x04task\"\xa6\x03\n" +
	"\x10ListTasksRequest\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\x123\n" +
	"\x06status\x18\x02 \x03(\x0e2\x1b.taskexecutor.v1.TaskStatusR\x06status\x12?\n" +
	"\rcreated_after\x18\x03 \x01(\v2\x1a.google.protobuf.TimestampR\fcreatedAfter\x12A\n" +
	"\x0ecreated_before\x18\x04 \x01(\v2\x1a.google.protobuf.TimestampR\rcreatedBefore\x12\x16\n" +
	"\x06cursor\x18\x05 \x01(\tR\x06cursor\x12\x14\n" +
	"\x05limit\x18\x06 \x01(\x05R\x05limit\x12A\n" +
	"\x0efinished_after\x18\a \x01(\v2\x1a.google.protobuf.TimestampR\rfinishedAfter\x12C\n" +
	"\x0ffinished_before\x18\b \x01(\v2\x1a.google.protobuf.TimestampR\x0efinishedBefore\"a\n" +
	"\x11ListTasksResponse\x12+\n" +
	"\x05tasks\x18\x01 \x03(\v2\x15.taskexecutor.v1.TaskR\x05tasks\x12\x1f\n" +
	"\vnext_cursor\x18\x02 \x01(\tR\n" +
	"nextCursor\"\xd0\x02\n" +
	"\x12SearchTasksRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12!\n" +
	"\fmetadata_key\x18\x02 \x01(\tR\vmetadataKey\x12%\n" +
	"\x0emetadata_value\x18\x03 \x01(\tR\rmetadataValue\x12!\n" +
	"\fdata_pointer\x18\x04 \x01(\tR\vdataPointer\x125\n" +
	"\n" +
	"data_value\x18\x05 \x01(\v2\x16.google.protobuf.ValueR\tdataValue\x12#\n" +
	"\rexecutor_name\x18\x06 \x01(\tR\fexecutorName\x123\n" +
	"\x06status\x18\a \x03(\x0e2\x1b.taskexecutor.v1.TaskStatusR\x06status\x12\x16\n" +
	"\x06cursor\x18\b \x01(\tR\x06cursor\x12\x14\n" +
	"\x05limit\x18\t \x01(\x05R\x05limit\"}\n" +
	"\x13SearchTasksResponse\x12+\n" +
	"\x05tasks\x18\x01 \x03(\v2\x15.taskexecutor.v1.TaskR\x05tasks\x12\x1f\n" +
	"\vnext_cursor\x18\x02 \x01(\tR\n" +
	"nextCursor\x12\x18\n" +
	"\ascanned\x18\x03 \x01(\x05R\ascanned\"\xd5\x01\n" +
	"\x17UpdateTaskStatusRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x123\n" +
	"\x06status\x18\x02 \x01(\x0e2\x1b.taskexecutor.v1.TaskStatusR\x06status\x12.\n" +
	"\x06result\x18\x03 \x01(\v2\x16.google.protobuf.ValueR\x06result\x12\x14\n" +
	"\x05error\x18\x04 \x01(\tR\x05error\x12/\n" +
	"\x04from\x18\x05 \x03(\x0e2\x1b.taskexecutor.v1.TaskStatusR\x04from\"E\n" +
	"\x18UpdateTaskStatusResponse\x12)\n" +
	"\x04task\x18\x01 \x01(\v2\x15.taskexecutor.v1.TaskR\x04task\"\x97\x01\n" +
	"\x0eListDlqRequest\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\x122\n" +
	"\x06reason\x18\x02 \x01(\x0e2\x1a.taskexecutor.v1.DlqReasonR\x06reason\x12\x16\n" +
	"\x06cursor\x18\x03 \x01(\tR\x06cursor\x12\x14\n" +
	"\x05limit\x18\x04 \x01(\x05R\x05limit\"g\n" +
	"\x0fListDlqResponse\x123\n" +
	"\aentries\x18\x01 \x03(\v2\x19.taskexecutor.v1.DlqEntryR\aentries\x12\x1f\n" +
	"\vnext_cursor\x18\x02 \x01(\tR\n" +
	"nextCursor\"$\n" +
	"\x12GetDlqEntryRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\"F\n" +
	"\x13GetDlqEntryResponse\x12/\n" +
	"\x05entry\x18\x01 \x01(\v2\x19.taskexecutor.v1.DlqEntryR\x05entry\"'\n" +
	"\x15DeleteDlqEntryRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\"2\n" +
	"\x16DeleteDlqEntryResponse\x12\x18\n" +
	"\adeleted\x18\x01 \x01(\bR\adeleted\"T\n" +
	"\x16RequeueDlqEntryRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12*\n" +
	"\x04data\x18\x02 \x01(\v2\x16.google.protobuf.ValueR\x04data\"D\n" +
	"\x17RequeueDlqEntryResponse\x12)\n" +
	"\x04task\x18\x01 \x01(\v2\x15.taskexecutor.v1.TaskR\x04task\"\xc1\x01\n" +
	"\x0fPurgeDlqRequest\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\x122\n" +
	"\x06reason\x18\x02 \x01(\x0e2\x1a.taskexecutor.v1.DlqReasonR\x06reason\x12;\n" +
	"\vdead_before\x18\x03 \x01(\v2\x1a.google.protobuf.TimestampR\n" +
	"deadBefore\x12\x18\n" +
	"\aconfirm\x18\x04 \x01(\bR\aconfirm\"a\n" +
	"\x10PurgeDlqResponse\x12\x18\n" +
	"\adeleted\x18\x01 \x01(\x05R\adeleted\x123\n" +
	"\astopped\x18\x02 \x01(\v2\x19.taskexecutor.v1.BulkStopR\astopped\"\xdb\x01\n" +
	"\x11RequeueDlqRequest\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\x122\n" +
	"\x06reason\x18\x02 \x01(\x0e2\x1a.taskexecutor.v1.DlqReasonR\x06reason\x12;\n" +
	"\vdead_before\x18\x03 \x01(\v2\x1a.google.protobuf.TimestampR\n" +
	"deadBefore\x12\x18\n" +
	"\aconfirm\x18\x04 \x01(\bR\aconfirm\x12\x16\n" +
	"\x06cursor\x18\x05 \x01(\tR\x06cursor\"\x9e\x01\n" +
	"\x12RequeueDlqResponse\x12\x1a\n" +
	"\brequeued\x18\x01 \x01(\x05R\brequeued\x12\x16\n" +
	"\x06failed\x18\x02 \x01(\x05R\x06failed\x12\x1f\n" +
	"\vnext_cursor\x18\x03 \x01(\tR\n" +
	"nextCursor\x123\n" +
	"\astopped\x18\x04 \x01(\v2\x19.taskexecutor.v1.BulkStopR\astopped\"6\n" +
	"\x0fGetStatsRequest\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\"\x89\x03\n" +
	"\rExecutorStats\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\x12I\n" +
	"\tby_status\x18\x02 \x03(\v2,.taskexecutor.v1.ExecutorStats.ByStatusEntryR\bbyStatus\x12\x19\n" +
	"\bdlq_size\x18\x03 \x01(\x03R\adlqSize\x12\x18\n" +
	"\aworkers\x18\x04 \x01(\x05R\aworkers\x12G\n" +
	"\x12oldest_pending_age\x18\x05 \x01(\v2\x19.google.protobuf.DurationR\x10oldestPendingAge\x12\x16\n" +
	"\x06paused\x18\a \x01(\bR\x06paused\x12\x1d\n" +
	"\n" +
	"no_workers\x18\b \x01(\bR\tnoWorkers\x12\x16\n" +
	"\x06polled\x18\t \x01(\bR\x06polled\x1a;\n" +
	"\rByStatusEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\x03R\x05value:\x028\x01\"P\n" +
	"\x10GetStatsResponse\x12<\n" +
	"\texecutors\x18\x01 \x03(\v2\x1e.taskexecutor.v1.ExecutorStatsR\texecutors\"\xd5\x03\n" +
	"\n" +
	"WorkerInfo\x12\x1b\n" +
	"\tworker_id\x18\x01 \x01(\tR\bworkerId\x12\x1c\n" +
	"\texecutors\x18\x02 \x03(\tR\texecutors\x12\x1f\n" +
	"\vsdk_version\x18\x03 \x01(\tR\n" +
	"sdkVersion\x12=\n" +
	"\fconnected_at\x18\x04 \x01(\v2\x1a.google.protobuf.TimestampR\vconnectedAt\x12F\n" +
	"\x11last_heartbeat_at\x18\x05 \x01(\v2\x1a.google.protobuf.TimestampR\x0flastHeartbeatAt\x12\x1b\n" +
	"\tin_flight\x18\x06 \x01(\x05R\binFlight\x12\x18\n" +
	"\acredits\x18\a \x01(\x05R\acredits\x12\x12\n" +
	"\x04host\x18\b \x01(\tR\x04host\x12\x10\n" +
	"\x03pid\x18\t \x01(\x05R\x03pid\x12\x18\n" +
	"\aruntime\x18\n" +
	" \x01(\tR\aruntime\x12(\n" +
	"\x10running_task_ids\x18\v \x03(\tR\x0erunningTaskIds\x12C\n" +
	"\x0fdisconnected_at\x18\f \x01(\v2\x1a.google.protobuf.TimestampR\x0edisconnectedAt\"\xae\x02\n" +
	"\x06ApiKey\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x12\n" +
	"\x04name\x18\x02 \x01(\tR\x04name\x12.\n" +
	"\x06scopes\x18\x03 \x03(\x0e2\x16.taskexecutor.v1.ScopeR\x06scopes\x12\x1c\n" +
	"\texecutors\x18\x04 \x03(\tR\texecutors\x129\n" +
	"\n" +
	"created_at\x18\x05 \x01(\v2\x1a.google.protobuf.TimestampR\tcreatedAt\x12<\n" +
	"\flast_used_at\x18\x06 \x01(\v2\x1a.google.protobuf.TimestampR\n" +
	"lastUsedAt\x129\n" +
	"\n" +
	"revoked_at\x18\a \x01(\v2\x1a.google.protobuf.TimestampR\trevokedAt\"t\n" +
	"\x10CreateKeyRequest\x12\x12\n" +
	"\x04name\x18\x01 \x01(\tR\x04name\x12.\n" +
	"\x06scopes\x18\x02 \x03(\x0e2\x16.taskexecutor.v1.ScopeR\x06scopes\x12\x1c\n" +
	"\texecutors\x18\x03 \x03(\tR\texecutors\"T\n" +
	"\x11CreateKeyResponse\x12)\n" +
	"\x03key\x18\x01 \x01(\v2\x17.taskexecutor.v1.ApiKeyR\x03key\x12\x14\n" +
	"\x05token\x18\x02 \x01(\tR\x05token\"?\n" +
	"\x0fListKeysRequest\x12\x16\n" +
	"\x06cursor\x18\x01 \x01(\tR\x06cursor\x12\x14\n" +
	"\x05limit\x18\x02 \x01(\x05R\x05limit\"`\n" +
	"\x10ListKeysResponse\x12+\n" +
	"\x04keys\x18\x01 \x03(\v2\x17.taskexecutor.v1.ApiKeyR\x04keys\x12\x1f\n" +
	"\vnext_cursor\x18\x02 \x01(\tR\n" +
	"nextCursor\"\"\n" +
	"\x10RevokeKeyRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\">\n" +
	"\x11RevokeKeyResponse\x12)\n" +
	"\x03key\x18\x01 \x01(\v2\x17.taskexecutor.v1.ApiKeyR\x03key\".\n" +
	"\x11WatchTasksRequest\x12\x19\n" +
	"\btask_ids\x18\x01 \x03(\tR\ataskIds\"?\n" +
	"\x12WatchTasksResponse\x12)\n" +
	"\x04task\x18\x01 \x01(\v2\x15.taskexecutor.v1.TaskR\x04task\"I\n" +
	"\x19CreateAndWatchTaskRequest\x12,\n" +
	"\x04task\x18\x01 \x01(\v2\x18.taskexecutor.v1.NewTaskR\x04task\"G\n" +
	"\x1aCreateAndWatchTaskResponse\x12)\n" +
	"\x04task\x18\x01 \x01(\v2\x15.taskexecutor.v1.TaskR\x04task\"\x85\x03\n" +
	"\x0eProduceRequest\x12\x1d\n" +
	"\n" +
	"request_id\x18\x01 \x01(\rR\trequestId\x12<\n" +
	"\x06create\x18\x02 \x01(\v2\".taskexecutor.v1.CreateTaskRequestH\x00R\x06create\x12V\n" +
	"\x10create_and_watch\x18\x03 \x01(\v2*.taskexecutor.v1.CreateAndWatchTaskRequestH\x00R\x0ecreateAndWatch\x128\n" +
	"\x06cancel\x18\x04 \x01(\v2\x1e.taskexecutor.v1.ProduceCancelH\x00R\x06cancel\x12:\n" +
	"\x05watch\x18\a \x01(\v2\".taskexecutor.v1.WatchTasksRequestH\x00R\x05watch\x12 \n" +
	"\vtraceparent\x18\x05 \x01(\tR\vtraceparent\x12\x1e\n" +
	"\n" +
	"tracestate\x18\x06 \x01(\tR\n" +
	"tracestateB\x06\n" +
	"\x04kind\"\x0f\n" +
	"\rProduceCancel\"\xb0\x01\n" +
	"\x0fProduceResponse\x12\x1d\n" +
	"\n" +
	"request_id\x18\x01 \x01(\rR\trequestId\x12+\n" +
	"\x04task\x18\x02 \x01(\v2\x15.taskexecutor.v1.TaskH\x00R\x04task\x125\n" +
	"\x05error\x18\x03 \x01(\v2\x1d.taskexecutor.v1.ProduceErrorH\x00R\x05error\x12\x12\n" +
	"\x04done\x18\x04 \x01(\bR\x04doneB\x06\n" +
	"\x04kind\"\x80\x01\n" +
	"\fProduceError\x12\x12\n" +
	"\x04code\x18\x01 \x01(\x05R\x04code\x12\x18\n" +
	"\amessage\x18\x02 \x01(\tR\amessage\x12\x18\n" +
	"\adetails\x18\x03 \x01(\fR\adetails\x12(\n" +
	"\x10existing_task_id\x18\x04 \x01(\tR\x0eexistingTaskId\"B\n" +
	"\x12ListWorkersRequest\x12\x16\n" +
	"\x06cursor\x18\x01 \x01(\tR\x06cursor\x12\x14\n" +
	"\x05limit\x18\x02 \x01(\x05R\x05limit\"m\n" +
	"\x13ListWorkersResponse\x125\n" +
	"\aworkers\x18\x01 \x03(\v2\x1b.taskexecutor.v1.WorkerInfoR\aworkers\x12\x1f\n" +
	"\vnext_cursor\x18\x02 \x01(\tR\n" +
	"nextCursor\"\xac\x03\n" +
	"\x12DeleteTasksRequest\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\x123\n" +
	"\x06status\x18\x02 \x03(\x0e2\x1b.taskexecutor.v1.TaskStatusR\x06status\x12?\n" +
	"\rcreated_after\x18\x03 \x01(\v2\x1a.google.protobuf.TimestampR\fcreatedAfter\x12A\n" +
	"\x0ecreated_before\x18\x04 \x01(\v2\x1a.google.protobuf.TimestampR\rcreatedBefore\x12A\n" +
	"\x0efinished_after\x18\x05 \x01(\v2\x1a.google.protobuf.TimestampR\rfinishedAfter\x12C\n" +
	"\x0ffinished_before\x18\x06 \x01(\v2\x1a.google.protobuf.TimestampR\x0efinishedBefore\x12\x16\n" +
	"\x06cursor\x18\a \x01(\tR\x06cursor\x12\x18\n" +
	"\aconfirm\x18\b \x01(\bR\aconfirm\"\x85\x01\n" +
	"\x13DeleteTasksResponse\x12\x18\n" +
	"\adeleted\x18\x01 \x01(\x05R\adeleted\x12\x1f\n" +
	"\vnext_cursor\x18\x02 \x01(\tR\n" +
	"nextCursor\x123\n" +
	"\astopped\x18\x03 \x01(\v2\x19.taskexecutor.v1.BulkStopR\astopped\"\xac\x03\n" +
	"\x12CancelTasksRequest\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\x123\n" +
	"\x06status\x18\x02 \x03(\x0e2\x1b.taskexecutor.v1.TaskStatusR\x06status\x12?\n" +
	"\rcreated_after\x18\x03 \x01(\v2\x1a.google.protobuf.TimestampR\fcreatedAfter\x12A\n" +
	"\x0ecreated_before\x18\x04 \x01(\v2\x1a.google.protobuf.TimestampR\rcreatedBefore\x12A\n" +
	"\x0efinished_after\x18\x05 \x01(\v2\x1a.google.protobuf.TimestampR\rfinishedAfter\x12C\n" +
	"\x0ffinished_before\x18\x06 \x01(\v2\x1a.google.protobuf.TimestampR\x0efinishedBefore\x12\x16\n" +
	"\x06cursor\x18\a \x01(\tR\x06cursor\x12\x18\n" +
	"\aconfirm\x18\b \x01(\bR\aconfirm\"\x89\x01\n" +
	"\x13CancelTasksResponse\x12\x1c\n" +
	"\tcancelled\x18\x01 \x01(\x05R\tcancelled\x12\x1f\n" +
	"\vnext_cursor\x18\x02 \x01(\tR\n" +
	"nextCursor\x123\n" +
	"\astopped\x18\x03 \x01(\v2\x19.taskexecutor.v1.BulkStopR\astopped\"\xab\x03\n" +
	"\x11RetryTasksRequest\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\x123\n" +
	"\x06status\x18\x02 \x03(\x0e2\x1b.taskexecutor.v1.TaskStatusR\x06status\x12?\n" +
	"\rcreated_after\x18\x03 \x01(\v2\x1a.google.protobuf.TimestampR\fcreatedAfter\x12A\n" +
	"\x0ecreated_before\x18\x04 \x01(\v2\x1a.google.protobuf.TimestampR\rcreatedBefore\x12A\n" +
	"\x0efinished_after\x18\x05 \x01(\v2\x1a.google.protobuf.TimestampR\rfinishedAfter\x12C\n" +
	"\x0ffinished_before\x18\x06 \x01(\v2\x1a.google.protobuf.TimestampR\x0efinishedBefore\x12\x16\n" +
	"\x06cursor\x18\a \x01(\tR\x06cursor\x12\x18\n" +
	"\aconfirm\x18\b \x01(\bR\aconfirm\"\x9e\x01\n" +
	"\x12RetryTasksResponse\x12\x18\n" +
	"\aretried\x18\x01 \x01(\x05R\aretried\x12\x18\n" +
	"\ainvalid\x18\x02 \x01(\x05R\ainvalid\x12\x1f\n" +
	"\vnext_cursor\x18\x03 \x01(\tR\n" +
	"nextCursor\x123\n" +
	"\astopped\x18\x04 \x01(\v2\x19.taskexecutor.v1.BulkStopR\astopped\"8\n" +
	"\bBulkStop\x12\x12\n" +
	"\x04code\x18\x01 \x01(\x05R\x04code\x12\x18\n" +
	"\amessage\x18\x02 \x01(\tR\amessage\"\xdc\x01\n" +
	"\fScheduleTask\x12*\n" +
	"\x04data\x18\x01 \x01(\v2\x16.google.protobuf.ValueR\x04data\x12G\n" +
	"\bmetadata\x18\x02 \x03(\v2+.taskexecutor.v1.ScheduleTask.MetadataEntryR\bmetadata\x12\x1a\n" +
	"\bpriority\x18\x03 \x01(\x05R\bpriority\x1a;\n" +
	"\rMetadataEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"\xe7\x04\n" +
	"\x0eScheduleConfig\x12\x12\n" +
	"\x04name\x18\x01 \x01(\tR\x04name\x12#\n" +
	"\rexecutor_name\x18\x02 \x01(\tR\fexecutorName\x12\x12\n" +
	"\x04cron\x18\x03 \x01(\tR\x04cron\x12/\n" +
	"\x05every\x18\x04 \x01(\v2\x19.google.protobuf.DurationR\x05every\x12\x1a\n" +
	"\btimezone\x18\x05 \x01(\tR\btimezone\x121\n" +
	"\x04task\x18\x06 \x01(\v2\x1d.taskexecutor.v1.ScheduleTaskR\x04task\x12\x1d\n" +
	"\aenabled\x18\a \x01(\bH\x00R\aenabled\x88\x01\x01\x12E\n" +
	"\x0eoverlap_policy\x18\b \x01(\x0e2\x1e.taskexecutor.v1.OverlapPolicyR\roverlapPolicy\x12O\n" +
	"\x12missed_fire_policy\x18\t \x01(\x0e2!.taskexecutor.v1.MissedFirePolicyR\x10missedFirePolicy\x12(\n" +
	"\x10max_missed_fires\x18\n" +
	" \x01(\x05R\x0emaxMissedFires\x121\n" +
	"\x06jitter\x18\v \x01(\v2\x19.google.protobuf.DurationR\x06jitter\x125\n" +
	"\bstart_at\x18\f \x01(\v2\x1a.google.protobuf.TimestampR\astartAt\x121\n" +
	"\x06end_at\x18\r \x01(\v2\x1a.google.protobuf.TimestampR\x05endAtB\n" +
	"\n" +
	"\b_enabled\"\xea\x01\n" +
	"\fScheduleFire\x123\n" +
	"\afire_at\x18\x01 \x01(\v2\x1a.google.protobuf.TimestampR\x06fireAt\x125\n" +
	"\bfired_at\x18\x02 \x01(\v2\x1a.google.protobuf.TimestampR\afiredAt\x12\x17\n" +
	"\atask_id\x18\x03 \x01(\tR\x06taskId\x12=\n" +
	"\askipped\x18\x04 \x01(\x0e2#.taskexecutor.v1.ScheduleSkipReasonR\askipped\x12\x16\n" +
	"\x06manual\x18\x05 \x01(\bR\x06manual\"\x8d\a\n" +
	"\bSchedule\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x12\n" +
	"\x04name\x18\x02 \x01(\tR\x04name\x12#\n" +
	"\rexecutor_name\x18\x03 \x01(\tR\fexecutorName\x12\x12\n" +
	"\x04cron\x18\x04 \x01(\tR\x04cron\x12/\n" +
	"\x05every\x18\x05 \x01(\v2\x19.google.protobuf.DurationR\x05every\x12\x1a\n" +
	"\btimezone\x18\x06 \x01(\tR\btimezone\x121\n" +
	"\x04task\x18\a \x01(\v2\x1d.taskexecutor.v1.ScheduleTaskR\x04task\x12\x18\n" +
	"\aenabled\x18\b \x01(\bR\aenabled\x12E\n" +
	"\x0eoverlap_policy\x18\t \x01(\x0e2\x1e.taskexecutor.v1.OverlapPolicyR\roverlapPolicy\x12O\n" +
	"\x12missed_fire_policy\x18\n" +
	" \x01(\x0e2!.taskexecutor.v1.MissedFirePolicyR\x10missedFirePolicy\x12(\n" +
	"\x10max_missed_fires\x18\v \x01(\x05R\x0emaxMissedFires\x121\n" +
	"\x06jitter\x18\f \x01(\v2\x19.google.protobuf.DurationR\x06jitter\x125\n" +
	"\bstart_at\x18\r \x01(\v2\x1a.google.protobuf.TimestampR\astartAt\x121\n" +
	"\x06end_at\x18\x0e \x01(\v2\x1a.google.protobuf.TimestampR\x05endAt\x12<\n" +
	"\fnext_fire_at\x18\x0f \x01(\v2\x1a.google.protobuf.TimestampR\n" +
	"nextFireAt\x129\n" +
	"\n" +
	"next_fires\x18\x10 \x03(\v2\x1a.google.protobuf.TimestampR\tnextFires\x12<\n" +
	"\n" +
	"last_fires\x18\x11 \x03(\v2\x1d.taskexecutor.v1.ScheduleFireR\tlastFires\x129\n" +
	"\n" +
	"created_at\x18\x12 \x01(\v2\x1a.google.protobuf.TimestampR\tcreatedAt\x129\n" +
	"\n" +
	"updated_at\x18\x13 \x01(\v2\x1a.google.protobuf.TimestampR\tupdatedAt\"P\n" +
	"\x15CreateScheduleRequest\x127\n" +
	"\x06config\x18\x01 \x01(\v2\x1f.taskexecutor.v1.ScheduleConfigR\x06config\"O\n" +
	"\x16CreateScheduleResponse\x125\n" +
	"\bschedule\x18\x01 \x01(\v2\x19.taskexecutor.v1.ScheduleR\bschedule\"\x7f\n" +
	"\x14ListSchedulesRequest\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\x12\x14\n" +
	"\x05fires\x18\x02 \x01(\x05R\x05fires\x12\x16\n" +
	"\x06cursor\x18\x03 \x01(\tR\x06cursor\x12\x14\n" +
	"\x05limit\x18\x04 \x01(\x05R\x05limit\"q\n" +
	"\x15ListSchedulesResponse\x127\n" +
	"\tschedules\x18\x01 \x03(\v2\x19.taskexecutor.v1.ScheduleR\tschedules\x12\x1f\n" +
	"\vnext_cursor\x18\x02 \x01(\tR\n" +
	"nextCursor\":\n" +
	"\x12GetScheduleRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x14\n" +
	"\x05fires\x18\x02 \x01(\x05R\x05fires\"L\n" +
	"\x13GetScheduleResponse\x125\n" +
	"\bschedule\x18\x01 \x01(\v2\x19.taskexecutor.v1.ScheduleR\bschedule\"`\n" +
	"\x15UpdateScheduleRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x127\n" +
	"\x06config\x18\x02 \x01(\v2\x1f.taskexecutor.v1.ScheduleConfigR\x06config\"O\n" +
	"\x16UpdateScheduleResponse\x125\n" +
	"\bschedule\x18\x01 \x01(\v2\x19.taskexecutor.v1.ScheduleR\bschedule\"'\n" +
	"\x15DeleteScheduleRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\"2\n" +
	"\x16DeleteScheduleResponse\x12\x18\n" +
	"\adeleted\x18\x01 \x01(\bR\adeleted\"&\n" +
	"\x14PauseScheduleRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\"N\n" +
	"\x15PauseScheduleResponse\x125\n" +
	"\bschedule\x18\x01 \x01(\v2\x19.taskexecutor.v1.ScheduleR\bschedule\"'\n" +
	"\x15ResumeScheduleRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\"O\n" +
	"\x16ResumeScheduleResponse\x125\n" +
	"\bschedule\x18\x01 \x01(\v2\x19.taskexecutor.v1.ScheduleR\bschedule\"(\n" +
	"\x16TriggerScheduleRequest\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\"i\n" +
	"\x17TriggerScheduleResponse\x125\n" +
	"\bschedule\x18\x01 \x01(\v2\x19.taskexecutor.v1.ScheduleR\bschedule\x12\x17\n" +
	"\atask_id\x18\x02 \x01(\tR\x06taskId\"g\n" +
	"\x16PreviewScheduleRequest\x127\n" +
	"\x06config\x18\x01 \x01(\v2\x1f.taskexecutor.v1.ScheduleConfigR\x06config\x12\x14\n" +
	"\x05count\x18\x02 \x01(\x05R\x05count\"T\n" +
	"\x17PreviewScheduleResponse\x129\n" +
	"\n" +
	"next_fires\x18\x01 \x03(\v2\x1a.google.protobuf.TimestampR\tnextFires\"\xe1\x03\n" +
	"\vHistorySlot\x12\x18\n" +
	"\acreated\x18\x01 \x01(\x03R\acreated\x12\x18\n" +
	"\astarted\x18\x02 \x01(\x03R\astarted\x12\x1c\n" +
	"\tcompleted\x18\x03 \x01(\x03R\tcompleted\x12'\n" +
	"\x0ffailed_attempts\x18\x04 \x01(\x03R\x0efailedAttempts\x12\x18\n" +
	"\aretried\x18\x05 \x01(\x03R\aretried\x12#\n" +
	"\rdead_lettered\x18\x06 \x01(\x03R\fdeadLettered\x12\x1c\n" +
	"\tcancelled\x18\a \x01(\x03R\tcancelled\x12?\n" +
	"\x0equeue_wait_p50\x18\b \x01(\v2\x19.google.protobuf.DurationR\fqueueWaitP50\x12?\n" +
	"\x0equeue_wait_p95\x18\t \x01(\v2\x19.google.protobuf.DurationR\fqueueWaitP95\x12;\n" +
	"\frun_time_p50\x18\n" +
	" \x01(\v2\x19.google.protobuf.DurationR\n" +
	"runTimeP50\x12;\n" +
	"\frun_time_p95\x18\v \x01(\v2\x19.google.protobuf.DurationR\n" +
	"runTimeP95\"l\n" +
	"\fHistoryPoint\x12*\n" +
	"\x02at\x18\x01 \x01(\v2\x1a.google.protobuf.TimestampR\x02at\x120\n" +
	"\x04slot\x18\x02 \x01(\v2\x1c.taskexecutor.v1.HistorySlotR\x04slot\"\xea\x01\n" +
	"\x11GetHistoryRequest\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\x12.\n" +
	"\x04from\x18\x02 \x01(\v2\x1a.google.protobuf.TimestampR\x04from\x12*\n" +
	"\x02to\x18\x03 \x01(\v2\x1a.google.protobuf.TimestampR\x02to\x12-\n" +
	"\x04step\x18\x04 \x01(\v2\x19.google.protobuf.DurationR\x04step\x12%\n" +
	"\x0eexecutor_names\x18\x05 \x03(\tR\rexecutorNames\"\xa1\x01\n" +
	"\rHistorySeries\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\x125\n" +
	"\x06points\x18\x02 \x03(\v2\x1d.taskexecutor.v1.HistoryPointR\x06points\x124\n" +
	"\x06totals\x18\x03 \x01(\v2\x1c.taskexecutor.v1.HistorySlotR\x06totals\"\xe9\x02\n" +
	"\x12GetHistoryResponse\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\x12.\n" +
	"\x04from\x18\x02 \x01(\v2\x1a.google.protobuf.TimestampR\x04from\x12*\n" +
	"\x02to\x18\x03 \x01(\v2\x1a.google.protobuf.TimestampR\x02to\x12-\n" +
	"\x04step\x18\x04 \x01(\v2\x19.google.protobuf.DurationR\x04step\x125\n" +
	"\x06points\x18\x05 \x03(\v2\x1d.taskexecutor.v1.HistoryPointR\x06points\x124\n" +
	"\x06totals\x18\x06 \x01(\v2\x1c.taskexecutor.v1.HistorySlotR\x06totals\x126\n" +
	"\x06series\x18\a \x03(\v2\x1e.taskexecutor.v1.HistorySeriesR\x06series\"\xea\x01\n" +
	"\vWorkRequest\x12.\n" +
	"\x05hello\x18\x01 \x01(\v2\x16.taskexecutor.v1.HelloH\x00R\x05hello\x121\n" +
	"\x06credit\x18\x02 \x01(\v2\x17.taskexecutor.v1.CreditH\x00R\x06credit\x124\n" +
	"\aresults\x18\x03 \x01(\v2\x18.taskexecutor.v1.ResultsH\x00R\aresults\x12:\n" +
	"\theartbeat\x18\x04 \x01(\v2\x1a.taskexecutor.v1.HeartbeatH\x00R\theartbeatB\x06\n" +
	"\x04kind\"\xc1\x01\n" +
	"\x05Hello\x12\x1b\n" +
	"\tworker_id\x18\x01 \x01(\tR\bworkerId\x12\x1c\n" +
	"\texecutors\x18\x02 \x03(\tR\texecutors\x12\x1f\n" +
	"\vsdk_version\x18\x03 \x01(\tR\n" +
	"sdkVersion\x12\x12\n" +
	"\x04host\x18\x04 \x01(\tR\x04host\x12\x10\n" +
	"\x03pid\x18\x05 \x01(\x05R\x03pid\x12\x18\n" +
	"\aruntime\x18\x06 \x01(\tR\aruntime\x12\x1c\n" +
	"\tkeepalive\x18\a \x01(\bR\tkeepalive\"G\n" +
	"\x06Credit\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\x12\x18\n" +
	"\acredits\x18\x02 \x01(\x05R\acredits\"\xf3\x02\n" +
	"\x06Result\x12\x17\n" +
	"\atask_id\x18\x01 \x01(\tR\x06taskId\x12\x1f\n" +
	"\vlease_token\x18\x02 \x01(\tR\n" +
	"leaseToken\x12\x0e\n" +
	"\x02ok\x18\x03 \x01(\bR\x02ok\x12\x1f\n" +
	"\vresult_json\x18\x04 \x01(\tR\n" +
	"resultJson\x12\x14\n" +
	"\x05error\x18\x05 \x01(\tR\x05error\x12\x1c\n" +
	"\tretryable\x18\x06 \x01(\bR\tretryable\x12:\n" +
	"\vretry_after\x18\f \x01(\v2\x19.google.protobuf.DurationR\n" +
	"retryAfter\x12A\n" +
	"\x0efailure_reason\x18\b \x01(\x0e2\x1a.taskexecutor.v1.DlqReasonR\rfailureReason\x12!\n" +
	"\frate_limited\x18\t \x01(\bR\vrateLimited\x12\x14\n" +
	"\x05stack\x18\n" +
	" \x01(\tR\x05stack\x12\x12\n" +
	"\x04logs\x18\v \x03(\tR\x04logs\"<\n" +
	"\aResults\x121\n" +
	"\aresults\x18\x01 \x03(\v2\x17.taskexecutor.v1.ResultR\aresults\"\xba\x01\n" +
	"\tHeartbeat\x12\x19\n" +
	"\btask_ids\x18\x01 \x03(\tR\ataskIds\x12Q\n" +
	"\rprogress_json\x18\x02 \x03(\v2,.taskexecutor.v1.Heartbeat.ProgressJsonEntryR\fprogressJson\x1a?\n" +
	"\x11ProgressJsonEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"\x94\x03\n" +
	"\fWorkResponse\x124\n" +
	"\awelcome\x18\x01 \x01(\v2\x18.taskexecutor.v1.WelcomeH\x00R\awelcome\x12@\n" +
	"\vassignments\x18\x02 \x01(\v2\x1c.taskexecutor.v1.AssignmentsH\x00R\vassignments\x12F\n" +
	"\rcancellations\x18\x03 \x01(\v2\x1e.taskexecutor.v1.CancellationsH\x00R\rcancellations\x121\n" +
	"\x04acks\x18\x04 \x01(\v2\x1b.taskexecutor.v1.ResultAcksH\x00R\x04acks\x12M\n" +
	"\x10executor_deleted\x18\x05 \x01(\v2 .taskexecutor.v1.ExecutorDeletedH\x00R\x0fexecutorDeleted\x12:\n" +
	"\tkeepalive\x18\x06 \x01(\v2\x1a.taskexecutor.v1.KeepaliveH\x00R\tkeepaliveB\x06\n" +
	"\x04kind\"\v\n" +
	"\tKeepalive\"6\n" +
	"\x0fExecutorDeleted\x12#\n" +
	"\rexecutor_name\x18\x01 \x01(\tR\fexecutorName\"\x97\x03\n" +
	"\aWelcome\x12\x1d\n" +
	"\n" +
	"manager_id\x18\x01 \x01(\tR\tmanagerId\x12*\n" +
	"\x11max_message_bytes\x18\x02 \x01(\x03R\x0fmaxMessageBytes\x12(\n" +
	"\x10max_result_bytes\x18\x03 \x01(\x03R\x0emaxResultBytes\x12&\n" +
	"\x0fmax_error_chars\x18\x04 \x01(\x05R\rmaxErrorChars\x12&\n" +
	"\x0fmax_stack_chars\x18\x05 \x01(\x05R\rmaxStackChars\x12\"\n" +
	"\rmax_log_lines\x18\x06 \x01(\x05R\vmaxLogLines\x12+\n" +
	"\x12max_log_line_chars\x18\a \x01(\x05R\x0fmaxLogLineChars\x12,\n" +
	"\x12max_progress_bytes\x18\b \x01(\x03R\x10maxProgressBytes\x12H\n" +
	"\x12keepalive_interval\x18\t \x01(\v2\x19.google.protobuf.DurationR\x11keepaliveInterval\"\x8c\x04\n" +
	"\n" +
	"Assignment\x12\x17\n" +
	"\atask_id\x18\x01 \x01(\tR\x06taskId\x12#\n" +
	"\rexecutor_name\x18\x02 \x01(\tR\fexecutorName\x12\x1b\n" +
	"\tdata_json\x18\x03 \x01(\tR\bdataJson\x12E\n" +
	"\bmetadata\x18\x04 \x03(\v2).taskexecutor.v1.Assignment.MetadataEntryR\bmetadata\x12\x18\n" +
	"\aattempt\x18\x05 \x01(\x05R\aattempt\x12!\n" +
	"\fmax_attempts\x18\x06 \x01(\x05R\vmaxAttempts\x12\x1f\n" +
	"\vlease_token\x18\a \x01(\tR\n" +
	"leaseToken\x12D\n" +
	"\x10lease_expires_at\x18\f \x01(\v2\x1a.google.protobuf.TimestampR\x0eleaseExpiresAt\x129\n" +
	"\n" +
	"created_at\x18\r \x01(\v2\x1a.google.protobuf.TimestampR\tcreatedAt\x12 \n" +
	"\vtraceparent\x18\n" +
	" \x01(\tR\vtraceparent\x12\x1e\n" +
	"\n" +
	"tracestate\x18\v \x01(\tR\n" +
	"tracestate\x1a;\n" +
	"\rMetadataEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"@\n" +
	"\vAssignments\x121\n" +
	"\x05tasks\x18\x01 \x03(\v2\x1b.taskexecutor.v1.AssignmentR\x05tasks\"d\n" +
	"\fCancellation\x12\x17\n" +
	"\atask_id\x18\x01 \x01(\tR\x06taskId\x12;\n" +
	"\x06reason\x18\x02 \x01(\x0e2#.taskexecutor.v1.CancellationReasonR\x06reason\"D\n" +
	"\rCancellations\x123\n" +
	"\x05tasks\x18\x01 \x03(\v2\x1d.taskexecutor.v1.CancellationR\x05tasks\"V\n" +
	"\tResultAck\x12\x17\n" +
	"\atask_id\x18\x01 \x01(\tR\x06taskId\x12\x1a\n" +
	"\baccepted\x18\x02 \x01(\bR\baccepted\x12\x14\n" +
	"\x05error\x18\x03 \x01(\tR\x05error\"<\n" +
	"\n" +
	"ResultAcks\x12.\n" +
	"\x04acks\x18\x01 \x03(\v2\x1a.taskexecutor.v1.ResultAckR\x04acks\"l\n" +
	"\x12GetNextTaskRequest\x12\x1b\n" +
	"\tworker_id\x18\x01 \x01(\tR\bworkerId\x12\x1c\n" +
	"\texecutors\x18\x02 \x03(\tR\texecutors\x12\x1b\n" +
	"\tmax_tasks\x18\x03 \x01(\x05R\bmaxTasks\"H\n" +
	"\x13GetNextTaskResponse\x121\n" +
	"\x05tasks\x18\x01 \x03(\v2\x1b.taskexecutor.v1.AssignmentR\x05tasks\"f\n" +
	"\x14ReportResultsRequest\x12\x1b\n" +
	"\tworker_id\x18\x01 \x01(\tR\bworkerId\x121\n" +
	"\aresults\x18\x02 \x03(\v2\x17.taskexecutor.v1.ResultR\aresults\"G\n" +
	"\x15ReportResultsResponse\x12.\n" +
	"\x04acks\x18\x01 \x03(\v2\x1a.taskexecutor.v1.ResultAckR\x04acks*\xc2\x01\n" +
	"\n" +
	"TaskStatus\x12\x1b\n" +
	"\x17TASK_STATUS_UNSPECIFIED\x10\x00\x12\x17\n" +
	"\x13TASK_STATUS_PENDING\x10\x01\x12\x1b\n" +
	"\x17TASK_STATUS_IN_PROGRESS\x10\x02\x12\x19\n" +
	"\x15TASK_STATUS_COMPLETED\x10\x03\x12\x16\n" +
	"\x12TASK_STATUS_FAILED\x10\x04\x12\x13\n" +
	"\x0fTASK_STATUS_DLQ\x10\x05\x12\x19\n" +
	"\x15TASK_STATUS_CANCELLED\x10\x06*\x95\x01\n" +
	"\x0fRetryPolicyType\x12!\n" +
	"\x1dRETRY_POLICY_TYPE_UNSPECIFIED\x10\x00\x12\x1e\n" +
	"\x1aRETRY_POLICY_TYPE_CONSTANT\x10\x01\x12\x1c\n" +
	"\x18RETRY_POLICY_TYPE_LINEAR\x10\x02\x12!\n" +
	"\x1dRETRY_POLICY_TYPE_EXPONENTIAL\x10\x03*\xd3\x01\n" +
	"\x11WriteConcernLevel\x12#\n" +
	"\x1fWRITE_CONCERN_LEVEL_UNSPECIFIED\x10\x00\x12,\n" +
	"(WRITE_CONCERN_LEVEL_REPLICA_ACKNOWLEDGED\x10\x01\x12 \n" +
	"\x1cWRITE_CONCERN_LEVEL_MAJORITY\x10\x02\x12&\n" +
	"\"WRITE_CONCERN_LEVEL_UNACKNOWLEDGED\x10\x03\x12!\n" +
	"\x1dWRITE_CONCERN_LEVEL_JOURNALED\x10\x04*\xb0\x01\n" +
	"\tDlqReason\x12\x1a\n" +
	"\x16DLQ_REASON_UNSPECIFIED\x10\x00\x12\x1b\n" +
	"\x17DLQ_REASON_MAX_ATTEMPTS\x10\x01\x12\x1c\n" +
	"\x18DLQ_REASON_NON_RETRYABLE\x10\x02\x12\x16\n" +
	"\x12DLQ_REASON_TIMEOUT\x10\x03\x12\x19\n" +
	"\x15DLQ_REASON_LEASE_LOST\x10\x04\x12\x19\n" +
	"\x15DLQ_REASON_VALIDATION\x10\x05*\xa1\x01\n" +
	"\x12CancellationReason\x12#\n" +
	"\x1fCANCELLATION_REASON_UNSPECIFIED\x10\x00\x12!\n" +
	"\x1dCANCELLATION_REASON_CANCELLED\x10\x01\x12\"\n" +
	"\x1eCANCELLATION_REASON_LEASE_LOST\x10\x02\x12\x1f\n" +
	"\x1bCANCELLATION_REASON_TIMEOUT\x10\x03*x\n" +
	"\x05Scope\x12\x15\n" +
	"\x11SCOPE_UNSPECIFIED\x10\x00\x12\x0f\n" +
	"\vSCOPE_ADMIN\x10\x01\x12\x12\n" +
	"\x0eSCOPE_PRODUCER\x10\x02\x12\x10\n" +
	"\fSCOPE_WORKER\x10\x03\x12\x0e\n" +
	"\n" +
	"SCOPE_READ\x10\x04\x12\x11\n" +
	"\rSCOPE_METRICS\x10\x05*N\n" +
	"\bTaskView\x12\x19\n" +
	"\x15TASK_VIEW_UNSPECIFIED\x10\x00\x12\x13\n" +
	"\x0fTASK_VIEW_BASIC\x10\x01\x12\x12\n" +
	"\x0eTASK_VIEW_FULL\x10\x02*b\n" +
	"\rOverlapPolicy\x12\x1e\n" +
	"\x1aOVERLAP_POLICY_UNSPECIFIED\x10\x00\x12\x17\n" +
	"\x13OVERLAP_POLICY_SKIP\x10\x01\x12\x18\n" +
	"\x14OVERLAP_POLICY_ALLOW\x10\x02*\x95\x01\n" +
	"\x10MissedFirePolicy\x12\"\n" +
	"\x1eMISSED_FIRE_POLICY_UNSPECIFIED\x10\x00\x12\x1b\n" +
	"\x17MISSED_FIRE_POLICY_SKIP\x10\x01\x12\x1f\n" +
	"\x1bMISSED_FIRE_POLICY_RUN_ONCE\x10\x02\x12\x1f\n" +
	"\x1bMISSED_FIRE_POLICY_RUN_EACH\x10\x03*\xf4\x01\n" +
	"\x12ScheduleSkipReason\x12$\n" +
	" SCHEDULE_SKIP_REASON_UNSPECIFIED\x10\x00\x12 \n" +
	"\x1cSCHEDULE_SKIP_REASON_OVERLAP\x10\x01\x12\x1f\n" +
	"\x1bSCHEDULE_SKIP_REASON_MISSED\x10\x02\x12#\n" +
	"\x1fSCHEDULE_SKIP_REASON_MISSED_CAP\x10\x03\x12%\n" +
	"!SCHEDULE_SKIP_REASON_INVALID_DATA\x10\x04\x12)\n" +
	"%SCHEDULE_SKIP_REASON_EXECUTOR_MISSING\x10\x052\x99\x1c\n" +
	"\x1aTaskExecutorManagerService\x12a\n" +
	"\x0eCreateExecutor\x12&.taskexecutor.v1.CreateExecutorRequest\x1a'.taskexecutor.v1.CreateExecutorResponse\x12X\n" +
	"\vGetExecutor\x12#.taskexecutor.v1.GetExecutorRequest\x1a$.taskexecutor.v1.GetExecutorResponse\x12^\n" +
	"\rListExecutors\x12%.taskexecutor.v1.ListExecutorsRequest\x1a&.taskexecutor.v1.ListExecutorsResponse\x12a\n" +
	"\x0eUpdateExecutor\x12&.taskexecutor.v1.UpdateExecutorRequest\x1a'.taskexecutor.v1.UpdateExecutorResponse\x12a\n" +
	"\x0eDeleteExecutor\x12&.taskexecutor.v1.DeleteExecutorRequest\x1a'.taskexecutor.v1.DeleteExecutorResponse\x12U\n" +
	"\n" +
	"CreateTask\x12\".taskexecutor.v1.CreateTaskRequest\x1a#.taskexecutor.v1.CreateTaskResponse\x12X\n" +
	"\vCreateTasks\x12#.taskexecutor.v1.CreateTasksRequest\x1a$.taskexecutor.v1.CreateTasksResponse\x12L\n" +
	"\aGetTask\x12\x1f.taskexecutor.v1.GetTaskRequest\x1a .taskexecutor.v1.GetTaskResponse\x12R\n" +
	"\tListTasks\x12!.taskexecutor.v1.ListTasksRequest\x1a\".taskexecutor.v1.ListTasksResponse\x12X\n" +
	"\vSearchTasks\x12#.taskexecutor.v1.SearchTasksRequest\x1a$.taskexecutor.v1.SearchTasksResponse\x12g\n" +
	"\x10UpdateTaskStatus\x12(.taskexecutor.v1.UpdateTaskStatusRequest\x1a).taskexecutor.v1.UpdateTaskStatusResponse\x12U\n" +
	"\n" +
	"CancelTask\x12\".taskexecutor.v1.CancelTaskRequest\x1a#.taskexecutor.v1.CancelTaskResponse\x12L\n" +
	"\aListDlq\x12\x1f.taskexecutor.v1.ListDlqRequest\x1a .taskexecutor.v1.ListDlqResponse\x12X\n" +
	"\vGetDlqEntry\x12#.taskexecutor.v1.GetDlqEntryRequest\x1a$.taskexecutor.v1.GetDlqEntryResponse\x12d\n" +
	"\x0fRequeueDlqEntry\x12'.taskexecutor.v1.RequeueDlqEntryRequest\x1a(.taskexecutor.v1.RequeueDlqEntryResponse\x12a\n" +
	"\x0eDeleteDlqEntry\x12&.taskexecutor.v1.DeleteDlqEntryRequest\x1a'.taskexecutor.v1.DeleteDlqEntryResponse\x12O\n" +
	"\bPurgeDlq\x12 .taskexecutor.v1.PurgeDlqRequest\x1a!.taskexecutor.v1.PurgeDlqResponse\x12U\n" +
	"\n" +
	"RequeueDlq\x12\".taskexecutor.v1.RequeueDlqRequest\x1a#.taskexecutor.v1.RequeueDlqResponse\x12O\n" +
	"\bGetStats\x12 .taskexecutor.v1.GetStatsRequest\x1a!.taskexecutor.v1.GetStatsResponse\x12X\n" +
	"\vListWorkers\x12#.taskexecutor.v1.ListWorkersRequest\x1a$.taskexecutor.v1.ListWorkersResponse\x12R\n" +
	"\tCreateKey\x12!.taskexecutor.v1.CreateKeyRequest\x1a\".taskexecutor.v1.CreateKeyResponse\x12O\n" +
	"\bListKeys\x12 .taskexecutor.v1.ListKeysRequest\x1a!.taskexecutor.v1.ListKeysResponse\x12R\n" +
	"\tRevokeKey\x12!.taskexecutor.v1.RevokeKeyRequest\x1a\".taskexecutor.v1.RevokeKeyResponse\x12W\n" +
	"\n" +
	"WatchTasks\x12\".taskexecutor.v1.WatchTasksRequest\x1a#.taskexecutor.v1.WatchTasksResponse0\x01\x12o\n" +
	"\x12CreateAndWatchTask\x12*.taskexecutor.v1.CreateAndWatchTaskRequest\x1a+.taskexecutor.v1.CreateAndWatchTaskResponse0\x01\x12P\n" +
	"\aProduce\x12\x1f.taskexecutor.v1.ProduceRequest\x1a .taskexecutor.v1.ProduceResponse(\x010\x01\x12X\n" +
	"\vDeleteTasks\x12#.taskexecutor.v1.DeleteTasksRequest\x1a$.taskexecutor.v1.DeleteTasksResponse\x12X\n" +
	"\vCancelTasks\x12#.taskexecutor.v1.CancelTasksRequest\x1a$.taskexecutor.v1.CancelTasksResponse\x12U\n" +
	"\n" +
	"RetryTasks\x12\".taskexecutor.v1.RetryTasksRequest\x1a#.taskexecutor.v1.RetryTasksResponse\x12a\n" +
	"\x0eCreateSchedule\x12&.taskexecutor.v1.CreateScheduleRequest\x1a'.taskexecutor.v1.CreateScheduleResponse\x12^\n" +
	"\rListSchedules\x12%.taskexecutor.v1.ListSchedulesRequest\x1a&.taskexecutor.v1.ListSchedulesResponse\x12X\n" +
	"\vGetSchedule\x12#.taskexecutor.v1.GetScheduleRequest\x1a$.taskexecutor.v1.GetScheduleResponse\x12a\n" +
	"\x0eUpdateSchedule\x12&.taskexecutor.v1.UpdateScheduleRequest\x1a'.taskexecutor.v1.UpdateScheduleResponse\x12a\n" +
	"\x0eDeleteSchedule\x12&.taskexecutor.v1.DeleteScheduleRequest\x1a'.taskexecutor.v1.DeleteScheduleResponse\x12^\n" +
	"\rPauseSchedule\x12%.taskexecutor.v1.PauseScheduleRequest\x1a&.taskexecutor.v1.PauseScheduleResponse\x12a\n" +
	"\x0eResumeSchedule\x12&.taskexecutor.v1.ResumeScheduleRequest\x1a'.taskexecutor.v1.ResumeScheduleResponse\x12d\n" +
	"\x0fTriggerSchedule\x12'.taskexecutor.v1.TriggerScheduleRequest\x1a(.taskexecutor.v1.TriggerScheduleResponse\x12d\n" +
	"\x0fPreviewSchedule\x12'.taskexecutor.v1.PreviewScheduleRequest\x1a(.taskexecutor.v1.PreviewScheduleResponse\x12U\n" +
	"\n" +
	"GetHistory\x12\".taskexecutor.v1.GetHistoryRequest\x1a#.taskexecutor.v1.GetHistoryResponse2\x98\x02\n" +
	"\x13TaskExecutorService\x12G\n" +
	"\x04Work\x12\x1c.taskexecutor.v1.WorkRequest\x1a\x1d.taskexecutor.v1.WorkResponse(\x010\x01\x12X\n" +
	"\vGetNextTask\x12#.taskexecutor.v1.GetNextTaskRequest\x1a$.taskexecutor.v1.GetNextTaskResponse\x12^\n" +
	"\rReportResults\x12%.taskexecutor.v1.ReportResultsRequest\x1a&.taskexecutor.v1.ReportResultsResponseb\x06proto3"

var (
	file_taskexecutor_v1_task_executor_proto_rawDescOnce sync.Once
	file_taskexecutor_v1_task_executor_proto_rawDescData []byte
)

func file_taskexecutor_v1_task_executor_proto_rawDescGZIP() []byte {
	file_taskexecutor_v1_task_executor_proto_rawDescOnce.Do(func() {
		file_taskexecutor_v1_task_executor_proto_rawDescData = protoimpl.X.CompressGZIP(unsafe.Slice(unsafe.StringData(file_taskexecutor_v1_task_executor_proto_rawDesc), len(file_taskexecutor_v1_task_executor_proto_rawDesc)))
	})
	return file_taskexecutor_v1_task_executor_proto_rawDescData
}

var file_taskexecutor_v1_task_executor_proto_enumTypes = make([]protoimpl.EnumInfo, 10)
var file_taskexecutor_v1_task_executor_proto_msgTypes = make([]protoimpl.MessageInfo, 127)
var file_taskexecutor_v1_task_executor_proto_goTypes = []any{
	(TaskStatus)(0),                    // 0: taskexecutor.v1.TaskStatus
	(RetryPolicyType)(0),               // 1: taskexecutor.v1.RetryPolicyType
	(WriteConcernLevel)(0),             // 2: taskexecutor.v1.WriteConcernLevel
	(DlqReason)(0),                     // 3: taskexecutor.v1.DlqReason
	(CancellationReason)(0),            // 4: taskexecutor.v1.CancellationReason
	(Scope)(0),                         // 5: taskexecutor.v1.Scope
	(TaskView)(0),                      // 6: taskexecutor.v1.TaskView
	(OverlapPolicy)(0),                 // 7: taskexecutor.v1.OverlapPolicy
	(MissedFirePolicy)(0),              // 8: taskexecutor.v1.MissedFirePolicy
	(ScheduleSkipReason)(0),            // 9: taskexecutor.v1.ScheduleSkipReason
	(*RetryPolicy)(nil),                // 10: taskexecutor.v1.RetryPolicy
	(*DlqConfig)(nil),                  // 11: taskexecutor.v1.DlqConfig
	(*WriteConcern)(nil),               // 12: taskexecutor.v1.WriteConcern
	(*RateLimit)(nil),                  // 13: taskexecutor.v1.RateLimit
	(*ExecutorConfig)(nil),             // 14: taskexecutor.v1.ExecutorConfig
	(*Executor)(nil),                   // 15: taskexecutor.v1.Executor
	(*TaskError)(nil),                  // 16: taskexecutor.v1.TaskError
	(*Task)(nil),                       // 17: taskexecutor.v1.Task
	(*DlqEntry)(nil),                   // 18: taskexecutor.v1.DlqEntry
	(*CreateExecutorRequest)(nil),      // 19: taskexecutor.v1.CreateExecutorRequest
	(*GetExecutorRequest)(nil),         // 20: taskexecutor.v1.GetExecutorRequest
	(*ListExecutorsRequest)(nil),       // 21: taskexecutor.v1.ListExecutorsRequest
	(*UpdateExecutorRequest)(nil),      // 22: taskexecutor.v1.UpdateExecutorRequest
	(*DeleteExecutorRequest)(nil),      // 23: taskexecutor.v1.DeleteExecutorRequest
	(*CreateExecutorResponse)(nil),     // 24: taskexecutor.v1.CreateExecutorResponse
	(*GetExecutorResponse)(nil),        // 25: taskexecutor.v1.GetExecutorResponse
	(*UpdateExecutorResponse)(nil),     // 26: taskexecutor.v1.UpdateExecutorResponse
	(*ListExecutorsResponse)(nil),      // 27: taskexecutor.v1.ListExecutorsResponse
	(*DeleteExecutorResponse)(nil),     // 28: taskexecutor.v1.DeleteExecutorResponse
	(*NewTask)(nil),                    // 29: taskexecutor.v1.NewTask
	(*CreateTaskRequest)(nil),          // 30: taskexecutor.v1.CreateTaskRequest
	(*CreateTasksRequest)(nil),         // 31: taskexecutor.v1.CreateTasksRequest
	(*CreateTaskResponse)(nil),         // 32: taskexecutor.v1.CreateTaskResponse
	(*CreateTasksResponse)(nil),        // 33: taskexecutor.v1.CreateTasksResponse
	(*GetTaskRequest)(nil),             // 34: taskexecutor.v1.GetTaskRequest
	(*GetTaskResponse)(nil),            // 35: taskexecutor.v1.GetTaskResponse
	(*CancelTaskRequest)(nil),          // 36: taskexecutor.v1.CancelTaskRequest
	(*CancelTaskResponse)(nil),         // 37: taskexecutor.v1.CancelTaskResponse
	(*ListTasksRequest)(nil),           // 38: taskexecutor.v1.ListTasksRequest
	(*ListTasksResponse)(nil),          // 39: taskexecutor.v1.ListTasksResponse
	(*SearchTasksRequest)(nil),         // 40: taskexecutor.v1.SearchTasksRequest
	(*SearchTasksResponse)(nil),        // 41: taskexecutor.v1.SearchTasksResponse
	(*UpdateTaskStatusRequest)(nil),    // 42: taskexecutor.v1.UpdateTaskStatusRequest
	(*UpdateTaskStatusResponse)(nil),   // 43: taskexecutor.v1.UpdateTaskStatusResponse
	(*ListDlqRequest)(nil),             // 44: taskexecutor.v1.ListDlqRequest
	(*ListDlqResponse)(nil),            // 45: taskexecutor.v1.ListDlqResponse
	(*GetDlqEntryRequest)(nil),         // 46: taskexecutor.v1.GetDlqEntryRequest
	(*GetDlqEntryResponse)(nil),        // 47: taskexecutor.v1.GetDlqEntryResponse
	(*DeleteDlqEntryRequest)(nil),      // 48: taskexecutor.v1.DeleteDlqEntryRequest
	(*DeleteDlqEntryResponse)(nil),     // 49: taskexecutor.v1.DeleteDlqEntryResponse
	(*RequeueDlqEntryRequest)(nil),     // 50: taskexecutor.v1.RequeueDlqEntryRequest
	(*RequeueDlqEntryResponse)(nil),    // 51: taskexecutor.v1.RequeueDlqEntryResponse
	(*PurgeDlqRequest)(nil),            // 52: taskexecutor.v1.PurgeDlqRequest
	(*PurgeDlqResponse)(nil),           // 53: taskexecutor.v1.PurgeDlqResponse
	(*RequeueDlqRequest)(nil),          // 54: taskexecutor.v1.RequeueDlqRequest
	(*RequeueDlqResponse)(nil),         // 55: taskexecutor.v1.RequeueDlqResponse
	(*GetStatsRequest)(nil),            // 56: taskexecutor.v1.GetStatsRequest
	(*ExecutorStats)(nil),              // 57: taskexecutor.v1.ExecutorStats
	(*GetStatsResponse)(nil),           // 58: taskexecutor.v1.GetStatsResponse
	(*WorkerInfo)(nil),                 // 59: taskexecutor.v1.WorkerInfo
	(*ApiKey)(nil),                     // 60: taskexecutor.v1.ApiKey
	(*CreateKeyRequest)(nil),           // 61: taskexecutor.v1.CreateKeyRequest
	(*CreateKeyResponse)(nil),          // 62: taskexecutor.v1.CreateKeyResponse
	(*ListKeysRequest)(nil),            // 63: taskexecutor.v1.ListKeysRequest
	(*ListKeysResponse)(nil),           // 64: taskexecutor.v1.ListKeysResponse
	(*RevokeKeyRequest)(nil),           // 65: taskexecutor.v1.RevokeKeyRequest
	(*RevokeKeyResponse)(nil),          // 66: taskexecutor.v1.RevokeKeyResponse
	(*WatchTasksRequest)(nil),          // 67: taskexecutor.v1.WatchTasksRequest
	(*WatchTasksResponse)(nil),         // 68: taskexecutor.v1.WatchTasksResponse
	(*CreateAndWatchTaskRequest)(nil),  // 69: taskexecutor.v1.CreateAndWatchTaskRequest
	(*CreateAndWatchTaskResponse)(nil), // 70: taskexecutor.v1.CreateAndWatchTaskResponse
	(*ProduceRequest)(nil),             // 71: taskexecutor.v1.ProduceRequest
	(*ProduceCancel)(nil),              // 72: taskexecutor.v1.ProduceCancel
	(*ProduceResponse)(nil),            // 73: taskexecutor.v1.ProduceResponse
	(*ProduceError)(nil),               // 74: taskexecutor.v1.ProduceError
	(*ListWorkersRequest)(nil),         // 75: taskexecutor.v1.ListWorkersRequest
	(*ListWorkersResponse)(nil),        // 76: taskexecutor.v1.ListWorkersResponse
	(*DeleteTasksRequest)(nil),         // 77: taskexecutor.v1.DeleteTasksRequest
	(*DeleteTasksResponse)(nil),        // 78: taskexecutor.v1.DeleteTasksResponse
	(*CancelTasksRequest)(nil),         // 79: taskexecutor.v1.CancelTasksRequest
	(*CancelTasksResponse)(nil),        // 80: taskexecutor.v1.CancelTasksResponse
	(*RetryTasksRequest)(nil),          // 81: taskexecutor.v1.RetryTasksRequest
	(*RetryTasksResponse)(nil),         // 82: taskexecutor.v1.RetryTasksResponse
	(*BulkStop)(nil),                   // 83: taskexecutor.v1.BulkStop
	(*ScheduleTask)(nil),               // 84: taskexecutor.v1.ScheduleTask
	(*ScheduleConfig)(nil),             // 85: taskexecutor.v1.ScheduleConfig
	(*ScheduleFire)(nil),               // 86: taskexecutor.v1.ScheduleFire
	(*Schedule)(nil),                   // 87: taskexecutor.v1.Schedule
	(*CreateScheduleRequest)(nil),      // 88: taskexecutor.v1.CreateScheduleRequest
	(*CreateScheduleResponse)(nil),     // 89: taskexecutor.v1.CreateScheduleResponse
	(*ListSchedulesRequest)(nil),       // 90: taskexecutor.v1.ListSchedulesRequest
	(*ListSchedulesResponse)(nil),      // 91: taskexecutor.v1.ListSchedulesResponse
	(*GetScheduleRequest)(nil),         // 92: taskexecutor.v1.GetScheduleRequest
	(*GetScheduleResponse)(nil),        // 93: taskexecutor.v1.GetScheduleResponse
	(*UpdateScheduleRequest)(nil),      // 94: taskexecutor.v1.UpdateScheduleRequest
	(*UpdateScheduleResponse)(nil),     // 95: taskexecutor.v1.UpdateScheduleResponse
	(*DeleteScheduleRequest)(nil),      // 96: taskexecutor.v1.DeleteScheduleRequest
	(*DeleteScheduleResponse)(nil),     // 97: taskexecutor.v1.DeleteScheduleResponse
	(*PauseScheduleRequest)(nil),       // 98: taskexecutor.v1.PauseScheduleRequest
	(*PauseScheduleResponse)(nil),      // 99: taskexecutor.v1.PauseScheduleResponse
	(*ResumeScheduleRequest)(nil),      // 100: taskexecutor.v1.ResumeScheduleRequest
	(*ResumeScheduleResponse)(nil),     // 101: taskexecutor.v1.ResumeScheduleResponse
	(*TriggerScheduleRequest)(nil),     // 102: taskexecutor.v1.TriggerScheduleRequest
	(*TriggerScheduleResponse)(nil),    // 103: taskexecutor.v1.TriggerScheduleResponse
	(*PreviewScheduleRequest)(nil),     // 104: taskexecutor.v1.PreviewScheduleRequest
	(*PreviewScheduleResponse)(nil),    // 105: taskexecutor.v1.PreviewScheduleResponse
	(*HistorySlot)(nil),                // 106: taskexecutor.v1.HistorySlot
	(*HistoryPoint)(nil),               // 107: taskexecutor.v1.HistoryPoint
	(*GetHistoryRequest)(nil),          // 108: taskexecutor.v1.GetHistoryRequest
	(*HistorySeries)(nil),              // 109: taskexecutor.v1.HistorySeries
	(*GetHistoryResponse)(nil),         // 110: taskexecutor.v1.GetHistoryResponse
	(*WorkRequest)(nil),                // 111: taskexecutor.v1.WorkRequest
	(*Hello)(nil),                      // 112: taskexecutor.v1.Hello
	(*Credit)(nil),                     // 113: taskexecutor.v1.Credit
	(*Result)(nil),                     // 114: taskexecutor.v1.Result
	(*Results)(nil),                    // 115: taskexecutor.v1.Results
	(*Heartbeat)(nil),                  // 116: taskexecutor.v1.Heartbeat
	(*WorkResponse)(nil),               // 117: taskexecutor.v1.WorkResponse
	(*Keepalive)(nil),                  // 118: taskexecutor.v1.Keepalive
	(*ExecutorDeleted)(nil),            // 119: taskexecutor.v1.ExecutorDeleted
	(*Welcome)(nil),                    // 120: taskexecutor.v1.Welcome
	(*Assignment)(nil),                 // 121: taskexecutor.v1.Assignment
	(*Assignments)(nil),                // 122: taskexecutor.v1.Assignments
	(*Cancellation)(nil),               // 123: taskexecutor.v1.Cancellation
	(*Cancellations)(nil),              // 124: taskexecutor.v1.Cancellations
	(*ResultAck)(nil),                  // 125: taskexecutor.v1.ResultAck
	(*ResultAcks)(nil),                 // 126: taskexecutor.v1.ResultAcks
	(*GetNextTaskRequest)(nil),         // 127: taskexecutor.v1.GetNextTaskRequest
	(*GetNextTaskResponse)(nil),        // 128: taskexecutor.v1.GetNextTaskResponse
	(*ReportResultsRequest)(nil),       // 129: taskexecutor.v1.ReportResultsRequest
	(*ReportResultsResponse)(nil),      // 130: taskexecutor.v1.ReportResultsResponse
	nil,                                // 131: taskexecutor.v1.Task.MetadataEntry
	nil,                                // 132: taskexecutor.v1.NewTask.MetadataEntry
	nil,                                // 133: taskexecutor.v1.ExecutorStats.ByStatusEntry
	nil,                                // 134: taskexecutor.v1.ScheduleTask.MetadataEntry
	nil,                                // 135: taskexecutor.v1.Heartbeat.ProgressJsonEntry
	nil,                                // 136: taskexecutor.v1.Assignment.MetadataEntry
	(*durationpb.Duration)(nil),        // 137: google.protobuf.Duration
	(*structpb.Value)(nil),             // 138: google.protobuf.Value
	(*timestamppb.Timestamp)(nil),      // 139: google.protobuf.Timestamp
}
var file_taskexecutor_v1_task_executor_proto_depIdxs = []int32{
	1,   // 0: taskexecutor.v1.RetryPolicy.type:type_name -> taskexecutor.v1.RetryPolicyType
	137, // 1: taskexecutor.v1.RetryPolicy.interval:type_name -> google.protobuf.Duration
	137, // 2: taskexecutor.v1.RetryPolicy.max_interval:type_name -> google.protobuf.Duration
	2,   // 3: taskexecutor.v1.WriteConcern.level:type_name -> taskexecutor.v1.WriteConcernLevel
	137, // 4: taskexecutor.v1.RateLimit.period:type_name -> google.protobuf.Duration
	12,  // 5: taskexecutor.v1.ExecutorConfig.write_concern:type_name -> taskexecutor.v1.WriteConcern
	10,  // 6: taskexecutor.v1.ExecutorConfig.retry_policy:type_name -> taskexecutor.v1.RetryPolicy
	11,  // 7: taskexecutor.v1.ExecutorConfig.dlq_config:type_name -> taskexecutor.v1.DlqConfig
	138, // 8: taskexecutor.v1.ExecutorConfig.task_schema:type_name -> google.protobuf.Value
	137, // 9: taskexecutor.v1.ExecutorConfig.timeout:type_name -> google.protobuf.Duration
	13,  // 10: taskexecutor.v1.ExecutorConfig.rate_limit:type_name -> taskexecutor.v1.RateLimit
	13,  // 11: taskexecutor.v1.ExecutorConfig.rate_limit_per_key:type_name -> taskexecutor.v1.RateLimit
	12,  // 12: taskexecutor.v1.Executor.write_concern:type_name -> taskexecutor.v1.WriteConcern
	10,  // 13: taskexecutor.v1.Executor.retry_policy:type_name -> taskexecutor.v1.RetryPolicy
	11,  // 14: taskexecutor.v1.Executor.dlq_config:type_name -> taskexecutor.v1.DlqConfig
	138, // 15: taskexecutor.v1.Executor.task_schema:type_name -> google.protobuf.Value
	137, // 16: taskexecutor.v1.Executor.timeout:type_name -> google.protobuf.Duration
	139, // 17: taskexecutor.v1.Executor.created_at:type_name -> google.protobuf.Timestamp
	139, // 18: taskexecutor.v1.Executor.updated_at:type_name -> google.protobuf.Timestamp
	13,  // 19: taskexecutor.v1.Executor.rate_limit:type_name -> taskexecutor.v1.RateLimit
	13,  // 20: taskexecutor.v1.Executor.rate_limit_per_key:type_name -> taskexecutor.v1.RateLimit
	139, // 21: taskexecutor.v1.TaskError.at:type_name -> google.protobuf.Timestamp
	138, // 22: taskexecutor.v1.Task.data:type_name -> google.protobuf.Value
	131, // 23: taskexecutor.v1.Task.metadata:type_name -> taskexecutor.v1.Task.MetadataEntry
	0,   // 24: taskexecutor.v1.Task.status:type_name -> taskexecutor.v1.TaskStatus
	139, // 25: taskexecutor.v1.Task.run_at:type_name -> google.protobuf.Timestamp
	16,  // 26: taskexecutor.v1.Task.errors:type_name -> taskexecutor.v1.TaskError
	138, // 27: taskexecutor.v1.Task.result:type_name -> google.protobuf.Value
	139, // 28: taskexecutor.v1.Task.created_at:type_name -> google.protobuf.Timestamp
	139, // 29: taskexecutor.v1.Task.updated_at:type_name -> google.protobuf.Timestamp
	139, // 30: taskexecutor.v1.Task.started_at:type_name -> google.protobuf.Timestamp
	139, // 31: taskexecutor.v1.Task.completed_at:type_name -> google.protobuf.Timestamp
	138, // 32: taskexecutor.v1.Task.progress:type_name -> google.protobuf.Value
	139, // 33: taskexecutor.v1.Task.lease_expires_at:type_name -> google.protobuf.Timestamp
	17,  // 34: taskexecutor.v1.DlqEntry.task:type_name -> taskexecutor.v1.Task
	3,   // 35: taskexecutor.v1.DlqEntry.reason:type_name -> taskexecutor.v1.DlqReason
	139, // 36: taskexecutor.v1.DlqEntry.dead_at:type_name -> google.protobuf.Timestamp
	14,  // 37: taskexecutor.v1.CreateExecutorRequest.config:type_name -> taskexecutor.v1.ExecutorConfig
	14,  // 38: taskexecutor.v1.UpdateExecutorRequest.config:type_name -> taskexecutor.v1.ExecutorConfig
	15,  // 39: taskexecutor.v1.CreateExecutorResponse.executor:type_name -> taskexecutor.v1.Executor
	15,  // 40: taskexecutor.v1.GetExecutorResponse.executor:type_name -> taskexecutor.v1.Executor
	15,  // 41: taskexecutor.v1.UpdateExecutorResponse.executor:type_name -> taskexecutor.v1.Executor
	15,  // 42: taskexecutor.v1.ListExecutorsResponse.executors:type_name -> taskexecutor.v1.Executor
	138, // 43: taskexecutor.v1.NewTask.data:type_name -> google.protobuf.Value
	132, // 44: taskexecutor.v1.NewTask.metadata:type_name -> taskexecutor.v1.NewTask.MetadataEntry
	139, // 45: taskexecutor.v1.NewTask.run_at:type_name -> google.protobuf.Timestamp
	29,  // 46: taskexecutor.v1.CreateTaskRequest.task:type_name -> taskexecutor.v1.NewTask
	29,  // 47: taskexecutor.v1.CreateTasksRequest.tasks:type_name -> taskexecutor.v1.NewTask
	6,   // 48: taskexecutor.v1.CreateTasksRequest.view:type_name -> taskexecutor.v1.TaskView
	17,  // 49: taskexecutor.v1.CreateTaskResponse.task:type_name -> taskexecutor.v1.Task
	17,  // 50: taskexecutor.v1.CreateTasksResponse.tasks:type_name -> taskexecutor.v1.Task
	17,  // 51: taskexecutor.v1.GetTaskResponse.task:type_name -> taskexecutor.v1.Task
	17,  // 52: taskexecutor.v1.CancelTaskResponse.task:type_name -> taskexecutor.v1.Task
	0,   // 53: taskexecutor.v1.ListTasksRequest.status:type_name -> taskexecutor.v1.TaskStatus
	139, // 54: taskexecutor.v1.ListTasksRequest.created_after:type_name -> google.protobuf.Timestamp
	139, // 55: taskexecutor.v1.ListTasksRequest.created_before:type_name -> google.protobuf.Timestamp
	139, // 56: taskexecutor.v1.ListTasksRequest.finished_after:type_name -> google.protobuf.Timestamp
	139, // 57: taskexecutor.v1.ListTasksRequest.finished_before:type_name -> google.protobuf.Timestamp
	17,  // 58: taskexecutor.v1.ListTasksResponse.tasks:type_name -> taskexecutor.v1.Task
	138, // 59: taskexecutor.v1.SearchTasksRequest.data_value:type_name -> google.protobuf.Value
	0,   // 60: taskexecutor.v1.SearchTasksRequest.status:type_name -> taskexecutor.v1.TaskStatus
	17,  // 61: taskexecutor.v1.SearchTasksResponse.tasks:type_name -> taskexecutor.v1.Task
	0,   // 62: taskexecutor.v1.UpdateTaskStatusRequest.status:type_name -> taskexecutor.v1.TaskStatus
	138, // 63: taskexecutor.v1.UpdateTaskStatusRequest.result:type_name -> google.protobuf.Value
	0,   // 64: taskexecutor.v1.UpdateTaskStatusRequest.from:type_name -> taskexecutor.v1.TaskStatus
	17,  // 65: taskexecutor.v1.UpdateTaskStatusResponse.task:type_name -> taskexecutor.v1.Task
	3,   // 66: taskexecutor.v1.ListDlqRequest.reason:type_name -> taskexecutor.v1.DlqReason
	18,  // 67: taskexecutor.v1.ListDlqResponse.entries:type_name -> taskexecutor.v1.DlqEntry
	18,  // 68: taskexecutor.v1.GetDlqEntryResponse.entry:type_name -> taskexecutor.v1.DlqEntry
	138, // 69: taskexecutor.v1.RequeueDlqEntryRequest.data:type_name -> google.protobuf.Value
	17,  // 70: taskexecutor.v1.RequeueDlqEntryResponse.task:type_name -> taskexecutor.v1.Task
	3,   // 71: taskexecutor.v1.PurgeDlqRequest.reason:type_name -> taskexecutor.v1.DlqReason
	139, // 72: taskexecutor.v1.PurgeDlqRequest.dead_before:type_name -> google.protobuf.Timestamp
	83,  // 73: taskexecutor.v1.PurgeDlqResponse.stopped:type_name -> taskexecutor.v1.BulkStop
	3,   // 74: taskexecutor.v1.RequeueDlqRequest.reason:type_name -> taskexecutor.v1.DlqReason
	139, // 75: taskexecutor.v1.RequeueDlqRequest.dead_before:type_name -> google.protobuf.Timestamp
	83,  // 76: taskexecutor.v1.RequeueDlqResponse.stopped:type_name -> taskexecutor.v1.BulkStop
	133, // 77: taskexecutor.v1.ExecutorStats.by_status:type_name -> taskexecutor.v1.ExecutorStats.ByStatusEntry
	137, // 78: taskexecutor.v1.ExecutorStats.oldest_pending_age:type_name -> google.protobuf.Duration
	57,  // 79: taskexecutor.v1.GetStatsResponse.executors:type_name -> taskexecutor.v1.ExecutorStats
	139, // 80: taskexecutor.v1.WorkerInfo.connected_at:type_name -> google.protobuf.Timestamp
	139, // 81: taskexecutor.v1.WorkerInfo.last_heartbeat_at:type_name -> google.protobuf.Timestamp
	139, // 82: taskexecutor.v1.WorkerInfo.disconnected_at:type_name -> google.protobuf.Timestamp
	5,   // 83: taskexecutor.v1.ApiKey.scopes:type_name -> taskexecutor.v1.Scope
	139, // 84: taskexecutor.v1.ApiKey.created_at:type_name -> google.protobuf.Timestamp
	139, // 85: taskexecutor.v1.ApiKey.last_used_at:type_name -> google.protobuf.Timestamp
	139, // 86: taskexecutor.v1.ApiKey.revoked_at:type_name -> google.protobuf.Timestamp
	5,   // 87: taskexecutor.v1.CreateKeyRequest.scopes:type_name -> taskexecutor.v1.Scope
	60,  // 88: taskexecutor.v1.CreateKeyResponse.key:type_name -> taskexecutor.v1.ApiKey
	60,  // 89: taskexecutor.v1.ListKeysResponse.keys:type_name -> taskexecutor.v1.ApiKey
	60,  // 90: taskexecutor.v1.RevokeKeyResponse.key:type_name -> taskexecutor.v1.ApiKey
	17,  // 91: taskexecutor.v1.WatchTasksResponse.task:type_name -> taskexecutor.v1.Task
	29,  // 92: taskexecutor.v1.CreateAndWatchTaskRequest.task:type_name -> taskexecutor.v1.NewTask
	17,  // 93: taskexecutor.v1.CreateAndWatchTaskResponse.task:type_name -> taskexecutor.v1.Task
	30,  // 94: taskexecutor.v1.ProduceRequest.create:type_name -> taskexecutor.v1.CreateTaskRequest
	69,  // 95: taskexecutor.v1.ProduceRequest.create_and_watch:type_name -> taskexecutor.v1.CreateAndWatchTaskRequest
	72,  // 96: taskexecutor.v1.ProduceRequest.cancel:type_name -> taskexecutor.v1.ProduceCancel
	67,  // 97: taskexecutor.v1.ProduceRequest.watch:type_name -> taskexecutor.v1.WatchTasksRequest
	17,  // 98: taskexecutor.v1.ProduceResponse.task:type_name -> taskexecutor.v1.Task
	74,  // 99: taskexecutor.v1.ProduceResponse.error:type_name -> taskexecutor.v1.ProduceError
	59,  // 100: taskexecutor.v1.ListWorkersResponse.workers:type_name -> taskexecutor.v1.WorkerInfo
	0,   // 101: taskexecutor.v1.DeleteTasksRequest.status:type_name -> taskexecutor.v1.TaskStatus
	139, // 102: taskexecutor.v1.DeleteTasksRequest.created_after:type_name -> google.protobuf.Timestamp
	139, // 103: taskexecutor.v1.DeleteTasksRequest.created_before:type_name -> google.protobuf.Timestamp
	139, // 104: taskexecutor.v1.DeleteTasksRequest.finished_after:type_name -> google.protobuf.Timestamp
	139, // 105: taskexecutor.v1.DeleteTasksRequest.finished_before:type_name -> google.protobuf.Timestamp
	83,  // 106: taskexecutor.v1.DeleteTasksResponse.stopped:type_name -> taskexecutor.v1.BulkStop
	0,   // 107: taskexecutor.v1.CancelTasksRequest.status:type_name -> taskexecutor.v1.TaskStatus
	139, // 108: taskexecutor.v1.CancelTasksRequest.created_after:type_name -> google.protobuf.Timestamp
	139, // 109: taskexecutor.v1.CancelTasksRequest.created_before:type_name -> google.protobuf.Timestamp
	139, // 110: taskexecutor.v1.CancelTasksRequest.finished_after:type_name -> google.protobuf.Timestamp
	139, // 111: taskexecutor.v1.CancelTasksRequest.finished_before:type_name -> google.protobuf.Timestamp
	83,  // 112: taskexecutor.v1.CancelTasksResponse.stopped:type_name -> taskexecutor.v1.BulkStop
	0,   // 113: taskexecutor.v1.RetryTasksRequest.status:type_name -> taskexecutor.v1.TaskStatus
	139, // 114: taskexecutor.v1.RetryTasksRequest.created_after:type_name -> google.protobuf.Timestamp
	139, // 115: taskexecutor.v1.RetryTasksRequest.created_before:type_name -> google.protobuf.Timestamp
	139, // 116: taskexecutor.v1.RetryTasksRequest.finished_after:type_name -> google.protobuf.Timestamp
	139, // 117: taskexecutor.v1.RetryTasksRequest.finished_before:type_name -> google.protobuf.Timestamp
	83,  // 118: taskexecutor.v1.RetryTasksResponse.stopped:type_name -> taskexecutor.v1.BulkStop
	138, // 119: taskexecutor.v1.ScheduleTask.data:type_name -> google.protobuf.Value
	134, // 120: taskexecutor.v1.ScheduleTask.metadata:type_name -> taskexecutor.v1.ScheduleTask.MetadataEntry
	137, // 121: taskexecutor.v1.ScheduleConfig.every:type_name -> google.protobuf.Duration
	84,  // 122: taskexecutor.v1.ScheduleConfig.task:type_name -> taskexecutor.v1.ScheduleTask
	7,   // 123: taskexecutor.v1.ScheduleConfig.overlap_policy:type_name -> taskexecutor.v1.OverlapPolicy
	8,   // 124: taskexecutor.v1.ScheduleConfig.missed_fire_policy:type_name -> taskexecutor.v1.MissedFirePolicy
	137, // 125: taskexecutor.v1.ScheduleConfig.jitter:type_name -> google.protobuf.Duration
	139, // 126: taskexecutor.v1.ScheduleConfig.start_at:type_name -> google.protobuf.Timestamp
	139, // 127: taskexecutor.v1.ScheduleConfig.end_at:type_name -> google.protobuf.Timestamp
	139, // 128: taskexecutor.v1.ScheduleFire.fire_at:type_name -> google.protobuf.Timestamp
	139, // 129: taskexecutor.v1.ScheduleFire.fired_at:type_name -> google.protobuf.Timestamp
	9,   // 130: taskexecutor.v1.ScheduleFire.skipped:type_name -> taskexecutor.v1.ScheduleSkipReason
	137, // 131: taskexecutor.v1.Schedule.every:type_name -> google.protobuf.Duration
	84,  // 132: taskexecutor.v1.Schedule.task:type_name -> taskexecutor.v1.ScheduleTask
	7,   // 133: taskexecutor.v1.Schedule.overlap_policy:type_name -> taskexecutor.v1.OverlapPolicy
	8,   // 134: taskexecutor.v1.Schedule.missed_fire_policy:type_name -> taskexecutor.v1.MissedFirePolicy
	137, // 135: taskexecutor.v1.Schedule.jitter:type_name -> google.protobuf.Duration
	139, // 136: taskexecutor.v1.Schedule.start_at:type_name -> google.protobuf.Timestamp
	139, // 137: taskexecutor.v1.Schedule.end_at:type_name -> google.protobuf.Timestamp
	139, // 138: taskexecutor.v1.Schedule.next_fire_at:type_name -> google.protobuf.Timestamp
	139, // 139: taskexecutor.v1.Schedule.next_fires:type_name -> google.protobuf.Timestamp
	86,  // 140: taskexecutor.v1.Schedule.last_fires:type_name -> taskexecutor.v1.ScheduleFire
	139, // 141: taskexecutor.v1.Schedule.created_at:type_name -> google.protobuf.Timestamp
	139, // 142: taskexecutor.v1.Schedule.updated_at:type_name -> google.protobuf.Timestamp
	85,  // 143: taskexecutor.v1.CreateScheduleRequest.config:type_name -> taskexecutor.v1.ScheduleConfig
	87,  // 144: taskexecutor.v1.CreateScheduleResponse.schedule:type_name -> taskexecutor.v1.Schedule
	87,  // 145: taskexecutor.v1.ListSchedulesResponse.schedules:type_name -> taskexecutor.v1.Schedule
	87,  // 146: taskexecutor.v1.GetScheduleResponse.schedule:type_name -> taskexecutor.v1.Schedule
	85,  // 147: taskexecutor.v1.UpdateScheduleRequest.config:type_name -> taskexecutor.v1.ScheduleConfig
	87,  // 148: taskexecutor.v1.UpdateScheduleResponse.schedule:type_name -> taskexecutor.v1.Schedule
	87,  // 149: taskexecutor.v1.PauseScheduleResponse.schedule:type_name -> taskexecutor.v1.Schedule
	87,  // 150: taskexecutor.v1.ResumeScheduleResponse.schedule:type_name -> taskexecutor.v1.Schedule
	87,  // 151: taskexecutor.v1.TriggerScheduleResponse.schedule:type_name -> taskexecutor.v1.Schedule
	85,  // 152: taskexecutor.v1.PreviewScheduleRequest.config:type_name -> taskexecutor.v1.ScheduleConfig
	139, // 153: taskexecutor.v1.PreviewScheduleResponse.next_fires:type_name -> google.protobuf.Timestamp
	137, // 154: taskexecutor.v1.HistorySlot.queue_wait_p50:type_name -> google.protobuf.Duration
	137, // 155: taskexecutor.v1.HistorySlot.queue_wait_p95:type_name -> google.protobuf.Duration
	137, // 156: taskexecutor.v1.HistorySlot.run_time_p50:type_name -> google.protobuf.Duration
	137, // 157: taskexecutor.v1.HistorySlot.run_time_p95:type_name -> google.protobuf.Duration
	139, // 158: taskexecutor.v1.HistoryPoint.at:type_name -> google.protobuf.Timestamp
	106, // 159: taskexecutor.v1.HistoryPoint.slot:type_name -> taskexecutor.v1.HistorySlot
	139, // 160: taskexecutor.v1.GetHistoryRequest.from:type_name -> google.protobuf.Timestamp
	139, // 161: taskexecutor.v1.GetHistoryRequest.to:type_name -> google.protobuf.Timestamp
	137, // 162: taskexecutor.v1.GetHistoryRequest.step:type_name -> google.protobuf.Duration
	107, // 163: taskexecutor.v1.HistorySeries.points:type_name -> taskexecutor.v1.HistoryPoint
	106, // 164: taskexecutor.v1.HistorySeries.totals:type_name -> taskexecutor.v1.HistorySlot
	139, // 165: taskexecutor.v1.GetHistoryResponse.from:type_name -> google.protobuf.Timestamp
	139, // 166: taskexecutor.v1.GetHistoryResponse.to:type_name -> google.protobuf.Timestamp
	137, // 167: taskexecutor.v1.GetHistoryResponse.step:type_name -> google.protobuf.Duration
	107, // 168: taskexecutor.v1.GetHistoryResponse.points:type_name -> taskexecutor.v1.HistoryPoint
	106, // 169: taskexecutor.v1.GetHistoryResponse.totals:type_name -> taskexecutor.v1.HistorySlot
	109, // 170: taskexecutor.v1.GetHistoryResponse.series:type_name -> taskexecutor.v1.HistorySeries
	112, // 171: taskexecutor.v1.WorkRequest.hello:type_name -> taskexecutor.v1.Hello
	113, // 172: taskexecutor.v1.WorkRequest.credit:type_name -> taskexecutor.v1.Credit
	115, // 173: taskexecutor.v1.WorkRequest.results:type_name -> taskexecutor.v1.Results
	116, // 174: taskexecutor.v1.WorkRequest.heartbeat:type_name -> taskexecutor.v1.Heartbeat
	137, // 175: taskexecutor.v1.Result.retry_after:type_name -> google.protobuf.Duration
	3,   // 176: taskexecutor.v1.Result.failure_reason:type_name -> taskexecutor.v1.DlqReason
	114, // 177: taskexecutor.v1.Results.results:type_name -> taskexecutor.v1.Result
	135, // 178: taskexecutor.v1.Heartbeat.progress_json:type_name -> taskexecutor.v1.Heartbeat.ProgressJsonEntry
	120, // 179: taskexecutor.v1.WorkResponse.welcome:type_name -> taskexecutor.v1.Welcome
	122, // 180: taskexecutor.v1.WorkResponse.assignments:type_name -> taskexecutor.v1.Assignments
	124, // 181: taskexecutor.v1.WorkResponse.cancellations:type_name -> taskexecutor.v1.Cancellations
	126, // 182: taskexecutor.v1.WorkResponse.acks:type_name -> taskexecutor.v1.ResultAcks
	119, // 183: taskexecutor.v1.WorkResponse.executor_deleted:type_name -> taskexecutor.v1.ExecutorDeleted
	118, // 184: taskexecutor.v1.WorkResponse.keepalive:type_name -> taskexecutor.v1.Keepalive
	137, // 185: taskexecutor.v1.Welcome.keepalive_interval:type_name -> google.protobuf.Duration
	136, // 186: taskexecutor.v1.Assignment.metadata:type_name -> taskexecutor.v1.Assignment.MetadataEntry
	139, // 187: taskexecutor.v1.Assignment.lease_expires_at:type_name -> google.protobuf.Timestamp
	139, // 188: taskexecutor.v1.Assignment.created_at:type_name -> google.protobuf.Timestamp
	121, // 189: taskexecutor.v1.Assignments.tasks:type_name -> taskexecutor.v1.Assignment
	4,   // 190: taskexecutor.v1.Cancellation.reason:type_name -> taskexecutor.v1.CancellationReason
	123, // 191: taskexecutor.v1.Cancellations.tasks:type_name -> taskexecutor.v1.Cancellation
	125, // 192: taskexecutor.v1.ResultAcks.acks:type_name -> taskexecutor.v1.ResultAck
	121, // 193: taskexecutor.v1.GetNextTaskResponse.tasks:type_name -> taskexecutor.v1.Assignment
	114, // 194: taskexecutor.v1.ReportResultsRequest.results:type_name -> taskexecutor.v1.Result
	125, // 195: taskexecutor.v1.ReportResultsResponse.acks:type_name -> taskexecutor.v1.ResultAck
	19,  // 196: taskexecutor.v1.TaskExecutorManagerService.CreateExecutor:input_type -> taskexecutor.v1.CreateExecutorRequest
	20,  // 197: taskexecutor.v1.TaskExecutorManagerService.GetExecutor:input_type -> taskexecutor.v1.GetExecutorRequest
	21,  // 198: taskexecutor.v1.TaskExecutorManagerService.ListExecutors:input_type -> taskexecutor.v1.ListExecutorsRequest
	22,  // 199: taskexecutor.v1.TaskExecutorManagerService.UpdateExecutor:input_type -> taskexecutor.v1.UpdateExecutorRequest
	23,  // 200: taskexecutor.v1.TaskExecutorManagerService.DeleteExecutor:input_type -> taskexecutor.v1.DeleteExecutorRequest
	30,  // 201: taskexecutor.v1.TaskExecutorManagerService.CreateTask:input_type -> taskexecutor.v1.CreateTaskRequest
	31,  // 202: taskexecutor.v1.TaskExecutorManagerService.CreateTasks:input_type -> taskexecutor.v1.CreateTasksRequest
	34,  // 203: taskexecutor.v1.TaskExecutorManagerService.GetTask:input_type -> taskexecutor.v1.GetTaskRequest
	38,  // 204: taskexecutor.v1.TaskExecutorManagerService.ListTasks:input_type -> taskexecutor.v1.ListTasksRequest
	40,  // 205: taskexecutor.v1.TaskExecutorManagerService.SearchTasks:input_type -> taskexecutor.v1.SearchTasksRequest
	42,  // 206: taskexecutor.v1.TaskExecutorManagerService.UpdateTaskStatus:input_type -> taskexecutor.v1.UpdateTaskStatusRequest
	36,  // 207: taskexecutor.v1.TaskExecutorManagerService.CancelTask:input_type -> taskexecutor.v1.CancelTaskRequest
	44,  // 208: taskexecutor.v1.TaskExecutorManagerService.ListDlq:input_type -> taskexecutor.v1.ListDlqRequest
	46,  // 209: taskexecutor.v1.TaskExecutorManagerService.GetDlqEntry:input_type -> taskexecutor.v1.GetDlqEntryRequest
	50,  // 210: taskexecutor.v1.TaskExecutorManagerService.RequeueDlqEntry:input_type -> taskexecutor.v1.RequeueDlqEntryRequest
	48,  // 211: taskexecutor.v1.TaskExecutorManagerService.DeleteDlqEntry:input_type -> taskexecutor.v1.DeleteDlqEntryRequest
	52,  // 212: taskexecutor.v1.TaskExecutorManagerService.PurgeDlq:input_type -> taskexecutor.v1.PurgeDlqRequest
	54,  // 213: taskexecutor.v1.TaskExecutorManagerService.RequeueDlq:input_type -> taskexecutor.v1.RequeueDlqRequest
	56,  // 214: taskexecutor.v1.TaskExecutorManagerService.GetStats:input_type -> taskexecutor.v1.GetStatsRequest
	75,  // 215: taskexecutor.v1.TaskExecutorManagerService.ListWorkers:input_type -> taskexecutor.v1.ListWorkersRequest
	61,  // 216: taskexecutor.v1.TaskExecutorManagerService.CreateKey:input_type -> taskexecutor.v1.CreateKeyRequest
	63,  // 217: taskexecutor.v1.TaskExecutorManagerService.ListKeys:input_type -> taskexecutor.v1.ListKeysRequest
	65,  // 218: taskexecutor.v1.TaskExecutorManagerService.RevokeKey:input_type -> taskexecutor.v1.RevokeKeyRequest
	67,  // 219: taskexecutor.v1.TaskExecutorManagerService.WatchTasks:input_type -> taskexecutor.v1.WatchTasksRequest
	69,  // 220: taskexecutor.v1.TaskExecutorManagerService.CreateAndWatchTask:input_type -> taskexecutor.v1.CreateAndWatchTaskRequest
	71,  // 221: taskexecutor.v1.TaskExecutorManagerService.Produce:input_type -> taskexecutor.v1.ProduceRequest
	77,  // 222: taskexecutor.v1.TaskExecutorManagerService.DeleteTasks:input_type -> taskexecutor.v1.DeleteTasksRequest
	79,  // 223: taskexecutor.v1.TaskExecutorManagerService.CancelTasks:input_type -> taskexecutor.v1.CancelTasksRequest
	81,  // 224: taskexecutor.v1.TaskExecutorManagerService.RetryTasks:input_type -> taskexecutor.v1.RetryTasksRequest
	88,  // 225: taskexecutor.v1.TaskExecutorManagerService.CreateSchedule:input_type -> taskexecutor.v1.CreateScheduleRequest
	90,  // 226: taskexecutor.v1.TaskExecutorManagerService.ListSchedules:input_type -> taskexecutor.v1.ListSchedulesRequest
	92,  // 227: taskexecutor.v1.TaskExecutorManagerService.GetSchedule:input_type -> taskexecutor.v1.GetScheduleRequest
	94,  // 228: taskexecutor.v1.TaskExecutorManagerService.UpdateSchedule:input_type -> taskexecutor.v1.UpdateScheduleRequest
	96,  // 229: taskexecutor.v1.TaskExecutorManagerService.DeleteSchedule:input_type -> taskexecutor.v1.DeleteScheduleRequest
	98,  // 230: taskexecutor.v1.TaskExecutorManagerService.PauseSchedule:input_type -> taskexecutor.v1.PauseScheduleRequest
	100, // 231: taskexecutor.v1.TaskExecutorManagerService.ResumeSchedule:input_type -> taskexecutor.v1.ResumeScheduleRequest
	102, // 232: taskexecutor.v1.TaskExecutorManagerService.TriggerSchedule:input_type -> taskexecutor.v1.TriggerScheduleRequest
	104, // 233: taskexecutor.v1.TaskExecutorManagerService.PreviewSchedule:input_type -> taskexecutor.v1.PreviewScheduleRequest
	108, // 234: taskexecutor.v1.TaskExecutorManagerService.GetHistory:input_type -> taskexecutor.v1.GetHistoryRequest
	111, // 235: taskexecutor.v1.TaskExecutorService.Work:input_type -> taskexecutor.v1.WorkRequest
	127, // 236: taskexecutor.v1.TaskExecutorService.GetNextTask:input_type -> taskexecutor.v1.GetNextTaskRequest
	129, // 237: taskexecutor.v1.TaskExecutorService.ReportResults:input_type -> taskexecutor.v1.ReportResultsRequest
	24,  // 238: taskexecutor.v1.TaskExecutorManagerService.CreateExecutor:output_type -> taskexecutor.v1.CreateExecutorResponse
	25,  // 239: taskexecutor.v1.TaskExecutorManagerService.GetExecutor:output_type -> taskexecutor.v1.GetExecutorResponse
	27,  // 240: taskexecutor.v1.TaskExecutorManagerService.ListExecutors:output_type -> taskexecutor.v1.ListExecutorsResponse
	26,  // 241: taskexecutor.v1.TaskExecutorManagerService.UpdateExecutor:output_type -> taskexecutor.v1.UpdateExecutorResponse
	28,  // 242: taskexecutor.v1.TaskExecutorManagerService.DeleteExecutor:output_type -> taskexecutor.v1.DeleteExecutorResponse
	32,  // 243: taskexecutor.v1.TaskExecutorManagerService.CreateTask:output_type -> taskexecutor.v1.CreateTaskResponse
	33,  // 244: taskexecutor.v1.TaskExecutorManagerService.CreateTasks:output_type -> taskexecutor.v1.CreateTasksResponse
	35,  // 245: taskexecutor.v1.TaskExecutorManagerService.GetTask:output_type -> taskexecutor.v1.GetTaskResponse
	39,  // 246: taskexecutor.v1.TaskExecutorManagerService.ListTasks:output_type -> taskexecutor.v1.ListTasksResponse
	41,  // 247: taskexecutor.v1.TaskExecutorManagerService.SearchTasks:output_type -> taskexecutor.v1.SearchTasksResponse
	43,  // 248: taskexecutor.v1.TaskExecutorManagerService.UpdateTaskStatus:output_type -> taskexecutor.v1.UpdateTaskStatusResponse
	37,  // 249: taskexecutor.v1.TaskExecutorManagerService.CancelTask:output_type -> taskexecutor.v1.CancelTaskResponse
	45,  // 250: taskexecutor.v1.TaskExecutorManagerService.ListDlq:output_type -> taskexecutor.v1.ListDlqResponse
	47,  // 251: taskexecutor.v1.TaskExecutorManagerService.GetDlqEntry:output_type -> taskexecutor.v1.GetDlqEntryResponse
	51,  // 252: taskexecutor.v1.TaskExecutorManagerService.RequeueDlqEntry:output_type -> taskexecutor.v1.RequeueDlqEntryResponse
	49,  // 253: taskexecutor.v1.TaskExecutorManagerService.DeleteDlqEntry:output_type -> taskexecutor.v1.DeleteDlqEntryResponse
	53,  // 254: taskexecutor.v1.TaskExecutorManagerService.PurgeDlq:output_type -> taskexecutor.v1.PurgeDlqResponse
	55,  // 255: taskexecutor.v1.TaskExecutorManagerService.RequeueDlq:output_type -> taskexecutor.v1.RequeueDlqResponse
	58,  // 256: taskexecutor.v1.TaskExecutorManagerService.GetStats:output_type -> taskexecutor.v1.GetStatsResponse
	76,  // 257: taskexecutor.v1.TaskExecutorManagerService.ListWorkers:output_type -> taskexecutor.v1.ListWorkersResponse
	62,  // 258: taskexecutor.v1.TaskExecutorManagerService.CreateKey:output_type -> taskexecutor.v1.CreateKeyResponse
	64,  // 259: taskexecutor.v1.TaskExecutorManagerService.ListKeys:output_type -> taskexecutor.v1.ListKeysResponse
	66,  // 260: taskexecutor.v1.TaskExecutorManagerService.RevokeKey:output_type -> taskexecutor.v1.RevokeKeyResponse
	68,  // 261: taskexecutor.v1.TaskExecutorManagerService.WatchTasks:output_type -> taskexecutor.v1.WatchTasksResponse
	70,  // 262: taskexecutor.v1.TaskExecutorManagerService.CreateAndWatchTask:output_type -> taskexecutor.v1.CreateAndWatchTaskResponse
	73,  // 263: taskexecutor.v1.TaskExecutorManagerService.Produce:output_type -> taskexecutor.v1.ProduceResponse
	78,  // 264: taskexecutor.v1.TaskExecutorManagerService.DeleteTasks:output_type -> taskexecutor.v1.DeleteTasksResponse
	80,  // 265: taskexecutor.v1.TaskExecutorManagerService.CancelTasks:output_type -> taskexecutor.v1.CancelTasksResponse
	82,  // 266: taskexecutor.v1.TaskExecutorManagerService.RetryTasks:output_type -> taskexecutor.v1.RetryTasksResponse
	89,  // 267: taskexecutor.v1.TaskExecutorManagerService.CreateSchedule:output_type -> taskexecutor.v1.CreateScheduleResponse
	91,  // 268: taskexecutor.v1.TaskExecutorManagerService.ListSchedules:output_type -> taskexecutor.v1.ListSchedulesResponse
	93,  // 269: taskexecutor.v1.TaskExecutorManagerService.GetSchedule:output_type -> taskexecutor.v1.GetScheduleResponse
	95,  // 270: taskexecutor.v1.TaskExecutorManagerService.UpdateSchedule:output_type -> taskexecutor.v1.UpdateScheduleResponse
	97,  // 271: taskexecutor.v1.TaskExecutorManagerService.DeleteSchedule:output_type -> taskexecutor.v1.DeleteScheduleResponse
	99,  // 272: taskexecutor.v1.TaskExecutorManagerService.PauseSchedule:output_type -> taskexecutor.v1.PauseScheduleResponse
	101, // 273: taskexecutor.v1.TaskExecutorManagerService.ResumeSchedule:output_type -> taskexecutor.v1.ResumeScheduleResponse
	103, // 274: taskexecutor.v1.TaskExecutorManagerService.TriggerSchedule:output_type -> taskexecutor.v1.TriggerScheduleResponse
	105, // 275: taskexecutor.v1.TaskExecutorManagerService.PreviewSchedule:output_type -> taskexecutor.v1.PreviewScheduleResponse
	110, // 276: taskexecutor.v1.TaskExecutorManagerService.GetHistory:output_type -> taskexecutor.v1.GetHistoryResponse
	117, // 277: taskexecutor.v1.TaskExecutorService.Work:output_type -> taskexecutor.v1.WorkResponse
	128, // 278: taskexecutor.v1.TaskExecutorService.GetNextTask:output_type -> taskexecutor.v1.GetNextTaskResponse
	130, // 279: taskexecutor.v1.TaskExecutorService.ReportResults:output_type -> taskexecutor.v1.ReportResultsResponse
	238, // [238:280] is the sub-list for method output_type
	196, // [196:238] is the sub-list for method input_type
	196, // [196:196] is the sub-list for extension type_name
	196, // [196:196] is the sub-list for extension extendee
	0,   // [0:196] is the sub-list for field type_name
}

func init() { file_taskexecutor_v1_task_executor_proto_init() }
func file_taskexecutor_v1_task_executor_proto_init() {
	if File_taskexecutor_v1_task_executor_proto != nil {
		return
	}
	file_taskexecutor_v1_task_executor_proto_msgTypes[0].OneofWrappers = []any{}
	file_taskexecutor_v1_task_executor_proto_msgTypes[4].OneofWrappers = []any{}
	file_taskexecutor_v1_task_executor_proto_msgTypes[61].OneofWrappers = []any{
		(*ProduceRequest_Create)(nil),
		(*ProduceRequest_CreateAndWatch)(nil),
		(*ProduceRequest_Cancel)(nil),
		(*ProduceRequest_Watch)(nil),
	}
	file_taskexecutor_v1_task_executor_proto_msgTypes[63].OneofWrappers = []any{
		(*ProduceResponse_Task)(nil),
		(*ProduceResponse_Error)(nil),
	}
	file_taskexecutor_v1_task_executor_proto_msgTypes[75].OneofWrappers = []any{}
	file_taskexecutor_v1_task_executor_proto_msgTypes[101].OneofWrappers = []any{
		(*WorkRequest_Hello)(nil),
		(*WorkRequest_Credit)(nil),
		(*WorkRequest_Results)(nil),
		(*WorkRequest_Heartbeat)(nil),
	}
	file_taskexecutor_v1_task_executor_proto_msgTypes[107].OneofWrappers = []any{
		(*WorkResponse_Welcome)(nil),
		(*WorkResponse_Assignments)(nil),
		(*WorkResponse_Cancellations)(nil),
		(*WorkResponse_Acks)(nil),
		(*WorkResponse_ExecutorDeleted)(nil),
		(*WorkResponse_Keepalive)(nil),
	}
	type x struct{}
	out := protoimpl.TypeBuilder{
		File: protoimpl.DescBuilder{
			GoPackagePath: reflect.TypeOf(x{}).PkgPath(),
			RawDescriptor: unsafe.Slice(unsafe.StringData(file_taskexecutor_v1_task_executor_proto_rawDesc), len(file_taskexecutor_v1_task_executor_proto_rawDesc)),
			NumEnums:      10,
			NumMessages:   127,
			NumExtensions: 0,
			NumServices:   2,
		},
		GoTypes:           file_taskexecutor_v1_task_executor_proto_goTypes,
		DependencyIndexes: file_taskexecutor_v1_task_executor_proto_depIdxs,
		EnumInfos:         file_taskexecutor_v1_task_executor_proto_enumTypes,
		MessageInfos:      file_taskexecutor_v1_task_executor_proto_msgTypes,
	}.Build()
	File_taskexecutor_v1_task_executor_proto = out.File
	file_taskexecutor_v1_task_executor_proto_goTypes = nil
	file_taskexecutor_v1_task_executor_proto_depIdxs = nil
}
