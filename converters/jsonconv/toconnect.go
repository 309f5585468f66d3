package jsonconv

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// EnvelopeError is Connect's message for a record that is not a schema/payload envelope while
// schemas.enable is true.
const EnvelopeError = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields." +
	" If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration."

// ToConnect converts a record's key or value. Errors are BadRecord errors saying what is wrong
// and where (the caller adds the record's coordinates). A nil data gives a nil value.
//
// Without schemas it returns (nil, record.RawJSON) sharing data's bytes (trimmed of surrounding
// whitespace; numbers written with leading zeros, which Connect accepts, are rewritten into a
// copy), or a nil value for empty input and for null. With schemas, a null "schema" gives
// schemaless data in the same RawJSON form.
func (c *Converter) ToConnect(_ string, _ []record.Header, data []byte) (*record.Schema, any, error) {
	if data == nil {
		return nil, nil, nil
	}
	var root rootMembers
	rootp := &root
	if !c.cfg.SchemasEnable {
		rootp = nil
	}
	start, end, flags, err := scanDocument(data, rootp)
	if err != nil {
		return nil, nil, errclass.New(errclass.BadRecord, "", err)
	}
	if !c.cfg.SchemasEnable {
		if start == end {
			return nil, nil, nil
		}
		return nil, rawValue(data[start:end], flags), nil
	}
	if start == end || data[start] != '{' {
		return nil, nil, errclass.Record("", "%s", EnvelopeError)
	}
	schema, payload, ok := envelope(data, start, &root)
	if !ok {
		return nil, nil, errclass.Record("", "%s", EnvelopeError)
	}
	schemaAt, payloadAt := schema.val, payload.val
	var cs *compiled
	if data[schemaAt] != 'n' {
		text := data[schemaAt:schema.end]
		if cs = c.toConnect.get(text); cs == nil {
			if cs, err = c.compile(data, schemaAt); err != nil {
				return nil, nil, badRecord(err, "schema")
			}
			c.toConnect.put(text, cs)
		}
	}
	if cs == nil {
		if data[payloadAt] == 'n' {
			return nil, nil, nil
		}
		return nil, rawValue(data[payloadAt:payload.end], flags), nil
	}
	v, _, err := c.convert(data, payloadAt, cs)
	if err != nil {
		return nil, nil, badRecord(err, "payload")
	}
	return cs.s, v, nil
}

func badRecord(err error, root string) error {
	if ce, ok := err.(*convError); ok {
		ce.root = root
	}
	return errclass.New(errclass.BadRecord, "", err)
}

// Validate checks that data holds one JSON value and returns its text as ToConnect without
// schemas returns it (trimmed of surrounding whitespace, numbers with leading zeros rewritten into
// a copy; nil for empty input and for null), but not boxed in an interface: for callers that go
// through many records and mostly write the text on as it is. Malformed JSON is a BadRecord error
// saying what is wrong and where.
func Validate(data []byte) ([]byte, error) {
	start, end, flags, err := scanDocument(data, nil)
	if err != nil {
		return nil, errclass.New(errclass.BadRecord, "", err)
	}
	if start == end {
		return nil, nil
	}
	return rawBytes(data[start:end], flags), nil
}

// rawValue returns a validated value as RawJSON (nil for null), without leading zeros.
func rawValue(b []byte, flags uint8) any {
	if raw := rawBytes(b, flags); raw != nil {
		return record.RawJSON(raw)
	}
	return nil
}

// rawBytes returns a validated value's text (nil for null), without leading zeros.
func rawBytes(b []byte, flags uint8) []byte {
	if len(b) == 4 && string(b) == "null" {
		return nil
	}
	if flags&flagLeadingZeros != 0 {
		b = stripLeadingZeros(b)
	}
	return b[:len(b):len(b)]
}

// envelope finds the "schema" and "payload" members of the validated object at data[i], whose
// first members the scan recorded in root; ok is false unless those are its only two keys (a
// repeated key counts once, its last value wins).
func envelope(data []byte, i int, root *rootMembers) (schema, payload member, ok bool) {
	members := root.m[:min(root.n, len(root.m))]
	if root.n > len(root.m) {
		members = allMembers(data, i)
	}
	found := 0
	for _, m := range members {
		raw, escaped, _ := keyAt(data, m.key)
		key := string(raw)
		if escaped {
			key, _ = readString(data, m.key)
		}
		switch key {
		case "schema":
			schema = m
			found |= 1
		case "payload":
			payload = m
			found |= 2
		default:
			return member{}, member{}, false
		}
	}
	return schema, payload, found == 3
}

