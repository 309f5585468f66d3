package transforms

import (
	"encoding/base64"
	"fmt"
	"github.com/lambda-connect/lambda-connect/converters/javafmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// inferType is Connect's ConnectSchema.schemaType(value.getClass()): the schema type of
// schemaless data, false for values Connect's data API has no type for (dates and decimals
// without a schema, RawJSON before parsing).
func inferType(v any) (record.Type, bool) {
	switch v.(type) {
	case int8:
		return record.Int8, true
	case int16:
		return record.Int16, true
	case int32:
		return record.Int32, true
	case int64:
		return record.Int64, true
	case float32:
		return record.Float32, true
	case float64:
		return record.Float64, true
	case bool:
		return record.Boolean, true
	case string:
		return record.String, true
	case []byte:
		return record.Bytes, true
	case []any:
		return record.Array, true
	case map[string]any, []record.MapEntry:
		return record.Map, true
	case *record.StructValue:
		return record.Struct, true
	}
	return "", false
}

// goTypeName names a Go type that has no Connect type.
func goTypeName(v any) string {
	switch v.(type) {
	case time.Time:
		return "date (java.util.Date)"
	}
	return fmt.Sprintf("%T", v)
}

// javaString is Connect's Values.convertToString, as the SimpleHeaderConverter writes header
// values and Cast writes strings: numbers as Java prints them, byte arrays in base64, dates in
// ISO 8601, and lists, maps and structs in Connect's own notation ([1,2], {"a":1}).
func javaString(s *record.Schema, v any) (string, error) {
	b, err := appendJava(nil, s, v, false)
	return string(b), err
}

// appendJava is Connect's Values.append; embedded is true inside a list, map or struct, where
// strings are quoted.
func appendJava(b []byte, s *record.Schema, v any, embedded bool) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case record.RawJSON:
		p, err := parsed(x)
		if err != nil {
			return nil, err
		}
		return appendJava(b, nil, p, embedded)
	case int8:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int32:
		if s != nil && (s.Name == record.DateName || s.Name == record.TimeName) {
			break
		}
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case float32:
		return appendJavaFloat(b, float64(x), 32), nil
	case float64:
		return appendJavaFloat(b, x, 64), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		if !embedded {
			return append(b, x...), nil
		}
		b = append(b, '"')
		for i := 0; i < len(x); i++ {
			if x[i] == '\\' || x[i] == '"' {
				b = append(b, '\\')
			}
			b = append(b, x[i])
		}
		return append(b, '"'), nil
	case []byte:
		if embedded {
			b = append(b, '"')
		}
		b = base64.StdEncoding.AppendEncode(b, x)
		if embedded {
			b = append(b, '"')
		}
		return b, nil
	case record.Decimal:
		return append(b, javaDecimalString(x)...), nil
	case *record.Decimal:
		return append(b, javaDecimalString(*x)...), nil
	case time.Time:
		return append(b, javaDateString(x.UnixMilli())...), nil
	case []any:
		var es *record.Schema
		if s != nil {
			es = s.Value
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJava(b, es, e, true); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b, _ = appendJava(b, nil, k, true)
			b = append(b, ':')
			if b, err = appendJava(b, nil, x[k], true); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []record.MapEntry:
		var ks, vs *record.Schema
		if s != nil {
			ks, vs = s.Key, s.Value
		}
		b = append(b, '{')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJava(b, ks, e.Key, true); err != nil {
				return nil, err
			}
			b = append(b, ':')
			if b, err = appendJava(b, vs, e.Value, true); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case *record.StructValue:
		b = append(b, '{')
		for i, f := range x.Schema.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b, _ = appendJava(b, nil, f.Name, true)
			b = append(b, ':')
			if b, err = appendJava(b, f.Schema, fieldValue(x, &f), true); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	if s != nil {
		if ms, ok := logicalMillis(s, v); ok {
			return append(b, javaDateString(ms)...), nil
		}
	}
	return nil, fmt.Errorf("failed to serialize unexpected value type %s", goTypeName(v))
}

// logicalMillis returns the milliseconds since the epoch of a Date, Time or Timestamp value
// given in its underlying form (int32 days, int32 ms of the day, int64 ms).
func logicalMillis(s *record.Schema, v any) (int64, bool) {
	switch s.Name {
	case record.DateName:
		if d, ok := v.(int32); ok {
			return int64(d) * msPerDay, true
		}
	case record.TimeName:
		if d, ok := v.(int32); ok {
			return int64(d), true
		}
	case record.TimestampName:
		if d, ok := v.(int64); ok {
			return d, true
		}
	}
	return 0, false
}

const msPerDay = 24 * 60 * 60 * 1000

// javaDateString is Values.dateFormatFor(date).format(date): a time of day for instants before
// the end of the epoch's first day, a date for whole days, else a timestamp; in UTC.
func javaDateString(ms int64) string {
	t := time.UnixMilli(ms).UTC()
	switch {
	case ms < msPerDay:
		return t.Format("15:04:05.000Z")
	case ms%msPerDay == 0:
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// appendJavaFloat writes f as Java's Double.toString (bits 64) or Float.toString (bits 32) do.
func appendJavaFloat(b []byte, f float64, bits int) []byte {
	if bits == 32 {
		return javafmt.AppendFloat(b, float32(f))
	}
	return javafmt.AppendDouble(b, f)
}

// javaDecimalString is Java's BigDecimal.toString: plain notation when the scale is not negative
// and the adjusted exponent is -6 or more, else scientific notation ("1.23E+5", "1E-7").
func javaDecimalString(d record.Decimal) string {
	unscaled := d.Unscaled
	if unscaled == nil {
		unscaled = new(big.Int)
	}
	digits := new(big.Int).Abs(unscaled).String()
	neg := unscaled.Sign() < 0
	adjusted := -int64(d.Scale) + int64(len(digits)-1)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	if d.Scale >= 0 && adjusted >= -6 {
		if d.Scale == 0 {
			b.WriteString(digits)
			return b.String()
		}
		scale := int(d.Scale)
		if len(digits) > scale {
			b.WriteString(digits[:len(digits)-scale])
			b.WriteByte('.')
			b.WriteString(digits[len(digits)-scale:])
		} else {
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", scale-len(digits)))
			b.WriteString(digits)
		}
		return b.String()
	}
	b.WriteString(digits[:1])
	if len(digits) > 1 {
		b.WriteByte('.')
		b.WriteString(digits[1:])
	}
	b.WriteByte('E')
	if adjusted >= 0 {
		b.WriteByte('+')
	}
	b.WriteString(strconv.FormatInt(adjusted, 10))
	return b.String()
}
