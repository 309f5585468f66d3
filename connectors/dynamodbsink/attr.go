package dynamodbsink

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// Type mapping, from Connect data (with or without a schema) to DynamoDB attribute values:
//
//	null                                   NULL
//	boolean                                BOOL
//	int8, int16, int32, int64              N
//	float, double                          N (shortest text that reads back the same; NaN and ±Inf are rejected)
//	Decimal                                N, exact (its plain decimal text)
//	string                                 S
//	bytes                                  B
//	array                                  L
//	map, struct                            M (map keys written as text; keys that are structs, maps or arrays are rejected)
//	Date, Time, Timestamp                  S: 2006-01-02, 15:04:05.000, 2006-01-02T15:04:05.000Z (UTC)
//	schemaless JSON                        as above; numbers keep their exact text
//
// Numbers must fit DynamoDB's: at most 38 significant digits, magnitude from 1E-130 to below 1E+126.
// Sets are never written (Connect has no set type; arrays are lists).

// convErr is a conversion failure at a path of the record ("value.items[2].price").
type convErr struct {
	path string
	msg  string
}

func (e *convErr) Error() string { return e.path + ": " + e.msg }

func errAt(path, format string, args ...any) error {
	return &convErr{path: path, msg: fmt.Sprintf(format, args...)}
}

