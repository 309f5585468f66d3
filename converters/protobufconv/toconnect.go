package protobufconv

import (
	"bytes"
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// The names and parameters Confluent's ProtobufData gives Connect schemas.
const (
	// Namespace prefixes the Connect names and parameters the converter invents.
	Namespace = "io.confluent.connect.protobuf"
	// EnumParameter holds an enum's name on a string schema; each symbol is a parameter
	// EnumParameter + "." + symbol holding its number.
	EnumParameter = Namespace + ".Enum"
	// UnionPrefix names the struct a oneof becomes: UnionPrefix + the oneof's name. The struct
	// is the field <oneof name>_<oneof index> of the message's struct.
	UnionPrefix = Namespace + ".Union."
	// TagParameter holds a field's number on its Connect schema.
	TagParameter = Namespace + ".Tag"

	connectTypeParam      = "connect.type"
	connectPrecisionParam = "connect.decimal.precision"
	metaPrecisionParam    = "precision"
	metaScaleParam        = "scale"
)

// unknownEnumPrefix names an enum number the enum does not declare, as Java's DynamicMessage:
// UNKNOWN_ENUM_VALUE_<enum>_<number>.
const unknownEnumPrefix = "UNKNOWN_ENUM_VALUE_"

// Well-known message types with a Connect meaning.
const (
	timestampType = "google.protobuf.Timestamp"
	dateType      = "google.type.Date"
	timeOfDayType = "google.type.TimeOfDay"
	decimalType   = "confluent.type.Decimal"
)

// wrapperTypes maps the google/protobuf/wrappers.proto messages to the Connect type they unwrap to.
var wrapperTypes = map[protoreflect.FullName]record.Type{
	"google.protobuf.DoubleValue": record.Float64,
	"google.protobuf.FloatValue":  record.Float32,
	"google.protobuf.Int64Value":  record.Int64,
	"google.protobuf.UInt64Value": record.Int64,
	"google.protobuf.Int32Value":  record.Int32,
	"google.protobuf.UInt32Value": record.Int64,
	"google.protobuf.BoolValue":   record.Boolean,
	"google.protobuf.StringValue": record.String,
	"google.protobuf.BytesValue":  record.Bytes,
}

// schemaBuilder converts message descriptors into Connect schemas, as Confluent's
// ProtobufData.toConnectSchema.
type schemaBuilder struct {
	fullNames bool                           // enhanced.protobuf.schema.support
	stack     map[protoreflect.FullName]bool // messages being converted, to refuse recursion
}

// messageSchema returns the (required) struct schema of a message: one field per oneof first
// (named <oneof>_<index>, a struct named UnionPrefix+<oneof>), then the other fields in
// declaration order, every field optional and tagged with its number.
func (b *schemaBuilder) messageSchema(md protoreflect.MessageDescriptor) (*record.Schema, error) {
	if b.stack == nil {
		b.stack = map[protoreflect.FullName]bool{}
	}
	if b.stack[md.FullName()] {
		return nil, fmt.Errorf("recursive message type %s is not supported", md.FullName())
	}
	b.stack[md.FullName()] = true
	defer delete(b.stack, md.FullName())

	s := &record.Schema{Type: record.Struct, Name: string(md.Name())}
	if b.fullNames {
		s.Name = string(md.FullName())
	}
	add := func(name string, fs *record.Schema) {
		s.Fields = append(s.Fields, record.Field{Name: name, Index: len(s.Fields), Schema: fs})
	}
	oneofs := md.Oneofs()
	for i := 0; i < oneofs.Len(); i++ {
		od := oneofs.Get(i)
		if od.IsSynthetic() {
			continue
		}
		u := &record.Schema{Type: record.Struct, Name: UnionPrefix + string(od.Name()), Optional: true}
		fields := od.Fields()
		for j := 0; j < fields.Len(); j++ {
			fs, err := b.fieldSchema(fields.Get(j))
			if err != nil {
				return nil, err
			}
			u.Fields = append(u.Fields, record.Field{Name: string(fields.Get(j).Name()), Index: j, Schema: fs})
		}
		add(unionFieldName(od), u)
	}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			continue
		}
		fs, err := b.fieldSchema(fd)
		if err != nil {
			return nil, err
		}
		add(string(fd.Name()), fs)
	}
	return s, nil
}

func unionFieldName(od protoreflect.OneofDescriptor) string {
	return string(od.Name()) + "_" + strconv.Itoa(od.Index())
}

