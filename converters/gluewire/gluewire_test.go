package gluewire_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/converters/gluewire"
)

var (
	id      = mustUUID("b7b4a7f0-9c96-4e4a-a687-8e4c1f9c2a11")
	idHex   = "b7b4a7f09c964e4aa6878e4c1f9c2a11"
	payload = []byte{0x02, 0x0a, 'h', 'e', 'l', 'l', 'o'}
)

func mustUUID(s string) [16]byte {
	u, err := gluewire.ParseUUID(s)
	if err != nil {
		panic(err)
	}
	return u
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeUncompressed(t *testing.T) {
	got, err := gluewire.Encode([]byte{0xff}, id, payload, false)
	if err != nil {
		t.Fatal(err)
	}
	want := "ff" + "03" + "00" + idHex + "020a68656c6c6f"
	if hex.EncodeToString(got) != want {
		t.Fatalf("Encode = %x; want %s", got, want)
	}
}

func TestEncodeCompressed(t *testing.T) {
	got, err := gluewire.Encode(nil, id, bytes.Repeat(payload, 100), true)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got[:18]) != "0305"+idHex {
		t.Fatalf("header %x", got[:18])
	}
	if got[18] != 0x78 { // a zlib (RFC 1950) stream, as java.util.zip.Deflater writes
		t.Fatalf("payload starts with %x; want a zlib header", got[18:20])
	}
	if len(got) >= 18+700 {
		t.Fatalf("700 repetitive bytes compressed to %d", len(got)-18)
	}
	gotID, p, err := gluewire.Decode(got)
	if err != nil || gotID != id || !bytes.Equal(p, bytes.Repeat(payload, 100)) {
		t.Fatalf("Decode(Encode) = %x, %x, %v", gotID, p, err)
	}
}

func TestDecode(t *testing.T) {
	java, err := os.ReadFile("testdata/java-zlib.hex")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		frame   string
		payload []byte
		wantErr string
	}{
		{"uncompressed", "0300" + idHex + "020a68656c6c6f", payload, ""},
		{"zlib, written by Java's Deflater", string(java), payload, ""},
		{"empty payload", "0300" + idHex, []byte{}, ""},
		{"short", "0300" + idHex[:30], nil, "shorter than the 18-byte header"},
		{"empty", "", nil, "shorter than"},
		{"confluent frame", "00000000010a68656c6c6f0000000000000000", nil, "header version byte 0"},
		{"unknown compression", "0301" + idHex + "00", nil, "compression byte 1"},
		{"corrupt zlib", "0305" + idHex + "789c00ff", nil, "zlib payload"},
		{"zlib, truncated", "0305" + idHex + "789c63e2ca48cdc9", nil, "zlib payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotID, p, err := gluewire.Decode(unhex(t, tt.frame))
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, gluewire.ErrFrame) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want ErrFrame with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if gotID != id || !bytes.Equal(p, tt.payload) {
				t.Fatalf("Decode = %x, %x; want %x, %x", gotID, p, id, tt.payload)
			}
		})
	}
}

func TestIsFrame(t *testing.T) {
	tests := []struct {
		frame string
		want  bool
	}{
		{"0300" + idHex, true},
		{"0305" + idHex + "78", true},
		{"0302" + idHex, false},
		{"0000000001", false},
		{"0300", false},
	}
	for _, tt := range tests {
		if got := gluewire.IsFrame(unhex(t, tt.frame)); got != tt.want {
			t.Errorf("IsFrame(%s) = %v; want %v", tt.frame, got, tt.want)
		}
	}
}

func TestUUID(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for an error
	}{
		{"b7b4a7f0-9c96-4e4a-a687-8e4c1f9c2a11", "b7b4a7f0-9c96-4e4a-a687-8e4c1f9c2a11"},
		{"B7B4A7F0-9C96-4E4A-A687-8E4C1F9C2A11", "b7b4a7f0-9c96-4e4a-a687-8e4c1f9c2a11"},
		{"b7b4a7f09c964e4aa6878e4c1f9c2a11", ""},
		{"b7b4a7f0-9c96-4e4a-a687-8e4c1f9c2a1g", ""},
		{"b7b4a7f0+9c96-4e4a-a687-8e4c1f9c2a11", ""},
	}
	for _, tt := range tests {
		u, err := gluewire.ParseUUID(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseUUID(%q) accepted", tt.in)
			}
			continue
		}
		if err != nil || gluewire.FormatUUID(u) != tt.want {
			t.Errorf("ParseUUID(%q) = %s, %v; want %s", tt.in, gluewire.FormatUUID(u), err, tt.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(unhex(f, "0300"+idHex+"020a68656c6c6f"))
	f.Add(unhex(f, "0305"+idHex+"789c63e2ca48cdc9c9070006780221"))
	f.Add([]byte{3})
	f.Fuzz(func(t *testing.T, b []byte) {
		gotID, p, err := gluewire.Decode(b)
		if err != nil {
			if !errors.Is(err, gluewire.ErrFrame) {
				t.Fatalf("error %v does not wrap ErrFrame", err)
			}
			return
		}
		if !gluewire.IsFrame(b) {
			t.Fatalf("Decode accepted %x, which IsFrame rejects", b)
		}
		for _, compress := range []bool{false, true} {
			again, err := gluewire.Encode(nil, gotID, p, compress)
			if err != nil {
				t.Fatal(err)
			}
			id2, p2, err := gluewire.Decode(again)
			if err != nil || id2 != gotID || !bytes.Equal(p2, p) {
				t.Fatalf("round trip (compress %v) of %x: %x, %x, %v", compress, b, id2, p2, err)
			}
		}
	})
}
