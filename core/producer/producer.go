// Package producer is Lambda Connect's Kafka producer, on github.com/segmentio/kafka-go,
// configured with the Java client's property names (bootstrap.servers, acks, compression.type,
// batch.size, request.timeout.ms, security.protocol, sasl.mechanism, sasl.jaas.config, ...).
//
// It uses kafka-go's Transport (connection pool, metadata cache, TLS, SASL: PLAIN, SCRAM and MSK
// IAM) and Client.RawProduce, not kafka-go's Writer, whose defaults (acks=none, a 1 s batch wait,
// batches of 100 messages, ten silent retries) and per-message work a synchronous producer does
// not need: the producer encodes each record batch itself (v2, CRC-32C, compressed with kafka-go's
// codecs), writing every key, value and header once, straight from the messages. Here acks default to all and batches to 1 MB; a failed request is never retried by
// the producer: kafka-go can report a timeout for messages the broker stored (kafka-go #1427), so
// a blind retry would duplicate them, and the caller decides, knowing what it can reconcile.
// Keyed messages go to the partition the Java client chooses (murmur2, Partition); every error of
// a Produce call is returned, naming the message. A Produce call returns when every one of its
// produce requests has its answer, so nothing is left buffered or in flight when a handler
// returns.
//
// The producer also reads what reconciliation needs: partition counts, end offsets, and the
// records of a partition between two offsets (Scan).
package producer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/aws_msk_iam_v2"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Kafka client property names the producer reads (ConfigFromProps).
const (
	PropBootstrapServers = "bootstrap.servers"
	PropClientID         = "client.id"
	PropAcks             = "acks"
	PropCompressionType  = "compression.type"
	PropLingerMs         = "linger.ms"
	PropBatchSize        = "batch.size"
	PropRequestTimeoutMs = "request.timeout.ms"
	PropSecurityProtocol = "security.protocol"
	PropSASLMechanism    = "sasl.mechanism"
	PropSASLJAASConfig   = "sasl.jaas.config"
	PropSASLUsername     = "sasl.username"
	PropSASLPassword     = "sasl.password"
)

// SASL mechanisms (sasl.mechanism).
const (
	MechPlain       = "PLAIN"
	MechScramSHA256 = "SCRAM-SHA-256"
	MechScramSHA512 = "SCRAM-SHA-512"
	MechMSKIAM      = "AWS_MSK_IAM"
)

// Config configures a Producer. DefaultConfig gives the defaults; Validate checks it.
type Config struct {
	BootstrapServers []string      // bootstrap.servers: host:port
	ClientID         string        // client.id
	Acks             string        // acks: all (or -1), 1 or 0
	Compression      string        // compression.type: none, gzip, snappy, lz4, zstd
	Linger           time.Duration // linger.ms: accepted and validated; batches are sent as soon as they are cut
	BatchBytes       int           // batch.size: the most bytes of one batch (one produce request per partition)
	RequestTimeout   time.Duration // request.timeout.ms
	SecurityProtocol string        // PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL
	SASLMechanism    string        // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM
	Username         string        // PLAIN and SCRAM (from sasl.jaas.config or sasl.username)
	Password         string
	// TLS overrides the TLS configuration of SSL and SASL_SSL (default: system roots, TLS 1.2+).
	TLS *tls.Config
	// AWS is the SDK configuration AWS_MSK_IAM signs with (credentials and region); required
	// for that mechanism.
	AWS *aws.Config
	// Logger receives a warning for every failed produce request (nil: none).
	Logger *slog.Logger
}

// DefaultConfig returns the defaults: acks=all, no compression, linger.ms 5 (unused), 1 MB batches, 30 s
// requests, PLAINTEXT.
func DefaultConfig() Config {
	return Config{Acks: "all", Compression: "none", Linger: 5 * time.Millisecond, BatchBytes: 1 << 20,
		RequestTimeout: 30 * time.Second, SecurityProtocol: "PLAINTEXT", ClientID: "lambda-connect"}
}

