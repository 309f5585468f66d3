package converters

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lambda-connect/lambda-connect/converters/avroconv"
	"github.com/lambda-connect/lambda-connect/converters/bytesconv"
	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/converters/jsonschemaconv"
	"github.com/lambda-connect/lambda-connect/converters/protobufconv"
	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/converters/stringconv"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// The Connect class names of the converters, as key.converter / value.converter accept them.
const (
	StringConverterClass     = "org.apache.kafka.connect.storage.StringConverter"
	ByteArrayConverterClass  = "org.apache.kafka.connect.converters.ByteArrayConverter"
	JsonConverterClass       = "org.apache.kafka.connect.json.JsonConverter"
	AvroConverterClass       = "io.confluent.connect.avro.AvroConverter"
	JsonSchemaConverterClass = "io.confluent.connect.json.JsonSchemaConverter"
	ProtobufConverterClass   = "io.confluent.connect.protobuf.ProtobufConverter"
)

// Factory builds a converter from its settings: props are the settings under the key.converter. or
// value.converter. prefix (isKey chooses which), prefix stripped. An error naming a setting by its
// unprefixed name (schemas.enable) is reported under the full name (value.converter.schemas.enable).
type Factory func(isKey bool, props map[string]string) (Converter, error)

// Registry holds converter factories by Connect class name, with the other spellings each class
// accepts. Adding a converter is a Factory and one Register call; nothing registers itself. A
// Registry is safe for concurrent reads once built (register everything at cold start).
type Registry struct {
	classes []string
	aliases map[string]string // every spelling, class names included, to its class
	fs      map[string]Factory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{aliases: map[string]string{}, fs: map[string]Factory{}}
}

// Register adds a factory under its Connect class name and the other names it accepts (a short
// name such as JsonConverter, json). An empty or already-taken name, or a nil factory, is an
// error.
func (r *Registry) Register(class string, aliases []string, f Factory) error {
	class = strings.TrimSpace(class)
	if class == "" || f == nil {
		return fmt.Errorf("converters: register %q: a converter needs a class name and a factory", class)
	}
	for _, n := range append([]string{class}, aliases...) {
		if strings.TrimSpace(n) == "" {
			return fmt.Errorf("converters: register %q: empty alias", class)
		}
		if prev, ok := r.aliases[strings.TrimSpace(n)]; ok {
			return fmt.Errorf("converters: register %q: name %q already names %s", class, n, prev)
		}
	}
	r.classes = append(r.classes, class)
	r.fs[class] = f
	r.aliases[class] = class
	for _, n := range aliases {
		r.aliases[strings.TrimSpace(n)] = class
	}
	return nil
}

// Classes returns the registered class names in registration order and every accepted spelling
// (class names included) mapped to its class: the Enum and Aliases of a config.Class setting.
// The results are copies.
func (r *Registry) Classes() (canonical []string, spellings map[string]string) {
	spellings = make(map[string]string, len(r.aliases))
	for k, v := range r.aliases {
		spellings[k] = v
	}
	return append([]string(nil), r.classes...), spellings
}

// Has reports whether class (any accepted spelling) is registered.
func (r *Registry) Has(class string) bool {
	_, ok := r.aliases[strings.TrimSpace(class)]
	return ok
}

// New returns the converter named by class (any accepted spelling), configured by props: the
// settings under the key.converter. or value.converter. prefix (isKey chooses which), prefix
// stripped. An unknown class, an unknown setting or an invalid value is an errclass.BadConfig
// error naming the setting as the connector's configuration spells it
// (value.converter.schemas.enable).
func (r *Registry) New(class string, isKey bool, props map[string]string) (Converter, error) {
	setting := "value.converter"
	if isKey {
		setting = "key.converter"
	}
	name := strings.TrimSpace(class)
	canonical, ok := r.aliases[name]
	if !ok {
		if name == "" {
			return nil, errclass.Config(setting, "no converter class set (one of %s)", strings.Join(r.classes, ", "))
		}
		return nil, errclass.Config(setting, "unknown converter class %q (supported: %s, or their short names)", class, strings.Join(r.classes, ", "))
	}
	conv, err := r.fs[canonical](isKey, props)
	if err != nil {
		return nil, prefixed(err, setting+".")
	}
	if conv == nil {
		return nil, errclass.Config(setting, "converter %s built nothing", canonical)
	}
	return conv, nil
}

