package protobufconv_test

import (
	"bytes"
	"context"
	"math/big"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/converters/protobufconv"
	"github.com/lambda-connect/lambda-connect/converters/registryconv"
	"github.com/lambda-connect/lambda-connect/converters/registryconv/registrytest"
	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func newConv(t testing.TB, reg protobufconv.Registry, mod func(*protobufconv.Config)) *protobufconv.Converter {
	t.Helper()
	return registrytest.NewConverter(t, protobufconv.DefaultConfig, protobufconv.New, reg, mod)
}

const userProto = "syntax = \"proto3\";\npackage com.example;\n\nmessage User {\n  int32 id = 1;\n  string name = 2;\n}\n"

// TestFixedBytes checks a hand-computed frame: magic 0, id 42 (00 00 00 2a), message indexes [0]
// (the single byte 00), then User{id: 7, name: "Ada"} = 08 07 12 03 'A' 'd' 'a'.
func TestFixedBytes(t *testing.T) {
	frame := []byte{0x00, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x08, 0x07, 0x12, 0x03, 'A', 'd', 'a'}
	reg := newMemRegistry()
	reg.Add(42, "users-value", userProto)
	c := newConv(t, reg, func(c *protobufconv.Config) { c.AutoRegisterSchemas = false })
	s, v := registrytest.MustToConnect(t, c, "users", frame)
	want := &record.Schema{Type: record.Struct, Name: "User", Fields: []record.Field{
		{Name: "id", Index: 0, Schema: tagged(&record.Schema{Type: record.Int32}, "1")},
		{Name: "name", Index: 1, Schema: tagged(&record.Schema{Type: record.String}, "2")},
	}}
	if !jsonconv.SchemaEqual(s, want) {
		t.Fatalf("schema %s", registrytest.Dump(s))
	}
	if got := v.(*record.StructValue).Values; !reflect.DeepEqual(got, []any{int32(7), "Ada"}) {
		t.Fatalf("values %#v", got)
	}
	// Written back (the enhanced name gives the package), the same bytes under the same id.
	c2 := newConv(t, reg, func(c *protobufconv.Config) { c.AutoRegisterSchemas, c.EnhancedSchemaSupport = false, true })
	s2, v2, err := c2.ToConnect("users", nil, frame)
	if err != nil || s2.Name != "com.example.User" {
		t.Fatalf("enhanced: %v %v", s2, err)
	}
	out, err := c2.FromConnect("users", nil, s2, v2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, frame) {
		t.Fatalf("FromConnect:\n got % x\nwant % x", out, frame)
	}
}

// TestMessageIndexes reads the nested message at indexes [1, 0]: count 2 and the indexes 1, 0
// as zig-zag varints are 04 02 00.
func TestMessageIndexes(t *testing.T) {
	reg := newMemRegistry()
	reg.Add(5, "", `syntax = "proto3";
message A { string a = 1; }
message B { message C { int64 c = 1; } C c = 1; }`)
	c := newConv(t, reg, nil)
	frame := []byte{0, 0, 0, 0, 5, 0x04, 0x02, 0x00, 0x08, 0x96, 0x01} // C{c: 150}
	s, v, err := c.ToConnect("t", nil, frame)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "C" || v.(*record.StructValue).Values[0] != int64(150) {
		t.Fatalf("got %s %#v", registrytest.Dump(s), v)
	}
	// [1] alone: count 1, index 1 = 02 02.
	_, v, err = c.ToConnect("t", nil, []byte{0, 0, 0, 0, 5, 0x02, 0x02, 0x0a, 0x02, 0x08, 0x01})
	if err != nil {
		t.Fatal(err)
	}
	inner := v.(*record.StructValue).Values[0].(*record.StructValue)
	if inner.Values[0] != int64(1) {
		t.Fatalf("B.c = %#v", inner.Values)
	}
}

const orderProto = `syntax = "proto3";
package test.v1;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
import "google/type/date.proto";
import "google/type/timeofday.proto";
import "confluent/type/decimal.proto";
import "confluent/meta.proto";

message Order {
  int32 i32 = 1;
  sint32 s32 = 2;
  uint32 u32 = 3;
  fixed64 f64 = 4;
  int64 i64 = 5;
  float fl = 6;
  double db = 7;
  bool ok = 8;
  string name = 9;
  bytes raw = 10;
  Status status = 11;
  repeated string tags = 12;
  map<string, int32> counts = 13;
  Line line = 14;
  repeated Line lines = 15;
  google.protobuf.Timestamp at = 16;
  google.protobuf.StringValue note = 17;
  google.protobuf.Int32Value missing = 18;
  optional int64 opt = 19;
  oneof pay {
    string card = 20;
    int64 cash = 21;
  }
  google.type.Date day = 22;
  confluent.type.Decimal amount = 23 [(confluent.field_meta) = { params: [{ key: "scale", value: "3" }] }];
  int32 small = 24 [(confluent.field_meta) = { params: [{ key: "connect.type", value: "int8" }] }];
  google.type.TimeOfDay tod = 25;
  Line unset = 26;
  enum Status {
    UNKNOWN = 0;
    PAID = 1;
  }
  message Line {
    string sku = 1;
    int32 qty = 2;
  }
}
`

const orderText = `i32: -5 s32: -6 u32: 4000000000 f64: 18446744073709551615 i64: 9 fl: 1.5 db: 2.5 ok: true
name: "n" raw: "\x01\x02" status: PAID tags: "a" tags: "b"
counts { key: "y" value: 2 } counts { key: "x" value: 1 }
line { sku: "s" qty: 3 } lines { sku: "t" }
at { seconds: 1700000000 nanos: 123456789 } note { value: "hi" } cash: 12
day { year: 2024 month: 2 day: 29 } amount { value: "\x30\x39" scale: 2 } small: -3
tod { hours: 13 minutes: 5 seconds: 7 nanos: 8000000 }`

// encodeText compiles a .proto text and encodes the text-format message of its first top-level
// message, independently of the converter.
func encodeText(t *testing.T, protoText, msgText string, knownImports map[string]string) []byte {
	t.Helper()
	srcs := map[string]string{"x.proto": protoText}
	for k, v := range knownImports {
		srcs[k] = v
	}
	comp := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{Accessor: protocompile.SourceAccessorFromMap(srcs)})}
	files, err := comp.Compile(context.Background(), "x.proto")
	if err != nil {
		t.Fatal(err)
	}
	m := dynamicpb.NewMessage(files[0].Messages().Get(0))
	if err := prototext.Unmarshal([]byte(msgText), m); err != nil {
		t.Fatal(err)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// knownImports are the Confluent built-in files, written here independently for encodeText.
var knownImports = map[string]string{
	"google/type/date.proto":       "syntax = \"proto3\"; package google.type; message Date { int32 year = 1; int32 month = 2; int32 day = 3; }",
	"google/type/timeofday.proto":  "syntax = \"proto3\"; package google.type; message TimeOfDay { int32 hours = 1; int32 minutes = 2; int32 seconds = 3; int32 nanos = 4; }",
	"confluent/type/decimal.proto": "syntax = \"proto3\"; package confluent.type; message Decimal { bytes value = 1; uint32 precision = 2; int32 scale = 3; }",
	"confluent/meta.proto": `syntax = "proto3"; package confluent; import "google/protobuf/descriptor.proto";
message Meta { string doc = 1; map<string, string> params = 2; repeated string tags = 3; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }`,
}

func tagged(s *record.Schema, tag string) *record.Schema {
	c := *s
	c.Optional = true
	c.Parameters = map[string]string{protobufconv.TagParameter: tag}
	for k, v := range s.Parameters {
		c.Parameters[k] = v
	}
	return &c
}

func TestToConnectTypes(t *testing.T) {
	reg := newMemRegistry()
	reg.Add(3, "", orderProto)
	c := newConv(t, reg, nil)
	payload := encodeText(t, orderProto, orderText, knownImports)
	s, v, err := c.ToConnect("orders", nil, append([]byte{0, 0, 0, 0, 3, 0}, payload...))
	if err != nil {
		t.Fatal(err)
	}
	line := &record.Schema{Type: record.Struct, Name: "Line", Fields: []record.Field{
		{Name: "sku", Index: 0, Schema: tagged(record.StringSchema, "1")},
		{Name: "qty", Index: 1, Schema: tagged(record.Int32Schema, "2")},
	}}
	status := &record.Schema{Type: record.String, Name: "Status", Parameters: map[string]string{
		protobufconv.EnumParameter: "Status", protobufconv.EnumParameter + ".UNKNOWN": "0", protobufconv.EnumParameter + ".PAID": "1"}}
	pay := &record.Schema{Type: record.Struct, Name: protobufconv.UnionPrefix + "pay", Optional: true, Fields: []record.Field{
		{Name: "card", Index: 0, Schema: tagged(record.StringSchema, "20")},
		{Name: "cash", Index: 1, Schema: tagged(record.Int64Schema, "21")},
	}}
	fields := []struct {
		name   string
		schema *record.Schema
		value  any
	}{
		{"pay_0", pay, &record.StructValue{Values: []any{nil, int64(12)}}},
		{"i32", tagged(record.Int32Schema, "1"), int32(-5)},
		{"s32", tagged(record.Int32Schema, "2"), int32(-6)},
		{"u32", tagged(record.Int64Schema, "3"), int64(4000000000)},
		{"f64", tagged(record.Int64Schema, "4"), int64(-1)},
		{"i64", tagged(record.Int64Schema, "5"), int64(9)},
		{"fl", tagged(record.Float32Schema, "6"), float32(1.5)},
		{"db", tagged(record.Float64Schema, "7"), 2.5},
		{"ok", tagged(record.BooleanSchema, "8"), true},
		{"name", tagged(record.StringSchema, "9"), "n"},
		{"raw", tagged(record.BytesSchema, "10"), []byte{1, 2}},
		{"status", tagged(status, "11"), "PAID"},
		{"tags", tagged(&record.Schema{Type: record.Array, Value: &record.Schema{Type: record.String, Optional: true}}, "12"), []any{"a", "b"}},
		{"counts", tagged(&record.Schema{Type: record.Map, Key: tagged(record.StringSchema, "1"), Value: tagged(record.Int32Schema, "2")}, "13"),
			[]record.MapEntry{{Key: "x", Value: int32(1)}, {Key: "y", Value: int32(2)}}},
		{"line", tagged(line, "14"), &record.StructValue{Values: []any{"s", int32(3)}}},
		{"lines", tagged(&record.Schema{Type: record.Array, Value: tagged(line, "")}, "15"), []any{&record.StructValue{Values: []any{"t", int32(0)}}}},
		{"at", tagged(&record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1}, "16"), time.UnixMilli(1700000000123).UTC()},
		{"note", tagged(record.StringSchema, "17"), "hi"},
		{"missing", tagged(record.Int32Schema, "18"), nil},
		{"opt", tagged(record.Int64Schema, "19"), nil},
		{"day", tagged(&record.Schema{Type: record.Int32, Name: record.DateName, Version: 1}, "22"), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"amount", tagged(&record.Schema{Type: record.Bytes, Name: record.DecimalName, Version: 1, Parameters: map[string]string{"scale": "3"}}, "23"),
			record.Decimal{Unscaled: big.NewInt(123450), Scale: 3}},
		{"small", tagged(record.Int8Schema, "24"), int8(-3)},
		{"tod", tagged(&record.Schema{Type: record.Int32, Name: record.TimeName, Version: 1}, "25"), record.Epoch.Add(13*time.Hour + 5*time.Minute + 7*time.Second + 8*time.Millisecond)},
		{"unset", tagged(line, "26"), nil},
	}
	// The element schema of "lines" is the optional Line without a tag of its own.
	fields[15].schema.Value = &record.Schema{Type: record.Struct, Name: "Line", Optional: true, Fields: line.Fields}
	if len(s.Fields) != len(fields) {
		t.Fatalf("%d fields: %s", len(s.Fields), registrytest.Dump(s))
	}
	got := v.(*record.StructValue)
	for i, f := range fields {
		if s.Fields[i].Name != f.name || !jsonconv.SchemaEqual(s.Fields[i].Schema, f.schema) {
			t.Errorf("field %d: got %s %s, want %s %s", i, s.Fields[i].Name, registrytest.Dump(s.Fields[i].Schema), f.name, registrytest.Dump(f.schema))
		}
		if !registrytest.EqualData(got.Values[i], f.value) {
			t.Errorf("%s: got %#v, want %#v", f.name, got.Values[i], f.value)
		}
	}
}

