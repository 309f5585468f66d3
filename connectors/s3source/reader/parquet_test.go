package reader_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/reader"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/reader/readertest"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

type noS3 struct{ s3sink.API }

// encodeSink writes recs as one object of the given format with the real sink.
func encodeSink(t testing.TB, props map[string]string, recs []record.Record) []byte {
	t.Helper()
	cfg := s3sink.Config{Bucket: "b", TopicsDir: "topics", DirectoryDelim: "/", FileDelim: "+", FlushSize: 1 << 20,
		Format: props["format.class"], ParquetCodec: props["parquet.codec"], AvroCodec: props["avro.codec"]}
	s, err := s3sink.New(cfg, noS3{})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := s.Plan(recs[0].TopicPartition(), recs)
	if err != nil || len(ws) != 1 {
		t.Fatalf("Plan: %d writes, %v", len(ws), err)
	}
	b, err := s.Encode(ws[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// plain turns Connect data into comparable values: structs become name=value lists, times
// milliseconds, decimals strings.
func plain(v any) any {
	switch x := v.(type) {
	case *record.StructValue:
		out := make([]string, len(x.Values))
		for i, f := range x.Schema.Fields {
			out[i] = fmt.Sprintf("%s=%v", f.Name, plain(x.Values[i]))
		}
		return "{" + strings.Join(out, " ") + "}"
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return fmt.Sprint(out)
	case []record.MapEntry:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = fmt.Sprintf("%v:%v", plain(e.Key), plain(e.Value))
		}
		return "map[" + strings.Join(out, " ") + "]"
	case time.Time:
		return fmt.Sprintf("t%d", x.UnixMilli())
	case record.Decimal:
		return "d" + x.String()
	case []byte:
		return fmt.Sprintf("b%x", x)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

func TestParquetRoundTrip(t *testing.T) {
	recs := readertest.RichRecords(50)
	for _, codec := range []string{"none", "snappy", "gzip", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			b := encodeSink(t, map[string]string{"format.class": "parquet", "parquet.codec": codec}, recs)
			if !bytes.HasPrefix(b, []byte("PAR1")) || !bytes.HasSuffix(b, []byte("PAR1")) {
				t.Fatalf("not a Parquet file: % x...", b[:8])
			}
			checkRoundTrip(t, reader.Source{ReaderAt: bytes.NewReader(b), Size: int64(len(b))}, reader.Parquet, recs, true)
		})
	}
}

// checkRoundTrip reads src in the given format and checks that it holds exactly recs, in order:
// each record's index, value and (for the first) schema, then io.EOF. With logFifth, a verbose
// run logs the fifth record.
func checkRoundTrip(t *testing.T, src reader.Source, format reader.Format, recs []record.Record, logFifth bool) {
	t.Helper()
	r, err := reader.New(src, reader.Options{Format: format})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range recs {
		rec, err := r.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if rec.Index != int64(i) {
			t.Fatalf("index %d, want %d", rec.Index, i)
		}
		if g, w := plain(rec.Data), plain(want.ValueData); g != w {
			t.Fatalf("record %d:\n got %v\nwant %v", i, g, w)
		}
		if logFifth && i == 4 && testing.Verbose() {
			t.Logf("record 4: %v", plain(rec.Data))
		}
		if i == 0 {
			checkSchema(t, rec.Schema, want.ValueSchema)
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last record: %v", err)
	}
}

// checkSchema compares the read schema with the written one: same fields, types, optionality
// and logical names.
func checkSchema(t *testing.T, got, want *record.Schema) {
	t.Helper()
	var walk func(path string, g, w *record.Schema)
	walk = func(path string, g, w *record.Schema) {
		if g.Type != w.Type || g.Optional != w.Optional || (w.Name != "" && strings.HasPrefix(w.Name, "org.apache") && g.Name != w.Name) {
			t.Errorf("%s: read %s optional=%v %q, wrote %s optional=%v %q", path, g.Type, g.Optional, g.Name, w.Type, w.Optional, w.Name)
			return
		}
		if w.Name == record.DecimalName && g.Parameters["scale"] != w.Parameters["scale"] {
			t.Errorf("%s: scale %v, want %v", path, g.Parameters, w.Parameters)
		}
		switch w.Type {
		case record.Struct:
			if len(g.Fields) != len(w.Fields) {
				t.Errorf("%s: %d fields, want %d", path, len(g.Fields), len(w.Fields))
				return
			}
			for i := range w.Fields {
				if g.Fields[i].Name != w.Fields[i].Name || g.Fields[i].Index != i {
					t.Errorf("%s: field %d is %q, want %q", path, i, g.Fields[i].Name, w.Fields[i].Name)
				}
				walk(path+"."+w.Fields[i].Name, g.Fields[i].Schema, w.Fields[i].Schema)
			}
		case record.Array:
			walk(path+"[]", g.Value, w.Value)
		case record.Map:
			walk(path+"{key}", g.Key, w.Key)
			walk(path+"{value}", g.Value, w.Value)
		}
	}
	walk("value", got, want)
	if got.Name != want.Name {
		t.Errorf("root name %q, want %q", got.Name, want.Name)
	}
}

// Skip seeks: resuming at row n reads from row n on, across row groups.
func TestParquetSkip(t *testing.T) {
	recs := readertest.RichRecords(20)
	b := encodeSink(t, map[string]string{"format.class": "parquet"}, recs)
	for _, n := range []int64{0, 1, 7, 19, 20, 25} {
		r, err := reader.New(reader.Source{ReaderAt: bytes.NewReader(b), Size: int64(len(b))}, reader.Options{Format: reader.Parquet})
		if err != nil {
			t.Fatal(err)
		}
		if err := reader.Skip(r, n); err != nil {
			t.Fatal(err)
		}
		rec, err := r.Next()
		if n >= 20 {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("Skip(%d): Next = %v, want EOF", n, err)
			}
			continue
		}
		if err != nil || rec.Index != n || plain(rec.Data) != plain(recs[n].ValueData) {
			t.Fatalf("Skip(%d): record %d (%v), want %d", n, rec.Index, err, n)
		}
	}
}

func TestParquetErrors(t *testing.T) {
	good := encodeSink(t, map[string]string{"format.class": "parquet"}, readertest.RichRecords(3))
	tests := []struct {
		name string
		src  reader.Source
		want errclass.Class
	}{
		{"no ReaderAt", reader.Source{Body: bytes.NewReader(good)}, errclass.BadConfig},
		{"not Parquet", reader.Source{ReaderAt: strings.NewReader("hello, world, not parquet"), Size: 25}, errclass.BadRecord},
		{"truncated", reader.Source{ReaderAt: bytes.NewReader(good[:len(good)-20]), Size: int64(len(good) - 20)}, errclass.BadRecord},
		{"empty", reader.Source{ReaderAt: bytes.NewReader(nil), Size: 0}, errclass.BadRecord},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := reader.New(tc.src, reader.Options{Format: reader.Parquet})
			if err == nil || errclass.Of(err) != tc.want {
				t.Fatalf("New: %v (class %v), want class %v", err, errclass.Of(err), tc.want)
			}
		})
	}
}

