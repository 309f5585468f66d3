package jsonconv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func newConv(t testing.TB, edit func(*Config)) *Converter {
	t.Helper()
	cfg := DefaultConfig()
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var noSchemas = func(c *Config) { c.SchemasEnable = false }

// TestToConnectConnectCases reads the envelopes of Kafka Connect's JsonConverterTest (as written
// there, with their whitespace) and checks the Connect data.
func TestToConnectConnectCases(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		schema *record.Schema
		value  any
	}{
		{"boolean", `{ "schema": { "type": "boolean" }, "payload": true }`, record.BooleanSchema, true},
		{"boolean false", `{ "schema": { "type": "boolean" }, "payload": false }`, record.BooleanSchema, false},
		{"optional boolean null", `{ "schema": { "type": "boolean", "optional": true }, "payload": null }`, &record.Schema{Type: record.Boolean, Optional: true}, nil},
		{"default replaces null", `{ "schema": { "type": "boolean", "default": true }, "payload": null }`, &record.Schema{Type: record.Boolean, Default: true}, true},
		{"metadata", `{ "schema": { "type": "boolean", "optional": false, "name": "bool", "version": 2, "doc": "the documentation", "parameters": { "foo": "bar" }}, "payload": true }`,
			&record.Schema{Type: record.Boolean, Name: "bool", Version: 2, Doc: "the documentation", Parameters: map[string]string{"foo": "bar"}}, true},
		{"int8", `{ "schema": { "type": "int8" }, "payload": 12 }`, record.Int8Schema, int8(12)},
		{"int16", `{ "schema": { "type": "int16" }, "payload": 12 }`, record.Int16Schema, int16(12)},
		{"int32", `{ "schema": { "type": "int32" }, "payload": 12 }`, record.Int32Schema, int32(12)},
		{"int64", `{ "schema": { "type": "int64" }, "payload": 4398046511104 }`, record.Int64Schema, int64(4398046511104)},
		{"int64 min", `{"schema":{"type":"int64"},"payload":-9223372036854775808}`, record.Int64Schema, int64(math.MinInt64)},
		{"int32 written with exponent", `{"schema":{"type":"int32"},"payload":1.2e3}`, record.Int32Schema, int32(1200)},
		{"int32 leading zeros", `{"schema":{"type":"int32"},"payload":007}`, record.Int32Schema, int32(7)},
		{"float", `{ "schema": { "type": "float" }, "payload": 12.34 }`, record.Float32Schema, float32(12.34)},
		{"double", `{ "schema": { "type": "double" }, "payload": 12.34 }`, record.Float64Schema, 12.34},
		{"double from integer", `{"schema":{"type":"double"},"payload":12}`, record.Float64Schema, 12.0},
		{"double infinity", `{"schema":{"type":"double"},"payload":"-Infinity"}`, record.Float64Schema, math.Inf(-1)},
		{"bytes", `{ "schema": { "type": "bytes" }, "payload": "dGVzdC1zdHJpbmc=" }`, record.BytesSchema, []byte("test-string")},
		{"string", `{ "schema": { "type": "string" }, "payload": "foo-bar-baz" }`, record.StringSchema, "foo-bar-baz"},
		{"string escapes", `{"schema":{"type":"string"},"payload":"a\"\\\/\b\f\n\r\t\u00e9\ud83c\udf89\ud800x"}`, record.StringSchema, "a\"\\/\b\f\n\r\té🎉\uFFFDx"},
		{"array", `{ "schema": { "type": "array", "items": { "type" : "int32" } }, "payload": [1, 2, 3] }`,
			&record.Schema{Type: record.Array, Value: record.Int32Schema}, []any{int32(1), int32(2), int32(3)}},
		{"map string keys", `{ "schema": { "type": "map", "keys": { "type" : "string" }, "values": { "type" : "int32" } }, "payload": { "key1": 12, "key2": 15} }`,
			&record.Schema{Type: record.Map, Key: record.StringSchema, Value: record.Int32Schema},
			[]record.MapEntry{{Key: "key1", Value: int32(12)}, {Key: "key2", Value: int32(15)}}},
		{"map repeated key keeps last value", `{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}},"payload":{"a":1,"b":2,"a":3}}`,
			&record.Schema{Type: record.Map, Key: record.StringSchema, Value: record.Int32Schema},
			[]record.MapEntry{{Key: "a", Value: int32(3)}, {Key: "b", Value: int32(2)}}},
		{"map non-string keys", `{ "schema": { "type": "map", "keys": { "type" : "int32" }, "values": { "type" : "int32" } }, "payload": [ [1, 12], [2, 15] ] }`,
			&record.Schema{Type: record.Map, Key: record.Int32Schema, Value: record.Int32Schema},
			[]record.MapEntry{{Key: int32(1), Value: int32(12)}, {Key: int32(2), Value: int32(15)}}},
		{"map non-string repeated key", `{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}},"payload":[[1,12],[2,15],[1,99]]}`,
			&record.Schema{Type: record.Map, Key: record.Int32Schema, Value: record.Int32Schema},
			[]record.MapEntry{{Key: int32(1), Value: int32(99)}, {Key: int32(2), Value: int32(15)}}},
		{"struct", `{ "schema": { "type": "struct", "fields": [{ "field": "field1", "type": "boolean" }, { "field": "field2", "type": "string" }] }, "payload": { "field1": true, "field2": "string" } }`,
			structOf("", 0, field("field1", record.BooleanSchema), field("field2", record.StringSchema)), nil},
		{"struct with optional field", `{ "schema": { "type": "struct", "fields": [{ "field":"optional", "type": "string", "optional": true }, {  "field": "required", "type": "string" }] }, "payload": { "required": "required" } }`,
			structOf("", 0, field("optional", record.OptionalString), field("required", record.StringSchema)), nil},
		{"null schema null payload", `{ "schema": null, "payload": null }`, nil, nil},
		{"null schema bool", `{ "schema": null, "payload": true }`, nil, record.RawJSON(`true`)},
		{"null schema number", `{ "schema": null, "payload": 12 }`, nil, record.RawJSON(`12`)},
		{"null schema array", `{ "schema": null, "payload": [1, "2", 3] }`, nil, record.RawJSON(`[1, "2", 3]`)},
		{"null schema object", `{ "schema": null, "payload": { "field1": 1, "field2": 2} }`, nil, record.RawJSON(`{ "field1": 1, "field2": 2}`)},
		{"payload before schema", `{"payload":12,"schema":{"type":"int32"}}`, record.Int32Schema, int32(12)},
		{"decimal", `{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": { "scale": "2" } }, "payload": "AJw=" }`,
			decimalSchema("2", false), dec(156, 2)},
		{"decimal optional null", `{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "optional": true, "parameters": { "scale": "2" } }, "payload": null }`,
			decimalSchema("2", true), nil},
		{"decimal numeric", `{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": { "scale": "2" } }, "payload": 1.56 }`,
			decimalSchema("2", false), dec(156, 2)},
		{"decimal numeric trailing zeros", `{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": { "scale": "4" } }, "payload": 1.5600 }`,
			decimalSchema("4", false), dec(15600, 4)},
		{"decimal high precision", `{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": { "scale": "17" } }, "payload": 1.23456789123456789 }`,
			decimalSchema("17", false), record.Decimal{Unscaled: mustBig("123456789123456789"), Scale: 17}},
		{"decimal exponent", `{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"0"}},"payload":-1.5E+3}`,
			&record.Schema{Type: record.Bytes, Name: record.DecimalName, Parameters: map[string]string{"scale": "0"}}, dec(-15, -2)},
		{"date", `{ "schema": { "type": "int32", "name": "org.apache.kafka.connect.data.Date", "version": 1 }, "payload": 10000 }`,
			dateSchema, time.Date(1997, 5, 19, 0, 0, 0, 0, time.UTC)},
		{"date before epoch", `{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date","version":1},"payload":-1}`,
			dateSchema, time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"date default", `{ "schema": { "type": "int32", "name": "org.apache.kafka.connect.data.Date", "version": 1, "default": 0 }, "payload": null }`,
			&record.Schema{Type: record.Int32, Name: record.DateName, Version: 1, Default: record.Epoch}, record.Epoch},
		{"time", `{ "schema": { "type": "int32", "name": "org.apache.kafka.connect.data.Time", "version": 1 }, "payload": 14400000 }`,
			timeSchema, time.Date(1970, 1, 1, 4, 0, 0, 0, time.UTC)},
		{"time optional default", `{ "schema": { "type": "int32", "name": "org.apache.kafka.connect.data.Time", "version": 1, "optional": true, "default": 0 }, "payload": null }`,
			&record.Schema{Type: record.Int32, Name: record.TimeName, Version: 1, Optional: true, Default: record.Epoch}, record.Epoch},
		{"timestamp", `{ "schema": { "type": "int64", "name": "org.apache.kafka.connect.data.Timestamp", "version": 1 }, "payload": 4000000000 }`,
			timestampSchema, time.UnixMilli(4000000000).UTC()},
		{"timestamp default", `{ "schema": { "type": "int64", "name": "org.apache.kafka.connect.data.Timestamp", "version": 1, "default": 42 }, "payload": null }`,
			&record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1, Default: time.UnixMilli(42).UTC()}, time.UnixMilli(42).UTC()},
		{"decimal default", `{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "default": "AJw=", "parameters": { "scale": "2" } }, "payload": null }`,
			&record.Schema{Type: record.Bytes, Name: record.DecimalName, Version: 1, Default: dec(156, 2), Parameters: map[string]string{"scale": "2"}}, dec(156, 2)},
		{"bom and whitespace", "\xEF\xBB\xBF \n{\"schema\":{\"type\":\"int8\"},\"payload\":1}\n", record.Int8Schema, int8(1)},
		{"trailing content ignored, as Jackson", `{"schema":{"type":"int8"},"payload":1} trailing`, record.Int8Schema, int8(1)},
		{"repeated envelope keys, last wins", `{"schema":{"type":"int8"},"payload":1,"schema":null,"schema":{"type":"int16"},"payload":2,"payload":3}`, record.Int16Schema, int16(3)},
		{"escaped envelope keys", `{"sch\u0065ma":{"type":"int8"},"p\u0061yload":1}`, record.Int8Schema, int8(1)},
	}
	c := newConv(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, v, err := c.ToConnect("topic", nil, []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !SchemaEqual(s, tt.schema) {
				t.Errorf("schema = %+v, want %+v", s, tt.schema)
			}
			want := tt.value
			if s != nil && s.Type == record.Struct {
				switch tt.name {
				case "struct":
					want = structValue(s, true, "string")
				case "struct with optional field":
					want = structValue(s, nil, "required")
				}
			}
			if !valueEqual(v, want) {
				t.Errorf("value = %#v, want %#v", v, want)
			}
		})
	}
}

