package transforms_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// InsertField, ReplaceField, MaskField, ValueToKey, ExtractField, HoistField and Flatten, on
// schemaless maps, schemaless RawJSON and schema'd structs, after Connect's tests and documented
// examples.

func TestInsertFieldSchemaless(t *testing.T) {
	c := one(t, "InsertField$Value", "topic.field=topic_field!", "partition.field=partition_field", "offset.field=offset_field!",
		"timestamp.field=timestamp_field?", "static.field=instance_id", "static.value=my-instance-id")
	want := `{"magic":42,"topic_field":"test","partition_field":2,"offset_field":42,"timestamp_field":1483425001864,"instance_id":"my-instance-id"}`
	for _, v := range []any{map[string]any{"magic": int64(42)}, record.RawJSON(`{"magic":42}`), record.RawJSON(" {\n \"magic\" : 42 }")} {
		out := apply(t, c, rec(v))
		jsonEqual(t, out.ValueData, want)
		if out.ValueSchema != nil {
			t.Errorf("schema = %v", out.ValueSchema)
		}
	}
	// Existing fields are overwritten; without a timestamp there is no timestamp field.
	r := rec(record.RawJSON(`{"topic_field":"old","x":{"nested":[1,"]"]},"topic_field":"older"}`))
	r.TimestampType = record.NoTimestampType
	jsonEqual(t, apply(t, c, r).ValueData, `{"topic_field":"test","x":{"nested":[1,"]"]},"partition_field":2,"offset_field":42,"instance_id":"my-instance-id"}`)
}

func TestInsertFieldWithSchema(t *testing.T) {
	c := one(t, "InsertField$Value", "topic.field=topic_field!", "partition.field=partition_field", "offset.field=offset_field!",
		"timestamp.field=timestamp_field?", "static.field=instance_id", "static.value=my-instance-id")
	s, sv := structOf("magic", int64S, int64(42))
	s.Name, s.Version, s.Doc = "name", 1, "doc"
	r := rec(sv)
	r.ValueSchema = s
	out := apply(t, c, r)
	us := out.ValueSchema
	if got := fieldNames(us); !reflect.DeepEqual(got, []string{"magic:int64", "topic_field:string", "partition_field:int32?", "offset_field:int64", "timestamp_field:int64?(Timestamp)", "instance_id:string?"}) {
		t.Errorf("fields = %v", got)
	}
	if us.Name != "name" || us.Version != 1 || us.Doc != "doc" {
		t.Errorf("schema basics not copied: %+v", us)
	}
	want := []any{int64(42), "test", int32(2), int64(42), ms(ts), "my-instance-id"}
	if got := out.ValueData.(*record.StructValue).Values; !reflect.DeepEqual(got, want) {
		t.Errorf("values = %#v, want %#v", got, want)
	}
	if out2 := apply(t, c, r); out2.ValueSchema != us {
		t.Error("updated schema not cached")
	}
	// A required timestamp field without a timestamp cannot be filled.
	req := one(t, "InsertField$Value", "timestamp.field=ts!")
	r.TimestampType = record.NoTimestampType
	applyErr(t, req, r, `null used for required field: "ts"`)
	// A name the struct already has cannot be added.
	dup := one(t, "InsertField$Value", "topic.field=magic")
	applyErr(t, dup, rec(sv), "only map objects")
	r = rec(sv)
	r.ValueSchema = s
	applyErr(t, dup, r, "field name duplication magic")
}

func TestInsertFieldTombstoneAndKey(t *testing.T) {
	c := one(t, "InsertField$Value", "topic.field=t")
	r := rec(nil)
	if out := apply(t, c, r); !reflect.DeepEqual(out, r) {
		t.Errorf("tombstone changed: %+v", out)
	}
	k := one(t, "InsertField$Key", "partition.field=p")
	out := apply(t, k, keyRec(record.RawJSON(`{"id":1}`)))
	jsonEqual(t, out.KeyData, `{"id":1,"p":2}`)
	if out.ValueData != "v" {
		t.Errorf("value changed: %v", out.ValueData)
	}
	applyErr(t, c, rec("a string"), "only map objects supported in absence of schema for [field insertion], found: string")
}