// allMembers lists the members of the validated object at data[i].
func allMembers(data []byte, i int) []member {
	var out []member
	i = skipWS(data, i+1)
	for data[i] != '}' {
		_, _, j := keyAt(data, i)
		val := skipWS(data, skipWS(data, j)+1)
		end := skipValue(data, val)
		out = append(out, member{key: i, val: val, end: end})
		j = skipWS(data, end)
		if data[j] == ',' {
			j = skipWS(data, j+1)
		}
		i = j
	}
	return out
}

// keyAt returns the raw text of the validated string at data[i] (its quote), whether it holds
// escapes, and the offset past it.
func keyAt(data []byte, i int) (raw []byte, escaped bool, end int) {
	j := nextQuoteOrBackslash(data, i+1)
	switch {
	case j >= len(data):
		return data[i+1:], false, len(data)
	case data[j] == '"':
		return data[i+1 : j], false, j + 1
	}
	end = skipString(data, j)
	return data[i+1 : end-1], true, end
}

// kind is a compiled schema's conversion: a Connect type or a logical type.
type kind uint8

const (
	kInt8 kind = iota
	kInt16
	kInt32
	kInt64
	kFloat32
	kFloat64
	kBool
	kString
	kBytes
	kArray
	kMap
	kStruct
	kDecimal
	kDate
	kTime
	kTimestamp
)

// typeKinds is the kind of each schema type, before its name makes it a logical type.
var typeKinds = map[record.Type]kind{
	record.Boolean: kBool, record.Int8: kInt8, record.Int16: kInt16, record.Int32: kInt32,
	record.Int64: kInt64, record.Float32: kFloat32, record.Float64: kFloat64, record.Bytes: kBytes,
	record.String: kString, record.Array: kArray, record.Map: kMap, record.Struct: kStruct,
}

// compiled is a schema read from JSON with what converting data under it needs.
type compiled struct {
	s        *record.Schema
	kind     kind
	scale    int32
	scaleErr string // a Decimal schema without a usable scale parameter
	elem     *compiled
	key      *compiled
	fields   []*compiled
	index    map[string]int // struct fields by name, for wide structs
}

// fieldIndex returns the index of the field whose name is raw, or -1.
func (cs *compiled) fieldIndex(raw []byte) int {
	if cs.index != nil {
		if i, ok := cs.index[string(raw)]; ok {
			return i
		}
		return -1
	}
	for i := range cs.s.Fields {
		if cs.s.Fields[i].Name == string(raw) {
			return i
		}
	}
	return -1
}

const (
	millisPerDay = 24 * 60 * 60 * 1000
	// indexedFields is the struct width from which fields are looked up in a map.
	indexedFields = 12
)

// The members of a schema object Connect reads, as indexes of schemaMembers.
const (
	mType = iota
	mOptional
	mName
	mVersion
	mDoc
	mParameters
	mDefault
	mFields
	mKeys
	mValues
	mItems
	numMembers
)

// memberNames are the names of the members of a schema object Connect reads, by index.
var memberNames = [numMembers]string{mType: "type", mOptional: "optional", mName: "name",
	mVersion: "version", mDoc: "doc", mParameters: "parameters", mDefault: "default",
	mFields: "fields", mKeys: "keys", mValues: "values", mItems: "items"}

// schemaMembers holds the offset of the value of each member of a schema object (-1: absent).
type schemaMembers [numMembers]int

