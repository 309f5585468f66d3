// Package e2e holds the end-to-end suites: the real handlers driven with Lambda-shaped events built
// from records read out of a Kafka broker (kfake, or KAFKA_BROKERS), against DynamoDB Local (or
// AWS_ENDPOINT_URL_DYNAMODB) and an S3 server (gofakes3, or AWS_ENDPOINT_URL_S3).
package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/core/sink/sinktest"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

var uniq atomic.Int64

func name(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, uniq.Add(1))
}

// brokerRecords produces the suite's records to a broker and returns them as read back from it,
// with the offsets, timestamps and headers the broker assigned.
func brokerRecords(t *testing.T, topic string) []record.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl := kafkalocal.ForTest(t)
	in := sinktest.Generate(topic, 3, 40)
	if err := cl.CreateTopic(ctx, topic, 3); err != nil {
		t.Fatal(err)
	}
	if err := kafkalocal.Produce(ctx, cl.Addrs(), in); err != nil {
		t.Fatal(err)
	}
	out, err := kafkalocal.ReadAll(ctx, cl.Addrs(), topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("read %d records back from the broker, produced %d", len(out), len(in))
	}
	return out
}

func dynamoStore(t *testing.T) sink.Store {
	t.Helper()
	ctx := context.Background()
	client, err := dynamolocal.Client(ctx, dynamolocal.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	table := name("offsets")
	if err := offsets.CreateTable(ctx, client, table); err != nil {
		t.Fatal(err)
	}
	st, err := offsets.NewDynamoStore(offsets.DynamoConfig{Client: client, Table: table})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

var objectName = regexp.MustCompile(`^topics/([^/]+)/(.+)/([^/+]+)\+(\d+)\+(\d{10})\.(json|json\.gz|bin)$`)

// s3Harness makes S3 sinks over fresh buckets with the given settings.
func s3Harness(t *testing.T, recs []record.Record, props map[string]string) sinktest.Harness {
	ctx := context.Background()
	endpoint := s3local.ForTest(t)
	client, err := s3local.Client(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	bySeq := map[string]record.Record{}
	for _, r := range recs {
		bySeq[string(r.Value)] = r
	}
	return sinktest.Harness{
		Records:  recs,
		NewStore: dynamoStore,
		NewSink: func(t *testing.T) (sink.Sink, func(context.Context) ([]sinktest.Delivered, error)) {
			bucket := strings.ToLower(name("bucket"))
			if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
				t.Fatal(err)
			}
			all := map[string]string{"connector.name": "e2e"}
			maps.Copy(all, props)
			_, s := s3SinkConfig(t, client, bucket, all)
			read := func(ctx context.Context) ([]sinktest.Delivered, error) {
				return readBucket(ctx, t, client, bucket, bySeq)
			}
			return s, read
		},
		NewDeadLetters: func(t *testing.T) (dlq.Destination, func(context.Context) ([]sinktest.DeadLetter, error)) {
			bucket := strings.ToLower(name("dead"))
			if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
				t.Fatal(err)
			}
			d, err := dlq.NewS3(dlq.S3Config{Client: client, Bucket: bucket})
			if err != nil {
				t.Fatal(err)
			}
			return d, func(ctx context.Context) ([]sinktest.DeadLetter, error) { return readDeadLetters(ctx, client, bucket) }
		},
		CheckWrite: func(t *testing.T, id string, in record.Record) {
			m := objectName.FindStringSubmatch(id)
			if m == nil {
				t.Errorf("object %s is not named as Confluent's S3 sink names objects", id)
				return
			}
			p, _ := strconv.Atoi(m[4])
			if m[1] != in.Topic || m[3] != in.Topic || int32(p) != in.Partition {
				t.Errorf("record %s is in %s: wrong topic or partition", in.Coordinates(), id)
			}
			if start, _ := strconv.ParseInt(m[5], 10, 64); start > in.Offset {
				t.Errorf("record %s is in %s, which starts after it", in.Coordinates(), id)
			}
		},
	}
}

// readBucket returns every line of every object in the bucket, and checks that each object's
// name carries the offset of its first record and that its records are in offset order.
func readBucket(ctx context.Context, t *testing.T, client *s3.Client, bucket string, bySeq map[string]record.Record) ([]sinktest.Delivered, error) {
	var out []sinktest.Delivered
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: o.Key})
			if err != nil {
				return nil, fmt.Errorf("get %s: %w", key, err)
			}
			var r io.Reader = obj.Body
			if strings.HasSuffix(key, ".gz") {
				if r, err = gzip.NewReader(obj.Body); err != nil {
					return nil, fmt.Errorf("%s: %w", key, err)
				}
			}
			body, err := io.ReadAll(r)
			obj.Body.Close()
			if err != nil {
				return nil, err
			}
			sc := bufio.NewScanner(bytes.NewReader(body))
			sc.Buffer(nil, 1<<20)
			last := int64(-1)
			for i := 0; sc.Scan(); i++ {
				line := bytes.Clone(sc.Bytes())
				out = append(out, sinktest.Delivered{ID: key, Value: line})
				in, ok := bySeq[string(line)]
				if !ok {
					continue // reported by the suite
				}
				if m := objectName.FindStringSubmatch(key); i == 0 && m != nil {
					if start, _ := strconv.ParseInt(m[5], 10, 64); start != in.Offset {
						t.Errorf("%s starts with offset %d", key, in.Offset)
					}
				}
				if in.Offset <= last {
					t.Errorf("%s: offset %d after %d", key, in.Offset, last)
				}
				last = in.Offset
			}
		}
	}
	return out, nil
}

// readDeadLetters reads back every letter of the S3 dead-letter destination.
func readDeadLetters(ctx context.Context, client *s3.Client, bucket string) ([]sinktest.DeadLetter, error) {
	var out []sinktest.DeadLetter
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: o.Key})
			if err != nil {
				return nil, err
			}
			var l dlq.S3Letter
			err = json.NewDecoder(obj.Body).Decode(&l)
			obj.Body.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", aws.ToString(o.Key), err)
			}
			out = append(out, sinktest.DeadLetter{Topic: l.Topic, Partition: l.Partition, Offset: l.Offset, Value: l.Value,
				Reason: l.Errors[dlq.HeaderExMessage]})
		}
	}
	return out, nil
}

func TestS3SinkExactlyOnce(t *testing.T) {
	recs := brokerRecords(t, "orders.eu-west_1")
	sinktest.Run(t, s3Harness(t, recs, map[string]string{"flush.size": "5"}))
}

func TestS3SinkExactlyOnceTimeBasedGzip(t *testing.T) {
	recs := brokerRecords(t, "clicks-v2")
	sinktest.Run(t, s3Harness(t, recs, map[string]string{
		"flush.size":            "4",
		"s3.compression.type":   "gzip",
		"partitioner.class":     "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
		"path.format":           "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH",
		"partition.duration.ms": "3600000",
		"locale":                "en-US",
		"timezone":              "UTC",
		"timestamp.extractor":   "Record",
	}))
}

// With a field partitioner one partition's records interleave across directories, so an attempt
// that dies after writing leaves objects that a retry at other boundaries would not overwrite:
// only discarding the announced writes keeps every record exactly once.
func TestS3SinkExactlyOnceFieldPartitioner(t *testing.T) {
	recs := brokerRecords(t, "payments")
	sinktest.Run(t, s3Harness(t, recs, map[string]string{
		"flush.size":           "3",
		"partitioner.class":    "FieldPartitioner",
		"partition.field.name": "customer",
	}))
}