// structOf is the converters' shared fixture.
var structOf = registrytest.StructOf

// TestRoundTrip writes one value per Connect type and reads it back: the same data under the
// schema Confluent reads back (every field optional, tagged with its number).
func TestRoundTrip(t *testing.T) {
	inner := structOf("com.example.Inner", record.Field{Name: "a", Schema: record.StringSchema})
	cases := append(registrytest.TypeCases(), []registrytest.TypeCase{
		{Name: "string", Schema: record.StringSchema, Value: "héllo"},
		{Name: "timestamp", Schema: registrytest.TimestampSchema, Value: time.UnixMilli(-1700000000123).UTC()},
		{Name: "array of structs", Schema: &record.Schema{Type: record.Array, Value: inner}, Value: []any{&record.StructValue{Schema: inner, Values: []any{"q"}}}},
		{Name: "map int keys, struct values", Schema: &record.Schema{Type: record.Map, Key: record.Int32Schema, Value: inner},
			Value: []record.MapEntry{{Key: int32(3), Value: &record.StructValue{Schema: inner, Values: []any{"three"}}}}},
		{Name: "enum", Schema: &record.Schema{Type: record.String, Name: "Color", Parameters: map[string]string{
			protobufconv.EnumParameter: "Color", protobufconv.EnumParameter + ".RED": "0", protobufconv.EnumParameter + ".GREEN": "1"}}, Value: "GREEN"},
		{Name: "struct", Schema: inner, Value: &record.StructValue{Schema: inner, Values: []any{"x"}}},
	}...)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			s := structOf("com.example.Row",
				record.Field{Name: "v", Schema: tc.Schema},
				record.Field{Name: "after", Schema: record.StringSchema},
			)
			in := &record.StructValue{Schema: s, Values: []any{tc.Value, "end"}}
			reg := newMemRegistry()
			c := newConv(t, reg, nil)
			b, err := c.FromConnect("orders", nil, s, in)
			if err != nil {
				t.Fatal(err)
			}
			gs, gv, err := c.ToConnect("orders", nil, b)
			if err != nil {
				t.Fatalf("ToConnect: %v\n%s", err, reg.ByID[1].Schema)
			}
			if gs.Name != "Row" || len(gs.Fields) != 2 || gs.Fields[0].Schema.Type != tc.Schema.Type || gs.Fields[0].Schema.Name != strings.TrimPrefix(tc.Schema.Name, "com.example.") {
				t.Fatalf("schema %s", registrytest.Dump(gs))
			}
			// The schema read back writes the same .proto text.
			text, err := c.ProtoText(gs)
			if err != nil || strings.ReplaceAll(text, "package com.example;\n", "") != strings.ReplaceAll(reg.ByID[1].Schema, "package com.example;\n", "") {
				t.Errorf("schema read back writes\n%s\nnot\n%s (%v)", text, reg.ByID[1].Schema, err)
			}
			got := gv.(*record.StructValue)
			want := tc.Value
			if !registrytest.EqualData(got.Values[0], want) || got.Values[1] != "end" {
				t.Errorf("got %#v, want %#v", got.Values, want)
			}
		})
	}
}

