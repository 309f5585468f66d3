package s3sink

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// fixedNow is the wall clock of the tests' sinks: 2015-12-31T23:59:58.123Z.
var fixedNow = time.Date(2015, 12, 31, 23, 59, 58, 123e6, time.UTC)

// testConfig parses props (with a connector name and bucket) into a Config.
func testConfig(t testing.TB, props map[string]string) Config {
	t.Helper()
	all := map[string]string{"connector.name": "test", "s3.bucket.name": "bucket"}
	for k, v := range props {
		all[k] = v
	}
	c, err := Spec().Parse(all)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ConfigFrom(c)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Now = func() time.Time { return fixedNow }
	return cfg
}

// newTestSink returns a sink over client (a client that fails every call when nil).
func newTestSink(t testing.TB, props map[string]string, client API) *Sink {
	t.Helper()
	if client == nil {
		client = noS3{}
	}
	s, err := New(testConfig(t, props), client)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// noS3 fails every call: Plan must do no I/O.
type noS3 struct{}

func (noS3) PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	panic("PutObject called")
}
func (noS3) HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	panic("HeadObject called")
}
func (noS3) DeleteObjects(context.Context, *s3.DeleteObjectsInput, ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
	panic("DeleteObjects called")
}

// jsonRecs returns records of topic/partition at offsets from..from+n-1, schemaless JSON values
// {"seq":i,"customer":"c-<i%3>"}, timestamps one hour apart from 2015-12-31T21:30Z.
func jsonRecs(topic string, p int32, from int64, n int) []record.Record {
	out := make([]record.Record, n)
	for i := range out {
		off := from + int64(i)
		v := []byte(`{"seq":` + itoa(off) + `,"customer":"c-` + itoa(off%3) + `"}`)
		out[i] = record.Record{Topic: topic, Partition: p, Offset: off,
			Timestamp: time.Date(2015, 12, 31, 21, 30, 0, 0, time.UTC).UnixMilli() + off*3_600_000, TimestampType: record.CreateTime,
			Value: v, ValueData: record.RawJSON(v)}
	}
	return out
}

func itoa(n int64) string { return string(appendPadded(nil, n, 0)) }

var (
	addressSchema = &record.Schema{Type: record.Struct, Name: "Address", Fields: []record.Field{
		{Name: "city", Index: 0, Schema: record.StringSchema},
	}}
	tsSchema    = &record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1}
	orderSchema = &record.Schema{Type: record.Struct, Name: "Order", Fields: []record.Field{
		{Name: "id", Index: 0, Schema: record.Int64Schema},
		{Name: "customer", Index: 1, Schema: record.OptionalString},
		{Name: "paid", Index: 2, Schema: record.BooleanSchema},
		{Name: "amount", Index: 3, Schema: record.Float64Schema},
		{Name: "created", Index: 4, Schema: tsSchema},
		{Name: "address", Index: 5, Schema: addressSchema},
		{Name: "region", Index: 6, Schema: record.Int8Schema},
		{Name: "note", Index: 7, Schema: record.OptionalBytes},
	}}
)

// order returns a struct record.
func order(off int64, customer any, created time.Time) record.Record {
	v := &record.StructValue{Schema: orderSchema, Values: []any{
		off, customer, off%2 == 0, float64(off) + 0.5, created,
		&record.StructValue{Schema: addressSchema, Values: []any{"Zürich"}}, int8(off % 4), []byte{0xde, 0xad},
	}}
	return record.Record{Topic: "orders", Partition: 2, Offset: off, Timestamp: created.UnixMilli(), TimestampType: record.CreateTime,
		Value: []byte("raw"), ValueSchema: orderSchema, ValueData: v}
}

func ids(ws []sink.Write) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.ID()
	}
	return out
}
