package jsonconv

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// FuzzToConnect checks both modes on arbitrary input: no panics; schemaless output is valid
// JSON that Parse accepts and that re-serialises to the same data; whatever encoding/json
// accepts is accepted; and an envelope that converts writes back to an envelope that converts to
// the same bytes again.
func FuzzToConnect(f *testing.F) {
	schemaless := newConv(f, noSchemas)
	envelopes := newConv(f, nil)
	numeric := newConv(f, func(c *Config) { c.DecimalFormat = DecimalNumeric })
	f.Fuzz(func(t *testing.T, data []byte) {
		s, v, err := schemaless.ToConnect("t", nil, data)
		raw, verr := Validate(data)
		if (err == nil) != (verr == nil) {
			t.Fatalf("ToConnect(%q) err = %v but Validate err = %v", data, err, verr)
		}
		if rv, _ := v.(record.RawJSON); err == nil && (raw == nil) != (v == nil) || !bytes.Equal(raw, rv) {
			t.Fatalf("Validate(%q) = %q, ToConnect = %#v", data, raw, v)
		}
		if err != nil {
			if !errclass.Is(err, errclass.BadRecord) {
				t.Fatalf("error class %v: %v", errclass.Of(err), err)
			}
			if len(data) <= MaxNumberLength && utf8.Valid(data) && json.Valid(data) {
				t.Fatalf("rejected JSON that encoding/json accepts: %q: %v", data, err)
			}
		} else if v != nil {
			raw, ok := v.(record.RawJSON)
			if s != nil || !ok {
				t.Fatalf("schemaless ToConnect = %v, %#v", s, v)
			}
			if !json.Valid(raw) {
				t.Fatalf("RawJSON %q of %q is not valid JSON", raw, data)
			}
			parsed, err := Parse(raw)
			if err != nil {
				t.Fatalf("Parse(%q): %v", raw, err)
			}
			out, err := schemaless.FromConnect("t", nil, nil, parsed)
			if err != nil {
				t.Fatalf("FromConnect(Parse(%q)): %v", raw, err)
			}
			if !hasInf(parsed) {
				again, err := Parse(record.RawJSON(out))
				if err != nil || !valueEqual(again, parsed) {
					t.Fatalf("re-serialised %q as %q, which parses to %#v (%v), want %#v", raw, out, again, err, parsed)
				}
			}
		}
		for _, c := range []*Converter{envelopes, numeric} {
			roundTrip(t, c, data)
		}
	})
}

func roundTrip(t *testing.T, c *Converter, data []byte) {
	s, v, err := c.ToConnect("t", nil, data)
	if err != nil {
		if !errclass.Is(err, errclass.BadRecord) {
			t.Fatalf("error class %v: %v", errclass.Of(err), err)
		}
		return
	}
	out, err := c.FromConnect("t", nil, s, v)
	if err != nil {
		// Connect too refuses to write a Decimal whose scale is not its schema's (a NUMERIC
		// payload keeps the scale it is written with) or whose schema has no scale.
		if errclass.Is(err, errclass.BadRecord) && strings.Contains(err.Error(), "scale") {
			return
		}
		t.Fatalf("FromConnect(ToConnect(%q)): %v", data, err)
	}
	s2, v2, err := c.ToConnect("t", nil, out)
	if err != nil {
		t.Fatalf("ToConnect(%q) (written from %q): %v", out, data, err)
	}
	out2, err := c.FromConnect("t", nil, s2, v2)
	if err != nil || !bytes.Equal(out, out2) {
		t.Fatalf("second round trip of %q: %q, want %q (%v)", data, out2, out, err)
	}
}

func hasInf(v any) bool {
	switch v := v.(type) {
	case float64:
		return math.IsInf(v, 0)
	case []any:
		for _, e := range v {
			if hasInf(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if hasInf(e) {
				return true
			}
		}
	}
	return false
}

// FuzzParse checks Parse against encoding/json: same acceptance of valid JSON, same values
// (integers compared as numbers).
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Parse(record.RawJSON(data))
		if err != nil {
			if !errclass.Is(err, errclass.BadRecord) {
				t.Fatalf("error class %v: %v", errclass.Of(err), err)
			}
			if len(data) <= MaxNumberLength && utf8.Valid(data) && json.Valid(data) {
				t.Fatalf("rejected valid JSON %q: %v", data, err)
			}
			return
		}
		if !json.Valid(data) {
			return // Connect's leniencies: leading zeros, a BOM, content after the root value
		}
		var want any
		if err := json.Unmarshal(data, &want); err != nil {
			return // a number out of float64's range
		}
		if !sameJSON(got, want) {
			t.Fatalf("Parse(%q) = %#v, encoding/json gives %#v", data, got, want)
		}
	})
}

func sameJSON(got, want any) bool {
	switch g := got.(type) {
	case int64:
		w, ok := want.(float64)
		return ok && float64(g) == w
	case float64:
		w, ok := want.(float64)
		return ok && g == w
	case []any:
		w, ok := want.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range g {
			if !sameJSON(g[i], w[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		w, ok := want.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k := range g {
			if !sameJSON(g[k], w[k]) {
				return false
			}
		}
		return true
	}
	return got == want
}