func mustBig(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return v
}

func TestToConnectErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"not an envelope", `{"a":1}`, EnvelopeError},
		{"extra field", `{"schema":null,"payload":1,"x":2}`, EnvelopeError},
		{"extra field after many", `{"schema":null,"payload":1,"schema":null,"payload":1,"x":2}`, EnvelopeError},
		{"payload missing", `{"schema":null}`, EnvelopeError},
		{"array", `[1]`, EnvelopeError},
		{"empty", `   `, EnvelopeError},
		{"malformed", `{"schema":null,"payload":[1,}`, "invalid JSON at byte 28: unexpected character '}', expected a value"},
		{"unterminated", `{"schema":null,"payload":"abc`, "unexpected end of input in string"},
		{"trailing comma", `{"schema":null,"payload":1,}`, `expected a string key in object`},
		{"root number then junk", `12x`, "after a root-level number"},
		{"invalid utf8", "{\"schema\":null,\"payload\":\"\xff\"}", "invalid UTF-8 in string"},
		{"control character", "{\"schema\":null,\"payload\":\"a\x01\"}", "unescaped control character 0x01"},
		{"bad escape", `{"schema":null,"payload":"\x"}`, `invalid escape character 'x'`},
		{"NaN literal", `{"schema":null,"payload":NaN}`, "expected a value"},
		{"schema without type", `{"schema":{},"payload":1}`, `schema: must contain a "type" field`},
		{"unknown type", `{"schema":{"type":"int128"},"payload":1}`, `schema: unknown schema type "int128"`},
		{"array without items", `{"schema":{"type":"array"},"payload":[]}`, `array schema did not specify the element type`},
		{"map without values", `{"schema":{"type":"map","keys":{"type":"string"}},"payload":{}}`, `map schema did not specify the value type`},
		{"struct without fields", `{"schema":{"type":"struct"},"payload":{}}`, `struct schema's "fields" is not an array`},
		{"struct field without name", `{"schema":{"type":"struct","fields":[{"type":"int8"}]},"payload":{}}`, `schema.fields[0]: struct field name not specified properly`},
		{"duplicate field", `{"schema":{"type":"struct","fields":[{"type":"int8","field":"a"},{"type":"int8","field":"a"}]},"payload":{}}`, `duplicate field name "a"`},
		{"nested schema error", `{"schema":{"type":"struct","fields":[{"field":"a","type":"array","items":{"type":"nope"}}]},"payload":{}}`, `schema.fields[0].items: unknown schema type "nope"`},
		{"non-string parameter", `{"schema":{"type":"int8","parameters":{"a":1}},"payload":1}`, `schema parameters must have string values`},
		{"bad default", `{"schema":{"type":"int8","default":"x"},"payload":1}`, `schema.default: expected integer, got string`},
		{"required null", `{"schema":{"type":"int32"},"payload":null}`, `payload: null for a required int32 with no default`},
		{"wrong type at root", `{"schema":{"type":"boolean"},"payload":"true"}`, `payload: expected boolean, got string`},
		{"field type", `{"schema":{"type":"struct","fields":[{"field":"price","type":"double"}]},"payload":{"price":"12.5"}}`, `field "price": expected number, got string`},
		{"missing required field", `{"schema":{"type":"struct","fields":[{"field":"id","type":"int64"}]},"payload":{}}`, `field "id": missing, and it is a required int64 with no default`},
		{"nested path", `{"schema":{"type":"struct","fields":[{"field":"lines","type":"array","items":{"type":"struct","fields":[{"field":"qty","type":"int16"}]}}]},"payload":{"lines":[{"qty":1},{"qty":70000}]}}`,
			`field "lines[1].qty": 70000 is out of range for int16`},
		{"map value path", `{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int8"}},"payload":{"a":1,"b":true}}`, `payload[b]: expected integer, got boolean`},
		{"fractional int", `{"schema":{"type":"int32"},"payload":1.5}`, `expected integer, got 1.5`},
		{"int64 overflow", `{"schema":{"type":"int64"},"payload":9223372036854775808}`, `9223372036854775808 is out of range for int64`},
		{"huge exponent int", `{"schema":{"type":"int64"},"payload":1e999999999}`, `is out of range for int64`},
		{"struct as array", `{"schema":{"type":"struct","fields":[]},"payload":[]}`, `structs are encoded as JSON objects, got array`},
		{"string-key map as array", `{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int8"}},"payload":[]}`, `maps with string keys are encoded as JSON objects, got array`},
		{"pair map as object", `{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"int8"}},"payload":{}}`, `maps with non-string keys are encoded as JSON arrays of [key, value] pairs, got object`},
		{"pair map entry not array", `{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"int8"}},"payload":[1]}`, `payload[0]: invalid map entry: expected a [key, value] array, got number`},
		{"pair map entry short", `{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"int8"}},"payload":[[1]]}`, `expected 2 elements, got 1`},
		{"pair map entry long", `{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"int8"}},"payload":[[1,2,3]]}`, `expected 2 elements, got more`},
		{"bad base64", `{"schema":{"type":"bytes"},"payload":"not base64!"}`, `invalid base64`},
		{"decimal without scale", `{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal"},"payload":"AJw="}`, `invalid Decimal schema: scale parameter not found`},
		{"decimal empty bytes", `{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},"payload":""}`, `invalid bytes for Decimal: empty`},
		{"decimal boolean", `{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},"payload":true}`, `expected number or base64 string for Decimal, got boolean`},
		{"date not int", `{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date"},"payload":1.0}`, `expected a 32-bit integer for Date, got 1.0`},
		{"time out of range", `{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Time"},"payload":86400001}`, `Time must be between 0 and 86400000 milliseconds`},
		{"timestamp string", `{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"},"payload":"2024-01-01"}`, `expected integer for Timestamp, got string`},
		{"too deep", `{"schema":null,"payload":` + strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1) + `}`, `nesting deeper than 1000`},
		{"number too long", `{"schema":null,"payload":1` + strings.Repeat("0", MaxNumberLength) + `}`, `number longer than 1000 characters`},
		{"null default on required", `{"schema":{"type":"int8","default":null},"payload":1}`, `schema.default: null for a required int8 with no default`},
	}
	c := newConv(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.ToConnect("topic", nil, []byte(tt.in))
			if err == nil {
				t.Fatalf("ToConnect succeeded, want error %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
			if !errclass.Is(err, errclass.BadRecord) {
				t.Errorf("class = %v, want bad_record", errclass.Of(err))
			}
		})
	}
}

