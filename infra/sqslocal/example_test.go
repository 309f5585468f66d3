package sqslocal_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/lambda-connect/lambda-connect/infra/sqslocal"
)

// A local queue, used with the AWS SDK's own client.
func Example() {
	ctx := context.Background()
	s, err := sqslocal.Start(sqslocal.Options{Queues: []string{"work"}})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	c, err := sqslocal.Client(ctx, s.URL())
	if err != nil {
		panic(err)
	}
	url := s.QueueURL("work")
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("hello")}); err != nil {
		panic(err)
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 1,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}})
	if err != nil {
		panic(err)
	}
	m := out.Messages[0]
	fmt.Println(aws.ToString(m.Body), m.Attributes["ApproximateReceiveCount"])
	// Output: hello 1
}