// TestNulls: null fields are unset, and read back as Protobuf reads unset fields (defaults),
// unless optional.for.nullables declares them optional.
func TestNulls(t *testing.T) {
	s := structOf("N",
		record.Field{Name: "i", Schema: &record.Schema{Type: record.Int32, Optional: true}},
		record.Field{Name: "s", Schema: record.OptionalString},
		record.Field{Name: "m", Schema: &record.Schema{Type: record.Struct, Optional: true, Name: "M", Fields: []record.Field{{Name: "x", Schema: record.Int64Schema}}}},
		record.Field{Name: "u", Schema: &record.Schema{Type: record.Struct, Optional: true, Name: protobufconv.UnionPrefix + "u", Fields: []record.Field{
			{Name: "a", Index: 0, Schema: record.OptionalString}, {Name: "b", Index: 1, Schema: &record.Schema{Type: record.Int64, Optional: true}}}}},
	)
	in := &record.StructValue{Schema: s, Values: []any{nil, nil, nil, nil}}
	for _, optional := range []bool{false, true} {
		c := newConv(t, newMemRegistry(), func(c *protobufconv.Config) { c.OptionalForNullables = optional })
		b, err := c.FromConnect("t", nil, s, in)
		if err != nil {
			t.Fatal(err)
		}
		gs, v, err := c.ToConnect("t", nil, b)
		if err != nil {
			t.Fatal(err)
		}
		want := []any{int32(0), "", nil, nil}
		if optional {
			want = []any{nil, nil, nil, nil}
		}
		// The oneof comes first in the struct read back.
		vals := v.(*record.StructValue).Values
		got := []any{vals[1], vals[2], vals[3], vals[0]}
		if !reflect.DeepEqual(got, want) || gs.Fields[0].Name != "u_0" {
			t.Errorf("optional.for.nullables=%v: got %#v, want %#v (%s)", optional, got, want, registrytest.Dump(gs))
		}
	}
	// A oneof with one branch set reads back with that branch.
	c := newConv(t, newMemRegistry(), nil)
	in = &record.StructValue{Schema: s, Values: []any{int32(1), "s", nil, &record.StructValue{Schema: s.Fields[3].Schema, Values: []any{nil, int64(4)}}}}
	b, err := c.FromConnect("t", nil, s, in)
	if err != nil {
		t.Fatal(err)
	}
	_, v, err := c.ToConnect("t", nil, b)
	if err != nil {
		t.Fatal(err)
	}
	if u := v.(*record.StructValue).Values[0].(*record.StructValue); !reflect.DeepEqual(u.Values, []any{nil, int64(4)}) {
		t.Fatalf("oneof read back %#v", u.Values)
	}
}