// compile reads the validated schema JSON at data[i], as Connect's asConnectSchema.
func (c *Converter) compile(data []byte, i int) (*compiled, error) {
	if data[i] != '{' {
		return nil, errAt("must contain a \"type\" field, got " + jsonKind(data[i]))
	}
	var m schemaMembers
	for n := range m {
		m[n] = -1
	}
	j := skipWS(data, i+1)
	for data[j] != '}' {
		raw, escaped, k := keyAt(data, j)
		key := string(raw)
		if escaped {
			key, _ = readString(data, j)
		}
		k = skipWS(data, skipWS(data, k)+1)
		for n, name := range memberNames {
			if key == name {
				m[n] = k
				break
			}
		}
		k = skipWS(data, skipValue(data, k))
		if data[k] == ',' {
			k = skipWS(data, k+1)
		}
		j = k
	}
	if m[mType] < 0 || data[m[mType]] != '"' {
		return nil, errAt("must contain a \"type\" field")
	}
	typ, _ := readString(data, m[mType])
	typeKind, ok := typeKinds[record.Type(typ)]
	if !ok {
		return nil, errAt(fmt.Sprintf("unknown schema type %q", typ))
	}
	s := &record.Schema{Type: record.Type(typ)}
	cs := &compiled{s: s, kind: typeKind}
	switch typeKind {
	case kArray:
		if m[mItems] < 0 || data[m[mItems]] == 'n' {
			return nil, errAt("array schema did not specify the element type (\"items\")")
		}
		elem, err := c.compile(data, m[mItems])
		if err != nil {
			return nil, inField(err, "items")
		}
		cs.elem, s.Value = elem, elem.s
	case kMap:
		if m[mKeys] < 0 || data[m[mKeys]] == 'n' {
			return nil, errAt("map schema did not specify the key type (\"keys\")")
		}
		if m[mValues] < 0 || data[m[mValues]] == 'n' {
			return nil, errAt("map schema did not specify the value type (\"values\")")
		}
		key, err := c.compile(data, m[mKeys])
		if err != nil {
			return nil, inField(err, "keys")
		}
		val, err := c.compile(data, m[mValues])
		if err != nil {
			return nil, inField(err, "values")
		}
		cs.key, cs.elem, s.Key, s.Value = key, val, key.s, val.s
	case kStruct:
		if m[mFields] < 0 || data[m[mFields]] != '[' {
			return nil, errAt("struct schema's \"fields\" is not an array")
		}
		if err := c.compileFields(data, m[mFields], cs); err != nil {
			return nil, err
		}
	}
	if m[mOptional] >= 0 && data[m[mOptional]] == 't' {
		s.Optional = true
	}
	if m[mName] >= 0 && data[m[mName]] == '"' {
		s.Name, _ = readString(data, m[mName])
	}
	if m[mVersion] >= 0 {
		if end, integral := numberEnd(data, m[mVersion]); integral && jsonKind(data[m[mVersion]]) == "number" {
			if v, ok := parseIntLit(data[m[mVersion]:end]); ok {
				s.Version = int32(v)
			}
		}
	}
	if m[mDoc] >= 0 && data[m[mDoc]] == '"' {
		s.Doc, _ = readString(data, m[mDoc])
	}
	if m[mParameters] >= 0 && data[m[mParameters]] == '{' {
		params, err := readParameters(data, m[mParameters])
		if err != nil {
			return nil, err
		}
		s.Parameters = params
	}
	switch s.Name {
	case record.DecimalName:
		cs.kind = kDecimal
		sc, ok := s.Parameters[record.DecimalScaleParameter]
		if !ok {
			cs.scaleErr = "invalid Decimal schema: scale parameter not found"
		} else if v, err := strconv.ParseInt(sc, 10, 32); err != nil {
			cs.scaleErr = fmt.Sprintf("invalid Decimal schema: scale parameter %q is not an integer", sc)
		} else {
			cs.scale = int32(v)
		}
	case record.DateName:
		cs.kind = kDate
	case record.TimeName:
		cs.kind = kTime
	case record.TimestampName:
		cs.kind = kTimestamp
	}
	if m[mDefault] >= 0 {
		def, _, err := c.convert(data, m[mDefault], cs)
		if err != nil {
			return nil, inField(err, "default")
		}
		s.Default = def
	}
	return cs, nil
}

