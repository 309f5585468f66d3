package registryconv_test

import (
	"fmt"

	"github.com/lambda-connect/lambda-connect/converters/registryconv"
)

func ExampleParseSettings() {
	var strict bool
	s, err := registryconv.ParseSettings("JsonSchemaConverter", map[string]string{
		"schema.registry.url":         "http://registry:8081",
		"auto.register.schemas":       "false",
		"value.subject.name.strategy": "TopicRecordNameStrategy",
		"json.fail.invalid.schema":    "true",
	}, map[string]*bool{"json.fail.invalid.schema": &strict})
	if err != nil {
		panic(err)
	}
	subject, _ := s.ValueSubjectNameStrategy.Subject("orders", false, "com.example.Order")
	fmt.Println(s.AutoRegisterSchemas, strict, subject, s.Registry["schema.registry.url"])
	// Output: false true orders-com.example.Order http://registry:8081
}
