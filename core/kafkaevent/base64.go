package kafkaevent

import (
	"encoding/base64"
	"encoding/binary"
)

// invalid marks a byte that is not in the standard base64 alphabet in b64Values.
const invalid = 0xff

// b64Values maps a byte of the standard base64 alphabet to its 6-bit value, anything else to
// invalid.
var b64Values = func() (t [256]byte) {
	for i := range t {
		t[i] = invalid
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// decodeBase64 decodes the standard, padded base64 text in b into b itself and returns the
// length of the result, b[:n]. Decoding in place is safe because every 4 bytes of input give at
// most 3 of output, written behind the input still to be read.
//
// It accepts what base64.StdEncoding accepts except line breaks (Lambda never sends them) and
// reports errors as base64.CorruptInputError with the offset of the offending input byte.
func decodeBase64(b []byte) (int, error) {
	n := len(b)
	body := n &^ 3 // complete quanta
	if body == n && n > 0 && b[n-1] == '=' {
		body -= 4 // the last quantum is padded
	}
	r, w := 0, 0
	// 8 input bytes give 6 output bytes, stored with one 8-byte write: w+8 <= r+8 <= body, and
	// the 2 extra bytes land on input already read.
	for r+8 <= body {
		c0, c1, c2, c3 := b64Values[b[r]], b64Values[b[r+1]], b64Values[b[r+2]], b64Values[b[r+3]]
		c4, c5, c6, c7 := b64Values[b[r+4]], b64Values[b[r+5]], b64Values[b[r+6]], b64Values[b[r+7]]
		if (c0|c1|c2|c3|c4|c5|c6|c7)&0xc0 != 0 {
			break // the quantum loop below finds the bad byte
		}
		v := uint64(c0)<<58 | uint64(c1)<<52 | uint64(c2)<<46 | uint64(c3)<<40 |
			uint64(c4)<<34 | uint64(c5)<<28 | uint64(c6)<<22 | uint64(c7)<<16
		binary.BigEndian.PutUint64(b[w:], v)
		r += 8
		w += 6
	}
	for r+4 <= body {
		c0, c1, c2, c3 := b64Values[b[r]], b64Values[b[r+1]], b64Values[b[r+2]], b64Values[b[r+3]]
		if (c0|c1|c2|c3)&0xc0 != 0 {
			return w, firstInvalid(b, r)
		}
		v := uint32(c0)<<18 | uint32(c1)<<12 | uint32(c2)<<6 | uint32(c3)
		b[w], b[w+1], b[w+2] = byte(v>>16), byte(v>>8), byte(v)
		r += 4
		w += 3
	}
	if r == n {
		return w, nil
	}
	if n-r != 4 { // an incomplete quantum
		if i := indexInvalid(b[r:]); i >= 0 {
			return w, base64.CorruptInputError(r + i)
		}
		return w, base64.CorruptInputError(r)
	}
	// The padded last quantum: "xx==" or "xxx=".
	c0, c1 := b64Values[b[r]], b64Values[b[r+1]]
	if (c0|c1)&0xc0 != 0 {
		return w, firstInvalid(b, r)
	}
	if b[r+2] == '=' {
		if b[r+3] != '=' {
			return w, base64.CorruptInputError(r + 3)
		}
		b[w] = c0<<2 | c1>>4
		return w + 1, nil
	}
	c2 := b64Values[b[r+2]]
	if c2&0xc0 != 0 {
		return w, base64.CorruptInputError(r + 2)
	}
	b[w], b[w+1] = c0<<2|c1>>4, c1<<4|c2>>2
	return w + 2, nil
}

// firstInvalid returns the error for the first byte of b[from:] outside the alphabet.
func firstInvalid(b []byte, from int) error {
	return base64.CorruptInputError(from + max(indexInvalid(b[from:]), 0))
}

func indexInvalid(b []byte) int {
	for i, c := range b {
		if b64Values[c] == invalid {
			return i
		}
	}
	return -1
}
