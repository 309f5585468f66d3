package config

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

func TestKeyName(t *testing.T) {
	tests := []struct {
		env, key string
		ok       bool
	}{
		{"CONNECT_S3_BUCKET_NAME", "s3.bucket.name", true},
		{"CONNECT_TOPICS_DIR", "topics.dir", true},
		{"CONNECT_CONNECTOR_NAME", "connector.name", true},
		{"CONNECT_FORMAT_BYTEARRAY_EXTENSION", "format.bytearray.extension", true},
		{"CONNECT_FORMAT_BYTEARRAY_LINE__SEPARATOR", "format.bytearray.line_separator", true},
		{"CONNECT_SOME__UNDERSCORE", "some_underscore", true},
		{"CONNECT_A___B", "a-b", true},
		{"CONNECT_A____B", "a-.b", true},   // four: "-" then "."
		{"CONNECT_A_____B", "a-_b", true},  // five: "-" then "_"
		{"CONNECT_A______B", "a--b", true}, // six: two "-"
		{"CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE", "value.converter.schemas.enable", true},
		{"CONNECT_S3_PART_SIZE", "s3.part.size", true},
		{"CONNECT__LEADING", ".leading", true},
		{"CONNECT_TRAILING_", "trailing.", true},
		{"CONNECT_MixedCase", "mixedcase", true},
		{"CONNECT_", "", false},
		{"CONNECTOR_CONFIG_FILE", "", false},
		{"connect_s3_bucket_name", "", false},
		{"AWS_REGION", "", false},
	}
	for _, tt := range tests {
		key, ok := KeyName(tt.env)
		if key != tt.key || ok != tt.ok {
			t.Errorf("KeyName(%q) = %q, %v; want %q, %v", tt.env, key, ok, tt.key, tt.ok)
		}
	}
}

func TestEnvName(t *testing.T) {
	tests := []struct{ key, env string }{
		{"s3.bucket.name", "CONNECT_S3_BUCKET_NAME"},
		{"topics.dir", "CONNECT_TOPICS_DIR"},
		{"connector.name", "CONNECT_CONNECTOR_NAME"},
		{"format.bytearray.extension", "CONNECT_FORMAT_BYTEARRAY_EXTENSION"},
		{"some_underscore", "CONNECT_SOME__UNDERSCORE"},
		{"a-b", "CONNECT_A___B"},
		{"a-.b", "CONNECT_A____B"},
		{"value.converter.schemas.enable", "CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE"},
	}
	s := testSpec()
	for _, tt := range tests {
		if got := s.EnvVar(tt.key); got != tt.env {
			t.Errorf("EnvVar(%q) = %q, want %q", tt.key, got, tt.env)
		}
		if back, ok := KeyName(tt.env); !ok || back != tt.key {
			t.Errorf("KeyName(EnvName(%q)) = %q", tt.key, back)
		}
	}
}

func TestEnvRepresentable(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"s3.bucket.name", true}, {"a-b", true}, {"a-.b", true}, {"a-_b", true}, {"a--b", true},
		{"some_underscore", true}, {".x", true}, {"x.", true}, {"x_", true}, {"0.1", true},
		{"a._b", false}, {"a_.b", false}, {"a..b", false}, {"a__b", false}, {"a.-b", false},
		{"S3.bucket", false}, {"a b", false}, {"a=b", false}, {"é", false}, {"", false},
	}
	for _, tt := range tests {
		err := envRepresentable(tt.key)
		if (err == nil) != tt.ok {
			t.Errorf("envRepresentable(%q) = %v, want ok %v", tt.key, err, tt.ok)
		}
		if err == nil {
			if back, _ := KeyName(EnvName(tt.key)); back != tt.key {
				t.Errorf("%q is representable but comes back as %q", tt.key, back)
			}
		} else if tt.key != "" && strings.Trim(strings.ToLower(tt.key), "abcdefghijklmnopqrstuvwxyz0123456789._-") == "" {
			// names of valid characters that are rejected must really not come back
			if back, _ := KeyName(EnvName(tt.key)); back == tt.key {
				t.Errorf("%q is said not representable but comes back unchanged", tt.key)
			}
		}
	}
}

// FuzzEnvName checks both directions of the convention: a representable key survives EnvName
// then KeyName, and the key of any environment variable name is representable and survives
// EnvName then KeyName.
func FuzzEnvName(f *testing.F) {
	for _, s := range []string{"s3.bucket.name", "SOME__UNDERSCORE", "A___B", "A____B", "a._b", "_", "___x", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if envRepresentable(s) == nil {
			if back, ok := KeyName(EnvName(s)); !ok || back != s {
				t.Fatalf("representable key %q: EnvName %q, back %q", s, EnvName(s), back)
			}
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
				return // not an environment variable name
			}
		}
		key, ok := KeyName(EnvPrefix + s)
		if ok != (s != "") {
			t.Fatalf("KeyName(CONNECT_%s) ok = %v", s, ok)
		}
		if !ok {
			return
		}
		if err := envRepresentable(key); err != nil {
			t.Fatalf("key %q of CONNECT_%s: %v", key, s, err)
		}
		if back, _ := KeyName(EnvName(key)); back != key {
			t.Fatalf("key %q of CONNECT_%s: EnvName %q comes back as %q", key, s, EnvName(key), back)
		}
		if strings.ToUpper(EnvPrefix+s) != EnvName(key) {
			t.Fatalf("CONNECT_%s: key %q, EnvName %q is not the name uppercased", s, key, EnvName(key))
		}
	})
}

