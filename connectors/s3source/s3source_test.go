package s3source_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/reader"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
	"github.com/lambda-connect/lambda-connect/core/checkpoints"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/producer"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func header(r record.Record, k string) string {
	v, _ := r.Header(k)
	return string(v)
}

func compress(t *testing.T, codec string, b []byte) []byte {
	var out bytes.Buffer
	switch codec {
	case "gz":
		w := gzip.NewWriter(&out)
		w.Write(b)
		w.Close()
	case "zst":
		w, _ := zstd.NewWriter(&out)
		w.Write(b)
		w.Close()
	case "bz2":
		cmd := exec.Command("bzip2", "-c")
		cmd.Stdin = bytes.NewReader(b)
		o, err := cmd.Output()
		if err != nil {
			t.Skip("bzip2 not installed")
		}
		return o
	default:
		return b
	}
	return out.Bytes()
}

// TestFormatsEndToEnd: objects of each format and compression produce exactly the expected
// records: keys, values, headers, topics, partitions, order within a partition.
func TestFormatsEndToEnd(t *testing.T) {
	e := newEnv(t, map[string]int32{"events": 3})
	csvBody := "seq,user,amount\n0,u0,1.5\n1,\"u, 1\",2\n2,u2,\n"
	tests := []struct {
		name, key, enc string
		body           []byte
		o              opts
		values         []string
		keys           []string
	}{
		{"jsonl", "a/one.jsonl", "", []byte("{\"seq\":0,\"user\":\"u0\"}\n\n{\"seq\":1,\"user\":\"u1\"}\n"), opts{keyField: "user"},
			[]string{`{"seq":0,"user":"u0"}`, `{"seq":1,"user":"u1"}`}, []string{"u0", "u1"}},
		{"jsonl gzip by extension", "a/two words.jsonl.gz", "", compress(t, "gz", []byte("{\"seq\":0}\n{\"seq\":1}\n")), opts{},
			[]string{`{"seq":0}`, `{"seq":1}`}, []string{"", ""}},
		{"jsonl zstd by content-encoding", "a/three", "zstd", compress(t, "zst", []byte("{\"seq\":0}\n")), opts{},
			[]string{`{"seq":0}`}, []string{""}},
		// The line's text is the value as it is (trimmed, leading zeros rewritten as Connect does)
		// when the JsonConverter writes schemaless JSON through; with schemas, it is enveloped.
		{"jsonl text through", "a/1b.jsonl", "", []byte(" {\"n\": 007, \"s\":\"x\"} \nnull\n"), opts{},
			[]string{`{"n": 7, "s":"x"}`, ``}, []string{"", ""}},
		{"jsonl with schemas", "a/1c.jsonl", "", []byte("{\"n\":007}\n"), opts{schemas: true},
			[]string{`{"schema":null,"payload":{"n":7}}`}, []string{""}},
		{"json array with schemas", "a/four.json", "", []byte(`[{"seq":0},{"seq":1,"n":{"x":true}}]`), opts{format: reader.JSON, schemas: true},
			[]string{`{"schema":null,"payload":{"seq":0}}`, `{"schema":null,"payload":{"seq":1,"n":{"x":true}}}`}, []string{"", ""}},
		{"csv typed", "a/five.csv", "", []byte(csvBody), opts{format: reader.CSV, keyField: "user", csvTypes: map[string]record.Type{"seq": record.Int32, "amount": record.Float64}},
			[]string{`{"seq":0,"user":"u0","amount":1.5}`, `{"seq":1,"user":"u, 1","amount":2.0}`, `{"seq":2,"user":"u2","amount":null}`}, []string{"u0", "u, 1", "u2"}},
		{"text string converter", "a/six.txt", "", []byte("hello\nwörld\n"), opts{format: reader.Text, converter: "StringConverter"},
			[]string{"hello", "wörld"}, []string{"", ""}},
		{"bytes", "a/seven.bin", "", []byte{0, 1, 2, 255}, opts{format: reader.Bytes, converter: "ByteArrayConverter"},
			[]string{"\x00\x01\x02\xff"}, []string{""}},
	}
	if _, err := exec.LookPath("bzip2"); err == nil {
		tests = append(tests, struct {
			name, key, enc string
			body           []byte
			o              opts
			values         []string
			keys           []string
		}{"text bzip2", "a/eight.txt.bz2", "", compress(t, "bz2", []byte("x\ny\n")), opts{format: reader.Text, converter: "StringConverter"}, []string{"x", "y"}, []string{"", ""}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			topic := "events"
			before := len(e.read(topic))
			tc.o.topic = topic
			obj := e.put(tc.key, tc.body, tc.enc)
			res, err := e.invoke(e.source(tc.o), obj)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Complete || res.Produced != int64(len(tc.values)) {
				t.Fatalf("result %+v", res)
			}
			recs := e.read(topic)
			var mine []record.Record
			for _, r := range recs {
				if header(r, s3source.HeaderKey) == tc.key {
					mine = append(mine, r)
				}
			}
			if len(recs)-before != len(tc.values) || len(mine) != len(tc.values) {
				t.Fatalf("%d new records, want %d", len(recs)-before, len(tc.values))
			}
			byIndex := map[string]record.Record{}
			for _, r := range mine {
				byIndex[header(r, s3source.HeaderIndex)] = r
				if header(r, s3source.HeaderBucket) != e.bucket || header(r, s3source.HeaderVersion) != "e:"+obj.ETag {
					t.Errorf("provenance headers %v", r.Headers)
				}
			}
			for i, want := range tc.values {
				r, ok := byIndex[fmt.Sprint(i)]
				if !ok {
					t.Fatalf("record %d missing", i)
				}
				if tc.o.csvTypes != nil {
					// The JSON converter with schemas disabled writes the struct's fields.
					var got, exp map[string]any
					json.Unmarshal(r.Value, &got)
					json.Unmarshal([]byte(want), &exp)
					if fmt.Sprint(got) != fmt.Sprint(exp) {
						t.Errorf("record %d: %s, want %s", i, r.Value, want)
					}
				} else if string(r.Value) != want {
					t.Errorf("record %d: value %q, want %q", i, r.Value, want)
				}
				if string(r.Key) != tc.keys[i] {
					t.Errorf("record %d: key %q, want %q", i, r.Key, tc.keys[i])
				}
				if tc.keys[i] != "" {
					if want := producer.Partition([]byte(tc.keys[i]), 3); r.Partition != want {
						t.Errorf("record %d: partition %d, want murmur2's %d", i, r.Partition, want)
					}
				}
			}
		})
	}
}

