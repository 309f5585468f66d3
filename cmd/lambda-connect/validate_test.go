package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidate(t *testing.T) {
	t.Parallel()
	good := writeFile(t, "good.properties", "name=orders-to-s3\nconnector.class=io.confluent.connect.s3.S3SinkConnector\ntopics=orders\ns3.bucket.name=my-bucket\nflush.size=5\n")
	rest := writeFile(t, "rest.json", `{"name":"orders-rest","config":{"s3.bucket.name":"b","value.converter.schemas.enable":"false"}}`)
	// Every kind of problem at once: a missing required setting, an unknown key (with a
	// suggestion), a value outside its values, a rule across settings, a converter's own
	// setting, and errors.tolerance=all without a destination.
	bad := writeFile(t, "bad.json", `{
		"connector.name": "orders",
		"s3.bukcet.name": "typo",
		"s3.compression.type": "zstd",
		"partitioner.class": "TimeBasedPartitioner",
		"value.converter.schemas.enable": "maybe",
		"errors.tolerance": "all"
	}`)
	for _, tc := range []struct {
		name    string
		environ []string
		args    []string
		code    int
		stdout  []string
		stderr  []string
		// notStdout is what stdout must not say.
		notStdout []string
	}{
		{name: "environment", environ: []string{"CONNECT_CONNECTOR_NAME=orders", "CONNECT_S3_BUCKET_NAME=b", "CONNECT_FLUSH_SIZE=7", "PATH=/bin"},
			code: exitOK, stdout: []string{"s3-sink configuration is valid", "s3.bucket.name", "CONNECT_S3_BUCKET_NAME", "flush.size", "7", "default", "offsets.table is not set"}},
		// The converter variables as template.yaml sets them from its parameters, each one
		// always there and empty when its parameter is: empty counts as unset.
		{name: "template's schema registry parameters", environ: templateConverterEnv("io.confluent.connect.avro.AvroConverter", "http://reg:8081,https://b:8081"),
			code: exitOK, stdout: []string{"s3-sink configuration is valid", "value.converter.schema.registry.url", "http://reg:8081,https://b:8081", "CONNECT_VALUE_CONVERTER_SCHEMA_REGISTRY_URL"},
			notStdout: []string{"key.converter.schema.registry.url"}},
		{name: "template's schema registry parameters, short name", environ: templateConverterEnv("AvroConverter", "http://reg:8081"),
			code: exitOK, stdout: []string{"s3-sink configuration is valid", "http://reg:8081"}},
		{name: "template's schema registry parameters empty", environ: templateConverterEnv("org.apache.kafka.connect.json.JsonConverter", ""),
			code: exitOK, stdout: []string{"s3-sink configuration is valid"}, notStdout: []string{"schema.registry.url", "value.converter.schemas.enable"}},
		{name: "template's registry url empty with Avro", environ: templateConverterEnv("AvroConverter", ""),
			code: exitFail, stderr: []string{"value.converter.schema.registry.url", "required"}},
		{name: "properties file with Connect's name and ignored keys", args: []string{"--file", good, "--ignore-env"},
			code: exitOK, stdout: []string{"connector.name", "orders-to-s3", good, "without effect: connector.class, topics"}},
		{name: "file named by CONNECTOR_CONFIG_FILE, environment wins", environ: []string{"CONNECTOR_CONFIG_FILE=" + good, "CONNECT_FLUSH_SIZE=9"},
			code: exitOK, stdout: []string{"flush.size", "9", "CONNECT_FLUSH_SIZE"}},
		{name: "Connect REST JSON", args: []string{"--file", rest}, code: exitOK, stdout: []string{"orders-rest", "value.converter.schemas.enable"}},
		{name: "every problem", args: []string{"--file", bad}, code: exitFail, stderr: []string{
			"9 problems",
			"s3.bucket.name: required setting is missing (set CONNECT_S3_BUCKET_NAME)",
			`unknown setting "s3.bukcet.name", did you mean s3.bucket.name?`,
			"s3.compression.type:", "zstd",
			"path.format: is required by the TimeBasedPartitioner",
			"partition.duration.ms:", "locale:", "timezone:",
			"value.converter.schemas.enable:",
			"errors.tolerance: all needs a dead-letter destination",
			"(from " + bad + ")",
			"lambda-connect validate",
		}},
		{name: "missing file", args: []string{"--file", filepath.Join(t.TempDir(), "none.json")}, code: exitFail, stderr: []string{"none.json", "Check the file's path"}},
		{name: "nothing set", code: exitFail, stderr: []string{"connector.name: required", "s3.bucket.name: required"}},
		{name: "unknown connector", args: []string{"--connector", "mongo-sink"}, code: exitUsage, stderr: []string{`unknown connector "mongo-sink"`, "validate --help"}},
		{name: "ignore-env without file", args: []string{"--ignore-env"}, code: exitUsage, stderr: []string{"--ignore-env needs --file"}},
		{name: "help", args: []string{"--help"}, code: exitOK, stdout: []string{"Usage: lambda-connect validate", "-file", "-output", "CONNECTOR_CONFIG_FILE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runEnv(t, tc.environ, append([]string{"validate"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout does not say %q:\n%s", s, stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr does not say %q:\n%s", s, stderr)
				}
			}
			for _, s := range tc.notStdout {
				if strings.Contains(stdout, s) {
					t.Errorf("stdout says %q:\n%s", s, stdout)
				}
			}
		})
	}
}

