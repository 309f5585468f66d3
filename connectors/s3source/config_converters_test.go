package s3source_test

import (
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/converters/stringconv"
)

func TestConfigFromConverters(t *testing.T) {
	custom := converters.Builtins()
	var gotKey []bool
	if err := custom.Register("com.example.Custom", []string{"custom"}, func(isKey bool, _ map[string]string) (converters.Converter, error) {
		gotKey = append(gotKey, isKey)
		return stringconv.New(stringconv.Config{})
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    []s3source.Option
		wantErr string
	}{
		{"builtins", nil, `value.converter: unknown converter class "custom"`},
		{"nil registry is the builtins", []s3source.Option{s3source.WithConverters(nil)}, `unknown converter class "custom"`},
		{"registry option", []s3source.Option{s3source.WithConverters(custom)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotKey = nil
			c, err := s3source.Spec().Parse(map[string]string{"connector.name": "src", "topic": "t", "checkpoints.table": "cp",
				"bootstrap.servers": "localhost:9092", "value.converter": "custom"})
			if err != nil {
				t.Fatal(err)
			}
			cfg, _, err := s3source.ConfigFrom(c, tt.opts...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := cfg.ValueConverter.(*stringconv.Converter); !ok || len(gotKey) != 1 || gotKey[0] {
				t.Fatalf("value converter %T, factory calls %v", cfg.ValueConverter, gotKey)
			}
		})
	}
}