func TestToConnectSchemaless(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want any // RawJSON, or nil
	}{
		{"nil", nil, nil},
		{"empty", []byte{}, nil},
		{"whitespace", []byte(" \n\t"), nil},
		{"null", []byte("null"), nil},
		{"true", []byte("true"), record.RawJSON("true")},
		{"object kept as written", []byte(` {"a": [1, 2.5e3, "x"], "b": {}} `), record.RawJSON(`{"a": [1, 2.5e3, "x"], "b": {}}`)},
		{"leading zeros rewritten", []byte(`{"a":007,"b":-00.5,"c":"007","d":0,"e":1e007}`), record.RawJSON(`{"a":7,"b":-0.5,"c":"007","d":0,"e":1e007}`)},
		{"trailing content ignored", []byte(`{"a":1}{"b":2}`), record.RawJSON(`{"a":1}`)},
		{"root number", []byte("12 "), record.RawJSON("12")},
		{"envelope is plain data", []byte(`{"schema":null,"payload":1}`), record.RawJSON(`{"schema":null,"payload":1}`)},
	}
	c := newConv(t, noSchemas)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, v, err := c.ToConnect("topic", nil, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if s != nil {
				t.Errorf("schema = %+v, want nil", s)
			}
			if tt.want == nil {
				if v != nil {
					t.Errorf("value = %#v, want untyped nil", v)
				}
				return
			}
			raw, ok := v.(record.RawJSON)
			if !ok || !bytes.Equal(raw, tt.want.(record.RawJSON)) {
				t.Errorf("value = %#v (%s), want %s", v, v, tt.want)
			}
			if !json.Valid(raw) {
				t.Errorf("RawJSON %s is not valid JSON", raw)
			}
		})
		t.Run(tt.name+"/Validate", func(t *testing.T) {
			got, err := Validate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := tt.want.(record.RawJSON)
			if (got == nil) != (want == nil) || !bytes.Equal(got, want) {
				t.Errorf("Validate = %q, want %q", got, want)
			}
		})
	}
	for _, bad := range []string{`{"a":}`, `[1 2]`, `{'a':1}`, `{"a":1`, `tru`, `truex`, `01x`, `-`, `1.`, `.5`, `+1`, `1e`, `"\u12"`, `{"a" 1}`, `[1,]`, "\"\t\""} {
		if _, _, err := c.ToConnect("topic", nil, []byte(bad)); !errclass.Is(err, errclass.BadRecord) {
			t.Errorf("ToConnect(%q) err = %v, want a bad_record error", bad, err)
		}
		if raw, err := Validate([]byte(bad)); !errclass.Is(err, errclass.BadRecord) {
			t.Errorf("Validate(%q) = %q, %v, want a bad_record error", bad, raw, err)
		}
	}
}

