package avroconv_test

import (
	"context"
	"fmt"

	"github.com/lambda-connect/lambda-connect/converters/avroconv"
	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// memRegistry is a one-subject in-memory registry, standing in for schemaregistry's client.
type memRegistry struct{ schemas []schemaregistry.Schema }

func (m *memRegistry) SchemaByID(_ context.Context, id int) (schemaregistry.Schema, error) {
	return m.schemas[id-1], nil
}

func (m *memRegistry) Register(_ context.Context, subject string, s schemaregistry.Schema) (int, error) {
	for _, known := range m.schemas {
		if known.Schema == s.Schema {
			return known.ID, nil
		}
	}
	s.ID, s.Subject = len(m.schemas)+1, subject
	m.schemas = append(m.schemas, s)
	return s.ID, nil
}

func (m *memRegistry) Lookup(ctx context.Context, subject string, s schemaregistry.Schema) (schemaregistry.Schema, error) {
	id, err := m.Register(ctx, subject, s)
	return m.schemas[id-1], err
}

func (m *memRegistry) Latest(_ context.Context, _ string) (schemaregistry.Schema, error) {
	return m.schemas[len(m.schemas)-1], nil
}

func Example() {
	cfg, err := avroconv.ConfigFromProps(map[string]string{
		"schema.registry.url":         "http://localhost:8081",
		"value.subject.name.strategy": "io.confluent.kafka.serializers.subject.TopicNameStrategy",
	})
	if err != nil {
		panic(err)
	}
	reg := &memRegistry{}
	conv, err := avroconv.New(cfg, reg)
	if err != nil {
		panic(err)
	}
	user := &record.Schema{Type: record.Struct, Name: "com.example.User", Fields: []record.Field{
		{Name: "name", Index: 0, Schema: record.StringSchema},
		{Name: "age", Index: 1, Schema: record.Int32Schema},
	}}
	data, err := conv.FromConnect("users", nil, user, &record.StructValue{Schema: user, Values: []any{"Ann", int32(30)}})
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", data)
	fmt.Println(reg.schemas[0].Subject, reg.schemas[0].Schema)

	schema, value, err := conv.ToConnect("users", nil, data)
	if err != nil {
		panic(err)
	}
	name, _ := value.(*record.StructValue).Get("name")
	fmt.Println(schema.Name, name)
	// Output:
	// 00 00 00 00 01 06 41 6e 6e 3c
	// users-value {"name":"com.example.User","type":"record","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"}]}
	// com.example.User Ann
}

func ExampleSchemaFromConnect() {
	s := &record.Schema{Type: record.Struct, Fields: []record.Field{
		{Name: "price", Index: 0, Schema: &record.Schema{Type: record.Bytes, Name: record.DecimalName,
			Parameters: map[string]string{"scale": "2"}}},
		{Name: "note", Index: 1, Schema: record.OptionalString},
	}}
	a, err := avroconv.SchemaFromConnect(s)
	if err != nil {
		panic(err)
	}
	fmt.Println(a.String()) // the canonical form: no connect.* properties, no defaults
	// Output:
	// {"name":"io.confluent.connect.avro.ConnectDefault","type":"record","fields":[{"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":64,"scale":2}},{"name":"note","type":["null","string"]}]}
}
