// Package lambdart is a minimal AWS Lambda Runtime API server for tests: a function binary started
// with AWS_LAMBDA_RUNTIME_API set to Server.Addr() runs exactly as it does under Lambda, and the
// test invokes it with Server.Invoke.
//
// It speaks the 2018-06-01 protocol as Lambda does: GET /runtime/invocation/next long-polls until
// an invocation is queued and answers with the event as body and the Lambda-Runtime-Aws-Request-Id,
// Lambda-Runtime-Deadline-Ms, Lambda-Runtime-Invoked-Function-Arn and Lambda-Runtime-Trace-Id
// headers; POST /runtime/invocation/{id}/response and /runtime/invocation/{id}/error complete it
// (202 Accepted); POST /runtime/init/error reports a failed initialisation.
package lambdart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Protocol constants.
const (
	APIVersion = "2018-06-01"

	HeaderRequestID   = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMs  = "Lambda-Runtime-Deadline-Ms"
	HeaderFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID     = "Lambda-Runtime-Trace-Id"
	HeaderErrorType   = "Lambda-Runtime-Function-Error-Type"

	// DefaultFunctionARN is the invoked-function ARN Invoke sends.
	DefaultFunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:lambdart-test"

	// MaxResponseBytes is Lambda's limit on a synchronous response; a larger one is refused with
	// 413, as Lambda refuses it.
	MaxResponseBytes = 6 << 20
)

var (
	// ErrTimedOut is returned by Invoke when the function did not answer by the deadline.
	ErrTimedOut = errors.New("lambdart: task timed out")
	// ErrInitFailed is returned by Invoke once the function reported an initialisation error.
	ErrInitFailed = errors.New("lambdart: function initialisation failed")
	// ErrClosed is returned by Invoke when the server is closed.
	ErrClosed = errors.New("lambdart: server closed")
)

// FunctionError is an error a function reported, in the JSON shape aws-lambda-go posts
// ({"errorMessage", "errorType", "stackTrace"}).
type FunctionError struct {
	Message    string          `json:"errorMessage"`
	Type       string          `json:"errorType"`
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
	// HeaderType is the Lambda-Runtime-Function-Error-Type header of the post, if any.
	HeaderType string `json:"-"`
	// Body is the body as posted (kept when it is not the JSON above).
	Body []byte `json:"-"`
}

// Error formats the error as "Type: Message".
func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Result is the outcome of one invocation: Response when the function succeeded, Error when it
// posted an error.
type Result struct {
	RequestID   string
	Response    []byte
	ContentType string
	Error       *FunctionError
	// Duration is the time from the function receiving the event (its /next answered) to its
	// response or error.
	Duration time.Duration
}

// Invocation is one event to deliver. Zero fields take defaults: a fresh request ID, a 3 s
// deadline, DefaultFunctionARN and a generated trace ID.
type Invocation struct {
	Payload     []byte
	Deadline    time.Duration
	RequestID   string
	FunctionARN string
	TraceID     string
}

type pending struct {
	inv      Invocation
	deadline time.Time
	started  time.Time
	done     chan Result // buffered 1
}

// Server is a Lambda Runtime API server on 127.0.0.1. It is safe for concurrent use: several
// invocations may be in flight (a function running several runtime loops takes them in parallel).
type Server struct {
	ln     net.Listener
	srv    *http.Server
	queue  chan *pending
	closed chan struct{}
	once   sync.Once
	seq    atomic.Int64

	mu        sync.Mutex
	inflight  map[string]*pending
	firstNext time.Time
	nexts     int
	nextCh    chan struct{} // closed at the first /next
	initErr   *FunctionError
	initCh    chan struct{} // closed at the init error
}

