package sink_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

func TestNewFromConfigConverters(t *testing.T) {
	spec := &config.Spec{Connector: "unit", Keys: sink.CommonKeys(), Prefixes: sink.Prefixes}
	type call struct {
		isKey bool
		props map[string]string
	}
	var calls []call
	custom := converters.Builtins()
	if err := custom.Register("com.example.Custom", []string{"custom"}, func(isKey bool, props map[string]string) (converters.Converter, error) {
		calls = append(calls, call{isKey, props})
		return converters.New("string", isKey, nil)
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		settings  map[string]string
		reg       *converters.Registry
		wantErr   string
		wantCalls int
	}{
		{"builtins by default", map[string]string{"value.converter": "avro", "value.converter.schema.registry.url": "http://registry:8081"}, nil, "", 0},
		{"custom class unknown to the builtins", map[string]string{"value.converter": "custom"}, nil, "value.converter: unknown converter class \"custom\"", 0},
		{"custom class through WithConverters", map[string]string{"key.converter": "com.example.Custom", "value.converter": "custom", "value.converter.flavour": "x"}, custom, "", 2},
		{"builtins still there with WithConverters", map[string]string{"value.converter.schemas.enable": "maybe"}, custom, "value.converter.schemas.enable", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls = nil
			tt.settings["connector.name"] = "unit"
			c, err := spec.Parse(tt.settings)
			if err != nil {
				t.Fatal(err)
			}
			store, err := offsets.NewFileStore("")
			if err != nil {
				t.Fatal(err)
			}
			opts := []sink.Option{sink.WithLogger(sink.NewLogger(io.Discard)), sink.WithMetricsTo(io.Discard)}
			if tt.reg != nil {
				opts = append(opts, sink.WithConverters(tt.reg))
			}
			_, err = sink.NewFromConfig(context.Background(), c, &flaky{}, store, opts...)
			if tt.wantErr != "" {
				if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want BadConfig containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != tt.wantCalls {
				t.Fatalf("custom factory called %d times, want %d", len(calls), tt.wantCalls)
			}
			if tt.wantCalls == 2 && (!calls[0].isKey || calls[1].isKey || calls[1].props["flavour"] != "x") {
				t.Fatalf("calls %+v", calls)
			}
		})
	}
}
