// Package javafmt formats values as Java's toString methods do, so that the converters write the
// same text Kafka Connect writes: Double.toString, Float.toString, BigDecimal.toString,
// java.util.Date.toString (in UTC) and String.valueOf for Connect data (lists, maps, structs).
package javafmt

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"time"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// AppendDouble appends f formatted as Java's Double.toString: "1.0", "12.34", "1.0E10",
// "1.0E-4", "NaN", "Infinity", "-0.0".
func AppendDouble(b []byte, f float64) []byte { return appendJava(b, f, 64) }

// AppendFloat appends f formatted as Java's Float.toString.
func AppendFloat(b []byte, f float32) []byte { return appendJava(b, float64(f), 32) }

func appendJava(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	var buf [40]byte
	digits, exp := shortest(buf[:0], f, bits)
	if len(digits) == 1 {
		// Java (JDK 19+) renders at least two significant digits and, when the shortest
		// representation has one, picks the two-digit decimal closest to the value
		// (Double.MIN_VALUE is 4.9E-324, not 5.0E-324).
		var buf2 [40]byte
		s2 := strconv.AppendFloat(buf2[:0], f, 'e', 1, bits)
		if v, err := strconv.ParseFloat(string(s2), bits); err == nil && v == f {
			d2, e2 := splitExp(s2)
			for len(d2) > 1 && d2[len(d2)-1] == '0' {
				d2 = d2[:len(d2)-1]
			}
			digits, exp = append(buf[:0], d2...), e2
		}
	}
	if exp >= -3 && exp < 7 {
		if exp >= 0 {
			if len(digits) <= exp+1 {
				b = append(b, digits...)
				for range exp + 1 - len(digits) {
					b = append(b, '0')
				}
				return append(b, ".0"...)
			}
			b = append(b, digits[:exp+1]...)
			b = append(b, '.')
			return append(b, digits[exp+1:]...)
		}
		b = append(b, "0."...)
		for range -exp - 1 {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	b = append(b, digits[0], '.')
	if len(digits) > 1 {
		b = append(b, digits[1:]...)
	} else {
		b = append(b, '0')
	}
	b = append(b, 'E')
	return strconv.AppendInt(b, int64(exp), 10)
}

// shortest returns the shortest decimal digits that round-trip f and the decimal exponent of the
// first digit (f = d.ddd × 10^exp).
func shortest(buf []byte, f float64, bits int) ([]byte, int) {
	return splitExp(strconv.AppendFloat(buf, f, 'e', -1, bits))
}

// splitExp splits strconv's 'e' format "d.ddde±xx" into its digits (in place) and exponent.
func splitExp(s []byte) ([]byte, int) {
	e := 0
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == 'e' {
			e = i
			break
		}
	}
	exp, _ := strconv.Atoi(string(s[e+1:]))
	digits := s[:e]
	if len(digits) > 1 && digits[1] == '.' {
		digits = append(digits[:1], digits[2:]...)
	}
	return digits, exp
}

// AppendBigDecimal appends unscaled × 10^-scale formatted as Java's BigDecimal.toString: plain
// notation unless the scale is negative or the number is below 10^-6, then scientific ("1E-7",
// "1.5E+3"). A nil unscaled is zero.
func AppendBigDecimal(b []byte, unscaled *big.Int, scale int32) []byte {
	var digits []byte
	neg := false
	if unscaled == nil {
		digits = []byte{'0'}
	} else {
		digits = unscaled.Append(nil, 10)
		if digits[0] == '-' {
			neg, digits = true, digits[1:]
		}
	}
	if neg {
		b = append(b, '-')
	}
	n := int64(len(digits))
	s := int64(scale)
	adjusted := -s + n - 1
	if s >= 0 && adjusted >= -6 {
		switch {
		case s == 0:
			return append(b, digits...)
		case n > s:
			b = append(b, digits[:n-s]...)
			b = append(b, '.')
			return append(b, digits[n-s:]...)
		default:
			b = append(b, "0."...)
			for range s - n {
				b = append(b, '0')
			}
			return append(b, digits...)
		}
	}
	b = append(b, digits[0])
	if n > 1 {
		b = append(b, '.')
		b = append(b, digits[1:]...)
	}
	if adjusted != 0 {
		b = append(b, 'E')
		if adjusted > 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, adjusted, 10)
	}
	return b
}

// AppendDate appends t as java.util.Date.toString does in a JVM whose time zone is UTC:
// "Thu Jan 01 00:00:00 UTC 1970".
func AppendDate(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, "Mon Jan 02 15:04:05 MST 2006")
}

// AppendValue appends v as Java's String.valueOf would format the Connect data v: strings as
// they are, numbers as Java prints them, lists as "[a, b]", maps as "{k=v, k2=v2}", structs as
// "Struct{a=1,b=x}" (null fields left out), Decimals as BigDecimal.toString, times as
// Date.toString in UTC and nil as "null". Byte slices and RawJSON are taken as text (Java would
// print an array identity, which no one wants).
func AppendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return append(b, v...)
	case []byte:
		return append(b, v...)
	case record.RawJSON:
		return append(b, v...)
	case bool:
		return strconv.AppendBool(b, v)
	case int8:
		return strconv.AppendInt(b, int64(v), 10)
	case int16:
		return strconv.AppendInt(b, int64(v), 10)
	case int32:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case uint:
		return strconv.AppendUint(b, uint64(v), 10)
	case float32:
		return AppendFloat(b, v)
	case float64:
		return AppendDouble(b, v)
	case record.Decimal:
		return AppendBigDecimal(b, v.Unscaled, v.Scale)
	case *record.Decimal:
		if v == nil {
			return append(b, "null"...)
		}
		return AppendBigDecimal(b, v.Unscaled, v.Scale)
	case time.Time:
		return AppendDate(b, v)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = AppendValue(b, e)
		}
		return append(b, ']')
	case []record.MapEntry:
		b = append(b, '{')
		for i, e := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = AppendValue(b, e.Key)
			b = append(b, '=')
			b = AppendValue(b, e.Value)
		}
		return append(b, '}')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, k...)
			b = append(b, '=')
			b = AppendValue(b, v[k])
		}
		return append(b, '}')
	case *record.StructValue:
		if v == nil {
			return append(b, "null"...)
		}
		b = append(b, "Struct{"...)
		first := true
		for i, fv := range v.Values {
			if fv == nil || v.Schema == nil || i >= len(v.Schema.Fields) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, v.Schema.Fields[i].Name...)
			b = append(b, '=')
			b = AppendValue(b, fv)
		}
		return append(b, '}')
	}
	return fmt.Append(b, v)
}