// New starts a server on a free port of 127.0.0.1. Like httptest.NewServer it panics when it cannot
// listen. Close it when done.
func New() *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("lambdart: listening on 127.0.0.1: %v", err))
	}
	s := &Server{
		ln:       ln,
		queue:    make(chan *pending),
		closed:   make(chan struct{}),
		inflight: map[string]*pending{},
		nextCh:   make(chan struct{}),
		initCh:   make(chan struct{}),
	}
	mux := http.NewServeMux()
	prefix := "/" + APIVersion + "/runtime"
	mux.HandleFunc("GET "+prefix+"/invocation/next", s.next)
	mux.HandleFunc("POST "+prefix+"/invocation/{id}/response", s.response)
	mux.HandleFunc("POST "+prefix+"/invocation/{id}/error", s.invocationError)
	mux.HandleFunc("POST "+prefix+"/init/error", s.initError)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s
}

// Addr is host:port, the value for AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// FirstNext is when the first GET /next arrived (zero before it): the end of the function's
// initialisation.
func (s *Server) FirstNext() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstNext
}

// WaitFirstNext waits for the first GET /next and returns its time. It fails when ctx ends first
// or the function reported an initialisation error.
func (s *Server) WaitFirstNext(ctx context.Context) (time.Time, error) {
	select {
	case <-s.nextCh:
		return s.FirstNext(), nil
	case <-s.initCh:
		return time.Time{}, fmt.Errorf("%w: %v", ErrInitFailed, s.InitError())
	case <-ctx.Done():
		return time.Time{}, fmt.Errorf("lambdart: waiting for the first /next: %w", context.Cause(ctx))
	}
}

// Nexts is how many GET /next requests arrived.
func (s *Server) Nexts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nexts
}

// InitError is the error the function posted to /runtime/init/error, or nil.
func (s *Server) InitError() *FunctionError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initErr
}

// Close stops the server; waiting /next requests and Invoke calls end.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closed)
		_ = s.srv.Close()
	})
}

// Invoke delivers payload to the function with a deadline that far from now and waits for its
// answer. A function error is a Result with Error set, not an error; Invoke fails when ctx ends,
// the deadline passes without an answer (ErrTimedOut), the function failed to initialise
// (ErrInitFailed) or the server is closed.
func (s *Server) Invoke(ctx context.Context, payload []byte, deadline time.Duration) (Result, error) {
	return s.InvokeWith(ctx, Invocation{Payload: payload, Deadline: deadline})
}

// InvokeWith is Invoke with every header under the caller's control.
func (s *Server) InvokeWith(ctx context.Context, inv Invocation) (Result, error) {
	n := s.seq.Add(1)
	if inv.Deadline <= 0 {
		inv.Deadline = 3 * time.Second
	}
	if inv.RequestID == "" {
		inv.RequestID = fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
	if inv.FunctionARN == "" {
		inv.FunctionARN = DefaultFunctionARN
	}
	if inv.TraceID == "" {
		inv.TraceID = fmt.Sprintf("Root=1-%08x-%024d;Parent=%016x;Sampled=0", time.Now().Unix(), n, n)
	}
	p := &pending{inv: inv, deadline: time.Now().Add(inv.Deadline), done: make(chan Result, 1)}
	s.mu.Lock()
	if s.initErr != nil {
		s.mu.Unlock()
		return Result{}, fmt.Errorf("%w: %v", ErrInitFailed, s.initErr)
	}
	if _, dup := s.inflight[inv.RequestID]; dup {
		s.mu.Unlock()
		return Result{}, fmt.Errorf("lambdart: request ID %q already in flight", inv.RequestID)
	}
	s.inflight[inv.RequestID] = p
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.inflight, inv.RequestID)
		s.mu.Unlock()
	}()

	timer := time.NewTimer(time.Until(p.deadline))
	defer timer.Stop()
	fail := func(err error) (Result, error) {
		return Result{RequestID: inv.RequestID}, fmt.Errorf("invocation %s: %w", inv.RequestID, err)
	}
	// Queue the event until a /next takes it.
	select {
	case s.queue <- p:
	case <-ctx.Done():
		return fail(context.Cause(ctx))
	case <-timer.C:
		return fail(fmt.Errorf("%w after %v: no runtime asked for the event", ErrTimedOut, inv.Deadline))
	case <-s.initCh:
		return fail(fmt.Errorf("%w: %v", ErrInitFailed, s.InitError()))
	case <-s.closed:
		return fail(ErrClosed)
	}
	select {
	case r := <-p.done:
		return r, nil
	case <-ctx.Done():
		return fail(context.Cause(ctx))
	case <-timer.C:
		return fail(fmt.Errorf("%w after %v", ErrTimedOut, inv.Deadline))
	case <-s.closed:
		return fail(ErrClosed)
	}
}

