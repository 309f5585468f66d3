package jsonconv

import (
	"errors"
	"math/big"
	"strconv"
	"unsafe"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Parse materialises schemaless JSON as Connect's JsonConverter does without a schema: null as
// nil, true/false as bool, integral numbers (no fraction or exponent) that fit as int64, other
// numbers as float64, strings as string, arrays as []any and objects as map[string]any (for a
// repeated key the last value wins). Empty input (only whitespace) is nil. Malformed JSON is a
// BadRecord error saying what is wrong and where.
func Parse(raw record.RawJSON) (any, error) {
	start, end, _, err := scanDocument(raw, nil)
	if err != nil {
		return nil, errclass.New(errclass.BadRecord, "", err)
	}
	if start == end {
		return nil, nil
	}
	v, _ := decodeAny(raw, start)
	return v, nil
}

// decodeAny materialises the validated value at data[i] and returns the offset past it.
func decodeAny(data []byte, i int) (any, int) {
	switch data[i] {
	case '{':
		m := make(map[string]any)
		i = skipWS(data, i+1)
		if data[i] == '}' {
			return m, i + 1
		}
		for {
			k, j := readString(data, i)
			j = skipWS(data, j)
			j = skipWS(data, j+1) // ':'
			var v any
			v, j = decodeAny(data, j)
			m[k] = v
			j = skipWS(data, j)
			if data[j] != ',' {
				return m, j + 1
			}
			i = skipWS(data, j+1)
		}
	case '[':
		a := make([]any, 0, 4)
		i = skipWS(data, i+1)
		if data[i] == ']' {
			return a, i + 1
		}
		for {
			var v any
			v, i = decodeAny(data, i)
			a = append(a, v)
			i = skipWS(data, i)
			if data[i] != ',' {
				return a, i + 1
			}
			i = skipWS(data, i+1)
		}
	case '"':
		return readString(data, i)
	case 't':
		return true, i + 4
	case 'f':
		return false, i + 5
	case 'n':
		return nil, i + 4
	}
	end, integral := numberEnd(data, i)
	if integral {
		if v, ok := parseIntLit(data[i:end]); ok {
			return v, end
		}
	}
	return parseFloatLit(data[i:end], 64), end
}

// numberEnd returns the end of the validated number at data[i] and whether it is written as an
// integer (no fraction, no exponent).
func numberEnd(data []byte, i int) (int, bool) {
	integral := true
	for i < len(data) {
		switch c := data[i]; {
		case c >= '0' && c <= '9', c == '-':
		case c == '.', c == 'e', c == 'E', c == '+':
			integral = false
		default:
			return i, integral
		}
		i++
	}
	return i, integral
}

// parseIntLit parses a validated integer literal (leading zeros allowed); false on overflow.
func parseIntLit(b []byte) (int64, bool) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var u uint64
	for _, c := range b {
		if u > (1<<63)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
		if u > 1<<63 {
			return 0, false
		}
	}
	if neg {
		return -int64(u), true // -(1<<63) wraps to itself, which is right
	}
	if u == 1<<63 {
		return 0, false
	}
	return int64(u), true
}

// parseFloatLit parses a validated number literal; out-of-range values become ±Inf or 0, as
// Java's doubleValue does.
func parseFloatLit(b []byte, bits int) float64 {
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), bits)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0 // unreachable for a validated literal
	}
	return f
}

// parseDecimalLit parses a validated number literal exactly, as Java's new BigDecimal(text):
// "1.50" is 150 with scale 2, "1e3" is 1 with scale -3.
func parseDecimalLit(b []byte) (record.Decimal, bool) {
	digits := make([]byte, 0, len(b))
	scale := int64(0)
	i := 0
	if b[0] == '-' {
		digits = append(digits, '-')
		i++
	}
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		digits = append(digits, b[i])
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			digits = append(digits, b[i])
			scale++
		}
	}
	if i < len(b) && b[i]|0x20 == 'e' {
		i++
		neg := false
		if b[i] == '+' || b[i] == '-' {
			neg = b[i] == '-'
			i++
		}
		var e int64
		for ; i < len(b); i++ {
			e = e*10 + int64(b[i]-'0')
			if e > 1<<40 {
				return record.Decimal{}, false
			}
		}
		if neg {
			scale += e
		} else {
			scale -= e
		}
	}
	if scale < -(1<<31) || scale > 1<<31-1 {
		return record.Decimal{}, false
	}
	u, ok := new(big.Int).SetString(string(digits), 10)
	if !ok {
		return record.Decimal{}, false
	}
	return record.Decimal{Unscaled: u, Scale: int32(scale)}, true
}
