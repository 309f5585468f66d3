package transforms_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/transforms"
)

// ts is the timestamp of the test records: 2017-01-03T06:30:01.864Z.
const ts = int64(1483425001864)

// rec returns a record of topic "test", partition 2, offset 42, CreateTime ts, with the given
// value data (and its raw bytes when it is RawJSON).
func rec(value any) record.Record {
	r := record.Record{Topic: "test", Partition: 2, Offset: 42, Timestamp: ts, TimestampType: record.CreateTime, ValueData: value}
	if raw, ok := value.(record.RawJSON); ok {
		r.Value = []byte(raw)
	}
	return r
}

// keyRec is rec with the data as the key.
func keyRec(key any) record.Record {
	r := rec(nil)
	r.KeyData = key
	r.Value = []byte("v")
	r.ValueData = "v"
	return r
}

// chainOf builds a chain from "key=value" lines, failing the test on error.
func chainOf(t testing.TB, lines ...string) *transforms.Chain {
	t.Helper()
	c, err := transforms.ChainFrom(props(lines...))
	if err != nil {
		t.Fatalf("ChainFrom: %v", err)
	}
	return c
}

// one builds a one-transform chain: "type" and settings given as "setting=value".
func one(t testing.TB, typ string, settings ...string) *transforms.Chain {
	t.Helper()
	lines := []string{"transforms=t", "transforms.t.type=" + typ}
	for _, s := range settings {
		lines = append(lines, "transforms.t."+s)
	}
	return chainOf(t, lines...)
}

func props(lines ...string) map[string]string {
	p := map[string]string{}
	for _, l := range lines {
		k, v, _ := strings.Cut(l, "=")
		p[k] = v
	}
	return p
}

// apply runs c on r and fails on error or a dropped record.
func apply(t testing.TB, c *transforms.Chain, r record.Record) record.Record {
	t.Helper()
	out, keep, err := c.Apply(r)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !keep {
		t.Fatal("Apply dropped the record")
	}
	return out
}

// applyErr runs c on r and returns its error, failing when there is none; the error must be a
// *transforms.Error of class BadRecord naming the record and containing want.
func applyErr(t testing.TB, c *transforms.Chain, r record.Record, want string) error {
	t.Helper()
	out, keep, err := c.Apply(r)
	if err == nil {
		t.Fatalf("Apply = %+v, %v, nil; want an error containing %q", out, keep, want)
	}
	if !errclass.Is(err, errclass.BadRecord) {
		t.Errorf("error class = %v, want bad_record: %v", errclass.Of(err), err)
	}
	if _, ok := transforms.AsError(err); !ok {
		t.Errorf("error is not a *transforms.Error: %v", err)
	}
	if !strings.Contains(err.Error(), r.Coordinates()) {
		t.Errorf("error %q does not name the record %s", err, r.Coordinates())
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if !reflect.DeepEqual(out, r) {
		t.Errorf("Apply with an error returned %+v, want the input record", out)
	}
	return err
}

// problems returns the problems of a ChainFrom error, failing when it is not BadConfig.
func problems(t testing.TB, err error) config.Problems {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !errclass.Is(err, errclass.BadConfig) {
		t.Fatalf("error class = %v, want bad_config: %v", errclass.Of(err), err)
	}
	var ps config.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error does not wrap config.Problems: %v", err)
	}
	return ps
}

// jsonEqual compares schemaless data as JSON documents: RawJSON is parsed, and numbers compare by
// value (an int32 field equals the JSON number).
func jsonEqual(t testing.TB, got any, want string) {
	t.Helper()
	g := normalize(t, got)
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		gb, _ := json.Marshal(g)
		t.Errorf("got %s, want %s", gb, want)
	}
}

// normalize turns schemaless data into what encoding/json makes of its JSON text.
func normalize(t testing.TB, v any) any {
	t.Helper()
	if raw, ok := v.(record.RawJSON); ok {
		p, err := jsonconv.Parse(raw)
		if err != nil {
			t.Fatalf("output %q is not valid JSON: %v", raw, err)
		}
		v = p
	}
	conv, err := jsonconv.New(jsonconv.Config{SchemasEnable: false})
	if err != nil {
		t.Fatal(err)
	}
	b, err := conv.FromConnect("t", nil, nil, v)
	if err != nil {
		t.Fatalf("FromConnect(%#v): %v", v, err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return out
}

// structOf builds a struct schema and value from alternating names and (schema, value) pairs.
func structOf(fields ...any) (*record.Schema, *record.StructValue) {
	s := &record.Schema{Type: record.Struct}
	var vals []any
	for i := 0; i+2 < len(fields)+1; i += 3 {
		s.Fields = append(s.Fields, record.Field{Name: fields[i].(string), Index: len(s.Fields), Schema: fields[i+1].(*record.Schema)})
		vals = append(vals, fields[i+2])
	}
	return s, &record.StructValue{Schema: s, Values: vals}
}

var (
	int8S   = record.Int8Schema
	int16S  = record.Int16Schema
	int32S  = record.Int32Schema
	int64S  = record.Int64Schema
	f32S    = record.Float32Schema
	f64S    = record.Float64Schema
	boolS   = record.BooleanSchema
	strS    = record.StringSchema
	bytesS  = record.BytesSchema
	optStrS = record.OptionalString
	tsS     = &record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1}
	dateS   = &record.Schema{Type: record.Int32, Name: record.DateName, Version: 1}
	timeS   = &record.Schema{Type: record.Int32, Name: record.TimeName, Version: 1}
)

func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }

// fieldNames returns a struct schema's field names and their schemas' types.
func fieldNames(s *record.Schema) []string {
	var out []string
	for _, f := range s.Fields {
		opt := ""
		if f.Schema.Optional {
			opt = "?"
		}
		n := f.Name + ":" + string(f.Schema.Type) + opt
		if f.Schema.Name != "" {
			n += "(" + f.Schema.Name[strings.LastIndexByte(f.Schema.Name, '.')+1:] + ")"
		}
		out = append(out, n)
	}
	return out
}

// normalizeParse is jsonconv.Parse, failing the test on error.
func normalizeParse(t testing.TB, s string) any {
	t.Helper()
	v, err := jsonconv.Parse(record.RawJSON(s))
	if err != nil {
		t.Fatalf("Parse(%s): %v", s, err)
	}
	return v
}
