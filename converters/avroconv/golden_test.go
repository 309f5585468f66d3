package avroconv

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/lambda-connect/lambda-connect/core/record"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// everything is a struct holding every Connect type, logical type and optional form.
var everything = &record.Schema{Type: record.Struct, Name: "com.example.Everything", Doc: "all the types", Version: 2,
	Parameters: map[string]string{"team": "data"}, Fields: []record.Field{
		{Name: "i8", Index: 0, Schema: record.Int8Schema},
		{Name: "i16", Index: 1, Schema: record.Int16Schema},
		{Name: "i32", Index: 2, Schema: &record.Schema{Type: record.Int32, Optional: true, Default: int32(7)}},
		{Name: "i64", Index: 3, Schema: record.Int64Schema},
		{Name: "f32", Index: 4, Schema: record.Float32Schema},
		{Name: "f64", Index: 5, Schema: record.Float64Schema},
		{Name: "bool", Index: 6, Schema: &record.Schema{Type: record.Boolean, Default: true}},
		{Name: "str", Index: 7, Schema: &record.Schema{Type: record.String, Doc: "a string"}},
		{Name: "bytes", Index: 8, Schema: record.OptionalBytes},
		{Name: "dec", Index: 9, Schema: decimalSchema},
		{Name: "date", Index: 10, Schema: dateSchema},
		{Name: "time", Index: 11, Schema: timeSchema},
		{Name: "ts", Index: 12, Schema: opt(*timestampSchema)},
		{Name: "suit", Index: 13, Schema: enumSchema},
		{Name: "md5", Index: 14, Schema: fixedSchema},
		{Name: "tags", Index: 15, Schema: &record.Schema{Type: record.Array, Value: record.StringSchema}},
		{Name: "counts", Index: 16, Schema: mapSchema},
		{Name: "byID", Index: 17, Schema: intMapSchema},
		{Name: "point", Index: 18, Schema: pointSchema},
		{Name: "again", Index: 19, Schema: opt(*pointSchema)},
		{Name: "anon", Index: 20, Schema: anonSchema},
		{Name: "either", Index: 21, Schema: unionSchema},
	}}

func TestGoldenSchema(t *testing.T) {
	a, err := SchemaFromConnect(everything)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	golden := filepath.Join("testdata", "everything.avsc")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("SchemaFromConnect(everything) differs from %s:\n%s", golden, out.Bytes())
	}
	// The golden text parses (as a registry or another Avro library would read it) and maps back
	// to the same Connect schema, except the defaults Avro cannot carry.
	parsed, err := avro.ParseWithCache(string(want), "", &avro.SchemaCache{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := SchemaToConnect(parsed)
	if err != nil {
		t.Fatal(err)
	}
	if !schemaEqual(back, everything) {
		for i := range everything.Fields {
			if !schemaEqual(back.Fields[i].Schema, everything.Fields[i].Schema) {
				t.Errorf("field %s: %+v, want %+v", everything.Fields[i].Name, back.Fields[i].Schema, everything.Fields[i].Schema)
			}
		}
		t.Errorf("schema round trip: %+v", back)
	}
}

// everythingValue is a value of everything with every field set.
func everythingValue() *record.StructValue {
	return &record.StructValue{Schema: everything, Values: []any{
		int8(-8), int16(1600), int32(32), int64(-64), float32(0.5), -2.25, true, "text", []byte{1, 2},
		dec(31415, 2), record.Epoch.AddDate(54, 0, 0), record.Epoch.Add(12 * 3600 * 1000 * 1000 * 1000),
		record.Epoch.AddDate(50, 1, 2), "SPADES", []byte{9, 8, 7, 6},
		[]any{"a", "b"}, []record.MapEntry{{Key: "k", Value: int64(1)}},
		[]record.MapEntry{{Key: int32(1), Value: "one"}, {Key: int32(2), Value: nil}},
		pt(1, int32(2)), &record.StructValue{Schema: opt(*pointSchema), Values: []any{int32(3), nil}},
		&record.StructValue{Schema: anonSchema, Values: []any{&record.StructValue{Schema: anonSchema.Fields[0].Schema, Values: []any{"z"}}}},
		uval(1, "either"),
	}}
}

func TestEverythingRoundTrip(t *testing.T) {
	reg := newFakeRegistry()
	c := newConverter(t, reg, nil)
	data, err := c.FromConnect("t", nil, everything, everythingValue())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "everything.bin")
	if *update {
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Errorf("FromConnect(everything) = % x\nwant (%s) % x", data, golden, want)
	}
	s, v, err := c.ToConnect("t", nil, data)
	if err != nil {
		t.Fatal(err)
	}
	if !schemaEqual(s, everything) || !equalData(v, everythingValue()) {
		t.Errorf("round trip: %s", show(v))
	}
}

// TestDefaults: Connect defaults become Avro field defaults where Avro JSON can hold them, and
// the others (bytes, decimals, logical types) are left out rather than failing the schema.
func TestDefaults(t *testing.T) {
	s := &record.Schema{Type: record.Struct, Name: "d.D", Fields: []record.Field{
		{Name: "b", Index: 0, Schema: &record.Schema{Type: record.Bytes, Default: []byte{1}}},
		{Name: "ob", Index: 1, Schema: &record.Schema{Type: record.Bytes, Optional: true, Default: []byte{1}}},
		{Name: "ts", Index: 2, Schema: &record.Schema{Type: record.Int64, Name: record.TimestampName, Default: record.Epoch}},
		{Name: "i", Index: 3, Schema: &record.Schema{Type: record.Int16, Default: int16(-3)}},
		{Name: "arr", Index: 4, Schema: &record.Schema{Type: record.Array, Value: record.StringSchema, Default: []any{"x"}}},
	}}
	a, err := SchemaFromConnect(s)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := json.Marshal(a)
	want := `{"name":"d.D","type":"record","fields":[{"name":"b","type":"bytes"},{"name":"ob","type":["bytes","null"]},` +
		`{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis","connect.name":"org.apache.kafka.connect.data.Timestamp"}},` +
		`{"name":"i","type":{"type":"int","connect.type":"int16"},"default":-3},{"name":"arr","type":{"type":"array","items":"string"},"default":["x"]}]}`
	if string(text) != want {
		t.Errorf("schema\n %s\nwant\n %s", text, want)
	}
	if _, err := New(DefaultConfig(), nil); err == nil {
		t.Error("New without a registry: no error")
	}
}
