package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
	"github.com/lambda-connect/lambda-connect/core/checkpoints"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
)

// bfStack is a stack with what the S3 source needs: a topic and a checkpoints table.
type bfStack struct {
	*stack
	topic, ledger string
}

func newBFStack(t *testing.T) *bfStack {
	t.Helper()
	st := &bfStack{stack: newStack(t), topic: uniqueName("landed"), ledger: uniqueName("checkpoints")}
	ctx := context.Background()
	if err := st.kafka.CreateTopic(ctx, st.topic, 3); err != nil {
		t.Fatal(err)
	}
	dc, err := dynamolocal.Client(ctx, dynamolocal.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoints.CreateTable(ctx, dc, st.ledger); err != nil {
		t.Fatal(err)
	}
	return st
}

// environ is the S3 source function's configuration.
func (st *bfStack) environ(extra ...string) []string {
	return append([]string{
		"CONNECT_CONNECTOR_NAME=backfill-test",
		"CONNECT_BOOTSTRAP_SERVERS=" + st.kafka.Bootstrap(),
		"CONNECT_TOPIC=" + st.topic,
		"CONNECT_INPUT_FORMAT=jsonl",
		"CONNECT_KEY_FIELD=id",
		"CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE=false",
		"CONNECT_CHECKPOINTS_TABLE=" + st.ledger,
	}, extra...)
}

// put writes an object of n JSON lines under key and returns it as an event would name it.
func (st *bfStack) put(t *testing.T, key string, n int) trigger.Object {
	t.Helper()
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"id":"%s-%d","n":%d,"pad":%q}`+"\n", key, i, i, strings.Repeat("x", 40))
	}
	out, err := st.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(st.bucket), Key: aws.String(key), Body: bytes.NewReader(b.Bytes())})
	if err != nil {
		t.Fatal(err)
	}
	return trigger.Object{Bucket: st.bucket, Key: key, ETag: strings.Trim(aws.ToString(out.ETag), `"`), VersionID: aws.ToString(out.VersionId), Size: int64(b.Len())}
}

// landed counts the records of the topic by object key and record index.
func (st *bfStack) landed(t *testing.T) map[string]int {
	t.Helper()
	recs, err := kafkalocal.ReadAll(context.Background(), st.kafka.Addrs(), st.topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range recs {
		k, _ := r.Header(s3source.HeaderKey)
		i, _ := r.Header(s3source.HeaderIndex)
		out[string(k)+"#"+string(i)]++
	}
	return out
}

// checkOnce checks that the topic holds every line of every object once, and nothing else.
func (st *bfStack) checkOnce(t *testing.T, objects map[string]int) {
	t.Helper()
	got := st.landed(t)
	want := 0
	for key, n := range objects {
		want += n
		for i := range n {
			if c := got[fmt.Sprintf("%s#%d", key, i)]; c != 1 {
				t.Errorf("%s record %d is in the topic %d times, want once", key, i, c)
			}
		}
	}
	if len(got) != want {
		t.Errorf("the topic holds %d distinct records, want %d", len(got), want)
	}
}

// liveSource builds the source as the function does, for live S3 events.
func (st *bfStack) liveSource(t *testing.T, opts ...func(*s3source.Deps)) *s3source.Source {
	t.Helper()
	c, err := config.Load(s3source.Spec(), st.environ())
	if err != nil {
		t.Fatal(err)
	}
	b, err := s3source.Build(context.Background(), c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Producer.Close() })
	return b.Source
}

// liveEvent is events/s3-put.json's first record, naming obj instead of the sample object.
func liveEvent(t *testing.T, obj trigger.Object) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "s3-put.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Records []map[string]any `json:"Records"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	rec := ev.Records[0]
	s3m := rec["s3"].(map[string]any)
	s3m["bucket"].(map[string]any)["name"] = obj.Bucket
	s3m["bucket"].(map[string]any)["arn"] = "arn:aws:s3:::" + obj.Bucket
	o := s3m["object"].(map[string]any)
	o["key"], o["eTag"], o["size"] = s3EventKey(obj.Key), obj.ETag, obj.Size
	delete(o, "versionId")
	if obj.VersionID != "" {
		o["versionId"] = obj.VersionID
	}
	delete(o, "sequencer")
	out, err := json.Marshal(map[string]any{"Records": []any{rec}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// deliverLive hands obj's event to the live source as Lambda would, retrying a failed
// invocation as Lambda retries an asynchronous event.
func deliverLive(t *testing.T, src *s3source.Source, obj trigger.Object) error {
	t.Helper()
	var err error
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID()})
		_, err = src.Handle(ctx, liveEvent(t, obj))
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func backfillJSON(t *testing.T, stdout string) backfillReport {
	t.Helper()
	var rep backfillReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("not backfill's JSON: %v\n%s", err, stdout)
	}
	return rep
}

