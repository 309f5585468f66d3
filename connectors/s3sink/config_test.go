package s3sink

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

func TestSpecIsValid(t *testing.T) {
	s := Spec()
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	if s.Connector != "s3-sink" {
		t.Errorf("connector %q", s.Connector)
	}
	for _, name := range []string{KeyBucket, KeyFlushSize, "connector.name", "value.converter"} {
		if s.Key(name) == nil {
			t.Errorf("spec lacks %s", name)
		}
	}
	params := map[string]string{}
	for _, k := range s.Keys {
		if k.Parameter != "" {
			params[k.Parameter] = k.Name
		}
		if k.Doc == "" {
			t.Errorf("%s has no doc", k.Name)
		}
	}
	for _, p := range []string{"S3BucketName", "TopicsDir", "FormatClass", "FlushSize", "S3CompressionType", "PartitionerClass", "PathFormat",
		"PartitionDurationMs", "Timezone", "Locale", "TimestampExtractor", "TimestampField", "PartitionFieldName", "BehaviorOnNullValues"} {
		if params[p] == "" {
			t.Errorf("no key has SAM parameter %s", p)
		}
	}
}

func parse(t *testing.T, props map[string]string) (*config.Config, error) {
	t.Helper()
	all := map[string]string{"connector.name": "c", "s3.bucket.name": "b"}
	for k, v := range props {
		all[k] = v
	}
	return Spec().Parse(all)
}

func TestConfigDefaults(t *testing.T) {
	c, err := parse(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ConfigFrom(c)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Bucket: "b", PathStyle: true, TopicsDir: "topics", DirectoryDelim: "/", FileDelim: "+", OffsetPadWidth: 10,
		Format: JSONFormatClass, JSONDecimalFormat: "BASE64", ByteArrayExtension: ".bin", ByteArraySeparator: []byte("\n"),
		FlushSize: 10000, Compression: "none", CompressionLevel: -1, ParquetCodec: "snappy", AvroCodec: "null", SchemaCompatibility: "NONE", Partitioner: DefaultPartitionerClass, PartitionDuration: -1, TimestampExtractor: ExtractorWallclock, TimestampField: "timestamp", NullValues: NullFail,
		TombstonePartition: "tombstone", ConditionalWrites: true}
	if !configEqual(cfg, want) {
		t.Errorf("defaults:\n%+v\nwant\n%+v", cfg, want)
	}
}

func configEqual(a, b Config) bool {
	a.Now, b.Now = nil, nil
	return reflect.DeepEqual(a, b)
}

// Rules that span settings are reported together, each with its key.
func TestConfigCrossKeyValidation(t *testing.T) {
	for _, c := range []struct {
		name  string
		props map[string]string
		keys  []string
	}{
		{"time-based without its settings", map[string]string{"partitioner.class": "TimeBasedPartitioner"},
			[]string{KeyPartitionDurationMs, KeyPathFormat, KeyLocale, KeyTimezone}},
		{"hourly without locale and timezone", map[string]string{"partitioner.class": "HourlyPartitioner"},
			[]string{KeyLocale, KeyTimezone}},
		{"field without fields", map[string]string{"partitioner.class": "FieldPartitioner"}, []string{KeyPartitionFieldName}},
		{"field with an empty field", map[string]string{"partitioner.class": "FieldPartitioner", "partition.field.name": "a,,b"}, []string{KeyPartitionFieldName}},
		{"record field without field", map[string]string{"partitioner.class": "DailyPartitioner", "locale": "en", "timezone": "UTC",
			"timestamp.extractor": "RecordField", "timestamp.field": ""}, []string{KeyTimestampField}},
		{"bad zone, pattern and duration", map[string]string{"partitioner.class": "TimeBasedPartitioner", "locale": "en", "timezone": "Mars/Olympus",
			"path.format": "year=YYYY", "partition.duration.ms": "0"}, []string{KeyPartitionDurationMs, KeyPathFormat, KeyTimezone}},
		{"names need English", map[string]string{"partitioner.class": "TimeBasedPartitioner", "locale": "de-DE", "timezone": "Europe/Berlin",
			"path.format": "YYYY/MMM", "partition.duration.ms": "1000"}, []string{KeyLocale}},
		{"topics.dir with delimiters", map[string]string{"topics.dir": "/topics/"}, []string{KeyTopicsDir}},
		{"bad separator and extractor", map[string]string{"format.bytearray.separator": `\q`, "partitioner.class": "DailyPartitioner", "locale": "en",
			"timezone": "UTC", "timestamp.extractor": "Record"}, []string{KeyByteArraySeparator}},
	} {
		cfg, err := parse(t, c.props)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		_, err = ConfigFrom(cfg)
		if !errclass.Is(err, errclass.BadConfig) {
			t.Errorf("%s: error %v, want BadConfig", c.name, err)
			continue
		}
		var probs config.Problems
		if !errors.As(err, &probs) {
			t.Errorf("%s: error %v does not wrap config.Problems", c.name, err)
			continue
		}
		if got := probs.Keys(); !slices.Equal(got, c.keys) {
			t.Errorf("%s: problems with %v, want %v (%v)", c.name, got, c.keys, err)
		}
	}
}

