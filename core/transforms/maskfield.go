package transforms

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"time"

	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// MaskField$Key / MaskField$Value: replace fields with the null value of their type (0, false,
// "", an empty list or map, the epoch) or, for numbers and strings, with a replacement converted
// to the field's type. As in Connect, a masked field missing from a schemaless map is added as
// null.

func maskFieldDefs() []Definition {
	keys := []config.Key{
		{Name: "fields", Type: config.List, Required: true, Validate: nonEmptyList, Doc: "Names of fields to mask."},
		{Name: "replacement", Type: config.String, Validate: nonEmptyString,
			Doc: "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values only)."},
	}
	return keyValueDefs("MaskField", "Mask fields of the record {side} with a valid null value for the field type (0, false, empty string, and so on), or a replacement.", keys, newMaskField)
}

type maskField struct {
	base
	fields nameSet
	quoted [][]byte // fields' JSON names

	hasRepl  bool
	repl     string
	replJSON []byte // repl as a JSON string
	// repl as a number: long (BigDecimal.longValue: truncated), double; ok when it is a number.
	replLong     int64
	replDouble   float64
	replNumber   bool
	replDecimal  record.Decimal
	replLongJSON []byte
	replDblJSON  []byte
}

// javaBigDecimal matches the syntax of Java's new BigDecimal(String).
var javaBigDecimal = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

func newMaskField(s Settings, b base) (Transform, error) {
	t := &maskField{base: b, fields: newNameSet(dedupe(s.List("fields")))}
	for _, f := range t.fields.names {
		t.quoted = append(t.quoted, jsonName(f))
	}
	if s.IsSet("replacement") {
		t.hasRepl, t.repl = true, s.String("replacement")
		t.replJSON = jsonconv.AppendString(nil, t.repl)
		if javaBigDecimal.MatchString(t.repl) {
			r, ok := new(big.Rat).SetString(t.repl)
			if ok {
				t.replNumber = true
				i := new(big.Int).Quo(r.Num(), r.Denom()) // truncated toward zero
				t.replLong = int64(i.Uint64())            // the low 64 bits, as longValue
				if i.Sign() < 0 {
					t.replLong = -int64(new(big.Int).Neg(i).Uint64())
				}
				t.replDouble, _ = strconv.ParseFloat(t.repl, 64)
				t.replDecimal = decimalOf(t.repl)
				t.replLongJSON = strconv.AppendInt(nil, t.replLong, 10)
				t.replDblJSON = appendJavaFloat(nil, t.replDouble, 64)
				if math.IsInf(t.replDouble, 0) {
					t.replDblJSON = jsonconv.AppendString(nil, string(t.replDblJSON))
				}
			}
		}
	}
	return t, nil
}

