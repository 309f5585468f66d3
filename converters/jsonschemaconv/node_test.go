package jsonschemaconv

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// toAny converts a node into the value encoding/json gives with UseNumber.
func toAny(n *node) any {
	switch n.kind {
	case kBool:
		return n.b
	case kNumber:
		return json.Number(n.s)
	case kString:
		return n.s
	case kArray:
		out := make([]any, len(n.arr))
		for i, e := range n.arr {
			out[i] = toAny(e)
		}
		return out
	case kObject:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			out[k] = toAny(n.vals[i])
		}
		return out
	}
	return nil
}

// FuzzParseJSON checks the parser against encoding/json: the same documents are valid, and they
// decode to the same values.
func FuzzParseJSON(f *testing.F) {
	for _, seed := range []string{`{"a":[1,-2.5e+3,true,null,"x\u00e9\n"]}`, `  "\ud83d\ude00" `, `01`, `[1,]`, "\"\xff\"", `{"a":1,"a":2}`, `-0.0E-0`, `"\/"`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := parseJSON(b)
		if valid := json.Valid(b); valid != (err == nil) {
			t.Fatalf("json.Valid=%v, parseJSON error %v", valid, err)
		}
		if err != nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if got := toAny(n); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %#v, want %#v", got, want)
		}
	})
}
