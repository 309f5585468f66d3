package avroconv

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// The names and properties Confluent's AvroData uses to carry Connect schema details through Avro.
const (
	// Namespace is the namespace of the records AvroData invents.
	Namespace = "io.confluent.connect.avro"
	// DefaultSchemaName names a struct without a name ("ConnectDefault", then ConnectDefault2...).
	DefaultSchemaName = "ConnectDefault"
	// MapEntryName is the record of a map whose keys are not strings (an array of key/value records).
	MapEntryName = Namespace + ".MapEntry"
	// UnionName is the Connect struct name of an Avro union other than null + one type.
	UnionName = Namespace + ".Union"
	// EnumParameter is the Connect parameter that marks a string as an Avro enum (its full name);
	// each symbol is a parameter EnumParameter + "." + symbol.
	EnumParameter = Namespace + ".Enum"
	// EnumSymbolsParameter keeps an enum's symbols in order, comma-separated (Connect parameters
	// are ordered in Java, not in Go). It is Lambda Connect's addition to AvroData's parameters.
	EnumSymbolsParameter = "connect.enum.symbols"
	// FixedSizeParameter is the Connect parameter that marks bytes as an Avro fixed of that size.
	FixedSizeParameter = "connect.fixed.size"
	// PrecisionParameter is the Connect parameter that holds a Decimal's precision.
	PrecisionParameter = "connect.decimal.precision"
	// DefaultPrecision is the Avro decimal precision written when a Decimal has no precision
	// parameter, as Confluent's AvroData.
	DefaultPrecision = 64

	propName       = "connect.name"
	propVersion    = "connect.version"
	propDoc        = "connect.doc"
	propParameters = "connect.parameters"
	propType       = "connect.type"
)

var defaultNameRE = regexp.MustCompile(`^` + regexp.QuoteMeta(Namespace+"."+DefaultSchemaName) + `[0-9]*$`)

// SchemaFromConnect returns the Avro schema of a Connect schema, as Confluent's
// AvroData.fromConnectSchema builds it (with connect.meta.data=true): a struct is a record named
// by the Connect name (namespace up to its last dot; io.confluent.connect.avro.ConnectDefault when
// unnamed), an optional schema is the union ["null", T] (or [T, "null"] when its default is not
// null), a map with string keys is an Avro map and any other map an array of MapEntry records,
// Decimal is bytes/decimal (precision from connect.decimal.precision, default 64), Date is
// int/date, Time int/time-millis, Timestamp long/timestamp-millis, int8 and int16 are ints marked
// connect.type, and the Connect name, version, doc and parameters travel as connect.* properties.
// A string marked with EnumParameter becomes an enum and bytes with FixedSizeParameter a fixed, so
// that SchemaToConnect's output converts back to the Avro schema it came from.
func SchemaFromConnect(s *record.Schema) (avro.Schema, error) {
	if s == nil {
		return nil, errors.New("avro: no schema (schemaless data has no Avro schema)")
	}
	b := &fromConnect{named: map[string]*namedDef{}}
	return b.schema(s, "")
}

type namedDef struct {
	schema avro.NamedSchema
	from   *record.Schema
}

type fromConnect struct {
	named    map[string]*namedDef // full name -> definition, to reference instead of redefining
	defaults int                  // unnamed structs seen
}

func (b *fromConnect) schema(s *record.Schema, path string) (avro.Schema, error) {
	if s.Type == record.Struct && s.Name == UnionName {
		return b.union(s, path)
	}
	base, err := b.base(s, path)
	if err != nil {
		return nil, err
	}
	if !s.Optional {
		return base, nil
	}
	types := []avro.Schema{avro.NewNullSchema(), base}
	if s.Default != nil {
		types[0], types[1] = base, types[0]
	}
	return avro.NewUnionSchema(types)
}

// meta returns the connect.* properties of s.
func meta(s *record.Schema, withName bool) map[string]any {
	props := map[string]any{}
	if s.Version != 0 {
		props[propVersion] = int(s.Version)
	}
	if s.Doc != "" {
		props[propDoc] = s.Doc
	}
	if len(s.Parameters) > 0 {
		p := make(map[string]any, len(s.Parameters))
		for k, v := range s.Parameters {
			p[k] = v
		}
		props[propParameters] = p
	}
	if withName && s.Name != "" {
		props[propName] = s.Name
	}
	return props
}

func at(path, what string) string {
	if path == "" {
		return what
	}
	return path + "." + what
}

