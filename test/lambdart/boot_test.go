package lambdart_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
	"github.com/lambda-connect/lambda-connect/test/lambdart"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden from what the s3-sink binary wrote")

const (
	s3SinkPkg = "github.com/lambda-connect/lambda-connect/functions/s3-sink"
	mskEvent  = "../../events/msk.json"
	// bootGoal is the cold-start goal (process start to the first /next); it is printed, not
	// asserted: bootLimit is the assertion.
	bootGoal  = 50 * time.Millisecond
	bootLimit = 2 * time.Second
)

var (
	sinkOnce sync.Once
	sinkBin  string
	sinkErr  error
	uniq     atomic.Int64
)

// s3SinkBinary builds functions/s3-sink for this machine, as the Lambda build does (stripped, no
// RPC), once per test run, and reports its size.
func s3SinkBinary(t *testing.T) string {
	t.Helper()
	sinkOnce.Do(func() {
		dir, err := binDir("lambdart-s3-sink-")
		if err != nil {
			sinkErr = err
			return
		}
		bin := filepath.Join(dir, "bootstrap")
		start := time.Now()
		// No -trimpath: the build then reuses the packages `go vet` and the other tests compiled.
		cmd := exec.Command("go", "build", "-ldflags=-s -w", "-tags", "lambda.norpc", "-o", bin, s3SinkPkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			sinkErr = fmt.Errorf("building %s: %v\n%s", s3SinkPkg, err, out)
			return
		}
		fi, err := os.Stat(bin)
		if err != nil {
			sinkErr = err
			return
		}
		msg := fmt.Sprintf("s3-sink binary (%s, -ldflags=-s -w, lambda.norpc): %d bytes (%.1f MiB), built in %v",
			hostPlatform(), fi.Size(), float64(fi.Size())/(1<<20), time.Since(start).Round(time.Millisecond))
		t.Log(msg)
		fmt.Println("lambdart:", msg)
		sinkBin = bin
	})
	if sinkErr != nil {
		t.Fatal(sinkErr)
	}
	return sinkBin
}

func hostPlatform() string {
	out, err := exec.Command("go", "env", "GOOS", "GOARCH").Output()
	if err != nil {
		return "host"
	}
	return strings.Join(strings.Fields(string(out)), "/")
}

// lockedBuffer is a bytes.Buffer safe to write from the process's copier while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// sinkEnv is what a test run of the function has: the connector's configuration as CONNECT_*
// variables only, the endpoints of the local services, dummy credentials and the variables
// Lambda sets.
type sinkEnv struct {
	runtimeAPI, s3Endpoint, dynamoEndpoint string
	connect                                map[string]string // CONNECT_* variables
}

func (e sinkEnv) environ() []string {
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + e.runtimeAPI,
		"AWS_ENDPOINT_URL_S3=" + e.s3Endpoint,
		"AWS_ENDPOINT_URL_DYNAMODB=" + e.dynamoEndpoint,
		"AWS_REGION=" + s3local.Region,
		"AWS_DEFAULT_REGION=" + s3local.Region,
		"AWS_ACCESS_KEY_ID=" + s3local.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + s3local.SecretAccessKey,
		"AWS_LAMBDA_FUNCTION_NAME=lambda-connect-s3-sink",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/lambda-connect-s3-sink",
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/01/01/[$LATEST]0123456789abcdef",
		"TZ=:UTC",
	}
	keys := make([]string, 0, len(e.connect))
	for k := range e.connect {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !strings.HasPrefix(k, "CONNECT_") {
			panic("configuration must come from CONNECT_* variables only: " + k)
		}
		env = append(env, k+"="+e.connect[k])
	}
	return env
}

// proc is a running function process.
type proc struct {
	start          time.Time
	stdout, stderr *lockedBuffer
	exited         chan struct{}
	err            error // valid once exited is closed
}

func startSink(t *testing.T, env sinkEnv) *proc {
	t.Helper()
	bin := s3SinkBinary(t)
	cmd := exec.Command(bin)
	cmd.Env = env.environ()
	p := &proc{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("s3-sink stdout:\n%s\ns3-sink stderr:\n%s", p.stdout, p.stderr)
		}
	})
	return p
}

