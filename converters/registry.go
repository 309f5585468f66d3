package converters

import (
	"errors"
	"strings"

	"github.com/lambda-connect/lambda-connect/converters/bytesconv"
	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/converters/stringconv"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// The Connect class names of the converters, as key.converter / value.converter accept them.
const (
	StringConverterClass    = "org.apache.kafka.connect.storage.StringConverter"
	ByteArrayConverterClass = "org.apache.kafka.connect.converters.ByteArrayConverter"
	JsonConverterClass      = "org.apache.kafka.connect.json.JsonConverter"
)

// aliases maps every accepted spelling to its canonical class name.
var aliases = map[string]string{
	StringConverterClass:    StringConverterClass,
	"StringConverter":       StringConverterClass,
	"string":                StringConverterClass,
	ByteArrayConverterClass: ByteArrayConverterClass,
	"ByteArrayConverter":    ByteArrayConverterClass,
	"bytes":                 ByteArrayConverterClass,
	JsonConverterClass:      JsonConverterClass,
	"JsonConverter":         JsonConverterClass,
	"json":                  JsonConverterClass,
}

// Classes returns the canonical class names of the converters and every accepted spelling
// (canonical names included) mapped to its canonical name: the Enum and Aliases of a
// config.Class setting. The results are copies.
func Classes() (canonical []string, spellings map[string]string) {
	canonical = []string{JsonConverterClass, StringConverterClass, ByteArrayConverterClass}
	spellings = make(map[string]string, len(aliases))
	for k, v := range aliases {
		spellings[k] = v
	}
	return canonical, spellings
}

// New returns the converter named by class (a Connect class name, a short name such as
// JsonConverter, or string, bytes, json), configured by props: the settings under the
// key.converter. or value.converter. prefix (isKey chooses which), prefix stripped. An unknown
// class, an unknown setting or an invalid value is an errclass.BadConfig error naming the
// setting as the connector's configuration spells it (value.converter.schemas.enable).
func New(class string, isKey bool, props map[string]string) (Converter, error) {
	setting := "value.converter"
	if isKey {
		setting = "key.converter"
	}
	name := strings.TrimSpace(class)
	canonical, ok := aliases[name]
	if !ok {
		known, _ := Classes()
		if name == "" {
			return nil, errclass.Config(setting, "no converter class set (one of %s)", strings.Join(known, ", "))
		}
		return nil, errclass.Config(setting, "unknown converter class %q (supported: %s, or their short names)", class, strings.Join(known, ", "))
	}
	var (
		conv Converter
		err  error
	)
	switch canonical {
	case StringConverterClass:
		var cfg stringconv.Config
		if cfg, err = stringconv.ConfigFromProps(props); err == nil {
			conv, err = stringconv.New(cfg)
		}
	case ByteArrayConverterClass:
		var cfg bytesconv.Config
		if cfg, err = bytesconv.ConfigFromProps(props); err == nil {
			conv, err = bytesconv.New(cfg)
		}
	case JsonConverterClass:
		var cfg jsonconv.Config
		if cfg, err = jsonconv.ConfigFromProps(props); err == nil {
			conv, err = jsonconv.New(cfg)
		}
	}
	if err != nil {
		return nil, prefixed(err, setting+".")
	}
	return conv, nil
}

// prefixed names a converter setting error by its full setting name.
func prefixed(err error, prefix string) error {
	var e *errclass.Error
	if errors.As(err, &e) && e.Subject != "" {
		return &errclass.Error{Class: e.Class, Subject: prefix + e.Subject, Err: e.Err}
	}
	return errclass.New(errclass.BadConfig, strings.TrimSuffix(prefix, "."), err)
}