func (c *Converter) compileFields(data []byte, i int, cs *compiled) error {
	j := skipWS(data, i+1)
	names := map[string]bool{}
	for n := 0; data[j] != ']'; n++ {
		if data[j] != '{' {
			return inField(atIndex(errAt("struct field name not specified properly (expected an object, got "+jsonKind(data[j])+")"), n), "fields")
		}
		name, ok := fieldName(data, j)
		if !ok {
			return inField(atIndex(errAt("struct field name not specified properly (\"field\" must be a string)"), n), "fields")
		}
		if names[name] {
			return inField(atIndex(errAt(fmt.Sprintf("duplicate field name %q", name)), n), "fields")
		}
		names[name] = true
		f, err := c.compile(data, j)
		if err != nil {
			return inField(atIndex(err, n), "fields")
		}
		cs.fields = append(cs.fields, f)
		cs.s.Fields = append(cs.s.Fields, record.Field{Name: name, Index: n, Schema: f.s})
		j = skipWS(data, skipValue(data, j))
		if data[j] == ',' {
			j = skipWS(data, j+1)
		}
	}
	if len(cs.fields) >= indexedFields {
		cs.index = make(map[string]int, len(cs.fields))
		for n, f := range cs.s.Fields {
			cs.index[f.Name] = n
		}
	}
	return nil
}

// fieldName returns the string value of "field" in the validated object at data[i].
func fieldName(data []byte, i int) (string, bool) {
	name, found := "", false
	j := skipWS(data, i+1)
	for data[j] != '}' {
		key, k := readString(data, j)
		k = skipWS(data, skipWS(data, k)+1)
		if key == "field" {
			if data[k] != '"' {
				name, found = "", false
			} else {
				name, _ = readString(data, k)
				found = true
			}
		}
		k = skipWS(data, skipValue(data, k))
		if data[k] == ',' {
			k = skipWS(data, k+1)
		}
		j = k
	}
	return name, found
}

func readParameters(data []byte, i int) (map[string]string, error) {
	params := map[string]string{}
	j := skipWS(data, i+1)
	for data[j] != '}' {
		key, k := readString(data, j)
		k = skipWS(data, skipWS(data, k)+1)
		if data[k] != '"' {
			return nil, inField(errAt("schema parameters must have string values, got "+jsonKind(data[k])), "parameters."+key)
		}
		params[key], k = readString(data, k)
		k = skipWS(data, k)
		if data[k] == ',' {
			k = skipWS(data, k+1)
		}
		j = k
	}
	return params, nil
}

// typeName names what a compiled schema expects, for messages.
func (cs *compiled) typeName() string {
	switch cs.kind {
	case kDecimal:
		return "Decimal"
	case kDate:
		return "Date"
	case kTime:
		return "Time"
	case kTimestamp:
		return "Timestamp"
	}
	return string(cs.s.Type)
}

// nullValue is the data for a null or missing value under cs, as Connect's convertToConnect.
// A missing struct field is handled as a null.
func (c *Converter) nullValue(cs *compiled, missing bool) (any, error) {
	if cs.s.Default != nil && c.cfg.ReplaceNullWithDefault {
		return cs.s.Default, nil
	}
	if cs.s.Optional {
		return nil, nil
	}
	what := "null for"
	if missing {
		what = "missing, and it is"
	}
	if cs.s.Default != nil {
		return nil, errAt(fmt.Sprintf("%s a required %s (its default is not used: replace.null.with.default is false)", what, cs.typeName()))
	}
	return nil, errAt(fmt.Sprintf("%s a required %s with no default", what, cs.typeName()))
}

func expected(what string, c byte) error {
	return errAt("expected " + what + ", got " + jsonKind(c))
}

