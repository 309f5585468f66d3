package record

import (
	"bytes"
	"math"
	"reflect"
	"time"
)

// DataEquality is a way of comparing Connect data (see Schema for its Go types). Its zero value
// is the comparison EqualData makes; the fields choose what it leaves out.
//
// Equal compares:
//   - nil (null) as equal only to nil;
//   - []byte by content, so a nil slice equals an empty one (both are the empty bytes value: a
//     null is a nil interface, not a nil slice);
//   - Decimal by scale and unscaled value (Cmp), so 1.0 (scale 1) and 1.00 (scale 2) differ, and
//     a nil Unscaled equals only a nil Unscaled;
//   - time.Time by instant (time.Time.Equal), whatever their locations;
//   - float32 and float64 by value, every NaN equal to every NaN, or by their bits with FloatBits;
//   - *StructValue by their values in order, and their schemas with StructSchemas; a nil
//     *StructValue equals only a nil one;
//   - []any and []MapEntry (map data, entries in order) element by element, and map[string]any
//     (schemaless objects) key by key, each element compared as above;
//   - anything else (integers, bool, string, RawJSON, *Decimal, ...) with reflect.DeepEqual.
//
// Values of different Go types are never equal: int32(1) differs from int64(1).
type DataEquality struct {
	// StructSchemas reports whether the schemas of two struct values are equal; nil leaves
	// schemas out, comparing struct values by their values alone.
	StructSchemas func(a, b *Schema) bool
	// FloatBits compares float32 and float64 by their bits: +0 differs from -0, and a NaN equals
	// only a NaN with the same bits. For checking that a round trip keeps floats bit for bit.
	FloatBits bool
}

// EqualData reports whether a and b are the same Connect data, struct values compared by their
// values alone (not their schemas): DataEquality{}.Equal(a, b).
func EqualData(a, b any) bool {
	return DataEquality{}.Equal(a, b)
}

// Equal reports whether a and b are the same Connect data, as the DataEquality doc says.
func (q DataEquality) Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case Decimal:
		y, ok := b.(Decimal)
		return ok && x.Scale == y.Scale && (x.Unscaled == nil) == (y.Unscaled == nil) &&
			(x.Unscaled == nil || x.Unscaled.Cmp(y.Unscaled) == 0)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case float64:
		y, ok := b.(float64)
		if q.FloatBits {
			return ok && math.Float64bits(x) == math.Float64bits(y)
		}
		return ok && (x == y || x != x && y != y)
	case float32:
		y, ok := b.(float32)
		if q.FloatBits {
			return ok && math.Float32bits(x) == math.Float32bits(y)
		}
		return ok && (x == y || x != x && y != y)
	case *StructValue:
		y, ok := b.(*StructValue)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		if len(x.Values) != len(y.Values) || q.StructSchemas != nil && !q.StructSchemas(x.Schema, y.Schema) {
			return false
		}
		for i := range x.Values {
			if !q.Equal(x.Values[i], y.Values[i]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !q.Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case []MapEntry:
		y, ok := b.([]MapEntry)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !q.Equal(x[i].Key, y[i].Key) || !q.Equal(x[i].Value, y[i].Value) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !q.Equal(v, w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
