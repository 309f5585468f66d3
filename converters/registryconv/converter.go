package registryconv

import (
	"context"

	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// ParseInto reads props into s, the Settings a converter's Config embeds, as ParseSettings does
// for the converter named converter with its own boolean settings own. s is left unchanged on an
// error.
func ParseInto(s *Settings, converter string, props map[string]string, own map[string]*bool) error {
	got, err := ParseSettings(converter, props, own)
	if err != nil {
		return err
	}
	*s = got
	return nil
}

// CheckNew reports why a converter cannot be made of settings s and registry reg: s is invalid
// (Settings.Validate), or there is no registry (a BadConfig error naming schema.registry.url).
func CheckNew(s Settings, reg Registry) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if reg == nil {
		return errclass.Config(SchemaRegistryURLProp, "a schema registry is required")
	}
	return nil
}

// FetchSchema fetches the schema of id for a record of topic. A registry failure is classified by
// Error; a schema of a type other than typ (schemaregistry.JSONSchema, schemaregistry.Protobuf,
// ...), which the message calls typeName, is a BadRecord error. A schema without a type is
// accepted.
func FetchSchema(ctx context.Context, reg Registry, topic string, id int, typ, typeName string) (schemaregistry.Schema, error) {
	s, err := reg.SchemaByID(ctx, id)
	if err != nil {
		return schemaregistry.Schema{}, Error(topic, err, "schema id %d", id)
	}
	if s.Type != "" && s.Type != typ {
		return schemaregistry.Schema{}, errclass.Record(topic, "schema id %d is a %s schema, not %s", id, s.Type, typeName)
	}
	return s, nil
}

// Subject returns the subject a record of topic whose schema is named recordName is written
// under by a key (isKey) or value converter with settings s. A strategy that cannot name it (a
// record-name strategy and no name) is a BadRecord error.
func Subject(s Settings, topic string, isKey bool, recordName string) (string, error) {
	subject, err := s.Strategy(isKey).Subject(topic, isKey, recordName)
	if err != nil {
		return "", errclass.Record(topic, "%w", err)
	}
	return subject, nil
}
