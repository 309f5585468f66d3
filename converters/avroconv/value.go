package avroconv

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// ToNative converts Connect data under s into the Go value hamba/avro marshals for the Avro
// schema SchemaFromConnect(s) returns (the schema is derived once per *record.Schema and kept):
//
//	int8/int16/int32 int32, int64 int64, float float32, double float64, boolean bool,
//	string string (an enum's symbol), bytes []byte (a fixed: [N]byte), Decimal *big.Rat,
//	Date and Timestamp time.Time, Time time.Duration since midnight, array []any,
//	map with string keys map[string]any, other maps []any of {"key":..,"value":..} maps,
//	struct map[string]any by field name, an optional value nil or map[string]any{branch: value}
//	with hamba's branch name (a named type's full name, else the type name, ".logicalType"
//	appended: "string", "long.timestamp-millis", "com.example.User").
//
// This is also what hamba's generic decoding (avro.Unmarshal into an any) produces, so
// FromNative(s, ToNative(s, v)) gives v back.
func ToNative(s *record.Schema, v any) (any, error) {
	a, err := cachedSchema(s)
	if err != nil {
		return nil, err
	}
	return ToNativeFor(a, s, v)
}

// ToNativeFor is ToNative with the Avro schema given: a must be SchemaFromConnect(s).
func ToNativeFor(a avro.Schema, s *record.Schema, v any) (any, error) {
	if s == nil {
		return nil, errors.New("avro: no schema (schemaless data has no Avro form)")
	}
	return (&nativeWriter{wrap: true}).value(s, a, v, "")
}

// schemaCache keeps SchemaFromConnect's result per Connect schema for ToNative. It is bounded:
// when full it starts over.
var schemaCache struct {
	sync.RWMutex
	m map[*record.Schema]avro.Schema
}

const schemaCacheMax = 1024

func cachedSchema(s *record.Schema) (avro.Schema, error) {
	schemaCache.RLock()
	a, ok := schemaCache.m[s]
	schemaCache.RUnlock()
	if ok {
		return a, nil
	}
	a, err := SchemaFromConnect(s)
	if err != nil {
		return nil, err
	}
	schemaCache.Lock()
	if schemaCache.m == nil || len(schemaCache.m) >= schemaCacheMax {
		schemaCache.m = make(map[*record.Schema]avro.Schema)
	}
	schemaCache.m[s] = a
	schemaCache.Unlock()
	return a, nil
}

// typeName is hamba's name of a union branch.
func typeName(s avro.Schema) string {
	s = deref(s)
	if n, ok := s.(avro.NamedSchema); ok {
		return n.FullName()
	}
	if ls := logicalOf(s); ls != nil {
		return string(s.Type()) + "." + string(ls.Type())
	}
	return string(s.Type())
}

type nativeWriter struct {
	wrap bool // optional values as {branch: value} (false for Avro defaults: the plain value)
}

func mismatch(path string, s *record.Schema, v any) error {
	what := string(s.Type)
	if s.Name != "" {
		what += " " + s.Name
	}
	if path == "" {
		return fmt.Errorf("avro: %T is not %s data", v, what)
	}
	return fmt.Errorf("avro: field %s: %T is not %s data", path, v, what)
}

func (w *nativeWriter) value(s *record.Schema, a avro.Schema, v any, path string) (any, error) {
	a = deref(a)
	u, isUnion := a.(*avro.UnionSchema)
	if !isUnion {
		if v == nil {
			if s.Optional {
				return nil, fmt.Errorf("avro: field %s: null for an optional schema whose Avro type %s has no null", path, a.Type())
			}
			return nil, fmt.Errorf("avro: field %s: null for a required %s", orTop(path), s.Type)
		}
		return w.base(s, a, v, path)
	}
	if s.Type == record.Struct && s.Name == UnionName {
		return w.union(s, u, v, path)
	}
	if v == nil {
		if !s.Optional {
			return nil, fmt.Errorf("avro: field %s: null for a required %s", orTop(path), s.Type)
		}
		return nil, nil
	}
	var branch avro.Schema
	for _, t := range u.Types() {
		if t.Type() != avro.Null {
			branch = t
			break
		}
	}
	if branch == nil {
		return nil, fmt.Errorf("avro: field %s: union without a non-null branch", orTop(path))
	}
	n, err := w.base(s, branch, v, path)
	if err != nil || !w.wrap {
		return n, err
	}
	return map[string]any{typeName(branch): n}, nil
}

