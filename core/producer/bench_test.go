package producer

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// benchMessages returns n messages shaped like the S3 source's: a small JSON value, the object's
// shared headers and a record index header, no key.
func benchMessages(n int) []Message {
	shared := []record.Header{{Key: "s3.bucket", Value: []byte("bucket")}, {Key: "s3.key", Value: []byte("prefix/2026/11/24/object-0001.json")}}
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i] = Message{Topic: "t", Value: []byte(fmt.Sprintf(`{"id":%d,"name":"customer-%d","amount":%d.25,"tags":["a","b"]}`, i, i%97, i)),
			SharedHeaders: shared, Headers: []record.Header{{Key: "s3.record.index", Value: []byte(fmt.Sprint(i))}}}
	}
	return msgs
}

// BenchmarkEncodeBatch measures the encoding of a batch of 1000 messages, without timestamps (as
// the S3 source produces them) and with: whole (appendBatch, uncompressed) and streamed
// (streamedBatch, to a plain writer in two passes and to a patchable one in one).
func BenchmarkEncodeBatch(b *testing.B) {
	const now = 1700000000123
	stamped := benchMessages(1000)
	for i := range stamped {
		stamped[i].Timestamp = time.UnixMilli(now - int64(i%50)*1000)
	}
	for _, bc := range []struct {
		name      string
		msgs      []Message
		unstamped bool // as Produce finds it
	}{
		{"zero-timestamps", benchMessages(1000), true},
		{"timestamps", stamped, false},
	} {
		msgs := bc.msgs
		size := 0
		for i := range msgs {
			size += recordSize(&msgs[i])
		}
		b.Run(bc.name+"/append", func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			var dst, scratch []byte
			for b.Loop() {
				var err error
				if dst, err = appendBatch(dst[:0], msgs, nil, now, nil, &scratch); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/stream-two-pass", func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			s := &streamedBatch{msgs: msgs, now: now, unstamped: bc.unstamped}
			for b.Loop() {
				if _, err := s.WriteTo(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/stream-one-pass", func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			s := &streamedBatch{msgs: msgs, now: now, unstamped: bc.unstamped}
			w := &atBuffer{}
			for b.Loop() {
				w.b = w.b[:0]
				if _, err := s.WriteTo(w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
