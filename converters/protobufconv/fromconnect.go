package protobufconv

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// defaultSchemaName names a root struct without a name, as Confluent's ProtobufData.
const defaultSchemaName = "ConnectDefault"

// protoWriter builds the .proto text of a Connect struct schema, as Confluent's
// ProtobufData.fromConnectSchema: syntax proto3, the package and message name from the schema
// name, fields numbered in order (or by their TagParameter), int8/int16 as int32 with a
// connect.type field_meta, nested structs as nested messages, maps as repeated <Name>Entry
// messages with key = 1 and value = 2, enums as nested enums, oneof structs as oneofs, Decimal
// as confluent.type.Decimal, Date as google.type.Date, Time as google.type.TimeOfDay, Timestamp
// as google.protobuf.Timestamp.
type protoWriter struct {
	imports      map[string]bool
	defaults     int  // ConnectDefault<n> counter
	optionalNull bool // optional.for.nullables: optional primitives get the proto3 optional label
}

// protoText returns the .proto text for the root struct schema s and the message's full name.
func protoText(s *record.Schema, optionalNull bool) (string, string, error) {
	if s == nil || s.Type != record.Struct {
		return "", "", errors.New("only a struct schema can be written as a Protobuf message")
	}
	w := &protoWriter{imports: map[string]bool{}, optionalNull: optionalNull}
	full := s.Name
	if full == "" {
		full = w.defaultName()
	}
	pkg, name := "", full
	if i := strings.LastIndexByte(full, '.'); i >= 0 {
		pkg, name = full[:i], full[i+1:]
	}
	if err := checkName(name); err != nil {
		return "", "", err
	}
	for _, part := range strings.Split(pkg, ".") {
		if pkg != "" {
			if err := checkName(part); err != nil {
				return "", "", fmt.Errorf("package %q: %w", pkg, err)
			}
		}
	}
	var body strings.Builder
	if err := w.message(&body, "", name, s, 0); err != nil {
		return "", "", err
	}
	var b strings.Builder
	b.WriteString("syntax = \"proto3\";\n")
	if pkg != "" {
		b.WriteString("package " + pkg + ";\n")
	}
	if len(w.imports) > 0 {
		b.WriteString("\n")
		for _, imp := range slices.Sorted(maps.Keys(w.imports)) {
			b.WriteString("import \"" + imp + "\";\n")
		}
	}
	b.WriteString("\n")
	b.WriteString(body.String())
	if pkg != "" {
		return b.String(), pkg + "." + name, nil
	}
	return b.String(), name, nil
}

func (w *protoWriter) defaultName() string {
	w.defaults++
	return defaultSchemaName + strconv.Itoa(w.defaults)
}

// checkName reports a name that is not a Protobuf identifier.
func checkName(n string) error {
	if n == "" {
		return errors.New("empty name")
	}
	for i, r := range n {
		if !(r == '_' || r < unicode.MaxASCII && (unicode.IsLetter(r) || i > 0 && unicode.IsDigit(r))) {
			return fmt.Errorf("%q is not a Protobuf identifier", n)
		}
	}
	return nil
}

