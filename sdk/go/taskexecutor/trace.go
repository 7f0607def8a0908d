package taskexecutor

import (
	"context"
	"regexp"
	"strings"
	"unicode/utf16"

	"google.golang.org/grpc/metadata"

	"tasks-executor/sdk/go/internal/jstrim"
)

// traceparentProblem is the TypeScript SDK's refusal of a traceparent (createTask's traceparent
// option).
const traceparentProblem = "Must be a W3C traceparent: 00-<32 hex>-<16 hex>-<2 hex>, ids not all zero"

// maxTraceparentChars is the longest traceparent read at all (the manager's and the TypeScript
// SDK's bound; a version 00 one has 55 characters).
const maxTraceparentChars = 256

// The manager's bounds of a tracestate (proto/tracing.ts): the longest kept, in characters, and
// the longest read at all (4 times that); the most list members kept (OpenTelemetry's TraceState).
const (
	maxTracestateChars   = 512
	maxTracestateRead    = 4 * maxTracestateChars
	maxTracestateMembers = 32
)

// checkTrace checks the trace context of ctx's outgoing metadata (`traceparent`, `tracestate`),
// which goes with a create or a wait as its own call would send it, before anything is sent, and
// returns ctx with the tracestate the manager keeps of it. A malformed traceparent is refused as
// INVALID_ARGUMENT naming "/traceparent", as the TypeScript SDK refuses a malformed traceparent
// option: sent, the manager ignored it (the task started a trace of its own, saying nothing). Each
// value is checked: the manager reads the first. The tracestate, every value joined with commas as
// the manager joins them, goes as the manager reads it (readTracestate, W3C's list rules, the
// TypeScript SDK's rule too): its malformed entries dropped, at most 32 entries and 512
// characters, and none when nothing is left or there is no traceparent (which the manager reads
// without one). It was sent as given: one not printable ASCII was refused naming "/tracestate"
// (sent, it failed as INTERNAL, in grpc-go's marshaling or header check) where the TypeScript SDK
// dropped its bad entries, and the manager dropped those of one sent.
func checkTrace(ctx context.Context, subject string) (context.Context, error) {
	md, _ := metadata.FromOutgoingContext(ctx)
	parents := md.Get("traceparent")
	for _, value := range parents {
		if !isTraceparent(value) {
			return ctx, invalidArgument(subject, "/traceparent", traceparentProblem)
		}
	}
	states := md.Get("tracestate")
	if len(states) == 0 {
		return ctx, nil
	}
	kept := ""
	if len(parents) > 0 {
		kept = readTracestate(strings.Join(states, ","))
	}
	if len(states) == 1 && states[0] == kept {
		return ctx, nil
	}
	md = md.Copy()
	if kept == "" {
		delete(md, "tracestate")
	} else {
		md.Set("tracestate", kept)
	}
	return metadata.NewOutgoingContext(ctx, md), nil
}

// tracestateKey and tracestateValue are W3C's grammar of a list member's key (a simple key, or
// tenant@system) and value (printable ASCII but ',' and '=', not ending in a space), as
// OpenTelemetry's TraceState reads them.
var (
	tracestateKey = regexp.MustCompile(
		`^(?:[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})$`)
	tracestateValue = regexp.MustCompile(`^[ -~]{0,255}[!-~]$`)
)

// readTracestate is state as the manager keeps it (proto/tracing.ts's readTraceContext, by
// OpenTelemetry's TraceState), "" for none: a state past 2,048 characters is none; of the rest,
// each comma-separated member trimmed of white space (JavaScript's trim), those without '=' or
// whose key or value W3C's grammar refuses are dropped, as is a member that would take the list
// past 512 characters; a key given again keeps its first place with its last value; reading stops
// at 32 members. Lengths are JavaScript's (UTF-16 code units).
func readTracestate(state string) string {
	if jsLength(state) > maxTracestateRead {
		return ""
	}
	var keys []string
	values := map[string]string{}
	length := 0
	for _, part := range strings.Split(state, ",") {
		member := jstrim.Trim(part)
		key, value, found := strings.Cut(member, "=")
		if !found || !tracestateKey.MatchString(key) || !tracestateValue.MatchString(value) ||
			strings.Contains(value, "=") {
			continue
		}
		next := length + len(member) // the member is ASCII here
		if len(keys) > 0 {
			next++
		}
		if next > maxTracestateChars {
			continue
		}
		if _, seen := values[key]; !seen {
			keys = append(keys, key)
		}
		values[key] = value
		length = next
		if len(keys) >= maxTracestateMembers {
			break
		}
	}
	members := make([]string, len(keys))
	for i, key := range keys {
		members[i] = key + "=" + values[key]
	}
	return strings.Join(members, ",")
}

// jsLength is the length of s in UTF-16 code units, as JavaScript counts a string's (a byte that
// is not UTF-8 counts as the one U+FFFD it decodes to).
func jsLength(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// isTraceparent says whether value is a traceparent the manager and the TypeScript SDK read
// (proto/tracing.ts's readTraceContext): at most 256 characters, printable ASCII (what a header
// carries), and once trimmed of spaces `<version>-<trace id>-<parent id>-<flags>` in lowercase hex,
// the version not ff, neither id all zeros, and more only after a version other than 00, behind a
// '-'.
func isTraceparent(value string) bool {
	if len(value) > maxTraceparentChars || !isPrintableASCII(value) {
		return false
	}
	t := strings.Trim(value, " ")
	if len(t) < 55 || t[2] != '-' || t[35] != '-' || t[52] != '-' {
		return false
	}
	version, traceID, parentID, flags := t[0:2], t[3:35], t[36:52], t[53:55]
	if !isLowerHex(version) || version == "ff" || !isLowerHex(traceID) || !isLowerHex(parentID) ||
		!isLowerHex(flags) || strings.Trim(traceID, "0") == "" || strings.Trim(parentID, "0") == "" {
		return false
	}
	rest := t[55:]
	return rest == "" || (version != "00" && rest[0] == '-')
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isPrintableASCII says whether s holds only the characters a gRPC header value may (0x20 to
// 0x7e).
func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
