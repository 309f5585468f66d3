// Package protobufconv is Confluent's ProtobufConverter (io.confluent.connect.protobuf.ProtobufConverter):
// records framed for a schema registry (magic byte 0, 4-byte big-endian schema id, message
// indexes, Protobuf binary) whose .proto schema is held by the registry.
//
// ToConnect reads the schema id and message indexes, fetches the .proto text once per id
// (resolving its references through the registry; google/protobuf/*.proto and the files
// Confluent treats as built in -- confluent/meta.proto, confluent/type/decimal.proto,
// google/type/date.proto, google/type/timeofday.proto -- need none), compiles it with
// protocompile (cached per id), decodes the payload with dynamicpb and converts it as Confluent's
// ProtobufData.toConnectData:
//
//   - a message is a struct named by the message's name (its full name with
//     enhanced.protobuf.schema.support=true); its fields are, first, one per (non-synthetic)
//     oneof, named <oneof>_<index>, a struct named io.confluent.connect.protobuf.Union.<oneof>
//     whose only non-null field is the one set; then the other fields in declaration order;
//   - every field is optional and carries its number in the io.confluent.connect.protobuf.Tag
//     parameter; an unset message field, or an unset field with explicit presence (proto3
//     optional), is null; other unset fields hold their default value, as Protobuf reads them;
//   - int32/sint32/sfixed32 are int32 (int8/int16 with a connect.type field_meta option),
//     uint32/fixed32 and all 64-bit integers are int64 (uint64 above 2^63-1 wraps, as Java's
//     long), float is float32, double float64; bool, string and bytes are themselves; an enum is
//     a string holding the symbol, with io.confluent.connect.protobuf.Enum parameters;
//   - repeated is an array of optional elements; map<K,V> is a map, entries sorted by key (the
//     wire order is lost); Confluent's repeated XEntry {key, value} is a map in wire order;
//   - google.protobuf.Timestamp is a Connect Timestamp, google.type.Date a Date,
//     google.type.TimeOfDay a Time, confluent.type.Decimal a Decimal (scale from the field's
//     field_meta, as Confluent writes it); google.protobuf wrappers (Int32Value, StringValue,
//     ...) are the optional primitive they wrap (Confluent's default gives a struct {value}:
//     here a null wrapper is a null, which is what wrappers mean).
//
// FromConnect converts a struct schema into .proto text as ProtobufData.fromConnectSchema (syntax
// proto3, the package and message from the schema name, fields numbered in order or by their
// Tag parameter), registers it (auto.register.schemas, default true) or finds its id (a lookup)
// once per schema and subject, encodes the value with dynamicpb and frames it with message
// indexes [0]. With use.latest.version=true (and auto-registration off) the value is written,
// field by field name, as the message of the same full name (else the first message) of the
// subject's latest schema, framed with that schema's id and the message's indexes. Null fields
// are left unset (optional.for.nullables=true writes optional primitives with the proto3
// optional label, so that nulls read back as nulls). A nil value is a tombstone and gives nil.
//
// Errors: a bad frame, unknown message indexes, an unknown schema id, a schema that does not
// compile and bytes that do not decode are errclass.BadRecord errors naming the topic; a
// registry failure keeps the class the registry client gives it (unclassified errors are
// Retriable).
//
// The package imports no AWS SDK and no Kafka client.
package protobufconv

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/lambda-connect/lambda-connect/converters/confluentwire"
	"github.com/lambda-connect/lambda-connect/converters/registryconv"
	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/converters/subjectname"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// The converter's own settings, as Confluent names them.
const (
	AutoRegisterSchemasProp      = registryconv.AutoRegisterSchemasProp
	UseLatestVersionProp         = registryconv.UseLatestVersionProp
	KeySubjectNameStrategyProp   = registryconv.KeySubjectNameStrategyProp
	ValueSubjectNameStrategyProp = registryconv.ValueSubjectNameStrategyProp
	EnhancedSchemaSupportProp    = "enhanced.protobuf.schema.support"
	OptionalForNullablesProp     = "optional.for.nullables"
	SchemasCacheSizeProp         = registryconv.SchemasCacheSizeProp
	// SchemaRegistryURLProp is the one registry setting the converter requires.
	SchemaRegistryURLProp = registryconv.SchemaRegistryURLProp
)