// unqualified returns the last dotted segment of a schema name, or a default name.
func (w *protoWriter) unqualified(name string) string {
	if name == "" {
		return w.defaultName()
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// tag returns the field number of a field schema: its TagParameter, else next.
func tag(s *record.Schema, next *int) (int, error) {
	if t, ok := s.Parameters[TagParameter]; ok {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > 536870911 {
			return 0, fmt.Errorf("invalid %s %q", TagParameter, t)
		}
		return n, nil
	}
	n := *next
	*next++
	return n, nil
}

// message writes message name with the fields of struct s.
func (w *protoWriter) message(b *strings.Builder, indent, name string, s *record.Schema, depth int) error {
	if depth > 50 {
		return errors.New("structs nested deeper than 50 levels")
	}
	var fields, nested strings.Builder
	defined := map[string]bool{}
	next := 1
	in := indent + "  "
	for _, f := range s.Fields {
		fs := f.Schema
		if fs == nil {
			return fmt.Errorf("field %q has no schema", f.Name)
		}
		if fs.Type == record.Struct && strings.HasPrefix(fs.Name, UnionPrefix) {
			oneof := w.unqualified(strings.TrimPrefix(fs.Name, UnionPrefix))
			if err := checkName(oneof); err != nil {
				return fmt.Errorf("oneof %q: %w", f.Name, err)
			}
			fields.WriteString(in + "oneof " + oneof + " {\n")
			for _, uf := range fs.Fields {
				if uf.Schema == nil || uf.Schema.Type == record.Array || uf.Schema.Type == record.Map {
					return fmt.Errorf("oneof %q: field %q cannot be repeated", f.Name, uf.Name)
				}
				n, err := tag(uf.Schema, &next)
				if err != nil {
					return fmt.Errorf("field %q: %w", uf.Name, err)
				}
				if err := w.field(&fields, &nested, defined, in+"  ", "", uf.Name, uf.Schema, n, depth); err != nil {
					return err
				}
			}
			fields.WriteString(in + "}\n")
			continue
		}
		n, err := tag(fs, &next)
		if err != nil {
			return fmt.Errorf("field %q: %w", f.Name, err)
		}
		label := ""
		elem := fs
		switch fs.Type {
		case record.Array:
			if fs.Value == nil {
				return fmt.Errorf("field %q: array without an element schema", f.Name)
			}
			label, elem = "repeated ", fs.Value
			if elem.Type == record.Array || elem.Type == record.Map {
				return fmt.Errorf("field %q: arrays of arrays or maps have no Protobuf form", f.Name)
			}
		case record.Map:
			label = "repeated "
		default:
			if w.optionalNull && fs.Optional && fs.Type != record.Struct && !isLogical(fs) && !isEnum(fs) {
				label = "optional "
			}
		}
		if err := w.field(&fields, &nested, defined, in, label, f.Name, elem, n, depth); err != nil {
			return err
		}
	}
	b.WriteString(indent + "message " + name + " {\n")
	b.WriteString(fields.String())
	if nested.Len() > 0 {
		b.WriteString(nested.String())
	}
	b.WriteString(indent + "}\n")
	return nil
}

func isLogical(s *record.Schema) bool {
	switch s.Name {
	case record.DecimalName, record.DateName, record.TimeName, record.TimestampName:
		return true
	}
	return false
}

func isEnum(s *record.Schema) bool {
	_, ok := s.Parameters[EnumParameter]
	return s.Type == record.String && ok
}

// field writes one field declaration into fields and the types it needs into nested.
func (w *protoWriter) field(fields, nested *strings.Builder, defined map[string]bool, indent, label, name string, s *record.Schema, num, depth int) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("field: %w", err)
	}
	var typ string
	params := map[string]string{}
	switch {
	case s.Name == record.DecimalName && s.Type == record.Bytes:
		typ = decimalType
		w.imports["confluent/type/decimal.proto"] = true
		if p, ok := s.Parameters[connectPrecisionParam]; ok {
			params[metaPrecisionParam] = p
		}
		if sc, ok := s.Parameters[record.DecimalScaleParameter]; ok {
			params[metaScaleParam] = sc
		}
	case s.Name == record.DateName && s.Type == record.Int32:
		typ = dateType
		w.imports["google/type/date.proto"] = true
	case s.Name == record.TimeName && s.Type == record.Int32:
		typ = timeOfDayType
		w.imports["google/type/timeofday.proto"] = true
	case s.Name == record.TimestampName && s.Type == record.Int64:
		typ = timestampType
		w.imports["google/protobuf/timestamp.proto"] = true
	default:
		switch s.Type {
		case record.Int8, record.Int16:
			typ = "int32"
			params[connectTypeParam] = string(s.Type)
		case record.Int32:
			typ = "int32"
		case record.Int64:
			typ = "int64"
		case record.Float32:
			typ = "float"
		case record.Float64:
			typ = "double"
		case record.Boolean:
			typ = "bool"
		case record.Bytes:
			typ = "bytes"
		case record.String:
			typ = "string"
			if isEnum(s) {
				typ = w.unqualified(s.Parameters[EnumParameter])
				if typ == "" || s.Parameters[EnumParameter] == "" {
					typ = w.unqualified(s.Name)
				}
				if err := checkName(typ); err != nil {
					return fmt.Errorf("enum of field %q: %w", name, err)
				}
				if !defined[typ] {
					defined[typ] = true
					if err := w.enum(nested, indent, typ, s); err != nil {
						return fmt.Errorf("field %q: %w", name, err)
					}
				}
			}
		case record.Map:
			if s.Key == nil || s.Value == nil {
				return fmt.Errorf("field %q: map without key and value schemas", name)
			}
			typ = upperFirst(name) + "Entry"
			if s.Name != "" {
				typ = w.unqualified(s.Name) + "Entry"
			}
			if err := checkName(typ); err != nil {
				return fmt.Errorf("field %q: %w", name, err)
			}
			if !defined[typ] {
				defined[typ] = true
				entry := &record.Schema{Type: record.Struct, Fields: []record.Field{
					{Name: "key", Index: 0, Schema: withTag(s.Key, 1)},
					{Name: "value", Index: 1, Schema: withTag(s.Value, 2)},
				}}
				if err := w.message(nested, indent, typ, entry, depth+1); err != nil {
					return fmt.Errorf("field %q: %w", name, err)
				}
			}
		case record.Struct:
			typ = w.unqualified(s.Name)
			if typ == name {
				typ += "Message"
			}
			if err := checkName(typ); err != nil {
				return fmt.Errorf("field %q: %w", name, err)
			}
			if !defined[typ] {
				defined[typ] = true
				if err := w.message(nested, indent, typ, s, depth+1); err != nil {
					return fmt.Errorf("field %q: %w", name, err)
				}
			}
		case record.Array:
			return fmt.Errorf("field %q: arrays of arrays or maps have no Protobuf form", name)
		default:
			return fmt.Errorf("field %q: unsupported Connect type %q", name, s.Type)
		}
	}
	fields.WriteString(indent + label + typ + " " + name + " = " + strconv.Itoa(num))
	if len(params) > 0 {
		w.imports["confluent/meta.proto"] = true
		fields.WriteString(" [(confluent.field_meta) = { params: [")
		for i, k := range slices.Sorted(maps.Keys(params)) {
			if i > 0 {
				fields.WriteString(", ")
			}
			fields.WriteString("{ key: " + strconv.Quote(k) + ", value: " + strconv.Quote(params[k]) + " }")
		}
		fields.WriteString("] }]")
	}
	fields.WriteString(";\n")
	return nil
}

