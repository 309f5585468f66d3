package record_test

import (
	"encoding/binary"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/record"
)

func dec(unscaled int64, scale int32) record.Decimal {
	return record.Decimal{Unscaled: big.NewInt(unscaled), Scale: scale}
}

// sameName is a StructSchemas comparison: schemas equal when both are nil or share a name.
func sameName(a, b *record.Schema) bool {
	return a == b || a != nil && b != nil && a.Name == b.Name
}

func TestDataEquality(t *testing.T) {
	var (
		schemaA  = &record.Schema{Type: record.Struct, Name: "A"}
		schemaA2 = &record.Schema{Type: record.Struct, Name: "A"}
		schemaB  = &record.Schema{Type: record.Struct, Name: "B"}
		instant  = time.Date(2024, 6, 10, 12, 0, 0, 5, time.UTC)
		nan32    = float32(math.NaN())
		otherNaN = math.Float64frombits(math.Float64bits(math.NaN()) ^ 1)
		negZero  = math.Copysign(0, -1)
	)
	all := []struct {
		name string
		q    record.DataEquality
	}{
		{"zero", record.DataEquality{}},
		{"schemas", record.DataEquality{StructSchemas: sameName}},
		{"bits", record.DataEquality{FloatBits: true}},
	}
	// want holds the result under each of all, in order.
	tests := []struct {
		name string
		a, b any
		want [3]bool
	}{
		{"nil nil", nil, nil, [3]bool{true, true, true}},
		{"nil zero", nil, int64(0), [3]bool{}},
		{"nil empty bytes", nil, []byte{}, [3]bool{}},
		{"int types differ", int32(1), int64(1), [3]bool{}},
		{"ints", int64(7), int64(7), [3]bool{true, true, true}},
		{"strings differ", "a", "b", [3]bool{}},
		{"bool", true, true, [3]bool{true, true, true}},
		{"bytes", []byte("ab"), []byte("ab"), [3]bool{true, true, true}},
		{"bytes differ", []byte("ab"), []byte("ac"), [3]bool{}},
		{"nil bytes empty bytes", []byte(nil), []byte{}, [3]bool{true, true, true}},
		{"bytes string", []byte("a"), "a", [3]bool{}},
		{"raw json", record.RawJSON(`{"a":1}`), record.RawJSON(`{"a":1}`), [3]bool{true, true, true}},
		{"raw json bytes", record.RawJSON(`1`), []byte(`1`), [3]bool{}},
		{"decimal", dec(123, 2), record.Decimal{Unscaled: new(big.Int).SetBytes([]byte{123}), Scale: 2}, [3]bool{true, true, true}},
		{"decimal scale differs", dec(10, 1), dec(100, 2), [3]bool{}},
		{"decimal value differs", dec(10, 1), dec(11, 1), [3]bool{}},
		{"decimal nil unscaled", record.Decimal{Scale: 1}, record.Decimal{Scale: 1}, [3]bool{true, true, true}},
		{"decimal nil unscaled zero", record.Decimal{Scale: 1}, dec(0, 1), [3]bool{}},
		{"decimal pointer", &record.Decimal{Unscaled: big.NewInt(1)}, &record.Decimal{Unscaled: big.NewInt(1)}, [3]bool{true, true, true}},
		{"time other location", instant, instant.In(time.FixedZone("X", 3600)), [3]bool{true, true, true}},
		{"time differs", instant, instant.Add(time.Nanosecond), [3]bool{}},
		{"float64", 1.5, 1.5, [3]bool{true, true, true}},
		{"float64 differs", 1.5, 2.5, [3]bool{}},
		{"float64 NaN", math.NaN(), math.NaN(), [3]bool{true, true, true}},
		{"float64 NaN other bits", math.NaN(), otherNaN, [3]bool{true, true, false}},
		{"float64 signed zeros", 0.0, negZero, [3]bool{true, true, false}},
		{"float64 NaN number", math.NaN(), 1.0, [3]bool{}},
		{"float32 NaN", nan32, nan32, [3]bool{true, true, true}},
		{"float32 signed zeros", float32(0), float32(negZero), [3]bool{true, true, false}},
		{"float32 float64", float32(1), 1.0, [3]bool{}},
		{"array", []any{int32(1), dec(5, 1), nil}, []any{int32(1), dec(5, 1), nil}, [3]bool{true, true, true}},
		{"array nested NaN", []any{[]any{math.NaN()}}, []any{[]any{math.NaN()}}, [3]bool{true, true, true}},
		{"array length", []any{int32(1)}, []any{int32(1), int32(2)}, [3]bool{}},
		{"array element", []any{int32(1)}, []any{int32(2)}, [3]bool{}},
		{"array nil empty", []any(nil), []any{}, [3]bool{true, true, true}},
		{"array map", []any{}, []record.MapEntry{}, [3]bool{}},
		{"map", []record.MapEntry{{Key: "k", Value: instant}}, []record.MapEntry{{Key: "k", Value: instant.Local()}}, [3]bool{true, true, true}},
		{"map key", []record.MapEntry{{Key: "k", Value: 1}}, []record.MapEntry{{Key: "j", Value: 1}}, [3]bool{}},
		{"map value", []record.MapEntry{{Key: "k", Value: 1}}, []record.MapEntry{{Key: "k", Value: 2}}, [3]bool{}},
		{"map order", []record.MapEntry{{Key: "a"}, {Key: "b"}}, []record.MapEntry{{Key: "b"}, {Key: "a"}}, [3]bool{}},
		{"object", map[string]any{"a": dec(1, 0), "b": nil}, map[string]any{"b": nil, "a": dec(1, 0)}, [3]bool{true, true, true}},
		{"object missing key", map[string]any{"a": nil}, map[string]any{"b": nil}, [3]bool{}},
		{"object length", map[string]any{"a": nil}, map[string]any{"a": nil, "b": nil}, [3]bool{}},
		{"object value", map[string]any{"a": 1.0}, map[string]any{"a": 2.0}, [3]bool{}},
		{"struct", &record.StructValue{Schema: schemaA, Values: []any{int64(1)}}, &record.StructValue{Schema: schemaA2, Values: []any{int64(1)}}, [3]bool{true, true, true}},
		{"struct schemas differ", &record.StructValue{Schema: schemaA, Values: []any{int64(1)}}, &record.StructValue{Schema: schemaB, Values: []any{int64(1)}}, [3]bool{true, false, true}},
		{"struct nil schema", &record.StructValue{Values: []any{"x"}}, &record.StructValue{Schema: schemaA, Values: []any{"x"}}, [3]bool{true, false, true}},
		{"struct values differ", &record.StructValue{Schema: schemaA, Values: []any{int64(1)}}, &record.StructValue{Schema: schemaA, Values: []any{int64(2)}}, [3]bool{}},
		{"struct lengths differ", &record.StructValue{Values: []any{nil}}, &record.StructValue{Values: []any{nil, nil}}, [3]bool{}},
		{"struct nested", &record.StructValue{Values: []any{[]any{float32(0)}}}, &record.StructValue{Values: []any{[]any{float32(negZero)}}}, [3]bool{true, true, false}},
		{"struct nil pointers", (*record.StructValue)(nil), (*record.StructValue)(nil), [3]bool{true, true, true}},
		{"struct nil pointer", (*record.StructValue)(nil), &record.StructValue{}, [3]bool{}},
		{"struct nil pointer nil", (*record.StructValue)(nil), nil, [3]bool{}},
	}
	for _, tt := range tests {
		for i, q := range all {
			if got := q.q.Equal(tt.a, tt.b); got != tt.want[i] {
				t.Errorf("%s: %s.Equal(%#v, %#v) = %v, want %v", tt.name, q.name, tt.a, tt.b, got, tt.want[i])
			}
			if got := q.q.Equal(tt.b, tt.a); got != tt.want[i] {
				t.Errorf("%s: %s.Equal(%#v, %#v) (swapped) = %v, want %v", tt.name, q.name, tt.b, tt.a, got, tt.want[i])
			}
		}
		if got := record.EqualData(tt.a, tt.b); got != tt.want[0] {
			t.Errorf("%s: EqualData = %v, want %v", tt.name, got, tt.want[0])
		}
	}
}

