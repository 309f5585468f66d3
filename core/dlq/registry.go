package dlq

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// The settings the built-in destinations read (the same names core/sink declares).
const (
	SettingTopic          = "errors.deadletterqueue.topic.name"
	SettingContextHeaders = "errors.deadletterqueue.context.headers.enable"
	SettingBootstrap      = "errors.deadletterqueue.bootstrap.servers"
	SettingS3Bucket       = "errors.deadletterqueue.s3.bucket.name"
	SettingS3Prefix       = "errors.deadletterqueue.s3.prefix"
	SettingSQSQueueURL    = "errors.deadletterqueue.sqs.queue.url"
)

// Factory builds a destination from the connector's settings. It returns a nil Destination and a
// nil error when the settings do not ask for this destination (its settings are unset).
type Factory func(ctx context.Context, settings map[string]string) (Destination, error)

// Registry holds named destination factories, in registration order. Adding a destination is a
// Factory and one Register call; nothing registers itself.
type Registry struct {
	names []string
	fs    map[string]Factory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{fs: map[string]Factory{}} }

// Register adds a factory under name. An empty name, a nil factory or a name already registered
// is an error.
func (r *Registry) Register(name string, f Factory) error {
	switch {
	case name == "" || f == nil:
		return fmt.Errorf("dlq: register %q: a destination needs a name and a factory", name)
	case r.fs[name] != nil:
		return fmt.Errorf("dlq: register %q: already registered", name)
	}
	r.names = append(r.names, name)
	r.fs[name] = f
	return nil
}

// Names returns the registered names in registration order.
func (r *Registry) Names() []string { return append([]string(nil), r.names...) }

// Build runs every factory, in registration order, and returns the destinations the settings ask
// for: nil when none does, the destination itself when one does, and a Multi sending to each in
// registration order when several do. A factory's error is returned naming the destination.
func (r *Registry) Build(ctx context.Context, settings map[string]string) (Destination, error) {
	var ds Multi
	for _, name := range r.names {
		d, err := r.fs[name](ctx, settings)
		if err != nil {
			return nil, fmt.Errorf("dead-letter destination %s: %w", name, err)
		}
		if d != nil {
			ds = append(ds, d)
		}
	}
	switch len(ds) {
	case 0:
		return nil, nil
	case 1:
		return ds[0], nil
	}
	return ds, nil
}

// Multi sends every letter to each destination in turn; it stops at the first error.
type Multi []Destination

// Send sends to each destination in order.
func (m Multi) Send(ctx context.Context, letters []Letter) error {
	for _, d := range m {
		if err := d.Send(ctx, letters); err != nil {
			return err
		}
	}
	return nil
}

// BuiltinDeps are the clients the built-in destinations need. Each is called only when the
// settings ask for its destination, so a connector without an S3 dead-letter bucket never builds an
// S3 client.
type BuiltinDeps struct {
	// S3 returns the client for errors.deadletterqueue.s3.bucket.name.
	S3 func(ctx context.Context) (S3API, error)
	// NewProducer makes a producer for a dead-letter cluster (with the connector's producer
	// settings applied); see KafkaConfig.NewProducer.
	NewProducer func(bootstrap []string) (Producer, error)
	// SQS returns the client for errors.deadletterqueue.sqs.queue.url. When nil, the client is
	// built from the SDK's default configuration (AWS_REGION, or else the region in the queue
	// URL; AWS_ENDPOINT_URL_SQS applies).
	SQS func(ctx context.Context) (SQSAPI, error)
}

// Builtins returns a registry holding the built-in destinations: "kafka" (a topic), "s3" (a
// prefix of a bucket) then "sqs" (a queue).
func Builtins(deps BuiltinDeps) *Registry {
	r := NewRegistry()
	// The names are distinct constants: Register cannot fail here.
	_ = r.Register("kafka", kafkaFactory(deps))
	_ = r.Register("s3", s3Factory(deps))
	_ = r.Register("sqs", sqsFactory(deps))
	return r
}

func kafkaFactory(deps BuiltinDeps) Factory {
	return func(ctx context.Context, settings map[string]string) (Destination, error) {
		topic := strings.TrimSpace(settings[SettingTopic])
		if topic == "" {
			return nil, nil
		}
		headers, err := parseBool(settings, SettingContextHeaders)
		if err != nil {
			return nil, err
		}
		kc := KafkaConfig{Topic: topic, ContextHeaders: headers, NewProducer: deps.NewProducer}
		if servers := splitList(settings[SettingBootstrap]); len(servers) > 0 {
			if deps.NewProducer == nil {
				return nil, errclass.Config(SettingBootstrap, "no producer for the dead-letter topic")
			}
			if kc.Producer, err = deps.NewProducer(servers); err != nil {
				return nil, err
			}
		}
		return NewKafka(kc)
	}
}

func s3Factory(deps BuiltinDeps) Factory {
	return func(ctx context.Context, settings map[string]string) (Destination, error) {
		bucket := strings.TrimSpace(settings[SettingS3Bucket])
		if bucket == "" {
			return nil, nil
		}
		if deps.S3 == nil {
			return nil, errclass.Config(SettingS3Bucket, "no S3 client for the dead-letter bucket")
		}
		client, err := deps.S3(ctx)
		if err != nil {
			return nil, err
		}
		return NewS3(S3Config{Client: client, Bucket: bucket, Prefix: settings[SettingS3Prefix]})
	}
}

// parseBool reads a boolean setting as Kafka Connect does: "true" or "false", any case, default false.
func parseBool(settings map[string]string, key string) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(settings[key])); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, errclass.Config(key, "must be true or false, not %q", settings[key])
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func sqsFactory(deps BuiltinDeps) Factory {
	return func(ctx context.Context, settings map[string]string) (Destination, error) {
		queueURL := strings.TrimSpace(settings[SettingSQSQueueURL])
		if queueURL == "" {
			return nil, nil
		}
		newClient := deps.SQS
		if newClient == nil {
			newClient = func(ctx context.Context) (SQSAPI, error) { return defaultSQSClient(ctx, queueURL) }
		}
		client, err := newClient(ctx)
		if err != nil {
			return nil, err
		}
		return NewSQS(SQSConfig{Client: client, QueueURL: queueURL})
	}
}

// defaultSQSClient builds an SQS client from the SDK's default configuration; without a region
// configured, the region of the queue URL (https://sqs.<region>.amazonaws.com/...) applies.
func defaultSQSClient(ctx context.Context, queueURL string) (SQSAPI, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, SettingSQSQueueURL, fmt.Errorf("AWS configuration: %w", err))
	}
	if cfg.Region == "" {
		if u, err := url.Parse(queueURL); err == nil {
			if parts := strings.Split(u.Hostname(), "."); len(parts) > 2 && parts[0] == "sqs" {
				cfg.Region = parts[1]
			}
		}
	}
	if cfg.Region == "" {
		return nil, errclass.Config(SettingSQSQueueURL, "no AWS region: set AWS_REGION or use a queue URL of the form https://sqs.<region>.amazonaws.com/<account>/<queue>")
	}
	return sqs.NewFromConfig(cfg), nil
}