// isEntryList reports whether fd is a repeated field of explicit map-entry messages, as
// Confluent's converter writes maps (repeated FooEntry foo, FooEntry having key and value).
func isEntryList(fd protoreflect.FieldDescriptor) bool {
	if !fd.IsList() || fd.Kind() != protoreflect.MessageKind {
		return false
	}
	md := fd.Message()
	f := md.Fields()
	return strings.HasSuffix(string(md.Name()), "Entry") && f.Len() == 2 &&
		f.Get(0).Name() == "key" && f.Get(1).Name() == "value"
}

// fieldSchema returns the optional Connect schema of a field, tagged with its number.
func (b *schemaBuilder) fieldSchema(fd protoreflect.FieldDescriptor) (*record.Schema, error) {
	var s *record.Schema
	switch {
	case fd.IsMap() || isEntryList(fd):
		var kd, vd protoreflect.FieldDescriptor
		if fd.IsMap() {
			kd, vd = fd.MapKey(), fd.MapValue()
		} else {
			kd, vd = fd.Message().Fields().Get(0), fd.Message().Fields().Get(1)
		}
		k, err := b.fieldSchema(kd)
		if err != nil {
			return nil, err
		}
		v, err := b.fieldSchema(vd)
		if err != nil {
			return nil, err
		}
		s = &record.Schema{Type: record.Map, Key: k, Value: v}
	default:
		elem, err := b.singleSchema(fd)
		if err != nil {
			return nil, err
		}
		s = elem
		if fd.IsList() {
			elem.Optional = true
			s = &record.Schema{Type: record.Array, Value: elem}
		}
	}
	s.Optional = true
	if s.Parameters == nil {
		s.Parameters = map[string]string{}
	}
	s.Parameters[TagParameter] = strconv.Itoa(int(fd.Number()))
	return s, nil
}

// singleSchema returns a fresh schema for one value of fd.
func (b *schemaBuilder) singleSchema(fd protoreflect.FieldDescriptor) (*record.Schema, error) {
	switch fd.Kind() {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		switch fieldParams(fd)[connectTypeParam] {
		case "int8":
			return &record.Schema{Type: record.Int8}, nil
		case "int16":
			return &record.Schema{Type: record.Int16}, nil
		}
		return &record.Schema{Type: record.Int32}, nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Int64Kind, protoreflect.Uint64Kind,
		protoreflect.Sint64Kind, protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return &record.Schema{Type: record.Int64}, nil
	case protoreflect.FloatKind:
		return &record.Schema{Type: record.Float32}, nil
	case protoreflect.DoubleKind:
		return &record.Schema{Type: record.Float64}, nil
	case protoreflect.BoolKind:
		return &record.Schema{Type: record.Boolean}, nil
	case protoreflect.StringKind:
		return &record.Schema{Type: record.String}, nil
	case protoreflect.BytesKind:
		return &record.Schema{Type: record.Bytes}, nil
	case protoreflect.EnumKind:
		ed := fd.Enum()
		s := &record.Schema{Type: record.String, Name: string(ed.Name()), Parameters: map[string]string{EnumParameter: string(ed.Name())}}
		vals := ed.Values()
		for i := 0; i < vals.Len(); i++ {
			s.Parameters[EnumParameter+"."+string(vals.Get(i).Name())] = strconv.Itoa(int(vals.Get(i).Number()))
		}
		return s, nil
	case protoreflect.MessageKind, protoreflect.GroupKind:
		md := fd.Message()
		switch md.FullName() {
		case timestampType:
			return &record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1}, nil
		case dateType:
			return &record.Schema{Type: record.Int32, Name: record.DateName, Version: 1}, nil
		case timeOfDayType:
			return &record.Schema{Type: record.Int32, Name: record.TimeName, Version: 1}, nil
		case decimalType:
			params := fieldParams(fd)
			scale := "0"
			if v, err := strconv.ParseInt(params[metaScaleParam], 10, 32); err == nil {
				scale = strconv.FormatInt(v, 10)
			}
			s := &record.Schema{Type: record.Bytes, Name: record.DecimalName, Version: 1, Parameters: map[string]string{record.DecimalScaleParameter: scale}}
			if p, ok := params[metaPrecisionParam]; ok {
				s.Parameters[connectPrecisionParam] = p
			}
			return s, nil
		}
		if t, ok := wrapperTypes[md.FullName()]; ok {
			return &record.Schema{Type: t}, nil
		}
		s, err := b.messageSchema(md)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("field %s: unsupported kind %v", fd.FullName(), fd.Kind())
}

