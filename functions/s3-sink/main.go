// Command s3-sink is the Kafka → S3 sink Lambda function. It only wires things up: everything is
// built once at cold start from CONNECT_* environment variables (or CONNECTOR_CONFIG_FILE), and a
// bad configuration stops it there with one message naming every bad setting.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/glueregistry"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

func main() {
	h, err := build(context.Background())
	if err != nil {
		sink.NewLogger(os.Stderr).Error("s3-sink: configuration rejected at cold start", "error", err)
		fmt.Fprintln(os.Stderr, "s3-sink:", err)
		os.Exit(1)
	}
	lambda.Start(h)
}

func build(ctx context.Context) (*sink.Handler, error) {
	c, err := config.Load(s3sink.Spec(), os.Environ())
	if err != nil {
		return nil, err
	}
	if ign := c.Ignored(); len(ign) > 0 {
		sink.NewLogger(os.Stderr).Warn("settings accepted for Kafka Connect compatibility have no effect here", "settings", ign)
	}
	s, err := s3sink.Open(ctx, c)
	if err != nil {
		return nil, err
	}
	reg, err := converterRegistry()
	if err != nil {
		return nil, err
	}
	return sink.NewFromConfig(ctx, c, s, nil, sink.WithConverters(reg))
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
