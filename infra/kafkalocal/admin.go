package kafkalocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// checkAddr checks that a is host:port with a port in 1-65535.
func checkAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("broker address %q: %w", a, err)
	}
	if host == "" {
		return fmt.Errorf("broker address %q: empty host", a)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("broker address %q: port %q is not in 1-65535", a, port)
	}
	return nil
}

// newClient returns a kgo client for addrs, with extra options. It neither consumes nor
// produces by itself.
func newClient(addrs []string, opts ...kgo.Opt) (*kgo.Client, error) {
	if len(addrs) == 0 {
		return nil, errclass.Config("kafka bootstrap addresses", "none given")
	}
	for _, a := range addrs {
		if err := checkAddr(a); err != nil {
			return nil, errclass.New(errclass.BadConfig, "kafka bootstrap addresses", err)
		}
	}
	base := []kgo.Opt{
		kgo.SeedBrokers(addrs...),
		kgo.ClientID("lambda-connect-kafkalocal"),
		kgo.DialTimeout(5 * time.Second),
		kgo.MetadataMinAge(100 * time.Millisecond),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, "kafka client", err)
	}
	return cl, nil
}

// ping asks the cluster for its brokers, to fail early, naming the addresses, when it does not
// answer.
func (c *Cluster) ping(ctx context.Context) error {
	subject := "kafka cluster " + c.Bootstrap()
	cl, err := newClient(c.addrs)
	if err != nil {
		return err
	}
	defer cl.Close()
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = []kmsg.MetadataRequestTopic{} // no topic: brokers only
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return errclass.New(errclass.Retriable, subject, fmt.Errorf("not answering: %w", err))
	}
	if len(resp.Brokers) == 0 {
		return errclass.Retry(subject, "answered with no brokers")
	}
	return nil
}

// CreateTopic creates topic name with the given number of partitions (replication factor: the
// broker's default) and waits until every partition has a leader. A topic that already exists
// with that many partitions is not an error; one with another count is (BadConfig).
func (c *Cluster) CreateTopic(ctx context.Context, name string, partitions int32) error {
	subject := "topic " + name
	if name == "" || partitions < 1 {
		return errclass.Config(subject, "want a non-empty name and at least one partition, got %d", partitions)
	}
	cl, err := newClient(c.addrs)
	if err != nil {
		return err
	}
	defer cl.Close()

	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = name
	rt.NumPartitions = partitions
	rt.ReplicationFactor = -1
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 30000
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return errclass.New(errclass.Retriable, subject, fmt.Errorf("creating it: %w", err))
	}
	if len(resp.Topics) != 1 {
		return errclass.Retry(subject, "creating it: %d topics in the response, want 1", len(resp.Topics))
	}
	exists := false
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		if !errors.Is(err, kerr.TopicAlreadyExists) {
			msg := ""
			if m := resp.Topics[0].ErrorMessage; m != nil {
				msg = " (" + *m + ")"
			}
			return errclass.New(classOf(err), subject, fmt.Errorf("creating it: %w%s", err, msg))
		}
		exists = true
	}
	// Wait until the topic's metadata shows every partition with a leader.
	for {
		md, err := topicMetadata(ctx, cl, name)
		if err == nil {
			if n := int32(len(md.Partitions)); exists && n != partitions {
				return errclass.Config(subject, "exists with %d partitions, want %d", n, partitions)
			}
			if int32(len(md.Partitions)) == partitions && allLed(md) {
				return nil
			}
		} else if errclass.Of(err) != errclass.Retriable && !errors.Is(err, kerr.UnknownTopicOrPartition) {
			return err // an unknown topic right after its creation is metadata still spreading
		}
		select {
		case <-ctx.Done():
			return errclass.New(errclass.Retriable, subject, fmt.Errorf("waiting for its partitions to have leaders: %w", ctx.Err()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func allLed(md *kmsg.MetadataResponseTopic) bool {
	for _, p := range md.Partitions {
		if p.Leader < 0 || p.ErrorCode != 0 {
			return false
		}
	}
	return true
}

// classOf classifies a broker error: kerr's retriable errors are Retriable, the rest BadConfig
// (unknown topic, invalid partitions, authorization).
func classOf(err error) errclass.Class {
	if kerr.IsRetriable(err) {
		return errclass.Retriable
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return errclass.BadConfig
	}
	return errclass.Retriable
}

// topicMetadata returns the metadata of one topic; an unknown topic is a BadConfig error.
func topicMetadata(ctx context.Context, cl *kgo.Client, topic string) (*kmsg.MetadataResponseTopic, error) {
	subject := "topic " + topic
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, errclass.New(errclass.Retriable, subject, fmt.Errorf("reading metadata: %w", err))
	}
	for i := range resp.Topics {
		t := &resp.Topics[i]
		if t.Topic == nil || *t.Topic != topic {
			continue
		}
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			if errors.Is(err, kerr.UnknownTopicOrPartition) {
				return nil, errclass.New(errclass.BadConfig, subject, fmt.Errorf("reading metadata: %w", err))
			}
			return nil, errclass.New(classOf(err), subject, fmt.Errorf("reading metadata: %w", err))
		}
		return t, nil
	}
	return nil, errclass.New(errclass.BadConfig, subject, fmt.Errorf("reading metadata: %w", kerr.UnknownTopicOrPartition))
}
