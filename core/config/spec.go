// Package config holds connector configuration: one Spec per connector (name, type, default,
// documentation, validation of every key) drives parsing, validation, the README's configuration
// table and the SAM template's parameters.
//
// Settings come from CONNECT_* environment variables, with the convention of Confluent's Connect
// images (CONNECT_S3_BUCKET_NAME is s3.bucket.name: prefix CONNECT_, "_" for ".", "__" for "_",
// "___" for "-"), and optionally from a JSON or .properties file named by CONNECTOR_CONFIG_FILE;
// the environment wins. The package imports no AWS SDK and no Kafka client.
package config

// Type is a setting's type, with Kafka Connect's names.
type Type int

// The setting types.
const (
	String Type = iota
	Int
	Long
	Double
	Boolean
	List     // comma-separated, blanks trimmed
	Password // a String that is never printed
	Class    // a class name: one of Enum (short or long names), compared case-sensitively
)

// Key describes one setting.
type Key struct {
	Name     string
	Type     Type
	Default  string // the default as text ("" and Required false: no default, the setting is optional)
	Required bool
	Doc      string
	// Enum lists the accepted values, when there is a closed set. For Class keys, Aliases maps
	// each accepted spelling (long class name, short name) to its canonical value in Enum.
	Enum    []string
	Aliases map[string]string
	// Validate checks the parsed value (string, int, int64, float64, bool or []string by Type);
	// its error is reported with the key's name.
	Validate func(v any) error
	// Parameter is the SAM template parameter that sets this key ("" when the template does not
	// expose it); the template passes it as the key's CONNECT_* environment variable.
	Parameter string
}

// Spec is one connector's configuration specification.
type Spec struct {
	// Connector is the connector's name as used in docs and templates ("s3-sink").
	Connector string
	Keys      []Key
	// Prefixes are key prefixes whose settings are passed through to a component that validates
	// them itself (for example "key.converter." and "value.converter.").
	Prefixes []string
	// Ignored are Kafka Connect keys accepted for compatibility that mean nothing here
	// ("connector.class", "tasks.max", "topics"); they are logged, not rejected.
	Ignored []string
}

// String returns the type's name as Kafka Connect's ConfigDef spells it ("string", "int", ...).
func (t Type) String() string {
	switch t {
	case String:
		return "string"
	case Int:
		return "int"
	case Long:
		return "long"
	case Double:
		return "double"
	case Boolean:
		return "boolean"
	case List:
		return "list"
	case Password:
		return "password"
	case Class:
		return "class"
	default:
		return "unknown"
	}
}

// Key returns the key named name, or nil when the spec has none.
func (s *Spec) Key(name string) *Key {
	for i := range s.Keys {
		if s.Keys[i].Name == name {
			return &s.Keys[i]
		}
	}
	return nil
}
