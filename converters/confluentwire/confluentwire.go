// Package confluentwire is the Confluent Schema Registry wire format: a record framed as magic
// byte 0, the schema id as a 4-byte big-endian integer, then the serialized payload; and, for
// Protobuf, the message indexes that follow the header and name the message type inside the
// schema (a zig-zag varint count, then each index as a zig-zag varint, with the common [0]
// written as a single 0 byte).
//
// The package is pure: no AWS SDK, no Kafka client, no registry client.
package confluentwire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MagicByte opens every Confluent-framed record.
const MagicByte = 0

// HeaderLen is the length of the frame header: the magic byte and the schema id.
const HeaderLen = 5

// The ways a frame can be malformed. Decode's errors wrap one of them.
var (
	ErrEmpty      = errors.New("empty data, not a Confluent-framed record")
	ErrMagic      = errors.New("wrong magic byte")
	ErrShort      = errors.New("too short for the 5-byte Confluent header")
	ErrIndexes    = errors.New("malformed Protobuf message indexes")
	errVarintLong = errors.New("varint overflows 32 bits")
)

// Encode appends the frame header for schema id to dst and returns the extended slice; the
// caller appends the payload.
func Encode(dst []byte, id int32) []byte {
	return binary.BigEndian.AppendUint32(append(dst, MagicByte), uint32(id))
}

// Decode splits a Confluent-framed record into its schema id and payload (which aliases b).
func Decode(b []byte) (id int32, payload []byte, err error) {
	switch {
	case len(b) == 0:
		return 0, nil, ErrEmpty
	case b[0] != MagicByte:
		return 0, nil, fmt.Errorf("%w 0x%02x (want 0x00)", ErrMagic, b[0])
	case len(b) < HeaderLen:
		return 0, nil, fmt.Errorf("%w: %d bytes", ErrShort, len(b))
	}
	return int32(binary.BigEndian.Uint32(b[1:HeaderLen])), b[HeaderLen:], nil
}

// AppendIndexes appends the Protobuf message indexes to dst as Confluent's serializer writes
// them: [0] (and an empty list, which means the same) as the single byte 0, otherwise the count
// and each index as zig-zag varints.
func AppendIndexes(dst []byte, indexes []int) []byte {
	if len(indexes) == 0 || (len(indexes) == 1 && indexes[0] == 0) {
		return append(dst, 0)
	}
	dst = appendZigZag(dst, int32(len(indexes)))
	for _, ix := range indexes {
		dst = appendZigZag(dst, int32(ix))
	}
	return dst
}

// ReadIndexes reads the Protobuf message indexes at the start of b and returns them with the
// rest of b. A count of 0 is the [0] shortcut. A negative count or index, a count larger than
// the bytes left could hold, or a truncated varint is an error wrapping ErrIndexes.
func ReadIndexes(b []byte) (indexes []int, rest []byte, err error) {
	n, b, err := readZigZag(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: count: %w", ErrIndexes, err)
	}
	if n == 0 {
		return []int{0}, b, nil
	}
	if n < 0 || int(n) > len(b) {
		return nil, nil, fmt.Errorf("%w: count %d with %d bytes left", ErrIndexes, n, len(b))
	}
	indexes = make([]int, n)
	for i := range indexes {
		var v int32
		if v, b, err = readZigZag(b); err != nil {
			return nil, nil, fmt.Errorf("%w: index %d: %w", ErrIndexes, i, err)
		}
		if v < 0 {
			return nil, nil, fmt.Errorf("%w: index %d is negative (%d)", ErrIndexes, i, v)
		}
		indexes[i] = int(v)
	}
	return indexes, b, nil
}

// appendZigZag appends v as Kafka's ByteUtils.writeVarint does: zig-zag, then base-128 varint.
func appendZigZag(dst []byte, v int32) []byte {
	u := uint32(v<<1) ^ uint32(v>>31)
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}

// readZigZag reads a zig-zag varint of at most 5 bytes (ByteUtils.readVarint).
func readZigZag(b []byte) (int32, []byte, error) {
	var u uint32
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, nil, fmt.Errorf("truncated varint after %d bytes", i)
		}
		c := b[i]
		if i == 4 && c > 0x0f {
			return 0, nil, errVarintLong
		}
		u |= uint32(c&0x7f) << (7 * i)
		if c < 0x80 {
			return int32(u>>1) ^ -int32(u&1), b[i+1:], nil
		}
	}
	return 0, nil, errVarintLong
}