func withTag(s *record.Schema, n int) *record.Schema {
	c := *s
	c.Parameters = maps.Clone(s.Parameters)
	if c.Parameters == nil {
		c.Parameters = map[string]string{}
	}
	c.Parameters[TagParameter] = strconv.Itoa(n)
	return &c
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// enum writes an enum whose symbols are the schema's EnumParameter.<symbol> parameters, by number.
func (w *protoWriter) enum(b *strings.Builder, indent, name string, s *record.Schema) error {
	type sym struct {
		name string
		num  int
	}
	var syms []sym
	for k, v := range s.Parameters {
		if strings.HasPrefix(k, EnumParameter+".") {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("enum %s: symbol %s has number %q", name, k, v)
			}
			sn := strings.TrimPrefix(k, EnumParameter+".")
			if err := checkName(sn); err != nil {
				return fmt.Errorf("enum %s: %w", name, err)
			}
			syms = append(syms, sym{sn, n})
		}
	}
	slices.SortFunc(syms, func(a, b sym) int {
		if a.num != b.num {
			return a.num - b.num
		}
		return strings.Compare(a.name, b.name)
	})
	b.WriteString(indent + "enum " + name + " {\n")
	for _, s := range syms {
		b.WriteString(indent + "  " + s.name + " = " + strconv.Itoa(s.num) + ";\n")
	}
	b.WriteString(indent + "}\n")
	return nil
}