// services starts (or finds) DynamoDB Local and an S3 server and creates a bucket and an offsets
// table with fresh names.
func services(t *testing.T) (s3c *s3.Client, env sinkEnv) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := uniq.Add(1)
	suffix := fmt.Sprintf("%d-%d", time.Now().UnixNano()%1e9, n)
	bucket, table := "boot-"+suffix, "offsets-boot-"+suffix

	ddbEndpoint := dynamolocal.ForTest(t)
	ddb, err := dynamolocal.Client(ctx, ddbEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := offsets.CreateTable(ctx, ddb, table); err != nil {
		t.Fatal(err)
	}
	s3Endpoint := s3local.ForTest(t)
	s3c, err = s3local.Client(ctx, s3Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("creating bucket %s: %v", bucket, err)
	}
	return s3c, sinkEnv{
		s3Endpoint:     s3Endpoint,
		dynamoEndpoint: ddbEndpoint,
		connect: map[string]string{
			"CONNECT_CONNECTOR_NAME":                 "boot-" + suffix,
			"CONNECT_S3_BUCKET_NAME":                 bucket,
			"CONNECT_OFFSETS_TABLE":                  table,
			"CONNECT_S3_PATH_STYLE_ACCESS_ENABLED":   "true",
			"CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE": "false",
			"CONNECT_BEHAVIOR_ON_NULL_VALUES":        "ignore",
		},
	}
}

// object is one S3 object as listed and read back.
type object struct {
	Key, ETag string
	Modified  time.Time
	Body      []byte
}

func listObjects(t *testing.T, c *s3.Client, bucket string) []object {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var objs []object
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("listing s3://%s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
			if err != nil {
				t.Fatalf("reading s3://%s/%s: %v", bucket, aws.ToString(o.Key), err)
			}
			body, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			objs = append(objs, object{Key: aws.ToString(o.Key), ETag: aws.ToString(o.ETag), Modified: aws.ToTime(o.LastModified), Body: body})
		}
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	return objs
}

// render formats objects as the golden file holds them: each key, then its content indented.
func render(objs []object) string {
	var b strings.Builder
	for _, o := range objs {
		fmt.Fprintf(&b, "%s (%d bytes)\n", o.Key, len(o.Body))
		for _, line := range strings.SplitAfter(string(o.Body), "\n") {
			if line != "" {
				fmt.Fprintf(&b, "\t%q\n", line)
			}
		}
	}
	return b.String()
}

