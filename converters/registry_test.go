package converters_test

import (
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/converters/bytesconv"
	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/converters/stringconv"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func TestNewClasses(t *testing.T) {
	tests := []struct {
		class string
		want  string // Go type
	}{
		{"org.apache.kafka.connect.storage.StringConverter", "string"},
		{"StringConverter", "string"},
		{"string", "string"},
		{" org.apache.kafka.connect.storage.StringConverter ", "string"},
		{"org.apache.kafka.connect.converters.ByteArrayConverter", "bytes"},
		{"ByteArrayConverter", "bytes"},
		{"bytes", "bytes"},
		{"org.apache.kafka.connect.json.JsonConverter", "json"},
		{"JsonConverter", "json"},
		{"json", "json"},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			for _, isKey := range []bool{true, false} {
				c, err := converters.New(tt.class, isKey, nil)
				if err != nil {
					t.Fatal(err)
				}
				var got string
				switch c.(type) {
				case *stringconv.Converter:
					got = "string"
				case *bytesconv.Converter:
					got = "bytes"
				case *jsonconv.Converter:
					got = "json"
				}
				if got != tt.want {
					t.Errorf("New(%q) = %T, want the %s converter", tt.class, c, tt.want)
				}
			}
		})
	}
}

func TestNewProps(t *testing.T) {
	c, err := converters.New("json", false, map[string]string{"schemas.enable": "false", "decimal.format": "NUMERIC"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg := c.(*jsonconv.Converter).Config(); cfg.SchemasEnable || cfg.DecimalFormat != jsonconv.DecimalNumeric || !cfg.ReplaceNullWithDefault {
		t.Errorf("config = %+v", cfg)
	}
	_, v, err := c.ToConnect("t", nil, []byte(`{"a":1}`))
	if err != nil || string(v.(record.RawJSON)) != `{"a":1}` {
		t.Errorf("schemaless ToConnect = %v, %v", v, err)
	}
	if _, err := converters.New("StringConverter", true, map[string]string{"converter.encoding": "UTF8"}); err != nil {
		t.Error(err)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name  string
		class string
		isKey bool
		props map[string]string
		want  string
	}{
		{"unknown class", "io.confluent.connect.avro.AvroConverter", false, nil,
			`value.converter: unknown converter class "io.confluent.connect.avro.AvroConverter"`},
		{"case matters", "jsonconverter", true, nil, `key.converter: unknown converter class "jsonconverter"`},
		{"empty class", "", true, nil, "key.converter: no converter class set"},
		{"unknown json setting", "json", false, map[string]string{"schema.enable": "false"},
			"value.converter.schema.enable: unknown JsonConverter setting"},
		{"invalid json setting", "JsonConverter", true, map[string]string{"schemas.enable": "nope"},
			`key.converter.schemas.enable: must be true or false, got "nope"`},
		{"string encoding", "string", true, map[string]string{"converter.encoding": "UTF-16"},
			`key.converter.converter.encoding: encoding "UTF-16" is not supported`},
		{"bytes has no settings", "bytes", false, map[string]string{"schemas.enable": "false"},
			"value.converter.schemas.enable: unknown ByteArrayConverter setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := converters.New(tt.class, tt.isKey, tt.props)
			if err == nil {
				t.Fatalf("New = %T, want error %q", c, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
			if !errclass.Is(err, errclass.BadConfig) {
				t.Errorf("class = %v, want bad_config", errclass.Of(err))
			}
		})
	}
}

func TestClasses(t *testing.T) {
	canonical, spellings := converters.Classes()
	if len(canonical) != 3 {
		t.Fatalf("canonical = %v", canonical)
	}
	for _, c := range canonical {
		if spellings[c] != c {
			t.Errorf("canonical %s maps to %q", c, spellings[c])
		}
	}
	for spelling, c := range spellings {
		if _, err := converters.New(spelling, false, nil); err != nil {
			t.Errorf("New(%q): %v", spelling, err)
		}
		if !contains(canonical, c) {
			t.Errorf("%s maps to %s, which is not canonical", spelling, c)
		}
	}
	if len(spellings) != 9 {
		t.Errorf("%d spellings, want 9 (3 per converter)", len(spellings))
	}
	spellings["x"] = "y" // a copy: must not leak into the registry
	if _, err := converters.New("x", false, nil); err == nil {
		t.Error("Classes returned the registry's own map")
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