func TestTopicRegex(t *testing.T) {
	e := newEnv(t, map[string]int32{"orders": 1, "fallback": 1})
	s := e.source(opts{regex: `incoming/([a-z]+)/.*`, topic: "fallback"})
	if _, err := e.invoke(s, e.put("incoming/orders/2026 Q1.jsonl", lines(3), "")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.invoke(s, e.put("elsewhere/x.jsonl", lines(2), "")); err != nil {
		t.Fatal(err)
	}
	if n := len(e.read("orders")); n != 3 {
		t.Errorf("orders: %d records", n)
	}
	if n := len(e.read("fallback")); n != 2 {
		t.Errorf("fallback: %d records", n)
	}
}

func TestDuplicateNotifications(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 3})
	obj := e.put("dup.jsonl", lines(500), "")
	obj.Sequencer = "0055AED6DCD90281E5"
	s := e.source(opts{topic: "t", records: 64})
	for i := range 3 {
		res, err := e.invoke(s, obj)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && res.Skipped != "complete" {
			t.Errorf("delivery %d: %+v, want skipped as complete", i, res)
		}
	}
	e.exactlyOnce("t", 500)
	// An older event for the same key is ignored.
	old := obj
	old.Sequencer = "0055AED6DCD90281E4"
	if res, err := e.invoke(s, old); err != nil || res.Skipped != "older sequencer" {
		t.Errorf("older event: %+v %v", res, err)
	}
}

