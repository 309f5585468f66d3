// Package projection decides whether records of two Kafka Connect schemas may share one object
// and projects values from one schema to another, as Confluent's storage connectors do with
// StorageSchemaCompatibility (schema.compatibility) and Kafka Connect's SchemaProjector.
//
// Project follows SchemaProjector: fields the target adds are filled with their default (or null
// when optional), fields it removes are dropped, numbers are promoted along
// int8 -> int16 -> int32 -> int64 -> float -> double, and names and parameters (a Decimal's
// scale) must match. Target picks the schema an object is written with under a mode.
//
// The package is pure: it imports no AWS SDK and no Kafka client.
package projection

import (
	"bytes"
	"fmt"
	"maps"
	"math/big"
	"reflect"
	"strings"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// Mode is a schema.compatibility value.
type Mode string

// The modes, as Confluent names them.
const (
	None     Mode = "NONE"
	Backward Mode = "BACKWARD"
	Forward  Mode = "FORWARD"
	Full     Mode = "FULL"
)

// Modes lists the modes ParseMode accepts.
func Modes() []string { return []string{string(None), string(Backward), string(Forward), string(Full)} }

// ParseMode parses a schema.compatibility value (case-insensitive; "" is NONE).
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToUpper(strings.TrimSpace(s))); m {
	case "":
		return None, nil
	case None, Backward, Forward, Full:
		return m, nil
	}
	return "", fmt.Errorf("%q is not one of %s", s, strings.Join(Modes(), ", "))
}

// Target returns the schema that records of schemas a (the object's so far) and b (the next
// record's) are written with when they share an object under mode, or an error saying why they
// cannot share one (the caller then starts a new object):
//
//   - NONE: only equal schemas share an object.
//   - BACKWARD and FULL: the schema with the higher version, provided the other one's data
//     projects to it (FULL also checks the other direction).
//   - FORWARD: the schema with the lower version, provided the newer one's data projects to it
//     (Confluent keeps the older schema under FORWARD: old readers read new data).
//
// Schemaless data (nil) shares objects only with schemaless data. As in Confluent's connector,
// differing schemas need the same name and versions to be compared; equal versions of differing
// schemas do not share an object.
func Target(a, b *record.Schema, mode Mode) (*record.Schema, error) {
	if a == nil && b == nil {
		return nil, nil
	}
	if a == nil || b == nil {
		return nil, fmt.Errorf("switch between schema-based and schema-less data")
	}
	if Equal(a, b) {
		return a, nil
	}
	switch mode {
	case None, "":
		return nil, fmt.Errorf("the schema changed (schema.compatibility=NONE)")
	case Backward, Forward, Full:
	default:
		return nil, fmt.Errorf("unknown schema.compatibility %q", mode)
	}
	if a.Name != b.Name {
		return nil, fmt.Errorf("schema name mismatch: %q and %q", a.Name, b.Name)
	}
	if a.Version == 0 || b.Version == 0 {
		return nil, fmt.Errorf("schema version required for %s compatibility", mode)
	}
	if a.Version == b.Version {
		return nil, fmt.Errorf("two different schemas have version %d", a.Version)
	}
	older, newer := a, b
	if older.Version > newer.Version {
		older, newer = newer, older
	}
	switch mode {
	case Backward:
		if err := Check(older, newer); err != nil {
			return nil, err
		}
		return newer, nil
	case Forward:
		if err := Check(newer, older); err != nil {
			return nil, err
		}
		return older, nil
	default: // Full
		if err := Check(older, newer); err != nil {
			return nil, err
		}
		if err := Check(newer, older); err != nil {
			return nil, err
		}
		return newer, nil
	}
}

// Compatible reports whether records of schemas a and b can share one object under mode.
func Compatible(a, b *record.Schema, mode Mode) bool {
	_, err := Target(a, b, mode)
	return err == nil
}

