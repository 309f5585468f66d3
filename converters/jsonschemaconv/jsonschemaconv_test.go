package jsonschemaconv_test

import (
	"bytes"
	"math/big"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/converters/jsonschemaconv"
	"github.com/lambda-connect/lambda-connect/converters/registryconv"
	"github.com/lambda-connect/lambda-connect/converters/registryconv/registrytest"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func newConv(t testing.TB, reg jsonschemaconv.Registry, mod func(*jsonschemaconv.Config)) *jsonschemaconv.Converter {
	t.Helper()
	return registrytest.NewConverter(t, jsonschemaconv.DefaultConfig, jsonschemaconv.New, reg, mod)
}

func opt(s *record.Schema) *record.Schema { c := *s; c.Optional = true; return &c }

// structOf is the converters' shared fixture.
var structOf = registrytest.StructOf

// TestRoundTrip writes one value per Connect type and reads it back: same schema, same data.
func TestRoundTrip(t *testing.T) {
	inner := structOf("com.example.Inner", record.Field{Name: "a", Schema: record.StringSchema})
	cases := append(registrytest.TypeCases(), []registrytest.TypeCase{
		{Name: "string", Schema: record.StringSchema, Value: "héllo \"q\""},
		{Name: "optional string null", Schema: record.OptionalString},
		{Name: "timestamp", Schema: registrytest.TimestampSchema, Value: time.UnixMilli(1700000000123).UTC()},
		{Name: "array of optional", Schema: &record.Schema{Type: record.Array, Value: record.OptionalString}, Value: []any{"x", nil}},
		{Name: "map int keys", Schema: &record.Schema{Type: record.Map, Key: record.Int32Schema, Value: record.OptionalString},
			Value: []record.MapEntry{{Key: int32(3), Value: "three"}, {Key: int32(1), Value: nil}}},
		{Name: "enum", Schema: &record.Schema{Type: record.String, Parameters: map[string]string{
			jsonschemaconv.EnumParameter: "", jsonschemaconv.EnumParameter + ".RED": "RED", jsonschemaconv.EnumParameter + ".GREEN": "GREEN"}}, Value: "GREEN"},
	}...)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			// Every type also as a struct field, optional and required.
			s := structOf("com.example.Row",
				record.Field{Name: "v", Schema: tc.Schema},
				record.Field{Name: "o", Schema: opt(tc.Schema)},
				record.Field{Name: "inner", Schema: opt(inner)},
			)
			in := &record.StructValue{Schema: s, Values: []any{tc.Value, nil, nil}}
			if tc.Value != nil {
				in.Values[1] = tc.Value
				in.Values[2] = &record.StructValue{Schema: opt(inner), Values: []any{"x"}}
			}
			c := newConv(t, newMemRegistry(), nil)
			b, err := c.FromConnect("orders", nil, s, in)
			if err != nil {
				t.Fatal(err)
			}
			gs, gv, err := c.ToConnect("orders", nil, b)
			if err != nil {
				t.Fatalf("ToConnect(%q): %v", b, err)
			}
			if !jsonconv.SchemaEqual(gs, s) {
				t.Fatalf("schema changed:\n got %+v\nwant %+v", gs, s)
			}
			got := gv.(*record.StructValue)
			for i := range in.Values {
				if !registrytest.EqualData(got.Values[i], in.Values[i]) {
					t.Errorf("field %d: got %#v, want %#v (json %s)", i, got.Values[i], in.Values[i], b[5:])
				}
			}
		})
	}
}