func TestConcurrentInvocations(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 2})
	const n = 3000
	obj := e.put("race.jsonl", lines(n), "")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.invoke(e.source(opts{topic: "t", records: 100}), obj)
		}()
	}
	wg.Wait()
	held := 0
	for _, err := range errs {
		if errors.Is(err, checkpoints.ErrLeaseHeld) {
			held++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if held != 1 {
		t.Errorf("errors %v: want exactly one invocation turned away by the lease", errs)
	}
	// The turned-away one is retried (by SQS) and finds the object complete.
	if res, err := e.invoke(e.source(opts{topic: "t"}), obj); err != nil || res.Skipped != "complete" {
		t.Errorf("retry: %+v %v", res, err)
	}
	e.exactlyOnce("t", n)
}

// TestKillAtRandomPoints kills the invocation at random points (after produce and before the
// next checkpoint, before produce, before the save, before completing), then lets the lease
// expire and retries, until the object completes: every line is in Kafka exactly once.
func TestKillAtRandomPoints(t *testing.T) {
	points := []string{"after-produce", "before-produce", "before-save", "before-complete"}
	for seed := range 20 {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			e := newEnv(t, map[string]int32{"t": 3})
			rng := rand.New(rand.NewPCG(uint64(seed), 42))
			const n = 1200
			obj := e.put(fmt.Sprintf("kill-%d.jsonl", seed), lines(n), "")
			kills := 0
			for attempt := 0; ; attempt++ {
				if attempt > 50 {
					t.Fatal("no progress")
				}
				point := points[rng.IntN(len(points))]
				at := int64(rng.IntN(n))
				killNow := kills < 4
				s := e.source(opts{topic: "t", records: 100, fault: func(p string, idx int64) error {
					if killNow && p == point && idx >= at {
						return s3source.ErrKilled
					}
					return nil
				}})
				res, err := e.invoke(s, obj)
				if err == nil {
					if !res.Complete {
						t.Fatalf("no error and not complete: %+v", res)
					}
					break
				}
				if !errors.Is(err, s3source.ErrKilled) {
					t.Fatalf("attempt %d: %v", attempt, err)
				}
				kills++
				// The killed invocation's lease is still held: a retry is turned away until it
				// expires.
				if res, err := e.invoke(e.source(opts{topic: "t"}), obj); !errors.Is(err, checkpoints.ErrLeaseHeld) {
					t.Fatalf("retry while the lease is held (killed %s at %d): %+v %v", point, at, res, err)
				}
				e.clock.Advance(2 * time.Minute)
			}
			e.exactlyOnce("t", n)
		})
	}
}

// TestDeadlineMidObject: a deadline in the middle of a large object stops the invocation cleanly
// at a checkpoint; the retries resume there.
func TestDeadlineMidObject(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 2})
	const n = 20000
	obj := e.put("big.jsonl.gz", compress(t, "gz", lines(n)), "")
	e.processAcrossDeadlines(obj, opts{topic: "t", records: 1000}, func(attempt int, res s3source.Result, err error) {
		if !errclass.Is(err, errclass.Retriable) {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
		if res.Produced == 0 {
			t.Fatalf("attempt %d produced nothing: %+v %v", attempt, res, err)
		}
	})
	e.exactlyOnce("t", n)
}

// processAcrossDeadlines processes obj with the source o makes, each invocation under a deadline
// of 2 minutes on a clock of which every look costs 20 s (o.now and o.reserve are set here), until
// an invocation completes the object. Every invocation before it must stop with ErrIncomplete, and
// stopped (nil: none) checks it further; several must stop so.
func (e *env) processAcrossDeadlines(obj trigger.Object, o opts, stopped func(attempt int, res s3source.Result, err error)) {
	e.t.Helper()
	var mu sync.Mutex
	fake := time.Now()
	o.now = func() time.Time { // every look at the clock costs 20 s of a 2-minute invocation
		mu.Lock()
		defer mu.Unlock()
		fake = fake.Add(20 * time.Second)
		return fake
	}
	o.reserve = 10 * time.Second
	stops := 0
	for attempt := 0; ; attempt++ {
		if attempt > 50 {
			e.t.Fatal("no progress")
		}
		mu.Lock()
		start := fake
		mu.Unlock()
		ctx, cancel := context.WithDeadline(context.WithoutCancel(e.ctx), start.Add(2*time.Minute))
		res, err := e.source(o).Process(ctx, obj)
		cancel()
		if err == nil {
			if !res.Complete {
				e.t.Fatalf("%+v", res)
			}
			break
		}
		if !errors.Is(err, s3source.ErrIncomplete) {
			e.t.Fatalf("attempt %d: %v", attempt, err)
		}
		if stopped != nil {
			stopped(attempt, res, err)
		}
		stops++
	}
	if stops < 2 {
		e.t.Errorf("%d stops at the deadline, want several", stops)
	}
}

// lyingProducer stores the records and then reports a failure (kafka-go #1427).
type lyingProducer struct {
	s3source.Producer
	mu    sync.Mutex
	calls int
	fail  map[int]bool
}

func (p *lyingProducer) Produce(ctx context.Context, msgs []producer.Message) error {
	p.mu.Lock()
	p.calls++
	fail := p.fail[p.calls]
	p.mu.Unlock()
	if fail {
		// Half the batch reaches the broker, then the call fails.
		if err := p.Producer.Produce(ctx, msgs[:len(msgs)/2]); err != nil {
			return err
		}
		return errclass.Retry("produce", "request timed out (but the broker stored the records)")
	}
	return p.Producer.Produce(ctx, msgs)
}

