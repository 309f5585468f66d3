package dynamodbsink

import (
	"math/big"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// FuzzCanonicalNumber checks that an accepted number's canonical text is the same number,
// canonical itself, within DynamoDB's limits.
func FuzzCanonicalNumber(f *testing.F) {
	for _, s := range []string{"0", "-1.50", "15E-1", "1e125", "9.99e125", "1e-130", "123456789012345678901234567890123456789", "+.5", "5.", "1e+0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := canonicalNumber(s)
		if err != nil {
			return
		}
		again, err := canonicalNumber(c)
		if err != nil || again != c {
			t.Fatalf("%q -> %q -> %q, %v: not canonical", s, c, again, err)
		}
		in, ok1 := new(big.Float).SetPrec(2000).SetString(s)
		out, ok2 := new(big.Float).SetPrec(2000).SetString(c)
		if !ok1 || !ok2 {
			t.Fatalf("%q -> %q: big.Float cannot read one of them (%v %v)", s, c, ok1, ok2)
		}
		if in.Cmp(out) != 0 {
			t.Fatalf("%q -> %q: a different number", s, c)
		}
		mant := strings.TrimPrefix(c, "-")
		if i := strings.IndexByte(mant, 'e'); i > 40 {
			t.Fatalf("%q -> %q: more than 38 digits", s, c)
		}
	})
}

// FuzzParseRef checks that a parsed reference names an attribute and that writing it back as
// reference:alias parses to the same thing.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"partition", "offset:o", "key", "key.a.b", "value.userId:user", "value..x", "key:", "timestamp", ":x", "value.a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseRef(s)
		if err != nil {
			return
		}
		if r.attr == "" {
			t.Fatalf("%q: no attribute name", s)
		}
		head := [...]string{"partition", "offset", "key", "value"}[r.kind]
		text := head
		if len(r.path) > 0 {
			text += "." + strings.Join(r.path, ".")
		}
		back, err := parseRef(text + ":" + r.attr)
		if strings.ContainsAny(r.attr, ":") || strings.TrimSpace(r.attr) != r.attr {
			return // an alias with a colon or blanks does not survive the round trip; fine
		}
		if err != nil || back.kind != r.kind || strings.Join(back.path, ".") != strings.Join(r.path, ".") || back.attr != r.attr {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, r, text+":"+r.attr, back, err)
		}
	})
}

// FuzzItemFromJSON maps arbitrary JSON values to items: no panic, and an accepted item has a
// size within the limit and the key and source attributes.
func FuzzItemFromJSON(f *testing.F) {
	for _, s := range []string{`{"id":"a","n":1.5}`, `[1,[2,{"x":null}]]`, `"s"`, `{"id":1e300}`, `{"id":{"a":1}}`, `null`, `{"id":"x","":"empty name"}`} {
		f.Add(s)
	}
	s, err := New(Config{TableNameFormat: "${topic}", PKHash: "value.id", SourcePrefix: "_kafka_"}, noDynamo{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r := record.Record{Topic: "fuzz", Partition: 1, Offset: 2, Value: []byte(v), ValueData: record.RawJSON(v)}
		o, _, skip, err := s.mapRecord(r)
		if err != nil || skip {
			return
		}
		if o.size > MaxItemSize || o.item["id"] == nil || o.item["_kafka_offset"] == nil {
			t.Fatalf("%q: item %v of %d bytes", v, o.item, o.size)
		}
	})
}
