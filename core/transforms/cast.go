package transforms

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Cast$Key / Cast$Value: cast fields, or the whole key or value, to int8, int16, int32, int64,
// float32, float64, boolean or string, as Connect's Cast does (Java's narrowing conversions,
// Java's parsing and printing of numbers, bytes to string as base64, dates to ISO 8601). A null
// passes through; as in Connect, a cast field missing from a schemaless map is added as null.

func castDefs() []Definition {
	keys := []config.Key{{Name: "spec", Type: config.List, Required: true,
		Doc:      "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of maps or structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string. Note that binary fields can only be cast to string.",
		Validate: func(v any) error { _, err := ParseCastSpec(v.([]string)); return err }}}
	return keyValueDefs("Cast", "Cast fields or the entire record {side} to a specific type.", keys,
		func(s Settings, b base) (Transform, error) {
			spec, err := ParseCastSpec(s.List("spec"))
			if err != nil {
				return nil, Invalid("spec", "%v", err)
			}
			t := &cast{base: b, spec: spec, fields: map[string]record.Type{}}
			for _, fc := range spec.Fields {
				if _, dup := t.fields[fc.Field]; !dup {
					t.order = append(t.order, fc.Field)
				}
				t.fields[fc.Field] = fc.Type
			}
			return t, nil
		})
}

// CastSpec is a parsed Cast spec: either one type for the whole value or a type per field.
type CastSpec struct {
	Whole  record.Type // "" unless the whole value is cast
	Fields []FieldCast
}

// FieldCast is one "field:type" of a Cast spec.
type FieldCast struct {
	Field string
	Type  record.Type
}

// castTypeNames maps Connect's Schema.Type names (case-insensitive in the spec) to types.
var castTypeNames = map[string]record.Type{
	"int8": record.Int8, "int16": record.Int16, "int32": record.Int32, "int64": record.Int64,
	"float32": record.Float32, "float64": record.Float64, "boolean": record.Boolean, "string": record.String,
	"bytes": record.Bytes, "array": record.Array, "map": record.Map, "struct": record.Struct,
}

func castOutputOK(t record.Type) bool {
	switch t {
	case record.Bytes, record.Array, record.Map, record.Struct:
		return false
	}
	return true
}

func castInputOK(t record.Type) bool { return castOutputOK(t) || t == record.Bytes }

const castSupported = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"

// ParseCastSpec parses Cast's spec setting as Connect does: "field:type" items, or a single type
// for the whole value; types are Connect's schema type names, in any case.
func ParseCastSpec(items []string) (CastSpec, error) {
	var spec CastSpec
	if len(items) == 0 {
		return spec, fmt.Errorf("must specify at least one field to cast")
	}
	for _, it := range items {
		parts := javaSplit(it, ":")
		switch len(parts) {
		case 1:
			t, ok := castTypeNames[strings.ToLower(javaTrim(parts[0]))]
			if !ok {
				return spec, fmt.Errorf("invalid type found in casting spec: %s", javaTrim(parts[0]))
			}
			if !castOutputOK(t) {
				return spec, fmt.Errorf("cast transformation does not support casting to %s; supported types are %s", strings.ToUpper(javaTrim(parts[0])), castSupported)
			}
			spec.Whole = t
		case 2:
			t, ok := castTypeNames[strings.ToLower(javaTrim(parts[1]))]
			if !ok {
				return spec, fmt.Errorf("invalid type found in casting spec: %s", javaTrim(parts[1]))
			}
			if !castOutputOK(t) {
				return spec, fmt.Errorf("cast transformation does not support casting to %s; supported types are %s", strings.ToUpper(javaTrim(parts[1])), castSupported)
			}
			spec.Fields = append(spec.Fields, FieldCast{Field: javaTrim(parts[0]), Type: t})
		default:
			return spec, fmt.Errorf("invalid cast mapping: %s", it)
		}
	}
	if spec.Whole != "" && len(items) > 1 {
		return spec, fmt.Errorf("cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec")
	}
	return spec, nil
}

