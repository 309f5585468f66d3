package e2e

import (
	"context"
	"io"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
)

// mskARN is the MSK cluster the suites' aws:kafka events say they come from.
const mskARN = "arn:aws:kafka:us-east-1:123456789012:cluster/c/1"

// s3SinkRun is an S3 sink over a bucket of S3 Local, run by the sink runtime with its offsets in
// an in-memory file store.
type s3SinkRun struct {
	connector string
	client    *s3.Client
	bucket    string
	store     *offsets.FileStore
	h         *sink.Handler
}

// newBucket creates a bucket with a fresh name starting with prefix and returns its name.
func newBucket(ctx context.Context, t *testing.T, client *s3.Client, prefix string) string {
	t.Helper()
	bucket := strings.ToLower(name(prefix))
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	return bucket
}

// quiet returns sink options that discard the handler's logs and metrics, followed by opts.
func quiet(opts ...sink.Option) []sink.Option {
	return append([]sink.Option{sink.WithLogger(sink.NewLogger(io.Discard)), sink.WithMetricsTo(io.Discard)}, opts...)
}

// s3SinkConfig parses props, on top of the bucket and region us-east-1, as S3 sink settings and
// returns them with the sink they configure over client.
func s3SinkConfig(t *testing.T, client *s3.Client, bucket string, props map[string]string) (*config.Config, *s3sink.Sink) {
	t.Helper()
	all := map[string]string{"s3.bucket.name": bucket, "s3.region": "us-east-1"}
	maps.Copy(all, props)
	c, err := s3sink.Spec().Parse(all)
	if err != nil {
		t.Fatal(err)
	}
	s, err := s3sink.New(mustConfig(t, c), client)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// mustConfig returns the S3 sink's configuration from c, failing the test if it is invalid.
func mustConfig(t *testing.T, c *config.Config) s3sink.Config {
	t.Helper()
	cfg, err := s3sink.ConfigFrom(c)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newS3Sink builds a handler, quiet but for opts, for an S3 sink with props writing to the
// existing bucket, its offsets in a new in-memory store.
func newS3Sink(ctx context.Context, t *testing.T, client *s3.Client, bucket string, props map[string]string, opts ...sink.Option) *s3SinkRun {
	t.Helper()
	c, s := s3SinkConfig(t, client, bucket, props)
	store, err := offsets.NewFileStore("")
	if err != nil {
		t.Fatal(err)
	}
	h, err := sink.NewFromConfig(ctx, c, s, store, quiet(opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &s3SinkRun{connector: c.String("connector.name"), client: client, bucket: bucket, store: store, h: h}
}

// newTopic creates a topic with a fresh name starting with prefix on the cluster and returns its
// name.
func newTopic(ctx context.Context, t *testing.T, cl *kafkalocal.Cluster, prefix string, partitions int32) string {
	t.Helper()
	topic := name(prefix)
	if err := cl.CreateTopic(ctx, topic, partitions); err != nil {
		t.Fatal(err)
	}
	return topic
}

// produceAndRead produces in to the cluster and returns the topic's records as read back from
// it, with the offsets the broker assigned.
func produceAndRead(ctx context.Context, t *testing.T, cl *kafkalocal.Cluster, topic string, in []record.Record) []record.Record {
	t.Helper()
	if err := kafkalocal.Produce(ctx, cl.Addrs(), in); err != nil {
		t.Fatal(err)
	}
	recs, err := kafkalocal.ReadAll(ctx, cl.Addrs(), topic)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// kafkaEvents splits recs into Lambda events of the source kind src (from the cluster arn at
// bootstrap) of at most maxRecords records each.
func kafkaEvents(t *testing.T, src, arn, bootstrap string, recs []record.Record, maxRecords int) [][]byte {
	t.Helper()
	events, err := kafkaevent.Batches(src, arn, bootstrap, recs, kafkaevent.Limits{MaxRecords: maxRecords})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// invoke hands the events to the handler in order, failing the test on any invocation error.
func (e *s3SinkRun) invoke(ctx context.Context, t *testing.T, events [][]byte) {
	t.Helper()
	for _, ev := range events {
		if _, err := e.h.Invoke(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
}

// committed returns the next offset committed for the topic's partition.
func (e *s3SinkRun) committed(ctx context.Context, t *testing.T, topic string, partition int32) int64 {
	t.Helper()
	st, err := e.store.Get(ctx, offsets.Key{Connector: e.connector, Topic: topic, Partition: partition})
	if err != nil {
		t.Fatal(err)
	}
	return st.Next
}

// checkCommitted checks that partitions 0 to partitions-1 of the topic are each committed to want.
func (e *s3SinkRun) checkCommitted(ctx context.Context, t *testing.T, topic string, partitions int32, want int64) {
	t.Helper()
	for p := range partitions {
		st, err := e.store.Get(ctx, offsets.Key{Connector: e.connector, Topic: topic, Partition: p})
		if err != nil || st.Next != want {
			t.Errorf("partition %d committed to %d (%v), want %d", p, st.Next, err, want)
		}
	}
}

// s3Object is an object of the bucket, read back.
type s3Object struct {
	key  string
	body []byte
}

// objects returns the objects in the bucket, in the order they are listed.
func (e *s3SinkRun) objects(ctx context.Context, t *testing.T) []s3Object {
	t.Helper()
	out, err := e.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &e.bucket})
	if err != nil {
		t.Fatal(err)
	}
	var objs []s3Object
	for _, o := range out.Contents {
		obj, err := e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &e.bucket, Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		objs = append(objs, s3Object{key: aws.ToString(o.Key), body: body})
	}
	return objs
}

// lines returns the object's lines (records, for the JSON format).
func (o s3Object) lines() []string {
	return strings.Split(strings.TrimSpace(string(o.body)), "\n")
}

// lines returns the lines of every object in the bucket, object after object.
func (e *s3SinkRun) lines(ctx context.Context, t *testing.T) []string {
	t.Helper()
	var ls []string
	for _, o := range e.objects(ctx, t) {
		ls = append(ls, o.lines()...)
	}
	return ls
}
