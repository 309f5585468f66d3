package dlq

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/producer"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Producer is the part of core/producer's Producer the Kafka destination uses.
type Producer interface {
	Produce(ctx context.Context, msgs []producer.Message) error
	Partitions(ctx context.Context, topic string) (int32, error)
}

// KafkaConfig configures a Kafka topic destination (errors.deadletterqueue.topic.name).
type KafkaConfig struct {
	Topic string
	// ContextHeaders adds Connect's __connect.errors.* headers to every letter
	// (errors.deadletterqueue.context.headers.enable).
	ContextHeaders bool
	// Producer, when set, is used for every letter (errors.deadletterqueue.bootstrap.servers
	// named the cluster). Otherwise NewProducer makes one for the cluster each letter came from
	// (the event's bootstrapServers), once per cluster.
	Producer    Producer
	NewProducer func(bootstrap []string) (Producer, error)
}

// Kafka produces each letter to a topic, with the record's original key, value, headers and
// timestamp (as Connect's DeadLetterQueueReporter does; a record without a timestamp is stamped
// when it is dead-lettered), keyed records partitioned as the Java client would. Letters of a
// retried batch are produced again: consumers tell them apart by the
// __connect.errors.topic/partition/offset headers.
type Kafka struct {
	cfg KafkaConfig
	mu  sync.Mutex
	per map[string]Producer
}

// NewKafka validates cfg and returns the destination. It makes no network call.
func NewKafka(cfg KafkaConfig) (*Kafka, error) {
	if cfg.Topic == "" {
		return nil, errclass.Config("errors.deadletterqueue.topic.name", "is empty")
	}
	if cfg.Producer == nil && cfg.NewProducer == nil {
		return nil, errclass.Config("errors.deadletterqueue.bootstrap.servers", "no producer for the dead-letter topic")
	}
	return &Kafka{cfg: cfg, per: map[string]Producer{}}, nil
}

func (k *Kafka) producerFor(bootstrap string) (Producer, error) {
	if k.cfg.Producer != nil {
		return k.cfg.Producer, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if p, ok := k.per[bootstrap]; ok {
		return p, nil
	}
	var servers []string
	for _, s := range strings.Split(bootstrap, ",") {
		if s = strings.TrimSpace(s); s != "" {
			servers = append(servers, s)
		}
	}
	if len(servers) == 0 {
		return nil, errclass.Config("errors.deadletterqueue.bootstrap.servers",
			"is not set and the event names no bootstrapServers: the dead-letter topic's cluster is unknown")
	}
	p, err := k.cfg.NewProducer(servers)
	if err != nil {
		return nil, err
	}
	k.per[bootstrap] = p
	return p, nil
}

// Send produces the letters and returns when the cluster acknowledged all of them.
func (k *Kafka) Send(ctx context.Context, letters []Letter) error {
	byCluster := map[string][]Letter{}
	var order []string
	for _, l := range letters {
		if _, ok := byCluster[l.SourceBootstrap]; !ok {
			order = append(order, l.SourceBootstrap)
		}
		byCluster[l.SourceBootstrap] = append(byCluster[l.SourceBootstrap], l)
	}
	for _, bootstrap := range order {
		p, err := k.producerFor(bootstrap)
		if err != nil {
			return err
		}
		n, err := p.Partitions(ctx, k.cfg.Topic)
		if err != nil {
			return errclass.New(errclass.Retriable, "dead-letter topic "+k.cfg.Topic, fmt.Errorf("partitions: %w", err))
		}
		var msgs []producer.Message
		for _, l := range byCluster[bootstrap] {
			hs := append([]record.Header(nil), l.Record.Headers...)
			if k.cfg.ContextHeaders {
				hs = append(hs, ContextHeaders(l)...)
			}
			part := l.Record.Partition % n
			if l.Record.Key != nil {
				part = producer.Partition(l.Record.Key, n)
			}
			msgs = append(msgs, producer.Message{Topic: k.cfg.Topic, Partition: part, Key: l.Record.Key, Value: l.Record.Value,
				Headers: hs, Subject: subject(l), Timestamp: originalTimestamp(l.Record)})
		}
		if err := p.Produce(ctx, msgs); err != nil {
			return fmt.Errorf("dead-letter topic %s: %w", k.cfg.Topic, err)
		}
	}
	return nil
}

// originalTimestamp is the timestamp a letter of r is produced with: r's own, whatever its type
// (the Java reporter keeps CreateTime and LogAppendTime alike), or the zero Time (the time it is
// produced) when r has none. Kafka knows no negative timestamp but -1, its "none": one is taken
// as none rather than refused by the producer.
func originalTimestamp(r record.Record) time.Time {
	if r.TimestampType == record.NoTimestampType || r.Timestamp < 0 {
		return time.Time{}
	}
	return time.UnixMilli(r.Timestamp)
}