// templateConverterEnv returns an S3 sink's environment as template.yaml sets it: the required
// settings, value.converter, and every converter variable of a template parameter of its own,
// the value converter's registry URL as given and the others empty (their parameters' default).
func templateConverterEnv(valueConverter, valueRegistryURL string) []string {
	return []string{
		"CONNECT_CONNECTOR_NAME=orders", "CONNECT_S3_BUCKET_NAME=b", "CONNECT_VALUE_CONVERTER=" + valueConverter,
		"CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE=", "CONNECT_KEY_CONVERTER_SCHEMA_REGISTRY_URL=",
		"CONNECT_VALUE_CONVERTER_SCHEMA_REGISTRY_URL=" + valueRegistryURL,
	}
}

func TestValidateJSON(t *testing.T) {
	t.Parallel()
	bad := writeFile(t, "bad.properties", "connector.name=x\ns3.bucket.name=b\nflush.size=ten\nformat.class=orc\npartitioner.class=FieldPartitioner\n")
	code, stdout, stderr := runEnv(t, nil, "validate", "--file", bad, "--output", "json")
	if code != exitFail {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var rep validateReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	var keys []string
	for _, p := range rep.Problems {
		keys = append(keys, p.Key)
		want := bad
		if p.Key == "partition.field.name" {
			want = "" // not set: the rule across settings names it
		}
		if p.Source != want {
			t.Errorf("problem %s: source %q, want %q", p.Key, p.Source, want)
		}
	}
	slices.Sort(keys)
	if want := []string{"flush.size", "format.class", "partition.field.name"}; !slices.Equal(keys, want) {
		t.Errorf("problems about %v, want %v\n%s", keys, want, stdout)
	}
	if rep.Valid || rep.Settings != nil {
		t.Errorf("an invalid configuration reported valid or with settings: %+v", rep)
	}

	good := writeFile(t, "good.json", `{"connector.name":"x","s3.bucket.name":"b","format.class":"bytearray"}`)
	code, stdout, _ = runEnv(t, []string{"CONNECT_OFFSETS_TABLE=t"}, "validate", "--file", good, "--output", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stdout)
	}
	rep = validateReport{}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"format.class":  "io.confluent.connect.s3.format.bytearray.ByteArrayFormat", // canonical name
		"flush.size":    "10000",
		"offsets.table": "t",
	} {
		if rep.Settings[k] != want {
			t.Errorf("setting %s = %q, want %q", k, rep.Settings[k], want)
		}
	}
	for k, want := range map[string]string{"format.class": good, "flush.size": "default", "offsets.table": "CONNECT_OFFSETS_TABLE"} {
		if rep.Sources[k] != want {
			t.Errorf("source of %s = %q, want %q", k, rep.Sources[k], want)
		}
	}
	if !rep.Valid || len(rep.Notes) != 0 {
		t.Errorf("valid %v, notes %v", rep.Valid, rep.Notes)
	}
}

