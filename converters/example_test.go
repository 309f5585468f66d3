package converters_test

import (
	"fmt"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func ExampleNew() {
	// value.converter=org.apache.kafka.connect.json.JsonConverter
	// value.converter.schemas.enable=false
	value, err := converters.New("org.apache.kafka.connect.json.JsonConverter", false,
		map[string]string{"schemas.enable": "false"})
	if err != nil {
		panic(err)
	}
	_, v, err := value.ToConnect("orders", nil, []byte(` {"id": 1, "total": 12.5} `))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%T %s\n", v, v)

	key, err := converters.New("StringConverter", true, nil)
	if err != nil {
		panic(err)
	}
	schema, k, _ := key.ToConnect("orders", nil, []byte("order-1"))
	out, _ := key.FromConnect("orders", nil, schema, k)
	fmt.Println(schema == record.OptionalString, k, string(out))

	_, err = converters.New("json", false, map[string]string{"schemas.enable": "maybe"})
	fmt.Println(err)
	// Output:
	// record.RawJSON {"id": 1, "total": 12.5}
	// true order-1 order-1
	// value.converter.schemas.enable: must be true or false, got "maybe"
}
