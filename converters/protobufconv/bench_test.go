package protobufconv_test

import (
	"testing"

	"github.com/lambda-connect/lambda-connect/converters/registryconv/registrytest"
)

// BenchmarkConverter converts a struct of 20 strings of 40 bytes and 10 int64s both ways.
func BenchmarkConverter(b *testing.B) {
	registrytest.Bench(b, newConv(b, newMemRegistry(), nil))
}