// TestProtoGolden pins the .proto text FromConnect registers for a schema with every type.
func TestProtoGolden(t *testing.T) {
	fields := []record.Field{
		{Name: "i8", Schema: record.Int8Schema},
		{Name: "i16", Schema: record.Int16Schema},
		{Name: "i32", Schema: record.Int32Schema},
		{Name: "i64", Schema: record.Int64Schema},
	}
	fields = append(fields, registrytest.ScalarFields()...) // f32 .. time
	fields = append(fields,
		record.Field{Name: "ts", Schema: registrytest.TimestampSchema},
		record.Field{Name: "arr", Schema: &record.Schema{Type: record.Array, Value: record.StringSchema}},
		record.Field{Name: "smap", Schema: &record.Schema{Type: record.Map, Key: record.StringSchema, Value: record.Int32Schema}},
		record.Field{Name: "nested", Schema: structOf("com.example.Nested", record.Field{Name: "x", Schema: record.Int64Schema})},
		record.Field{Name: "Point", Schema: structOf("Point", record.Field{Name: "x", Schema: record.Int64Schema})},
		record.Field{Name: "color", Schema: &record.Schema{Type: record.String, Name: "Color", Parameters: map[string]string{
			protobufconv.EnumParameter: "Color", protobufconv.EnumParameter + ".RED": "0", protobufconv.EnumParameter + ".GREEN": "1"}}},
	)
	s := structOf("com.example.Everything", fields...)
	c := newConv(t, newMemRegistry(), nil)
	got, err := c.ProtoText(s)
	if err != nil {
		t.Fatal(err)
	}
	registrytest.Golden(t, filepath.Join("testdata", "everything.proto.golden"), got)
}