// convert converts the validated value at data[i] under cs and returns the offset past it.
func (c *Converter) convert(data []byte, i int, cs *compiled) (any, int, error) {
	first := data[i]
	if first == 'n' {
		v, err := c.nullValue(cs, false)
		return v, i + 4, err
	}
	switch cs.kind {
	case kBool:
		switch first {
		case 't':
			return true, i + 4, nil
		case 'f':
			return false, i + 5, nil
		}
		return nil, 0, expected("boolean", first)
	case kInt8, kInt16, kInt32, kInt64:
		if jsonKind(first) != "number" {
			return nil, 0, expected("integer", first)
		}
		end, integral := numberEnd(data, i)
		v, err := integerValue(data[i:end], integral)
		if err != nil {
			return nil, 0, err
		}
		switch cs.kind {
		case kInt8:
			if v < math.MinInt8 || v > math.MaxInt8 {
				return nil, 0, errAt(fmt.Sprintf("%d is out of range for int8", v))
			}
			return int8(v), end, nil
		case kInt16:
			if v < math.MinInt16 || v > math.MaxInt16 {
				return nil, 0, errAt(fmt.Sprintf("%d is out of range for int16", v))
			}
			return int16(v), end, nil
		case kInt32:
			if v < math.MinInt32 || v > math.MaxInt32 {
				return nil, 0, errAt(fmt.Sprintf("%d is out of range for int32", v))
			}
			return int32(v), end, nil
		}
		return v, end, nil
	case kFloat32, kFloat64:
		bits := 64
		if cs.kind == kFloat32 {
			bits = 32
		}
		var f float64
		var end int
		switch {
		case jsonKind(first) == "number":
			end, _ = numberEnd(data, i)
			f = parseFloatLit(data[i:end], bits)
		case first == '"':
			// Jackson writes NaN and infinities as strings; read them back.
			var s string
			s, end = readString(data, i)
			switch s {
			case "NaN":
				f = math.NaN()
			case "Infinity":
				f = math.Inf(1)
			case "-Infinity":
				f = math.Inf(-1)
			default:
				return nil, 0, errAt("expected number, got string")
			}
		default:
			return nil, 0, expected("number", first)
		}
		if bits == 32 {
			return float32(f), end, nil
		}
		return f, end, nil
	case kString:
		if first != '"' {
			return nil, 0, expected("string", first)
		}
		s, end := readString(data, i)
		return s, end, nil
	case kBytes:
		if first != '"' {
			return nil, 0, expected("base64 string", first)
		}
		b, end, err := base64Value(data, i)
		return b, end, err
	case kArray:
		return c.convertArray(data, i, cs)
	case kMap:
		if cs.key.s.Type == record.String {
			return c.convertObjectMap(data, i, cs)
		}
		return c.convertPairMap(data, i, cs)
	case kStruct:
		return c.convertStruct(data, i, cs)
	case kDecimal:
		switch {
		case jsonKind(first) == "number":
			end, _ := numberEnd(data, i)
			d, ok := parseDecimalLit(data[i:end])
			if !ok {
				return nil, 0, errAt("decimal exponent out of range")
			}
			return d, end, nil
		case first == '"':
			if cs.scaleErr != "" {
				return nil, 0, errAt(cs.scaleErr)
			}
			b, end, err := base64Value(data, i)
			if err != nil {
				return nil, 0, errAt("invalid bytes for Decimal: " + err.(*convError).msg)
			}
			if len(b) == 0 {
				return nil, 0, errAt("invalid bytes for Decimal: empty")
			}
			return record.Decimal{Unscaled: fromTwosComplement(b), Scale: cs.scale}, end, nil
		}
		return nil, 0, expected("number or base64 string for Decimal", first)
	case kDate, kTime:
		if jsonKind(first) != "number" {
			return nil, 0, expected("integer for "+cs.typeName(), first)
		}
		end, integral := numberEnd(data, i)
		v, ok := parseIntLit(data[i:end])
		if !integral || !ok || v < math.MinInt32 || v > math.MaxInt32 {
			return nil, 0, errAt(fmt.Sprintf("expected a 32-bit integer for %s, got %s", cs.typeName(), data[i:end]))
		}
		if cs.kind == kDate {
			return time.UnixMilli(v * millisPerDay).UTC(), end, nil
		}
		if v < 0 || v > millisPerDay {
			return nil, 0, errAt(fmt.Sprintf("Time must be between 0 and %d milliseconds, got %d", millisPerDay, v))
		}
		return time.UnixMilli(v).UTC(), end, nil
	case kTimestamp:
		if jsonKind(first) != "number" {
			return nil, 0, expected("integer for Timestamp", first)
		}
		end, integral := numberEnd(data, i)
		v, ok := parseIntLit(data[i:end])
		if !integral || !ok {
			return nil, 0, errAt(fmt.Sprintf("expected a 64-bit integer for Timestamp, got %s", data[i:end]))
		}
		return time.UnixMilli(v).UTC(), end, nil
	}
	return nil, 0, errAt("unsupported schema")
}

