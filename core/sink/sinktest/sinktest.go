// Package sinktest is the acceptance suite every sink connector runs. It drives the real sink
// runtime with Lambda-shaped Kafka events against the connector's Sink and an offsets store, and
// checks after every scenario that each input record is in the target exactly once, whatever the
// invocations went through: redelivered batches, retries split at other boundaries, failures and
// kills between the write and the offset commit, concurrent invocations of one partition, and a
// stale invocation that resumes after a newer one took its partition over.
//
// A connector's test supplies a Harness: how to make a fresh Sink over an empty target and how to
// read back what the target durably holds.
package sinktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// Delivered is one record as the target holds it: the write (object) it is in and its value.
type Delivered struct {
	ID    string
	Value []byte
}

// Harness adapts a connector to the suite.
type Harness struct {
	// NewSink returns a sink over a fresh, empty target and a function reading back every record
	// the target holds. Required.
	NewSink func(t *testing.T) (sink.Sink, func(ctx context.Context) ([]Delivered, error))
	// NewStore returns a fresh offsets store; nil uses an in-memory offsets.FileStore.
	NewStore func(t *testing.T) sink.Store
	// Records are the input: JSON object values with a unique integer "seq" field, in offset order
	// per partition (for example records read back from a broker). Nil generates 3 partitions of
	// 60 records.
	Records []record.Record
	// CheckWrite, when set, is called for every delivered record with the input record it matched,
	// to check where the connector put it (for S3: the object key's partition and start offset).
	CheckWrite func(t *testing.T, id string, in record.Record)
	// NewDeadLetters returns the dead-letter destination for errors.tolerance=all and a function
	// reading back the letters it holds; nil uses dlq.Memory.
	NewDeadLetters func(t *testing.T) (dlq.Destination, func(ctx context.Context) ([]DeadLetter, error))
}

// DeadLetter is one record as a dead-letter destination holds it.
type DeadLetter struct {
	Topic     string
	Partition int32
	Offset    int64
	Value     []byte // the original bytes
	Reason    string
}

// Run runs every scenario as a subtest.
func Run(t *testing.T, h Harness) {
	if h.NewSink == nil {
		t.Fatal("sinktest: Harness.NewSink is required")
	}
	if h.NewStore == nil {
		h.NewStore = func(t *testing.T) sink.Store {
			s, err := offsets.NewFileStore("")
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	if h.Records == nil {
		h.Records = Generate("orders.eu-west_1", 3, 60)
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e := newEnv(t, h)
			sc.run(t, e)
			e.checkExactlyOnce(t)
		})
	}
	t.Run("bad record fails the batch and commits nothing", func(t *testing.T) { badRecord(t, h) })
	t.Run("errors.tolerance=all: delivered + dead-lettered = input, once each", func(t *testing.T) { deadLetters(t, h) })
}

// Generate makes n records on each of parts partitions of topic, offsets from 0, with JSON values
// {"seq":N,...} and keys on every other record.
func Generate(topic string, parts int32, n int) []record.Record {
	var out []record.Record
	seq := 0
	for p := range parts {
		for o := range n {
			r := record.Record{Topic: topic, Partition: p, Offset: int64(o), Timestamp: 1700000000000 + int64(seq)*97_000, // spans hours, for time-based partitioners
				TimestampType: record.CreateTime,
				Value:         fmt.Appendf(nil, `{"seq":%d,"customer":"c-%d","amount":%d.5,"note":"ü\"x"}`, seq, seq%7, seq)}
			if o%2 == 0 {
				r.Key = fmt.Appendf(nil, "k-%d", seq%5)
			}
			r.Headers = []record.Header{{Key: "trace", Value: []byte{0x80, 0xff, byte(seq)}}}
			out = append(out, r)
			seq++
		}
	}
	return out
}

type scenario struct {
	name string
	run  func(t *testing.T, e *env)
}

