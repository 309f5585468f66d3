package sink

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/producer"
	"github.com/lambda-connect/lambda-connect/core/transforms"
)

// NewFromConfig builds a Handler for sink s from parsed settings (a spec that includes
// CommonKeys): the converters, the logger, and, when store is nil, the DynamoDB offsets store named
// by offsets.table, with the AWS SDK's standard configuration (AWS_REGION,
// AWS_ENDPOINT_URL_DYNAMODB, ...). It makes no network call: it runs at cold start.
//
// Options adjust the Config before the Handler is built (WithLogger, WithMetricsTo,
// WithConverters).
func NewFromConfig(ctx context.Context, c *config.Config, s Sink, store Store, opts ...Option) (*Handler, error) {
	cfg := Config{
		Connector:   c.String(KeyConnectorName),
		Sink:        s,
		Store:       store,
		Logger:      NewLogger(os.Stderr),
		LeaseMargin: time.Duration(c.Long(KeyLeaseMarginMs)) * time.Millisecond,
		Concurrency: c.Int(KeyPartitionParallel),
	}
	if cfg.LeaseMargin == 0 {
		cfg.LeaseMargin = time.Millisecond // 0 means "default" in Config; the setting means none
	}
	var err error
	// The converters come from the options' registry (WithConverters), else the builtins; the
	// registry names the setting at fault (value.converter.schemas.enable: ...).
	var probe Config
	for _, o := range opts {
		o(&probe)
	}
	reg := probe.Converters
	if reg == nil {
		reg = converters.Builtins()
	}
	if cfg.KeyConverter, err = reg.New(c.String(KeyKeyConverter), true, c.Sub("key.converter.")); err != nil {
		return nil, err
	}
	if cfg.ValueConverter, err = reg.New(c.String(KeyValueConverter), false, c.Sub("value.converter.")); err != nil {
		return nil, err
	}
	if cfg.Transforms, err = transforms.FromConfig(c); err != nil {
		return nil, err
	}
	cfg.TolerateAll = c.String(KeyErrorsTolerance) == "all"
	cfg.LogErrors, cfg.LogMessages = c.Bool(KeyErrorsLogEnable), c.Bool(KeyErrorsLogMessages)
	cfg.RetryTimeout = time.Duration(c.Long(KeyErrorsRetryTimeout)) * time.Millisecond
	cfg.RetryDelayMax = time.Duration(c.Long(KeyErrorsRetryDelay)) * time.Millisecond
	var aws *awsConfig
	if cfg.DeadLetters, err = deadLetters(ctx, c, &aws); err != nil {
		return nil, err
	}
	if cfg.Store == nil {
		table := c.String(KeyOffsetsTable)
		if table == "" {
			return nil, errclass.Config(KeyOffsetsTable, "is required: name the DynamoDB table that holds the offsets")
		}
		if aws, err = loadAWS(ctx, aws); err != nil {
			return nil, err
		}
		client := dynamodb.NewFromConfig(aws.cfg, func(o *dynamodb.Options) {
			// DynamoDB Local (AWS_ENDPOINT_URL_DYNAMODB in tests and local runs) sends a wrong
			// CRC32 with error responses; AWS's own endpoints are checked as usual.
			if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != "" {
				o.DisableValidateResponseChecksum = true
			}
		})
		ds, err := offsets.NewDynamoStore(offsets.DynamoConfig{Client: client, Table: table})
		if err != nil {
			return nil, err
		}
		cfg.Store = ds
	}
	for _, o := range opts {
		o(&cfg)
	}
	return New(cfg)
}

