package transforms

import (
	"fmt"
	"sort"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Flatten$Key / Flatten$Value: flatten nested structs (or maps) into one level, naming each
// field by the path of names joined with the delimiter. Arrays are kept as they are; a null
// passes through. Schemaless maps are walked in key order, so that a name made twice ("a.b"
// and {"a":{"b":…}}) resolves the same way every time (the later in key order wins).

func flattenDefs() []Definition {
	keys := []config.Key{{Name: "delimiter", Type: config.String, Default: ".",
		Doc: "Delimiter to insert between field names from the input record when generating field names for the output record."}}
	return keyValueDefs("Flatten", "Flatten a nested data structure of the record {side}, generating names for each field by concatenating the field names at each level with a configurable delimiter character.", keys,
		func(s Settings, b base) (Transform, error) {
			return &flatten{base: b, delim: s.String("delimiter")}, nil
		})
}

type flatten struct {
	base
	delim string
	cache schemaCache
}

func (t *flatten) fieldName(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + t.delim + name
}

func (t *flatten) Apply(r record.Record) (record.Record, bool, error) {
	s, v := t.sd.get(&r)
	if isNull(v) {
		return r, true, nil
	}
	if s == nil {
		m, err := requireMap(&r, t.name, "flattening", v)
		if err != nil {
			return r, false, err
		}
		out := make(map[string]any, len(m))
		if err := t.flattenMap(m, "", out); err != nil {
			return r, false, failWrap(&r, t.name, err)
		}
		return t.sd.set(r, nil, out), true, nil
	}
	sv, err := requireStruct(&r, t.name, "flattening", v)
	if err != nil {
		return r, false, err
	}
	us, err := t.cache.get(sv.Schema, t.updatedSchema)
	if err != nil {
		return r, false, failWrap(&r, t.name, err)
	}
	vals := make([]any, 0, len(us.Fields))
	vals = t.flattenStruct(sv, sv.Schema, vals)
	return t.sd.set(r, us, &record.StructValue{Schema: us, Values: vals}), true, nil
}

func (t *flatten) flattenMap(m map[string]any, prefix string, out map[string]any) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := t.fieldName(prefix, k)
		v, err := parsed(m[k])
		if err != nil {
			return err
		}
		if v == nil {
			out[name] = nil
			continue
		}
		typ, ok := inferType(v)
		if !ok {
			return fmt.Errorf("flatten transformation was passed a value of type %s which is not supported by Connect's data API", typeName(v))
		}
		switch typ {
		case record.Map:
			sub, isMap, _ := asMap(v)
			if !isMap {
				return fmt.Errorf("only map objects supported in absence of schema for [flattening], found: map with non-string keys (field %s)", name)
			}
			if err := t.flattenMap(sub, name, out); err != nil {
				return err
			}
		case record.Struct:
			return fmt.Errorf("flatten transformation does not support struct for record without schemas (for field %s)", name)
		default:
			out[name] = v
		}
	}
	return nil
}

func (t *flatten) updatedSchema(s *record.Schema) (*record.Schema, error) {
	out := copyBasics(s, record.Struct)
	var def *record.StructValue
	if d, ok := s.Default.(*record.StructValue); ok {
		def = d
	}
	if err := t.buildSchema(s, "", out, s.Optional, def); err != nil {
		return nil, err
	}
	if s.Optional {
		out.Optional = true
	}
	return out, nil
}

// buildSchema is Connect's Flatten.buildUpdatedSchema: optionality and defaults of ancestors
// carry over to the flattened fields.
func (t *flatten) buildSchema(s *record.Schema, prefix string, out *record.Schema, optional bool, parentDefault *record.StructValue) error {
	for i := range s.Fields {
		f := &s.Fields[i]
		name := t.fieldName(prefix, f.Name)
		fieldOptional := optional || f.Schema.Optional
		var def any
		if f.Schema.Default != nil {
			def = f.Schema.Default
		} else if parentDefault != nil && f.Index < len(parentDefault.Values) {
			def = parentDefault.Values[f.Index]
		}
		switch f.Schema.Type {
		case record.Struct:
			sd, _ := def.(*record.StructValue)
			if err := t.buildSchema(f.Schema, name, out, fieldOptional, sd); err != nil {
				return err
			}
		case record.Map:
			return fmt.Errorf("flatten transformation does not support map for record with schemas (for field %s)", name)
		default:
			fs := *f.Schema
			fs.Optional = fs.Optional || fieldOptional
			if def != nil {
				fs.Default = def
			}
			if err := addField(out, name, &fs); err != nil {
				return err
			}
		}
	}
	return nil
}

// flattenStruct appends the values of s's leaf fields in schema order (nulls for the fields of
// a null nested struct).
func (t *flatten) flattenStruct(v *record.StructValue, s *record.Schema, vals []any) []any {
	for i := range s.Fields {
		f := &s.Fields[i]
		var fv any
		if v != nil {
			fv = v.Values[f.Index]
		}
		if f.Schema.Type == record.Struct {
			sub, _ := fv.(*record.StructValue)
			vals = t.flattenStruct(sub, f.Schema, vals)
			continue
		}
		vals = append(vals, fv)
	}
	return vals
}