func orTop(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

func (w *nativeWriter) union(s *record.Schema, u *avro.UnionSchema, v any, path string) (any, error) {
	if v == nil {
		if !s.Optional {
			return nil, fmt.Errorf("avro: field %s: null for a required union", orTop(path))
		}
		return nil, nil
	}
	sv, ok := v.(*record.StructValue)
	if !ok || len(sv.Values) != len(s.Fields) {
		return nil, mismatch(path, s, v)
	}
	branches := make([]avro.Schema, 0, len(s.Fields))
	for _, t := range u.Types() {
		if t.Type() != avro.Null {
			branches = append(branches, t)
		}
	}
	if len(branches) != len(s.Fields) {
		return nil, fmt.Errorf("avro: field %s: union of %d types for %d fields", orTop(path), len(branches), len(s.Fields))
	}
	for i, fv := range sv.Values {
		if fv == nil {
			continue
		}
		n, err := w.base(s.Fields[i].Schema, branches[i], fv, at(path, s.Fields[i].Name))
		if err != nil || !w.wrap {
			return n, err
		}
		return map[string]any{typeName(branches[i]): n}, nil
	}
	if !s.Optional {
		return nil, fmt.Errorf("avro: field %s: union with no branch set", orTop(path))
	}
	return nil, nil
}

func (w *nativeWriter) base(s *record.Schema, a avro.Schema, v any, path string) (any, error) {
	a = deref(a)
	switch s.Name {
	case record.DecimalName:
		d, ok := asDecimal(v)
		if !ok {
			break
		}
		if d.Unscaled == nil {
			return new(big.Rat), nil
		}
		r := new(big.Rat).SetInt(d.Unscaled)
		if d.Scale != 0 {
			p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs32(d.Scale))), nil)
			if d.Scale > 0 {
				r.Quo(r, new(big.Rat).SetInt(p))
			} else {
				r.Mul(r, new(big.Rat).SetInt(p))
			}
		}
		return r, nil
	case record.DateName:
		if t, ok := v.(time.Time); ok {
			return t.UTC(), nil
		}
	case record.TimeName:
		if t, ok := v.(time.Time); ok {
			t = t.UTC()
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
				time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond()), nil
		}
	case record.TimestampName:
		if t, ok := v.(time.Time); ok {
			return t.UTC(), nil
		}
	}
	switch s.Type {
	case record.Int8:
		if x, ok := v.(int8); ok {
			return int32(x), nil
		}
	case record.Int16:
		if x, ok := v.(int16); ok {
			return int32(x), nil
		}
	case record.Int32:
		if x, ok := v.(int32); ok {
			return x, nil
		}
	case record.Int64:
		if x, ok := v.(int64); ok {
			return x, nil
		}
	case record.Float32:
		if x, ok := v.(float32); ok {
			return x, nil
		}
	case record.Float64:
		if x, ok := v.(float64); ok {
			return x, nil
		}
	case record.Boolean:
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case record.String:
		if x, ok := v.(string); ok {
			if e, ok := a.(*avro.EnumSchema); ok && !slices.Contains(e.Symbols(), x) {
				return nil, fmt.Errorf("avro: field %s: %q is not a symbol of enum %s", orTop(path), x, e.FullName())
			}
			return x, nil
		}
	case record.Bytes:
		if x, ok := v.([]byte); ok {
			if f, ok := a.(*avro.FixedSchema); ok {
				if len(x) != f.Size() {
					return nil, fmt.Errorf("avro: field %s: %d bytes for fixed %s of size %d", orTop(path), len(x), f.FullName(), f.Size())
				}
				arr := reflect.New(reflect.ArrayOf(len(x), reflect.TypeFor[byte]())).Elem()
				reflect.Copy(arr, reflect.ValueOf(x))
				return arr.Interface(), nil
			}
			return x, nil
		}
	case record.Array:
		x, ok := v.([]any)
		arr, isArr := a.(*avro.ArraySchema)
		if !ok || !isArr {
			break
		}
		out := make([]any, len(x))
		for i, e := range x {
			n, err := w.value(s.Value, arr.Items(), e, path+"[]")
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case record.Map:
		return w.mapValue(s, a, v, path)
	case record.Struct:
		x, ok := v.(*record.StructValue)
		rec, isRec := a.(*avro.RecordSchema)
		if !ok || !isRec || len(x.Values) != len(s.Fields) || len(rec.Fields()) != len(s.Fields) {
			break
		}
		out := make(map[string]any, len(s.Fields))
		for i, f := range s.Fields {
			n, err := w.value(f.Schema, rec.Fields()[i].Type(), x.Values[i], at(path, f.Name))
			if err != nil {
				return nil, err
			}
			out[f.Name] = n
		}
		return out, nil
	}
	return nil, mismatch(path, s, v)
}

