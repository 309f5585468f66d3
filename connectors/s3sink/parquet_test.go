package s3sink

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/golden"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

func parquetProps(extra ...string) map[string]string {
	p := map[string]string{"format.class": "ParquetFormat", "flush.size": "1000"}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i]] = extra[i+1]
	}
	return p
}

// The file's schema keeps the struct's field order and maps the Connect types to Parquet's
// (golden), and its column chunks use the configured codec.
func TestParquetSchemaAndCodec(t *testing.T) {
	recs := []record.Record{order(1, "alice", time.UnixMilli(1700000000000).UTC()), order(2, nil, time.UnixMilli(1700000001000).UTC())}
	for _, codec := range []string{"none", "snappy", "gzip", "zstd"} {
		s := newTestSink(t, parquetProps("parquet.codec", codec), nil)
		ws, err := s.Plan(recs[0].TopicPartition(), recs)
		if err != nil || len(ws) != 1 {
			t.Fatalf("Plan: %d writes, %v", len(ws), err)
		}
		if !strings.HasSuffix(ws[0].ID(), "+0000000001.parquet") {
			t.Errorf("object %s", ws[0].ID())
		}
		b, err := s.Encode(ws[0])
		if err != nil {
			t.Fatal(err)
		}
		f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if f.NumRows() != 2 {
			t.Errorf("%d rows", f.NumRows())
		}
		if codec == "snappy" {
			golden.Check(t, filepath.Join("testdata", "parquet-schema.golden"), []byte(f.Schema().String()+"\n"))
		}
		want := map[string]string{"none": "UNCOMPRESSED", "snappy": "SNAPPY", "gzip": "GZIP", "zstd": "ZSTD"}[codec]
		for _, c := range f.Metadata().RowGroups[0].Columns {
			if got := c.MetaData.Codec.String(); got != want {
				t.Errorf("%s: column %v codec %s, want %s", codec, c.MetaData.PathInSchema, got, want)
			}
		}
	}
}

func TestParquetBadRecords(t *testing.T) {
	st := &record.Schema{Type: record.Struct, Name: "s", Fields: []record.Field{{Name: "n", Index: 0, Schema: record.Int32Schema}}}
	tests := []struct {
		name string
		rec  record.Record
		want string
	}{
		{"schemaless", record.Record{ValueData: map[string]any{"a": 1.0}}, "ParquetFormat needs a value schema"},
		{"raw JSON", record.Record{ValueData: record.RawJSON(`{"a":1}`)}, "ParquetFormat needs a value schema"},
		{"not a struct", record.Record{ValueSchema: record.StringSchema, ValueData: "x"}, "writes struct values"},
		{"null in a required field", record.Record{ValueSchema: st, ValueData: &record.StructValue{Schema: st, Values: []any{nil}}}, "field n: a required value is null"},
		{"wrong Go type", record.Record{ValueSchema: st, ValueData: &record.StructValue{Schema: st, Values: []any{int64(1)}}}, "field n: a int32 value is a int64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.rec.Topic, tc.rec.Partition, tc.rec.Offset = "t", 3, 42
			for _, format := range []string{"ParquetFormat", "AvroFormat"} {
				want := tc.want
				if format == "AvroFormat" {
					switch tc.name {
					case "not a struct":
						continue // Avro files hold any schema
					case "schemaless", "raw JSON":
						want = "AvroFormat needs a value schema"
					case "null in a required field", "wrong Go type":
						want = "field n"
					}
				}
				s := newTestSink(t, parquetProps("format.class", format), nil)
				ok := recordAt(tc.rec.Offset + 1)
				ws, err := s.Plan(tc.rec.TopicPartition(), []record.Record{tc.rec, ok})
				if err == nil {
					// Values the format cannot encode fail the object's encoding.
					_, err = s.Encode(ws[0])
				} else {
					// Values without a schema the format needs are left out by Plan, the
					// others planned.
					re, isRE := sink.AsRecordErrors(err)
					if !isRE || len(re) != 1 || re[0].Record.Offset != 42 || len(ws) != 1 || ws[0].Records() != 1 {
						t.Fatalf("%s: Plan: %d writes, %v; want the record left out as a sink.RecordErrors", format, len(ws), err)
					}
				}
				if err == nil || !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "t/3/42") || !strings.Contains(err.Error(), want) {
					t.Fatalf("%s: Encode: %v; want a BadRecord error naming t/3/42 and saying %q", format, err, want)
				}
			}
		})
	}
}

// recordAt returns a valid struct record of topic t, partition 3.
func recordAt(off int64) record.Record {
	st := &record.Schema{Type: record.Struct, Name: "s", Fields: []record.Field{{Name: "n", Index: 0, Schema: record.Int32Schema}}}
	return record.Record{Topic: "t", Partition: 3, Offset: off, ValueSchema: st, ValueData: &record.StructValue{Schema: st, Values: []any{int32(1)}}}
}