func TestErrors(t *testing.T) {
	cases := append(registrytest.FrameErrorCases([]byte{0}), []registrytest.ErrorCase{
		{Name: "no indexes", Frame: []byte{0, 0, 0, 0, 1}, Class: errclass.BadRecord, Msg: "malformed Protobuf message indexes"},
		{Name: "negative count", Frame: []byte{0, 0, 0, 0, 1, 0x01}, Class: errclass.BadRecord, Msg: "malformed Protobuf message indexes"},
		{Name: "index out of range", Frame: []byte{0, 0, 0, 0, 1, 0x02, 0x08}, Class: errclass.BadRecord, Msg: "no message 4"},
		{Name: "schema does not compile", Frame: []byte{0, 0, 0, 0, 2, 0}, Class: errclass.BadRecord, Msg: "compiling"},
		{Name: "undecodable payload", Frame: []byte{0, 0, 0, 0, 1, 0, 0x0a, 0x05, 'a'}, Class: errclass.BadRecord, Msg: "message com.example.User"},
		{Name: "truncated varint", Frame: []byte{0, 0, 0, 0, 1, 0, 0x08, 0x80}, Class: errclass.BadRecord, Msg: "message com.example.User"},
	}...)
	registrytest.RunToConnectErrors(t, cases, func(t *testing.T, fail error) converters.Converter {
		reg := newMemRegistry()
		reg.Add(1, "", userProto)
		reg.Add(2, "", "syntax = \"proto3\"; message X { Missing m = 1; }")
		reg.Fail = fail
		return newConv(t, reg, nil)
	})
	reg := newMemRegistry()
	registrytest.RunFromConnectErrors(t, newConv(t, reg, nil), reg,
		registrytest.Bad{Schema: record.StringSchema, Value: "not a struct"},
		registrytest.Bad{Schema: structOf("bad name!", record.Field{Name: "n", Schema: record.Int64Schema}), Value: &record.StructValue{Values: []any{int64(1)}}},
		registrytest.Bad{Schema: structOf("E", record.Field{Name: "e", Schema: &record.Schema{Type: record.String, Parameters: map[string]string{protobufconv.EnumParameter: "E", protobufconv.EnumParameter + ".A": "0"}}}),
			Value: &record.StructValue{Values: []any{"B"}}})
}

