package avroconv

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/hamba/avro/v2"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// SchemaToConnect returns the Connect schema of an Avro schema, as Confluent's
// AvroData.toConnectSchema: records are structs (named by their full name, except AvroData's own
// ConnectDefault names), ["null", T] and [T, "null"] are optional T, other unions are structs named
// io.confluent.connect.avro.Union with one optional field per branch, enums are strings and fixed
// are bytes (both marked by parameters so that SchemaFromConnect gives them back), arrays of
// MapEntry records are maps; the logical types decimal (bytes or fixed), date, time-millis,
// time-micros, timestamp-millis, timestamp-micros, local-timestamp-millis/micros map to Connect's
// Decimal, Date, Time and Timestamp (values keep their microseconds), uuid to string; the
// connect.* properties restore the Connect name, version, doc, parameters and int8/int16.
// Recursive schemas have no Connect equivalent and are an error.
func SchemaToConnect(s avro.Schema) (*record.Schema, error) {
	t := &toConnect{inProgress: map[string]bool{}}
	return t.schema(s, false, "")
}

type toConnect struct {
	inProgress map[string]bool
}

func propString(s avro.Schema, name string) string {
	if ps, ok := s.(avro.PropertySchema); ok {
		if v, ok := ps.Prop(name).(string); ok {
			return v
		}
	}
	return ""
}

// applyMeta copies the connect.* properties of a onto c.
func applyMeta(a avro.Schema, c *record.Schema) {
	ps, ok := a.(avro.PropertySchema)
	if !ok {
		return
	}
	if n := propString(a, propName); n != "" {
		c.Name = n
	}
	if d := propString(a, propDoc); d != "" {
		c.Doc = d
	}
	switch v := ps.Prop(propVersion).(type) {
	case float64:
		c.Version = int32(v)
	case int:
		c.Version = int32(v)
	case int64:
		c.Version = int32(v)
	case string:
		if n, err := strconv.Atoi(v); err == nil {
			c.Version = int32(n)
		}
	}
	if p, ok := ps.Prop(propParameters).(map[string]any); ok && len(p) > 0 {
		if c.Parameters == nil {
			c.Parameters = make(map[string]string, len(p))
		}
		for k, v := range p {
			if str, ok := v.(string); ok {
				c.Parameters[k] = str
			} else {
				c.Parameters[k] = fmt.Sprint(v)
			}
		}
	}
}

func logicalOf(s avro.Schema) avro.LogicalSchema {
	if l, ok := s.(avro.LogicalTypeSchema); ok {
		return l.Logical()
	}
	return nil
}

func (t *toConnect) schema(s avro.Schema, optional bool, path string) (*record.Schema, error) {
	if ref, ok := s.(*avro.RefSchema); ok {
		full := ref.Schema().FullName()
		if t.inProgress[full] {
			return nil, fmt.Errorf("avro: %s: recursive schema %q has no Connect equivalent", at(path, "ref"), full)
		}
		s = ref.Schema()
	}
	c := &record.Schema{Optional: optional}
	if ls := logicalOf(s); ls != nil {
		if done, err := t.logical(s, ls, c, path); done || err != nil {
			return c, err
		}
	}
	switch s.Type() {
	case avro.Boolean:
		c.Type = record.Boolean
	case avro.Int:
		c.Type = record.Int32
		switch propString(s, propType) {
		case "int8":
			c.Type = record.Int8
		case "int16":
			c.Type = record.Int16
		}
	case avro.Long:
		c.Type = record.Int64
	case avro.Float:
		c.Type = record.Float32
	case avro.Double:
		c.Type = record.Float64
	case avro.String:
		c.Type = record.String
	case avro.Bytes:
		c.Type = record.Bytes
	case avro.Enum:
		e := s.(*avro.EnumSchema)
		c.Type = record.String
		applyMeta(s, c)
		if c.Parameters == nil {
			c.Parameters = map[string]string{}
		}
		c.Parameters[EnumParameter] = e.FullName()
		for _, sym := range e.Symbols() {
			c.Parameters[EnumParameter+"."+sym] = sym
		}
		c.Parameters[EnumSymbolsParameter] = strings.Join(e.Symbols(), ",")
		if c.Name == "" {
			c.Name = e.FullName()
		}
		return c, nil
	case avro.Fixed:
		f := s.(*avro.FixedSchema)
		c.Type = record.Bytes
		applyMeta(s, c)
		if c.Parameters == nil {
			c.Parameters = map[string]string{}
		}
		c.Parameters[FixedSizeParameter] = strconv.Itoa(f.Size())
		c.Name = f.FullName()
		return c, nil
	case avro.Array:
		items := s.(*avro.ArraySchema).Items()
		if isMapEntry(items) {
			rec := deref(items).(*avro.RecordSchema)
			k, err := t.schema(rec.Fields()[0].Type(), false, at(path, "key"))
			if err != nil {
				return nil, err
			}
			v, err := t.schema(rec.Fields()[1].Type(), false, at(path, "value"))
			if err != nil {
				return nil, err
			}
			c.Type, c.Key, c.Value = record.Map, k, v
			break
		}
		v, err := t.schema(items, false, at(path, "items"))
		if err != nil {
			return nil, err
		}
		c.Type, c.Value = record.Array, v
	case avro.Map:
		v, err := t.schema(s.(*avro.MapSchema).Values(), false, at(path, "values"))
		if err != nil {
			return nil, err
		}
		c.Type, c.Key, c.Value = record.Map, record.StringSchema, v
	case avro.Record, avro.Error:
		return t.record(s.(*avro.RecordSchema), c, path)
	case avro.Union:
		return t.union(s.(*avro.UnionSchema), optional, path)
	case avro.Null:
		return nil, fmt.Errorf("avro: %s: a null type outside a union has no Connect equivalent", at(path, "null"))
	default:
		return nil, fmt.Errorf("avro: %s: unsupported Avro type %q", at(path, "schema"), s.Type())
	}
	applyMeta(s, c)
	return c, nil
}

