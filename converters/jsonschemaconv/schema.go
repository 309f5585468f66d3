package jsonschemaconv

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// The annotations Confluent's JsonSchemaData writes into a JSON Schema and reads back, and the
// names and parameters it gives Connect schemas.
const (
	ConnectTypeProp       = "connect.type"
	ConnectIndexProp      = "connect.index"
	ConnectVersionProp    = "connect.version"
	ConnectParametersProp = "connect.parameters"

	// Namespace prefixes the Connect names and parameters the converter invents.
	Namespace = "io.confluent.connect.json"
	// OneOfName names the Connect struct a oneOf/anyOf becomes; its fields are named
	// OneOfName + ".field." + index.
	OneOfName = Namespace + ".OneOf"
	// EnumParameter marks a string schema built from a JSON enum; each symbol is a parameter
	// EnumParameter + "." + symbol.
	EnumParameter = Namespace + ".Enum"
)

// The connect.type values.
const (
	connectInt8    = "int8"
	connectInt16   = "int16"
	connectInt32   = "int32"
	connectInt64   = "int64"
	connectFloat32 = "float32"
	connectFloat64 = "float64"
	connectBytes   = "bytes"
	connectMap     = "map"
)

// schemaReader converts one JSON Schema document into a Connect schema, as Confluent's
// JsonSchemaData.toConnectSchema.
type schemaReader struct {
	root *node
	// optionalNonRequired is use.optional.for.nonrequired: a property missing from "required"
	// gives an optional field.
	optionalNonRequired bool
	refs                int
}

// toConnectSchema converts the JSON Schema text into a Connect schema.
func toConnectSchema(text []byte, optionalNonRequired bool) (*record.Schema, error) {
	root, err := parseJSON(text)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	r := &schemaReader{root: root, optionalNonRequired: optionalNonRequired}
	s, err := r.convert(root, false, 0)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return s, nil
}

// maxRefs bounds $ref resolutions per schema, so that recursive schemas fail instead of looping.
const maxRefs = 1000

