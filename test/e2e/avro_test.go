package e2e

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/parquet-go/parquet-go"

	"github.com/lambda-connect/lambda-connect/converters/confluentwire"
	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
	"github.com/lambda-connect/lambda-connect/infra/registrylocal"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

// The two versions of the users' value schema: v2 adds an optional field. They are plain
// registry schemas (no connect.version): the AvroConverter gives records the registry's version
// of their schema (1 and 2), which schema.compatibility orders them by.
const (
	userV1 = `{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"}]}`
	userV2 = `{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"},` +
		`{"name":"email","type":["null","string"],"default":null}]}`
)

// parquetUser is a row of the Parquet objects, read back.
type parquetUser struct {
	ID    int32   `parquet:"id"`
	Name  string  `parquet:"name"`
	Email *string `parquet:"email,optional"`
}

// avroUsers registers v1 and v2 under <topic>-value and returns n Confluent-framed records
// (magic byte, schema id, Avro body, as the AvroConverter writes them): the first half written
// with v2 (every other one with an email), the rest with v1 (older producers still running).
func avroUsers(t *testing.T, reg *registrylocal.Registry, topic string, n int) ([]record.Record, []parquetUser) {
	t.Helper()
	var ids [2]int
	var schemas [2]avro.Schema
	for i, def := range []string{userV1, userV2} {
		id, err := reg.Register(topic+"-value", schemaregistry.Schema{Schema: def})
		if err != nil {
			t.Fatal(err)
		}
		ids[i], schemas[i] = id, avro.MustParse(def)
	}
	var recs []record.Record
	var want []parquetUser
	for i := range n {
		v, u := 0, parquetUser{ID: int32(i), Name: fmt.Sprintf("user-%d", i)}
		datum := map[string]any{"id": i, "name": u.Name}
		if i < n/2 {
			v, datum["email"] = 1, nil
			if i%2 == 0 {
				e := fmt.Sprintf("u%d@example.com", i)
				datum["email"], u.Email = e, &e
			}
		}
		body, err := avro.Marshal(schemas[v], datum)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, record.Record{Topic: topic, Key: fmt.Appendf(nil, "u%d", i), Value: append(confluentwire.Encode(nil, int32(ids[v])), body...),
			Timestamp: 1_700_000_000_000, TimestampType: record.CreateTime})
		want = append(want, u)
	}
	return recs, want
}

// TestAvroParquetSchemaEvolution: Confluent Avro records written with two schema versions (v2 adds
// an optional field; v2 records first, then v1 ones) go through the S3 sink to Parquet. With
// schema.compatibility=BACKWARD the v1 records are projected to v2 (as Confluent's sink does
// with records older than the file's schema): one object holds them all and reads back equal to
// the input, email null for the v1 ones. With NONE the schema change starts a new object.
func TestAvroParquetSchemaEvolution(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reg := registrylocal.ForTest(t)
	cl := kafkalocal.ForTest(t)
	topic := newTopic(ctx, t, cl, "users", 1)
	in, want := avroUsers(t, reg, topic, 10)
	recs := produceAndRead(ctx, t, cl, topic, in)
	client, err := s3local.Client(ctx, s3local.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		compat  string
		objects []string // object name suffixes
		rows    []int    // rows per object
	}{
		{"BACKWARD", []string{"+0000000000.parquet"}, []int{10}},
		{"NONE", []string{"+0000000000.parquet", "+0000000005.parquet"}, []int{5, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.compat, func(t *testing.T) {
			e := newS3Sink(ctx, t, client, newBucket(ctx, t, client, "avro"), map[string]string{
				"connector.name": "avro-" + tt.compat, "flush.size": "100",
				"format.class": "parquet", "schema.compatibility": tt.compat,
				"value.converter": "io.confluent.connect.avro.AvroConverter", "value.converter.schema.registry.url": reg.URL(),
			})
			e.invoke(ctx, t, kafkaEvents(t, kafkaevent.SourceMSK, mskARN, cl.Bootstrap(), recs, 100))
			objs := e.objects(ctx, t)
			if len(objs) != len(tt.objects) {
				t.Fatalf("%d objects, want %d", len(objs), len(tt.objects))
			}
			var got []parquetUser
			for i, o := range objs {
				if !strings.HasSuffix(o.key, tt.objects[i]) {
					t.Errorf("object %d is %s, want it to end %s", i, o.key, tt.objects[i])
				}
				rows, err := parquet.Read[parquetUser](bytes.NewReader(o.body), int64(len(o.body)))
				if err != nil {
					t.Fatalf("%s: %v", o.key, err)
				}
				if len(rows) != tt.rows[i] {
					t.Errorf("%s: %d rows, want %d", o.key, len(rows), tt.rows[i])
				}
				f, err := parquet.OpenFile(bytes.NewReader(o.body), int64(len(o.body)))
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := f.Schema().Lookup("email"); ok != (i == 0) {
					t.Errorf("%s: email column present %v: schema %s", o.key, ok, f.Schema())
				}
				got = append(got, rows...)
			}
			if !slices.EqualFunc(got, want, func(a, b parquetUser) bool {
				return a.ID == b.ID && a.Name == b.Name && (a.Email == nil) == (b.Email == nil) && (a.Email == nil || *a.Email == *b.Email)
			}) {
				t.Errorf("read back %v, want %v", fmtUsers(got), fmtUsers(want))
			}
			e.checkCommitted(ctx, t, topic, 1, 10)
		})
	}
}

func fmtUsers(us []parquetUser) string {
	var b strings.Builder
	for _, u := range us {
		e := "<nil>"
		if u.Email != nil {
			e = *u.Email
		}
		fmt.Fprintf(&b, "{%d %s %s} ", u.ID, u.Name, e)
	}
	return b.String()
}
