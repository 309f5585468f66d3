// Package s3local runs an in-memory S3 server (gofakes3) for tests and local runs, and makes S3
// clients for such local servers.
//
// Start serves plain HTTP on a free port of 127.0.0.1. Tests call ForTest, which returns
// $AWS_ENDPOINT_URL_S3 when it is set (a running S3-compatible server) and otherwise starts a fresh
// server for the test. The server honours conditional writes (PutObject with If-None-Match: *) and
// DeleteObjects as S3 does.
package s3local

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lambda-connect/lambda-connect/infra/localserver"
)

const (
	// EnvEndpoint is the SDK's variable for the S3 endpoint; ForTest uses it when set.
	EnvEndpoint = "AWS_ENDPOINT_URL_S3"

	// Region, AccessKeyID and SecretAccessKey are the dummy settings clients of a local server
	// use. The server does not check signatures.
	Region          = "us-east-1"
	AccessKeyID     = "local"
	SecretAccessKey = "local"
)

// Options configure a server.
type Options struct {
	// Logger receives the server's log (requests at debug level); nil discards it.
	Logger *slog.Logger
	// Buckets are created before Start returns.
	Buckets []string
}

// Server is a running in-memory S3 server.
type Server struct {
	http    *localserver.Server
	backend *s3mem.Backend
}

// Start starts a server on a free port of 127.0.0.1, over plain HTTP.
func Start(opts Options) (*Server, error) {
	backend := s3mem.New()
	fopts := []gofakes3.Option{gofakes3.WithIntegrityCheck(true)}
	if opts.Logger != nil {
		fopts = append(fopts, gofakes3.WithLogger(slogLogger{opts.Logger}))
	}
	faker := gofakes3.New(backend, fopts...)
	for _, b := range opts.Buckets {
		if err := backend.CreateBucket(b); err != nil {
			return nil, fmt.Errorf("s3local: create bucket %s: %w", b, err)
		}
	}
	hs, err := localserver.Start(localserver.DefaultAddr, faker.Server())
	if err != nil {
		return nil, fmt.Errorf("s3local: %w", err)
	}
	return &Server{http: hs, backend: backend}, nil
}

// URL returns the server's endpoint, "http://127.0.0.1:<port>".
func (s *Server) URL() string { return s.http.URL() }

// CreateBucket creates a bucket. Creating a bucket that exists is an error.
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.backend.CreateBucket(name); err != nil {
		return fmt.Errorf("s3local: create bucket %s: %w", name, err)
	}
	return nil
}

// Close stops the server and drops its objects. It is safe to call more than once.
func (s *Server) Close() error { return s.http.Close() }

// Client returns an S3 client for the S3-compatible server at endpoint: region us-east-1,
// path-style addressing, and checksums only where an operation requires them
// (RequestChecksumCalculation and ResponseChecksumValidation WhenRequired: with the SDK's
// defaults a PutObject over TLS is sent with aws-chunked framing and a trailing checksum, which
// gofakes3 and other S3-compatible servers store as part of the object, silently).
//
// Credentials are static dummy ones, unless AWS_ACCESS_KEY_ID is set: then the SDK's default chain
// applies (for a server that checks signatures, such as MinIO). Use Client only for local or
// test servers. It keeps the SDK's HTTP client, so it works whether AWS_CA_BUNDLE is set or not.
func Client(ctx context.Context, endpoint string) (*s3.Client, error) {
	if endpoint == "" {
		return nil, fmt.Errorf("s3local: empty endpoint")
	}
	lopts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(Region),
		awsconfig.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		awsconfig.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		lopts = append(lopts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, lopts...)
	if err != nil {
		return nil, fmt.Errorf("s3local: AWS configuration for %s: %w", endpoint, err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	}), nil
}

// ForTest returns the endpoint of an S3 server for a test: $AWS_ENDPOINT_URL_S3 when set, else the
// URL of a fresh in-memory server that is closed when the test ends. It fails tb when the server
// cannot be started.
//
// Tests sharing an endpoint must not share bucket names: use a random suffix.
func ForTest(tb testing.TB) string {
	tb.Helper()
	if ep := os.Getenv(EnvEndpoint); ep != "" {
		return ep
	}
	s, err := Start(Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("s3local: close: %v", err)
		}
	})
	return s.URL()
}

// slogLogger adapts a *slog.Logger to gofakes3's Logger.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Print(level gofakes3.LogLevel, v ...any) {
	lv := slog.LevelDebug
	switch level {
	case gofakes3.LogErr:
		lv = slog.LevelError
	case gofakes3.LogWarn:
		lv = slog.LevelWarn
	}
	s.l.Log(context.Background(), lv, fmt.Sprint(v...), "component", "s3local")
}