// integerValue returns the integer a number literal denotes: integers as written, and numbers
// with a fraction or exponent when their value is integral ("1e3", "12.0").
func integerValue(b []byte, integral bool) (int64, error) {
	if integral {
		if v, ok := parseIntLit(b); ok {
			return v, nil
		}
		return 0, errAt(fmt.Sprintf("%s is out of range for int64", b))
	}
	d, ok := parseDecimalLit(b)
	if ok && d.Unscaled.Sign() == 0 {
		return 0, nil
	}
	if ok && d.Scale <= 0 && d.Scale >= -19 {
		u := new(big.Int).Mul(d.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-d.Scale)), nil))
		if u.IsInt64() {
			return u.Int64(), nil
		}
		return 0, errAt(fmt.Sprintf("%s is out of range for int64", b))
	}
	if ok && d.Scale > 0 && int(d.Scale) < len(b) {
		q, r := new(big.Int).QuoRem(d.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil), new(big.Int))
		if r.Sign() == 0 {
			if q.IsInt64() {
				return q.Int64(), nil
			}
			return 0, errAt(fmt.Sprintf("%s is out of range for int64", b))
		}
	}
	if ok && d.Scale < -19 {
		return 0, errAt(fmt.Sprintf("%s is out of range for int64", b))
	}
	return 0, errAt(fmt.Sprintf("expected integer, got %s", b))
}

