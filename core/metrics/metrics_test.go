package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

var update = flag.Bool("update", false, "rewrite golden files")

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)

func newTest(buf *bytes.Buffer, dims map[string]string) *Recorder {
	r := New(buf, "LambdaConnect", dims)
	r.SetClock(func() time.Time { return t0 })
	return r
}

// emfUnits are the units the EMF specification allows (CloudWatch's StandardUnit).
var emfUnits = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
	"Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
	"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
	"Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
	"Count/Second", "None"}

// checkEMF parses one EMF line and checks it against the Embedded Metric Format specification:
// a root object with an "_aws" metadata object (Timestamp, a number of ms; CloudWatchMetrics, an
// array of directives), each directive with a Namespace, Dimensions (arrays of at most 30
// dimension keys, each naming a string member of the root) and Metrics (at most 100
// definitions, each naming a member of the root that is a number or an array of at most 100
// numbers, with a standard unit). It returns the root object.
func checkEMF(t *testing.T, line []byte) map[string]any {
	t.Helper()
	if !bytes.HasSuffix(line, []byte("\n")) || bytes.Count(line, []byte("\n")) != 1 {
		t.Fatalf("not one line: %q", line)
	}
	if len(line) > 256*1024 {
		t.Fatalf("line of %d bytes: more than a log event's 256 KB", len(line))
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, line)
	}
	aws, ok := root["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("no _aws object: %s", line)
	}
	for k := range aws {
		if k != "Timestamp" && k != "CloudWatchMetrics" {
			t.Errorf("_aws has member %q the specification does not define", k)
		}
	}
	ts, ok := aws["Timestamp"].(json.Number)
	if _, err := ts.Int64(); !ok || err != nil {
		t.Errorf("Timestamp %v is not an integer number of ms", aws["Timestamp"])
	}
	directives, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(directives) == 0 {
		t.Fatalf("CloudWatchMetrics is not a non-empty array: %v", aws["CloudWatchMetrics"])
	}
	for _, d := range directives {
		dir, ok := d.(map[string]any)
		if !ok {
			t.Fatalf("directive %v is not an object", d)
		}
		if ns, ok := dir["Namespace"].(string); !ok || ns == "" || len(ns) > 255 {
			t.Errorf("Namespace %v", dir["Namespace"])
		}
		sets, ok := dir["Dimensions"].([]any)
		if !ok {
			t.Fatalf("Dimensions %v is not an array", dir["Dimensions"])
		}
		for _, s := range sets {
			set, ok := s.([]any)
			if !ok || len(set) > 30 {
				t.Fatalf("dimension set %v is not an array of at most 30 keys", s)
			}
			for _, k := range set {
				name, ok := k.(string)
				if !ok {
					t.Fatalf("dimension key %v is not a string", k)
				}
				if v, ok := root[name].(string); !ok || strings.TrimSpace(v) == "" {
					t.Errorf("dimension %q: root member %v is not a non-blank string", name, root[name])
				}
			}
		}
		defs, ok := dir["Metrics"].([]any)
		if !ok || len(defs) == 0 || len(defs) > 100 {
			t.Fatalf("Metrics %v is not an array of 1 to 100 definitions", dir["Metrics"])
		}
		for _, d := range defs {
			def, ok := d.(map[string]any)
			if !ok {
				t.Fatalf("metric definition %v is not an object", d)
			}
			name, ok := def["Name"].(string)
			if !ok || name == "" || len(name) > 255 {
				t.Fatalf("metric Name %v", def["Name"])
			}
			if u, ok := def["Unit"]; ok && !slices.Contains(emfUnits, u.(string)) {
				t.Errorf("metric %s: unit %v is not a standard unit", name, u)
			}
			switch v := root[name].(type) {
			case json.Number:
			case []any:
				if len(v) == 0 || len(v) > 100 {
					t.Errorf("metric %s: %d values", name, len(v))
				}
				for _, x := range v {
					if _, ok := x.(json.Number); !ok {
						t.Errorf("metric %s: value %v is not a number", name, x)
					}
				}
			default:
				t.Errorf("metric %s: root member %v is not a number or an array of numbers", name, root[name])
			}
		}
	}
	return root
}