func (w *nativeWriter) mapValue(s *record.Schema, a avro.Schema, v any, path string) (any, error) {
	entries, ok := v.([]record.MapEntry)
	if !ok {
		if m, isMap := v.(map[string]any); isMap {
			entries = make([]record.MapEntry, 0, len(m))
			for k, e := range m {
				entries = append(entries, record.MapEntry{Key: k, Value: e})
			}
			ok = true
		}
	}
	if !ok {
		return nil, mismatch(path, s, v)
	}
	switch a := a.(type) {
	case *avro.MapSchema:
		out := make(map[string]any, len(entries))
		for _, e := range entries {
			k, isStr := e.Key.(string)
			if !isStr {
				return nil, fmt.Errorf("avro: field %s: map key %T is not a string", orTop(path), e.Key)
			}
			n, err := w.value(s.Value, a.Values(), e.Value, path+"["+k+"]")
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case *avro.ArraySchema:
		rec, isRec := deref(a.Items()).(*avro.RecordSchema)
		if !isRec || len(rec.Fields()) != 2 {
			break
		}
		out := make([]any, len(entries))
		for i, e := range entries {
			k, err := w.value(s.Key, rec.Fields()[0].Type(), e.Key, path+".key")
			if err != nil {
				return nil, err
			}
			n, err := w.value(s.Value, rec.Fields()[1].Type(), e.Value, path+".value")
			if err != nil {
				return nil, err
			}
			out[i] = map[string]any{"key": k, "value": n}
		}
		return out, nil
	}
	return nil, fmt.Errorf("avro: field %s: Avro %s for a Connect map", orTop(path), a.Type())
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

func asDecimal(v any) (record.Decimal, bool) {
	switch d := v.(type) {
	case record.Decimal:
		return d, true
	case *record.Decimal:
		if d != nil {
			return *d, true
		}
	}
	return record.Decimal{}, false
}

// FromNative converts a Go value hamba/avro's generic decoding produced (avro.Unmarshal into an
// any) into Connect data under s, the Connect schema of the Avro schema it was decoded with
// (SchemaToConnect). It accepts what ToNative produces too, and optional values both wrapped as
// {branch: value} and plain. Avro maps, unordered in Go, become map entries sorted by key.
func FromNative(s *record.Schema, v any) (any, error) {
	if s == nil {
		return nil, errors.New("avro: no schema")
	}
	return fromNative(s, v, false, "")
}

// primitiveNames are the Avro primitive type names, which lead hamba's branch names.
var primitiveNames = map[string]bool{"null": true, "boolean": true, "int": true, "long": true,
	"float": true, "double": true, "bytes": true, "string": true, "array": true, "map": true}

// branchMatches reports whether hamba's branch name key names the Connect field name (AvroData's
// branch naming: simple name of a named type, else the type name) or, with name "", any branch
// fit for s.
func branchMatches(key, name string) bool {
	if key == name {
		return true
	}
	head, _, hasDot := strings.Cut(key, ".")
	if hasDot && primitiveNames[head] {
		return head == name
	}
	return key[strings.LastIndexByte(key, '.')+1:] == name
}

// unwrap returns the value inside a {branch: value} union wrapper fit for s, or v.
func unwrap(s *record.Schema, v any) any {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return v
	}
	for k, inner := range m {
		if wrapperFits(s, k, inner) {
			return inner
		}
	}
	return v
}

func wrapperFits(s *record.Schema, key string, inner any) bool {
	head, _, _ := strings.Cut(key, ".")
	switch s.Type {
	case record.Struct:
		_, isMap := inner.(map[string]any)
		return isMap && (key == s.Name || (s.Name == "" && strings.HasPrefix(key, Namespace+"."+DefaultSchemaName)))
	case record.Map:
		switch inner.(type) {
		case map[string]any:
			return key == "map"
		case []any:
			return key == "array"
		}
		return false
	case record.Array:
		_, isArr := inner.([]any)
		return isArr && key == "array"
	case record.String:
		return head == "string" || key == s.Parameters[EnumParameter]
	case record.Bytes:
		return head == "bytes" || head == "fixed" || key == s.Name || !primitiveNames[head]
	case record.Int8, record.Int16, record.Int32:
		return head == "int" || head == "long"
	case record.Int64:
		return head == "long" || head == "int"
	case record.Float32, record.Float64:
		return head == "float" || head == "double"
	case record.Boolean:
		return key == "boolean"
	}
	return false
}

func fromNative(s *record.Schema, v any, unwrapped bool, path string) (any, error) {
	if v == nil {
		if s.Optional || (s.Type == record.Struct && s.Name == UnionName) {
			return nil, nil
		}
		return nil, fmt.Errorf("avro: field %s: null for a required %s", orTop(path), s.Type)
	}
	if s.Type == record.Struct && s.Name == UnionName {
		return unionFromNative(s, v, path)
	}
	if s.Optional && !unwrapped {
		v = unwrap(s, v)
	}
	switch s.Name {
	case record.DecimalName:
		scale, prec := decimalParams(s)
		_ = prec
		switch x := v.(type) {
		case *big.Rat:
			n := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
			r := new(big.Rat).Mul(x, new(big.Rat).SetInt(n))
			if !r.IsInt() {
				return nil, fmt.Errorf("avro: field %s: %s has more than %d decimal places", orTop(path), x.RatString(), scale)
			}
			return record.Decimal{Unscaled: new(big.Int).Set(r.Num()), Scale: scale}, nil
		case record.Decimal:
			return x, nil
		}
		if b, err := nativeBytes(v); err == nil {
			return record.Decimal{Unscaled: twosComplement(b), Scale: scale}, nil
		}
	case record.DateName:
		switch x := v.(type) {
		case time.Time:
			return x.UTC(), nil
		case int, int32, int64:
			n, _ := toInt64(x)
			return record.Epoch.AddDate(0, 0, int(n)), nil
		}
	case record.TimeName:
		switch x := v.(type) {
		case time.Duration:
			if x < 0 || x >= 24*time.Hour {
				return nil, fmt.Errorf("avro: field %s: %s is not a time of day", orTop(path), x)
			}
			return record.Epoch.Add(x), nil
		case time.Time:
			return x.UTC(), nil
		case int, int32:
			n, _ := toInt64(x)
			return record.Epoch.Add(time.Duration(n) * time.Millisecond), nil
		}
	case record.TimestampName:
		switch x := v.(type) {
		case time.Time:
			return x.UTC(), nil
		case int64:
			return time.UnixMilli(x).UTC(), nil
		}
	}
	switch s.Type {
	case record.Int8, record.Int16, record.Int32, record.Int64:
		if n, ok := toInt64(v); ok {
			c, err := castInt(s.Type, n)
			if err != nil {
				return nil, fmt.Errorf("avro: field %s: %w", orTop(path), err)
			}
			return c, nil
		}
	case record.Float32:
		switch x := v.(type) {
		case float32:
			return x, nil
		case float64:
			return float32(x), nil
		}
	case record.Float64:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		}
	case record.Boolean:
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case record.String:
		if x, ok := v.(string); ok {
			return x, nil
		}
	case record.Bytes:
		if b, err := nativeBytes(v); err == nil {
			return b, nil
		}
	case record.Array:
		x, ok := v.([]any)
		if !ok {
			break
		}
		out := make([]any, len(x))
		for i, e := range x {
			c, err := fromNative(s.Value, e, false, path+"[]")
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case record.Map:
		switch x := v.(type) {
		case map[string]any:
			out := make([]record.MapEntry, 0, len(x))
			for _, k := range sortedAnyKeys(x) {
				key, err := fromNative(s.Key, k, false, path+".key")
				if err != nil {
					return nil, err
				}
				c, err := fromNative(s.Value, x[k], false, path+"["+k+"]")
				if err != nil {
					return nil, err
				}
				out = append(out, record.MapEntry{Key: key, Value: c})
			}
			return out, nil
		case []any:
			out := make([]record.MapEntry, len(x))
			for i, e := range x {
				m, ok := e.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("avro: field %s: map entry %T is not a key/value record", orTop(path), e)
				}
				k, err := fromNative(s.Key, m["key"], false, path+".key")
				if err != nil {
					return nil, err
				}
				c, err := fromNative(s.Value, m["value"], false, path+".value")
				if err != nil {
					return nil, err
				}
				out[i] = record.MapEntry{Key: k, Value: c}
			}
			return out, nil
		}
	case record.Struct:
		x, ok := v.(map[string]any)
		if !ok {
			break
		}
		sv := &record.StructValue{Schema: s, Values: make([]any, len(s.Fields))}
		for i, f := range s.Fields {
			fv, present := x[f.Name]
			if !present {
				fv = f.Schema.Default
				sv.Values[i] = fv
				if fv == nil && !f.Schema.Optional {
					return nil, fmt.Errorf("avro: field %s missing", at(path, f.Name))
				}
				continue
			}
			c, err := fromNative(f.Schema, fv, false, at(path, f.Name))
			if err != nil {
				return nil, err
			}
			sv.Values[i] = c
		}
		return sv, nil
	}
	return nil, mismatch(path, s, v)
}