// TestRegistryOncePerID: many records, concurrent, one registry call per id and per schema.
func TestRegistryOncePerID(t *testing.T) {
	reg := newMemRegistry()
	registrytest.RunOncePerID(t, newConv(t, reg, nil), reg, 100, []byte{0, 0, 0, 0x30, 0x39, 0}, "")
}

// versionRegistry adds Version to memRegistry.
type versionRegistry struct {
	*memRegistry
	versions map[string]string // subject/version -> text
}

func (r versionRegistry) Version(_ context.Context, subject string, version int) (schemaregistry.Schema, error) {
	text, ok := r.versions[subject+"/"+string(rune('0'+version))]
	if !ok {
		return schemaregistry.Schema{}, errclass.Record("schema registry", "subject %s version %d not found", subject, version)
	}
	return schemaregistry.Schema{Type: schemaregistry.Protobuf, Schema: text, Subject: subject, Version: version}, nil
}

func TestReferences(t *testing.T) {
	const common = "syntax = \"proto3\"; package common; message Money { int64 cents = 1; }"
	const main = "syntax = \"proto3\"; import \"common/money.proto\"; message Order { common.Money total = 1; }"
	refs := []schemaregistry.Reference{{Name: "common/money.proto", Subject: "money", Version: 1}, {Name: "google/protobuf/timestamp.proto", Subject: "x", Version: 1}}
	frame := []byte{0, 0, 0, 0, 2, 0, 0x0a, 0x02, 0x08, 0x05}

	// Through Latest, when the latest version is the one referenced.
	reg := newMemRegistry()
	reg.Add(1, "money", common)
	reg.AddRefs(2, "", main, refs)
	_, v, err := newConv(t, reg, nil).ToConnect("t", nil, frame)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.(*record.StructValue).Values[0].(*record.StructValue).Values[0]; got != int64(5) {
		t.Fatalf("total.cents = %v", got)
	}
	// Not when the subject has moved on.
	reg.Add(3, "money", common+" // v2")
	if _, _, err := newConv(t, reg, nil).ToConnect("t", nil, frame); !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "version 1") {
		t.Fatalf("moved on: %v", err)
	}
	// Through Version when the registry has it.
	vr := versionRegistry{memRegistry: reg, versions: map[string]string{"money/1": common}}
	if _, _, err := newConv(t, vr, nil).ToConnect("t", nil, frame); err != nil {
		t.Fatal(err)
	}
}

