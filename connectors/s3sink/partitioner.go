package s3sink

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// partitioner computes a record's encoded partition: the directories between the topic and the
// object's name. Its errors do not name the record; the caller does.
type partitioner interface {
	encode(r record.Record, now time.Time) (string, error)
}

func newPartitioner(c *resolved) partitioner {
	switch c.Partitioner {
	case FieldPartitionerClass:
		return fieldPartitioner{fields: c.PartitionFields, delim: c.DirectoryDelim}
	case TimeBasedPartitionerClass, HourlyPartitionerClass, DailyPartitionerClass:
		return &timePartitioner{format: c.pathFormat, loc: c.loc, duration: c.PartitionDuration,
			extractor: c.TimestampExtractor, field: c.TimestampField}
	default:
		return defaultPartitioner{}
	}
}

// defaultPartitioner is Confluent's DefaultPartitioner: partition=<kafka partition>.
type defaultPartitioner struct{}

func (defaultPartitioner) encode(r record.Record, _ time.Time) (string, error) {
	return "partition=" + strconv.FormatInt(int64(r.Partition), 10), nil
}

// fixedPartition is the encoded partition of every record of a plan (the DefaultPartitioner's,
// computed once per partition).
type fixedPartition string

func (f fixedPartition) encode(record.Record, time.Time) (string, error) { return string(f), nil }

// fieldPartitioner is Confluent's FieldPartitioner: <field>=<value> for each configured field of
// the value, joined by directory.delim. Field names are top-level names (a dot is part of the
// name). Struct fields must be integers, strings or booleans (a null string field is written
// "null", as Java's string concatenation does); schemaless maps (and JSON objects) are also
// accepted, with integer, number, string or boolean values.
type fieldPartitioner struct {
	fields []string
	delim  string
}

func (p fieldPartitioner) encode(r record.Record, _ time.Time) (string, error) {
	v, err := materialise(r.ValueData)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, name := range p.fields {
		if i > 0 {
			b.WriteString(p.delim)
		}
		s, err := fieldText(r.ValueSchema, v, name)
		if err != nil {
			return "", fmt.Errorf("%s %q: %w", KeyPartitionFieldName, name, err)
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(s)
	}
	return b.String(), nil
}

// materialise parses a RawJSON value; other values are returned as they are.
func materialise(v any) (any, error) {
	if raw, ok := v.(record.RawJSON); ok {
		return jsonconv.Parse(raw)
	}
	return v, nil
}

func fieldText(schema *record.Schema, v any, name string) (string, error) {
	switch v := v.(type) {
	case *record.StructValue:
		f := v.Schema.Field(name)
		if f == nil {
			return "", fmt.Errorf("the value's schema has no such field")
		}
		fv := v.Values[f.Index]
		switch f.Schema.Type {
		case record.Int8, record.Int16, record.Int32, record.Int64:
			if fv == nil {
				return "", fmt.Errorf("the field is null")
			}
			switch n := fv.(type) {
			case int8:
				return strconv.FormatInt(int64(n), 10), nil
			case int16:
				return strconv.FormatInt(int64(n), 10), nil
			case int32:
				return strconv.FormatInt(int64(n), 10), nil
			case int64:
				return strconv.FormatInt(n, 10), nil
			case time.Time:
				return "", fmt.Errorf("type %s (%s) is not supported as a partition key", f.Schema.Type, f.Schema.Name)
			}
		case record.String:
			if fv == nil {
				return "null", nil
			}
			if s, ok := fv.(string); ok {
				return s, nil
			}
		case record.Boolean:
			if fv == nil {
				return "", fmt.Errorf("the field is null")
			}
			if x, ok := fv.(bool); ok {
				return strconv.FormatBool(x), nil
			}
		}
		return "", fmt.Errorf("type %s is not supported as a partition key (integers, strings and booleans are)", schemaTypeName(f.Schema))
	case map[string]any:
		fv, ok := v[name]
		if !ok || fv == nil {
			return "", fmt.Errorf("the value has no such field, or it is null")
		}
		return scalarText(fv)
	case nil:
		return "", fmt.Errorf("the value is null")
	default:
		return "", fmt.Errorf("the value is a %s, not a struct or a map", describe(schema, v))
	}
}

func schemaTypeName(s *record.Schema) string {
	if s.Name != "" {
		return string(s.Type) + " (" + s.Name + ")"
	}
	return string(s.Type)
}

// scalarText formats a schemaless scalar as Java's toString does.
func scalarText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int16:
		return strconv.FormatInt(int64(x), 10), nil
	case int8:
		return strconv.FormatInt(int64(x), 10), nil
	case float64:
		return javaDouble(x), nil
	case float32:
		return javaDouble(float64(x)), nil
	}
	return "", fmt.Errorf("a %s is not supported as a partition key (integers, numbers, strings and booleans are)", describe(nil, v))
}

