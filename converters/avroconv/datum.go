package avroconv

import (
	"errors"
	"fmt"

	"github.com/hamba/avro/v2"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// Codec converts Connect data to and from Avro binary datums under one schema, with decoders
// and encoders compiled once (no generic map[string]any values, no reflection per datum). It is
// what the converter uses per schema, exported for the Avro file formats. A Codec is safe for
// concurrent use.
type Codec struct {
	avro    avro.Schema
	connect *record.Schema
	enc     encodeFn
	dec     decodeFn
}

// NewCodec returns the codec of a Connect schema: its Avro schema is SchemaFromConnect(s), and
// Decode gives back data under s.
func NewCodec(s *record.Schema) (*Codec, error) {
	a, err := SchemaFromConnect(s)
	if err != nil {
		return nil, err
	}
	enc, err := compileEncoder(a, s, "")
	if err != nil {
		return nil, err
	}
	// a mirrors s, so the decoder can build data under s itself (struct values point at the
	// caller's schemas).
	dec, err := compileDecoder(a, s)
	if err != nil {
		return nil, err
	}
	return &Codec{avro: a, connect: s, enc: enc, dec: dec}, nil
}

// NewCodecForAvro returns the codec of an Avro schema (a file's or a registry's): its Connect
// schema is SchemaToConnect(a).
func NewCodecForAvro(a avro.Schema) (*Codec, error) {
	c, err := SchemaToConnect(a)
	if err != nil {
		return nil, err
	}
	dec, err := compileDecoder(a, c)
	if err != nil {
		return nil, err
	}
	enc, err := compileEncoder(a, c, "")
	if err != nil {
		// Not every Avro schema is one SchemaFromConnect makes (a union [int, long] holds one
		// Connect type, say): such codecs only decode.
		encErr := err
		enc = func(*avro.Writer, any) error {
			return fmt.Errorf("avro: cannot encode under %s: %w", typeName(a), encErr)
		}
	}
	return &Codec{avro: a, connect: c, enc: enc, dec: dec}, nil
}

// Avro returns the codec's Avro schema.
func (c *Codec) Avro() avro.Schema { return c.avro }

// Connect returns the codec's Connect schema.
func (c *Codec) Connect() *record.Schema { return c.connect }

// Append appends the Avro binary datum of v (Connect data under the codec's Connect schema) to
// dst.
func (c *Codec) Append(dst []byte, v any) ([]byte, error) {
	out, err := encodeFast(c.enc, nil, v)
	if err != nil {
		return dst, err
	}
	return append(dst, out...), nil
}

// Decode decodes one datum into Connect data.
func (c *Codec) Decode(b []byte) (any, error) {
	return decodeFast(c.dec, b)
}

// DecodeBlock decodes n datums written one after the other (an Avro container file's block),
// calling fn with each; fn's error stops it.
func (c *Codec) DecodeBlock(b []byte, n int, fn func(v any) error) error {
	if n < 0 {
		return errors.New("avro: negative datum count")
	}
	r := readerPool.Get().(*avro.Reader)
	defer func() { r.Reset(nil); readerPool.Put(r) }()
	r.Reset(b)
	r.Error = nil
	for i := 0; i < n; i++ {
		v := c.dec(r)
		if r.Error != nil {
			return fmt.Errorf("avro: datum %d of %d: %w", i, n, r.Error)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}
