package config

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

func TestParseDefaults(t *testing.T) {
	c := mustParse(t, testSpec(), required())
	if got := c.String("topics.dir"); got != "topics" {
		t.Errorf("topics.dir = %q", got)
	}
	if got := c.Int("flush.size"); got != 1000 {
		t.Errorf("flush.size = %d", got)
	}
	if got := c.Long("rotate.interval.ms"); got != -1 {
		t.Errorf("rotate.interval.ms = %d", got)
	}
	if got := c.Long("partition.duration.ms"); got != 0 {
		t.Errorf("unset partition.duration.ms = %d", got)
	}
	if got := c.Double("retry.backoff.factor"); got != 1.5 {
		t.Errorf("retry.backoff.factor = %v", got)
	}
	if c.Bool("store.kafka.keys") || !c.Bool("value.converter.schemas.enable") {
		t.Errorf("booleans: store.kafka.keys %v, value.converter.schemas.enable %v",
			c.Bool("store.kafka.keys"), c.Bool("value.converter.schemas.enable"))
	}
	if got := c.List("partition.field.name"); got != nil {
		t.Errorf("unset list = %#v", got)
	}
	if got := c.String("format.class"); got != jsonFormat {
		t.Errorf("format.class = %q", got)
	}
	if got := c.Password("aws.secret.access.key"); got != "" {
		t.Errorf("unset password = %q", got)
	}
	for _, k := range []string{"topics.dir", "flush.size", "partition.duration.ms", "format.class"} {
		if c.IsSet(k) {
			t.Errorf("IsSet(%s) for a default", k)
		}
	}
	if !c.IsSet("connector.name") || !c.IsSet("s3.bucket.name") {
		t.Error("IsSet false for settings given")
	}
	if len(c.Ignored()) != 0 {
		t.Errorf("Ignored = %v", c.Ignored())
	}
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		key, value string
		get        func(*Config) any
		want       any
	}{
		{"topics.dir", "  data  ", func(c *Config) any { return c.String("topics.dir") }, "data"},
		{"topics.dir", "", func(c *Config) any { return c.String("topics.dir") }, ""},
		{"flush.size", "5", func(c *Config) any { return c.Int("flush.size") }, 5},
		{"flush.size", "+7", func(c *Config) any { return c.Int("flush.size") }, 7},
		{"flush.size", " 0010\t", func(c *Config) any { return c.Int("flush.size") }, 10},
		{"flush.size", "2147483647", func(c *Config) any { return c.Int("flush.size") }, 2147483647},
		{"rotate.interval.ms", "-9223372036854775808", func(c *Config) any { return c.Long("rotate.interval.ms") }, int64(-9223372036854775808)},
		{"partition.duration.ms", "3600000", func(c *Config) any { return c.Long("partition.duration.ms") }, int64(3600000)},
		{"retry.backoff.factor", "2.5e1", func(c *Config) any { return c.Double("retry.backoff.factor") }, 25.0},
		{"retry.backoff.factor", "-3", func(c *Config) any { return c.Double("retry.backoff.factor") }, -3.0},
		{"store.kafka.keys", "TRUE", func(c *Config) any { return c.Bool("store.kafka.keys") }, true},
		{"store.kafka.keys", " False ", func(c *Config) any { return c.Bool("store.kafka.keys") }, false},
		{"partition.field.name", " a , b ,c", func(c *Config) any { return c.List("partition.field.name") }, []string{"a", "b", "c"}},
		{"partition.field.name", "", func(c *Config) any { return c.List("partition.field.name") }, []string{}},
		{"partition.field.name", "a,,b", func(c *Config) any { return c.List("partition.field.name") }, []string{"a", "", "b"}},
		{"s3.compression.type", "gzip", func(c *Config) any { return c.String("s3.compression.type") }, "gzip"},
		{"format.class", "ByteArrayFormat", func(c *Config) any { return c.String("format.class") }, byteArrayFormat},
		{"format.class", byteArrayFormat, func(c *Config) any { return c.String("format.class") }, byteArrayFormat},
		{"format.class", " JsonFormat ", func(c *Config) any { return c.String("format.class") }, jsonFormat},
		{"aws.secret.access.key", "s3cr3t", func(c *Config) any { return c.Password("aws.secret.access.key") }, "s3cr3t"},
		{"aws.secret.access.key", "s3cr3t", func(c *Config) any { return c.String("aws.secret.access.key") }, "s3cr3t"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			c := mustParse(t, testSpec(), with(tt.key, tt.value))
			got := tt.get(c)
			if gs, ok := got.([]string); ok {
				if !slices.Equal(gs, tt.want.([]string)) || gs == nil {
					t.Errorf("got %#v, want %#v", got, tt.want)
				}
			} else if got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
			if !c.IsSet(tt.key) {
				t.Errorf("IsSet(%s) false", tt.key)
			}
		})
	}
}

