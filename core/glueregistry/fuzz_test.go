package glueregistry_test

import (
	"encoding/hex"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// FuzzToConnect feeds arbitrary bytes to the converter, whose registry knows the schema of
// javaFrame: it must never panic, and every failure is a bad record.
func FuzzToConnect(f *testing.F) {
	frame, _ := hex.DecodeString(javaFrame)
	f.Add(frame)
	plain, _ := hex.DecodeString("0300b7b4a7f09c964e4aa6878e4c1f9c2a11020a68656c6c6f")
	f.Add(plain)
	fake := newFakeGlue(f)
	fake.add("default-registry", "users", javaUUID, userV1)
	c := newConverter(f, fake, nil, false)
	f.Fuzz(func(t *testing.T, b []byte) {
		if b == nil {
			return
		}
		if _, _, err := c.ToConnect("users", nil, b); err != nil && !errclass.Is(err, errclass.BadRecord) {
			t.Fatalf("ToConnect(%x): %v is not a bad record", b, err)
		}
	})
}
