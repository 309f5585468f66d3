package producer_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/producer"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
)

// Kafka's own vectors (UtilsTest.testMurmur2 in the Java client).
func TestMurmur2JavaVectors(t *testing.T) {
	tests := []struct {
		key  string
		want int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
	}
	for _, tc := range tests {
		if got := producer.Murmur2([]byte(tc.key)); got != tc.want {
			t.Errorf("Murmur2(%q) = %d, want %d", tc.key, got, tc.want)
		}
	}
}

func TestPartitionMatchesJava(t *testing.T) {
	// toPositive(murmur2) % n, worked out by hand from the vectors above.
	tests := []struct {
		key  string
		n    int32
		want int32
	}{
		{"21", 3, 0},      // (-973932308 & 0x7fffffff) = 1173551340
		{"abc", 7, 4},     // 479470107
		{"foobar", 12, 6}, // (-790332482 & 0x7fffffff) = 1357151166
		{"abc", 1, 0},
	}
	for _, tc := range tests {
		if got := producer.Partition([]byte(tc.key), tc.n); got != tc.want {
			t.Errorf("Partition(%q, %d) = %d, want %d", tc.key, tc.n, got, tc.want)
		}
	}
}

func TestConfigFromProps(t *testing.T) {
	c, err := producer.ConfigFromProps(map[string]string{
		"bootstrap.servers": "b1:9092, b2:9092", "acks": "-1", "compression.type": "zstd", "linger.ms": "20",
		"batch.size": "65536", "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
		"sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required username="svc" password="p;w d";`,
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.BootstrapServers, ",") != "b1:9092,b2:9092" || c.Acks != "-1" || c.Compression != "zstd" || c.Linger != 20*time.Millisecond ||
		c.BatchBytes != 65536 || c.SecurityProtocol != "SASL_SSL" || c.SASLMechanism != "SCRAM-SHA-512" || c.Username != "svc" || c.Password != "p;w d" {
		t.Errorf("config %+v", c)
	}
	if _, err := producer.New(c); err != nil {
		t.Errorf("New: %v", err)
	}
	d := producer.DefaultConfig()
	if d.Acks != "all" || d.Linger != 5*time.Millisecond || d.BatchBytes != 1<<20 {
		t.Errorf("defaults %+v", d)
	}
	bad := []map[string]string{
		{},
		{"bootstrap.servers": "nohost"},
		{"bootstrap.servers": "h:1", "acks": "2"},
		{"bootstrap.servers": "h:1", "compression.type": "brotli"},
		{"bootstrap.servers": "h:1", "linger.ms": "-1"},
		{"bootstrap.servers": "h:1", "batch.size": "10"},
		{"bootstrap.servers": "h:1", "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"},
		{"bootstrap.servers": "h:1", "security.protocol": "SASL_SSL", "sasl.mechanism": "AWS_MSK_IAM"},
		{"bootstrap.servers": "h:1", "security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER"},
		{"bootstrap.servers": "h:1", "security.protocol": "PLAINTEXT", "sasl.mechanism": "PLAIN"},
		{"bootstrap.servers": "h:1", "security.protocol": "TLS"},
	}
	for _, p := range bad {
		if _, err := producer.ConfigFromProps(p); err == nil || !errclass.Is(err, errclass.BadConfig) {
			t.Errorf("ConfigFromProps(%v): %v, want a bad_config error", p, err)
		}
	}
}

func newProducer(t *testing.T, cl *kafkalocal.Cluster, mod func(*producer.Config)) *producer.Producer {
	t.Helper()
	c := producer.DefaultConfig()
	c.BootstrapServers = cl.Addrs()
	if mod != nil {
		mod(&c)
	}
	p, err := producer.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestProduceAndReadBack produces keyed records with every codec and reads them back: each on
// the Java client's partition, in order, with its headers; Scan and EndOffsets agree.
func TestProduceAndReadBack(t *testing.T) {
	cl := kafkalocal.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			topic := "produce-" + codec
			if err := cl.CreateTopic(ctx, topic, 4); err != nil {
				t.Fatal(err)
			}
			p := newProducer(t, cl, func(c *producer.Config) { c.Compression = codec })
			n, err := p.Partitions(ctx, topic)
			if err != nil || n != 4 {
				t.Fatalf("Partitions = %d, %v", n, err)
			}
			var msgs []producer.Message
			for i := range 200 {
				key := []byte(fmt.Sprintf("key-%d", i%17))
				msgs = append(msgs, producer.Message{Topic: topic, Partition: producer.Partition(key, n), Key: key,
					Value: []byte(fmt.Sprintf(`{"seq":%d}`, i)), Headers: []record.Header{{Key: "seq", Value: []byte(fmt.Sprint(i))}}})
			}
			if err := p.Produce(ctx, msgs); err != nil {
				t.Fatal(err)
			}
			got, err := kafkalocal.ReadAll(ctx, cl.Addrs(), topic)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(msgs) {
				t.Fatalf("%d records read back, want %d", len(got), len(msgs))
			}
			last := map[int32]int{}
			for _, r := range got {
				var seq int
				fmt.Sscan(string(r.Headers[0].Value), &seq)
				m := msgs[seq]
				if r.Partition != m.Partition || string(r.Key) != string(m.Key) || string(r.Value) != string(m.Value) {
					t.Fatalf("record %s: %q=%q, want partition %d %q=%q", r.Coordinates(), r.Key, r.Value, m.Partition, m.Key, m.Value)
				}
				if prev, ok := last[r.Partition]; ok && seq <= prev {
					t.Fatalf("partition %d: seq %d after %d", r.Partition, seq, prev)
				}
				last[r.Partition] = seq
			}
			ends, err := p.EndOffsets(ctx, topic, n)
			if err != nil {
				t.Fatal(err)
			}
			total := int64(0)
			for part, end := range ends {
				total += end
				var scanned int64
				if err := p.Scan(ctx, topic, int32(part), 0, end, func(f producer.Fetched) bool {
					if f.Offset != scanned || len(f.Headers) != 1 || f.Headers[0].Key != "seq" {
						t.Errorf("scan partition %d: offset %d headers %v", part, f.Offset, f.Headers)
					}
					scanned++
					return true
				}); err != nil {
					t.Fatal(err)
				}
				if scanned != end {
					t.Errorf("partition %d: scanned %d, end %d", part, scanned, end)
				}
			}
			if total != int64(len(msgs)) {
				t.Errorf("end offsets sum to %d, want %d", total, len(msgs))
			}
		})
	}
}

