package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
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

	e := newDeadLetterSink(ctx, t, "dlq-sqs-e2e", "dlq-sqs", map[string]string{
		"transforms": "cast", "transforms.cast.type": "Cast$Value", "transforms.cast.spec": "amount:float64",
		sink.KeyDLQSQSQueueURL: queueURL})
	e.invokeAll(ctx, t, cl.Bootstrap(), recs)

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
	e.checkDelivered(ctx, t, recs, letters)
}
