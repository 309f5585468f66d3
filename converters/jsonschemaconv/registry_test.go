package jsonschemaconv_test

import (
	"github.com/lambda-connect/lambda-connect/converters/jsonschemaconv"
	"github.com/lambda-connect/lambda-connect/converters/registryconv/registrytest"
	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
)

// memRegistry is an in-memory schema registry that counts the calls made of it.
type memRegistry = registrytest.Mem

func newMemRegistry() *memRegistry { return registrytest.NewMem(schemaregistry.JSONSchema) }

// The registry client implements the converter's Registry.
var (
	_ jsonschemaconv.Registry = (*schemaregistry.Client)(nil)
)