func TestFromEnviron(t *testing.T) {
	got := FromEnviron([]string{
		"PATH=/usr/bin",
		"CONNECT_S3_BUCKET_NAME=my-bucket",
		"CONNECT_FLUSH_SIZE=",
		"CONNECT_PATH_FORMAT='year'=YYYY",
		"CONNECTOR_CONFIG_FILE=/etc/c.json",
		"CONNECT_TOPICS_DIR=first",
		"CONNECT_TOPICS_DIR=second",
		"MALFORMED",
		"CONNECT_=nothing",
	})
	want := map[string]string{
		"s3.bucket.name": "my-bucket",
		"flush.size":     "",
		"path.format":    "'year'=YYYY",
		"topics.dir":     "second",
	}
	if !maps.Equal(got, want) {
		t.Errorf("FromEnviron = %v, want %v", got, want)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s3-sink.properties")
	if err := os.WriteFile(file, []byte("connector.name=from-file\ns3.bucket.name=file-bucket\nflush.size=50\ntopics=orders\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(testSpec(), []string{
		"CONNECTOR_CONFIG_FILE=" + file,
		"CONNECT_S3_BUCKET_NAME=env-bucket", // the environment wins
		"CONNECT_FLUSH_SIZE=",               // empty: unset, the file's value stays
		"CONNECT_TOPICS_DIR=  ",             // blank: unset, the default applies
		"CONNECT_FORMAT_CLASS=ByteArrayFormat",
	})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"connector.name": "from-file", "s3.bucket.name": "env-bucket",
		"topics.dir": "topics", "format.class": byteArrayFormat} {
		if got := c.String(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if c.Int("flush.size") != 50 || c.IsSet("topics.dir") {
		t.Errorf("flush.size %d, topics.dir set %v", c.Int("flush.size"), c.IsSet("topics.dir"))
	}
	if ign := c.Ignored(); len(ign) != 1 || ign[0] != "topics" {
		t.Errorf("Ignored = %v", ign)
	}

	// Without a file.
	c, err = Load(testSpec(), []string{"CONNECT_CONNECTOR_NAME=n", "CONNECT_S3_BUCKET_NAME=b", "HOME=/root"})
	if err != nil || c.String("s3.bucket.name") != "b" {
		t.Fatalf("Load without a file: %v", err)
	}
}

func TestLoadProblemsNameTheirSource(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	if err := os.WriteFile(file, []byte(`{"name": "orders", "config": {"flush.size": "many", "s3.bukcet.name": "b"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(testSpec(), []string{"CONNECTOR_CONFIG_FILE=" + file, "CONNECT_STORE_KAFKA_KEYS=perhaps"})
	if !errclass.Is(err, errclass.BadConfig) {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`flush.size: "many" is not an integer (from ` + file + `)`,
		`store.kafka.keys: "perhaps" is not a boolean (true or false) (from CONNECT_STORE_KAFKA_KEYS)`,
		`unknown setting "s3.bukcet.name", did you mean s3.bucket.name? (from ` + file + `)`,
		`s3.bucket.name: required setting is missing (set CONNECT_S3_BUCKET_NAME);`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if ps := problemsOf(t, err); len(ps) != 4 {
		t.Errorf("%d problems, want 4: %v", len(ps), ps)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(testSpec(), []string{"CONNECTOR_CONFIG_FILE=/nonexistent/c.properties"})
	if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), "/nonexistent/c.properties") {
		t.Fatalf("err = %v, want a BadConfig error naming the file", err)
	}
}

// A Kafka Connect standalone connector file names the connector with "name".
func TestLoadConnectFileName(t *testing.T) {
	file := filepath.Join(t.TempDir(), "connect-s3-sink.properties")
	if err := os.WriteFile(file, []byte("name=s3-sink-orders\nconnector.class=io.confluent.connect.s3.S3SinkConnector\ns3.bucket.name=b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(testSpec(), []string{"CONNECTOR_CONFIG_FILE=" + file})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String("connector.name"); got != "s3-sink-orders" {
		t.Errorf("connector.name = %q", got)
	}
	// connector.name, when the file has it too, wins over name.
	if err := os.WriteFile(file, []byte("name=a\nconnector.name=b\ns3.bucket.name=b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err = Load(testSpec(), []string{"CONNECTOR_CONFIG_FILE=" + file}); err != nil || c.String("connector.name") != "b" {
		t.Fatalf("connector.name = %q, %v", c.String("connector.name"), err)
	}
}
