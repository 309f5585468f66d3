package transforms

import (
	"fmt"
	"slices"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// InsertHeader, DropHeaders and HeaderFrom work on headers. Header values are bytes here (as
// Kafka holds them): a literal is its UTF-8 text, and a field's value is written as Connect's
// SimpleHeaderConverter writes it (strings as they are, numbers as Java prints them, other values
// in Connect's notation; a null is a null header value).

func insertHeaderDef() Definition {
	return Definition{
		Class: connectPackage + "InsertHeader",
		Doc:   "Add a header to each record.",
		Keys: []config.Key{
			{Name: "header", Type: config.String, Required: true, Validate: nonEmptyString, Doc: "The name of the header."},
			{Name: "value.literal", Type: config.String, Required: true, Doc: "The literal value that is to be set as the header value on all records."},
		},
		New: func(s Settings) (Transform, error) {
			return &insertHeader{key: s.String("header"), value: []byte(s.String("value.literal"))}, nil
		},
	}
}

type insertHeader struct {
	key   string
	value []byte
}

func (*insertHeader) metadataOnly() {}

func (t *insertHeader) Apply(r record.Record) (record.Record, bool, error) {
	t.apply(&r)
	return r, true, nil
}

// apply adds the header to r's headers, in a new slice (r's may be shared).
func (t *insertHeader) apply(r *record.Record) {
	hs := make([]record.Header, len(r.Headers)+1)
	copy(hs, r.Headers)
	hs[len(r.Headers)] = record.Header{Key: t.key, Value: t.value}
	r.Headers = hs
}

func dropHeadersDef() Definition {
	return Definition{
		Class: connectPackage + "DropHeaders",
		Doc:   "Removes one or more headers from each record.",
		Keys: []config.Key{
			{Name: "headers", Type: config.List, Required: true, Validate: nonEmptyList, Doc: "The name of the headers to be removed."},
		},
		New: func(s Settings) (Transform, error) {
			return &dropHeaders{names: newNameSet(dedupe(s.List("headers")))}, nil
		},
	}
}

type dropHeaders struct{ names nameSet }

func (*dropHeaders) metadataOnly() {}

func (t *dropHeaders) Apply(r record.Record) (record.Record, bool, error) {
	n := 0
	for _, h := range r.Headers {
		if !t.names.has(h.Key) {
			n++
		}
	}
	if n == len(r.Headers) {
		return r, true, nil
	}
	hs := make([]record.Header, 0, n)
	for _, h := range r.Headers {
		if !t.names.has(h.Key) {
			hs = append(hs, h)
		}
	}
	r.Headers = hs
	return r, true, nil
}

func headerFromDefs() []Definition {
	keys := []config.Key{
		{Name: "fields", Type: config.List, Required: true, Validate: nonEmptyList, Doc: "Field names in the record whose values are to be copied or moved to headers."},
		{Name: "headers", Type: config.List, Required: true, Validate: nonEmptyList, Doc: "Header names, in the same order as the field names listed in the fields configuration property."},
		{Name: "operation", Type: config.String, Required: true, Enum: []string{"move", "copy"},
			Doc: "Either move if the fields are to be moved to the headers (removed from the key/value), or copy if the fields are to be copied to the headers (retained in the key/value)."},
	}
	return keyValueDefs("HeaderFrom", "Moves or copies fields in the record {side} into the record's headers.", keys,
		func(s Settings, b base) (Transform, error) {
			t := &headerFrom{base: b, fields: s.List("fields"), headers: s.List("headers"), move: s.String("operation") == "move"}
			if len(t.fields) != len(t.headers) {
				return nil, Invalid("headers", "'headers' config must have the same number of elements as 'fields' config")
			}
			return t, nil
		})
}

type headerFrom struct {
	base
	fields, headers []string
	move            bool
	cache           schemaCache
}

func (t *headerFrom) Apply(r record.Record) (record.Record, bool, error) {
	s, v := t.sd.get(&r)
	hs := make([]record.Header, len(r.Headers), len(r.Headers)+len(t.fields))
	copy(hs, r.Headers)
	purpose := "header copy"
	if t.move {
		purpose = "header move"
	}
	if s == nil {
		m, err := requireMap(&r, t.name, purpose, v)
		if err != nil {
			return r, false, err
		}
		for i, f := range t.fields {
			hv, err := headerValue(nil, m[f])
			if err != nil {
				return r, false, fail(&r, t.name, "field %q: %v", f, err)
			}
			hs = append(hs, record.Header{Key: t.headers[i], Value: hv})
		}
		if t.move { // copy leaves the data as it is
			out := cloneMap(m, 0)
			for _, f := range t.fields {
				delete(out, f)
			}
			r = t.sd.set(r, nil, out)
		}
		r.Headers = hs
		return r, true, nil
	}
	sv, err := requireStruct(&r, t.name, purpose, v)
	if err != nil {
		return r, false, err
	}
	for i, name := range t.fields {
		f := s.Field(name)
		if f == nil {
			return r, false, fail(&r, t.name, "field %q is not in the %s schema", name, t.sd)
		}
		hv, err := headerValue(f.Schema, fieldValue(sv, sv.Schema.Field(name)))
		if err != nil {
			return r, false, fail(&r, t.name, "field %q: %v", name, err)
		}
		hs = append(hs, record.Header{Key: t.headers[i], Value: hv})
	}
	if t.move {
		us, err := t.cache.get(s, func(s *record.Schema) (*record.Schema, error) {
			out := copyBasics(s, record.Struct)
			for _, f := range s.Fields {
				if !slices.Contains(t.fields, f.Name) {
					if err := addField(out, f.Name, f.Schema); err != nil {
						return nil, err
					}
				}
			}
			return out, nil
		})
		if err != nil {
			return r, false, failWrap(&r, t.name, err)
		}
		vals := make([]any, len(us.Fields))
		for i, f := range us.Fields {
			vals[i] = fieldValue(sv, sv.Schema.Field(f.Name))
		}
		r = t.sd.set(r, us, &record.StructValue{Schema: us, Values: vals})
	}
	r.Headers = hs
	return r, true, nil
}

// headerValue is a value as Connect's SimpleHeaderConverter writes it: nil for null, else
// Values.convertToString's text.
func headerValue(s *record.Schema, v any) ([]byte, error) {
	if isNull(v) {
		return nil, nil
	}
	if str, ok := v.(string); ok {
		return []byte(str), nil
	}
	b, err := appendJava(nil, s, v, false)
	if err != nil {
		return nil, fmt.Errorf("cannot write it as a header: %w", err)
	}
	return b, nil
}
