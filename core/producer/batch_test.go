package producer

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/compress"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// stampOf is the timestamp (ms) a message is produced with: its Timestamp, now for a zero one.
func stampOf(m Message, now int64) int64 {
	if m.Timestamp.IsZero() {
		return now
	}
	return m.Timestamp.UnixMilli()
}

// checkBatch decodes b (one v2 record batch) with franz-go's kmsg and checks it holds msgs[i]
// for i in idx: the batch fields a producer without idempotence writes (the first timestamp the
// first record's, the max timestamp the greatest, now standing for a zero Timestamp), the CRC,
// and each record byte for byte as kmsg encodes it (timestamp deltas from the first).
func checkBatch(t testing.TB, b []byte, msgs []Message, idx []int32, now int64, codec compress.Codec) {
	t.Helper()
	if idx == nil { // all of msgs
		for i := range msgs {
			idx = append(idx, int32(i))
		}
	}
	first := stampOf(msgs[idx[0]], now)
	maxTS := first
	for _, mi := range idx {
		maxTS = max(maxTS, stampOf(msgs[mi], now))
	}
	var rb kmsg.RecordBatch
	if err := rb.ReadFrom(b); err != nil {
		t.Fatalf("decoding the batch: %v", err)
	}
	if int(rb.Length) != len(b)-12 || rb.FirstOffset != 0 || rb.Magic != 2 || rb.PartitionLeaderEpoch != -1 ||
		rb.ProducerID != -1 || rb.ProducerEpoch != -1 || rb.FirstSequence != -1 ||
		int(rb.NumRecords) != len(idx) || int(rb.LastOffsetDelta) != len(idx)-1 || rb.FirstTimestamp != first || rb.MaxTimestamp != maxTS {
		rb.Records = nil
		t.Fatalf("batch fields %+v", rb)
	}
	if uint32(rb.CRC) != crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)) {
		t.Fatal("CRC-32C mismatch")
	}
	recs := rb.Records
	wantCodec := int16(0)
	if codec != nil {
		wantCodec = int16(codec.Code())
		r := codec.NewReader(bytes.NewReader(recs))
		var err error
		if recs, err = io.ReadAll(r); err != nil {
			t.Fatalf("decompressing: %v", err)
		}
		r.Close()
	}
	if rb.Attributes&7 != wantCodec {
		t.Fatalf("attributes %#x, want codec %d", rb.Attributes, wantCodec)
	}
	var want []byte
	for i, mi := range idx {
		m := msgs[mi]
		kr := kmsg.Record{OffsetDelta: int32(i), TimestampDelta64: stampOf(m, now) - first, Key: m.Key, Value: m.Value}
		for _, h := range append(slices.Clone(m.SharedHeaders), m.Headers...) {
			kr.Headers = append(kr.Headers, kmsg.Header{Key: h.Key, Value: h.Value})
		}
		body := kr.AppendTo(nil)
		// AppendTo writes Length as given: measure the record without it and write it again.
		kr.Length = int32(len(body) - 1)
		want = kr.AppendTo(want)
	}
	if !bytes.Equal(recs, want) {
		t.Fatalf("records differ from kmsg's encoding:\n got %x\nwant %x", recs, want)
	}
}