func TestValidateDynamoDBSink(t *testing.T) {
	t.Parallel()
	view := writeFile(t, "view.properties", "name=orders-view\nconnector.class=io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector\n"+
		"aws.dynamodb.pk.hash=key.id:order_id\naws.dynamodb.pk.sort=\ndelete.enabled=true\n")
	// delete.enabled with the default key (partition, offset): a tombstone cannot name an item;
	// a bad record reference; a bad endpoint.
	bad := writeFile(t, "bad.json", `{
		"connector.name": "orders-view",
		"delete.enabled": "true",
		"aws.dynamodb.pk.hash": "headers.id",
		"aws.dynamodb.endpoint": "localhost:8000"
	}`)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{name: "materialized view", args: []string{"--file", view, "--ignore-env"}, code: exitOK, stdout: []string{
			"dynamodb-sink configuration is valid", "aws.dynamodb.pk.hash", "key.id:order_id", "orders-view", "table.name.format", "${topic}", "default",
			"without effect: connector.class"}},
		{name: "defaults", args: []string{"--file", writeFile(t, "min.json", `{"connector.name":"x"}`)}, code: exitOK, stdout: []string{
			"aws.dynamodb.pk.hash", "partition", "aws.dynamodb.pk.sort", "offset", "offsets.table is not set"}},
		{name: "every problem", args: []string{"--file", bad}, code: exitFail, stderr: []string{
			"dynamodb-sink configuration: 3 problems",
			"delete.enabled: a tombstone has no value",
			`aws.dynamodb.pk.hash: "headers.id" is not a record reference`,
			"aws.dynamodb.endpoint: must be an http:// or https:// URL",
			"(from " + bad + ")"}},
		{name: "rule across settings", args: []string{"--file", writeFile(t, "del.json", `{"connector.name":"x","delete.enabled":"true"}`)}, code: exitFail, stderr: []string{
			"delete.enabled: a tombstone has no value and its own offset", `not "offset"`}},
		{name: "nothing set", code: exitFail, stderr: []string{"connector.name: required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runEnv(t, nil, append([]string{"validate", "--connector", "dynamodb-sink"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout does not say %q:\n%s", s, stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr does not say %q:\n%s", s, stderr)
				}
			}
		})
	}
	// import recognises Confluent's class.
	if cn, ok := connectorForClass("io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector"); !ok || cn.name != "dynamodb-sink" {
		t.Errorf("connectorForClass(DynamoDbSinkConnector) = %v, %v", cn, ok)
	}
}

// TestValidateSchemaRegistryConverters checks the Schema Registry converters' settings: a
// complete Avro configuration validates, a missing schema.registry.url or an unknown converter
// setting is named as the problem, under its full key.
func TestValidateSchemaRegistryConverters(t *testing.T) {
	t.Parallel()
	const base = "connector.name=x\ns3.bucket.name=b\nformat.class=ParquetFormat\n"
	for _, tc := range []struct {
		name, props string
		code        int
		problems    []string // keys named, sorted
		stdout      []string
	}{
		{name: "avro value converter", code: exitOK, props: base +
			"value.converter=io.confluent.connect.avro.AvroConverter\nvalue.converter.schema.registry.url=http://registry:8081\n" +
			"value.converter.auto.register.schemas=false\nvalue.converter.use.latest.version=true\n",
			stdout: []string{"value.converter.schema.registry.url", "http://registry:8081"}},
		{name: "short name", code: exitOK, props: base +
			"value.converter=AvroConverter\nvalue.converter.schema.registry.url=http://registry:8081\n"},
		{name: "avro key converter", code: exitOK, props: base +
			"key.converter=AvroConverter\nkey.converter.schema.registry.url=http://registry:8081\n"},
		{name: "missing registry url", code: exitFail, problems: []string{"value.converter.schema.registry.url"}, props: base +
			"value.converter=io.confluent.connect.avro.AvroConverter\n"},
		{name: "missing key registry url", code: exitFail, problems: []string{"key.converter.schema.registry.url"}, props: base +
			"key.converter=AvroConverter\n"},
		{name: "unknown converter setting", code: exitFail, problems: []string{"value.converter.no.such.setting"}, props: base +
			"value.converter=AvroConverter\nvalue.converter.schema.registry.url=http://registry:8081\nvalue.converter.no.such.setting=1\n"},
		{name: "glue converter", code: exitOK, props: base +
			"value.converter=com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter\nvalue.converter.region=eu-west-1\nvalue.converter.registry.name=orders\n",
			stdout: []string{"value.converter.registry.name"}},
		{name: "glue converter, bad setting", code: exitFail, problems: []string{"value.converter.compression"}, props: base +
			"value.converter=AWSKafkaAvroConverter\nvalue.converter.region=eu-west-1\nvalue.converter.compression=lz4\n"},
		{name: "tolerance all with an SQS dead-letter queue", code: exitOK, props: base +
			"errors.tolerance=all\nerrors.deadletterqueue.sqs.queue.url=https://sqs.eu-west-1.amazonaws.com/123456789012/dlq\n"},
		{name: "tolerance all without a destination", code: exitFail, problems: []string{"errors.tolerance"}, props: base +
			"errors.tolerance=all\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, "c.properties", tc.props)
			code, stdout, stderr := runEnv(t, nil, "validate", "--connector", "s3-sink", "--file", file, "--ignore-env", "--output", "json")
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, stdout, stderr)
			}
			var rep validateReport
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("%v\n%s", err, stdout)
			}
			var keys []string
			for _, p := range rep.Problems {
				keys = append(keys, p.Key)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tc.problems) {
				t.Errorf("problems about %v, want %v\n%s", keys, tc.problems, stdout)
			}
			if rep.Valid != (tc.code == exitOK) {
				t.Errorf("valid %v with exit %d", rep.Valid, code)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("report does not say %q:\n%s", s, stdout)
				}
			}
		})
	}
}
