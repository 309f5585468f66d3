package avroconv

import (
	"bytes"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// equalData compares Connect data as record.DataEquality does (decimals by value, times by
// instant), struct schemas with schemaEqual and floats by their bits: a NaN must keep its bits, and
// -0 its sign, through a round trip.
func equalData(a, b any) bool {
	return record.DataEquality{StructSchemas: schemaEqual, FloatBits: true}.Equal(a, b)
}

func opt(s record.Schema) *record.Schema { s.Optional = true; return &s }

func dec(unscaled int64, scale int32) record.Decimal {
	return record.Decimal{Unscaled: big.NewInt(unscaled), Scale: scale}
}

var (
	decimalSchema   = &record.Schema{Type: record.Bytes, Name: record.DecimalName, Version: 1, Parameters: map[string]string{"scale": "2"}}
	decimal10Schema = &record.Schema{Type: record.Bytes, Name: record.DecimalName, Version: 1, Parameters: map[string]string{"scale": "3", PrecisionParameter: "10"}}
	dateSchema      = &record.Schema{Type: record.Int32, Name: record.DateName, Version: 1}
	timeSchema      = &record.Schema{Type: record.Int32, Name: record.TimeName, Version: 1}
	timestampSchema = &record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1}
	enumSchema      = &record.Schema{Type: record.String, Name: "com.example.Suit", Parameters: map[string]string{
		EnumParameter: "com.example.Suit", EnumParameter + ".SPADES": "SPADES", EnumParameter + ".HEARTS": "HEARTS",
		EnumSymbolsParameter: "SPADES,HEARTS"}}
	fixedSchema = &record.Schema{Type: record.Bytes, Name: "com.example.MD5", Parameters: map[string]string{FixedSizeParameter: "4"}}
	pointSchema = &record.Schema{Type: record.Struct, Name: "com.example.Point", Doc: "a point", Version: 3, Fields: []record.Field{
		{Name: "x", Index: 0, Schema: record.Int32Schema},
		{Name: "y", Index: 1, Schema: opt(record.Schema{Type: record.Int32})},
	}}
	anonSchema = &record.Schema{Type: record.Struct, Fields: []record.Field{
		{Name: "inner", Index: 0, Schema: &record.Schema{Type: record.Struct, Fields: []record.Field{{Name: "a", Schema: record.StringSchema}}}},
	}}
	unionSchema = &record.Schema{Type: record.Struct, Name: UnionName, Optional: true, Fields: []record.Field{
		{Name: "int", Index: 0, Schema: opt(record.Schema{Type: record.Int32})},
		{Name: "string", Index: 1, Schema: opt(record.Schema{Type: record.String})},
		{Name: "Point", Index: 2, Schema: opt(*pointSchema)},
	}}
	mapSchema    = &record.Schema{Type: record.Map, Key: record.StringSchema, Value: record.Int64Schema}
	intMapSchema = &record.Schema{Type: record.Map, Key: record.Int32Schema, Value: opt(record.Schema{Type: record.String})}
	arraySchema  = &record.Schema{Type: record.Array, Value: record.Float64Schema}
)

func pt(x int32, y any) *record.StructValue {
	return &record.StructValue{Schema: pointSchema, Values: []any{x, y}}
}

func uval(i int, v any) *record.StructValue {
	vals := make([]any, 3)
	vals[i] = v
	return &record.StructValue{Schema: unionSchema, Values: vals}
}

