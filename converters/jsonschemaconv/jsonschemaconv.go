// Package jsonschemaconv is Confluent's JsonSchemaConverter (io.confluent.connect.json.JsonSchemaConverter):
// records framed for a schema registry (magic byte 0, 4-byte big-endian schema id, JSON text)
// whose JSON Schema is held by the registry.
//
// ToConnect reads the schema id, fetches the JSON Schema once per id (then cached), converts it
// into a Connect schema as Confluent's JsonSchemaData.toConnectSchema does (objects become structs
// with fields in connect.index order, else in declaration order; "integer" becomes int64 unless
// connect.type says int8/int16/int32; "number" becomes float64 or float32; connect.type=bytes
// strings are base64 bytes; objects with connect.type=map and arrays of {key, value} with
// connect.type=map become maps; a oneOf/anyOf of null and one schema is that schema, optional;
// other oneOfs become a struct named io.confluent.connect.json.OneOf; enums become strings with
// io.confluent.connect.json.Enum parameters; title is the name, description the doc), then
// converts the JSON payload into that schema's data. The payload is validated against the JSON
// Schema only with json.fail.invalid.schema=true, as Confluent's deserializer.
//
// FromConnect converts the Connect schema into a JSON Schema as JsonSchemaData.fromConnectSchema,
// finds its id under the subject the subject name strategy gives (registering it with
// auto.register.schemas=true, Confluent's default; the subject's latest version with
// use.latest.version=true; looking it up otherwise) once per schema and subject, and writes the
// framed JSON. A nil value is a tombstone and gives nil.
//
// Errors: a bad frame, an unknown schema id, an unsupported schema or data that does not fit the
// schema are errclass.BadRecord errors naming the topic; a registry failure keeps the class the
// registry client gives it (unclassified errors are Retriable).
//
// The package imports no AWS SDK and no Kafka client.
package jsonschemaconv

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/lambda-connect/lambda-connect/converters/confluentwire"
	"github.com/lambda-connect/lambda-connect/converters/registryconv"
	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/converters/subjectname"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// The converter's own settings, as Confluent names them.
const (
	AutoRegisterSchemasProp       = registryconv.AutoRegisterSchemasProp
	UseLatestVersionProp          = registryconv.UseLatestVersionProp
	KeySubjectNameStrategyProp    = registryconv.KeySubjectNameStrategyProp
	ValueSubjectNameStrategyProp  = registryconv.ValueSubjectNameStrategyProp
	FailInvalidSchemaProp         = "json.fail.invalid.schema"
	UseOptionalForNonRequiredProp = "use.optional.for.nonrequired"
	SchemasCacheSizeProp          = registryconv.SchemasCacheSizeProp
	// SchemaRegistryURLProp is the one registry setting the converter requires.
	SchemaRegistryURLProp = registryconv.SchemaRegistryURLProp
)

// SubjectNameStrategy names the registry subject a schema is registered under (RecordNameStrategy
// uses the schema's name, its title).
type SubjectNameStrategy = subjectname.Strategy

// The subject name strategies, by their Confluent class names.
const (
	TopicNameStrategy       = subjectname.TopicNameStrategy
	RecordNameStrategy      = subjectname.RecordNameStrategy
	TopicRecordNameStrategy = subjectname.TopicRecordNameStrategy
)

// ParseSubjectNameStrategy accepts a strategy's class name or its simple name
// (TopicNameStrategy); "" is TopicNameStrategy.
func ParseSubjectNameStrategy(s string) (SubjectNameStrategy, bool) { return subjectname.Parse(s) }

// Config configures a Converter: the settings every registry converter shares
// (registryconv.Settings: Registry, SchemasCacheSize, AutoRegisterSchemas, UseLatestVersion,
// Key/ValueSubjectNameStrategy) and the converter's own. The zero Config is not Confluent's
// default: use DefaultConfig. Config.Validate reports a BadConfig error naming an invalid
// setting.
type Config struct {
	registryconv.Settings
	// IsKey says the converter converts keys (the subject is <topic>-key).
	IsKey bool
	// FailInvalidSchema is json.fail.invalid.schema: payloads are validated against the JSON
	// Schema, in both directions.
	FailInvalidSchema bool
	// UseOptionalForNonRequired is use.optional.for.nonrequired: properties not listed in
	// "required" become optional fields (Confluent's default, false, makes every property
	// required unless its schema allows null).
	UseOptionalForNonRequired bool
}

