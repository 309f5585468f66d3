package sink

import (
	"context"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// LoadAWSConfig loads the AWS SDK's standard configuration (credentials of the function's role,
// AWS_REGION, AWS_ENDPOINT_URL_*, ...) that a sink's client of service (such as "S3") starts
// from, adjusted by opts and, when region is not empty, in that region. It makes no network call
// (it runs at cold start). A configuration the SDK cannot load is a bad configuration, and so is
// one without a region: that error names regionKey, the sink's setting for the region.
func LoadAWSConfig(ctx context.Context, service, region, regionKey string, opts ...func(*awsconfig.LoadOptions) error) (awssdk.Config, error) {
	if region != "" {
		opts = append(opts[:len(opts):len(opts)], awsconfig.WithRegion(region)) // not into the caller's array
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return awssdk.Config{}, errclass.New(errclass.BadConfig, "AWS configuration", fmt.Errorf("%s client: %w", service, err))
	}
	if ac.Region == "" {
		return awssdk.Config{}, errclass.Config(regionKey, "no region: set %s or AWS_REGION", regionKey)
	}
	return ac, nil
}