func (r *schemaReader) convert(n *node, forceOptional bool, depth int) (*record.Schema, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxDepth)
	}
	if n.kind != kObject {
		if n.kind == kBool {
			return nil, fmt.Errorf("boolean schema %v is not supported: Connect needs typed data", n.b)
		}
		return nil, fmt.Errorf("a schema must be an object, got %s", n.kind)
	}
	if ref := n.get("$ref"); ref != nil {
		target, err := r.resolve(ref)
		if err != nil {
			return nil, err
		}
		return r.convert(target, forceOptional, depth+1)
	}
	for _, comb := range []string{"oneOf", "anyOf"} {
		if subs := n.get(comb); subs != nil {
			return r.combined(n, comb, subs, forceOptional, depth)
		}
	}
	if all := n.get("allOf"); all != nil {
		if all.kind != kArray || len(all.arr) != 1 {
			return nil, errors.New("allOf is supported with exactly one subschema only")
		}
		return r.convert(all.arr[0], forceOptional, depth+1)
	}

	var s *record.Schema
	typ, optional, err := schemaType(n)
	if err != nil {
		return nil, err
	}
	forceOptional = forceOptional || optional
	ctype := n.str(ConnectTypeProp)
	switch {
	case n.get("enum") != nil || n.get("const") != nil:
		s = &record.Schema{Type: record.String, Parameters: map[string]string{EnumParameter: ""}}
		var syms []*node
		if e := n.get("enum"); e != nil {
			if e.kind != kArray {
				return nil, errors.New("enum must be an array")
			}
			syms = e.arr
		} else {
			syms = []*node{n.get("const")}
		}
		for _, sym := range syms {
			var text string
			switch sym.kind {
			case kString, kNumber:
				text = sym.s
			case kBool:
				text = strconv.FormatBool(sym.b)
			case kNull:
				forceOptional = true
				continue
			default:
				return nil, fmt.Errorf("enum symbol of type %s is not supported", sym.kind)
			}
			s.Parameters[EnumParameter+"."+text] = text
		}
	case typ == "boolean":
		s = &record.Schema{Type: record.Boolean}
	case typ == "integer" || typ == "number":
		switch ctype {
		case "":
			s = &record.Schema{Type: record.Float64}
			if typ == "integer" {
				s = &record.Schema{Type: record.Int64}
			}
		case connectInt8:
			s = &record.Schema{Type: record.Int8}
		case connectInt16:
			s = &record.Schema{Type: record.Int16}
		case connectInt32:
			s = &record.Schema{Type: record.Int32}
		case connectInt64:
			s = &record.Schema{Type: record.Int64}
		case connectFloat32:
			s = &record.Schema{Type: record.Float32}
		case connectFloat64:
			s = &record.Schema{Type: record.Float64}
		case connectBytes:
			s = &record.Schema{Type: record.Bytes}
		default:
			return nil, fmt.Errorf("unsupported %s %q for a %s", ConnectTypeProp, ctype, typ)
		}
	case typ == "string":
		s = &record.Schema{Type: record.String}
		if ctype == connectBytes {
			s = &record.Schema{Type: record.Bytes}
		}
	case typ == "array":
		items := n.get("items")
		if items == nil || items.kind != kObject {
			return nil, errors.New("array schema did not specify the items type (an object schema)")
		}
		if ctype == connectMap {
			props := items.get("properties")
			kn, vn := props.get("key"), props.get("value")
			if kn == nil || vn == nil {
				return nil, errors.New(`a connect.type=map array needs items with "key" and "value" properties`)
			}
			k, err := r.convert(kn, false, depth+1)
			if err != nil {
				return nil, fmt.Errorf("map key: %w", err)
			}
			v, err := r.convert(vn, false, depth+1)
			if err != nil {
				return nil, fmt.Errorf("map value: %w", err)
			}
			s = &record.Schema{Type: record.Map, Key: k, Value: v}
		} else {
			v, err := r.convert(items, false, depth+1)
			if err != nil {
				return nil, fmt.Errorf("items: %w", err)
			}
			s = &record.Schema{Type: record.Array, Value: v}
		}
	case typ == "object":
		if ctype == connectMap {
			ap := n.get("additionalProperties")
			if ap == nil || ap.kind != kObject {
				return nil, errors.New("a connect.type=map object needs an additionalProperties schema")
			}
			v, err := r.convert(ap, false, depth+1)
			if err != nil {
				return nil, fmt.Errorf("map value: %w", err)
			}
			s = &record.Schema{Type: record.Map, Key: record.StringSchema, Value: v}
		} else {
			s, err = r.object(n, depth)
			if err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("unsupported schema type %q", typ)
	}

	s.Name = n.str("title")
	s.Doc = n.str("description")
	if v := n.get(ConnectVersionProp); v != nil && v.integral() {
		ver, err := strconv.ParseInt(v.s, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ConnectVersionProp, err)
		}
		s.Version = int32(ver)
	}
	if p := n.get(ConnectParametersProp); p != nil && p.kind == kObject {
		if s.Parameters == nil {
			s.Parameters = make(map[string]string, len(p.keys))
		}
		for i, k := range p.keys {
			if p.vals[i].kind == kString {
				s.Parameters[k] = p.vals[i].s
			}
		}
	}
	if s.Name == record.DecimalName && s.Type == record.Bytes {
		if _, ok := s.Parameters[record.DecimalScaleParameter]; !ok {
			return nil, fmt.Errorf("a Decimal needs the %q parameter", record.DecimalScaleParameter)
		}
	}
	if forceOptional {
		s.Optional = true
	}
	if d := n.get("default"); d != nil {
		v, err := toData(s, d)
		if err != nil {
			return nil, fmt.Errorf("default: %w", err)
		}
		s.Default = v
	}
	return s, nil
}