var roundTrips = []struct {
	name   string
	schema *record.Schema
	value  any
}{
	{"int8", record.Int8Schema, int8(-128)},
	{"int16", record.Int16Schema, int16(32000)},
	{"int32", record.Int32Schema, int32(-7)},
	{"int64", record.Int64Schema, int64(1) << 60},
	{"float", record.Float32Schema, float32(1.5)},
	{"double", record.Float64Schema, 3.25},
	{"boolean", record.BooleanSchema, true},
	{"string", record.StringSchema, "héllo"},
	{"bytes", record.BytesSchema, []byte{0, 1, 255}},
	{"optional string null", record.OptionalString, nil},
	{"optional string", record.OptionalString, "x"},
	{"decimal", decimalSchema, dec(-12345, 2)},
	{"decimal zero", decimalSchema, dec(0, 2)},
	{"decimal big", decimalSchema, record.Decimal{Unscaled: new(big.Int).Lsh(big.NewInt(1), 100), Scale: 2}},
	{"decimal precision 10", decimal10Schema, dec(1234567, 3)},
	{"optional decimal", opt(*decimalSchema), dec(5, 2)},
	{"date", dateSchema, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
	{"date before epoch", dateSchema, time.Date(1969, 7, 20, 0, 0, 0, 0, time.UTC)},
	{"time", timeSchema, record.Epoch.Add(13*time.Hour + 5*time.Minute + 7*time.Second + 250*time.Millisecond)},
	{"timestamp", timestampSchema, time.UnixMilli(1700000000123).UTC()},
	{"timestamp before epoch", timestampSchema, time.UnixMilli(-1500).UTC()},
	{"optional timestamp", opt(*timestampSchema), time.UnixMilli(5).UTC()},
	{"enum", enumSchema, "HEARTS"},
	{"fixed", fixedSchema, []byte{1, 2, 3, 4}},
	{"array", arraySchema, []any{1.0, -2.5}},
	{"empty array", arraySchema, []any{}},
	{"map", mapSchema, []record.MapEntry{{Key: "a", Value: int64(1)}, {Key: "b", Value: int64(2)}}},
	{"map int keys", intMapSchema, []record.MapEntry{{Key: int32(3), Value: "x"}, {Key: int32(1), Value: nil}}},
	{"struct", pointSchema, pt(1, int32(2))},
	{"struct null field", pointSchema, pt(1, nil)},
	{"optional struct", opt(*pointSchema), &record.StructValue{Schema: opt(*pointSchema), Values: []any{int32(4), nil}}},
	{"anonymous nested structs", anonSchema, &record.StructValue{Schema: anonSchema, Values: []any{
		&record.StructValue{Schema: anonSchema.Fields[0].Schema, Values: []any{"z"}}}}},
	{"union int", unionSchema, uval(0, int32(9))},
	{"union string", unionSchema, uval(1, "s")},
	{"union record", unionSchema, uval(2, &record.StructValue{Schema: unionSchema.Fields[2].Schema, Values: []any{int32(1), int32(2)}})},
	{"union null", unionSchema, nil},
}

// TestRoundTrip takes every Connect type through Avro bytes and back: SchemaFromConnect, the
// schema's JSON text parsed again (as a registry would give it back), ToNative, hamba's Marshal
// and Unmarshal, SchemaToConnect and FromNative give the schema and the value back.
func TestRoundTrip(t *testing.T) {
	for _, tt := range roundTrips {
		t.Run(tt.name, func(t *testing.T) {
			a, err := SchemaFromConnect(tt.schema)
			if err != nil {
				t.Fatalf("SchemaFromConnect: %v", err)
			}
			text, err := a.(interface{ MarshalJSON() ([]byte, error) }).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := avro.ParseWithCache(string(text), "", &avro.SchemaCache{})
			if err != nil {
				t.Fatalf("parse %s: %v", text, err)
			}
			back, err := SchemaToConnect(parsed)
			if err != nil {
				t.Fatalf("SchemaToConnect(%s): %v", text, err)
			}
			if !schemaEqual(back, tt.schema) {
				t.Errorf("schema round trip of %s:\n got %+v\nwant %+v", text, back, tt.schema)
			}
			n, err := ToNative(tt.schema, tt.value)
			if err != nil {
				t.Fatalf("ToNative: %v", err)
			}
			data, err := avro.Marshal(parsed, n)
			if err != nil {
				t.Fatalf("Marshal %#v under %s: %v", n, text, err)
			}
			var decoded any
			if err := avro.Unmarshal(parsed, data, &decoded); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			got, err := FromNative(back, decoded)
			if err != nil {
				t.Fatalf("FromNative(%#v): %v", decoded, err)
			}
			if !equalData(got, fixSchemas(tt.value, back)) {
				t.Errorf("value round trip under %s:\n got %s\nwant %s", text, show(got), show(tt.value))
			}
		})
	}
}

// fixSchemas re-points struct values at the round-tripped schema (equal, not identical).
func fixSchemas(v any, s *record.Schema) any { return v }

func show(v any) string {
	switch x := v.(type) {
	case *record.StructValue:
		out := "{"
		for i, e := range x.Values {
			out += fmt.Sprintf("%s:%s ", x.Schema.Fields[i].Name, show(e))
		}
		return out + "}"
	case record.Decimal:
		return "dec(" + x.String() + ")"
	}
	return fmt.Sprintf("%#v", v)
}

// TestFastMatchesGeneric checks the converter's compiled codecs against the generic mapping
// (ToNative/FromNative over hamba's Marshal/Unmarshal) in both directions.
func TestFastMatchesGeneric(t *testing.T) {
	cases := []struct {
		schema *record.Schema
		value  any
	}{{everything, everythingValue()}, {benchOrder, benchValue()}}
	for _, tt := range roundTrips {
		cases = append(cases, struct {
			schema *record.Schema
			value  any
		}{tt.schema, tt.value})
	}
	for i, tc := range cases {
		a, err := SchemaFromConnect(tc.schema)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := compileEncoder(a, tc.schema, "")
		if err != nil {
			t.Fatal(err)
		}
		back, err := SchemaToConnect(a)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := compileDecoder(a, back)
		if err != nil {
			t.Fatal(err)
		}
		fast, err := encodeFast(enc, nil, tc.value)
		if err != nil {
			t.Fatalf("case %d: fast encode: %v", i, err)
		}
		native, err := ToNative(tc.schema, tc.value)
		if err != nil {
			t.Fatal(err)
		}
		generic, err := avro.Marshal(a, native)
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{"fast": fast, "generic": generic} {
			v1, err := decodeFast(dec, data)
			if err != nil {
				t.Fatalf("case %d: fast decode of %s bytes: %v", i, name, err)
			}
			n, err := decode(a, data)
			if err != nil {
				t.Fatalf("case %d: generic decode of %s bytes: %v", i, name, err)
			}
			v2, err := FromNative(back, n)
			if err != nil {
				t.Fatal(err)
			}
			if !equalData(sortMaps(v1), sortMaps(v2)) || !equalData(sortMaps(v1), sortMaps(tc.value)) {
				t.Errorf("case %d, %s bytes: fast %s, generic %s, want %s", i, name, show(v1), show(v2), show(tc.value))
			}
		}
	}
}

// sortMaps sorts the entries of string-keyed maps (Go maps in the generic path lose their order).
func sortMaps(v any) any {
	switch x := v.(type) {
	case []record.MapEntry:
		out := slices.Clone(x)
		slices.SortFunc(out, func(a, b record.MapEntry) int {
			return strings.Compare(fmt.Sprint(a.Key), fmt.Sprint(b.Key))
		})
		for i := range out {
			out[i].Value = sortMaps(out[i].Value)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = sortMaps(x[i])
		}
		return out
	case *record.StructValue:
		out := &record.StructValue{Schema: x.Schema, Values: make([]any, len(x.Values))}
		for i := range x.Values {
			out.Values[i] = sortMaps(x.Values[i])
		}
		return out
	}
	return v
}

func TestCodec(t *testing.T) {
	c, err := NewCodec(everything)
	if err != nil {
		t.Fatal(err)
	}
	var block []byte
	for i := 0; i < 3; i++ {
		if block, err = c.Append(block, everythingValue()); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	err = c.DecodeBlock(block, 3, func(v any) error {
		n++
		if sv := v.(*record.StructValue); sv.Schema != everything || !equalData(v, everythingValue()) {
			t.Errorf("datum %d: %s", n, show(v))
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("DecodeBlock: %d datums, %v", n, err)
	}
	if err := c.DecodeBlock(block[:len(block)-3], 3, func(any) error { return nil }); err == nil || !strings.Contains(err.Error(), "datum 2 of 3") {
		t.Errorf("truncated block: %v", err)
	}
	// A codec for a foreign Avro schema decodes what hamba wrote.
	a := avro.MustParse(`{"type":"record","name":"r.R","fields":[{"name":"u","type":["int","string"]},{"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}},` +
		`{"name":"tm","type":{"type":"long","logicalType":"time-micros"}},{"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}}]}`)
	fc, err := NewCodecForAvro(a)
	if err != nil {
		t.Fatal(err)
	}
	data, err := avro.Marshal(a, map[string]any{"u": map[string]any{"string": "s"}, "e": "Y",
		"tm": 1500 * time.Microsecond, "ts": time.UnixMicro(1700000000000001).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	v, err := fc.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	sv := v.(*record.StructValue)
	if u := sv.Values[0].(*record.StructValue); u.Values[1] != "s" || sv.Values[1] != "Y" || fc.Connect().Fields[0].Schema.Name != UnionName {
		t.Errorf("decoded %s", show(v))
	}
	again, err := fc.Append(nil, v)
	if err != nil || !bytes.Equal(again, data) {
		t.Errorf("re-encoded % x, %v; want % x", again, err, data)
	}
}
