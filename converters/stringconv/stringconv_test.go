package stringconv

import (
	"bytes"
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func newConv(t testing.TB) *Converter {
	t.Helper()
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestToConnect(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want any
	}{
		{"nil is null", nil, nil},
		{"empty", []byte{}, ""},
		{"ascii", []byte("foo-bar-baz"), "foo-bar-baz"},
		{"utf8", []byte("grüße 日本 🎉"), "grüße 日本 🎉"},
		{"json text stays text", []byte(`{"a":1}`), `{"a":1}`},
		{"invalid byte", []byte("a\xffb"), "a\uFFFDb"},
		{"truncated 3-byte sequence is one replacement", []byte("\xe2\x82"), "\uFFFD"},
		{"truncated sequence before ascii", []byte("\xe2\x82A"), "\uFFFDA"},
		{"truncated 4-byte sequence", []byte("x\xf0\x9f\x98"), "x\uFFFD"},
		{"encoded surrogate is three replacements", []byte("\xed\xa0\x80"), "\uFFFD\uFFFD\uFFFD"},
		{"overlong", []byte("\xc0\xaf"), "\uFFFD\uFFFD"},
	}
	c := newConv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, v, err := c.ToConnect("t", nil, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if s != record.OptionalString {
				t.Errorf("schema = %+v, want OptionalString", s)
			}
			if v != tt.want {
				t.Errorf("value = %#v, want %#v", v, tt.want)
			}
		})
	}
}

func TestFromConnect(t *testing.T) {
	st := &record.Schema{Type: record.Struct, Fields: []record.Field{
		{Name: "id", Index: 0, Schema: record.Int64Schema},
		{Name: "name", Index: 1, Schema: record.OptionalString},
	}}
	tests := []struct {
		name   string
		schema *record.Schema
		in     any
		want   []byte
	}{
		{"nil", nil, nil, nil},
		{"string", record.StringSchema, "héllo", []byte("héllo")},
		{"empty string", record.StringSchema, "", []byte{}},
		{"bytes as text", record.BytesSchema, []byte("raw"), []byte("raw")},
		{"raw json as text", nil, record.RawJSON(`{"a":1}`), []byte(`{"a":1}`)},
		{"int32", record.Int32Schema, int32(12), []byte("12")},
		{"int64", nil, int64(-4398046511104), []byte("-4398046511104")},
		{"double uses Java's toString", record.Float64Schema, 1.0, []byte("1.0")},
		{"large double", nil, 1e21, []byte("1.0E21")},
		{"float", record.Float32Schema, float32(12.34), []byte("12.34")},
		{"boolean", record.BooleanSchema, true, []byte("true")},
		{"decimal", nil, record.Decimal{Unscaled: big.NewInt(156), Scale: 2}, []byte("1.56")},
		{"timestamp", nil, time.UnixMilli(0).UTC(), []byte("Thu Jan 01 00:00:00 UTC 1970")},
		{"list", nil, []any{int64(1), "2", nil}, []byte("[1, 2, null]")},
		{"struct", st, &record.StructValue{Schema: st, Values: []any{int64(7), nil}}, []byte("Struct{id=7}")},
		{"invalid utf8 string is repaired", nil, "a\xffb", []byte("a\uFFFDb")},
	}
	c := newConv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.FromConnect("t", nil, tt.schema, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tt.want == nil) || !bytes.Equal(got, tt.want) {
				t.Errorf("FromConnect = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		props   map[string]string
		wantErr string // substring; "" for success
	}{
		{"none", nil, ""},
		{"UTF-8", map[string]string{"converter.encoding": "UTF-8"}, ""},
		{"utf8 lower case", map[string]string{"converter.encoding": "utf8"}, ""},
		{"latin1", map[string]string{"converter.encoding": "ISO-8859-1"}, `converter.encoding: encoding "ISO-8859-1" is not supported`},
		{"unknown", map[string]string{"schemas.enable": "false"}, "schemas.enable: unknown StringConverter setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ConfigFromProps(tt.props)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := New(cfg); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if !errclass.Is(err, errclass.BadConfig) {
				t.Errorf("class = %v, want bad_config", errclass.Of(err))
			}
		})
	}
	if _, err := New(Config{Encoding: "UTF-16"}); !errclass.Is(err, errclass.BadConfig) {
		t.Errorf("New(UTF-16) err = %v, want bad_config", err)
	}
}

func FuzzToConnect(f *testing.F) {
	f.Add([]byte("hello"))
	c := newConv(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, v, err := c.ToConnect("t", nil, data)
		if err != nil {
			t.Fatal(err)
		}
		s := v.(string)
		if !utf8.ValidString(s) {
			t.Fatalf("ToConnect(%q) = %q: not valid UTF-8", data, s)
		}
		if utf8.Valid(data) && s != string(data) {
			t.Fatalf("ToConnect(%q) = %q: valid input changed", data, s)
		}
		if !utf8.Valid(data) && !strings.ContainsRune(s, utf8.RuneError) {
			t.Fatalf("ToConnect(%q) = %q: invalid input without a replacement", data, s)
		}
		out, err := c.FromConnect("t", nil, record.OptionalString, s)
		if err != nil || string(out) != s {
			t.Fatalf("FromConnect(%q) = %q, %v", s, out, err)
		}
	})
}