// TestBackfillTwice backfills a prefix twice: every object is produced once, the second run
// skips them all, objects outside the prefix are left alone, and the piped progress is plain
// lines.
func TestBackfillTwice(t *testing.T) {
	st := newBFStack(t)
	objects := map[string]int{}
	for i := range 5 {
		key := fmt.Sprintf("in/2026/03/orders %d.jsonl", i) // a space: the event encodes it
		st.put(t, key, 10+i)
		objects[key] = 10 + i
	}
	st.put(t, "elsewhere/x.jsonl", 3)
	target := "s3://" + st.bucket + "/in/"

	code, stdout, stderr := runEnv(t, st.environ(), "backfill", target, "--concurrency", "3")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if strings.ContainsAny(stdout, "\r\x1b") {
		t.Errorf("piped output holds control characters:\n%q", stdout)
	}
	for i := range 5 {
		if !strings.Contains(stdout, fmt.Sprintf("[%d/5] s3://%s/in/", i+1, st.bucket)) {
			t.Errorf("no plain progress line %d/5:\n%s", i+1, stdout)
		}
	}
	if !strings.Contains(stdout, "5 objects listed, 5 sent, 0 skipped (already complete), 0 failed") || !strings.Contains(stdout, "60 records produced") {
		t.Errorf("summary:\n%s", stdout)
	}
	st.checkOnce(t, objects)

	code, stdout, stderr = runEnv(t, st.environ(), "backfill", target, "--output", "json")
	if code != exitOK {
		t.Fatalf("second run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	rep := backfillJSON(t, stdout)
	if rep.Listed != 5 || rep.Sent != 0 || rep.Skipped != 5 || rep.Records != 0 || rep.Failed != 0 {
		t.Errorf("second run: %+v", rep)
	}
	if strings.ContainsAny(stderr, "\r\x1b") || strings.Count(stderr, "skipped") != 5 {
		t.Errorf("second run's progress (stderr with --output json):\n%q", stderr)
	}
	st.checkOnce(t, objects)
}

// TestBackfillWithLiveEvents sends live S3 events for the same objects while backfill runs: the
// ledger's lease lets one of them produce each object, once.
func TestBackfillWithLiveEvents(t *testing.T) {
	st := newBFStack(t)
	objects := map[string]int{}
	var objs []trigger.Object
	for i := range 8 {
		key := fmt.Sprintf("live/%02d.jsonl", i)
		objs = append(objs, st.put(t, key, 30))
		objects[key] = 30
	}
	// The live invocations hold each object's lease a while, so that backfill meets them.
	live := st.liveSource(t, func(d *s3source.Deps) {
		d.Fault = func(point string, index int64) error {
			if point == "before-produce" {
				time.Sleep(150 * time.Millisecond)
			}
			return nil
		}
	})
	var wg sync.WaitGroup
	liveErrs := make([]error, len(objs))
	for i, obj := range objs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i*40) * time.Millisecond)
			liveErrs[i] = deliverLive(t, live, obj)
		}()
	}
	code, stdout, stderr := runEnv(t, st.environ(), "backfill", "s3://"+st.bucket+"/live/", "--concurrency", "4", "--output", "json")
	wg.Wait()
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for i, err := range liveErrs {
		if err != nil {
			t.Errorf("live event for %s: %v", objs[i].Key, err)
		}
	}
	rep := backfillJSON(t, stdout)
	if rep.Sent+rep.Skipped != 8 || rep.Failed != 0 {
		t.Errorf("backfill: %+v", rep)
	}
	retried := 0
	for _, o := range rep.Objects {
		if o.Attempts > 1 {
			retried++
		}
	}
	t.Logf("backfill sent %d, skipped %d (produced by live events), %d objects waited for a live lease", rep.Sent, rep.Skipped, retried)
	st.checkOnce(t, objects)
}

