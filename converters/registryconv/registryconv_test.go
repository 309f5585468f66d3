package registryconv

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/converters/subjectname"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

func TestParseSettings(t *testing.T) {
	url := map[string]string{"schema.registry.url": "http://r"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{"schema.registry.url": "http://r"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		props map[string]string
		check func(Settings, bool) string
		err   string // substring of a BadConfig error
	}{
		{"defaults", url, func(s Settings, own bool) string {
			if !s.AutoRegisterSchemas || s.UseLatestVersion || s.SchemasCacheSize != DefaultCacheSize || s.ValueSubjectNameStrategy != subjectname.TopicNameStrategy || own {
				return fmt.Sprintf("%+v own=%v", s, own)
			}
			return ""
		}, ""},
		{"all", with("auto.register.schemas", " FALSE ", "use.latest.version", "true", "key.subject.name.strategy", "RecordNameStrategy",
			"value.subject.name.strategy", subjectname.Package+"TopicRecordNameStrategy", "schemas.cache.size", "7", "own.flag", "true",
			"basic.auth.user.info", "u:p"), func(s Settings, own bool) string {
			if s.AutoRegisterSchemas || !s.UseLatestVersion || s.SchemasCacheSize != 7 || !own ||
				s.KeySubjectNameStrategy != subjectname.RecordNameStrategy || s.ValueSubjectNameStrategy != subjectname.TopicRecordNameStrategy ||
				s.Registry["basic.auth.user.info"] != "u:p" || s.Registry["schema.registry.url"] != "http://r" {
				return fmt.Sprintf("%+v own=%v", s, own)
			}
			return ""
		}, ""},
		{"no url", map[string]string{}, nil, "schema.registry.url: required by the TestConverter"},
		{"bad bool", with("auto.register.schemas", "yes"), nil, "auto.register.schemas"},
		{"bad own bool", with("own.flag", "1"), nil, "own.flag"},
		{"bad strategy", with("value.subject.name.strategy", "Nope"), nil, "unknown subject name strategy \"Nope\""},
		{"bad size", with("schemas.cache.size", "x"), nil, "must be an integer"},
		{"negative size", with("schemas.cache.size", "-1"), nil, "must not be negative"},
		{"unknown", with("colour", "red"), nil, "unknown TestConverter setting (known: auto.register.schemas, key.subject.name.strategy, own.flag, schemas.cache.size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var own bool
			s, err := ParseSettings("TestConverter", tc.props, map[string]*bool{"own.flag": &own})
			if tc.err != "" {
				if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want a BadConfig error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tc.check(s, own); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want errclass.Class
	}{
		{errors.New("connection refused"), errclass.Retriable},
		{fmt.Errorf("x: %w", schemaregistry.ErrNotFound), errclass.BadRecord},
		{schemaregistry.ErrIncompatible, errclass.BadRecord},
		{schemaregistry.ErrInvalidSchema, errclass.BadRecord},
		{errclass.Config("basic.auth.user.info", "401"), errclass.BadConfig},
	} {
		err := Error("orders", tc.err, "schema id %d", 3)
		if errclass.Of(err) != tc.want || !strings.Contains(err.Error(), "schema id 3: ") || !errors.Is(err, tc.err) {
			t.Errorf("Error(%v) = %v (%v), want %v", tc.err, err, errclass.Of(err), tc.want)
		}
	}
}

// fakeRegistry answers every call with id 5 (SchemaByID with schema), or err.
type fakeRegistry struct {
	calls  []string
	schema schemaregistry.Schema
	err    error
}

func (f *fakeRegistry) SchemaByID(context.Context, int) (schemaregistry.Schema, error) {
	return f.schema, f.err
}

func (f *fakeRegistry) Register(_ context.Context, subject string, _ schemaregistry.Schema) (int, error) {
	f.calls = append(f.calls, "Register "+subject)
	return 5, f.err
}

func (f *fakeRegistry) Lookup(_ context.Context, subject string, s schemaregistry.Schema) (schemaregistry.Schema, error) {
	f.calls = append(f.calls, "Lookup "+subject)
	s.ID = 5
	return s, f.err
}

func (f *fakeRegistry) Latest(_ context.Context, subject string) (schemaregistry.Schema, error) {
	f.calls = append(f.calls, "Latest "+subject)
	return schemaregistry.Schema{ID: 5, Version: 2}, f.err
}

func TestSchemaID(t *testing.T) {
	for _, tc := range []struct {
		auto, latest bool
		call         string
	}{
		{true, false, "Register s"}, {true, true, "Register s"}, {false, true, "Latest s"}, {false, false, "Lookup s"},
	} {
		f := &fakeRegistry{}
		got, err := SchemaID(context.Background(), f, "orders", "s", schemaregistry.Schema{Schema: "{}"}, tc.auto, tc.latest)
		if err != nil || got.ID != 5 || len(f.calls) != 1 || f.calls[0] != tc.call {
			t.Errorf("auto=%v latest=%v: %+v %v after %v, want one %s", tc.auto, tc.latest, got, err, f.calls, tc.call)
		}
		f.err = schemaregistry.ErrNotFound
		if _, err := SchemaID(context.Background(), f, "orders", "s", schemaregistry.Schema{}, tc.auto, tc.latest); !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), `subject "s"`) {
			t.Errorf("auto=%v latest=%v: %v", tc.auto, tc.latest, err)
		}
	}
}

func TestCache(t *testing.T) {
	c := NewCache[int, string](2)
	var fetches atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.Get(1, func() (string, error) { fetches.Add(1); <-release; return "one", nil }, nil)
			if v != "one" || err != nil {
				t.Errorf("got %q, %v", v, err)
			}
		}()
	}
	for c.Len() == 0 {
		runtime.Gosched() // wait for the first caller to start its fetch
	}
	close(release)
	wg.Wait()
	if n := fetches.Load(); n != 1 {
		t.Fatalf("%d fetches of one key, want 1", n)
	}

	// A kept failure is answered from the cache; a forgotten one fetches again.
	bad := errclass.Record("t", "unknown id")
	for _, tc := range []struct {
		err     error
		fetches int32
	}{{bad, 1}, {errors.New("outage"), 2}} {
		var n atomic.Int32
		for range 2 {
			if _, err := c.Get(2, func() (string, error) { n.Add(1); return "", tc.err }, KeepBadRecord); !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
		}
		if n.Load() != tc.fetches {
			t.Errorf("%v: %d fetches, want %d", tc.err, n.Load(), tc.fetches)
		}
		c = NewCache[int, string](2)
	}

	// A full cache is emptied.
	for k := range 3 {
		c.Get(k, func() (string, error) { return "v", nil }, nil)
	}
	if c.Len() != 1 {
		t.Errorf("len %d after 3 keys in a cache of 2, want 1", c.Len())
	}
}

