package e2e

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

// TestDeadLetterTopic: with errors.tolerance=all and a dead-letter topic but no
// errors.deadletterqueue.bootstrap.servers, bad records go to the topic on the cluster the event
// came from, with their original bytes and Connect's context headers; the good records reach S3 and
// the offsets move past all of them.
func TestDeadLetterTopic(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	recs := brokerRecords(t, "invoices")
	cl := kafkalocal.ForTest(t)
	if err := cl.CreateTopic(ctx, "invoices-dlq", 2); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{}
	for i := range recs {
		if i%9 == 4 {
			recs[i].Value = fmt.Appendf(nil, `{"seq":%d,`, i)
			bad[recs[i].Coordinates()] = string(recs[i].Value)
		}
	}

	client, err := s3local.Client(ctx, s3local.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	bucket := strings.ToLower(name("dlq-topic"))
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	c, err := s3sink.Spec().Parse(map[string]string{"connector.name": "dlq-e2e", "s3.bucket.name": bucket, "s3.region": "us-east-1",
		"flush.size": "7", "value.converter.schemas.enable": "false", "errors.tolerance": "all",
		"errors.deadletterqueue.topic.name": "invoices-dlq", "errors.deadletterqueue.context.headers.enable": "true"})
	if err != nil {
		t.Fatal(err)
	}
	scfg, err := s3sink.ConfigFrom(c)
	if err != nil {
		t.Fatal(err)
	}
	s, err := s3sink.New(scfg, client)
	if err != nil {
		t.Fatal(err)
	}
	store, err := offsets.NewFileStore("")
	if err != nil {
		t.Fatal(err)
	}
	h, err := sink.NewFromConfig(ctx, c, s, store, sink.WithLogger(sink.NewLogger(io.Discard)), sink.WithMetricsTo(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	batches, err := kafkaevent.Batches(kafkaevent.SourceSelfManaged, "", cl.Bootstrap(), recs, kafkaevent.Limits{MaxRecords: 25})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if _, err := h.Invoke(ctx, b); err != nil {
			t.Fatal(err)
		}
	}

	letters, err := kafkalocal.ReadAll(ctx, cl.Addrs(), "invoices-dlq")
	if err != nil {
		t.Fatal(err)
	}
	if len(letters) != len(bad) {
		t.Fatalf("%d records on the dead-letter topic, want %d", len(letters), len(bad))
	}
	for _, l := range letters {
		hdr := func(k string) string { v, _ := l.Header(k); return string(v) }
		coords := hdr(dlq.HeaderTopic) + "/" + hdr(dlq.HeaderPartition) + "/" + hdr(dlq.HeaderOffset)
		orig, ok := bad[coords]
		if !ok {
			t.Errorf("dead letter for %s, which was not a bad record", coords)
			continue
		}
		if string(l.Value) != orig {
			t.Errorf("%s: value %q, want the original %q", coords, l.Value, orig)
		}
		if hdr(dlq.HeaderStage) != "VALUE_CONVERTER" || hdr(dlq.HeaderConnector) != "dlq-e2e" ||
			hdr(dlq.HeaderExClass) != "org.apache.kafka.connect.errors.DataException" || !strings.Contains(hdr(dlq.HeaderExMessage), coords) {
			t.Errorf("%s: context headers %v", coords, l.Headers)
		}
		if _, ok := l.Header("trace"); !ok {
			t.Errorf("%s: the record's own headers were not kept", coords)
		}
		delete(bad, coords)
	}
	// The good records are in S3 and every partition is committed to its end.
	ends := map[int32]int64{}
	for _, r := range recs {
		ends[r.Partition] = max(ends[r.Partition], r.Offset+1)
	}
	for p, end := range ends {
		st, err := store.Get(ctx, offsets.Key{Connector: "dlq-e2e", Topic: "invoices", Partition: p})
		if err != nil || st.Next != end {
			t.Errorf("partition %d committed to %d (%v), want %d", p, st.Next, err, end)
		}
	}
	bySeq := map[string]record.Record{}
	for _, r := range recs {
		bySeq[string(r.Value)] = r
	}
	got, err := readBucket(ctx, t, client, bucket, bySeq)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(recs) - len(letters); len(got) != want {
		t.Errorf("%d records in S3, want %d", len(got), want)
	}
}
