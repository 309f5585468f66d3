package s3source_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/reader"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// csvConfig parses csv.column.types through the spec and ConfigFrom, as the function does.
func csvConfig(t *testing.T, types string) (s3source.Config, error) {
	t.Helper()
	c, err := s3source.Spec().Parse(map[string]string{"connector.name": "src", "topic": "t", "checkpoints.table": "cp",
		"bootstrap.servers": "localhost:9092", "input.format": "csv", "csv.column.types": types})
	if err != nil {
		return s3source.Config{}, err
	}
	cfg, _, err := s3source.ConfigFrom(c)
	return cfg, err
}

// TestCSVColumnTypesConfig: Connect/Java type names and the record model's own names map to the
// record model's types; anything else is a bad config naming the column.
func TestCSVColumnTypesConfig(t *testing.T) {
	tests := []struct {
		types   string
		want    map[string]record.Type
		wantErr string
	}{
		{"a:int8,b:INT16,c:int32,d:int64", map[string]record.Type{"a": record.Int8, "b": record.Int16, "c": record.Int32, "d": record.Int64}, ""},
		{"a:float32,b:float64,c:boolean,d:string", map[string]record.Type{"a": record.Float32, "b": record.Float64, "c": record.Boolean, "d": record.String}, ""},
		{"a:float, b:Double", map[string]record.Type{"a": record.Float32, "b": record.Float64}, ""},
		{"a:decimal", nil, `column a: "decimal" is not`},
		{"a:bytes", nil, `column a: "bytes" is not`},
		{"a", nil, `"a" is not column:type`},
	}
	for _, tt := range tests {
		t.Run(tt.types, func(t *testing.T) {
			cfg, err := csvConfig(t, tt.types)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "csv.column.types") {
					t.Fatalf("err = %v, want csv.column.types: %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Reader.CSV.Types, tt.want) {
				t.Fatalf("types %v, want %v", cfg.Reader.CSV.Types, tt.want)
			}
		})
	}
}

// TestCSVFloatColumnsEndToEnd: a CSV object whose columns are typed float64/float32 in
// csv.column.types goes through the source to Kafka (it used to fail at read: "not a primitive type").
func TestCSVFloatColumnsEndToEnd(t *testing.T) {
	cfg, err := csvConfig(t, "seq:int64,amount:float64,ratio:float32")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, map[string]int32{"csvfloats": 1})
	body := "seq,amount,ratio,note\n0,1.25,0.5,a\n1,-3e2,,b\n"
	obj := e.put("f/floats.csv", []byte(body), "")
	res, err := e.invoke(e.source(opts{topic: "csvfloats", format: reader.CSV, csvTypes: cfg.Reader.CSV.Types}), obj)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || res.Produced != 2 {
		t.Fatalf("result %+v", res)
	}
	recs := e.read("csvfloats")
	want := []map[string]any{
		{"seq": 0.0, "amount": 1.25, "ratio": 0.5, "note": "a"},
		{"seq": 1.0, "amount": -300.0, "ratio": nil, "note": "b"},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, r := range recs {
		var got map[string]any
		if err := json.Unmarshal(r.Value, &got); err != nil {
			t.Fatalf("record %d: %v: %s", i, err, r.Value)
		}
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("record %d: %s, want %v", i, r.Value, want[i])
		}
	}
}