// fillMessage sets the fields of m from struct data v of schema s. Nulls leave fields unset.
func fillMessage(m protoreflect.Message, s *record.Schema, v any) error {
	sv, ok := v.(*record.StructValue)
	if !ok || sv == nil {
		return fmt.Errorf("expected struct data, got %T", v)
	}
	if len(sv.Values) != len(s.Fields) {
		return fmt.Errorf("struct has %d values for %d fields", len(sv.Values), len(s.Fields))
	}
	md := m.Descriptor()
	for i, f := range s.Fields {
		val := sv.Values[i]
		if val == nil {
			continue
		}
		fs := f.Schema
		name := f.Name
		if fs.Type == record.Struct && strings.HasPrefix(fs.Name, UnionPrefix) {
			u, ok := val.(*record.StructValue)
			if !ok || len(u.Values) != len(fs.Fields) {
				return fmt.Errorf("%s: expected oneof struct data, got %T", f.Name, val)
			}
			found := false
			for j, uf := range fs.Fields {
				if u.Values[j] != nil {
					name, fs, val, found = uf.Name, uf.Schema, u.Values[j], true
					break
				}
			}
			if !found {
				continue
			}
		}
		fd := md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return fmt.Errorf("no field %q in %s", name, md.FullName())
		}
		if err := setField(m, fd, fs, val); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func setField(m protoreflect.Message, fd protoreflect.FieldDescriptor, s *record.Schema, v any) error {
	switch {
	case s.Type == record.Map:
		entries, ok := v.([]record.MapEntry)
		if !ok {
			return fmt.Errorf("expected map data, got %T", v)
		}
		if !fd.IsList() || fd.Message() == nil {
			return errors.New("map field is not a repeated entry message")
		}
		list := m.Mutable(fd).List()
		kd, vd := fd.Message().Fields().ByName("key"), fd.Message().Fields().ByName("value")
		for i, e := range entries {
			em := list.NewElement()
			if e.Key != nil {
				if err := setField(em.Message(), kd, s.Key, e.Key); err != nil {
					return fmt.Errorf("[%d].key: %w", i, err)
				}
			}
			if e.Value != nil {
				if err := setField(em.Message(), vd, s.Value, e.Value); err != nil {
					return fmt.Errorf("[%d].value: %w", i, err)
				}
			}
			list.Append(em)
		}
		return nil
	case s.Type == record.Array:
		items, ok := v.([]any)
		if !ok {
			return fmt.Errorf("expected array data, got %T", v)
		}
		if len(items) == 0 {
			return nil
		}
		list := m.Mutable(fd).List()
		for i, e := range items {
			if e == nil {
				return fmt.Errorf("[%d]: a repeated field cannot hold null", i)
			}
			var pv protoreflect.Value
			var err error
			if fd.Kind() == protoreflect.MessageKind {
				el := list.NewElement()
				err = setMessage(el.Message(), s.Value, e)
				pv = el
			} else {
				pv, err = scalar(fd, s.Value, e)
			}
			if err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
			list.Append(pv)
		}
		return nil
	}
	if fd.Kind() == protoreflect.MessageKind {
		sub := dynamicpb.NewMessage(fd.Message())
		if err := setMessage(sub, s, v); err != nil {
			return err
		}
		m.Set(fd, protoreflect.ValueOfMessage(sub))
		return nil
	}
	pv, err := scalar(fd, s, v)
	if err != nil {
		return err
	}
	m.Set(fd, pv)
	return nil
}

// setMessage fills a message-typed value: a logical type or a struct.
func setMessage(m protoreflect.Message, s *record.Schema, v any) error {
	setInt := func(name protoreflect.Name, x int64) {
		fd := m.Descriptor().Fields().ByName(name)
		if fd == nil {
			return
		}
		switch fd.Kind() {
		case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
			m.Set(fd, protoreflect.ValueOfInt64(x))
		case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
			m.Set(fd, protoreflect.ValueOfUint32(uint32(x)))
		default:
			m.Set(fd, protoreflect.ValueOfInt32(int32(x)))
		}
	}
	switch m.Descriptor().FullName() {
	case timestampType, dateType, timeOfDayType:
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("expected time.Time, got %T", v)
		}
		t = t.UTC()
		switch m.Descriptor().FullName() {
		case timestampType:
			ms := t.UnixMilli()
			secs, rem := ms/1000, ms%1000
			if rem < 0 {
				secs, rem = secs-1, rem+1000
			}
			setInt("seconds", secs)
			setInt("nanos", rem*1_000_000)
		case dateType:
			if t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
				return errors.New("a Date must have no time of day")
			}
			setInt("year", int64(t.Year()))
			setInt("month", int64(t.Month()))
			setInt("day", int64(t.Day()))
		case timeOfDayType:
			setInt("hours", int64(t.Hour()))
			setInt("minutes", int64(t.Minute()))
			setInt("seconds", int64(t.Second()))
			setInt("nanos", int64(t.Nanosecond()/1_000_000*1_000_000))
		}
		return nil
	case decimalType:
		d, ok := v.(record.Decimal)
		if !ok {
			if p, isPtr := v.(*record.Decimal); isPtr && p != nil {
				d, ok = *p, true
			}
		}
		if !ok {
			return fmt.Errorf("expected record.Decimal, got %T", v)
		}
		u := d.Unscaled
		if u == nil {
			u = new(big.Int)
		}
		if fd := m.Descriptor().Fields().ByName("value"); fd != nil {
			m.Set(fd, protoreflect.ValueOfBytes(twosComplement(u)))
		}
		prec := len(new(big.Int).Abs(u).String())
		setInt("precision", int64(prec))
		setInt("scale", int64(d.Scale))
		return nil
	}
	if s.Type != record.Struct {
		return fmt.Errorf("Connect type %s for message %s", s.Type, m.Descriptor().FullName())
	}
	return fillMessage(m, s, v)
}

