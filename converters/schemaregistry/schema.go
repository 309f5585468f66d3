// Package schemaregistry is a client of the Confluent Schema Registry REST API: schemas by id and by
// subject, registration, compatibility checks, cached so that a schema is fetched once per id and
// never per record. It speaks HTTP only: no AWS SDK, no Kafka client.
package schemaregistry

import "context"

// The schema types the registry knows (its "schemaType" field; an absent field means Avro).
const (
	Avro       = "AVRO"
	JSONSchema = "JSON"
	Protobuf   = "PROTOBUF"
)

// Reference is a schema reference: a named import resolved to a subject's version.
type Reference struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

// Schema is one registered (or to-be-registered) schema. ID and, when known, Subject and Version
// identify it in the registry; Type is Avro, JSONSchema or Protobuf (never empty once returned
// by the client); Schema is the schema's text as registered.
type Schema struct {
	ID         int         `json:"id,omitempty"`
	Subject    string      `json:"subject,omitempty"`
	Version    int         `json:"version,omitempty"`
	Type       string      `json:"schemaType,omitempty"`
	Schema     string      `json:"schema"`
	References []Reference `json:"references,omitempty"`
}

// Registry is the set of calls the converters make of a schema registry. The client in this
// package implements it; converters declare the subset they use (interfaces at the consumer), and
// tests may pass any implementation.
type Registry interface {
	// SchemaByID returns the schema registered under id (GET /schemas/ids/{id}).
	SchemaByID(ctx context.Context, id int) (Schema, error)
	// Register registers s under subject, or finds it if already registered, and returns its id
	// (POST /subjects/{subject}/versions).
	Register(ctx context.Context, subject string, s Schema) (int, error)
	// Lookup returns the registered id and version of s under subject without registering it
	// (POST /subjects/{subject}).
	Lookup(ctx context.Context, subject string, s Schema) (Schema, error)
	// Latest returns the latest version under subject (GET /subjects/{subject}/versions/latest).
	Latest(ctx context.Context, subject string) (Schema, error)
}
