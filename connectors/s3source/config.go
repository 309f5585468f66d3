package s3source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/s3source/reader"
	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/checkpoints"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/producer"
)

// Option adjusts how ConfigFrom reads the settings.
type Option func(*options)

type options struct{ converters *converters.Registry }

// WithConverters builds key.converter and value.converter from r (converters.Builtins plus the
// caller's own, such as core/glueregistry's) instead of the builtins.
func WithConverters(r *converters.Registry) Option { return func(o *options) { o.converters = r } }

// ConfigFrom reads the source's settings from c (parsed with Spec): the connector's Config and
// the producer's. Problems spanning several settings are reported together (BadConfig).
func ConfigFrom(c *config.Config, opts ...Option) (Config, producer.Config, error) {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.converters == nil {
		o.converters = converters.Builtins()
	}
	var errs []error
	cfg := Config{
		Connector:         c.String(KeyConnectorName),
		Topic:             c.String(KeyTopic),
		TopicReplacement:  c.String(KeyTopicReplacement),
		TopicField:        c.String(KeyTopicField),
		KeyField:          c.String(KeyKeyField),
		TolerateAll:       c.String(KeyErrorsTolerance) == "all",
		DeadLetterTopic:   c.String(KeyDLQTopic),
		CheckpointRecords: c.Int(KeyCheckpointRecords),
		CheckpointBytes:   c.Long(KeyCheckpointBytes),
		LeaseMargin:       time.Duration(c.Long(KeyLeaseMarginMs)) * time.Millisecond,
		DeadlineReserve:   time.Duration(c.Long(KeyDeadlineReserveMs)) * time.Millisecond,
	}
	if c.IsSet(KeyKeyFixed) {
		cfg.KeyFixed = []byte(c.String(KeyKeyFixed))
	}
	if re := c.String(KeyTopicRegex); re != "" {
		var err error
		if cfg.TopicRegex, err = regexp.Compile(re); err != nil {
			errs = append(errs, errclass.New(errclass.BadConfig, KeyTopicRegex, err))
		}
	}
	cfg.Reader = reader.Options{Format: reader.Format(c.String(KeyInputFormat)), MaxRecordBytes: c.Int(KeyMaxRecordBytes),
		CSV: reader.CSVOptions{Delimiter: c.String(KeyCSVDelimiter)[0], Quote: c.String(KeyCSVQuote)[0]}}
	if types, err := parseColumnTypes(c.List(KeyCSVColumnTypes)); err != nil {
		errs = append(errs, errclass.New(errclass.BadConfig, KeyCSVColumnTypes, err))
	} else if len(types) > 0 {
		cfg.Reader.CSV.Types = types
	}
	var err error
	if cfg.KeyConverter, err = o.converters.New(c.String(KeyKeyConverter), true, c.Sub("key.converter.")); err != nil {
		errs = append(errs, err)
	}
	if cfg.ValueConverter, err = o.converters.New(c.String(KeyValueConverter), false, c.Sub("value.converter.")); err != nil {
		errs = append(errs, err)
	}
	if cfg.Topic == "" && cfg.TopicRegex == nil && cfg.TopicField == "" {
		errs = append(errs, errclass.Config(KeyTopic, "one of topic, topic.regex or topic.field is required"))
	}
	if cfg.TolerateAll && cfg.DeadLetterTopic == "" {
		errs = append(errs, errclass.Config(KeyDLQTopic, "is required with errors.tolerance=all"))
	}
	if c.String(KeyCheckpointsTable) == "" {
		errs = append(errs, errclass.Config(KeyCheckpointsTable, "is required: name the DynamoDB table of the checkpoint ledger"))
	}
	props := map[string]string{}
	for _, k := range []string{producer.PropBootstrapServers, producer.PropAcks, producer.PropCompressionType, producer.PropLingerMs,
		producer.PropBatchSize, producer.PropRequestTimeoutMs, producer.PropClientID, producer.PropSecurityProtocol,
		producer.PropSASLMechanism, producer.PropSASLUsername} {
		props[k] = c.Values()[k]
	}
	props[producer.PropSASLJAASConfig] = c.Password(producer.PropSASLJAASConfig)
	props[producer.PropSASLPassword] = c.Password(producer.PropSASLPassword)
	pcfg, perr := producer.ConfigFromProps(props)
	if perr != nil && !(strings.EqualFold(props[producer.PropSASLMechanism], producer.MechMSKIAM) && pcfg.AWS == nil && onlyMSKIAMMissing(perr)) {
		errs = append(errs, perr)
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, producer.Config{}, err
	}
	return cfg, pcfg, nil
}

// onlyMSKIAMMissing reports whether the producer's only complaint is the AWS configuration that
// Build supplies for AWS_MSK_IAM.
func onlyMSKIAMMissing(err error) bool {
	return strings.Count(err.Error(), "\n") == 0 && strings.Contains(err.Error(), "AWS_MSK_IAM needs the AWS SDK configuration")
}

// Built is a source with the clients it owns.
type Built struct {
	Source   *Source
	Producer *producer.Producer
}

// Build makes a Source from settings with the AWS SDK's standard configuration (AWS_REGION,
// AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB, the function's role), its converters from
// converters.Builtins. No network call.
func Build(ctx context.Context, c *config.Config, opts ...func(*Deps)) (*Built, error) {
	return BuildWith(ctx, c, nil, opts...)
}

// BuildWith is Build with the converters from r (nil: converters.Builtins).
func BuildWith(ctx context.Context, c *config.Config, r *converters.Registry, opts ...func(*Deps)) (*Built, error) {
	cfg, pcfg, err := ConfigFrom(c, WithConverters(r))
	if err != nil {
		return nil, err
	}
	var loadOpts []func(*awsconfig.LoadOptions) error
	if r := c.String(KeyS3Region); r != "" {
		loadOpts = append(loadOpts, awsconfig.WithRegion(r))
	}
	aws, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, "aws", err)
	}
	if pcfg.SASLMechanism == producer.MechMSKIAM {
		pcfg.AWS = &aws
	}
	p, err := producer.New(pcfg)
	if err != nil {
		return nil, err
	}
	s3c := s3.NewFromConfig(aws, func(o *s3.Options) {
		if os.Getenv("AWS_ENDPOINT_URL_S3") != "" {
			o.UsePathStyle = true
			o.RequestChecksumCalculation = awssdk.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = awssdk.ResponseChecksumValidationWhenRequired
		}
	})
	ddb := dynamodb.NewFromConfig(aws, func(o *dynamodb.Options) {
		if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != "" {
			o.DisableValidateResponseChecksum = true
		}
	})
	ledger, err := checkpoints.NewDynamoStore(checkpoints.DynamoConfig{Client: ddb, Table: c.String(KeyCheckpointsTable),
		Retention: time.Duration(c.Long(KeyRetentionMs)) * time.Millisecond})
	if err != nil {
		return nil, err
	}
	deps := Deps{S3: s3c, Producer: p, Ledger: ledger}
	for _, o := range opts {
		o(&deps)
	}
	s, err := New(cfg, deps)
	if err != nil {
		p.Close()
		return nil, err
	}
	return &Built{Source: s, Producer: p}, nil
}

// String describes the configuration for logs.
func (c Config) String() string {
	return fmt.Sprintf("connector %s, format %s, topic %q", c.Connector, c.Reader.Format, c.Topic)
}
