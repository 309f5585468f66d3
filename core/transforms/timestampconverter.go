package transforms

import (
	"fmt"
	"math"
	"time"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// TimestampConverter$Key / TimestampConverter$Value: convert a timestamp field, or the whole key
// or value, between a formatted string (a SimpleDateFormat pattern, in UTC), a Unix time (in
// seconds, milliseconds, microseconds or nanoseconds) and Connect's Date, Time and Timestamp
// types. Nulls stay null.

// The target types of TimestampConverter.
const (
	tsString    = "string"
	tsUnix      = "unix"
	tsDate      = "Date"
	tsTime      = "Time"
	tsTimestamp = "Timestamp"
)

func timestampConverterDefs() []Definition {
	keys := []config.Key{
		{Name: "field", Type: config.String, Default: "", Doc: "The field containing the timestamp, or empty if the entire value is a timestamp."},
		{Name: "target.type", Type: config.String, Required: true, Enum: []string{tsString, tsUnix, tsDate, tsTime, tsTimestamp},
			Doc: "The desired timestamp representation: string, unix, Date, Time, or Timestamp."},
		{Name: "format", Type: config.String, Default: "",
			Doc: "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used to parse the input if the input is a string.",
			Validate: func(v any) error {
				if javaTrim(v.(string)) == "" {
					return nil
				}
				_, err := ParseDateFormat(v.(string))
				return err
			}},
		{Name: "unix.precision", Type: config.String, Default: "milliseconds", Enum: []string{"seconds", "milliseconds", "microseconds", "nanoseconds"},
			Doc: "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to generate the output when type=unix or used to parse the input if the input is a Long."},
	}
	return keyValueDefs("TimestampConverter", "Convert timestamps of the record {side} between different formats such as Unix epoch, strings, and Connect Date/Timestamp types.", keys, newTimestampConverter)
}

type timestampConverter struct {
	base
	field     string
	target    string
	format    *DateFormat
	precision string
	cache     schemaCache
}

func newTimestampConverter(s Settings, b base) (Transform, error) {
	t := &timestampConverter{base: b, field: s.String("field"), target: s.String("target.type"), precision: s.String("unix.precision")}
	pattern := s.String("format")
	if javaTrim(pattern) != "" {
		f, err := ParseDateFormat(pattern)
		if err != nil {
			return nil, Invalid("format", "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: %v", err)
		}
		t.format = f
	} else if t.target == tsString {
		return nil, Invalid("format", "TimestampConverter requires format option to be specified when using string timestamps")
	}
	return t, nil
}

// targetSchema is the schema of the target type.
func (t *timestampConverter) targetSchema(optional bool) *record.Schema {
	switch t.target {
	case tsString:
		return &record.Schema{Type: record.String, Optional: optional}
	case tsUnix:
		return &record.Schema{Type: record.Int64, Optional: optional}
	case tsDate:
		return &record.Schema{Type: record.Int32, Name: record.DateName, Version: 1, Optional: optional}
	case tsTime:
		return &record.Schema{Type: record.Int32, Name: record.TimeName, Version: 1, Optional: optional}
	}
	return &record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1, Optional: optional}
}

// sourceType is Connect's timestampTypeFromSchema.
func sourceType(s *record.Schema) (string, error) {
	switch {
	case s.Name == record.TimestampName:
		return tsTimestamp, nil
	case s.Name == record.DateName:
		return tsDate, nil
	case s.Name == record.TimeName:
		return tsTime, nil
	case s.Type == record.String:
		return tsString, nil
	case s.Type == record.Int64:
		return tsUnix, nil
	}
	return "", fmt.Errorf("schema %s does not correspond to a known timestamp type format", s.Type)
}

func (t *timestampConverter) Apply(r record.Record) (record.Record, bool, error) {
	s, v := t.sd.get(&r)
	if s == nil {
		if isNull(v) || t.field == "" {
			cv, err := t.convert(v, "")
			if err != nil {
				return r, false, failWrap(&r, t.name, err)
			}
			return t.sd.set(r, nil, cv), true, nil
		}
		m, err := requireMap(&r, t.name, "converting timestamp formats", v)
		if err != nil {
			return r, false, err
		}
		cv, err := t.convert(m[t.field], "")
		if err != nil {
			return r, false, fail(&r, t.name, "field %q: %v", t.field, err)
		}
		out := cloneMap(m, 1)
		out[t.field] = cv
		return t.sd.set(r, nil, out), true, nil
	}
	if t.field == "" {
		st, err := sourceType(s)
		if err != nil {
			return r, false, failWrap(&r, t.name, err)
		}
		cv, err := t.convert(v, st)
		if err != nil {
			return r, false, failWrap(&r, t.name, err)
		}
		return t.sd.set(r, t.targetSchema(s.Optional), cv), true, nil
	}
	if v != nil {
		if _, err := requireStruct(&r, t.name, "converting timestamp formats", v); err != nil {
			return r, false, err
		}
	}
	us, err := t.cache.get(s, t.updatedSchema)
	if err != nil {
		return r, false, failWrap(&r, t.name, err)
	}
	sv, _ := v.(*record.StructValue)
	out, err := t.convertStruct(sv, us)
	if err != nil {
		return r, false, fail(&r, t.name, "field %q: %v", t.field, err)
	}
	if out == nil {
		return t.sd.set(r, us, nil), true, nil
	}
	return t.sd.set(r, us, out), true, nil
}

