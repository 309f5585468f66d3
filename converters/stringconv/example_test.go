package stringconv_test

import (
	"fmt"

	"github.com/lambda-connect/lambda-connect/converters/stringconv"
)

func ExampleConverter() {
	c, err := stringconv.New(stringconv.Config{Encoding: "UTF-8"})
	if err != nil {
		panic(err)
	}
	_, v, _ := c.ToConnect("t", nil, []byte("caf\xc3\xa9 \xff"))
	fmt.Printf("%+q\n", v)
	out, _ := c.FromConnect("t", nil, nil, 1.0)
	fmt.Println(string(out))
	out, _ = c.FromConnect("t", nil, nil, []any{int32(1), "a", nil})
	fmt.Println(string(out))
	_, err = stringconv.New(stringconv.Config{Encoding: "ISO-8859-1"})
	fmt.Println(err)
	// Output:
	// "caf\u00e9 \ufffd"
	// 1.0
	// [1, a, null]
	// converter.encoding: encoding "ISO-8859-1" is not supported: only UTF-8 is
}
