// Command dynamodb-sink is the Kafka → DynamoDB sink Lambda function. It only wires things up:
// everything is built once at cold start from CONNECT_* environment variables (or
// CONNECTOR_CONFIG_FILE), and a bad configuration stops it there with one message naming every
// bad setting.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambda-connect/lambda-connect/connectors/dynamodbsink"
	"github.com/lambda-connect/lambda-connect/core/coldstart"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

func main() {
	lambda.Start(coldstart.Build("dynamodb-sink", build))
}

func build(ctx context.Context, environ []string) (*sink.Handler, error) {
	return coldstart.Sink(ctx, dynamodbsink.Spec(), environ, dynamodbsink.Open)
}
