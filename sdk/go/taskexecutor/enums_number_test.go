package taskexecutor

import (
	"strings"
	"testing"

	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// The manager's REST API reads an enum value by number ("3"); the SDK takes names only, and its
// refusal of a number said only "Must be one of …", as if the number were a typo.
func TestAnEnumNumberIsRefusedSayingTheSDKTakesNames(t *testing.T) {
	for _, number := range []string{"2", " 3", "-1", "0"} {
		_, err := enumValue(pb.RetryPolicyType_value, "RETRY_POLICY_TYPE_", number, "executor \"x\"",
			"/config/retryPolicy/type")
		violations := FieldViolations(err)
		want := `Must be one of constant, linear, exponential, or the proto's name for one ` +
			`(RETRY_POLICY_TYPE_CONSTANT, …), not "` + number +
			`" (the SDK takes an enum value by name, not by number)`
		if len(violations) != 1 || violations[0].Description != want {
			t.Fatalf("%q: want %q, got %v (%v)", number, want, violations, err)
		}
	}
	_, err := enumValue(pb.RetryPolicyType_value, "RETRY_POLICY_TYPE_", "fibonacci", "executor \"x\"",
		"/config/retryPolicy/type")
	if violations := FieldViolations(err); len(violations) != 1 ||
		strings.Contains(violations[0].Description, "number") {
		t.Fatalf("a name that is not a number is not told about numbers: %v", violations)
	}
	if value, err := enumValue(pb.RetryPolicyType_value, "RETRY_POLICY_TYPE_", "linear", "", ""); err != nil ||
		value != int32(pb.RetryPolicyType_RETRY_POLICY_TYPE_LINEAR) {
		t.Fatalf("a name is still taken: %v %v", value, err)
	}
}
