package s3sink

import (
	"bytes"
	"compress/gzip"
	"io"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/golden"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// formatRecords covers the value shapes a converter produces.
func formatRecords() []record.Record {
	decSchema := &record.Schema{Type: record.Bytes, Name: record.DecimalName, Version: 1, Parameters: map[string]string{"scale": "2"}}
	withDec := &record.Schema{Type: record.Struct, Name: "Price", Fields: []record.Field{{Name: "amount", Index: 0, Schema: decSchema}}}
	rs := []record.Record{
		{ValueData: record.RawJSON(`{"seq":1,"note":"ü\"x"}`)},
		{ValueData: record.RawJSON("  {\n  \"pretty\": [1,\n 2]\n}\n")},
		{ValueData: record.RawJSON(`"just a string"`)},
		order(3, "alice", tsCreated),
		{ValueData: map[string]any{"b": int64(2), "a": []any{true, nil, 1.5}}},
		{ValueSchema: record.StringSchema, ValueData: "plain"},
		{ValueSchema: record.BytesSchema, ValueData: []byte("bytes\x00")},
		{ValueData: []byte{0xff, 0x00}},
		{ValueSchema: withDec, ValueData: &record.StructValue{Schema: withDec, Values: []any{record.Decimal{Unscaled: big.NewInt(-12345), Scale: 2}}}},
		{ValueSchema: record.Int32Schema, ValueData: int32(42)},
	}
	for i := range rs {
		rs[i].Topic, rs[i].Partition, rs[i].Offset = "t", 0, int64(i)
		if rs[i].Value == nil {
			rs[i].Value = []byte("raw-" + itoa(int64(i)))
		}
	}
	return rs
}

func encodeAll(t *testing.T, props map[string]string, recs []record.Record) []byte {
	t.Helper()
	props["flush.size"] = "1000"
	s := newTestSink(t, props, nil)
	ws, err := s.Plan(recs[0].TopicPartition(), recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 {
		t.Fatalf("%d writes", len(ws))
	}
	b, err := s.Encode(ws[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFormatsGolden(t *testing.T) {
	golden.Check(t, filepath.Join("testdata", "json.golden"), encodeAll(t, map[string]string{}, formatRecords()))
	golden.Check(t, filepath.Join("testdata", "json-numeric.golden"), encodeAll(t, map[string]string{"json.decimal.format": "NUMERIC"}, formatRecords()[8:9]))
	golden.Check(t, filepath.Join("testdata", "bytearray.golden"), encodeAll(t, map[string]string{"format.class": "ByteArrayFormat"}, formatRecords()))
	golden.Check(t, filepath.Join("testdata", "bytearray-separator.golden"), encodeAll(t, map[string]string{"format.class": "bytearray", "format.bytearray.separator": `\r\n--\u00e9\t`}, formatRecords()[:3]))
	golden.Check(t, filepath.Join("testdata", "bytearray-no-separator.golden"), encodeAll(t, map[string]string{"format.class": "bytearray", "format.bytearray.separator": ``}, formatRecords()[:3]))
}

// Every JSON line is a single line: JSON lines readers split on newlines.
func TestJSONLinesAreLines(t *testing.T) {
	b := encodeAll(t, map[string]string{}, formatRecords())
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != len(formatRecords()) {
		t.Errorf("%d lines for %d records:\n%s", len(lines), len(formatRecords()), b)
	}
	if lines[1] != `{"pretty":[1,2]}` {
		t.Errorf("multi-line JSON written as %q, want it compacted", lines[1])
	}
	if lines[0] != `{"seq":1,"note":"ü\"x"}` {
		t.Errorf("raw JSON written as %q, want it unchanged", lines[0])
	}
}

func TestGzipRoundTrip(t *testing.T) {
	recs := jsonRecs("t", 0, 0, 500)
	plain := encodeAll(t, map[string]string{}, recs)
	for _, level := range []string{"-1", "0", "1", "9"} {
		z := encodeAll(t, map[string]string{"s3.compression.type": "gzip", "s3.compression.level": level}, recs)
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatalf("level %s: %v", level, err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("level %s: %v", level, err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("level %s: gunzipped object differs from the plain one", level)
		}
		if level != "0" && len(z) >= len(plain) {
			t.Errorf("level %s: %d compressed bytes for %d", level, len(z), len(plain))
		}
	}
}

func TestEncodeErrorsNameTheRecord(t *testing.T) {
	bad := record.Record{Topic: "t", Partition: 4, Offset: 17, ValueSchema: record.Int32Schema, ValueData: "not an int32"}
	s := newTestSink(t, map[string]string{}, nil)
	ws, err := s.Plan(bad.TopicPartition(), []record.Record{bad})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Encode(ws[0])
	if !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "t/4/17") {
		t.Errorf("error %v, want a BadRecord error naming t/4/17", err)
	}
	// ByteArrayFormat needs bytes.
	s = newTestSink(t, map[string]string{"format.class": "ByteArrayFormat"}, nil)
	nobytes := record.Record{Topic: "t", Partition: 4, Offset: 18, ValueSchema: record.Int32Schema, ValueData: int32(1)}
	ws, _ = s.Plan(nobytes.TopicPartition(), []record.Record{nobytes})
	if _, err = s.Encode(ws[0]); !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "t/4/18") {
		t.Errorf("error %v, want a BadRecord error naming t/4/18", err)
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{`\n`: "\n", `a\tb`: "a\tb", `\\n`: `\n`, `\u00e9\0`: "é\x00", `plain`: "plain", ``: ``, `\r\n`: "\r\n"} {
		if got, err := Unescape(in); err != nil || got != want {
			t.Errorf("Unescape(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`\`, `\q`, `\u12`, `\uzzzz`, `\ud800`} {
		if _, err := Unescape(bad); err == nil {
			t.Errorf("Unescape(%q) succeeded", bad)
		}
	}
}
