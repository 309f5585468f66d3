package reader_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/lambda-connect/lambda-connect/connectors/s3source/reader"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// got is one Next result, printed compactly.
func readAll(t testing.TB, r reader.Reader) []string {
	t.Helper()
	var out []string
	for i := 0; i < 10000; i++ {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			if !errclass.Is(err, errclass.BadRecord) {
				t.Fatalf("Next: %v", err)
			}
			corrupt := ""
			if errors.Is(err, reader.ErrCorrupt) {
				corrupt = " corrupt"
			}
			out = append(out, fmt.Sprintf("%d@%d ERR%s %v", rec.Index, rec.Line, corrupt, err))
			if corrupt != "" {
				return out
			}
			continue
		}
		out = append(out, fmt.Sprintf("%d@%d %s", rec.Index, rec.Line, show(rec)))
	}
	t.Fatal("reader does not end")
	return nil
}

func show(rec reader.Record) string {
	switch d := rec.Value().(type) {
	case record.RawJSON:
		return "json " + string(d)
	case string:
		return fmt.Sprintf("text %q", d)
	case []byte:
		return fmt.Sprintf("bytes %q", d)
	case map[string]any:
		keys := make([]string, 0, len(d))
		for k := range d {
			keys = append(keys, k)
		}
		sortStrings(keys)
		var b strings.Builder
		b.WriteString("map")
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%q", k, d[k])
		}
		return b.String()
	case *record.StructValue:
		var b strings.Builder
		b.WriteString("struct")
		for i, f := range d.Schema.Fields {
			fmt.Fprintf(&b, " %s=%#v", f.Name, d.Values[i])
		}
		return b.String()
	}
	return fmt.Sprintf("%T", rec.Value())
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		name string
		opts reader.Options
		in   string
		want []string
	}{
		{"jsonl", reader.Options{Format: reader.JSONL}, "{\"a\":1}\n\n  \r\n{\"b\": [1, 2]}\r\nnot json\n{\"c\":3}",
			[]string{`0@1 json {"a":1}`, `1@4 json {"b": [1, 2]}`, `2@5 ERR line 5: record 2 is not valid JSON: invalid JSON at byte 0: unrecognized token, expected null`, `3@6 json {"c":3}`}},
		{"jsonl long line", reader.Options{Format: reader.JSONL, MaxRecordBytes: 8}, "{\"a\":1}\n{\"a\":\"0123456789\"}\n{}\n",
			[]string{`0@1 json {"a":1}`, `1@2 ERR line 2: record 1 is longer than 8 bytes`, `2@3 json {}`}},
		{"text", reader.Options{Format: reader.Text}, "one\r\n\ntwo\nthree",
			[]string{`0@1 text "one"`, `1@2 text ""`, `2@3 text "two"`, `3@4 text "three"`}},
		{"text empty", reader.Options{Format: reader.Text}, "", nil},
		{"bytes", reader.Options{Format: reader.Bytes}, "a\nb\x00", []string{`0@1 bytes "a\nb\x00"`}},
		{"bytes too big", reader.Options{Format: reader.Bytes, MaxRecordBytes: 2}, "abc", []string{`0@1 ERR object: is longer than 2 bytes, the most one record may hold`}},
		{"json array", reader.Options{Format: reader.JSON}, "[\n {\"a\": 1},\n {\"b\": {\"c\": [true, null]}}, 3 ]",
			[]string{`0@0 json {"a":1}`, `1@0 json {"b":{"c":[true,null]}}`, `2@0 json 3`}},
		{"json empty array", reader.Options{Format: reader.JSON}, " [ ] ", nil},
		{"json empty object", reader.Options{Format: reader.JSON}, "", nil},
		{"json not an array", reader.Options{Format: reader.JSON}, `{"a":1}`, []string{`0@0 ERR corrupt byte 1: not a JSON array: starts with {: the object cannot be read past this point`}},
		{"json truncated", reader.Options{Format: reader.JSON}, `[{"a":1},{"b":`, []string{`0@0 json {"a":1}`, `0@0 ERR corrupt byte 9: record 1: the object ends inside the array: the object cannot be read past this point`}},
		{"csv", reader.Options{Format: reader.CSV}, "id,name,note\n1,Ann,\"likes, commas\"\n\n2,\"Bo \"\"B\"\"\",\"two\nlines\"\r\n3,Cy\n4,Di,x",
			[]string{`0@2 map id="1" name="Ann" note="likes, commas"`, `1@4 map id="2" name="Bo \"B\"" note="two\nlines"`, `2@6 ERR line 6: record 2 has 2 columns, the header 3`, `3@7 map id="4" name="Di" note="x"`}},
		{"csv semicolon single quote", reader.Options{Format: reader.CSV, CSV: reader.CSVOptions{Delimiter: ';', Quote: '\''}}, "a;b\n'x;y';'it''s'\n",
			[]string{`0@2 map a="x;y" b="it's"`}},
		{"csv typed", reader.Options{Format: reader.CSV, CSV: reader.CSVOptions{Types: map[string]record.Type{"id": record.Int64, "ok": record.Boolean, "amount": record.Float64}}},
			"id,ok,amount,name\n7,true,2.5,x\n,FALSE,,y\nseven,true,1,z\n",
			[]string{`0@2 struct id=7 ok=true amount=2.5 name="x"`, `1@3 struct id=<nil> ok=false amount=<nil> name="y"`, `2@4 ERR line 4: record 2, column "id": "seven" is not an int64`}},
		{"csv unterminated quote", reader.Options{Format: reader.CSV}, "a,b\n1,2\n\"3,4\n",
			[]string{`0@2 map a="1" b="2"`, `1@3 ERR corrupt line 3: quoted field not terminated: the object cannot be read past this point`}},
		{"csv junk after quote", reader.Options{Format: reader.CSV}, "a\n\"x\"y\nz\n",
			[]string{`0@2 ERR line 2: character 'y' after a closing quote`, `1@3 map a="z"`}},
		{"csv trailing delimiter", reader.Options{Format: reader.CSV}, "a,b\n1,", []string{`0@2 map a="1" b=""`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := reader.New(reader.Source{Body: strings.NewReader(tc.in)}, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := readAll(t, r)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	for _, o := range []reader.Options{
		{Format: "avro"},
		{Format: reader.CSV, CSV: reader.CSVOptions{Delimiter: '"'}},
		{Format: reader.CSV, CSV: reader.CSVOptions{Types: map[string]record.Type{"a": record.Struct}}},
		{Format: reader.CSV, CSV: reader.CSVOptions{Types: map[string]record.Type{"missing": record.Int32}}},
	} {
		if _, err := reader.New(reader.Source{Body: strings.NewReader("a\n1\n")}, o); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
}

func TestSkip(t *testing.T) {
	for _, f := range []reader.Format{reader.JSONL, reader.Text, reader.CSV} {
		in := ""
		if f == reader.CSV {
			in = "h\n"
		}
		for i := range 10 {
			in += fmt.Sprintf("%d\n", i)
		}
		r, err := reader.New(reader.Source{Body: strings.NewReader(in)}, reader.Options{Format: f})
		if err != nil {
			t.Fatal(err)
		}
		if err := reader.Skip(r, 7); err != nil {
			t.Fatal(err)
		}
		rec, err := r.Next()
		if err != nil || rec.Index != 7 || string(rec.Raw) != "7" {
			t.Errorf("%s: after Skip(7): %d %q %v", f, rec.Index, rec.Raw, err)
		}
	}
}

func TestDetectCodec(t *testing.T) {
	tests := []struct {
		key, enc string
		want     reader.Codec
	}{
		{"a.jsonl", "", reader.None},
		{"a.jsonl.gz", "", reader.Gzip},
		{"a.JSON.GZ", "", reader.Gzip},
		{"a.csv.zst", "", reader.Zstd},
		{"a.txt.bz2", "", reader.Bzip2},
		{"a.jsonl", "gzip", reader.Gzip},
		{"a.gz", "zstd", reader.Zstd},
		{"a", "x-bzip2", reader.Bzip2},
		{"a", "identity", reader.None},
	}
	for _, tc := range tests {
		if got := reader.DetectCodec(tc.key, tc.enc); got != tc.want {
			t.Errorf("DetectCodec(%q, %q) = %q, want %q", tc.key, tc.enc, got, tc.want)
		}
	}
}

func TestDecompress(t *testing.T) {
	plain := strings.Repeat("{\"n\":1}\n", 1000)
	var gz, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write([]byte(plain))
	gw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write([]byte(plain))
	zw.Close()
	streams := map[reader.Codec][]byte{reader.None: []byte(plain), reader.Gzip: gz.Bytes(), reader.Zstd: zs.Bytes()}
	if path, err := exec.LookPath("bzip2"); err == nil {
		cmd := exec.Command(path, "-c")
		cmd.Stdin = strings.NewReader(plain)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		streams[reader.Bzip2] = out
	} else {
		t.Log("bzip2 not installed: bzip2 decoding is covered by the bzip2 sample in testdata only")
	}
	for codec, b := range streams {
		rc, err := reader.DecompressStrict(bytes.NewReader(b), codec)
		if err != nil {
			t.Fatal(codec, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != plain {
			t.Errorf("%q: %d bytes, %v", codec, len(got), err)
		}
	}
	// A truncated gzip stream is a corrupt object, not a transient failure.
	rc, err := reader.DecompressStrict(bytes.NewReader(gz.Bytes()[:gz.Len()/2]), reader.Gzip)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	if !errors.Is(err, reader.ErrCorrupt) || !errclass.Is(err, errclass.BadRecord) {
		t.Errorf("truncated gzip: %v", err)
	}
}

// genLines is an endless-looking JSON lines object of n records, generated as it is read.
type genLines struct {
	n, i int64
	buf  []byte
}

func (g *genLines) Read(p []byte) (int, error) {
	if len(g.buf) == 0 {
		if g.i == g.n {
			return 0, io.EOF
		}
		g.buf = fmt.Appendf(g.buf[:0], "{\"seq\":%d,\"payload\":\"%s\"}\n", g.i, strings.Repeat("x", 200))
		g.i++
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

// TestMemoryDoesNotGrow reads a 100 MB object and checks that the live heap stays far below it.
func TestMemoryDoesNotGrow(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const n = 450_000 // ~100 MB
	r, err := reader.New(reader.Source{Body: &genLines{n: n}}, reader.Options{Format: reader.JSONL})
	if err != nil {
		t.Fatal(err)
	}
	var peak uint64
	var ms runtime.MemStats
	for i := int64(0); ; i++ {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			if i != n {
				t.Fatalf("%d records, want %d", i, n)
			}
			break
		}
		if err != nil || rec.Index != i {
			t.Fatalf("record %d: %v", i, err)
		}
		if i%50_000 == 0 {
			runtime.GC() // twice: sync.Pool victims (other tests' buffers) survive one
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if peak > 16<<20 {
		t.Errorf("live heap reached %d MB reading a 100 MB object", peak>>20)
	}
}

func FuzzJSONL(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n\nbad\n[1,2]\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkReader(t, in, reader.Options{Format: reader.JSONL, MaxRecordBytes: 64})
	})
}

func FuzzJSONArray(f *testing.F) {
	f.Add([]byte(`[{"a":1}, 2, "x"]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkReader(t, in, reader.Options{Format: reader.JSON, MaxRecordBytes: 64})
	})
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("a,b\n1,\"x\"\"y\"\n\"un"), byte(','), byte('"'))
	f.Fuzz(func(t *testing.T, in []byte, delim, quote byte) {
		checkReader(t, in, reader.Options{Format: reader.CSV, MaxRecordBytes: 64, CSV: reader.CSVOptions{Delimiter: delim, Quote: quote}})
	})
}

// checkReader reads in to the end: no panic, indices consecutive from 0, lines non-decreasing,
// only BadRecord errors, and a corrupt error ends the stream.
func checkReader(t *testing.T, in []byte, o reader.Options) {
	r, err := reader.New(reader.Source{Body: bytes.NewReader(in)}, o)
	if err != nil {
		return
	}
	var next, line int64
	for i := 0; i <= len(in)+1; i++ {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil && !errclass.Is(err, errclass.BadRecord) {
			t.Fatalf("unclassified error %v", err)
		}
		if err == nil || rec.Index != 0 || next == 0 || !errors.Is(err, reader.ErrCorrupt) {
			if rec.Index != next && !errors.Is(err, reader.ErrCorrupt) {
				t.Fatalf("record index %d, want %d", rec.Index, next)
			}
		}
		if rec.Line < line {
			t.Fatalf("line %d after line %d", rec.Line, line)
		}
		line = rec.Line
		if errors.Is(err, reader.ErrCorrupt) {
			if _, err2 := r.Next(); err2 == nil {
				t.Fatal("a record after a corrupt one")
			}
			return
		}
		next++
	}
	t.Fatal("the reader did not end")
}