// twosComplement returns the minimal big-endian two's-complement bytes of x, as Java's
// BigInteger.toByteArray.
func twosComplement(x *big.Int) []byte {
	if x.Sign() >= 0 {
		b := x.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// -x - 1, inverted.
	n := new(big.Int).Neg(x)
	n.Sub(n, big.NewInt(1))
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	for i := range b {
		b[i] = ^b[i]
	}
	return b
}

// scalar converts Connect data into the value of a non-message field.
func scalar(fd protoreflect.FieldDescriptor, s *record.Schema, v any) (protoreflect.Value, error) {
	bad := func() (protoreflect.Value, error) {
		return protoreflect.Value{}, fmt.Errorf("expected %s data, got %T", s.Type, v)
	}
	switch fd.Kind() {
	case protoreflect.EnumKind:
		sym, ok := v.(string)
		if !ok {
			return bad()
		}
		if ev := fd.Enum().Values().ByName(protoreflect.Name(sym)); ev != nil {
			return protoreflect.ValueOfEnum(ev.Number()), nil
		}
		// An unknown number read by ToConnect (proto3 enums are open) is written back.
		if n, ok := strings.CutPrefix(sym, unknownEnumPrefix+string(fd.Enum().Name())+"_"); ok {
			if x, err := strconv.ParseInt(n, 10, 32); err == nil {
				return protoreflect.ValueOfEnum(protoreflect.EnumNumber(x)), nil
			}
		}
		return protoreflect.Value{}, fmt.Errorf("%q is not a symbol of enum %s", sym, fd.Enum().Name())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		switch x := v.(type) {
		case int8:
			return protoreflect.ValueOfInt32(int32(x)), nil
		case int16:
			return protoreflect.ValueOfInt32(int32(x)), nil
		case int32:
			return protoreflect.ValueOfInt32(x), nil
		}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		if x, ok := v.(int64); ok {
			return protoreflect.ValueOfInt64(x), nil
		}
	case protoreflect.FloatKind:
		if x, ok := v.(float32); ok {
			return protoreflect.ValueOfFloat32(x), nil
		}
	case protoreflect.DoubleKind:
		if x, ok := v.(float64); ok {
			return protoreflect.ValueOfFloat64(x), nil
		}
	case protoreflect.BoolKind:
		if x, ok := v.(bool); ok {
			return protoreflect.ValueOfBool(x), nil
		}
	case protoreflect.StringKind:
		if x, ok := v.(string); ok {
			return protoreflect.ValueOfString(x), nil
		}
	case protoreflect.BytesKind:
		if x, ok := v.([]byte); ok {
			return protoreflect.ValueOfBytes(x), nil
		}
	}
	return bad()
}
