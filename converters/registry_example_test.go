package converters_test

import (
	"fmt"
	"strings"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// upperConverter is a custom converter: values are upper-cased strings.
type upperConverter struct{}

func (upperConverter) ToConnect(_ string, _ []record.Header, data []byte) (*record.Schema, any, error) {
	if data == nil {
		return record.OptionalString, nil, nil
	}
	return record.OptionalString, strings.ToUpper(string(data)), nil
}

func (upperConverter) FromConnect(_ string, _ []record.Header, _ *record.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	return []byte(strings.ToUpper(fmt.Sprint(value))), nil
}

// A custom converter is a Factory registered under its class name and short names; a connector
// built with the registry (sink.WithConverters, s3source.BuildWith) then accepts
// value.converter=com.example.UpperConverter.
func ExampleRegistry_Register() {
	r := converters.Builtins()
	err := r.Register("com.example.UpperConverter", []string{"UpperConverter", "upper"},
		func(isKey bool, props map[string]string) (converters.Converter, error) {
			for k := range props {
				return nil, errclass.Config(k, "unknown setting")
			}
			return upperConverter{}, nil
		})
	if err != nil {
		panic(err)
	}
	conv, err := r.New("upper", false, nil)
	if err != nil {
		panic(err)
	}
	_, v, _ := conv.ToConnect("orders", nil, []byte("shipped"))
	fmt.Println(v)

	_, err = r.New("UpperConverter", false, map[string]string{"case": "lower"})
	fmt.Println(err)
	classes, _ := r.Classes()
	fmt.Println(classes[len(classes)-1])
	// Output:
	// SHIPPED
	// value.converter.case: unknown setting
	// com.example.UpperConverter
}
