package sink_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/core/sink/sinktest"
)

// flaky is a sink over a map whose Put fails with a retriable error a set number of times, and
// rejects records whose value contains "reject" from Plan.
type flaky struct {
	mu       sync.Mutex
	failures int
	puts     int
	stored   map[string][]record.Record
}

type write struct {
	id   string
	recs []record.Record
}

func (w write) ID() string   { return w.id }
func (w write) Records() int { return len(w.recs) }
func (f *flaky) Discard(ctx context.Context, ids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		delete(f.stored, id)
	}
	return nil
}

func (f *flaky) Plan(tp record.TopicPartition, recs []record.Record) ([]sink.Write, error) {
	var keep []record.Record
	var rejected sink.RecordErrors
	for _, r := range recs {
		if strings.Contains(string(r.Value), "reject") {
			rejected = append(rejected, sink.RecordError{Record: r, Err: errors.New("the target rejects it")})
			continue
		}
		keep = append(keep, r)
	}
	var ws []sink.Write
	if len(keep) > 0 {
		ws = append(ws, write{id: tp.String() + "@" + keep[0].Coordinates(), recs: keep})
	}
	if len(rejected) > 0 {
		return ws, rejected
	}
	return ws, nil
}

func (f *flaky) Put(ctx context.Context, w sink.Write) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts++
	if f.failures > 0 {
		f.failures--
		return 0, errclass.Retry("flaky", "throttled")
	}
	if f.stored == nil {
		f.stored = map[string][]record.Record{}
	}
	f.stored[w.ID()] = w.(write).recs
	return int64(len(w.(write).recs)), nil
}

func handler(t *testing.T, s sink.Sink, mod func(*sink.Config)) (*sink.Handler, *offsets.FileStore) {
	t.Helper()
	store, err := offsets.NewFileStore("")
	if err != nil {
		t.Fatal(err)
	}
	kc, _ := converters.New("StringConverter", true, nil)
	vc, _ := converters.New("JsonConverter", false, map[string]string{"schemas.enable": "false"})
	cfg := sink.Config{Connector: "unit", Sink: s, Store: store, KeyConverter: kc, ValueConverter: vc,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), MetricsTo: io.Discard}
	if mod != nil {
		mod(&cfg)
	}
	h, err := sink.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h, store
}

func event(recs []record.Record) []byte {
	return kafkaevent.Encode(kafkaevent.Event{Source: "aws:kafka", Records: recs})
}

func TestRetryTimeout(t *testing.T) {
	recs := sinktest.Generate("t", 1, 4)
	cases := []struct {
		name     string
		timeout  time.Duration
		failures int
		ok       bool
	}{
		{"no retries by default: the invocation fails", 0, 1, false},
		{"retried within errors.retry.timeout", 5 * time.Second, 2, true},
		{"gives up after errors.retry.timeout", 150 * time.Millisecond, 100, false},
		{"-1 retries until the deadline", -1, 3, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &flaky{failures: tc.failures}
			h, store := handler(t, f, func(c *sink.Config) { c.RetryTimeout = tc.timeout; c.RetryDelayMax = 20 * time.Millisecond })
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := h.Invoke(ctx, event(recs))
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want success %v", err, tc.ok)
			}
			st, _ := store.Get(ctx, offsets.Key{Connector: "unit", Topic: "t", Partition: 0})
			if tc.ok && st.Next != 4 || !tc.ok && st.Next != -1 {
				t.Errorf("committed next offset %d", st.Next)
			}
			if !tc.ok && !errclass.Is(err, errclass.Retriable) {
				t.Errorf("a throttled write must fail as retriable: %v", err)
			}
		})
	}
}

func TestToleranceAllNeedsADestination(t *testing.T) {
	kc, _ := converters.New("StringConverter", true, nil)
	store, _ := offsets.NewFileStore("")
	_, err := sink.New(sink.Config{Connector: "x", Sink: &flaky{}, Store: store, KeyConverter: kc, ValueConverter: kc, TolerateAll: true})
	if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), "dead-letter destination") {
		t.Fatalf("got %v", err)
	}
}

func TestRejectedBySink(t *testing.T) {
	recs := sinktest.Generate("t", 1, 5)
	recs[2].Value = []byte(`{"seq":2,"reject":true}`)

	f := &flaky{}
	h, store := handler(t, f, nil)
	_, err := h.Invoke(context.Background(), event(recs))
	if err == nil || !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "t/0/2") {
		t.Fatalf("errors.tolerance=none: want a bad-record error naming t/0/2, got %v", err)
	}
	if st, _ := store.Get(context.Background(), offsets.Key{Connector: "unit", Topic: "t", Partition: 0}); st.Next != -1 {
		t.Fatalf("committed to %d", st.Next)
	}

	dead := dlq.NewMemory()
	f = &flaky{}
	h, store = handler(t, f, func(c *sink.Config) { c.TolerateAll, c.DeadLetters = true, dead })
	if _, err := h.Invoke(context.Background(), event(recs)); err != nil {
		t.Fatal(err)
	}
	ls := dead.Letters()
	if len(ls) != 1 || ls[0].Record.Offset != 2 || ls[0].Stage != dlq.StageTask || string(ls[0].Record.Value) != string(recs[2].Value) {
		t.Fatalf("dead letters: %+v", ls)
	}
	n := 0
	for _, rs := range f.stored {
		n += len(rs)
	}
	if n != 4 {
		t.Fatalf("%d records stored, want 4", n)
	}
	if st, _ := store.Get(context.Background(), offsets.Key{Connector: "unit", Topic: "t", Partition: 0}); st.Next != 5 {
		t.Fatalf("committed to %d, want 5", st.Next)
	}
}