func dedupe(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// decimalOf parses a BigDecimal literal (already checked) into a Decimal.
func decimalOf(s string) record.Decimal {
	mant, exp := s, int64(0)
	for i := 0; i < len(s); i++ {
		if s[i] == 'e' || s[i] == 'E' {
			mant = s[:i]
			exp, _ = strconv.ParseInt(s[i+1:], 10, 32)
			break
		}
	}
	scale := int64(0)
	digits := make([]byte, 0, len(mant))
	for i := 0; i < len(mant); i++ {
		switch c := mant[i]; {
		case c == '.':
			scale = int64(len(mant) - i - 1)
		case c >= '0' && c <= '9', c == '-':
			digits = append(digits, c)
		}
	}
	u, _ := new(big.Int).SetString(string(digits), 10)
	if u == nil {
		u = new(big.Int)
	}
	return record.Decimal{Unscaled: u, Scale: int32(scale - exp)}
}

func (t *maskField) Apply(r record.Record) (record.Record, bool, error) {
	s, v := t.sd.get(&r)
	if s == nil {
		if out, ok, err := applyRaw(t, r); ok {
			return out, err == nil, err
		}
		m, err := requireMap(&r, t.name, "mask fields", v)
		if err != nil {
			return r, false, err
		}
		out := cloneMap(m, t.fields.len())
		for _, f := range t.fields.names {
			mv, err := t.masked(m[f])
			if err != nil {
				return r, false, fail(&r, t.name, "field %q: %v", f, err)
			}
			out[f] = mv
		}
		return t.sd.set(r, nil, out), true, nil
	}
	sv, err := requireStruct(&r, t.name, "mask fields", v)
	if err != nil {
		return r, false, err
	}
	vals := make([]any, len(sv.Values))
	for i := range sv.Schema.Fields {
		f := &sv.Schema.Fields[i]
		fv := fieldValue(sv, f)
		if t.fields.has(f.Name) {
			if fv, err = t.masked(fv); err != nil {
				return r, false, fail(&r, t.name, "field %q: %v", f.Name, err)
			}
		}
		vals[i] = fv
	}
	return t.sd.set(r, sv.Schema, &record.StructValue{Schema: sv.Schema, Values: vals}), true, nil
}

// masked is Connect's MaskField.masked, by the value's Go type (Connect's Java class).
func (t *maskField) masked(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(record.RawJSON); ok {
		p, err := parsed(raw)
		if err != nil {
			return nil, err
		}
		v = p
	}
	if t.hasRepl {
		if _, isStr := v.(string); isStr {
			return t.repl, nil
		}
		switch v.(type) {
		case int8, int16, int32, int64, float32, float64, record.Decimal, *record.Decimal:
		default:
			return nil, fmt.Errorf("cannot mask value of type %s with custom replacement", typeName(v))
		}
		if !t.replNumber {
			return nil, fmt.Errorf("unable to convert %s (string) to number", t.repl)
		}
		switch v.(type) {
		case int8:
			return int8(t.replLong), nil
		case int16:
			return int16(t.replLong), nil
		case int32:
			return int32(t.replLong), nil
		case int64:
			return t.replLong, nil
		case float32:
			return float32(t.replDouble), nil
		case float64:
			return t.replDouble, nil
		}
		return t.replDecimal, nil
	}
	switch x := v.(type) {
	case bool:
		return false, nil
	case int8:
		return int8(0), nil
	case int16:
		return int16(0), nil
	case int32:
		return int32(0), nil
	case int64:
		return int64(0), nil
	case int:
		return 0, nil
	case float32:
		return float32(0), nil
	case float64:
		return float64(0), nil
	case string:
		return "", nil
	case record.Decimal:
		return record.Decimal{Unscaled: new(big.Int), Scale: 0}, nil
	case *record.Decimal:
		return record.Decimal{Unscaled: new(big.Int), Scale: 0}, nil
	case time.Time:
		return record.Epoch, nil
	case []any:
		return []any{}, nil
	case map[string]any:
		return map[string]any{}, nil
	case []record.MapEntry:
		return []record.MapEntry{}, nil
	default:
		return nil, fmt.Errorf("cannot mask value of type %s", typeName(x))
	}
}

// maskedRaw is masked for a raw JSON value: the JSON to write instead.
func (t *maskField) maskedRaw(v []byte) ([]byte, error) {
	k := rawKind(v)
	if k == 'n' {
		return v, nil
	}
	if t.hasRepl {
		switch k {
		case 's':
			return t.replJSON, nil
		case 'l', 'd':
			if !t.replNumber {
				return nil, fmt.Errorf("unable to convert %s (string) to number", t.repl)
			}
			if k == 'l' {
				return t.replLongJSON, nil
			}
			return t.replDblJSON, nil
		}
		return nil, fmt.Errorf("cannot mask value of type %s with custom replacement", typeName(record.RawJSON(v)))
	}
	switch k {
	case 's':
		return emptyStringJSON, nil
	case 'l':
		return zeroJSON, nil
	case 'd':
		return zeroDoubleJSON, nil
	case 'b':
		return falseJSON, nil
	case 'm':
		return emptyObjectJSON, nil
	}
	return emptyArrayJSON, nil
}

var (
	emptyStringJSON = []byte(`""`)
	zeroJSON        = []byte("0")
	zeroDoubleJSON  = []byte("0.0")
	falseJSON       = []byte("false")
	emptyObjectJSON = []byte("{}")
	emptyArrayJSON  = []byte("[]")
)

// editRaw masks the last member of each masked name and drops earlier ones, so that the
// result reads as jsonconv.Parse reads a repeated name (the last wins) without keeping an
// unmasked copy.
func (t *maskField) editRaw(m recMeta, o *object) error {
	var seen uint64 // by field index, for up to 64 fields
	var seenMore map[int]bool
	for i := len(o.ms) - 1; i >= 0; i-- {
		if o.deleted(i) {
			continue
		}
		if t.fields.misses(&o.ms[i]) {
			continue
		}
		k := t.fields.indexMember(o, i)
		if k < 0 {
			continue
		}
		if k < 64 && seen&(1<<k) != 0 || k >= 64 && seenMore[k] {
			o.drop(i)
			continue
		}
		mv, err := t.maskedRaw(o.val(i))
		if err != nil {
			return m.fail(t.name, "field %q: %v", t.fields.names[k], err)
		}
		o.setRaw(i, mv)
		if k < 64 {
			seen |= 1 << k
		} else {
			if seenMore == nil {
				seenMore = map[int]bool{}
			}
			seenMore[k] = true
		}
	}
	for k := range t.fields.names {
		if k < 64 && seen&(1<<k) == 0 || k >= 64 && !seenMore[k] {
			o.setRaw(o.add(t.quoted[k]), nullJSON)
		}
	}
	return nil
}