func TestConfigAccepts(t *testing.T) {
	for _, props := range []map[string]string{
		{"partitioner.class": "io.confluent.connect.storage.partitioner.TimeBasedPartitioner", "path.format": "'year'=YYYY/", "partition.duration.ms": "60000",
			"locale": "fr_FR", "timezone": "+05:30", "timestamp.extractor": "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$RecordFieldTimestampExtractor"},
		{"partitioner.class": "DailyPartitioner", "locale": "en", "timezone": "Asia/Tokyo"},
		{"format.class": "bytearray", "format.bytearray.separator": `\u0000`, "store.url": "http://localhost:9000", "s3.path.style.access.enabled": "true"},
		{"behavior.on.null.values": "write", "s3.compression.type": "gzip", "s3.compression.level": "9", "flush.size": "1"},
	} {
		c, err := parse(t, props)
		if err != nil {
			t.Fatalf("%v: %v", props, err)
		}
		cfg, err := ConfigFrom(c)
		if err != nil {
			t.Errorf("%v: %v", props, err)
			continue
		}
		if _, err := New(cfg, noS3{}); err != nil {
			t.Errorf("%v: New: %v", props, err)
		}
	}
}

// Single-key checks happen in Spec().Parse, naming the key.
func TestSpecRejects(t *testing.T) {
	for k, v := range map[string]string{
		KeyFlushSize: "0", KeyCompressionType: "zstd", KeyCompressionLevel: "10", KeyFormatClass: "OrcFormat",
		KeyPartitionerClass: "MyPartitioner", KeyBehaviorOnNullValues: "skip", KeyStoreURL: "localhost:9000", KeyDirectoryDelim: "",
		KeyTimestampExtractor: "Kafka", KeyJSONDecimalFormat: "TEXT",
	} {
		_, err := parse(t, map[string]string{k: v})
		var probs config.Problems
		if !errors.As(err, &probs) || !slices.Contains(probs.Keys(), k) {
			t.Errorf("%s=%q: %v, want a problem with %s", k, v, err, k)
		}
	}
	_, err := parse(t, map[string]string{"s3.bucket.name": ""})
	if err == nil || !strings.Contains(err.Error(), KeyBucket) {
		t.Errorf("empty bucket: %v", err)
	}
}

func TestValidateHandBuiltConfig(t *testing.T) {
	cfg := Config{Bucket: "b", DirectoryDelim: "/", FileDelim: "+", OffsetPadWidth: 10, Format: "json", FlushSize: 5,
		Partitioner: "HourlyPartitioner", Locale: "en", Timezone: "UTC"}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("short names and zero values: %v", err)
	}
	s, err := New(cfg, noS3{})
	if err != nil {
		t.Fatal(err)
	}
	recs := jsonRecs("t", 0, 0, 1)
	ws, err := s.Plan(recs[0].TopicPartition(), recs)
	if err != nil || len(ws) != 1 || !strings.HasPrefix(ws[0].ID(), "t/year=") {
		t.Errorf("plan %v, %v: want an hourly object without topics.dir", ids(ws), err)
	}
	if err := (Config{}).Validate(); err == nil || !strings.Contains(err.Error(), KeyBucket) || !strings.Contains(err.Error(), KeyFlushSize) {
		t.Errorf("zero Config: %v, want problems with %s and %s", err, KeyBucket, KeyFlushSize)
	}
	if _, err := New(cfg, nil); !errclass.Is(err, errclass.BadConfig) {
		t.Errorf("New without a client: %v", err)
	}
}

// NewClient makes no network call and turns checksums down to WhenRequired only with an endpoint
// override.
func TestNewClient(t *testing.T) {
	ctx := context.Background()
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "y")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_REGION", "eu-west-1")
	for _, ca := range []string{"", "/etc/ssl/certs/ca-certificates.crt"} {
		t.Setenv("AWS_CA_BUNDLE", ca)
		c, err := NewClient(ctx, Config{})
		if err != nil {
			t.Fatal(err)
		}
		o := c.Options()
		if o.Region != "eu-west-1" || o.BaseEndpoint != nil || o.UsePathStyle || o.RequestChecksumCalculation == aws.RequestChecksumCalculationWhenRequired {
			t.Errorf("plain client: region %s, endpoint %v, path style %v, checksums %v", o.Region, o.BaseEndpoint, o.UsePathStyle, o.RequestChecksumCalculation)
		}
		c, err = NewClient(ctx, Config{Region: "us-east-2", Endpoint: "http://127.0.0.1:1", PathStyle: true})
		if err != nil {
			t.Fatal(err)
		}
		o = c.Options()
		if o.Region != "us-east-2" || aws.ToString(o.BaseEndpoint) != "http://127.0.0.1:1" || !o.UsePathStyle ||
			o.RequestChecksumCalculation != aws.RequestChecksumCalculationWhenRequired || o.ResponseChecksumValidation != aws.ResponseChecksumValidationWhenRequired {
			t.Errorf("store.url client: region %s, endpoint %v, path style %v, checksums %v/%v", o.Region, aws.ToString(o.BaseEndpoint), o.UsePathStyle, o.RequestChecksumCalculation, o.ResponseChecksumValidation)
		}
	}
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2")
	c, err := NewClient(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if o := c.Options(); aws.ToString(o.BaseEndpoint) != "http://127.0.0.1:2" || o.RequestChecksumCalculation != aws.RequestChecksumCalculationWhenRequired {
		t.Errorf("AWS_ENDPOINT_URL_S3 client: endpoint %v, checksums %v", aws.ToString(o.BaseEndpoint), o.RequestChecksumCalculation)
	}
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	if _, err := NewClient(ctx, Config{}); !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), KeyRegion) {
		t.Errorf("no region: %v", err)
	}
}
