package reader

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/golang/snappy"
	"github.com/hamba/avro/v2"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zstd"

	"github.com/lambda-connect/lambda-connect/converters/avroconv"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// MaxAvroBlockBytes bounds one block of an Avro container file, compressed and decompressed: a
// corrupt block length fails the file instead of allocating it.
const MaxAvroBlockBytes = 64 << 20

// avroReader streams the records of an Avro object container file (codecs null, deflate, snappy,
// zstandard), one block in memory. Each record's Connect schema is the file's schema as
// Confluent's AvroData maps it (converters/avroconv); hamba/avro decodes the data. The container
// (header, blocks, sync markers) is read here, with every length bounded.
type avroReader struct {
	br      *bufio.Reader
	api     avro.API
	avro    avro.Schema
	schema  *record.Schema
	codec   string
	sync    [16]byte
	block   *avro.Decoder
	left    int64 // records left in the block
	data    []byte
	zstd    *zstd.Decoder
	index   int64
	err     error
	scratch bytes.Buffer
}

func newAvro(r io.Reader, maxRecord int) (*avroReader, error) {
	a := &avroReader{br: bufio.NewReaderSize(r, 64<<10),
		api: avro.Config{MaxByteSliceSize: max(maxRecord, 1<<20), MaxSliceAllocSize: MaxAvroBlockBytes}.Freeze()}
	if err := a.header(); err != nil {
		if errclass.Of(err) != errclass.Unknown {
			return nil, err
		}
		return nil, errclass.New(errclass.BadRecord, "object", fmt.Errorf("not an Avro container file: %v: %w", err, ErrCorrupt))
	}
	return a, nil
}

func (a *avroReader) long() (int64, error) {
	n, err := binary.ReadVarint(a.br)
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (a *avroReader) bytesOf(limit int64) ([]byte, error) {
	n, err := a.long()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > limit {
		return nil, fmt.Errorf("a length of %d bytes", n)
	}
	b := make([]byte, n)
	_, err = io.ReadFull(a.br, b)
	return b, err
}

// header reads the magic bytes, the metadata (schema and codec) and the sync marker.
func (a *avroReader) header() error {
	var magic [4]byte
	if _, err := io.ReadFull(a.br, magic[:]); err != nil {
		return fmt.Errorf("reading the magic bytes: %w", err)
	}
	if string(magic[:]) != "Obj\x01" {
		return fmt.Errorf("the magic bytes are %q, not Obj\\x01", magic[:])
	}
	meta := map[string][]byte{}
	for {
		n, err := a.long()
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		if n < 0 {
			n = -n
			if _, err := a.long(); err != nil { // the block's size in bytes
				return err
			}
		}
		if n > 1024 {
			return fmt.Errorf("%d metadata entries", n)
		}
		for range n {
			k, err := a.bytesOf(1 << 10)
			if err != nil {
				return err
			}
			v, err := a.bytesOf(16 << 20)
			if err != nil {
				return err
			}
			meta[string(k)] = v
		}
	}
	if _, err := io.ReadFull(a.br, a.sync[:]); err != nil {
		return err
	}
	s, err := avro.ParseBytes(meta["avro.schema"])
	if err != nil {
		return fmt.Errorf("the file's schema: %w", err)
	}
	a.avro = s
	a.codec = string(meta["avro.codec"])
	switch a.codec {
	case "":
		a.codec = "null"
	case "null", "deflate", "snappy", "zstandard":
	default:
		return fmt.Errorf("codec %q is not supported (null, deflate, snappy, zstandard)", a.codec)
	}
	if a.schema, err = avroconv.SchemaToConnect(s); err != nil {
		return fmt.Errorf("the file's Avro schema has no Connect form: %w", err)
	}
	return nil
}

// nextBlock reads the next block; io.EOF at the end of the file.
func (a *avroReader) nextBlock() error {
	if _, err := a.br.Peek(1); errors.Is(err, io.EOF) {
		return io.EOF
	}
	count, err := a.long()
	if err != nil {
		return err
	}
	data, err := a.bytesOf(MaxAvroBlockBytes)
	if err != nil {
		return fmt.Errorf("block: %w", err)
	}
	if count < 0 || count > int64(len(data))*1024+1024 {
		return fmt.Errorf("a block of %d records in %d bytes", count, len(data))
	}
	var sync [16]byte
	if _, err := io.ReadFull(a.br, sync[:]); err != nil {
		return err
	}
	if sync != a.sync {
		return errors.New("the block's sync marker is not the file's")
	}
	if data, err = a.decompress(data); err != nil {
		return fmt.Errorf("%s block: %w", a.codec, err)
	}
	a.data = data
	a.block = a.api.NewDecoder(a.avro, bytes.NewReader(data))
	a.left = count
	return nil
}

func (a *avroReader) decompress(data []byte) ([]byte, error) {
	switch a.codec {
	case "deflate":
		a.scratch.Reset()
		n, err := io.Copy(&a.scratch, io.LimitReader(flate.NewReader(bytes.NewReader(data)), MaxAvroBlockBytes+1))
		if err != nil {
			return nil, err
		}
		if n > MaxAvroBlockBytes {
			return nil, fmt.Errorf("inflates to more than %d bytes", MaxAvroBlockBytes)
		}
		return a.scratch.Bytes(), nil
	case "snappy":
		if len(data) < 4 {
			return nil, errors.New("no checksum")
		}
		body := data[:len(data)-4]
		n, err := snappy.DecodedLen(body)
		if err != nil {
			return nil, err
		}
		if n > MaxAvroBlockBytes {
			return nil, fmt.Errorf("decompresses to %d bytes", n)
		}
		out, err := snappy.Decode(nil, body)
		if err != nil {
			return nil, err
		}
		if crc32.ChecksumIEEE(out) != binary.BigEndian.Uint32(data[len(data)-4:]) {
			return nil, errors.New("checksum mismatch")
		}
		return out, nil
	case "zstandard":
		if a.zstd == nil {
			var err error
			if a.zstd, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(MaxAvroBlockBytes)); err != nil {
				return nil, err
			}
		}
		return a.zstd.DecodeAll(data, nil)
	}
	return data, nil
}