func (b *fromConnect) base(s *record.Schema, path string) (avro.Schema, error) {
	props := meta(s, s.Type != record.Struct)
	switch s.Name {
	case record.DecimalName:
		if s.Type != record.Bytes {
			break
		}
		scale, err := strconv.Atoi(s.Parameters[record.DecimalScaleParameter])
		if err != nil {
			return nil, fmt.Errorf("avro: %s: Decimal without a valid %q parameter", at(path, "decimal"), record.DecimalScaleParameter)
		}
		prec := DefaultPrecision
		if p, ok := s.Parameters[PrecisionParameter]; ok {
			if prec, err = strconv.Atoi(p); err != nil || prec <= 0 {
				return nil, fmt.Errorf("avro: %s: invalid %s %q", at(path, "decimal"), PrecisionParameter, p)
			}
		}
		if scale < 0 || scale > prec {
			return nil, fmt.Errorf("avro: %s: decimal scale %d outside 0..precision %d", at(path, "decimal"), scale, prec)
		}
		return avro.NewPrimitiveSchema(avro.Bytes, avro.NewDecimalLogicalSchema(prec, scale), avro.WithProps(props)), nil
	case record.DateName:
		if s.Type == record.Int32 {
			return avro.NewPrimitiveSchema(avro.Int, avro.NewPrimitiveLogicalSchema(avro.Date), avro.WithProps(props)), nil
		}
	case record.TimeName:
		if s.Type == record.Int32 {
			return avro.NewPrimitiveSchema(avro.Int, avro.NewPrimitiveLogicalSchema(avro.TimeMillis), avro.WithProps(props)), nil
		}
	case record.TimestampName:
		if s.Type == record.Int64 {
			return avro.NewPrimitiveSchema(avro.Long, avro.NewPrimitiveLogicalSchema(avro.TimestampMillis), avro.WithProps(props)), nil
		}
	}
	switch s.Type {
	case record.Int8, record.Int16:
		props[propType] = string(s.Type)
		return avro.NewPrimitiveSchema(avro.Int, nil, avro.WithProps(props)), nil
	case record.Int32:
		return avro.NewPrimitiveSchema(avro.Int, nil, avro.WithProps(props)), nil
	case record.Int64:
		return avro.NewPrimitiveSchema(avro.Long, nil, avro.WithProps(props)), nil
	case record.Float32:
		return avro.NewPrimitiveSchema(avro.Float, nil, avro.WithProps(props)), nil
	case record.Float64:
		return avro.NewPrimitiveSchema(avro.Double, nil, avro.WithProps(props)), nil
	case record.Boolean:
		return avro.NewPrimitiveSchema(avro.Boolean, nil, avro.WithProps(props)), nil
	case record.String:
		if full, ok := s.Parameters[EnumParameter]; ok {
			return b.enum(s, full, path)
		}
		return avro.NewPrimitiveSchema(avro.String, nil, avro.WithProps(props)), nil
	case record.Bytes:
		if size, ok := s.Parameters[FixedSizeParameter]; ok {
			return b.fixed(s, size, path)
		}
		return avro.NewPrimitiveSchema(avro.Bytes, nil, avro.WithProps(props)), nil
	case record.Array:
		if s.Value == nil {
			return nil, fmt.Errorf("avro: %s: array without an element schema", at(path, "array"))
		}
		items, err := b.schema(s.Value, at(path, "items"))
		if err != nil {
			return nil, err
		}
		return avro.NewArraySchema(items, avro.WithProps(props)), nil
	case record.Map:
		if s.Key == nil || s.Value == nil {
			return nil, fmt.Errorf("avro: %s: map without key and value schemas", at(path, "map"))
		}
		if s.Key.Type == record.String && !s.Key.Optional && s.Key.Name == "" && s.Key.Parameters == nil {
			values, err := b.schema(s.Value, at(path, "values"))
			if err != nil {
				return nil, err
			}
			return avro.NewMapSchema(values, avro.WithProps(props)), nil
		}
		entry, err := b.mapEntry(s, path)
		if err != nil {
			return nil, err
		}
		return avro.NewArraySchema(entry, avro.WithProps(props)), nil
	case record.Struct:
		return b.record(s, props, path)
	}
	return nil, fmt.Errorf("avro: %s: unsupported Connect type %q", at(path, "schema"), s.Type)
}