// SubjectNameStrategy names the registry subject a schema is registered under
// (RecordNameStrategy uses the message's full name).
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
	// EnhancedSchemaSupport is enhanced.protobuf.schema.support: structs are named by the
	// message's full name (package included).
	EnhancedSchemaSupport bool
	// OptionalForNullables is optional.for.nullables: FromConnect declares optional primitive
	// fields with the proto3 optional label.
	OptionalForNullables bool
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
	if err := registryconv.ParseInto(&c.Settings, "ProtobufConverter", props, map[string]*bool{
		EnhancedSchemaSupportProp: &c.EnhancedSchemaSupport,
		OptionalForNullablesProp:  &c.OptionalForNullables,
	}); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Registry is the part of a schema registry client the converter uses; the client in
// converters/schemaregistry implements it.
type Registry = registryconv.Registry

// VersionGetter is implemented by registries that fetch a subject's given version
// (GET /subjects/{subject}/versions/{version}), as schemaregistry.Client does; the converter uses
// it to resolve schema references. Without it, a reference resolves to the subject's latest
// version only when that is the version referenced.
type VersionGetter interface {
	Version(ctx context.Context, subject string, version int) (schemaregistry.Schema, error)
}

// maxIndexes bounds the message-index count a frame may claim (nesting depth).
const maxIndexes = 100

// Converter is the ProtobufConverter. It is safe for concurrent use.
type Converter struct {
	cfg Config
	reg Registry

	byID *registryconv.Cache[int, *idEntry]           // ToConnect: schema id -> compiled file
	ids  *registryconv.Cache[string, *idCall]         // FromConnect: subject + "\x00" + text -> id
	out  *registryconv.Cache[*record.Schema, *outEnt] // FromConnect: Connect schema -> .proto text and descriptor
}

// idEntry is one schema id's compiled file.
type idEntry struct {
	file protoreflect.FileDescriptor

	mu    sync.Mutex
	types map[string]*msgType // message indexes -> type
}

// msgType is a message type and its Connect schema.
type msgType struct {
	md     protoreflect.MessageDescriptor
	schema *record.Schema
	err    error
}

type outEnt struct {
	text string
	name string // the message's full name
	md   protoreflect.MessageDescriptor
	err  error
}

// idCall is one registry lookup of a schema's id. With use.latest.version, md and indexes are
// the message of the subject's latest schema that the records are written with.
type idCall struct {
	id      int
	md      protoreflect.MessageDescriptor
	indexes []int
	err     error
}

// New returns a ProtobufConverter configured by cfg that reads and registers schemas in reg.
func New(cfg Config, reg Registry) (*Converter, error) {
	if err := registryconv.CheckNew(cfg.Settings, reg); err != nil {
		return nil, err
	}
	size := cfg.SchemasCacheSize
	return &Converter{cfg: cfg, reg: reg,
		byID: registryconv.NewCache[int, *idEntry](size),
		ids:  registryconv.NewCache[string, *idCall](size),
		out:  registryconv.NewCache[*record.Schema, *outEnt](size)}, nil
}

// cacheSize bounds each cache (schemas built per record by a transform are distinct pointers).
func (c *Converter) cacheSize() int { return registryconv.CacheSize(c.cfg.SchemasCacheSize) }

// Config returns the converter's configuration.
func (c *Converter) Config() Config { return c.cfg }

// fileByID returns the compiled schema of id, fetching it once. A BadRecord failure (unknown id,
// a schema that does not compile) stays cached; other failures are retried by the next record.
func (c *Converter) fileByID(topic string, id int) (*idEntry, error) {
	return c.byID.Get(id, func() (*idEntry, error) {
		fd, err := c.fetch(topic, id)
		if err != nil {
			return nil, err
		}
		return &idEntry{file: fd, types: map[string]*msgType{}}, nil
	}, registryconv.KeepBadRecord)
}

func (c *Converter) fetch(topic string, id int) (protoreflect.FileDescriptor, error) {
	ctx := context.Background()
	s, err := registryconv.FetchSchema(ctx, c.reg, topic, id, schemaregistry.Protobuf, "Protobuf")
	if err != nil {
		return nil, err
	}
	deps := map[string]string{}
	if err := c.resolve(ctx, topic, s.References, deps, 0); err != nil {
		return nil, err
	}
	fd, err := compile(ctx, s.Schema, deps)
	if err != nil {
		return nil, errclass.Record(topic, "schema id %d: %w", id, err)
	}
	return fd, nil
}