func TestParquetConfig(t *testing.T) {
	for _, tc := range []struct {
		props map[string]string
		want  string
	}{
		{parquetProps("parquet.codec", "lzo"), "parquet.codec"},
		{parquetProps("s3.compression.type", "gzip"), "s3.compression.type"},
		{parquetProps("schema.compatibility", "TRANSITIVE"), "schema.compatibility"},
		{parquetProps("behavior.on.null.values", "write"), "behavior.on.null.values"},
		{parquetProps("format.class", "AvroFormat", "behavior.on.null.values", "write"), "behavior.on.null.values"},
		{parquetProps("format.class", "AvroFormat", "avro.codec", "bzip2"), "avro.codec"},
	} {
		all := map[string]string{"connector.name": "test", "s3.bucket.name": "bucket"}
		for k, v := range tc.props {
			all[k] = v
		}
		c, err := Spec().Parse(all)
		if err == nil {
			_, err = ConfigFrom(c)
		}
		if err == nil || !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want a BadConfig error naming %s", tc.props, err, tc.want)
		}
	}
}

// versioned returns schema version v of a record type: v1 {id int32}, v2 adds an optional
// name, v3 widens id to int64 and adds plan with a default, v4 adds a required field (not
// backward compatible).
func versioned(v int32) *record.Schema {
	fs := []record.Field{{Name: "id", Schema: record.Int32Schema}}
	if v >= 2 {
		fs = append(fs, record.Field{Name: "name", Schema: record.OptionalString})
	}
	if v >= 3 {
		fs[0].Schema = record.Int64Schema
		fs = append(fs, record.Field{Name: "plan", Schema: &record.Schema{Type: record.String, Default: "free"}})
	}
	if v >= 4 {
		fs = append(fs, record.Field{Name: "region", Schema: record.StringSchema})
	}
	for i := range fs {
		fs[i].Index = i
	}
	return &record.Schema{Type: record.Struct, Name: "user", Version: v, Fields: fs}
}

var versionedSchemas = map[int32]*record.Schema{1: versioned(1), 2: versioned(2), 3: versioned(3), 4: versioned(4)}

// userRecs returns one record per version listed, at offsets 0...
func userRecs(versions ...int32) []record.Record {
	out := make([]record.Record, len(versions))
	for i, v := range versions {
		s := versionedSchemas[v]
		vals := make([]any, len(s.Fields))
		for j, f := range s.Fields {
			switch f.Name {
			case "id":
				if f.Schema.Type == record.Int32 {
					vals[j] = int32(i)
				} else {
					vals[j] = int64(i)
				}
			case "name":
				vals[j] = fmt.Sprintf("n%d", i)
			case "plan":
				vals[j] = "pro"
			case "region":
				vals[j] = "eu"
			}
		}
		out[i] = record.Record{Topic: "users", Partition: 0, Offset: int64(i), ValueSchema: s, ValueData: &record.StructValue{Schema: s, Values: vals}}
	}
	return out
}

// TestSchemaCompatibilityRolls: which records share an object under each schema.compatibility,
// and the schema version each object is written with.
func TestSchemaCompatibilityRolls(t *testing.T) {
	tests := []struct {
		mode     string
		versions []int32
		flush    string
		want     string // objects as firstOffset:count@version
	}{
		{"NONE", []int32{1, 1, 2, 2, 1}, "", "0:2@1 2:2@2 4:1@1"},
		{"BACKWARD", []int32{1, 1, 2, 2, 1}, "", "0:5@2"},
		{"BACKWARD", []int32{1, 2, 3, 1}, "", "0:4@3"},
		{"BACKWARD", []int32{1, 2, 4, 2}, "", "0:2@2 2:1@4 3:1@2"}, // v4 adds a required field; v2 data cannot be read as v4
		{"BACKWARD", []int32{1, 2, 1, 2, 1}, "2", "0:2@2 2:2@2 4:1@1"},
		{"FORWARD", []int32{1, 2, 2, 1}, "", "0:4@1"},
		{"FORWARD", []int32{2, 3, 4}, "", "0:1@2 1:2@3"}, // v3's int64 id cannot be read as v2's int32
		{"FULL", []int32{1, 2, 1, 2}, "", "0:4@2"},
		{"FULL", []int32{1, 2, 3}, "", "0:2@2 2:1@3"}, // v3 reads v2 data, v2 does not read v3's
		{"FULL", []int32{3, 4}, "", "0:1@3 1:1@4"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.mode, tc.versions, tc.flush), func(t *testing.T) {
			props := parquetProps("schema.compatibility", tc.mode)
			if tc.flush != "" {
				props["flush.size"] = tc.flush
			}
			s := newTestSink(t, props, nil)
			recs := userRecs(tc.versions...)
			ws, err := s.Plan(recs[0].TopicPartition(), recs)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range ws {
				o := w.(*object)
				got = append(got, fmt.Sprintf("%d:%d@%d", o.recs[0].Offset, len(o.recs), o.schema.Version))
				b, err := s.Encode(w)
				if err != nil {
					t.Fatalf("Encode %s: %v", w.ID(), err)
				}
				f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
				if err != nil {
					t.Fatal(err)
				}
				if f.NumRows() != int64(len(o.recs)) || len(f.Schema().Fields()) != len(o.schema.Fields) {
					t.Errorf("%s: %d rows, %d columns", w.ID(), f.NumRows(), len(f.Schema().Fields()))
				}
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Fatalf("objects %s, want %s", g, tc.want)
			}
		})
	}
}

