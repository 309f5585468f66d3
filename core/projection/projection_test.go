package projection

import (
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/record"
)

func st(name string, version int32, fields ...record.Field) *record.Schema {
	for i := range fields {
		fields[i].Index = i
	}
	return &record.Schema{Type: record.Struct, Name: name, Version: version, Fields: fields}
}

func f(name string, s *record.Schema) record.Field { return record.Field{Name: name, Schema: s} }

func opt(t record.Type) *record.Schema { return &record.Schema{Type: t, Optional: true} }

func def(t record.Type, v any) *record.Schema { return &record.Schema{Type: t, Default: v} }

func sv(s *record.Schema, vals ...any) *record.StructValue {
	return &record.StructValue{Schema: s, Values: vals}
}

var decimalSchema = &record.Schema{Type: record.Bytes, Name: record.DecimalName, Parameters: map[string]string{"scale": "2"}}

// TestProject mirrors Kafka's SchemaProjectorTest.
func TestProject(t *testing.T) {
	v1 := st("rec", 1, f("id", record.Int32Schema), f("name", record.StringSchema))
	v2 := st("rec", 2, f("id", record.Int64Schema), f("name", record.StringSchema), f("email", opt(record.String)), f("score", def(record.Float64, 1.5)))
	v3 := st("rec", 3, f("id", record.Int64Schema))
	inner1 := st("inner", 1, f("x", record.Int8Schema))
	inner2 := st("inner", 2, f("x", record.Float32Schema), f("y", def(record.Boolean, true)))
	outer1 := st("outer", 1, f("in", inner1), f("tags", &record.Schema{Type: record.Array, Value: record.Int16Schema}))
	outer2 := st("outer", 2, f("in", inner2), f("tags", &record.Schema{Type: record.Array, Value: record.Int64Schema}))
	m1 := &record.Schema{Type: record.Map, Key: record.StringSchema, Value: record.Int32Schema}
	m2 := &record.Schema{Type: record.Map, Key: record.StringSchema, Value: record.Float64Schema}
	dec := record.Decimal{Unscaled: big.NewInt(12345), Scale: 2}
	tests := []struct {
		name     string
		v        any
		from, to *record.Schema
		want     any
		err      string
	}{
		{name: "same primitive", v: int32(7), from: record.Int32Schema, to: record.Int32Schema, want: int32(7)},
		{name: "int8 to int16", v: int8(-3), from: record.Int8Schema, to: record.Int16Schema, want: int16(-3)},
		{name: "int8 to double", v: int8(-3), from: record.Int8Schema, to: record.Float64Schema, want: float64(-3)},
		{name: "int16 to int64", v: int16(300), from: record.Int16Schema, to: record.Int64Schema, want: int64(300)},
		{name: "int32 to float", v: int32(1 << 20), from: record.Int32Schema, to: record.Float32Schema, want: float32(1 << 20)},
		{name: "int64 to double", v: int64(1 << 40), from: record.Int64Schema, to: record.Float64Schema, want: float64(1 << 40)},
		{name: "float to double", v: float32(1.5), from: record.Float32Schema, to: record.Float64Schema, want: float64(1.5)},
		{name: "no demotion", v: int64(1), from: record.Int64Schema, to: record.Int32Schema, err: "schema type mismatch"},
		{name: "string to int", v: "x", from: record.StringSchema, to: record.Int32Schema, err: "schema type mismatch"},
		{name: "boolean to string", v: true, from: record.BooleanSchema, to: record.StringSchema, err: "schema type mismatch"},
		{name: "optional null to optional", v: nil, from: opt(record.String), to: opt(record.String), want: nil},
		{name: "optional null to required with default", v: nil, from: opt(record.String), to: def(record.String, "d"), want: "d"},
		{name: "optional value to required with default", v: "v", from: opt(record.String), to: def(record.String, "d"), want: "v"},
		{name: "optional null to required", v: nil, from: opt(record.String), to: record.StringSchema, err: "target schema is required with no default"},
		{name: "required to optional", v: "v", from: record.StringSchema, to: opt(record.String), want: "v"},
		{name: "struct adds fields", v: sv(v1, int32(1), "a"), from: v1, to: v2, want: sv(v2, int64(1), "a", nil, 1.5)},
		{name: "struct removes fields", v: sv(v2, int64(1), "a", "e", 2.0), from: v2, to: v3, want: sv(v3, int64(1))},
		{name: "missing required field", v: sv(v3, int64(1)), from: v3, to: v1, err: "schema type mismatch"},
		{name: "missing required field without default", v: sv(st("rec", 3, f("id", record.Int32Schema)), int32(1)), from: st("rec", 3, f("id", record.Int32Schema)), to: v1, err: "required field name is missing"},
		{name: "nested struct and array", v: sv(outer1, sv(inner1, int8(4)), []any{int16(1), int16(2)}), from: outer1, to: outer2,
			want: sv(outer2, sv(inner2, float32(4), true), []any{int64(1), int64(2)})},
		{name: "map values promoted", v: []record.MapEntry{{Key: "a", Value: int32(1)}}, from: m1, to: m2, want: []record.MapEntry{{Key: "a", Value: float64(1)}}},
		{name: "decimal", v: dec, from: decimalSchema, to: decimalSchema, want: dec},
		{name: "decimal scale differs", v: dec, from: decimalSchema, to: &record.Schema{Type: record.Bytes, Name: record.DecimalName, Parameters: map[string]string{"scale": "3"}}, err: "parameters not equal"},
		{name: "logical name differs", v: int32(1), from: &record.Schema{Type: record.Int32, Name: record.DateName}, to: record.Int32Schema, err: "name mismatch"},
		{name: "struct name differs", v: sv(inner1, int8(1)), from: inner1, to: st("other", 1, f("x", record.Int8Schema)), err: "name mismatch"},
		{name: "struct value of wrong type", v: "x", from: v1, to: v2, err: "struct value is a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Project(tc.v, tc.from, tc.to)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Project: error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Project: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Project = %#v, want %#v", got, tc.want)
			}
		})
	}
}

