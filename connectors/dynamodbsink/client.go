package dynamodbsink

import (
	"context"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// NewClient returns the DynamoDB client the sink's configuration calls for, with the AWS SDK's
// standard configuration (credentials of the function's role, AWS_REGION,
// AWS_ENDPOINT_URL_DYNAMODB, ...) adjusted by opts: aws.dynamodb.region overrides the region and
// aws.dynamodb.endpoint the endpoint. It makes no network call (it runs at cold start).
//
// The HTTP client keeps up to 512 idle connections to the endpoint (the SDK's default is 10), so
// that the writes in flight (dynamodb.write.concurrency per partition, partitions.concurrency
// partitions) reuse their connections instead of opening new ones. With an endpoint override
// (DynamoDB Local) the response CRC32 is not checked: DynamoDB Local sends a wrong one with error
// responses, such as every failed condition.
func NewClient(ctx context.Context, cfg Config, opts ...func(*awsconfig.LoadOptions) error) (*dynamodb.Client, error) {
	opts = append([]func(*awsconfig.LoadOptions) error{awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = 512
		t.MaxIdleConnsPerHost = 512
	}))}, opts...)
	ac, err := sink.LoadAWSConfig(ctx, "DynamoDB", cfg.Region, KeyRegion, opts...)
	if err != nil {
		return nil, err
	}
	return dynamodb.NewFromConfig(ac, func(o *dynamodb.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		if cfg.Endpoint != "" || os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != "" || os.Getenv("AWS_ENDPOINT_URL") != "" {
			o.DisableValidateResponseChecksum = true
		}
	}), nil
}

// Open builds the sink from parsed settings with the client NewClient makes: what
// functions/dynamodb-sink does.
func Open(ctx context.Context, c *config.Config) (*Sink, error) {
	cfg, err := ConfigFrom(c)
	if err != nil {
		return nil, err
	}
	client, err := NewClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return New(cfg, client)
}
