package producer

import (
	"io"

	"github.com/segmentio/kafka-go/protocol"
)

var ioEOF = io.EOF

// readBytes copies a record's key or value (nil for a null).
func readBytes(b protocol.Bytes) []byte {
	if b == nil {
		return nil
	}
	out := make([]byte, b.Len())
	_, _ = io.ReadFull(b, out)
	return out
}

// closeRecords releases a fetch response's records when the reader supports it.
func closeRecords(r any) {
	if c, ok := r.(io.Closer); ok {
		_ = c.Close()
	}
}