func TestFlushGolden(t *testing.T) {
	var buf bytes.Buffer
	r := newTest(&buf, map[string]string{"Connector": "orders-s3", "Function": "s3-sink"})
	r.Count("RecordsIn", 3)
	r.Count("RecordsIn", 2)
	r.Bytes("BytesWritten", 2048)
	r.Count("Errors_bad_record", 0)
	r.Milliseconds("BatchLatency", 1500*time.Microsecond)
	r.Milliseconds("BatchLatency", 42*time.Millisecond)
	r.Milliseconds("WriteLatency", 7*time.Millisecond)
	if err := r.Flush(map[string]string{"request_id": "8f5c-\"quoted\"", "cold_start": "true"}); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "flush.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("line differs from %s:\n got %s\nwant %s", golden, buf.Bytes(), want)
	}

	root := checkEMF(t, buf.Bytes())
	aws := root["_aws"].(map[string]any)
	if ts, _ := aws["Timestamp"].(json.Number).Int64(); ts != t0.UnixMilli() {
		t.Errorf("Timestamp %d, want %d", ts, t0.UnixMilli())
	}
	dir := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if dir["Namespace"] != "LambdaConnect" {
		t.Errorf("Namespace %v", dir["Namespace"])
	}
	if got := fmt.Sprint(dir["Dimensions"]); got != "[[Connector Function]]" {
		t.Errorf("Dimensions %s", got)
	}
	units := map[string]string{}
	for _, d := range dir["Metrics"].([]any) {
		def := d.(map[string]any)
		units[def["Name"].(string)] = def["Unit"].(string)
	}
	wantUnits := map[string]string{"RecordsIn": "Count", "BytesWritten": "Bytes", "Errors_bad_record": "Count",
		"BatchLatency": "Milliseconds", "WriteLatency": "Milliseconds"}
	if fmt.Sprint(units) != fmt.Sprint(wantUnits) {
		t.Errorf("units %v, want %v", units, wantUnits)
	}
	for name, want := range map[string]string{"RecordsIn": "5", "BytesWritten": "2048", "Errors_bad_record": "0",
		"BatchLatency": "[1.5 42]", "WriteLatency": "7", "Connector": "orders-s3", "request_id": `8f5c-"quoted"`,
		"cold_start": "true"} {
		if got := fmt.Sprint(root[name]); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
}

func TestFlushResets(t *testing.T) {
	var buf bytes.Buffer
	r := newTest(&buf, map[string]string{"Connector": "c"})
	if err := r.Flush(nil); err != nil || buf.Len() != 0 {
		t.Fatalf("flush of nothing wrote %q, %v", buf.String(), err)
	}
	r.Count("A", 1)
	r.Milliseconds("L", time.Second)
	if err := r.Flush(nil); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := r.Flush(map[string]string{"request_id": "x"}); err != nil || buf.Len() != 0 {
		t.Fatalf("second flush wrote %q, %v: metrics were not reset", buf.String(), err)
	}
	r.Count("B", 4)
	if err := r.Flush(nil); err != nil {
		t.Fatal(err)
	}
	root := checkEMF(t, buf.Bytes())
	if _, ok := root["A"]; ok {
		t.Errorf("metric A untouched since the last flush but written: %s", buf.Bytes())
	}
	if _, ok := root["L"]; ok {
		t.Errorf("metric L untouched since the last flush but written: %s", buf.Bytes())
	}
	if fmt.Sprint(root["B"]) != "4" {
		t.Errorf("B = %v", root["B"])
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name   string
		dims   int
		mets   int
		values int
		// want: directives, dimension keys, values of metric M0
		directives, dimKeys, m0Values int
	}{
		{name: "no dimensions", dims: 0, mets: 1, values: 1, directives: 1, dimKeys: 0, m0Values: 1},
		{name: "100 metrics, one directive", dims: 1, mets: 100, values: 1, directives: 1, dimKeys: 1, m0Values: 1},
		{name: "101 metrics, two directives", dims: 1, mets: 101, values: 1, directives: 2, dimKeys: 1, m0Values: 1},
		{name: "250 metrics, three directives", dims: 2, mets: 250, values: 1, directives: 3, dimKeys: 2, m0Values: 1},
		{name: "31 dimensions, 30 kept", dims: 31, mets: 1, values: 1, directives: 1, dimKeys: 30, m0Values: 1},
		{name: "150 durations, 100 kept", dims: 1, mets: 1, values: 150, directives: 1, dimKeys: 1, m0Values: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dims := map[string]string{}
			for i := range tt.dims {
				dims[fmt.Sprintf("D%02d", i)] = fmt.Sprintf("v%d", i)
			}
			var buf bytes.Buffer
			r := newTest(&buf, dims)
			for i := range tt.mets {
				for range tt.values {
					r.Milliseconds(fmt.Sprintf("M%d", i), time.Millisecond)
				}
			}
			if err := r.Flush(nil); err != nil {
				t.Fatal(err)
			}
			root := checkEMF(t, buf.Bytes())
			dirs := root["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)
			if len(dirs) != tt.directives {
				t.Errorf("%d directives, want %d", len(dirs), tt.directives)
			}
			declared := 0
			for _, d := range dirs {
				dir := d.(map[string]any)
				declared += len(dir["Metrics"].([]any))
				if n := len(dir["Dimensions"].([]any)[0].([]any)); n != tt.dimKeys {
					t.Errorf("%d dimension keys, want %d", n, tt.dimKeys)
				}
			}
			if declared != tt.mets {
				t.Errorf("%d metrics declared, want %d", declared, tt.mets)
			}
			n := 1
			if vs, ok := root["M0"].([]any); ok {
				n = len(vs)
			}
			if n != tt.m0Values {
				t.Errorf("M0 has %d values, want %d", n, tt.m0Values)
			}
			for k, v := range dims { // every dimension is on the line, in the set or not
				if root[k] != v {
					t.Errorf("dimension %s = %v, want %s", k, root[k], v)
				}
			}
		})
	}
}

