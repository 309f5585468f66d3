package dynamodbsink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
)

// rig drives a DynamoDB sink through the real runtime with Lambda-shaped events, with faults
// that can be switched on: a failure after the item writes and before the offset commit, and a
// killed invocation (no commit, no lease release).
type rig struct {
	h     *sink.Handler
	store *dropStore
	ids   atomic.Int64

	mu        sync.Mutex
	committed map[record.TopicPartition]int64 // the next offset of every commit seen

	failBeforeCommit atomic.Bool
}

var errCrash = errors.New("test: crash between the item writes and the offset commit")

type rigOptions struct {
	valueConverter map[string]string // JsonConverter settings (schemas.enable)
	dead           dlq.Destination   // errors.tolerance=all when set
	store          sink.Store        // nil: an in-memory offsets.FileStore
}

func newRig(t *testing.T, s sink.Sink, o rigOptions) *rig {
	t.Helper()
	if o.store == nil {
		fs, err := offsets.NewFileStore("")
		if err != nil {
			t.Fatal(err)
		}
		o.store = fs
	}
	if o.valueConverter == nil {
		o.valueConverter = map[string]string{"schemas.enable": "false"}
	}
	kc, err := converters.New("StringConverter", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := converters.New("JsonConverter", false, o.valueConverter)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{store: &dropStore{Store: o.store}, committed: map[record.TopicPartition]int64{}}
	r.h, err = sink.New(sink.Config{
		Connector: "test-" + strings.ReplaceAll(t.Name(), "/", "-"), Sink: s, Store: r.store,
		KeyConverter: kc, ValueConverter: vc,
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		MetricsTo:   io.Discard,
		LeaseMargin: 150 * time.Millisecond, LeaseWait: 3 * time.Second,
		TolerateAll: o.dead != nil, DeadLetters: o.dead,
		Hooks: sink.Hooks{BeforeCommit: func(context.Context, record.TopicPartition) error {
			if r.failBeforeCommit.Load() {
				return errCrash
			}
			return nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// invoke sends recs as one Lambda event with a deadline.
func (r *rig) invoke(recs []record.Record, timeout time.Duration) (sink.Result, error) {
	payload := kafkaevent.Encode(kafkaevent.Event{Source: "aws:kafka",
		SourceARN: "arn:aws:kafka:eu-west-1:123456789012:cluster/test/abc", BootstrapServers: "b-1.test:9098", Records: recs})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: fmt.Sprintf("req-%d", r.ids.Add(1))})
	res, err := r.h.Handle(ctx, payload)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range res.Partitions {
		r.committed[p.TopicPartition] = max(r.committed[p.TopicPartition], p.Committed)
	}
	return res, err
}

// next returns the next offset to commit of a partition, as far as the rig has seen.
func (r *rig) next(tp record.TopicPartition) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.committed[tp]
}

func (r *rig) mustInvoke(t *testing.T, recs []record.Record) sink.Result {
	t.Helper()
	res, err := r.invoke(recs, time.Minute)
	if err != nil {
		t.Fatalf("invocation of %d records from %s: %v", len(recs), recs[0].Coordinates(), err)
	}
	return res
}

// crash runs recs with a failure between the writes and the commit; with kill the invocation
// also leaves its leases held (as when Lambda kills it), so the next one waits for them.
func (r *rig) crash(t *testing.T, recs []record.Record, kill bool) {
	t.Helper()
	r.failBeforeCommit.Store(true)
	r.store.dropRelease.Store(kill)
	defer func() { r.failBeforeCommit.Store(false); r.store.dropRelease.Store(false) }()
	timeout := time.Minute
	if kill {
		timeout = 300 * time.Millisecond
	}
	// A kill's short deadline may end the attempt before the hook on a loaded machine: killed
	// either way.
	if _, err := r.invoke(recs, timeout); !errors.Is(err, errCrash) && !(kill && errors.Is(err, context.DeadlineExceeded)) {
		t.Fatalf("the injected crash did not fail the invocation: %v", err)
	}
}

// dropStore wraps a store; with dropRelease set, Release does nothing.
type dropStore struct {
	sink.Store
	dropRelease atomic.Bool
}

func (s *dropStore) Release(ctx context.Context, l offsets.Lease) error {
	if s.dropRelease.Load() {
		return nil
	}
	return s.Store.Release(ctx, l)
}

// viaBroker produces recs to a Kafka broker (kfake, or KAFKA_BROKERS) and returns them as read
// back, with the offsets, timestamps and headers the broker assigned.
func viaBroker(t *testing.T, topic string, parts int32, recs []record.Record) []record.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl := kafkalocal.ForTest(t)
	if err := cl.CreateTopic(ctx, topic, parts); err != nil {
		t.Fatal(err)
	}
	if err := kafkalocal.Produce(ctx, cl.Addrs(), recs); err != nil {
		t.Fatal(err)
	}
	out, err := kafkalocal.ReadAll(ctx, cl.Addrs(), topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(recs) {
		t.Fatalf("read %d records back from the broker, produced %d", len(out), len(recs))
	}
	return out
}
