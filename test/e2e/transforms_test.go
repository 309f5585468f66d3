package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

// TestTransformsThroughS3Sink configures a chain of Connect transforms and a predicate by settings
// only and checks what lands in S3: fields inserted and masked, the topic renamed by RegexRouter
// (objects named after the new topic), tombstones dropped by Filter+RecordIsTombstone (with
// behavior.on.null.values=fail, so a tombstone reaching the sink would fail the batch), and a
// record that Cast cannot convert sent to the dead-letter destination with stage TRANSFORMATION.
func TestTransformsThroughS3Sink(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl := kafkalocal.ForTest(t)
	topic := "orders.raw"
	if err := cl.CreateTopic(ctx, topic, 2); err != nil {
		t.Fatal(err)
	}
	var in []record.Record
	for i := range 40 {
		r := record.Record{Topic: topic, Partition: int32(i % 2), Timestamp: 1_700_000_000_000 + int64(i), TimestampType: record.CreateTime,
			Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, `{"seq":%d,"customer":"c-%d","amount":"%d"}`, i, i%3, 10+i)}
		switch {
		case i%10 == 7:
			r.Value = nil // tombstone
		case i == 13:
			r.Value = []byte(`{"seq":13,"customer":"c-1","amount":"lots"}`)
		}
		in = append(in, r)
	}
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
	bucket := strings.ToLower(name("smt"))
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	c, err := s3sink.Spec().Parse(map[string]string{
		"connector.name": "smt", "s3.bucket.name": bucket, "s3.region": "us-east-1", "flush.size": "100",
		"value.converter.schemas.enable": "false", "errors.tolerance": "all",
		"transforms":                     "dropTombstones,insert,mask,cast,route", // Filter first: MaskField fails on a null value, as in Connect
		"transforms.insert.type":         "org.apache.kafka.connect.transforms.InsertField$Value",
		"transforms.insert.static.field": "source", "transforms.insert.static.value": "lambda-connect",
		"transforms.mask.type": "MaskField$Value", "transforms.mask.fields": "customer",
		"transforms.cast.type": "Cast$Value", "transforms.cast.spec": "amount:int32",
		"transforms.route.type": "RegexRouter", "transforms.route.regex": `(.*)\.raw`, "transforms.route.replacement": "$1-clean",
		"transforms.dropTombstones.type": "Filter", "transforms.dropTombstones.predicate": "isTombstone",
		"predicates": "isTombstone", "predicates.isTombstone.type": "RecordIsTombstone",
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := s3sink.New(mustConfig(t, c), client)
	if err != nil {
		t.Fatal(err)
	}
	store, _ := offsets.NewFileStore("")
	dead := dlq.NewMemory()
	h, err := sink.NewFromConfig(ctx, c, s, store, sink.WithDeadLetters(dead),
		sink.WithLogger(sink.NewLogger(io.Discard)), sink.WithMetricsTo(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	batches, err := kafkaevent.Batches(kafkaevent.SourceMSK, "arn:aws:kafka:eu-west-1:123456789012:cluster/c/1", cl.Bootstrap(), recs, kafkaevent.Limits{MaxRecords: 15})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if _, err := h.Invoke(ctx, b); err != nil {
			t.Fatal(err)
		}
	}

	// Objects are under the routed topic, lines transformed.
	out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, o := range out.Contents {
		key := aws.ToString(o.Key)
		if !strings.HasPrefix(key, "topics/orders-clean/partition=") || !strings.Contains(key, "/orders-clean+") {
			t.Errorf("object %s is not named after the routed topic", key)
		}
		obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
			var v map[string]any
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("%s: %q: %v", key, line, err)
			}
			seq := int(v["seq"].(float64))
			if v["customer"] != "" || v["source"] != "lambda-connect" || v["amount"] != float64(10+seq) {
				t.Errorf("%s: record %d not transformed: %s", key, seq, line)
			}
			lines++
		}
	}
	if want := 40 - 4 - 1; lines != want {
		t.Errorf("%d records in S3, want %d (40 less 4 tombstones filtered and 1 dead-lettered)", lines, want)
	}
	letters := dead.Letters()
	if len(letters) != 1 || letters[0].Stage != dlq.StageTransformation || !strings.Contains(letters[0].Class, "Cast") ||
		string(letters[0].Record.Value) != `{"seq":13,"customer":"c-1","amount":"lots"}` || letters[0].Record.Topic != topic {
		t.Fatalf("dead letters: %+v", letters)
	}
	for p := range int32(2) {
		st, err := store.Get(ctx, offsets.Key{Connector: "smt", Topic: topic, Partition: p})
		if err != nil || st.Next != 20 {
			t.Errorf("partition %d committed to %d (%v), want 20", p, st.Next, err)
		}
	}
}

func mustConfig(t *testing.T, c *config.Config) s3sink.Config {
	t.Helper()
	cfg, err := s3sink.ConfigFrom(c)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