func TestReplaceField(t *testing.T) {
	// Connect's ReplaceFieldTest.
	tests := []struct {
		settings []string
		want     string
	}{
		{[]string{"exclude=dont", "renames=abc:xyz,foo:bar"}, `{"xyz":42,"bar":true,"etc":"etc"}`},
		{[]string{"include=abc,foo", "renames=abc:xyz,foo:bar"}, `{"xyz":42,"bar":true}`},
		{[]string{"blacklist=dont,etc"}, `{"abc":42,"foo":true}`},
		{[]string{"whitelist=abc", "include=foo"}, `{"foo":true}`}, // include wins over whitelist
		{[]string{"include=abc,etc", "exclude=etc"}, `{"abc":42}`},
		{[]string{"renames=etc:abc"}, `{"dont":"whatever","foo":true,"abc":"etc"}`},
	}
	value := `{"dont":"whatever","abc":42,"foo":true,"etc":"etc"}`
	for _, tt := range tests {
		c := one(t, "ReplaceField$Value", tt.settings...)
		for _, v := range []any{record.RawJSON(value), mapOf(t, value)} {
			out := apply(t, c, rec(v))
			if tt.settings[0] == "renames=etc:abc" {
				if _, isMap := v.(map[string]any); isMap {
					continue // the order of a renamed collision is undefined for a map, as for Connect's HashMap
				}
			}
			jsonEqual(t, out.ValueData, tt.want)
		}
	}
}

func TestReplaceFieldWithSchema(t *testing.T) {
	c := one(t, "ReplaceField$Value", "exclude=dont", "renames=abc:xyz,foo:bar")
	s, sv := structOf("dont", strS, "whatever", "abc", int32S, int32(42), "foo", boolS, true, "etc", strS, "etc")
	r := rec(sv)
	r.ValueSchema = s
	out := apply(t, c, r)
	if got := fieldNames(out.ValueSchema); !reflect.DeepEqual(got, []string{"xyz:int32", "bar:boolean", "etc:string"}) {
		t.Errorf("fields = %v", got)
	}
	if got := out.ValueData.(*record.StructValue).Values; !reflect.DeepEqual(got, []any{int32(42), true, "etc"}) {
		t.Errorf("values = %v", got)
	}
	// A tombstone passes through.
	r = rec(nil)
	r.ValueSchema = s
	if out := apply(t, c, r); out.ValueData != nil || out.ValueSchema != s {
		t.Errorf("tombstone = %v %v", out.ValueSchema, out.ValueData)
	}
	// Renaming onto an existing field is a duplicate.
	applyErr(t, one(t, "ReplaceField$Value", "renames=abc:foo"), func() record.Record { r := rec(sv); r.ValueSchema = s; return r }(), "duplication")
}

func TestMaskFieldSchemaless(t *testing.T) {
	// Connect's MaskFieldTest.
	value := map[string]any{
		"magic": int64(42), "bool": true, "byte": int8(42), "short": int16(42), "int": int32(42), "long": int64(42),
		"float": float32(42), "double": float64(42), "string": "55.121.20.20", "date": ms(1000), "bigint": record.Decimal{},
		"list": []any{"one", "two"}, "map": map[string]any{"K": "V"},
	}
	fields := "fields=bool,byte,short,int,long,float,double,string,date,list,map,missing"
	out := apply(t, one(t, "MaskField$Value", fields), rec(value)).ValueData.(map[string]any)
	want := map[string]any{
		"magic": int64(42), "bool": false, "byte": int8(0), "short": int16(0), "int": int32(0), "long": int64(0),
		"float": float32(0), "double": float64(0), "string": "", "date": record.Epoch, "bigint": record.Decimal{},
		"list": []any{}, "map": map[string]any{}, "missing": nil,
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("masked = %#v\nwant %#v", out, want)
	}
	// With a replacement: numbers and strings take it, converted.
	out = apply(t, one(t, "MaskField$Value", "fields=byte,short,int,long,float,double,string", "replacement=123"), rec(value)).ValueData.(map[string]any)
	for k, v := range map[string]any{"byte": int8(123), "short": int16(123), "int": int32(123), "long": int64(123), "float": float32(123), "double": float64(123), "string": "123"} {
		if !reflect.DeepEqual(out[k], v) {
			t.Errorf("%s = %#v, want %#v", k, out[k], v)
		}
	}
	applyErr(t, one(t, "MaskField$Value", "fields=bool", "replacement=123"), rec(value), `field "bool": cannot mask value of type boolean with custom replacement`)
	applyErr(t, one(t, "MaskField$Value", "fields=int", "replacement=abc"), rec(value), "unable to convert abc (string) to number")
	applyErr(t, one(t, "MaskField$Value", "fields=magic"), rec(nil), "only map objects supported in absence of schema for [mask fields], found: null")
}

