package taskexecutor

import (
	"context"
	"strings"

	"google.golang.org/grpc/metadata"
)

// The words of a trace context's refusal: the TypeScript SDK's for a traceparent (createTask's
// traceparent option), and for a tracestate what a header can carry at all.
const (
	traceparentProblem = "Must be a W3C traceparent: 00-<32 hex>-<16 hex>-<2 hex>, ids not all zero"
	tracestateProblem  = "Must be printable ASCII, as a W3C tracestate is"
)

// maxTraceparentChars is the longest traceparent read at all (the manager's and the TypeScript
// SDK's bound; a version 00 one has 55 characters).
const maxTraceparentChars = 256

// checkTrace refuses the trace context of ctx's outgoing metadata (`traceparent`, `tracestate`),
// which goes with a create or a wait as its own call would send it, when it is malformed, as
// INVALID_ARGUMENT naming "/traceparent" or "/tracestate", before anything is sent, as the
// TypeScript SDK refuses a malformed traceparent option. Sent, a malformed traceparent was ignored
// by the manager (the task started a trace of its own, saying nothing), and one that is not
// printable ASCII failed as INTERNAL, in grpc-go's marshaling on the Produce stream or its header
// check as its own call. Each value is checked: the manager reads the first of each header.
func checkTrace(ctx context.Context, subject string) error {
	md, _ := metadata.FromOutgoingContext(ctx)
	for _, value := range md.Get("traceparent") {
		if !isTraceparent(value) {
			return invalidArgument(subject, "/traceparent", traceparentProblem)
		}
	}
	for _, value := range md.Get("tracestate") {
		if !isPrintableASCII(value) {
			return invalidArgument(subject, "/tracestate", tracestateProblem)
		}
	}
	return nil
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
