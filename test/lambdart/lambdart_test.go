package lambdart_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
	"github.com/lambda-connect/lambda-connect/test/lambdart"
)

var (
	echoOnce sync.Once
	echoBin  string
	echoErr  error

	binDirsMu sync.Mutex
	binDirs   []string // removed after the tests
)

func TestMain(m *testing.M) {
	code := dynamolocal.RunTests(m) // stops the DynamoDB Local the boot tests may have started
	binDirsMu.Lock()
	for _, d := range binDirs {
		_ = os.RemoveAll(d)
	}
	binDirsMu.Unlock()
	os.Exit(code)
}

// binDir returns a new directory for a built binary, removed after the tests.
func binDir(prefix string) (string, error) {
	d, err := os.MkdirTemp("", prefix)
	if err == nil {
		binDirsMu.Lock()
		binDirs = append(binDirs, d)
		binDirsMu.Unlock()
	}
	return d, err
}

// echoBinary builds testdata/echo (an aws-lambda-go function) once per test run.
func echoBinary(t *testing.T) string {
	t.Helper()
	echoOnce.Do(func() {
		echoDir, err := binDir("lambdart-echo-")
		if err != nil {
			echoErr = err
			return
		}
		echoBin = filepath.Join(echoDir, "echo")
		out, err := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", echoBin, "./testdata/echo").CombinedOutput()
		if err != nil {
			echoErr = errors.New("building testdata/echo: " + err.Error() + "\n" + string(out))
		}
	})
	if echoErr != nil {
		t.Fatal(echoErr)
	}
	return echoBin
}

// runEcho starts the echo function against srv; extra are added to its environment. It returns a
// channel closed with the process's exit status.
func runEcho(t *testing.T, srv *lambdart.Server, extra ...string) (<-chan error, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(echoBinary(t))
	cmd.Env = append([]string{"AWS_LAMBDA_RUNTIME_API=" + srv.Addr(), "PATH=" + os.Getenv("PATH")}, extra...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	waited := make(chan struct{})
	go func() {
		exited <- cmd.Wait()
		close(waited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-waited
	})
	return exited, &stderr
}

type echoReply struct {
	Echo        json.RawMessage `json:"echo"`
	RequestID   string          `json:"request_id"`
	FunctionARN string          `json:"function_arn"`
	DeadlineMs  int64           `json:"deadline_ms"`
	TraceID     string          `json:"trace_id"`
}

func TestEchoFunction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		payload  string
		deadline time.Duration
		check    func(t *testing.T, r lambdart.Result, err error, sent time.Time)
	}{
		{
			name: "response carries the event and the runtime headers", payload: `{"echo":{"a":[1,2]}}`, deadline: 5 * time.Second,
			check: func(t *testing.T, r lambdart.Result, err error, sent time.Time) {
				if err != nil {
					t.Fatal(err)
				}
				if r.Error != nil {
					t.Fatalf("function error: %v", r.Error)
				}
				var rep echoReply
				if err := json.Unmarshal(r.Response, &rep); err != nil {
					t.Fatalf("response %q: %v", r.Response, err)
				}
				if string(rep.Echo) != `{"a":[1,2]}` {
					t.Errorf("echo = %s", rep.Echo)
				}
				if rep.RequestID == "" || rep.RequestID != r.RequestID {
					t.Errorf("function saw request ID %q, Result has %q", rep.RequestID, r.RequestID)
				}
				if rep.FunctionARN != lambdart.DefaultFunctionARN {
					t.Errorf("function ARN = %q", rep.FunctionARN)
				}
				if !strings.HasPrefix(rep.TraceID, "Root=1-") {
					t.Errorf("trace ID = %q", rep.TraceID)
				}
				// The deadline the function saw is 5 s after the invoke, to the millisecond.
				want := sent.Add(5 * time.Second).UnixMilli()
				if d := rep.DeadlineMs - want; d < -50 || d > 1000 {
					t.Errorf("function deadline %d ms, want about %d (off by %d ms)", rep.DeadlineMs, want, d)
				}
			},
		},
		{
			name: "returned error is posted to /error", payload: `{"error":"broken record at offset 7"}`, deadline: 5 * time.Second,
			check: func(t *testing.T, r lambdart.Result, err error, _ time.Time) {
				if err != nil {
					t.Fatal(err)
				}
				if r.Error == nil {
					t.Fatalf("no function error; response %q", r.Response)
				}
				if r.Error.Message != "broken record at offset 7" || r.Error.Type != "echoError" {
					t.Errorf("error = %+v", r.Error)
				}
				if r.Response != nil {
					t.Errorf("response %q with an error", r.Response)
				}
			},
		},
		{
			name: "panic is posted to /error with its stack", payload: `{"panic":"boom"}`, deadline: 5 * time.Second,
			check: func(t *testing.T, r lambdart.Result, err error, _ time.Time) {
				if err != nil {
					t.Fatal(err)
				}
				if r.Error == nil || r.Error.Message != "boom" {
					t.Fatalf("error = %+v", r.Error)
				}
				if len(r.Error.StackTrace) == 0 || !bytes.Contains(r.Error.StackTrace, []byte("main.go")) {
					t.Errorf("stack trace = %s", r.Error.StackTrace)
				}
			},
		},
		{
			name: "no answer by the deadline times out", payload: `{"sleep_ms":1500}`, deadline: 300 * time.Millisecond,
			check: func(t *testing.T, r lambdart.Result, err error, sent time.Time) {
				if !errors.Is(err, lambdart.ErrTimedOut) {
					t.Fatalf("err = %v, want ErrTimedOut", err)
				}
				if el := time.Since(sent); el < 300*time.Millisecond || el > 1200*time.Millisecond {
					t.Errorf("timed out after %v, want about 300ms", el)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := lambdart.New()
			defer srv.Close()
			runEcho(t, srv)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			sent := time.Now()
			r, err := srv.Invoke(ctx, []byte(tc.payload), tc.deadline)
			tc.check(t, r, err, sent)
		})
	}
}

