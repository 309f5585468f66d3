package jsonconv

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzAppendString checks that any string is written as JSON that encoding/json reads back as the
// same text, invalid UTF-8 bytes each becoming U+FFFD.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"uo\te`, "tab\tnl\ncr\r\x00\x1f\x7f", "é😀", "\xff\xfe", "\u2028", "a\xffb\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q gave invalid JSON %s: %v", s, b, err)
		}
		if want := replaceInvalidBytes(s); got != want {
			t.Fatalf("%q decodes to %q, want %q", s, got, want)
		}
	})
}

// replaceInvalidBytes replaces every byte that is not part of valid UTF-8 by U+FFFD, as
// encoding/json does when it reads a string.
func replaceInvalidBytes(s string) string {
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		out = append(out, r)
		i += n
	}
	return string(out)
}
