package e2e

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
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

	e := newDeadLetterSink(ctx, t, "dlq-e2e", "dlq-topic", map[string]string{
		"errors.deadletterqueue.topic.name": "invoices-dlq", "errors.deadletterqueue.context.headers.enable": "true"})
	e.invokeAll(ctx, t, cl.Bootstrap(), recs)

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
	e.checkDelivered(ctx, t, recs, len(letters))
}

// newDeadLetterSink creates a bucket named after bucketPrefix and a handler for the connector over
// an S3 sink writing schemaless JSON in objects of 7 records, with errors.tolerance=all and props
// (the dead-letter destination) on top.
func newDeadLetterSink(ctx context.Context, t *testing.T, connector, bucketPrefix string, props map[string]string) *s3SinkRun {
	t.Helper()
	client, err := s3local.Client(ctx, s3local.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{"connector.name": connector, "flush.size": "7", "value.converter.schemas.enable": "false",
		"errors.tolerance": "all"}
	maps.Copy(all, props)
	return newS3Sink(ctx, t, client, newBucket(ctx, t, client, bucketPrefix), all)
}

// invokeAll delivers recs to the handler in self-managed Kafka events of at most 25 records from
// the cluster at bootstrap, failing the test on any invocation error.
func (e *s3SinkRun) invokeAll(ctx context.Context, t *testing.T, bootstrap string, recs []record.Record) {
	t.Helper()
	e.invoke(ctx, t, kafkaEvents(t, kafkaevent.SourceSelfManaged, "", bootstrap, recs, 25))
}

// checkDelivered checks that the good records are in S3 and every partition is committed to its
// end: the records in the bucket and the letters dead-lettered add up to recs.
func (e *s3SinkRun) checkDelivered(ctx context.Context, t *testing.T, recs []record.Record, letters int) {
	t.Helper()
	ends := map[offsets.Key]int64{}
	for _, r := range recs {
		k := offsets.Key{Connector: e.connector, Topic: r.Topic, Partition: r.Partition}
		ends[k] = max(ends[k], r.Offset+1)
	}
	for k, end := range ends {
		st, err := e.store.Get(ctx, k)
		if err != nil || st.Next != end {
			t.Errorf("partition %d committed to %d (%v), want %d", k.Partition, st.Next, err, end)
		}
	}
	bySeq := map[string]record.Record{}
	for _, r := range recs {
		bySeq[string(r.Value)] = r
	}
	got, err := readBucket(ctx, t, e.client, e.bucket, bySeq)
	if err != nil {
		t.Fatal(err)
	}
	if len(got)+letters != len(recs) {
		t.Errorf("%d records in S3 + %d dead letters, want the %d input records", len(got), letters, len(recs))
	}
}