// TestTarget mirrors Confluent's StorageSchemaCompatibilityTest: which schema an object keeps
// and when a new one starts.
func TestTarget(t *testing.T) {
	v1 := st("rec", 1, f("id", record.Int32Schema))
	v1copy := st("rec", 1, f("id", record.Int32Schema))
	v2 := st("rec", 2, f("id", record.Int32Schema), f("name", opt(record.String)))
	v3req := st("rec", 3, f("id", record.Int32Schema), f("name", opt(record.String)), f("req", record.StringSchema))
	v2other := st("other", 2, f("id", record.Int32Schema))
	noVersion := st("rec", 0, f("id", record.Int64Schema))
	tests := []struct {
		name string
		a, b *record.Schema
		mode Mode
		want *record.Schema
		err  string
	}{
		{name: "schemaless", a: nil, b: nil, mode: None, want: nil},
		{name: "schemaless to schema", a: nil, b: v1, mode: Backward, err: "schema-based and schema-less"},
		{name: "NONE equal", a: v1, b: v1copy, mode: None, want: v1},
		{name: "NONE differs", a: v1, b: v2, mode: None, err: "NONE"},
		{name: "BACKWARD newer", a: v1, b: v2, mode: Backward, want: v2},
		{name: "BACKWARD older after newer", a: v2, b: v1, mode: Backward, want: v2},
		{name: "BACKWARD required field added", a: v2, b: v3req, mode: Backward, err: "required field req is missing"},
		{name: "FORWARD keeps older", a: v1, b: v2, mode: Forward, want: v1},
		{name: "FORWARD new required field is dropped", a: v2, b: v3req, mode: Forward, want: v2},
		{name: "FULL both ways", a: v1, b: v2, mode: Full, want: v2},
		{name: "FULL one way only", a: v2, b: v3req, mode: Full, err: "required field req is missing"},
		{name: "name mismatch", a: v1, b: v2other, mode: Backward, err: "name mismatch"},
		{name: "version required", a: v1, b: noVersion, mode: Backward, err: "version required"},
		{name: "same version differs", a: v1, b: st("rec", 1, f("id", record.Int64Schema)), mode: Full, err: "version 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Target(tc.a, tc.b, tc.mode)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Target: error %v, want one containing %q", err, tc.err)
				}
				if Compatible(tc.a, tc.b, tc.mode) {
					t.Fatal("Compatible = true")
				}
				return
			}
			if err != nil {
				t.Fatalf("Target: %v", err)
			}
			if got != tc.want {
				t.Fatalf("Target = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": None, "none": None, "BACKWARD": Backward, " forward ": Forward, "Full": Full} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseMode("TRANSITIVE"); err == nil {
		t.Error("ParseMode(TRANSITIVE) succeeded")
	}
}

func TestEqual(t *testing.T) {
	a := st("rec", 1, f("id", record.Int32Schema), f("d", &record.Schema{Type: record.Bytes, Default: []byte{1}}))
	b := st("rec", 1, f("id", record.Int32Schema), f("d", &record.Schema{Type: record.Bytes, Default: []byte{1}}))
	c := st("rec", 1, f("id", record.Int32Schema), f("d", &record.Schema{Type: record.Bytes, Default: []byte{2}}))
	d := st("rec", 1, f("id", record.Int32Schema), f("e", &record.Schema{Type: record.Bytes, Default: []byte{1}}))
	if !Equal(a, b) || Equal(a, c) || Equal(a, d) || Equal(a, nil) || !Equal(nil, nil) {
		t.Fatal("Equal is wrong")
	}
}

// FuzzPromote checks that every promotion keeps the number's value.
func FuzzPromote(f *testing.F) {
	f.Add(int64(0), uint8(0), uint8(4))
	f.Add(int64(-129), uint8(1), uint8(2))
	f.Add(int64(1<<40), uint8(3), uint8(5))
	types := []record.Type{record.Int8, record.Int16, record.Int32, record.Int64, record.Float32, record.Float64}
	f.Fuzz(func(t *testing.T, n int64, fromI, toI uint8) {
		from, to := types[int(fromI)%len(types)], types[int(toI)%len(types)]
		var v any
		switch from {
		case record.Int8:
			v = int8(n)
		case record.Int16:
			v = int16(n)
		case record.Int32:
			v = int32(n)
		case record.Int64:
			v = n
		case record.Float32:
			v = float32(n)
		case record.Float64:
			v = float64(n)
		}
		got, err := Project(v, &record.Schema{Type: from}, &record.Schema{Type: to})
		if from != to && !Promotable(from, to) {
			if err == nil {
				t.Fatalf("%s -> %s accepted", from, to)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if asFloat(got) != asFloat(v) && to != record.Float32 {
			t.Fatalf("%v (%s) -> %v (%s)", v, from, got, to)
		}
	})
}

func asFloat(v any) float64 {
	switch n := v.(type) {
	case int8:
		return float64(n)
	case int16:
		return float64(n)
	case int32:
		return float64(n)
	case int64:
		return float64(n)
	case float32:
		return float64(n)
	case float64:
		return n
	}
	return -1
}
