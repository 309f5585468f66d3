package transforms

import (
	"fmt"
	"strings"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// ReplaceField$Key / ReplaceField$Value: keep (include) or drop (exclude) fields and rename
// them. exclude wins over include; whitelist and blacklist are Connect's older names for include
// and exclude. A null passes through.

func replaceFieldDefs() []Definition {
	keys := []config.Key{
		{Name: "exclude", Type: config.List, Doc: "Fields to exclude. This takes precedence over the fields to include."},
		{Name: "blacklist", Type: config.List, Doc: "Deprecated. Use exclude instead."},
		{Name: "include", Type: config.List, Doc: "Fields to include. If specified, only these fields will be used."},
		{Name: "whitelist", Type: config.List, Doc: "Deprecated. Use include instead."},
		{Name: "renames", Type: config.List, Doc: "Field rename mappings: a list of colon-delimited pairs, e.g. foo:bar,abc:xyz.",
			Validate: func(v any) error { _, err := parseRenames(v.([]string)); return err }},
	}
	return keyValueDefs("ReplaceField", "Filter or rename fields of the record {side}.", keys, newReplaceField)
}

type replaceField struct {
	base
	exclude, include nameSet
	renames          map[string]string // old -> new
	reverse          map[string]string // new -> old
	renameFrom       nameSet
	renameTo         [][]byte // JSON name content, by renameFrom index
	cache            schemaCache
}

// parseRenames splits "old:new" pairs as Connect does (String.split(":"), exactly two parts).
func parseRenames(items []string) ([][2]string, error) {
	out := make([][2]string, 0, len(items))
	for _, it := range items {
		parts := javaSplit(it, ":")
		if len(parts) != 2 {
			return nil, fmt.Errorf("invalid rename mapping: %s", it)
		}
		out = append(out, [2]string{parts[0], parts[1]})
	}
	return out, nil
}

// javaSplit is Java's String.split with a literal separator: trailing empty strings are removed.
func javaSplit(s, sep string) []string {
	parts := strings.Split(s, sep)
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

func newReplaceField(s Settings, b base) (Transform, error) {
	pick := func(name, deprecated string) []string {
		if s.IsSet(name) || !s.IsSet(deprecated) {
			return s.List(name)
		}
		return s.List(deprecated)
	}
	t := &replaceField{base: b, renames: map[string]string{}, reverse: map[string]string{}}
	t.exclude = newNameSet(pick("exclude", "blacklist"))
	t.include = newNameSet(pick("include", "whitelist"))
	pairs, err := parseRenames(s.List("renames"))
	if err != nil {
		return nil, Invalid("renames", "%v", err)
	}
	var from []string
	for _, p := range pairs {
		if _, dup := t.renames[p[0]]; !dup {
			from = append(from, p[0])
		}
		t.renames[p[0]] = p[1]
	}
	for _, f := range from {
		t.reverse[t.renames[f]] = f
		t.renameTo = append(t.renameTo, jsonName(t.renames[f]))
	}
	t.renameFrom = newNameSet(from)
	return t, nil
}

func (t *replaceField) keep(name string) bool {
	return !t.exclude.has(name) && (t.include.len() == 0 || t.include.has(name))
}

func (t *replaceField) renamed(name string) string {
	if n, ok := t.renames[name]; ok {
		return n
	}
	return name
}

func (t *replaceField) Apply(r record.Record) (record.Record, bool, error) {
	s, v := t.sd.get(&r)
	if isNull(v) {
		return r, true, nil
	}
	if s == nil {
		if out, ok, err := applyRaw(t, r); ok {
			return out, err == nil, err
		}
		m, err := requireMap(&r, t.name, "field replacement", v)
		if err != nil {
			return r, false, err
		}
		out := make(map[string]any, len(m))
		for k, fv := range m {
			if t.keep(k) {
				out[t.renamed(k)] = fv
			}
		}
		return t.sd.set(r, nil, out), true, nil
	}
	sv, err := requireStruct(&r, t.name, "field replacement", v)
	if err != nil {
		return r, false, err
	}
	us, err := t.cache.get(sv.Schema, t.updatedSchema)
	if err != nil {
		return r, false, failWrap(&r, t.name, err)
	}
	vals := make([]any, len(us.Fields))
	for i, f := range us.Fields {
		old := f.Name
		if o, ok := t.reverse[f.Name]; ok {
			old = o
		}
		vals[i] = fieldValue(sv, sv.Schema.Field(old))
	}
	return t.sd.set(r, us, &record.StructValue{Schema: us, Values: vals}), true, nil
}

func (t *replaceField) updatedSchema(s *record.Schema) (*record.Schema, error) {
	out := copyBasics(s, record.Struct)
	for _, f := range s.Fields {
		if t.keep(f.Name) {
			if err := addField(out, t.renamed(f.Name), f.Schema); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (t *replaceField) editRaw(_ recMeta, o *object) error {
	filter := t.exclude.len() > 0 || t.include.len() > 0
	for i := range o.ms {
		if o.deleted(i) {
			continue
		}
		m := &o.ms[i]
		if filter && (!t.exclude.misses(m) && t.exclude.indexMember(o, i) >= 0 ||
			t.include.len() > 0 && (t.include.misses(m) || t.include.indexMember(o, i) < 0)) {
			o.drop(i)
			continue
		}
		if t.renameFrom.len() > 0 && !t.renameFrom.misses(m) {
			if k := t.renameFrom.indexMember(o, i); k >= 0 {
				o.rename(i, t.renameTo[k])
			}
		}
	}
	return nil
}