// Check reports whether every value of schema from projects to schema to, without looking at a
// value: the checks of SchemaProjector that depend on the schemas only. (Project may still fail
// on a null where to is required and has no default; Check rejects that case up front.)
func Check(from, to *record.Schema) error {
	return check(from, to, "")
}

func check(from, to *record.Schema, path string) error {
	if err := maybeCompatible(from, to, path); err != nil {
		return err
	}
	if from.Optional && !to.Optional && to.Default == nil {
		return fmt.Errorf("%sthe writer schema is optional, and the target schema is required with no default", at(path))
	}
	switch to.Type {
	case record.Struct:
		for _, tf := range to.Fields {
			p := join(path, tf.Name)
			sf := from.Field(tf.Name)
			switch {
			case sf != nil:
				if err := check(sf.Schema, tf.Schema, p); err != nil {
					return err
				}
			case tf.Schema.Optional || tf.Schema.Default != nil:
			default:
				return fmt.Errorf("required field %s is missing from the source schema", p)
			}
		}
	case record.Array:
		return check(from.Value, to.Value, path+"[]")
	case record.Map:
		if err := check(from.Key, to.Key, path+"{key}"); err != nil {
			return err
		}
		return check(from.Value, to.Value, path+"{value}")
	}
	return nil
}

// Project returns v, a value of schema from, as a value of schema to (SchemaProjector.project).
func Project(v any, from, to *record.Schema) (any, error) {
	if from == to {
		return v, nil
	}
	if from == nil || to == nil {
		return nil, fmt.Errorf("cannot project between schema-based and schema-less data")
	}
	return project(v, from, to, "")
}

func project(v any, from, to *record.Schema, path string) (any, error) {
	if err := maybeCompatible(from, to, path); err != nil {
		return nil, err
	}
	if v == nil {
		switch {
		case to.Optional:
			return nil, nil
		case to.Default != nil:
			return to.Default, nil
		case from.Optional:
			return nil, fmt.Errorf("%sthe writer schema is optional, and the target schema is required with no default", at(path))
		default:
			return nil, fmt.Errorf("%sa required value is null", at(path))
		}
	}
	switch to.Type {
	case record.Struct:
		sv, ok := v.(*record.StructValue)
		if !ok {
			return nil, fmt.Errorf("%sa struct value is a %T", at(path), v)
		}
		out := &record.StructValue{Schema: to, Values: make([]any, len(to.Fields))}
		for i, tf := range to.Fields {
			p := join(path, tf.Name)
			sf := from.Field(tf.Name)
			switch {
			case sf != nil:
				var fv any
				if sf.Index < len(sv.Values) {
					fv = sv.Values[sf.Index]
				}
				pv, err := project(fv, sf.Schema, tf.Schema, p)
				if err != nil {
					return nil, err
				}
				out.Values[i] = pv
			case tf.Schema.Default != nil:
				out.Values[i] = tf.Schema.Default
			case tf.Schema.Optional:
			default:
				return nil, fmt.Errorf("required field %s is missing from the source schema", p)
			}
		}
		return out, nil
	case record.Array:
		a, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%san array value is a %T", at(path), v)
		}
		if Equal(from.Value, to.Value) {
			return a, nil
		}
		out := make([]any, len(a))
		for i, e := range a {
			pe, err := project(e, from.Value, to.Value, path+"[]")
			if err != nil {
				return nil, err
			}
			out[i] = pe
		}
		return out, nil
	case record.Map:
		m, ok := v.([]record.MapEntry)
		if !ok {
			return nil, fmt.Errorf("%sa map value is a %T", at(path), v)
		}
		if Equal(from.Key, to.Key) && Equal(from.Value, to.Value) {
			return m, nil
		}
		out := make([]record.MapEntry, len(m))
		for i, e := range m {
			k, err := project(e.Key, from.Key, to.Key, path+"{key}")
			if err != nil {
				return nil, err
			}
			val, err := project(e.Value, from.Value, to.Value, path+"{value}")
			if err != nil {
				return nil, err
			}
			out[i] = record.MapEntry{Key: k, Value: val}
		}
		return out, nil
	}
	if from.Type == to.Type {
		return v, nil
	}
	return promote(v, to.Type, path)
}

