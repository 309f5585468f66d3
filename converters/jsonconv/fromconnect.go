package jsonconv

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"time"

	"github.com/lambda-connect/lambda-connect/converters/javafmt"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// WritesRawJSON reports whether FromConnect writes a schemaless record.RawJSON value through
// unchanged (schemas.enable=false): a caller holding validated JSON text (see Validate) may then
// use the text as the serialised value without calling FromConnect.
func (c *Converter) WritesRawJSON() bool { return !c.cfg.SchemasEnable }

// FromConnect serialises Connect data as Connect's JsonConverter does: an envelope
// {"schema":...,"payload":...} when schemas are enabled, the bare value otherwise. A nil schema
// with a nil value gives nil (a tombstone). Without a schema, RawJSON is written through
// unchanged; other values must be schemaless data (see record.Schema). Values that do not match
// their schema are BadRecord errors naming the field.
//
// The JSON text of each schema is cached by the schema's identity: schemas must not be modified
// once used (records and their schemas are values).
func (c *Converter) FromConnect(_ string, _ []record.Header, schema *record.Schema, value any) ([]byte, error) {
	if schema == nil && value == nil {
		return nil, nil
	}
	hint := int(c.sizeHint.Load())
	if !c.cfg.SchemasEnable {
		if raw, ok := value.(record.RawJSON); ok && schema == nil && len(raw) > 0 {
			return raw[:len(raw):len(raw)], nil
		}
		b, err := c.appendValue(make([]byte, 0, max(hint, 64)), schema, value)
		if err != nil {
			return nil, badRecord(err, "value")
		}
		c.sizeHint.Store(int64(len(b)))
		return b, nil
	}
	b := make([]byte, 0, max(hint, 128))
	b = append(b, `{"schema":`...)
	if schema == nil {
		b = append(b, "null"...)
	} else {
		sj, err := c.schemaJSON(schema)
		if err != nil {
			return nil, badRecord(err, "schema")
		}
		b = append(b, sj...)
	}
	b = append(b, `,"payload":`...)
	b, err := c.appendValue(b, schema, value)
	if err != nil {
		return nil, badRecord(err, "value")
	}
	b = append(b, '}')
	c.sizeHint.Store(int64(len(b)))
	return b, nil
}

// SchemaJSON returns the JSON text Connect writes for s in an envelope's "schema" field.
func (c *Converter) SchemaJSON(s *record.Schema) ([]byte, error) {
	b, err := c.schemaJSON(s)
	if err != nil {
		return nil, badRecord(err, "schema")
	}
	return slices.Clip(b), nil
}

func (c *Converter) schemaJSON(s *record.Schema) ([]byte, error) {
	if b := c.fromConnect.get(s); b != nil {
		return b, nil
	}
	b, err := c.appendSchemaBody(nil, s)
	if err != nil {
		return nil, err
	}
	b = append(b, '}')
	c.fromConnect.put(s, b)
	return b, nil
}

// appendSchemaBody writes s as Connect's asJsonSchema, without the closing brace (a struct field
// adds its "field" member last).
func (c *Converter) appendSchemaBody(b []byte, s *record.Schema) ([]byte, error) {
	var err error
	b = append(b, `{"type":`...)
	switch s.Type {
	case record.Boolean, record.Int8, record.Int16, record.Int32, record.Int64, record.Float32,
		record.Float64, record.String, record.Bytes:
		b = appendQuoted(b, string(s.Type))
	case record.Array:
		b = append(b, `"array","items":`...)
		if s.Value == nil {
			return nil, errAt("array schema without an element schema")
		}
		if b, err = c.appendSchemaBody(b, s.Value); err != nil {
			return nil, inField(err, "items")
		}
		b = append(b, '}')
	case record.Map:
		b = append(b, `"map","keys":`...)
		if s.Key == nil || s.Value == nil {
			return nil, errAt("map schema without a key or value schema")
		}
		if b, err = c.appendSchemaBody(b, s.Key); err != nil {
			return nil, inField(err, "keys")
		}
		b = append(b, `},"values":`...)
		if b, err = c.appendSchemaBody(b, s.Value); err != nil {
			return nil, inField(err, "values")
		}
		b = append(b, '}')
	case record.Struct:
		b = append(b, `"struct","fields":[`...)
		for i, f := range s.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			if f.Schema == nil {
				return nil, inField(atIndex(errAt("struct field "+strconv.Quote(f.Name)+" without a schema"), i), "fields")
			}
			if b, err = c.appendSchemaBody(b, f.Schema); err != nil {
				return nil, inField(atIndex(err, i), "fields")
			}
			b = append(b, `,"field":`...)
			b = appendQuoted(b, f.Name)
			b = append(b, '}')
		}
		b = append(b, ']')
	default:
		return nil, errAt(fmt.Sprintf("unsupported schema type %q", s.Type))
	}
	b = append(b, `,"optional":`...)
	b = strconv.AppendBool(b, s.Optional)
	if s.Name != "" {
		b = append(b, `,"name":`...)
		b = appendQuoted(b, s.Name)
	}
	if s.Version != 0 {
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, int64(s.Version), 10)
	}
	if s.Doc != "" {
		b = append(b, `,"doc":`...)
		b = appendQuoted(b, s.Doc)
	}
	if s.Parameters != nil {
		b = append(b, `,"parameters":{`...)
		// Go maps have no order; Connect keeps insertion order, in which "scale" comes first
		// for Decimals (Connect's Decimal, Debezium, the Avro converter). The rest is sorted.
		keys := make([]string, 0, len(s.Parameters))
		for k := range s.Parameters {
			if k != record.DecimalScaleParameter {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		if _, ok := s.Parameters[record.DecimalScaleParameter]; ok {
			keys = append([]string{record.DecimalScaleParameter}, keys...)
		}
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuoted(b, k)
			b = append(b, ':')
			b = appendQuoted(b, s.Parameters[k])
		}
		b = append(b, '}')
	}
	if s.Default != nil {
		b = append(b, `,"default":`...)
		if b, err = c.appendValue(b, s, s.Default); err != nil {
			return nil, inField(err, "default")
		}
	}
	return b, nil
}

