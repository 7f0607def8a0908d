package taskexecutor_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/taskexecutor"
)

// A malformed trace context in ctx's outgoing metadata is refused before anything is sent, naming
// it, whichever way the call goes, as the TypeScript SDK refuses a malformed traceparent option:
// the manager ignored a malformed traceparent (the task started a trace of its own), and one that
// was not printable ASCII failed as INTERNAL (grpc-go's marshaling on the stream, its header check
// as its own call). The traceparents the manager reads go as they are.
func TestAMalformedTraceContextIsRefusedNamingItBeforeAnythingIsSent(t *testing.T) {
	relay := &managerRelay{}
	client := relayedClient(t, relay, "go_trace_checked")
	task := taskexecutor.NewTask{ExecutorName: "go_trace_checked"}
	const ids = "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"
	refused := func(what, field string, err error) {
		t.Helper()
		v := taskexecutor.FieldViolations(err)
		if status.Code(err) != codes.InvalidArgument || len(v) != 1 || v[0].Field != field ||
			!strings.Contains(status.Convert(err).Message(), field+": Must be ") {
			t.Errorf("%s: %v, want INVALID_ARGUMENT naming %s", what, err, field)
		}
	}
	for _, traceparent := range []string{
		"", "00-\xff", "not a traceparent", "00-" + strings.ToUpper(ids) + "-01",
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
		"ff-" + ids + "-01", "00-" + ids + "-01-more", "00-" + ids + "-1", "00-" + ids + "-01\t",
		"01-" + ids + "-01-" + strings.Repeat("x", 201), // 257 characters
	} {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "traceparent", traceparent)
		_, err := client.CreateTask(ctx, task)
		refused("CreateTask with traceparent "+traceparent, "/traceparent", err)
	}
	bad := metadata.AppendToOutgoingContext(context.Background(), "traceparent", "00-\xff")
	own := metadata.AppendToOutgoingContext(bad, "x-request-source", "test")
	_, err := client.CreateTask(own, task)
	refused("CreateTask as its own call", "/traceparent", err)
	_, err = client.CreateAndWait(bad, task)
	refused("CreateAndWait", "/traceparent", err)
	_, err = client.CreateTasks(bad, []taskexecutor.NewTask{task})
	refused("CreateTasks", "/traceparent", err)
	_, err = client.Wait(bad, "some-task")
	refused("Wait", "/traceparent", err)
	// A second traceparent, which a call of its own would send too.
	second := metadata.AppendToOutgoingContext(context.Background(), "traceparent", "00-"+ids+"-01", "traceparent", "bad")
	_, err = client.CreateTask(second, task)
	refused("CreateTask with a second traceparent", "/traceparent", err)
	for _, method := range []string{"Produce", "CreateTask", "CreateTasks", "CreateAndWatchTask", "WatchTasks"} {
		if calls := relay.callsTo(method); calls != 0 {
			t.Errorf("%d %s calls, want none", calls, method)
		}
	}
	// Those the manager reads go as they are: spaces around, a later version with more after it.
	for _, traceparent := range []string{" 00-" + ids + "-01 ", "01-" + ids + "-00-more", "00-" + ids + "-ff"} {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "traceparent", traceparent, "tracestate", "a=1, b=2")
		created, err := client.CreateTask(ctx, task)
		if err != nil {
			t.Fatalf("CreateTask with traceparent %q: %v", traceparent, err)
		}
		if _, err := client.CancelTask(context.Background(), created.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, trace := relay.sent(); len(trace) != 3 || trace[0] != " 00-"+ids+"-01 " || trace[1] != "01-"+ids+"-00-more" {
		t.Errorf("traceparents sent on the stream: %q", trace)
	}
}