// The schemaless fast path returns a slice of the input, not a copy.
func TestToConnectSchemalessSharesInput(t *testing.T) {
	c := newConv(t, noSchemas)
	in := []byte(` {"a":1} `)
	_, v, err := c.ToConnect("t", nil, in)
	if err != nil {
		t.Fatal(err)
	}
	raw := v.(record.RawJSON)
	if &raw[0] != &in[1] {
		t.Error("RawJSON does not share the input")
	}
	if cap(raw) != len(raw) {
		t.Errorf("cap = %d, want %d (appending must not overwrite the input)", cap(raw), len(raw))
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{``, nil},
		{`null`, nil},
		{`true`, true},
		{`12`, int64(12)},
		{`-9223372036854775808`, int64(math.MinInt64)},
		{`9223372036854775808`, 9223372036854775808.0},
		{`12.24`, 12.24},
		{`1.0`, 1.0},
		{`1e2`, 100.0},
		{`007`, int64(7)},
		{`1e400`, math.Inf(1)},
		{`"a string"`, "a string"},
		{`[1, "2", 3]`, []any{int64(1), "2", int64(3)}},
		{`{ "field1": 1, "field2": 2}`, map[string]any{"field1": int64(1), "field2": int64(2)}},
		{`{ "a": "", "b": null}`, map[string]any{"a": "", "b": nil}},
		{`{"a":1,"a":2}`, map[string]any{"a": int64(2)}},
		{`{"k\u00e9y":[[],{}]}`, map[string]any{"kéy": []any{[]any{}, map[string]any{}}}},
	}
	for _, tt := range tests {
		got, err := Parse(record.RawJSON(tt.in))
		if err != nil {
			t.Errorf("Parse(%s): %v", tt.in, err)
			continue
		}
		if !valueEqual(got, tt.want) {
			t.Errorf("Parse(%s) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
	if _, err := Parse(record.RawJSON(`{"a":`)); !errclass.Is(err, errclass.BadRecord) {
		t.Errorf("Parse(malformed) err = %v, want bad_record", err)
	}
}

func TestFromConnectSchemaless(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"raw json passes through", record.RawJSON(`{"a": 1}`), `{"a": 1}`},
		{"bool", true, `true`},
		{"go ints", []any{int8(-1), int16(2), int32(3), int64(4), 5, uint8(6), uint64(7)}, `[-1,2,3,4,5,6,7]`},
		{"floats as Java prints them", []any{1.0, float32(0.1), 1e-5, math.Inf(1)}, `[1.0,0.1,1.0E-5,"Infinity"]`},
		{"bytes as base64", []byte{0, 0x9c}, `"AJw="`},
		{"go map sorted", map[string]any{"b": nil, "a": []any{}}, `{"a":[],"b":null}`},
		{"entries with string keys", []record.MapEntry{{Key: "z", Value: "1"}, {Key: "a", Value: 2.5}}, `{"z":"1","a":2.5}`},
		{"entries with other keys", []record.MapEntry{{Key: "z", Value: 1}, {Key: int32(2), Value: nil}}, `[["z",1],[2,null]]`},
		{"raw json nested", []any{record.RawJSON(`{"x":1}`), record.RawJSON(nil)}, `[{"x":1},null]`},
	}
	c := newConv(t, noSchemas)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.FromConnect("t", nil, nil, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("FromConnect = %s, want %s", got, tt.want)
			}
		})
	}
	if got, err := c.FromConnect("t", nil, nil, nil); got != nil || err != nil {
		t.Errorf("FromConnect(nil, nil) = %q, %v; want nil (tombstone)", got, err)
	}
	if got, err := newConv(t, nil).FromConnect("t", nil, nil, nil); got != nil || err != nil {
		t.Errorf("with schemas: FromConnect(nil, nil) = %q, %v; want nil (tombstone)", got, err)
	}
	got, err := c.FromConnect("t", nil, &record.Schema{Type: record.Int32, Optional: true}, nil)
	if err != nil || string(got) != "null" {
		t.Errorf("FromConnect(optional schema, nil) = %q, %v; want null", got, err)
	}
}

