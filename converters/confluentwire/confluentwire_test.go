package confluentwire

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"testing"
)

func TestEncode(t *testing.T) {
	tests := []struct {
		name string
		dst  []byte
		id   int32
		want []byte
	}{
		{"id 1", nil, 1, []byte{0, 0, 0, 0, 1}},
		{"id 0x01020304", nil, 0x01020304, []byte{0, 1, 2, 3, 4}},
		{"max id", nil, math.MaxInt32, []byte{0, 0x7f, 0xff, 0xff, 0xff}},
		{"negative id", nil, -1, []byte{0, 0xff, 0xff, 0xff, 0xff}},
		{"appends", []byte{9}, 256, []byte{9, 0, 0, 0, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Encode(tt.dst, tt.id); !bytes.Equal(got, tt.want) {
				t.Errorf("Encode(%v, %d) = % x, want % x", tt.dst, tt.id, got, tt.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		id      int32
		payload []byte
		err     error
	}{
		// Confluent's documented example: schema id 1 then the Avro payload.
		{"id 1 with payload", []byte{0, 0, 0, 0, 1, 0x06, 'f', 'o', 'o'}, 1, []byte{0x06, 'f', 'o', 'o'}, nil},
		{"header only", []byte{0, 0, 0, 1, 0}, 256, []byte{}, nil},
		{"big id", []byte{0, 0x7f, 0xff, 0xff, 0xff, 1}, math.MaxInt32, []byte{1}, nil},
		{"nil", nil, 0, nil, ErrEmpty},
		{"empty", []byte{}, 0, nil, ErrEmpty},
		{"wrong magic", []byte{1, 0, 0, 0, 1}, 0, nil, ErrMagic},
		{"json text", []byte(`{"a":1}`), 0, nil, ErrMagic},
		{"too short", []byte{0, 0, 0, 1}, 0, nil, ErrShort},
		{"magic only", []byte{0}, 0, nil, ErrShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, payload, err := Decode(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Decode(% x) error = %v, want %v", tt.in, err, tt.err)
			}
			if id != tt.id || !bytes.Equal(payload, tt.payload) {
				t.Errorf("Decode(% x) = %d, % x; want %d, % x", tt.in, id, payload, tt.id, tt.payload)
			}
		})
	}
}

func TestDecodeErrorText(t *testing.T) {
	_, _, err := Decode([]byte{0x7b, 0x22})
	if err == nil || err.Error() != "wrong magic byte 0x7b (want 0x00)" {
		t.Errorf("error = %v", err)
	}
	_, _, err = Decode([]byte{0, 1})
	if err == nil || err.Error() != "too short for the 5-byte Confluent header: 2 bytes" {
		t.Errorf("error = %v", err)
	}
}

// The vectors follow Confluent's wire-format documentation: the message indexes are a
// zig-zag varint count then zig-zag varint indexes, and [0] is written as the single byte 0.
func TestIndexes(t *testing.T) {
	tests := []struct {
		name    string
		indexes []int
		bytes   []byte
	}{
		{"first message [0]", []int{0}, []byte{0x00}},
		{"second message [1]", []int{1}, []byte{0x02, 0x02}},
		{"nested [1, 0]", []int{1, 0}, []byte{0x04, 0x02, 0x00}},
		{"nested [0, 2, 1]", []int{0, 2, 1}, []byte{0x06, 0x00, 0x04, 0x02}},
		{"index 64 takes two bytes", []int{64}, []byte{0x02, 0x80, 0x01}},
		{"index 300", []int{300}, []byte{0x02, 0xd8, 0x04}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendIndexes(nil, tt.indexes)
			if !bytes.Equal(got, tt.bytes) {
				t.Errorf("AppendIndexes(%v) = % x, want % x", tt.indexes, got, tt.bytes)
			}
			in := append(slices.Clone(tt.bytes), 0xaa, 0xbb)
			ix, rest, err := ReadIndexes(in)
			if err != nil {
				t.Fatalf("ReadIndexes(% x): %v", in, err)
			}
			if !slices.Equal(ix, tt.indexes) || !bytes.Equal(rest, []byte{0xaa, 0xbb}) {
				t.Errorf("ReadIndexes(% x) = %v, % x", in, ix, rest)
			}
		})
	}
	if got := AppendIndexes([]byte{1}, nil); !bytes.Equal(got, []byte{1, 0}) {
		t.Errorf("AppendIndexes(nil) = % x, want 01 00", got)
	}
}

func TestReadIndexesErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"negative count", []byte{0x01}},
		{"count beyond data", []byte{0x06, 0x00}},
		{"truncated count", []byte{0x80}},
		{"truncated index", []byte{0x02, 0x80}},
		{"negative index", []byte{0x02, 0x03}},
		{"overlong varint", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, _, err := ReadIndexes(tt.in)
			if !errors.Is(err, ErrIndexes) {
				t.Errorf("ReadIndexes(% x) = %v, %v; want an ErrIndexes error", tt.in, ix, err)
			}
		})
	}
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 2, 3})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, payload, err := Decode(b)
		if err != nil {
			return
		}
		if got := append(Encode(nil, id), payload...); !bytes.Equal(got, b) {
			t.Fatalf("re-encoded % x, want % x", got, b)
		}
	})
}

func FuzzReadIndexes(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{4, 2, 0, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		ix, rest, err := ReadIndexes(b)
		if err != nil {
			return
		}
		if len(ix) == 0 {
			t.Fatal("no indexes without an error")
		}
		// Re-encoding gives the canonical form, which reads back the same.
		enc := AppendIndexes(nil, ix)
		ix2, rest2, err := ReadIndexes(append(enc, rest...))
		if err != nil || !slices.Equal(ix, ix2) || !bytes.Equal(rest, rest2) {
			t.Fatalf("round trip of %v: %v, %v, %v", ix, ix2, rest2, err)
		}
	})
}
