// Package registrylocal runs an in-process schema registry compatible with Confluent's REST API,
// for tests and the sandbox: the endpoints the schemaregistry client uses (schemas by id,
// subjects, versions, registration, lookup, compatibility checks and levels) with Confluent's
// response shapes and error codes, per-subject compatibility levels (Avro schemas checked with
// hamba/avro's schema compatibility; JSON Schema and Protobuf accepted), optional basic or bearer
// authentication, and hooks for tests: failing the next requests with 500, counting requests per
// path.
//
// Start serves HTTP on a free port of 127.0.0.1 (or Options.Addr); ForTest starts one per test
// and stops it at the test's end.
package registrylocal

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
)

// The compatibility levels.
const (
	None               = "NONE"
	Backward           = "BACKWARD"
	BackwardTransitive = "BACKWARD_TRANSITIVE"
	Forward            = "FORWARD"
	ForwardTransitive  = "FORWARD_TRANSITIVE"
	Full               = "FULL"
	FullTransitive     = "FULL_TRANSITIVE"
)

var levels = map[string]bool{None: true, Backward: true, BackwardTransitive: true, Forward: true,
	ForwardTransitive: true, Full: true, FullTransitive: true}

// Options configure a registry.
type Options struct {
	// Addr is the address to listen on (127.0.0.1:0, a free port, when empty).
	Addr string
	// BasicAuth (user:password) or BearerToken, when set, is required of every request.
	BasicAuth   string
	BearerToken string
	// Compatibility is the global compatibility level (BACKWARD, Confluent's default, when empty).
	Compatibility string
	// Logger receives a debug line per request; nil discards.
	Logger *slog.Logger
}

// Registry is a running registry. Its methods are safe for concurrent use.
type Registry struct {
	url  string
	srv  *http.Server
	ln   net.Listener
	opts Options
	log  *slog.Logger
	done chan error

	mu       sync.Mutex
	global   string
	compat   map[string]string // subject -> level
	schemas  []stored          // by id-1
	byKey    map[string]int    // canonical key -> id
	subjects map[string][]version
	failNext int
	requests map[string]int // path -> count
}

type stored struct {
	schema schemaregistry.Schema // ID, Type, Schema, References
	key    string
}

type version struct {
	version int
	id      int
}

