package transforms_test

import (
	"errors"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/transforms"
)

func TestChainFromReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  map[string]string // problem key -> part of its message
	}{
		{"unknown type with a suggestion",
			[]string{"transforms=a", "transforms.a.type=InsertFeild$Value"},
			map[string]string{"transforms.a.type": "did you mean InsertField$Value?"}},
		{"unknown long class name with a suggestion",
			[]string{"transforms=a", "transforms.a.type=org.apache.kafka.connect.transforms.RegexRoutr"},
			map[string]string{"transforms.a.type": "did you mean RegexRouter?"}},
		{"unknown type without a close one lists the supported types",
			[]string{"transforms=a", "transforms.a.type=io.debezium.transforms.ExtractNewRecordState"},
			map[string]string{"transforms.a.type": "supported: InsertField$Key, InsertField$Value"}},
		{"abstract class",
			[]string{"transforms=a", "transforms.a.type=org.apache.kafka.connect.transforms.InsertField"},
			map[string]string{"transforms.a.type": "abstract and cannot be created: use InsertField$Key or InsertField$Value"}},
		{"a predicate as a transform",
			[]string{"transforms=a", "transforms.a.type=TopicNameMatches"},
			map[string]string{"transforms.a.type": "is a predicate, not a transformation"}},
		{"a transform as a predicate",
			[]string{"transforms=a", "transforms.a.type=Filter", "transforms.a.predicate=p", "predicates=p", "predicates.p.type=Filter"},
			map[string]string{"predicates.p.type": "is a transformation, not a predicate"}},
		{"missing type",
			[]string{"transforms=a", "transforms.a.field=x"},
			map[string]string{"transforms.a.type": "required setting is missing (set CONNECT_TRANSFORMS_A_TYPE)"}},
		{"missing required setting",
			[]string{"transforms=a", "transforms.a.type=MaskField$Value"},
			map[string]string{"transforms.a.fields": "required setting is missing (set CONNECT_TRANSFORMS_A_FIELDS)"}},
		{"bad enum value",
			[]string{"transforms=a", "transforms.a.type=TimestampConverter$Value", "transforms.a.target.type=date"},
			map[string]string{"transforms.a.target.type": `"date" is not one of string, unix, Date, Time, Timestamp`}},
		{"unknown setting with a suggestion",
			[]string{"transforms=a", "transforms.a.type=ExtractField$Key", "transforms.a.field=id", "transforms.a.feild=x"},
			map[string]string{"transforms.a.feild": "did you mean transforms.a.field?"}},
		{"validator failure",
			[]string{"transforms=a", "transforms.a.type=Cast$Value", "transforms.a.spec=f:decimal"},
			map[string]string{"transforms.a.spec": "invalid type found in casting spec: decimal"}},
		{"constructor failure names its setting",
			[]string{"transforms=a", "transforms.a.type=HeaderFrom$Value", "transforms.a.fields=a,b", "transforms.a.headers=x", "transforms.a.operation=copy"},
			map[string]string{"transforms.a.headers": "same number of elements"}},
		{"string target needs a format",
			[]string{"transforms=a", "transforms.a.type=TimestampConverter$Value", "transforms.a.target.type=string"},
			map[string]string{"transforms.a.format": "requires format option"}},
		{"bad regex",
			[]string{"transforms=a", "transforms.a.type=RegexRouter", "transforms.a.regex=(?<=x)y", "transforms.a.replacement=z"},
			map[string]string{"transforms.a.regex": "lookbehind"}},
		{"bad replacement",
			[]string{"transforms=a", "transforms.a.type=RegexRouter", "transforms.a.regex=(a)", "transforms.a.replacement=$2"},
			map[string]string{"transforms.a.replacement": "no group 2"}},
		{"undefined predicate",
			[]string{"transforms=a", "transforms.a.type=Filter", "transforms.a.predicate=isFoo"},
			map[string]string{"transforms.a.predicate": `predicate "isFoo" is not defined`}},
		{"misspelt predicate",
			[]string{"transforms=a", "transforms.a.type=Filter", "transforms.a.predicate=isFo", "predicates=isFoo", "predicates.isFoo.type=RecordIsTombstone"},
			map[string]string{"transforms.a.predicate": `did you mean "isFoo"?`}},
		{"negate without a predicate",
			[]string{"transforms=a", "transforms.a.type=Filter", "transforms.a.negate=true"},
			map[string]string{"transforms.a.negate": "no transforms.a.predicate defining a predicate to be negated"}},
		{"bad negate",
			[]string{"transforms=a", "transforms.a.type=Filter", "transforms.a.predicate=p", "transforms.a.negate=yes", "predicates=p", "predicates.p.type=RecordIsTombstone"},
			map[string]string{"transforms.a.negate": `"yes" is not a boolean`}},
		{"predicate problems",
			[]string{"predicates=p,q", "predicates.p.type=TopicNameMatches", "predicates.q.type=HasHeaderKey", "predicates.q.name="},
			map[string]string{"predicates.p.pattern": "required setting is missing", "predicates.q.name": "required setting is empty"}},
		{"unknown predicate type",
			[]string{"predicates=p", "predicates.p.type=TopicNameMatch"},
			map[string]string{"predicates.p.type": "did you mean TopicNameMatches?"}},
		{"settings of an alias that is not listed",
			[]string{"transforms=insert", "transforms.insert.type=Filter", "transforms.insrt.type=Filter", "predicates.p.type=RecordIsTombstone"},
			map[string]string{"transforms.insrt.type": `did you mean "insert"?`, "predicates.p.type": "(set predicates=p)"}},
		{"duplicate and empty aliases",
			[]string{"transforms=a,a,", "transforms.a.type=Filter"},
			map[string]string{"transforms": `duplicate alias "a"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := transforms.ChainFrom(props(tt.lines...))
			ps := problems(t, err)
			got := map[string]string{}
			for _, p := range ps {
				got[p.Key] += p.String() + "\n"
			}
			for key, want := range tt.want {
				if !strings.Contains(got[key], want) {
					t.Errorf("problem for %s = %q, want it to contain %q (all: %v)", key, got[key], want, err)
				}
			}
		})
	}
}

func TestChainFromValidatesAllAtOnce(t *testing.T) {
	_, err := transforms.ChainFrom(props(
		"transforms=a,b,c",
		"transforms.a.type=InsertFeild$Value",
		"transforms.b.type=MaskField$Value",
		"transforms.c.type=Filter", "transforms.c.predicate=nope",
		"predicates=p", "predicates.p.type=HasHeaderKey",
		"transforms.zzz.type=Filter",
		"key.converter=ignored", "topics=ignored too",
	))
	ps := problems(t, err)
	keys := ps.Keys()
	sort.Strings(keys)
	want := []string{"predicates.p.name", "transforms.a.type", "transforms.b.fields", "transforms.c.predicate", "transforms.zzz.type"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("problem keys = %v, want %v (%v)", keys, want, err)
	}
}

func TestChainFromEmpty(t *testing.T) {
	for _, p := range []map[string]string{nil, {}, {"transforms": ""}, {"transforms": " ", "predicates": ""}, {"name": "x"}} {
		c, err := transforms.ChainFrom(p)
		if err != nil || c.Len() != 0 {
			t.Fatalf("ChainFrom(%v) = %v, %v", p, c, err)
		}
		r := rec(record.RawJSON(`{"a":1}`))
		out, keep, err := c.Apply(r)
		if err != nil || !keep || !reflect.DeepEqual(out, r) {
			t.Errorf("empty chain Apply = %+v, %v, %v", out, keep, err)
		}
	}
	var nilChain *transforms.Chain
	if out, keep, err := nilChain.Apply(rec(nil)); err != nil || !keep || out.Topic != "test" {
		t.Errorf("nil chain Apply = %+v, %v, %v", out, keep, err)
	}
}

func TestChainAliasesAndClassNames(t *testing.T) {
	c := chainOf(t,
		"transforms= first , second",
		"transforms.first.type= org.apache.kafka.connect.transforms.HoistField$Value ",
		"transforms.first.field=line",
		"transforms.second.type=InsertField$Value",
		"transforms.second.static.field=data_source",
		"transforms.second.static.value=test-file-source",
	)
	if got := c.Aliases(); !reflect.DeepEqual(got, []string{"first", "second"}) {
		t.Errorf("Aliases = %v", got)
	}
	out := apply(t, c, rec("foo"))
	jsonEqual(t, out.ValueData, `{"line":"foo","data_source":"test-file-source"}`)
}

// Settings from environment variables are lowercase: a mixed-case alias still finds them.
func TestChainFromMatchesAliasesIgnoringCase(t *testing.T) {
	c, err := transforms.ChainFrom(props(
		"transforms=InsertSource",
		"transforms.insertsource.type=InsertField$Value",
		"transforms.insertsource.static.field=src",
		"transforms.InsertSource.static.value=exact",
		"transforms.insertsource.static.value=folded",
	))
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, apply(t, c, rec(map[string]any{})).ValueData, `{"src":"exact"}`)
}

func TestFromConfig(t *testing.T) {
	spec := &config.Spec{Connector: "test", Keys: transforms.SpecKeys(), Prefixes: transforms.Prefixes}
	cfg, err := config.Load(spec, []string{
		"CONNECT_TRANSFORMS=mask",
		"CONNECT_TRANSFORMS_MASK_TYPE=MaskField$Value",
		"CONNECT_TRANSFORMS_MASK_FIELDS=card",
		"CONNECT_TRANSFORMS_MASK_PREDICATE=isOrders",
		"CONNECT_PREDICATES=isOrders",
		"CONNECT_PREDICATES_ISORDERS_TYPE=TopicNameMatches",
		"CONNECT_PREDICATES_ISORDERS_PATTERN=orders.*",
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := transforms.FromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := rec(map[string]any{"card": "4111"})
	jsonEqual(t, apply(t, c, r).ValueData, `{"card":"4111"}`)
	r.Topic = "orders-eu"
	jsonEqual(t, apply(t, c, r).ValueData, `{"card":""}`)

	// A spec without the transform keys gives an empty chain.
	bare, err := (&config.Spec{Connector: "bare"}).Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := transforms.FromConfig(bare); err != nil || c.Len() != 0 {
		t.Errorf("FromConfig(bare) = %v, %v", c, err)
	}
}

func TestSpecKeysValidateAliases(t *testing.T) {
	spec := &config.Spec{Connector: "test", Keys: transforms.SpecKeys(), Prefixes: transforms.Prefixes}
	_, err := spec.Parse(map[string]string{"transforms": "a,b,a", "predicates": "p,,q", "transforms.a.type": "Filter"})
	ps := problems(t, err)
	if keys := ps.Keys(); !slices.Contains(keys, "transforms") || !slices.Contains(keys, "predicates") {
		t.Errorf("problems = %v", err)
	}
	if _, err := spec.Parse(map[string]string{"transforms": "a", "transforms.a.type": "Filter", "predicates.p.type": "x"}); err != nil {
		t.Errorf("prefixed settings are not passed through: %v", err)
	}
}

// Connect's documented Filter example: records of topic foo are dropped, others kept; with
// negate the opposite.
func TestFilterWithPredicate(t *testing.T) {
	base := []string{
		"transforms=Filter",
		"transforms.Filter.type=org.apache.kafka.connect.transforms.Filter",
		"transforms.Filter.predicate=IsFoo",
		"predicates=IsFoo",
		"predicates.IsFoo.type=org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
		"predicates.IsFoo.pattern=foo",
	}
	for _, negate := range []bool{false, true} {
		lines := base
		if negate {
			lines = append(slices.Clone(base), "transforms.Filter.negate=true")
		}
		c := chainOf(t, lines...)
		for _, topic := range []string{"foo", "bar", "foobar"} {
			r := rec("v")
			r.Topic = topic
			_, keep, err := c.Apply(r)
			if err != nil {
				t.Fatal(err)
			}
			if wantKeep := (topic != "foo") != negate; keep != wantKeep {
				t.Errorf("negate=%v topic %s: keep = %v, want %v", negate, topic, keep, wantKeep)
			}
		}
	}
}

// Connect's documented example of a predicate with negate: ExtractField applies to every topic
// but bar.
func TestNegatedPredicate(t *testing.T) {
	c := chainOf(t,
		"transforms=Filter,Extract",
		"transforms.Filter.type=org.apache.kafka.connect.transforms.Filter",
		"transforms.Filter.predicate=IsFoo",
		"transforms.Extract.type=org.apache.kafka.connect.transforms.ExtractField$Key",
		"transforms.Extract.field=other_field",
		"transforms.Extract.predicate=IsBar",
		"transforms.Extract.negate=true",
		"predicates=IsFoo,IsBar",
		"predicates.IsFoo.type=org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
		"predicates.IsFoo.pattern=foo",
		"predicates.IsBar.type=org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
		"predicates.IsBar.pattern=bar",
	)
	key := map[string]any{"other_field": int64(7)}
	for topic, want := range map[string]any{"bar": key, "baz": int64(7)} {
		r := keyRec(key)
		r.Topic = topic
		if got := apply(t, c, r).KeyData; !reflect.DeepEqual(got, want) {
			t.Errorf("topic %s: key = %#v, want %#v", topic, got, want)
		}
	}
	r := keyRec(key)
	r.Topic = "foo"
	if _, keep, _ := c.Apply(r); keep {
		t.Error("topic foo was not filtered")
	}
}

// A predicate sees the record as the transforms before it left it (here the routed topic and an
// inserted header), also while JSON edits are pending.
func TestPredicatesSeeEarlierTransforms(t *testing.T) {
	c := chainOf(t,
		"transforms=route,ins,tag,mask,drop",
		"transforms.route.type=RegexRouter", "transforms.route.regex=(.*)", "transforms.route.replacement=routed-$1",
		"transforms.ins.type=InsertField$Value", "transforms.ins.static.field=s", "transforms.ins.static.value=v",
		"transforms.tag.type=InsertHeader", "transforms.tag.header=h", "transforms.tag.value.literal=1",
		"transforms.mask.type=MaskField$Value", "transforms.mask.fields=a", "transforms.mask.predicate=routed",
		"transforms.drop.type=Filter", "transforms.drop.predicate=tagged", "transforms.drop.negate=true",
		"predicates=routed,tagged",
		"predicates.routed.type=TopicNameMatches", "predicates.routed.pattern=routed-.*",
		"predicates.tagged.type=HasHeaderKey", "predicates.tagged.name=h",
	)
	out := apply(t, c, rec(record.RawJSON(`{"a":"x","b":1}`)))
	jsonEqual(t, out.ValueData, `{"a":"","b":1,"s":"v"}`)
	if out.Topic != "routed-test" {
		t.Errorf("topic = %q", out.Topic)
	}
}

func TestChainErrorNamesTheTransform(t *testing.T) {
	c := chainOf(t,
		"transforms=hoist,extract",
		"transforms.hoist.type=HoistField$Value", "transforms.hoist.field=f",
		"transforms.extract.type=ExtractField$Value", "transforms.extract.field=f")
	s := &record.Schema{Type: record.Int32}
	r := rec(int32(1))
	r.ValueSchema = s
	out := apply(t, c, r)
	if out.ValueData != int32(1) || out.ValueSchema != s {
		t.Errorf("hoist then extract = %v %v", out.ValueSchema, out.ValueData)
	}

	bad := one(t, "InsertField$Value", "static.field=s", "static.value=v")
	err := applyErr(t, bad, rec(record.RawJSON(`[1,2]`)), "InsertField$Value: only map objects supported in absence of schema for [field insertion], found: array")
	te, _ := transforms.AsError(err)
	if te.Alias != "t" || te.Class != "org.apache.kafka.connect.transforms.InsertField$Value" {
		t.Errorf("Error = %+v", te)
	}
	if !strings.HasPrefix(err.Error(), "transforms.t: test/2/42: ") {
		t.Errorf("error = %q", err)
	}
	var ce *errclass.Error
	if !errors.As(err, &ce) || ce.Subject != "test/2/42" {
		t.Errorf("classified error subject = %v", ce)
	}
}

// A transform never mutates the record it is given (its maps, slices and structs).
func TestTransformsDoNotMutateTheirInput(t *testing.T) {
	chains := map[string]*transforms.Chain{
		"insert":   one(t, "InsertField$Value", "topic.field=t", "static.field=s", "static.value=v"),
		"replace":  one(t, "ReplaceField$Value", "exclude=b", "renames=a:x"),
		"mask":     one(t, "MaskField$Value", "fields=a,b"),
		"cast":     one(t, "Cast$Value", "spec=a:string"),
		"flatten":  one(t, "Flatten$Value"),
		"tsconv":   one(t, "TimestampConverter$Value", "field=a", "target.type=Timestamp"),
		"headers":  one(t, "HeaderFrom$Value", "fields=a", "headers=ha", "operation=move"),
		"insertH":  one(t, "InsertHeader", "header=x", "value.literal=y"),
		"dropH":    one(t, "DropHeaders", "headers=keep-not"),
		"valueKey": one(t, "ValueToKey", "fields=a"),
	}
	for name, c := range chains {
		t.Run(name, func(t *testing.T) {
			m := map[string]any{"a": int64(1), "b": map[string]any{"c": "d"}}
			r := rec(m)
			r.Headers = []record.Header{{Key: "keep-not", Value: []byte("1")}, {Key: "k", Value: []byte("2")}}
			before := deepCopy(r)
			apply(t, c, r)
			if !reflect.DeepEqual(r, before) {
				t.Errorf("input changed: %+v, was %+v", r, before)
			}

			s, sv := structOf("a", int64S, int64(1), "b", strS, "x")
			r = rec(sv)
			r.ValueSchema = s
			r.Headers = before.Headers
			sBefore, svBefore := deepCopySchema(s), &record.StructValue{Schema: s, Values: slices.Clone(sv.Values)}
			_, _, _ = c.Apply(r) // some fail on this struct (tsconv: a.b is no timestamp); none may change it
			if !reflect.DeepEqual(s, sBefore) || !reflect.DeepEqual(sv.Values, svBefore.Values) {
				t.Errorf("schema'd input changed")
			}
		})
	}
}

func deepCopy(r record.Record) record.Record {
	out := r
	out.Headers = nil
	for _, h := range r.Headers {
		out.Headers = append(out.Headers, record.Header{Key: h.Key, Value: slices.Clone(h.Value)})
	}
	if m, ok := r.ValueData.(map[string]any); ok {
		out.ValueData = copyMap(m)
	}
	return out
}

func copyMap(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = copyMap(sub)
		}
		out[k] = v
	}
	return out
}

func deepCopySchema(s *record.Schema) *record.Schema {
	c := *s
	c.Fields = slices.Clone(s.Fields)
	return &c
}

func TestRegistryDocsCoverEveryTransform(t *testing.T) {
	g := transforms.Default()
	md := g.Markdown()
	for _, c := range append(g.Classes(), g.PredicateClasses()...) {
		if !strings.Contains(md, "`"+transforms.ShortName(c)+"`") {
			t.Errorf("Markdown does not mention %s", c)
		}
		if d, ok := g.Transform(c); ok && d.Doc == "" {
			t.Errorf("%s has no doc", c)
		}
	}
	want := []string{"InsertField", "ReplaceField", "MaskField", "ValueToKey", "ExtractField", "HoistField", "Flatten", "Cast",
		"TimestampConverter", "TimestampRouter", "RegexRouter", "InsertHeader", "DropHeaders", "HeaderFrom", "Filter"}
	for _, w := range want {
		_, plain := g.Transform(w)
		_, value := g.Transform(w + "$Value")
		if !plain && !value {
			t.Errorf("transform %s is not registered", w)
		}
	}
	for _, w := range []string{"TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"} {
		if _, ok := g.Predicate("org.apache.kafka.connect.transforms.predicates." + w); !ok {
			t.Errorf("predicate %s is not registered", w)
		}
	}
}

func TestRegisterRejectsDuplicates(t *testing.T) {
	g := transforms.NewRegistry()
	if err := g.Register(transforms.Definition{Class: "x.y.Filter", New: func(transforms.Settings) (transforms.Transform, error) { return nil, nil }}); err == nil {
		t.Error("a second Filter (by short name) was accepted")
	}
	if err := g.Register(transforms.Definition{Class: "x.y.NoConstructor"}); err == nil {
		t.Error("a definition without New was accepted")
	}
	if err := g.RegisterPredicate(transforms.PredicateDefinition{Class: "HasHeaderKey", New: func(transforms.Settings) (transforms.Predicate, error) { return nil, nil }}); err == nil {
		t.Error("a second HasHeaderKey was accepted")
	}
}

// Key and value objects are edited side by side and rendered once each; a transform that needs
// the data renders them first.
func TestChainMixesRawAndParsedSteps(t *testing.T) {
	c := chainOf(t,
		"transforms=k,v1,v2,tokey,ex",
		"transforms.k.type=InsertField$Key", "transforms.k.partition.field=p",
		"transforms.v1.type=MaskField$Value", "transforms.v1.fields=secret",
		"transforms.v2.type=ReplaceField$Value", "transforms.v2.renames=id:key_id",
		"transforms.tokey.type=ValueToKey", "transforms.tokey.fields=key_id,secret",
		"transforms.ex.type=ExtractField$Value", "transforms.ex.field=nested",
	)
	r := rec(record.RawJSON(`{"id":7,"secret":"s3cr3t","nested":{"a":[1,2]}}`))
	r.KeyData = record.RawJSON(`{"k":1}`)
	out := apply(t, c, r)
	jsonEqual(t, out.KeyData, `{"key_id":7,"secret":""}`)
	if got := string(out.ValueData.(record.RawJSON)); got != `{"a":[1,2]}` {
		t.Errorf("value = %s", got)
	}
	if string(out.Value) != `{"id":7,"secret":"s3cr3t","nested":{"a":[1,2]}}` {
		t.Errorf("the original bytes changed: %s", out.Value)
	}
	// A non-object key takes the generic path while the value object is pending.
	c = chainOf(t, "transforms=v,k", "transforms.v.type=MaskField$Value", "transforms.v.fields=a",
		"transforms.k.type=InsertField$Key", "transforms.k.topic.field=t")
	r = rec(record.RawJSON(`{"a":"x"}`))
	r.KeyData = record.RawJSON(`"scalar"`)
	applyErr(t, c, r, "InsertField$Key: only map objects")
}

// A Chain is safe for concurrent use (run with -race).
func TestChainConcurrent(t *testing.T) {
	c := chain5(t)
	raw := benchValue(t)
	want := apply(t, c, rec(raw))
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func(g int) {
			defer func() { done <- true }()
			for i := 0; i < 200; i++ {
				r := rec(raw)
				r.Timestamp += int64(g*i) * 1000
				out, _, err := c.Apply(r)
				if err != nil || string(out.ValueData.(record.RawJSON)) != string(want.ValueData.(record.RawJSON)) {
					t.Errorf("goroutine %d: %v", g, err)
					return
				}
			}
		}(g)
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}
