package avroconv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/linkedin/goavro/v2"

	"github.com/lambda-connect/lambda-connect/converters/confluentwire"
	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// The benchmark record: an order of about 1 KB in Avro, with nested structs, an array of
// structs, a map, decimals, timestamps and optional fields.
var (
	benchAddress = &record.Schema{Type: record.Struct, Name: "shop.Address", Fields: []record.Field{
		{Name: "street", Index: 0, Schema: record.StringSchema},
		{Name: "city", Index: 1, Schema: record.StringSchema},
		{Name: "zip", Index: 2, Schema: record.StringSchema},
		{Name: "country", Index: 3, Schema: record.StringSchema},
	}}
	benchShipping = opt(*benchAddress)
	benchItem     = &record.Schema{Type: record.Struct, Name: "shop.Item", Fields: []record.Field{
		{Name: "sku", Index: 0, Schema: record.StringSchema},
		{Name: "title", Index: 1, Schema: record.StringSchema},
		{Name: "quantity", Index: 2, Schema: record.Int32Schema},
		{Name: "price", Index: 3, Schema: decimalSchema},
		{Name: "gift", Index: 4, Schema: record.BooleanSchema},
	}}
	benchOrder = &record.Schema{Type: record.Struct, Name: "shop.Order", Fields: []record.Field{
		{Name: "id", Index: 0, Schema: record.Int64Schema},
		{Name: "customer", Index: 1, Schema: record.StringSchema},
		{Name: "email", Index: 2, Schema: record.OptionalString},
		{Name: "created", Index: 3, Schema: timestampSchema},
		{Name: "shipped", Index: 4, Schema: opt(*timestampSchema)},
		{Name: "billing", Index: 5, Schema: benchAddress},
		{Name: "shipping", Index: 6, Schema: benchShipping},
		{Name: "items", Index: 7, Schema: &record.Schema{Type: record.Array, Value: benchItem}},
		{Name: "total", Index: 8, Schema: decimalSchema},
		{Name: "weight", Index: 9, Schema: record.Float64Schema},
		{Name: "attributes", Index: 10, Schema: &record.Schema{Type: record.Map, Key: record.StringSchema, Value: record.StringSchema}},
		{Name: "tags", Index: 11, Schema: &record.Schema{Type: record.Array, Value: record.StringSchema}},
		{Name: "note", Index: 12, Schema: record.OptionalString},
	}}
)

func benchValue() *record.StructValue {
	addr := func(s string, schema *record.Schema) *record.StructValue {
		return &record.StructValue{Schema: schema, Values: []any{s + " 221B Baker Street", "London", "NW1 6XE", "United Kingdom"}}
	}
	var items []any
	for i := 0; i < 13; i++ {
		items = append(items, &record.StructValue{Schema: benchItem, Values: []any{
			fmt.Sprintf("SKU-%08d", 1000+i), fmt.Sprintf("Item number %d, a fine product", i), int32(i + 1),
			record.Decimal{Unscaled: big.NewInt(int64(1999 + 100*i)), Scale: 2}, i%3 == 0}})
	}
	return &record.StructValue{Schema: benchOrder, Values: []any{
		int64(123456789), "Sherlock Holmes", "sherlock@example.com",
		time.UnixMilli(1700000000123).UTC(), nil, addr("Flat A,", benchAddress), addr("Flat B,", benchShipping), items,
		record.Decimal{Unscaled: big.NewInt(2519200), Scale: 2}, 12.75,
		[]record.MapEntry{{Key: "channel", Value: "web"}, {Key: "campaign", Value: "autumn-sale-2026"}, {Key: "device", Value: "mobile"}},
		[]any{"priority", "fragile", "gift-wrapped"},
		"Leave the parcel with Mrs Hudson if nobody answers the door.",
	}}
}

