package jsonschemaconv

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/lambda-connect/lambda-connect/converters/javafmt"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// pathError is a conversion failure at a path inside the data ("items[2].price").
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string {
	if e.path == "" {
		return e.err.Error()
	}
	return "field " + strconv.Quote(e.path) + ": " + e.err.Error()
}

func (e *pathError) Unwrap() error { return e.err }

// at prefixes the path of err with seg (a field name, or "[i]").
func at(err error, seg string) error {
	var pe *pathError
	if errors.As(err, &pe) {
		p := seg
		switch {
		case pe.path == "":
		case strings.HasPrefix(pe.path, "["):
			p += pe.path
		default:
			p += "." + pe.path
		}
		return &pathError{path: p, err: pe.err}
	}
	return &pathError{path: seg, err: err}
}

// toData converts a JSON value into Connect data of schema s, as Confluent's
// JsonSchemaData.toConnectData.
func toData(s *record.Schema, n *node) (any, error) {
	if n == nil || n.kind == kNull {
		if s.Default != nil {
			return s.Default, nil
		}
		if s.Optional {
			return nil, nil
		}
		return nil, fmt.Errorf("null for a required %s", s.Type)
	}
	switch s.Name {
	case record.DecimalName:
		if s.Type == record.Bytes {
			return toDecimal(s, n)
		}
	case record.DateName, record.TimeName:
		if s.Type == record.Int32 {
			v, err := toInt(n, 32)
			if err != nil {
				return nil, err
			}
			if s.Name == record.DateName {
				return record.Epoch.AddDate(0, 0, int(v)), nil
			}
			return record.Epoch.Add(time.Duration(v) * time.Millisecond), nil
		}
	case record.TimestampName:
		if s.Type == record.Int64 {
			v, err := toInt(n, 64)
			if err != nil {
				return nil, err
			}
			return time.UnixMilli(v).UTC(), nil
		}
	}
	switch s.Type {
	case record.Boolean:
		if n.kind != kBool {
			return nil, fmt.Errorf("expected boolean, got %s", n.kind)
		}
		return n.b, nil
	case record.Int8:
		v, err := toInt(n, 8)
		return int8(v), err
	case record.Int16:
		v, err := toInt(n, 16)
		return int16(v), err
	case record.Int32:
		v, err := toInt(n, 32)
		return int32(v), err
	case record.Int64:
		return toInt(n, 64)
	case record.Float32:
		v, err := toFloat(n, 32)
		return float32(v), err
	case record.Float64:
		return toFloat(n, 64)
	case record.String:
		if n.kind != kString {
			return nil, fmt.Errorf("expected string, got %s", n.kind)
		}
		return n.s, nil
	case record.Bytes:
		if n.kind != kString {
			return nil, fmt.Errorf("expected base64 string, got %s", n.kind)
		}
		b, err := base64.StdEncoding.DecodeString(n.s)
		if err != nil {
			return nil, fmt.Errorf("invalid base64: %w", err)
		}
		return b, nil
	case record.Array:
		if n.kind != kArray {
			return nil, fmt.Errorf("expected array, got %s", n.kind)
		}
		out := make([]any, len(n.arr))
		for i, e := range n.arr {
			v, err := toData(s.Value, e)
			if err != nil {
				return nil, at(err, "["+strconv.Itoa(i)+"]")
			}
			out[i] = v
		}
		return out, nil
	case record.Map:
		return toMap(s, n)
	case record.Struct:
		if s.Name == OneOfName {
			for i, f := range s.Fields {
				if matches(f.Schema, n) {
					v, err := toData(f.Schema, n)
					if err != nil {
						return nil, err
					}
					vals := make([]any, len(s.Fields))
					vals[i] = v
					return &record.StructValue{Schema: s, Values: vals}, nil
				}
			}
			return nil, fmt.Errorf("no oneOf alternative matches a %s", n.kind)
		}
		if n.kind != kObject {
			return nil, fmt.Errorf("expected object, got %s", n.kind)
		}
		vals := make([]any, len(s.Fields))
		for i, f := range s.Fields {
			v, err := toData(f.Schema, n.get(f.Name))
			if err != nil {
				return nil, at(err, f.Name)
			}
			vals[i] = v
		}
		return &record.StructValue{Schema: s, Values: vals}, nil
	}
	return nil, fmt.Errorf("unsupported Connect type %q", s.Type)
}

