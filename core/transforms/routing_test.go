package transforms_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/transforms"
)

// TimestampRouter, RegexRouter, the header transforms and the predicates, after Connect's tests.

func TestTimestampRouter(t *testing.T) {
	c := one(t, "org.apache.kafka.connect.transforms.TimestampRouter")
	if got := apply(t, c, rec("v")).Topic; got != "test-20170103" {
		t.Errorf("topic = %q, want test-20170103", got)
	}
	c = one(t, "TimestampRouter", "topic.format=foo-${topic}-${timestamp}-${topic}", "timestamp.format=yyyy.MM.dd HH")
	for i := 0; i < 3; i++ { // the cached topic is reused while the hour is the same
		r := rec("v")
		r.Timestamp += int64(i) * 60000
		if got := apply(t, c, r).Topic; got != "foo-test-2017.01.03 06-test" {
			t.Errorf("topic = %q", got)
		}
	}
	r := rec("v")
	r.Timestamp += 3600000
	if got := apply(t, c, r).Topic; got != "foo-test-2017.01.03 07-test" {
		t.Errorf("next hour's topic = %q", got)
	}
	r.Topic = "other"
	if got := apply(t, c, r).Topic; got != "foo-other-2017.01.03 07-other" {
		t.Errorf("other topic = %q", got)
	}
	r.TimestampType = record.NoTimestampType
	applyErr(t, c, r, "timestamp missing on record")
}

func TestRegexRouter(t *testing.T) {
	// Connect's RegexRouterTest.
	tests := []struct{ regex, replacement, topic, want string }{
		{"foo", "bar", "foo", "bar"},
		{"foo", "bar", "orig", "orig"},
		{"(.*)", "$1", "orig", "orig"},
		{"(.*)", "prefix-$1", "orig", "prefix-orig"},
		{"(.*)", "$1-suffix", "orig", "orig-suffix"},
		{`(.*)-(\d\d\d\d\d\d\d\d)`, "$1", "index-20160117", "index"},
		{`([^.]+)\.([^.]+)\.([^.]+)`, "$3", "server.schema.table", "table"},
		{`(?<db>[a-z]+)_(?<table>[a-z]+)`, "${table}.${db}", "shop_orders", "orders.shop"},
		{"(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)", "$10-$11", "abcdefghij", "j-a1"},
		{"(.*)", `\$1 \\ $1`, "x", `$1 \ x`},
		{"foo", "bar", "foofoo", "foofoo"}, // the whole topic must match
		{"a*?", "X", "aaa", "Xaaa"},        // Java replaces the first match, which may be shorter
	}
	for _, tt := range tests {
		c := one(t, "RegexRouter", "regex="+tt.regex, "replacement="+tt.replacement)
		r := rec("v")
		r.Topic = tt.topic
		for i := 0; i < 2; i++ { // again, from the cache
			if got := apply(t, c, r).Topic; got != tt.want {
				t.Errorf("%q -> %q on %q = %q, want %q", tt.regex, tt.replacement, tt.topic, got, tt.want)
			}
		}
	}
}