// ConfigFromProps reads a Config from Kafka client properties, starting from DefaultConfig.
// Unknown properties are ignored (the caller's spec rejects them).
func ConfigFromProps(props map[string]string) (Config, error) {
	c := DefaultConfig()
	var errs []error
	get := func(k string) (string, bool) {
		v, ok := props[k]
		return strings.TrimSpace(v), ok && strings.TrimSpace(v) != ""
	}
	if v, ok := get(PropBootstrapServers); ok {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.BootstrapServers = append(c.BootstrapServers, s)
			}
		}
	}
	if v, ok := get(PropClientID); ok {
		c.ClientID = v
	}
	if v, ok := get(PropAcks); ok {
		c.Acks = v
	}
	if v, ok := get(PropCompressionType); ok {
		c.Compression = strings.ToLower(v)
	}
	ms := func(k string, dst *time.Duration) {
		if v, ok := get(k); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				errs = append(errs, errclass.Config(k, "%q is not a non-negative number of milliseconds", v))
				return
			}
			*dst = time.Duration(n) * time.Millisecond
		}
	}
	ms(PropLingerMs, &c.Linger)
	ms(PropRequestTimeoutMs, &c.RequestTimeout)
	if v, ok := get(PropBatchSize); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, errclass.Config(PropBatchSize, "%q is not a number of bytes", v))
		}
		c.BatchBytes = n
	}
	if v, ok := get(PropSecurityProtocol); ok {
		c.SecurityProtocol = strings.ToUpper(v)
	}
	if v, ok := get(PropSASLMechanism); ok {
		c.SASLMechanism = strings.ToUpper(v)
	}
	if v, ok := get(PropSASLJAASConfig); ok {
		c.Username, c.Password = jaasCredentials(v)
	}
	if v, ok := get(PropSASLUsername); ok {
		c.Username = v
	}
	if v, ok := props[PropSASLPassword]; ok && v != "" {
		c.Password = v
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// jaasCredentials reads username="..." and password="..." from a sasl.jaas.config value.
func jaasCredentials(s string) (user, pass string) {
	field := func(name string) string {
		i := strings.Index(s, name+"=")
		if i < 0 {
			return ""
		}
		rest := s[i+len(name)+1:]
		if strings.HasPrefix(rest, `"`) {
			if j := strings.Index(rest[1:], `"`); j >= 0 {
				return rest[1 : 1+j]
			}
			return ""
		}
		end := strings.IndexAny(rest, " ;")
		if end < 0 {
			end = len(rest)
		}
		return rest[:end]
	}
	return field("username"), field("password")
}

// Validate checks c, naming the property at fault.
func (c Config) Validate() error {
	var errs []error
	if len(c.BootstrapServers) == 0 {
		errs = append(errs, errclass.Config(PropBootstrapServers, "is required (host:port[,host:port...])"))
	}
	for _, s := range c.BootstrapServers {
		if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
			errs = append(errs, errclass.Config(PropBootstrapServers, "%q is not host:port", s))
		}
	}
	if _, err := requiredAcks(c.Acks); err != nil {
		errs = append(errs, err)
	}
	if _, err := codec(c.Compression); err != nil {
		errs = append(errs, err)
	}
	if c.BatchBytes < 1024 {
		errs = append(errs, errclass.Config(PropBatchSize, "%d: must be at least 1024 bytes", c.BatchBytes))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, errclass.Config(PropRequestTimeoutMs, "must be positive"))
	}
	sp := c.SecurityProtocol
	switch sp {
	case "PLAINTEXT", "SSL":
		if c.SASLMechanism != "" && c.SASLMechanism != "GSSAPI" {
			// Java ignores sasl.mechanism without SASL_*; so do we, but a mechanism that was
			// asked for and cannot apply is more likely a mistake.
			errs = append(errs, errclass.Config(PropSASLMechanism, "%s is set but security.protocol is %s (want SASL_SSL or SASL_PLAINTEXT)", c.SASLMechanism, sp))
		}
	case "SASL_PLAINTEXT", "SASL_SSL":
		switch c.SASLMechanism {
		case MechPlain, MechScramSHA256, MechScramSHA512:
			if c.Username == "" {
				errs = append(errs, errclass.Config(PropSASLJAASConfig, "%s needs a username and password (sasl.jaas.config or sasl.username/sasl.password)", c.SASLMechanism))
			}
		case MechMSKIAM:
			if c.AWS == nil {
				errs = append(errs, errclass.Config(PropSASLMechanism, "AWS_MSK_IAM needs the AWS SDK configuration (Config.AWS)"))
			}
		default:
			errs = append(errs, errclass.Config(PropSASLMechanism, "%q is not PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or AWS_MSK_IAM", c.SASLMechanism))
		}
	default:
		errs = append(errs, errclass.Config(PropSecurityProtocol, "%q is not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", sp))
	}
	return errors.Join(errs...)
}

func requiredAcks(s string) (kafka.RequiredAcks, error) {
	switch strings.ToLower(s) {
	case "all", "-1":
		return kafka.RequireAll, nil
	case "1":
		return kafka.RequireOne, nil
	case "0":
		return kafka.RequireNone, nil
	}
	return 0, errclass.Config(PropAcks, "%q is not all, -1, 1 or 0", s)
}

func codec(s string) (kafka.Compression, error) {
	switch s {
	case "none", "":
		return 0, nil
	case "gzip":
		return kafka.Gzip, nil
	case "snappy":
		return kafka.Snappy, nil
	case "lz4":
		return kafka.Lz4, nil
	case "zstd":
		return kafka.Zstd, nil
	}
	return 0, errclass.Config(PropCompressionType, "%q is not none, gzip, snappy, lz4 or zstd", s)
}

