package transforms_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/transforms"
)

// canon writes schemaless data as the JSON converter would (maps with sorted keys): two results
// are the same data when their canon bytes are equal.
func canon(t testing.TB, v any) []byte {
	t.Helper()
	if raw, ok := v.(record.RawJSON); ok {
		p, err := jsonconv.Parse(raw)
		if err != nil {
			t.Fatalf("output %q is not valid JSON: %v", raw, err)
		}
		v = p
	}
	conv, err := jsonconv.New(jsonconv.Config{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := conv.FromConnect("t", nil, nil, v)
	if err != nil {
		t.Fatalf("FromConnect(%#v): %v", v, err)
	}
	return b
}

// rawChains are chains whose transforms edit JSON objects in place; each must give the same
// data on RawJSON as on the parsed map.
func rawChains(t testing.TB) []*transforms.Chain {
	return []*transforms.Chain{
		chain5(t),
		chainOf(t, "transforms=i,r,m",
			"transforms.i.type=InsertField$Value", "transforms.i.topic.field=a", "transforms.i.offset.field=b", "transforms.i.static.field=a", "transforms.i.static.value=s\"\\\u00e9",
			"transforms.r.type=ReplaceField$Value", "transforms.r.include=a,b,c,d,\u00e9", "transforms.r.exclude=d", "transforms.r.renames=c:renamed\u0001",
			"transforms.m.type=MaskField$Value", "transforms.m.fields=a,c,\u00e9,renamed\u0001,e"),
		chainOf(t, "transforms=m,x", "transforms.m.type=MaskField$Value", "transforms.m.fields=a,b,c", "transforms.m.replacement=-12.5e1",
			"transforms.x.type=ReplaceField$Value", "transforms.x.renames=a:b2\u0001,b:a2\u0001"),
		// Later steps must find members by the names earlier steps gave them or added.
		chainOf(t, "transforms=r,m,i,x", "transforms.r.type=ReplaceField$Value", "transforms.r.renames=a:q\u0002,b:s\u0002",
			"transforms.m.type=MaskField$Value", "transforms.m.fields=q\u0002,e",
			"transforms.i.type=InsertField$Value", "transforms.i.static.field=s\u0002", "transforms.i.static.value=v",
			"transforms.x.type=ReplaceField$Value", "transforms.x.exclude=e"),
	}
}

// FuzzRawEditsMatchParsed checks the in-place JSON editing of InsertField, ReplaceField and
// MaskField against their map path: on any JSON object the two give the same data (or both
// fail), and the input is never changed.
func FuzzRawEditsMatchParsed(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":"x","c":{"n":[1,2,{"q":"}"}]},"d":null,"e":true}`))
	f.Add([]byte(`{"a":1,"a":2.5,"\u0063":"esc","é":"\"quoted\"","password":"p","e":[]}`))
	f.Add([]byte(" {\n\t\"c\" : [ \"]\\\\\" , {} ] ,\"b\":-0, \"a\":12345678901234567890 } "))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`"str"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := jsonconv.Parse(record.RawJSON(data))
		if err != nil {
			return
		}
		m, isMap := p.(map[string]any)
		raw := record.RawJSON(bytes.TrimSpace(data))
		if len(raw) == 0 {
			return
		}
		for _, name := range []string{"renamed\u0001", "b2\u0001", "a2\u0001", "q\u0002", "s\u0002"} {
			if _, ok := m[name]; ok {
				return // a rename onto an existing name has no defined order
			}
		}
		orig := bytes.Clone(raw)
		for i, c := range rawChains(t) {
			rOut, rKeep, rErr := c.Apply(rec(raw))
			if !bytes.Equal(raw, orig) {
				t.Fatalf("chain %d changed its input", i)
			}
			if !isMap {
				if rErr == nil {
					t.Fatalf("chain %d accepted non-object %s", i, raw)
				}
				continue
			}
			mOut, mKeep, mErr := c.Apply(rec(m))
			if (rErr == nil) != (mErr == nil) || rKeep != mKeep {
				t.Fatalf("chain %d on %s: raw %v %v, map %v %v", i, raw, rKeep, rErr, mKeep, mErr)
			}
			if rErr != nil {
				continue
			}
			if _, ok := rOut.ValueData.(record.RawJSON); !ok {
				t.Fatalf("chain %d: raw path gave %T", i, rOut.ValueData)
			}
			if a, b := canon(t, rOut.ValueData), canon(t, mOut.ValueData); !bytes.Equal(a, b) {
				t.Fatalf("chain %d on %s:\nraw %s (%s)\nmap %s", i, raw, a, rOut.ValueData, b)
			}
			if rOut.Topic != mOut.Topic || len(rOut.Headers) != len(mOut.Headers) {
				t.Fatalf("chain %d: metadata differs", i)
			}
		}
	})
}

// FuzzChainFrom feeds arbitrary settings to ChainFrom: it never panics, rejects with a
// BadConfig error naming at least one setting, and a chain it accepts applies without panics.
func FuzzChainFrom(f *testing.F) {
	f.Add("transforms=a\ntransforms.a.type=InsertField$Value\ntransforms.a.static.field=x\ntransforms.a.static.value=y")
	f.Add("transforms=a,b\ntransforms.a.type=Filter\ntransforms.a.predicate=p\ntransforms.a.negate=true\npredicates=p\npredicates.p.type=TopicNameMatches\npredicates.p.pattern=t.*\ntransforms.b.type=Cast$Value\ntransforms.b.spec=int8")
	f.Add("transforms=r\ntransforms.r.type=RegexRouter\ntransforms.r.regex=(.*)-(.*)\ntransforms.r.replacement=$2.$1")
	f.Add("transforms=t\ntransforms.t.type=TimestampConverter$Value\ntransforms.t.target.type=string\ntransforms.t.format=yyyy-MM-dd'T'HH")
	f.Add("transforms=x,,x\ntransforms.y.type=\npredicates.q.type=HasHeaderKey")
	f.Add("transforms=h\ntransforms.h.type=HeaderFrom$Value\ntransforms.h.fields=a\ntransforms.h.headers=b\ntransforms.h.operation=move")
	f.Fuzz(func(t *testing.T, text string) {
		props := map[string]string{}
		for _, line := range strings.Split(text, "\n") {
			k, v, _ := strings.Cut(line, "=")
			props[k] = v
		}
		c, err := transforms.ChainFrom(props)
		if err != nil {
			ps := problems(t, err)
			if len(ps) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			for _, p := range ps {
				if p.Key == "" || p.Message == "" {
					t.Fatalf("problem without key or message: %+v", p)
				}
			}
			return
		}
		for _, v := range []any{nil, record.RawJSON(`{"a":1,"b":"x"}`), map[string]any{"a": "2024-01-02T03"}, "s"} {
			r := rec(v)
			r.Headers = []record.Header{{Key: "b", Value: []byte("1")}}
			if _, _, err := c.Apply(r); err != nil && !errclass.Is(err, errclass.BadRecord) {
				t.Fatalf("Apply error of class %v: %v", errclass.Of(err), err)
			}
		}
	})
}

// FuzzCastSpec parses arbitrary Cast specs and casts with them: no panics, and a spec that is
// rejected is a BadConfig problem of the spec setting.
func FuzzCastSpec(f *testing.F) {
	for _, s := range []string{"int8", "a:int16,b:STRING", "a:float32", "x:boolean,y:float64", "a:bytes", "a:int8:x", ":int32", "a:"} {
		f.Add(s, "42")
	}
	f.Fuzz(func(t *testing.T, spec, value string) {
		items := strings.Split(spec, ",")
		for i := range items { // as ConfigDef parses a list
			items[i] = strings.TrimFunc(items[i], func(r rune) bool { return r <= ' ' })
		}
		if strings.TrimFunc(spec, func(r rune) bool { return r <= ' ' }) == "" {
			items = nil
		}
		parsed, err := transforms.ParseCastSpec(items)
		_, chainErr := transforms.ChainFrom(map[string]string{"transforms": "c", "transforms.c.type": "Cast$Value", "transforms.c.spec": spec})
		if err != nil {
			if chainErr == nil {
				// config's list parsing trims and splits the same way; a difference is a bug
				t.Fatalf("ParseCastSpec(%q) = %v but ChainFrom accepted it", items, err)
			}
			return
		}
		for _, tt := range []record.Type{record.Int8, record.Int64, record.Float32, record.Boolean, record.String} {
			_, _ = transforms.CastValue(nil, value, tt)
			_, _ = transforms.CastValue(nil, record.RawJSON(value), tt)
		}
		_ = parsed
	})
}

// FuzzDateFormat compiles arbitrary SimpleDateFormat patterns and parses arbitrary text with
// them: no panics; what a full date-time pattern formats, it parses back.
func FuzzDateFormat(f *testing.F) {
	for _, p := range []string{"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "yyyyMMdd", "EEE, d MMM yyyy HH:mm:ss Z", "hh 'o''clock' a, zzzz", "YYYY-'W'ww-u", "G yy D"} {
		f.Add(p, "2001-07-04T12:08:56.235Z", int64(994248536235))
	}
	f.Fuzz(func(t *testing.T, pattern, text string, ms int64) {
		df, err := transforms.ParseDateFormat(pattern)
		if err != nil {
			return
		}
		ms %= 253402300800000 // within years 0001-9999 either side of the epoch
		out := df.Format(ms)
		if !utf8.ValidString(out) && utf8.ValidString(pattern) {
			t.Fatalf("Format(%q) = %q is not UTF-8", pattern, out)
		}
		_, _ = df.Parse(text)
		if pattern == "yyyy-MM-dd'T'HH:mm:ss.SSSXXX" && ms >= -62135596800000 {
			if back, err := df.Parse(out); err != nil || back != ms {
				t.Fatalf("round trip %d -> %q -> %d, %v", ms, out, back, err)
			}
		}
	})
}
