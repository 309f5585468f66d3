// Command s3-source is the S3 → Kafka source Lambda function. It only wires things up: the
// source, its producer and its checkpoint ledger are built once at cold start from CONNECT_*
// environment variables (or CONNECTOR_CONFIG_FILE); a bad configuration stops it there with one
// message naming every bad setting. It accepts S3 notifications directly, through SQS (with
// batchItemFailures), SNS-in-SQS, and EventBridge.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/core/coldstart"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

func main() {
	b := coldstart.Build("s3-source", build)
	lambda.StartWithOptions(b.Source.Handle, lambda.WithEnableSIGTERM(func() { _ = b.Producer.Close() }))
}

func build(ctx context.Context, environ []string) (*s3source.Built, error) {
	log := sink.NewLogger(os.Stderr)
	c, err := coldstart.Settings(s3source.Spec(), environ, log)
	if err != nil {
		return nil, err
	}
	reg, err := coldstart.Converters()
	if err != nil {
		return nil, err
	}
	return s3source.BuildWith(ctx, c, reg, func(d *s3source.Deps) { d.Logger = log })
}
