package bytesconv_test

import (
	"fmt"

	"github.com/lambda-connect/lambda-connect/converters/bytesconv"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func ExampleConverter() {
	c, err := bytesconv.New(bytesconv.Config{})
	if err != nil {
		panic(err)
	}
	s, v, _ := c.ToConnect("t", nil, []byte{0xca, 0xfe})
	fmt.Println(s == record.OptionalBytes, v)
	out, _ := c.FromConnect("t", nil, s, v)
	fmt.Printf("%x\n", out)
	_, err = c.FromConnect("t", nil, nil, "text")
	fmt.Println(err)
	// Output:
	// true [202 254]
	// cafe
	// ByteArrayConverter is not compatible with values of type string
}
