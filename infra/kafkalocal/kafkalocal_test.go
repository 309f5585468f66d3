package kafkalocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

var uniq atomic.Int64

// topicName returns a topic name no other test uses, even on a shared external cluster.
func topicName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, uniq.Add(1))
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// sameRecord compares what the broker is expected to hold, byte for byte and nil for nil.
func sameRecord(t *testing.T, got, want record.Record) {
	t.Helper()
	at := want.Coordinates()
	if got.Topic != want.Topic || got.Partition != want.Partition || got.Offset != want.Offset {
		t.Errorf("%s: got coordinates %s", at, got.Coordinates())
	}
	if got.TimestampType != want.TimestampType || got.Timestamp != want.Timestamp {
		t.Errorf("%s: timestamp %d %v, want %d %v", at, got.Timestamp, got.TimestampType, want.Timestamp, want.TimestampType)
	}
	sameBytes(t, at+" key", got.Key, want.Key)
	sameBytes(t, at+" value", got.Value, want.Value)
	if len(got.Headers) != len(want.Headers) {
		t.Errorf("%s: %d headers, want %d", at, len(got.Headers), len(want.Headers))
		return
	}
	for i := range want.Headers {
		if got.Headers[i].Key != want.Headers[i].Key {
			t.Errorf("%s: header %d key %q, want %q", at, i, got.Headers[i].Key, want.Headers[i].Key)
		}
		sameBytes(t, fmt.Sprintf("%s header %d", at, i), got.Headers[i].Value, want.Headers[i].Value)
	}
}

func sameBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if (got == nil) != (want == nil) || !bytes.Equal(got, want) {
		t.Errorf("%s: got %q (nil=%v), want %q (nil=%v)", what, got, got == nil, want, want == nil)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, brokers := range []int{1, 3} {
		t.Run(fmt.Sprintf("brokers=%d", brokers), func(t *testing.T) {
			ctx := testCtx(t)
			var c *Cluster
			if brokers == 1 {
				c = ForTest(t)
			} else {
				var err error
				if c, err = Start(ctx, Options{Embedded: true, Brokers: brokers}); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(c.Close)
			}
			topic := topicName("round.trip")
			if err := c.CreateTopic(ctx, topic, 3); err != nil {
				t.Fatal(err)
			}
			ts := int64(1_700_000_000_123)
			in := []record.Record{
				{Topic: topic, Partition: 0, TimestampType: record.CreateTime, Timestamp: ts, Key: []byte("k0"), Value: []byte(`{"id":0}`)},
				{Topic: topic, Partition: 0, TimestampType: record.CreateTime, Timestamp: ts + 1, Value: []byte(`{"id":1}`)},                 // null key
				{Topic: topic, Partition: 0, TimestampType: record.CreateTime, Timestamp: ts + 2, Key: []byte("k0")},                         // tombstone
				{Topic: topic, Partition: 1, TimestampType: record.CreateTime, Timestamp: 0, Key: []byte{}, Value: []byte{}},                 // empty, not null
				{Topic: topic, Partition: 1, TimestampType: record.CreateTime, Timestamp: ts - 5, Key: []byte{0, 0xff}, Value: []byte{1, 2}}, // earlier than the previous one
				{Topic: topic, Partition: 2, TimestampType: record.CreateTime, Timestamp: ts, Value: []byte("h"), Headers: []record.Header{
					{Key: "trace", Value: []byte{104, 0xc3, 0xa9}},
					{Key: "dup", Value: []byte("1")},
					{Key: "dup", Value: []byte("2")},
					{Key: "null", Value: nil},
					{Key: "empty", Value: []byte{}},
				}},
			}
			if err := Produce(ctx, c.Addrs(), in); err != nil {
				t.Fatal(err)
			}
			got, err := ReadAll(ctx, c.Addrs(), topic)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(in) {
				t.Fatalf("read %d records, produced %d", len(got), len(in))
			}
			next := map[int32]int64{}
			for i, w := range in {
				w.Offset = next[w.Partition]
				next[w.Partition]++
				sameRecord(t, got[i], w)
			}
		})
	}
}

