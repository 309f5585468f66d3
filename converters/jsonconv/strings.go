package jsonconv

import (
	"unicode/utf16"
	"unicode/utf8"
)

// readString decodes the validated string whose opening quote is at data[i] and returns it with
// the offset past its closing quote. A lone surrogate escape decodes to U+FFFD.
func readString(data []byte, i int) (string, int) {
	start := i + 1
	j := nextQuoteOrBackslash(data, start)
	if j < len(data) && data[j] == '"' {
		return string(data[start:j]), j + 1
	}
	if j >= len(data) {
		return string(data[start:]), len(data)
	}
	return unescape(data, start, j)
}

// unescape decodes a string from start (after the opening quote); data[i] is its first escape.
func unescape(data []byte, start, i int) (string, int) {
	buf := make([]byte, 0, i-start+16)
	buf = append(buf, data[start:i]...)
	for i < len(data) {
		c := data[i]
		switch c {
		case '"':
			return string(buf), i + 1
		case '\\':
		default:
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(data) {
			break
		}
		switch e := data[i+1]; e {
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r := hex4(data, i+2)
			i += 6
			if utf16.IsSurrogate(r) {
				if r < 0xDC00 && i+6 <= len(data) && data[i] == '\\' && data[i+1] == 'u' {
					if r2 := hex4(data, i+2); r2 >= 0xDC00 && r2 <= 0xDFFF {
						buf = utf8.AppendRune(buf, utf16.DecodeRune(r, r2))
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default: // '"', '\\', '/'
			buf = append(buf, e)
		}
		i += 2
	}
	return string(buf), len(data)
}

func hex4(data []byte, i int) rune {
	if i+4 > len(data) {
		return utf8.RuneError
	}
	return rune(hexVal[data[i]])<<12 | rune(hexVal[data[i+1]])<<8 | rune(hexVal[data[i+2]])<<4 | rune(hexVal[data[i+3]])
}

const hexDigits = "0123456789ABCDEF"

// escapeClass marks the ASCII bytes Jackson escapes in strings; the value is the short escape
// letter, or 'u' for \u00XX.
var escapeClass = func() (t [256]byte) {
	for c := range 0x20 {
		t[c] = 'u'
	}
	t['\b'], t['\t'], t['\n'], t['\f'], t['\r'] = 'b', 't', 'n', 'f', 'r'
	t['"'], t['\\'] = '"', '\\'
	for c := 0x80; c < 0x100; c++ {
		t[c] = 1 // non-ASCII: check UTF-8
	}
	return t
}()

// AppendString appends s as a JSON string the way Jackson (and so Kafka Connect) writes it. The
// event encoder and the metrics lines use it too.
func AppendString(b []byte, s string) []byte { return appendQuoted(b, s) }

// appendQuoted appends s as a JSON string the way Jackson writes it: '"' and '\\' escaped, control
// characters as \b \t \n \f \r or \u00XX (upper-case hex), everything else, non-ASCII included,
// as UTF-8. Invalid UTF-8 is written as U+FFFD.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		e := escapeClass[c]
		if e == 0 {
			i++
			continue
		}
		if e == 1 {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size > 1 {
				i += size
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			i++
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		if e == 'u' {
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		} else {
			b = append(b, '\\', e)
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
