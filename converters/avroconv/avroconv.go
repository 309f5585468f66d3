// Package avroconv is Confluent's AvroConverter (io.confluent.connect.avro.AvroConverter): Avro
// binary framed in the Confluent wire format (magic byte 0, 4-byte schema id, payload) with the
// schemas kept in a schema registry.
//
// The mapping between Connect schemas and data and Avro schemas and data is AvroData's
// (SchemaFromConnect, SchemaToConnect, ToNative, FromNative), over github.com/hamba/avro/v2, and
// is used on its own by the Avro and Parquet file formats. The Converter asks the registry once
// per schema id (ToConnect: the schema, and its version under the topic's subject, which becomes
// the Connect schema's version unless the schema carries connect.version, as in Confluent's
// AvroConverter) and once per schema and subject (FromConnect), never per record.
//
// The package imports no AWS SDK and no Kafka client.
package avroconv

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hamba/avro/v2"

	"github.com/lambda-connect/lambda-connect/converters/confluentwire"
	"github.com/lambda-connect/lambda-connect/converters/registryconv"
	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Registry is the part of a schema registry client (schemaregistry.Registry) the converter uses,
// shared by the registry converters. Its errors are classified by registryconv.Error: BadRecord or
// BadConfig ones (an unknown id or subject, an incompatible or invalid schema, refused
// credentials) keep their class; any other (the registry unreachable, a 5xx) is Retriable.
type Registry = registryconv.Registry

// Converter is the AvroConverter. It is safe for concurrent use.
type Converter struct {
	cfg Config
	reg Registry

	readers *registryconv.Cache[readerKey, *reader]      // schema id (+ reader subject) -> decoding
	writers *registryconv.Cache[*record.Schema, *writer] // Connect schema -> Avro schema
	ids     *registryconv.Cache[idKey, *target]          // subject + schema text -> id
	latest  *registryconv.Cache[string, *parsedSchema]   // subject -> latest schema (use.latest.version)
}

type readerKey struct {
	id    int32
	topic string // with use.latest.version the reader schema depends on the subject
}

type idKey struct{ subject, text string }

// reader decodes the records written with one schema id.
type reader struct {
	decode  avro.Schema // the writer schema, or the writer resolved to the reader schema
	fast    decodeFn    // straight to Connect data, when reading with the writer schema
	connect *record.Schema
}

// writer is the Avro form of one Connect schema.
type writer struct {
	schema avro.Schema
	enc    encodeFn
	text   string
	name   string // record full name (or type name), for the subject name strategies
}

// target is where records of a schema are written: the id and the schema to encode with.
type target struct {
	id     int32
	schema avro.Schema // nil: the writer's own schema
}

type parsedSchema struct {
	id, version int
	schema      avro.Schema
}

// New returns an AvroConverter over reg.
func New(cfg Config, reg Registry) (*Converter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if reg == nil {
		return nil, errclass.Config(SchemaRegistryURLProp, "no schema registry client")
	}
	size := cfg.SchemasCacheSize
	return &Converter{cfg: cfg, reg: reg,
		readers: registryconv.NewCache[readerKey, *reader](size),
		writers: registryconv.NewCache[*record.Schema, *writer](size),
		ids:     registryconv.NewCache[idKey, *target](size),
		latest:  registryconv.NewCache[string, *parsedSchema](size)}, nil
}

// keep says which failures the caches keep: BadRecord and BadConfig ones (an unknown id stays
// unknown: the registry is not asked again per record); others (outages) are retried.
func keep(err error) bool {
	return errclass.Is(err, errclass.BadRecord) || errclass.Is(err, errclass.BadConfig)
}

// Config returns the converter's configuration.
func (c *Converter) Config() Config { return c.cfg }

// ToConnect decodes a Confluent-framed Avro record. A nil data is a null (a tombstone). A corrupt
// frame, an unknown schema id or undecodable bytes are BadRecord errors naming the topic; a
// registry that cannot be reached is a Retriable one.
func (c *Converter) ToConnect(topic string, _ []record.Header, data []byte) (*record.Schema, any, error) {
	if data == nil {
		return nil, nil, nil
	}
	id, payload, err := confluentwire.Decode(data)
	if err != nil {
		return nil, nil, errclass.Record(topic, "avro: not a Confluent-framed record: %w", err)
	}
	key := readerKey{id: id}
	if c.cfg.UseLatestVersion {
		key.topic = topic
	}
	r, err := c.readers.Get(key, func() (*reader, error) { return c.newReader(topic, id) }, keep)
	if err != nil {
		return nil, nil, onTopic(err, topic)
	}
	if r.fast != nil {
		v, err := decodeFast(r.fast, payload)
		if err != nil {
			return nil, nil, errclass.Record(topic, "avro: decoding a record of schema id %d: %w", id, err)
		}
		return r.connect, v, nil
	}
	native, err := decode(r.decode, payload)
	if err != nil {
		return nil, nil, errclass.Record(topic, "avro: decoding a record of schema id %d: %w", id, err)
	}
	v, err := FromNative(r.connect, native)
	if err != nil {
		return nil, nil, errclass.Record(topic, "avro: record of schema id %d: %w", id, err)
	}
	return r.connect, v, nil
}

