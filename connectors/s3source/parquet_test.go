package s3source_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/reader"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// countingS3 counts GetObject calls and the bytes they ask for.
type countingS3 struct {
	s3source.ObjectAPI
	gets, ranged atomic.Int64
}

func (c *countingS3) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	c.gets.Add(1)
	if in.Range != nil {
		c.ranged.Add(1)
	}
	return c.ObjectAPI.GetObject(ctx, in, o...)
}

type nopS3 struct{ s3sink.API }

// sinkParquet writes n records {id int64, user string, tags array<string>} as one Parquet object
// with the S3 sink's ParquetFormat.
func sinkParquet(t *testing.T, n int) []byte { return sinkFile(t, n, "parquet") }

// sinkFile is sinkParquet in the given format.class.
func sinkFile(t *testing.T, n int, format string) []byte {
	t.Helper()
	s := &record.Schema{Type: record.Struct, Name: "event", Fields: []record.Field{
		{Name: "id", Index: 0, Schema: record.Int64Schema},
		{Name: "user", Index: 1, Schema: record.OptionalString},
		{Name: "tags", Index: 2, Schema: &record.Schema{Type: record.Array, Value: record.StringSchema}},
	}}
	recs := make([]record.Record, n)
	for i := range recs {
		var user any
		if i%5 != 0 {
			user = fmt.Sprintf("u%d", i%7)
		}
		recs[i] = record.Record{Topic: "t", Offset: int64(i), ValueSchema: s,
			ValueData: &record.StructValue{Schema: s, Values: []any{int64(i), user, []any{"a", strings.Repeat("x", i%3)}}}}
	}
	sk, err := s3sink.New(s3sink.Config{Bucket: "b", DirectoryDelim: "/", FileDelim: "+", FlushSize: n, Format: format}, nopS3{})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := sk.Plan(recs[0].TopicPartition(), recs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sk.Encode(ws[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkSinkFile processes obj, a sinkFile of n records, with src: the invocation must complete
// having produced all n, and the records at the sample indexes (by their index header) must hold
// the JsonConverter's value of that row (what names one in messages). It returns the topic's
// values by index header.
func (e *env) checkSinkFile(src *s3source.Source, obj trigger.Object, topic string, n int, sample []int, what string) map[string]string {
	e.t.Helper()
	res, err := e.invoke(src, obj)
	if err != nil {
		e.t.Fatal(err)
	}
	if !res.Complete || res.Produced != int64(n) {
		e.t.Fatalf("result %+v", res)
	}
	got := map[string]string{}
	for _, r := range e.read(topic) {
		got[header(r, s3source.HeaderIndex)] = string(r.Value)
	}
	for _, i := range sample {
		user := "null"
		if i%5 != 0 {
			user = fmt.Sprintf(`"u%d"`, i%7)
		}
		want := fmt.Sprintf(`{"id":%d,"user":%s,"tags":["a","%s"]}`, i, user, strings.Repeat("x", i%3))
		if got[fmt.Sprint(i)] != want {
			e.t.Errorf("%s %d: %s, want %s", what, i, got[fmt.Sprint(i)], want)
		}
	}
	return got
}

// A Parquet object written by the S3 sink is read back with ranged GETs, each row a record
// whose value the JsonConverter writes.
func TestParquetObject(t *testing.T) {
	e := newEnv(t, map[string]int32{"rows": 2})
	const n = 3000
	obj := e.put("in/events.parquet", sinkParquet(t, n), "")
	counter := &countingS3{ObjectAPI: e.s3}
	src := e.source(opts{topic: "rows", format: reader.Parquet, s3: counter})
	got := e.checkSinkFile(src, obj, "rows", n, []int{0, 1, 2, 1234, n - 1}, "row")
	if len(got) != n {
		t.Errorf("%d records, want %d", len(got), n)
	}
	if counter.gets.Load() != counter.ranged.Load() || counter.gets.Load() > 10 {
		t.Errorf("%d GETs (%d ranged): want only a few ranged reads", counter.gets.Load(), counter.ranged.Load())
	}
	t.Logf("%d records, %d ranged GETs", n, counter.gets.Load())
}

// Objects that are not Parquet files are bad records (dead-lettered with errors.tolerance=all).
func TestParquetNotParquet(t *testing.T) {
	e := newEnv(t, map[string]int32{"rows": 1, "dlq": 1})
	for _, body := range [][]byte{[]byte("{\"not\":\"parquet\"}\n"), {}} {
		obj := e.put(fmt.Sprintf("in/bad-%d.parquet", len(body)), body, "")
		_, err := e.invoke(e.source(opts{topic: "rows", format: reader.Parquet}), obj)
		if err == nil || !strings.Contains(err.Error(), "Parquet") {
			t.Errorf("%q: %v, want an error saying it is not Parquet", body, err)
		}
	}
}

// An Avro container file written by the S3 sink streams back, each record's value through the
// JsonConverter.
func TestAvroObject(t *testing.T) {
	e := newEnv(t, map[string]int32{"rows": 2})
	const n = 500
	obj := e.put("in/events.avro", sinkFile(t, n, "avro"), "")
	e.checkSinkFile(e.source(opts{topic: "rows", format: reader.Avro}), obj, "rows", n, []int{0, 1, 2, 123, n - 1}, "record")
}

type seqRow struct {
	Seq  int64  `parquet:"seq"`
	User string `parquet:"user"`
}

// A deadline in the middle of a Parquet object of several row groups: each retry resumes at
// the checkpoint (seeking to the row), and every row reaches the topic exactly once.
func TestParquetDeadlineMidObject(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 2})
	const n = 20000
	rows := make([]seqRow, n)
	for i := range rows {
		rows[i] = seqRow{Seq: int64(i), User: fmt.Sprintf("u%d", i%7)}
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[seqRow](&buf, parquet.MaxRowsPerRowGroup(3000))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	obj := e.put("big.parquet", buf.Bytes(), "")
	e.processAcrossDeadlines(obj, opts{topic: "t", format: reader.Parquet, records: 1000}, nil)
	e.exactlyOnce("t", n)
}
