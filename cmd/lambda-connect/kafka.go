package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	saslaws "github.com/twmb/franz-go/pkg/sasl/aws"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
)

// EnvKafkaPassword holds the SASL password (PLAIN, SCRAM), so that it stays out of the command
// line and the shell history.
const EnvKafkaPassword = "LAMBDA_CONNECT_KAFKA_PASSWORD"

// Special offsets of a ListOffsets request.
const (
	listEarliest = -2
	listLatest   = -1
)

// kafkaFlags are the flags that reach a Kafka cluster: the bootstrap brokers and how to
// authenticate, as the event-source mapping's SourceAccessConfigurations would.
type kafkaFlags struct {
	bootstrap string
	tls       bool
	mechanism string
	username  string
}

// add registers the flags on fs; what says what the broker is needed for.
func (k *kafkaFlags) add(fs *flag.FlagSet, what string) {
	fs.StringVar(&k.bootstrap, "bootstrap-servers", "", "comma-separated host:port Kafka brokers"+what)
	fs.BoolVar(&k.tls, "tls", false, "connect to the brokers over TLS (MSK's 9094, 9096 and 9098 listeners)")
	fs.StringVar(&k.mechanism, "sasl-mechanism", "", "SASL authentication: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (password in $"+EnvKafkaPassword+"; add --tls for MSK) or AWS_MSK_IAM (the AWS SDK's credentials, over TLS)")
	fs.StringVar(&k.username, "sasl-username", "", "SASL user name (PLAIN, SCRAM)")
}

// validate checks the flags, naming each bad one; required says whether --bootstrap-servers
// must be given.
func (k *kafkaFlags) validate(required bool, getenv func(string) string) []error {
	var errs []error
	if k.bootstrap == "" {
		if required {
			errs = append(errs, errors.New("--bootstrap-servers is required"))
		}
	} else if _, err := kafkalocal.ParseBrokers(k.bootstrap); err != nil {
		errs = append(errs, fmt.Errorf("--bootstrap-servers %q: %v", k.bootstrap, err))
	}
	switch strings.ToUpper(k.mechanism) {
	case "":
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if k.username == "" || getenv(EnvKafkaPassword) == "" {
			errs = append(errs, fmt.Errorf("--sasl-mechanism %s needs --sasl-username and the password in $%s", k.mechanism, EnvKafkaPassword))
		}
	case "AWS_MSK_IAM":
	default:
		errs = append(errs, fmt.Errorf("--sasl-mechanism %q: want PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or AWS_MSK_IAM", k.mechanism))
	}
	return errs
}

// options returns the kgo options that reach the cluster.
func (k *kafkaFlags) options(ctx context.Context, getenv func(string) string) ([]kgo.Opt, error) {
	addrs, err := kafkalocal.ParseBrokers(k.bootstrap)
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, "--bootstrap-servers", err)
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(addrs...),
		kgo.ClientID(prog),
		kgo.DialTimeout(10 * time.Second),
		kgo.RetryTimeout(30 * time.Second),
		kgo.MetadataMinAge(250 * time.Millisecond),
	}
	var mech sasl.Mechanism
	switch strings.ToUpper(k.mechanism) {
	case "PLAIN":
		mech = plain.Auth{User: k.username, Pass: getenv(EnvKafkaPassword)}.AsMechanism()
	case "SCRAM-SHA-256":
		mech = scram.Auth{User: k.username, Pass: getenv(EnvKafkaPassword)}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		mech = scram.Auth{User: k.username, Pass: getenv(EnvKafkaPassword)}.AsSha512Mechanism()
	case "AWS_MSK_IAM":
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, errclass.New(errclass.BadConfig, "AWS configuration", fmt.Errorf("for AWS_MSK_IAM: %w", err))
		}
		mech = saslaws.ManagedStreamingIAM(func(ctx context.Context) (saslaws.Auth, error) {
			c, err := cfg.Credentials.Retrieve(ctx)
			if err != nil {
				return saslaws.Auth{}, err
			}
			return saslaws.Auth{AccessKey: c.AccessKeyID, SecretKey: c.SecretAccessKey, SessionToken: c.SessionToken}, nil
		})
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(mech))
	}
	if k.tls || strings.EqualFold(k.mechanism, "AWS_MSK_IAM") {
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12}))
	}
	return opts, nil
}

