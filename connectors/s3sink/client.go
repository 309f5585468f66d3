package s3sink

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/sink"

	// Time zones for the time-based partitioners, whatever the runtime image holds.
	_ "time/tzdata"
)

// NewClient returns the S3 client the sink's configuration calls for, with the AWS SDK's standard
// configuration (credentials of the function's role, AWS_REGION, AWS_ENDPOINT_URL_S3, ...):
// s3.region overrides the region, store.url the endpoint, s3.path.style.access.enabled the
// addressing. It makes no network call (it runs at cold start).
//
// When an endpoint override is in use (store.url, or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL),
// checksums are computed and validated only where S3 requires them
// (RequestChecksumCalculation/ResponseChecksumValidation WhenRequired): with the SDK's defaults a
// PutObject over TLS is sent aws-chunked with a trailing CRC32, which many S3-compatible stores do
// not understand (some store the chunk framing as the object, silently). Put sends a Content-MD5
// instead, which every store checks.
func NewClient(ctx context.Context, cfg Config) (*s3.Client, error) {
	ac, err := sink.LoadAWSConfig(ctx, "S3", cfg.Region, KeyRegion)
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(ac, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		if o.BaseEndpoint != nil { // store.url, or the SDK's AWS_ENDPOINT_URL_S3
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	}), nil
}

// Open builds the sink from parsed settings with the client NewClient makes: what
// functions/s3-sink and the command line's run do.
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