func TestAppendBatch(t *testing.T) {
	shared := []record.Header{{Key: "s3.bucket", Value: []byte("b")}, {Key: "s3.key", Value: bytes.Repeat([]byte("k"), 5000)}}
	msgs := []Message{
		{Topic: "t", Key: []byte("k"), Value: []byte(`{"a":1}`), Headers: []record.Header{{Key: "s3.bucket", Value: []byte("b")}, {Key: "n", Value: nil}}},
		{Topic: "t", Value: []byte{}},
		{Topic: "t", Key: []byte{}, Value: nil},
		{Topic: "t", Key: bytes.Repeat([]byte("x"), 300), Value: bytes.Repeat([]byte("y"), 70000)},
		{Topic: "t", Value: []byte("v"), SharedHeaders: shared, Headers: []record.Header{{Key: "s3.record.index", Value: []byte("7")}}},
		{Topic: "t", Value: []byte("w"), SharedHeaders: shared},
	}
	// Timestamps around now (1700000000123), before and after it, the sub-millisecond part
	// dropped, mixed with zero ones.
	t0 := time.UnixMilli(1700000000123)
	stamped := []Message{
		{Topic: "t", Value: []byte("a"), Timestamp: t0.Add(-3 * time.Hour)},
		{Topic: "t", Value: []byte("b")},
		{Topic: "t", Key: []byte("k"), Value: []byte("c"), Timestamp: t0.Add(time.Hour + 456789*time.Microsecond)},
		{Topic: "t", Value: bytes.Repeat([]byte("d"), 300), Timestamp: time.UnixMilli(0)},
		{Topic: "t", Value: []byte("e"), SharedHeaders: shared, Timestamp: t0.Add(-3 * time.Hour)},
		{Topic: "t", Value: []byte("f"), Timestamp: t0},
	}
	for _, tc := range []struct {
		name  string
		codec compress.Codec
		idx   []int32
		msgs  []Message // nil: msgs
	}{
		{"one", nil, []int32{0}, nil},
		{"all", nil, []int32{0, 1, 2, 3, 4, 5}, nil},
		{"shared headers", nil, []int32{4, 5, 4}, nil},
		{"reordered", nil, []int32{3, 1}, nil},
		{"all of msgs (nil batch)", nil, nil, nil},
		{"all of msgs, zstd", compress.Zstd.Codec(), nil, nil},
		{"gzip", compress.Gzip.Codec(), []int32{0, 1, 2, 3, 4}, nil},
		{"snappy", compress.Snappy.Codec(), []int32{0, 3}, nil},
		{"lz4", compress.Lz4.Codec(), []int32{2, 3}, nil},
		{"zstd", compress.Zstd.Codec(), []int32{0, 1, 2, 3}, nil},
		{"timestamps", nil, nil, stamped},
		{"timestamps, the first zero", nil, []int32{1, 0, 2, 3}, stamped},
		{"timestamps, decreasing", nil, []int32{2, 5, 0, 3}, stamped},
		{"timestamps, one explicit", nil, []int32{3}, stamped},
		{"timestamps, equal to now", nil, []int32{5, 1}, stamped},
		{"timestamps, gzip", compress.Gzip.Codec(), []int32{3, 2, 1, 0}, stamped},
		{"timestamps, zstd", compress.Zstd.Codec(), nil, stamped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs := msgs
			if tc.msgs != nil {
				msgs = tc.msgs
			}
			var scratch []byte
			// After other bytes (the request's size prefix), and twice with the same scratch.
			for range 2 {
				b, err := appendBatch([]byte{9, 9, 9, 9}, msgs, tc.idx, 1700000000123, tc.codec, &scratch)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(b[:4], []byte{9, 9, 9, 9}) {
					t.Fatal("the bytes before the batch changed")
				}
				checkBatch(t, b[4:], msgs, tc.idx, 1700000000123, tc.codec)
			}
			if tc.codec == nil {
				checkStreamed(t, msgs, tc.idx, 1700000000123)
			}
		})
	}
}

// checkStreamed checks that a streamedBatch writes the record set appendBatch encodes (the
// batch after its int32 size), twice over; also as unstamped when no message has a Timestamp
// (as Produce sends such batches).
func checkStreamed(t testing.TB, msgs []Message, idx []int32, now int64) {
	t.Helper()
	var scratch []byte
	b, err := appendBatch(nil, msgs, idx, now, nil, &scratch)
	if err != nil {
		t.Fatal(err)
	}
	want := append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
	checkStreamedAs(t, &streamedBatch{msgs: msgs, batch: idx, now: now}, want)
	if !slices.ContainsFunc(msgs, func(m Message) bool { return !m.Timestamp.IsZero() }) {
		checkStreamedAs(t, &streamedBatch{msgs: msgs, batch: idx, now: now, unstamped: true}, want)
	}
}

