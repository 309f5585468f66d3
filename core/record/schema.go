package record

import (
	"math/big"
	"time"
)

// Type is a Kafka Connect schema type.
type Type string

// The Kafka Connect schema types.
const (
	Int8    Type = "int8"
	Int16   Type = "int16"
	Int32   Type = "int32"
	Int64   Type = "int64"
	Float32 Type = "float"
	Float64 Type = "double"
	Boolean Type = "boolean"
	String  Type = "string"
	Bytes   Type = "bytes"
	Array   Type = "array"
	Map     Type = "map"
	Struct  Type = "struct"
)

// The logical type names Kafka Connect defines, as they appear in a schema's Name.
const (
	DecimalName   = "org.apache.kafka.connect.data.Decimal"
	DateName      = "org.apache.kafka.connect.data.Date"
	TimeName      = "org.apache.kafka.connect.data.Time"
	TimestampName = "org.apache.kafka.connect.data.Timestamp"
	// DecimalScaleParameter is the schema parameter that holds a Decimal's scale.
	DecimalScaleParameter = "scale"
)

// Schema is a Kafka Connect schema. The Go representation of data under each type is:
//
//	int8 int8, int16 int16, int32 int32, int64 int64, float float32, double float64,
//	boolean bool, string string, bytes []byte,
//	array []any, map []MapEntry (keys of any schema, order kept), struct *StructValue.
//
// Logical types: Decimal is Decimal (over bytes), Date, Time and Timestamp are time.Time in UTC
// (over int32 days, int32 milliseconds of the day, int64 milliseconds). A nil value is null and is
// valid only for an optional schema. Schemaless data (a nil *Schema) uses nil, bool, int64,
// float64, string, []byte, []any and map[string]any, or RawJSON.
type Schema struct {
	Type       Type
	Optional   bool
	Default    any
	Name       string
	Version    int32 // 0 when absent
	Doc        string
	Parameters map[string]string

	Fields []Field // struct
	Key    *Schema // map keys
	Value  *Schema // map values, array elements
}

// Field is one field of a struct schema.
type Field struct {
	Name   string
	Index  int
	Schema *Schema
}

// Field returns the struct field named name, or nil.
func (s *Schema) Field(name string) *Field {
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			return &s.Fields[i]
		}
	}
	return nil
}

// StructValue is the data of a struct schema: one value per field, in field order.
type StructValue struct {
	Schema *Schema
	Values []any
}

// Get returns the value of the field named name, and whether the schema has such a field.
func (s *StructValue) Get(name string) (any, bool) {
	f := s.Schema.Field(name)
	if f == nil {
		return nil, false
	}
	return s.Values[f.Index], true
}

// MapEntry is one entry of a map value.
type MapEntry struct {
	Key   any
	Value any
}

// Decimal is the data of the Decimal logical type: Unscaled × 10^-Scale.
type Decimal struct {
	Unscaled *big.Int
	Scale    int32
}

// String formats d in plain decimal notation, like Java's BigDecimal.toPlainString.
func (d Decimal) String() string {
	if d.Unscaled == nil {
		return "0"
	}
	r := new(big.Rat).SetFrac(d.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(d.Scale, 0))), nil))
	if d.Scale < 0 {
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-d.Scale)), nil)))
		return r.FloatString(0)
	}
	return r.FloatString(int(d.Scale))
}

// RawJSON is schemaless data kept as the JSON text it arrived as (already validated). Stages that
// only pass data through (a JSON converter into a JSON lines file) write it unchanged; stages that
// need the structure parse it.
type RawJSON []byte

// Epoch is the zero of the Date, Time and Timestamp logical types.
var Epoch = time.Unix(0, 0).UTC()

// Predefined schemas for the primitive types, required and optional.
var (
	Int8Schema     = &Schema{Type: Int8}
	Int16Schema    = &Schema{Type: Int16}
	Int32Schema    = &Schema{Type: Int32}
	Int64Schema    = &Schema{Type: Int64}
	Float32Schema  = &Schema{Type: Float32}
	Float64Schema  = &Schema{Type: Float64}
	BooleanSchema  = &Schema{Type: Boolean}
	StringSchema   = &Schema{Type: String}
	BytesSchema    = &Schema{Type: Bytes}
	OptionalString = &Schema{Type: String, Optional: true}
	OptionalBytes  = &Schema{Type: Bytes, Optional: true}
)
