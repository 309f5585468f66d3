// Package sqslocal runs an in-process Amazon SQS server for tests and local runs, and makes SQS
// clients for such local servers.
//
// The server speaks the JSON 1.0 protocol the AWS SDK for Go v2 uses (POST / with an X-Amz-Target
// of AmazonSQS.<Operation>): CreateQueue, GetQueueUrl, SendMessage, SendMessageBatch,
// ReceiveMessage (long polling, visibility timeouts, message and system attributes),
// DeleteMessage, DeleteMessageBatch, ChangeMessageVisibility, GetQueueAttributes and PurgeQueue.
// It computes MD5OfMessageBody and MD5OfMessageAttributes as SQS does (the SDK verifies the body
// digests) and answers errors with SQS's __type and x-amzn-query-error header, so that the SDK
// returns its typed errors (types.QueueDoesNotExist, ...).
//
// It does not check signatures, does not expire messages (MessageRetentionPeriod is reported, not
// applied), and PurgeQueue takes effect at once with no 60-second cool-down. FIFO queues (names
// ending in .fifo) keep per-queue order and drop a message whose deduplication ID was seen in the
// last five minutes; they do not block a message group while one of its messages is in flight.
//
// Start serves plain HTTP on a free port of 127.0.0.1. Tests call ForTest, which returns
// $AWS_ENDPOINT_URL_SQS when it is set (a running SQS-compatible server) and otherwise starts a
// fresh server for the test.
package sqslocal

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambda-connect/lambda-connect/infra/localserver"
)

const (
	// EnvEndpoint is the SDK's variable for the SQS endpoint; ForTest uses it when set.
	EnvEndpoint = "AWS_ENDPOINT_URL_SQS"

	// Region, AccessKeyID and SecretAccessKey are the dummy settings clients of a local server
	// use. The server does not check signatures.
	Region          = "us-east-1"
	AccessKeyID     = "local"
	SecretAccessKey = "local"

	// AccountID is the account in the server's queue URLs and ARNs.
	AccountID = "000000000000"

	// DefaultMaxMessageSize is a queue's MaximumMessageSize unless CreateQueue sets it: 256 KiB,
	// the limit of SQS queues before 2025 and of a SendMessageBatch request.
	DefaultMaxMessageSize = 262144
)

// Options configure a server.
type Options struct {
	// Logger receives the server's log (requests at debug level); nil discards it.
	Logger *slog.Logger
	// Queues are created (with default attributes) before Start returns.
	Queues []string
}

// Server is a running in-process SQS server.
type Server struct {
	http   *localserver.Server
	url    string
	logger *slog.Logger

	mu       sync.Mutex
	queues   map[string]*queue // by name
	failNext int               // SendMessageBatch entries to fail with a server fault
	seq      uint64
}

// Start starts a server on a free port of 127.0.0.1, over plain HTTP.
func Start(opts Options) (*Server, error) {
	hs, err := localserver.Listen(localserver.DefaultAddr)
	if err != nil {
		return nil, fmt.Errorf("sqslocal: %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		http:   hs,
		url:    hs.URL(),
		logger: logger,
		queues: map[string]*queue{},
	}
	for _, name := range opts.Queues {
		if _, err := s.CreateQueue(context.Background(), name); err != nil {
			hs.Close()
			return nil, err
		}
	}
	hs.Serve(http.HandlerFunc(s.serveHTTP))
	return s, nil
}

// URL returns the server's endpoint, "http://127.0.0.1:<port>".
func (s *Server) URL() string { return s.url }

// QueueURL returns the URL of the queue name, as GetQueueUrl does: <URL>/<AccountID>/<name>.
func (s *Server) QueueURL(name string) string { return s.url + "/" + AccountID + "/" + name }

// CreateQueue creates a queue with default attributes and returns its URL. Creating a queue that
// exists returns its URL, as SQS does.
func (s *Server) CreateQueue(ctx context.Context, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.queues[name]; !ok {
		q, apiErr := newQueue(name, nil, time.Now())
		if apiErr != nil {
			return "", fmt.Errorf("sqslocal: create queue %s: %s", name, apiErr.msg)
		}
		s.queues[name] = q
	}
	return s.QueueURL(name), nil
}

// FailEntries makes the next n entries of SendMessageBatch requests fail with a server fault
// (SenderFault false, code InternalError), as SQS occasionally does: for testing clients' retries.
func (s *Server) FailEntries(n int) {
	s.mu.Lock()
	s.failNext = n
	s.mu.Unlock()
}

// Close stops the server and drops its queues. It is safe to call more than once.
func (s *Server) Close() error { return s.http.Close() }

// Client returns an SQS client for the SQS-compatible server at endpoint, in region us-east-1.
//
// Credentials are static dummy ones, unless AWS_ACCESS_KEY_ID is set: then the SDK's default chain
// applies. Use Client only for local or test servers. It keeps the SDK's HTTP client, so it works
// whether AWS_CA_BUNDLE is set or not.
func Client(ctx context.Context, endpoint string) (*sqs.Client, error) {
	if endpoint == "" {
		return nil, fmt.Errorf("sqslocal: empty endpoint")
	}
	lopts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(Region)}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		lopts = append(lopts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, lopts...)
	if err != nil {
		return nil, fmt.Errorf("sqslocal: AWS configuration for %s: %w", endpoint, err)
	}
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) }), nil
}

// ForTest returns the endpoint of an SQS server for a test: $AWS_ENDPOINT_URL_SQS when set, else
// the URL of a fresh in-process server that is closed when the test ends. It fails tb when the
// server cannot be started.
//
// Tests sharing an endpoint must not share queue names: use a random suffix.
func ForTest(tb testing.TB) string {
	tb.Helper()
	if ep := os.Getenv(EnvEndpoint); ep != "" {
		return ep
	}
	return StartForTest(tb).URL()
}

// StartForTest starts a fresh server (ignoring $AWS_ENDPOINT_URL_SQS) that is closed when the
// test ends: for tests that need the server's own controls (FailEntries).
func StartForTest(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start(Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("sqslocal: close: %v", err)
		}
	})
	return s
}