// TestProduceTimestamps produces messages with explicit and zero Timestamps, uncompressed
// (streamed) and compressed, and reads them back: each record has CreateTime and its message's
// Timestamp to the millisecond, or the time of the Produce call for a zero one.
func TestProduceTimestamps(t *testing.T) {
	cl := kafkalocal.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	t0 := time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.UTC) // 123.456789 ms: sent as 123 ms
	var zero time.Time
	for i, tc := range []struct {
		name   string
		codec  string
		stamps []time.Time
	}{
		{"zero", "none", []time.Time{zero, zero, zero}},
		{"explicit", "none", []time.Time{t0, t0.Add(time.Second), t0.Add(2 * time.Second)}},
		{"decreasing", "none", []time.Time{t0, t0.Add(-time.Hour), t0.Add(-48 * time.Hour)}},
		{"mixed", "none", []time.Time{zero, t0, zero, t0.Add(-time.Minute), t0}},
		{"the epoch", "none", []time.Time{time.UnixMilli(0), zero}},
		{"in the future", "none", []time.Time{t0.AddDate(30, 0, 0), zero}},
		{"mixed, gzip", "gzip", []time.Time{t0, zero, t0.Add(-time.Hour)}},
		{"zero, zstd", "zstd", []time.Time{zero, zero}},
		{"mixed, zstd", "zstd", []time.Time{zero, t0.Add(time.Hour), t0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := fmt.Sprintf("timestamps-%d", i)
			if err := cl.CreateTopic(ctx, topic, 1); err != nil {
				t.Fatal(err)
			}
			p := newProducer(t, cl, func(c *producer.Config) { c.Compression = tc.codec })
			var msgs []producer.Message
			for j, ts := range tc.stamps {
				msgs = append(msgs, producer.Message{Topic: topic, Value: []byte(fmt.Sprint(j)), Timestamp: ts})
			}
			before := time.Now().UnixMilli()
			if err := p.Produce(ctx, msgs); err != nil {
				t.Fatal(err)
			}
			after := time.Now().UnixMilli()
			got, err := kafkalocal.ReadAll(ctx, cl.Addrs(), topic)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(msgs) {
				t.Fatalf("%d records read back, want %d", len(got), len(msgs))
			}
			for j, r := range got {
				if r.TimestampType != record.CreateTime {
					t.Errorf("record %d: timestamp type %v, want CreateTime", j, r.TimestampType)
				}
				if ts := tc.stamps[j]; ts.IsZero() {
					if r.Timestamp < before || r.Timestamp > after {
						t.Errorf("record %d (zero Timestamp): timestamp %d, want the time of the call, in [%d, %d]", j, r.Timestamp, before, after)
					}
				} else if r.Timestamp != ts.UnixMilli() {
					t.Errorf("record %d: timestamp %d, want %d (%s)", j, r.Timestamp, ts.UnixMilli(), ts)
				}
			}
		})
	}
}

