package jsonschemaconv_test

import (
	"testing"

	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/converters/registryconv/registrytest"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// FuzzToConnect feeds arbitrary frames (schema id 1..3 are registered) to ToConnect: it must not
// panic, every error must be a BadRecord, and what it reads must write back and read again equal.
func FuzzToConnect(f *testing.F) {
	reg := newMemRegistry()
	reg.Add(1, "", `{"type":"object","properties":{"n":{"type":"integer","connect.type":"int32"},"s":{"oneOf":[{"type":"null"},{"type":"string"}]},"a":{"type":"array","items":{"type":"number"}},"m":{"type":"object","connect.type":"map","additionalProperties":{"type":"boolean"}},"d":{"type":"number","title":"org.apache.kafka.connect.data.Decimal","connect.type":"bytes","connect.parameters":{"scale":"2"}}}}`)
	reg.Add(2, "", `{"oneOf":[{"type":"string"},{"type":"integer"},{"type":"object","properties":{"x":{"type":"string","connect.type":"bytes"}}}]}`)
	reg.Add(3, "", `{"type":"array","connect.type":"map","items":{"type":"object","properties":{"key":{"type":"integer"},"value":{"type":"string"}}}}`)
	c := newConv(f, reg, nil)
	for _, seed := range []string{
		"\x00\x00\x00\x00\x01{\"n\":1,\"s\":\"x\",\"a\":[1.5],\"m\":{\"k\":true},\"d\":1.25}",
		"\x00\x00\x00\x00\x02\"text\"",
		"\x00\x00\x00\x00\x02{\"x\":\"AAE=\"}",
		"\x00\x00\x00\x00\x03[{\"key\":1,\"value\":\"one\"}]",
		"\x00\x00\x00\x00\x01{",
		"\x01",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, v, err := c.ToConnect("fuzz", nil, data)
		if err != nil {
			if !errclass.Is(err, errclass.BadRecord) {
				t.Fatalf("error of class %v: %v", errclass.Of(err), err)
			}
			return
		}
		out, err := c.FromConnect("fuzz", nil, s, v)
		if err != nil {
			t.Fatalf("read %#v but cannot write it: %v", v, err)
		}
		s2, v2, err := c.ToConnect("fuzz", nil, out)
		if err != nil {
			t.Fatalf("cannot read back %q: %v", out, err)
		}
		if s2 == nil || !registrytest.EqualData(v, v2) {
			t.Fatalf("round trip changed %#v into %#v", v, v2)
		}
	})
}

// FuzzSchema registers arbitrary JSON Schema text and reads a few payloads with it: no panic, no
// endless recursion, BadRecord errors only; a schema that converts writes back as a schema that
// converts to the same Connect schema.
func FuzzSchema(f *testing.F) {
	for _, seed := range []string{
		`{"type":"object","properties":{"a":{"type":"integer"},"b":{"oneOf":[{"type":"null"},{"type":"string"}]}}}`,
		`{"type":"object","properties":{"r":{"$ref":"#"}}}`,
		`{"definitions":{"x":{"type":"array","items":{"$ref":"#/definitions/x"}}},"$ref":"#/definitions/x"}`,
		`{"type":"array","connect.type":"map","items":{"type":"object","properties":{"key":{"type":"integer"},"value":{"enum":["a","b",null]}}}}`,
		`{"anyOf":[{"type":"number","connect.type":"float32"},{"type":"boolean"},{"type":"object","connect.type":"map","additionalProperties":{"type":"string","connect.type":"bytes"}}]}`,
		`{"type":"number","title":"org.apache.kafka.connect.data.Decimal","connect.type":"bytes","connect.parameters":{"scale":"3"},"default":1.5}`,
	} {
		f.Add(seed, `{"a":1,"b":"x","r":{},"key":1}`)
	}
	f.Fuzz(func(t *testing.T, schemaText, payload string) {
		reg := newMemRegistry()
		reg.Add(1, "", schemaText)
		c := newConv(t, reg, nil)
		s, v, err := c.ToConnect("fuzz", nil, append([]byte{0, 0, 0, 0, 1}, payload...))
		if err != nil {
			if !errclass.Is(err, errclass.BadRecord) {
				t.Fatalf("error of class %v: %v", errclass.Of(err), err)
			}
			return
		}
		out, err := c.FromConnect("fuzz", nil, s, v)
		if err != nil {
			t.Fatalf("read %#v but cannot write it: %v", v, err)
		}
		s2, _, err := c.ToConnect("fuzz", nil, out)
		if err != nil {
			t.Fatalf("cannot read back %q under %s: %v", out, reg.ByID[2].Schema, err)
		}
		if !jsonconv.SchemaEqual(s, s2) {
			t.Fatalf("schema changed through %s", reg.ByID[2].Schema)
		}
	})
}
