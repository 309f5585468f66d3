package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hamba/avro/v2"
	"github.com/parquet-go/parquet-go"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/converters/confluentwire"
	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
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
	topic := name("users")
	if err := cl.CreateTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	in, want := avroUsers(t, reg, topic, 10)
	if err := kafkalocal.Produce(ctx, cl.Addrs(), in); err != nil {
		t.Fatal(err)
	}
	recs, err := kafkalocal.ReadAll(ctx, cl.Addrs(), topic)
	if err != nil {
		t.Fatal(err)
	}
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
			bucket := strings.ToLower(name("avro"))
			if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
				t.Fatal(err)
			}
			c, err := s3sink.Spec().Parse(map[string]string{
				"connector.name": "avro-" + tt.compat, "s3.bucket.name": bucket, "s3.region": "us-east-1", "flush.size": "100",
				"format.class": "parquet", "schema.compatibility": tt.compat,
				"value.converter": "io.confluent.connect.avro.AvroConverter", "value.converter.schema.registry.url": reg.URL(),
			})
			if err != nil {
				t.Fatal(err)
			}
			s, err := s3sink.New(mustConfig(t, c), client)
			if err != nil {
				t.Fatal(err)
			}
			store, _ := offsets.NewFileStore("")
			h, err := sink.NewFromConfig(ctx, c, s, store, sink.WithLogger(sink.NewLogger(io.Discard)), sink.WithMetricsTo(io.Discard))
			if err != nil {
				t.Fatal(err)
			}
			batches, err := kafkaevent.Batches(kafkaevent.SourceMSK, "arn:aws:kafka:us-east-1:123456789012:cluster/c/1", cl.Bootstrap(), recs, kafkaevent.Limits{MaxRecords: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range batches {
				if _, err := h.Invoke(ctx, b); err != nil {
					t.Fatal(err)
				}
			}
			out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Contents) != len(tt.objects) {
				t.Fatalf("%d objects, want %d", len(out.Contents), len(tt.objects))
			}
			var got []parquetUser
			for i, o := range out.Contents {
				key := aws.ToString(o.Key)
				if !strings.HasSuffix(key, tt.objects[i]) {
					t.Errorf("object %d is %s, want it to end %s", i, key, tt.objects[i])
				}
				obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: o.Key})
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(obj.Body)
				obj.Body.Close()
				rows, err := parquet.Read[parquetUser](bytes.NewReader(body), int64(len(body)))
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				if len(rows) != tt.rows[i] {
					t.Errorf("%s: %d rows, want %d", key, len(rows), tt.rows[i])
				}
				f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := f.Schema().Lookup("email"); ok != (i == 0) {
					t.Errorf("%s: email column present %v: schema %s", key, ok, f.Schema())
				}
				got = append(got, rows...)
			}
			if !slices.EqualFunc(got, want, func(a, b parquetUser) bool {
				return a.ID == b.ID && a.Name == b.Name && (a.Email == nil) == (b.Email == nil) && (a.Email == nil || *a.Email == *b.Email)
			}) {
				t.Errorf("read back %v, want %v", fmtUsers(got), fmtUsers(want))
			}
			if st, err := store.Get(ctx, offsets.Key{Connector: "avro-" + tt.compat, Topic: topic, Partition: 0}); err != nil || st.Next != 10 {
				t.Errorf("committed %d (%v), want 10", st.Next, err)
			}
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