func TestProduceErrorsSurface(t *testing.T) {
	cl := kafkalocal.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.CreateTopic(ctx, "small", 1); err != nil {
		t.Fatal(err)
	}
	p := newProducer(t, cl, func(c *producer.Config) { c.BatchBytes = 1024 })
	err := p.Produce(ctx, []producer.Message{{Topic: "small", Value: make([]byte, 4096), Subject: "s3://b/k record 3"}})
	if err == nil || !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "s3://b/k record 3") {
		t.Errorf("oversized message: %v, want a bad_record error naming it", err)
	}
	// A partition that does not exist fails, naming the message.
	err = p.Produce(ctx, []producer.Message{{Topic: "small", Partition: 5, Value: []byte("x"), Subject: "s3://b/k record 4"}})
	if err == nil || !strings.Contains(err.Error(), "record 4") {
		t.Errorf("bad partition: %v", err)
	}
	// A timestamp before the Unix epoch is refused, as the Java client refuses a negative one.
	err = p.Produce(ctx, []producer.Message{{Topic: "small", Value: []byte("x"), Timestamp: time.UnixMilli(-1), Subject: "s3://b/k record 5"}})
	if err == nil || !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "record 5") || !strings.Contains(err.Error(), "before the Unix epoch") {
		t.Errorf("timestamp before the epoch: %v, want a bad_record error naming it", err)
	}
	// A broker that is gone is a retriable error, within the request timeout.
	dead := newProducer(t, cl, func(c *producer.Config) {
		c.BootstrapServers = []string{"127.0.0.1:1"}
		c.RequestTimeout = 2 * time.Second
	})
	sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
	defer scancel()
	if err := dead.Produce(sctx, []producer.Message{{Topic: "small", Value: []byte("x")}}); err == nil || !errclass.Is(err, errclass.Retriable) {
		t.Errorf("dead broker: %v, want a retriable error", err)
	}
}

// TestProduceLeavesNothingBehind: Produce returns when every message is acknowledged, without
// waiting for linger.ms, and leaves no request in flight and none of its goroutines (nor any
// kafka-go writer's) behind, call after call (the connection pool stays for the next).
func TestProduceLeavesNothingBehind(t *testing.T) {
	cl := kafkalocal.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const topic = "flush"
	if err := cl.CreateTopic(ctx, topic, 3); err != nil {
		t.Fatal(err)
	}
	// A linger far longer than the test: a producer that waited for it would time the test out.
	p := newProducer(t, cl, func(c *producer.Config) { c.Linger = 10 * time.Minute })
	batch := func(round int) []producer.Message {
		var msgs []producer.Message
		for i := range 50 {
			msgs = append(msgs, producer.Message{Topic: topic, Partition: int32(i % 3), Value: []byte(fmt.Sprintf(`{"round":%d,"i":%d}`, round, i))})
		}
		return msgs
	}
	if err := p.Produce(ctx, batch(0)); err != nil { // warms the connection pool
		t.Fatal(err)
	}
	for round := 1; round <= 10; round++ {
		start := time.Now()
		if err := p.Produce(ctx, batch(round)); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("round %d: Produce took %v: it waited for linger.ms instead of sending at once", round, took)
		}
		if n := p.InFlight(); n != 0 {
			t.Fatalf("round %d: %d produce requests in flight after Produce returned", round, n)
		}
		if g := producerGoroutines(); len(g) > 0 {
			t.Fatalf("round %d: %d goroutines of the producer after Produce returned:\n%s", round, len(g), strings.Join(g, "\n"))
		}
		// Acknowledged means stored: every message is readable as soon as Produce returns.
		got, err := kafkalocal.ReadAll(ctx, cl.Addrs(), topic)
		if err != nil {
			t.Fatal(err)
		}
		if want := 50 * (round + 1); len(got) != want {
			t.Fatalf("round %d: %d records in the topic right after Produce, want %d", round, len(got), want)
		}
	}
}

// producerGoroutines returns the stacks of the goroutines sending a Produce call's batches, and
// of any kafka-go Writer (one per partition it wrote to, one per batch it filled). The
// Transport's connection pool has goroutines of its own, which stay between calls, as they
// should.
//
// A goroutine that has signalled its end may still be returning when the call returns: it is
// given up to 200 ms to exit; one still there then is reported.
func producerGoroutines() []string {
	var out []string
	for deadline := time.Now().Add(200 * time.Millisecond); ; time.Sleep(time.Millisecond) {
		if out = producerGoroutinesNow(); len(out) == 0 || time.Now().After(deadline) {
			return out
		}
	}
}

func producerGoroutinesNow() []string {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "core/producer.(*Producer).Produce") || strings.Contains(g, "kafka-go.(*Writer)") || strings.Contains(g, "kafka-go.(*partitionWriter)") {
			out = append(out, g)
		}
	}
	return out
}

// TestProduceCutsBatches: messages beyond batch.size go in further requests, one after the other
// per partition, so each partition keeps its order; a failing partition does not stop the others,
// and the error counts what was not acknowledged.
func TestProduceCutsBatches(t *testing.T) {
	cl := kafkalocal.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.CreateTopic(ctx, "cut", 2); err != nil {
		t.Fatal(err)
	}
	p := newProducer(t, cl, func(c *producer.Config) { c.BatchBytes = 1024 })
	var msgs []producer.Message
	for i := range 300 {
		msgs = append(msgs, producer.Message{Topic: "cut", Partition: int32(i % 2), Value: []byte(fmt.Sprintf("%04d%s", i, strings.Repeat("x", 60)))})
	}
	if err := p.Produce(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	got, err := kafkalocal.ReadAll(ctx, cl.Addrs(), "cut")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(msgs) {
		t.Fatalf("%d records, want %d", len(got), len(msgs))
	}
	last := map[int32]int{0: -2, 1: -1}
	for _, r := range got {
		i, _ := strconv.Atoi(string(r.Value[:4]))
		if r.Partition != int32(i%2) || i != last[r.Partition]+2 {
			t.Fatalf("partition %d: message %d after %d", r.Partition, i, last[r.Partition])
		}
		last[r.Partition] = i
	}
	// Partition 7 does not exist: its messages fail, partition 0's are stored.
	bad := []producer.Message{{Topic: "cut", Partition: 0, Value: []byte("ok-1")}, {Topic: "cut", Partition: 7, Value: []byte("no-1")},
		{Topic: "cut", Partition: 7, Value: []byte("no-2"), Subject: "the third"}, {Topic: "cut", Partition: 0, Value: []byte("ok-2")}}
	err = p.Produce(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), "message 1 of 4 (topic cut partition 7)") || !strings.Contains(err.Error(), "2 of 4 messages not acknowledged") {
		t.Fatalf("error %v: want it to name message 1 and count 2 of 4", err)
	}
	ends, err := p.EndOffsets(ctx, "cut", 2)
	if err != nil || ends[0] != 152 {
		t.Fatalf("partition 0 ends at %v (%v), want 152: the good partition's messages are stored", ends, err)
	}
}