// logical maps a logical type onto c; done is false for logical types read as their base type.
func (t *toConnect) logical(s avro.Schema, ls avro.LogicalSchema, c *record.Schema, path string) (done bool, err error) {
	switch ls.Type() {
	case avro.Decimal:
		d, ok := ls.(*avro.DecimalLogicalSchema)
		if !ok {
			return false, nil
		}
		c.Type, c.Name = record.Bytes, record.DecimalName
		applyMeta(s, c)
		c.Name = record.DecimalName
		if c.Parameters == nil {
			c.Parameters = map[string]string{}
		}
		c.Parameters[record.DecimalScaleParameter] = strconv.Itoa(d.Scale())
		if d.Precision() != DefaultPrecision {
			c.Parameters[PrecisionParameter] = strconv.Itoa(d.Precision())
		}
		if f, ok := s.(*avro.FixedSchema); ok {
			c.Parameters[FixedSizeParameter] = strconv.Itoa(f.Size())
		}
		return true, nil
	case avro.Date:
		c.Type, c.Name = record.Int32, record.DateName
	case avro.TimeMillis, avro.TimeMicros:
		c.Type, c.Name = record.Int32, record.TimeName
	case avro.TimestampMillis, avro.TimestampMicros, avro.LocalTimestampMillis, avro.LocalTimestampMicros:
		c.Type, c.Name = record.Int64, record.TimestampName
	default:
		return false, nil // uuid is a string, duration a fixed
	}
	applyMeta(s, c)
	return true, nil
}

func deref(s avro.Schema) avro.Schema {
	if r, ok := s.(*avro.RefSchema); ok {
		return r.Schema()
	}
	return s
}

func isMapEntry(s avro.Schema) bool {
	rec, ok := deref(s).(*avro.RecordSchema)
	if !ok || rec.FullName() != MapEntryName || len(rec.Fields()) != 2 {
		return false
	}
	return rec.Fields()[0].Name() == "key" && rec.Fields()[1].Name() == "value"
}

func (t *toConnect) record(r *avro.RecordSchema, c *record.Schema, path string) (*record.Schema, error) {
	full := r.FullName()
	t.inProgress[full] = true
	defer delete(t.inProgress, full)
	c.Type = record.Struct
	if !defaultNameRE.MatchString(full) {
		c.Name = full
	}
	c.Doc = r.Doc()
	applyMeta(r, c)
	c.Fields = make([]record.Field, len(r.Fields()))
	for i, f := range r.Fields() {
		fs, err := t.schema(f.Type(), false, at(path, f.Name()))
		if err != nil {
			return nil, err
		}
		if f.HasDefault() && f.Default() != nil {
			def, err := defaultFromAvro(fs, f.Default())
			if err != nil {
				return nil, fmt.Errorf("avro: field %s default: %w", at(path, f.Name()), err)
			}
			fs.Default = def
		}
		c.Fields[i] = record.Field{Name: f.Name(), Index: i, Schema: fs}
	}
	return c, nil
}

// unionBranchName names the Connect field of a union branch as AvroData does: a named type by
// its simple name, any other by its type name.
func unionBranchName(s avro.Schema) string {
	if n, ok := deref(s).(avro.NamedSchema); ok {
		return n.Name()
	}
	return string(s.Type())
}