func TestParseBadValues(t *testing.T) {
	tests := []struct {
		key, value string
		want       string // the problem's full text
	}{
		{"flush.size", "abc", `flush.size: "abc" is not an integer`},
		{"flush.size", "1.5", `flush.size: "1.5" is not an integer`},
		{"flush.size", "", `flush.size: "" is not an integer`},
		{"flush.size", "2147483648", `flush.size: "2147483648" is out of range for an int (-2147483648 to 2147483647)`},
		{"flush.size", "0", `flush.size: must be at least 1 (got "0")`},
		{"rotate.interval.ms", "9223372036854775808", `rotate.interval.ms: "9223372036854775808" is out of range for a long`},
		{"rotate.interval.ms", "1h", `rotate.interval.ms: "1h" is not an integer`},
		{"retry.backoff.factor", "fast", `retry.backoff.factor: "fast" is not a number`},
		{"retry.backoff.factor", "NaN", `retry.backoff.factor: "NaN" is not a number`},
		{"retry.backoff.factor", "1e999", `retry.backoff.factor: "1e999" is not a finite number`},
		{"store.kafka.keys", "yes", `store.kafka.keys: "yes" is not a boolean (true or false)`},
		{"s3.compression.type", "snappy", `s3.compression.type: "snappy" is not one of none, gzip`},
		{"s3.compression.type", "GZIP", `s3.compression.type: "GZIP" is not one of none, gzip`},
		{"behavior.on.null.values", "", `behavior.on.null.values: "" is not one of fail, ignore`},
		{"format.class", "AvroFormat", `format.class: "AvroFormat" is not one of ` + jsonFormat + ", " + byteArrayFormat + " (or ByteArrayFormat, JsonFormat)"},
		{"s3.bucket.name", "  ", `s3.bucket.name: required setting is empty`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			_, err := testSpec().Parse(with(tt.key, tt.value))
			if !errclass.Is(err, errclass.BadConfig) {
				t.Fatalf("err = %v, want a BadConfig error", err)
			}
			ps := problemsOf(t, err)
			if len(ps) != 1 || ps[0].Key != tt.key || ps[0].String() != tt.want {
				t.Errorf("problems %q, want one: %q", ps, tt.want)
			}
		})
	}
}

func TestParsePasswordNeverShown(t *testing.T) {
	s := testSpec()
	for i := range s.Keys {
		if s.Keys[i].Name == "aws.secret.access.key" {
			s.Keys[i].Validate = func(any) error { return errors.New("too short") }
		}
	}
	_, err := s.Parse(with("aws.secret.access.key", "hunter2"))
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "[hidden]") {
		t.Fatalf("err = %v: want the password hidden", err)
	}
}