func toMap(s *record.Schema, n *node) (any, error) {
	if s.Key.Type == record.String && !s.Key.Optional {
		if n.kind != kObject {
			return nil, fmt.Errorf("a map with string keys must be a JSON object, got %s", n.kind)
		}
		out := make([]record.MapEntry, len(n.keys))
		for i, k := range n.keys {
			v, err := toData(s.Value, n.vals[i])
			if err != nil {
				return nil, at(err, "["+k+"]")
			}
			out[i] = record.MapEntry{Key: k, Value: v}
		}
		return out, nil
	}
	if n.kind != kArray {
		return nil, fmt.Errorf("a map with non-string keys must be an array of {key, value} objects, got %s", n.kind)
	}
	out := make([]record.MapEntry, len(n.arr))
	for i, e := range n.arr {
		if e.kind != kObject || len(e.keys) != 2 {
			return nil, at(errors.New("a map entry must be an object with key and value"), "["+strconv.Itoa(i)+"]")
		}
		k, err := toData(s.Key, e.get("key"))
		if err != nil {
			return nil, at(at(err, "key"), "["+strconv.Itoa(i)+"]")
		}
		v, err := toData(s.Value, e.get("value"))
		if err != nil {
			return nil, at(at(err, "value"), "["+strconv.Itoa(i)+"]")
		}
		out[i] = record.MapEntry{Key: k, Value: v}
	}
	return out, nil
}

// matches reports whether a JSON value fits a oneOf alternative, as Confluent's
// isInstanceOfSchemaTypeForSimpleSchema.
func matches(s *record.Schema, n *node) bool {
	switch s.Type {
	case record.Int8, record.Int16, record.Int32, record.Int64:
		return n.integral()
	case record.Float32, record.Float64:
		return n.kind == kNumber
	case record.Boolean:
		return n.kind == kBool
	case record.String:
		return n.kind == kString
	case record.Bytes:
		return n.kind == kString || (s.Name == record.DecimalName && n.kind == kNumber)
	case record.Array:
		return n.kind == kArray
	case record.Map:
		return n.kind == kObject || n.kind == kArray
	case record.Struct:
		if n.kind != kObject {
			return false
		}
		for _, k := range n.keys {
			if s.Field(k) == nil {
				return false
			}
		}
		return true
	}
	return false
}

func toInt(n *node, bits int) (int64, error) {
	if !n.integral() {
		return 0, fmt.Errorf("expected integer, got %s", describe(n))
	}
	v, err := strconv.ParseInt(n.s, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("integer %s out of range for int%d", n.s, bits)
	}
	return v, nil
}

func toFloat(n *node, bits int) (float64, error) {
	if n.kind != kNumber {
		return 0, fmt.Errorf("expected number, got %s", n.kind)
	}
	v, err := strconv.ParseFloat(n.s, bits)
	if err != nil {
		return 0, fmt.Errorf("number %s out of range for float%d", n.s, bits)
	}
	return v, nil
}

func describe(n *node) string {
	if n.kind == kNumber {
		return "number " + n.s
	}
	return n.kind.String()
}