// union turns AvroData's Union struct back into an Avro union of its fields' types (null first
// when the struct is optional).
func (b *fromConnect) union(s *record.Schema, path string) (avro.Schema, error) {
	var types []avro.Schema
	if s.Optional {
		types = append(types, avro.NewNullSchema())
	}
	for _, f := range s.Fields {
		if f.Schema == nil {
			return nil, fmt.Errorf("avro: union branch %s has no schema", at(path, f.Name))
		}
		t, err := b.base(f.Schema, at(path, f.Name))
		if err != nil {
			return nil, err
		}
		types = append(types, t)
	}
	u, err := avro.NewUnionSchema(types)
	if err != nil {
		return nil, fmt.Errorf("avro: %s: %w", at(path, "union"), err)
	}
	return u, nil
}

// splitName splits a full name into namespace and name at the last dot.
func splitName(full string) (ns, name string) {
	if i := strings.LastIndexByte(full, '.'); i >= 0 {
		return full[:i], full[i+1:]
	}
	return "", full
}

// reuse returns a reference to the named type full if already defined by the same Connect
// schema, an error if defined differently, or nil.
func (b *fromConnect) reuse(full string, s *record.Schema, path string) (avro.Schema, error) {
	d, ok := b.named[full]
	if !ok {
		return nil, nil
	}
	if d.from != s && !sameType(d.from, s) {
		return nil, fmt.Errorf("avro: %s: two different schemas named %q", path, full)
	}
	return avro.NewRefSchema(d.schema), nil
}

func (b *fromConnect) record(s *record.Schema, props map[string]any, path string) (avro.Schema, error) {
	ns, name := splitName(s.Name)
	if s.Name == "" {
		b.defaults++
		ns, name = Namespace, DefaultSchemaName
		if b.defaults > 1 {
			name += strconv.Itoa(b.defaults)
		}
	}
	full := name
	if ns != "" {
		full = ns + "." + name
	}
	if ref, err := b.reuse(full, s, path); ref != nil || err != nil {
		return ref, err
	}
	delete(props, propDoc)
	opts := []avro.SchemaOption{avro.WithProps(props)}
	if s.Doc != "" {
		opts = append(opts, avro.WithDoc(s.Doc))
	}
	// Register before the fields so that a reference to itself fails clearly (Connect schemas
	// cannot be recursive) rather than looping.
	rec, err := avro.NewRecordSchema(name, ns, nil, opts...)
	if err != nil {
		return nil, fmt.Errorf("avro: %s: record name %q: %w", at(path, "struct"), full, err)
	}
	b.named[full] = &namedDef{schema: rec, from: s}
	fields := make([]*avro.Field, 0, len(s.Fields))
	for _, f := range s.Fields {
		fpath := at(path, f.Name)
		if f.Schema == nil {
			return nil, fmt.Errorf("avro: field %s has no schema", fpath)
		}
		typ, err := b.schema(f.Schema, fpath)
		if err != nil {
			return nil, err
		}
		var fopts []avro.SchemaOption
		switch {
		case f.Schema.Default != nil:
			// A default Avro JSON cannot hold (bytes, decimals, logical types: hamba writes
			// bytes defaults as base64) is left out: defaults only matter to readers of
			// older data.
			if def, err := defaultToAvro(f.Schema, typ, f.Schema.Default); err == nil {
				fopts = append(fopts, avro.WithDefault(def))
			}
		case f.Schema.Optional:
			fopts = append(fopts, avro.WithDefault(nil))
		}
		field, err := avro.NewField(f.Name, typ, fopts...)
		if err != nil {
			return nil, fmt.Errorf("avro: field %s: %w", fpath, err)
		}
		fields = append(fields, field)
	}
	rec, err = avro.NewRecordSchema(name, ns, fields, opts...)
	if err != nil {
		return nil, fmt.Errorf("avro: %s: %w", at(path, "struct"), err)
	}
	b.named[full].schema = rec
	return rec, nil
}

func (b *fromConnect) mapEntry(s *record.Schema, path string) (avro.Schema, error) {
	ns, name := splitName(MapEntryName)
	key, err := b.schema(s.Key, at(path, "key"))
	if err != nil {
		return nil, err
	}
	value, err := b.schema(s.Value, at(path, "value"))
	if err != nil {
		return nil, err
	}
	kf, err := avro.NewField("key", key)
	if err != nil {
		return nil, err
	}
	vf, err := avro.NewField("value", value)
	if err != nil {
		return nil, err
	}
	// Every MapEntry shares one name; Avro allows a name once, so the second map with other key
	// or value types cannot be written (AvroData numbers them; we report it).
	entrySchema := &record.Schema{Type: record.Struct, Name: MapEntryName, Fields: []record.Field{
		{Name: "key", Schema: s.Key}, {Name: "value", Index: 1, Schema: s.Value}}}
	if ref, err := b.reuse(MapEntryName, entrySchema, path); ref != nil || err != nil {
		return ref, err
	}
	rec, err := avro.NewRecordSchema(name, ns, []*avro.Field{kf, vf})
	if err != nil {
		return nil, err
	}
	b.named[MapEntryName] = &namedDef{schema: rec, from: entrySchema}
	return rec, nil
}