func TestCachePeek(t *testing.T) {
	c := NewCache[string, int](10)
	if _, ok := c.Peek("a"); ok {
		t.Fatal("Peek of an absent key is ok")
	}
	bad := errclass.Record("t", "unknown id")
	release := make(chan struct{})
	started := make(chan struct{})
	go c.Get("slow", func() (int, error) { close(started); <-release; return 1, nil }, nil)
	<-started
	if _, ok := c.Peek("slow"); ok {
		t.Error("Peek of a fetch in flight is ok")
	}
	close(release)
	if v, _ := c.Get("slow", nil, nil); v != 1 {
		t.Fatalf("Get(slow) = %d", v)
	}
	if v, ok := c.Peek("slow"); !ok || v != 1 {
		t.Errorf("Peek(slow) = %d, %v; want 1, true", v, ok)
	}
	c.Get("bad", func() (int, error) { return 0, bad }, KeepBadRecord)
	if _, ok := c.Peek("bad"); ok {
		t.Error("Peek of a kept failure is ok")
	}
}

func TestConverterPlumbing(t *testing.T) {
	ctx := context.Background()
	bad := DefaultSettings()
	bad.SchemasCacheSize = -1
	if err := CheckNew(bad, &fakeRegistry{}); !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), "schemas.cache.size") {
		t.Errorf("CheckNew(invalid): %v", err)
	}
	if err := CheckNew(DefaultSettings(), nil); !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), "schema.registry.url") {
		t.Errorf("CheckNew(no registry): %v", err)
	}
	if err := CheckNew(DefaultSettings(), &fakeRegistry{}); err != nil {
		t.Errorf("CheckNew: %v", err)
	}

	s := DefaultSettings()
	if err := ParseInto(&s, "TestConverter", map[string]string{"schema.registry.url": "http://r", "use.latest.version": "x"}, nil); err == nil || !s.AutoRegisterSchemas {
		t.Errorf("ParseInto(bad) = %v, settings %+v", err, s)
	}
	if err := ParseInto(&s, "TestConverter", map[string]string{"schema.registry.url": "http://r", "use.latest.version": "true"}, nil); err != nil || !s.UseLatestVersion {
		t.Errorf("ParseInto = %v, settings %+v", err, s)
	}

	f := &fakeRegistry{schema: schemaregistry.Schema{ID: 3, Schema: "{}"}}
	if got, err := FetchSchema(ctx, f, "orders", 3, schemaregistry.JSONSchema, "JSON Schema"); err != nil || got.Schema != "{}" {
		t.Errorf("FetchSchema(untyped) = %+v, %v", got, err)
	}
	f.schema.Type = schemaregistry.Avro
	if _, err := FetchSchema(ctx, f, "orders", 3, schemaregistry.JSONSchema, "JSON Schema"); !errclass.Is(err, errclass.BadRecord) || err.Error() != "orders: schema id 3 is a AVRO schema, not JSON Schema" {
		t.Errorf("FetchSchema(Avro) = %v", err)
	}
	f.err = schemaregistry.ErrNotFound
	if _, err := FetchSchema(ctx, f, "orders", 3, schemaregistry.JSONSchema, "JSON Schema"); !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "schema id 3: ") {
		t.Errorf("FetchSchema(unknown) = %v", err)
	}

	if got, err := Subject(DefaultSettings(), "orders", true, "R"); err != nil || got != "orders-key" {
		t.Errorf("Subject = %q, %v", got, err)
	}
	s.ValueSubjectNameStrategy = subjectname.RecordNameStrategy
	if _, err := Subject(s, "orders", false, ""); !errclass.Is(err, errclass.BadRecord) || !strings.HasPrefix(err.Error(), "orders: ") {
		t.Errorf("Subject(no name) = %v", err)
	}
}