func TestEchoManyInvocationsOneProcess(t *testing.T) {
	t.Parallel()
	srv := lambdart.New()
	defer srv.Close()
	before := time.Now()
	runEcho(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	first, err := srv.WaitFirstNext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.Before(before) || !srv.FirstNext().Equal(first) {
		t.Errorf("FirstNext %v, process started %v", first, before)
	}
	t.Logf("echo: process start to first /next: %v", first.Sub(before))
	seen := map[string]bool{}
	for i := range 5 {
		r, err := srv.Invoke(ctx, []byte(`{"echo":`+strconv.Itoa(i)+`}`), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var rep echoReply
		if err := json.Unmarshal(r.Response, &rep); err != nil || string(rep.Echo) != strconv.Itoa(i) {
			t.Fatalf("invocation %d: %s (%v)", i, r.Response, err)
		}
		if seen[r.RequestID] {
			t.Fatalf("request ID %s reused", r.RequestID)
		}
		seen[r.RequestID] = true
	}
	// One /next per invocation plus the one now waiting.
	waitFor(t, func() bool { return srv.Nexts() == 6 }, func() string { return fmt.Sprintf("want 6 /next requests, got %d", srv.Nexts()) })
}

func TestEchoInitError(t *testing.T) {
	t.Parallel()
	srv := lambdart.New()
	defer srv.Close()
	exited, stderr := runEcho(t, srv, "ECHO_INIT_ERROR=missing setting s3.bucket.name")
	select {
	case err := <-exited:
		if err == nil {
			t.Fatal("exited 0 after an init error")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not exit")
	}
	ie := srv.InitError()
	if ie == nil || ie.Message != "missing setting s3.bucket.name" || ie.Type != "Runtime.InitError" ||
		ie.HeaderType != "Runtime.InitError" {
		t.Fatalf("InitError = %+v", ie)
	}
	if !strings.Contains(stderr.String(), "s3.bucket.name") {
		t.Errorf("stderr = %q", stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := srv.Invoke(ctx, []byte(`{}`), time.Second); !errors.Is(err, lambdart.ErrInitFailed) {
		t.Errorf("Invoke after init error: %v, want ErrInitFailed", err)
	}
	if _, err := srv.WaitFirstNext(ctx); !errors.Is(err, lambdart.ErrInitFailed) {
		t.Errorf("WaitFirstNext after init error: %v, want ErrInitFailed", err)
	}
}

// rawRuntime drives the protocol with plain HTTP, checking the server's answers.
type rawRuntime struct {
	t    *testing.T
	base string
}

func (rt rawRuntime) do(method, path, body string, hdr map[string]string) (*http.Response, string) {
	rt.t.Helper()
	req, err := http.NewRequest(method, rt.base+path, strings.NewReader(body))
	if err != nil {
		rt.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		rt.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestProtocol(t *testing.T) {
	t.Parallel()
	srv := lambdart.New()
	defer srv.Close()
	rt := rawRuntime{t: t, base: "http://" + srv.Addr() + "/2018-06-01/runtime"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if !srv.FirstNext().IsZero() {
		t.Fatal("FirstNext set before any /next")
	}
	type out struct {
		r   lambdart.Result
		err error
	}
	done := make(chan out, 1)
	sent := time.Now()
	go func() {
		r, err := srv.InvokeWith(ctx, lambdart.Invocation{Payload: []byte(`{"k":1}`), Deadline: 4 * time.Second,
			RequestID: "req-1", FunctionARN: "arn:aws:lambda:eu-west-1:111122223333:function:f", TraceID: "Root=1-x"})
		done <- out{r, err}
	}()

	resp, body := rt.do("GET", "/invocation/next", "", nil)
	if resp.StatusCode != 200 || body != `{"k":1}` {
		t.Fatalf("/next: %d %q", resp.StatusCode, body)
	}
	for h, want := range map[string]string{
		"Lambda-Runtime-Aws-Request-Id":       "req-1",
		"Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:eu-west-1:111122223333:function:f",
		"Lambda-Runtime-Trace-Id":             "Root=1-x",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	ms, err := strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	if err != nil {
		t.Fatalf("Lambda-Runtime-Deadline-Ms: %v", err)
	}
	if d := ms - sent.Add(4*time.Second).UnixMilli(); d < -50 || d > 1000 {
		t.Errorf("deadline off by %d ms", d)
	}
	if srv.FirstNext().IsZero() || srv.FirstNext().Before(sent) {
		t.Errorf("FirstNext = %v", srv.FirstNext())
	}

	cases := []struct {
		name, path, body string
		want             int
	}{
		{"unknown request ID", "/invocation/nope/response", "x", http.StatusBadRequest},
		{"oversized response", "/invocation/req-1/response", strings.Repeat("x", lambdart.MaxResponseBytes+1), http.StatusRequestEntityTooLarge},
		{"wrong method on next", "/invocation/next", "", http.StatusMethodNotAllowed},
		{"response", "/invocation/req-1/response", `{"ok":true}`, http.StatusAccepted},
		{"second response to the same request", "/invocation/req-1/response", `{}`, http.StatusBadRequest},
	}
	for _, c := range cases {
		resp, body := rt.do("POST", c.path, c.body, map[string]string{"Content-Type": "application/json"})
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d (%s), want %d", c.name, resp.StatusCode, body, c.want)
		}
	}
	o := <-done
	if o.err != nil || string(o.r.Response) != `{"ok":true}` || o.r.ContentType != "application/json" || o.r.RequestID != "req-1" {
		t.Fatalf("Invoke = %+v, %v", o.r, o.err)
	}

	// An error post that is not JSON keeps its body and the header's type.
	go func() {
		r, err := srv.InvokeWith(ctx, lambdart.Invocation{Payload: []byte(`2`), RequestID: "req-2"})
		done <- out{r, err}
	}()
	if resp, _ := rt.do("GET", "/invocation/next", "", nil); resp.Header.Get("Lambda-Runtime-Aws-Request-Id") != "req-2" {
		t.Fatalf("second /next: %v", resp.Header)
	}
	rt.do("POST", "/invocation/req-2/error", "plain text", map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.Crash"})
	o = <-done
	if o.err != nil || o.r.Error == nil || o.r.Error.Type != "Runtime.Crash" || o.r.Error.Message != "plain text" {
		t.Fatalf("Invoke = %+v, %v", o.r, o.err)
	}

	// init/error is accepted once.
	if resp, _ := rt.do("POST", "/init/error", `{"errorMessage":"m","errorType":"T"}`, nil); resp.StatusCode != http.StatusAccepted {
		t.Errorf("init/error: %d", resp.StatusCode)
	}
	if resp, _ := rt.do("POST", "/init/error", `{}`, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("second init/error: %d", resp.StatusCode)
	}
	if ie := srv.InitError(); ie == nil || ie.Message != "m" || ie.Type != "T" {
		t.Errorf("InitError = %+v", ie)
	}
}

func TestInvokeEnds(t *testing.T) {
	t.Parallel()
	t.Run("context cancelled while queued", func(t *testing.T) {
		srv := lambdart.New()
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := srv.Invoke(ctx, []byte(`{}`), time.Minute); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no runtime by the deadline", func(t *testing.T) {
		srv := lambdart.New()
		defer srv.Close()
		if _, err := srv.Invoke(context.Background(), []byte(`{}`), 50*time.Millisecond); !errors.Is(err, lambdart.ErrTimedOut) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("server closed", func(t *testing.T) {
		srv := lambdart.New()
		time.AfterFunc(50*time.Millisecond, srv.Close)
		if _, err := srv.Invoke(context.Background(), []byte(`{}`), time.Minute); !errors.Is(err, lambdart.ErrClosed) {
			t.Fatalf("err = %v", err)
		}
		srv.Close() // idempotent
	})
	t.Run("duplicate request ID", func(t *testing.T) {
		srv := lambdart.New()
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { _, _ = srv.InvokeWith(ctx, lambdart.Invocation{RequestID: "same", Deadline: time.Minute}) }()
		rt := rawRuntime{t: t, base: "http://" + srv.Addr() + "/2018-06-01/runtime"}
		if resp, _ := rt.do("GET", "/invocation/next", "", nil); resp.Header.Get("Lambda-Runtime-Aws-Request-Id") != "same" {
			t.Fatalf("/next: %v", resp.Header)
		}
		_, err := srv.InvokeWith(ctx, lambdart.Invocation{RequestID: "same", Deadline: time.Second})
		if err == nil || !strings.Contains(err.Error(), "already in flight") {
			t.Fatalf("second invocation with the same request ID: %v", err)
		}
	})
}

func waitFor(t *testing.T, cond func() bool, msg func() string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
