package transforms

import (
	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// ValueToKey, ExtractField and HoistField: transforms that move a whole value between a field
// and the key or value.

// ValueToKey: replace the key with a struct or map of fields of the value.
func valueToKeyDef() Definition {
	return Definition{
		Class: connectPackage + "ValueToKey",
		Doc:   "Replace the record key with a new key formed from a subset of fields in the record value.",
		Keys: []config.Key{
			{Name: "fields", Type: config.List, Required: true, Validate: nonEmptyList, Doc: "Field names on the record value to extract as the record key."},
		},
		New: func(s Settings) (Transform, error) {
			t := &valueToKey{name: "ValueToKey", fields: s.List("fields")}
			t.set = newNameSet(dedupe(t.fields))
			for _, f := range t.set.names {
				t.quoted = append(t.quoted, jsonName(f))
			}
			return t, nil
		},
	}
}

type valueToKey struct {
	name   string
	fields []string
	set    nameSet
	quoted [][]byte
	cache  schemaCache
}

func (t *valueToKey) Apply(r record.Record) (record.Record, bool, error) {
	if r.ValueSchema == nil {
		if raw, ok := r.ValueData.(record.RawJSON); ok {
			if o := scanObject(raw); o != nil {
				key := t.rawKey(o)
				o.release()
				return r.WithKey(nil, key), true, nil
			}
		}
		m, err := requireMap(&r, t.name, "copying fields from value to key", r.ValueData)
		if err != nil {
			return r, false, err
		}
		key := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			key[f] = m[f]
		}
		return r.WithKey(nil, key), true, nil
	}
	sv, err := requireStruct(&r, t.name, "copying fields from value to key", r.ValueData)
	if err != nil {
		return r, false, err
	}
	ks, err := t.cache.get(sv.Schema, t.keySchema)
	if err != nil {
		return r, false, failWrap(&r, t.name, err)
	}
	vals := make([]any, len(ks.Fields))
	for i, f := range ks.Fields {
		vals[i] = fieldValue(sv, sv.Schema.Field(f.Name))
	}
	return r.WithKey(ks, &record.StructValue{Schema: ks, Values: vals}), true, nil
}

func (t *valueToKey) keySchema(vs *record.Schema) (*record.Schema, error) {
	ks := &record.Schema{Type: record.Struct}
	for _, f := range t.fields {
		vf := vs.Field(f)
		if vf == nil {
			return nil, errUnknownField(f)
		}
		if err := addField(ks, f, vf.Schema); err != nil {
			return nil, err
		}
	}
	return ks, nil
}

// rawKey builds the key object from the value object's members (the last of a repeated name).
func (t *valueToKey) rawKey(o *object) record.RawJSON {
	vals := make([][]byte, len(t.set.names))
	for i := range o.ms {
		if k := t.set.indexMember(o, i); k >= 0 {
			vals[k] = o.val(i)
		}
	}
	buf := []byte{'{'}
	for k := range t.set.names {
		if k > 0 {
			buf = append(buf, ',')
		}
		buf = append(append(append(buf, '"'), t.quoted[k]...), '"', ':')
		if vals[k] == nil {
			buf = append(buf, nullJSON...)
		} else {
			buf = append(buf, vals[k]...)
		}
	}
	return record.RawJSON(append(buf, '}'))
}

type errUnknownField string

func (e errUnknownField) Error() string { return "unknown field: " + string(e) }

// ExtractField$Key / ExtractField$Value: replace the key or value with one of its fields.
func extractFieldDefs() []Definition {
	keys := []config.Key{{Name: "field", Type: config.String, Required: true, Doc: "Field name to extract."}}
	return keyValueDefs("ExtractField", "Extract the specified field from a struct when schema present, or a map in the case of schemaless data; a null record {side} passes through.", keys,
		func(s Settings, b base) (Transform, error) {
			return &extractField{base: b, field: s.String("field")}, nil
		})
}

type extractField struct {
	base
	field string
}

func (t *extractField) Apply(r record.Record) (record.Record, bool, error) {
	s, v := t.sd.get(&r)
	if s == nil {
		if isNull(v) {
			return t.sd.set(r, nil, nil), true, nil
		}
		if raw, ok := v.(record.RawJSON); ok {
			if o := scanObject(raw); o != nil {
				var fv []byte
				for i := range o.ms {
					if o.is(i, t.field) {
						fv = o.val(i)
					}
				}
				o.release()
				if fv == nil || fv[0] == 'n' {
					return t.sd.set(r, nil, nil), true, nil
				}
				return t.sd.set(r, nil, record.RawJSON(fv[:len(fv):len(fv)])), true, nil
			}
		}
		m, err := requireMap(&r, t.name, "field extraction", v)
		if err != nil {
			return r, false, err
		}
		return t.sd.set(r, nil, m[t.field]), true, nil
	}
	f := s.Field(t.field)
	if f == nil {
		return r, false, fail(&r, t.name, "unknown field: %s", t.field)
	}
	if v == nil {
		return t.sd.set(r, f.Schema, nil), true, nil
	}
	sv, err := requireStruct(&r, t.name, "field extraction", v)
	if err != nil {
		return r, false, err
	}
	return t.sd.set(r, f.Schema, fieldValue(sv, f)), true, nil
}

// HoistField$Key / HoistField$Value: wrap the key or value in a struct or map with one field.
func hoistFieldDefs() []Definition {
	keys := []config.Key{{Name: "field", Type: config.String, Required: true, Doc: "Field name for the single field that will be created in the resulting struct or map."}}
	return keyValueDefs("HoistField", "Wrap the record {side} in a struct when schema present, or a map in the case of schemaless data, with the specified field name.", keys,
		func(s Settings, b base) (Transform, error) {
			f := s.String("field")
			return &hoistField{base: b, field: f, head: append(append([]byte{'{'}, jsonconv.AppendString(nil, f)...), ':')}, nil
		})
}

type hoistField struct {
	base
	field string
	head  []byte // {"field":
	cache schemaCache
}

func (t *hoistField) Apply(r record.Record) (record.Record, bool, error) {
	s, v := t.sd.get(&r)
	if s == nil {
		if raw, ok := v.(record.RawJSON); ok && len(raw) > 0 {
			buf := make([]byte, 0, len(t.head)+len(raw)+1)
			buf = append(append(append(buf, t.head...), raw...), '}')
			return t.sd.set(r, nil, record.RawJSON(buf)), true, nil
		}
		if isNull(v) {
			v = nil
		}
		return t.sd.set(r, nil, map[string]any{t.field: v}), true, nil
	}
	us, _ := t.cache.get(s, func(s *record.Schema) (*record.Schema, error) {
		return &record.Schema{Type: record.Struct, Fields: []record.Field{{Name: t.field, Schema: s}}}, nil
	})
	if err := checkValue(t.field, s, v); err != nil {
		return r, false, failWrap(&r, t.name, err)
	}
	return t.sd.set(r, us, &record.StructValue{Schema: us, Values: []any{v}}), true, nil
}
