package jsonschemaconv_test

import (
	"bytes"
	"errors"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/converters/jsonschemaconv"
	"github.com/lambda-connect/lambda-connect/converters/registryconv/registrytest"
	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func newConv(t testing.TB, reg *memRegistry, mod func(*jsonschemaconv.Config)) *jsonschemaconv.Converter {
	t.Helper()
	cfg := jsonschemaconv.DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	c, err := jsonschemaconv.New(cfg, reg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func opt(s *record.Schema) *record.Schema { c := *s; c.Optional = true; return &c }

// structOf and the logical schemas are the converters' shared fixtures.
var (
	structOf        = registrytest.StructOf
	decimalSchema   = registrytest.DecimalSchema
	dateSchema      = registrytest.DateSchema
	timeSchema      = registrytest.TimeSchema
	timestampSchema = registrytest.TimestampSchema
)

// TestRoundTrip writes one value per Connect type and reads it back: same schema, same data.
func TestRoundTrip(t *testing.T) {
	inner := structOf("com.example.Inner", record.Field{Name: "a", Schema: record.StringSchema})
	cases := []struct {
		name   string
		schema *record.Schema
		value  any
	}{
		{"int8", record.Int8Schema, int8(-8)},
		{"int16", record.Int16Schema, int16(1600)},
		{"int32", record.Int32Schema, int32(-320000)},
		{"int64", record.Int64Schema, int64(1) << 60},
		{"float32", record.Float32Schema, float32(1.5)},
		{"float64", record.Float64Schema, 2.25e-9},
		{"boolean", record.BooleanSchema, true},
		{"string", record.StringSchema, "héllo \"q\""},
		{"bytes", record.BytesSchema, []byte{0, 1, 0xff}},
		{"optional string null", record.OptionalString, nil},
		{"decimal", decimalSchema, record.Decimal{Unscaled: big.NewInt(-12345), Scale: 2}},
		{"date", dateSchema, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"time", timeSchema, record.Epoch.Add(13*time.Hour + 5*time.Millisecond)},
		{"timestamp", timestampSchema, time.UnixMilli(1700000000123).UTC()},
		{"array", &record.Schema{Type: record.Array, Value: record.Int32Schema}, []any{int32(1), int32(2)}},
		{"array of optional", &record.Schema{Type: record.Array, Value: record.OptionalString}, []any{"x", nil}},
		{"map string keys", &record.Schema{Type: record.Map, Key: record.StringSchema, Value: record.Int64Schema},
			[]record.MapEntry{{Key: "b", Value: int64(2)}, {Key: "a", Value: int64(1)}}},
		{"map int keys", &record.Schema{Type: record.Map, Key: record.Int32Schema, Value: record.OptionalString},
			[]record.MapEntry{{Key: int32(3), Value: "three"}, {Key: int32(1), Value: nil}}},
		{"enum", &record.Schema{Type: record.String, Parameters: map[string]string{
			jsonschemaconv.EnumParameter: "", jsonschemaconv.EnumParameter + ".RED": "RED", jsonschemaconv.EnumParameter + ".GREEN": "GREEN"}}, "GREEN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Every type also as a struct field, optional and required.
			s := structOf("com.example.Row",
				record.Field{Name: "v", Schema: tc.schema},
				record.Field{Name: "o", Schema: opt(tc.schema)},
				record.Field{Name: "inner", Schema: opt(inner)},
			)
			in := &record.StructValue{Schema: s, Values: []any{tc.value, nil, nil}}
			if tc.value != nil {
				in.Values[1] = tc.value
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
				if !equalData(got.Values[i], in.Values[i]) {
					t.Errorf("field %d: got %#v, want %#v (json %s)", i, got.Values[i], in.Values[i], b[5:])
				}
			}
		})
	}
}

// equalData compares Connect data, structs by values and decimals by value.
func equalData(a, b any) bool {
	switch x := a.(type) {
	case *record.StructValue:
		y, ok := b.(*record.StructValue)
		if !ok || len(x.Values) != len(y.Values) {
			return false
		}
		for i := range x.Values {
			if !equalData(x.Values[i], y.Values[i]) {
				return false
			}
		}
		return true
	case record.Decimal:
		y, ok := b.(record.Decimal)
		return ok && x.Scale == y.Scale && x.Unscaled.Cmp(y.Unscaled) == 0
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	return reflect.DeepEqual(a, b)
}

// TestFixedBytes checks a hand-computed frame: magic 0, id 42 = 00 00 00 2a, then the JSON.
func TestFixedBytes(t *testing.T) {
	const schemaText = `{"type":"object","title":"com.example.User","properties":{"id":{"type":"integer","connect.index":0,"connect.type":"int32"},"name":{"connect.index":1,"oneOf":[{"type":"null"},{"type":"string"}]}}}`
	frame := append([]byte{0x00, 0x00, 0x00, 0x00, 0x2a}, `{"id":7,"name":"Ada"}`...)
	reg := newMemRegistry()
	reg.Add(42, "users-value", schemaText)
	c := newConv(t, reg, func(c *jsonschemaconv.Config) { c.AutoRegisterSchemas = false })

	s, v, err := c.ToConnect("users", nil, frame)
	if err != nil {
		t.Fatal(err)
	}
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
				t.Fatalf("schema\n got %s\nwant %s", dump(s), dump(tc.want))
			}
			if !equalData(v, &record.StructValue{Values: tc.values}) {
				t.Fatalf("values %#v", v.(*record.StructValue).Values)
			}
		})
	}
}