// TestBackfillSweep drops one object's event: the sweep finds it (and only it), produces it,
// and a second sweep finds nothing.
func TestBackfillSweep(t *testing.T) {
	st := newBFStack(t)
	live := st.liveSource(t)
	objects := map[string]int{}
	var dropped string
	for i := range 4 {
		key := fmt.Sprintf("sweep/%d.jsonl", i)
		obj := st.put(t, key, 7)
		objects[key] = 7
		if i == 2 {
			dropped = key // its event never arrives
			continue
		}
		if err := deliverLive(t, live, obj); err != nil {
			t.Fatal(err)
		}
	}
	target := "s3://" + st.bucket + "/sweep/"

	code, stdout, stderr := runEnv(t, st.environ(), "backfill", "--sweep", "--dry-run", target)
	if code != exitOK || !strings.Contains(stdout, "would send 1 object") || !strings.Contains(stdout, "s3://"+st.bucket+"/"+dropped) {
		t.Fatalf("sweep --dry-run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := len(st.landed(t)); n != 21 {
		t.Fatalf("--dry-run produced: the topic holds %d records, want 21", n)
	}

	code, stdout, stderr = runEnv(t, st.environ(), "backfill", "--sweep", target, "--output", "json")
	if code != exitOK {
		t.Fatalf("sweep: exit %d\n%s\n%s", code, stdout, stderr)
	}
	rep := backfillJSON(t, stdout)
	if rep.Sent != 1 || rep.Skipped != 3 || rep.Records != 7 {
		t.Errorf("sweep: %+v", rep)
	}
	for _, o := range rep.Objects {
		if (o.Key == dropped) != (o.Status == statusSent) {
			t.Errorf("sweep: %s %s", o.Key, o.Status)
		}
	}
	st.checkOnce(t, objects)

	code, stdout, stderr = runEnv(t, st.environ(), "backfill", "--sweep", target, "--output", "json")
	rep = backfillJSON(t, stdout)
	if code != exitOK || rep.Sent != 0 || rep.Skipped != 4 {
		t.Errorf("second sweep: exit %d %+v\n%s", code, rep, stderr)
	}
	st.checkOnce(t, objects)
}

// TestBackfillVersioned backfills a versioned bucket: objects are named by version id, as their
// events name them, so a version a live event produced is skipped, and only the latest version of
// a key is sent.
func TestBackfillVersioned(t *testing.T) {
	st := newBFStack(t)
	ctx := context.Background()
	if _, err := st.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(st.bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	st.put(t, "v/a.jsonl", 3) // overwritten below: an older version, not sent
	a := st.put(t, "v/a.jsonl", 5)
	b := st.put(t, "v/b.jsonl", 4)
	if a.VersionID == "" || b.VersionID == "" {
		t.Fatalf("the bucket gave no version ids: %+v %+v", a, b)
	}
	if err := deliverLive(t, st.liveSource(t), a); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runEnv(t, st.environ(), "backfill", "s3://"+st.bucket+"/v/", "--output", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	rep := backfillJSON(t, stdout)
	if rep.Listed != 2 || rep.Sent != 1 || rep.Skipped != 1 || rep.Records != 4 {
		t.Errorf("report: %+v", rep)
	}
	for _, o := range rep.Objects {
		if want := map[string]string{"v/a.jsonl": a.VersionID, "v/b.jsonl": b.VersionID}[o.Key]; o.VersionID != want {
			t.Errorf("%s: version %q, want %q", o.Key, o.VersionID, want)
		}
	}
	st.checkOnce(t, map[string]int{"v/a.jsonl": 5, "v/b.jsonl": 4})
}

// TestBackfillInvoke sends the objects to a function through the Lambda API (an httptest
// server speaking Invoke): one asynchronous invocation per object, with the S3 event the
// function decodes.
func TestBackfillInvoke(t *testing.T) {
	st := newBFStack(t)
	want := map[string]trigger.Object{}
	for i := range 3 {
		obj := st.put(t, fmt.Sprintf("inv/a+b %d.jsonl", i), 2)
		want[obj.Key] = obj
	}
	var (
		mu   sync.Mutex
		got  []trigger.Object
		errs []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.Method != http.MethodPost || r.URL.Path == "/2015-03-31/functions/missing/invocations":
			w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"Type":"User","message":"Function not found: missing"}`)
			return
		case r.URL.Path != "/2015-03-31/functions/s3-source/invocations":
			errs = append(errs, "path "+r.URL.Path)
		case r.Header.Get("X-Amz-Invocation-Type") != "Event":
			errs = append(errs, "invocation type "+r.Header.Get("X-Amz-Invocation-Type"))
		case !strings.Contains(r.Header.Get("Authorization"), "Credential=local/"):
			errs = append(errs, "not signed with the test's credentials: "+r.Header.Get("Authorization"))
		}
		b, err := trigger.Decode(body)
		if err != nil || b.Shape != trigger.ShapeS3 || len(b.Messages) != 1 || len(b.Messages[0].Notices) != 1 {
			errs = append(errs, fmt.Sprintf("payload %s: %v", body, err))
		} else {
			got = append(got, b.Messages[0].Notices[0].Object)
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", srv.URL)

	code, stdout, stderr := runEnv(t, st.environ(), "backfill", "s3://"+st.bucket+"/inv/", "--invoke", "s3-source", "--output", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	rep := backfillJSON(t, stdout)
	if rep.Mode != "invoke" || rep.Sent != 3 || rep.Records != 0 {
		t.Errorf("report: %+v", rep)
	}
	mu.Lock()
	if len(errs) > 0 {
		t.Errorf("requests: %s", strings.Join(errs, "\n"))
	}
	if len(got) != 3 {
		t.Errorf("%d invocations, want 3", len(got))
	}
	for _, o := range got {
		w, ok := want[o.Key]
		if !ok || o.ETag != w.ETag || o.Size != w.Size || o.Bucket != st.bucket {
			t.Errorf("invoked for %+v, want one of %v", o, want)
		}
	}
	mu.Unlock()
	if n := len(st.landed(t)); n != 0 {
		t.Errorf("--invoke produced %d records here", n)
	}

	code, stdout, stderr = runEnv(t, st.environ(), "backfill", "s3://"+st.bucket+"/inv/", "--invoke", "missing")
	if code != exitFail || !strings.Contains(stdout, "3 failed") || !strings.Contains(stdout, "ResourceNotFoundException") || !strings.Contains(stderr, "--sweep") {
		t.Errorf("missing function: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestBackfillFailure: an object the source cannot read is reported with its error, the others
// are produced, and the exit status is 1.
func TestBackfillFailure(t *testing.T) {
	st := newBFStack(t)
	st.put(t, "bad/ok.jsonl", 4)
	if _, err := st.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(st.bucket), Key: aws.String("bad/broken.jsonl"),
		Body: strings.NewReader("{\"id\":\"x\"}\nnot json\n")}); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runEnv(t, st.environ(), "backfill", "s3://"+st.bucket+"/bad/")
	if code != exitFail {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "1 sent, 0 skipped (already complete), 1 failed") || !strings.Contains(stdout, "FAILED s3://"+st.bucket+"/bad/broken.jsonl") {
		t.Errorf("summary:\n%s", stdout)
	}
	st.checkOnce(t, map[string]int{"bad/ok.jsonl": 4})

	code, stdout, stderr = runEnv(t, st.environ(), "backfill", "s3://no-such-bucket-"+st.bucket+"/x/")
	if code != exitFail || !strings.Contains(stderr, "NoSuchBucket") || !strings.Contains(stderr, "then run again") {
		t.Errorf("missing bucket: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestBackfillUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no target", []string{"backfill"}, "no s3://BUCKET/PREFIX given"},
		{"not s3", []string{"backfill", "/tmp/x"}, `want s3://bucket/prefix`},
		{"no bucket", []string{"backfill", "s3:///x"}, "no bucket"},
		{"two targets", []string{"backfill", "s3://a/b", "s3://c/d"}, "one s3://BUCKET/PREFIX at most"},
		{"concurrency", []string{"backfill", "--concurrency", "0", "s3://a/b"}, "--concurrency 0"},
		{"output", []string{"backfill", "--output", "yaml", "s3://a/b"}, `--output "yaml"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runEnv(t, nil, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", code, stderr, tc.want)
			}
		})
	}
	code, _, stderr := runEnv(t, nil, "backfill", "s3://a/b")
	if code != exitFail || !strings.Contains(stderr, "connector.name") || !strings.Contains(stderr, "--connector-config") {
		t.Errorf("no configuration: exit %d\n%s", code, stderr)
	}
}

// FuzzParseS3URL: any string either fails or splits into a bucket without "/" and a prefix that
// give the URL back.
func FuzzParseS3URL(f *testing.F) {
	for _, s := range []string{"s3://b/p/", "s3://b", "s3:///x", "b/p", "s3://b/a b/%2F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		bucket, prefix, err := parseS3URL(s)
		if err != nil {
			return
		}
		if bucket == "" || strings.Contains(bucket, "/") {
			t.Fatalf("%q: bucket %q", s, bucket)
		}
		if back := "s3://" + bucket + "/" + prefix; back != s && back != s+"/" {
			t.Fatalf("%q: bucket %q prefix %q", s, bucket, prefix)
		}
	})
}
