package taskexecutor

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The manager's words for text that is not well-formed Unicode (its lone surrogate is Go's
// invalid UTF-8), of a string and of a map key.
const (
	notWellFormed    = "Must be well-formed Unicode (valid UTF-8)"
	keyNotWellFormed = "Must have a key of well-formed Unicode (valid UTF-8)"
)

// checkText refuses request, about to be sent, when a string in it is not valid UTF-8, naming the
// field by its JSON pointer under pointer ("/task", "" for the request itself), as the manager
// names its fields (lowerCamelCase, "/task/metadata/<key>"). Sent, it failed in grpc-go's
// marshaling, as INTERNAL "grpc: error while marshaling: string field contains invalid UTF-8",
// which named no field.
func checkText(subject string, request proto.Message, pointer string) error {
	if field, description := badText(request.ProtoReflect(), pointer); field != "" {
		return invalidArgument(subject, field, description)
	}
	return nil
}

// badText is the JSON pointer under pointer of the first string of m that is not valid UTF-8, and
// what is wrong with it; "" when every one is.
func badText(m protoreflect.Message, pointer string) (field, description string) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		at := pointer + "/" + fd.JSONName()
		switch {
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, item protoreflect.Value) bool {
				key := k.String()
				if fd.MapKey().Kind() == protoreflect.StringKind && !utf8.ValidString(key) {
					field, description = at+"/"+pointerKey(key), keyNotWellFormed
				} else {
					field, description = badValue(fd.MapValue(), item, at+"/"+pointerKey(key))
				}
				return field == ""
			})
		case fd.IsList():
			list := v.List()
			for i := 0; i < list.Len() && field == ""; i++ {
				field, description = badValue(fd, list.Get(i), fmt.Sprintf("%s/%d", at, i))
			}
		default:
			field, description = badValue(fd, v, at)
		}
		return field == ""
	})
	return field, description
}

// badValue is badText of one value of fd (a list's item, a map's value) at pointer.
func badValue(fd protoreflect.FieldDescriptor, v protoreflect.Value, pointer string) (string, string) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		if !utf8.ValidString(v.String()) {
			return pointer, notWellFormed
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return badText(v.Message(), pointer)
	}
	return "", ""
}

// pointerKey is key as a JSON pointer segment (RFC 6901: "~" as "~0", "/" as "~1"), its invalid
// bytes as U+FFFD: the pointer travels in a protobuf string itself.
func pointerKey(key string) string {
	key = strings.ToValidUTF8(key, "\ufffd")
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}

// checkOption refuses an option of the SDK's own (not a field of a request) that holds what it
// cannot take, which it replaced with its default, saying nothing: a negative ShutdownGrace gave
// handlers 10 s. field is its Go name ("WorkerOptions.ShutdownGrace"), as the TypeScript SDK
// names an option it refuses ("shutdownGraceMs"); problem is "" when the value is fine.
func checkOption(subject, field, problem string) error {
	if problem == "" {
		return nil
	}
	return invalidArgument(subject, field, problem)
}

// notBelowZero is what is wrong with d as a duration option whose 0 is its default (dflt): ""
// unless it is negative.
func notBelowZero(d, dflt time.Duration) string {
	if d >= 0 {
		return ""
	}
	return fmt.Sprintf("Must be 0 (the default, %v) or more, not %v", dflt, d)
}

// checkNumber refuses a float that is NaN or infinite, which protobuf carries but no setting
// takes: the manager refused an infinite multiplier but read a NaN one as not given, keeping the
// executor's (RegisterExecutor answered nil).
func checkNumber(subject, field string, value float64) error {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return invalidArgument(subject, field, fmt.Sprintf("Must be a number, not %v", value))
	}
	return nil
}
