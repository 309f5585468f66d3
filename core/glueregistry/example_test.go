package glueregistry_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/glueregistry"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// A function whose value.converter is glueregistry.ConverterClass builds the converter from
// its value.converter.* settings (prefix stripped) and uses it like any other.
func ExampleNewConverter() {
	f := newFakeGlue(&testing.T{}) // a Glue endpoint for the example; in AWS, leave endpoint unset
	defer f.srv.Close()
	f.add("default-registry", "users", javaUUID, userV1)

	conv, err := glueregistry.NewConverter(context.Background(), map[string]string{
		"region":        "us-east-1",
		"endpoint":      f.srv.URL,
		"registry.name": "default-registry",
	}, false, f.awsOpts()...)
	if err != nil {
		panic(err)
	}
	frame, _ := hex.DecodeString(javaFrame) // written by Glue's Java serializer
	schema, value, err := conv.ToConnect("users", nil, frame)
	if err != nil {
		panic(err)
	}
	v := value.(*record.StructValue)
	fmt.Println(schema.Name, v.Values)
	// Output: shop.User [1 hello]
}