// TestParseEveryProblem checks that one error names every bad key: missing, mistyped, outside
// Enum, failing Validate and unknown.
func TestParseEveryProblem(t *testing.T) {
	_, err := testSpec().Parse(map[string]string{
		"connector.name":      "orders",
		"flush.size":          "abc",
		"rotate.interval.ms":  "soon",
		"s3.compression.type": "lz4",
		"store.kafka.keys":    "maybe",
		"s3.bukcet.name":      "typo",
		"zzz.unrelated":       "x",
		"topics":              "orders", // ignored: not a problem
		"key.converter.x":     "y",      // under a prefix: not a problem
	})
	if !errclass.Is(err, errclass.BadConfig) {
		t.Fatalf("err = %v, want a BadConfig error", err)
	}
	ps := problemsOf(t, err)
	want := []string{"s3.bucket.name", "flush.size", "rotate.interval.ms", "store.kafka.keys",
		"s3.compression.type", "s3.bukcet.name", "zzz.unrelated"}
	if !slices.Equal(ps.Keys(), want) {
		t.Errorf("problem keys %q, want %q", ps.Keys(), want)
	}
	msg := err.Error()
	for _, s := range []string{
		"s3-sink configuration: 7 invalid settings: ",
		"s3.bucket.name: required setting is missing (set CONNECT_S3_BUCKET_NAME)",
		`flush.size: "abc" is not an integer`,
		`unknown setting "s3.bukcet.name", did you mean s3.bucket.name?`,
	} {
		if !strings.Contains(msg, s) {
			t.Errorf("error lacks %q:\n%s", s, msg)
		}
	}
	if !strings.HasSuffix(msg, `; unknown setting "zzz.unrelated"`) {
		t.Errorf("error does not end with the unrelated unknown key:\n%s", msg)
	}
	if strings.Contains(msg, "zzz.unrelated\", did you mean") {
		t.Errorf("suggestion for a name close to nothing: %s", msg)
	}
}

