package registrytest

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/converters/registryconv"
	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/golden"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// NewConverter returns the converter newConv (a converter's New) makes over reg with the
// configuration def (its DefaultConfig) gives, changed by mod (nil: unchanged); an error fails t.
func NewConverter[C, R, V any](t testing.TB, def func() C, newConv func(C, R) (V, error), reg R, mod func(*C)) V {
	t.Helper()
	cfg := def()
	if mod != nil {
		mod(&cfg)
	}
	c, err := newConv(cfg, reg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// MustToConnect returns c's conversion of frame on topic; an error fails t.
func MustToConnect(t testing.TB, c converters.Converter, topic string, frame []byte) (*record.Schema, any) {
	t.Helper()
	s, v, err := c.ToConnect(topic, nil, frame)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// EqualData compares Connect data as record.EqualData does: structs by their values (not their
// schemas), arrays and maps element by element, decimals and times by value.
func EqualData(a, b any) bool {
	return record.EqualData(a, b)
}

// Dump returns s as Connect's JSON converter writes schemas, for failure messages.
func Dump(s *record.Schema) string {
	c, _ := jsonconv.New(jsonconv.DefaultConfig())
	b, _ := c.SchemaJSON(s)
	return string(b)
}

// Golden compares got with the golden file at path, rewriting the file first with go test
// -update (the flag golden.Check defines), and stops the test when they differ.
func Golden(t *testing.T, path, got string) {
	t.Helper()
	if want := golden.Check(t, path, []byte(got)); string(want) != got {
		t.FailNow()
	}
}

// ErrorCase is a frame ToConnect refuses while the registry fails with Fail (nil: it answers):
// an error of Class whose message contains Msg.
type ErrorCase struct {
	Name  string
	Frame []byte
	Fail  error
	Class errclass.Class
	Msg   string
}

// FrameErrorCases returns the ToConnect failures every registry converter shares, payload being
// what follows the 5-byte header in a frame of schema 1: a short frame, a bad magic byte, an
// unknown schema id (9), and the registry failing (an outage, unclassified errors, HTTP 404 and
// 500) while schema 1 is fetched.
func FrameErrorCases(payload []byte) []ErrorCase {
	frame := func(magic, id byte) []byte { return append([]byte{magic, 0, 0, 0, id}, payload...) }
	outage := errclass.Retry("schema registry", "GET /schemas/ids/1: 503 Service Unavailable")
	return []ErrorCase{
		{"short frame", []byte{0, 0, 1}, nil, errclass.BadRecord, "too short for the 5-byte"},
		{"bad magic", frame(1, 1), nil, errclass.BadRecord, "magic byte 0x01"},
		{"unknown id", frame(0, 9), nil, errclass.BadRecord, "schema id 9"},
		{"registry outage", frame(0, 1), outage, errclass.Retriable, "503"},
		{"unclassified registry error", frame(0, 1), errors.New("connection refused"), errclass.Retriable, "connection refused"},
		{"registry 404 unclassified", frame(0, 1), &schemaregistry.APIError{Method: "GET", Path: "/schemas/ids/1", Status: 404, Code: 40403, Msg: "Schema 1 not found"}, errclass.BadRecord, "HTTP 404"},
		{"registry 500 unclassified", frame(0, 1), &schemaregistry.APIError{Method: "GET", Path: "/schemas/ids/1", Status: 500, Code: 50001}, errclass.Retriable, "HTTP 500"},
	}
}

// RunToConnectErrors runs each case as a subtest: the converter newConv makes over a registry
// failing with the case's Fail must refuse its frame on topic "orders" with an error of its
// Class, containing its Msg and naming the topic.
func RunToConnectErrors(t *testing.T, cases []ErrorCase, newConv func(t *testing.T, fail error) converters.Converter) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			_, _, err := newConv(t, tc.Fail).ToConnect("orders", nil, tc.Frame)
			if err == nil {
				t.Fatal("no error")
			}
			if errclass.Of(err) != tc.Class || !strings.Contains(err.Error(), tc.Msg) || !strings.HasPrefix(err.Error(), "orders: ") {
				t.Fatalf("got %v (%v), want %v containing %q naming the topic", err, errclass.Of(err), tc.Class, tc.Msg)
			}
		})
	}
}