// TestFixedBytes checks a hand-computed frame: magic 0, id 42 = 00 00 00 2a, then the JSON.
func TestFixedBytes(t *testing.T) {
	const schemaText = `{"type":"object","title":"com.example.User","properties":{"id":{"type":"integer","connect.index":0,"connect.type":"int32"},"name":{"connect.index":1,"oneOf":[{"type":"null"},{"type":"string"}]}}}`
	frame := append([]byte{0x00, 0x00, 0x00, 0x00, 0x2a}, `{"id":7,"name":"Ada"}`...)
	reg := newMemRegistry()
	reg.Add(42, "users-value", schemaText)
	c := newConv(t, reg, func(c *jsonschemaconv.Config) { c.AutoRegisterSchemas = false })
	s, v := registrytest.MustToConnect(t, c, "users", frame)
	want := structOf("com.example.User",
		record.Field{Name: "id", Schema: record.Int32Schema},
		record.Field{Name: "name", Schema: record.OptionalString})
	if !jsonconv.SchemaEqual(s, want) {
		t.Fatalf("schema %+v", s)
	}
	if got := v.(*record.StructValue).Values; !reflect.DeepEqual(got, []any{int32(7), "Ada"}) {
		t.Fatalf("values %#v", got)
	}
	out, err := c.FromConnect("users", nil, want, &record.StructValue{Schema: want, Values: []any{int32(7), "Ada"}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, frame) {
		t.Fatalf("FromConnect:\n got % x\nwant % x", out, frame)
	}
	if reg.Count("Lookup") != 1 || reg.Count("Register") != 0 {
		t.Fatalf("calls %v", reg.Calls)
	}
}

// TestConfluentSchemas reads JSON Schemas as Confluent's converter and users write them.
func TestConfluentSchemas(t *testing.T) {
	cases := []struct {
		name, schema, payload string
		want                  *record.Schema
		values                []any
	}{
		{
			name:    "connect.index order and optional oneOf",
			schema:  `{"type":"object","title":"X.Envelope","properties":{"op":{"type":"string","connect.index":1},"ts":{"connect.index":0,"oneOf":[{"type":"null"},{"type":"integer","title":"io.debezium.time.Timestamp","connect.version":1,"connect.type":"int64"}]}}}`,
			payload: `{"op":"c","ts":5}`,
			want: structOf("X.Envelope",
				record.Field{Name: "ts", Schema: &record.Schema{Type: record.Int64, Optional: true, Name: "io.debezium.time.Timestamp", Version: 1}},
				record.Field{Name: "op", Schema: record.StringSchema}),
			values: []any{int64(5), "c"},
		},
		{
			name:    "declaration order, plain types, type array with null, $ref",
			schema:  `{"type":"object","properties":{"z":{"type":"integer"},"a":{"type":["number","null"]},"r":{"$ref":"#/definitions/R"}},"definitions":{"R":{"type":"object","properties":{"b":{"type":"boolean"}}}}}`,
			payload: `{"z":1,"a":null,"r":{"b":true}}`,
			want: structOf("",
				record.Field{Name: "z", Schema: record.Int64Schema},
				record.Field{Name: "a", Schema: &record.Schema{Type: record.Float64, Optional: true}},
				record.Field{Name: "r", Schema: structOf("", record.Field{Name: "b", Schema: record.BooleanSchema})}),
			values: []any{int64(1), nil, &record.StructValue{Values: []any{true}}},
		},
		{
			name:    "oneOf of two types",
			schema:  `{"type":"object","properties":{"u":{"oneOf":[{"type":"string"},{"type":"integer"}]}}}`,
			payload: `{"u":12}`,
			want: structOf("", record.Field{Name: "u", Schema: &record.Schema{Type: record.Struct, Name: jsonschemaconv.OneOfName, Fields: []record.Field{
				{Name: jsonschemaconv.OneOfName + ".field.0", Index: 0, Schema: record.OptionalString},
				{Name: jsonschemaconv.OneOfName + ".field.1", Index: 1, Schema: &record.Schema{Type: record.Int64, Optional: true}}}}}),
			values: []any{&record.StructValue{Values: []any{nil, int64(12)}}},
		},
		{
			name:    "use.optional.for.nonrequired off: missing property with default",
			schema:  `{"type":"object","properties":{"n":{"type":"integer","default":3},"m":{"type":"object","connect.type":"map","additionalProperties":{"type":"string"}}}}`,
			payload: `{"m":{"k":"v"}}`,
			want: structOf("",
				record.Field{Name: "n", Schema: &record.Schema{Type: record.Int64, Default: int64(3)}},
				record.Field{Name: "m", Schema: &record.Schema{Type: record.Map, Key: record.StringSchema, Value: record.StringSchema}}),
			values: []any{int64(3), []record.MapEntry{{Key: "k", Value: "v"}}},
		},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := newMemRegistry()
			reg.Add(100+i, "", tc.schema)
			c := newConv(t, reg, nil)
			frame := append([]byte{0, 0, 0, 0, byte(100 + i)}, tc.payload...)
			s, v, err := c.ToConnect("t", nil, frame)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonconv.SchemaEqual(s, tc.want) {
				t.Fatalf("schema\n got %s\nwant %s", registrytest.Dump(s), registrytest.Dump(tc.want))
			}
			if !registrytest.EqualData(v, &record.StructValue{Values: tc.values}) {
				t.Fatalf("values %#v", v.(*record.StructValue).Values)
			}
		})
	}
}

