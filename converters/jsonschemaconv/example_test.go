package jsonschemaconv_test

import (
	"fmt"

	"github.com/lambda-connect/lambda-connect/converters/jsonschemaconv"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func ExampleConverter() {
	reg := newMemRegistry() // any Registry: schemaregistry's client in production
	c, err := jsonschemaconv.New(jsonschemaconv.DefaultConfig(), reg)
	if err != nil {
		panic(err)
	}
	schema := &record.Schema{Type: record.Struct, Name: "com.example.User", Fields: []record.Field{
		{Name: "id", Index: 0, Schema: record.Int32Schema},
		{Name: "name", Index: 1, Schema: record.OptionalString},
	}}
	framed, err := c.FromConnect("users", nil, schema, &record.StructValue{Schema: schema, Values: []any{int32(7), "Ada"}})
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x | %s\n", framed[:5], framed[5:])
	fmt.Println(reg.ByID[1].Schema)

	got, value, err := c.ToConnect("users", nil, framed)
	if err != nil {
		panic(err)
	}
	name, _ := value.(*record.StructValue).Get("name")
	fmt.Println(got.Name, got.Fields[0].Schema.Type, name)

	_, _, err = c.ToConnect("users", nil, []byte("{}"))
	fmt.Println(err)
	// Output:
	// 00 00 00 00 01 | {"id":7,"name":"Ada"}
	// {"type":"object","title":"com.example.User","properties":{"id":{"type":"integer","connect.index":0,"connect.type":"int32"},"name":{"connect.index":1,"oneOf":[{"type":"null"},{"type":"string"}]}}}
	// com.example.User int32 Ada
	// users: JSON Schema frame: wrong magic byte 0x7b (want 0x00)
}
