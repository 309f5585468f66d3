// Package bytesconv is Kafka Connect's ByteArrayConverter
// (org.apache.kafka.connect.converters.ByteArrayConverter): bytes pass through unchanged as an
// optional bytes value.
package bytesconv

import (
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Config configures a Converter. The ByteArrayConverter has no settings.
type Config struct{}

// Validate always succeeds: there is nothing to validate.
func (Config) Validate() error { return nil }

// ConfigFromProps rejects every setting with a BadConfig error naming it: the
// ByteArrayConverter has none.
func ConfigFromProps(props map[string]string) (Config, error) {
	for k := range props {
		return Config{}, errclass.Config(k, "unknown ByteArrayConverter setting (it has none)")
	}
	return Config{}, nil
}

// Converter is the ByteArrayConverter. It is safe for concurrent use.
type Converter struct{}

// New returns a ByteArrayConverter.
func New(cfg Config) (*Converter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Converter{}, nil
}

// ToConnect returns data itself (not a copy) as an optional bytes value; nil gives nil.
func (c *Converter) ToConnect(_ string, _ []record.Header, data []byte) (*record.Schema, any, error) {
	if data == nil {
		return record.OptionalBytes, nil, nil
	}
	return record.OptionalBytes, data, nil
}

// FromConnect returns a []byte or RawJSON value as it is. A schema other than bytes, or a value
// of another type, is a BadRecord error, as in Connect.
func (c *Converter) FromConnect(_ string, _ []record.Header, schema *record.Schema, value any) ([]byte, error) {
	if schema != nil && schema.Type != record.Bytes {
		return nil, errclass.Record("", "invalid schema type for ByteArrayConverter: %s", schema.Type)
	}
	switch v := value.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	case record.RawJSON:
		return []byte(v), nil
	}
	return nil, errclass.Record("", "ByteArrayConverter is not compatible with values of type %T", value)
}