// checkStreamedAs checks that s writes the record set want, twice to a plain writer and twice
// to a patchable one.
func checkStreamedAs(t testing.TB, s *streamedBatch, want []byte) {
	t.Helper()
	for _, patchable := range []bool{false, true, false, true} {
		var out bytes.Buffer
		var w io.Writer = &out
		if patchable {
			// After other bytes, as in a request.
			w = &atBuffer{b: []byte("request")}
		}
		n, err := s.WriteTo(w)
		got := out.Bytes()
		if patchable {
			got = bytes.TrimPrefix(w.(*atBuffer).b, []byte("request"))
		}
		if err != nil || n != int64(len(got)) {
			t.Fatalf("WriteTo (patchable %v) = %d, %v (wrote %d)", patchable, n, err, len(got))
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("streamed record set (patchable %v, unstamped %v) differs from appendBatch's:\n got %x\nwant %x", patchable, s.unstamped, got, want)
		}
	}
}

// atBuffer is a patchableWriter, like kafka-go's request buffer.
type atBuffer struct{ b []byte }

func (a *atBuffer) Write(p []byte) (int, error) { a.b = append(a.b, p...); return len(p), nil }
func (a *atBuffer) Size() int64                 { return int64(len(a.b)) }
func (a *atBuffer) WriteAt(p []byte, off int64) (int, error) {
	return copy(a.b[off:], p), nil
}

func TestVarintLen(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 63, 64, -64, -65, 8191, 8192, 1 << 40, -(1 << 40), 1<<63 - 1, -1 << 63} {
		if got, want := varintLen(v), len(binary.AppendVarint(nil, v)); got != want {
			t.Errorf("varintLen(%d) = %d, want %d", v, got, want)
		}
	}
}

// FuzzAppendBatch checks the encoding of arbitrary keys, values and headers, null or not, with
// every codec, against kmsg's.
func FuzzAppendBatch(f *testing.F) {
	f.Add([]byte("key"), []byte(`{"v":1}`), "h", []byte("hv"), uint8(3), uint8(0), uint8(0))
	f.Add([]byte{}, []byte{}, "", []byte{}, uint8(0), uint8(7), uint8(1))
	f.Add(bytes.Repeat([]byte("k"), 5000), bytes.Repeat([]byte("v"), 40000), "h", bytes.Repeat([]byte("h"), 4096), uint8(7), uint8(0), uint8(5))
	f.Add([]byte("key"), []byte("value"), "h", []byte("hv"), uint8(6), uint8(32), uint8(0)) // timestamps
	f.Add([]byte{}, []byte("v"), "h", []byte{}, uint8(7), uint8(32|64|16), uint8(4))        // some zero, zstd
	f.Fuzz(func(t *testing.T, key, value []byte, hk string, hv []byte, n, nulls, codec uint8) {
		var msgs []Message
		var idx []int32
		for i := range int(n%8) + 1 {
			m := Message{Topic: "t", Key: key, Value: append(value, byte(i)), Headers: []record.Header{{Key: hk, Value: hv}}}
			if nulls&1 != 0 {
				m.Key = nil
			}
			if nulls&2 != 0 && i%2 == 0 {
				m.Value = nil
			}
			if nulls&4 != 0 {
				m.Headers[0].Value = nil
			}
			if nulls&8 != 0 {
				m.Headers = nil
			}
			if nulls&16 != 0 {
				m.SharedHeaders = []record.Header{{Key: hk + "shared", Value: value}, {Key: "", Value: nil}}
			}
			if nulls&32 != 0 && (nulls&64 == 0 || i%3 != 0) { // timestamps around 42, some zero with 64
				m.Timestamp = time.UnixMilli(42 + int64(i-3)*int64(len(value)+len(hv)+1)*int64(n))
			}
			msgs = append(msgs, m)
			idx = append([]int32{int32(i)}, idx...)
		}
		c := compress.Compression(codec % 5).Codec()
		if codec%5 == 0 {
			c = nil
		}
		var scratch []byte
		b, err := appendBatch(nil, msgs, idx, 42, c, &scratch)
		if err != nil {
			t.Fatal(err)
		}
		checkBatch(t, b, msgs, idx, 42, c)
		if c == nil {
			checkStreamed(t, msgs, idx, 42)
		}
	})
}

func ExamplePartition() {
	fmt.Println(Partition([]byte("customer-42"), 6))
	// Output: 3
}
