package jsonschemaconv_test

import (
	"testing"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/converters/jsonschemaconv"
	"github.com/lambda-connect/lambda-connect/converters/registryconv/registrytest"
	"github.com/lambda-connect/lambda-connect/infra/registrylocal"
)

// TestWithRegistryClient runs the converter over HTTP against the in-process registry: schemas
// are registered and fetched once, an unknown id is a bad record, an outage is retriable.
func TestWithRegistryClient(t *testing.T) {
	r := registrylocal.ForTest(t)
	cfg, err := jsonschemaconv.ConfigFromProps(map[string]string{"schema.registry.url": r.URL()})
	if err != nil {
		t.Fatal(err)
	}
	registrytest.RunWithRegistryClient(t, r, func() converters.Converter {
		c, err := jsonschemaconv.New(jsonschemaconv.DefaultConfig(), registrytest.Client(t, cfg.Registry))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}, []byte{0, 0, 0, 0, 99, '{', '}'})
}