// fuzzRead opens src in the given format and reads up to 1000 records: it fails unless opening
// fails with a BadRecord error or reading ends at io.EOF, a BadRecord error or the limit.
func fuzzRead(t *testing.T, src reader.Source, format reader.Format) {
	t.Helper()
	r, err := reader.New(src, reader.Options{Format: format})
	if err != nil {
		if !errclass.Is(err, errclass.BadRecord) {
			t.Fatalf("New: %v", err)
		}
		return
	}
	for i := 0; i < 1000; i++ {
		if _, err := r.Next(); err != nil {
			if errors.Is(err, io.EOF) || errclass.Is(err, errclass.BadRecord) {
				return
			}
			t.Fatalf("Next: %v", err)
		}
	}
}

// FuzzParquet: any bytes either fail to open with a BadRecord error or read to the end
// without panicking.
func FuzzParquet(f *testing.F) {
	f.Add(encodeSink(f, map[string]string{"format.class": "parquet", "parquet.codec": "none"}, readertest.RichRecords(4)))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzRead(t, reader.Source{ReaderAt: bytes.NewReader(b), Size: int64(len(b))}, reader.Parquet)
	})
}

func TestAvroRoundTrip(t *testing.T) {
	recs := readertest.RichRecords(50)
	for _, codec := range []string{"null", "deflate", "snappy", "zstandard"} {
		t.Run(codec, func(t *testing.T) {
			b := encodeSink(t, map[string]string{"format.class": "avro", "avro.codec": codec}, recs)
			if !bytes.HasPrefix(b, []byte("Obj\x01")) {
				t.Fatalf("not an Avro container file: % x...", b[:8])
			}
			if again := encodeSink(t, map[string]string{"format.class": "avro", "avro.codec": codec}, recs); !bytes.Equal(again, b) {
				t.Fatal("the same records made different bytes")
			}
			checkRoundTrip(t, reader.Source{Body: bytes.NewReader(b)}, reader.Avro, recs, false)
		})
	}
}