// structValue converts a message into the data of its struct schema s.
func structValue(s *record.Schema, m protoreflect.Message) (*record.StructValue, error) {
	md := m.Descriptor()
	vals := make([]any, len(s.Fields))
	for i, f := range s.Fields {
		if f.Schema.Type == record.Struct && strings.HasPrefix(f.Schema.Name, UnionPrefix) {
			od := md.Oneofs().ByName(protoreflect.Name(strings.TrimPrefix(f.Schema.Name, UnionPrefix)))
			if od == nil {
				return nil, fmt.Errorf("no oneof for field %q", f.Name)
			}
			fd := m.WhichOneof(od)
			if fd == nil {
				continue
			}
			u := f.Schema
			uv := make([]any, len(u.Fields))
			for j, uf := range u.Fields {
				if uf.Name == string(fd.Name()) {
					v, err := fieldValue(uf.Schema, fd, m)
					if err != nil {
						return nil, fmt.Errorf("%s.%s: %w", f.Name, uf.Name, err)
					}
					uv[j] = v
				}
			}
			vals[i] = &record.StructValue{Schema: u, Values: uv}
			continue
		}
		fd := md.Fields().ByName(protoreflect.Name(f.Name))
		if fd == nil {
			return nil, fmt.Errorf("no field %q in %s", f.Name, md.FullName())
		}
		v, err := fieldValue(f.Schema, fd, m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		vals[i] = v
	}
	return &record.StructValue{Schema: s, Values: vals}, nil
}

// fieldValue converts the value of field fd of m: nil for an unset message field or an unset
// field with explicit presence (proto3 optional); the default value for other unset fields.
func fieldValue(s *record.Schema, fd protoreflect.FieldDescriptor, m protoreflect.Message) (any, error) {
	switch {
	case fd.IsMap():
		mp := m.Get(fd).Map()
		entries := make([]record.MapEntry, 0, mp.Len())
		var err error
		mp.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
			var kv, vv any
			if kv, err = singleValue(s.Key, fd.MapKey(), k.Value()); err != nil {
				return false
			}
			if vv, err = singleValue(s.Value, fd.MapValue(), v); err != nil {
				return false
			}
			entries = append(entries, record.MapEntry{Key: kv, Value: vv})
			return true
		})
		if err != nil {
			return nil, err
		}
		slices.SortFunc(entries, func(a, b record.MapEntry) int { return compareKeys(a.Key, b.Key) })
		return entries, nil
	case isEntryList(fd):
		list := m.Get(fd).List()
		entries := make([]record.MapEntry, list.Len())
		kd, vd := fd.Message().Fields().Get(0), fd.Message().Fields().Get(1)
		for i := range entries {
			em := list.Get(i).Message()
			k, err := fieldValue(s.Key, kd, em)
			if err != nil {
				return nil, fmt.Errorf("[%d].key: %w", i, err)
			}
			v, err := fieldValue(s.Value, vd, em)
			if err != nil {
				return nil, fmt.Errorf("[%d].value: %w", i, err)
			}
			entries[i] = record.MapEntry{Key: k, Value: v}
		}
		return entries, nil
	case fd.IsList():
		list := m.Get(fd).List()
		out := make([]any, list.Len())
		for i := range out {
			v, err := singleValue(s.Value, fd, list.Get(i))
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = v
		}
		return out, nil
	}
	if fd.HasPresence() && !m.Has(fd) {
		return nil, nil
	}
	return singleValue(s, fd, m.Get(fd))
}

// compareKeys orders map keys of one Connect type (proto map keys are integers, bools or strings).
func compareKeys(a, b any) int {
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case int8:
		return cmp.Compare(x, b.(int8))
	case int16:
		return cmp.Compare(x, b.(int16))
	case int32:
		return cmp.Compare(x, b.(int32))
	case int64:
		return cmp.Compare(x, b.(int64))
	case bool:
		if x == b.(bool) {
			return 0
		}
		if !x {
			return -1
		}
		return 1
	}
	return 0
}

