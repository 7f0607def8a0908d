// A worker in the original Go SDK's shape: a TaskProcessor for "my_handler" with the JSON Schema
// of its data, registered with sdk.RegisterProcessor and served by sdk.Run until SIGINT or
// SIGTERM. Start a manager (deno task start), keep the key its first start prints
// (export TASKS_EXECUTOR_API_KEY=te_…), then run it and enqueue a task:
//
//	cd examples/go && go run .
//	curl -X POST localhost:8080/api/v1/tasks -H "authorization: Bearer $TASKS_EXECUTOR_API_KEY" \
//	  -H 'content-type: application/json' \
//	  -d '{"executorName":"my_handler","data":{"message":"hello","priority":5}}'
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"strings"

	"tasks-executor/sdk/go/models"
	"tasks-executor/sdk/go/sdk"
)

// MyTaskData is what a my_handler task carries.
type MyTaskData struct {
	Message  string `json:"message"`
	Priority int    `json:"priority"`
}

// MyTaskHandler processes my_handler tasks.
type MyTaskHandler struct{}

// ProcessTask decodes the task's data and prints its message in capitals.
func (h *MyTaskHandler) ProcessTask(task *models.Task) error {
	var data MyTaskData
	if err := json.Unmarshal(task.Data, &data); err != nil {
		return err
	}
	fmt.Printf("task %s (priority %d): %s\n", task.ID, data.Priority, strings.ToUpper(data.Message))
	return nil
}

// GetTaskSchema says what data the manager accepts for my_handler: a message, and a priority
// from 1 to 10 if given.
func (h *MyTaskHandler) GetTaskSchema() string {
	return `{
		"type": "object",
		"required": ["message"],
		"properties": {
			"message": {"type": "string", "description": "What to process"},
			"priority": {"type": "integer", "minimum": 1, "maximum": 10}
		}
	}`
}

func main() {
	sdk.RegisterProcessor("my_handler", &MyTaskHandler{})
	// Registers my_handler with its schema, logs "sdk: Connected to the manager at …: serving
	// my_handler", then serves it until SIGINT or SIGTERM (Ctrl+C).
	if err := sdk.Run(); err != nil {
		log.Fatal(err)
	}
	log.Print("Stopped: the tasks in hand were reported")
}
