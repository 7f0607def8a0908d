// Package violation words one bad field as the manager and the TypeScript SDK (describeViolations)
// do, for both of the Go SDK's packages: every refusal of the SDK's own is worded through it.
package violation

// Describe is field and what is wrong with it, "field: Description" ("/config/timeout: Must be
// …", "Options.Concurrency: Must be …"); description is in the manager's words, a sentence of its
// own.
func Describe(field, description string) string {
	return field + ": " + description
}