type cast struct {
	base
	spec   CastSpec
	fields map[string]record.Type
	order  []string
	cache  schemaCache
}

func (t *cast) Apply(r record.Record) (record.Record, bool, error) {
	s, v := t.sd.get(&r)
	if isNull(v) {
		return r, true, nil
	}
	if s == nil {
		if t.spec.Whole != "" {
			cv, err := CastValue(nil, v, t.spec.Whole)
			if err != nil {
				return r, false, failWrap(&r, t.name, err)
			}
			return t.sd.set(r, nil, cv), true, nil
		}
		m, err := requireMap(&r, t.name, "cast types", v)
		if err != nil {
			return r, false, err
		}
		out := cloneMap(m, len(t.order))
		for _, f := range t.order {
			cv, err := CastValue(nil, m[f], t.fields[f])
			if err != nil {
				return r, false, fail(&r, t.name, "field %q: %v", f, err)
			}
			out[f] = cv
		}
		return t.sd.set(r, nil, out), true, nil
	}
	us, err := t.cache.get(s, t.updatedSchema)
	if err != nil {
		return r, false, failWrap(&r, t.name, err)
	}
	if t.spec.Whole != "" {
		cv, err := CastValue(s, v, t.spec.Whole)
		if err != nil {
			return r, false, failWrap(&r, t.name, err)
		}
		return t.sd.set(r, us, cv), true, nil
	}
	sv, err := requireStruct(&r, t.name, "cast types", v)
	if err != nil {
		return r, false, err
	}
	vals := make([]any, len(sv.Values))
	for i := range sv.Schema.Fields {
		f := &sv.Schema.Fields[i]
		fv := fieldValue(sv, f)
		if tt, ok := t.fields[f.Name]; ok {
			if fv, err = CastValue(f.Schema, fv, tt); err != nil {
				return r, false, fail(&r, t.name, "field %q: %v", f.Name, err)
			}
		}
		vals[i] = fv
	}
	return t.sd.set(r, us, &record.StructValue{Schema: us, Values: vals}), true, nil
}

func (t *cast) updatedSchema(s *record.Schema) (*record.Schema, error) {
	var out *record.Schema
	if t.spec.Whole != "" {
		out = copyBasics(s, t.spec.Whole)
		switch out.Name {
		case record.DecimalName, record.DateName, record.TimeName, record.TimestampName:
			out.Name, out.Version, out.Parameters = "", 0, nil // the value no longer has the logical type
		}
	} else {
		if s.Type != record.Struct {
			return nil, fmt.Errorf("only struct objects supported for [cast types], found: %s", s.Type)
		}
		out = copyBasics(s, record.Struct)
		for _, f := range s.Fields {
			fs := f.Schema
			if tt, ok := t.fields[f.Name]; ok {
				if !castInputOK(f.Schema.Type) {
					return nil, fmt.Errorf("cast transformation does not support casting from %s; supported types are %s", strings.ToUpper(string(f.Schema.Type)), castSupported)
				}
				fs = &record.Schema{Type: tt, Optional: f.Schema.Optional}
				if f.Schema.Default != nil {
					d, err := CastValue(f.Schema, f.Schema.Default, tt)
					if err != nil {
						return nil, fmt.Errorf("field %q default: %w", f.Name, err)
					}
					fs.Default = d
				}
			}
			if err := addField(out, f.Name, fs); err != nil {
				return nil, err
			}
		}
	}
	out.Optional = s.Optional
	if s.Default != nil && t.spec.Whole != "" {
		d, err := CastValue(s, s.Default, t.spec.Whole)
		if err != nil {
			return nil, fmt.Errorf("default: %w", err)
		}
		out.Default = d
	}
	return out, nil
}

