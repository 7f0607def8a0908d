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

// Run checked no processor's name: the manager refused a bad one as Run went, in name order, after
// the executors before it were registered.
func TestARunnerWhoseSecondNameIsRefusedRegistersNoExecutor(t *testing.T) {
	never := func(*models.Task, int) error { return nil }
	for _, bad := range []string{"reg_n_b Bad", "reg_n_b/x", "reg_n_b" + strings.Repeat("x", 122)} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		runner := sdk.NewRunner()
		// Run registers in name order: reg_n_a_valid before the bad one.
		runner.RegisterProcessor("reg_n_a_valid", &processor{schema: myHandlerSchema, handle: never})
		runner.RegisterProcessor(bad, &processor{schema: myHandlerSchema, handle: never})
		err := runner.Run(ctx, sdk.Options{GRPCAddress: manager.grpcAddress, URL: manager.url,
			Logger: log.New(io.Discard, "", 0)})
		cancel()
		// The manager's words, without its status: refused before anything is sent.
		want := `sdk: cannot register executor "` + bad + `": /executorName: ` +
			"Must be a name: 1-128 characters of a-z, 0-9, _, . or -, and not . or .."
		if err == nil || err.Error() != want {
			t.Errorf("Run: %v; want %q", err, want)
		}
		response, err := http.Get(manager.url + "/api/v1/executors/reg_n_a_valid")
		if err != nil {
			t.Fatal(err)
		}
		response.Body.Close()
		if response.StatusCode != http.StatusNotFound {
			t.Fatalf("GET executor reg_n_a_valid: %s; want 404 (nothing registered)", response.Status)
		}
	}
}

// A schema that is JSON but not a JSON Schema (5, [1], "x") was the manager's to refuse, at the PUT
// of its schema, after Run had created that executor and registered those before it.
func TestARunnerWhoseSecondSchemaIsNotAJSONSchemaRegistersNoExecutor(t *testing.T) {
	never := func(*models.Task, int) error { return nil }
	for _, schema := range []string{"5", " [1]", `"x"`} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		runner := sdk.NewRunner()
		runner.RegisterProcessor("reg_k_a_valid", &processor{schema: myHandlerSchema, handle: never})
		runner.RegisterProcessor("reg_k_b_kind", &processor{schema: schema, handle: never})
		err := runner.Run(ctx, sdk.Options{GRPCAddress: manager.grpcAddress, URL: manager.url,
			Logger: log.New(io.Discard, "", 0)})
		cancel()
		want := `sdk: the task schema of "reg_k_b_kind": /taskSchema: Must be a JSON Schema object, a boolean or null`
		if err == nil || err.Error() != want {
			t.Errorf("Run with schema %s: %v; want %q", schema, err, want)
		}
		for _, name := range []string{"reg_k_a_valid", "reg_k_b_kind"} {
			response, err := http.Get(manager.url + "/api/v1/executors/" + name)
			if err != nil {
				t.Fatal(err)
			}
			response.Body.Close()
			if response.StatusCode != http.StatusNotFound {
				t.Fatalf("GET executor %s: %s; want 404 (nothing registered)", name, response.Status)
			}
		}
	}
}