func TestAvroErrors(t *testing.T) {
	good := encodeSink(t, map[string]string{"format.class": "avro", "avro.codec": "deflate"}, readertest.RichRecords(30))
	if _, err := reader.New(reader.Source{Body: strings.NewReader("not avro at all")}, reader.Options{Format: reader.Avro}); !errclass.Is(err, errclass.BadRecord) || !errors.Is(err, reader.ErrCorrupt) {
		t.Errorf("not Avro: %v", err)
	}
	r, err := reader.New(reader.Source{Body: bytes.NewReader(good[:len(good)-40])}, reader.Options{Format: reader.Avro})
	if err != nil {
		t.Fatal(err)
	}
	out := readAll(t, r)
	if last := out[len(out)-1]; !strings.Contains(last, "ERR corrupt") {
		t.Errorf("truncated file: last result %s, want a corrupt-file error", last)
	}
}

// FuzzAvro: any bytes either fail to open with a BadRecord error or read to the end without
// panicking.
func FuzzAvro(f *testing.F) {
	f.Add(encodeSink(f, map[string]string{"format.class": "avro"}, readertest.RichRecords(3)))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzRead(t, reader.Source{Body: bytes.NewReader(b)}, reader.Avro)
	})
}

// foreignRow is a row as another writer lays it out: parquet-go's struct mapping (repeated
// fields without LIST, a MAP, an optional pointer, a micros timestamp, an unsigned int).
type foreignRow struct {
	ID    int64            `parquet:"id"`
	Tags  []string         `parquet:"tags"`
	Note  *string          `parquet:"note,optional"`
	Attrs map[string]int32 `parquet:"attrs"`
	At    time.Time        `parquet:"at,timestamp(microsecond)"`
	Count uint32           `parquet:"count"`
	Inner struct {
		X float32 `parquet:"x"`
		Y []int32 `parquet:"y,list"`
	} `parquet:"inner"`
}

// Files from another writer read as Connect structs too.
func TestParquetForeignWriter(t *testing.T) {
	note := "hello"
	rows := []foreignRow{
		{ID: 1, Tags: []string{"a", "b"}, Note: &note, Attrs: map[string]int32{"k": 7}, At: time.UnixMicro(1700000000123456).UTC(), Count: 4000000000},
		{ID: 2, At: time.UnixMilli(0).UTC()},
	}
	rows[0].Inner.X, rows[0].Inner.Y = 1.5, []int32{3, 4}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	r, err := reader.New(reader.Source{ReaderAt: bytes.NewReader(buf.Bytes()), Size: int64(buf.Len())}, reader.Options{Format: reader.Parquet})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"{id=int64(1) tags=[string(a) string(b)] note=string(hello) attrs=map[string(k):int32(7)] at=t1700000000123 count=int64(4000000000) inner={x=float32(1.5) y=[int32(3) int32(4)]}}",
		"{id=int64(2) tags=[] note=null attrs=map[] at=t0 count=int64(0) inner={x=float32(0) y=[]}}",
	}
	for i, w := range want {
		rec, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if g := plain(rec.Data); g != w {
			t.Errorf("row %d:\n got %s\nwant %s", i, g, w)
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last row: %v", err)
	}
}