func wrongType(s *record.Schema, want string, v any) error {
	return errAt(fmt.Sprintf("%s schema needs a Go %s, got %T", schemaLabel(s), want, v))
}

func schemaLabel(s *record.Schema) string {
	switch s.Name {
	case record.DecimalName:
		return "Decimal"
	case record.DateName:
		return "Date"
	case record.TimeName:
		return "Time"
	case record.TimestampName:
		return "Timestamp"
	}
	return string(s.Type)
}

// isNil reports whether v is nil or a nil pointer that stands for null.
func isNil(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case *record.StructValue:
		return v == nil
	case *record.Decimal:
		return v == nil
	}
	return false
}

// appendValue writes v under s (nil: schemaless) as Connect's convertToJson.
func (c *Converter) appendValue(b []byte, s *record.Schema, v any) ([]byte, error) {
	if isNil(v) {
		switch {
		case s == nil:
			return append(b, "null"...), nil
		case s.Default != nil && c.cfg.ReplaceNullWithDefault:
			return c.appendValue(b, s, s.Default)
		case s.Optional:
			return append(b, "null"...), nil
		}
		return nil, errAt(fmt.Sprintf("null for a required %s with no default", schemaLabel(s)))
	}
	if s == nil {
		return c.appendSchemaless(b, v)
	}
	if s.Name != "" {
		switch s.Name {
		case record.DecimalName:
			return c.appendDecimal(b, s, v)
		case record.DateName, record.TimeName, record.TimestampName:
			return appendTime(b, s, v)
		}
	}
	switch s.Type {
	case record.Int8:
		if x, ok := v.(int8); ok {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
		return nil, wrongType(s, "int8", v)
	case record.Int16:
		if x, ok := v.(int16); ok {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
		return nil, wrongType(s, "int16", v)
	case record.Int32:
		if x, ok := v.(int32); ok {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
		return nil, wrongType(s, "int32", v)
	case record.Int64:
		if x, ok := v.(int64); ok {
			return strconv.AppendInt(b, x, 10), nil
		}
		return nil, wrongType(s, "int64", v)
	case record.Float32:
		if x, ok := v.(float32); ok {
			return appendFloat(b, float64(x), 32), nil
		}
		return nil, wrongType(s, "float32", v)
	case record.Float64:
		if x, ok := v.(float64); ok {
			return appendFloat(b, x, 64), nil
		}
		return nil, wrongType(s, "float64", v)
	case record.Boolean:
		if x, ok := v.(bool); ok {
			return strconv.AppendBool(b, x), nil
		}
		return nil, wrongType(s, "bool", v)
	case record.String:
		if x, ok := v.(string); ok {
			return appendQuoted(b, x), nil
		}
		return nil, wrongType(s, "string", v)
	case record.Bytes:
		if x, ok := v.([]byte); ok {
			return appendBase64(b, x), nil
		}
		return nil, wrongType(s, "[]byte", v)
	case record.Array:
		x, ok := v.([]any)
		if !ok {
			return nil, wrongType(s, "[]any", v)
		}
		if s.Value == nil {
			return nil, errAt("array schema without an element schema")
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = c.appendValue(b, s.Value, e); err != nil {
				return nil, atIndex(err, i)
			}
		}
		return append(b, ']'), nil
	case record.Map:
		return c.appendMap(b, s, v)
	case record.Struct:
		return c.appendStruct(b, s, v)
	}
	return nil, errAt(fmt.Sprintf("unsupported schema type %q", s.Type))
}

func appendFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		// Jackson writes non-finite numbers as strings (WRITE_NAN_AS_STRINGS).
		b = append(b, '"')
		b = javafmt.AppendDouble(b, f)
		return append(b, '"')
	}
	if bits == 32 {
		return javafmt.AppendFloat(b, float32(f))
	}
	return javafmt.AppendDouble(b, f)
}

func appendBase64(b, src []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, src)
	return append(b, '"')
}