// CastValue is Connect's Cast.castValueToType: v (of schema s, or schemaless when s is nil)
// cast to target, one of int8, int16, int32, int64, float, double, boolean or string.
func CastValue(s *record.Schema, v any, target record.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	var err error
	if v, err = parsed(v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	var inferred record.Type
	if s == nil {
		t, ok := inferType(v)
		if !ok {
			return nil, fmt.Errorf("cast transformation was passed a value of type %s which is not supported by Connect's data API", typeName(v))
		}
		inferred = t
	} else {
		inferred = s.Type
	}
	if !castInputOK(inferred) {
		return nil, fmt.Errorf("cast transformation does not support casting from %s; supported types are %s", strings.ToUpper(string(inferred)), castSupported)
	}
	if s != nil && s.Name != "" && target != record.String {
		if tv, ok := v.(time.Time); ok {
			switch s.Name {
			case record.DateName:
				v = int32(floorDiv(tv.UnixMilli(), msPerDay))
			case record.TimeName:
				v = int32(floorMod(tv.UnixMilli(), msPerDay))
			case record.TimestampName:
				v = tv.UnixMilli()
			}
		}
	}
	switch target {
	case record.Int8, record.Int16, record.Int32, record.Int64:
		return castToInt(v, target)
	case record.Float32, record.Float64:
		return castToFloat(v, target)
	case record.Boolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			return strings.EqualFold(x, "true"), nil
		}
		if n, ok := javaNumber(v); ok {
			return n.long() != 0, nil
		}
	case record.String:
		return castToString(v)
	default:
		return nil, fmt.Errorf("%s is not supported in the Cast transformation", target)
	}
	return nil, fmt.Errorf("unexpected type in Cast transformation: %s", typeName(v))
}

func castToInt(v any, target record.Type) (any, error) {
	bits := map[record.Type]int{record.Int8: 8, record.Int16: 16, record.Int32: 32, record.Int64: 64}[target]
	var n int64
	switch x := v.(type) {
	case bool:
		if x {
			n = 1
		}
	case string:
		p, err := strconv.ParseInt(x, 10, bits)
		if err != nil {
			return nil, fmt.Errorf("value (%s) was out of range for requested data type", x)
		}
		n = p
	default:
		num, ok := javaNumber(v)
		if !ok {
			return nil, fmt.Errorf("unexpected type in Cast transformation: %s", typeName(v))
		}
		if bits == 64 {
			n = num.long()
		} else {
			n = int64(num.int())
		}
	}
	switch target {
	case record.Int8:
		return int8(n), nil
	case record.Int16:
		return int16(n), nil
	case record.Int32:
		return int32(n), nil
	}
	return n, nil
}

func castToFloat(v any, target record.Type) (any, error) {
	var f float64
	switch x := v.(type) {
	case bool:
		if x {
			f = 1
		}
	case string:
		p, err := JavaParseDouble(x)
		if err != nil {
			return nil, fmt.Errorf("value (%s) was out of range for requested data type", x)
		}
		if target == record.Float32 {
			p32, err := JavaParseFloat(x)
			if err != nil {
				return nil, fmt.Errorf("value (%s) was out of range for requested data type", x)
			}
			return p32, nil
		}
		f = p
	default:
		num, ok := javaNumber(v)
		if !ok {
			return nil, fmt.Errorf("unexpected type in Cast transformation: %s", typeName(v))
		}
		if target == record.Float32 {
			return num.float(), nil
		}
		f = num.double()
	}
	if target == record.Float32 {
		return float32(f), nil
	}
	return f, nil
}

func castToString(v any) (any, error) {
	switch x := v.(type) {
	case time.Time:
		return javaDateString(x.UnixMilli()), nil
	case []byte:
		return base64.StdEncoding.EncodeToString(x), nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	if num, ok := javaNumber(v); ok {
		return num.String(), nil
	}
	return nil, fmt.Errorf("unexpected type in Cast transformation: %s", typeName(v))
}

// javaNum is a value of one of Java's Number classes.
type javaNum struct{ v any }

func javaNumber(v any) (javaNum, bool) {
	switch x := v.(type) {
	case int8, int16, int32, int64, int, float32, float64, record.Decimal:
		return javaNum{v}, true
	case *record.Decimal:
		return javaNum{*x}, true
	}
	return javaNum{}, false
}

// long is Number.longValue: floats saturate (NaN is 0), decimals keep their integer part's low
// 64 bits.
func (n javaNum) long() int64 {
	switch x := n.v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case int:
		return int64(x)
	case float32:
		return saturate(float64(x), math.MinInt64, math.MaxInt64)
	case float64:
		return saturate(x, math.MinInt64, math.MaxInt64)
	case record.Decimal:
		return lowBits(decimalInt(x))
	}
	return 0
}