// schemaType returns the schema's single JSON type and whether "null" is also allowed
// ("type": ["string", "null"]). A schema without "type" is typed by its keywords.
func schemaType(n *node) (string, bool, error) {
	t := n.get("type")
	switch {
	case t == nil:
		switch {
		case n.get("properties") != nil, n.get("additionalProperties") != nil:
			return "object", false, nil
		case n.get("items") != nil:
			return "array", false, nil
		case n.get("enum") != nil, n.get("const") != nil:
			return "string", false, nil
		}
		return "", false, errors.New(`a schema without "type" is not supported`)
	case t.kind == kString:
		return t.s, false, nil
	case t.kind == kArray:
		var types []string
		null := false
		for _, e := range t.arr {
			if e.kind != kString {
				return "", false, errors.New(`"type" must hold strings`)
			}
			if e.s == "null" {
				null = true
			} else {
				types = append(types, e.s)
			}
		}
		if len(types) != 1 {
			return "", false, fmt.Errorf(`"type" %v is not supported: one type, optionally with "null"`, append(types, map[bool]string{true: "null"}[null]))
		}
		return types[0], null, nil
	}
	return "", false, errors.New(`"type" must be a string or an array`)
}

// combined converts oneOf/anyOf: a null and one other schema is that schema, optional; otherwise
// a struct named OneOfName with one optional field per non-null subschema.
func (r *schemaReader) combined(n *node, comb string, subs *node, forceOptional bool, depth int) (*record.Schema, error) {
	if subs.kind != kArray || len(subs.arr) == 0 {
		return nil, fmt.Errorf("%s must be a non-empty array", comb)
	}
	var nonNull []*node
	hasNull := false
	for _, sub := range subs.arr {
		if t := sub.get("type"); t != nil && t.kind == kString && t.s == "null" {
			hasNull = true
			continue
		}
		nonNull = append(nonNull, sub)
	}
	if hasNull && len(nonNull) == 1 {
		return r.convert(nonNull[0], true, depth+1)
	}
	s := &record.Schema{Type: record.Struct, Name: OneOfName, Optional: hasNull || forceOptional}
	for i, sub := range nonNull {
		fs, err := r.convert(sub, true, depth+1)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", comb, i, err)
		}
		s.Fields = append(s.Fields, record.Field{Name: OneOfName + ".field." + strconv.Itoa(i), Index: i, Schema: fs})
	}
	return s, nil
}

// object converts an object schema into a struct: fields in connect.index order when every
// property has one, in declaration order otherwise.
func (r *schemaReader) object(n *node, depth int) (*record.Schema, error) {
	s := &record.Schema{Type: record.Struct}
	props := n.get("properties")
	if props == nil {
		return s, nil
	}
	if props.kind != kObject {
		return nil, errors.New("properties must be an object")
	}
	required := map[string]bool{}
	if req := n.get("required"); req != nil && req.kind == kArray {
		for _, e := range req.arr {
			if e.kind == kString {
				required[e.s] = true
			}
		}
	}
	type prop struct {
		name  string
		sub   *node
		index int64
	}
	ps := make([]prop, 0, len(props.keys))
	seen := make(map[string]bool, len(props.keys))
	allIndexed := true
	for i, k := range props.keys {
		if seen[k] {
			return nil, fmt.Errorf("property %q declared twice", k)
		}
		seen[k] = true
		p := prop{name: k, sub: props.vals[i], index: -1}
		if ix := p.sub.get(ConnectIndexProp); ix != nil && ix.integral() {
			p.index, _ = strconv.ParseInt(ix.s, 10, 32)
		} else {
			allIndexed = false
		}
		ps = append(ps, p)
	}
	if allIndexed {
		slices.SortStableFunc(ps, func(a, b prop) int { return int(a.index - b.index) })
	}
	for i, p := range ps {
		fs, err := r.convert(p.sub, r.optionalNonRequired && !required[p.name], depth+1)
		if err != nil {
			return nil, fmt.Errorf("property %q: %w", p.name, err)
		}
		s.Fields = append(s.Fields, record.Field{Name: p.name, Index: i, Schema: fs})
	}
	return s, nil
}