// dataGen builds Connect data from fuzz input, one byte choosing each value's kind.
type dataGen struct{ in []byte }

func (g *dataGen) byte() byte {
	if len(g.in) == 0 {
		return 0
	}
	b := g.in[0]
	g.in = g.in[1:]
	return b
}

func (g *dataGen) uint64() uint64 {
	var b [8]byte
	n := copy(b[:], g.in)
	g.in = g.in[n:]
	return binary.LittleEndian.Uint64(b[:])
}

func (g *dataGen) value(depth int) any {
	kind := g.byte() % 18
	if depth > 3 && kind >= 12 {
		kind %= 12
	}
	switch kind {
	case 0:
		return nil
	case 1:
		return g.byte()&1 == 1
	case 2:
		return int8(g.byte())
	case 3:
		return int32(g.uint64())
	case 4:
		return int64(g.uint64())
	case 5:
		return math.Float32frombits(uint32(g.uint64()))
	case 6:
		return math.Float64frombits(g.uint64())
	case 7:
		return string(g.bytes())
	case 8:
		return g.bytes()
	case 9:
		if g.byte()&1 == 0 {
			return record.Decimal{Scale: int32(int8(g.byte()))}
		}
		return record.Decimal{Unscaled: big.NewInt(int64(g.uint64())), Scale: int32(int8(g.byte()))}
	case 10:
		return time.Unix(0, int64(g.uint64())).UTC()
	case 11:
		return record.RawJSON(g.bytes())
	case 12, 13:
		n := int(g.byte() % 4)
		if n == 0 && g.byte()&1 == 0 {
			return []any(nil)
		}
		a := make([]any, n)
		for i := range a {
			a[i] = g.value(depth + 1)
		}
		return a
	case 14:
		m := make([]record.MapEntry, g.byte()%4)
		for i := range m {
			m[i] = record.MapEntry{Key: g.value(depth + 1), Value: g.value(depth + 1)}
		}
		return m
	case 15:
		m := map[string]any{}
		for range g.byte() % 4 {
			m[string(g.bytes())] = g.value(depth + 1)
		}
		return m
	default:
		sv := &record.StructValue{Values: make([]any, g.byte()%4)}
		if n := g.byte() % 3; n > 0 {
			sv.Schema = &record.Schema{Type: record.Struct, Name: string(rune('A' + n))}
		}
		for i := range sv.Values {
			sv.Values[i] = g.value(depth + 1)
		}
		return sv
	}
}