// The same batch always gives the same objects, byte for byte: the exactly-once argument
// (a retry rewrites exactly the objects of the first attempt) depends on it.
func TestSchemaRollDeterministic(t *testing.T) {
	var batch []record.Record
	vs := []int32{1, 1, 2, 1, 4, 4, 2, 3, 1, 1, 4, 2}
	for i := 0; i < 60; i++ {
		r := userRecs(vs[i%len(vs)])[0]
		r.Offset = int64(100 + i)
		batch = append(batch, r)
	}
	for _, c := range []struct{ mode, format string }{
		{"NONE", "ParquetFormat"}, {"BACKWARD", "ParquetFormat"}, {"FORWARD", "ParquetFormat"}, {"FULL", "ParquetFormat"},
		{"NONE", "AvroFormat"}, {"BACKWARD", "AvroFormat"}, {"FULL", "AvroFormat"},
	} {
		mode := c.mode + " " + c.format
		var first string
		for attempt := 0; attempt < 3; attempt++ {
			s := newTestSink(t, parquetProps("schema.compatibility", c.mode, "flush.size", "7", "format.class", c.format), nil)
			ws, err := s.Plan(batch[0].TopicPartition(), append([]record.Record(nil), batch...))
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			for _, w := range ws {
				b, err := s.Encode(w)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&sb, "%s %x\n", w.ID(), sha256.Sum256(b))
			}
			if attempt == 0 {
				first = sb.String()
				if strings.Count(first, "\n") < 9 {
					t.Errorf("%s: only %d objects", mode, strings.Count(first, "\n"))
				}
			} else if sb.String() != first {
				t.Fatalf("%s: attempt %d wrote\n%s\nthe first wrote\n%s", mode, attempt, sb.String(), first)
			}
		}
	}
}

// JSON objects hold records of any schema: schema changes do not roll them.
func TestJSONIgnoresSchemaChanges(t *testing.T) {
	s := newTestSink(t, map[string]string{"flush.size": "100"}, nil)
	recs := userRecs(1, 2, 4, 1)
	ws, err := s.Plan(recs[0].TopicPartition(), recs)
	if err != nil || len(ws) != 1 {
		t.Fatalf("%d objects, %v", len(ws), err)
	}
}

// BenchmarkSchemaFormats encodes 10000 struct records (the orders of the tests) in each format.
func BenchmarkSchemaFormats(b *testing.B) {
	recs := make([]record.Record, 10000)
	for i := range recs {
		recs[i] = order(int64(i), fmt.Sprintf("customer-%d", i%97), time.UnixMilli(1700000000000+int64(i)).UTC())
	}
	for _, c := range []struct{ name, format, codecKey, codec string }{
		{"json", "JsonFormat", "", ""},
		{"parquet-snappy", "ParquetFormat", "parquet.codec", "snappy"},
		{"parquet-zstd", "ParquetFormat", "parquet.codec", "zstd"},
		{"avro-null", "AvroFormat", "avro.codec", "null"},
		{"avro-snappy", "AvroFormat", "avro.codec", "snappy"},
	} {
		b.Run(c.name, func(b *testing.B) {
			props := map[string]string{"format.class": c.format, "flush.size": "100000"}
			if c.codecKey != "" {
				props[c.codecKey] = c.codec
			}
			s := newTestSink(b, props, nil)
			var out int
			b.ReportAllocs()
			for b.Loop() {
				ws, err := s.Plan(recs[0].TopicPartition(), recs)
				if err != nil {
					b.Fatal(err)
				}
				enc, err := s.Encode(ws[0])
				if err != nil {
					b.Fatal(err)
				}
				out = len(enc)
			}
			b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(out), "object-bytes")
		})
	}
}
