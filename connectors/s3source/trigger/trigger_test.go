package trigger_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

func load(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type want struct {
	id     string
	err    bool
	kinds  []trigger.Kind
	keys   []string
	vers   []string
	via    string
	bucket string
}

func TestDecodeSamples(t *testing.T) {
	const (
		k1 = "orders/2026 Q1/sales+tax (final).jsonl"
		k2 = "données/été 2026.csv.gz"
		k3 = "orders/old.jsonl"
		kE = "clicks/a b+c/€ 😀.txt"
	)
	tests := []struct {
		file  string
		shape trigger.Shape
		msgs  []want
	}{
		{"s3-put.json", trigger.ShapeS3, []want{{kinds: []trigger.Kind{trigger.Created, trigger.Created, trigger.Other}, keys: []string{k1, k2, k3}, vers: []string{"096fKKXTRTtl3on89fVO.nfljtsv6qko", "", ""}}}},
		{"s3-test-event.json", trigger.ShapeS3, []want{{kinds: []trigger.Kind{trigger.Test}, keys: []string{""}, vers: []string{""}}}},
		{"sqs-s3.json", trigger.ShapeSQS, []want{
			{id: "059f36b4-87a3-44ab-83d2-661975830a7d", kinds: []trigger.Kind{trigger.Created, trigger.Created, trigger.Other}, keys: []string{k1, k2, k3}, vers: []string{"096fKKXTRTtl3on89fVO.nfljtsv6qko", "", ""}, via: "sqs"},
			{id: "2e1424d4-f796-459a-8184-9c92662be6da", kinds: []trigger.Kind{trigger.Test}, keys: []string{""}, vers: []string{""}, via: "sqs"},
			{id: "db37e9f2-3f52-4a4e-bb5b-2a33e1b7f1c4", err: true},
		}},
		{"sns-sqs-s3.json", trigger.ShapeSQS, []want{
			{id: "7b2c1a9e-0001-4bde-9a3c-5f0c3e1d0001", kinds: []trigger.Kind{trigger.Created}, keys: []string{k1}, vers: []string{"096fKKXTRTtl3on89fVO.nfljtsv6qko"}, via: "sqs/sns"},
			{id: "7b2c1a9e-0002-4bde-9a3c-5f0c3e1d0002", kinds: []trigger.Kind{trigger.Test}, keys: []string{""}, vers: []string{""}, via: "sqs/sns"},
		}},
		{"eventbridge-object-created.json", trigger.ShapeEventBridge, []want{{kinds: []trigger.Kind{trigger.Created}, keys: []string{kE}, vers: []string{"IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"}}}},
		{"eventbridge-sqs.json", trigger.ShapeSQS, []want{
			{id: "a1b2c3d4-0001-4000-8000-000000000001", kinds: []trigger.Kind{trigger.Created}, keys: []string{kE}, vers: []string{"IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"}, via: "sqs"},
			{id: "a1b2c3d4-0002-4000-8000-000000000002", kinds: []trigger.Kind{trigger.Other}, keys: []string{kE}, vers: []string{"IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"}, via: "sqs"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b, err := trigger.Decode(load(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if b.Shape != tc.shape {
				t.Errorf("shape %q, want %q", b.Shape, tc.shape)
			}
			if len(b.Messages) != len(tc.msgs) {
				t.Fatalf("%d messages, want %d", len(b.Messages), len(tc.msgs))
			}
			for i, w := range tc.msgs {
				m := b.Messages[i]
				if m.ID != w.id {
					t.Errorf("message %d: id %q, want %q", i, m.ID, w.id)
				}
				if (m.Err != nil) != w.err {
					t.Fatalf("message %d: err %v, want error %v", i, m.Err, w.err)
				}
				if m.Err != nil {
					if !errclass.Is(m.Err, errclass.BadRecord) {
						t.Errorf("message %d: error class %v, want bad_record", i, errclass.Of(m.Err))
					}
					continue
				}
				if len(m.Notices) != len(w.kinds) {
					t.Fatalf("message %d: %d notices, want %d", i, len(m.Notices), len(w.kinds))
				}
				for j, n := range m.Notices {
					if n.Kind != w.kinds[j] || n.Object.Key != w.keys[j] || n.Object.VersionID != w.vers[j] {
						t.Errorf("message %d notice %d: %v %q %q, want %v %q %q", i, j, n.Kind, n.Object.Key, n.Object.VersionID, w.kinds[j], w.keys[j], w.vers[j])
					}
					if n.Object.Bucket != "example-landing" {
						t.Errorf("message %d notice %d: bucket %q", i, j, n.Object.Bucket)
					}
					via := ""
					for k, v := range n.Via {
						if k > 0 {
							via += "/"
						}
						via += v
					}
					if via != w.via {
						t.Errorf("message %d notice %d: via %q, want %q", i, j, via, w.via)
					}
				}
			}
		})
	}
}

func TestDecodeObjectFields(t *testing.T) {
	b, err := trigger.Decode(load(t, "s3-put.json"))
	if err != nil {
		t.Fatal(err)
	}
	o := b.Messages[0].Notices[1].Object
	if o.ETag != "9b2cf535f27731c974343645a3985328-7" || o.Size != 52428800 || o.Sequencer != "0055AED6DCD90281E6AB" || o.RawKey != "donn%C3%A9es/%C3%A9t%C3%A9+2026.csv.gz" {
		t.Errorf("object %+v", o)
	}
	if got := b.Messages[0].Notices[0].EventTime.UnixMilli(); got != 1772366400123 {
		t.Errorf("event time %d", got)
	}
}

func TestDecodeKeyExactlyOnce(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"a+b", "a b"},
		{"a%2Bb", "a+b"},
		{"a%252B", "a%2B"}, // a key holding "%2B" literally: decoded once, not twice
		{"%C3%A9t%C3%A9", "été"},
		{"plain/key.json", "plain/key.json"},
		{"sp%20ace", "sp ace"},
	}
	for _, tc := range tests {
		got, err := trigger.DecodeKey(tc.raw)
		if err != nil || got != tc.want {
			t.Errorf("DecodeKey(%q) = %q, %v; want %q", tc.raw, got, err, tc.want)
		}
	}
	if _, err := trigger.DecodeKey("bad%zz"); err == nil {
		t.Error("DecodeKey(bad%zz): no error")
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, p := range []string{`[]`, `{}`, `{"Records":[{"eventSource":"aws:dynamodb"}]}`, `{"source":"aws.ec2","detail":{}}`, `nope`} {
		if _, err := trigger.Decode([]byte(p)); err == nil || !errclass.Is(err, errclass.BadRecord) {
			t.Errorf("Decode(%s): %v, want a bad_record error", p, err)
		}
	}
	// A bad key inside an SQS message fails that message only.
	body, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
		"s3": map[string]any{"bucket": map[string]any{"name": "b"}, "object": map[string]any{"key": "x%zz"}}}}})
	payload, _ := json.Marshal(map[string]any{"Records": []any{
		map[string]any{"messageId": "m1", "eventSource": "aws:sqs", "body": string(body)},
		map[string]any{"messageId": "m2", "eventSource": "aws:sqs", "body": `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}`},
	}})
	b, err := trigger.Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	if b.Messages[0].Err == nil || b.Messages[1].Err != nil {
		t.Errorf("errors %v, %v; want the first message only to fail", b.Messages[0].Err, b.Messages[1].Err)
	}
}