// resolve fetches the referenced schemas (and theirs) into deps, by import name.
func (c *Converter) resolve(ctx context.Context, topic string, refs []schemaregistry.Reference, deps map[string]string, depth int) error {
	if depth > 20 {
		return errclass.Record(topic, "schema references nested deeper than 20 levels")
	}
	for _, ref := range refs {
		if _, known := knownFiles[ref.Name]; known || strings.HasPrefix(ref.Name, "google/protobuf/") {
			continue
		}
		if _, done := deps[ref.Name]; done {
			continue
		}
		var s schemaregistry.Schema
		var err error
		if vg, ok := c.reg.(VersionGetter); ok {
			s, err = vg.Version(ctx, ref.Subject, ref.Version)
		} else {
			s, err = c.reg.Latest(ctx, ref.Subject)
			if err == nil && ref.Version > 0 && s.Version != 0 && s.Version != ref.Version {
				return errclass.Record(topic, "reference %s: subject %s is at version %d, the schema needs version %d (the registry client cannot fetch older versions)",
					ref.Name, ref.Subject, s.Version, ref.Version)
			}
		}
		if err != nil {
			return registryconv.Error(topic, err, "reference %s (subject %s version %d)", ref.Name, ref.Subject, ref.Version)
		}
		deps[ref.Name] = s.Schema
		if err := c.resolve(ctx, topic, s.References, deps, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// messageType returns the message type the indexes name in e's file, with its Connect schema.
func (c *Converter) messageType(e *idEntry, indexes []int) (*msgType, error) {
	var key strings.Builder
	for _, i := range indexes {
		key.WriteString(strconv.Itoa(i))
		key.WriteByte(',')
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if t, ok := e.types[key.String()]; ok {
		return t, t.err
	}
	t := &msgType{}
	t.md, t.err = messageAt(e.file, indexes)
	if t.err == nil {
		b := schemaBuilder{fullNames: c.cfg.EnhancedSchemaSupport}
		t.schema, t.err = b.messageSchema(t.md)
	}
	if len(e.types) < c.cacheSize() {
		e.types[key.String()] = t
	}
	return t, t.err
}

// ToConnect converts a framed Protobuf record into Connect data. A nil data gives a nil schema
// and value.
func (c *Converter) ToConnect(topic string, _ []record.Header, data []byte) (*record.Schema, any, error) {
	if data == nil {
		return nil, nil, nil
	}
	id32, payload, err := confluentwire.Decode(data)
	if err != nil {
		return nil, nil, errclass.Record(topic, "Protobuf frame: %w", err)
	}
	id := int(id32)
	indexes, payload, err := confluentwire.ReadIndexes(payload)
	if err == nil && len(indexes) > maxIndexes {
		err = fmt.Errorf("%w: count %d (at most %d)", confluentwire.ErrIndexes, len(indexes), maxIndexes)
	}
	if err != nil {
		return nil, nil, errclass.Record(topic, "Protobuf frame: %w", err)
	}
	e, err := c.fileByID(topic, id)
	if err != nil {
		return nil, nil, err
	}
	t, err := c.messageType(e, indexes)
	if err != nil {
		return nil, nil, errclass.Record(topic, "schema id %d: %w", id, err)
	}
	m := dynamicpb.NewMessage(t.md)
	if err := proto.Unmarshal(payload, m); err != nil {
		return nil, nil, errclass.Record(topic, "schema id %d: message %s: %w", id, t.md.FullName(), err)
	}
	v, err := structValue(t.schema, m)
	if err != nil {
		return nil, nil, errclass.Record(topic, "schema id %d: message %s: %w", id, t.md.FullName(), err)
	}
	return t.schema, v, nil
}

// FromConnect writes value as a Protobuf message framed with the id of its schema's .proto text
// and message indexes [0]. A nil value gives nil.
func (c *Converter) FromConnect(topic string, _ []record.Header, schema *record.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	if schema == nil {
		return nil, errclass.Record(topic, "ProtobufConverter needs a schema (got schemaless %T)", value)
	}
	o := c.protoSchema(schema)
	if o.err != nil {
		return nil, errclass.Record(topic, "Protobuf schema of the record's schema: %w", o.err)
	}
	subject, err := registryconv.Subject(c.cfg.Settings, topic, c.cfg.IsKey, o.name)
	if err != nil {
		return nil, err
	}
	call, err := c.idFor(topic, subject, o)
	if err != nil {
		return nil, err
	}
	m := dynamicpb.NewMessage(call.md)
	if err := fillMessage(m, schema, value); err != nil {
		return nil, errclass.Record(topic, "schema id %d: %w", call.id, err)
	}
	b := confluentwire.AppendIndexes(confluentwire.Encode(make([]byte, 0, 64), int32(call.id)), call.indexes)
	b, err = proto.MarshalOptions{Deterministic: true}.MarshalAppend(b, m)
	if err != nil {
		return nil, errclass.Record(topic, "encoding %s: %w", o.name, err)
	}
	return b, nil
}

// ProtoText returns the .proto text FromConnect registers for schema (a struct).
func (c *Converter) ProtoText(schema *record.Schema) (string, error) {
	o := c.protoSchema(schema)
	return o.text, o.err
}

// protoSchema returns the .proto text and message of s, built once (a failure too).
func (c *Converter) protoSchema(s *record.Schema) *outEnt {
	o, _ := c.out.Get(s, func() (*outEnt, error) { return newOutEnt(s, c.cfg.OptionalForNullables), nil }, nil)
	return o
}

// newOutEnt builds the .proto text of s and compiles its message.
func newOutEnt(s *record.Schema, optionalForNullables bool) *outEnt {
	o := &outEnt{}
	o.text, o.name, o.err = protoText(s, optionalForNullables)
	if o.err == nil {
		var fd protoreflect.FileDescriptor
		fd, o.err = compile(context.Background(), o.text, nil)
		if o.err == nil {
			if fd.Messages().Len() == 0 {
				o.err = errors.New("the generated .proto text has no message")
			} else {
				o.md = fd.Messages().Get(0)
			}
		}
	}
	return o
}

// idFor returns the id (and message) to write schema o with under subject, asking the registry
// once.
func (c *Converter) idFor(topic, subject string, o *outEnt) (*idCall, error) {
	return c.ids.Get(subject+"\x00"+o.text, func() (*idCall, error) {
		call := &idCall{md: o.md, indexes: []int{0}}
		return call, c.askID(topic, subject, o, call)
	}, nil)
}

func (c *Converter) askID(topic, subject string, o *outEnt, call *idCall) error {
	ctx := context.Background()
	s := schemaregistry.Schema{Type: schemaregistry.Protobuf, Schema: o.text}
	got, err := registryconv.SchemaID(ctx, c.reg, topic, subject, s, c.cfg.AutoRegisterSchemas, c.cfg.UseLatestVersion)
	if err != nil {
		return err
	}
	call.id = got.ID
	if c.cfg.AutoRegisterSchemas || !c.cfg.UseLatestVersion {
		return nil
	}
	// Records are written with the latest schema's message of the same full name (or its first
	// message), by field name, as Confluent's serializer writes with the latest schema.
	if got.Type != "" && got.Type != schemaregistry.Protobuf {
		return errclass.Record(topic, "latest version of subject %q is a %s schema, not Protobuf", subject, got.Type)
	}
	deps := map[string]string{}
	if err := c.resolve(ctx, topic, got.References, deps, 0); err != nil {
		return err
	}
	fd, err := compile(ctx, got.Schema, deps)
	if err != nil {
		return errclass.Record(topic, "latest version of subject %q (id %d): %w", subject, got.ID, err)
	}
	md := findMessage(fd.Messages(), protoreflect.FullName(o.name))
	if md == nil {
		if fd.Messages().Len() == 0 {
			return errclass.Record(topic, "latest version of subject %q (id %d) has no message", subject, got.ID)
		}
		md = fd.Messages().Get(0)
	}
	call.md, call.indexes = md, indexesOf(md)
	return nil
}

// findMessage returns the message named name among msgs and their nested messages, or nil.
func findMessage(msgs protoreflect.MessageDescriptors, name protoreflect.FullName) protoreflect.MessageDescriptor {
	for i := 0; i < msgs.Len(); i++ {
		md := msgs.Get(i)
		if md.FullName() == name {
			return md
		}
		if found := findMessage(md.Messages(), name); found != nil {
			return found
		}
	}
	return nil
}