func (g *dataGen) bytes() []byte {
	n := int(g.byte() % 5)
	if n == 0 {
		if g.byte()&1 == 0 {
			return nil
		}
		return []byte{}
	}
	b := make([]byte, min(n, len(g.in)))
	copy(b, g.in)
	g.in = g.in[len(b):]
	return b
}

// deepCopy returns a copy of v sharing no slice, map, pointer or big.Int with it, its times in
// another location.
func deepCopy(v any) any {
	switch x := v.(type) {
	case []byte:
		if x == nil {
			return x
		}
		return append([]byte{}, x...)
	case record.RawJSON:
		if x == nil {
			return x
		}
		return append(record.RawJSON{}, x...)
	case record.Decimal:
		if x.Unscaled != nil {
			x.Unscaled = new(big.Int).Set(x.Unscaled)
		}
		return x
	case time.Time:
		return x.In(time.FixedZone("copy", -7200))
	case []any:
		if x == nil {
			return x
		}
		y := make([]any, len(x))
		for i := range x {
			y[i] = deepCopy(x[i])
		}
		return y
	case []record.MapEntry:
		y := make([]record.MapEntry, len(x))
		for i := range x {
			y[i] = record.MapEntry{Key: deepCopy(x[i].Key), Value: deepCopy(x[i].Value)}
		}
		return y
	case map[string]any:
		y := make(map[string]any, len(x))
		for k, e := range x {
			y[k] = deepCopy(e)
		}
		return y
	case *record.StructValue:
		y := &record.StructValue{Values: deepCopy(x.Values).([]any)}
		if x.Schema != nil {
			s := *x.Schema
			y.Schema = &s
		}
		return y
	}
	return v
}

// FuzzDataEquality checks on data built from two inputs that every DataEquality is reflexive, holds
// between a value and a deep copy of it, and is symmetric.
func FuzzDataEquality(f *testing.F) {
	f.Add([]byte{}, []byte{})
	f.Add([]byte{6, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f}, []byte{6, 1, 0, 0, 0, 0, 0, 0xf8, 0x7f})
	f.Add([]byte{16, 2, 1, 9, 1, 5, 0, 0, 0, 0, 0, 0, 0, 2, 10, 1}, []byte{16, 2, 2, 9, 1, 5, 0, 0, 0, 0, 0, 0, 0, 2, 10, 1})
	f.Add([]byte{15, 2, 1, 'a', 12, 1, 6, 1}, []byte{15, 2, 1, 'a', 12, 1, 6, 2})
	f.Add([]byte{14, 1, 7, 1, 'k', 8, 0, 0}, []byte{14, 1, 7, 1, 'k', 8, 0, 1})
	qs := []record.DataEquality{{}, {StructSchemas: sameName}, {FloatBits: true}, {StructSchemas: sameName, FloatBits: true}}
	f.Fuzz(func(t *testing.T, x, y []byte) {
		a := (&dataGen{in: x}).value(0)
		b := (&dataGen{in: y}).value(0)
		for _, q := range qs {
			if !q.Equal(a, a) || !q.Equal(a, deepCopy(a)) || !q.Equal(deepCopy(a), a) {
				t.Fatalf("%+v: %#v does not equal itself or its copy", q, a)
			}
			if q.Equal(a, b) != q.Equal(b, a) {
				t.Fatalf("%+v: not symmetric on %#v and %#v", q, a, b)
			}
			if q.FloatBits && q.StructSchemas != nil && q.Equal(a, b) && !(record.DataEquality{}).Equal(a, b) {
				t.Fatalf("the strictest comparison holds where the loosest does not: %#v, %#v", a, b)
			}
		}
	})
}