func (t *timestampConverter) updatedSchema(s *record.Schema) (*record.Schema, error) {
	if s.Type != record.Struct {
		return nil, fmt.Errorf("only struct objects supported for [converting timestamp formats], found: %s", s.Type)
	}
	out := copyBasics(s, record.Struct)
	for _, f := range s.Fields {
		fs := f.Schema
		if f.Name == t.field {
			fs = t.targetSchema(f.Schema.Optional)
		}
		if err := addField(out, f.Name, fs); err != nil {
			return nil, err
		}
	}
	out.Optional = s.Optional
	if d, ok := s.Default.(*record.StructValue); ok {
		cd, err := t.convertStruct(d, out)
		if err != nil {
			return nil, fmt.Errorf("default: %w", err)
		}
		out.Default = cd
	}
	return out, nil
}

func (t *timestampConverter) convertStruct(v *record.StructValue, us *record.Schema) (*record.StructValue, error) {
	if v == nil {
		return nil, nil
	}
	vals := make([]any, len(us.Fields))
	for i := range v.Schema.Fields {
		f := &v.Schema.Fields[i]
		fv := fieldValue(v, f)
		if f.Name == t.field {
			st, err := sourceType(f.Schema)
			if err != nil {
				return nil, err
			}
			if fv, err = t.convert(fv, st); err != nil {
				return nil, err
			}
		}
		vals[i] = fv
	}
	return &record.StructValue{Schema: us, Values: vals}, nil
}

// convert is Connect's convertTimestamp: from the source type (inferred from the value when
// st is "") to the target type.
func (t *timestampConverter) convert(v any, st string) (any, error) {
	v, err := parsed(v)
	if err != nil || v == nil {
		return nil, err
	}
	if st == "" {
		switch v.(type) {
		case time.Time:
			st = tsTimestamp
		case int64:
			st = tsUnix
		case string:
			st = tsString
		default:
			return nil, fmt.Errorf("TimestampConverter does not support %s objects as timestamps", typeName(v))
		}
	}
	var ms int64
	switch st {
	case tsString:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("expected string timestamp to be a string, but found %s", typeName(v))
		}
		if t.format == nil {
			return nil, fmt.Errorf("a format is needed to parse string timestamps")
		}
		if ms, err = t.format.Parse(s); err != nil {
			return nil, fmt.Errorf("could not parse timestamp: value (%s) does not match pattern (%s)", s, t.format.Pattern())
		}
	case tsUnix:
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("expected Unix timestamp to be a long, but found %s", typeName(v))
		}
		switch t.precision {
		case "seconds":
			ms = saturatingMul(n, 1000)
		case "microseconds":
			ms = n / 1000
		case "nanoseconds":
			ms = n / 1000000
		default:
			ms = n
		}
	default:
		tv, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("expected %s to be a date, but found %s", st, typeName(v))
		}
		ms = tv.UnixMilli()
	}
	return t.toTarget(ms), nil
}

func (t *timestampConverter) toTarget(ms int64) any {
	switch t.target {
	case tsString:
		return t.format.Format(ms)
	case tsUnix:
		switch t.precision {
		case "seconds":
			return ms / 1000
		case "microseconds":
			return saturatingMul(ms, 1000)
		case "nanoseconds":
			return saturatingMul(ms, 1000000)
		}
		return ms
	case tsDate:
		return time.UnixMilli(floorDiv(ms, msPerDay) * msPerDay).UTC()
	case tsTime:
		return time.UnixMilli(floorMod(ms, msPerDay)).UTC()
	}
	return time.UnixMilli(ms).UTC()
}

// saturatingMul is a*b clamped to the int64 range, as Java's TimeUnit conversions.
func saturatingMul(a, b int64) int64 {
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	if a < math.MinInt64/b {
		return math.MinInt64
	}
	return a * b
}
