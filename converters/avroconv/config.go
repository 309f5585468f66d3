package avroconv

import (
	"strings"

	"github.com/lambda-connect/lambda-connect/converters/registryconv"
	"github.com/lambda-connect/lambda-connect/converters/subjectname"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// The AvroConverter's own settings, as Confluent names them.
const (
	AutoRegisterSchemasProp      = registryconv.AutoRegisterSchemasProp
	UseLatestVersionProp         = registryconv.UseLatestVersionProp
	KeySubjectNameStrategyProp   = registryconv.KeySubjectNameStrategyProp
	ValueSubjectNameStrategyProp = registryconv.ValueSubjectNameStrategyProp
	SchemasCacheSizeProp         = registryconv.SchemasCacheSizeProp
	// LatestCompatibilityStrictProp is accepted for compatibility with Confluent's configurations;
	// use.latest.version here always requires the record's schema to be the latest one, or
	// data that the latest schema can write.
	LatestCompatibilityStrictProp = "latest.compatibility.strict"
	// SchemaRegistryURLProp is the one registry setting the converter requires.
	SchemaRegistryURLProp = registryconv.SchemaRegistryURLProp
)

// SubjectNameStrategy chooses the registry subject a schema is registered and looked up under:
// subjectname.Strategy by its simple name (Confluent's class name without StrategyPackage).
type SubjectNameStrategy string

// The subject name strategies, by Confluent's class simple names.
const (
	// TopicNameStrategy: <topic>-key or <topic>-value (the default).
	TopicNameStrategy SubjectNameStrategy = "TopicNameStrategy"
	// RecordNameStrategy: the record's full name.
	RecordNameStrategy SubjectNameStrategy = "RecordNameStrategy"
	// TopicRecordNameStrategy: <topic>-<record full name>.
	TopicRecordNameStrategy SubjectNameStrategy = "TopicRecordNameStrategy"
)

// StrategyPackage is the Java package of Confluent's subject name strategy classes.
const StrategyPackage = subjectname.Package

// simple returns st's simple name.
func simple(st subjectname.Strategy) SubjectNameStrategy {
	return SubjectNameStrategy(strings.TrimPrefix(string(st), StrategyPackage))
}

// ParseSubjectNameStrategy accepts a strategy's simple name or Confluent class name
// (io.confluent.kafka.serializers.subject.TopicNameStrategy).
func ParseSubjectNameStrategy(s string) (SubjectNameStrategy, error) {
	if st, ok := subjectname.Parse(s); ok && strings.TrimSpace(s) != "" {
		return simple(st), nil
	}
	return "", errclass.Config("subject.name.strategy", "unknown subject name strategy %q (%s, optionally prefixed by %s)", s, subjectname.Known, StrategyPackage)
}

// Subject returns the subject for a record of topic whose schema is named recordName (a record's
// full name; a primitive's type name): subjectname.Strategy.Subject ("" and an unknown strategy
// are TopicNameStrategy).
func (st SubjectNameStrategy) Subject(topic string, isKey bool, recordName string) string {
	shared := subjectname.Choose(false, "", subjectname.Strategy(st))
	subject, err := shared.Subject(topic, isKey, recordName)
	if err != nil { // a record-name strategy and no name (Avro schemas always have one)
		if shared == subjectname.RecordNameStrategy {
			return ""
		}
		return topic + "-"
	}
	return subject
}

// Config configures a Converter.
type Config struct {
	// Registry holds the schema registry client's settings as given (schema.registry.*,
	// basic.auth.*, bearer.auth.*; schemaregistry.IsRegistryProp): the caller builds the client
	// from them (schemaregistry.ConfigFromProps).
	Registry map[string]string
	// AutoRegisterSchemas is auto.register.schemas: FromConnect registers the record's schema
	// (default true); otherwise it must already be registered (or be the latest, with
	// UseLatestVersion).
	AutoRegisterSchemas bool
	// UseLatestVersion is use.latest.version: FromConnect writes with the subject's latest schema
	// instead of registering, and ToConnect reads every record with the subject's latest schema
	// (the reader schema) instead of the schema it was written with.
	UseLatestVersion bool
	// SubjectNameStrategy is value.subject.name.strategy, used when !IsKey.
	SubjectNameStrategy SubjectNameStrategy
	// KeySubjectNameStrategy is key.subject.name.strategy, used when IsKey.
	KeySubjectNameStrategy SubjectNameStrategy
	// IsKey says the converter converts record keys (subject <topic>-key).
	IsKey bool
	// SchemasCacheSize bounds the schemas kept per id and per Connect schema (default 1000).
	SchemasCacheSize int
}

// DefaultConfig returns Confluent's defaults: auto-registration on, TopicNameStrategy.
func DefaultConfig() Config {
	return Config{AutoRegisterSchemas: true, SubjectNameStrategy: TopicNameStrategy,
		KeySubjectNameStrategy: TopicNameStrategy, SchemasCacheSize: registryconv.DefaultCacheSize}
}

// Strategy returns the subject name strategy in force (the key's or the value's; "" is
// TopicNameStrategy), by its simple name.
func (c Config) Strategy() SubjectNameStrategy {
	return simple(subjectname.Choose(c.IsKey, subjectname.Strategy(c.KeySubjectNameStrategy), subjectname.Strategy(c.SubjectNameStrategy)))
}

// Validate reports a BadConfig error naming the invalid setting (registryconv.Settings.Validate).
func (c Config) Validate() error { return c.settings().Validate() }

// settings returns the settings c shares with the other registry converters.
func (c Config) settings() registryconv.Settings {
	return registryconv.Settings{Registry: c.Registry, SchemasCacheSize: c.SchemasCacheSize,
		AutoRegisterSchemas: c.AutoRegisterSchemas, UseLatestVersion: c.UseLatestVersion,
		KeySubjectNameStrategy:   subjectname.Strategy(c.KeySubjectNameStrategy),
		ValueSubjectNameStrategy: subjectname.Strategy(c.SubjectNameStrategy)}
}

// ConfigFromProps reads the converter's settings (the key.converter. or value.converter. prefix
// already stripped) over DefaultConfig. The registry client's settings go to Config.Registry
// unparsed; schema.registry.url is required. IsKey is the caller's to set. An unknown setting or
// an invalid value is a BadConfig error naming it.
func ConfigFromProps(props map[string]string) (Config, error) {
	for _, k := range []string{KeySubjectNameStrategyProp, ValueSubjectNameStrategyProp} {
		if v, ok := props[k]; ok && strings.TrimSpace(v) == "" {
			return Config{}, errclass.Config(k, "unknown subject name strategy %q (%s, optionally prefixed by %s)", v, subjectname.Known, StrategyPackage)
		}
	}
	var strict bool // latest.compatibility.strict: read, not used
	s, err := registryconv.ParseSettings("AvroConverter", props, map[string]*bool{LatestCompatibilityStrictProp: &strict})
	if err != nil {
		return Config{}, err
	}
	c := DefaultConfig()
	c.Registry, c.SchemasCacheSize = s.Registry, s.SchemasCacheSize
	c.AutoRegisterSchemas, c.UseLatestVersion = s.AutoRegisterSchemas, s.UseLatestVersion
	c.KeySubjectNameStrategy = simple(s.KeySubjectNameStrategy)
	c.SubjectNameStrategy = simple(s.ValueSubjectNameStrategy)
	return c, c.Validate()
}