func TestAmbiguousProduceFailure(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 3})
	const n = 2000
	obj := e.put("ambiguous.jsonl", lines(n), "")
	lp := &lyingProducer{fail: map[int]bool{3: true, 5: true}}
	var total s3source.Result
	for attempt := 0; ; attempt++ {
		if attempt > 10 {
			t.Fatal("no progress")
		}
		lp.Producer = e.prod
		res, err := e.invoke(e.source(opts{topic: "t", records: 150, producer: lp}), obj)
		total.Reconciled += res.Reconciled
		if err == nil {
			break
		}
		if !errclass.Is(err, errclass.Retriable) {
			t.Fatal(err)
		}
	}
	if total.Reconciled == 0 {
		t.Error("nothing was reconciled")
	}
	e.exactlyOnce("t", n)
}

func TestBadInput(t *testing.T) {
	body := []byte("{\"seq\":0}\n{\"seq\":1}\n{not json\n{\"seq\":2}\n")
	t.Run("tolerance none", func(t *testing.T) {
		e := newEnv(t, map[string]int32{"t": 1})
		obj := e.put("bad.jsonl", body, "")
		_, err := e.invoke(e.source(opts{topic: "t"}), obj)
		if err == nil || !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "bad.jsonl") {
			t.Fatalf("error %v: want a bad_record error naming the object and line 3", err)
		}
	})
	t.Run("tolerance all", func(t *testing.T) {
		e := newEnv(t, map[string]int32{"t": 1, "dlq": 1})
		obj := e.put("bad.jsonl", body, "")
		res, err := e.invoke(e.source(opts{topic: "t", tolerate: true, dlq: "dlq"}), obj)
		if err != nil || res.DeadLetters != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		e.exactlyOnce("t", 3)
		dl := e.read("dlq")
		if len(dl) != 1 || string(dl[0].Value) != "{not json" || header(dl[0], s3source.HeaderLine) != "3" ||
			header(dl[0], s3source.HeaderKey) != "bad.jsonl" || !strings.Contains(header(dl[0], s3source.HeaderErrorMsg), "not valid JSON") {
			t.Fatalf("dead letters %+v", dl)
		}
	})
}

func TestObjectGone(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 1})
	obj := e.put("gone.jsonl", lines(2), "")
	e.put("gone.jsonl", lines(3), "") // overwritten after the event
	_, err := e.invoke(e.source(opts{topic: "t"}), obj)
	if !errors.Is(err, s3source.ErrObjectGone) {
		t.Fatalf("overwritten: %v", err)
	}
	missing := obj
	missing.Key = "never-there.jsonl"
	if _, err := e.invoke(e.source(opts{topic: "t"}), missing); !errors.Is(err, s3source.ErrObjectGone) {
		t.Fatalf("deleted: %v", err)
	}
}

func TestHandleSQSBatch(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 1})
	good := e.put("dir/a b+c.jsonl", lines(4), "")
	body := func(key, etag string) string {
		b, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
			"s3": map[string]any{"bucket": map[string]any{"name": e.bucket}, "object": map[string]any{"key": key, "eTag": etag}}}}})
		return string(b)
	}
	payload, _ := json.Marshal(map[string]any{"Records": []any{
		map[string]any{"messageId": "ok", "eventSource": "aws:sqs", "body": body("dir/a+b%2Bc.jsonl", good.ETag)},
		map[string]any{"messageId": "gone", "eventSource": "aws:sqs", "body": body("missing.jsonl", "abc")},
		map[string]any{"messageId": "test", "eventSource": "aws:sqs", "body": `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}`},
	}})
	out, err := e.source(opts{topic: "t"}).Handle(e.ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	resp := out.(trigger.Response)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "gone" {
		t.Errorf("failures %+v", resp.BatchItemFailures)
	}
	e.exactlyOnce("t", 4)
}

