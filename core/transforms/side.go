package transforms

import (
	"maps"
	"sync"

	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// side is the part of a record a $Key or $Value transform works on.
type side uint8

const (
	valueSide side = iota
	keySide
)

func (s side) String() string {
	if s == keySide {
		return "Key"
	}
	return "Value"
}

// get returns the side's schema and data.
func (s side) get(r *record.Record) (*record.Schema, any) {
	if s == keySide {
		return r.KeySchema, r.KeyData
	}
	return r.ValueSchema, r.ValueData
}

// set returns r with the side's schema and data replaced.
func (s side) set(r record.Record, sc *record.Schema, v any) record.Record {
	if s == keySide {
		return r.WithKey(sc, v)
	}
	return r.WithValue(sc, v)
}

// isNull reports whether data is a null: nil, or empty RawJSON.
func isNull(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case record.RawJSON:
		return len(x) == 0
	}
	return false
}

// parsed returns schemaless data with RawJSON materialised by jsonconv.Parse (maps as
// map[string]any, numbers as int64 or float64); other data is returned as it is.
func parsed(v any) (any, error) {
	if raw, ok := v.(record.RawJSON); ok {
		return jsonconv.Parse(raw)
	}
	return v, nil
}

// asMap returns schemaless data as a map, parsing RawJSON. A []record.MapEntry whose keys are all
// strings counts as a map (copied). ok is false for anything else.
func asMap(v any) (m map[string]any, ok bool, err error) {
	v, err = parsed(v)
	if err != nil {
		return nil, false, err
	}
	switch x := v.(type) {
	case map[string]any:
		return x, true, nil
	case []record.MapEntry:
		m = make(map[string]any, len(x))
		for _, e := range x {
			k, isStr := e.Key.(string)
			if !isStr {
				return nil, false, nil
			}
			m[k] = e.Value
		}
		return m, true, nil
	}
	return nil, false, nil
}

// cloneMap returns a copy of m with room for extra more entries.
func cloneMap(m map[string]any, extra int) map[string]any {
	out := make(map[string]any, len(m)+extra)
	maps.Copy(out, m)
	return out
}

// typeName names data's Connect type as the error messages do.
func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case record.RawJSON:
		if len(x) == 0 {
			return "null"
		}
		switch x[0] {
		case '{':
			return "map"
		case '[':
			return "array"
		case '"':
			return "string"
		case 't', 'f':
			return "boolean"
		case 'n':
			return "null"
		}
		return "number"
	case *record.StructValue:
		return "struct"
	case record.Decimal, *record.Decimal:
		return "Decimal"
	}
	if t, ok := inferType(v); ok {
		return string(t)
	}
	return goTypeName(v)
}

// requireMap is Connect's Requirements.requireMap: the schemaless data must be a map.
func requireMap(r *record.Record, name, purpose string, v any) (map[string]any, error) {
	m, ok, err := asMap(v)
	if err != nil {
		return nil, failWrap(r, name, err)
	}
	if !ok {
		return nil, fail(r, name, "only map objects supported in absence of schema for [%s], found: %s", purpose, typeName(v))
	}
	return m, nil
}

// requireStruct is Connect's Requirements.requireStruct.
func requireStruct(r *record.Record, name, purpose string, v any) (*record.StructValue, error) {
	s, ok := v.(*record.StructValue)
	if !ok || s == nil || s.Schema == nil {
		return nil, fail(r, name, "only struct objects supported for [%s], found: %s", purpose, typeName(v))
	}
	return s, nil
}

// fieldValue returns a struct field's value as Connect's Struct.get does: a null takes the
// field schema's default.
func fieldValue(s *record.StructValue, f *record.Field) any {
	v := s.Values[f.Index]
	if v == nil && f.Schema != nil && f.Schema.Default != nil {
		return f.Schema.Default
	}
	return v
}

// copyBasics is Connect's SchemaUtil.copySchemaBasics: a new schema of type t with s's name,
// version, doc and parameters.
func copyBasics(s *record.Schema, t record.Type) *record.Schema {
	return &record.Schema{Type: t, Name: s.Name, Version: s.Version, Doc: s.Doc, Parameters: maps.Clone(s.Parameters)}
}

// addField appends a field to a struct schema under construction; a repeated name is an error,
// as SchemaBuilder's "Cannot create field because of field name duplication".
func addField(s *record.Schema, name string, fs *record.Schema) error {
	if s.Field(name) != nil {
		return errDuplicateField(name)
	}
	s.Fields = append(s.Fields, record.Field{Name: name, Index: len(s.Fields), Schema: fs})
	return nil
}

type errDuplicateField string

func (e errDuplicateField) Error() string {
	return "cannot create field because of field name duplication " + string(e)
}

// checkValue is the part of Connect's ConnectSchema.validateValue that Struct.put applies and
// that a transform can get wrong: a null for a required schema.
func checkValue(field string, s *record.Schema, v any) error {
	if v == nil && s != nil && !s.Optional && s.Default == nil {
		return errRequiredNull(field)
	}
	return nil
}

type errRequiredNull string

func (e errRequiredNull) Error() string {
	return "invalid value: null used for required field: \"" + string(e) + "\""
}

// schemaCache maps an input schema to the schema a transform makes of it, as Connect's
// transforms cache theirs (converters hand out one *Schema per distinct schema, so pointer keys
// hit). It is bounded: when full it starts again.
type schemaCache struct {
	mu sync.Mutex
	m  map[*record.Schema]*record.Schema
}

const schemaCacheSize = 64

func (c *schemaCache) get(in *record.Schema, build func(*record.Schema) (*record.Schema, error)) (*record.Schema, error) {
	c.mu.Lock()
	out, ok := c.m[in]
	c.mu.Unlock()
	if ok {
		return out, nil
	}
	out, err := build(in)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= schemaCacheSize {
		c.m = make(map[*record.Schema]*record.Schema)
	}
	c.m[in] = out
	c.mu.Unlock()
	return out, nil
}