// broker is an administrative connection to a Kafka cluster.
type broker struct {
	cl        *kgo.Client
	bootstrap string
}

// dialBroker returns a client of the cluster k names. It connects lazily.
func dialBroker(ctx context.Context, k *kafkaFlags, getenv func(string) string) (*broker, error) {
	opts, err := k.options(ctx, getenv)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, "kafka client", err)
	}
	return &broker{cl: cl, bootstrap: k.bootstrap}, nil
}

func (b *broker) close() { b.cl.Close() }

// requestErr classifies a failed request to the cluster.
func (b *broker) requestErr(subject, what string, err error) error {
	class := errclass.Retriable
	var ke *kerr.Error
	if errors.As(err, &ke) && !ke.Retriable {
		class = errclass.BadConfig
	}
	return errclass.New(class, subject, fmt.Errorf("%s (brokers %s): %w", what, b.bootstrap, err))
}

// partitions returns the partitions of topic, sorted.
func (b *broker) partitions(ctx context.Context, topic string) ([]int32, error) {
	subject := "topic " + topic
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, b.cl)
	if err != nil {
		return nil, b.requestErr(subject, "reading metadata", err)
	}
	for _, t := range resp.Topics {
		if t.Topic == nil || *t.Topic != topic {
			continue
		}
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			if errors.Is(err, kerr.UnknownTopicOrPartition) {
				return nil, errclass.Config(subject, "no such topic on brokers %s", b.bootstrap)
			}
			return nil, b.requestErr(subject, "reading metadata", err)
		}
		var ps []int32
		for _, p := range t.Partitions {
			ps = append(ps, p.Partition)
		}
		slices.Sort(ps)
		return ps, nil
	}
	return nil, errclass.Config(subject, "no such topic on brokers %s", b.bootstrap)
}

// listOffsets returns, per partition of topic, the offset ListOffsets gives for ts: listEarliest
// for the log start offset, listLatest for the high watermark, or a time in Unix ms for the
// first offset whose record's timestamp is at or after it (-1 when there is none).
func (b *broker) listOffsets(ctx context.Context, topic string, parts []int32, ts int64) (map[int32]int64, error) {
	subject := "topic " + topic
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range parts {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.CurrentLeaderEpoch = -1
		rp.Timestamp = ts
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, b.cl)
	if err != nil {
		return nil, b.requestErr(subject, "listing offsets", err)
	}
	out := make(map[int32]int64, len(parts))
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if t.Topic != topic {
				continue
			}
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, b.requestErr(fmt.Sprintf("partition %s-%d", topic, p.Partition), "listing offsets", err)
			}
			out[p.Partition] = p.Offset
		}
	}
	for _, p := range parts {
		if _, ok := out[p]; !ok {
			return nil, errclass.Config(fmt.Sprintf("partition %s-%d", topic, p), "no such partition on brokers %s", b.bootstrap)
		}
	}
	return out, nil
}

// bounds returns the log start offset and the high watermark of each partition.
func (b *broker) bounds(ctx context.Context, topic string, parts []int32) (start, end map[int32]int64, err error) {
	if start, err = b.listOffsets(ctx, topic, parts, listEarliest); err != nil {
		return nil, nil, err
	}
	if end, err = b.listOffsets(ctx, topic, parts, listLatest); err != nil {
		return nil, nil, err
	}
	return start, end, nil
}

// groupOffsets returns the offsets consumer group has committed for topic's partitions
// (partitions without a commit are absent).
func (b *broker) groupOffsets(ctx context.Context, group, topic string) (map[int32]int64, error) {
	subject := "consumer group " + group
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic = topic
	parts, err := b.partitions(ctx, topic)
	if err != nil {
		return nil, err
	}
	rt.Partitions = parts
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, b.cl)
	if err != nil {
		return nil, b.requestErr(subject, "fetching committed offsets", err)
	}
	out := map[int32]int64{}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		if errors.Is(err, kerr.GroupIDNotFound) {
			return out, nil // a group that never committed
		}
		return nil, b.requestErr(subject, "fetching committed offsets", err)
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				if errors.Is(err, kerr.GroupIDNotFound) {
					return out, nil
				}
				return nil, b.requestErr(subject, "fetching committed offsets", err)
			}
			if t.Topic == topic && p.Offset >= 0 {
				out[p.Partition] = p.Offset
			}
		}
	}
	return out, nil
}