// Bad is a record FromConnect refuses as a bad record.
type Bad struct {
	Schema *record.Schema
	Value  any
}

// RunFromConnectErrors checks c, a converter over reg: FromConnect while reg fails is a
// Retriable error; a value that does not fit its schema, a schemaless value and each of bad are
// BadRecord errors; a nil value (a tombstone) gives nil, as a nil frame gives ToConnect a nil
// schema and value.
func RunFromConnectErrors(t *testing.T, c converters.Converter, reg *Mem, bad ...Bad) {
	t.Helper()
	s := StructOf("R", record.Field{Name: "n", Schema: record.Int64Schema})
	reg.Fail = errclass.Retry("schema registry", "503")
	if _, err := c.FromConnect("t", nil, s, &record.StructValue{Schema: s, Values: []any{int64(1)}}); !errclass.Is(err, errclass.Retriable) {
		t.Fatalf("outage: %v", err)
	}
	reg.Fail = nil
	bad = append([]Bad{{s, &record.StructValue{Schema: s, Values: []any{"x"}}}, {nil, map[string]any{"a": 1}}}, bad...)
	for _, b := range bad {
		if _, err := c.FromConnect("t", nil, b.Schema, b.Value); !errclass.Is(err, errclass.BadRecord) {
			t.Errorf("FromConnect(%v, %#v): %v", b.Schema, b.Value, err)
		}
	}
	if b, err := c.FromConnect("t", nil, s, nil); b != nil || err != nil {
		t.Fatalf("tombstone: %v %v", b, err)
	}
	if s, v, err := c.ToConnect("t", nil, nil); s != nil || v != nil || err != nil {
		t.Fatalf("tombstone: %v %v %v", s, v, err)
	}
}

// ConfigCase is one case of a converter's ConfigFromProps: Props give the converter's default
// Config changed by Want (nil: unchanged), its Registry holding the props' schema.registry.url
// and basic.auth.user.info; or, with Err set, a BadConfig error containing Err.
type ConfigCase[C any] struct {
	Props map[string]string
	Want  func(*C)
	Err   string
}

// SharedConfigCases returns the ConfigFromProps cases every registry converter shares: the
// defaults, a missing schema.registry.url, an unknown setting and a negative schemas.cache.size.
func SharedConfigCases[C any]() []ConfigCase[C] {
	return []ConfigCase[C]{
		{Props: map[string]string{"schema.registry.url": "http://r:8081"}},
		{Props: nil, Err: "schema.registry.url: required"},
		{Props: map[string]string{"schema.registry.url": "http://r", "schemas.enable": "true"}, Err: "schemas.enable: unknown"},
		{Props: map[string]string{"schema.registry.url": "http://r", "schemas.cache.size": "-1"}, Err: "schemas.cache.size: must not be negative"},
	}
}

// RunConfigFromProps checks parse, a converter's ConfigFromProps, on cases; def is the
// converter's DefaultConfig and settings returns the registryconv.Settings a Config embeds.
func RunConfigFromProps[C any](t *testing.T, parse func(map[string]string) (C, error), def func() C, settings func(*C) *registryconv.Settings, cases []ConfigCase[C]) {
	t.Helper()
	for _, tc := range cases {
		got, err := parse(tc.Props)
		if tc.Err != "" {
			if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), tc.Err) {
				t.Errorf("%v: got %v, want %q", tc.Props, err, tc.Err)
			}
			continue
		}
		want := def()
		if tc.Want != nil {
			tc.Want(&want)
		}
		reg := map[string]string{"schema.registry.url": tc.Props["schema.registry.url"]}
		if tc.Props["basic.auth.user.info"] != "" {
			reg["basic.auth.user.info"] = tc.Props["basic.auth.user.info"]
		}
		settings(&want).Registry = reg
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%v: got %+v %v, want %+v", tc.Props, got, err, want)
		}
	}
}