func (c *Converter) appendDecimal(b []byte, s *record.Schema, v any) ([]byte, error) {
	var d record.Decimal
	switch x := v.(type) {
	case record.Decimal:
		d = x
	case *record.Decimal:
		d = *x
	default:
		return nil, wrongType(s, "record.Decimal", v)
	}
	if c.numeric {
		return javafmt.AppendBigDecimal(b, d.Unscaled, d.Scale), nil
	}
	sc, ok := s.Parameters[record.DecimalScaleParameter]
	if !ok {
		return nil, errAt("invalid Decimal schema: scale parameter not found")
	}
	scale, err := strconv.ParseInt(sc, 10, 32)
	if err != nil {
		return nil, errAt(fmt.Sprintf("invalid Decimal schema: scale parameter %q is not an integer", sc))
	}
	if int64(d.Scale) != scale {
		return nil, errAt(fmt.Sprintf("Decimal value has scale %d, but its schema's scale is %d", d.Scale, scale))
	}
	return appendBase64(b, twosComplement(d.Unscaled)), nil
}

var one = big.NewInt(1)

// twosComplement is x as Java's BigInteger.toByteArray: minimal big-endian two's complement.
func twosComplement(x *big.Int) []byte {
	if x == nil || x.Sign() == 0 {
		return []byte{0}
	}
	if x.Sign() > 0 {
		b := x.Bytes()
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	t := new(big.Int).Neg(x)
	t.Sub(t, one)
	n := t.BitLen()/8 + 1
	v := new(big.Int).Lsh(one, uint(8*n))
	v.Add(v, x)
	return v.FillBytes(make([]byte, n))
}

func appendTime(b []byte, s *record.Schema, v any) ([]byte, error) {
	t, ok := v.(time.Time)
	if !ok {
		return nil, wrongType(s, "time.Time", v)
	}
	ms := t.UnixMilli()
	switch s.Name {
	case record.DateName:
		if ms%millisPerDay != 0 {
			return nil, errAt(fmt.Sprintf("Date %s has a time of day (Connect's Date is whole days)", t.UTC().Format(time.RFC3339Nano)))
		}
		days := ms / millisPerDay
		if days < math.MinInt32 || days > math.MaxInt32 {
			return nil, errAt(fmt.Sprintf("Date %s is out of range", t.UTC().Format(time.RFC3339Nano)))
		}
		return strconv.AppendInt(b, days, 10), nil
	case record.TimeName:
		if ms < 0 || ms > millisPerDay {
			return nil, errAt(fmt.Sprintf("Time %s has a date (Connect's Time is milliseconds of 1970-01-01)", t.UTC().Format(time.RFC3339Nano)))
		}
		return strconv.AppendInt(b, ms, 10), nil
	}
	return strconv.AppendInt(b, ms, 10), nil
}

func (c *Converter) appendMap(b []byte, s *record.Schema, v any) ([]byte, error) {
	if s.Key == nil || s.Value == nil {
		return nil, errAt("map schema without a key or value schema")
	}
	var err error
	objectMode := s.Key.Type == record.String
	switch m := v.(type) {
	case []record.MapEntry:
		if objectMode {
			b = append(b, '{')
			for i, e := range m {
				if i > 0 {
					b = append(b, ',')
				}
				k, ok := e.Key.(string)
				if !ok {
					if e.Key != nil || !s.Key.Optional {
						return nil, atIndex(wrongType(s.Key, "string (map key)", e.Key), i)
					}
					k = "null"
				}
				b = appendQuoted(b, k)
				b = append(b, ':')
				if b, err = c.appendValue(b, s.Value, e.Value); err != nil {
					return nil, atKey(err, k)
				}
			}
			return append(b, '}'), nil
		}
		b = append(b, '[')
		for i, e := range m {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			if b, err = c.appendValue(b, s.Key, e.Key); err != nil {
				return nil, atIndex(atIndex(err, 0), i)
			}
			b = append(b, ',')
			if b, err = c.appendValue(b, s.Value, e.Value); err != nil {
				return nil, atIndex(atIndex(err, 1), i)
			}
			b = append(b, ']')
		}
		return append(b, ']'), nil
	case map[string]any:
		if !objectMode {
			return nil, errAt(fmt.Sprintf("map schema with %s keys needs []record.MapEntry, got map[string]any", s.Key.Type))
		}
		b = append(b, '{')
		for i, k := range sortedKeys(m) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuoted(b, k)
			b = append(b, ':')
			if b, err = c.appendValue(b, s.Value, m[k]); err != nil {
				return nil, atKey(err, k)
			}
		}
		return append(b, '}'), nil
	}
	return nil, wrongType(s, "[]record.MapEntry", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (c *Converter) appendStruct(b []byte, s *record.Schema, v any) ([]byte, error) {
	sv, ok := v.(*record.StructValue)
	if !ok {
		return nil, wrongType(s, "*record.StructValue", v)
	}
	if sv.Schema != s && !SchemaEqual(sv.Schema, s) {
		return nil, errAt("struct value's schema does not match the schema it is written with")
	}
	if len(sv.Values) != len(s.Fields) {
		return nil, errAt(fmt.Sprintf("struct value has %d values for %d fields", len(sv.Values), len(s.Fields)))
	}
	b = append(b, '{')
	var err error
	for i, f := range s.Fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQuoted(b, f.Name)
		b = append(b, ':')
		if b, err = c.appendValue(b, f.Schema, sv.Values[i]); err != nil {
			return nil, inField(err, f.Name)
		}
	}
	return append(b, '}'), nil
}

// appendSchemaless writes v without a schema, as Connect infers the type from the Java class.
func (c *Converter) appendSchemaless(b []byte, v any) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int8:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case float32:
		return appendFloat(b, float64(x), 32), nil
	case float64:
		return appendFloat(b, x, 64), nil
	case string:
		return appendQuoted(b, x), nil
	case []byte:
		return appendBase64(b, x), nil
	case record.RawJSON:
		if len(x) == 0 {
			return append(b, "null"...), nil
		}
		return append(b, x...), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = c.appendSchemaless(b, e); err != nil {
				return nil, atIndex(err, i)
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		b = append(b, '{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuoted(b, k)
			b = append(b, ':')
			if b, err = c.appendSchemaless(b, x[k]); err != nil {
				return nil, atKey(err, k)
			}
		}
		return append(b, '}'), nil
	case []record.MapEntry:
		objectMode := true
		for _, e := range x {
			if _, ok := e.Key.(string); !ok {
				objectMode = false
				break
			}
		}
		if objectMode {
			b = append(b, '{')
			for i, e := range x {
				if i > 0 {
					b = append(b, ',')
				}
				k := e.Key.(string)
				b = appendQuoted(b, k)
				b = append(b, ':')
				if b, err = c.appendSchemaless(b, e.Value); err != nil {
					return nil, atKey(err, k)
				}
			}
			return append(b, '}'), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			if b, err = c.appendSchemaless(b, e.Key); err != nil {
				return nil, atIndex(atIndex(err, 0), i)
			}
			b = append(b, ',')
			if b, err = c.appendSchemaless(b, e.Value); err != nil {
				return nil, atIndex(atIndex(err, 1), i)
			}
			b = append(b, ']')
		}
		return append(b, ']'), nil
	case *record.StructValue:
		return nil, errAt("a struct needs its schema (Connect's JsonConverter rejects a struct without one)")
	case record.Decimal, *record.Decimal:
		return nil, errAt("a Decimal needs its schema (Connect's JsonConverter rejects a Decimal without one)")
	case time.Time:
		return nil, errAt("a time.Time needs a Date, Time or Timestamp schema (Connect's JsonConverter rejects a date without one)")
	}
	return nil, errAt(fmt.Sprintf("Go type %T has no Connect schema type", v))
}