// Message is one record to produce. Partition must be a valid partition of Topic: use Partition
// (keyed) or choose one for a null key.
type Message struct {
	Topic     string
	Partition int32
	Key       []byte
	Value     []byte
	Headers   []record.Header
	// SharedHeaders, when set, are written before Headers: headers many messages have in
	// common (the same slice can serve them all, which spares a copy per message).
	SharedHeaders []record.Header
	// Subject names the message in errors (for example the object and record index it came
	// from); "" names it by topic and partition.
	Subject string
	// Timestamp is the record's timestamp (CreateTime), sent to the millisecond; the zero Time
	// stamps it with the time its batch is sent, as the Java client does a null timestamp. As
	// there, it cannot be before the Unix epoch.
	Timestamp time.Time
}

// Producer produces messages synchronously. It is safe for concurrent use.
//
// It keeps kafka-go's Transport (the connection pool and metadata cache) for its whole life,
// across warm Lambda invocations, and nothing else between calls: Produce cuts its messages into
// batches itself, encodes them and sends them with kafka-go's Client.RawProduce (one produce
// request per batch), waiting for every answer, so that no batch, request, goroutine or
// buffered message outlives the call (nor, therefore, the handler that made it); only the
// encoding buffers are pooled. There is no kafka-go Writer to flush or close, and none of its
// per-message work (a metadata lookup and a copy of every message).
type Producer struct {
	cfg    Config
	acks   kafka.RequiredAcks
	comp   kafka.Compression
	addr   net.Addr
	client *kafka.Client
	tr     *kafka.Transport
	log    *slog.Logger   // nil: none
	flight atomic.Int64   // produce requests sent and not yet answered
	codec  compress.Codec // compression.type's codec; nil: none
	mu     sync.Mutex
	spare  []*sendBuf // send buffers kept between calls
}

// New validates cfg and returns a Producer. It makes no network call.
func New(cfg Config) (*Producer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	acks, _ := requiredAcks(cfg.Acks)
	comp, _ := codec(cfg.Compression)
	tr := &kafka.Transport{
		ClientID:    cfg.ClientID,
		DialTimeout: 10 * time.Second,
		IdleTimeout: 5 * time.Minute,
		MetadataTTL: 30 * time.Second,
	}
	if strings.HasSuffix(cfg.SecurityProtocol, "SSL") {
		tr.TLS = cfg.TLS
		if tr.TLS == nil {
			tr.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	if strings.HasPrefix(cfg.SecurityProtocol, "SASL_") {
		m, err := mechanism(cfg)
		if err != nil {
			return nil, err
		}
		tr.SASL = m
	}
	p := &Producer{cfg: cfg, acks: acks, comp: comp, addr: kafka.TCP(cfg.BootstrapServers...), tr: tr}
	if comp != 0 {
		p.codec = comp.Codec()
	}
	p.log = cfg.Logger
	p.client = &kafka.Client{Addr: p.addr, Transport: tr, Timeout: cfg.RequestTimeout}
	return p, nil
}

// InFlight returns how many produce requests are sent and not yet answered: zero whenever no
// Produce call is running.
func (p *Producer) InFlight() int { return int(p.flight.Load()) }

func mechanism(cfg Config) (sasl.Mechanism, error) {
	switch cfg.SASLMechanism {
	case MechPlain:
		return plain.Mechanism{Username: cfg.Username, Password: cfg.Password}, nil
	case MechScramSHA256, MechScramSHA512:
		algo := scram.SHA512
		if cfg.SASLMechanism == MechScramSHA256 {
			algo = scram.SHA256
		}
		m, err := scram.Mechanism(algo, cfg.Username, cfg.Password)
		if err != nil {
			return nil, errclass.New(errclass.BadConfig, PropSASLMechanism, err)
		}
		return m, nil
	case MechMSKIAM:
		return aws_msk_iam_v2.NewMechanism(*cfg.AWS), nil
	}
	return nil, errclass.Config(PropSASLMechanism, "%q is not supported", cfg.SASLMechanism)
}

// explicit sends every message to the partition it names.
type explicit struct{}

func (explicit) Balance(msg kafka.Message, partitions ...int) int { return msg.Partition }

// classify gives a produce error its class, naming subject.
func classify(subject string, err error) error {
	var ke kafka.Error
	if errors.As(err, &ke) {
		switch ke {
		case kafka.MessageSizeTooLarge, kafka.InvalidMessage, kafka.InvalidRecord:
			return errclass.New(errclass.BadRecord, subject, err)
		case kafka.TopicAuthorizationFailed, kafka.ClusterAuthorizationFailed, kafka.SASLAuthenticationFailed, kafka.UnknownTopicOrPartition:
			// Missing topics and permissions are configuration, but they can also be fixed while
			// the event waits: retried, and named.
			return errclass.New(errclass.Retriable, subject, err)
		}
	}
	return errclass.New(errclass.Retriable, subject, err)
}

// Partitions returns how many partitions topic has. It does not create topics.
func (p *Producer) Partitions(ctx context.Context, topic string) (int32, error) {
	md, err := p.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return 0, errclass.New(errclass.Retriable, "topic "+topic, fmt.Errorf("metadata: %w", err))
	}
	for _, t := range md.Topics {
		if t.Name == topic {
			if t.Error != nil {
				return 0, errclass.New(errclass.Retriable, "topic "+topic, fmt.Errorf("metadata: %w", t.Error))
			}
			return int32(len(t.Partitions)), nil
		}
	}
	return 0, errclass.Retry("topic "+topic, "not in the cluster's metadata")
}

// EndOffsets returns the end offset (the next offset to be written) of each partition of topic,
// indexed by partition.
func (p *Producer) EndOffsets(ctx context.Context, topic string, partitions int32) ([]int64, error) {
	reqs := make([]kafka.OffsetRequest, partitions)
	for i := range reqs {
		reqs[i] = kafka.LastOffsetOf(i)
	}
	res, err := p.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, errclass.New(errclass.Retriable, "topic "+topic, fmt.Errorf("listing end offsets: %w", err))
	}
	out := make([]int64, partitions)
	got := 0
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return nil, errclass.New(errclass.Retriable, fmt.Sprintf("topic %s partition %d", topic, po.Partition), fmt.Errorf("listing end offsets: %w", po.Error))
		}
		if po.Partition >= 0 && po.Partition < int(partitions) {
			out[po.Partition] = po.LastOffset
			got++
		}
	}
	if got != int(partitions) {
		return nil, errclass.Retry("topic "+topic, "end offsets of %d partitions returned, want %d", got, partitions)
	}
	return out, nil
}