func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.nexts++
	if s.firstNext.IsZero() {
		s.firstNext = time.Now()
		close(s.nextCh)
	}
	s.mu.Unlock()

	var p *pending
	select {
	case p = <-s.queue:
	case <-r.Context().Done():
		return
	case <-s.closed:
		http.Error(w, "server closed", http.StatusServiceUnavailable)
		return
	}
	s.mu.Lock()
	p.started = time.Now()
	s.mu.Unlock()
	h := w.Header()
	h.Set(HeaderRequestID, p.inv.RequestID)
	h.Set(HeaderDeadlineMs, strconv.FormatInt(p.deadline.UnixMilli(), 10))
	h.Set(HeaderFunctionARN, p.inv.FunctionARN)
	h.Set(HeaderTraceID, p.inv.TraceID)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p.inv.Payload)
}

// take removes the in-flight invocation id, answering the request itself when there is none.
func (s *Server) take(w http.ResponseWriter, id string) *pending {
	s.mu.Lock()
	p, ok := s.inflight[id]
	if ok && !p.started.IsZero() {
		delete(s.inflight, id)
	}
	s.mu.Unlock()
	if !ok || p.started.IsZero() {
		writeError(w, http.StatusBadRequest, "InvalidRequestID", fmt.Sprintf("no invocation %q in progress", id))
		return nil
	}
	return p
}

func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	if len(body) > MaxResponseBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			fmt.Sprintf("response payload larger than %d bytes", MaxResponseBytes))
		return
	}
	p := s.take(w, r.PathValue("id"))
	if p == nil {
		return
	}
	p.done <- Result{RequestID: p.inv.RequestID, Response: body, ContentType: r.Header.Get("Content-Type"),
		Duration: time.Since(p.started)}
	accepted(w)
}

func (s *Server) invocationError(w http.ResponseWriter, r *http.Request) {
	fe, ok := readError(w, r)
	if !ok {
		return
	}
	p := s.take(w, r.PathValue("id"))
	if p == nil {
		return
	}
	p.done <- Result{RequestID: p.inv.RequestID, Error: fe, Duration: time.Since(p.started)}
	accepted(w)
}

func (s *Server) initError(w http.ResponseWriter, r *http.Request) {
	fe, ok := readError(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	if s.initErr != nil {
		s.mu.Unlock()
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "init error already reported")
		return
	}
	s.initErr = fe
	close(s.initCh)
	s.mu.Unlock()
	accepted(w)
}

func readError(w http.ResponseWriter, r *http.Request) (*FunctionError, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return nil, false
	}
	fe := &FunctionError{}
	if json.Unmarshal(body, fe) != nil {
		fe = &FunctionError{Message: string(body)}
	}
	fe.Body = body
	fe.HeaderType = r.Header.Get(HeaderErrorType)
	if fe.Type == "" {
		fe.Type = fe.HeaderType
	}
	return fe, true
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func writeError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	b, _ := json.Marshal(map[string]string{"errorType": typ, "errorMessage": msg})
	_, _ = w.Write(b)
}

// String describes r for test logs.
func (r Result) String() string {
	if r.Error != nil {
		return fmt.Sprintf("%s: error %s (%v)", r.RequestID, r.Error, r.Duration)
	}
	return fmt.Sprintf("%s: %d bytes %s (%v)", r.RequestID, len(r.Response),
		strings.TrimSpace(string(r.Response[:min(len(r.Response), 80)])), r.Duration)
}