func unionFromNative(s *record.Schema, v any, path string) (any, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("avro: field %s: union value %T is not a {branch: value} map", orTop(path), v)
	}
	for k, inner := range m {
		for i, f := range s.Fields {
			if !branchMatches(k, f.Name) {
				continue
			}
			c, err := fromNative(f.Schema, inner, true, at(path, f.Name))
			if err != nil {
				return nil, err
			}
			sv := &record.StructValue{Schema: s, Values: make([]any, len(s.Fields))}
			sv.Values[i] = c
			return sv, nil
		}
		return nil, fmt.Errorf("avro: field %s: union branch %q is not one of the schema's", orTop(path), k)
	}
	return nil, nil
}

func decimalParams(s *record.Schema) (scale int32, prec int) {
	var sc int
	fmt.Sscan(s.Parameters[record.DecimalScaleParameter], &sc)
	fmt.Sscan(s.Parameters[PrecisionParameter], &prec)
	return int32(sc), prec
}

// twosComplement reads big-endian two's-complement bytes.
func twosComplement(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return n
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case float64: // JSON defaults
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), true
		}
	}
	return 0, false
}

// nativeBytes returns the bytes of a []byte or of a [N]byte array (hamba's fixed).
func nativeBytes(v any) ([]byte, error) {
	if b, ok := v.([]byte); ok {
		return b, nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Array && rv.Type().Elem().Kind() == reflect.Uint8 {
		out := make([]byte, rv.Len())
		reflect.Copy(reflect.ValueOf(out), rv)
		return out, nil
	}
	return nil, errNotBytes
}

func sortedAnyKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