// BenchmarkAvroConverter measures Connect data <-> Confluent-framed Avro (the converter's full
// path: mapping plus hamba), against goavro on the same schema and record (library decode and
// encode of its native values, without a Connect mapping) and the JsonConverter with schemas
// (Connect data <-> JSON envelope). MB/s is of each format's own bytes; ns/op is per record.
func BenchmarkAvroConverter(b *testing.B) {
	value := benchValue()
	conv, err := New(DefaultConfig(), newFakeRegistry())
	if err != nil {
		b.Fatal(err)
	}
	framed, err := conv.FromConnect("orders", nil, benchOrder, value)
	if err != nil {
		b.Fatal(err)
	}
	_, payload, _ := confluentwire.Decode(framed)
	a, _ := SchemaFromConnect(benchOrder)
	text, _ := json.Marshal(a)
	codec, err := goavro.NewCodec(string(text))
	if err != nil {
		b.Fatal(err)
	}
	goNative, _, err := codec.NativeFromBinary(payload)
	if err != nil {
		b.Fatal(err)
	}
	hambaNative, err := ToNative(benchOrder, value)
	if err != nil {
		b.Fatal(err)
	}
	jc, err := jsonconv.New(jsonconv.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	jsonData, err := jc.FromConnect("orders", nil, benchOrder, value)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("record: %d bytes of Avro (framed), %d bytes of JSON with schema", len(framed), len(jsonData))

	b.Run("decode/avro-hamba-converter", func(b *testing.B) {
		b.SetBytes(int64(len(framed)))
		for b.Loop() {
			if _, _, err := conv.ToConnect("orders", nil, framed); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/avro-hamba-library", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			var v any
			if err := avro.Unmarshal(a, payload, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/avro-goavro-library", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, _, err := codec.NativeFromBinary(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/json-schemas-converter", func(b *testing.B) {
		b.SetBytes(int64(len(jsonData)))
		for b.Loop() {
			if _, _, err := jc.ToConnect("orders", nil, jsonData); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/avro-hamba-converter", func(b *testing.B) {
		b.SetBytes(int64(len(framed)))
		for b.Loop() {
			if _, err := conv.FromConnect("orders", nil, benchOrder, value); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/avro-hamba-library", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := avro.Marshal(a, hambaNative); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/avro-goavro-library", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := codec.BinaryFromNative(nil, goNative); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/json-schemas-converter", func(b *testing.B) {
		b.SetBytes(int64(len(jsonData)))
		for b.Loop() {
			if _, err := jc.FromConnect("orders", nil, benchOrder, value); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestGoavroAgrees checks the converter's bytes against an independent implementation: goavro
// (which, like Java's encoder, writes arrays and maps with plain item counts) decodes every
// record the converter writes, consuming every byte, and re-encodes its decoding to the same
// bytes.
func TestGoavroAgrees(t *testing.T) {
	cases := map[string]struct {
		schema *record.Schema
		value  any
	}{"everything": {everything, everythingValue()}, "order": {benchOrder, benchValue()}}
	for _, tt := range roundTrips {
		if tt.value != nil {
			cases[tt.name] = struct {
				schema *record.Schema
				value  any
			}{tt.schema, tt.value}
		}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := NewCodec(tc.schema)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := c.Append(nil, tc.value)
			if err != nil {
				t.Fatal(err)
			}
			text, _ := json.Marshal(c.Avro())
			codec, err := goavro.NewCodec(string(text))
			if err != nil {
				t.Fatalf("goavro cannot read the schema %s: %v", text, err)
			}
			native, rest, err := codec.NativeFromBinary(ours)
			if err != nil || len(rest) != 0 {
				t.Fatalf("goavro decoding % x: %v (%d bytes left)", ours, err, len(rest))
			}
			if name == "order" || name == "map" {
				// Go maps lose the entry order: re-encoding a map of several entries may differ.
				return
			}
			theirs, err := codec.BinaryFromNative(nil, native)
			if err != nil || !bytes.Equal(theirs, ours) {
				t.Errorf("goavro re-encodes % x, %v; ours % x", theirs, err, ours)
			}
		})
	}
}