// describe names the kind of a Connect value for error messages.
func describe(schema *record.Schema, v any) string {
	if schema != nil {
		return "value of schema type " + schemaTypeName(schema)
	}
	switch v.(type) {
	case []any:
		return "array"
	case map[string]any:
		return "map"
	case []record.MapEntry:
		return "map"
	case []byte:
		return "byte array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case int8, int16, int32, int64:
		return "integer"
	case float32, float64:
		return "number"
	case *record.StructValue:
		return "struct"
	}
	return fmt.Sprintf("%T", v)
}

// javaDouble formats f as Java's Double.toString: plain notation with at least one fractional
// digit for magnitudes in [1e-3, 1e7), else d.dddE±n.
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // 1.5e+07
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	if exp[0] == '+' {
		exp = exp[1:]
	}
	if exp[0] == '-' {
		exp = "-" + strings.TrimLeft(exp[1:], "0")
	} else {
		exp = strings.TrimLeft(exp, "0")
	}
	return mant + "E" + exp
}

// timePartitioner is Confluent's TimeBasedPartitioner (and HourlyPartitioner, DailyPartitioner):
// the record's timestamp, floored to the partition duration in the time zone, formatted with
// path.format.
type timePartitioner struct {
	format    pathFormat
	loc       *time.Location
	duration  int64
	extractor string
	field     string
}

func (p *timePartitioner) encode(r record.Record, now time.Time) (string, error) {
	ts, err := p.timestamp(r, now)
	if err != nil {
		return "", err
	}
	bucket := floorTimestamp(ts, p.duration, p.loc)
	return string(p.format.appendTo(nil, time.UnixMilli(bucket).In(p.loc))), nil
}

func (p *timePartitioner) timestamp(r record.Record, now time.Time) (int64, error) {
	switch p.extractor {
	case ExtractorRecord:
		if r.TimestampType == record.NoTimestampType {
			return 0, fmt.Errorf("the record has no timestamp (%s=Record)", KeyTimestampExtractor)
		}
		return r.Timestamp, nil
	case ExtractorRecordField:
		ts, err := fieldTimestamp(r, p.field)
		if err != nil {
			return 0, fmt.Errorf("%s %q: %w", KeyTimestampField, p.field, err)
		}
		return ts, nil
	default:
		return now.UnixMilli(), nil
	}
}

// fieldTimestamp reads the RecordField timestamp, as Confluent's RecordFieldTimestampExtractor:
// a dotted path into struct or map values; integers are milliseconds, Timestamp (and Date) values
// their instant, strings ISO-8601 date-times.
func fieldTimestamp(r record.Record, path string) (int64, error) {
	v, err := materialise(r.ValueData)
	if err != nil {
		return 0, err
	}
	var schema *record.Schema
	for _, name := range strings.Split(path, ".") {
		switch x := v.(type) {
		case *record.StructValue:
			f := x.Schema.Field(name)
			if f == nil {
				return 0, fmt.Errorf("the value's schema has no field %q", name)
			}
			v, schema = x.Values[f.Index], f.Schema
		case map[string]any:
			fv, ok := x[name]
			if !ok {
				return 0, fmt.Errorf("the value has no field %q", name)
			}
			v, schema = fv, nil
		case nil:
			return 0, fmt.Errorf("the value is null")
		default:
			return 0, fmt.Errorf("cannot read field %q of a %s", name, describe(nil, v))
		}
	}
	switch x := v.(type) {
	case time.Time:
		return x.UnixMilli(), nil
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case float64:
		if schema == nil && !math.IsNaN(x) && !math.IsInf(x, 0) {
			return int64(x), nil // Java's Number.longValue truncates
		}
	case string:
		ms, err := parseISODateTime(x)
		if err != nil {
			return 0, err
		}
		return ms, nil
	case nil:
		return 0, fmt.Errorf("the timestamp is null")
	}
	return 0, fmt.Errorf("a %s is not a timestamp (milliseconds, a Timestamp or an ISO-8601 string)", describe(schema, v))
}

