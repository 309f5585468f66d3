package jsonconv

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects accepted, Jackson's default limit
// (StreamReadConstraints).
const MaxDepth = 1000

// MaxNumberLength is the longest number accepted, in characters: Jackson's default limit.
const MaxNumberLength = 1000

// flagLeadingZeros marks a document with an integer part written with leading zeros ("007"),
// which Connect's deserializer accepts (ALLOW_LEADING_ZEROS_FOR_NUMBERS) and which must be
// rewritten before the text is passed on as JSON.
const flagLeadingZeros = 1

// SyntaxError is malformed JSON: what is wrong and at which byte offset.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

func syntaxErr(data []byte, i int, what string) error {
	if i >= len(data) {
		return &SyntaxError{Offset: i, Msg: "unexpected end of input, expected " + what}
	}
	return &SyntaxError{Offset: i, Msg: fmt.Sprintf("unexpected %s, expected %s", describeByte(data[i]), what)}
}

func describeByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("character %q", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// scanDocument validates data as Connect's deserializer reads a record: an optional UTF-8 BOM,
// whitespace, one JSON value. Like Jackson it ignores what follows a complete root value, except
// that a root-level number must be followed by whitespace and a root-level true/false/null by a
// non-identifier character. start == end means an empty document (only whitespace).
//
// When root is not nil, the offsets of the root object's first members are recorded in it.
func scanDocument(data []byte, root *rootMembers) (start, end int, flags uint8, err error) {
	i := 0
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		i = 3
	}
	i = skipWS(data, i)
	if i == len(data) {
		return i, i, 0, nil
	}
	end, flags, err = scanValue(data, i, root)
	if err != nil {
		return 0, 0, 0, err
	}
	if end < len(data) {
		c := data[end]
		switch first := data[i]; {
		case first == '-' || (first >= '0' && first <= '9'):
			if !isWS(c) {
				return 0, 0, 0, &SyntaxError{Offset: end, Msg: fmt.Sprintf("unexpected %s after a root-level number, expected whitespace", describeByte(c))}
			}
		case first == 't' || first == 'f' || first == 'n':
			if c == '_' || c == '$' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' || c >= 0x80 {
				return 0, 0, 0, &SyntaxError{Offset: i, Msg: "unrecognized token"}
			}
		}
	}
	return i, end, flags, nil
}

