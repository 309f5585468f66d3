package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smithy "github.com/aws/smithy-go"

	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// lambdaInvoker sends objects to a deployed S3 source function, one asynchronous invocation
// (InvocationType=Event) per object, in the S3 event notification S3 itself would send.
type lambdaInvoker struct {
	client   *lambda.Client
	function string
	region   string
	now      func() time.Time
}

// newLambdaInvoker reaches the Lambda API with the AWS SDK's standard configuration
// (AWS_REGION, AWS_ENDPOINT_URL_LAMBDA, the profile); region, when set, overrides the region.
// It makes no network call.
func newLambdaInvoker(ctx context.Context, function, region string) (*lambdaInvoker, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, "AWS configuration", err)
	}
	if cfg.Region == "" {
		return nil, errclass.Config("--invoke", "no AWS region: set AWS_REGION (or s3.region) for the function %s", function)
	}
	return &lambdaInvoker{client: lambda.NewFromConfig(cfg), function: function, region: cfg.Region, now: time.Now}, nil
}

// invoke queues one invocation of the function for obj. Lambda answers 202 once the event is
// queued; the function runs later, retried by Lambda as for any asynchronous event.
func (li *lambdaInvoker) invoke(ctx context.Context, obj trigger.Object) error {
	payload, err := s3EventPayload(obj, li.region, li.now())
	if err != nil {
		return errclass.New(errclass.BadRecord, obj.String(), err)
	}
	out, err := li.client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(li.function),
		InvocationType: lambdatypes.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return li.invokeErr(obj, err)
	}
	if out.StatusCode != 202 {
		return errclass.New(errclass.Retriable, obj.String(), fmt.Errorf("invoking %s: status %d, want 202 (queued)", li.function, out.StatusCode))
	}
	return nil
}

// invokeErr classifies a failed Invoke: a missing function or a denied call is the caller's
// configuration, throttling and service errors are retriable.
func (li *lambdaInvoker) invokeErr(obj trigger.Object, err error) error {
	class := errclass.Retriable
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ResourceNotFoundException", "AccessDeniedException", "InvalidParameterValueException",
			"UnrecognizedClientException", "InvalidSignatureException", "RequestTooLargeException":
			class = errclass.BadConfig
		}
	}
	return errclass.New(class, obj.String(), fmt.Errorf("invoking function %s: %w", li.function, err))
}