// TestSchemaGolden pins the JSON Schema FromConnect registers for a schema with every type.
func TestSchemaGolden(t *testing.T) {
	fields := []record.Field{
		{Name: "i8", Schema: record.Int8Schema},
		{Name: "i16", Schema: opt(record.Int16Schema)},
		{Name: "i32", Schema: record.Int32Schema},
		{Name: "i64", Schema: &record.Schema{Type: record.Int64, Default: int64(5), Doc: "a long"}},
	}
	fields = append(fields, registrytest.ScalarFields()...) // f32 .. time
	fields = append(fields,
		record.Field{Name: "ts", Schema: opt(registrytest.TimestampSchema)},
		record.Field{Name: "arr", Schema: &record.Schema{Type: record.Array, Value: record.StringSchema}},
		record.Field{Name: "smap", Schema: &record.Schema{Type: record.Map, Key: record.StringSchema, Value: record.Int32Schema}},
		record.Field{Name: "imap", Schema: &record.Schema{Type: record.Map, Key: record.Int32Schema, Value: record.StringSchema}},
		record.Field{Name: "nested", Schema: opt(structOf("com.example.Nested", record.Field{Name: "x", Schema: record.Int64Schema}))},
	)
	s := structOf("com.example.Everything", fields...)
	reg := newMemRegistry()
	c := newConv(t, reg, nil)
	if _, err := c.FromConnect("golden", nil, s, nil); err != nil {
		t.Fatal(err)
	}
	vals := make([]any, len(s.Fields))
	vals[0], vals[2], vals[4], vals[5], vals[6] = int8(1), int32(3), float32(0.1), 1e21, false
	vals[8], vals[9], vals[10], vals[11] = []byte("hi"), record.Decimal{Unscaled: big.NewInt(1), Scale: 2}, record.Epoch, record.Epoch
	vals[13], vals[14], vals[15] = []any{}, []record.MapEntry{}, []record.MapEntry{}
	b, err := c.FromConnect("golden", nil, s, &record.StructValue{Schema: s, Values: vals})
	if err != nil {
		t.Fatal(err)
	}
	registrytest.Golden(t, filepath.Join("testdata", "everything.golden"), reg.ByID[1].Schema+"\n"+string(b[5:])+"\n")
	// The registered text reads back as the same Connect schema.
	gs, _, err := c.ToConnect("golden", nil, b)
	if err != nil {
		t.Fatal(err)
	}
	if !jsonconv.SchemaEqual(gs, s) {
		t.Fatalf("read back\n got %s\nwant %s", registrytest.Dump(gs), registrytest.Dump(s))
	}
}

// TestRegistryOncePerID: many records, concurrent, one registry call per id and per schema.
func TestRegistryOncePerID(t *testing.T) {
	reg := newMemRegistry()
	registrytest.RunOncePerID(t, newConv(t, reg, nil), reg, 200, []byte{0, 0, 0, 0x30, 0x39, '{', '}'}, "12345")
}

func TestErrors(t *testing.T) {
	const schemaText = `{"type":"object","properties":{"n":{"type":"integer","connect.type":"int8"},"l":{"type":"array","items":{"type":"string"}}}}`
	cases := append(registrytest.FrameErrorCases([]byte("{}")), []registrytest.ErrorCase{
		{Name: "not JSON", Frame: []byte{0, 0, 0, 0, 1, '{'}, Class: errclass.BadRecord, Msg: "invalid JSON"},
		{Name: "out of range", Frame: append([]byte{0, 0, 0, 0, 1}, `{"n":300,"l":[]}`...), Class: errclass.BadRecord, Msg: `field "n": integer 300 out of range for int8`},
		{Name: "wrong type deep", Frame: append([]byte{0, 0, 0, 0, 1}, `{"n":1,"l":["a",2]}`...), Class: errclass.BadRecord, Msg: `field "l[1]": expected string`},
		{Name: "missing required", Frame: append([]byte{0, 0, 0, 0, 1}, `{"l":[]}`...), Class: errclass.BadRecord, Msg: `field "n": null for a required int8`},
	}...)
	registrytest.RunToConnectErrors(t, cases, func(t *testing.T, fail error) converters.Converter {
		reg := newMemRegistry()
		reg.Add(1, "", schemaText)
		reg.Fail = fail
		return newConv(t, reg, nil)
	})
	// FromConnect: a registry outage is retriable, bad data is a bad record.
	reg := newMemRegistry()
	registrytest.RunFromConnectErrors(t, newConv(t, reg, nil), reg)
}

func TestFailInvalidSchema(t *testing.T) {
	const schemaText = `{"type":"object","properties":{"n":{"type":"integer","minimum":10}}}`
	frame := append([]byte{0, 0, 0, 0, 1}, `{"n":3}`...)
	for _, strict := range []bool{false, true} {
		reg := newMemRegistry()
		reg.Add(1, "", schemaText)
		c := newConv(t, reg, func(c *jsonschemaconv.Config) { c.FailInvalidSchema = strict })
		_, _, err := c.ToConnect("t", nil, frame)
		if strict != (err != nil) {
			t.Fatalf("strict=%v: %v", strict, err)
		}
		if strict && (!errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "does not validate")) {
			t.Fatalf("strict: %v", err)
		}
	}
}

