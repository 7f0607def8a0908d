// Package models holds the task a processor receives, in the shape of the original Go SDK's
// models package (so that handlers written for it compile with only their import paths changed).
package models

import (
	"encoding/json"
	"time"
)

// TaskStatus is where a task stands, as the manager names it ("pending", "in_progress", …).
type TaskStatus string

// The statuses of a task.
const (
	TaskStatusPending    TaskStatus = "pending"
	TaskStatusInProgress TaskStatus = "in_progress"
	TaskStatusCompleted  TaskStatus = "completed"
	TaskStatusFailed     TaskStatus = "failed"
	TaskStatusDLQ        TaskStatus = "dlq"
	TaskStatusCancelled  TaskStatus = "cancelled"
)

// Task is one task as a processor receives it: leased to this worker, in progress.
type Task struct {
	ID           string
	ExecutorName string
	// Data is the task's JSON data, already checked against the executor's schema by the manager:
	// decode it with json.Unmarshal(task.Data, &value).
	Data     json.RawMessage
	Metadata map[string]string
	Status   TaskStatus
	// Error is the message of the newest failed attempt ("" before any failure).
	Error string
	// RetryCount is the number of failed attempts so far (0 on the first attempt).
	RetryCount int
	// Times the manager leaves out, or sends outside protobuf's range (years 1 to 9999), are the
	// zero time (nil when optional).
	CreatedAt   time.Time
	UpdatedAt   time.Time
	StartedAt   *time.Time
	CompletedAt *time.Time
}