func TestMaskFieldRawJSON(t *testing.T) {
	value := record.RawJSON(`{"s":"secret","l":42,"d":4.2,"e":1e3,"big":12345678901234567890,"b":true,"o":{"x":1},"a":[1],"n":null,"keep":"k"}`)
	c := one(t, "MaskField$Value", "fields=s,l,d,e,big,b,o,a,n,missing")
	out := apply(t, c, rec(value))
	if got := string(out.ValueData.(record.RawJSON)); got != `{"s":"","l":0,"d":0.0,"e":0.0,"big":0.0,"b":false,"o":{},"a":[],"n":null,"keep":"k","missing":null}` {
		t.Errorf("masked = %s", got)
	}
	// The raw path agrees with the map path.
	parsed := apply(t, c, rec(mapOf(t, string(value))))
	jsonEqual(t, parsed.ValueData, string(out.ValueData.(record.RawJSON)))

	out = apply(t, one(t, "MaskField$Value", "fields=s,l,d", "replacement=12.7"), rec(value))
	if got := string(out.ValueData.(record.RawJSON)); !strings.HasPrefix(got, `{"s":"12.7","l":12,"d":12.7,`) {
		t.Errorf("masked with replacement = %s", got)
	}
	applyErr(t, one(t, "MaskField$Value", "fields=o", "replacement=x"), rec(value), "cannot mask value of type map with custom replacement")
}

func TestMaskFieldWithSchema(t *testing.T) {
	s, sv := structOf("magic", int64S, int64(42), "bool", boolS, true, "int", int32S, int32(42), "string", strS, "x",
		"ts", tsS, ms(5000), "bytes", bytesS, []byte("x"))
	r := rec(sv)
	r.ValueSchema = s
	out := apply(t, one(t, "MaskField$Value", "fields=bool,int,string,ts"), r)
	if out.ValueSchema != s {
		t.Error("schema changed")
	}
	if got := out.ValueData.(*record.StructValue).Values; !reflect.DeepEqual(got, []any{int64(42), false, int32(0), "", record.Epoch, []byte("x")}) {
		t.Errorf("values = %#v", got)
	}
	applyErr(t, one(t, "MaskField$Value", "fields=bytes"), r, "cannot mask value of type bytes")
}

func TestValueToKey(t *testing.T) {
	c := one(t, "org.apache.kafka.connect.transforms.ValueToKey", "fields=a,b")
	for _, v := range []any{map[string]any{"a": int64(1), "b": int64(2), "c": int64(3)}, record.RawJSON(`{"a":1,"b":2,"c":3}`)} {
		out := apply(t, c, rec(v))
		jsonEqual(t, out.KeyData, `{"a":1,"b":2}`)
		if out.KeySchema != nil || !reflect.DeepEqual(out.ValueData, v) {
			t.Errorf("key schema %v, value %v", out.KeySchema, out.ValueData)
		}
	}
	jsonEqual(t, apply(t, c, rec(record.RawJSON(`{"b":"x"}`))).KeyData, `{"a":null,"b":"x"}`)

	s, sv := structOf("a", int32S, int32(1), "b", int32S, int32(2), "c", int32S, int32(3))
	r := rec(sv)
	r.ValueSchema = s
	out := apply(t, c, r)
	if got := fieldNames(out.KeySchema); !reflect.DeepEqual(got, []string{"a:int32", "b:int32"}) {
		t.Errorf("key fields = %v", got)
	}
	if got := out.KeyData.(*record.StructValue).Values; !reflect.DeepEqual(got, []any{int32(1), int32(2)}) {
		t.Errorf("key values = %v", got)
	}
	applyErr(t, one(t, "ValueToKey", "fields=zz"), r, "unknown field: zz")
	applyErr(t, c, rec(nil), "found: null")
}

