// Package readertest holds the record fixture shared by the S3 source reader tests and the interop
// tests: one rich schema covering every Connect type the file formats map, and records of it.
package readertest

import (
	"fmt"
	"math/big"
	"time"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// RichSchema returns a schema that covers every Connect type the file formats map.
func RichSchema() *record.Schema {
	opt := func(t record.Type) *record.Schema { return &record.Schema{Type: t, Optional: true} }
	dec := &record.Schema{Type: record.Bytes, Name: record.DecimalName, Parameters: map[string]string{"scale": "2"}}
	item := &record.Schema{Type: record.Struct, Name: "item", Fields: []record.Field{
		{Name: "sku", Index: 0, Schema: record.StringSchema}, {Name: "qty", Index: 1, Schema: opt(record.Int32)}}}
	fields := []record.Field{
		{Name: "id", Schema: record.Int64Schema},
		{Name: "i8", Schema: record.Int8Schema},
		{Name: "i16", Schema: record.Int16Schema},
		{Name: "i32", Schema: record.Int32Schema},
		{Name: "f32", Schema: record.Float32Schema},
		{Name: "f64", Schema: record.Float64Schema},
		{Name: "ok", Schema: record.BooleanSchema},
		{Name: "name", Schema: record.StringSchema},
		{Name: "note", Schema: opt(record.String)},
		{Name: "blob", Schema: record.BytesSchema},
		{Name: "price", Schema: dec},
		{Name: "day", Schema: &record.Schema{Type: record.Int32, Name: record.DateName, Version: 1}},
		{Name: "at", Schema: &record.Schema{Type: record.Int32, Name: record.TimeName, Version: 1}},
		{Name: "ts", Schema: &record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1, Optional: true}},
		{Name: "tags", Schema: &record.Schema{Type: record.Array, Value: record.StringSchema}},
		{Name: "scores", Schema: &record.Schema{Type: record.Array, Optional: true, Value: opt(record.Int32)}},
		{Name: "items", Schema: &record.Schema{Type: record.Array, Value: item}},
		{Name: "attrs", Schema: &record.Schema{Type: record.Map, Key: record.StringSchema, Value: opt(record.Int64)}},
		{Name: "addr", Schema: &record.Schema{Type: record.Struct, Name: "addr", Optional: true, Fields: []record.Field{
			{Name: "city", Index: 0, Schema: record.StringSchema}, {Name: "zip", Index: 1, Schema: opt(record.String)}}}},
	}
	for i := range fields {
		fields[i].Index = i
	}
	return &record.Schema{Type: record.Struct, Name: "com.example.Order", Version: 3, Fields: fields}
}

// RichRecords returns n records of RichSchema with varied values, nulls and empty collections.
func RichRecords(n int) []record.Record {
	s := RichSchema()
	item := s.Field("items").Schema.Value
	addr := s.Field("addr").Schema
	out := make([]record.Record, n)
	for i := range out {
		var note, ts, scores, addrV any
		if i%3 != 0 {
			note = fmt.Sprintf("note %d ü", i)
			ts = time.UnixMilli(1700000000000 + int64(i)*1001).UTC()
			scores = []any{int32(i), nil, int32(-i)}
			addrV = &record.StructValue{Schema: addr, Values: []any{"Paris", nil}}
		}
		if i%3 == 1 {
			scores = []any{}
			addrV = &record.StructValue{Schema: addr, Values: []any{"Lyon", "69001"}}
		}
		items := []any{}
		for j := 0; j < i%4; j++ {
			var qty any
			if j%2 == 0 {
				qty = int32(j + 1)
			}
			items = append(items, &record.StructValue{Schema: item, Values: []any{fmt.Sprintf("sku-%d-%d", i, j), qty}})
		}
		attrs := []record.MapEntry{}
		for j := 0; j < i%3; j++ {
			var v any
			if j == 0 {
				v = int64(i * 1000)
			}
			attrs = append(attrs, record.MapEntry{Key: fmt.Sprintf("k%d", j), Value: v})
		}
		v := &record.StructValue{Schema: s, Values: []any{
			int64(i), int8(i - 64), int16(i * 300), int32(-i * 70000), float32(i) / 4, float64(i) * 1.1, i%2 == 0,
			fmt.Sprintf("name-%d", i), note, []byte{byte(i), 0, 0xff},
			record.Decimal{Unscaled: big.NewInt(int64(i*12345 - 50000)), Scale: 2},
			record.Epoch.AddDate(0, 0, 19000+i), record.Epoch.Add(time.Duration(i*3723001) * time.Millisecond % (24 * time.Hour)), ts,
			[]any{"a", fmt.Sprint(i)}, scores, items, attrs, addrV,
		}}
		out[i] = record.Record{Topic: "orders", Partition: 0, Offset: int64(i), ValueSchema: s, ValueData: v}
	}
	return out
}
