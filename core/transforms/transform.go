// Package transforms holds Kafka Connect's single message transforms (SMTs) and predicates,
// configured with Connect's property names and behaving as Connect's do:
//
//	transforms=addSource,dropSecret
//	transforms.addSource.type=org.apache.kafka.connect.transforms.InsertField$Value
//	transforms.addSource.static.field=source
//	transforms.addSource.static.value=orders-app
//	transforms.dropSecret.type=ReplaceField$Value
//	transforms.dropSecret.exclude=password
//	transforms.dropSecret.predicate=isOrders
//	transforms.dropSecret.negate=false
//	predicates=isOrders
//	predicates.isOrders.type=org.apache.kafka.connect.transforms.predicates.TopicNameMatches
//	predicates.isOrders.pattern=orders.*
//
// ChainFrom reads such settings, validates every one of them at once and returns a Chain that
// applies the transforms in order. Types are named by Connect's class name or its short name
// (InsertField$Value). Key and value variants ($Key, $Value) work on schema'd data
// (*record.StructValue with its record.Schema) and on schemaless data (map[string]any, or
// record.RawJSON as the JSON converter makes it: parsed with jsonconv.Parse when a transform
// needs the structure; InsertField, ReplaceField and MaskField edit a JSON object without
// materialising it, and a Chain keeps such edits in one representation until a transform needs
// something else).
//
// Records are values: a transform returns a new record and never mutates the input's maps,
// slices or structs.
//
// # Adding a transform
//
// A transform is a type with an Apply method and a Definition (class name, settings as
// config.Keys, a constructor) registered in a Registry: one small file and one line in
// builtinTransforms, or Registry.Register from outside the package (see the Registry example).
//
// The package is pure: it imports no AWS SDK and no Kafka client.
package transforms

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Transform is one single message transform. Apply returns the transformed record, or false
// when the record is to be dropped (as Filter does). Errors are errclass.BadRecord errors naming
// the record and what failed. Apply must not mutate r's maps, slices or structs, and must be safe
// for concurrent use.
type Transform interface {
	Apply(r record.Record) (record.Record, bool, error)
}

// Predicate decides whether a transform applies to a record (Connect's
// org.apache.kafka.connect.transforms.predicates.Predicate). Test must be safe for concurrent use.
type Predicate interface {
	Test(r record.Record) bool
}

// Definition describes a transform type for a Registry.
type Definition struct {
	// Class is Connect's class name ("org.apache.kafka.connect.transforms.InsertField$Value");
	// the part after its last "." is the short name that is accepted too.
	Class string
	// Doc says what the transform does, for the README.
	Doc string
	// Keys are the transform's settings, named as under transforms.<alias>. ("static.field").
	// ChainFrom checks them (type, required, Enum, Validate) and rejects any other setting.
	Keys []config.Key
	// New builds the transform from its checked settings. Cross-setting problems are reported
	// with Invalid, naming the setting.
	New func(s Settings) (Transform, error)
}

// PredicateDefinition describes a predicate type for a Registry, as Definition does a transform.
type PredicateDefinition struct {
	Class string
	Doc   string
	Keys  []config.Key
	New   func(s Settings) (Predicate, error)
}

// ShortName returns the part of a class name after its last ".".
func ShortName(class string) string { return class[strings.LastIndexByte(class, '.')+1:] }

// Settings gives a constructor its checked settings by their short names ("static.field").
// Getters panic, as config.Config's do, for a name that is not one of the Definition's Keys.
type Settings struct {
	c      *config.Config
	prefix string
}

// String returns a String, Class or Password setting.
func (s Settings) String(name string) string { return s.c.String(s.prefix + name) }

// List returns a List setting (nil when unset).
func (s Settings) List(name string) []string { return s.c.List(s.prefix + name) }

// Bool returns a Boolean setting.
func (s Settings) Bool(name string) bool { return s.c.Bool(s.prefix + name) }

// Int returns an Int setting.
func (s Settings) Int(name string) int { return s.c.Int(s.prefix + name) }

// IsSet reports whether the setting was given.
func (s Settings) IsSet(name string) bool { return s.c.IsSet(s.prefix + name) }

// Prefix returns the settings' prefix ("transforms.addSource."), for messages.
func (s Settings) Prefix() string { return s.prefix }

// Invalid reports a constructor's problem with one of its settings (by its short name); ChainFrom
// reports it with the setting's full name.
func Invalid(setting, format string, args ...any) error {
	return config.Problems{{Key: setting, Message: fmt.Sprintf(format, args...)}}
}

// Error is the failure of one transform of a Chain. It wraps the transform's error, so that
// errclass.Of gives its class (BadRecord); Class is the transform's Connect class name, as a
// dead-letter queue's __connect.errors.class.name header wants it.
type Error struct {
	Alias string // the transform's alias in transforms=
	Class string // its class name
	Err   error
}

func (e *Error) Error() string { return "transforms." + e.Alias + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// AsError returns the *Error in err's chain, if there is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// fail builds the BadRecord error of transform name about record r.
func fail(r *record.Record, name, format string, args ...any) error {
	return errclass.New(errclass.BadRecord, r.Coordinates(), fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

// failWrap is fail with a cause kept for errors.Is/As.
func failWrap(r *record.Record, name string, err error) error {
	return errclass.New(errclass.BadRecord, r.Coordinates(), fmt.Errorf("%s: %w", name, err))
}