// decode decodes one Avro datum into hamba's generic values. A union at the top decodes as
// {branch: value} (or nil), as it does inside records.
func decode(a avro.Schema, payload []byte) (any, error) {
	if _, ok := deref(a).(*avro.UnionSchema); ok {
		var m map[string]any
		if err := avro.Unmarshal(a, payload, &m); err != nil {
			return nil, err
		}
		if m == nil {
			return nil, nil
		}
		return m, nil
	}
	var native any
	err := avro.Unmarshal(a, payload, &native)
	return native, err
}

// onTopic names topic as the subject of a classified error (cached errors name the topic of
// the record that first met them).
func onTopic(err error, topic string) error {
	var e *errclass.Error
	if errors.As(err, &e) && e.Subject != topic {
		return &errclass.Error{Class: e.Class, Subject: topic, Err: e.Err}
	}
	return err
}

func parseSchema(s schemaregistry.Schema) (avro.Schema, error) {
	if s.Type != "" && s.Type != schemaregistry.Avro {
		return nil, fmt.Errorf("a %s schema, not Avro", s.Type)
	}
	if len(s.References) > 0 {
		return nil, errors.New("schema references are not supported")
	}
	return avro.ParseWithCache(s.Schema, "", &avro.SchemaCache{})
}

func (c *Converter) newReader(topic string, id int32) (*reader, error) {
	ctx := context.Background()
	rs, err := c.reg.SchemaByID(ctx, int(id))
	if err != nil {
		return nil, registryconv.Error(topic, err, "avro: fetching schema id %d", id)
	}
	w, err := parseSchema(rs)
	if err != nil {
		return nil, errclass.Record(topic, "avro: schema id %d: %w", id, err)
	}
	r := &reader{decode: w}
	readerSchema := w
	version := 0 // the registry's version of the schema read with, when known
	if c.cfg.UseLatestVersion {
		subject := c.cfg.Strategy().Subject(topic, c.cfg.IsKey, typeName(w))
		latest, err := c.latestSchema(subject)
		if err != nil {
			return nil, err
		}
		if latest.id != int(id) {
			resolved, err := avro.NewSchemaCompatibility().Resolve(latest.schema, w)
			if err != nil {
				return nil, errclass.Record(topic, "avro: schema id %d cannot be read with the latest schema of subject %s (id %d): %w", id, subject, latest.id, err)
			}
			r.decode, readerSchema = resolved, latest.schema
		}
		version = latest.version
	}
	if r.connect, err = SchemaToConnect(readerSchema); err != nil {
		return nil, errclass.Record(topic, "avro: schema id %d: %w", id, err)
	}
	if r.connect.Version == 0 {
		// As Confluent's AvroConverter: a schema without connect.version takes the registry's
		// version of it under the subject of the record's topic (connect.version, set by a
		// Connect source, takes priority).
		if version == 0 {
			if version, err = c.registryVersion(ctx, topic, id, rs, w); err != nil {
				return nil, err
			}
		}
		if version != 0 {
			versioned := *r.connect
			versioned.Version = int32(version)
			r.connect = &versioned
		}
	}
	if readerSchema == w {
		if r.fast, err = compileDecoder(w, r.connect); err != nil {
			return nil, errclass.Record(topic, "avro: schema id %d: %w", id, err)
		}
	}
	return r, nil
}

// registryVersion returns the version of schema id under the subject the subject name strategy
// gives the topic. A registry that cannot be reached is a Retriable error (the record waits for
// it, as in Confluent's converter); a schema the subject does not hold (written under another
// subject or strategy) is not an error: its records decode without a version, and a warning is
// logged once per schema id.
func (c *Converter) registryVersion(ctx context.Context, topic string, id int32, rs schemaregistry.Schema, w avro.Schema) (int, error) {
	subject := c.cfg.Strategy().Subject(topic, c.cfg.IsKey, typeName(w))
	found, err := c.reg.Lookup(ctx, subject, rs)
	if err == nil {
		return found.Version, nil
	}
	if e := registryconv.Error(topic, err, "avro: looking up the version of schema id %d under subject %s", id, subject); errclass.Is(e, errclass.Retriable) {
		return 0, e
	}
	slog.Warn("avro: the registry has no version of the schema under the topic's subject; its records have no schema version",
		"topic", topic, "schema_id", id, "subject", subject, "err", err)
	return 0, nil
}

