// Package dynamolocal fetches, starts and stops DynamoDB Local, the emulator tests and local runs use
// instead of DynamoDB.
//
// DynamoDB Local ships inside the npm package amplify-dynamodb-simulator (folder package/emulator of
// its tarball). Fetch runs `npm pack` for a pinned version and unpacks the emulator once into a cache
// directory; Start runs it with Java (17 or later) on a free port of 127.0.0.1, in memory, with one
// database shared by every credential and region (-sharedDb), and waits until it answers.
//
// Tests call ForTest, which returns $AWS_ENDPOINT_URL_DYNAMODB when it is set (the command
// infra/cmd/with-dynamodb-local sets it, so that every test package of `go test ./...` shares one
// emulator) and otherwise starts one emulator per test binary.
//
// Environment:
//
//	LAMBDA_CONNECT_CACHE                   cache root (default os.UserCacheDir()/lambda-connect); the
//	                                       emulator is unpacked in <root>/dynamodb-local/<version>
//	LAMBDA_CONNECT_DYNAMODB_LOCAL_VERSION  npm version of amplify-dynamodb-simulator (default DefaultVersion)
package dynamolocal

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

const (
	// Package is the npm package that carries DynamoDB Local.
	Package = "amplify-dynamodb-simulator"
	// DefaultVersion is the version of Package fetched by default (it carries DynamoDB Local
	// 1.25.1, which supports ReturnValuesOnConditionCheckFailure).
	DefaultVersion = "2.9.30"

	// EnvCache overrides the cache root.
	EnvCache = "LAMBDA_CONNECT_CACHE"
	// EnvVersion overrides DefaultVersion.
	EnvVersion = "LAMBDA_CONNECT_DYNAMODB_LOCAL_VERSION"
	// EnvEndpoint is the SDK's variable for the DynamoDB endpoint; ForTest uses it when set.
	EnvEndpoint = "AWS_ENDPOINT_URL_DYNAMODB"

	// Region, AccessKeyID and SecretAccessKey are the dummy settings clients of the emulator use.
	Region          = "us-east-1"
	AccessKeyID     = "local"
	SecretAccessKey = "local"
)

// Client returns a DynamoDB client for the emulator at endpoint, with static dummy credentials and
// region us-east-1, and without the response CRC32 check that DynamoDB Local's error responses
// fail. Use it only for a local emulator. It uses the SDK's default HTTP client, so it works
// whether AWS_CA_BUNDLE is set or not.
func Client(ctx context.Context, endpoint string) (*dynamodb.Client, error) {
	if endpoint == "" {
		return nil, fmt.Errorf("dynamolocal: empty endpoint")
	}
	// Built from scratch, not from the SDK's default configuration: a local emulator needs no
	// profile, and a broken ~/.aws/config or an AWS_PROFILE that names no profile must not stop it.
	return dynamodb.New(dynamodb.Options{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint: aws.String(endpoint),
		// DynamoDB Local sends "X-Amz-Crc32: 0" with error bodies (ConditionalCheckFailed with
		// ALL_OLD): the SDK's check would log a warning for every failed condition.
		DisableValidateResponseChecksum: true,
	}), nil
}