// resolve follows a local $ref ("#", "#/definitions/x", "#/$defs/x"). Remote references are not
// supported.
func (r *schemaReader) resolve(ref *node) (*node, error) {
	if ref.kind != kString || !strings.HasPrefix(ref.s, "#") {
		return nil, fmt.Errorf("$ref %q is not supported: only references inside the schema (#/...)", ref.s)
	}
	r.refs++
	if r.refs > maxRefs {
		return nil, errors.New("too many $ref resolutions (a recursive schema?)")
	}
	cur := r.root
	path := strings.TrimPrefix(ref.s, "#")
	if path == "" {
		return cur, nil
	}
	for _, tok := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch cur.kind {
		case kObject:
			cur = cur.get(tok)
		case kArray:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(cur.arr) {
				cur = nil
			} else {
				cur = cur.arr[i]
			}
		default:
			cur = nil
		}
		if cur == nil {
			return nil, fmt.Errorf("$ref %q: not found", ref.s)
		}
	}
	return cur, nil
}

// schemaWriter builds the JSON Schema text of a Connect schema, as Confluent's
// JsonSchemaData.fromConnectSchema: integers as {"type":"integer","connect.type":"int32"},
// optional schemas as {"oneOf":[{"type":"null"},...]}, structs as objects whose properties carry
// connect.index, maps with string keys as objects with additionalProperties and
// connect.type=map, other maps as arrays of {key, value} objects.
type schemaWriter struct{}

// fromConnectSchema returns the JSON Schema text for s.
func fromConnectSchema(s *record.Schema) ([]byte, error) {
	if s == nil {
		return nil, errors.New("a record without a schema cannot be written as JSON Schema")
	}
	return appendSchema(nil, s, -1, false, 0)
}

