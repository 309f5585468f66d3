package offsets

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestFileFormatGolden pins the file's format: a fixed sequence of changes gives the golden file.
func TestFileFormatGolden(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "offsets.json")
	s, err := OpenFileStore(FileConfig{Path: path, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	a := Key{Connector: "s3-sink", Topic: "orders", Partition: 1}
	b := Key{Connector: "s3-sink", Topic: "orders", Partition: 0}
	c := Key{Connector: "other", Topic: "clicks", Partition: 7}
	la, err := s.Acquire(ctx, a, "invocation-1", now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, la, 120); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPending(ctx, la, []string{"topics/orders/partition=1/orders+1+0000000120.json"}); err != nil {
		t.Fatal(err)
	}
	lb, err := s.Acquire(ctx, b, "invocation-1", now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, lb, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, lb); err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(ctx, c, 5, false); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "filestore.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("file differs from %s (run with -update to accept):\n%s", golden, got)
	}
	// The golden file loads back to the same states.
	re, err := OpenFileStore(FileConfig{Path: golden})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []Key{a, b, c} {
		g1, _ := s.Get(ctx, k)
		g2, _ := re.Get(ctx, k)
		if !reflect.DeepEqual(g1, g2) {
			t.Fatalf("%s: reloaded %+v, stored %+v", k, g2, g1)
		}
	}
	// No temporary file left next to it.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the file", len(entries))
	}
}

func TestOpenFileStoreRejectsBadFiles(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"not json", "{", "decoding"},
		{"unknown field", `{"partitions":[],"extra":1}`, "unknown field"},
		{"trailing data", `{"partitions":[]} {}`, "after the JSON document"},
		{"empty connector", `{"partitions":[{"topic":"t","partition":0,"next_offset":1,"epoch":1,"updated_at":1}]}`, "empty connector"},
		{"duplicate", `{"partitions":[{"connector":"c","topic":"t","partition":0,"next_offset":1,"epoch":1,"updated_at":1},{"connector":"c","topic":"t","partition":0,"next_offset":2,"epoch":1,"updated_at":1}]}`, "twice"},
		{"offset below -1", `{"partitions":[{"connector":"c","topic":"t","partition":0,"next_offset":-2,"epoch":1,"updated_at":1}]}`, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "offsets.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := NewFileStore(path)
			if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("NewFileStore: %v; want a BadConfig error naming %s and containing %q", err, path, tt.want)
			}
		})
	}
}

func TestFileStoreWriteFailureLeavesStateUnchanged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "offsets.json") // the directory does not exist: writes fail
	s, err := NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Connector: "c", Topic: "t", Partition: 0}
	_, err = s.Acquire(context.Background(), k, "a", time.Now().Add(time.Minute))
	if !errclass.Is(err, errclass.Retriable) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Acquire: %v; want a retriable error naming %s", err, path)
	}
	st, err := s.Get(context.Background(), k)
	if err != nil || st.Owner != "" || st.Epoch != 0 {
		t.Fatalf("state after a failed write: %+v, %v", st, err)
	}
}

// FuzzDecodeFile: any file either is rejected or round-trips through the encoder unchanged.
func FuzzDecodeFile(f *testing.F) {
	for _, name := range []string{"filestore.golden.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"partitions":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := decodeFile(data)
		if err != nil {
			return
		}
		enc, err := encodeFile(items)
		if err != nil {
			t.Fatalf("encoding decoded items: %v", err)
		}
		again, err := decodeFile(enc)
		if err != nil {
			t.Fatalf("decoding the encoder's output: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(items, again) {
			t.Fatalf("round trip changed the items:\n%+v\n%+v", items, again)
		}
		enc2, _ := encodeFile(again)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable:\n%s\n%s", enc, enc2)
		}
	})
}
