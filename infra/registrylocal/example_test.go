package registrylocal_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/infra/registrylocal"
)

// A command (the sandbox) starts a registry, points converters at URL() and closes it at exit.
func ExampleStart() {
	reg, err := registrylocal.Start(registrylocal.Options{Compatibility: registrylocal.Full})
	if err != nil {
		panic(err)
	}
	defer reg.Close()
	id, err := reg.Register("orders-value", schemaregistry.Schema{Schema: `{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}`})
	if err != nil {
		panic(err)
	}
	resp, err := http.Get(reg.URL() + "/subjects/orders-value/versions/latest")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(id)
	fmt.Print(string(body))
	// Output:
	// 1
	// {"subject":"orders-value","version":1,"id":1,"schema":"{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}"}
}
