package e2e

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
	"github.com/lambda-connect/lambda-connect/infra/sqslocal"
)

// TestDeadLetterQueueSQS: with errors.tolerance=all and errors.deadletterqueue.sqs.queue.url,
// records that fail conversion or a transform go to the SQS queue, one message each with the
// original bytes and Connect's context; the good records reach S3 and the offsets move past all
// of them: delivered + dead-lettered = input.
func TestDeadLetterQueueSQS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The sink builds its SQS client from the SDK's configuration, as in Lambda.
	endpoint := sqslocal.ForTest(t)
	t.Setenv(sqslocal.EnvEndpoint, endpoint)
	t.Setenv("AWS_REGION", sqslocal.Region)
	t.Setenv("AWS_ACCESS_KEY_ID", sqslocal.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sqslocal.SecretAccessKey)
	sqsClient, err := sqslocal.Client(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	q, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name("invoices-dlq"))})
	if err != nil {
		t.Fatal(err)
	}
	queueURL := aws.ToString(q.QueueUrl)

	recs := brokerRecords(t, "invoices")
	cl := kafkalocal.ForTest(t)
	bad := map[string]string{}   // coordinates -> original value
	stage := map[string]string{} // coordinates -> where it failed
	for i := range recs {
		switch {
		case i%9 == 4: // not JSON
			recs[i].Value = fmt.Appendf(nil, `{"seq":%d,`, i)
			stage[recs[i].Coordinates()] = string(dlq.StageValueConverter)
		case i%11 == 5: // JSON, but no "amount" for the transform to cast
			recs[i].Value = fmt.Appendf(nil, `{"seq":%d,"amount":"not a number"}`, i)
			stage[recs[i].Coordinates()] = string(dlq.StageTransformation)
		default:
			continue
		}
		bad[recs[i].Coordinates()] = string(recs[i].Value)
	}

	client, err := s3local.Client(ctx, s3local.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	bucket := strings.ToLower(name("dlq-sqs"))
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	c, err := s3sink.Spec().Parse(map[string]string{"connector.name": "dlq-sqs-e2e", "s3.bucket.name": bucket, "s3.region": "us-east-1",
		"flush.size": "7", "value.converter.schemas.enable": "false", "errors.tolerance": "all",
		"transforms": "cast", "transforms.cast.type": "Cast$Value", "transforms.cast.spec": "amount:float64",
		sink.KeyDLQSQSQueueURL: queueURL})
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

	// Every bad record is in the queue once, as it came, with the reason.
	letters := 0
	for {
		out, err := sqsClient.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &queueURL, MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"}, VisibilityTimeout: 300})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			letters++
			l, err := dlq.ParseSQSLetter(aws.ToString(m.Body), m.MessageAttributes)
			if err != nil {
				t.Fatal(err)
			}
			coords := record.Record{Topic: l.Topic, Partition: l.Partition, Offset: l.Offset}.Coordinates()
			orig, ok := bad[coords]
			if !ok {
				t.Errorf("dead letter for %s, which was not a bad record (or came twice)", coords)
				continue
			}
			if string(l.Value) != orig {
				t.Errorf("%s: value %q, want the original %q", coords, l.Value, orig)
			}
			if l.Errors[dlq.HeaderStage] != stage[coords] || l.Errors[dlq.HeaderConnector] != "dlq-sqs-e2e" ||
				l.Errors[dlq.HeaderExClass] != "org.apache.kafka.connect.errors.DataException" ||
				!strings.Contains(l.Errors[dlq.HeaderExMessage], coords) ||
				aws.ToString(m.MessageAttributes[dlq.AttrSQSErrorClass].StringValue) != "bad_record" {
				t.Errorf("%s: context %v", coords, l.Errors)
			}
			if len(l.Headers) == 0 || l.Headers[0].Key != "trace" {
				t.Errorf("%s: the record's own headers were not kept: %+v", coords, l.Headers)
			}
			delete(bad, coords)
		}
	}
	if len(bad) != 0 {
		t.Errorf("%d bad records missing from the queue: %v", len(bad), bad)
	}
	// The good records are in S3 and every partition is committed to its end.
	ends := map[int32]int64{}
	for _, r := range recs {
		ends[r.Partition] = max(ends[r.Partition], r.Offset+1)
	}
	for p, end := range ends {
		st, err := store.Get(ctx, offsets.Key{Connector: "dlq-sqs-e2e", Topic: "invoices", Partition: p})
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
	if len(got)+letters != len(recs) {
		t.Errorf("%d records in S3 + %d dead letters, want the %d input records", len(got), letters, len(recs))
	}
}
