package protobufconv_test

import (
	"testing"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// FuzzToConnect feeds arbitrary frames (schema ids 1 and 3 are registered) to ToConnect: it must
// not panic, every error must be a BadRecord, and what it reads must write back and read again.
func FuzzToConnect(f *testing.F) {
	reg := newMemRegistry()
	reg.Add(1, "", userProto)
	reg.Add(3, "", orderProto)
	c := newConv(f, reg, nil)
	f.Add([]byte{0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x07, 0x12, 0x03, 'A', 'd', 'a'})
	f.Add([]byte{0x00, 0x00, 0x00, 0x00, 0x03, 0x02, 0x00, 0x08, 0x01})
	f.Add([]byte{0x00, 0x00, 0x00, 0x00, 0x03, 0x04, 0x00, 0x00, 0x08, 0x01})
	f.Add([]byte{0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0xb8, 0x01, 0x05, 0x82, 0x01, 0x06, 0x08, 0x01, 0x10, 0x02, 0x18, 0x03})
	f.Add([]byte{0x01})
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
		if _, _, err := c.ToConnect("fuzz", nil, out); err != nil {
			t.Fatalf("cannot read back % x: %v", out, err)
		}
	})
}

// FuzzSchema registers arbitrary .proto text and reads a payload with it: no panic, BadRecord
// errors only; what converts writes back and reads again.
func FuzzSchema(f *testing.F) {
	f.Add(orderProto, []byte{0x00, 0x08, 0x01})
	f.Add("syntax = \"proto2\"; message P { required int32 a = 1 [default = 5]; optional group G = 2 { optional string s = 3; } repeated P kids = 4; }", []byte{0x00, 0x08, 0x02})
	f.Add("syntax = \"proto3\"; message M { map<int64, M2> m = 1; message M2 { oneof o { bytes b = 1; float f = 2; } } }", []byte{0x00, 0x0a, 0x04, 0x08, 0x01, 0x12, 0x00})
	f.Add("syntax = \"proto3\"; message R { R self = 1; }", []byte{0x00})
	f.Fuzz(func(t *testing.T, schemaText string, frameTail []byte) {
		reg := newMemRegistry()
		reg.Add(1, "", schemaText)
		c := newConv(t, reg, nil)
		s, v, err := c.ToConnect("fuzz", nil, append([]byte{0, 0, 0, 0, 1}, frameTail...))
		if err != nil {
			if !errclass.Is(err, errclass.BadRecord) {
				t.Fatalf("error of class %v: %v", errclass.Of(err), err)
			}
			return
		}
		out, err := c.FromConnect("fuzz", nil, s, v)
		if err != nil {
			// Not every .proto has a Connect form that writes back (proto2 groups, names
			// Connect schemas cannot rebuild); such errors must still be BadRecord errors.
			if !errclass.Is(err, errclass.BadRecord) {
				t.Fatalf("error of class %v: %v", errclass.Of(err), err)
			}
			return
		}
		if _, _, err := c.ToConnect("fuzz", nil, out); err != nil {
			t.Fatalf("cannot read back % x: %v", out, err)
		}
	})
}
