package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
	"github.com/lambda-connect/lambda-connect/core/checkpoints"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
	"github.com/lambda-connect/lambda-connect/infra/sqslocal"
)

// sourceStack is newStack plus what the S3 source needs: a topic and a checkpoints table.
type sourceStack struct {
	*stack
	topic, ledger string
}

func newSourceStack(t *testing.T) *sourceStack {
	t.Helper()
	st := &sourceStack{stack: newStack(t), topic: uniqueName("landed"), ledger: uniqueName("checkpoints")}
	ctx := context.Background()
	if err := st.kafka.CreateTopic(ctx, st.topic, 3); err != nil {
		t.Fatal(err)
	}
	dc, err := dynamolocal.Client(ctx, os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoints.CreateTable(ctx, dc, st.ledger); err != nil {
		t.Fatal(err)
	}
	return st
}

// environ returns the S3 source's CONNECT_* settings.
func (st *sourceStack) environ(extra ...string) []string {
	return append([]string{
		"CONNECT_CONNECTOR_NAME=run-source-test",
		"CONNECT_BOOTSTRAP_SERVERS=" + st.kafka.Bootstrap(),
		"CONNECT_TOPIC=" + st.topic,
		"CONNECT_INPUT_FORMAT=jsonl",
		"CONNECT_KEY_FIELD=id",
		"CONNECT_VALUE_CONVERTER=org.apache.kafka.connect.json.JsonConverter",
		"CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE=false",
		"CONNECT_CHECKPOINTS_TABLE=" + st.ledger,
	}, extra...)
}

// put writes an object of n JSON lines, {"id":"<key>#<i>"}, and returns it.
func (st *sourceStack) put(t *testing.T, key string, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"id\":%q,\"n\":%d}\n", key+"#"+strconv.Itoa(i), i)
	}
	if _, err := st.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(st.bucket), Key: aws.String(key),
		Body: strings.NewReader(b.String())}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// produced reads the topic and returns, per object key, how many times each record index is
