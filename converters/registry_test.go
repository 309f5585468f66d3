package converters_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/converters/bytesconv"
	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/converters/stringconv"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/registrylocal"
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
		{"unknown class", "com.example.MyConverter", false, nil,
			`value.converter: unknown converter class "com.example.MyConverter"`},
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
	if len(canonical) != 6 {
		t.Fatalf("canonical = %v", canonical)
	}
	for _, c := range canonical {
		if spellings[c] != c {
			t.Errorf("canonical %s maps to %q", c, spellings[c])
		}
	}
	for spelling, c := range spellings {
		var props map[string]string
		switch c {
		case converters.AvroConverterClass, converters.JsonSchemaConverterClass, converters.ProtobufConverterClass: // need their registry
			props = map[string]string{"schema.registry.url": "http://localhost:8081"}
		}
		if _, err := converters.New(spelling, false, props); err != nil {
			t.Errorf("New(%q): %v", spelling, err)
		}
		if !contains(canonical, c) {
			t.Errorf("%s maps to %s, which is not canonical", spelling, c)
		}
	}
	if len(spellings) != 18 {
		t.Errorf("%d spellings, want 18 (3 per converter)", len(spellings))
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

func TestRegistryRegister(t *testing.T) {
	f := func(bool, map[string]string) (converters.Converter, error) {
		return stringconv.New(stringconv.Config{})
	}
	tests := []struct {
		name    string
		class   string
		aliases []string
		f       converters.Factory
		wantErr string
	}{
		{"new class", "com.example.X", []string{"X", "x"}, f, ""},
		{"empty class", " ", nil, f, "needs a class name"},
		{"nil factory", "com.example.Y", nil, nil, "needs a class name and a factory"},
		{"class taken", converters.JsonConverterClass, nil, f, "already names " + converters.JsonConverterClass},
		{"alias taken", "com.example.Z", []string{"avro"}, f, `name "avro" already names ` + converters.AvroConverterClass},
		{"empty alias", "com.example.W", []string{""}, f, "empty alias"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := converters.Builtins()
			before, _ := r.Classes()
			err := r.Register(tt.class, tt.aliases, tt.f)
			after, spellings := r.Classes()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Register = %v, want %q", err, tt.wantErr)
				}
				if len(after) != len(before) {
					t.Fatalf("a failed Register changed the classes: %v", after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if after[len(after)-1] != tt.class || spellings["x"] != tt.class || !r.Has(" X ") {
				t.Fatalf("classes %v, spellings %v", after, spellings)
			}
			if c, err := r.New("x", true, nil); err != nil || c == nil {
				t.Fatalf("New(x) = %v, %v", c, err)
			}
		})
	}
}

func TestRegistryIsolated(t *testing.T) {
	r := converters.Builtins()
	f := func(bool, map[string]string) (converters.Converter, error) {
		return nil, errclass.Config("flavour", "bad")
	}
	if err := r.Register("com.example.Bad", nil, f); err != nil {
		t.Fatal(err)
	}
	// The builtins used by converters.New are not changed by a registry built from Builtins.
	if _, err := converters.New("com.example.Bad", false, nil); err == nil || !strings.Contains(err.Error(), "unknown converter class") {
		t.Fatalf("converters.New sees a class registered elsewhere: %v", err)
	}
	_, err := r.New("com.example.Bad", true, nil)
	if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), "key.converter.flavour") {
		t.Fatalf("factory error = %v, want BadConfig naming key.converter.flavour", err)
	}
	nilF := func(bool, map[string]string) (converters.Converter, error) { return nil, nil }
	if err := r.Register("com.example.Nil", nil, nilF); err != nil {
		t.Fatal(err)
	}
	if _, err := r.New("com.example.Nil", false, nil); !errclass.Is(err, errclass.BadConfig) {
		t.Fatalf("a factory returning nothing = %v, want BadConfig", err)
	}
	want, _ := converters.Classes()
	got, _ := converters.NewRegistry().Classes()
	if len(got) != 0 || len(want) < 4 {
		t.Fatalf("NewRegistry classes %v, builtins %v", got, want)
	}
}

// TestSchemaRegistryConverters builds the JSON Schema and Protobuf converters by class name over
// the in-process registry: the registry client comes from the same settings, keys and values
// use their own subjects, and setting errors name the full setting.
func TestSchemaRegistryConverters(t *testing.T) {
	reg := registrylocal.ForTest(t)
	s := &record.Schema{Type: record.Struct, Name: "com.example.Order", Fields: []record.Field{{Name: "id", Schema: record.Int64Schema}}}
	v := &record.StructValue{Schema: s, Values: []any{int64(7)}}
	for _, tt := range []struct {
		class, want string
	}{
		{"io.confluent.connect.json.JsonSchemaConverter", "*jsonschemaconv.Converter"},
		{"jsonschema", "*jsonschemaconv.Converter"},
		{"ProtobufConverter", "*protobufconv.Converter"},
		{"protobuf", "*protobufconv.Converter"},
	} {
		for _, isKey := range []bool{true, false} {
			c, err := converters.New(tt.class, isKey, map[string]string{"schema.registry.url": reg.URL(), "auto.register.schemas": "true"})
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", c); got != tt.want {
				t.Fatalf("New(%q) = %s, want %s", tt.class, got, tt.want)
			}
			b, err := c.FromConnect("orders-"+tt.class, nil, s, v)
			if err != nil {
				t.Fatal(err)
			}
			_, got, err := c.ToConnect("orders-"+tt.class, nil, b)
			if err != nil {
				t.Fatal(err)
			}
			if id, _ := got.(*record.StructValue).Get("id"); id != int64(7) {
				t.Fatalf("%s read back %v", tt.class, got)
			}
			subject := "orders-" + tt.class + "-value"
			if isKey {
				subject = "orders-" + tt.class + "-key"
			}
			if reg.Requests("/subjects/"+subject+"/versions") != 1 {
				t.Fatalf("%s isKey=%v: subject %s not registered once", tt.class, isKey, subject)
			}
		}
	}
	for _, tt := range []struct {
		class string
		props map[string]string
		want  string
	}{
		{"jsonschema", nil, "value.converter.schema.registry.url: required"},
		{"protobuf", map[string]string{"schema.registry.url": reg.URL(), "schemas.enable": "false"}, "value.converter.schemas.enable: unknown ProtobufConverter setting"},
		{"jsonschema", map[string]string{"schema.registry.url": reg.URL(), "basic.auth.credentials.source": "SASL"}, "value.converter.basic.auth.credentials.source"},
	} {
		_, err := converters.New(tt.class, false, tt.props)
		if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%s, %v) = %v, want BadConfig %q", tt.class, tt.props, err, tt.want)
		}
	}
}