// toDecimal reads a Decimal written as a JSON number (NUMERIC) or as base64 of the big-endian
// two's-complement unscaled value (BASE64), at the schema's scale.
func toDecimal(s *record.Schema, n *node) (any, error) {
	scale, err := strconv.ParseInt(s.Parameters[record.DecimalScaleParameter], 10, 32)
	if err != nil {
		return nil, fmt.Errorf("decimal scale %q: %w", s.Parameters[record.DecimalScaleParameter], err)
	}
	switch n.kind {
	case kNumber:
		r, ok := new(big.Rat).SetString(n.s)
		if !ok {
			return nil, fmt.Errorf("invalid decimal %s", n.s)
		}
		pow := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(abs(scale)), nil))
		if scale >= 0 {
			r.Mul(r, pow)
		} else {
			r.Quo(r, pow)
		}
		if !r.IsInt() {
			return nil, fmt.Errorf("decimal %s has more digits than scale %d allows", n.s, scale)
		}
		return record.Decimal{Unscaled: new(big.Int).Set(r.Num()), Scale: int32(scale)}, nil
	case kString:
		b, err := base64.StdEncoding.DecodeString(n.s)
		if err != nil || len(b) == 0 {
			return nil, errors.New("invalid base64 for a Decimal")
		}
		u := new(big.Int).SetBytes(b)
		if b[0]&0x80 != 0 {
			u.Sub(u, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
		}
		return record.Decimal{Unscaled: u, Scale: int32(scale)}, nil
	}
	return nil, fmt.Errorf("expected a number or base64 string for a Decimal, got %s", n.kind)
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// appendData appends the JSON of value v under schema s, as Confluent's
// JsonSchemaData.fromConnectData (decimals as JSON numbers in plain notation, bytes as base64,
// floats as Java prints them).
func appendData(b []byte, s *record.Schema, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("value nested deeper than %d levels", maxDepth)
	}
	if v == nil {
		switch {
		case s.Default != nil:
			return appendData(b, s, s.Default, depth+1)
		case s.Optional:
			return append(b, "null"...), nil
		}
		return nil, fmt.Errorf("null for a required %s", s.Type)
	}
	switch s.Name {
	case record.DecimalName:
		if s.Type == record.Bytes {
			d, ok := v.(record.Decimal)
			if !ok {
				if p, isPtr := v.(*record.Decimal); isPtr && p != nil {
					d, ok = *p, true
				}
			}
			if !ok {
				return nil, fmt.Errorf("expected record.Decimal, got %T", v)
			}
			return append(b, d.String()...), nil
		}
	case record.DateName, record.TimeName, record.TimestampName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("expected time.Time for %s, got %T", s.Name, v)
		}
		ms := t.UnixMilli()
		switch s.Name {
		case record.DateName:
			if ms%86400000 != 0 {
				return nil, errors.New("a Date must have no time of day")
			}
			ms /= 86400000
		case record.TimeName:
			ms -= t.Truncate(24 * time.Hour).UnixMilli()
		}
		return strconv.AppendInt(b, ms, 10), nil
	}
	bad := func() ([]byte, error) { return nil, fmt.Errorf("expected %s data, got %T", s.Type, v) }
	switch s.Type {
	case record.Int8:
		x, ok := v.(int8)
		if !ok {
			return bad()
		}
		return strconv.AppendInt(b, int64(x), 10), nil
	case record.Int16:
		x, ok := v.(int16)
		if !ok {
			return bad()
		}
		return strconv.AppendInt(b, int64(x), 10), nil
	case record.Int32:
		x, ok := v.(int32)
		if !ok {
			return bad()
		}
		return strconv.AppendInt(b, int64(x), 10), nil
	case record.Int64:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		return strconv.AppendInt(b, x, 10), nil
	case record.Float32:
		x, ok := v.(float32)
		if !ok {
			return bad()
		}
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("%v has no JSON number", x)
		}
		return javafmt.AppendFloat(b, x), nil
	case record.Float64:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%v has no JSON number", x)
		}
		return javafmt.AppendDouble(b, x), nil
	case record.Boolean:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		return strconv.AppendBool(b, x), nil
	case record.String:
		x, ok := v.(string)
		if !ok {
			return bad()
		}
		return appendJSONString(b, x), nil
	case record.Bytes:
		x, ok := v.([]byte)
		if !ok {
			return bad()
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, x)
		return append(b, '"'), nil
	case record.Array:
		x, ok := v.([]any)
		if !ok {
			return bad()
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendData(b, s.Value, e, depth+1); err != nil {
				return nil, at(err, "["+strconv.Itoa(i)+"]")
			}
		}
		return append(b, ']'), nil
	case record.Map:
		x, ok := v.([]record.MapEntry)
		if !ok {
			return bad()
		}
		object := s.Key.Type == record.String && !s.Key.Optional
		if object {
			b = append(b, '{')
		} else {
			b = append(b, '[')
		}
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if object {
				k, ok := e.Key.(string)
				if !ok {
					return nil, fmt.Errorf("map key: expected string, got %T", e.Key)
				}
				b = append(appendJSONString(b, k), ':')
				if b, err = appendData(b, s.Value, e.Value, depth+1); err != nil {
					return nil, at(err, "["+k+"]")
				}
				continue
			}
			b = append(b, `{"key":`...)
			if b, err = appendData(b, s.Key, e.Key, depth+1); err != nil {
				return nil, at(at(err, "key"), "["+strconv.Itoa(i)+"]")
			}
			b = append(b, `,"value":`...)
			if b, err = appendData(b, s.Value, e.Value, depth+1); err != nil {
				return nil, at(at(err, "value"), "["+strconv.Itoa(i)+"]")
			}
			b = append(b, '}')
		}
		if object {
			return append(b, '}'), nil
		}
		return append(b, ']'), nil
	case record.Struct:
		x, ok := v.(*record.StructValue)
		if !ok || x == nil {
			return bad()
		}
		if len(x.Values) != len(s.Fields) {
			return nil, fmt.Errorf("struct has %d values for %d fields", len(x.Values), len(s.Fields))
		}
		if s.Name == OneOfName {
			for i, f := range s.Fields {
				if x.Values[i] != nil {
					return appendData(b, f.Schema, x.Values[i], depth+1)
				}
			}
			return appendData(b, &record.Schema{Type: s.Type, Optional: s.Optional}, nil, depth+1)
		}
		b = append(b, '{')
		for i, f := range s.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendJSONString(b, f.Name), ':')
			var err error
			if b, err = appendData(b, f.Schema, x.Values[i], depth+1); err != nil {
				return nil, at(err, f.Name)
			}
		}
		return append(b, '}'), nil
	}
	return nil, fmt.Errorf("unsupported Connect type %q", s.Type)
}
