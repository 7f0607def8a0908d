package taskexecutor

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// enumValue is the value of name, a REST name ("in_progress") or the proto's value name for it
// ("TASK_STATUS_IN_PROGRESS": upper case, prefix included), the two forms of a name the manager
// reads, of the generated enum whose value names are the keys of values and start with prefix
// ("TASK_STATUS_"). A name the enum does not have (a typo, "Completed", "", the proto's
// "<PREFIX>UNSPECIFIED") is refused as INVALID_ARGUMENT naming subject (what holds it: `executor
// "x"`, whose configuration a worker registers with others) and field, listing the names taken,
// before anything is sent: looked up as it was, it became <PREFIX>UNSPECIFIED (0), which the
// manager reads as not given, and a filter widened to every value (ListTasks with
// Statuses{"bogus"} listed all tasks). A number ("3"), which the manager's REST API reads, is
// refused too, the description saying that the SDK takes names only: the typed constants
// (StatusCompleted, RetryLinear) are names, and the proto's numbers are not part of this API.
func enumValue(values map[string]int32, prefix, name, subject, field string) (int32, error) {
	if name == strings.ToLower(name) {
		if value, ok := values[prefix+strings.ToUpper(name)]; ok && value != 0 {
			return value, nil
		}
	} else if name == strings.ToUpper(name) && strings.HasPrefix(name, prefix) {
		if value, ok := values[name]; ok && value != 0 {
			return value, nil
		}
	}
	type named struct {
		name  string
		value int32
	}
	var known []named
	for key, value := range values {
		if value != 0 && strings.HasPrefix(key, prefix) {
			known = append(known, named{strings.ToLower(strings.TrimPrefix(key, prefix)), value})
		}
	}
	slices.SortFunc(known, func(a, b named) int { return cmp.Compare(a.value, b.value) })
	names := make([]string, len(known))
	for i, k := range known {
		names[i] = k.name
	}
	description := fmt.Sprintf("Must be one of %s, or the proto's name for one (%s%s, …), not %q",
		strings.Join(names, ", "), prefix, strings.ToUpper(names[0]), name)
	if _, err := strconv.Atoi(strings.TrimSpace(name)); err == nil {
		description += " (the SDK takes an enum value by name, not by number)"
	}
	return 0, invalidArgument(subject, field, description)
}
