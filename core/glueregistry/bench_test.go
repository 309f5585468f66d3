package glueregistry_test

import (
	"encoding/hex"
	"testing"
)

// BenchmarkToConnect decodes the small Java-written record (zlib) and its uncompressed form: the
// per-record cost once the schema version is cached.
func BenchmarkToConnect(b *testing.B) {
	f := newFakeGlue(b)
	f.add("default-registry", "users", javaUUID, userV1)
	c := newConverter(b, f, nil, false)
	for _, tt := range []struct{ name, frame string }{
		{"zlib", javaFrame},
		{"none", "0300b7b4a7f09c964e4aa6878e4c1f9c2a11020a68656c6c6f"},
	} {
		frame, _ := hex.DecodeString(tt.frame)
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				if _, _, err := c.ToConnect("users", nil, frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