// Start starts a registry.
func Start(opts Options) (*Registry, error) {
	if opts.Compatibility == "" {
		opts.Compatibility = Backward
	}
	opts.Compatibility = strings.ToUpper(opts.Compatibility)
	if !levels[opts.Compatibility] {
		return nil, fmt.Errorf("registrylocal: unknown compatibility level %q", opts.Compatibility)
	}
	if opts.BasicAuth != "" && !strings.Contains(opts.BasicAuth, ":") {
		return nil, errors.New("registrylocal: BasicAuth must be user:password")
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("registrylocal: listen on %s: %w", addr, err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Registry{
		url:      "http://" + ln.Addr().String(),
		ln:       ln,
		opts:     opts,
		log:      log,
		done:     make(chan error, 1),
		global:   opts.Compatibility,
		compat:   map[string]string{},
		byKey:    map[string]int{},
		subjects: map[string][]version{},
		requests: map[string]int{},
	}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { r.done <- r.srv.Serve(ln) }()
	return r, nil
}

// ForTest starts a registry for t, stopped when t ends.
func ForTest(t testing.TB) *Registry { return ForTestWith(t, Options{}) }

// ForTestWith starts a registry with opts for t, stopped when t ends.
func ForTestWith(t testing.TB, opts Options) *Registry {
	t.Helper()
	r, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// URL returns the registry's base URL (http://127.0.0.1:port).
func (r *Registry) URL() string { return r.url }

// Close stops the registry.
func (r *Registry) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := r.srv.Shutdown(ctx)
	if serveErr := <-r.done; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	r.done <- http.ErrServerClosed // Close may be called again
	return err
}

// FailNext makes the next n requests fail with 500 (error code 50001).
func (r *Registry) FailNext(n int) {
	r.mu.Lock()
	r.failNext = n
	r.mu.Unlock()
}

// Requests returns how many requests were made for path ("/schemas/ids/1"), any method, failed
// ones included.
func (r *Registry) Requests(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[path]
}

// TotalRequests returns how many requests were made.
func (r *Registry) TotalRequests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.requests {
		n += c
	}
	return n
}

// SetCompatibility sets the level of subject, or the global one when subject is empty.
func (r *Registry) SetCompatibility(subject, level string) error {
	level = strings.ToUpper(level)
	if !levels[level] {
		return fmt.Errorf("registrylocal: unknown compatibility level %q", level)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if subject == "" {
		r.global = level
	} else {
		r.compat[subject] = level
	}
	return nil
}

// Register registers s under subject, as POST /subjects/{subject}/versions does, and returns its
// id.
func (r *Registry) Register(subject string, s schemaregistry.Schema) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, apiErr := r.registerLocked(subject, s)
	if apiErr != nil {
		return 0, apiErr
	}
	return id, nil
}

// apiError is an error response.
type apiError struct {
	status int
	Code   int    `json:"error_code"`
	Msg    string `json:"message"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("HTTP %d, error code %d: %s", e.status, e.Code, e.Msg)
}

func errf(status, code int, format string, args ...any) *apiError {
	return &apiError{status: status, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// ServeHTTP serves the registry's API.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	path := req.URL.EscapedPath()
	r.mu.Lock()
	r.requests[req.URL.Path]++
	fail := r.failNext > 0
	if fail {
		r.failNext--
	}
	r.mu.Unlock()
	r.log.Debug("schema registry request", "method", req.Method, "path", path)
	if fail {
		writeErr(w, errf(500, schemaregistry.CodeBackendStore, "Error in the backend data store"))
		return
	}
	if !r.authorized(req) {
		w.Header().Set("WWW-Authenticate", `Basic realm="SchemaRegistry"`)
		writeErr(w, errf(401, 401, "Unauthorized"))
		return
	}
	out, apiErr := r.route(req, path)
	if apiErr != nil {
		writeErr(w, apiErr)
		return
	}
	w.Header().Set("Content-Type", schemaregistry.ContentType)
	_ = json.NewEncoder(w).Encode(out)
}

func (r *Registry) authorized(req *http.Request) bool {
	switch {
	case r.opts.BasicAuth != "":
		u, p, ok := req.BasicAuth()
		return ok && subtle.ConstantTimeCompare([]byte(u+":"+p), []byte(r.opts.BasicAuth)) == 1
	case r.opts.BearerToken != "":
		return subtle.ConstantTimeCompare([]byte(req.Header.Get("Authorization")), []byte("Bearer "+r.opts.BearerToken)) == 1
	}
	return true
}

func writeErr(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", schemaregistry.ContentType)
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(e)
}

// route dispatches a request on its escaped path's segments.
func (r *Registry) route(req *http.Request, path string) (any, *apiError) {
	var segs []string
	for _, s := range strings.Split(strings.Trim(path, "/"), "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, errf(404, 404, "HTTP 404 Not Found")
		}
		segs = append(segs, u)
	}
	m := req.Method
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case len(segs) == 1 && segs[0] == "" && m == http.MethodGet:
		return struct{}{}, nil
	case len(segs) == 3 && segs[0] == "schemas" && segs[1] == "ids" && m == http.MethodGet:
		return r.schemaByID(segs[2])
	case len(segs) == 1 && segs[0] == "subjects" && m == http.MethodGet:
		subjects := make([]string, 0, len(r.subjects))
		for s := range r.subjects {
			subjects = append(subjects, s)
		}
		sort.Strings(subjects)
		return subjects, nil
	case len(segs) == 2 && segs[0] == "subjects" && m == http.MethodPost:
		s, e := decodeSchema(req)
		if e != nil {
			return nil, e
		}
		return r.lookup(segs[1], s)
	case len(segs) == 3 && segs[0] == "subjects" && segs[2] == "versions" && m == http.MethodGet:
		vs, ok := r.subjects[segs[1]]
		if !ok {
			return nil, subjectNotFound(segs[1])
		}
		out := make([]int, len(vs))
		for i, v := range vs {
			out[i] = v.version
		}
		return out, nil
	case len(segs) == 3 && segs[0] == "subjects" && segs[2] == "versions" && m == http.MethodPost:
		s, e := decodeSchema(req)
		if e != nil {
			return nil, e
		}
		id, e := r.registerLocked(segs[1], s)
		if e != nil {
			return nil, e
		}
		return map[string]int{"id": id}, nil
	case len(segs) == 4 && segs[0] == "subjects" && segs[2] == "versions" && m == http.MethodGet:
		v, e := r.version(segs[1], segs[3])
		if e != nil {
			return nil, e
		}
		return r.versionBody(segs[1], v), nil
	case len(segs) == 5 && segs[0] == "compatibility" && segs[1] == "subjects" && segs[3] == "versions" && m == http.MethodPost:
		s, e := decodeSchema(req)
		if e != nil {
			return nil, e
		}
		v, e := r.version(segs[2], segs[4])
		if e != nil {
			return nil, e
		}
		if err := r.compatible(r.levelLocked(segs[2]), s, []stored{r.schemas[v.id-1]}); err != nil {
			if req.URL.Query().Get("verbose") == "true" {
				return map[string]any{"is_compatible": false, "messages": []string{err.Error()}}, nil
			}
			return map[string]bool{"is_compatible": false}, nil
		}
		return map[string]bool{"is_compatible": true}, nil
	case len(segs) == 1 && segs[0] == "config" && m == http.MethodGet:
		return map[string]string{"compatibilityLevel": r.global}, nil
	case len(segs) == 2 && segs[0] == "config" && m == http.MethodGet:
		if l, ok := r.compat[segs[1]]; ok {
			return map[string]string{"compatibilityLevel": l}, nil
		}
		if req.URL.Query().Get("defaultToGlobal") == "true" {
			return map[string]string{"compatibilityLevel": r.global}, nil
		}
		return nil, errf(404, schemaregistry.CodeSubjectLevelCompatNotSet, "Subject '%s' does not have subject-level compatibility configured", segs[1])
	case (len(segs) == 1 || len(segs) == 2) && segs[0] == "config" && m == http.MethodPut:
		var body struct {
			Compatibility string `json:"compatibility"`
		}
		if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
			return nil, errf(400, 400, "Unrecognized request body: %v", err)
		}
		level := strings.ToUpper(body.Compatibility)
		if !levels[level] {
			return nil, errf(422, schemaregistry.CodeInvalidCompatibility, "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")
		}
		if len(segs) == 1 {
			r.global = level
		} else {
			r.compat[segs[1]] = level
		}
		return map[string]string{"compatibility": level}, nil
	}
	return nil, errf(404, 404, "HTTP 404 Not Found")
}

func subjectNotFound(s string) *apiError {
	return errf(404, schemaregistry.CodeSubjectNotFound, "Subject '%s' not found.", s)
}

func (r *Registry) schemaByID(raw string) (any, *apiError) {
	id, err := strconv.Atoi(raw)
	if err != nil || id < 1 || id > len(r.schemas) {
		return nil, errf(404, schemaregistry.CodeSchemaNotFound, "Schema %s not found", raw)
	}
	s := r.schemas[id-1].schema
	out := struct {
		Schema     string                     `json:"schema"`
		Type       string                     `json:"schemaType,omitempty"`
		References []schemaregistry.Reference `json:"references,omitempty"`
	}{Schema: s.Schema, References: s.References}
	if s.Type != schemaregistry.Avro {
		out.Type = s.Type
	}
	return out, nil
}

func (r *Registry) version(subject, raw string) (version, *apiError) {
	vs, ok := r.subjects[subject]
	if !ok {
		return version{}, subjectNotFound(subject)
	}
	if raw == "latest" || raw == "-1" {
		return vs[len(vs)-1], nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return version{}, errf(422, schemaregistry.CodeInvalidVersion, "The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", raw)
	}
	for _, v := range vs {
		if v.version == n {
			return v, nil
		}
	}
	return version{}, errf(404, schemaregistry.CodeVersionNotFound, "Version %d not found.", n)
}

func (r *Registry) versionBody(subject string, v version) any {
	s := r.schemas[v.id-1].schema
	out := struct {
		Subject    string                     `json:"subject"`
		Version    int                        `json:"version"`
		ID         int                        `json:"id"`
		Type       string                     `json:"schemaType,omitempty"`
		References []schemaregistry.Reference `json:"references,omitempty"`
		Schema     string                     `json:"schema"`
	}{Subject: subject, Version: v.version, ID: v.id, Schema: s.Schema, References: s.References}
	if s.Type != schemaregistry.Avro {
		out.Type = s.Type
	}
	return out
}

func (r *Registry) lookup(subject string, s schemaregistry.Schema) (any, *apiError) {
	vs, ok := r.subjects[subject]
	if !ok {
		return nil, subjectNotFound(subject)
	}
	key, e := r.canonical(s)
	if e != nil {
		return nil, e
	}
	for _, v := range vs {
		if r.schemas[v.id-1].key == key {
			return r.versionBody(subject, v), nil
		}
	}
	return nil, errf(404, schemaregistry.CodeSchemaNotFound, "Schema not found")
}

func decodeSchema(req *http.Request) (schemaregistry.Schema, *apiError) {
	var s schemaregistry.Schema
	if err := json.NewDecoder(req.Body).Decode(&s); err != nil {
		return s, errf(400, 400, "Unrecognized request body: %v", err)
	}
	if s.Type == "" {
		s.Type = schemaregistry.Avro
	}
	s.Type = strings.ToUpper(s.Type)
	switch s.Type {
	case schemaregistry.Avro, schemaregistry.JSONSchema, schemaregistry.Protobuf:
	default:
		return s, errf(422, schemaregistry.CodeInvalidSchema, "Invalid schema type %s", s.Type)
	}
	return s, nil
}

// canonical returns the identity of a schema: its type, references and canonical text (the
// compacted JSON, keys sorted, of an Avro or JSON schema; the trimmed text of a Protobuf
// schema). An unparsable schema is 422 42201.
func (r *Registry) canonical(s schemaregistry.Schema) (string, *apiError) {
	refs, _ := json.Marshal(s.References)
	text := s.Schema
	switch s.Type {
	case schemaregistry.Avro:
		if _, err := r.parseAvro(s); err != nil {
			return "", errf(422, schemaregistry.CodeInvalidSchema, "Invalid schema %s, details: %v", s.Schema, err)
		}
		// Not the Parsing Canonical Form: it drops defaults, which matter to compatibility.
		var v any
		if json.Unmarshal([]byte(s.Schema), &v) == nil {
			b, _ := json.Marshal(v)
			text = string(b)
		}
	case schemaregistry.JSONSchema:
		var v any
		if err := json.Unmarshal([]byte(s.Schema), &v); err != nil {
			return "", errf(422, schemaregistry.CodeInvalidSchema, "Invalid schema %s, details: %v", s.Schema, err)
		}
		b, _ := json.Marshal(v)
		text = string(b)
	default:
		text = strings.TrimSpace(text)
	}
	return s.Type + "\x00" + string(refs) + "\x00" + text, nil
}

// parseAvro parses an Avro schema, its references' named types first.
func (r *Registry) parseAvro(s schemaregistry.Schema) (avro.Schema, error) {
	cache := &avro.SchemaCache{}
	for _, ref := range s.References {
		vs, ok := r.subjects[ref.Subject]
		if !ok {
			return nil, fmt.Errorf("reference %s: subject %s not found", ref.Name, ref.Subject)
		}
		var found *stored
		for _, v := range vs {
			if v.version == ref.Version || (ref.Version == -1 && v == vs[len(vs)-1]) {
				found = &r.schemas[v.id-1]
			}
		}
		if found == nil {
			return nil, fmt.Errorf("reference %s: version %d of %s not found", ref.Name, ref.Version, ref.Subject)
		}
		if _, err := avro.ParseWithCache(found.schema.Schema, "", cache); err != nil {
			return nil, fmt.Errorf("reference %s: %w", ref.Name, err)
		}
	}
	return avro.ParseWithCache(s.Schema, "", cache)
}

// registerLocked registers s under subject: an already registered schema returns its id; a new
// one is checked against the subject's level and gets a new version (and the id the same schema
// has under another subject, or a new id).
func (r *Registry) registerLocked(subject string, s schemaregistry.Schema) (int, *apiError) {
	if s.Type == "" {
		s.Type = schemaregistry.Avro
	}
	key, e := r.canonical(s)
	if e != nil {
		return 0, e
	}
	vs := r.subjects[subject]
	for _, v := range vs {
		if r.schemas[v.id-1].key == key {
			return v.id, nil
		}
	}
	level := r.levelLocked(subject)
	var against []stored
	if len(vs) > 0 {
		if strings.HasSuffix(level, "_TRANSITIVE") {
			for _, v := range vs {
				against = append(against, r.schemas[v.id-1])
			}
		} else {
			against = []stored{r.schemas[vs[len(vs)-1].id-1]}
		}
	}
	if err := r.compatible(level, s, against); err != nil {
		return 0, errf(409, 409, "Schema being registered is incompatible with an earlier schema for subject \"%s\", details: %v", subject, err)
	}
	id, ok := r.byKey[key]
	if !ok {
		s.ID = len(r.schemas) + 1
		r.schemas = append(r.schemas, stored{schema: schemaregistry.Schema{ID: s.ID, Type: s.Type, Schema: s.Schema, References: s.References}, key: key})
		id = s.ID
		r.byKey[key] = id
	}
	next := 1
	if len(vs) > 0 {
		next = vs[len(vs)-1].version + 1
	}
	r.subjects[subject] = append(vs, version{version: next, id: id})
	return id, nil
}

func (r *Registry) levelLocked(subject string) string {
	if l, ok := r.compat[subject]; ok {
		return l
	}
	return r.global
}

// compatible checks s against the earlier schemas under level. Only Avro is checked.
func (r *Registry) compatible(level string, s schemaregistry.Schema, earlier []stored) error {
	if level == None || len(earlier) == 0 || s.Type != schemaregistry.Avro {
		return nil
	}
	news, err := r.parseAvro(s)
	if err != nil {
		return err
	}
	sc := avro.NewSchemaCompatibility()
	base := strings.TrimSuffix(level, "_TRANSITIVE")
	for _, old := range earlier {
		if old.schema.Type != schemaregistry.Avro {
			return fmt.Errorf("the earlier schema %d is %s, not AVRO", old.schema.ID, old.schema.Type)
		}
		olds, err := r.parseAvro(old.schema)
		if err != nil {
			return err
		}
		if base == Backward || base == Full {
			if err := sc.Compatible(news, olds); err != nil {
				return fmt.Errorf("the new schema cannot read data written with schema %d: %w", old.schema.ID, err)
			}
		}
		if base == Forward || base == Full {
			if err := sc.Compatible(olds, news); err != nil {
				return fmt.Errorf("schema %d cannot read data written with the new schema: %w", old.schema.ID, err)
			}
		}
	}
	return nil
}