// TestHandleFlushesBeforeReturning: when Handle returns, every record is acknowledged (readable
// at once, with a linger.ms far longer than the test), and no request, batch or goroutine of the
// producer is left, warm invocation after warm invocation; only the Transport's connection pool
// stays.
func TestHandleFlushesBeforeReturning(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 3})
	pc := producer.DefaultConfig()
	pc.BootstrapServers = e.cluster.Addrs()
	pc.Linger = 10 * time.Minute
	p, err := producer.New(pc)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s := e.source(opts{topic: "t", records: 300, producer: p})
	event := func(obj trigger.Object) []byte {
		b, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
			"s3": map[string]any{"bucket": map[string]any{"name": e.bucket}, "object": map[string]any{"key": obj.Key, "eTag": obj.ETag}}}}})
		return b
	}
	total := 0
	for i := range 6 {
		const n = 1000
		obj := e.put(fmt.Sprintf("flush-%d.jsonl", i), lines(n), "")
		start := time.Now()
		if _, err := s.Handle(e.ctx, event(obj)); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 20*time.Second {
			t.Fatalf("invocation %d took %v: batches waited for linger.ms", i, took)
		}
		total += n
		if got := len(e.read("t")); got != total {
			t.Fatalf("invocation %d: %d records in Kafka right after Handle returned, want %d", i, got, total)
		}
		if n := p.InFlight(); n != 0 {
			t.Fatalf("invocation %d: %d produce requests in flight after Handle returned", i, n)
		}
		if g := producerGoroutines(); len(g) > 0 {
			t.Fatalf("invocation %d: %d goroutines of the producer after Handle returned:\n%s", i, len(g), strings.Join(g, "\n"))
		}
	}
	seen := map[string]bool{}
	for _, r := range e.read("t") {
		id := header(r, s3source.HeaderKey) + "#" + header(r, s3source.HeaderIndex)
		if seen[id] {
			t.Fatalf("record %s twice", id)
		}
		seen[id] = true
	}
	if len(seen) != total {
		t.Fatalf("%d distinct records, want %d", len(seen), total)
	}
}

// holdingProducer stores the records of the Produce call that starts at record index first,
// then waits for release and reports a failure (kafka-go #1427), while the source goes on with
// the next chunk.
type holdingProducer struct {
	s3source.Producer
	first   string
	stored  chan<- struct{} // closed once the records are stored
	release <-chan struct{}
}

func (p *holdingProducer) Produce(ctx context.Context, msgs []producer.Message) error {
	var idx []byte
	for _, h := range msgs[0].Headers {
		if h.Key == s3source.HeaderIndex {
			idx = h.Value
		}
	}
	if string(idx) != p.first {
		return p.Producer.Produce(ctx, msgs)
	}
	if err := p.Producer.Produce(ctx, msgs); err != nil {
		return err
	}
	close(p.stored)
	select {
	case <-p.release:
	case <-time.After(20 * time.Second):
		return errors.New("the next chunk was never checkpointed")
	}
	return errclass.Retry("produce", "request timed out (but the broker stored the records)")
}

// TestPipelinedAmbiguousFailure: chunk 1 is stored but reported failed only after chunk 2 was
// read (its end offsets then include chunk 1's records, as chunk 0's acknowledgement is held
// until chunk 1 is stored) and checkpointed, while chunk 1 was still in flight. The checkpoint
// must keep end offsets from before chunk 1, so that the retry finds chunk 1's records and
// produces only chunk 2's.
func TestPipelinedAmbiguousFailure(t *testing.T) {
	e := newEnv(t, map[string]int32{"t": 1})
	const n = 500
	obj := e.put("pipelined.jsonl", lines(n), "")
	stored, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hp := &holdingProducer{Producer: e.prod, first: "100", stored: stored, release: release}
	_, err := e.invoke(e.source(opts{topic: "t", records: 100, producer: hp, fault: func(p string, idx int64) error {
		switch {
		case p == "after-produce" && idx == 0:
			select {
			case <-stored:
			case <-time.After(20 * time.Second):
				return errors.New("chunk 1 was never stored")
			}
		case p == "before-produce" && idx == 200:
			once.Do(func() { close(release) })
		}
		return nil
	}}), obj)
	if err == nil || !errclass.Is(err, errclass.Retriable) || !strings.Contains(err.Error(), "record 100") {
		t.Fatalf("first invocation: %v, want the retriable failure of the chunk from record 100", err)
	}
	if got := len(e.read("t")); got != 200 {
		t.Fatalf("%d records after the failure, want chunks 0 and 1 (200); chunk 2 must not follow a failed chunk", got)
	}
	res, err := e.invoke(e.source(opts{topic: "t", records: 100}), obj)
	if err != nil || !res.Complete {
		t.Fatalf("retry: %+v %v", res, err)
	}
	if res.Reconciled != 100 {
		t.Errorf("retry reconciled %d records, want chunk 1's 100", res.Reconciled)
	}
	e.exactlyOnce("t", n)
}