func (c *Converter) latestSchema(subject string) (*parsedSchema, error) {
	return c.latest.Get(subject, func() (*parsedSchema, error) {
		s, err := c.reg.Latest(context.Background(), subject)
		if err != nil {
			return nil, registryconv.Error(subject, err, "avro: latest schema of subject %s", subject)
		}
		a, err := parseSchema(s)
		if err != nil {
			return nil, errclass.Record(subject, "avro: latest schema of subject %s (id %d): %w", subject, s.ID, err)
		}
		return &parsedSchema{id: s.ID, version: s.Version, schema: a}, nil
	}, keep)
}

// FromConnect encodes value as a Confluent-framed Avro record. A nil value is a null (a
// tombstone); schemaless data cannot be written as Avro (a BadRecord error).
func (c *Converter) FromConnect(topic string, _ []record.Header, schema *record.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	if schema == nil {
		return nil, errclass.Record(topic, "avro: schemaless data (%T) cannot be written as Avro: use a converter that gives records a schema", value)
	}
	w, err := c.writers.Get(schema, func() (*writer, error) { return newWriter(topic, schema) }, keep)
	if err != nil {
		return nil, onTopic(err, topic)
	}
	subject := c.cfg.Strategy().Subject(topic, c.cfg.IsKey, w.name)
	key := idKey{subject, w.text}
	if t, ok := c.ids.Peek(key); ok && t.schema == nil {
		// The common case: the schema's id is known and records are written with it.
		var header [confluentwire.HeaderLen]byte
		out, err := encodeFast(w.enc, confluentwire.Encode(header[:0], t.id), value)
		if err != nil {
			return nil, errclass.Record(topic, "%w", err)
		}
		return out, nil
	}
	// Encode before finding the id, so that a record that cannot be written registers nothing;
	// the id goes into the header once known.
	out, err := encodeFast(w.enc, confluentwire.Encode(nil, 0), value)
	if err != nil {
		return nil, errclass.Record(topic, "%w", err)
	}
	t, err := c.ids.Get(key, func() (*target, error) { return c.newTarget(subject, w) }, keep)
	if err != nil {
		return nil, onTopic(err, topic)
	}
	if t.schema == nil {
		binary.BigEndian.PutUint32(out[1:confluentwire.HeaderLen], uint32(t.id))
		return out, nil
	}
	// use.latest.version with a latest schema other than the record's: hamba writes the record's
	// generic form with the latest schema, matching fields by name.
	native, err := ToNativeFor(w.schema, schema, value)
	if err != nil {
		return nil, errclass.Record(topic, "%w", err)
	}
	payload, err := avro.Marshal(t.schema, native)
	if err != nil {
		return nil, errclass.Record(topic, "avro: encoding under the latest schema, id %d, of subject %s: %w", t.id, subject, err)
	}
	return append(confluentwire.Encode(make([]byte, 0, confluentwire.HeaderLen+len(payload)), t.id), payload...), nil
}

func newWriter(topic string, s *record.Schema) (*writer, error) {
	a, err := SchemaFromConnect(s)
	if err != nil {
		return nil, errclass.Record(topic, "%w", err)
	}
	text, err := json.Marshal(a)
	if err != nil {
		return nil, errclass.Record(topic, "avro: writing the schema: %w", err)
	}
	enc, err := compileEncoder(a, s, "")
	if err != nil {
		return nil, errclass.Record(topic, "%w", err)
	}
	return &writer{schema: a, enc: enc, text: string(text), name: typeName(a)}, nil
}

func (c *Converter) newTarget(subject string, w *writer) (*target, error) {
	ctx := context.Background()
	rs := schemaregistry.Schema{Type: schemaregistry.Avro, Schema: w.text}
	switch {
	case c.cfg.UseLatestVersion:
		latest, err := c.latestSchema(subject)
		if err != nil {
			return nil, err
		}
		t := &target{id: int32(latest.id)}
		if latest.schema.Fingerprint() != w.schema.Fingerprint() {
			t.schema = latest.schema
		}
		return t, nil
	case c.cfg.AutoRegisterSchemas:
		id, err := c.reg.Register(ctx, subject, rs)
		if err != nil {
			return nil, registryconv.Error(subject, err, "avro: registering the schema under subject %s", subject)
		}
		return &target{id: int32(id)}, nil
	default:
		found, err := c.reg.Lookup(ctx, subject, rs)
		if err != nil {
			return nil, registryconv.Error(subject, err, "avro: looking up the schema under subject %s (auto.register.schemas=false)", subject)
		}
		return &target{id: int32(found.ID)}, nil
	}
}