// Builtins returns a new registry holding the converters this package provides, in this order:
// JsonConverter (json), StringConverter (string), ByteArrayConverter (bytes) and Confluent's
// AvroConverter (avro), JsonSchemaConverter (jsonschema) and ProtobufConverter (protobuf). Callers add their own (core/glueregistry.Register) to the copy they get.
func Builtins() *Registry {
	r := NewRegistry()
	// The names are distinct constants: Register cannot fail here.
	_ = r.Register(JsonConverterClass, []string{"JsonConverter", "json"}, func(_ bool, props map[string]string) (Converter, error) {
		cfg, err := jsonconv.ConfigFromProps(props)
		if err != nil {
			return nil, err
		}
		return jsonconv.New(cfg)
	})
	_ = r.Register(StringConverterClass, []string{"StringConverter", "string"}, func(_ bool, props map[string]string) (Converter, error) {
		cfg, err := stringconv.ConfigFromProps(props)
		if err != nil {
			return nil, err
		}
		return stringconv.New(cfg)
	})
	_ = r.Register(ByteArrayConverterClass, []string{"ByteArrayConverter", "bytes"}, func(_ bool, props map[string]string) (Converter, error) {
		cfg, err := bytesconv.ConfigFromProps(props)
		if err != nil {
			return nil, err
		}
		return bytesconv.New(cfg)
	})
	_ = r.Register(AvroConverterClass, []string{"AvroConverter", "avro"}, newAvro)
	_ = r.Register(JsonSchemaConverterClass, []string{"JsonSchemaConverter", "jsonschema"}, newJSONSchema)
	_ = r.Register(ProtobufConverterClass, []string{"ProtobufConverter", "protobuf"}, newProtobuf)
	return r
}

// builtins is the registry New and Classes use; it is never modified after it is built.
var builtins = Builtins()

// Classes returns the canonical class names of the built-in converters and every accepted
// spelling (canonical names included) mapped to its canonical name: the Enum and Aliases of a
// config.Class setting. The results are copies.
func Classes() (canonical []string, spellings map[string]string) { return builtins.Classes() }

// New returns the built-in converter named by class (a Connect class name, a short name such as
// JsonConverter, or string, bytes, json, avro, jsonschema, protobuf), configured by props: the settings under the
// key.converter. or value.converter. prefix (isKey chooses which), prefix stripped. An unknown
// class, an unknown setting or an invalid value is an errclass.BadConfig error naming the
// setting as the connector's configuration spells it (value.converter.schemas.enable).
func New(class string, isKey bool, props map[string]string) (Converter, error) {
	return builtins.New(class, isKey, props)
}

// newAvro builds an AvroConverter over a schema registry client configured by the registry
// settings among props (schema.registry.url, basic.auth.*, bearer.auth.*...).
func newAvro(isKey bool, props map[string]string) (Converter, error) {
	cfg, err := avroconv.ConfigFromProps(props)
	if err != nil {
		return nil, err
	}
	cfg.IsKey = isKey
	client, err := registryClient(cfg.Registry)
	if err != nil {
		return nil, err
	}
	return avroconv.New(cfg, client)
}

// newJSONSchema builds a JsonSchemaConverter over a schema registry client configured by the
// registry settings among props.
func newJSONSchema(isKey bool, props map[string]string) (Converter, error) {
	cfg, err := jsonschemaconv.ConfigFromProps(props)
	if err != nil {
		return nil, err
	}
	cfg.IsKey = isKey
	client, err := registryClient(cfg.Registry)
	if err != nil {
		return nil, err
	}
	return jsonschemaconv.New(cfg, client)
}

// newProtobuf builds a ProtobufConverter over a schema registry client configured by the
// registry settings among props.
func newProtobuf(isKey bool, props map[string]string) (Converter, error) {
	cfg, err := protobufconv.ConfigFromProps(props)
	if err != nil {
		return nil, err
	}
	cfg.IsKey = isKey
	client, err := registryClient(cfg.Registry)
	if err != nil {
		return nil, err
	}
	return protobufconv.New(cfg, client)
}

// registryClient builds a schema registry client from its settings (schema.registry.url,
// basic.auth.*, bearer.auth.*...).
func registryClient(props map[string]string) (*schemaregistry.Client, error) {
	rc, err := schemaregistry.ConfigFromProps(props)
	if err != nil {
		return nil, err
	}
	return schemaregistry.New(rc)
}

// prefixed names a converter setting error by its full setting name.
func prefixed(err error, prefix string) error {
	var e *errclass.Error
	if errors.As(err, &e) && e.Subject != "" {
		return &errclass.Error{Class: e.Class, Subject: prefix + e.Subject, Err: e.Err}
	}
	return errclass.New(errclass.BadConfig, strings.TrimSuffix(prefix, "."), err)
}
