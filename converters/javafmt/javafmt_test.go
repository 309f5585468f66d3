package javafmt

import (
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// Expected strings are what Java 21's Double.toString / Float.toString print.
func TestAppendDouble(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{1, "1.0"},
		{12.34, "12.34"},
		{100, "100.0"},
		{-2.5, "-2.5"},
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{9999999, "9999999.0"},
		{1e7, "1.0E7"},
		{12345678.9, "1.23456789E7"},
		{0.001, "0.001"},
		{0.0001, "1.0E-4"},
		{1.234e-5, "1.234E-5"},
		{4398046511104, "4.398046511104E12"},
		{2e23, "2.0E23"},
		{1e23, "1.0E23"},
		{0.30000000000000004, "0.30000000000000004"},
		{math.MaxFloat64, "1.7976931348623157E308"},
		{math.SmallestNonzeroFloat64, "4.9E-324"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
	}
	for _, tt := range tests {
		if got := string(AppendDouble(nil, tt.in)); got != tt.want {
			t.Errorf("AppendDouble(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendFloat(t *testing.T) {
	tests := []struct {
		in   float32
		want string
	}{
		{12.34, "12.34"},
		{1, "1.0"},
		{0.1, "0.1"},
		{1.0 / 3, "0.33333334"},
		{1e10, "1.0E10"},
		{math.MaxFloat32, "3.4028235E38"},
		{math.SmallestNonzeroFloat32, "1.4E-45"},
		{-0.00012, "-1.2E-4"},
	}
	for _, tt := range tests {
		if got := string(AppendFloat(nil, tt.in)); got != tt.want {
			t.Errorf("AppendFloat(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendBigDecimal(t *testing.T) {
	tests := []struct {
		unscaled string
		scale    int32
		want     string
	}{
		{"156", 2, "1.56"},
		{"15600", 4, "1.5600"},
		{"-156", 2, "-1.56"},
		{"5", 0, "5"},
		{"1", 6, "0.000001"},
		{"1", 7, "1E-7"},
		{"1", 10, "1E-10"},
		{"12345", 9, "0.000012345"},
		{"12345", 11, "1.2345E-7"},
		{"123", -2, "1.23E+4"},
		{"0", -2, "0E+2"},
		{"0", 3, "0.000"},
		{"123456789123456789", 17, "1.23456789123456789"},
	}
	for _, tt := range tests {
		u, _ := new(big.Int).SetString(tt.unscaled, 10)
		if got := string(AppendBigDecimal(nil, u, tt.scale)); got != tt.want {
			t.Errorf("AppendBigDecimal(%s, %d) = %q, want %q", tt.unscaled, tt.scale, got, tt.want)
		}
	}
	if got := string(AppendBigDecimal(nil, nil, 0)); got != "0" {
		t.Errorf("nil unscaled = %q", got)
	}
}

func TestAppendValue(t *testing.T) {
	st := &record.Schema{Type: record.Struct, Fields: []record.Field{
		{Name: "a", Index: 0, Schema: record.Int32Schema},
		{Name: "b", Index: 1, Schema: record.OptionalString},
		{Name: "c", Index: 2, Schema: record.StringSchema},
	}}
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, "null"},
		{"string", "héllo", "héllo"},
		{"bytes", []byte("raw"), "raw"},
		{"rawjson", record.RawJSON(`{"a":1}`), `{"a":1}`},
		{"bool", true, "true"},
		{"int8", int8(-8), "-8"},
		{"int64", int64(1) << 40, "1099511627776"},
		{"double", 2.0, "2.0"},
		{"float", float32(0.5), "0.5"},
		{"decimal", record.Decimal{Unscaled: big.NewInt(-1), Scale: 8}, "-1E-8"},
		{"date", time.Unix(0, 0).UTC(), "Thu Jan 01 00:00:00 UTC 1970"},
		{"list", []any{int32(1), "a", nil, []any{}}, "[1, a, null, []]"},
		{"map entries", []record.MapEntry{{Key: int32(1), Value: "x"}, {Key: "k", Value: 2.5}}, "{1=x, k=2.5}"},
		{"go map", map[string]any{"b": int64(2), "a": true}, "{a=true, b=2}"},
		{"struct", &record.StructValue{Schema: st, Values: []any{int32(1), nil, "x"}}, "Struct{a=1,c=x}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(AppendValue(nil, tt.in)); got != tt.want {
				t.Errorf("AppendValue = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAppendDate(t *testing.T) {
	in := time.Date(2024, 2, 29, 13, 4, 5, 0, time.FixedZone("CET", 3600))
	if got, want := string(AppendDate(nil, in)), "Thu Feb 29 12:04:05 UTC 2024"; got != want {
		t.Errorf("AppendDate = %q, want %q", got, want)
	}
}

// FuzzAppendDouble checks that the Java rendering always parses back to the same value.
func FuzzAppendDouble(f *testing.F) {
	for _, s := range []float64{1, 0.1, 1e7, 1e-3, 5e-324, 1.7976931348623157e308, 123456.789} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		s := string(AppendDouble(nil, v))
		got, err := parseJava(s, 64)
		if err != nil || got != v {
			t.Fatalf("AppendDouble(%v) = %q, parses back to %v (%v)", v, s, got, err)
		}
		f32 := float32(v)
		if math.IsInf(float64(f32), 0) {
			return
		}
		s = string(AppendFloat(nil, f32))
		got, err = parseJava(s, 32)
		if err != nil || float32(got) != f32 {
			t.Fatalf("AppendFloat(%v) = %q, parses back to %v (%v)", f32, s, got, err)
		}
	})
}