func TestExtractField(t *testing.T) {
	c := one(t, "ExtractField$Key", "field=magic")
	for _, k := range []any{map[string]any{"magic": int64(42)}, record.RawJSON(`{"other":{"magic":1},"magic":42}`)} {
		if got := normalize(t, apply(t, c, keyRec(k)).KeyData); got != float64(42) {
			t.Errorf("extracted %v", got)
		}
	}
	for _, k := range []any{nil, map[string]any{"x": 1}, record.RawJSON(`{"magic":null}`), record.RawJSON(`{}`)} {
		if got := apply(t, c, keyRec(k)).KeyData; got != nil {
			t.Errorf("extract from %v = %#v, want nil", k, got)
		}
	}
	if got := apply(t, c, keyRec(record.RawJSON(`{"magic":{"deep":[1,2]}}`))).KeyData; string(got.(record.RawJSON)) != `{"deep":[1,2]}` {
		t.Errorf("nested = %s", got)
	}
	applyErr(t, c, keyRec(record.RawJSON(`"str"`)), "found: string")

	s, sv := structOf("magic", int32S, int32(42))
	r := keyRec(sv)
	r.KeySchema = s
	out := apply(t, c, r)
	if out.KeySchema != int32S || out.KeyData != int32(42) {
		t.Errorf("extracted %v %v", out.KeySchema, out.KeyData)
	}
	r.KeyData = nil
	if out := apply(t, c, r); out.KeySchema != int32S || out.KeyData != nil {
		t.Errorf("null key: %v %v", out.KeySchema, out.KeyData)
	}
	applyErr(t, one(t, "ExtractField$Key", "field=nope"), r, "unknown field: nope")
}

func TestHoistField(t *testing.T) {
	c := one(t, "HoistField$Value", "field=magic")
	jsonEqual(t, apply(t, c, rec(int64(42))).ValueData, `{"magic":42}`)
	if got := apply(t, c, rec(record.RawJSON(`[1, 2]`))).ValueData; string(got.(record.RawJSON)) != `{"magic":[1, 2]}` {
		t.Errorf("hoisted %s", got)
	}
	// Connect hoists a null too: the record is no longer a tombstone.
	if got := apply(t, c, rec(nil)).ValueData; !reflect.DeepEqual(got, map[string]any{"magic": nil}) {
		t.Errorf("hoisted null = %#v", got)
	}
	r := rec(int32(42))
	r.ValueSchema = int32S
	out := apply(t, c, r)
	if got := fieldNames(out.ValueSchema); !reflect.DeepEqual(got, []string{"magic:int32"}) || out.ValueData.(*record.StructValue).Values[0] != int32(42) {
		t.Errorf("hoisted %v %v", got, out.ValueData)
	}
	r.ValueData = nil
	applyErr(t, c, r, `null used for required field: "magic"`)
}

func TestFlattenSchemaless(t *testing.T) {
	// Connect's FlattenTest and the Confluent documentation's example.
	c := one(t, "Flatten$Value", "delimiter=#")
	in := `{"A":{"B":{"int8":8,"string":"stringy","bool":true,"null":null,"arr":[1,{"x":2}]}},"top":1,"empty":{}}`
	want := `{"A#B#int8":8,"A#B#string":"stringy","A#B#bool":true,"A#B#null":null,"A#B#arr":[1,{"x":2}],"top":1}`
	for _, v := range []any{record.RawJSON(in), mapOf(t, in)} {
		jsonEqual(t, apply(t, c, rec(v)).ValueData, want)
	}
	doc := one(t, "Flatten$Value", "delimiter=_")
	jsonEqual(t, apply(t, doc, rec(record.RawJSON(`{"content":{"id":42,"name":{"first":"David","middle":null,"last":"Wong"}}}`))).ValueData,
		`{"content_id":42,"content_name_first":"David","content_name_middle":null,"content_name_last":"Wong"}`)
	if out := apply(t, c, rec(nil)); out.ValueData != nil {
		t.Errorf("tombstone = %v", out.ValueData)
	}
	applyErr(t, c, rec(map[string]any{"t": ms(0)}), "not supported by Connect's data API")
}