func TestReservedNames(t *testing.T) {
	var buf bytes.Buffer
	r := newTest(&buf, map[string]string{"Connector": "c", "Empty": ""})
	r.Count("Connector", 5) // named like a dimension: ignored
	r.Count("_aws", 1)      // ignored
	r.Count("", 1)          // ignored
	r.Count("Writes", 2)
	if err := r.Flush(map[string]string{"Writes": "overwritten?", "Connector": "other", "_aws": "x", "request_id": "r1"}); err != nil {
		t.Fatal(err)
	}
	root := checkEMF(t, buf.Bytes())
	for k, want := range map[string]string{"Connector": "c", "Writes": "2", "request_id": "r1"} {
		if got := fmt.Sprint(root[k]); got != want {
			t.Errorf("%s = %s, want %s (line %s)", k, got, want, buf.Bytes())
		}
	}
	if _, ok := root["Empty"]; ok {
		t.Errorf("dimension with an empty value written: %s", buf.Bytes())
	}
	if n := strings.Count(buf.String(), `"Writes"`); n != 2 { // its definition and its value
		t.Errorf("Writes appears %d times: %s", n, buf.Bytes())
	}
}

func TestConcurrent(t *testing.T) {
	var buf bytes.Buffer
	r := newTest(&buf, map[string]string{"Connector": "c"})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				r.Count("N", 1)
				r.Bytes("B", 3)
			}
		})
	}
	wg.Wait()
	if err := r.Flush(nil); err != nil {
		t.Fatal(err)
	}
	root := checkEMF(t, buf.Bytes())
	if fmt.Sprint(root["N"]) != "8000" || fmt.Sprint(root["B"]) != "24000" {
		t.Errorf("N, B = %v, %v", root["N"], root["B"])
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("pipe closed") }

func TestWriteError(t *testing.T) {
	r := New(failWriter{}, "", nil)
	r.Count("A", 1)
	err := r.Flush(nil)
	if !errclass.Is(err, errclass.Retriable) || !strings.Contains(err.Error(), "pipe closed") {
		t.Fatalf("err = %v (class %v), want a retriable error with the cause", err, errclass.Of(err))
	}
}

func TestNilRecorder(t *testing.T) {
	var r *Recorder
	r.Count("A", 1)
	r.Bytes("B", 1)
	r.Milliseconds("C", time.Second)
	if err := r.Flush(map[string]string{"a": "b"}); err != nil {
		t.Fatal(err)
	}
}

func TestNegativeDurationAndDefaultNamespace(t *testing.T) {
	var buf bytes.Buffer
	r := New(&buf, "", nil)
	r.Milliseconds("L", -time.Second)
	if err := r.Flush(nil); err != nil {
		t.Fatal(err)
	}
	root := checkEMF(t, buf.Bytes())
	dir := root["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if dir["Namespace"] != DefaultNamespace || fmt.Sprint(root["L"]) != "0" {
		t.Errorf("namespace %v, L %v", dir["Namespace"], root["L"])
	}
}

// TestAllocations checks the steady state of an invocation (a few metrics, one Flush) does not
// allocate once the Recorder has seen its metrics.
func TestAllocations(t *testing.T) {
	r := New(&bytes.Buffer{}, "LambdaConnect", map[string]string{"Connector": "c"})
	r.w = nopWriter{}
	extra := map[string]string{"request_id": "abc"}
	invoke := func() {
		r.Count("RecordsIn", 10)
		r.Count("RecordsWritten", 10)
		r.Bytes("BytesWritten", 1000)
		r.Milliseconds("BatchLatency", 12*time.Millisecond)
		_ = r.Flush(extra)
	}
	invoke()
	if n := testing.AllocsPerRun(100, invoke); n > 0 {
		t.Errorf("%v allocations per invocation, want 0", n)
	}
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

func BenchmarkInvocation(b *testing.B) {
	r := New(nopWriter{}, "LambdaConnect", map[string]string{"Connector": "c"})
	extra := map[string]string{"request_id": "abc"}
	b.ReportAllocs()
	for b.Loop() {
		r.Count("RecordsIn", 10)
		r.Count("RecordsWritten", 10)
		r.Bytes("BytesWritten", 1000)
		r.Milliseconds("BatchLatency", 12*time.Millisecond)
		_ = r.Flush(extra)
	}
}
