package dlq_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

func letter(offset int64) dlq.Letter {
	return dlq.Letter{
		Record: record.Record{Topic: "orders.eu-1", Partition: 3, Offset: offset, Timestamp: 1700000000000, TimestampType: record.CreateTime,
			Key: []byte("k"), Value: []byte{0xff, '{', 'x'}, Headers: []record.Header{{Key: "trace", Value: []byte{0x80}}}},
		Connector: "c1", Stage: dlq.StageValueConverter,
		Err: errclass.New(errclass.BadRecord, "record orders.eu-1/3/7", errors.New("invalid JSON")),
	}
}

func TestContextHeaders(t *testing.T) {
	hs := dlq.ContextHeaders(letter(7))
	want := map[string]string{
		dlq.HeaderTopic: "orders.eu-1", dlq.HeaderPartition: "3", dlq.HeaderOffset: "7", dlq.HeaderConnector: "c1",
		dlq.HeaderStage: "VALUE_CONVERTER", dlq.HeaderExClass: "org.apache.kafka.connect.errors.DataException",
		dlq.HeaderExMessage: "record orders.eu-1/3/7: invalid JSON",
	}
	got := map[string]string{}
	for _, h := range hs {
		got[h.Key] = string(h.Value)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestS3IsIdempotentPerRecord(t *testing.T) {
	ctx := context.Background()
	client, err := s3local.Client(ctx, s3local.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	bucket := "dead-letters-test"
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	d, err := dlq.NewS3(dlq.S3Config{Client: client, Bucket: bucket})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a retried batch sends the same letters again
		if err := d.Send(ctx, []dlq.Letter{letter(7), letter(8)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 2 {
		t.Fatalf("%d objects for 2 records sent twice", len(out.Contents))
	}
	key := d.Key(letter(7))
	if key != "dead-letters/c1/orders.eu-1/3/00000000000000000007.json" {
		t.Errorf("key %s", key)
	}
	obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(obj.Body)
	var l dlq.S3Letter
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	if string(l.Value) != string([]byte{0xff, '{', 'x'}) || string(l.Key) != "k" || l.Offset != 7 || len(l.Headers) != 1 ||
		l.Headers[0].Value[0] != 0x80 || l.Errors[dlq.HeaderStage] != "VALUE_CONVERTER" {
		t.Errorf("letter %s", body)
	}
}

func TestNoDestinationNamed(t *testing.T) {
	if _, err := dlq.NewS3(dlq.S3Config{}); !errclass.Is(err, errclass.BadConfig) {
		t.Fatalf("got %v", err)
	}
}