// there (by the source's provenance headers), checking that each record's key is its line's id.
func (st *sourceStack) produced(t *testing.T) map[string]map[int]int {
	t.Helper()
	recs, err := kafkalocal.ReadAll(context.Background(), st.kafka.Addrs(), st.topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[int]int{}
	for _, r := range recs {
		k, _ := r.Header(s3source.HeaderKey)
		idx, _ := r.Header(s3source.HeaderIndex)
		i, err := strconv.Atoi(string(idx))
		if err != nil {
			t.Fatalf("record %s: index header %q", r.Coordinates(), idx)
		}
		if want := string(k) + "#" + strconv.Itoa(i); string(r.Key) != want {
			t.Errorf("record %s: key %q, want %q (its line's id)", r.Coordinates(), r.Key, want)
		}
		if out[string(k)] == nil {
			out[string(k)] = map[int]int{}
		}
		out[string(k)][i]++
	}
	return out
}

// checkOnce fails unless the topic holds every line of each object (key: lines) exactly once.
func (st *sourceStack) checkOnce(t *testing.T, objects map[string]int) {
	t.Helper()
	got := st.produced(t)
	for key, n := range objects {
		if len(got[key]) != n {
			t.Errorf("%s: %d of its %d lines in the topic", key, len(got[key]), n)
		}
		for i, c := range got[key] {
			if c != 1 || i < 0 || i >= n {
				t.Errorf("%s: line %d is in the topic %d times", key, i, c)
			}
		}
		delete(got, key)
	}
	for key := range got {
		t.Errorf("%s: in the topic, not expected", key)
	}
}

// sourceEvents returns the events of a given kind in run's JSON lines.
func sourceEvents(t *testing.T, stdout, kind string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, ev := range runLines(t, stdout) {
		if ev["event"] == kind {
			out = append(out, ev)
		}
	}
	return out
}

// TestRunSource runs the S3 source on an object and a prefix: every line is produced once, and a
// second run produces nothing, the checkpoint ledger saying each object is complete.
func TestRunSource(t *testing.T) {
	st := newSourceStack(t)
	objects := map[string]int{"in/a.jsonl": 50, "in/sub/b.jsonl": 30, "other/c.jsonl": 7}
	for k, n := range objects {
		st.put(t, k, n)
	}
	st.put(t, "elsewhere/d.jsonl", 5) // not named: not produced
	args := []string{"run", "s3-source", "--output", "json", "s3://" + st.bucket + "/in/", "--timeout", "30s", "other/c.jsonl", "--bucket", st.bucket}

	code, stdout, stderr := runEnv(t, st.environ(), args...)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var total int64
	for _, ev := range sourceEvents(t, stdout, "object") {
		if ev["complete"] != true {
			t.Errorf("object event %v: not complete", ev)
		}
		total += int64(ev["produced"].(float64))
	}
	done := sourceEvents(t, stdout, "done")
	if len(done) != 1 || done[0]["ok"] != true || done[0]["objects"] != float64(3) || done[0]["produced"] != float64(87) || total != 87 {
		t.Fatalf("done %v, objects produced %d; want 3 objects, 87 records\n%s", done, total, stdout)
	}
	st.checkOnce(t, objects)

	// Again, in text: each object is complete in the ledger, nothing is produced.
	code, stdout, stderr = runEnv(t, st.environ(), "run", "s3-source", "s3://"+st.bucket+"/in/", "s3://"+st.bucket+"/other/c.jsonl")
	if code != exitOK {
		t.Fatalf("second run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if n := strings.Count(stdout, "already complete in the checkpoint ledger: nothing produced"); n != 3 {
		t.Errorf("second run: %d objects said complete, want 3:\n%s", n, stdout)
	}
	if !strings.Contains(stdout, "0 records produced in 3 invocations; 3 objects done, 0 incomplete, 0 failed.") {
		t.Errorf("second run: no summary line:\n%s", stdout)
	}
	st.checkOnce(t, objects)
}

// TestRunSourceDeadline stops an invocation at its deadline mid-object: the run reports the object
// incomplete (exit 1), and the next run resumes at the checkpoint, each line produced once.
// The handler's clock is the test's, so that the stop falls mid-object whatever the machine's
// speed; the deadline is the run's (--timeout), which the test checks the handler saw.
// Within one run, --retries invokes the object again.
func TestRunSourceDeadline(t *testing.T) {
	st := newSourceStack(t)
	objects := map[string]int{"big.jsonl": 100, "big2.jsonl": 60}
	for k, n := range objects {
		st.put(t, k, n)
	}
	// Once armed, the handler's clock jumps past the deadline when the chunk at record 10 is
	// produced, until the next invocation (the deadline itself is the run's: the S3 client sees
	// it).
	var jump atomic.Bool
	var armed atomic.Bool
	var mu sync.Mutex
	var deadlines []time.Duration
	testSourceDeps = func(d *s3source.Deps) {
		d.Now = func() time.Time {
			if jump.Load() {
				return time.Now().Add(time.Hour)
			}
			return time.Now()
		}
		d.Fault = func(point string, index int64) error {
			if point == "after-produce" && index >= 10 && armed.CompareAndSwap(true, false) {
				jump.Store(true) // once: until the next invocation's GetObject
			}
			return nil
		}
		d.S3 = deadlineRecorder{ObjectAPI: d.S3, record: func(left time.Duration) {
			jump.Store(false)
			mu.Lock()
			deadlines = append(deadlines, left)
			mu.Unlock()
		}}
	}
	t.Cleanup(func() { testSourceDeps = nil })
	environ := st.environ("CONNECT_CHECKPOINT_RECORDS=10")

	armed.Store(true)
	code, stdout, stderr := runEnv(t, environ, "run", "s3-source", "--output", "json", "--retries", "0", "--timeout", "40s", "s3://"+st.bucket+"/big.jsonl")
	if code != exitFail {
		t.Fatalf("exit %d, want %d (incomplete)\nstdout:\n%s\nstderr:\n%s", code, exitFail, stdout, stderr)
	}
	// How many records precede the stop depends on how many chunks the source had in flight.
	obj := sourceEvents(t, stdout, "object")
	if len(obj) != 1 || obj[0]["complete"] != false || !strings.Contains(fmt.Sprint(obj[0]["error"]), "resumes at the checkpoint") {
		t.Fatalf("object events %v: want one incomplete invocation", obj)
	}
	first := int(obj[0]["produced"].(float64))
	if first < 20 || first >= 100 {
		t.Fatalf("the first invocation produced %d records, want from 20 (two chunks) to less than all 100", first)
	}
	if !strings.Contains(stderr, "1 incomplete") || !strings.Contains(stderr, "Run again") {
		t.Errorf("stderr does not say what to do:\n%s", stderr)
	}
	if got := st.produced(t)["big.jsonl"]; len(got) != first {
		t.Errorf("after the deadline: %d records of big.jsonl in the topic, the run said %d", len(got), first)
	}
	mu.Lock()
	if len(deadlines) != 1 || deadlines[0] < 35*time.Second || deadlines[0] > 40*time.Second {
		t.Errorf("the invocation's deadline was %v away at GetObject; want --timeout 40s", deadlines)
	}
	mu.Unlock()

	// The next run resumes at record 20.
	code, stdout, stderr = runEnv(t, environ, "run", "s3-source", "--output", "json", "s3://"+st.bucket+"/big.jsonl")
	if code != exitOK {
		t.Fatalf("second run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if obj := sourceEvents(t, stdout, "object"); len(obj) != 1 || obj[0]["produced"] != float64(100-first) || obj[0]["complete"] != true {
		t.Errorf("second run: %v; want the %d remaining records", obj, 100-first)
	}

	// --retries: the deadline stops the first invocation, the retry finishes the object.
	armed.Store(true)
	code, stdout, stderr = runEnv(t, environ, "run", "s3-source", "--retries", "1", "s3://"+st.bucket+"/big2.jsonl")
	if code != exitOK {
		t.Fatalf("retries: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "stopped at the 5m0s deadline and checkpointed; invoking again (retry 1 of 1), from the checkpoint") ||
		!strings.Contains(stdout, "60 records produced in 2 invocations; 1 object done") {
		t.Errorf("retries: output\n%s", stdout)
	}
	st.checkOnce(t, objects)
}

// deadlineRecorder records how far the context's deadline is at each GetObject.
type deadlineRecorder struct {
	s3source.ObjectAPI
	record func(time.Duration)
}

func (d deadlineRecorder) GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	if dl, ok := ctx.Deadline(); ok {
		d.record(time.Until(dl))
	} else {
		d.record(-1)
	}
	return d.ObjectAPI.GetObject(ctx, in, opts...)
}

// TestRunSourceUsage checks the flags and arguments run s3-source rejects, all at once.
func TestRunSourceUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"nothing", nil, []string{"no object given"}},
		{"both", []string{"s3://b/k", "--queue-url", "https://sqs.us-east-1.amazonaws.com/1/q"}, []string{"both --queue-url and objects"}},
		{"bare key", []string{"k.jsonl"}, []string{`"k.jsonl": want s3://bucket/key (or a key, with --bucket)`}},
		{"bad values", []string{"s3://b/k", "--timeout", "100ms", "--batch-size", "11", "--wait", "30s", "--output", "yaml", "--retries", "-1"},
			[]string{"--timeout 100ms", "--batch-size 11", "--wait 30s", `--output "yaml"`, "--retries -1", "lambda-connect run s3-source --help"}},
		{"bad queue", []string{"--queue-url", "q"}, []string{`--queue-url "q"`}},
		{"no bucket", []string{"s3:///k"}, []string{"no bucket"}},
		{"dash", []string{"s3://b/k", "-"}, []string{`"-": want s3://bucket/key`}},
		{"flags between", []string{"s3://b/k", "--timeout", "0s", "s3://b/k2", "--nope"}, []string{"flag provided but not defined: -nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runEnv(t, nil, append([]string{"run", "s3-source"}, tc.args...)...)
			if code != exitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q; want %d and nothing", code, stdout, exitUsage)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
		})
	}
	code, stdout, _ := runEnv(t, nil, "run", "s3-source", "--help")
	if code != exitOK || !strings.Contains(stdout, "Usage: lambda-connect run s3-source [flags] s3://bucket/key ... | --queue-url URL") || !strings.Contains(stdout, "-queue-url") {
		t.Errorf("--help: exit %d\n%s", code, stdout)
	}
}

func TestQueueARN(t *testing.T) {
	for _, tc := range []struct{ url, region, want string }{
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/landing", "eu-west-1", "arn:aws:sqs:eu-west-1:123456789012:landing"},
		{"http://127.0.0.1:9324/000000000000/q", "us-east-1", "arn:aws:sqs:us-east-1:000000000000:q"},
		{"http://127.0.0.1:9324/q", "us-east-1", ""},
	} {
		if got := queueARN(tc.url, tc.region); got != tc.want {
			t.Errorf("queueARN(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

// s3Notification is the body of an S3 event notification for an object, as S3 sends it to SQS.
func s3Notification(bucket, key, etag string, size int64, sequencer string) string {
	return fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":%q,"eventName":"ObjectCreated:Put",`+
		`"s3":{"s3SchemaVersion":"1.0","bucket":{"name":%q,"arn":"arn:aws:s3:::%s"},"object":{"key":%q,"size":%d,"eTag":%q,"sequencer":%q}}}]}`,
		time.Now().UTC().Format(time.RFC3339Nano), bucket, bucket, s3EventKey(key), size, etag, sequencer)
}

// TestRunSourceQueue long-polls an SQS queue of S3 notifications: every line once, a message
// deleted only when done, a bad message left on the queue (exit 1), and a redelivered
// notification producing nothing new.
func TestRunSourceQueue(t *testing.T) {
	st := newSourceStack(t)
	ctx := context.Background()
	srv := sqslocal.StartForTest(t)
	t.Setenv("AWS_ENDPOINT_URL_SQS", srv.URL())
	queueURL, err := srv.CreateQueue(ctx, uniqueName("landing"))
	if err != nil {
		t.Fatal(err)
	}
	qc, err := sqslocal.Client(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	objects := map[string]int{"q/a.jsonl": 40, "q/b c.jsonl": 25}
	notes := map[string]string{}
	for k, n := range objects {
		st.put(t, k, n)
		h, err := st.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(st.bucket), Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		notes[k] = s3Notification(st.bucket, k, strings.Trim(aws.ToString(h.ETag), `"`), aws.ToInt64(h.ContentLength), fmt.Sprintf("%016X", len(notes)+1))
	}
	send := func(bodies ...string) {
		t.Helper()
		for _, b := range bodies {
			if _, err := qc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(b)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	testEvent := fmt.Sprintf(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-01-01T00:00:00.000Z","Bucket":%q}`, st.bucket)
	send(notes["q/a.jsonl"], notes["q/b c.jsonl"], testEvent, "not an S3 notification")
	args := []string{"run", "s3-source", "--queue-url", queueURL, "--once", "--wait", "1s", "--batch-size", "3", "--output", "json"}

	code, stdout, stderr := runEnv(t, st.environ(), args...)
	if code != exitFail {
		t.Fatalf("exit %d, want %d (a bad message stays on the queue)\nstdout:\n%s\nstderr:\n%s", code, exitFail, stdout, stderr)
	}
	done := sourceEvents(t, stdout, "done")
	if len(done) != 1 || done[0]["deleted"] != float64(3) || done[0]["left_on_queue"] != float64(1) || done[0]["produced"] != float64(65) {
		t.Fatalf("done %v: want 3 messages deleted, 1 left, 65 records\n%s", done, stdout)
	}
	for _, ev := range sourceEvents(t, stdout, "batch") {
		if m := ev["messages"].(float64); m < 1 || m > 3 {
			t.Errorf("a batch of %v messages, --batch-size 3", m)
		}
	}
	if !strings.Contains(stderr, "1 message failed and stayed on the queue") {
		t.Errorf("stderr does not say a message stayed:\n%s", stderr)
	}
	st.checkOnce(t, objects)
	attrs, err := qc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	if v, nv := attrs.Attributes["ApproximateNumberOfMessages"], attrs.Attributes["ApproximateNumberOfMessagesNotVisible"]; v != "0" || nv != "1" {
		t.Errorf("queue: %s visible, %s in flight; want the bad message alone, in flight", v, nv)
	}

	// S3 delivers a notification twice: the ledger says the object is complete, nothing new.
	send(notes["q/a.jsonl"])
	code, stdout, stderr = runEnv(t, st.environ(), args...)
	if code != exitOK {
		t.Fatalf("second run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if done := sourceEvents(t, stdout, "done"); len(done) != 1 || done[0]["deleted"] != float64(1) || done[0]["produced"] != float64(0) || done[0]["ok"] != true {
		t.Errorf("second run: done %v; want the message deleted, nothing produced", done)
	}
	st.checkOnce(t, objects)
}

// TestSQSEvent checks that the event run builds from SQS messages is what the source decodes as
// the SQS trigger's: one message per record, its S3 notices inside.
func TestSQSEvent(t *testing.T) {
	msgs := []sqstypes.Message{
		{MessageId: aws.String("m-1"), ReceiptHandle: aws.String("h-1"), Body: aws.String(s3Notification("b", "k 1.jsonl", "e1", 10, "01")), MD5OfBody: aws.String("x")},
		{MessageId: aws.String("m-2"), ReceiptHandle: aws.String("h-2"), Body: aws.String(s3Notification("b", "k2.jsonl", "e2", 20, "02"))},
	}
	payload, err := sqsEvent(msgs, "arn:aws:sqs:us-east-1:000000000000:q", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := trigger.Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	if b.Shape != trigger.ShapeSQS || len(b.Messages) != 2 {
		t.Fatalf("decoded %s with %d messages, want sqs with 2", b.Shape, len(b.Messages))
	}
	for i, want := range []trigger.Object{{Bucket: "b", Key: "k 1.jsonl", ETag: "e1", Size: 10}, {Bucket: "b", Key: "k2.jsonl", ETag: "e2", Size: 20}} {
		m := b.Messages[i]
		if m.Err != nil || m.ID != fmt.Sprintf("m-%d", i+1) || len(m.Notices) != 1 {
			t.Fatalf("message %d: %+v", i, m)
		}
		if o := m.Notices[0].Object; o.Bucket != want.Bucket || o.Key != want.Key || o.ETag != want.ETag || o.Size != want.Size {
			t.Errorf("message %d: object %+v, want %+v", i, o, want)
		}
	}
}

// FuzzParseObjectArg checks that an accepted argument names a bucket, and that s3:// arguments
// are split without losing anything.
func FuzzParseObjectArg(f *testing.F) {
	for _, s := range []string{"s3://b/k.jsonl", "s3://b/dir/", "s3://b", "k.jsonl", "/k", "s3:///k", "https://b/k", "s3://b/a b+c%2F.json"} {
		f.Add(s, "")
		f.Add(s, "landing")
	}
	f.Fuzz(func(t *testing.T, s, bucket string) {
		b, key, err := parseObjectArg(s, bucket)
		if err != nil {
			return
		}
		if b == "" {
			t.Fatalf("parseObjectArg(%q, %q) = no bucket, no error", s, bucket)
		}
		if rest, ok := strings.CutPrefix(s, "s3://"); ok {
			if rest != b && rest != b+"/"+key {
				t.Fatalf("parseObjectArg(%q) = %q, %q: does not make the argument back", s, b, key)
			}
		} else if b != bucket || strings.HasPrefix(key, "/") {
			t.Fatalf("parseObjectArg(%q, %q) = %q, %q: want the key in --bucket", s, bucket, b, key)
		}
	})
}