// singleValue converts one value of field fd into Connect data of schema s.
func singleValue(s *record.Schema, fd protoreflect.FieldDescriptor, v protoreflect.Value) (any, error) {
	switch fd.Kind() {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		x := int32(v.Int())
		switch s.Type {
		case record.Int8:
			return int8(x), nil
		case record.Int16:
			return int16(x), nil
		}
		return x, nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return int64(v.Uint()), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return v.Int(), nil
	case protoreflect.FloatKind:
		return float32(v.Float()), nil
	case protoreflect.DoubleKind:
		return v.Float(), nil
	case protoreflect.BoolKind:
		return v.Bool(), nil
	case protoreflect.StringKind:
		return v.String(), nil
	case protoreflect.BytesKind:
		return bytes.Clone(v.Bytes()), nil
	case protoreflect.EnumKind:
		n := v.Enum()
		if ev := fd.Enum().Values().ByNumber(n); ev != nil {
			return string(ev.Name()), nil
		}
		// An unknown number, kept as Java's DynamicMessage names it.
		return unknownEnumPrefix + string(fd.Enum().Name()) + "_" + strconv.Itoa(int(n)), nil
	case protoreflect.MessageKind, protoreflect.GroupKind:
		m := v.Message()
		switch m.Descriptor().FullName() {
		case timestampType:
			secs, nanos := intField(m, "seconds"), intField(m, "nanos")
			ms := secs*1000 + nanos/1_000_000
			if nanos < 0 && nanos%1_000_000 != 0 {
				ms-- // floor, as Timestamps.toMillis
			}
			return time.UnixMilli(ms).UTC(), nil
		case dateType:
			y, mo, d := intField(m, "year"), intField(m, "month"), intField(m, "day")
			if mo < 1 || mo > 12 || d < 1 || d > 31 {
				return nil, fmt.Errorf("invalid google.type.Date %d-%d-%d", y, mo, d)
			}
			t := time.Date(int(y), time.Month(mo), int(d), 0, 0, 0, 0, time.UTC)
			if t.Day() != int(d) {
				return nil, fmt.Errorf("invalid google.type.Date %d-%d-%d", y, mo, d)
			}
			return t, nil
		case timeOfDayType:
			h, mi, sec, ns := intField(m, "hours"), intField(m, "minutes"), intField(m, "seconds"), intField(m, "nanos")
			if h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || ns < 0 || ns > 999_999_999 {
				return nil, fmt.Errorf("invalid google.type.TimeOfDay %d:%d:%d.%09d", h, mi, sec, ns)
			}
			d := time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(sec)*time.Second + time.Duration(ns)
			return record.Epoch.Add(d.Truncate(time.Millisecond)), nil
		case decimalType:
			return decimalValue(s, m)
		}
		if _, ok := wrapperTypes[m.Descriptor().FullName()]; ok {
			vf := m.Descriptor().Fields().ByName("value")
			if vf == nil {
				return nil, fmt.Errorf("wrapper %s has no value field", m.Descriptor().FullName())
			}
			return singleValue(s, vf, m.Get(vf))
		}
		return structValue(s, m)
	}
	return nil, fmt.Errorf("unsupported kind %v", fd.Kind())
}

// intField returns the integer field named name of m, or 0.
func intField(m protoreflect.Message, name protoreflect.Name) int64 {
	fd := m.Descriptor().Fields().ByName(name)
	if fd == nil {
		return 0
	}
	v := m.Get(fd)
	switch fd.Kind() {
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind, protoreflect.Fixed32Kind, protoreflect.Fixed64Kind:
		return int64(v.Uint())
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Sint32Kind, protoreflect.Sint64Kind,
		protoreflect.Sfixed32Kind, protoreflect.Sfixed64Kind:
		return v.Int()
	}
	return 0
}

// decimalValue reads a confluent.type.Decimal (big-endian two's-complement unscaled value and its
// scale) at the scale of the Connect schema.
func decimalValue(s *record.Schema, m protoreflect.Message) (any, error) {
	var raw []byte
	if fd := m.Descriptor().Fields().ByName("value"); fd != nil && fd.Kind() == protoreflect.BytesKind {
		raw = m.Get(fd).Bytes()
	}
	u := new(big.Int).SetBytes(raw)
	if len(raw) > 0 && raw[0]&0x80 != 0 {
		u.Sub(u, new(big.Int).Lsh(big.NewInt(1), uint(8*len(raw))))
	}
	scale := int32(intField(m, "scale"))
	want := scale
	if p, err := strconv.ParseInt(s.Parameters[record.DecimalScaleParameter], 10, 32); err == nil {
		want = int32(p)
	}
	if d := int64(want) - int64(scale); d > 1000 || d < -1000 {
		return nil, fmt.Errorf("decimal of scale %d does not fit the schema's scale %d", scale, want)
	}
	switch {
	case want > scale:
		u.Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(want-scale)), nil))
	case want < scale:
		q, r := new(big.Int).QuoRem(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-want)), nil), new(big.Int))
		if r.Sign() != 0 {
			return nil, fmt.Errorf("decimal of scale %d does not fit the schema's scale %d", scale, want)
		}
		u = q
	}
	return record.Decimal{Unscaled: u, Scale: want}, nil
}
