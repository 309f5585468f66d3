package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/golden"
)

func marshalSorted(t *testing.T, m map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil { // maps encode with sorted keys
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestParsePropertiesGolden parses every testdata/properties/*.properties file; the golden files
// next to them were checked against java.util.Properties.load.
func TestParsePropertiesGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "properties", "*.properties"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			props, err := ParseProperties(data)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, strings.TrimSuffix(f, ".properties")+".golden", marshalSorted(t, props))
		})
	}
}

func TestParsePropertiesErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`a=\u12`, `line 1: setting "a": malformed \uXXXX escape`},
		{"ok=1\n\n# c\nb = x\\uXYZW", `line 4: setting "b": malformed \uXXXX escape`},
		{"ok=1\ncont=\\\n  \\u00zz", `line 2: setting "cont": malformed \uXXXX escape`},
		{`\u00zz=1`, `line 1: malformed \uXXXX escape`},
		{"a=1\r\nb=2\r\nc=\\u", `line 3: setting "c": malformed \uXXXX escape`},
	}
	for _, tt := range tests {
		_, err := ParseProperties([]byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseProperties(%q) error %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
		err      string
	}{
		{name: "flat", in: `{"s3.bucket.name": "b", "flush.size": 1000, "store.kafka.keys": true, "x": null, "d": 1.50, "e": 1e3}`,
			want: map[string]string{"s3.bucket.name": "b", "flush.size": "1000", "store.kafka.keys": "true", "d": "1.50", "e": "1e3"}},
		{name: "REST shape", in: `{"name": "orders", "config": {"connector.class": "S3SinkConnector", "tasks.max": "1"}, "tasks": [], "type": "sink"}`,
			want: map[string]string{"connector.name": "orders", "connector.class": "S3SinkConnector", "tasks.max": "1"}},
		{name: "REST shape keeps connector.name", in: `{"name": "rest", "config": {"connector.name": "own"}}`,
			want: map[string]string{"connector.name": "own"}},
		{name: "REST shape without a name", in: `{"config": {"a": "b"}}`, want: map[string]string{"a": "b"}},
		{name: "empty", in: ` {} `, want: map[string]string{}},
		{name: "byte order mark", in: "\ufeff{\"a\": \"b\"}", want: map[string]string{"a": "b"}},
		{name: "array value", in: `{"topics": ["a", "b"], "m": {"x": 1}}`,
			err: `setting "m": an object is not a setting value (write lists as "a,b,c"); setting "topics": an array is not a setting value (write lists as "a,b,c")`},
		{name: "not an object", in: `["a"]`, err: "not a JSON object of settings"},
		{name: "null", in: `null`, err: "not a JSON object of settings: null"},
		{name: "trailing data", in: `{"a": "b"} {}`, err: "data after the object"},
		{name: "syntax error", in: `{"a": }`, err: "not a JSON object of settings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseJSON([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || !maps.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		file, content string
		want          map[string]string
		err           string
	}{
		{file: "c.json", content: `{"a": "1"}`, want: map[string]string{"a": "1"}},
		{file: "c.properties", content: "a=1\nb: 2", want: map[string]string{"a": "1", "b": "2"}},
		{file: "connector.conf", content: "  {\"a\": 2}", want: map[string]string{"a": "2"}},            // sniffed JSON
		{file: "connector.conf", content: "a = {not json}", want: map[string]string{"a": "{not json}"}}, // sniffed properties
		{file: "brace.properties", content: "{=x", want: map[string]string{"{": "x"}},                   // the extension decides
		{file: "bad.json", content: `{"a": [1]}`, err: `bad.json: setting "a": an array`},
		{file: "bad.properties", content: `a=\u00`, err: `bad.properties: line 1: setting "a": malformed`},
		{file: "missing.json", err: "missing.json"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			if tt.file != "missing.json" {
				if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ReadFile(path)
			if tt.err != "" {
				if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want a BadConfig error containing %q", err, tt.err)
				}
				return
			}
			if err != nil || !maps.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// storeProperties writes props as java.util.Properties.store does (keys sorted, escUnicode):
// the inverse of ParseProperties.
func storeProperties(props map[string]string) []byte {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("#stored\n")
	for _, k := range keys {
		b.WriteString(storeEscape(k, true))
		b.WriteByte('=')
		b.WriteString(storeEscape(props[k], false))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

func storeEscape(s string, isKey bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == ' ' && (isKey || i == 0):
			b.WriteString(`\ `)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '=' || r == ':' || r == '#' || r == '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r > 0x7e:
			for _, u := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&b, `\u%04X`, u)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FuzzReadProperties checks that any input parses without panicking and that what parses
// survives being stored (as Properties.store writes) and parsed again.
func FuzzReadProperties(f *testing.F) {
	for _, s := range []string{"a=b", "a b\\\n  c", "#c\n!d\n", "k\\ e\\=y : v\\u00e9", "\\uD83D\\uDE00=x", "a=\\", "\r\n\r", "=", "\xe9=\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		props, err := ParseProperties(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error %q does not name the line", err)
			}
			return
		}
		stored := storeProperties(props)
		again, err := ParseProperties(stored)
		if err != nil {
			t.Fatalf("stored form does not parse: %v\n%s", err, stored)
		}
		if !maps.Equal(props, again) {
			t.Fatalf("round trip changed the settings:\n%q\n%q\nstored:\n%s", props, again, stored)
		}
	})
}
