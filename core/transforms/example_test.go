package transforms_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/transforms"
)

// Kafka Connect's documented example: wrap each line in a map, then add a static field.
func ExampleChainFrom() {
	chain, err := transforms.ChainFrom(map[string]string{
		"transforms":                           "MakeMap, InsertSource",
		"transforms.MakeMap.type":              "org.apache.kafka.connect.transforms.HoistField$Value",
		"transforms.MakeMap.field":             "line",
		"transforms.InsertSource.type":         "org.apache.kafka.connect.transforms.InsertField$Value",
		"transforms.InsertSource.static.field": "data_source",
		"transforms.InsertSource.static.value": "test-file-source",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := record.Record{Topic: "connect-test", ValueData: record.RawJSON(`"foo"`)}
	out, keep, err := chain.Apply(r)
	fmt.Println(string(out.ValueData.(record.RawJSON)), keep, err)
	// Output: {"line":"foo","data_source":"test-file-source"} true <nil>
}

// Every bad setting is reported at once, by name.
func ExampleChainFrom_invalid() {
	_, err := transforms.ChainFrom(map[string]string{
		"transforms":             "mask,route",
		"transforms.mask.type":   "MaskFeild$Value",
		"transforms.route.type":  "RegexRouter",
		"transforms.route.regex": "(.*)",
	})
	var problems config.Problems
	errors.As(err, &problems)
	for _, p := range problems {
		fmt.Println(p)
	}
	// Output:
	// transforms.mask.type: unknown transformation type "MaskFeild$Value", did you mean MaskField$Value?
	// transforms.route.replacement: required setting is missing (set CONNECT_TRANSFORMS_ROUTE_REPLACEMENT)
}

// upper is a transform outside the package: one small type and a Definition.
type upper struct{ field string }

func (u upper) Apply(r record.Record) (record.Record, bool, error) {
	m, ok := r.ValueData.(map[string]any)
	if !ok {
		return r, true, nil
	}
	out := make(map[string]any, len(m)) // never change the input's map
	for k, v := range m {
		out[k] = v
	}
	if s, ok := m[u.field].(string); ok {
		out[u.field] = strings.ToUpper(s)
	}
	return r.WithValue(nil, out), true, nil
}

// Adding a transform is one small file (its type, settings and constructor) and a
// registration; inside this package the registration is one line in builtinTransforms.
func ExampleRegistry_Register() {
	reg := transforms.NewRegistry()
	err := reg.Register(transforms.Definition{
		Class: "com.example.transforms.Upper$Value",
		Doc:   "Upper-case a string field of the record value.",
		Keys:  []config.Key{{Name: "field", Type: config.String, Required: true, Doc: "The field to upper-case."}},
		New: func(s transforms.Settings) (transforms.Transform, error) {
			if strings.ContainsAny(s.String("field"), ".") {
				return nil, transforms.Invalid("field", "nested fields are not supported")
			}
			return upper{field: s.String("field")}, nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	chain, err := reg.ChainFrom(map[string]string{
		"transforms":          "up",
		"transforms.up.type":  "Upper$Value", // or com.example.transforms.Upper$Value
		"transforms.up.field": "name",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _, _ := chain.Apply(record.Record{ValueData: map[string]any{"name": "ada"}})
	fmt.Println(out.ValueData)

	_, err = reg.ChainFrom(map[string]string{"transforms": "up", "transforms.up.type": "Upper$Value", "transforms.up.field": "a.b"})
	fmt.Println(err)
	// Output:
	// map[name:ADA]
	// transforms configuration: transforms.up.field: nested fields are not supported
}

func ExampleParseDateFormat() {
	f, _ := transforms.ParseDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
	fmt.Println(f.Format(1483425001864))
	ms, err := f.Parse("2017-01-03T06:30:01.864+01:00")
	fmt.Println(ms, err)
	// Output:
	// 2017-01-03T06:30:01.864Z
	// 1483421401864 <nil>
}

func ExampleCompileJavaRegex() {
	re, _ := transforms.CompileJavaRegex(`(?<db>\p{Lower}+)\.(?<table>\w+)`)
	fmt.Println(re.Matches("shop.orders"), re.Matches("Shop.orders"))
	_, err := transforms.CompileJavaRegex(`orders(?!-dlq)`)
	fmt.Println(err)
	// Output:
	// true false
	// regular expression "orders(?!-dlq)" uses a lookahead (?= or (?!, which Go's RE2 engine does not support
}