// promote converts a number to a wider type (SchemaProjector.projectPrimitive).
func promote(v any, t record.Type, path string) (any, error) {
	var i int64
	var f float64
	isInt := true
	switch n := v.(type) {
	case int8:
		i = int64(n)
	case int16:
		i = int64(n)
	case int32:
		i = int64(n)
	case int64:
		i = n
	case float32:
		f, isInt = float64(n), false
	default:
		return nil, fmt.Errorf("%sa number value is a %T", at(path), v)
	}
	if isInt {
		f = float64(i)
	}
	switch t {
	case record.Int16:
		return int16(i), nil
	case record.Int32:
		return int32(i), nil
	case record.Int64:
		return i, nil
	case record.Float32:
		if isInt {
			return float32(i), nil
		}
		return float32(f), nil
	case record.Float64:
		return f, nil
	}
	return nil, fmt.Errorf("%scannot promote %T to %s", at(path), v, t)
}

// promotable lists SchemaProjector's promotions.
var promotable = map[record.Type][]record.Type{
	record.Int8:    {record.Int16, record.Int32, record.Int64, record.Float32, record.Float64},
	record.Int16:   {record.Int32, record.Int64, record.Float32, record.Float64},
	record.Int32:   {record.Int64, record.Float32, record.Float64},
	record.Int64:   {record.Float32, record.Float64},
	record.Float32: {record.Float64},
}

// Promotable reports whether values of type from can be promoted to type to.
func Promotable(from, to record.Type) bool {
	for _, t := range promotable[from] {
		if t == to {
			return true
		}
	}
	return false
}

// maybeCompatible is SchemaProjector.checkMaybeCompatible.
func maybeCompatible(from, to *record.Schema, path string) error {
	if from == nil || to == nil {
		return fmt.Errorf("%smissing schema", at(path))
	}
	if from.Type != to.Type && !Promotable(from.Type, to.Type) {
		return fmt.Errorf("%sschema type mismatch: source type %s, target type %s", at(path), from.Type, to.Type)
	}
	if from.Name != to.Name {
		return fmt.Errorf("%sschema name mismatch: source name %q, target name %q", at(path), from.Name, to.Name)
	}
	if !maps.Equal(from.Parameters, to.Parameters) {
		return fmt.Errorf("%sschema parameters not equal: source parameters %v, target parameters %v", at(path), from.Parameters, to.Parameters)
	}
	return nil
}

func at(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// Equal reports whether two schemas are equal as Connect's ConnectSchema.equals sees them: type,
// optionality, default, name, version, doc, parameters, fields, key and value schemas.
func Equal(a, b *record.Schema) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	if a.Type != b.Type || a.Optional != b.Optional || a.Name != b.Name || a.Version != b.Version || a.Doc != b.Doc ||
		len(a.Fields) != len(b.Fields) || !maps.Equal(a.Parameters, b.Parameters) || !equalValue(a.Default, b.Default) {
		return false
	}
	for i := range a.Fields {
		if a.Fields[i].Name != b.Fields[i].Name || !Equal(a.Fields[i].Schema, b.Fields[i].Schema) {
			return false
		}
	}
	return Equal(a.Key, b.Key) && Equal(a.Value, b.Value)
}

func equalValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch x := a.(type) {
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case record.Decimal:
		y, ok := b.(record.Decimal)
		return ok && x.Scale == y.Scale && bigEq(x.Unscaled, y.Unscaled)
	case string, bool, int8, int16, int32, int64, float32, float64:
		return a == b
	}
	return reflect.DeepEqual(a, b)
}

func bigEq(a, b *big.Int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Cmp(b) == 0
}
