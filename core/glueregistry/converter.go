package glueregistry

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hamba/avro/v2"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/converters/avroconv"
	"github.com/lambda-connect/lambda-connect/converters/gluewire"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Converter is AWSKafkaAvroConverter: Avro binary in Glue's framing, schemas in the Glue Schema
// Registry, mapped to Connect data by converters/avroconv. It is safe for concurrent use.
type Converter struct {
	cfg    Config
	client *Client

	mu      sync.Mutex
	readers map[[16]byte]*avroconv.Codec
	writers map[*record.Schema]*writer
}

// writer is the Avro form of one Connect schema and the schema versions it was registered as,
// by schema name.
type writer struct {
	codec      *avroconv.Codec
	definition string
	ids        sync.Map // schema name -> [16]byte
}

var _ converters.Converter = (*Converter)(nil)

// maxCodecs bounds each codec map (cleared when full).
const maxCodecs = 1000

// NewConverter returns the converter configured by props (Glue's names; the key.converter. or
// value.converter. prefix stripped), with a Glue client for its region and endpoint. opts adjust
// the AWS configuration (credentials in tests). Functions plug it in where they build their
// converters: when key.converter or value.converter is ConverterClass, call NewConverter with
// the prefixed settings instead of converters.New.
func NewConverter(ctx context.Context, props map[string]string, isKey bool, opts ...func(*awsconfig.LoadOptions) error) (converters.Converter, error) {
	cfg, err := ConfigFromProps(props)
	if err != nil {
		return nil, err
	}
	cfg.IsKey = isKey
	api, err := NewGlueAPI(ctx, cfg, opts...)
	if err != nil {
		return nil, err
	}
	return New(cfg, NewClient(api, ClientOptions{
		RegistryName:  cfg.RegistryName,
		AutoRegister:  cfg.AutoRegister,
		Compatibility: cfg.Compatibility,
		Description:   cfg.Description,
		CacheSize:     cfg.CacheSize,
	}))
}

// New returns a converter over client.
func New(cfg Config, client *Client) (*Converter, error) {
	if client == nil {
		return nil, errclass.Config(RegistryNameProp, "no Glue schema registry client")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Converter{cfg: cfg, client: client, readers: map[[16]byte]*avroconv.Codec{}, writers: map[*record.Schema]*writer{}}, nil
}

// ToConnect decodes a Glue-framed Avro record. A nil data is a null. A frame that is not Glue's,
// an unknown schema version, a schema that is not Avro or a payload that does not decode are
// BadRecord errors; a registry that cannot be reached is Retriable.
func (c *Converter) ToConnect(topic string, _ []record.Header, data []byte) (*record.Schema, any, error) {
	if data == nil {
		return nil, nil, nil
	}
	id, payload, err := gluewire.Decode(data)
	if err != nil {
		return nil, nil, errclass.Record(topic, "glue avro: %w", err)
	}
	codec, err := c.reader(id)
	if err != nil {
		return nil, nil, onTopic(err, topic)
	}
	v, err := codec.Decode(payload)
	if err != nil {
		return nil, nil, errclass.Record(topic, "glue avro: decoding a record of schema version %s: %w", gluewire.FormatUUID(id), err)
	}
	return codec.Connect(), v, nil
}

func (c *Converter) reader(id [16]byte) (*avroconv.Codec, error) {
	c.mu.Lock()
	codec, ok := c.readers[id]
	c.mu.Unlock()
	if ok {
		return codec, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	sv, err := c.client.SchemaVersion(ctx, id)
	if err != nil {
		return nil, err
	}
	uuid := gluewire.FormatUUID(id)
	if sv.DataFormat != "" && sv.DataFormat != "AVRO" {
		return nil, errclass.Record("schema version "+uuid, "glue avro: the schema's data format is %s, not AVRO", sv.DataFormat)
	}
	a, err := avro.ParseWithCache(sv.Definition, "", &avro.SchemaCache{})
	if err != nil {
		return nil, errclass.Record("schema version "+uuid, "glue avro: unparsable schema: %w", err)
	}
	codec, err = avroconv.NewCodecForAvro(a)
	if err != nil {
		return nil, errclass.Record("schema version "+uuid, "glue avro: %w", err)
	}
	c.mu.Lock()
	if len(c.readers) >= maxCodecs {
		clear(c.readers)
	}
	c.readers[id] = codec
	c.mu.Unlock()
	return codec, nil
}

// FromConnect encodes Connect data as Avro in Glue's framing, registering its schema (under
// schemaName, or the topic) when schemaAutoRegistrationEnabled is set. A nil value is a null
// (a tombstone).
func (c *Converter) FromConnect(topic string, _ []record.Header, schema *record.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	if schema == nil {
		return nil, errclass.Record(topic, "glue avro: the AWSKafkaAvroConverter needs a schema (schemaless data cannot be written as Avro)")
	}
	c.mu.Lock()
	w, ok := c.writers[schema]
	c.mu.Unlock()
	if !ok {
		codec, err := avroconv.NewCodec(schema)
		if err != nil {
			return nil, errclass.Record(topic, "glue avro: %w", err)
		}
		w = &writer{codec: codec, definition: codec.Avro().String()}
		c.mu.Lock()
		if len(c.writers) >= maxCodecs {
			clear(c.writers)
		}
		c.writers[schema] = w
		c.mu.Unlock()
	}
	name := c.cfg.SchemaName
	if name == "" {
		name = topic
	}
	var id [16]byte
	if v, ok := w.ids.Load(name); ok {
		id = v.([16]byte)
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
		sv, err := c.client.Register(ctx, name, "AVRO", w.definition)
		cancel()
		if err != nil {
			return nil, onTopic(err, topic)
		}
		id = sv.ID
		w.ids.Store(name, id)
	}
	payload, err := w.codec.Append(nil, value)
	if err != nil {
		return nil, errclass.Record(topic, "glue avro: %w", err)
	}
	out, err := gluewire.Encode(make([]byte, 0, gluewire.HeaderSize+len(payload)), id, payload, c.cfg.Compress)
	if err != nil {
		return nil, errclass.Record(topic, "glue avro: %w", err)
	}
	return out, nil
}

// onTopic names the topic in a registry error, keeping its class.
func onTopic(err error, topic string) error {
	return errclass.New(errclass.Of(err), topic, fmt.Errorf("glue avro: %w", err))
}

// Register adds Glue's AWSKafkaAvroConverter to r under ConverterClass and ConverterShortName.
// Its converters are built with NewConverter (the AWS SDK's standard configuration; opts adjust
// it); building makes no network call. Functions call it once at cold start.
func Register(r *converters.Registry, opts ...func(*awsconfig.LoadOptions) error) error {
	return r.Register(ConverterClass, []string{ConverterShortName}, func(isKey bool, props map[string]string) (converters.Converter, error) {
		return NewConverter(context.Background(), props, isKey, opts...)
	})
}