// deadLetters builds the dead-letter destinations the errors.deadletterqueue.* settings name
// (dlq.Builtins: a Kafka topic, an S3 bucket, an SQS queue, or several), nil when none is set. The topic's
// producer takes the settings under errors.deadletterqueue.producer.*; its cluster is
// errors.deadletterqueue.bootstrap.servers or, when that is empty, the event's.
func deadLetters(ctx context.Context, c *config.Config, aws **awsConfig) (dlq.Destination, error) {
	vals := c.Values()
	settings := map[string]string{}
	for _, k := range []string{KeyDLQTopic, KeyDLQContextHeaders, KeyDLQBootstrap, KeyDLQS3Bucket, KeyDLQS3Prefix, KeyDLQSQSQueueURL} {
		settings[k] = vals[k]
	}
	deps := dlq.BuiltinDeps{S3: func(ctx context.Context) (dlq.S3API, error) {
		a, err := loadAWS(ctx, *aws)
		if err != nil {
			return nil, err
		}
		*aws = a
		return s3.NewFromConfig(a.cfg, func(o *s3.Options) {
			o.UsePathStyle = true
			if os.Getenv("AWS_ENDPOINT_URL_S3") != "" {
				// S3-compatible servers may store the aws-chunked framing as the object.
				o.RequestChecksumCalculation = awssdk.RequestChecksumCalculationWhenRequired
				o.ResponseChecksumValidation = awssdk.ResponseChecksumValidationWhenRequired
			}
		}), nil
	}}
	if settings[KeyDLQTopic] != "" {
		np, err := deadLetterProducer(ctx, c, aws)
		if err != nil {
			return nil, err
		}
		deps.NewProducer = np
	}
	return dlq.Builtins(deps).Build(ctx, settings)
}

// deadLetterProducer checks the producer settings under errors.deadletterqueue.producer.* and
// returns how to make a producer for a cluster with them.
func deadLetterProducer(ctx context.Context, c *config.Config, aws **awsConfig) (func([]string) (dlq.Producer, error), error) {
	props := c.Sub(DLQProducerPrefix)
	for k := range props {
		if !slices.Contains(producerProps, k) {
			return nil, errclass.Config(DLQProducerPrefix+k, "is not a producer setting this connector knows (%s)", strings.Join(producerProps, ", "))
		}
	}
	// The cluster is chosen later; validate the rest with a stand-in address.
	withServers := maps.Clone(props)
	withServers[producer.PropBootstrapServers] = "dead-letter-cluster.invalid:9092"
	base, err := producer.ConfigFromProps(withServers)
	if base.SASLMechanism == producer.MechMSKIAM {
		a, aerr := loadAWS(ctx, *aws)
		if aerr != nil {
			return nil, aerr
		}
		*aws = a
		base.AWS = &a.cfg
		err = base.Validate()
	}
	if err != nil {
		return nil, fmt.Errorf("the dead-letter producer (%s*): %w", DLQProducerPrefix, err)
	}
	return func(servers []string) (dlq.Producer, error) {
		pc := base
		pc.BootstrapServers = servers
		return producer.New(pc)
	}, nil
}

// producerProps are the Kafka client settings the dead-letter producer takes.
var producerProps = []string{producer.PropClientID, producer.PropAcks, producer.PropCompressionType, producer.PropLingerMs,
	producer.PropBatchSize, producer.PropRequestTimeoutMs, producer.PropSecurityProtocol, producer.PropSASLMechanism,
	producer.PropSASLJAASConfig, producer.PropSASLUsername, producer.PropSASLPassword}

type awsConfig struct{ cfg awssdk.Config }

// loadAWS loads the SDK's standard configuration once.
func loadAWS(ctx context.Context, have *awsConfig) (*awsConfig, error) {
	if have != nil {
		return have, nil
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, "AWS configuration", err)
	}
	return &awsConfig{cfg: cfg}, nil
}

// WithDeadLetters sends dead letters to d (instead of the destination the settings name).
func WithDeadLetters(d dlq.Destination) Option { return func(c *Config) { c.DeadLetters = d } }

// Option adjusts a Config built by NewFromConfig.
type Option func(*Config)

// WithConverters builds key.converter and value.converter from r (converters.Builtins plus the
// caller's own, such as core/glueregistry's) instead of the builtins.
func WithConverters(r *converters.Registry) Option { return func(c *Config) { c.Converters = r } }

// WithLogger sends the handler's logs to l.
func WithLogger(l *slog.Logger) Option { return func(c *Config) { c.Logger = l } }

// WithMetricsTo sends the handler's EMF metric lines to w.
func WithMetricsTo(w io.Writer) Option { return func(c *Config) { c.MetricsTo = w } }

// NewLogger returns the JSON logger handlers use, at the level of AWS_LAMBDA_LOG_LEVEL (Lambda's
// advanced logging controls) or LOG_LEVEL, default INFO.
func NewLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	for _, v := range []string{os.Getenv("AWS_LAMBDA_LOG_LEVEL"), os.Getenv("LOG_LEVEL")} {
		if v != "" {
			_ = level.UnmarshalText([]byte(strings.ToUpper(v)))
			break
		}
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