// TestS3SinkBinary boots the real s3-sink binary against the Runtime API server, invokes it with
// events/msk.json twice, and checks what it wrote to S3 (testdata/s3-sink-msk.golden).
func TestS3SinkBinary(t *testing.T) {
	t.Parallel()
	payload, err := os.ReadFile(mskEvent)
	if err != nil {
		t.Fatal(err)
	}
	s3c, env := services(t)
	srv := lambdart.New()
	defer srv.Close()
	env.runtimeAPI = srv.Addr()
	p := startSink(t, env)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	first, err := srv.WaitFirstNext(wctx)
	wcancel()
	if err != nil {
		t.Fatalf("%v (stderr: %s)", err, p.stderr)
	}
	boot := first.Sub(p.start)
	msg := fmt.Sprintf("s3-sink cold start (process start to first /next): %v (goal %v)", boot.Round(10*time.Microsecond), bootGoal)
	t.Log(msg)
	fmt.Println("lambdart:", msg)
	if boot > bootLimit {
		t.Errorf("cold start took %v, more than %v", boot, bootLimit)
	}

	bucket := env.connect["CONNECT_S3_BUCKET_NAME"]
	res, err := srv.Invoke(ctx, payload, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Error != nil {
		t.Fatalf("first invocation failed: %v\n%s", res.Error, res.Error.Body)
	}
	t.Logf("first invocation: %v", res)
	if string(res.Response) != "null" {
		t.Errorf("response = %q, want null", res.Response)
	}
	objs := listObjects(t, s3c, bucket)
	got := render(objs)
	golden := filepath.Join("testdata", "s3-sink-msk.golden")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("objects after the first invocation differ from %s:\ngot:\n%s\nwant:\n%s", golden, got, want)
	}

	// Lambda retries a batch it thinks failed: the same event again is skipped as committed.
	res, err = srv.Invoke(ctx, payload, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Error != nil {
		t.Fatalf("second invocation failed: %v", res.Error)
	}
	t.Logf("second invocation: %v", res)
	again := listObjects(t, s3c, bucket)
	if !slices.EqualFunc(objs, again, func(a, b object) bool {
		return a.Key == b.Key && a.ETag == b.ETag && a.Modified.Equal(b.Modified) && bytes.Equal(a.Body, b.Body)
	}) {
		t.Errorf("the second identical invocation changed the bucket:\nbefore:\n%s\nafter:\n%s", render(objs), render(again))
	}
	// The function asks for the next event after each response.
	waitFor(t, func() bool { return srv.Nexts() == 3 }, func() string {
		return fmt.Sprintf("%d /next requests, want 3 (one per invocation and the one waiting)", srv.Nexts())
	})
	select {
	case <-p.exited:
		t.Errorf("the function exited: %v", p.err)
	default:
	}
}

// TestS3SinkBootTime boots the binary several times and prints the spread of its cold start.
func TestS3SinkBootTime(t *testing.T) {
	t.Parallel()
	_, env := services(t)
	const runs = 7
	var boots []time.Duration
	for range runs {
		srv := lambdart.New()
		env.runtimeAPI = srv.Addr()
		p := startSink(t, env)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		first, err := srv.WaitFirstNext(ctx)
		cancel()
		srv.Close()
		if err != nil {
			t.Fatalf("%v (stderr: %s)", err, p.stderr)
		}
		boots = append(boots, first.Sub(p.start))
	}
	slices.Sort(boots)
	msg := fmt.Sprintf("s3-sink cold start over %d boots: min %v, median %v, max %v (goal %v)", runs,
		boots[0].Round(10*time.Microsecond), boots[runs/2].Round(10*time.Microsecond), boots[runs-1].Round(10*time.Microsecond), bootGoal)
	t.Log(msg)
	fmt.Println("lambdart:", msg)
	if boots[runs/2] > bootLimit {
		t.Errorf("median cold start %v, more than %v", boots[runs/2], bootLimit)
	}
}

// TestS3SinkBadConfig checks that a bad configuration stops the binary at cold start, before it
// asks for an event, with a message naming the setting.
func TestS3SinkBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		change  map[string]string // "" deletes the variable
		setting string            // the setting the message must name
	}{
		{"missing s3.bucket.name", map[string]string{"CONNECT_S3_BUCKET_NAME": ""}, "s3.bucket.name"},
		{"missing connector.name", map[string]string{"CONNECT_CONNECTOR_NAME": ""}, "connector.name"},
		{"missing offsets.table", map[string]string{"CONNECT_OFFSETS_TABLE": ""}, "offsets.table"},
		{"flush.size zero", map[string]string{"CONNECT_FLUSH_SIZE": "0"}, "flush.size"},
		{"unknown format.class", map[string]string{"CONNECT_FORMAT_CLASS": "io.confluent.connect.s3.format.orc.OrcFormat"}, "format.class"},
	}
	// The services are not needed: the function must stop before any network call.
	base := sinkEnv{
		s3Endpoint: "http://127.0.0.1:9", dynamoEndpoint: "http://127.0.0.1:9",
		connect: map[string]string{
			"CONNECT_CONNECTOR_NAME": "bad-config",
			"CONNECT_S3_BUCKET_NAME": "some-bucket",
			"CONNECT_OFFSETS_TABLE":  "some-table",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := lambdart.New()
			defer srv.Close()
			env := base
			env.runtimeAPI = srv.Addr()
			env.connect = map[string]string{}
			for k, v := range base.connect {
				env.connect[k] = v
			}
			for k, v := range tc.change {
				if v == "" {
					delete(env.connect, k)
				} else {
					env.connect[k] = v
				}
			}
			p := startSink(t, env)
			select {
			case <-p.exited:
			case <-time.After(20 * time.Second):
				t.Fatal("the function did not exit")
			}
			var exitErr *exec.ExitError
			if p.err == nil {
				t.Fatal("the function exited with status 0")
			} else if !errors.As(p.err, &exitErr) || exitErr.ExitCode() == 0 {
				t.Fatalf("the function ended with %v, want a non-zero exit status", p.err)
			}
			if !strings.Contains(p.stderr.String(), tc.setting) {
				t.Errorf("stderr does not name %s:\n%s", tc.setting, p.stderr)
			}
			if n := srv.Nexts(); n != 0 {
				t.Errorf("the function asked for an event (%d /next) despite its bad configuration", n)
			}
			t.Logf("exit status %d; stderr: %s", exitErr.ExitCode(), strings.TrimSpace(lastLine(p.stderr.String())))
		})
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