// floorTimestamp is Confluent's TimeBasedPartitioner.getPartition: ts shifted to local time,
// floored to duration (Java's truncating division), and shifted back as Joda-Time's
// DateTimeZone.convertLocalToUTC(local, false) does.
func floorTimestamp(ts, duration int64, loc *time.Location) int64 {
	local := ts + offsetAt(ts, loc)
	floored := (local / duration) * duration
	return localToUTC(floored, loc)
}

// offsetAt is the zone's offset in ms at instant ms (Joda's getOffset).
func offsetAt(ms int64, loc *time.Location) int64 {
	_, off := time.UnixMilli(ms).In(loc).Zone()
	return int64(off) * 1000
}

// nextTransition is the next offset change after instant ms, or ms when there is none (Joda's
// nextTransition).
func nextTransition(ms int64, loc *time.Location) int64 {
	_, end := time.UnixMilli(ms).In(loc).ZoneBounds()
	if end.IsZero() {
		return ms
	}
	return end.UnixMilli()
}

// localToUTC is Joda-Time's DateTimeZone.convertLocalToUTC(instantLocal, false).
func localToUTC(local int64, loc *time.Location) int64 {
	offsetLocal := offsetAt(local, loc)
	offset := offsetAt(local-offsetLocal, loc)
	if offsetLocal != offset && offsetLocal < 0 {
		nextLocal := nextTransition(local-offsetLocal, loc)
		if nextLocal == local-offsetLocal {
			nextLocal = math.MaxInt64
		}
		nextAdjusted := nextTransition(local-offset, loc)
		if nextAdjusted == local-offset {
			nextAdjusted = math.MaxInt64
		}
		if nextLocal != nextAdjusted {
			offset = offsetLocal // in a DST gap
		}
	}
	return local - offset
}

// parseISODateTime parses an ISO-8601 date-time as Joda-Time's ISODateTimeFormat.dateTimeParser
// does for the common forms: yyyy[-MM[-dd]] optionally followed by T and HH[:mm[:ss[.SSS...]]]
// and an offset (Z, ±hh, ±hh:mm, ±hhmm). Without an offset the time is UTC (the zone of a Lambda
// function, where Joda uses the JVM's).
func parseISODateTime(s string) (int64, error) {
	bad := func() (int64, error) { return 0, fmt.Errorf("%q is not an ISO-8601 date-time", s) }
	i := 0
	num := func(min, max int) (int, bool) {
		j := i
		for j < len(s) && j-i < max && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		if j-i < min {
			return 0, false
		}
		n, err := strconv.Atoi(s[i:j])
		i = j
		return n, err == nil
	}
	sign := 1
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		if s[i] == '-' {
			sign = -1
		}
		i++
	}
	year, ok := num(4, 9)
	if !ok {
		return bad()
	}
	year *= sign
	month, day := 1, 1
	if i < len(s) && s[i] == '-' {
		i++
		if month, ok = num(2, 2); !ok || month < 1 || month > 12 {
			return bad()
		}
		if i < len(s) && s[i] == '-' {
			i++
			if day, ok = num(2, 2); !ok || day < 1 || day > daysIn(time.Month(month), year) {
				return bad()
			}
		}
	}
	var hour, minute, sec, nanos int
	loc := time.UTC
	if i < len(s) && s[i] == 'T' {
		i++
		if i < len(s) && '0' <= s[i] && s[i] <= '9' {
			if hour, ok = num(2, 2); !ok || hour > 23 {
				return bad()
			}
			if i < len(s) && s[i] == ':' {
				i++
				if minute, ok = num(2, 2); !ok || minute > 59 {
					return bad()
				}
				if i < len(s) && s[i] == ':' {
					i++
					if sec, ok = num(2, 2); !ok || sec > 59 {
						return bad()
					}
					if i < len(s) && (s[i] == '.' || s[i] == ',') {
						i++
						j := i
						for j < len(s) && '0' <= s[j] && s[j] <= '9' {
							j++
						}
						if j == i {
							return bad()
						}
						frac := s[i:min(j, i+9)]
						n, _ := strconv.Atoi(frac)
						for k := len(frac); k < 9; k++ {
							n *= 10
						}
						nanos = n
						i = j
					}
				}
			}
		}
		if i < len(s) {
			switch s[i] {
			case 'Z':
				i++
			case '+', '-':
				neg := s[i] == '-'
				off, ok := parseOffset(s[i+1:])
				if !ok {
					return bad()
				}
				if neg {
					off = -off
				}
				loc = time.FixedZone("", off)
				i = len(s)
			}
		}
	}
	if i != len(s) {
		return bad()
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, loc)
	return t.UnixMilli(), nil
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
