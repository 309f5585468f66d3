package config

import (
	"errors"
	"fmt"
	"testing"
)

const (
	jsonFormat      = "io.confluent.connect.s3.format.json.JsonFormat"
	byteArrayFormat = "io.confluent.connect.s3.format.bytearray.ByteArrayFormat"
)

// testSpec is a spec with a key of every type, a prefix key, prefixes and ignored keys, shaped
// like the S3 sink's.
func testSpec() *Spec {
	return &Spec{
		Connector: "s3-sink",
		Keys: []Key{
			{Name: "connector.name", Type: String, Required: true, Parameter: "ConnectorName",
				Doc: "Name of this connector."},
			{Name: "s3.bucket.name", Type: String, Required: true, Parameter: "S3BucketName",
				Doc: "The S3 bucket."},
			{Name: "topics.dir", Type: String, Default: "topics", Parameter: "TopicsDir",
				Doc: "Top-level prefix | of every object."},
			{Name: "flush.size", Type: Int, Default: "1000", Parameter: "FlushSize",
				Doc: "Records per object.",
				Validate: func(v any) error {
					if v.(int) < 1 {
						return errors.New("must be at least 1")
					}
					return nil
				}},
			{Name: "rotate.interval.ms", Type: Long, Default: "-1", Doc: "Rotation interval."},
			{Name: "partition.duration.ms", Type: Long, Parameter: "PartitionDurationMs",
				Doc: "Duration of a time-based partition."},
			{Name: "retry.backoff.factor", Type: Double, Default: "1.5", Doc: "Backoff multiplier."},
			{Name: "store.kafka.keys", Type: Boolean, Default: "false", Parameter: "StoreKafkaKeys",
				Doc: "Whether keys are stored."},
			{Name: "partition.field.name", Type: List, Doc: "Fields the FieldPartitioner uses."},
			{Name: "s3.compression.type", Type: String, Default: "none", Enum: []string{"none", "gzip"},
				Parameter: "S3CompressionType", Doc: "Compression of the objects."},
			{Name: "behavior.on.null.values", Type: String, Enum: []string{"fail", "ignore"},
				Parameter: "BehaviorOnNullValues", Doc: "What a null value does."},
			{Name: "format.class", Type: Class, Default: jsonFormat, Parameter: "FormatClass",
				Enum: []string{jsonFormat, byteArrayFormat},
				Aliases: map[string]string{
					"JsonFormat": jsonFormat, "ByteArrayFormat": byteArrayFormat,
					"io.confluent.connect.s3.format.json.JsonFormat": jsonFormat,
				},
				Doc: "The object format."},
			{Name: "aws.secret.access.key", Type: Password, Parameter: "AwsSecretAccessKey",
				Doc: "A secret."},
			{Name: "key.converter", Type: String, Default: "org.apache.kafka.connect.storage.StringConverter",
				Doc: "Converter for keys."},
			{Name: "value.converter.schemas.enable", Type: Boolean, Default: "true",
				Parameter: "ValueConverterSchemasEnable", Doc: "Schema envelopes."},
		},
		Prefixes: []string{"key.converter.", "value.converter."},
		Ignored:  []string{"connector.class", "tasks.max", "topics", "name"},
	}
}

// required are the settings testSpec requires.
func required() map[string]string {
	return map[string]string{"connector.name": "orders-s3", "s3.bucket.name": "my-bucket"}
}

// with returns required() plus kv (key, value, key, value...).
func with(kv ...string) map[string]string {
	m := required()
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func mustParse(t *testing.T, s *Spec, props map[string]string) *Config {
	t.Helper()
	c, err := s.Parse(props)
	if err != nil {
		t.Fatalf("Parse(%v): %v", props, err)
	}
	return c
}

// problemsOf returns the problems err carries, failing the test when it carries none or is not
// a BadConfig error.
func problemsOf(t *testing.T, err error) Problems {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v carries no Problems", err)
	}
	return ps
}

func panics(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