func dump(s *record.Schema) string {
	c, _ := jsonconv.New(jsonconv.DefaultConfig())
	b, _ := c.SchemaJSON(s)
	return string(b)
}

// TestSchemaGolden pins the JSON Schema FromConnect registers for a schema with every type.
func TestSchemaGolden(t *testing.T) {
	s := structOf("com.example.Everything",
		record.Field{Name: "i8", Schema: record.Int8Schema},
		record.Field{Name: "i16", Schema: opt(record.Int16Schema)},
		record.Field{Name: "i32", Schema: record.Int32Schema},
		record.Field{Name: "i64", Schema: &record.Schema{Type: record.Int64, Default: int64(5), Doc: "a long"}},
		record.Field{Name: "f32", Schema: record.Float32Schema},
		record.Field{Name: "f64", Schema: record.Float64Schema},
		record.Field{Name: "b", Schema: record.BooleanSchema},
		record.Field{Name: "s", Schema: record.OptionalString},
		record.Field{Name: "bytes", Schema: record.BytesSchema},
		record.Field{Name: "dec", Schema: decimalSchema},
		record.Field{Name: "date", Schema: dateSchema},
		record.Field{Name: "time", Schema: timeSchema},
		record.Field{Name: "ts", Schema: opt(timestampSchema)},
		record.Field{Name: "arr", Schema: &record.Schema{Type: record.Array, Value: record.StringSchema}},
		record.Field{Name: "smap", Schema: &record.Schema{Type: record.Map, Key: record.StringSchema, Value: record.Int32Schema}},
		record.Field{Name: "imap", Schema: &record.Schema{Type: record.Map, Key: record.Int32Schema, Value: record.StringSchema}},
		record.Field{Name: "nested", Schema: opt(structOf("com.example.Nested", record.Field{Name: "x", Schema: record.Int64Schema}))},
	)
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
	got := reg.ByID[1].Schema + "\n" + string(b[5:]) + "\n"
	path := filepath.Join("testdata", "everything.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("golden mismatch (go test -update):\n got %s\nwant %s", got, want)
	}
	// The registered text reads back as the same Connect schema.
	gs, _, err := c.ToConnect("golden", nil, b)
	if err != nil {
		t.Fatal(err)
	}
	if !jsonconv.SchemaEqual(gs, s) {
		t.Fatalf("read back\n got %s\nwant %s", dump(gs), dump(s))
	}
}

// TestRegistryOncePerID: many records, concurrent, one registry call per id and per schema.
func TestRegistryOncePerID(t *testing.T) {
	reg := newMemRegistry()
	registrytest.RunOncePerID(t, newConv(t, reg, nil), reg, 200, []byte{0, 0, 0, 0x30, 0x39, '{', '}'}, "12345")
}