// base64Value decodes the validated string at data[i] as standard padded base64.
func base64Value(data []byte, i int) ([]byte, int, error) {
	raw, escaped, end := keyAt(data, i)
	if escaped {
		s, _ := readString(data, i)
		raw = []byte(s)
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	n, err := base64.StdEncoding.Decode(out, raw)
	if err != nil {
		return nil, 0, errAt("invalid base64: " + err.Error())
	}
	return out[:n], end, nil
}

// fromTwosComplement reads a big-endian two's-complement integer, as Java's new BigInteger(byte[]).
func fromTwosComplement(b []byte) *big.Int {
	u := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		u.Sub(u, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return u
}

func (c *Converter) convertArray(data []byte, i int, cs *compiled) (any, int, error) {
	if data[i] != '[' {
		return nil, 0, expected("array", data[i])
	}
	out := make([]any, 0, 4)
	i = skipWS(data, i+1)
	if data[i] == ']' {
		return out, i + 1, nil
	}
	for n := 0; ; n++ {
		v, end, err := c.convert(data, i, cs.elem)
		if err != nil {
			return nil, 0, atIndex(err, n)
		}
		out = append(out, v)
		i = skipWS(data, end)
		if data[i] != ',' {
			return out, i + 1, nil
		}
		i = skipWS(data, i+1)
	}
}

// convertObjectMap converts a JSON object into a map with string keys. A repeated key keeps its
// first position and its last value, as Jackson's ObjectNode.
func (c *Converter) convertObjectMap(data []byte, i int, cs *compiled) (any, int, error) {
	if data[i] != '{' {
		return nil, 0, errAt("maps with string keys are encoded as JSON objects, got " + jsonKind(data[i]))
	}
	out := make([]record.MapEntry, 0, 4)
	var seen map[string]int
	i = skipWS(data, i+1)
	if data[i] == '}' {
		return out, i + 1, nil
	}
	for {
		key, j := readString(data, i)
		j = skipWS(data, skipWS(data, j)+1)
		v, end, err := c.convert(data, j, cs.elem)
		if err != nil {
			return nil, 0, atKey(err, key)
		}
		if at, dup := lookupKey(out, &seen, key); dup {
			out[at].Value = v
		} else {
			out = append(out, record.MapEntry{Key: key, Value: v})
		}
		i = skipWS(data, end)
		if data[i] != ',' {
			return out, i + 1, nil
		}
		i = skipWS(data, i+1)
	}
}

// lookupKey finds key among the entries so far (scanning small maps, indexing large ones).
func lookupKey(entries []record.MapEntry, seen *map[string]int, key string) (int, bool) {
	if *seen == nil && len(entries) < 16 {
		for n := range entries {
			if entries[n].Key.(string) == key {
				return n, true
			}
		}
		return 0, false
	}
	if *seen == nil {
		*seen = make(map[string]int, 2*len(entries))
		for n := range entries {
			(*seen)[entries[n].Key.(string)] = n
		}
	}
	if at, ok := (*seen)[key]; ok {
		return at, true
	}
	(*seen)[key] = len(entries)
	return 0, false
}

// convertPairMap converts a JSON array of [key, value] pairs into a map with non-string keys. A
// repeated scalar key keeps its first position and its last value, as Java's HashMap.
func (c *Converter) convertPairMap(data []byte, i int, cs *compiled) (any, int, error) {
	if data[i] != '[' {
		return nil, 0, errAt("maps with non-string keys are encoded as JSON arrays of [key, value] pairs, got " + jsonKind(data[i]))
	}
	out := make([]record.MapEntry, 0, 4)
	var seen map[any]int
	i = skipWS(data, i+1)
	if data[i] == ']' {
		return out, i + 1, nil
	}
	for n := 0; ; n++ {
		if data[i] != '[' {
			return nil, 0, atIndex(errAt("invalid map entry: expected a [key, value] array, got "+jsonKind(data[i])), n)
		}
		j := skipWS(data, i+1)
		if data[j] == ']' {
			return nil, 0, atIndex(errAt("invalid map entry: expected 2 elements, got 0"), n)
		}
		k, end, err := c.convert(data, j, cs.key)
		if err != nil {
			return nil, 0, atIndex(atIndex(err, 0), n)
		}
		j = skipWS(data, end)
		if data[j] != ',' {
			return nil, 0, atIndex(errAt("invalid map entry: expected 2 elements, got 1"), n)
		}
		j = skipWS(data, j+1)
		v, end, err := c.convert(data, j, cs.elem)
		if err != nil {
			return nil, 0, atIndex(atIndex(err, 1), n)
		}
		j = skipWS(data, end)
		if data[j] != ']' {
			return nil, 0, atIndex(errAt("invalid map entry: expected 2 elements, got more"), n)
		}
		if comparableKey(k) {
			if seen == nil {
				seen = make(map[any]int)
			}
			if at, dup := seen[k]; dup {
				out[at].Value = v
			} else {
				seen[k] = len(out)
				out = append(out, record.MapEntry{Key: k, Value: v})
			}
		} else {
			out = append(out, record.MapEntry{Key: k, Value: v})
		}
		i = skipWS(data, j+1)
		if data[i] != ',' {
			return out, i + 1, nil
		}
		i = skipWS(data, i+1)
	}
}

// comparableKey reports whether k is a scalar whose Go equality is Java's equals.
func comparableKey(k any) bool {
	switch k.(type) {
	case int8, int16, int32, int64, float32, float64, bool, string, time.Time:
		return true
	}
	return false
}

func (c *Converter) convertStruct(data []byte, i int, cs *compiled) (any, int, error) {
	if data[i] != '{' {
		return nil, 0, errAt("structs are encoded as JSON objects, got " + jsonKind(data[i]))
	}
	n := len(cs.fields)
	vals := make([]any, n)
	var seenSmall uint64
	var seenBig []bool
	if n > 64 {
		seenBig = make([]bool, n)
	}
	i = skipWS(data, i+1)
	for data[i] != '}' {
		raw, escaped, j := keyAt(data, i)
		if escaped {
			s, _ := readString(data, i)
			raw = []byte(s)
		}
		j = skipWS(data, skipWS(data, j)+1)
		if f := cs.fieldIndex(raw); f < 0 {
			j = skipValue(data, j)
		} else {
			v, end, err := c.convert(data, j, cs.fields[f])
			if err != nil {
				return nil, 0, inField(err, cs.s.Fields[f].Name)
			}
			vals[f] = v
			if seenBig != nil {
				seenBig[f] = true
			} else {
				seenSmall |= 1 << f
			}
			j = end
		}
		j = skipWS(data, j)
		if data[j] == ',' {
			j = skipWS(data, j+1)
		}
		i = j
	}
	for f := range n {
		if seenBig != nil && seenBig[f] || seenBig == nil && seenSmall&(1<<f) != 0 {
			continue
		}
		v, err := c.nullValue(cs.fields[f], true)
		if err != nil {
			return nil, 0, inField(err, cs.s.Fields[f].Name)
		}
		vals[f] = v
	}
	return &record.StructValue{Schema: cs.s, Values: vals}, i + 1, nil
}