// int is Number.intValue.
func (n javaNum) int() int32 {
	switch x := n.v.(type) {
	case float32:
		return int32(saturate(float64(x), math.MinInt32, math.MaxInt32))
	case float64:
		return int32(saturate(x, math.MinInt32, math.MaxInt32))
	}
	return int32(n.long())
}

func (n javaNum) double() float64 {
	switch x := n.v.(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	case record.Decimal:
		f, _ := decimalRat(x).Float64()
		return f
	}
	return float64(n.long())
}

func (n javaNum) float() float32 {
	switch x := n.v.(type) {
	case float32:
		return x
	case record.Decimal:
		f, _ := decimalRat(x).Float32()
		return f
	}
	return float32(n.double())
}

// String is the Number's toString.
func (n javaNum) String() string {
	switch x := n.v.(type) {
	case float32:
		return string(appendJavaFloat(nil, float64(x), 32))
	case float64:
		return string(appendJavaFloat(nil, x, 64))
	case record.Decimal:
		return javaDecimalString(x)
	}
	return strconv.FormatInt(n.long(), 10)
}

func saturate(f, lo, hi float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f <= lo:
		return int64(lo)
	case f >= hi:
		if hi == math.MaxInt64 {
			return math.MaxInt64
		}
		return int64(hi)
	}
	return int64(f)
}

func decimalRat(d record.Decimal) *big.Rat {
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	r := new(big.Rat).SetInt(u)
	if d.Scale > 0 {
		r.Quo(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil)))
	} else if d.Scale < 0 {
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-d.Scale)), nil)))
	}
	return r
}

// decimalInt is the decimal's integer part (truncated toward zero).
func decimalInt(d record.Decimal) *big.Int {
	r := decimalRat(d)
	return new(big.Int).Quo(r.Num(), r.Denom())
}

// lowBits returns the low 64 bits of x in two's complement, as BigInteger.longValue.
func lowBits(x *big.Int) int64 {
	if x.Sign() >= 0 {
		return int64(x.Uint64())
	}
	return -int64(new(big.Int).Neg(x).Uint64())
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// JavaParseDouble is Java's Double.parseDouble: surrounding blanks trimmed, an optional f, F, d
// or D suffix, NaN and Infinity spelt as Java spells them, decimal and hexadecimal notation.
func JavaParseDouble(s string) (float64, error) { return javaParseFloat(s, 64) }

// JavaParseFloat is Java's Float.parseFloat (see JavaParseDouble).
func JavaParseFloat(s string) (float32, error) {
	f, err := javaParseFloat(s, 32)
	return float32(f), err
}

func javaParseFloat(s string, bits int) (float64, error) {
	t := strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	body := strings.TrimLeft(t, "+-")
	switch body {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		if strings.HasPrefix(t, "-") {
			return math.Inf(-1), nil
		}
		return math.Inf(1), nil
	}
	if len(t)-len(body) > 1 || body == "" {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	if n := len(t); n > 1 && strings.ContainsRune("fFdD", rune(t[n-1])) && !strings.HasPrefix(body, "0x") && !strings.HasPrefix(body, "0X") {
		t = t[:n-1]
		body = body[:len(body)-1]
	}
	hex := strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X")
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c >= '0' && c <= '9', c == '.':
		case c == 'e' || c == 'E':
		case c == '+' || c == '-':
		case hex && (c == 'x' || c == 'X' || c == 'p' || c == 'P' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
		default:
			return 0, fmt.Errorf("invalid number %q", s)
		}
	}
	f, err := strconv.ParseFloat(t, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, nil // Java rounds to infinity or zero
		}
		return 0, fmt.Errorf("invalid number %q", s)
	}
	return f, nil
}