// A tracestate given in many values is one list (W3C), which the manager joins with commas from
// the headers of a call of its own: on the Produce stream it goes joined too, not its first value
// alone.
func TestATracestateOfManyValuesGoesOnTheStreamAsTheOneListTheManagerReadsFromACallOfItsOwn(t *testing.T) {
	relay := &managerRelay{}
	client := relayedClient(t, relay, "go_trace_states")
	ctx := metadata.AppendToOutgoingContext(context.Background(),
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"tracestate", "a=1", "tracestate", "b=2,c=3")
	created, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_trace_states"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CancelTask(context.Background(), created.ID); err != nil {
		t.Fatal(err)
	}
	relay.mu.Lock()
	defer relay.mu.Unlock()
	if len(relay.states) != 1 || relay.states[0] != "a=1,b=2,c=3" {
		t.Errorf("tracestate sent on the stream: %q, want a=1,b=2,c=3", relay.states)
	}
}

// tracestateCases are tracestates as given and as the manager keeps them (proto/tracing.ts's
// readTraceContext), "" for none; tests/sdk_trace_state_test.ts holds the TypeScript SDK to the
// same list.
var tracestateCases = []struct{ given, kept string }{
	{"a=1, b=2", "a=1,b=2"},
	{"a=1, bad key=2,b=\x01,c=3", "a=1,c=3"},
	{"a=\x01", ""},
	{"a=caf\u00e9", ""},
	{"A=1,x=y=z,a=1 ,=2,b=,c", "a=1"},
	{"a=1,b=2,a=3", "a=3,b=2"},
	{"tenant@vendor=v,0a=1,1@x=2", "tenant@vendor=v,1@x=2"},
	{"a=" + strings.Repeat("x", 250) + ",b=" + strings.Repeat("y", 250) + ",c=" + strings.Repeat("z", 250) + ",d=1",
		"a=" + strings.Repeat("x", 250) + ",b=" + strings.Repeat("y", 250) + ",d=1"},
	{strings.Repeat("k=1,", 600), ""}, // past 2,048 characters
	{tracestateMembers(33), tracestateMembers(32)},
}

// tracestateMembers is "k0=0,k1=1,…" with n members.
func tracestateMembers(n int) string {
	members := make([]string, n)
	for i := range members {
		members[i] = fmt.Sprintf("k%d=%d", i, i)
	}
	return strings.Join(members, ",")
}

// The Go SDK refused a tracestate that was not printable ASCII (and sent any other as given,
// malformed entries and all), where the TypeScript SDK dropped its malformed entries and the
// manager drops those of one it is sent: a tracestate now goes as the manager keeps it, by W3C's
// list rules, in both SDKs, and one that is not printable ASCII no longer fails the create. Without
// a traceparent, which the manager needs to read one, none goes.
func TestATracestateGoesAsTheManagerKeepsIt(t *testing.T) {
	relay := &managerRelay{}
	client := relayedClient(t, relay, "go_trace_kept")
	task := taskexecutor.NewTask{ExecutorName: "go_trace_kept"}
	const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	var want []string
	for _, c := range tracestateCases {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "traceparent", traceparent, "tracestate", c.given)
		created, err := client.CreateTask(ctx, task)
		if err != nil {
			t.Fatalf("CreateTask with tracestate %q: %v", c.given, err)
		}
		if _, err := client.CancelTask(context.Background(), created.ID); err != nil {
			t.Fatal(err)
		}
		if c.kept != "" {
			want = append(want, c.kept)
		}
	}
	// Without a traceparent, and as a call of its own (other metadata), where a value not
	// printable ASCII failed in grpc-go's header check.
	alone := metadata.AppendToOutgoingContext(context.Background(), "tracestate", "a=\x01")
	own := metadata.AppendToOutgoingContext(context.Background(), "traceparent", traceparent,
		"tracestate", "a=\x01,b=2", "x-request-source", "test")
	for _, ctx := range []context.Context{alone, own} {
		created, err := client.CreateTask(ctx, task)
		if err != nil {
			t.Fatalf("CreateTask: %v", err)
		}
		if _, err := client.CancelTask(context.Background(), created.ID); err != nil {
			t.Fatal(err)
		}
	}
	relay.mu.Lock()
	defer relay.mu.Unlock()
	if !slices.Equal(relay.states, want) {
		t.Errorf("tracestates sent on the stream:\n%q\nwant\n%q", relay.states, want)
	}
}