func TestFlattenWithSchema(t *testing.T) {
	inner := &record.Schema{Type: record.Struct, Optional: true, Fields: []record.Field{
		{Name: "int8", Index: 0, Schema: int8S},
		{Name: "str", Index: 1, Schema: &record.Schema{Type: record.String, Default: "dflt"}},
	}}
	arr := &record.Schema{Type: record.Array, Value: int32S}
	outer := &record.Schema{Type: record.Struct, Name: "outer", Fields: []record.Field{
		{Name: "A", Index: 0, Schema: inner},
		{Name: "n", Index: 1, Schema: int64S},
		{Name: "arr", Index: 2, Schema: arr},
	}}
	v := &record.StructValue{Schema: outer, Values: []any{&record.StructValue{Schema: inner, Values: []any{int8(8), "s"}}, int64(1), []any{int32(1)}}}
	r := rec(v)
	r.ValueSchema = outer
	c := one(t, "Flatten$Value")
	out := apply(t, c, r)
	if got := fieldNames(out.ValueSchema); !reflect.DeepEqual(got, []string{"A.int8:int8?", "A.str:string?", "n:int64", "arr:array"}) {
		t.Errorf("fields = %v", got)
	}
	if out.ValueSchema.Name != "outer" || out.ValueSchema.Fields[1].Schema.Default != "dflt" {
		t.Errorf("schema = %+v", out.ValueSchema)
	}
	if got := out.ValueData.(*record.StructValue).Values; !reflect.DeepEqual(got, []any{int8(8), "s", int64(1), []any{int32(1)}}) {
		t.Errorf("values = %#v", got)
	}
	// A null nested struct flattens to nulls.
	v2 := &record.StructValue{Schema: outer, Values: []any{nil, int64(2), nil}}
	r.ValueData = v2
	if got := apply(t, c, r).ValueData.(*record.StructValue).Values; !reflect.DeepEqual(got, []any{nil, nil, int64(2), nil}) {
		t.Errorf("values = %#v", got)
	}
	m := &record.Schema{Type: record.Struct, Fields: []record.Field{{Name: "m", Schema: &record.Schema{Type: record.Map, Key: strS, Value: strS}}}}
	r.ValueSchema, r.ValueData = m, &record.StructValue{Schema: m, Values: []any{nil}}
	applyErr(t, c, r, "does not support map for record with schemas (for field m)")
}

// mapOf parses JSON into schemaless data, as the JSON converter and jsonconv.Parse make it.
func mapOf(t testing.TB, s string) map[string]any {
	t.Helper()
	v := normalizeParse(t, s)
	return v.(map[string]any)
}

// Connect's FlattenTest.testOptionalAndDefaultValuesNested: an optional parent makes its
// flattened children optional, and its default gives them defaults.
func TestFlattenOptionalAndDefaultsNested(t *testing.T) {
	s := &record.Schema{Type: record.Struct, Optional: true, Fields: []record.Field{
		{Name: "req_field", Index: 0, Schema: strS},
		{Name: "opt_field", Index: 1, Schema: &record.Schema{Type: record.String, Optional: true, Default: "child_default"}},
	}}
	s.Default = &record.StructValue{Schema: s, Values: []any{"req_default", nil}}
	r := rec(&record.StructValue{Schema: s, Values: []any{nil, nil}})
	r.ValueSchema = s
	us := apply(t, one(t, "Flatten$Value"), r).ValueSchema
	if got := fieldNames(us); !reflect.DeepEqual(got, []string{"req_field:string?", "opt_field:string?"}) {
		t.Errorf("fields = %v", got)
	}
	if us.Fields[0].Schema.Default != "req_default" || us.Fields[1].Schema.Default != "child_default" || !us.Optional {
		t.Errorf("defaults = %v, %v; optional %v", us.Fields[0].Schema.Default, us.Fields[1].Schema.Default, us.Optional)
	}
	// A tombstone with a schema keeps its schema.
	r = rec(nil)
	r.ValueSchema = s
	if out := apply(t, one(t, "Flatten$Value"), r); out.ValueSchema != s || out.ValueData != nil {
		t.Errorf("tombstone = %v %v", out.ValueSchema, out.ValueData)
	}
}
