package s3sink

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Format is an object format (Confluent's format.class): it names its objects' extension and
// encodes records onto a stream. Formats that need the whole object (Parquet's footer, Avro's
// header from the first record's schema) fit the same shape: the writer buffers what it needs and
// finishes the object in Close.
type Format interface {
	// Extension is the object name's extension, before any compression suffix (".json").
	Extension() string
	// ContentType is the objects' media type before compression.
	ContentType() string
	// NewWriter returns a writer that encodes records onto w.
	NewWriter(w io.Writer) RecordWriter
}

// RecordWriter encodes the records of one object, in order.
type RecordWriter interface {
	// Write encodes one record. A record the format cannot hold is an errclass.BadRecord error
	// (without the record's coordinates, which the caller adds).
	Write(r record.Record) error
	// Close finishes the object and flushes it to the underlying writer, which it does not close.
	Close() error
}

// JSONFormat is Confluent's JsonFormat: each record's value as one line of JSON, as Connect's
// JsonConverter writes it with schemas.enable=false (structs as objects, bytes as base64 strings,
// Date/Time/Timestamp as numbers, Decimals per json.decimal.format). Values that are already JSON
// (record.RawJSON, from a schemaless JsonConverter) are written as they came, compacted onto one
// line if they span several. A null value is written as null.
type JSONFormat struct {
	conv converters.Converter
}

// NewJSONFormat returns the JsonFormat with the JsonConverter settings given (schemas.enable is
// forced to false).
func NewJSONFormat(cfg jsonconv.Config) (*JSONFormat, error) {
	cfg.SchemasEnable = false
	conv, err := jsonconv.New(cfg)
	if err != nil {
		return nil, err
	}
	return &JSONFormat{conv: conv}, nil
}

// Extension returns ".json".
func (*JSONFormat) Extension() string { return ".json" }

// ContentType returns "application/json".
func (*JSONFormat) ContentType() string { return "application/json" }

// NewWriter returns a writer of JSON lines.
func (f *JSONFormat) NewWriter(w io.Writer) RecordWriter {
	return &jsonWriter{conv: f.conv, w: bufio.NewWriterSize(w, 64<<10)}
}

type jsonWriter struct {
	conv converters.Converter
	w    *bufio.Writer
	tmp  bytes.Buffer
}

var nullJSON = []byte("null")

func (jw *jsonWriter) Write(r record.Record) error {
	var line []byte
	switch v := r.ValueData.(type) {
	case nil:
		line = nullJSON
	case record.RawJSON:
		line = bytes.TrimSpace(v)
		if len(line) == 0 {
			line = nullJSON
		} else if bytes.IndexByte(line, '\n') >= 0 || bytes.IndexByte(line, '\r') >= 0 {
			jw.tmp.Reset()
			if err := json.Compact(&jw.tmp, line); err != nil {
				return errclass.Record("", "value is not valid JSON: %v", err)
			}
			line = jw.tmp.Bytes()
		}
	default:
		b, err := jw.conv.FromConnect(r.Topic, r.Headers, r.ValueSchema, v)
		if err != nil {
			if errclass.Of(err) == errclass.Unknown {
				err = errclass.New(errclass.BadRecord, "", err)
			}
			return err
		}
		line = b
	}
	jw.w.Write(line)
	return jw.w.WriteByte('\n')
}

func (jw *jsonWriter) Close() error { return jw.w.Flush() }

// ByteArrayFormat is Confluent's ByteArrayFormat: each record's value bytes (the converted value
// when it is bytes, else the raw bytes as delivered) followed by the separator. A null value
// writes nothing before its separator.
type ByteArrayFormat struct {
	Ext       string // extension, ".bin" by default
	Separator []byte
}

// Extension returns the configured extension.
func (f *ByteArrayFormat) Extension() string { return f.Ext }

// ContentType returns "application/octet-stream".
func (*ByteArrayFormat) ContentType() string { return "application/octet-stream" }

// NewWriter returns a writer of separated byte arrays.
func (f *ByteArrayFormat) NewWriter(w io.Writer) RecordWriter {
	return &bytesWriter{sep: f.Separator, w: bufio.NewWriterSize(w, 64<<10)}
}

type bytesWriter struct {
	sep []byte
	w   *bufio.Writer
}

func (bw *bytesWriter) Write(r record.Record) error {
	switch v := r.ValueData.(type) {
	case []byte:
		bw.w.Write(v)
	case nil:
		bw.w.Write(r.Value)
	case record.RawJSON:
		bw.w.Write(r.Value)
	default:
		if r.Value == nil {
			return errclass.Record("", "ByteArrayFormat writes bytes, and the value is a %s without raw bytes", describe(r.ValueSchema, v))
		}
		bw.w.Write(r.Value)
	}
	_, err := bw.w.Write(bw.sep)
	return err
}

func (bw *bytesWriter) Close() error { return bw.w.Flush() }

// newFormat returns the configured format.
func newFormat(c *resolved) (Format, error) {
	switch c.Format {
	case ParquetFormatClass:
		return NewParquetFormat(c.ParquetCodec)
	case AvroFormatClass:
		return NewAvroFormat(c.AvroCodec)
	case ByteArrayFormatClass:
		return &ByteArrayFormat{Ext: c.ByteArrayExtension, Separator: c.ByteArraySeparator}, nil
	case JSONFormatClass:
		jc := jsonconv.DefaultConfig()
		jc.DecimalFormat = jsonconv.DecimalFormat(c.JSONDecimalFormat)
		return NewJSONFormat(jc)
	}
	return nil, fmt.Errorf("unsupported format %q", c.Format)
}
