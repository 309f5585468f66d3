package main

import (
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/lambda-connect/lambda-connect/core/config"
)

var update = flag.Bool("update", false, "rewrite the import golden files under testdata/import")

// checkGolden compares got with testdata/import/name, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "import", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// importInto runs import of fixture into a new directory and returns the report.
func importInto(t *testing.T, fixture string, wantCode int, extra ...string) (importReport, string) {
	t.Helper()
	out := t.TempDir()
	args := append([]string{"import", filepath.Join("testdata", "import", fixture), "--out", out, "--output", "json"}, extra...)
	code, stdout, stderr := runEnv(t, nil, args...)
	if code != wantCode {
		t.Fatalf("import %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", fixture, code, wantCode, stdout, stderr)
	}
	var rep importReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	return rep, out
}

func readOut(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func droppedKeys(rep importReport) map[string]bool {
	m := map[string]bool{}
	for _, d := range rep.Dropped {
		m[d.Key] = d.Attention
	}
	return m
}

// TestImportConfluentQuickstart imports Confluent's documented example configuration and
// checks the round trip: what import writes passes validate, from the file and from the
// CONNECT_* variables alike, with the same effective settings.
func TestImportConfluentQuickstart(t *testing.T) {
	t.Parallel()
	rep, out := importInto(t, "confluent-quickstart-s3.json", exitOK)
	if !rep.Valid || rep.Connector != "s3-sink" || rep.Name != "s3-sink" {
		t.Fatalf("report %+v", rep)
	}
	wantDropped := map[string]bool{ // key -> marked as changing what is written
		"s3.part.size": false, "schema.generator.class": false, "storage.class": false, "tasks.max": false,
	}
	if got := droppedKeys(rep); !maps.Equal(got, wantDropped) {
		t.Errorf("dropped %v, want %v", got, wantDropped)
	}
	for _, d := range rep.Dropped {
		if d.Reason == "" || d.Value == "" {
			t.Errorf("dropped %+v without its value or reason", d)
		}
	}
	if rep.SAMParameters["Topics"] != "s3_topic" || rep.SAMParameters["ConsumerGroupId"] != "connect-s3-sink" ||
		rep.SAMParameters["S3BucketName"] != "confluent-kafka-connect-s3-testing" || rep.SAMParameters["FlushSize"] != "10000" ||
		rep.SAMParameters["FormatClass"] != "io.confluent.connect.s3.format.avro.AvroFormat" || rep.SAMParameters["SchemaCompatibility"] != "NONE" {
		t.Errorf("SAM parameters %v", rep.SAMParameters)
	}
	if len(rep.Added) != 1 || rep.Added[0].Key != "s3.region" || rep.Added[0].Value != "us-west-2" {
		t.Errorf("added %+v, want Confluent's default region", rep.Added)
	}
	props := readOut(t, out, "s3-sink.properties")
	envText := readOut(t, out, "s3-sink.env")
	checkGolden(t, "confluent-quickstart-s3.properties.golden", props)
	checkGolden(t, "confluent-quickstart-s3.env.golden", envText)
	checkGolden(t, "confluent-quickstart-s3.sam-parameter-overrides.golden", readOut(t, out, "s3-sink.sam-parameter-overrides"))

	// Round trip, from the file.
	code, stdout, stderr := runEnv(t, nil, "validate", "--file", filepath.Join(out, "s3-sink.properties"), "--output", "json")
	if code != exitOK {
		t.Fatalf("validate --file: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var fromFile validateReport
	if err := json.Unmarshal([]byte(stdout), &fromFile); err != nil {
		t.Fatal(err)
	}
	// ... and from the environment list.
	environ := strings.Split(strings.TrimSpace(envText), "\n")
	code, stdout, stderr = runEnv(t, environ, "validate", "--output", "json")
	if code != exitOK {
		t.Fatalf("validate from the .env: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var fromEnv validateReport
	if err := json.Unmarshal([]byte(stdout), &fromEnv); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(fromFile.Settings, fromEnv.Settings) {
		t.Errorf("the file and the environment give other settings:\n%v\n%v", fromFile.Settings, fromEnv.Settings)
	}
	if fromFile.Settings["s3.bucket.name"] != "confluent-kafka-connect-s3-testing" || fromFile.Settings["connector.name"] != "s3-sink" ||
		fromFile.Settings["format.class"] != "io.confluent.connect.s3.format.avro.AvroFormat" || fromFile.Settings["schema.compatibility"] != "NONE" {
		t.Errorf("effective settings %v", fromFile.Settings)
	}
}

func TestImportOrdersArchive(t *testing.T) {
	t.Parallel()
	// errors.tolerance=all with a dead-letter topic: no destination here, so the result does not
	// validate until a bucket is given.
	rep, _ := importInto(t, "orders-archive.json", exitFail)
	if rep.Valid || len(rep.Problems) != 1 || rep.Problems[0].Key != "errors.tolerance" {
		t.Fatalf("valid %v, problems %+v", rep.Valid, rep.Problems)
	}
	rep, out := importInto(t, "orders-archive.json", exitOK, "--set", "errors.deadletterqueue.s3.bucket.name=acme-dlq")
	wantDropped := map[string]bool{
		"errors.deadletterqueue.context.headers.enable": false, "errors.deadletterqueue.topic.name": true,
		"rotate.interval.ms": false, "rotate.schedule.interval.ms": false, "s3.part.size": false, "s3.sse.kms.key.id": true,
		"tasks.max": false, "transforms": true, "transforms.addTs.timestamp.field": true, "transforms.addTs.type": true,
	}
	if got := droppedKeys(rep); !maps.Equal(got, wantDropped) {
		t.Errorf("dropped %v, want %v", got, wantDropped)
	}
	for k, want := range map[string]string{
		"Topics": "orders", "BatchSize": "2000", "ConsumerGroupId": "connect-orders-archive", "PartitionerClass": "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
		"ValueConverterSchemasEnable": "false", "DeadLetterBucket": "acme-dlq", "ErrorsTolerance": "all", "TimestampExtractor": "Record",
		"KeyConverter": "io.confluent.connect.avro.AvroConverter", "KeyConverterSchemaRegistryUrl": "http://schema-registry:8081",
	} {
		if rep.SAMParameters[k] != want {
			t.Errorf("SAM parameter %s = %q, want %q", k, rep.SAMParameters[k], want)
		}
	}
	// The Avro key converter is kept, with its registry (set by the template's
	// KeyConverterSchemaRegistryUrl).
	if rep.Settings["key.converter"] != "io.confluent.connect.avro.AvroConverter" || rep.Settings["key.converter.schema.registry.url"] != "http://schema-registry:8081" {
		t.Errorf("the Avro key converter or its registry was not kept: %v", rep.Settings)
	}
	// Settings without a template parameter are listed for the function's environment.
	noParam := strings.Join(rep.NoParameter, "\n")
	for _, s := range []string{"CONNECT_S3_REGION: eu-west-1", "CONNECT_ERRORS_LOG_ENABLE: true"} {
		if !strings.Contains(noParam, s) {
			t.Errorf("no_parameter %v lacks %q", rep.NoParameter, s)
		}
	}
	if strings.Contains(noParam, "SCHEMA_REGISTRY_URL") || strings.Contains(noParam, "SCHEMAS_ENABLE") {
		t.Errorf("no_parameter %v lists a setting the template has a parameter for", rep.NoParameter)
	}
	checkGolden(t, "orders-archive.properties.golden", readOut(t, out, "orders-archive.properties"))
	checkGolden(t, "orders-archive.sam-parameter-overrides.golden", readOut(t, out, "orders-archive.sam-parameter-overrides"))
	if code, _, stderr := runEnv(t, nil, "validate", "--file", filepath.Join(out, "orders-archive.properties")); code != exitOK {
		t.Errorf("validate of the import: exit %d\n%s", code, stderr)
	}

	// --strict fails on the settings marked ! (the transform, the dead-letter topic, ...).
	out = t.TempDir()
	code, stdout, stderr := runEnv(t, nil, "import", filepath.Join("testdata", "import", "orders-archive.json"), "--out", out, "--strict", "--set", "errors.deadletterqueue.s3.bucket.name=acme-dlq")
	if code != exitFail || !strings.Contains(stderr, "--strict: 5 settings marked !") {
		t.Errorf("--strict: exit %d\n%s", code, stderr)
	}
	for _, s := range []string{
		"! transforms=addTs", "single message transforms are not supported",
		"rotate.interval.ms=600000", "MaximumBatchingWindowInSeconds",
		"template.yaml has no parameter for these", "ConsumerGroupId=connect-orders-archive is the consumer group Kafka Connect's sink used",
		"The imported configuration is valid",
		"sam deploy --parameter-overrides \"$(cat " + filepath.Join(out, "orders-archive.sam-parameter-overrides") + ")\"",
	} {
		if !strings.Contains(stdout, s) {
			t.Errorf("text output does not say %q:\n%s", s, stdout)
		}
	}
}

// TestImportParametersFitTemplate checks every parameter import writes against template.yaml:
// it exists, and its value is one the template accepts.
func TestImportParametersFitTemplate(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl struct {
		Parameters map[string]struct {
			Type           string   `yaml:"Type"`
			AllowedValues  []string `yaml:"AllowedValues"`
			AllowedPattern string   `yaml:"AllowedPattern"`
			MinValue       *float64 `yaml:"MinValue"`
			MaxValue       *float64 `yaml:"MaxValue"`
		} `yaml:"Parameters"`
	}
	if err := yaml.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	// import maps a registry URL to its parameter only when the template accepts it.
	for _, params := range templateParams {
		for k, name := range params {
			if p := tmpl.Parameters[name]; strings.HasSuffix(k, ".schema.registry.url") && p.AllowedPattern != registryURLs.String() {
				t.Errorf("parameter %s: AllowedPattern %q, import checks %q", name, p.AllowedPattern, registryURLs)
			}
		}
	}
	for _, fixture := range []string{"confluent-quickstart-s3.json", "orders-archive.json"} {
		rep, _ := importInto(t, fixture, exitOK, "--set", "errors.deadletterqueue.s3.bucket.name=acme-dlq")
		for name, value := range rep.SAMParameters {
			p, ok := tmpl.Parameters[name]
			if !ok {
				t.Errorf("%s: parameter %s is not in template.yaml", fixture, name)
				continue
			}
			if len(p.AllowedValues) > 0 && !contains(p.AllowedValues, value) {
				t.Errorf("%s: %s=%q is not one of %v", fixture, name, value, p.AllowedValues)
			}
			if p.AllowedPattern != "" && !regexp.MustCompile(p.AllowedPattern).MatchString(value) {
				t.Errorf("%s: %s=%q does not match %s", fixture, name, value, p.AllowedPattern)
			}
			if p.Type == "Number" {
				n, err := strconv.ParseFloat(value, 64)
				if err != nil || p.MinValue != nil && n < *p.MinValue || p.MaxValue != nil && n > *p.MaxValue {
					t.Errorf("%s: %s=%q is not a number within the template's bounds", fixture, name, value)
				}
			}
		}
	}
}

// TestImportTemplateParams checks the settings import writes as template.yaml's hand-written
// parameters: each function's own (DynamoDb... for the DynamoDB sink), and a registry URL with
// credentials (user info) only for the environment, as the template refuses it.
func TestImportTemplateParams(t *testing.T) {
	t.Parallel()
	s3, err := findConnector("s3-sink")
	if err != nil {
		t.Fatal(err)
	}
	dynamo, err := findConnector("dynamodb-sink")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cn      *connector
		key, v  string
		want    string // "" for no parameter
		comment string
	}{
		{s3, "value.converter.schemas.enable", "false", "ValueConverterSchemasEnable", ""},
		{s3, "key.converter.schema.registry.url", "http://reg:8081", "KeyConverterSchemaRegistryUrl", ""},
		{s3, "value.converter.schema.registry.url", "http://reg:8081,https://b:8081", "ValueConverterSchemaRegistryUrl", ""},
		{s3, "value.converter.schema.registry.url", "https://user:secret@reg:8081", "", "credentials in the URL"},
		{s3, "value.converter.schema.registry.url", "http://a:8081, http://b:8081", "", "refused by the template's pattern"},
		{s3, "value.converter.basic.auth.user.info", "user:secret", "", "credentials"},
		{s3, "s3.bucket.name", "b", "S3BucketName", "a spec key's parameter"},
		{dynamo, "value.converter.schemas.enable", "false", "DynamoDbValueConverterSchemasEnable", ""},
		{dynamo, "key.converter.schema.registry.url", "http://reg:8081", "DynamoDbKeyConverterSchemaRegistryUrl", ""},
		{dynamo, "value.converter.schema.registry.url", "http://reg:8081", "DynamoDbValueConverterSchemaRegistryUrl", ""},
	} {
		got, ok := templateParam(tc.cn, tc.key, tc.v)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: templateParam(%s=%s) = %q, %v; want %q (%s)", tc.cn.name, tc.key, tc.v, got, ok, tc.want, tc.comment)
		}
	}
	// Through import: the registry URLs go into the parameter overrides of each function.
	for _, tc := range []struct{ class, file, prefix string }{
		{"io.confluent.connect.s3.S3SinkConnector", "avro-s3.sam-parameter-overrides", ""},
		{"io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector", "avro-dynamo.sam-parameter-overrides", "DynamoDb"},
	} {
		in := writeFile(t, "in.json", `{"name":"`+strings.TrimSuffix(tc.file, ".sam-parameter-overrides")+`","config":{"connector.class":"`+tc.class+`","s3.bucket.name":"b",`+
			`"key.converter":"AvroConverter","key.converter.schema.registry.url":"http://reg:8081",`+
			`"value.converter":"io.confluent.connect.avro.AvroConverter","value.converter.schema.registry.url":"http://reg:8081,https://b:8081"}}`)
		out := t.TempDir()
		if code, stdout, stderr := runEnv(t, nil, "import", in, "--out", out); code != exitOK {
			t.Fatalf("import %s: exit %d\n%s\n%s", tc.class, code, stdout, stderr)
		}
		overrides := readOut(t, out, tc.file)
		for _, s := range []string{tc.prefix + `KeyConverterSchemaRegistryUrl="http://reg:8081"`, tc.prefix + `ValueConverterSchemaRegistryUrl="http://reg:8081,https://b:8081"`} {
			if !strings.Contains(overrides, s) {
				t.Errorf("%s: parameter overrides lack %s:\n%s", tc.class, s, overrides)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestImportErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mongo := writeFile(t, "mongo.json", `{"name":"m","config":{"connector.class":"com.mongodb.kafka.connect.MongoSinkConnector"}}`)
	noClass := writeFile(t, "noclass.json", `{"name":"m","config":{"s3.bucket.name":"b"}}`)
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"import"}, exitUsage, "no connector configuration given"},
		{[]string{"import", mongo, "--out", dir}, exitFail, "com.mongodb.kafka.connect.MongoSinkConnector has no Lambda Connect equivalent yet (known: io.confluent.connect.s3.S3SinkConnector -> s3-sink, io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector -> dynamodb-sink)"},
		{[]string{"import", noClass, "--out", dir}, exitFail, "no connector.class"},
		{[]string{"import", filepath.Join(dir, "missing.json")}, exitFail, "missing.json"},
		{[]string{"import", "a.json", "b.json"}, exitUsage, `unexpected arguments ["b.json"]`},
	} {
		code, _, stderr := runEnv(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.says) {
			t.Errorf("%v: exit %d, want %d saying %q:\n%s", tc.args, code, tc.code, tc.says, stderr)
		}
	}
	// An existing file is not overwritten without --force.
	fixture := filepath.Join("testdata", "import", "confluent-quickstart-s3.json")
	if code, _, stderr := runEnv(t, nil, "import", fixture, "--out", dir); code != exitOK {
		t.Fatal(stderr)
	}
	if code, _, stderr := runEnv(t, nil, "import", fixture, "--out", dir); code != exitFail || !strings.Contains(stderr, "exists") || !strings.Contains(stderr, "--force") {
		t.Errorf("second import: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runEnv(t, nil, "import", "--force", "--out", dir, fixture); code != exitOK {
		t.Errorf("import --force: exit %d\n%s", code, stderr)
	}
}

func TestOverridesText(t *testing.T) {
	t.Parallel()
	got := overridesText(map[string]string{"PathFormat": `'year'=YYYY`, "B": `say "hi" \ bye`, "Empty": ""})
	want := `B="say \"hi\" \\ bye" Empty="" PathFormat="'year'=YYYY"`
	if got != want {
		t.Errorf("overridesText = %s, want %s", got, want)
	}
}

func TestFileBase(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"orders-archive": "orders-archive", "": "connector", "a/b c": "a_b_c", "..": "connector", ".hidden": "hidden", "../x": "_x"} {
		if got := fileBase(in); got != want {
			t.Errorf("fileBase(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzPropertiesText checks that the .properties import writes reads back (as Java's
// Properties.load reads it) to the settings written.
func FuzzPropertiesText(f *testing.F) {
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		in := map[string]string{}
		for _, kv := range [][2]string{{k1, v1}, {k2, v2}} {
			if kv[0] == "" || !validUTF8(kv[0]) || !validUTF8(kv[1]) {
				continue
			}
			in[kv[0]] = kv[1]
		}
		text := propertiesText(in, "header\nsecond line")
		for _, c := range text {
			if c > 0x7e || c < 0x20 && c != '\n' {
				t.Fatalf("non-ASCII or control character %U in %q", c, text)
			}
		}
		got, err := config.ParseProperties([]byte(text))
		if err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		if !maps.Equal(got, in) {
			t.Fatalf("read back %q, wrote %q\n%s", got, in, text)
		}
	})
}

func validUTF8(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' {
			return false
		}
	}
	return true
}

// TestImportProperties imports the .properties form Kafka Connect's standalone mode reads.
func TestImportProperties(t *testing.T) {
	t.Parallel()
	in := writeFile(t, "quickstart-s3.properties", "name=s3-sink\nconnector.class=S3SinkConnector\ntasks.max=1\ntopics=a,b\n"+
		"s3.bucket.name=bucket\nflush.size=3\nformat.class=io.confluent.connect.s3.format.parquet.ParquetFormat\nparquet.codec=snappy\n")
	out := t.TempDir()
	code, stdout, stderr := runEnv(t, nil, "import", in, "--out", out, "--output", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var rep importReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Settings["connector.name"] != "s3-sink" || rep.Settings["flush.size"] != "3" || !rep.Valid {
		t.Errorf("settings %v, valid %v", rep.Settings, rep.Valid)
	}
	if _, ok := rep.SAMParameters["Topics"]; ok {
		t.Errorf("two topics became one Topics parameter: %v", rep.SAMParameters)
	}
	if rep.Settings["format.class"] != "io.confluent.connect.s3.format.parquet.ParquetFormat" || rep.Settings["parquet.codec"] != "snappy" {
		t.Errorf("ParquetFormat and its codec were not kept: %v", rep.Settings)
	}
	if got := droppedKeys(rep); !maps.Equal(got, map[string]bool{"tasks.max": false, "topics": true}) {
		t.Errorf("dropped %v", got)
	}
	for _, d := range rep.Dropped {
		if d.Key == "topics" && !strings.Contains(d.Reason, "Topics=a, Topics=b") {
			t.Errorf("topics: %s", d.Reason)
		}
	}
}