// Fetched is one record read back by Scan. Key, Value and Headers are copies.
type Fetched struct {
	Offset  int64
	Key     []byte
	Value   []byte
	Headers []record.Header
}

// Scan calls fn for every record of topic/partition with an offset in [from, to), in order. fn
// returning false stops the scan.
func (p *Producer) Scan(ctx context.Context, topic string, partition int32, from, to int64, fn func(Fetched) bool) error {
	sub := fmt.Sprintf("topic %s partition %d", topic, partition)
	for off := from; off < to; {
		res, err := p.client.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: int(partition), Offset: off,
			MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 500 * time.Millisecond})
		if err == nil && res.Error != nil {
			err = res.Error
		}
		if err != nil {
			return errclass.New(errclass.Retriable, sub, fmt.Errorf("fetching from offset %d: %w", off, err))
		}
		progressed := false
		for {
			r, err := res.Records.ReadRecord()
			if err != nil {
				if !errors.Is(err, ioEOF) {
					closeRecords(res.Records)
					return errclass.New(errclass.Retriable, sub, fmt.Errorf("reading records from offset %d: %w", off, err))
				}
				break
			}
			if r.Offset < off {
				continue
			}
			if r.Offset >= to {
				off = to
				break
			}
			f := Fetched{Offset: r.Offset, Key: readBytes(r.Key), Value: readBytes(r.Value)}
			for _, h := range r.Headers {
				f.Headers = append(f.Headers, record.Header{Key: h.Key, Value: append([]byte(nil), h.Value...)})
			}
			off = r.Offset + 1
			progressed = true
			if !fn(f) {
				closeRecords(res.Records)
				return nil
			}
		}
		closeRecords(res.Records)
		if !progressed && off < to {
			if ctx.Err() != nil {
				return errclass.New(errclass.Retriable, sub, ctx.Err())
			}
			if res.HighWatermark <= off {
				return errclass.Retry(sub, "offset %d is beyond the high watermark %d", off, res.HighWatermark)
			}
		}
	}
	return nil
}

// Close closes the idle connections of the Producer's Transport. Produce holds nothing between
// calls, so there is nothing to flush.
func (p *Producer) Close() error {
	p.tr.CloseIdleConnections()
	return nil
}

// Murmur2 is the Java client's Utils.murmur2.
func Murmur2(data []byte) int32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	n := len(data)
	h := seed ^ uint32(n)
	for i := 0; i+4 <= n; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := data[n&^3:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// Partition returns the partition the Java client's default partitioner chooses for a non-null
// key: toPositive(murmur2(key)) % partitions.
func Partition(key []byte, partitions int32) int32 {
	return int32((uint32(Murmur2(key)) & 0x7fffffff) % uint32(partitions))
}