func TestConfigFromProps(t *testing.T) {
	cases := append(registrytest.SharedConfigCases[protobufconv.Config](), []registrytest.ConfigCase[protobufconv.Config]{
		{Props: map[string]string{"schema.registry.url": "http://r:8081", "basic.auth.user.info": "u:p", "auto.register.schemas": "false", "use.latest.version": "TRUE"},
			Want: func(c *protobufconv.Config) { c.AutoRegisterSchemas, c.UseLatestVersion = false, true }},
		{Props: map[string]string{"schema.registry.url": "http://r:8081", "enhanced.protobuf.schema.support": "true", "optional.for.nullables": "true", "key.subject.name.strategy": "RecordNameStrategy"},
			Want: func(c *protobufconv.Config) {
				c.EnhancedSchemaSupport, c.OptionalForNullables, c.KeySubjectNameStrategy = true, true, protobufconv.RecordNameStrategy
			}},
		{Props: map[string]string{"schema.registry.url": "http://r:8081", "optional.for.nullables": "1"}, Err: "optional.for.nullables: must be true or false"},
		{Props: map[string]string{"schema.registry.url": "http://r:8081", "key.subject.name.strategy": "x"}, Err: "key.subject.name.strategy: unknown subject name strategy"},
	}...)
	registrytest.RunConfigFromProps(t, protobufconv.ConfigFromProps, protobufconv.DefaultConfig,
		func(c *protobufconv.Config) *registryconv.Settings { return &c.Settings }, cases)
	// Subjects per strategy: the record name is the message's full name.
	s := structOf("com.example.Order", record.Field{Name: "n", Schema: record.Int64Schema})
	for strategy, want := range map[protobufconv.SubjectNameStrategy]string{
		protobufconv.TopicNameStrategy: "orders-key", protobufconv.RecordNameStrategy: "com.example.Order", protobufconv.TopicRecordNameStrategy: "orders-com.example.Order",
	} {
		reg := newMemRegistry()
		c := newConv(t, reg, func(c *protobufconv.Config) { c.IsKey, c.KeySubjectNameStrategy = true, strategy })
		if _, err := c.FromConnect("orders", nil, s, &record.StructValue{Schema: s, Values: []any{int64(1)}}); err != nil {
			t.Fatal(err)
		}
		if _, ok := reg.Subjects[want]; !ok {
			t.Errorf("%s: subjects %v, want %s", strategy, reg.Subjects, want)
		}
	}
}

// TestUseLatestVersion writes with the subject's latest schema: its message of the same name,
// by field name, framed with that message's indexes.
func TestUseLatestVersion(t *testing.T) {
	reg := newMemRegistry()
	reg.Add(11, "orders-value", `syntax = "proto3"; package com.example;
message Other { string x = 1; }
message Order { string extra = 1; int64 n = 5; }`)
	c := newConv(t, reg, func(c *protobufconv.Config) { c.AutoRegisterSchemas, c.UseLatestVersion = false, true })
	s := structOf("com.example.Order", record.Field{Name: "n", Schema: record.Int64Schema})
	b, err := c.FromConnect("orders", nil, s, &record.StructValue{Schema: s, Values: []any{int64(7)}})
	if err != nil {
		t.Fatal(err)
	}
	// id 11, indexes [1] (count 1, index 1: 02 02), field 5 varint 7 (28 07).
	if want := []byte{0, 0, 0, 0, 11, 0x02, 0x02, 0x28, 0x07}; !bytes.Equal(b, want) {
		t.Fatalf("got % x, want % x", b, want)
	}
	if reg.Count("Register") != 0 || reg.Count("Latest") != 1 {
		t.Fatalf("calls %v", reg.Calls)
	}
	gs, v, err := c.ToConnect("orders", nil, b)
	if err != nil || gs.Name != "Order" || !reflect.DeepEqual(v.(*record.StructValue).Values, []any{"", int64(7)}) {
		t.Fatalf("read back %v %#v %v", gs, v, err)
	}
	// A field the latest schema lacks is a bad record.
	s2 := structOf("com.example.Order", record.Field{Name: "missing", Schema: record.Int64Schema})
	if _, err := c.FromConnect("orders", nil, s2, &record.StructValue{Schema: s2, Values: []any{int64(1)}}); !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing field: %v", err)
	}
}