func TestJavaRegexTranslation(t *testing.T) {
	ok := []struct{ java, match, noMatch string }{
		{`\p{Lower}+`, "abc", "aBc"},
		{`[\p{Upper}_]+`, "A_B", "a"},
		{`\P{Digit}+`, "ab", "a1"},
		{`\Qa.b\E`, "a.b", "axb"},
		{`(?i)orders`, "ORDERS", "order"},
		{`[]a]+`, "]a", "b"},
		{`[^]a]`, "b", "]"},
		{`a{2,3}`, "aaa", "a"},
		{`\d+\.\d+`, "1.2", "1x2"},
		{`(?<name>x)\k?`, "x", "y"}, // \k? is not a backreference here: k then ?
	}
	for _, tt := range ok {
		re, err := transforms.CompileJavaRegex(tt.java)
		if err != nil {
			if tt.java == `(?<name>x)\k?` {
				continue // Go rejects \k; acceptable
			}
			t.Errorf("CompileJavaRegex(%q): %v", tt.java, err)
			continue
		}
		if !re.Matches(tt.match) || re.Matches(tt.noMatch) {
			t.Errorf("%q: Matches(%q) = %v, Matches(%q) = %v", tt.java, tt.match, re.Matches(tt.match), tt.noMatch, re.Matches(tt.noMatch))
		}
	}
	bad := map[string]string{
		`foo(?=bar)`:        "lookahead",
		`(?!x)y`:            "lookahead",
		`(?<=x)y`:           "lookbehind",
		`(?>a)`:             "atomic group",
		`(a)\1`:             "backreference",
		`(?<n>a)\k<n>`:      "named backreference",
		`a++`:               "possessive quantifier",
		`a*+b`:              "possessive quantifier",
		`[a-z&&[^b]]`:       "character class",
		`[a-z&&b]`:          "intersection",
		`[[:alpha:]]`:       "POSIX bracket",
		`(?x)a b`:           "(?x) flag",
		`(?U)\w`:            "(?U) flag",
		`\h`:                `\h`,
		`\v`:                `\v`,
		`a\Z`:               `\Z`,
		`\p{javaLowerCase}`: "javaLowerCase",
		`(unclosed`:         "invalid regular expression",
		`trailing\`:         "unescaped backslash",
	}
	for java, want := range bad {
		_, err := transforms.CompileJavaRegex(java)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CompileJavaRegex(%q) = %v, want an error about %s", java, err, want)
		}
	}
	for _, escaped := range []string{`a\++`, `\*+x`} {
		if _, err := transforms.CompileJavaRegex(escaped); err != nil {
			t.Errorf("CompileJavaRegex(%q): %v", escaped, err)
		}
	}
}

func TestInsertHeader(t *testing.T) {
	c := one(t, "InsertHeader", "header=inserted", "value.literal=inserted-value")
	r := rec("v")
	r.Headers = []record.Header{{Key: "existing", Value: []byte("1")}, {Key: "inserted", Value: []byte("old")}}
	out := apply(t, c, r)
	want := []record.Header{{Key: "existing", Value: []byte("1")}, {Key: "inserted", Value: []byte("old")}, {Key: "inserted", Value: []byte("inserted-value")}}
	if !reflect.DeepEqual(out.Headers, want) {
		t.Errorf("headers = %v", out.Headers)
	}
	if len(r.Headers) != 2 {
		t.Error("input headers changed")
	}
	// Tombstones get the header too.
	if out := apply(t, c, rec(nil)); len(out.Headers) != 1 || out.ValueData != nil {
		t.Errorf("tombstone = %+v", out)
	}
}

func TestDropHeaders(t *testing.T) {
	c := one(t, "DropHeaders", "headers=dropped, also")
	r := rec("v")
	r.Headers = []record.Header{{Key: "dropped", Value: []byte("a")}, {Key: "kept", Value: []byte("b")}, {Key: "also", Value: nil}, {Key: "dropped", Value: []byte("c")}}
	out := apply(t, c, r)
	if !reflect.DeepEqual(out.Headers, []record.Header{{Key: "kept", Value: []byte("b")}}) {
		t.Errorf("headers = %v", out.Headers)
	}
	r.Headers = []record.Header{{Key: "kept"}}
	if out := apply(t, c, r); &out.Headers[0] != &r.Headers[0] {
		t.Error("headers copied although none was dropped")
	}
}

func TestHeaderFrom(t *testing.T) {
	for _, op := range []string{"copy", "move"} {
		c := one(t, "HeaderFrom$Value", "fields=field1,field2,nested,missing", "headers=h1,h2,h3,h4", "operation="+op)
		for _, v := range []any{
			record.RawJSON(`{"field1":"value1","field2":1.5,"nested":{"b":[1,"x"],"a":true},"other":1}`),
			map[string]any{"field1": "value1", "field2": float64(1.5), "nested": map[string]any{"b": []any{int64(1), "x"}, "a": true}, "other": int64(1)},
		} {
			r := rec(v)
			r.Headers = []record.Header{{Key: "h0", Value: []byte("0")}}
			out := apply(t, c, r)
			want := []record.Header{{Key: "h0", Value: []byte("0")}, {Key: "h1", Value: []byte("value1")}, {Key: "h2", Value: []byte("1.5")},
				{Key: "h3", Value: []byte(`{"a":true,"b":[1,"x"]}`)}, {Key: "h4", Value: nil}}
			if !reflect.DeepEqual(out.Headers, want) {
				t.Errorf("%s headers = %q", op, out.Headers)
			}
			if op == "move" {
				jsonEqual(t, out.ValueData, `{"other":1}`)
			} else if !reflect.DeepEqual(out.ValueData, v) {
				t.Errorf("copy changed the value: %v", out.ValueData)
			}
		}
	}
	s, sv := structOf("id", int32S, int32(7), "ts", tsS, ms(86400001), "name", strS, "n")
	r := rec(sv)
	r.ValueSchema = s
	out := apply(t, one(t, "HeaderFrom$Value", "fields=id,ts", "headers=id,ts", "operation=move"), r)
	if got := fieldNames(out.ValueSchema); !reflect.DeepEqual(got, []string{"name:string"}) {
		t.Errorf("fields = %v", got)
	}
	if !reflect.DeepEqual(out.Headers, []record.Header{{Key: "id", Value: []byte("7")}, {Key: "ts", Value: []byte("1970-01-02T00:00:00.001Z")}}) {
		t.Errorf("headers = %q", out.Headers)
	}
	applyErr(t, one(t, "HeaderFrom$Value", "fields=nope", "headers=x", "operation=copy"), r, `field "nope" is not in the Value schema`)
	applyErr(t, one(t, "HeaderFrom$Key", "fields=a", "headers=x", "operation=copy"), rec("v"), "found: null")
}

func TestPredicates(t *testing.T) {
	c := chainOf(t,
		"transforms=a,b,c",
		"transforms.a.type=InsertHeader", "transforms.a.header=topic-matched", "transforms.a.value.literal=1", "transforms.a.predicate=topic",
		"transforms.b.type=InsertHeader", "transforms.b.header=has-trace", "transforms.b.value.literal=1", "transforms.b.predicate=trace",
		"transforms.c.type=InsertHeader", "transforms.c.header=tombstone", "transforms.c.value.literal=1", "transforms.c.predicate=tomb",
		"predicates=topic,trace,tomb",
		"predicates.topic.type=org.apache.kafka.connect.transforms.predicates.TopicNameMatches", "predicates.topic.pattern=my-prefix-.*",
		"predicates.trace.type=HasHeaderKey", "predicates.trace.name=trace",
		"predicates.tomb.type=RecordIsTombstone",
	)
	tests := []struct {
		topic   string
		headers []record.Header
		value   any
		want    []string
	}{
		{"my-prefix-foo", nil, "v", []string{"topic-matched"}},
		{"notmy-prefix-foo", nil, "v", nil},
		{"my-prefix-", []record.Header{{Key: "trace"}}, nil, []string{"trace", "topic-matched", "has-trace", "tombstone"}},
		{"x", []record.Header{{Key: "tracer"}}, record.RawJSON(nil), []string{"tracer", "tombstone"}},
	}
	for _, tt := range tests {
		r := rec(tt.value)
		r.Topic, r.Headers = tt.topic, tt.headers
		var got []string
		for _, h := range apply(t, c, r).Headers {
			got = append(got, h.Key)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %v %v: headers = %v, want %v", tt.topic, tt.headers, tt.value, got, tt.want)
		}
	}
}
