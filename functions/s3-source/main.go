// Command s3-source is the S3 → Kafka source Lambda function. It only wires things up: the
// source, its producer and its checkpoint ledger are built once at cold start from CONNECT_*
// environment variables (or CONNECTOR_CONFIG_FILE); a bad configuration stops it there with one
// message naming every bad setting. It accepts S3 notifications directly, through SQS (with
// batchItemFailures), SNS-in-SQS, and EventBridge.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/glueregistry"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

func main() {
	b, err := build(context.Background())
	if err != nil {
		sink.NewLogger(os.Stderr).Error("s3-source: configuration rejected at cold start", "error", err)
		fmt.Fprintln(os.Stderr, "s3-source:", err)
		os.Exit(1)
	}
	lambda.StartWithOptions(b.Source.Handle, lambda.WithEnableSIGTERM(func() { _ = b.Producer.Close() }))
}

func build(ctx context.Context) (*s3source.Built, error) {
	c, err := config.Load(s3source.Spec(), os.Environ())
	if err != nil {
		return nil, err
	}
	log := sink.NewLogger(os.Stderr)
	if ign := c.Ignored(); len(ign) > 0 {
		log.Warn("settings accepted for Kafka Connect compatibility have no effect here", "settings", ign)
	}
	reg, err := converterRegistry()
	if err != nil {
		return nil, err
	}
	return s3source.BuildWith(ctx, c, reg, func(d *s3source.Deps) { d.Logger = log })
}

// converterRegistry is the converters the function accepts: the builtins and AWS Glue Schema
// Registry's AWSKafkaAvroConverter. Built once, at cold start.
func converterRegistry() (*converters.Registry, error) {
	r := converters.Builtins()
	if err := glueregistry.Register(r); err != nil {
		return nil, err
	}
	return r, nil
}
