// Package registryconv holds what Confluent's schema-registry converters (AvroConverter,
// JsonSchemaConverter, ProtobufConverter) share: the settings they read alike
// (auto.register.schemas, use.latest.version, key/value.subject.name.strategy,
// schemas.cache.size and the registry client's settings passed through), the part of a
// registry client they use, the classification of registry failures, the checks their New
// makes, the fetch of a record's schema by id, the subject a record is written under, the choice
// of the id a record is framed with, and a bounded cache that fetches each key once.
//
// The package imports no AWS SDK and no Kafka client.
package registryconv

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/converters/subjectname"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// The settings every registry converter reads, as Confluent names them.
const (
	AutoRegisterSchemasProp      = "auto.register.schemas"
	UseLatestVersionProp         = "use.latest.version"
	KeySubjectNameStrategyProp   = "key.subject.name.strategy"
	ValueSubjectNameStrategyProp = "value.subject.name.strategy"
	SchemasCacheSizeProp         = "schemas.cache.size"
	// SchemaRegistryURLProp is the one registry setting the converters require.
	SchemaRegistryURLProp = "schema.registry.url"
)

// DefaultCacheSize is schemas.cache.size's default.
const DefaultCacheSize = 1000

// Settings are the settings the registry converters share.
type Settings struct {
	// Registry holds the schema registry client's settings as given (schema.registry.*,
	// basic.auth.*, bearer.auth.*): the caller builds the client from them.
	Registry map[string]string
	// SchemasCacheSize is schemas.cache.size (0 is DefaultCacheSize).
	SchemasCacheSize int
	// AutoRegisterSchemas is auto.register.schemas.
	AutoRegisterSchemas bool
	// UseLatestVersion is use.latest.version.
	UseLatestVersion bool
	// KeySubjectNameStrategy and ValueSubjectNameStrategy are key.subject.name.strategy and
	// value.subject.name.strategy; "" is TopicNameStrategy.
	KeySubjectNameStrategy   subjectname.Strategy
	ValueSubjectNameStrategy subjectname.Strategy
}

// DefaultSettings returns Confluent's defaults: schemas registered automatically,
// TopicNameStrategy, a cache of DefaultCacheSize.
func DefaultSettings() Settings {
	return Settings{AutoRegisterSchemas: true, KeySubjectNameStrategy: subjectname.TopicNameStrategy,
		ValueSubjectNameStrategy: subjectname.TopicNameStrategy, SchemasCacheSize: DefaultCacheSize}
}

// Validate reports a BadConfig error naming an invalid setting.
func (s Settings) Validate() error {
	if s.SchemasCacheSize < 0 {
		return errclass.Config(SchemasCacheSizeProp, "must not be negative, got %d", s.SchemasCacheSize)
	}
	for prop, st := range map[string]subjectname.Strategy{KeySubjectNameStrategyProp: s.KeySubjectNameStrategy, ValueSubjectNameStrategyProp: s.ValueSubjectNameStrategy} {
		if _, ok := subjectname.Parse(string(st)); !ok {
			return errclass.Config(prop, "unknown subject name strategy %q (%s)", st, subjectname.Known)
		}
	}
	return nil
}