// DefaultConfig returns Confluent's defaults: schemas registered automatically, TopicNameStrategy.
func DefaultConfig() Config { return Config{Settings: registryconv.DefaultSettings()} }

// ConfigFromProps reads the converter's settings (the key.converter. or value.converter. prefix
// already stripped) over DefaultConfig. The registry client's settings (schema.registry.*,
// basic.auth.*, bearer.auth.*) go to Config.Registry unparsed, for the caller to build the client
// with; schema.registry.url is required. IsKey is the caller's to set. An unknown setting or an
// invalid value is a BadConfig error naming it.
func ConfigFromProps(props map[string]string) (Config, error) {
	c := DefaultConfig()
	if err := registryconv.ParseInto(&c.Settings, "JsonSchemaConverter", props, map[string]*bool{
		FailInvalidSchemaProp:         &c.FailInvalidSchema,
		UseOptionalForNonRequiredProp: &c.UseOptionalForNonRequired,
	}); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Registry is the part of a schema registry client the converter uses; the client in
// converters/schemaregistry implements it.
type Registry = registryconv.Registry

// Converter is the JsonSchemaConverter. It is safe for concurrent use.
type Converter struct {
	cfg Config
	reg Registry

	byID  *registryconv.Cache[int, *idEntry]              // ToConnect: schema id -> converted schema
	ids   *registryconv.Cache[string, int]                // FromConnect: subject + "\x00" + text -> id
	out   *registryconv.Cache[*record.Schema, *outEnt]    // FromConnect: Connect schema -> JSON Schema text
	valid *registryconv.Cache[string, *jsonschema.Schema] // FromConnect: JSON Schema text -> validator
}

// idEntry is one schema id's converted schema.
type idEntry struct {
	schema *record.Schema
	check  *jsonschema.Schema // compiled for validation, with FailInvalidSchema
}

type outEnt struct {
	text []byte
	err  error
}

// New returns a JsonSchemaConverter configured by cfg that reads and registers schemas in reg.
func New(cfg Config, reg Registry) (*Converter, error) {
	if err := registryconv.CheckNew(cfg.Settings, reg); err != nil {
		return nil, err
	}
	// Each cache holds at most schemas.cache.size entries (schemas built per record by a
	// transform are distinct pointers); a full cache is emptied.
	size := cfg.SchemasCacheSize
	return &Converter{cfg: cfg, reg: reg,
		byID:  registryconv.NewCache[int, *idEntry](size),
		ids:   registryconv.NewCache[string, int](size),
		out:   registryconv.NewCache[*record.Schema, *outEnt](size),
		valid: registryconv.NewCache[string, *jsonschema.Schema](size)}, nil
}

// Config returns the converter's configuration.
func (c *Converter) Config() Config { return c.cfg }

// schemaByID returns the converted schema of id, fetching it once. A schema the registry does
// not have or the converter cannot use (a BadRecord error) stays cached as an error, so that
// every record framed with an unknown id does not ask the registry again; other failures are
// forgotten and retried by the next record.
func (c *Converter) schemaByID(topic string, id int) (*idEntry, error) {
	return c.byID.Get(id, func() (*idEntry, error) { return c.fetch(topic, id) }, registryconv.KeepBadRecord)
}

func (c *Converter) fetch(topic string, id int) (*idEntry, error) {
	s, err := registryconv.FetchSchema(context.Background(), c.reg, topic, id, schemaregistry.JSONSchema, "JSON Schema")
	if err != nil {
		return nil, err
	}
	cs, err := toConnectSchema([]byte(s.Schema), c.cfg.UseOptionalForNonRequired)
	if err != nil {
		return nil, errclass.Record(topic, "schema id %d: %w", id, err)
	}
	e := &idEntry{schema: cs}
	if c.cfg.FailInvalidSchema {
		if e.check, err = compileValidator(s.Schema); err != nil {
			return nil, errclass.Record(topic, "schema id %d: %w", id, err)
		}
	}
	return e, nil
}

// compileValidator compiles a JSON Schema (draft 7 unless it says otherwise) for validation.
func compileValidator(text string) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return nil, err
	}
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft7)
	comp.UseLoader(noLoader{})
	if err := comp.AddResource("urn:lambda-connect:schema.json", doc); err != nil {
		return nil, err
	}
	return comp.Compile("urn:lambda-connect:schema.json")
}