// member appends ,"key":value (or "key":value at the start of an object).
func member(b []byte, key string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = strconv.AppendQuote(b, key) // keys are ASCII
	return append(b, ':')
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// appendSchema appends the JSON Schema of s. index is the struct field position (connect.index),
// or -1. ignoreOptional skips the null alternative (inside a oneOf, which has its own).
func appendSchema(b []byte, s *record.Schema, index int, ignoreOptional bool, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("schema nested deeper than %d levels", maxDepth)
	}
	if s.Type == record.Struct && s.Name == OneOfName {
		b = append(b, '{')
		if index >= 0 {
			b = member(b, ConnectIndexProp)
			b = strconv.AppendInt(b, int64(index), 10)
		}
		b = append(member(b, "oneOf"), '[')
		if s.Optional {
			b = append(b, `{"type":"null"},`...)
		}
		for i, f := range s.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendSchema(b, f.Schema, -1, true, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, "]}"...), nil
	}
	if s.Optional && !ignoreOptional {
		b = append(b, '{')
		if index >= 0 {
			b = member(b, ConnectIndexProp)
			b = strconv.AppendInt(b, int64(index), 10)
		}
		b = append(member(b, "oneOf"), `[{"type":"null"},`...)
		var err error
		if b, err = appendSchema(b, s, -1, true, depth+1); err != nil {
			return nil, err
		}
		return append(b, "]}"...), nil
	}

	b = append(b, '{')
	var ctype string
	enum := s.Type == record.String && s.Parameters != nil && hasKey(s.Parameters, EnumParameter)
	switch s.Type {
	case record.Int8, record.Int16, record.Int32, record.Int64:
		b = append(member(b, "type"), `"integer"`...)
		ctype = map[record.Type]string{record.Int8: connectInt8, record.Int16: connectInt16, record.Int32: connectInt32, record.Int64: connectInt64}[s.Type]
	case record.Float32, record.Float64:
		b = append(member(b, "type"), `"number"`...)
		ctype = connectFloat32
		if s.Type == record.Float64 {
			ctype = connectFloat64
		}
	case record.Boolean:
		b = append(member(b, "type"), `"boolean"`...)
	case record.String:
		b = append(member(b, "type"), `"string"`...)
	case record.Bytes:
		if s.Name == record.DecimalName {
			b = append(member(b, "type"), `"number"`...)
		} else {
			b = append(member(b, "type"), `"string"`...)
		}
		ctype = connectBytes
	case record.Array:
		if s.Value == nil {
			return nil, errors.New("array schema without an element schema")
		}
		b = append(member(b, "type"), `"array"`...)
	case record.Map:
		if s.Key == nil || s.Value == nil {
			return nil, errors.New("map schema without key and value schemas")
		}
		ctype = connectMap
		if s.Key.Type == record.String && !s.Key.Optional {
			b = append(member(b, "type"), `"object"`...)
		} else {
			b = append(member(b, "type"), `"array"`...)
		}
	case record.Struct:
		b = append(member(b, "type"), `"object"`...)
	default:
		return nil, fmt.Errorf("unsupported Connect type %q", s.Type)
	}
	if s.Name != "" {
		b = appendJSONString(member(b, "title"), s.Name)
	}
	if s.Doc != "" {
		b = appendJSONString(member(b, "description"), s.Doc)
	}
	if s.Default != nil {
		d, err := appendData(nil, s, s.Default, depth)
		if err != nil {
			return nil, fmt.Errorf("default: %w", err)
		}
		b = append(member(b, "default"), d...)
	}
	var err error
	switch s.Type {
	case record.String:
		if enum {
			b = append(member(b, "enum"), '[')
			first := true
			for _, k := range slices.Sorted(maps.Keys(s.Parameters)) {
				if strings.HasPrefix(k, EnumParameter+".") {
					if !first {
						b = append(b, ',')
					}
					first = false
					b = appendJSONString(b, s.Parameters[k])
				}
			}
			b = append(b, ']')
		}
	case record.Array:
		if b, err = appendSchema(member(b, "items"), s.Value, -1, false, depth+1); err != nil {
			return nil, err
		}
	case record.Map:
		if s.Key.Type == record.String && !s.Key.Optional {
			if b, err = appendSchema(member(b, "additionalProperties"), s.Value, -1, false, depth+1); err != nil {
				return nil, err
			}
		} else {
			b = append(member(b, "items"), `{"type":"object","properties":{"key":`...)
			if b, err = appendSchema(b, s.Key, 0, false, depth+1); err != nil {
				return nil, err
			}
			b = append(b, `,"value":`...)
			if b, err = appendSchema(b, s.Value, 1, false, depth+1); err != nil {
				return nil, err
			}
			b = append(b, "}}"...)
		}
	case record.Struct:
		b = append(member(b, "properties"), '{')
		for i, f := range s.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendJSONString(b, f.Name), ':')
			if f.Schema == nil {
				return nil, fmt.Errorf("field %q has no schema", f.Name)
			}
			if b, err = appendSchema(b, f.Schema, i, false, depth+1); err != nil {
				return nil, fmt.Errorf("field %q: %w", f.Name, err)
			}
		}
		b = append(b, '}')
	}
	if index >= 0 {
		b = strconv.AppendInt(member(b, ConnectIndexProp), int64(index), 10)
	}
	if s.Version != 0 {
		b = strconv.AppendInt(member(b, ConnectVersionProp), int64(s.Version), 10)
	}
	var params []string
	for _, k := range slices.Sorted(maps.Keys(s.Parameters)) {
		if !strings.HasPrefix(k, Namespace) {
			params = append(params, k)
		}
	}
	if len(params) > 0 {
		b = append(member(b, ConnectParametersProp), '{')
		for i, k := range params {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendJSONString(b, k), ':')
			b = appendJSONString(b, s.Parameters[k])
		}
		b = append(b, '}')
	}
	if ctype != "" {
		b = appendJSONString(member(b, ConnectTypeProp), ctype)
	}
	return append(b, '}'), nil
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }
