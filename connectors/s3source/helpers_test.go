package s3source_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/reader"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/checkpoints"
	"github.com/lambda-connect/lambda-connect/core/producer"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one test's infrastructure: a kfake broker, an S3 server, a checkpoint table.
type env struct {
	t       *testing.T
	ctx     context.Context
	cluster *kafkalocal.Cluster
	s3      *s3.Client
	bucket  string
	ledger  *checkpoints.DynamoStore
	clock   *clock // the ledger's clock: Advance past a lease to simulate its expiry
	prod    *producer.Producer
}

func suffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func newEnv(t *testing.T, topics map[string]int32) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, cluster: kafkalocal.ForTest(t), bucket: "landing-" + suffix(), clock: &clock{t: time.Now()}}
	var err error
	if e.s3, err = s3local.Client(ctx, s3local.ForTest(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(e.bucket)}); err != nil {
		t.Fatal(err)
	}
	ddb, err := dynamolocal.Client(ctx, dynamolocal.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	table := "checkpoints-" + suffix()
	if err := checkpoints.CreateTable(ctx, ddb, table); err != nil {
		t.Fatal(err)
	}
	if e.ledger, err = checkpoints.NewDynamoStore(checkpoints.DynamoConfig{Client: ddb, Table: table, Now: e.clock.Now}); err != nil {
		t.Fatal(err)
	}
	for name, n := range topics {
		if err := e.cluster.CreateTopic(ctx, name, n); err != nil {
			t.Fatal(err)
		}
	}
	pc := producer.DefaultConfig()
	pc.BootstrapServers = e.cluster.Addrs()
	if e.prod, err = producer.New(pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.prod.Close() })
	return e
}

// put stores an object and returns the event's view of it.
func (e *env) put(key string, body []byte, contentEncoding string) trigger.Object {
	e.t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key), Body: bytes.NewReader(body)}
	if contentEncoding != "" {
		in.ContentEncoding = aws.String(contentEncoding)
	}
	out, err := e.s3.PutObject(e.ctx, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return trigger.Object{Bucket: e.bucket, Key: key, ETag: strings.Trim(aws.ToString(out.ETag), `"`), VersionID: aws.ToString(out.VersionId), Size: int64(len(body))}
}

type opts struct {
	format    reader.Format
	topic     string
	keyField  string
	converter string
	schemas   bool
	records   int
	tolerate  bool
	dlq       string
	producer  s3source.Producer
	fault     func(string, int64) error
	now       func() time.Time
	reserve   time.Duration
	regex     string
	csvTypes  map[string]record.Type
	s3        s3source.ObjectAPI // nil: the env's client
}

func (e *env) source(o opts) *s3source.Source {
	e.t.Helper()
	if o.format == "" {
		o.format = reader.JSONL
	}
	if o.converter == "" {
		o.converter = "JsonConverter"
	}
	kc, err := converters.New("StringConverter", true, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	props := map[string]string{}
	if o.converter == "JsonConverter" {
		props["schemas.enable"] = fmt.Sprint(o.schemas)
	}
	vc, err := converters.New(o.converter, false, props)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := s3source.Config{Connector: "src", Topic: o.topic, TopicField: "", KeyField: o.keyField, KeyConverter: kc, ValueConverter: vc,
		Reader: reader.Options{Format: o.format, CSV: reader.CSVOptions{Types: o.csvTypes}}, CheckpointRecords: o.records,
		TolerateAll: o.tolerate, DeadLetterTopic: o.dlq, LeaseMargin: 30 * time.Second, DeadlineReserve: o.reserve, TopicReplacement: "$1"}
	if o.regex != "" {
		cfg.TopicRegex = regexpMust(o.regex)
	}
	p := o.producer
	if p == nil {
		p = e.prod
	}
	var api s3source.ObjectAPI = e.s3
	if o.s3 != nil {
		api = o.s3
	}
	s, err := s3source.New(cfg, s3source.Deps{S3: api, Producer: p, Ledger: e.ledger, Fault: o.fault, Now: o.now})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// invoke runs Process under a one-minute deadline of the ledger's clock (which tests advance
// past leases; it never runs behind the real clock).
func (e *env) invoke(s *s3source.Source, obj trigger.Object) (s3source.Result, error) {
	ctx, cancel := context.WithDeadline(context.WithoutCancel(e.ctx), e.clock.Now().Add(time.Minute))
	defer cancel()
	return s.Process(ctx, obj)
}

// read returns the topic's records.
func (e *env) read(topic string) []record.Record {
	e.t.Helper()
	recs, err := kafkalocal.ReadAll(e.ctx, e.cluster.Addrs(), topic)
	if err != nil {
		e.t.Fatal(err)
	}
	return recs
}

// lines makes a JSON lines object of n records {"seq":i,"user":"u<i%7>"}.
func lines(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "{\"seq\":%d,\"user\":\"u%d\",\"pad\":\"%s\"}\n", i, i%7, strings.Repeat("x", i%13))
	}
	return b.Bytes()
}

// exactlyOnce checks that topic holds every seq in [0, n) exactly once, and that records of
// one partition are in seq order.
func (e *env) exactlyOnce(topic string, n int) {
	e.t.Helper()
	recs := e.read(topic)
	seen := make([]int, n)
	last := map[int32]int{}
	for _, r := range recs {
		var v struct{ Seq int }
		if err := json.Unmarshal(r.Value, &v); err != nil {
			e.t.Fatalf("record %s: %v", r.Coordinates(), err)
		}
		if v.Seq < 0 || v.Seq >= n {
			e.t.Fatalf("record %s: seq %d out of range", r.Coordinates(), v.Seq)
		}
		seen[v.Seq]++
		if p, ok := last[r.Partition]; ok && v.Seq < p {
			e.t.Errorf("partition %d: seq %d after %d", r.Partition, v.Seq, p)
		}
		last[r.Partition] = v.Seq
	}
	var missing, dup []int
	for i, c := range seen {
		if c == 0 {
			missing = append(missing, i)
		} else if c > 1 {
			dup = append(dup, i)
		}
	}
	if len(missing) > 0 || len(dup) > 0 || len(recs) != n {
		e.t.Fatalf("%d records for %d lines: missing %v, duplicated %v", len(recs), n, head(missing), head(dup))
	}
}

func head(s []int) []int {
	if len(s) > 10 {
		return s[:10]
	}
	return s
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