func TestProduceWithoutTimestampGetsNow(t *testing.T) {
	ctx := testCtx(t)
	c := ForTest(t)
	topic := topicName("now")
	if err := c.CreateTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	before := time.Now().UnixMilli()
	if err := Produce(ctx, c.Addrs(), []record.Record{{Topic: topic, Value: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	after := time.Now().UnixMilli()
	got, err := ReadPartition(ctx, c.Addrs(), topic, 0, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].TimestampType != record.CreateTime || got[0].Timestamp < before || got[0].Timestamp > after {
		t.Fatalf("got %+v, want one CREATE_TIME record stamped in [%d, %d]", got, before, after)
	}
}

func TestReadPartitionRanges(t *testing.T) {
	ctx := testCtx(t)
	c := ForTest(t)
	topic := topicName("ranges")
	if err := c.CreateTopic(ctx, topic, 2); err != nil {
		t.Fatal(err)
	}
	var in []record.Record
	for i := range 10 {
		in = append(in, record.Record{Topic: topic, Partition: 1, TimestampType: record.CreateTime, Timestamp: int64(i), Value: []byte{byte(i)}})
	}
	// Produced one at a time, so that the records sit in separate batches.
	for _, r := range in {
		if err := Produce(ctx, c.Addrs(), []record.Record{r}); err != nil {
			t.Fatal(err)
		}
	}
	ends, err := EndOffsets(ctx, c.Addrs(), topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(ends) != 2 || ends[0] != 0 || ends[1] != 10 {
		t.Fatalf("EndOffsets = %v, want [0 10]", ends)
	}
	for _, tc := range []struct {
		name      string
		partition int32
		from, to  int64
		want      []int64 // offsets
	}{
		{"all", 1, -1, -1, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"middle", 1, 2, 5, []int64{2, 3, 4}},
		{"from only", 1, 8, -1, []int64{8, 9}},
		{"to past the end", 1, 7, 100, []int64{7, 8, 9}},
		{"empty range", 1, 4, 4, nil},
		{"reversed range", 1, 6, 3, nil},
		{"from the end", 1, 10, -1, nil},
		{"empty partition", 0, -1, -1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadPartition(ctx, c.Addrs(), topic, tc.partition, tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			var offs []int64
			for _, r := range got {
				offs = append(offs, r.Offset)
				if r.Value[0] != byte(r.Offset) || r.Timestamp != r.Offset {
					t.Errorf("offset %d holds value %v timestamp %d", r.Offset, r.Value, r.Timestamp)
				}
			}
			if fmt.Sprint(offs) != fmt.Sprint(tc.want) {
				t.Errorf("offsets %v, want %v", offs, tc.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	ctx := testCtx(t)
	c := ForTest(t)
	topic := topicName("errors")
	if err := c.CreateTopic(ctx, topic, 2); err != nil {
		t.Fatal(err)
	}
	missing := topicName("missing")
	for _, tc := range []struct {
		name  string
		run   func() error
		class errclass.Class
		says  []string
	}{
		{"produce without topic", func() error {
			return Produce(ctx, c.Addrs(), []record.Record{{Partition: 0, Value: []byte("x")}})
		}, errclass.BadRecord, []string{"record #0", "needs a topic"}},
		{"produce to a missing partition", func() error {
			return Produce(ctx, c.Addrs(), []record.Record{
				{Topic: topic, Partition: 0, Value: []byte("ok")},
				{Topic: topic, Partition: 7, Value: []byte("x")},
			})
		}, errclass.Unknown, []string{"1 of 2 records not produced", "record #1 for " + topic + "-7"}},
		{"read a missing topic", func() error {
			_, err := ReadAll(ctx, c.Addrs(), missing)
			return err
		}, errclass.BadConfig, []string{"topic " + missing}},
		{"read a missing partition", func() error {
			_, err := ReadPartition(ctx, c.Addrs(), topic, 5, -1, -1)
			return err
		}, errclass.Unknown, []string{topic + "-5"}},
		{"create with another partition count", func() error {
			return c.CreateTopic(ctx, topic, 3)
		}, errclass.BadConfig, []string{"exists with 2 partitions, want 3"}},
		{"create without partitions", func() error {
			return c.CreateTopic(ctx, topicName("none"), 0)
		}, errclass.BadConfig, []string{"at least one partition"}},
		{"no addresses", func() error {
			_, err := ReadAll(ctx, nil, topic)
			return err
		}, errclass.BadConfig, []string{"bootstrap"}},
		{"bad address", func() error {
			return Produce(ctx, []string{"localhost"}, []record.Record{{Topic: topic}})
		}, errclass.BadConfig, []string{`"localhost"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil {
				t.Fatal("no error")
			}
			if tc.class != errclass.Unknown && errclass.Of(err) != tc.class {
				t.Errorf("class %v, want %v: %v", errclass.Of(err), tc.class, err)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
	// The same topic again, with the same count, is fine.
	if err := c.CreateTopic(ctx, topic, 2); err != nil {
		t.Errorf("re-creating with the same partition count: %v", err)
	}
}

func TestStartOptions(t *testing.T) {
	ctx := testCtx(t)
	// A running cluster to point KAFKA_BROKERS and Options.External at.
	ext, err := Start(ctx, Options{Embedded: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	addr := ext.Addrs()[0]
	for _, tc := range []struct {
		name     string
		env      string
		opts     Options
		wantErr  string
		class    errclass.Class
		external bool
		addrs    []string
	}{
		{name: "default is kfake"},
		{name: "env names an external cluster", env: " " + addr + ", ,", external: true, addrs: []string{addr}},
		{name: "embedded ignores the env", env: addr, opts: Options{Embedded: true}},
		{name: "explicit external wins over env", env: "127.0.0.1:1", opts: Options{External: []string{addr}}, external: true, addrs: []string{addr}},
		{name: "malformed env", env: "nohost", wantErr: EnvBrokers, class: errclass.BadConfig},
		{name: "discard implies embedded", env: addr, opts: Options{DiscardRecords: true}},
		{name: "external and discard", opts: Options{External: []string{addr}, DiscardRecords: true}, wantErr: "DiscardRecords", class: errclass.BadConfig},
		{name: "external and embedded", opts: Options{External: []string{"h:1"}, Embedded: true}, wantErr: "exclusive", class: errclass.BadConfig},
		{name: "too many brokers", opts: Options{Brokers: 17}, wantErr: "Brokers", class: errclass.BadConfig},
		{name: "bad external", opts: Options{External: []string{"h:0"}}, wantErr: "port", class: errclass.BadConfig},
		{name: "external not answering", env: "127.0.0.1:1", wantErr: "kafka cluster 127.0.0.1:1: not answering", class: errclass.Retriable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvBrokers, tc.env)
			sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			c, err := Start(sctx, tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || errclass.Of(err) != tc.class {
					t.Fatalf("err = %v, want a %v error about %q", err, tc.class, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.External() != tc.external {
				t.Errorf("External() = %v, want %v", c.External(), tc.external)
			}
			if tc.addrs != nil && fmt.Sprint(c.Addrs()) != fmt.Sprint(tc.addrs) {
				t.Errorf("Addrs() = %v, want %v", c.Addrs(), tc.addrs)
			}
			if !tc.external {
				if len(c.Addrs()) != 1 || !strings.HasPrefix(c.Addrs()[0], "127.0.0.1:") || c.Addrs()[0] == addr {
					t.Errorf("kfake listens on %v, want one new 127.0.0.1 address", c.Addrs())
				}
				if c.Bootstrap() != c.Addrs()[0] {
					t.Errorf("Bootstrap() = %q", c.Bootstrap())
				}
			}
		})
	}
	// Closing an external cluster leaves it running.
	t.Setenv(EnvBrokers, addr)
	c, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := ext.CreateTopic(ctx, topicName("still.up"), 1); err != nil {
		t.Errorf("the external cluster stopped with Close: %v", err)
	}
}

// A discarding cluster acknowledges and counts records (end offsets advance) but stores none.
func TestDiscardRecords(t *testing.T) {
	ctx := testCtx(t)
	c, err := Start(ctx, Options{DiscardRecords: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	topic := topicName("discard")
	if err := c.CreateTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	recs := []record.Record{{Topic: topic, Value: []byte("a")}, {Topic: topic, Value: []byte("b")}, {Topic: topic, Value: []byte("c")}}
	if err := Produce(ctx, c.Addrs(), recs); err != nil {
		t.Fatal(err)
	}
	ends, err := EndOffsets(ctx, c.Addrs(), topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(ends) != 1 || ends[0] != 3 {
		t.Errorf("end offsets %v, want [3]", ends)
	}
	fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if got, err := ReadPartition(fctx, c.Addrs(), topic, 0, 0, 3); err == nil && len(got) > 0 {
		t.Errorf("read back %d records from a discarding cluster, want none", len(got))
	}
}

func TestCloseStopsTheBroker(t *testing.T) {
	c, err := Start(context.Background(), Options{Embedded: true})
	if err != nil {
		t.Fatal(err)
	}
	addrs := c.Addrs()
	c.Close()
	c.Close() // idempotent
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := ReadAll(ctx, addrs, "x"); err == nil {
		t.Fatal("read from a closed broker succeeded")
	}
}

func TestParseBrokers(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "a:1", want: []string{"a:1"}},
		{in: "a:1,b:2", want: []string{"a:1", "b:2"}},
		{in: " a:1 ,, b:2 ,", want: []string{"a:1", "b:2"}},
		{in: "[::1]:9092", want: []string{"[::1]:9092"}},
		{in: "", wantErr: true},
		{in: " , ", wantErr: true},
		{in: "a", wantErr: true},
		{in: ":9092", wantErr: true},
		{in: "a:0", wantErr: true},
		{in: "a:65536", wantErr: true},
		{in: "a:x", wantErr: true},
		{in: "a:1,b", wantErr: true},
	} {
		got, err := ParseBrokers(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseBrokers(%q) error %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("ParseBrokers(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzParseBrokers(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseBrokers(s)
		if err != nil {
			if got != nil {
				t.Fatalf("error %v with result %q", err, got)
			}
			return
		}
		if len(got) == 0 {
			t.Fatal("no error and no broker")
		}
		for _, a := range got {
			if checkAddr(a) != nil || strings.Contains(a, ",") || strings.TrimSpace(a) != a {
				t.Fatalf("entry %q of %q is not a clean host:port", a, s)
			}
		}
		again, err := ParseBrokers(strings.Join(got, ","))
		if err != nil || fmt.Sprint(again) != fmt.Sprint(got) {
			t.Fatalf("re-parsing %q gave %q, %v", got, again, err)
		}
	})
}

// fuzzCluster is one kfake cluster shared by every input of FuzzRoundTrip.
var fuzzCluster struct {
	once  sync.Once
	c     *Cluster
	topic string
	err   error
}

// FuzzRoundTrip produces one record of arbitrary bytes and reads it back by its offset.
func FuzzRoundTrip(f *testing.F) {
	f.Cleanup(func() {
		if fuzzCluster.c != nil {
			fuzzCluster.c.Close()
		}
	})
	f.Fuzz(func(t *testing.T, key, value []byte, nullKey, nullValue bool, hkey string, hval []byte, ts int64) {
		fuzzCluster.once.Do(func() {
			if fuzzCluster.c, fuzzCluster.err = Start(context.Background(), Options{Embedded: true}); fuzzCluster.err == nil {
				fuzzCluster.topic = "fuzz"
				fuzzCluster.err = fuzzCluster.c.CreateTopic(context.Background(), fuzzCluster.topic, 1)
			}
		})
		if fuzzCluster.err != nil {
			t.Fatal(fuzzCluster.err)
		}
		if ts < 0 {
			ts = -ts
		}
		ts %= 1 << 50
		if nullKey {
			key = nil
		} else if key == nil {
			key = []byte{}
		}
		if nullValue {
			value = nil
		} else if value == nil {
			value = []byte{}
		}
		r := record.Record{Topic: fuzzCluster.topic, TimestampType: record.CreateTime, Timestamp: ts, Key: key, Value: value,
			Headers: []record.Header{{Key: hkey, Value: hval}}}
		ctx := testCtx(t)
		addrs := fuzzCluster.c.Addrs()
		ends, err := EndOffsets(ctx, addrs, r.Topic)
		if err != nil {
			t.Fatal(err)
		}
		if err := Produce(ctx, addrs, []record.Record{r}); err != nil {
			if errclass.Of(err) == errclass.BadConfig && len(key)+len(value)+len(hval) > 900_000 {
				t.Skip("over the broker's message size")
			}
			t.Fatal(err)
		}
		got, err := ReadPartition(ctx, addrs, r.Topic, 0, ends[0], ends[0]+1)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("read %d records at offset %d", len(got), ends[0])
		}
		r.Offset = ends[0]
		sameRecord(t, got[0], r)
	})
}

func TestErrorsAreWrapped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := ForTest(t)
	err := Produce(ctx, c.Addrs(), []record.Record{{Topic: "t", Value: []byte("x")}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Produce with a cancelled context: %v, want context.Canceled in the chain", err)
	}
}
