// Package jstrim trims text as the manager does: with JavaScript's String.prototype.trim, whose
// set of white space differs from Go's. Every place the Go SDK trims to mirror a rule of the
// manager's (a worker id required not blank, proto/worker_id.ts; a task schema given blank as
// none) trims with it, so that the SDK takes what the manager takes and refuses what it refuses.
package jstrim

import (
	"strings"
	"unicode"
)

// IsSpace reports whether String.prototype.trim removes r: ECMAScript's WhiteSpace (tab, U+000B,
// U+000C, U+FEFF, the Zs category) and LineTerminator (U+000A, U+000D, U+2028, U+2029).
// unicode.IsSpace, strings.TrimSpace's, differs: it holds U+0085, which trim keeps, and not
// U+FEFF, which trim removes.
func IsSpace(r rune) bool {
	switch r {
	case '\t', '\v', '\f', '\ufeff', '\n', '\r', '\u2028', '\u2029':
		return true
	}
	return unicode.Is(unicode.Zs, r)
}

// Trim is s without the leading and trailing runes IsSpace holds, as s.trim() in JavaScript.
func Trim(s string) string {
	return strings.TrimFunc(s, IsSpace)
}
