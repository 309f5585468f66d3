package schemaregistry_test

import (
	"context"
	"fmt"

	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/infra/registrylocal"
)

// A converter's registry settings (Confluent's names) give a client; schemas are then fetched
// once per id.
func Example() {
	reg, err := registrylocal.Start(registrylocal.Options{BasicAuth: "connect:secret"})
	if err != nil {
		panic(err)
	}
	defer reg.Close()

	cfg, err := schemaregistry.ConfigFromProps(map[string]string{
		"schema.registry.url":           reg.URL(),
		"basic.auth.credentials.source": "USER_INFO",
		"basic.auth.user.info":          "connect:secret",
	})
	if err != nil {
		panic(err)
	}
	client, err := schemaregistry.New(cfg)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	id, err := client.Register(ctx, "orders-value", schemaregistry.Schema{Schema: `{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}`})
	if err != nil {
		panic(err)
	}
	for range 3 {
		if _, err := client.SchemaByID(ctx, id); err != nil {
			panic(err)
		}
	}
	latest, _ := client.Latest(ctx, "orders-value")
	fmt.Println("id", id, "version", latest.Version, "type", latest.Type)
	fmt.Println("schema fetches:", reg.Requests(fmt.Sprintf("/schemas/ids/%d", id)))
	// Output:
	// id 1 version 1 type AVRO
	// schema fetches: 0
}
