package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
)

// produce writes values to topic, value i to partition i%partitions, with create times one
// second apart from base.
func produce(t *testing.T, cl *kafkalocal.Cluster, topic string, partitions int32, base time.Time, values ...string) {
	t.Helper()
	var recs []record.Record
	for i, v := range values {
		recs = append(recs, record.Record{Topic: topic, Partition: int32(i) % partitions, Key: []byte(fmt.Sprint(i)), Value: []byte(v),
			TimestampType: record.CreateTime, Timestamp: base.Add(time.Duration(i) * time.Second).UnixMilli()})
	}
	if err := kafkalocal.Produce(context.Background(), cl.Addrs(), recs); err != nil {
		t.Fatal(err)
	}
}

// runLines parses run's --output json lines.
func runLines(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// groupOffsets returns what group committed for topic.
func groupOffsets(t *testing.T, cl *kafkalocal.Cluster, group, topic string) map[int32]int64 {
	t.Helper()
	ctx := context.Background()
	b, err := dialBroker(ctx, &kafkaFlags{bootstrap: cl.Bootstrap()}, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	g, err := b.groupOffsets(ctx, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestRun runs the S3 sink against kfake, DynamoDB Local and an S3 server: every record is
// delivered once, in the event-source mapping's batches, and the consumer group is committed.
func TestRun(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	topic := uniqueName("orders")
	if err := st.kafka.CreateTopic(ctx, topic, 3); err != nil {
		t.Fatal(err)
	}
	var values []string
	for i := range 150 {
		values = append(values, fmt.Sprintf(`{"n":%d}`, i))
	}
	produce(t, st.kafka, topic, 3, time.Now(), values...)
	logPath := filepath.Join(t.TempDir(), "handler.log")
	environ := st.environ("run-test")
	args := []string{"run", "s3-sink", "--bootstrap-servers", st.kafka.Bootstrap(), "--topic", topic, "--consumer-group", "g1",
		"--batch-size", "20", "--batching-window", "100ms", "--once", "--output", "json", "--log", logPath}

	start := time.Now()
	code, stdout, stderr := runEnv(t, environ, args...)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	t.Logf("run --once delivered 150 records in %v", time.Since(start).Round(time.Millisecond))
	total := 0
	var done map[string]any
	for _, ev := range runLines(t, stdout) {
		switch ev["event"] {
		case "invocation":
			n := int(ev["records"].(float64))
			if n < 1 || n > 20 {
				t.Errorf("an invocation of %d records, batch size 20", n)
			}
			total += n
		case "done":
			done = ev
		}
	}
	if total != 150 || done == nil || done["ok"] != true || int(done["records"].(float64)) != 150 {
		t.Fatalf("delivered %d records, done %v\n%s", total, done, stdout)
	}
	checkDelivered(t, st, topic, 150)
	for p, off := range groupOffsets(t, st.kafka, "g1", topic) {
		if off != 50 || st.next(t, "run-test", topic, p) != 50 {
			t.Errorf("partition %d: group committed %d, offsets table %d; want 50", p, off, st.next(t, "run-test", topic, p))
		}
	}
	if b, err := os.ReadFile(logPath); err != nil || !strings.Contains(string(b), `"RecordsWritten"`) {
		t.Errorf("the handler's metrics are not in --log (%v)", err)
	}

	// Caught up: a second run delivers nothing.
	code, stdout, stderr = runEnv(t, environ, append(args[:len(args)-4], "--log", logPath)...)
	if code != exitOK || !strings.Contains(stdout, "0 records in 0 invocations") {
		t.Fatalf("second run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// New records: only they are delivered.
	produce(t, st.kafka, topic, 3, time.Now(), values[:9]...)
	code, stdout, stderr = runEnv(t, environ, append(args[:len(args)-4], "--log", logPath)...)
	if code != exitOK || !strings.Contains(stdout, "9 records in") {
		t.Fatalf("third run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	checkDelivered(t, st, topic, 159)
}

// checkDelivered checks that the bucket holds want records of topic, each once.
func checkDelivered(t *testing.T, st *stack, topic string, want int) {
	t.Helper()
	seen := map[string]int{}
	n := 0
	for key, lines := range st.objects(t, "topics/"+topic+"/") {
		for _, l := range lines {
			seen[key+" "+l]++ // values repeat across the produce calls, objects not
			n++
		}
	}
	if n != want {
		t.Errorf("%d records in the bucket, want %d", n, want)
	}
	for k, c := range seen {
		if c > 1 {
			t.Errorf("%s written %d times", k, c)
		}
	}
}

// TestRunBadRecord stops on a record the sink cannot take, leaves the group uncommitted past it,
// and says how to get past it; offsets reset does, and the next run goes on from there.
func TestRunBadRecord(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	topic := uniqueName("bad")
	if err := st.kafka.CreateTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	produce(t, st.kafka, topic, 1, time.Now(), `{"n":0}`, `{"n":1}`, `not json`, `{"n":3}`)
	offsetsFile := filepath.Join(t.TempDir(), "offsets.json")
	environ := []string{"CONNECT_CONNECTOR_NAME=bad-test", "CONNECT_S3_BUCKET_NAME=" + st.bucket, "CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE=false"}
	args := []string{"run", "s3-sink", "--bootstrap-servers", st.kafka.Bootstrap(), "--topic", topic, "--consumer-group", "g",
		"--batch-size", "2", "--batching-window", "0s", "--once", "--retries", "0", "--offsets-file", offsetsFile, "--log", filepath.Join(t.TempDir(), "log")}
	code, stdout, stderr := runEnv(t, environ, args...)
	if code != exitFail {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, s := range []string{topic + "/0/2", "not committed past it", "offsets reset --connector bad-test", "errors.tolerance=all"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr does not say %q:\n%s", s, stderr)
		}
	}
	if g := groupOffsets(t, st.kafka, "g", topic); g[0] != 2 {
		t.Errorf("group committed %v, want 2 (the first batch only)", g)
	}
	code, stdout, stderr = runEnv(t, nil, "offsets", "reset", "--file", offsetsFile, "--connector", "bad-test", "--topic", topic, "--partition", "0", "--to-offset", "3", "--execute")
	if code != exitOK || !strings.Contains(stdout, "forward 1") {
		t.Fatalf("offsets reset: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runEnv(t, environ, args...)
	if code != exitOK {
		t.Fatalf("after the reset: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var lines []string
	objs := st.objects(t, "topics/"+topic+"/")
	for _, k := range sortedKeys(objs) { // named by start offset, zero-padded
		lines = append(lines, objs[k]...)
	}
	if strings.Join(lines, " ") != `{"n":0} {"n":1} {"n":3}` {
		t.Errorf("the bucket holds %q", lines)
	}
	if g := groupOffsets(t, st.kafka, "g", topic); g[0] != 4 {
		t.Errorf("group committed %v, want 4", g)
	}
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args    []string
		environ []string
		code    int
		says    []string
	}{
		{[]string{"run"}, nil, exitUsage, []string{"no connector given", "--bootstrap-servers is required", "--topic is required"}},
		{[]string{"run", "mongo-sink", "--bootstrap-servers", "localhost:9092", "--topic", "t"}, nil, exitUsage, []string{`unknown connector "mongo-sink"`}},
		{[]string{"run", "s3-sink", "--bootstrap-servers", "localhost", "--topic", "t", "--batch-size", "0", "--batching-window", "10m", "--timeout", "20m", "--starting-position", "EARLIEST"},
			nil, exitUsage, []string{"--bootstrap-servers \"localhost\"", "--batch-size 0", "--batching-window 10m0s", "--timeout 20m0s", "--starting-position \"EARLIEST\""}},
		{[]string{"run", "s3-sink", "--bootstrap-servers", "localhost:9092", "--topic", "t", "--sasl-mechanism", "SCRAM-SHA-512"}, nil, exitUsage, []string{"--sasl-username", EnvKafkaPassword}},
		// The configuration is checked before anything is reached, with every problem.
		{[]string{"run", "s3-sink", "--bootstrap-servers", "127.0.0.1:1", "--topic", "t"}, []string{"CONNECT_FLUSH_SIZE=x"}, exitFail,
			[]string{"3 problems", "  connector.name: required", "  s3.bucket.name: required", "  flush.size", "lambda-connect validate --connector s3-sink"}},
		{[]string{"run", "s3-sink", "--bootstrap-servers", "127.0.0.1:1", "--topic", "t"}, []string{"CONNECT_CONNECTOR_NAME=x", "CONNECT_S3_BUCKET_NAME=b", "CONNECT_S3_REGION=us-east-1"}, exitFail,
			[]string{"offsets.table", "--offsets-file"}},
		{[]string{"run", "--help"}, nil, exitOK, nil},
	} {
		code, _, stderr := runEnv(t, tc.environ, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s", tc.args, code, tc.code, stderr)
		}
		for _, s := range tc.says {
			if !strings.Contains(stderr, s) {
				t.Errorf("%v: stderr does not say %q:\n%s", tc.args, s, stderr)
			}
		}
	}
}

// TestRunUntilInterrupted runs without --once: it delivers records as they come, and an
// interrupt ends it cleanly (status 0) once the batch at hand is committed.
func TestRunUntilInterrupted(t *testing.T) {
	st := newStack(t)
	topic := uniqueName("live")
	if err := st.kafka.CreateTopic(context.Background(), topic, 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	environ := st.environ("live-test")
	e := &env{stdout: out, stderr: out, getenv: func(string) string { return "" }, environ: func() []string { return environ }}
	codec := make(chan int, 1)
	go func() {
		codec <- run(ctx, e, []string{"run", "s3-sink", "--bootstrap-servers", st.kafka.Bootstrap(), "--topic", topic,
			"--consumer-group", "live", "--batching-window", "20ms", "--log", filepath.Join(t.TempDir(), "log")})
	}()
	for round := 1; round <= 3; round++ {
		produce(t, st.kafka, topic, 1, time.Now(), `{"round":`+fmt.Sprint(round)+`}`)
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), fmt.Sprintf("committed %s-0=%d", topic, round)) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d not committed:\n%s", round, out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	cancel()
	select {
	case code := <-codec:
		if code != exitOK || !strings.Contains(out.String(), "3 records in 3 invocations") {
			t.Errorf("exit %d\n%s", code, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not stop when interrupted")
	}
	checkDelivered(t, st, topic, 3)
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in other goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
