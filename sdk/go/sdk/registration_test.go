package sdk_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"strings"
	"testing"
	"time"

	"tasks-executor/sdk/go/models"
	"tasks-executor/sdk/go/sdk"
)

func TestARunnerWhoseSecondSchemaIsNotJSONRegistersNoExecutor(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	runner := sdk.NewRunner()
	never := func(*models.Task, int) error { return nil }
	// Run registers in name order: a_valid before b_invalid.
	runner.RegisterProcessor("reg_a_valid", &processor{schema: myHandlerSchema, handle: never})
	runner.RegisterProcessor("reg_b_invalid", &processor{schema: `{"type":`, handle: never})
	err := runner.Run(ctx, sdk.Options{GRPCAddress: manager.grpcAddress, URL: manager.url,
		Logger: log.New(io.Discard, "", 0)})
	if err == nil || !strings.Contains(err.Error(), `the task schema of "reg_b_invalid" is not JSON text`) {
		t.Fatalf("Run: %v; want the second schema refused, naming its executor", err)
	}
	for _, name := range []string{"reg_a_valid", "reg_b_invalid"} {
		response, err := http.Get(manager.url + "/api/v1/executors/" + name)
		if err != nil {
			t.Fatal(err)
		}
		response.Body.Close()
		if response.StatusCode != http.StatusNotFound {
			t.Errorf("GET executor %s: %s; want 404 (nothing registered)", name, response.Status)
		}
	}
}
