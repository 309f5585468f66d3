package schemaregistry_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/infra/registrylocal"
)

const (
	orderV1 = `{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"}]}`
	// orderV2 adds a field with a default: backward compatible with v1.
	orderV2 = `{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"note","type":"string","default":""}]}`
	// orderBad adds a field without a default: not backward compatible.
	orderBad = `{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"qty","type":"int"}]}`
)

func newClient(t *testing.T, cfg schemaregistry.Config) *schemaregistry.Client {
	t.Helper()
	c, err := schemaregistry.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientAgainstLocalRegistry(t *testing.T) {
	ctx := context.Background()
	reg := registrylocal.ForTest(t)
	c := newClient(t, schemaregistry.Config{URL: reg.URL()})

	id1, err := c.Register(ctx, "orders-value", schemaregistry.Schema{Schema: orderV1})
	if err != nil {
		t.Fatal(err)
	}
	id2, err := c.Register(ctx, "orders-value", schemaregistry.Schema{Schema: orderV2})
	if err != nil {
		t.Fatal(err)
	}
	if id1 != 1 || id2 != 2 {
		t.Fatalf("ids = %d, %d; want 1, 2", id1, id2)
	}
	// The same schema under another subject keeps its id.
	if id, err := c.Register(ctx, "other-value", schemaregistry.Schema{Schema: orderV1}); err != nil || id != id1 {
		t.Fatalf("Register under another subject = %d, %v; want %d", id, err, id1)
	}
	fresh := newClient(t, schemaregistry.Config{URL: reg.URL()})
	s, err := fresh.SchemaByID(ctx, id2)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != id2 || s.Type != schemaregistry.Avro || s.Schema != orderV2 {
		t.Fatalf("SchemaByID = %+v", s)
	}
	got, err := fresh.Lookup(ctx, "orders-value", schemaregistry.Schema{Schema: orderV1})
	if err != nil || got.ID != id1 || got.Version != 1 || got.Subject != "orders-value" {
		t.Fatalf("Lookup = %+v, %v", got, err)
	}
	latest, err := fresh.Latest(ctx, "orders-value")
	if err != nil || latest.ID != id2 || latest.Version != 2 || latest.Schema != orderV2 {
		t.Fatalf("Latest = %+v, %v", latest, err)
	}
	v1, err := fresh.Version(ctx, "orders-value", 1)
	if err != nil || v1.ID != id1 {
		t.Fatalf("Version 1 = %+v, %v", v1, err)
	}
	vs, err := fresh.Versions(ctx, "orders-value")
	if err != nil || len(vs) != 2 || vs[0] != 1 || vs[1] != 2 {
		t.Fatalf("Versions = %v, %v", vs, err)
	}
	subjects, err := fresh.Subjects(ctx)
	if err != nil || strings.Join(subjects, ",") != "orders-value,other-value" {
		t.Fatalf("Subjects = %v, %v", subjects, err)
	}

	// Compatibility: BACKWARD by default; the bad schema is incompatible and refused.
	if level, err := fresh.Compatibility(ctx, ""); err != nil || level != "BACKWARD" {
		t.Fatalf("global Compatibility = %q, %v", level, err)
	}
	ok, err := fresh.CheckCompatibility(ctx, "orders-value", "latest", schemaregistry.Schema{Schema: orderBad})
	if err != nil || ok {
		t.Fatalf("CheckCompatibility(bad) = %v, %v; want false", ok, err)
	}
	ok, err = fresh.CheckCompatibility(ctx, "orders-value", "1", schemaregistry.Schema{Schema: orderV2})
	if err != nil || !ok {
		t.Fatalf("CheckCompatibility(v2 vs 1) = %v, %v; want true", ok, err)
	}
	_, err = fresh.Register(ctx, "orders-value", schemaregistry.Schema{Schema: orderBad})
	if !errors.Is(err, schemaregistry.ErrIncompatible) || !errclass.Is(err, errclass.BadRecord) {
		t.Fatalf("Register(incompatible) = %v; want ErrIncompatible, bad record", err)
	}
	if err := fresh.SetCompatibility(ctx, "orders-value", "NONE"); err != nil {
		t.Fatal(err)
	}
	if level, err := fresh.Compatibility(ctx, "orders-value"); err != nil || level != "NONE" {
		t.Fatalf("subject Compatibility = %q, %v", level, err)
	}
	if level, err := fresh.Compatibility(ctx, "other-value"); err != nil || level != "BACKWARD" {
		t.Fatalf("unset subject Compatibility = %q, %v; want the global level", level, err)
	}
	if id, err := fresh.Register(ctx, "orders-value", schemaregistry.Schema{Schema: orderBad}); err != nil || id != 3 {
		t.Fatalf("Register under NONE = %d, %v", id, err)
	}

	// Protobuf and JSON Schema types round-trip.
	proto := schemaregistry.Schema{Type: schemaregistry.Protobuf, Schema: `syntax = "proto3"; message M { int64 id = 1; }`}
	pid, err := fresh.Register(ctx, "m-value", proto)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := newClient(t, schemaregistry.Config{URL: reg.URL()}).SchemaByID(ctx, pid); err != nil || s.Type != schemaregistry.Protobuf || s.Schema != proto.Schema {
		t.Fatalf("protobuf SchemaByID = %+v, %v", s, err)
	}
}

func TestSchemaFetchedOncePerID(t *testing.T) {
	ctx := context.Background()
	reg := registrylocal.ForTest(t)
	id, err := reg.Register("t-value", schemaregistry.Schema{Schema: orderV1})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, schemaregistry.Config{URL: reg.URL()})
	for range 1000 {
		if _, err := c.SchemaByID(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if n := reg.Requests("/schemas/ids/1"); n != 1 {
		t.Fatalf("1000 SchemaByID calls made %d requests; want 1", n)
	}
	for range 100 {
		if _, err := c.Register(ctx, "t-value", schemaregistry.Schema{Schema: orderV1}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Lookup(ctx, "t-value", schemaregistry.Schema{Schema: orderV1}); err != nil {
			t.Fatal(err)
		}
	}
	if n, m := reg.Requests("/subjects/t-value/versions"), reg.Requests("/subjects/t-value"); n != 1 || m != 1 {
		t.Fatalf("100 Register and Lookup calls made %d and %d requests; want 1 and 1", n, m)
	}
	// A registration primes the id cache: another client's schema needs no fetch.
	c2 := newClient(t, schemaregistry.Config{URL: reg.URL()})
	if _, err := c2.Register(ctx, "t-value", schemaregistry.Schema{Schema: orderV1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.SchemaByID(ctx, id); err != nil {
		t.Fatal(err)
	}
	if n := reg.Requests("/schemas/ids/1"); n != 1 {
		t.Fatalf("SchemaByID after Register fetched the schema (%d requests)", n)
	}
}

func TestConcurrentCallersMakeOneRequest(t *testing.T) {
	var requests atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		<-release
		w.Header().Set("Content-Type", schemaregistry.ContentType)
		io.WriteString(w, `{"schema":"\"string\""}`)
	}))
	defer srv.Close()
	c := newClient(t, schemaregistry.Config{URL: srv.URL})
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			s, err := c.SchemaByID(context.Background(), 42)
			if err == nil && s.Schema != `"string"` {
				err = errors.New("wrong schema " + s.Schema)
			}
			errs <- err
		})
	}
	time.Sleep(100 * time.Millisecond) // let every caller reach the cache
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("50 concurrent callers made %d requests; want 1", n)
	}
}