func (a *avroReader) next() int64 { return a.index }

func (a *avroReader) Next() (_ Record, err error) {
	defer func() {
		if r := recover(); r != nil { // a decoder panic on corrupt data
			err = a.fail(fmt.Errorf("%v", r))
		}
	}()
	if a.err != nil {
		return Record{}, a.err
	}
	for a.left == 0 {
		if err := a.nextBlock(); err != nil {
			if errors.Is(err, io.EOF) {
				a.err = io.EOF
				a.close()
				return Record{}, io.EOF
			}
			return Record{}, a.fail(err)
		}
	}
	idx := a.index
	a.index++
	a.left--
	var v any
	if err := a.block.Decode(&v); err != nil {
		return Record{Index: idx, Line: idx + 1}, a.fail(err)
	}
	rec := Record{Index: idx, Line: idx + 1, Schema: a.schema}
	data, err := avroconv.FromNative(a.schema, v)
	if err != nil {
		return rec, errclass.New(errclass.BadRecord, fmt.Sprintf("record %d", idx), err)
	}
	rec.Data = data
	return rec, nil
}

func (a *avroReader) close() {
	if a.zstd != nil {
		a.zstd.Close()
		a.zstd = nil
	}
}

// fail records a stream error: errors of the underlying body keep their class (a retriable S3
// read), anything else is a corrupt file.
func (a *avroReader) fail(err error) error {
	if errclass.Of(err) == errclass.Unknown {
		err = errclass.New(errclass.BadRecord, fmt.Sprintf("record %d", a.index), fmt.Errorf("corrupt Avro container file: %v: %w", err, ErrCorrupt))
	}
	a.err = err
	a.close()
	return err
}