func (t *toConnect) union(u *avro.UnionSchema, optional bool, path string) (*record.Schema, error) {
	var branches []avro.Schema
	hasNull := false
	for _, b := range u.Types() {
		if b.Type() == avro.Null {
			hasNull = true
			continue
		}
		branches = append(branches, b)
	}
	switch {
	case len(branches) == 0:
		return nil, fmt.Errorf("avro: %s: a union of null only has no Connect equivalent", at(path, "union"))
	case len(branches) == 1 && hasNull:
		return t.schema(branches[0], true, path)
	}
	c := &record.Schema{Type: record.Struct, Name: UnionName, Optional: optional || hasNull}
	seen := map[string]bool{}
	for i, b := range branches {
		name := unionBranchName(b)
		if seen[name] {
			return nil, fmt.Errorf("avro: %s: two union branches named %q", at(path, "union"), name)
		}
		seen[name] = true
		fs, err := t.schema(b, true, at(path, name))
		if err != nil {
			return nil, err
		}
		c.Fields = append(c.Fields, record.Field{Name: name, Index: i, Schema: fs})
	}
	return c, nil
}

// defaultFromAvro converts a field default as hamba parsed it (JSON values) to Connect data.
func defaultFromAvro(s *record.Schema, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch s.Name {
	case record.DecimalName, record.DateName, record.TimeName, record.TimestampName:
		// Logical defaults are left out rather than guessed at.
		return nil, nil
	}
	num := func() (float64, error) {
		switch n := v.(type) {
		case float64:
			return n, nil
		case float32:
			return float64(n), nil
		case int:
			return float64(n), nil
		case int32:
			return float64(n), nil
		case int64:
			return float64(n), nil
		}
		return 0, fmt.Errorf("%v (%T) is not a number", v, v)
	}
	switch s.Type {
	case record.Int8, record.Int16, record.Int32, record.Int64:
		if i, ok := v.(int64); ok {
			return castInt(s.Type, i)
		}
		f, err := num()
		if err != nil {
			return nil, err
		}
		if f != math.Trunc(f) {
			return nil, fmt.Errorf("%v is not an integer", v)
		}
		return castInt(s.Type, int64(f))
	case record.Float32:
		f, err := num()
		return float32(f), err
	case record.Float64:
		return num()
	case record.Boolean, record.String:
		switch v.(type) {
		case bool, string:
			return v, nil
		}
	case record.Bytes:
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			out := make([]byte, 0, len(b))
			for _, r := range b {
				out = append(out, byte(r))
			}
			return out, nil
		}
		return nativeBytes(v)
	case record.Array:
		arr, ok := v.([]any)
		if !ok {
			break
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			d, err := defaultFromAvro(s.Value, e)
			if err != nil {
				return nil, err
			}
			out[i] = d
		}
		return out, nil
	case record.Map:
		m, ok := v.(map[string]any)
		if !ok || s.Key.Type != record.String {
			break
		}
		out := make([]record.MapEntry, 0, len(m))
		for _, k := range sortedAnyKeys(m) {
			d, err := defaultFromAvro(s.Value, m[k])
			if err != nil {
				return nil, err
			}
			out = append(out, record.MapEntry{Key: k, Value: d})
		}
		return out, nil
	case record.Struct:
		m, ok := v.(map[string]any)
		if !ok || s.Name == UnionName {
			break
		}
		sv := &record.StructValue{Schema: s, Values: make([]any, len(s.Fields))}
		for i, f := range s.Fields {
			fv, present := m[f.Name]
			if !present {
				fv = f.Schema.Default
			} else {
				var err error
				if fv, err = defaultFromAvro(f.Schema, fv); err != nil {
					return nil, err
				}
			}
			sv.Values[i] = fv
		}
		return sv, nil
	}
	return nil, fmt.Errorf("unsupported default %v (%T) for a %s", v, v, s.Type)
}

func castInt(t record.Type, i int64) (any, error) {
	var lo, hi int64
	switch t {
	case record.Int8:
		lo, hi = math.MinInt8, math.MaxInt8
	case record.Int16:
		lo, hi = math.MinInt16, math.MaxInt16
	case record.Int32:
		lo, hi = math.MinInt32, math.MaxInt32
	default:
		return i, nil
	}
	if i < lo || i > hi {
		return nil, fmt.Errorf("%d out of range for %s", i, t)
	}
	switch t {
	case record.Int8:
		return int8(i), nil
	case record.Int16:
		return int16(i), nil
	}
	return int32(i), nil
}

var errNotBytes = errors.New("not bytes")
