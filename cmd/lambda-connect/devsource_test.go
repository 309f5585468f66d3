package main

import (
	"encoding/json"
	"testing"

	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
)

// TestS3EventKey: the sandbox encodes keys as S3 notifications do, and the source's trigger
// decoding gives the key back.
func TestS3EventKey(t *testing.T) {
	tests := []struct{ key, encoded string }{
		{"incoming/orders.jsonl", "incoming/orders.jsonl"},
		{"incoming/a b+c.jsonl", "incoming/a+b%2Bc.jsonl"},
		{"données/été 2026.csv", "donn%C3%A9es/%C3%A9t%C3%A9+2026.csv"},
		{"x%y&z=1", "x%25y%26z%3D1"},
	}
	for _, tc := range tests {
		if got := s3EventKey(tc.key); got != tc.encoded {
			t.Errorf("s3EventKey(%q) = %q, want %q", tc.key, got, tc.encoded)
		}
		payload, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
			"s3": map[string]any{"bucket": map[string]any{"name": "b"}, "object": map[string]any{"key": s3EventKey(tc.key), "eTag": "e"}}}}})
		b, err := trigger.Decode(payload)
		if err != nil || len(b.Messages) != 1 || len(b.Messages[0].Notices) != 1 {
			t.Fatalf("%q: %+v %v", tc.key, b, err)
		}
		if got := b.Messages[0].Notices[0].Object.Key; got != tc.key {
			t.Errorf("%q: decoded as %q", tc.key, got)
		}
	}
}