// ParseSettings reads the shared settings of the converter named converter (for messages) from
// props (the key.converter. or value.converter. prefix already stripped) over DefaultSettings.
// own maps the converter's own boolean settings to where they are stored. The registry client's
// settings go to Settings.Registry unparsed; schema.registry.url is required. An unknown setting
// or an invalid value is a BadConfig error naming it.
func ParseSettings(converter string, props map[string]string, own map[string]*bool) (Settings, error) {
	s := DefaultSettings()
	s.Registry = map[string]string{}
	for k, raw := range props {
		v := strings.TrimSpace(raw)
		var err error
		switch k {
		case AutoRegisterSchemasProp:
			s.AutoRegisterSchemas, err = config.ParseBool(k, v)
		case UseLatestVersionProp:
			s.UseLatestVersion, err = config.ParseBool(k, v)
		case KeySubjectNameStrategyProp, ValueSubjectNameStrategyProp:
			st, ok := subjectname.Parse(v)
			if !ok {
				err = errclass.Config(k, "unknown subject name strategy %q (%s)", raw, subjectname.Known)
			} else if k == KeySubjectNameStrategyProp {
				s.KeySubjectNameStrategy = st
			} else {
				s.ValueSubjectNameStrategy = st
			}
		case SchemasCacheSizeProp:
			if s.SchemasCacheSize, err = strconv.Atoi(v); err != nil {
				err = errclass.Config(k, "must be an integer, got %q", raw)
			}
		default:
			if dst, ok := own[k]; ok {
				*dst, err = config.ParseBool(k, v)
				break
			}
			if schemaregistry.IsRegistryProp(k) {
				s.Registry[k] = raw
				continue
			}
			known := []string{AutoRegisterSchemasProp, UseLatestVersionProp, KeySubjectNameStrategyProp,
				ValueSubjectNameStrategyProp, SchemasCacheSizeProp}
			for name := range own {
				known = append(known, name)
			}
			slices.Sort(known)
			err = errclass.Config(k, "unknown %s setting (known: %s, and the registry's schema.registry.*, basic.auth.*, bearer.auth.*)", converter, strings.Join(known, ", "))
		}
		if err != nil {
			return Settings{}, err
		}
	}
	if strings.TrimSpace(s.Registry[SchemaRegistryURLProp]) == "" {
		return Settings{}, errclass.Config(SchemaRegistryURLProp, "required by the %s", converter)
	}
	return s, s.Validate()
}

// CacheSize returns the cache bound schemas.cache.size n gives (n <= 0 is DefaultCacheSize).
func CacheSize(n int) int {
	if n <= 0 {
		return DefaultCacheSize
	}
	return n
}

// Registry is the part of a schema registry client the converters use; the client in
// converters/schemaregistry implements it.
type Registry interface {
	SchemaByID(ctx context.Context, id int) (schemaregistry.Schema, error)
	Register(ctx context.Context, subject string, s schemaregistry.Schema) (int, error)
	Lookup(ctx context.Context, subject string, s schemaregistry.Schema) (schemaregistry.Schema, error)
	Latest(ctx context.Context, subject string) (schemaregistry.Schema, error)
}

// Error classifies a registry failure for a record of topic: the class the client gave it;
// else BadRecord for a schema or subject the registry does not have or refuses (404, 409,
// 422), Retriable for the rest (outages, timeouts). The message is format and args, then err.
func Error(topic string, err error, format string, args ...any) error {
	class := errclass.Of(err)
	if class == errclass.Unknown {
		class = errclass.Retriable
		if errors.Is(err, schemaregistry.ErrNotFound) || errors.Is(err, schemaregistry.ErrIncompatible) || errors.Is(err, schemaregistry.ErrInvalidSchema) {
			class = errclass.BadRecord
		}
	}
	return errclass.New(class, topic, fmt.Errorf(format+": %w", append(args, err)...))
}

// SchemaID finds the id a record of topic with schema s is framed with under subject: s
// registered (autoRegister), else the subject's latest version (useLatest; the whole version
// is returned), else s looked up. Failures are classified by Error.
func SchemaID(ctx context.Context, reg Registry, topic, subject string, s schemaregistry.Schema, autoRegister, useLatest bool) (schemaregistry.Schema, error) {
	switch {
	case autoRegister:
		id, err := reg.Register(ctx, subject, s)
		if err != nil {
			return schemaregistry.Schema{}, Error(topic, err, "registering the schema under subject %q", subject)
		}
		return schemaregistry.Schema{ID: id, Type: s.Type, Schema: s.Schema}, nil
	case useLatest:
		got, err := reg.Latest(ctx, subject)
		if err != nil {
			return schemaregistry.Schema{}, Error(topic, err, "latest version of subject %q", subject)
		}
		return got, nil
	default:
		got, err := reg.Lookup(ctx, subject, s)
		if err != nil {
			return schemaregistry.Schema{}, Error(topic, err, "looking up the schema under subject %q", subject)
		}
		return got, nil
	}
}

// Strategy returns the subject name strategy in force for a key (isKey) or a value converter.
func (s Settings) Strategy(isKey bool) subjectname.Strategy {
	return subjectname.Choose(isKey, s.KeySubjectNameStrategy, s.ValueSubjectNameStrategy)
}