// Every scenario delivers records as an event-source mapping does: each partition's batches start
// at or before the partition's committed position (a retry or a redelivery), never past it, and
// the position moves when an invocation succeeds. What varies is what happens to the attempts.
var scenarios = []scenario{
	{"batches delivered once", func(t *testing.T, e *env) {
		e.stream(t, 1, 12, func(t *testing.T, b []record.Record) { e.mustInvoke(t, b) })
	}},
	{"(a) every batch redelivered", func(t *testing.T, e *env) {
		e.stream(t, 2, 12, func(t *testing.T, b []record.Record) {
			e.mustInvoke(t, b)
			e.mustInvoke(t, b)
		})
		// The whole topic again, at other boundaries: everything is committed already.
		e.resetCursors()
		e.stream(t, 3, 12, func(t *testing.T, b []record.Record) { e.mustInvoke(t, b) })
	}},
	{"(b) retries split at other boundaries", func(t *testing.T, e *env) {
		// Each batch first fails after its writes and before its commit; the retry covers a
		// shorter or a longer range than the failed attempt did.
		e.stream(t, 4, 12, func(t *testing.T, b []record.Record) {
			long := e.extend(b, 9)
			e.failBeforeCommit.Store(true)
			if _, err := e.invoke(t, long, time.Minute); !errors.Is(err, errInjected) {
				t.Fatalf("the injected failure before commit did not fail the invocation: %v", err)
			}
			e.failBeforeCommit.Store(false)
			e.mustInvoke(t, b)
		})
	}},
	{"(c) failure after the write and before the commit", func(t *testing.T, e *env) {
		e.stream(t, 5, 12, func(t *testing.T, b []record.Record) {
			if e.rng.IntN(2) == 0 {
				e.failBeforeCommit.Store(true)
				if _, err := e.invoke(t, b, time.Minute); !errors.Is(err, errInjected) {
					t.Fatalf("injected failure did not fail the invocation: %v", err)
				}
				e.failBeforeCommit.Store(false)
			}
			e.mustInvoke(t, b)
		})
	}},
	{"(c) invocation killed after the write: its lease expires", func(t *testing.T, e *env) {
		e.stream(t, 6, 12, func(t *testing.T, b []record.Record) {
			if e.rng.IntN(3) == 0 {
				// A killed invocation neither commits nor releases: the next one waits for the
				// lease to expire, then discards what the dead one wrote.
				e.failBeforeCommit.Store(true)
				e.store.dropRelease.Store(true)
				// On a loaded machine the short deadline may end the attempt before the hook:
				// killed either way, its lease left to expire.
				if _, err := e.invoke(t, e.extend(b, 5), 400*time.Millisecond); !errors.Is(err, errInjected) && !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("injected kill did not fail the invocation: %v", err)
				}
				e.failBeforeCommit.Store(false)
				e.store.dropRelease.Store(false)
			}
			e.mustInvoke(t, b)
		})
	}},
	{"(d) two invocations of one partition at once, many rounds", func(t *testing.T, e *env) {
		rounds := 0
		e.stream(t, 7, 4, func(t *testing.T, b []record.Record) {
			rounds++
			var wg sync.WaitGroup
			for _, batch := range [][]record.Record{b, e.extend(b, 6)} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for try := 0; ; try++ {
						_, err := e.invoke(t, batch, 5*time.Second)
						if err == nil {
							return
						}
						if !errclass.Is(err, errclass.Retriable) || try > 20 {
							t.Errorf("round %d: %v", rounds, err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
		if rounds < 20 {
			t.Fatalf("only %d rounds", rounds)
		}
	}},
	{"(e) stale invocation resumes after a newer one committed", func(t *testing.T, e *env) {
		e.stream(t, 8, 12, func(t *testing.T, b []record.Record) { e.staleRound(t, b) })
	}},
}

// stream delivers every partition from its committed position to its end, in batches of 1 to
// maxBatch records of each of one or two partitions, calling deliver for each batch; deliver must leave the batch
// committed. The batches' sizes come from seed.
func (e *env) stream(t *testing.T, seed uint64, maxBatch int, deliver func(t *testing.T, b []record.Record)) {
	t.Helper()
	e.rng = rand.New(rand.NewPCG(seed, 42))
	parts := e.byPartition()
	if e.cursor == nil {
		e.cursor = make([]int, len(parts))
	}
	for {
		var open []int
		for i, p := range parts {
			if e.cursor[i] < len(p) {
				open = append(open, i)
			}
		}
		if len(open) == 0 {
			return
		}
		e.rng.Shuffle(len(open), func(a, b int) { open[a], open[b] = open[b], open[a] })
		var batch []record.Record
		var ends [2]int
		for k, i := range open[:min(2, len(open))] {
			end := min(len(parts[i]), e.cursor[i]+1+e.rng.IntN(maxBatch))
			batch = append(batch, parts[i][e.cursor[i]:end]...)
			ends[k] = end
		}
		deliver(t, batch)
		if t.Failed() {
			t.FailNow()
		}
		for k, i := range open[:min(2, len(open))] {
			e.cursor[i] = ends[k]
		}
	}
}

func (e *env) resetCursors() { clear(e.cursor) }

// extend returns b with up to n more records of each of its partitions, as a retry that the
// event-source mapping assembled differently would hold.
func (e *env) extend(b []record.Record, n int) []record.Record {
	parts := e.byPartition()
	var out []record.Record
	for _, p := range parts {
		first, last := -1, -1
		for i, r := range p {
			for _, x := range b {
				if x.TopicPartition() == r.TopicPartition() && x.Offset == r.Offset {
					if first < 0 {
						first = i
					}
					last = i
				}
			}
		}
		if first >= 0 {
			out = append(out, p[first:min(len(p), last+1+e.rng.IntN(n+1))]...)
		}
	}
	return out
}

// env is one scenario's target, store and handler.
type env struct {
	h     Harness
	read  func(ctx context.Context) ([]Delivered, error)
	store *faultyStore
	hdl   *sink.Handler
	ids   atomic.Int64

	failBeforeCommit atomic.Bool
	pause            atomic.Pointer[pauseAt]

	rng    *rand.Rand
	cursor []int // per partition (byPartition order): index of the first record not yet committed
}

type pauseAt struct {
	tp      record.TopicPartition
	nthPut  int
	puts    atomic.Int32
	reached chan struct{}
	resume  chan struct{}
}

var errInjected = errors.New("sinktest: injected failure before commit")

const leaseMargin = 150 * time.Millisecond

func newEnv(t *testing.T, h Harness, dead ...dlq.Destination) *env {
	s, read := h.NewSink(t)
	e := &env{h: h, read: read, store: &faultyStore{Store: h.NewStore(t)}}
	var letters dlq.Destination
	if len(dead) > 0 {
		letters = dead[0]
	}
	kc, err := converters.New("StringConverter", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := converters.New("JsonConverter", false, map[string]string{"schemas.enable": "false"})
	if err != nil {
		t.Fatal(err)
	}
	e.hdl, err = sink.New(sink.Config{
		Connector: "sinktest-" + strings.ReplaceAll(t.Name(), "/", "-"), Sink: s, Store: e.store,
		KeyConverter: kc, ValueConverter: vc,
		Logger:      quietLogger(t),
		MetricsTo:   tLogWriter{t},
		LeaseMargin: leaseMargin, LeaseWait: 3 * time.Second,
		TolerateAll: letters != nil, DeadLetters: letters,
		Hooks: sink.Hooks{
			BeforePut: func(ctx context.Context, tp record.TopicPartition, id string) error {
				if p := e.pause.Load(); p != nil && p.tp == tp && int(p.puts.Add(1)) == p.nthPut {
					close(p.reached)
					<-p.resume
				}
				return nil
			},
			BeforeCommit: func(ctx context.Context, tp record.TopicPartition) error {
				if e.failBeforeCommit.Load() {
					return errInjected
				}
				return nil
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// invoke sends recs as one Lambda event through lambda.NewHandler, with a deadline.
func (e *env) invoke(t *testing.T, recs []record.Record, timeout time.Duration) ([]byte, error) {
	t.Helper()
	payload := kafkaevent.Encode(kafkaevent.Event{Source: "aws:kafka",
		SourceARN:        "arn:aws:kafka:eu-west-1:123456789012:cluster/test/abc",
		BootstrapServers: "b-1.test:9098", Records: recs})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: fmt.Sprintf("req-%d", e.ids.Add(1))})
	return lambda.NewHandler(e.hdl).Invoke(ctx, payload)
}

func (e *env) mustInvoke(t *testing.T, recs []record.Record) {
	t.Helper()
	if _, err := e.invoke(t, recs, time.Minute); err != nil {
		t.Fatalf("invocation of %d records from %s: %v", len(recs), recs[0].Coordinates(), err)
	}
}

func (e *env) byPartition() [][]record.Record {
	idx := map[record.TopicPartition]int{}
	var out [][]record.Record
	for _, r := range e.h.Records {
		i, ok := idx[r.TopicPartition()]
		if !ok {
			i = len(out)
			idx[r.TopicPartition()] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], r)
	}
	return out
}

// staleRound runs one batch twice: invocation A with a short deadline stops before its second
// write until its lease has expired and invocation B has taken the partition over, written and
// committed; then A resumes. A must not write anything more.
func (e *env) staleRound(t *testing.T, b []record.Record) {
	tp := b[0].TopicPartition()
	p := &pauseAt{tp: tp, nthPut: 2, reached: make(chan struct{}), resume: make(chan struct{})}
	e.pause.Store(p)
	aDone := make(chan error, 1)
	go func() {
		_, err := e.invoke(t, b, 400*time.Millisecond)
		aDone <- err
	}()
	select {
	case <-p.reached:
		e.pause.Store(nil)
		e.mustInvoke(t, b) // B: waits for A's lease to expire, discards A's writes, commits
		close(p.resume)
		if err := <-aDone; err == nil {
			t.Fatal("the stale invocation succeeded after a newer one committed its partition")
		}
	case err := <-aDone:
		// A's partition had fewer than two writes (or nothing new), or, on a loaded machine, A's
		// short deadline ended it before its second write: nothing to pause. B completes the
		// batch; the exactly-once check at the end covers whatever A left behind.
		e.pause.Store(nil)
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("invocation A: %v", err)
			}
			e.mustInvoke(t, b)
		}
	}
}

func (e *env) checkExactlyOnce(t *testing.T) {
	t.Helper()
	got, err := e.read(context.Background())
	if err != nil {
		t.Fatalf("reading the target back: %v", err)
	}
	bySeq := map[int64]record.Record{}
	for _, r := range e.h.Records {
		bySeq[seqOf(t, r.Value)] = r
	}
	seen := map[int64]string{}
	for _, d := range got {
		s := seqOf(t, d.Value)
		in, ok := bySeq[s]
		if !ok {
			t.Errorf("%s holds a record that was never produced: %s", d.ID, d.Value)
			continue
		}
		if prev, dup := seen[s]; dup {
			t.Errorf("record %s (seq %d) delivered twice: in %s and in %s", in.Coordinates(), s, prev, d.ID)
			continue
		}
		seen[s] = d.ID
		if e.h.CheckWrite != nil {
			e.h.CheckWrite(t, d.ID, in)
		}
	}
	for s, r := range bySeq {
		if _, ok := seen[s]; !ok {
			t.Errorf("record %s (seq %d) was lost", r.Coordinates(), s)
		}
	}
}

func seqOf(t *testing.T, v []byte) int64 {
	var x struct{ Seq *int64 }
	if err := json.Unmarshal(v, &x); err != nil || x.Seq == nil {
		t.Fatalf("value without a seq field: %q (%v)", v, err)
	}
	return *x.Seq
}

func badRecord(t *testing.T, h Harness) {
	e := newEnv(t, h)
	recs := slices.Clone(e.byPartition()[0][:6])
	recs[4].Value = []byte(`{"seq": 4, broken`)
	_, err := e.invoke(t, recs, time.Minute)
	if err == nil {
		t.Fatal("a record that is not JSON was accepted by the JSON converter")
	}
	if !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), recs[4].Coordinates()) {
		t.Fatalf("error does not name the record %s as a bad record: %v", recs[4].Coordinates(), err)
	}
	got, rerr := e.read(context.Background())
	if rerr != nil {
		t.Fatal(rerr)
	}
	if len(got) != 0 {
		t.Fatalf("the failed batch was half written: %d records in the target", len(got))
	}
	st, ok := e.store.Store.(interface {
		Get(context.Context, offsets.Key) (offsets.State, error)
	})
	if ok {
		s, err := st.Get(context.Background(), offsets.Key{Connector: "sinktest-" + strings.ReplaceAll(t.Name(), "/", "-"), Topic: recs[0].Topic, Partition: recs[0].Partition})
		if err != nil {
			t.Fatal(err)
		}
		if s.Next != -1 {
			t.Fatalf("offset committed to %d after a failed batch", s.Next)
		}
	}
}

// faultyStore wraps a store; with dropRelease set, Release does nothing, as when Lambda kills an
// invocation.
type faultyStore struct {
	sink.Store
	dropRelease atomic.Bool
}

func (s *faultyStore) Release(ctx context.Context, l offsets.Lease) error {
	if s.dropRelease.Load() {
		return nil
	}
	return s.Store.Release(ctx, l)
}

// deadLetters makes every seventh record undecodable and streams the input with errors.tolerance=all,
// through failures before the commit and retries at other boundaries: every good record must be in
// the target once, every bad one in the dead-letter destination once, with its original bytes.
func deadLetters(t *testing.T, h Harness) {
	newDLQ := h.NewDeadLetters
	if newDLQ == nil {
		newDLQ = func(t *testing.T) (dlq.Destination, func(context.Context) ([]DeadLetter, error)) {
			m := dlq.NewMemory()
			return m, func(context.Context) ([]DeadLetter, error) {
				var out []DeadLetter
				for _, l := range m.Letters() {
					out = append(out, DeadLetter{Topic: l.Record.Topic, Partition: l.Record.Partition, Offset: l.Record.Offset,
						Value: l.Record.Value, Reason: l.Err.Error()})
				}
				return out, nil
			}
		}
	}
	dest, readDead := newDLQ(t)
	bad := map[string][]byte{}
	h.Records = slices.Clone(h.Records)
	for i := range h.Records {
		if i%7 == 3 {
			h.Records[i].Value = fmt.Appendf(nil, `{"seq": %d, "broken`, i)
			bad[h.Records[i].Coordinates()] = h.Records[i].Value
		}
	}
	e := newEnv(t, h, dest)
	e.stream(t, 9, 12, func(t *testing.T, b []record.Record) {
		if e.rng.IntN(3) == 0 {
			e.failBeforeCommit.Store(true)
			if _, err := e.invoke(t, e.extend(b, 4), time.Minute); !errors.Is(err, errInjected) {
				t.Fatalf("injected failure did not fail the invocation: %v", err)
			}
			e.failBeforeCommit.Store(false)
		}
		e.mustInvoke(t, b)
	})
	letters, err := readDead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range letters {
		c := l.Topic + "/" + fmt.Sprint(l.Partition) + "/" + fmt.Sprint(l.Offset)
		orig, ok := bad[c]
		switch {
		case !ok:
			t.Errorf("dead letter %s is not one of the bad records", c)
		case seen[c]:
			t.Errorf("record %s dead-lettered twice", c)
		case string(l.Value) != string(orig):
			t.Errorf("dead letter %s holds %q, not the original bytes %q", c, l.Value, orig)
		case !strings.Contains(l.Reason, c) || !strings.Contains(l.Reason, "value.converter"):
			t.Errorf("dead letter %s: the reason does not name the record and the stage: %s", c, l.Reason)
		}
		seen[c] = true
	}
	for c := range bad {
		if !seen[c] {
			t.Errorf("bad record %s was neither delivered nor dead-lettered", c)
		}
	}
	good := slices.DeleteFunc(slices.Clone(h.Records), func(r record.Record) bool { return bad[r.Coordinates()] != nil })
	e.h.Records = good
	e.checkExactlyOnce(t)
}
