// Package gluewire is the AWS Glue Schema Registry's framing of serialized records, as its
// serializers write it (awslabs/aws-glue-schema-registry, SerializationDataEncoder): a header
// version byte (3), a compression byte (0: none, 5: zlib), the 16-byte schema version UUID
// (most significant bits first, as java.util.UUID writes it), then the payload, zlib-compressed
// (java.util.zip.Deflater's format: RFC 1950) when the compression byte is 5.
//
// The package imports no AWS SDK and no Kafka client.
package gluewire

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Framing constants (AWSSchemaRegistryConstants).
const (
	// HeaderVersion is the first byte of every Glue-framed record.
	HeaderVersion byte = 3
	// CompressionNone and CompressionZlib are the compression byte's values.
	CompressionNone byte = 0
	CompressionZlib byte = 5
	// HeaderSize is the frame header's size: version, compression, UUID.
	HeaderSize = 18
	// MaxDecompressed bounds a decompressed payload (a guard against zlib bombs).
	MaxDecompressed = 64 << 20
)

// Errors of Decode; every Decode error wraps ErrFrame.
var (
	ErrFrame = errors.New("not a Glue schema registry frame")
)

// Encode appends to dst the frame of payload written with schema version id, zlib-compressed
// when compress is set, and returns the extended buffer.
func Encode(dst []byte, id [16]byte, payload []byte, compress bool) ([]byte, error) {
	c := CompressionNone
	if compress {
		c = CompressionZlib
	}
	dst = append(dst, HeaderVersion, c)
	dst = append(dst, id[:]...)
	if !compress {
		return append(dst, payload...), nil
	}
	buf := bytes.NewBuffer(dst)
	w := zlib.NewWriter(buf)
	if _, err := w.Write(payload); err != nil {
		return nil, fmt.Errorf("gluewire: compressing: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("gluewire: compressing: %w", err)
	}
	return buf.Bytes(), nil
}

// Decode splits a frame into its schema version id and payload (decompressed when the frame is
// compressed; otherwise payload aliases b). Errors wrap ErrFrame and name what is wrong.
func Decode(b []byte) (id [16]byte, payload []byte, err error) {
	if len(b) < HeaderSize {
		return id, nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrFrame, len(b), HeaderSize)
	}
	if b[0] != HeaderVersion {
		return id, nil, fmt.Errorf("%w: header version byte %d, want %d", ErrFrame, b[0], HeaderVersion)
	}
	copy(id[:], b[2:HeaderSize])
	switch b[1] {
	case CompressionNone:
		return id, b[HeaderSize:], nil
	case CompressionZlib:
		out, err := inflate(b[HeaderSize:])
		if err != nil {
			return id, nil, fmt.Errorf("%w: zlib payload: %w", ErrFrame, err)
		}
		if len(out) > MaxDecompressed {
			return id, nil, fmt.Errorf("%w: zlib payload larger than %d bytes", ErrFrame, MaxDecompressed)
		}
		return id, out, nil
	default:
		return id, nil, fmt.Errorf("%w: compression byte %d, want %d (none) or %d (zlib)", ErrFrame, b[1], CompressionNone, CompressionZlib)
	}
}

// inflaters keeps zlib readers for reuse (a new one allocates tens of kilobytes).
var inflaters sync.Pool

func inflate(b []byte) ([]byte, error) {
	src := bytes.NewReader(b)
	var r io.ReadCloser
	if p, ok := inflaters.Get().(io.ReadCloser); ok {
		if err := p.(zlib.Resetter).Reset(src, nil); err != nil {
			return nil, err
		}
		r = p
	} else {
		var err error
		if r, err = zlib.NewReader(src); err != nil {
			return nil, err
		}
	}
	out := make([]byte, 0, 4*len(b)+64)
	buf := bytes.NewBuffer(out)
	_, err := buf.ReadFrom(io.LimitReader(r, MaxDecompressed+1))
	if err == nil {
		err = r.Close()
	}
	if err == nil {
		inflaters.Put(r)
	}
	return buf.Bytes(), err
}

// IsFrame reports whether b starts like a Glue frame (version byte 3, a known compression byte,
// room for the header).
func IsFrame(b []byte) bool {
	return len(b) >= HeaderSize && b[0] == HeaderVersion && (b[1] == CompressionNone || b[1] == CompressionZlib)
}

// FormatUUID formats a schema version id as Glue prints it (8-4-4-4-12 lowercase hex).
func FormatUUID(id [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], id[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], id[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], id[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], id[8:10])
	s[23] = '-'
	hex.Encode(s[24:], id[10:])
	return string(s[:])
}

// ParseUUID parses a schema version id in the 8-4-4-4-12 hex form (any case).
func ParseUUID(s string) ([16]byte, error) {
	var id [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, fmt.Errorf("gluewire: %q is not a UUID (8-4-4-4-12 hex digits)", s)
	}
	h := strings.ReplaceAll(s, "-", "")
	if _, err := hex.Decode(id[:], []byte(h)); err != nil {
		return id, fmt.Errorf("gluewire: %q is not a UUID: %w", s, err)
	}
	return id, nil
}
