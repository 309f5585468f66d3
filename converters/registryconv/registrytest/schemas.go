package registrytest

import (
	"math/big"
	"time"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// StructOf returns a struct schema named name with fields, indexed in order.
func StructOf(name string, fields ...record.Field) *record.Schema {
	for i := range fields {
		fields[i].Index = i
	}
	return &record.Schema{Type: record.Struct, Name: name, Fields: fields}
}

// The Connect logical schemas the converters' tests use (Decimal of scale 2).
var (
	DecimalSchema   = &record.Schema{Type: record.Bytes, Name: record.DecimalName, Version: 1, Parameters: map[string]string{record.DecimalScaleParameter: "2"}}
	DateSchema      = &record.Schema{Type: record.Int32, Name: record.DateName, Version: 1}
	TimeSchema      = &record.Schema{Type: record.Int32, Name: record.TimeName, Version: 1}
	TimestampSchema = &record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1}
)

// ScalarFields returns the fields f32, f64, b (boolean), s (optional string), bytes, dec, date
// and time, in this order, that the converters' golden schemas hold.
func ScalarFields() []record.Field {
	return []record.Field{
		{Name: "f32", Schema: record.Float32Schema},
		{Name: "f64", Schema: record.Float64Schema},
		{Name: "b", Schema: record.BooleanSchema},
		{Name: "s", Schema: record.OptionalString},
		{Name: "bytes", Schema: record.BytesSchema},
		{Name: "dec", Schema: DecimalSchema},
		{Name: "date", Schema: DateSchema},
		{Name: "time", Schema: TimeSchema},
	}
}

// TypeCase is a value of one Connect type, for round trips.
type TypeCase struct {
	Name   string
	Schema *record.Schema
	Value  any
}

// TypeCases returns the values every registry converter writes and reads back alike: one per
// primitive type, Decimal, Date and Time, an array of int32 and a map with string keys.
func TypeCases() []TypeCase {
	return []TypeCase{
		{"int8", record.Int8Schema, int8(-8)},
		{"int16", record.Int16Schema, int16(1600)},
		{"int32", record.Int32Schema, int32(-320000)},
		{"int64", record.Int64Schema, int64(1) << 60},
		{"float32", record.Float32Schema, float32(1.5)},
		{"float64", record.Float64Schema, 2.25e-9},
		{"boolean", record.BooleanSchema, true},
		{"bytes", record.BytesSchema, []byte{0, 1, 0xff}},
		{"decimal", DecimalSchema, record.Decimal{Unscaled: big.NewInt(-12345), Scale: 2}},
		{"date", DateSchema, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"time", TimeSchema, record.Epoch.Add(13*time.Hour + 5*time.Millisecond)},
		{"array", &record.Schema{Type: record.Array, Value: record.Int32Schema}, []any{int32(1), int32(2)}},
		{"map string keys", &record.Schema{Type: record.Map, Key: record.StringSchema, Value: record.Int64Schema},
			[]record.MapEntry{{Key: "b", Value: int64(2)}, {Key: "a", Value: int64(1)}}},
	}
}
