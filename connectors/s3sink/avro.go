package s3sink

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/ocf"

	"github.com/lambda-connect/lambda-connect/converters/avroconv"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/projection"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Values of avro.codec (Confluent's names, which are the Avro container file's).
const (
	AvroCodecNull      = "null"
	AvroCodecDeflate   = "deflate"
	AvroCodecSnappy    = "snappy"
	AvroCodecZstandard = "zstandard"
)

var avroCodecs = []string{AvroCodecNull, AvroCodecDeflate, AvroCodecSnappy, AvroCodecZstandard}

func validAvroCodec(c string) bool { return slices.Contains(avroCodecs, c) }

// AvroFormat is Confluent's AvroFormat: each object is one Avro object container file whose
// schema is the Avro form of its records' Connect value schema (as Confluent's AvroData derives
// it: converters/avroconv), its blocks compressed with avro.codec. Records without a schema
// cannot be written. The file's sync marker is derived from its schema and first record, so the
// same records always make the same bytes (a retry recognises its own earlier object).
type AvroFormat struct {
	codec ocf.CodecName
}

// NewAvroFormat returns the AvroFormat with the given avro.codec.
func NewAvroFormat(codec string) (*AvroFormat, error) {
	if codec == "" {
		codec = AvroCodecNull
	}
	if !validAvroCodec(codec) {
		return nil, fmt.Errorf("%q is not one of null, deflate, snappy, zstandard", codec)
	}
	return &AvroFormat{codec: ocf.CodecName(codec)}, nil
}

// WritesSchema reports that Avro container files hold their records' schema: the sink starts a
// new object where the schema changes (per schema.compatibility).
func (*AvroFormat) WritesSchema() bool { return true }

// CheckSchema rejects values without a schema (schemaless data).
func (*AvroFormat) CheckSchema(s *record.Schema) error {
	if s == nil {
		return errNoSchema("AvroFormat")
	}
	return nil
}

// Extension returns ".avro".
func (*AvroFormat) Extension() string { return ".avro" }

// ContentType returns "application/avro".
func (*AvroFormat) ContentType() string { return "application/avro" }

// NewWriter returns a writer of one Avro container file; its schema comes from the first record.
func (f *AvroFormat) NewWriter(w io.Writer) RecordWriter {
	return &avroWriter{codec: f.codec, out: w}
}

type avroWriter struct {
	codec  ocf.CodecName
	out    io.Writer
	schema *record.Schema
	avro   avro.Schema
	enc    *ocfWriter
}

func (aw *avroWriter) Write(r record.Record) error {
	if r.ValueSchema == nil {
		return errclass.Record("", "AvroFormat needs a value schema and the value has none (%s): use a converter with schemas (AvroConverter, JsonConverter with schemas.enable=true)", describe(nil, r.ValueData))
	}
	if aw.enc == nil {
		a, err := avroconv.SchemaFromConnect(r.ValueSchema)
		if err != nil {
			return errclass.New(errclass.BadRecord, "", fmt.Errorf("cannot derive an Avro schema: %w", err))
		}
		h := sha256.New()
		h.Write([]byte(a.String()))
		fmt.Fprintf(h, "\x00%s\x00%d\x00%d", r.Topic, r.Partition, r.Offset)
		var sync [16]byte
		copy(sync[:], h.Sum(nil))
		enc, err := newOCFWriter(aw.out, a, string(aw.codec), sync)
		if err != nil {
			return fmt.Errorf("avro: %w", err)
		}
		aw.schema, aw.avro, aw.enc = r.ValueSchema, a, enc
	} else if r.ValueSchema != aw.schema && !projection.Equal(r.ValueSchema, aw.schema) {
		return errclass.Record("", "the value schema differs from the object's (%s)", schemaLabel(aw.schema))
	}
	v, err := avroconv.ToNativeFor(aw.avro, aw.schema, r.ValueData)
	if err != nil {
		return errclass.New(errclass.BadRecord, "", err)
	}
	if err := aw.enc.Encode(v); err != nil {
		return errclass.New(errclass.BadRecord, "", fmt.Errorf("avro: %w", err))
	}
	return nil
}

func (aw *avroWriter) Close() error {
	if aw.enc == nil {
		return errors.New("avro: an object without records")
	}
	return aw.enc.Close()
}