// toAV converts Connect data to a DynamoDB attribute value; path names the data in errors.
func toAV(s *record.Schema, v any, path string) (types.AttributeValue, error) {
	switch x := v.(type) {
	case nil:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case bool:
		return &types.AttributeValueMemberBOOL{Value: x}, nil
	case int8:
		return num(strconv.FormatInt(int64(x), 10)), nil
	case int16:
		return num(strconv.FormatInt(int64(x), 10)), nil
	case int32:
		return num(strconv.FormatInt(int64(x), 10)), nil
	case int64:
		return num(strconv.FormatInt(x, 10)), nil
	case int:
		return num(strconv.Itoa(x)), nil
	case float32:
		return floatAV(float64(x), 32, path)
	case float64:
		return floatAV(x, 64, path)
	case json.Number:
		return numberAV(string(x), path)
	case record.Decimal:
		return numberAV(x.String(), path)
	case *record.Decimal:
		if x == nil {
			return &types.AttributeValueMemberNULL{Value: true}, nil
		}
		return numberAV(x.String(), path)
	case string:
		return &types.AttributeValueMemberS{Value: x}, nil
	case []byte:
		if x == nil {
			return &types.AttributeValueMemberNULL{Value: true}, nil
		}
		return &types.AttributeValueMemberB{Value: x}, nil
	case time.Time:
		return &types.AttributeValueMemberS{Value: formatTime(s, x)}, nil
	case record.RawJSON:
		p, err := parseJSON(x)
		if err != nil {
			return nil, errAt(path, "%v", err)
		}
		return toAV(nil, p, path)
	case []any:
		var es *record.Schema
		if s != nil {
			es = s.Value
		}
		l := make([]types.AttributeValue, len(x))
		for i, e := range x {
			av, err := toAV(es, e, path+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			l[i] = av
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case map[string]any:
		m := make(map[string]types.AttributeValue, len(x))
		for k, e := range x {
			av, err := toAV(nil, e, path+"."+k)
			if err != nil {
				return nil, err
			}
			m[k] = av
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	case []record.MapEntry:
		var ks, vs *record.Schema
		if s != nil {
			ks, vs = s.Key, s.Value
		}
		m := make(map[string]types.AttributeValue, len(x))
		for _, e := range x {
			k, err := mapKey(ks, e.Key, path)
			if err != nil {
				return nil, err
			}
			av, err := toAV(vs, e.Value, path+"."+k)
			if err != nil {
				return nil, err
			}
			m[k] = av
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	case *record.StructValue:
		if x == nil {
			return &types.AttributeValueMemberNULL{Value: true}, nil
		}
		m := make(map[string]types.AttributeValue, len(x.Values))
		for i, f := range x.Schema.Fields {
			av, err := toAV(f.Schema, x.Values[i], path+"."+f.Name)
			if err != nil {
				return nil, err
			}
			m[f.Name] = av
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, errAt(path, "a %T cannot be written to DynamoDB", v)
}

func num(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }

func floatAV(f float64, bits int, path string) (types.AttributeValue, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, errAt(path, "%v is not a number DynamoDB can hold", f)
	}
	return numberAV(strconv.FormatFloat(f, 'g', -1, bits), path)
}

func numberAV(s, path string) (types.AttributeValue, error) {
	if _, err := canonicalNumber(s); err != nil {
		return nil, errAt(path, "%v", err)
	}
	return num(s), nil
}

// mapKey formats a Connect map key as the name of an M entry.
func mapKey(s *record.Schema, k any, path string) (string, error) {
	switch x := k.(type) {
	case string:
		return x, nil
	case bool, int8, int16, int32, int64, int:
		return fmt.Sprint(x), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case record.Decimal:
		return x.String(), nil
	case []byte:
		return string(x), nil
	case time.Time:
		return formatTime(s, x), nil
	case nil:
		return "", errAt(path, "a map key is null")
	}
	return "", errAt(path, "a map key of type %T cannot name a DynamoDB map entry", k)
}

// formatTime writes Connect's Date, Time and Timestamp logical types as ISO-8601 text in UTC.
func formatTime(s *record.Schema, t time.Time) string {
	t = t.UTC()
	name := ""
	if s != nil {
		name = s.Name
	}
	switch name {
	case record.DateName:
		return t.Format("2006-01-02")
	case record.TimeName:
		return t.Format("15:04:05.000")
	default:
		return t.Format("2006-01-02T15:04:05.000Z")
	}
}

// parseJSON materialises schemaless JSON with numbers kept as their text (json.Number).
func parseJSON(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	return v, nil
}

// lookup follows a path of field names into Connect data: struct fields, map entries with text
// keys, JSON object members. It reports whether the path exists.
func lookup(s *record.Schema, v any, path []string) (*record.Schema, any, bool, error) {
	for _, name := range path {
		switch x := v.(type) {
		case record.RawJSON:
			p, err := parseJSON(x)
			if err != nil {
				return nil, nil, false, err
			}
			v, s = p, nil
		}
		switch x := v.(type) {
		case *record.StructValue:
			if x == nil {
				return nil, nil, false, nil
			}
			f := x.Schema.Field(name)
			if f == nil {
				return nil, nil, false, nil
			}
			s, v = f.Schema, x.Values[f.Index]
		case map[string]any:
			e, ok := x[name]
			if !ok {
				return nil, nil, false, nil
			}
			s, v = nil, e
		case []record.MapEntry:
			found := false
			for i := len(x) - 1; i >= 0; i-- {
				if k, ok := x[i].Key.(string); ok && k == name {
					v, found = x[i].Value, true
					break
				}
			}
			if !found {
				return nil, nil, false, nil
			}
			if s != nil {
				s = s.Value
			}
		default:
			return nil, nil, false, nil
		}
	}
	return s, v, true, nil
}

// canonicalNumber checks that s is a number DynamoDB accepts (decimal or exponent notation, at
// most 38 significant digits, magnitude from 1E-130 to below 1E+126) and returns a canonical
// text for it, equal for equal numbers ("1.50" and "15E-1" give the same).
func canonicalNumber(s string) (string, error) {
	i, n := 0, len(s)
	neg := false
	if i < n && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var digits []byte
	point := -1 // digits before the decimal point
	start := i
	for ; i < n; i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			digits = append(digits, c)
		case c == '.' && point < 0:
			point = len(digits)
		default:
			goto exp
		}
	}
exp:
	if len(digits) == 0 || i == start {
		return "", fmt.Errorf("%q is not a number", s)
	}
	if point < 0 {
		point = len(digits)
	}
	e := 0
	if i < n {
		if s[i] != 'e' && s[i] != 'E' {
			return "", fmt.Errorf("%q is not a number", s)
		}
		i++
		x, err := strconv.Atoi(s[i:])
		if err != nil || s[i:] == "" || s[i] == '+' && len(s) == i+1 {
			return "", fmt.Errorf("%q is not a number", s)
		}
		if x > 1000 || x < -1000 {
			return "", fmt.Errorf("%q is out of DynamoDB's number range (1E-130 to 9.99E+125)", s)
		}
		e = x
	}
	first := 0
	for first < len(digits) && digits[first] == '0' {
		first++
	}
	if first == len(digits) {
		return "0", nil
	}
	last := len(digits)
	for digits[last-1] == '0' {
		last--
	}
	sig := digits[first:last]
	if len(sig) > 38 {
		return "", fmt.Errorf("%q has %d significant digits; DynamoDB keeps at most 38", s, len(sig))
	}
	// value = 0.sig × 10^mag
	mag := point - first + e
	if mag-1 > 125 || mag-1 < -130 {
		return "", fmt.Errorf("%q is out of DynamoDB's number range (1E-130 to 9.99E+125)", s)
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString("0.")
	b.Write(sig)
	b.WriteString("e")
	b.WriteString(strconv.Itoa(mag))
	return b.String(), nil
}

// MaxItemSize is DynamoDB's largest item, in bytes (attribute names included).
const MaxItemSize = 400 * 1024

// itemSize returns the size DynamoDB counts for an item: the UTF-8 length of every attribute
// name plus the size of its value.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + avSize(v)
	}
	return n
}

// avSize follows DynamoDB's item size rules: strings and binaries by length, numbers about one
// byte per two significant digits plus one, booleans and nulls one byte, lists and maps three
// bytes plus one byte and the size (with the name, for maps) of each element.
func avSize(v types.AttributeValue) int {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return len(x.Value)
	case *types.AttributeValueMemberN:
		return (len(strings.TrimLeft(x.Value, "-+0.")))/2 + 2
	case *types.AttributeValueMemberB:
		return len(x.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range x.Value {
			n += 1 + avSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range x.Value {
			n += 1 + len(k) + avSize(e)
		}
		return n
	case *types.AttributeValueMemberSS:
		n := 0
		for _, e := range x.Value {
			n += len(e)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, e := range x.Value {
			n += len(e)/2 + 2
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, e := range x.Value {
			n += len(e)
		}
		return n
	}
	return 0
}

// keyAV checks that a key attribute value is a string, number or binary that DynamoDB accepts in
// a key, and returns a text that is equal for equal keys (for collapsing records per key).
func keyAV(av types.AttributeValue, what string) (string, error) {
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		if x.Value == "" {
			return "", fmt.Errorf("%s is an empty string, which DynamoDB does not accept in a key", what)
		}
		if len(x.Value) > 2048 {
			return "", fmt.Errorf("%s is %d bytes; DynamoDB key values are at most 2048 (hash) or 1024 (sort) bytes", what, len(x.Value))
		}
		if !utf8.ValidString(x.Value) {
			return "", fmt.Errorf("%s is not valid UTF-8", what)
		}
		return "S" + x.Value, nil
	case *types.AttributeValueMemberN:
		c, err := canonicalNumber(x.Value)
		if err != nil {
			return "", fmt.Errorf("%s: %v", what, err)
		}
		return "N" + c, nil
	case *types.AttributeValueMemberB:
		if len(x.Value) == 0 {
			return "", fmt.Errorf("%s is empty binary, which DynamoDB does not accept in a key", what)
		}
		return "B" + string(x.Value), nil
	case *types.AttributeValueMemberNULL:
		return "", fmt.Errorf("%s is null: it cannot name an item", what)
	}
	return "", fmt.Errorf("%s is a %s; a key must be a string, a number or bytes", what, avKind(av))
}

func avKind(av types.AttributeValue) string {
	switch av.(type) {
	case *types.AttributeValueMemberBOOL:
		return "boolean"
	case *types.AttributeValueMemberL:
		return "list"
	case *types.AttributeValueMemberM:
		return "map"
	}
	return fmt.Sprintf("%T", av)
}