func TestCacheCapacityEvicts(t *testing.T) {
	ctx := context.Background()
	reg := registrylocal.ForTest(t)
	for _, s := range []string{`"string"`, `"long"`, `"int"`} {
		if _, err := reg.Register("s-"+strings.Trim(s, `"`), schemaregistry.Schema{Schema: s}); err != nil {
			t.Fatal(err)
		}
	}
	c := newClient(t, schemaregistry.Config{URL: reg.URL(), CacheCapacity: 2})
	for _, id := range []int{1, 2, 1, 3, 2, 1} {
		if _, err := c.SchemaByID(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	// 1 (miss), 2 (miss), 1 (hit), 3 (miss, evicts 2), 2 (miss, evicts 1), 1 (miss).
	got := []int{reg.Requests("/schemas/ids/1"), reg.Requests("/schemas/ids/2"), reg.Requests("/schemas/ids/3")}
	if got[0] != 2 || got[1] != 2 || got[2] != 1 {
		t.Fatalf("requests per id = %v; want [2 2 1]", got)
	}
}

// TestRESTShapes checks the requests the client sends and its reading of the responses against
// Confluent's API reference, with a handler that accepts only the documented shapes.
func TestRESTShapes(t *testing.T) {
	ctx := context.Background()
	type exchange struct {
		method, path, query, body string // the expected request ("" body: none)
		status                    int
		response                  string
	}
	tests := []struct {
		name string
		ex   exchange
		call func(c *schemaregistry.Client) (any, error)
		want any
	}{
		{"schema by id", exchange{"GET", "/schemas/ids/1", "", "", 200,
			`{"schema":"{\"type\": \"string\"}"}`},
			func(c *schemaregistry.Client) (any, error) { return c.SchemaByID(ctx, 1) },
			schemaregistry.Schema{ID: 1, Type: "AVRO", Schema: `{"type": "string"}`}},
		{"protobuf schema by id with references", exchange{"GET", "/schemas/ids/7", "", "", 200,
			`{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";","references":[{"name":"a.proto","subject":"a","version":1}]}`},
			func(c *schemaregistry.Client) (any, error) { return c.SchemaByID(ctx, 7) },
			schemaregistry.Schema{ID: 7, Type: "PROTOBUF", Schema: `syntax = "proto3";`, References: []schemaregistry.Reference{{Name: "a.proto", Subject: "a", Version: 1}}}},
		{"register avro omits schemaType", exchange{"POST", "/subjects/test/versions", "", `{"schema":"{\"type\": \"string\"}"}`, 200,
			`{"id":1}`},
			func(c *schemaregistry.Client) (any, error) {
				return c.Register(ctx, "test", schemaregistry.Schema{Schema: `{"type": "string"}`})
			}, 1},
		{"register protobuf with references", exchange{"POST", "/subjects/test/versions", "", `{"schema":"x","schemaType":"PROTOBUF","references":[{"name":"a.proto","subject":"a","version":2}]}`, 200,
			`{"id":9}`},
			func(c *schemaregistry.Client) (any, error) {
				return c.Register(ctx, "test", schemaregistry.Schema{Type: "PROTOBUF", Schema: "x", References: []schemaregistry.Reference{{Name: "a.proto", Subject: "a", Version: 2}}})
			}, 9},
		{"lookup, subject path-escaped", exchange{"POST", "/subjects/a%2Fb", "", `{"schema":"{\"type\": \"string\"}"}`, 200,
			`{"subject":"a/b","id":1,"version":3,"schema":"{\"type\": \"string\"}"}`},
			func(c *schemaregistry.Client) (any, error) {
				return c.Lookup(ctx, "a/b", schemaregistry.Schema{Schema: `{"type": "string"}`})
			},
			schemaregistry.Schema{ID: 1, Subject: "a/b", Version: 3, Type: "AVRO", Schema: `{"type": "string"}`}},
		{"latest", exchange{"GET", "/subjects/test/versions/latest", "", "", 200,
			`{"name":"test","subject":"test","version":1,"id":1,"schema":"{\"type\": \"string\"}"}`},
			func(c *schemaregistry.Client) (any, error) { return c.Latest(ctx, "test") },
			schemaregistry.Schema{ID: 1, Subject: "test", Version: 1, Type: "AVRO", Schema: `{"type": "string"}`}},
		{"versions", exchange{"GET", "/subjects/test/versions", "", "", 200, `[1, 2, 3, 4]`},
			func(c *schemaregistry.Client) (any, error) { return c.Versions(ctx, "test") },
			[]int{1, 2, 3, 4}},
		{"subjects", exchange{"GET", "/subjects", "", "", 200, `["subject1", "subject2"]`},
			func(c *schemaregistry.Client) (any, error) { return c.Subjects(ctx) },
			[]string{"subject1", "subject2"}},
		{"compatibility check", exchange{"POST", "/compatibility/subjects/test/versions/latest", "", `{"schema":"{\"type\": \"string\"}"}`, 200,
			`{"is_compatible": true}`},
			func(c *schemaregistry.Client) (any, error) {
				return c.CheckCompatibility(ctx, "test", "latest", schemaregistry.Schema{Schema: `{"type": "string"}`})
			}, true},
		{"global config", exchange{"GET", "/config", "", "", 200, `{"compatibilityLevel": "FULL"}`},
			func(c *schemaregistry.Client) (any, error) { return c.Compatibility(ctx, "") }, "FULL"},
		{"subject config", exchange{"GET", "/config/test", "defaultToGlobal=true", "", 200, `{"compatibilityLevel": "FORWARD"}`},
			func(c *schemaregistry.Client) (any, error) { return c.Compatibility(ctx, "test") }, "FORWARD"},
		{"subject config, older registry", exchange{"GET", "/config/test", "defaultToGlobal=true", "", 404, `{"error_code":40401,"message":"Subject not found."}`},
			func(c *schemaregistry.Client) (any, error) { return c.Compatibility(ctx, "test") }, "BACKWARD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if tt.ex.status == 404 && r.URL.Path == "/config" { // the fallback to the global level
					io.WriteString(w, `{"compatibilityLevel":"BACKWARD"}`)
					return
				}
				switch {
				case r.Method != tt.ex.method || r.URL.EscapedPath() != tt.ex.path || r.URL.RawQuery != tt.ex.query:
					t.Errorf("request %s %s?%s; want %s %s?%s", r.Method, r.URL.EscapedPath(), r.URL.RawQuery, tt.ex.method, tt.ex.path, tt.ex.query)
				case string(body) != tt.ex.body:
					t.Errorf("body %s; want %s", body, tt.ex.body)
				case tt.ex.body != "" && r.Header.Get("Content-Type") != "application/vnd.schemaregistry.v1+json":
					t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
				case !strings.HasPrefix(r.Header.Get("Accept"), "application/vnd.schemaregistry.v1+json"):
					t.Errorf("Accept %q", r.Header.Get("Accept"))
				}
				w.Header().Set("Content-Type", schemaregistry.ContentType)
				w.WriteHeader(tt.ex.status)
				io.WriteString(w, tt.ex.response)
			}))
			defer srv.Close()
			got, err := tt.call(newClient(t, schemaregistry.Config{URL: srv.URL}))
			if err != nil {
				t.Fatal(err)
			}
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(tt.want)
			if string(gj) != string(wj) {
				t.Fatalf("got %s; want %s", gj, wj)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	respond := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", schemaregistry.ContentType)
			w.WriteHeader(status)
			io.WriteString(w, body)
		}
	}
	refused := func() string { // an address nothing listens on
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}
	byID := func(c *schemaregistry.Client) error { _, err := c.SchemaByID(ctx, 5); return err }
	latest := func(c *schemaregistry.Client) error { _, err := c.Latest(ctx, "orders-value"); return err }
	tests := []struct {
		name     string
		handler  http.HandlerFunc // nil: connection refused
		cfg      schemaregistry.Config
		call     func(*schemaregistry.Client) error
		class    errclass.Class
		is       error
		contains []string
	}{
		{"unknown schema id", respond(404, `{"error_code":40403,"message":"Schema 5 not found"}`), schemaregistry.Config{}, byID,
			errclass.BadRecord, schemaregistry.ErrNotFound, []string{"schema id 5", "40403", "Schema 5 not found"}},
		{"unknown subject", respond(404, `{"error_code":40401,"message":"Subject 'orders-value' not found."}`), schemaregistry.Config{}, latest,
			errclass.BadRecord, schemaregistry.ErrNotFound, []string{"subject orders-value", "40401"}},
		{"unknown version", respond(404, `{"error_code":40402,"message":"Version 9 not found."}`), schemaregistry.Config{},
			func(c *schemaregistry.Client) error { _, err := c.Version(ctx, "s", 9); return err },
			errclass.BadRecord, schemaregistry.ErrNotFound, []string{"40402", "Version 9 not found."}},
		{"invalid schema", respond(422, `{"error_code":42201,"message":"Invalid schema"}`), schemaregistry.Config{},
			func(c *schemaregistry.Client) error {
				_, err := c.Register(ctx, "s", schemaregistry.Schema{Schema: "{"})
				return err
			}, errclass.BadRecord, schemaregistry.ErrInvalidSchema, []string{"42201"}},
		{"401 basic auth", respond(401, `{"error_code":401,"message":"Unauthorized"}`), schemaregistry.Config{BasicAuth: "u:wrong"}, byID,
			errclass.BadConfig, schemaregistry.ErrUnauthorized, []string{"basic.auth.user.info", "Unauthorized"}},
		{"403 bearer", respond(403, `{"error_code":40301,"message":"User is denied operation Read on Subject"}`), schemaregistry.Config{BearerToken: "t"}, byID,
			errclass.BadConfig, schemaregistry.ErrUnauthorized, []string{"bearer.auth.token", "denied"}},
		{"500", respond(500, `{"error_code":50001,"message":"Error in the backend data store"}`), schemaregistry.Config{}, byID,
			errclass.Retriable, nil, []string{"50001", "backend data store"}},
		{"503 not JSON", respond(503, `upstream unavailable`), schemaregistry.Config{}, byID,
			errclass.Retriable, nil, []string{"HTTP 503", "upstream unavailable"}},
		{"429", respond(429, `{"error_code":42901,"message":"Rate limit exceeded"}`), schemaregistry.Config{}, byID,
			errclass.Retriable, nil, []string{"Rate limit"}},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		}, schemaregistry.Config{Timeout: 50 * time.Millisecond}, byID, errclass.Retriable, nil, []string{"schema id 5"}},
		{"connection refused", nil, schemaregistry.Config{}, byID, errclass.Retriable, nil, []string{"schema id 5", "refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			if tt.handler == nil {
				cfg.URL = refused()
			} else {
				srv := httptest.NewServer(tt.handler)
				defer srv.Close()
				cfg.URL = srv.URL
			}
			err := tt.call(newClient(t, cfg))
			if err == nil {
				t.Fatal("no error")
			}
			if c := errclass.Of(err); c != tt.class {
				t.Errorf("class %v; want %v (%v)", c, tt.class, err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestErrorsAreNotCached(t *testing.T) {
	ctx := context.Background()
	reg := registrylocal.ForTest(t)
	if _, err := reg.Register("x", schemaregistry.Schema{Schema: `"string"`}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, schemaregistry.Config{URL: reg.URL()})
	reg.FailNext(1)
	if _, err := c.SchemaByID(ctx, 1); !errclass.Is(err, errclass.Retriable) {
		t.Fatalf("during the outage: %v; want a retriable error", err)
	}
	if _, err := c.SchemaByID(ctx, 1); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
}

func TestAuth(t *testing.T) {
	ctx := context.Background()
	basic := registrylocal.ForTestWith(t, registrylocal.Options{BasicAuth: "alice:s3cret"})
	bearer := registrylocal.ForTestWith(t, registrylocal.Options{BearerToken: "tok"})
	hostport := strings.TrimPrefix(basic.URL(), "http://")
	tests := []struct {
		name    string
		props   map[string]string
		wantErr string // the setting named, "" for success
	}{
		{"user info", map[string]string{"schema.registry.url": basic.URL(), "basic.auth.credentials.source": "USER_INFO", "basic.auth.user.info": "alice:s3cret"}, ""},
		{"wrong password", map[string]string{"schema.registry.url": basic.URL(), "basic.auth.credentials.source": "USER_INFO", "basic.auth.user.info": "alice:nope"}, "basic.auth.user.info"},
		{"no credentials", map[string]string{"schema.registry.url": basic.URL()}, "basic.auth.user.info"},
		{"URL source", map[string]string{"schema.registry.url": "http://alice:s3cret@" + hostport, "basic.auth.credentials.source": "URL"}, ""},
		{"bearer", map[string]string{"schema.registry.url": bearer.URL(), "bearer.auth.credentials.source": "STATIC_TOKEN", "bearer.auth.token": "tok"}, ""},
		{"wrong bearer", map[string]string{"schema.registry.url": bearer.URL(), "bearer.auth.credentials.source": "STATIC_TOKEN", "bearer.auth.token": "bad"}, "bearer.auth.token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := schemaregistry.ConfigFromProps(tt.props)
			if err != nil {
				t.Fatal(err)
			}
			_, err = newClient(t, cfg).Subjects(ctx)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *errclass.Error
			if !errors.As(err, &e) || e.Class != errclass.BadConfig || e.Subject != tt.wantErr {
				t.Fatalf("error %v; want a bad-config error naming %s", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "nope") {
				t.Fatalf("error %q shows a password", err)
			}
		})
	}
}

func TestFailoverToNextURL(t *testing.T) {
	reg := registrylocal.ForTest(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	c := newClient(t, schemaregistry.Config{URL: dead + ", " + reg.URL()})
	for range 3 {
		if _, err := c.Subjects(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := reg.Requests("/subjects"); n != 3 {
		t.Fatalf("%d requests reached the live registry; want 3", n)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `["a"]`)
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg, err := schemaregistry.ConfigFromProps(map[string]string{"schema.registry.url": srv.URL, "schema.registry.ssl.truststore.location": ca, "schema.registry.ssl.truststore.type": "PEM"})
	if err != nil {
		t.Fatal(err)
	}
	if ss, err := newClient(t, cfg).Subjects(ctx); err != nil || len(ss) != 1 {
		t.Fatalf("with the CA: %v, %v", ss, err)
	}
	// The test server's certificate names 127.0.0.1 and example.com: with another host name the
	// chain is good but the name is not, unless host name verification is off.
	other := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	cfg.URL = other
	if _, err := newClient(t, cfg).Subjects(ctx); err == nil {
		t.Fatal("a certificate for another host name was accepted")
	}
	cfg.TLS.SkipHostnameVerification = true
	if _, err := newClient(t, cfg).Subjects(ctx); err != nil {
		t.Fatalf("without host name verification: %v", err)
	}
	if _, err := newClient(t, schemaregistry.Config{URL: srv.URL}).Subjects(ctx); err == nil {
		t.Fatal("an unknown CA was accepted")
	}
}

func TestConfigFromProps(t *testing.T) {
	dir := t.TempDir()
	pemFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(pemFile, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		props   map[string]string
		want    schemaregistry.Config
		wantErr string // the setting an error names
	}{
		{"url only, other settings ignored", map[string]string{"schema.registry.url": "http://r:8081", "auto.register.schemas": "false"},
			schemaregistry.Config{URL: "http://r:8081"}, ""},
		{"list of urls", map[string]string{"schema.registry.url": "http://a:8081,http://b:8081"},
			schemaregistry.Config{URL: "http://a:8081,http://b:8081"}, ""},
		{"user info", map[string]string{"schema.registry.url": "https://r", "basic.auth.credentials.source": "USER_INFO", "basic.auth.user.info": "u:p"},
			schemaregistry.Config{URL: "https://r", BasicAuth: "u:p"}, ""},
		{"legacy user info name", map[string]string{"schema.registry.url": "https://r", "schema.registry.basic.auth.user.info": "u:p"},
			schemaregistry.Config{URL: "https://r", BasicAuth: "u:p"}, ""},
		{"bearer", map[string]string{"schema.registry.url": "https://r", "bearer.auth.credentials.source": "STATIC_TOKEN", "bearer.auth.token": "t"},
			schemaregistry.Config{URL: "https://r", BearerToken: "t"}, ""},
		{"tls, timeout, cache", map[string]string{"schema.registry.url": "https://r", "schema.registry.ssl.truststore.location": pemFile, "schema.registry.ssl.keystore.location": pemFile,
			"schema.registry.ssl.endpoint.identification.algorithm": "", "schema.registry.request.timeout.ms": "1500", "schema.registry.cache.capacity": "10"},
			schemaregistry.Config{URL: "https://r", TLS: schemaregistry.TLS{CAFile: pemFile, CertFile: pemFile, SkipHostnameVerification: true}, Timeout: 1500 * time.Millisecond, CacheCapacity: 10}, ""},
		{"missing url", map[string]string{}, schemaregistry.Config{}, "schema.registry.url"},
		{"not a url", map[string]string{"schema.registry.url": "r:8081"}, schemaregistry.Config{}, "schema.registry.url"},
		{"user info without colon", map[string]string{"schema.registry.url": "http://r", "basic.auth.user.info": "u"}, schemaregistry.Config{}, "basic.auth.user.info"},
		{"USER_INFO without user info", map[string]string{"schema.registry.url": "http://r", "basic.auth.credentials.source": "USER_INFO"}, schemaregistry.Config{}, "basic.auth.user.info"},
		{"SASL_INHERIT", map[string]string{"schema.registry.url": "http://r", "basic.auth.credentials.source": "SASL_INHERIT"}, schemaregistry.Config{}, "basic.auth.credentials.source"},
		{"URL source without user info", map[string]string{"schema.registry.url": "http://r", "basic.auth.credentials.source": "URL"}, schemaregistry.Config{}, "schema.registry.url"},
		{"bearer source without token", map[string]string{"schema.registry.url": "http://r", "bearer.auth.credentials.source": "STATIC_TOKEN"}, schemaregistry.Config{}, "bearer.auth.token"},
		{"both auths", map[string]string{"schema.registry.url": "http://r", "basic.auth.user.info": "u:p", "bearer.auth.token": "t"}, schemaregistry.Config{}, "bearer.auth.token"},
		{"JKS truststore", map[string]string{"schema.registry.url": "http://r", "schema.registry.ssl.truststore.type": "JKS"}, schemaregistry.Config{}, "schema.registry.ssl.truststore.type"},
		{"missing truststore", map[string]string{"schema.registry.url": "http://r", "schema.registry.ssl.truststore.location": filepath.Join(dir, "nope.pem")}, schemaregistry.Config{}, "schema.registry.ssl.truststore.location"},
		{"bad timeout", map[string]string{"schema.registry.url": "http://r", "schema.registry.request.timeout.ms": "soon"}, schemaregistry.Config{}, "schema.registry.request.timeout.ms"},
		{"unknown registry setting", map[string]string{"schema.registry.url": "http://r", "schema.registry.colour": "red"}, schemaregistry.Config{}, "schema.registry.colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schemaregistry.ConfigFromProps(tt.props)
			if tt.wantErr != "" {
				var e *errclass.Error
				if !errors.As(err, &e) || e.Class != errclass.BadConfig || e.Subject != tt.wantErr {
					t.Fatalf("error %v; want a bad-config error naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestConfigStringHidesSecrets(t *testing.T) {
	c := schemaregistry.Config{URL: "http://u:pw1@a:8081, http://u:pw2@b:8081", BasicAuth: "u:pw3"}
	s := c.String()
	if strings.Contains(s, "pw") || !strings.Contains(s, "a:8081") || !strings.Contains(s, "b:8081") || !strings.Contains(s, "basic") {
		t.Fatalf("String() = %q", s)
	}
}