func TestCompareSequencers(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"0055AED6DCD90281E5", "0055AED6DCD90281E5", 0},
		{"0055AED6DCD90281E5", "0055AED6DCD90281E6", -1},
		{"0055AED6DCD90281E6", "0055AED6DCD90281E5", 1},
		// different lengths: the shorter is right-padded with zeros
		{"0055AED6DCD90281E5", "0055AED6DCD90281E500", 0},
		{"0055AED6DCD90281E5", "0055AED6DCD90281E501", -1},
		{"0055AED6DCD90281E6", "0055AED6DCD90281E5FF", 1},
		{"617f08299329d189", "617F08299329D189", 0}, // case ignored
		{"", "00", 0},
		{"", "01", -1},
		{"1", "0FFFFFFFFFFF", 1}, // not numeric: "1" pads to "100000000000"
	}
	for _, tc := range tests {
		if got := trigger.CompareSequencers(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareSequencers(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := trigger.CompareSequencers(tc.b, tc.a); got != -tc.want {
			t.Errorf("CompareSequencers(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
	if got := trigger.NormalizeSequencer("617f08", 10); got != "617F080000" {
		t.Errorf("NormalizeSequencer = %q", got)
	}
}

// FuzzDecode checks that Decode never panics and that every Created notice has a bucket-relative
// key that decoding again would not produce (keys are decoded exactly once).
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"s3-put.json", "sqs-s3.json", "sns-sqs-s3.json", "eventbridge-object-created.json", "s3-test-event.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "events", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		b, err := trigger.Decode(payload)
		if err != nil {
			return
		}
		for _, m := range b.Messages {
			for _, n := range m.Notices {
				if n.Kind == trigger.Created {
					again, err := trigger.DecodeKey(n.Object.RawKey)
					if err != nil || again != n.Object.Key {
						t.Fatalf("key %q decodes to %q, notice says %q", n.Object.RawKey, again, n.Object.Key)
					}
				}
			}
		}
	})
}

func TestCompareSequencersOrderIsTotal(t *testing.T) {
	seqs := []string{"", "0", "00A", "0A", "1", "10", "FF", "ff0", "0055AED6DCD90281E5"}
	for _, a := range seqs {
		for _, b := range seqs {
			for _, c := range seqs {
				if trigger.CompareSequencers(a, b) <= 0 && trigger.CompareSequencers(b, c) <= 0 && trigger.CompareSequencers(a, c) > 0 {
					t.Errorf("not transitive: %q <= %q <= %q but %q > %q", a, b, c, a, c)
				}
			}
		}
	}
}
