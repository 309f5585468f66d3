package producer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math/bits"

	"github.com/segmentio/kafka-go/compress"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// batchHeaderSize is the size of a v2 record batch's header, up to its record count included.
const batchHeaderSize = 61

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendBatch appends to dst the v2 record batch (magic 2) of the messages msgs[i] for i in
// batch, in that order (batch nil: all of msgs), as a Kafka client encodes it for a produce
// request: base offset 0, no producer id (no idempotence), each record stamped with its
// message's Timestamp, or now for a zero one (milliseconds, CreateTime), the records compressed
// with codec when it is not nil. It writes every key, value and header once,
// from the messages themselves, into dst (and, compressed, through scratch).
func appendBatch(dst []byte, msgs []Message, batch []int32, now int64, codec compress.Codec, scratch *[]byte) ([]byte, error) {
	start := len(dst)
	var attrs uint16
	if codec != nil {
		attrs = uint16(codec.Code()) & 0x7
	}
	first, maxTS := batchTimestamps(msgs, batch, now)
	dst = appendBatchHeader(dst, batchLen(msgs, batch), first, maxTS, attrs)
	if codec == nil {
		dst = appendRecords(dst, msgs, batch, now, first)
	} else {
		recs := appendRecords((*scratch)[:0], msgs, batch, now, first)
		*scratch = recs[:0] // kept, grown, for the next batch
		out := bytes.NewBuffer(dst)
		w := codec.NewWriter(out)
		if _, err := w.Write(recs); err != nil {
			w.Close()
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		dst = out.Bytes()
	}
	binary.BigEndian.PutUint32(dst[start+8:], uint32(len(dst)-start-12))
	binary.BigEndian.PutUint32(dst[start+17:], crc32.Checksum(dst[start+21:], castagnoli))
	return dst, nil
}

// batchLen is the number of messages of a batch: len(batch), or all of msgs for a nil batch.
func batchLen(msgs []Message, batch []int32) int {
	if batch == nil {
		return len(msgs)
	}
	return len(batch)
}

// batchAt is the batch's message i.
func batchAt(msgs []Message, batch []int32, i int) *Message {
	if batch == nil {
		return &msgs[i]
	}
	return &msgs[batch[i]]
}

// timestampOf is m's timestamp in milliseconds: its Timestamp, or now when that is zero.
func timestampOf(m *Message, now int64) int64 {
	if m.Timestamp.IsZero() {
		return now
	}
	return m.Timestamp.UnixMilli()
}

// batchTimestamps returns a batch's first timestamp (its first record's, the base its records'
// timestamp deltas are counted from) and its greatest, as the Java client's record batches have
// them.
func batchTimestamps(msgs []Message, batch []int32, now int64) (first, maxTS int64) {
	first = timestampOf(batchAt(msgs, batch, 0), now)
	maxTS = first
	for i := 1; i < batchLen(msgs, batch); i++ {
		maxTS = max(maxTS, timestampOf(batchAt(msgs, batch, i), now))
	}
	return first, maxTS
}

// appendBatchHeader appends a v2 batch header for records records with timestamps from first
// (the first record's) up to maxTS, its length and CRC left zero.
func appendBatchHeader(dst []byte, records int, first, maxTS int64, attrs uint16) []byte {
	dst = binary.BigEndian.AppendUint64(dst, 0)          // base offset
	dst = binary.BigEndian.AppendUint32(dst, 0)          // batch length, set by the caller
	dst = binary.BigEndian.AppendUint32(dst, 0xffffffff) // partition leader epoch: -1
	dst = append(dst, 2)                                 // magic
	dst = binary.BigEndian.AppendUint32(dst, 0)          // CRC-32C, set by the caller
	dst = binary.BigEndian.AppendUint16(dst, attrs)
	dst = binary.BigEndian.AppendUint32(dst, uint32(records-1))  // last offset delta
	dst = binary.BigEndian.AppendUint64(dst, uint64(first))      // first timestamp
	dst = binary.BigEndian.AppendUint64(dst, uint64(maxTS))      // max timestamp
	dst = binary.BigEndian.AppendUint64(dst, 0xffffffffffffffff) // producer id: -1
	dst = binary.BigEndian.AppendUint16(dst, 0xffff)             // producer epoch: -1
	dst = binary.BigEndian.AppendUint32(dst, 0xffffffff)         // base sequence: -1
	return binary.BigEndian.AppendUint32(dst, uint32(records))   // records
}

// recordBodyLen is the length of record i's encoding after its length field, its timestamp
// delta taken as 0 (one byte).
func recordBodyLen(m *Message, i int) int {
	n := 1 + 1 + varintLen(int64(i)) + nullBytesLen(m.Key) + nullBytesLen(m.Value) + varintLen(int64(len(m.SharedHeaders)+len(m.Headers)))
	for _, h := range m.SharedHeaders {
		n += varintLen(int64(len(h.Key))) + len(h.Key) + nullBytesLen(h.Value)
	}
	for _, h := range m.Headers {
		n += varintLen(int64(len(h.Key))) + len(h.Key) + nullBytesLen(h.Value)
	}
	return n
}

// appendRecords appends the records of a v2 batch: length, attributes, timestamp delta (from
// first; now stands for a zero Timestamp), offset delta, key, value and headers of each, lengths
// as zigzag varints, -1 for a null.
func appendRecords(dst []byte, msgs []Message, batch []int32, now, first int64) []byte {
	for i := range batchLen(msgs, batch) {
		m := batchAt(msgs, batch, i)
		if delta := timestampOf(m, now) - first; delta == 0 {
			dst = binary.AppendVarint(dst, int64(recordBodyLen(m, i)))
			dst = append(dst, 0, 0) // attributes, timestamp delta
		} else {
			dst = appendRecordHead(dst, m, i, delta)
		}
		dst = binary.AppendVarint(dst, int64(i))
		dst = appendNullBytes(dst, m.Key)
		dst = appendNullBytes(dst, m.Value)
		dst = binary.AppendVarint(dst, int64(len(m.SharedHeaders)+len(m.Headers)))
		for _, hs := range [2][]record.Header{m.SharedHeaders, m.Headers} {
			for _, h := range hs {
				dst = binary.AppendVarint(dst, int64(len(h.Key)))
				dst = append(dst, h.Key...)
				dst = appendNullBytes(dst, h.Value)
			}
		}
	}
	return dst
}

// appendRecordHead appends the start of record i of a batch, message m: its length, attributes
// and timestamp delta tsDelta. (Records of delta 0, all of them when no message has a Timestamp,
// are written inline, as recordBodyLen counts them: this is the slower path.)
func appendRecordHead(dst []byte, m *Message, i int, tsDelta int64) []byte {
	dst = binary.AppendVarint(dst, int64(recordBodyLen(m, i)-1+varintLen(tsDelta)))
	dst = append(dst, 0)
	return binary.AppendVarint(dst, tsDelta)
}

func appendNullBytes(dst, b []byte) []byte {
	if b == nil {
		return append(dst, 1) // zigzag -1
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}

func nullBytesLen(b []byte) int {
	if b == nil {
		return 1
	}
	return varintLen(int64(len(b))) + len(b)
}

// varintLen is the length of v as a zigzag varint.
func varintLen(v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	return (bits.Len64(u|1) + 6) / 7
}

// Streaming an uncompressed batch: sizes of the pieces it is written in.
const (
	streamScratch = 64 << 10 // the scratch buffer a streamed batch is encoded through
	streamFlushAt = 32 << 10 // the scratch is written out once it holds this much
	streamDirect  = 256      // keys and values this long are written from the message itself
)

// streamedBatch is the record set of a produce request holding one uncompressed v2 batch (its
// size, then the batch, as appendBatch encodes it), written without ever being held whole: a
// first pass over the records computes the batch's size and CRC, a second writes it (one pass
// only when the writer can patch the size and CRC in afterwards, as kafka-go's can), each
// through a small scratch buffer (keys and values of streamDirect bytes or more are written
// straight from the messages). kafka-go copies it into its request buffer through WriteTo.
type streamedBatch struct {
	msgs  []Message
	batch []int32
	now   int64 // the timestamp of messages whose Timestamp is zero
	// unstamped says that no message of the batch has a Timestamp (the caller checked): every
	// record is stamped now without a look at the messages' Timestamps, as cheap as before
	// messages had any.
	unstamped bool
	scratch   []byte
}

// Read is there for io.Reader, which kafka-go's RawRecordSet asks for; io.Copy uses WriteTo.
func (s *streamedBatch) Read([]byte) (int, error) {
	return 0, errors.New("producer: a streamed batch is written with WriteTo")
}

// patchableWriter is a writer that can go back: kafka-go's request buffer is one.
type patchableWriter interface {
	io.Writer
	io.WriterAt
	Size() int64 // the offset the next Write writes at
}

// WriteTo writes the record set to w: in one pass when w is a patchableWriter (the size and CRC
// are written last, over placeholders), else in two.
func (s *streamedBatch) WriteTo(w io.Writer) (int64, error) {
	var hdr [4 + batchHeaderSize]byte
	first, maxTS := s.now, s.now
	if !s.unstamped {
		first, maxTS = batchTimestamps(s.msgs, s.batch, s.now)
	}
	h := appendBatchHeader(hdr[:4:4], batchLen(s.msgs, s.batch), first, maxTS, 0)
	if pw, ok := w.(patchableWriter); ok {
		return s.writeOnce(pw, h, first)
	}
	size := 0
	crc := crc32.Update(0, castagnoli, h[4+21:])
	s.walk(first, func(b []byte) error {
		size += len(b)
		crc = crc32.Update(crc, castagnoli, b)
		return nil
	})
	binary.BigEndian.PutUint32(h[0:], uint32(batchHeaderSize+size))
	binary.BigEndian.PutUint32(h[4+8:], uint32(batchHeaderSize-12+size))
	binary.BigEndian.PutUint32(h[4+17:], crc)
	n, err := w.Write(h)
	written := int64(n)
	if err != nil {
		return written, err
	}
	err = s.walk(first, func(b []byte) error {
		n, err := w.Write(b)
		written += int64(n)
		return err
	})
	return written, err
}

// writeOnce writes the record set in one pass: header h with placeholders, the records (their
// size and CRC computed on the way; timestamp deltas from first), then the size, length and CRC
// over the placeholders.
func (s *streamedBatch) writeOnce(w patchableWriter, h []byte, first int64) (int64, error) {
	start := w.Size()
	n, err := w.Write(h)
	written := int64(n)
	if err != nil {
		return written, err
	}
	size := 0
	crc := crc32.Update(0, castagnoli, h[4+21:])
	err = s.walk(first, func(b []byte) error {
		size += len(b)
		crc = crc32.Update(crc, castagnoli, b)
		n, err := w.Write(b)
		written += int64(n)
		return err
	})
	if err != nil {
		return written, err
	}
	binary.BigEndian.PutUint32(h[0:], uint32(batchHeaderSize+size))
	binary.BigEndian.PutUint32(h[4+8:], uint32(batchHeaderSize-12+size))
	binary.BigEndian.PutUint32(h[4+17:], crc)
	_, err = w.WriteAt(h[:4+21], start)
	return written, err
}

// walk encodes the batch's records, their timestamp deltas from first, and passes them to emit
// in pieces, in order.
func (s *streamedBatch) walk(first int64, emit func([]byte) error) error {
	if cap(s.scratch) < streamScratch {
		s.scratch = make([]byte, 0, streamScratch)
	}
	buf := s.scratch[:0]
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		err := emit(buf)
		buf = buf[:0]
		return err
	}
	piece := func(b []byte) error {
		if len(b) < streamDirect {
			buf = appendNullBytes(buf, b)
			return nil
		}
		buf = binary.AppendVarint(buf, int64(len(b)))
		if err := flush(); err != nil {
			return err
		}
		return emit(b)
	}
	for i := range batchLen(s.msgs, s.batch) {
		m := batchAt(s.msgs, s.batch, i)
		if s.unstamped {
			buf = binary.AppendVarint(buf, int64(recordBodyLen(m, i)))
			buf = append(buf, 0, 0) // attributes, timestamp delta
		} else {
			buf = appendRecordHead(buf, m, i, timestampOf(m, s.now)-first)
		}
		buf = binary.AppendVarint(buf, int64(i))
		if err := piece(m.Key); err != nil {
			return err
		}
		if err := piece(m.Value); err != nil {
			return err
		}
		buf = binary.AppendVarint(buf, int64(len(m.SharedHeaders)+len(m.Headers)))
		for _, hs := range [2][]record.Header{m.SharedHeaders, m.Headers} {
			for _, h := range hs {
				buf = binary.AppendVarint(buf, int64(len(h.Key)))
				buf = append(buf, h.Key...)
				if err := piece(h.Value); err != nil {
					return err
				}
			}
		}
		if len(buf) >= streamFlushAt {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}