// noLoader refuses remote references: the converter never fetches URLs.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("remote reference %s not supported", url)
}

func validate(check *jsonschema.Schema, payload []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return err
	}
	return check.Validate(inst)
}

// ToConnect converts a framed JSON record into Connect data. A nil data gives a nil schema and
// value.
func (c *Converter) ToConnect(topic string, _ []record.Header, data []byte) (*record.Schema, any, error) {
	if data == nil {
		return nil, nil, nil
	}
	id32, payload, err := confluentwire.Decode(data)
	id := int(id32)
	if err != nil {
		return nil, nil, errclass.Record(topic, "JSON Schema frame: %w", err)
	}
	e, err := c.schemaByID(topic, id)
	if err != nil {
		return nil, nil, err
	}
	n, err := parseJSON(payload)
	if err != nil {
		return nil, nil, errclass.Record(topic, "schema id %d: payload: %w", id, err)
	}
	if e.check != nil {
		if err := validate(e.check, payload); err != nil {
			return nil, nil, errclass.Record(topic, "schema id %d: payload does not validate: %w", id, err)
		}
	}
	v, err := toData(e.schema, n)
	if err != nil {
		return nil, nil, errclass.Record(topic, "schema id %d: %w", id, err)
	}
	return e.schema, v, nil
}

// FromConnect writes value framed with the id of its schema's JSON Schema. A nil value gives nil.
func (c *Converter) FromConnect(topic string, _ []record.Header, schema *record.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	if schema == nil {
		return nil, errclass.Record(topic, "JsonSchemaConverter needs a schema (got schemaless %T)", value)
	}
	text, err := c.schemaText(schema)
	if err != nil {
		return nil, errclass.Record(topic, "JSON Schema of the record's schema: %w", err)
	}
	subject, err := registryconv.Subject(c.cfg.Settings, topic, c.cfg.IsKey, schema.Name)
	if err != nil {
		return nil, err
	}
	id, err := c.idFor(topic, subject, text)
	if err != nil {
		return nil, err
	}
	b := confluentwire.Encode(make([]byte, 0, 64), int32(id))
	b, err = appendData(b, schema, value, 0)
	if err != nil {
		return nil, errclass.Record(topic, "%w", err)
	}
	if c.cfg.FailInvalidSchema {
		check, err := c.validator(text)
		if err != nil {
			return nil, errclass.Record(topic, "schema id %d: %w", id, err)
		}
		if err := validate(check, b[confluentwire.HeaderLen:]); err != nil {
			return nil, errclass.Record(topic, "schema id %d: value does not validate: %w", id, err)
		}
	}
	return b, nil
}

// schemaText returns the JSON Schema text of s, converted once (a failure too).
func (c *Converter) schemaText(s *record.Schema) ([]byte, error) {
	e, _ := c.out.Get(s, func() (*outEnt, error) {
		text, err := fromConnectSchema(s)
		return &outEnt{text: text, err: err}, nil
	}, nil)
	return e.text, e.err
}

// validator returns the compiled validator of the JSON Schema text; a failure is not kept.
func (c *Converter) validator(text []byte) (*jsonschema.Schema, error) {
	return c.valid.Get(string(text), func() (*jsonschema.Schema, error) { return compileValidator(string(text)) }, nil)
}

// idFor returns the id of the schema text under subject, asking the registry once.
func (c *Converter) idFor(topic, subject string, text []byte) (int, error) {
	return c.ids.Get(subject+"\x00"+string(text), func() (int, error) {
		s := schemaregistry.Schema{Type: schemaregistry.JSONSchema, Schema: string(text)}
		got, err := registryconv.SchemaID(context.Background(), c.reg, topic, subject, s, c.cfg.AutoRegisterSchemas, c.cfg.UseLatestVersion)
		return got.ID, err
	}, nil)
}
