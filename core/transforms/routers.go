package transforms

import (
	"strings"
	"sync/atomic"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// TimestampRouter and RegexRouter change a record's topic; Filter drops records.

// TimestampRouter: topic from topic.format with ${topic} and ${timestamp} (the record's
// timestamp formatted with timestamp.format, in UTC).
func timestampRouterDef() Definition {
	return Definition{
		Class: connectPackage + "TimestampRouter",
		Doc:   "Update the record's topic field as a function of the original topic value and the record timestamp.",
		Keys: []config.Key{
			{Name: "topic.format", Type: config.String, Default: "${topic}-${timestamp}",
				Doc: "Format string which can contain ${topic} and ${timestamp} as placeholders for the topic and timestamp, respectively."},
			{Name: "timestamp.format", Type: config.String, Default: "yyyyMMdd",
				Doc:      "Format string for the timestamp that is compatible with java.text.SimpleDateFormat.",
				Validate: func(v any) error { _, err := ParseDateFormat(v.(string)); return err }},
		},
		New: func(s Settings) (Transform, error) {
			f, err := ParseDateFormat(s.String("timestamp.format"))
			if err != nil {
				return nil, Invalid("timestamp.format", "%v", err)
			}
			return &timestampRouter{format: s.String("topic.format"), ts: f}, nil
		},
	}
}

type timestampRouter struct {
	format string
	ts     *DateFormat
	last   atomic.Pointer[routed] // the last topic made, reused while topic and period match
}

type routed struct {
	topic  string
	period int64 // timestamp / ts.unit (floored)
	out    string
}

func (*timestampRouter) metadataOnly() {}

func (t *timestampRouter) Apply(r record.Record) (record.Record, bool, error) {
	if err := t.apply(&r); err != nil {
		return r, false, err
	}
	return r, true, nil
}

// apply routes r in place.
func (t *timestampRouter) apply(r *record.Record) error {
	if r.TimestampType == record.NoTimestampType {
		return fail(r, "TimestampRouter", "timestamp missing on record")
	}
	period := floorDiv(r.Timestamp, t.ts.unit)
	if c := t.last.Load(); c != nil && c.period == period && c.topic == r.Topic {
		r.Topic = c.out
		return nil
	}
	// Connect replaces ${topic} first, then ${timestamp} in the result.
	var stamp [64]byte
	out := strings.ReplaceAll(t.format, "${topic}", r.Topic)
	out = strings.ReplaceAll(out, "${timestamp}", string(t.ts.Append(stamp[:0], r.Timestamp)))
	t.last.Store(&routed{topic: r.Topic, period: period, out: out})
	r.Topic = out
	return nil
}

// RegexRouter: when the whole topic matches regex, the topic becomes the first match replaced
// by replacement ($1, ${name} refer to groups).
func regexRouterDef() Definition {
	return Definition{
		Class: connectPackage + "RegexRouter",
		Doc:   "Update the record topic using the configured regular expression and replacement string.",
		Keys: []config.Key{
			{Name: "regex", Type: config.String, Required: true, Doc: "Regular expression to use for matching (Java syntax, where Go's RE2 agrees with it).",
				Validate: func(v any) error { _, err := CompileJavaRegex(v.(string)); return err }},
			{Name: "replacement", Type: config.String, Required: true, Doc: "Replacement string."},
		},
		New: func(s Settings) (Transform, error) {
			re, err := CompileJavaRegex(s.String("regex"))
			if err != nil {
				return nil, Invalid("regex", "%v", err)
			}
			rp, err := parseJavaReplacement(s.String("replacement"), re)
			if err != nil {
				return nil, Invalid("replacement", "%v", err)
			}
			return &regexRouter{re: re, repl: rp}, nil
		},
	}
}

type regexRouter struct {
	re   *JavaRegexp
	repl javaReplacement
	last atomic.Pointer[[2]string] // the last topic routed and its result
}

func (*regexRouter) metadataOnly() {}

func (t *regexRouter) Apply(r record.Record) (record.Record, bool, error) {
	if c := t.last.Load(); c != nil && c[0] == r.Topic {
		r.Topic = c[1]
		return r, true, nil
	}
	out := r.Topic
	if t.re.Matches(r.Topic) {
		out = t.repl.replaceFirst(t.re, r.Topic)
	}
	t.last.Store(&[2]string{r.Topic, out})
	r.Topic = out
	return r, true, nil
}

// Filter drops every record it is applied to: use it with a predicate.
func filterDef() Definition {
	return Definition{
		Class: connectPackage + "Filter",
		Doc:   "Drops all records, filtering them from subsequent transformations in the chain. This is intended to be used conditionally to filter out records matching (or not matching) a particular predicate.",
		New:   func(Settings) (Transform, error) { return filter{}, nil },
	}
}

type filter struct{}

func (filter) metadataOnly() {}

func (filter) Apply(r record.Record) (record.Record, bool, error) { return r, false, nil }