func TestErrors(t *testing.T) {
	const schemaText = `{"type":"object","properties":{"n":{"type":"integer","connect.type":"int8"},"l":{"type":"array","items":{"type":"string"}}}}`
	outage := errclass.Retry("schema registry", "GET /schemas/ids/1: 503 Service Unavailable")
	cases := []struct {
		name  string
		frame []byte
		fail  error
		class errclass.Class
		msg   string
	}{
		{"short frame", []byte{0, 0, 1}, nil, errclass.BadRecord, "too short for the 5-byte"},
		{"bad magic", []byte{1, 0, 0, 0, 1, '{', '}'}, nil, errclass.BadRecord, "magic byte 0x01"},
		{"unknown id", []byte{0, 0, 0, 0, 9, '{', '}'}, nil, errclass.BadRecord, "schema id 9"},
		{"registry outage", []byte{0, 0, 0, 0, 1, '{', '}'}, outage, errclass.Retriable, "503"},
		{"unclassified registry error", []byte{0, 0, 0, 0, 1, '{', '}'}, errors.New("connection refused"), errclass.Retriable, "connection refused"},
		{"registry 404 unclassified", []byte{0, 0, 0, 0, 1, '{', '}'}, &schemaregistry.APIError{Method: "GET", Path: "/schemas/ids/1", Status: 404, Code: 40403, Msg: "Schema 1 not found"}, errclass.BadRecord, "HTTP 404"},
		{"registry 500 unclassified", []byte{0, 0, 0, 0, 1, '{', '}'}, &schemaregistry.APIError{Method: "GET", Path: "/schemas/ids/1", Status: 500, Code: 50001}, errclass.Retriable, "HTTP 500"},
		{"not JSON", []byte{0, 0, 0, 0, 1, '{'}, nil, errclass.BadRecord, "invalid JSON"},
		{"out of range", append([]byte{0, 0, 0, 0, 1}, `{"n":300,"l":[]}`...), nil, errclass.BadRecord, `field "n": integer 300 out of range for int8`},
		{"wrong type deep", append([]byte{0, 0, 0, 0, 1}, `{"n":1,"l":["a",2]}`...), nil, errclass.BadRecord, `field "l[1]": expected string`},
		{"missing required", append([]byte{0, 0, 0, 0, 1}, `{"l":[]}`...), nil, errclass.BadRecord, `field "n": null for a required int8`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := newMemRegistry()
			reg.Add(1, "", schemaText)
			reg.Fail = tc.fail
			c := newConv(t, reg, nil)
			_, _, err := c.ToConnect("orders", nil, tc.frame)
			if err == nil {
				t.Fatal("no error")
			}
			if errclass.Of(err) != tc.class || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "orders: ") {
				t.Fatalf("got %v (%v), want %v containing %q naming the topic", err, errclass.Of(err), tc.class, tc.msg)
			}
		})
	}
	// FromConnect: a registry outage is retriable, bad data is a bad record.
	reg := newMemRegistry()
	reg.Fail = errclass.Retry("schema registry", "503")
	c := newConv(t, reg, nil)
	s := structOf("R", record.Field{Name: "n", Schema: record.Int64Schema})
	if _, err := c.FromConnect("t", nil, s, &record.StructValue{Schema: s, Values: []any{int64(1)}}); !errclass.Is(err, errclass.Retriable) {
		t.Fatalf("outage: %v", err)
	}
	reg.Fail = nil
	if _, err := c.FromConnect("t", nil, s, &record.StructValue{Schema: s, Values: []any{"x"}}); !errclass.Is(err, errclass.BadRecord) {
		t.Fatalf("bad data: %v", err)
	}
	if _, err := c.FromConnect("t", nil, nil, map[string]any{"a": 1}); !errclass.Is(err, errclass.BadRecord) {
		t.Fatalf("schemaless: %v", err)
	}
	if b, err := c.FromConnect("t", nil, s, nil); b != nil || err != nil {
		t.Fatalf("tombstone: %v %v", b, err)
	}
	if s, v, err := c.ToConnect("t", nil, nil); s != nil || v != nil || err != nil {
		t.Fatalf("tombstone: %v %v %v", s, v, err)
	}
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
	cases := []struct {
		props map[string]string
		want  func(*jsonschemaconv.Config)
		err   string
	}{
		{props: map[string]string{"schema.registry.url": "http://r:8081"}, want: func(*jsonschemaconv.Config) {}},
		{props: nil, err: "schema.registry.url: required"},
		{props: map[string]string{"schema.registry.url": "http://r", "schemas.enable": "true"}, err: "schemas.enable: unknown"},
		{props: map[string]string{"schema.registry.url": "http://r", "schemas.cache.size": "-1"}, err: "schemas.cache.size: must not be negative"},
		{props: map[string]string{"schema.registry.url": "http://r:8081", "basic.auth.user.info": "u:p", "auto.register.schemas": " FALSE ", "use.latest.version": "true"},
			want: func(c *jsonschemaconv.Config) { c.AutoRegisterSchemas, c.UseLatestVersion = false, true }},
		{props: map[string]string{"schema.registry.url": "http://r:8081", "value.subject.name.strategy": "RecordNameStrategy", "key.subject.name.strategy": "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"},
			want: func(c *jsonschemaconv.Config) {
				c.ValueSubjectNameStrategy, c.KeySubjectNameStrategy = jsonschemaconv.RecordNameStrategy, jsonschemaconv.TopicRecordNameStrategy
			}},
		{props: map[string]string{"schema.registry.url": "http://r:8081", "json.fail.invalid.schema": "true", "use.optional.for.nonrequired": "true"},
			want: func(c *jsonschemaconv.Config) { c.FailInvalidSchema, c.UseOptionalForNonRequired = true, true }},
		{props: map[string]string{"schema.registry.url": "http://r:8081", "basic.auth.user.info": "u:p", "auto.register.schemas": "yes"}, err: "auto.register.schemas: must be true or false"},
		{props: map[string]string{"schema.registry.url": "http://r:8081", "value.subject.name.strategy": "Nope"}, err: "value.subject.name.strategy: unknown subject name strategy"},
	}
	for _, tc := range cases {
		got, err := jsonschemaconv.ConfigFromProps(tc.props)
		if tc.err != "" {
			if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: got %v, want %q", tc.props, err, tc.err)
			}
			continue
		}
		want := jsonschemaconv.DefaultConfig()
		tc.want(&want)
		want.Registry = map[string]string{"schema.registry.url": tc.props["schema.registry.url"]}
		if tc.props["basic.auth.user.info"] != "" {
			want.Registry["basic.auth.user.info"] = tc.props["basic.auth.user.info"]
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%v: got %+v %v, want %+v", tc.props, got, err, want)
		}
	}
	if _, err := jsonschemaconv.New(jsonschemaconv.DefaultConfig(), nil); !errclass.Is(err, errclass.BadConfig) {
		t.Fatalf("nil registry: %v", err)
	}
}
