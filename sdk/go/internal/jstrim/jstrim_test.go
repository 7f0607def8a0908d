package jstrim

import "testing"

// Trim removes what JavaScript's trim removes and keeps what it keeps, where strings.TrimSpace
// differs (U+FEFF, U+0085) and where both keep a character some count as space (U+180E, U+200B).
func TestTrimIsJavaScriptsTrim(t *testing.T) {
	for in, want := range map[string]string{
		"\t\v\f \u00a0\ufeffx\n\r\u2028\u2029":  "x",
		"\u1680\u2000\u200ax\u202f\u205f\u3000": "x",
		"\ufeff":                                "",
		"\u0085":                                "\u0085",
		" \u0085 ":                              "\u0085",
		"\u180e\u200b":                          "\u180e\u200b",
		" a b ":                                 "a b",
	} {
		if got := Trim(in); got != want {
			t.Errorf("Trim(%+q) = %+q, want %+q", in, got, want)
		}
	}
}