// TestFailInvalidSchemaFromConnect: with json.fail.invalid.schema the written JSON is validated
// too (an enum symbol the schema does not list).
func TestFailInvalidSchemaFromConnect(t *testing.T) {
	enum := &record.Schema{Type: record.String, Parameters: map[string]string{
		jsonschemaconv.EnumParameter: "", jsonschemaconv.EnumParameter + ".A": "A"}}
	s := structOf("E", record.Field{Name: "e", Schema: enum})
	for _, strict := range []bool{false, true} {
		c := newConv(t, newMemRegistry(), func(c *jsonschemaconv.Config) { c.FailInvalidSchema = strict })
		_, err := c.FromConnect("t", nil, s, &record.StructValue{Schema: s, Values: []any{"B"}})
		if strict != (err != nil) || strict && !errclass.Is(err, errclass.BadRecord) {
			t.Fatalf("strict=%v: %v", strict, err)
		}
	}
}

func TestSubjects(t *testing.T) {
	s := structOf("com.example.Order", record.Field{Name: "n", Schema: record.Int64Schema})
	cases := []struct {
		strategy jsonschemaconv.SubjectNameStrategy
		isKey    bool
		want     string
	}{
		{jsonschemaconv.TopicNameStrategy, false, "orders-value"},
		{jsonschemaconv.TopicNameStrategy, true, "orders-key"},
		{jsonschemaconv.RecordNameStrategy, false, "com.example.Order"},
		{jsonschemaconv.TopicRecordNameStrategy, true, "orders-com.example.Order"},
	}
	for _, tc := range cases {
		reg := newMemRegistry()
		c := newConv(t, reg, func(c *jsonschemaconv.Config) {
			c.IsKey, c.KeySubjectNameStrategy, c.ValueSubjectNameStrategy = tc.isKey, tc.strategy, tc.strategy
		})
		if _, err := c.FromConnect("orders", nil, s, &record.StructValue{Schema: s, Values: []any{int64(1)}}); err != nil {
			t.Fatal(err)
		}
		if _, ok := reg.Subjects[tc.want]; !ok || len(reg.Subjects) != 1 {
			t.Errorf("%s key=%v: subjects %v, want %s", tc.strategy, tc.isKey, reg.Subjects, tc.want)
		}
	}
	// use.latest.version: the subject's latest id, no registration.
	reg := newMemRegistry()
	reg.Add(77, "orders-value", `{"type":"object","properties":{"n":{"type":"integer"}}}`)
	c := newConv(t, reg, func(c *jsonschemaconv.Config) { c.AutoRegisterSchemas, c.UseLatestVersion = false, true })
	b, err := c.FromConnect("orders", nil, s, &record.StructValue{Schema: s, Values: []any{int64(1)}})
	if err != nil || !bytes.Equal(b[:5], []byte{0, 0, 0, 0, 77}) || reg.Count("Register") != 0 {
		t.Fatalf("latest: % x %v %v", b, err, reg.Calls)
	}
}

func TestConfigFromProps(t *testing.T) {
	cases := append(registrytest.SharedConfigCases[jsonschemaconv.Config](), []registrytest.ConfigCase[jsonschemaconv.Config]{
		{Props: map[string]string{"schema.registry.url": "http://r:8081", "basic.auth.user.info": "u:p", "auto.register.schemas": " FALSE ", "use.latest.version": "true"},
			Want: func(c *jsonschemaconv.Config) { c.AutoRegisterSchemas, c.UseLatestVersion = false, true }},
		{Props: map[string]string{"schema.registry.url": "http://r:8081", "value.subject.name.strategy": "RecordNameStrategy", "key.subject.name.strategy": "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"},
			Want: func(c *jsonschemaconv.Config) {
				c.ValueSubjectNameStrategy, c.KeySubjectNameStrategy = jsonschemaconv.RecordNameStrategy, jsonschemaconv.TopicRecordNameStrategy
			}},
		{Props: map[string]string{"schema.registry.url": "http://r:8081", "json.fail.invalid.schema": "true", "use.optional.for.nonrequired": "true"},
			Want: func(c *jsonschemaconv.Config) { c.FailInvalidSchema, c.UseOptionalForNonRequired = true, true }},
		{Props: map[string]string{"schema.registry.url": "http://r:8081", "basic.auth.user.info": "u:p", "auto.register.schemas": "yes"}, Err: "auto.register.schemas: must be true or false"},
		{Props: map[string]string{"schema.registry.url": "http://r:8081", "value.subject.name.strategy": "Nope"}, Err: "value.subject.name.strategy: unknown subject name strategy"},
	}...)
	registrytest.RunConfigFromProps(t, jsonschemaconv.ConfigFromProps, jsonschemaconv.DefaultConfig,
		func(c *jsonschemaconv.Config) *registryconv.Settings { return &c.Settings }, cases)
	if _, err := jsonschemaconv.New(jsonschemaconv.DefaultConfig(), nil); !errclass.Is(err, errclass.BadConfig) {
		t.Fatalf("nil registry: %v", err)
	}
}
