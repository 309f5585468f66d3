package transforms

import (
	"strings"
	"time"

	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// InsertField$Key / InsertField$Value: insert the record's topic, partition, offset or
// timestamp, or a static string, as fields of a struct or map. A null key or value passes
// through unchanged. With a schema the fields are added to it (optional, unless the field name
// ends in "!"; a trailing "?" is dropped): string, int32, int64, Timestamp and string.

const insertFieldOptionalityDoc = " Suffix with '!' to make this a required field, or '?' to keep it optional (the default)."

func insertFieldDefs() []Definition {
	keys := []config.Key{
		{Name: "topic.field", Type: config.String, Doc: "Field name for Kafka topic." + insertFieldOptionalityDoc},
		{Name: "partition.field", Type: config.String, Doc: "Field name for Kafka partition." + insertFieldOptionalityDoc},
		{Name: "offset.field", Type: config.String, Doc: "Field name for Kafka offset." + insertFieldOptionalityDoc},
		{Name: "timestamp.field", Type: config.String, Doc: "Field name for record timestamp." + insertFieldOptionalityDoc},
		{Name: "static.field", Type: config.String, Doc: "Field name for static data field." + insertFieldOptionalityDoc},
		{Name: "static.value", Type: config.String, Doc: "Static field value, if field name configured."},
	}
	return keyValueDefs("InsertField", "Insert the topic, partition, offset or timestamp of the record, or a static value, as fields of the record {side}.", keys, newInsertField)
}

// insertion is one field to insert.
type insertion struct {
	what     byte // 't' topic, 'p' partition, 'o' offset, 's' timestamp, 'c' static
	name     string
	jsonName []byte
	optional bool
	schema   *record.Schema
}

type insertField struct {
	base
	ins         []insertion
	names       nameSet // the insertions' names, by index in ins
	staticValue string
	staticJSON  []byte // static.value as a JSON string
	hasStatic   bool
	cache       schemaCache
}

var optionalTimestamp = &record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1, Optional: true}
var requiredTimestamp = &record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1}

func newInsertField(s Settings, b base) (Transform, error) {
	t := &insertField{base: b}
	for _, f := range []struct {
		key      string
		what     byte
		req, opt *record.Schema
	}{
		{"topic.field", 't', record.StringSchema, record.OptionalString},
		{"partition.field", 'p', record.Int32Schema, &record.Schema{Type: record.Int32, Optional: true}},
		{"offset.field", 'o', record.Int64Schema, &record.Schema{Type: record.Int64, Optional: true}},
		{"timestamp.field", 's', requiredTimestamp, optionalTimestamp},
		{"static.field", 'c', record.StringSchema, record.OptionalString},
	} {
		if !s.IsSet(f.key) {
			continue
		}
		spec := s.String(f.key)
		in := insertion{what: f.what, name: spec, optional: true}
		switch {
		case strings.HasSuffix(spec, "?"):
			in.name = spec[:len(spec)-1]
		case strings.HasSuffix(spec, "!"):
			in.name, in.optional = spec[:len(spec)-1], false
		}
		in.schema = f.opt
		if !in.optional {
			in.schema = f.req
		}
		in.jsonName = jsonName(in.name)
		t.ins = append(t.ins, in)
	}
	names := make([]string, len(t.ins))
	for i, in := range t.ins {
		names[i] = in.name
	}
	t.names = newNameSet(names)
	if s.IsSet("static.value") {
		t.hasStatic, t.staticValue = true, s.String("static.value")
		t.staticJSON = jsonconv.AppendString(nil, t.staticValue)
	}
	return t, nil
}

// value returns the data to insert for in, and false when there is none (no timestamp; no
// static value).
func (t *insertField) value(r *record.Record, in *insertion, schemad bool) (any, bool) {
	switch in.what {
	case 't':
		return r.Topic, true
	case 'p':
		return r.Partition, true
	case 'o':
		return r.Offset, true
	case 's':
		if r.TimestampType == record.NoTimestampType {
			return nil, false
		}
		if schemad {
			return time.UnixMilli(r.Timestamp).UTC(), true
		}
		return r.Timestamp, true
	}
	if !t.hasStatic {
		return nil, false
	}
	return t.staticValue, true
}

