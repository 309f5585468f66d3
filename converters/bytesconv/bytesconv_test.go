package bytesconv

import (
	"bytes"
	"strings"
	"testing"

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
	c := newConv(t)
	for _, in := range [][]byte{nil, {}, []byte("\x00\xff binary"), []byte(`{"a":1}`)} {
		s, v, err := c.ToConnect("t", nil, in)
		if err != nil {
			t.Fatal(err)
		}
		if s != record.OptionalBytes {
			t.Errorf("schema = %+v, want OptionalBytes", s)
		}
		if in == nil {
			if v != nil {
				t.Errorf("ToConnect(nil) = %#v, want untyped nil", v)
			}
			continue
		}
		if got, ok := v.([]byte); !ok || !bytes.Equal(got, in) || got == nil {
			t.Errorf("ToConnect(%q) = %#v", in, v)
		}
	}
}

func TestFromConnect(t *testing.T) {
	tests := []struct {
		name    string
		schema  *record.Schema
		in      any
		want    []byte
		wantErr string
	}{
		{"nil", nil, nil, nil, ""},
		{"bytes", record.BytesSchema, []byte("abc"), []byte("abc"), ""},
		{"optional bytes", record.OptionalBytes, []byte{}, []byte{}, ""},
		{"schemaless bytes", nil, []byte{0, 1}, []byte{0, 1}, ""},
		{"raw json", nil, record.RawJSON(`[1]`), []byte(`[1]`), ""},
		{"string schema", record.StringSchema, "abc", nil, "invalid schema type for ByteArrayConverter: string"},
		{"string value", nil, "abc", nil, "not compatible with values of type string"},
		{"int value", nil, int32(1), nil, "not compatible with values of type int32"},
	}
	c := newConv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.FromConnect("t", nil, tt.schema, tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if !errclass.Is(err, errclass.BadRecord) {
					t.Errorf("class = %v, want bad_record", errclass.Of(err))
				}
				return
			}
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
	if _, err := ConfigFromProps(nil); err != nil {
		t.Fatal(err)
	}
	_, err := ConfigFromProps(map[string]string{"schemas.enable": "false"})
	if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), "schemas.enable") {
		t.Fatalf("err = %v, want a bad_config error naming schemas.enable", err)
	}
}

func FuzzToConnect(f *testing.F) {
	c := newConv(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, v, err := c.ToConnect("t", nil, data)
		if err != nil || s != record.OptionalBytes {
			t.Fatalf("ToConnect(%q) = %v, %v", data, s, err)
		}
		out, err := c.FromConnect("t", nil, s, v)
		if err != nil || !bytes.Equal(out, data) || (out == nil) != (data == nil) {
			t.Fatalf("round trip of %q gave %q, %v", data, out, err)
		}
	})
}
