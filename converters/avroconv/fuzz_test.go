package avroconv

import (
	"encoding/json"
	"testing"
)

// FuzzToConnect feeds arbitrary bytes to ToConnect under two registered schemas (a small record
// and one with every type): it must never panic, and whatever it accepts must write back and read
// again to the same data.
func FuzzToConnect(f *testing.F) {
	reg := newFakeRegistry()
	reg.add("t-value", 1, userSchema)
	all, err := SchemaFromConnect(everything)
	if err != nil {
		f.Fatal(err)
	}
	text, _ := json.Marshal(all)
	reg.add("t-value", 2, string(text))
	f.Add(userRecord)
	f.Add([]byte{0, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := New(DefaultConfig(), reg)
		if err != nil {
			t.Fatal(err)
		}
		s, v, err := c.ToConnect("t", nil, data)
		if err != nil {
			return
		}
		out, err := c.FromConnect("t", nil, s, v)
		if err != nil {
			t.Fatalf("ToConnect accepted % x as %s but FromConnect fails: %v", data, show(v), err)
		}
		_, v2, err := c.ToConnect("t", nil, out)
		if err != nil || !equalData(v, v2) {
			t.Fatalf("re-read %s, %v; want %s", show(v2), err, show(v))
		}
	})
}