// SchemaEqual reports whether two schemas are equal as Connect's ConnectSchema.equals: type,
// optional, name, version, doc, parameters, default, fields, key and value schemas.
func SchemaEqual(a, b *record.Schema) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	if a.Type != b.Type || a.Optional != b.Optional || a.Name != b.Name || a.Version != b.Version ||
		a.Doc != b.Doc || len(a.Fields) != len(b.Fields) || len(a.Parameters) != len(b.Parameters) ||
		(a.Parameters == nil) != (b.Parameters == nil) {
		return false
	}
	for k, v := range a.Parameters {
		if w, ok := b.Parameters[k]; !ok || v != w {
			return false
		}
	}
	for i := range a.Fields {
		if a.Fields[i].Name != b.Fields[i].Name || !SchemaEqual(a.Fields[i].Schema, b.Fields[i].Schema) {
			return false
		}
	}
	return SchemaEqual(a.Key, b.Key) && SchemaEqual(a.Value, b.Value) && valueEqual(a.Default, b.Default)
}

// valueEqual compares Connect data for schema equality (defaults) as record.DataEquality does,
// the schemas of struct values with SchemaEqual. It is off the hot path.
func valueEqual(a, b any) bool {
	return record.DataEquality{StructSchemas: SchemaEqual}.Equal(a, b)
}
