package avroconv_test

import (
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/converters/avroconv"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// TestConvertersNew: key.converter / value.converter accept the AvroConverter by class name and
// short names, with the registry settings going to the registry client.
func TestConvertersNew(t *testing.T) {
	for _, class := range []string{"io.confluent.connect.avro.AvroConverter", "AvroConverter", "avro"} {
		for _, isKey := range []bool{true, false} {
			c, err := converters.New(class, isKey, map[string]string{
				"schema.registry.url": "http://localhost:8081", "basic.auth.user.info": "u:p",
				"auto.register.schemas": "false", "key.subject.name.strategy": "RecordNameStrategy",
			})
			if err != nil {
				t.Fatalf("New(%q): %v", class, err)
			}
			ac, ok := c.(*avroconv.Converter)
			if !ok {
				t.Fatalf("New(%q) = %T", class, c)
			}
			cfg := ac.Config()
			want := avroconv.TopicNameStrategy
			if isKey {
				want = avroconv.RecordNameStrategy
			}
			if cfg.IsKey != isKey || cfg.AutoRegisterSchemas || cfg.Strategy() != want {
				t.Errorf("New(%q, %v) config %+v", class, isKey, cfg)
			}
		}
	}
	tests := []struct {
		props map[string]string
		want  string
	}{
		{nil, "value.converter.schema.registry.url: required"},
		{map[string]string{"schema.registry.url": "http://r", "schemas.enable": "false"}, "value.converter.schemas.enable: unknown AvroConverter setting"},
		{map[string]string{"schema.registry.url": "http://r", "schema.registry.foo": "1"}, "value.converter.schema.registry.foo: unknown schema registry setting"},
		{map[string]string{"schema.registry.url": "http://r", "basic.auth.user.info": "nopassword"}, "value.converter.basic.auth.user.info: must be user:password"},
	}
	for _, tt := range tests {
		_, err := converters.New("avro", false, tt.props)
		if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(avro, %v) = %v, want a BadConfig error %q", tt.props, err, tt.want)
		}
	}
}
