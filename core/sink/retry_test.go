package sink_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/core/sink/sinktest"
)

// outageConverter is a value converter whose first failures calls fail with err (a schema
// registry outage: Retriable; a corrupt record: BadRecord), then converts as next does.
type outageConverter struct {
	next     converters.Converter
	mu       sync.Mutex
	failures int // -1: every call fails
	err      error
	calls    int
}

func (o *outageConverter) ToConnect(topic string, h []record.Header, data []byte) (*record.Schema, any, error) {
	o.mu.Lock()
	o.calls++
	fail := o.failures != 0
	if o.failures > 0 {
		o.failures--
	}
	o.mu.Unlock()
	if fail {
		return nil, nil, o.err
	}
	return o.next.ToConnect(topic, h, data)
}

func (o *outageConverter) FromConnect(topic string, h []record.Header, s *record.Schema, v any) ([]byte, error) {
	return o.next.FromConnect(topic, h, s, v)
}

// TestConverterRetry: as Connect's RetryWithToleranceOperator, a Retriable conversion failure is
// retried for errors.retry.timeout (backoff capped by errors.retry.delay.max.ms); once the time
// is up it is tolerated (dead-lettered) under errors.tolerance=all and fails the invocation under
// none; a BadRecord failure is never retried.
func TestConverterRetry(t *testing.T) {
	outage := errclass.Retry("schema registry", "GET /schemas/ids/1: 503 Service Unavailable")
	corrupt := errclass.Record("t", "avro: not a Confluent-framed record")
	const n = 3
	cases := []struct {
		name       string
		timeout    time.Duration
		failures   int
		err        error
		tolerate   bool
		wantErr    errclass.Class // Unknown: the invocation succeeds
		wantDead   int
		wantCalls  int // converter calls; -1: retried (more than n)
		wantStored int
	}{
		{"outage shorter than the timeout, none", 5 * time.Second, 4, outage, false, errclass.Unknown, 0, n + 4, n},
		{"outage shorter than the timeout, all", 5 * time.Second, 4, outage, true, errclass.Unknown, 0, n + 4, n},
		{"outage until the deadline with -1", -1, 2, outage, false, errclass.Unknown, 0, n + 2, n},
		{"outage longer than the timeout, all: dead-lettered", 150 * time.Millisecond, -1, outage, true, errclass.Unknown, n, -1, 0},
		{"outage longer than the timeout, none: fails", 150 * time.Millisecond, -1, outage, false, errclass.Retriable, 0, -1, 0},
		{"no timeout: not retried, dead-lettered under all", 0, -1, outage, true, errclass.Unknown, n, n, 0},
		{"bad record never retried, all", 5 * time.Second, 1, corrupt, true, errclass.Unknown, 1, n, n - 1},
		{"bad record never retried, none", 5 * time.Second, 1, corrupt, false, errclass.BadRecord, 0, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			recs := sinktest.Generate("t", 1, n)
			vc, err := converters.New("JsonConverter", false, map[string]string{"schemas.enable": "false"})
			if err != nil {
				t.Fatal(err)
			}
			conv := &outageConverter{next: vc, failures: tc.failures, err: tc.err}
			dead := dlq.NewMemory()
			f := &flaky{}
			h, store := handler(t, f, func(c *sink.Config) {
				c.ValueConverter = conv
				c.RetryTimeout, c.RetryDelayMax = tc.timeout, 10*time.Millisecond
				if tc.tolerate {
					c.TolerateAll, c.DeadLetters = true, dead
				}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			_, err = h.Invoke(ctx, event(recs))
			if tc.wantErr == errclass.Unknown && err != nil || tc.wantErr != errclass.Unknown && !errclass.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want class %v", err, tc.wantErr)
			}
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("took %v", el)
			}
			if ls := dead.Letters(); len(ls) != tc.wantDead {
				t.Errorf("%d dead letters, want %d", len(ls), tc.wantDead)
			} else {
				for _, l := range ls {
					if l.Stage != dlq.StageValueConverter || !errclass.Is(l.Err, errclass.Of(tc.err)) {
						t.Errorf("dead letter stage %s, error %v", l.Stage, l.Err)
					}
				}
			}
			if tc.wantCalls >= 0 && conv.calls != tc.wantCalls || tc.wantCalls < 0 && conv.calls <= n {
				t.Errorf("%d converter calls, want %d", conv.calls, tc.wantCalls)
			}
			stored := 0
			for _, rs := range f.stored {
				stored += len(rs)
			}
			if stored != tc.wantStored {
				t.Errorf("%d records stored, want %d", stored, tc.wantStored)
			}
			st, _ := store.Get(ctx, offsets.Key{Connector: "unit", Topic: "t", Partition: 0})
			if want := map[bool]int64{true: n, false: -1}[err == nil]; st.Next != want {
				t.Errorf("committed next offset %d, want %d", st.Next, want)
			}
		})
	}
}
