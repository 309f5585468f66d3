package dlq_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/sqslocal"
)

// printer is a custom destination: it prints each letter's coordinates and reason.
type printer struct{ prefix string }

func (p printer) Send(_ context.Context, letters []dlq.Letter) error {
	for _, l := range letters {
		fmt.Printf("%s %s at %s: %v\n", p.prefix, l.Record.Coordinates(), l.Stage, l.Err)
	}
	return nil
}

// Adding a dead-letter destination: a Destination, a Factory that builds it from the settings
// (or returns nil when they do not ask for it), and one Register call.
func ExampleRegistry_Register() {
	r := dlq.Builtins(dlq.BuiltinDeps{})
	err := r.Register("stdout", func(_ context.Context, settings map[string]string) (dlq.Destination, error) {
		prefix, ok := settings["errors.deadletterqueue.stdout.prefix"]
		if !ok {
			return nil, nil
		}
		return printer{prefix: prefix}, nil
	})
	if err != nil {
		panic(err)
	}
	d, err := r.Build(context.Background(), map[string]string{"errors.deadletterqueue.stdout.prefix": "DLQ"})
	if err != nil {
		panic(err)
	}
	l := dlq.Letter{Record: record.Record{Topic: "orders", Partition: 2, Offset: 41}, Stage: dlq.StageValueConverter,
		Err: fmt.Errorf("invalid JSON")}
	if err := d.Send(context.Background(), []dlq.Letter{l}); err != nil {
		panic(err)
	}
	fmt.Println(r.Names())
	// Output:
	// DLQ orders/2/41 at VALUE_CONVERTER: invalid JSON
	// [kafka s3 sqs stdout]
}

// The SQS destination: each letter is a message carrying the record's value as its body and the
// reason in its attributes; ParseSQSLetter reads one back.
func ExampleNewSQS() {
	ctx := context.Background()
	s, err := sqslocal.Start(sqslocal.Options{Queues: []string{"orders-dlq"}})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	client, err := sqslocal.Client(ctx, s.URL())
	if err != nil {
		panic(err)
	}
	d, err := dlq.NewSQS(dlq.SQSConfig{Client: client, QueueURL: s.QueueURL("orders-dlq")})
	if err != nil {
		panic(err)
	}
	l := dlq.Letter{Record: record.Record{Topic: "orders", Partition: 2, Offset: 41, Value: []byte{0xff, '{'}},
		Connector: "orders-sink", Stage: dlq.StageValueConverter, Err: errclass.Record("orders/2/41", "invalid JSON")}
	if err := d.Send(ctx, []dlq.Letter{l}); err != nil {
		panic(err)
	}
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(s.QueueURL("orders-dlq")), MessageAttributeNames: []string{"All"}})
	if err != nil {
		panic(err)
	}
	m := out.Messages[0]
	fmt.Println(aws.ToString(m.Body), aws.ToString(m.MessageAttributes[dlq.AttrSQSEncoding].StringValue))
	got, err := dlq.ParseSQSLetter(aws.ToString(m.Body), m.MessageAttributes)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s/%d/%d %q %s\n", got.Topic, got.Partition, got.Offset, got.Value, got.Errors[dlq.HeaderExMessage])
	// Output:
	// /3s= base64
	// orders/2/41 "\xff{" orders/2/41: invalid JSON
}