func (b *fromConnect) enum(s *record.Schema, full, path string) (avro.Schema, error) {
	prefix := EnumParameter + "."
	var symbols []string
	for _, k := range sortedKeys(s.Parameters) {
		if sym, ok := strings.CutPrefix(k, prefix); ok {
			symbols = append(symbols, sym)
		}
	}
	// Parameters are a Go map: the symbols' order travels in EnumSymbolsParameter; without it
	// the symbols are sorted.
	if order, ok := s.Parameters[EnumSymbolsParameter]; ok {
		symbols = strings.Split(order, ",")
	}
	if ref, err := b.reuse(full, s, path); ref != nil || err != nil {
		return ref, err
	}
	ns, name := splitName(full)
	props := meta(s, true)
	e, err := avro.NewEnumSchema(name, ns, symbols, avro.WithProps(props))
	if err != nil {
		return nil, fmt.Errorf("avro: %s: enum %q: %w", at(path, "enum"), full, err)
	}
	b.named[full] = &namedDef{schema: e, from: s}
	return e, nil
}

func (b *fromConnect) fixed(s *record.Schema, sizeText, path string) (avro.Schema, error) {
	size, err := strconv.Atoi(sizeText)
	if err != nil || size < 0 {
		return nil, fmt.Errorf("avro: %s: invalid %s %q", at(path, "fixed"), FixedSizeParameter, sizeText)
	}
	full := s.Name
	if full == "" {
		full = Namespace + ".Fixed"
	}
	if ref, err := b.reuse(full, s, path); ref != nil || err != nil {
		return ref, err
	}
	ns, name := splitName(full)
	props := meta(s, false)
	f, err := avro.NewFixedSchema(name, ns, size, nil, avro.WithProps(props))
	if err != nil {
		return nil, fmt.Errorf("avro: %s: fixed %q: %w", at(path, "fixed"), full, err)
	}
	b.named[full] = &namedDef{schema: f, from: s}
	return f, nil
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

// sameType reports whether two Connect schemas define the same Avro named type: equal but for
// their optionality and default, which Avro holds outside the type.
func sameType(a, b *record.Schema) bool {
	x, y := *a, *b
	x.Optional, x.Default, y.Optional, y.Default = false, nil, false, nil
	return schemaEqual(&x, &y)
}

// schemaEqual reports whether two Connect schemas are the same (defaults compared loosely).
func schemaEqual(a, b *record.Schema) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil || a.Type != b.Type || a.Optional != b.Optional || a.Name != b.Name ||
		a.Version != b.Version || a.Doc != b.Doc || !maps.Equal(a.Parameters, b.Parameters) ||
		len(a.Fields) != len(b.Fields) || fmt.Sprint(a.Default) != fmt.Sprint(b.Default) {
		return false
	}
	for i := range a.Fields {
		if a.Fields[i].Name != b.Fields[i].Name || !schemaEqual(a.Fields[i].Schema, b.Fields[i].Schema) {
			return false
		}
	}
	return schemaEqual(a.Key, b.Key) && schemaEqual(a.Value, b.Value)
}

// defaultToAvro converts a Connect default value to the JSON value of an Avro field default
// (for a union, of its first branch, which SchemaFromConnect makes the non-null one).
func defaultToAvro(s *record.Schema, a avro.Schema, v any) (any, error) {
	n, err := (&nativeWriter{}).value(s, a, v, "")
	if err != nil {
		return nil, err
	}
	return nativeToJSON(n)
}

// nativeToJSON turns a native value into the JSON form of an Avro default.
func nativeToJSON(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string, int32, int64, float32, float64:
		return x, nil
	case []byte:
		return nil, errors.New("bytes defaults are not supported")
	case *big.Rat:
		return nil, errors.New("decimal defaults are not supported")
	case time.Time, time.Duration:
		return nil, errors.New("logical type defaults are not supported")
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			j, err := nativeToJSON(e)
			if err != nil {
				return nil, err
			}
			out[i] = j
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			j, err := nativeToJSON(e)
			if err != nil {
				return nil, err
			}
			out[k] = j
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported default %T", v)
}
