package main

import (
	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/glueregistry"
)

// converterRegistry is the converters the commands accept, the same as the functions': the
// builtins and AWS Glue Schema Registry's AWSKafkaAvroConverter.
func converterRegistry() (*converters.Registry, error) {
	r := converters.Builtins()
	if err := glueregistry.Register(r); err != nil {
		return nil, err
	}
	return r, nil
}
