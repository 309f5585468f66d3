// Package coldstart is what every function's main does at cold start, before it asks Lambda for
// an event: it loads the connector's settings from CONNECT_* environment variables (or
// CONNECTOR_CONFIG_FILE), warns about the ones that have no effect here, builds the converters the
// functions accept, and stops the process with one message naming every bad setting when any of it
// fails.
package coldstart

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/glueregistry"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// Build runs build once, with the process's environment, and returns what it built. When build
// fails, the function named name stops there: the error is logged (JSON, on stderr), printed as
// "name: error" on stderr, and the process exits with status 1, before it asks for an event.
func Build[T any](name string, build func(ctx context.Context, environ []string) (T, error)) T {
	v, err := build(context.Background(), os.Environ())
	if err != nil {
		sink.NewLogger(os.Stderr).Error(name+": configuration rejected at cold start", "error", err)
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
	return v
}

// Settings loads the settings spec describes from environ (see config.Load) and warns on log about
// those accepted for Kafka Connect compatibility that have no effect here.
func Settings(spec *config.Spec, environ []string, log *slog.Logger) (*config.Config, error) {
	c, err := config.Load(spec, environ)
	if err != nil {
		return nil, err
	}
	if ign := c.Ignored(); len(ign) > 0 {
		log.Warn("settings accepted for Kafka Connect compatibility have no effect here", "settings", ign)
	}
	return c, nil
}

// Converters is the converters the functions accept: the builtins and AWS Glue Schema Registry's
// AWSKafkaAvroConverter. Built once, at cold start.
func Converters() (*converters.Registry, error) {
	r := converters.Builtins()
	if err := glueregistry.Register(r); err != nil {
		return nil, err
	}
	return r, nil
}

// Sink builds a sink function's handler from the settings spec describes in environ: the sink that
// open makes from them, the Converters, and the runtime of core/sink with its DynamoDB offsets
// store (sink.NewFromConfig).
func Sink[S sink.Sink](ctx context.Context, spec *config.Spec, environ []string, open func(context.Context, *config.Config) (S, error)) (*sink.Handler, error) {
	c, err := Settings(spec, environ, sink.NewLogger(os.Stderr))
	if err != nil {
		return nil, err
	}
	s, err := open(ctx, c)
	if err != nil {
		return nil, err
	}
	reg, err := Converters()
	if err != nil {
		return nil, err
	}
	return sink.NewFromConfig(ctx, c, s, nil, sink.WithConverters(reg))
}
