package schemaregistry_test

import (
	"context"
	"testing"

	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/infra/registrylocal"
)

// BenchmarkSchemaByIDCached is the per-record cost of the registry for a converter: a cache hit.
func BenchmarkSchemaByIDCached(b *testing.B) {
	reg := registrylocal.ForTest(b)
	id, err := reg.Register("s", schemaregistry.Schema{Schema: orderV1})
	if err != nil {
		b.Fatal(err)
	}
	c, err := schemaregistry.New(schemaregistry.Config{URL: reg.URL()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.SchemaByID(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	if n := reg.Requests("/schemas/ids/1"); n > 1 {
		b.Fatalf("%d requests", n)
	}
}

// BenchmarkSchemaByIDUncached is one round trip to the local registry.
func BenchmarkSchemaByIDUncached(b *testing.B) {
	reg := registrylocal.ForTest(b)
	if _, err := reg.Register("s", schemaregistry.Schema{Schema: orderV1}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		c, _ := schemaregistry.New(schemaregistry.Config{URL: reg.URL()})
		if _, err := c.SchemaByID(ctx, 1); err != nil {
			b.Fatal(err)
		}
	}
}