func TestFromConnectErrors(t *testing.T) {
	st := structOf("", 0, field("a", record.Int32Schema), field("b", &record.Schema{Type: record.Array, Value: record.StringSchema}))
	other := structOf("", 0, field("a", record.Int64Schema))
	tests := []struct {
		name   string
		cfg    func(*Config)
		schema *record.Schema
		value  any
		want   string
	}{
		{"mismatched primitive", nil, record.Float64Schema, true, `value: double schema needs a Go float64, got bool`},
		{"int width", nil, record.Int32Schema, int64(1), `int32 schema needs a Go int32, got int64`},
		{"required null", nil, record.Int32Schema, nil, `value: null for a required int32 with no default`},
		{"field", nil, st, structValue(st, "x", []any{}), `field "a": int32 schema needs a Go int32, got string`},
		{"array element", nil, st, structValue(st, int32(1), []any{"ok", 2}), `field "b[1]": string schema needs a Go string, got int`},
		{"struct schema mismatch", nil, st, structValue(other, int64(1)), `struct value's schema does not match`},
		{"struct arity", nil, st, &record.StructValue{Schema: st, Values: []any{int32(1)}}, `struct value has 1 values for 2 fields`},
		{"decimal scale", nil, decimalSchema("2", false), dec(15, 1), `Decimal value has scale 1, but its schema's scale is 2`},
		{"decimal missing scale", nil, &record.Schema{Type: record.Bytes, Name: record.DecimalName}, dec(1, 0), `scale parameter not found`},
		{"date with time", nil, dateSchema, time.UnixMilli(1).UTC(), `has a time of day`},
		{"time with date", nil, timeSchema, time.UnixMilli(millisPerDay + 1).UTC(), `has a date`},
		{"schemaless decimal", noSchemas, nil, dec(1, 0), `a Decimal needs its schema`},
		{"schemaless struct", noSchemas, nil, structValue(st, int32(1), []any{}), `a struct needs its schema`},
		{"schemaless time", noSchemas, nil, time.Now(), `needs a Date, Time or Timestamp schema`},
		{"schemaless unsupported", noSchemas, nil, struct{}{}, `Go type struct {} has no Connect schema type`},
		{"schemaless nested", noSchemas, nil, map[string]any{"k": []any{1, complex(1, 1)}}, `value[k][1]: Go type complex128 has no Connect schema type`},
		{"bad schema", nil, &record.Schema{Type: "uuid"}, "x", `schema: unsupported schema type "uuid"`},
		{"map with non-string keys needs entries", nil, &record.Schema{Type: record.Map, Key: record.Int32Schema, Value: record.Int32Schema}, map[string]any{}, `needs []record.MapEntry`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newConv(t, tt.cfg).FromConnect("t", nil, tt.schema, tt.value)
			if err == nil {
				t.Fatalf("FromConnect succeeded, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
			if !errclass.Is(err, errclass.BadRecord) {
				t.Errorf("class = %v, want bad_record", errclass.Of(err))
			}
		})
	}
}

func TestReplaceNullWithDefault(t *testing.T) {
	schema := &record.Schema{Type: record.Int32, Optional: true, Default: int32(42)}
	in := []byte(`{"schema":{"type":"int32","optional":true,"default":42},"payload":null}`)
	for _, replace := range []bool{true, false} {
		c := newConv(t, func(c *Config) { c.ReplaceNullWithDefault = replace })
		out, err := c.FromConnect("t", nil, schema, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, v, err := c.ToConnect("t", nil, in)
		if err != nil {
			t.Fatal(err)
		}
		wantOut, wantV := `{"schema":{"type":"int32","optional":true,"default":42},"payload":null}`, any(nil)
		if replace {
			wantOut, wantV = `{"schema":{"type":"int32","optional":true,"default":42},"payload":42}`, int32(42)
		}
		if string(out) != wantOut {
			t.Errorf("replace=%v: FromConnect = %s, want %s", replace, out, wantOut)
		}
		if v != wantV {
			t.Errorf("replace=%v: ToConnect = %#v, want %#v", replace, v, wantV)
		}
	}
	c := newConv(t, func(c *Config) { c.ReplaceNullWithDefault = false })
	_, _, err := c.ToConnect("t", nil, []byte(`{"schema":{"type":"int32","default":42},"payload":null}`))
	if err == nil || !strings.Contains(err.Error(), "replace.null.with.default is false") {
		t.Errorf("required with unused default: err = %v", err)
	}
}

// Like Connect's testCacheSchemaToConnectConversion / testCacheSchemaToJsonConversion.
func TestSchemaCaches(t *testing.T) {
	c := newConv(t, nil)
	for i, tc := range []struct {
		in   string
		size int
	}{
		{`{ "schema": { "type": "boolean" }, "payload": true }`, 1},
		{`{ "schema": { "type": "boolean" }, "payload": true }`, 1},
		{`{ "schema": { "type": "boolean", "optional": true }, "payload": true }`, 2},
		{`{ "schema": { "type": "boolean", "optional": false }, "payload": true }`, 3},
	} {
		if _, _, err := c.ToConnect("t", nil, []byte(tc.in)); err != nil {
			t.Fatal(err)
		}
		if got := c.toConnect.len(); got != tc.size {
			t.Errorf("step %d: toConnect cache size = %d, want %d", i, got, tc.size)
		}
	}
	s := &record.Schema{Type: record.Boolean}
	for range 2 {
		if _, err := c.FromConnect("t", nil, s, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.FromConnect("t", nil, &record.Schema{Type: record.Boolean, Optional: true}, true); err != nil {
		t.Fatal(err)
	}
	if got := c.fromConnect.len(); got != 2 {
		t.Errorf("fromConnect cache size = %d, want 2", got)
	}
	small := newConv(t, func(c *Config) { c.SchemasCacheSize = 2 })
	for i := range 5 {
		in := fmt.Sprintf(`{"schema":{"type":"int8","doc":"%d"},"payload":1}`, i)
		if _, _, err := small.ToConnect("t", nil, []byte(in)); err != nil {
			t.Fatal(err)
		}
	}
	if got := small.toConnect.len(); got != 2 {
		t.Errorf("bounded cache size = %d, want 2", got)
	}
	none := newConv(t, func(c *Config) { c.SchemasCacheSize = 0 })
	if _, _, err := none.ToConnect("t", nil, []byte(`{"schema":{"type":"int8"},"payload":1}`)); err != nil {
		t.Fatal(err)
	}
	if got := none.toConnect.len(); got != 0 {
		t.Errorf("disabled cache size = %d, want 0", got)
	}
}

// Converters are shared by the goroutines that handle partitions.
func TestConcurrentUse(t *testing.T) {
	c := newConv(t, func(c *Config) { c.SchemasCacheSize = 3 })
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				in := fmt.Sprintf(`{"schema":{"type":"struct","fields":[{"field":"n","type":"int32"}],"doc":"%d"},"payload":{"n":%d}}`, (g+i)%5, i)
				s, v, err := c.ToConnect("t", nil, []byte(in))
				if err != nil {
					t.Error(err)
					return
				}
				out, err := c.FromConnect("t", nil, s, v)
				if err != nil || !bytes.Contains(out, fmt.Appendf(nil, `"payload":{"n":%d}`, i)) {
					t.Errorf("round trip: %s, %v", out, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestConfigFromProps(t *testing.T) {
	tests := []struct {
		name    string
		props   map[string]string
		want    Config
		wantErr string
	}{
		{"defaults", nil, DefaultConfig(), ""},
		{"all set", map[string]string{"schemas.enable": " FALSE ", "decimal.format": "numeric", "replace.null.with.default": "false", "schemas.cache.size": "10"},
			Config{SchemasEnable: false, DecimalFormat: DecimalNumeric, ReplaceNullWithDefault: false, SchemasCacheSize: 10}, ""},
		{"bad bool", map[string]string{"schemas.enable": "yes"}, Config{}, `schemas.enable: must be true or false, got "yes"`},
		{"bad format", map[string]string{"decimal.format": "STRING"}, Config{}, `decimal.format: must be BASE64 or NUMERIC, got "STRING"`},
		{"bad size", map[string]string{"schemas.cache.size": "many"}, Config{}, `schemas.cache.size: must be an integer`},
		{"negative size", map[string]string{"schemas.cache.size": "-1"}, Config{}, `schemas.cache.size: must not be negative`},
		{"unknown", map[string]string{"converter.encoding": "UTF-8"}, Config{}, `converter.encoding: unknown JsonConverter setting`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromProps(tt.props)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errclass.Is(err, errclass.BadConfig) {
					t.Fatalf("err = %v, want bad_config %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("config = %+v, want %+v", got, tt.want)
			}
		})
	}
	if _, err := New(Config{DecimalFormat: "HEX"}); !errclass.Is(err, errclass.BadConfig) {
		t.Errorf("New(HEX) err = %v, want bad_config", err)
	}
}

func TestTwosComplement(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []byte
	}{
		{"0", []byte{0}}, {"1", []byte{1}}, {"127", []byte{0x7f}}, {"128", []byte{0, 0x80}}, {"156", []byte{0, 0x9c}},
		{"-1", []byte{0xff}}, {"-128", []byte{0x80}}, {"-129", []byte{0xff, 0x7f}}, {"-156", []byte{0xff, 0x64}},
		{"-32768", []byte{0x80, 0}}, {"32768", []byte{0, 0x80, 0}},
	} {
		got := twosComplement(mustBig(tt.in))
		if !bytes.Equal(got, tt.want) {
			t.Errorf("twosComplement(%s) = %x, want %x", tt.in, got, tt.want)
		}
		if back := fromTwosComplement(got); back.String() != tt.in {
			t.Errorf("fromTwosComplement(%x) = %s, want %s", got, back, tt.in)
		}
	}
}
