package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/golden"
)

func TestMarkdownGolden(t *testing.T) {
	md := testSpec().Markdown()
	golden.Check(t, filepath.Join("testdata", "markdown.golden"), []byte(md))
	lines := strings.Split(strings.TrimSuffix(md, "\n"), "\n")
	if len(lines) != 2+len(testSpec().Keys) {
		t.Fatalf("%d lines, want a header, a rule and a row per key", len(lines))
	}
	for i, l := range lines {
		// Every row has six cells: seven unescaped pipes.
		if n := strings.Count(l, "|") - strings.Count(l, `\|`); n != 7 {
			t.Errorf("line %d has %d cell separators: %s", i+1, n, l)
		}
	}
	for i, k := range testSpec().Keys { // in the spec's order
		if !strings.HasPrefix(lines[2+i], "| `"+k.Name+"` |") {
			t.Errorf("row %d is not %s: %s", i+1, k.Name, lines[2+i])
		}
	}
}

func TestCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"topics", "`topics`"},
		{"a`b", "``a`b``"},
		{"`x", "`` `x ``"},
		{"a|b", "`a\\|b`"},
	}
	for _, tt := range tests {
		if got := code(tt.in); got != tt.want {
			t.Errorf("code(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSAMParameters(t *testing.T) {
	ps := testSpec().SAMParameters()
	byName := map[string]SAMParameter{}
	var names []string
	for _, p := range ps {
		byName[p.Name] = p
		names = append(names, p.Name)
	}
	wantNames := []string{"ConnectorName", "S3BucketName", "TopicsDir", "FlushSize", "PartitionDurationMs",
		"StoreKafkaKeys", "S3CompressionType", "BehaviorOnNullValues", "FormatClass", "AwsSecretAccessKey",
		"ValueConverterSchemasEnable"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("parameters %v, want %v", names, wantNames)
	}
	tests := []SAMParameter{
		{Name: "S3BucketName", Key: "s3.bucket.name", Type: "String", Required: true,
			Description: "The S3 bucket.", EnvVar: "CONNECT_S3_BUCKET_NAME"},
		{Name: "FlushSize", Key: "flush.size", Type: "Number", Default: "1000",
			Description: "Records per object.", EnvVar: "CONNECT_FLUSH_SIZE"},
		// A number without a default must accept "" (unset): a String.
		{Name: "PartitionDurationMs", Key: "partition.duration.ms", Type: "String",
			Description: "Duration of a time-based partition.", EnvVar: "CONNECT_PARTITION_DURATION_MS"},
		{Name: "StoreKafkaKeys", Key: "store.kafka.keys", Type: "String", Default: "false",
			Description: "Whether keys are stored.", AllowedValues: []string{"true", "false"}, EnvVar: "CONNECT_STORE_KAFKA_KEYS"},
		{Name: "S3CompressionType", Key: "s3.compression.type", Type: "String", Default: "none",
			Description: "Compression of the objects.", AllowedValues: []string{"none", "gzip"}, EnvVar: "CONNECT_S3_COMPRESSION_TYPE"},
		{Name: "BehaviorOnNullValues", Key: "behavior.on.null.values", Type: "String",
			Description: "What a null value does.", AllowedValues: []string{"", "fail", "ignore"}, EnvVar: "CONNECT_BEHAVIOR_ON_NULL_VALUES"},
		{Name: "FormatClass", Key: "format.class", Type: "String", Default: jsonFormat, Description: "The object format.",
			AllowedValues: []string{jsonFormat, byteArrayFormat, "ByteArrayFormat", "JsonFormat"}, EnvVar: "CONNECT_FORMAT_CLASS"},
		{Name: "AwsSecretAccessKey", Key: "aws.secret.access.key", Type: "String", Description: "A secret.",
			EnvVar: "CONNECT_AWS_SECRET_ACCESS_KEY", NoEcho: true},
	}
	for _, want := range tests {
		if got := byName[want.Name]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", want.Name, got, want)
		}
	}
}

func TestRenderBetween(t *testing.T) {
	doc := "# Title\n\n<!-- BEGIN GENERATED x -->\nold\nlines\n<!-- END GENERATED x -->\ntail\n"
	tests := []struct {
		name, doc, begin, end, content, want, err string
	}{
		{name: "replace", doc: doc, begin: "BEGIN GENERATED x", end: "END GENERATED x", content: "new\n",
			want: "# Title\n\n<!-- BEGIN GENERATED x -->\nnew\n<!-- END GENERATED x -->\ntail\n"},
		{name: "content without newline", doc: doc, begin: "BEGIN GENERATED x", end: "END GENERATED x", content: "new",
			want: "# Title\n\n<!-- BEGIN GENERATED x -->\nnew\n<!-- END GENERATED x -->\ntail\n"},
		{name: "empty content", doc: doc, begin: "BEGIN GENERATED x", end: "END GENERATED x", content: "",
			want: "# Title\n\n<!-- BEGIN GENERATED x -->\n<!-- END GENERATED x -->\ntail\n"},
		{name: "indented yaml markers", doc: "a:\n  # BEGIN p\n  X: 1\n  # END p\nb: 2", begin: "# BEGIN p", end: "# END p", content: "  Y: 2\n",
			want: "a:\n  # BEGIN p\n  Y: 2\n  # END p\nb: 2"},
		{name: "end on the last line without newline", doc: "B\nold\nE", begin: "B", end: "E", content: "new\n", want: "B\nnew\nE"},
		{name: "missing begin", doc: doc, begin: "BEGIN GENERATED y", end: "END GENERATED x", err: `marker "BEGIN GENERATED y" not found`},
		{name: "missing end", doc: doc, begin: "BEGIN GENERATED x", end: "END GENERATED y", err: `marker "END GENERATED y" not found after`},
		{name: "end before begin", doc: "E\nB\n", begin: "B", end: "E", err: `not found after`},
		{name: "begin twice", doc: "B\nE\nB\nE\n", begin: "B", end: "E", err: "is on lines 1 and 3"},
		{name: "empty marker", doc: doc, begin: "", end: "E", err: "empty marker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RenderBetween([]byte(tt.doc), tt.begin, tt.end, tt.content)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			again, err := RenderBetween(got, tt.begin, tt.end, tt.content)
			if err != nil || string(again) != string(got) {
				t.Errorf("rendering twice changed the document: %q", again)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	if err := testSpec().Check(); err != nil {
		t.Fatalf("testSpec: %v", err)
	}
	bad := &Spec{
		Connector: "bad",
		Keys: []Key{
			{Name: "a.b", Type: String},
			{Name: "a.b", Type: String},
			{Name: "a._b", Type: String},
			{Name: "Upper", Type: String},
			{Name: "n", Type: Int, Default: "x"},
			{Name: "r", Type: String, Required: true, Default: "d"},
			{Name: "c", Type: Class, Enum: []string{"A"}, Aliases: map[string]string{"b": "B"}},
			{Name: "s", Type: String, Aliases: map[string]string{"x": "y"}},
			{Name: "p1", Type: String, Parameter: "P"},
			{Name: "p2", Type: String, Parameter: "P"},
			{Name: "p3", Type: String, Parameter: "Not-Alnum"},
			{Name: "t", Type: Type(99)},
			{Name: "topics", Type: String},
		},
		Ignored: []string{"topics"},
	}
	err := bad.Check()
	if !errclass.Is(err, errclass.BadConfig) {
		t.Fatalf("err = %v", err)
	}
	var ps Problems
	errors.As(err, &ps)
	want := []string{"a.b", "a._b", "Upper", "n", "r", "c", "s", "p2", "p3", "t", "topics"}
	got := slices.Compact(ps.Keys())
	if !slices.Equal(got, want) {
		t.Errorf("problem keys %v, want %v\n%v", got, want, err)
	}
	for _, s := range []string{"a.b: is in the spec twice", `n: default: "x" is not an integer`,
		`c: alias "b" maps to "B", which is not in Enum`, "p2: SAM parameter P also sets p1", "topics: is both a key and ignored"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q:\n%v", s, err)
		}
	}
}

func TestTypeString(t *testing.T) {
	want := []string{"string", "int", "long", "double", "boolean", "list", "password", "class"}
	for i, w := range want {
		if got := Type(i).String(); got != w {
			t.Errorf("Type(%d) = %q, want %q", i, got, w)
		}
	}
	if Type(42).String() != "unknown" {
		t.Error("Type(42) has a name")
	}
}