func isWS(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func skipWS(data []byte, i int) int {
	for i < len(data) && isWS(data[i]) {
		i++
	}
	return i
}

// member is the position of one member of the root object: its key's opening quote, the start
// of its value and the offset past the value.
type member struct{ key, val, end int }

// rootMembers records the first members of a root object as scanValue validates it.
type rootMembers struct {
	m [4]member
	n int // members seen, possibly more than len(m)
}

// scanValue validates the JSON value starting at data[i] (not whitespace) and returns the offset
// just past it. It is iterative: nesting is tracked in a bit stack (1 = object).
func scanValue(data []byte, i int, root *rootMembers) (int, uint8, error) {
	var (
		stack [(MaxDepth + 63) / 64]uint64
		depth int
		flags uint8
		err   error
		n     = len(data)
		lz    bool
	)
value:
	if i >= n {
		return 0, 0, syntaxErr(data, i, "a value")
	}
	switch c := data[i]; c {
	case '{':
		i = skipWS(data, i+1)
		if i < n && data[i] == '}' {
			i++
			goto after
		}
		if depth == MaxDepth {
			return 0, 0, &SyntaxError{Offset: i, Msg: fmt.Sprintf("nesting deeper than %d", MaxDepth)}
		}
		stack[depth>>6] |= 1 << (depth & 63)
		depth++
		goto key
	case '[':
		i = skipWS(data, i+1)
		if i < n && data[i] == ']' {
			i++
			goto after
		}
		if depth == MaxDepth {
			return 0, 0, &SyntaxError{Offset: i, Msg: fmt.Sprintf("nesting deeper than %d", MaxDepth)}
		}
		stack[depth>>6] &^= 1 << (depth & 63)
		depth++
		goto value
	case '"':
		if i, err = scanString(data, i+1); err != nil {
			return 0, 0, err
		}
	case 't':
		if n-i < 4 || string(data[i:i+4]) != "true" {
			return 0, 0, &SyntaxError{Offset: i, Msg: "unrecognized token, expected true"}
		}
		i += 4
	case 'f':
		if n-i < 5 || string(data[i:i+5]) != "false" {
			return 0, 0, &SyntaxError{Offset: i, Msg: "unrecognized token, expected false"}
		}
		i += 5
	case 'n':
		if n-i < 4 || string(data[i:i+4]) != "null" {
			return 0, 0, &SyntaxError{Offset: i, Msg: "unrecognized token, expected null"}
		}
		i += 4
	default:
		if c != '-' && (c < '0' || c > '9') {
			return 0, 0, syntaxErr(data, i, "a value")
		}
		if i, lz, err = scanNumber(data, i); err != nil {
			return 0, 0, err
		}
		if lz {
			flags |= flagLeadingZeros
		}
	}
after:
	if depth <= 1 {
		if depth == 0 {
			return i, flags, nil
		}
		if root != nil {
			if root.n < len(root.m) {
				root.m[root.n].end = i
			}
			root.n++
		}
	}
	i = skipWS(data, i)
	if i >= n {
		return 0, 0, syntaxErr(data, i, "',' or the end of the array or object")
	}
	if stack[(depth-1)>>6]&(1<<((depth-1)&63)) != 0 {
		switch data[i] {
		case ',':
			i = skipWS(data, i+1)
			goto key
		case '}':
			i++
			depth--
			goto after
		}
		return 0, 0, syntaxErr(data, i, "',' or '}' in object")
	}
	switch data[i] {
	case ',':
		i = skipWS(data, i+1)
		goto value
	case ']':
		i++
		depth--
		goto after
	}
	return 0, 0, syntaxErr(data, i, "',' or ']' in array")
key:
	if i >= n || data[i] != '"' {
		return 0, 0, syntaxErr(data, i, "a string key in object")
	}
	if depth == 1 && root != nil && root.n < len(root.m) {
		root.m[root.n].key = i
	}
	if i, err = scanString(data, i+1); err != nil {
		return 0, 0, err
	}
	i = skipWS(data, i)
	if i >= n || data[i] != ':' {
		return 0, 0, syntaxErr(data, i, "':' after object key")
	}
	i = skipWS(data, i+1)
	if depth == 1 && root != nil && root.n < len(root.m) {
		root.m[root.n].val = i
	}
	goto value
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// specialMask flags (in each byte's high bit) the bytes of w that are '"', '\\', a control
// character or non-ASCII. The lowest flagged byte is always a true match (borrows only
// propagate upwards), so bits.TrailingZeros64(mask)/8 is the index of the first special byte.
func specialMask(w uint64) uint64 {
	q := w ^ (lsb * '"')
	bs := w ^ (lsb * '\\')
	return ((q-lsb)&^q | (bs-lsb)&^bs | (w-lsb*0x20)&^w | w) & msb
}

// quoteMask flags the bytes of w that are '"' or '\\' (lowest flagged byte exact).
func quoteMask(w uint64) uint64 {
	q := w ^ (lsb * '"')
	bs := w ^ (lsb * '\\')
	return ((q-lsb)&^q | (bs-lsb)&^bs) & msb
}

// strClass classifies string bytes: 0 plain, 1 quote, 2 backslash, 3 control, 4 non-ASCII.
var strClass = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = 3
	}
	t['"'] = 1
	t['\\'] = 2
	for c := 0x80; c < 0x100; c++ {
		t[c] = 4
	}
	return t
}()

var hexVal = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = int8(c - 'a' + 10)
		t[c-'a'+'A'] = int8(c - 'a' + 10)
	}
	return t
}()