func TestSuggestions(t *testing.T) {
	tests := []struct{ name, want string }{
		{"s3.bukcet.name", "s3.bucket.name"},
		{"s3.bucket.nam", "s3.bucket.name"},
		{"FLUSH.SIZE", "flush.size"},
		{"flush_size", "flush.size"},
		{"tasks.maxx", "tasks.max"},
		{"value.convertor.schemas.enable", "value.converter.schemas.enable"},
		{"key.convrter.converter.type", "key.converter.converter.type"},
		{"value.converter", ""}, // far from every key
		{"completely.different", ""},
		{"ab", ""},
	}
	s := testSpec()
	for _, tt := range tests {
		if got := s.suggest(tt.name); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"bukcet", "bucket", 1}, {"ab", "ba", 1}, {"abc", "abc", 0}, {"flaw", "lawn", 2},
	}
	for _, tt := range tests {
		if got := EditDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := EditDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestPrefixesAndSub(t *testing.T) {
	c := mustParse(t, testSpec(), with(
		"key.converter.schemas.enable", "false",
		"value.converter.schemas.enable", "FALSE",
		"value.converter.decimal.format", "NUMERIC",
		"key.converter", "org.apache.kafka.connect.json.JsonConverter",
	))
	if got, want := c.Sub("key.converter."), map[string]string{"schemas.enable": "false"}; !maps.Equal(got, want) {
		t.Errorf("Sub(key.converter.) = %v, want %v", got, want)
	}
	if got, want := c.Sub("value.converter."), map[string]string{"schemas.enable": "false", "decimal.format": "NUMERIC"}; !maps.Equal(got, want) {
		t.Errorf("Sub(value.converter.) = %v, want %v", got, want)
	}
	// Spec keys under a prefix appear with their default too.
	c = mustParse(t, testSpec(), required())
	if got, want := c.Sub("value.converter."), map[string]string{"schemas.enable": "true"}; !maps.Equal(got, want) {
		t.Errorf("Sub(value.converter.) by default = %v, want %v", got, want)
	}
	if got := c.Sub("nothing."); len(got) != 0 {
		t.Errorf("Sub(nothing.) = %v", got)
	}
	// The bare prefix is not a setting under it.
	_, err := testSpec().Parse(with("value.converter.", "x"))
	if ps := problemsOf(t, err); len(ps) != 1 || !ps[0].Unknown {
		t.Errorf("bare prefix: %v", err)
	}
}

func TestIgnoredAndRedacted(t *testing.T) {
	c := mustParse(t, testSpec(), with(
		"topics", "orders",
		"tasks.max", "4",
		"connector.class", "io.confluent.connect.s3.S3SinkConnector",
		"aws.secret.access.key", "hunter2",
		"value.converter.basic.auth.user.info", "user:pw",
		"key.converter.schemas.enable", "false",
		"flush.size", " 10 ",
	))
	if got, want := c.Ignored(), []string{"connector.class", "tasks.max", "topics"}; !slices.Equal(got, want) {
		t.Errorf("Ignored = %v, want %v", got, want)
	}
	r := c.Redacted()
	for k, want := range map[string]string{
		"aws.secret.access.key":                "[hidden]",
		"value.converter.basic.auth.user.info": "[hidden]",
		"key.converter.schemas.enable":         "false",
		"flush.size":                           "10",
		"topics.dir":                           "topics",
		"format.class":                         jsonFormat,
		"topics":                               "orders",
		"connector.name":                       "orders-s3",
	} {
		if r[k] != want {
			t.Errorf("Redacted[%s] = %q, want %q", k, r[k], want)
		}
	}
	if _, ok := r["partition.duration.ms"]; ok {
		t.Error("Redacted has an unset key")
	}
	for k, v := range r {
		if strings.Contains(v, "hunter2") || strings.Contains(v, "user:pw") {
			t.Errorf("Redacted[%s] shows a secret", k)
		}
	}
	if c.Values()["aws.secret.access.key"] != "hunter2" {
		t.Error("Values hides the password")
	}
}

func TestGetterPanics(t *testing.T) {
	c := mustParse(t, testSpec(), required())
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{"unknown name", func() { c.String("no.such.key") }, `"no.such.key" is not a setting`},
		{"IsSet unknown", func() { c.IsSet("no.such.key") }, `"no.such.key" is not a setting`},
		{"Int on a long", func() { c.Int("rotate.interval.ms") }, "is a long"},
		{"Long on an int", func() { c.Long("flush.size") }, "is a int"},
		{"String on an int", func() { c.String("flush.size") }, "is a int"},
		{"Bool on a string", func() { c.Bool("topics.dir") }, "is a string"},
		{"List on a string", func() { c.List("topics.dir") }, "is a string"},
		{"Double on an int", func() { c.Double("flush.size") }, "is a int"},
		{"Password on a string", func() { c.Password("topics.dir") }, "is a string"},
	}
	for _, tt := range tests {
		if msg := panics(tt.f); !strings.Contains(msg, tt.want) {
			t.Errorf("%s: panic %q, want one containing %q", tt.name, msg, tt.want)
		}
	}
	if msg := panics(func() { c.String("format.class"); c.Password("aws.secret.access.key") }); msg != "" {
		t.Errorf("valid getters panicked: %s", msg)
	}
}

func TestListIsACopy(t *testing.T) {
	c := mustParse(t, testSpec(), with("partition.field.name", "a,b"))
	c.List("partition.field.name")[0] = "changed"
	if got := c.List("partition.field.name"); got[0] != "a" {
		t.Errorf("List shares its slice: %v", got)
	}
}

func TestBadDefault(t *testing.T) {
	s := testSpec()
	s.Keys[3].Default = "lots" // flush.size
	_, err := s.Parse(required())
	if ps := problemsOf(t, err); len(ps) != 1 || !strings.Contains(ps[0].Message, `the spec's default is invalid: "lots" is not an integer`) {
		t.Errorf("problems %v", ps)
	}
}

func TestParseBool(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    bool
		wantErr string
	}{
		{in: "true", want: true},
		{in: "TRUE", want: true},
		{in: "False"},
		{in: "yes", wantErr: `x.enable: must be true or false, got "yes"`},
		{in: " true", wantErr: `x.enable: must be true or false, got " true"`},
		{in: "", wantErr: `x.enable: must be true or false, got ""`},
	} {
		got, err := ParseBool("x.enable", tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr || !errclass.Is(err, errclass.BadConfig) {
				t.Errorf("ParseBool(%q) = %v, %v, want a bad_config error %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseBool(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
		}
	}
}
