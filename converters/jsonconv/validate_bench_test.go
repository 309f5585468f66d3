package jsonconv

import (
	"strings"
	"testing"
)

// line512 is a ~512-byte JSON line whose bytes are mostly one long string, as the S3 source
// benchmark's lines are (bench/s3source).
var line512 = []byte(`{"seq":123456,"customer":"customer-6789","ts":"2026-03-01T12:34:56.789Z","amount":123.45,"currency":"EUR","note":"` +
	strings.Repeat("lorem ipsum dolor sit amet ", 15) + `"}`)

// BenchmarkValidateLine measures Validate on line512.
func BenchmarkValidateLine(b *testing.B) {
	b.SetBytes(int64(len(line512)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Validate(line512); err != nil {
			b.Fatal(err)
		}
	}
}