// scanString validates a string whose opening quote is at data[i-1] and returns the offset past
// its closing quote. Strings must be valid UTF-8 without raw control characters.
func scanString(data []byte, i int) (int, error) {
	n := len(data)
	for {
		for {
			if i+8 > n {
				for i < n && strClass[data[i]] == 0 {
					i++
				}
				break
			}
			if m := specialMask(binary.LittleEndian.Uint64(data[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= n {
			return 0, &SyntaxError{Offset: i, Msg: "unexpected end of input in string"}
		}
		switch strClass[data[i]] {
		case 1:
			return i + 1, nil
		case 2:
			if i+1 >= n {
				return 0, &SyntaxError{Offset: i, Msg: "unexpected end of input in string escape"}
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if n-i < 6 || hexVal[data[i+2]]|hexVal[data[i+3]]|hexVal[data[i+4]]|hexVal[data[i+5]] < 0 {
					return 0, &SyntaxError{Offset: i, Msg: "invalid \\u escape in string, expected 4 hex digits"}
				}
				i += 6
			default:
				return 0, &SyntaxError{Offset: i, Msg: fmt.Sprintf("invalid escape %s in string", describeByte(data[i+1]))}
			}
		case 3:
			return 0, &SyntaxError{Offset: i, Msg: fmt.Sprintf("unescaped control character 0x%02x in string", data[i])}
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				return 0, &SyntaxError{Offset: i, Msg: "invalid UTF-8 in string"}
			}
			i += size
		}
	}
}

// scanNumber validates a number at data[i] ('-' or a digit). Leading zeros in the integer part
// are accepted, as Connect's deserializer does, and reported.
func scanNumber(data []byte, i int) (end int, leadingZeros bool, err error) {
	n := len(data)
	start := i
	if data[i] == '-' {
		i++
	}
	d := i
	for i < n && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	if i == d {
		return 0, false, syntaxErr(data, i, "a digit")
	}
	leadingZeros = data[d] == '0' && i-d > 1
	if i < n && data[i] == '.' {
		i++
		f := i
		for i < n && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == f {
			return 0, false, syntaxErr(data, i, "a digit after the decimal point")
		}
	}
	if i < n && data[i]|0x20 == 'e' {
		i++
		if i < n && (data[i] == '+' || data[i] == '-') {
			i++
		}
		e := i
		for i < n && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == e {
			return 0, false, syntaxErr(data, i, "a digit in the exponent")
		}
	}
	if i-start > MaxNumberLength {
		return 0, false, &SyntaxError{Offset: start, Msg: fmt.Sprintf("number longer than %d characters", MaxNumberLength)}
	}
	return i, leadingZeros, nil
}

// skipValue returns the offset past the (already validated) value at data[i].
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		return skipString(data, i+1)
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				i = skipString(data, i+1) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	case 't', 'n':
		return i + 4
	case 'f':
		return i + 5
	}
	for i < len(data) {
		switch c := data[i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the offset past the closing quote of the (validated) string whose opening
// quote is at data[i-1].
func skipString(data []byte, i int) int {
	n := len(data)
	for i < n {
		i = nextQuoteOrBackslash(data, i)
		if i >= n {
			break
		}
		if data[i] == '"' {
			return i + 1
		}
		i += 2
	}
	return n
}

// nextQuoteOrBackslash returns the index of the first '"' or '\\' at or after i (len(data) if
// none).
func nextQuoteOrBackslash(data []byte, i int) int {
	n := len(data)
	for i+8 <= n {
		if m := quoteMask(binary.LittleEndian.Uint64(data[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for i < n && data[i] != '"' && data[i] != '\\' {
		i++
	}
	return i
}

// stripLeadingZeros rewrites the numbers of a validated document without the leading zeros of
// their integer part ("007" -> "7", "-00.5" -> "-0.5"), returning a new slice.
func stripLeadingZeros(data []byte) []byte {
	out := make([]byte, 0, len(data))
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '"':
			j := skipString(data, i+1)
			out = append(out, data[i:j]...)
			i = j
		case c == '-' || c >= '0' && c <= '9':
			if c == '-' {
				out = append(out, '-')
				i++
			}
			for i+1 < len(data) && data[i] == '0' && data[i+1] >= '0' && data[i+1] <= '9' {
				i++
			}
			for i < len(data) && (data[i] >= '0' && data[i] <= '9' || data[i] == '.' || data[i]|0x20 == 'e' || data[i] == '+' || data[i] == '-') {
				out = append(out, data[i])
				i++
			}
		default:
			out = append(out, c)
			i++
		}
	}
	return out
}
