package jsonconv_test

import (
	"fmt"
	"math/big"

	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func ExampleConverter_ToConnect() {
	c, err := jsonconv.New(jsonconv.DefaultConfig())
	if err != nil {
		panic(err)
	}
	schema, value, err := c.ToConnect("orders", nil, []byte(`{"schema":{"type":"struct","fields":[{"field":"id","type":"int64"},{"field":"total","type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}]},"payload":{"id":7,"total":"AJw="}}`))
	if err != nil {
		panic(err)
	}
	id, _ := value.(*record.StructValue).Get("id")
	total, _ := value.(*record.StructValue).Get("total")
	fmt.Println(schema.Type, len(schema.Fields), id, total.(record.Decimal))

	_, _, err = c.ToConnect("orders", nil, []byte(`{"schema":{"type":"struct","fields":[{"field":"id","type":"int64"}]},"payload":{"id":"7"}}`))
	fmt.Println(err)
	// Output:
	// struct 2 7 1.56
	// field "id": expected integer, got string
}

func ExampleConverter_FromConnect() {
	c, err := jsonconv.New(jsonconv.DefaultConfig())
	if err != nil {
		panic(err)
	}
	schema := &record.Schema{Type: record.Bytes, Name: record.DecimalName, Version: 1,
		Parameters: map[string]string{record.DecimalScaleParameter: "2"}}
	out, err := c.FromConnect("orders", nil, schema, record.Decimal{Unscaled: big.NewInt(156), Scale: 2})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
	// Output:
	// {"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":"AJw="}
}

func ExampleParse() {
	cfg := jsonconv.DefaultConfig()
	cfg.SchemasEnable = false
	c, err := jsonconv.New(cfg)
	if err != nil {
		panic(err)
	}
	_, raw, err := c.ToConnect("events", nil, []byte(`{"n": 1, "x": 2.5, "tags": ["a"]}`))
	if err != nil {
		panic(err)
	}
	v, err := jsonconv.Parse(raw.(record.RawJSON))
	if err != nil {
		panic(err)
	}
	m := v.(map[string]any)
	fmt.Printf("%T %T %v\n", m["n"], m["x"], m["tags"])
	// Output:
	// int64 float64 [a]
}