func (t *insertField) Apply(r record.Record) (record.Record, bool, error) {
	s, v := t.sd.get(&r)
	if isNull(v) {
		return r, true, nil
	}
	if s == nil {
		if out, ok, err := applyRaw(t, r); ok {
			return out, err == nil, err
		}
		m, err := requireMap(&r, t.name, "field insertion", v)
		if err != nil {
			return r, false, err
		}
		out := cloneMap(m, len(t.ins))
		for i := range t.ins {
			if fv, ok := t.value(&r, &t.ins[i], false); ok {
				out[t.ins[i].name] = fv
			}
		}
		return t.sd.set(r, nil, out), true, nil
	}
	sv, err := requireStruct(&r, t.name, "field insertion", v)
	if err != nil {
		return r, false, err
	}
	us, err := t.cache.get(sv.Schema, t.updatedSchema)
	if err != nil {
		return r, false, failWrap(&r, t.name, err)
	}
	vals := make([]any, len(us.Fields))
	n := len(sv.Schema.Fields)
	for i := range sv.Schema.Fields {
		vals[i] = fieldValue(sv, &sv.Schema.Fields[i])
	}
	for i := range t.ins {
		fv, _ := t.value(&r, &t.ins[i], true)
		if err := checkValue(t.ins[i].name, t.ins[i].schema, fv); err != nil {
			return r, false, failWrap(&r, t.name, err)
		}
		vals[n+i] = fv
	}
	return t.sd.set(r, us, &record.StructValue{Schema: us, Values: vals}), true, nil
}

func (t *insertField) updatedSchema(s *record.Schema) (*record.Schema, error) {
	out := copyBasics(s, record.Struct)
	for _, f := range s.Fields {
		if err := addField(out, f.Name, f.Schema); err != nil {
			return nil, err
		}
	}
	for _, in := range t.ins {
		if err := addField(out, in.name, in.schema); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// editRaw sets the last member of each inserted name and drops earlier ones (see
// maskField.editRaw), or adds the member.
func (t *insertField) editRaw(r recMeta, o *object) error {
	var found uint64 // insertions put into existing members (an InsertField has at most 5)
	var names uint64 // names (by the index of their first insertion) whose last member is set
	start := len(o.ms) - 1
	if t.names.missesAll(o) {
		start = -1 // no member has an inserted name: add them all
	}
	for i := start; i >= 0; i-- {
		if o.deleted(i) {
			continue
		}
		if t.names.misses(&o.ms[i]) {
			continue
		}
		k := t.names.indexMember(o, i)
		if k < 0 {
			continue
		}
		if names&(1<<k) != 0 {
			o.drop(i)
			continue
		}
		// Every insertion of that name, in order: the last one wins, as the last put does.
		for name := t.ins[k].name; k < len(t.ins); k++ {
			if t.ins[k].name == name && t.applies(r, k) {
				t.put(o, i, &t.ins[k], r)
				found |= 1 << k
				names |= 1 << t.names.index(name)
			}
		}
	}
	var added [8]int
	for k := range t.ins {
		added[k] = -1
		if found&(1<<k) != 0 || !t.applies(r, k) {
			continue
		}
		i := -1
		for k2 := 0; k2 < k; k2++ {
			if added[k2] >= 0 && t.ins[k2].name == t.ins[k].name {
				i = added[k2]
			}
		}
		if i < 0 {
			i = o.add(t.ins[k].jsonName)
		}
		t.put(o, i, &t.ins[k], r)
		added[k] = i
	}
	return nil
}

// applies reports whether insertion k has a value for r.
func (t *insertField) applies(r recMeta, k int) bool {
	switch t.ins[k].what {
	case 's':
		return r.tsType != record.NoTimestampType
	case 'c':
		return t.hasStatic
	}
	return true
}

func (t *insertField) put(o *object, i int, in *insertion, r recMeta) {
	switch in.what {
	case 't':
		o.setString(i, r.topic)
	case 'p':
		o.setInt(i, int64(r.partition))
	case 'o':
		o.setInt(i, r.offset)
	case 's':
		o.setInt(i, r.timestamp)
	default:
		o.setRaw(i, t.staticJSON)
	}
}
