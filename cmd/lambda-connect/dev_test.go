package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/dynamodbsink"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
)

// devBudget is how long a `dev --once` may take.
const devBudget = 60 * time.Second

// TestBinary builds lambda-connect and runs it as a user would, with no AWS credentials.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	cacheEnv := emulatorCacheEnv(t)
	t.Run("once text, both sinks, AWS_CA_BUNDLE as set on this machine", func(t *testing.T) {
		t.Parallel()
		onceText(t, bin, append(strippedEnv(t, true), cacheEnv), true)
	})
	t.Run("once text, S3 sink, AWS_CA_BUNDLE unset", func(t *testing.T) {
		t.Parallel()
		onceText(t, bin, strippedEnv(t, false), false, "--sink", "s3")
	})
	t.Run("once text, both sinks, misleading AWS settings", func(t *testing.T) {
		// A profile that does not exist and half a key pair: the SDK's default chain would fail
		// on either. The sandbox must not look.
		t.Parallel()
		onceText(t, bin, append(strippedEnv(t, true), cacheEnv, "AWS_PROFILE=lambda-connect-no-such-profile",
			"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_REGION=eu-west-3", "AWS_ENDPOINT_URL_S3=http://127.0.0.1:1",
			"AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:1"), true)
	})
	t.Run("once text, no java: the S3 path alone, said so", func(t *testing.T) {
		t.Parallel()
		onceNoJava(t, bin)
	})
	t.Run("once json bytearray gzip, both sinks", func(t *testing.T) {
		t.Parallel()
		onceJSON(t, bin, cacheEnv)
	})
	t.Run("once, DynamoDB sink", func(t *testing.T) {
		t.Parallel()
		onceDynamoDB(t, bin, cacheEnv)
	})
	t.Run("keeps running until interrupted", func(t *testing.T) {
		t.Parallel()
		continuous(t, bin)
	})
	t.Run("help and usage errors", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			args   []string
			code   int
			stdout string
			stderr string
		}{
			{[]string{"--help"}, 0, "Commands:", ""},
			{[]string{"help"}, 0, "dev ", ""},
			{[]string{"dev", "--help"}, 0, "Usage: lambda-connect dev", ""},
			{[]string{"help", "dev"}, 0, "-batch-size", ""},
			{[]string{"deploy-everything"}, exitUsage, "", "unknown command \"deploy-everything\"\nRun 'lambda-connect help' for the list of commands."},
			{[]string{"dev", "--format", "avro"}, exitUsage, "", "--format \"avro\": want json or bytearray"},
			{[]string{"dev", "--sink", "mongodb"}, exitUsage, "", "--sink \"mongodb\": want all, s3 or dynamodb"},
			{[]string{"dev", "--sink", "dynamodb", "--compression", "gzip"}, exitUsage, "", "--compression \"gzip\": the S3 sink's object compression"},
		} {
			res := runBinary(t, bin, strippedEnv(t, true), tc.args...)
			if res.code != tc.code {
				t.Errorf("%v: exit %d, want %d\n%s", tc.args, res.code, tc.code, res.stderr)
			}
			if !strings.Contains(res.stdout, tc.stdout) || !strings.Contains(res.stderr, tc.stderr) {
				t.Errorf("%v: stdout %q, stderr %q; want them to hold %q and %q", tc.args, res.stdout, res.stderr, tc.stdout, tc.stderr)
			}
		}
	})
}

// emulatorCacheEnv fetches DynamoDB Local (so that a first download does not count in dev's
// time) and returns the variable that points the binary, whose HOME is an empty directory, at
// this machine's cache.
func emulatorCacheEnv(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir, err := dynamolocal.Fetch(ctx)
	if err != nil {
		t.Fatalf("fetching DynamoDB Local: %v", err)
	}
	return dynamolocal.EnvCache + "=" + filepath.Dir(filepath.Dir(dir))
}

func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "lambda-connect")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// strippedEnv is this process's environment without any AWS_* variable (except AWS_CA_BUNDLE
// when keepCABundle) nor KAFKA_BROKERS, with HOME in an empty directory (no credentials, no
// profile, no shared config) and TMPDIR in another.
func strippedEnv(t *testing.T, keepCABundle bool) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "AWS_CA_BUNDLE" && keepCABundle:
		case strings.HasPrefix(name, "AWS_"), name == kafkalocal.EnvBrokers, name == "HOME", name == "TMPDIR":
			continue
		}
		env = append(env, kv)
	}
	// TMPDIR: the default data directory is a new temporary one, which dev keeps.
	return append(env, "HOME="+t.TempDir(), "TMPDIR="+t.TempDir())
}

type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func runBinary(t *testing.T, bin string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), devBudget+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %v: %v", args, err)
	}
	return res
}

var (
	producedLine = regexp.MustCompile(`(?m)^Produced (\d+) sample records to orders \(3 partitions\) and clicks\.v1 \(2 partitions\), 1 tombstone`)
	// A row of the partition table: [PARTITION LOG-END COMMITTED] OFFSETS RECORDS OBJECT.
	objectRow = regexp.MustCompile(`(?m)^(?:(\S+)-(\d+) +(\d+) +(\d+) +)? +(\d+)-(\d+) +(\d+) +s3://lambda-connect-dev/(\S+)$`)
	totalLine = regexp.MustCompile(`(?m)^(\d+) records in (\d+) objects = (\d+) delivered - 1 skipped; every partition is committed up to its log end\.$`)
	// The S3 source's object: its lines, and how many of them are in orders.
	sourceLine   = regexp.MustCompile(`(?m)^  s3://lambda-connect-dev-landing/incoming/\S+\.jsonl  (\d+) lines -> (\d+) records in orders \(1 invocation\)$`)
	keyPartition = regexp.MustCompile(`^topics/(orders|clicks\.v1)/partition=(\d+)/(orders|clicks\.v1)\+(\d+)\+(\d{10})\.json$`)

	// The --sink all summary: the DynamoDB sink's part and where the source's lines went.
	dynamoPart = regexp.MustCompile(`(?m)^DynamoDB sink dev-dynamodb-sink: (\d+) records through the DynamoDB sink in \d+ invocations? \(batch size 100\), from its own committed offsets$`)
	dynamoDone = regexp.MustCompile(`(?m)^(\d+) records delivered -> (\d+) items = one per order, each written once \(1 skipped\); every partition is committed up to its log end\.$`)
	// The Avro lane: the registry, the produced records, the Parquet objects and the read-back.
	avroProduced  = regexp.MustCompile(`(?m)^  produced (\d+) Confluent-framed Avro orders to orders\.avro \(2 partitions\), schema id\(s\) \[(\d+)\] registered under orders\.avro-value$`)
	avroObjectRow = regexp.MustCompile(`(?m)^    s3://lambda-connect-dev-avro/topics/orders\.avro/partition=\d+/orders\.avro\+\d+\+\d{10}\.parquet  (\d+) rows?$`)
	avroReadBack  = regexp.MustCompile(`(?m)^  read back with the S3 source's Parquet reader: (\d+) rows, every order exactly once$`)
	tracedLine    = regexp.MustCompile(`(?m)^The (\d+) lines of s3://lambda-connect-dev-landing/incoming/\S+\.jsonl: (\d+) in the S3 sink's output, (\d+) in the DynamoDB sink's output: each exactly once\.$`)
)

// onceText runs dev --once in text with args, and checks the S3 sink's summary and, with both,
// the DynamoDB sink's and where the S3 source's lines went.
func onceText(t *testing.T, bin string, env []string, both bool, args ...string) {
	res := runBinary(t, bin, env, append([]string{"dev", "--once", "--records", "150"}, args...)...)
	if res.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if res.took > devBudget {
		t.Errorf("dev --once took %v, over %v", res.took, devBudget)
	}
	if res.stderr != "" {
		t.Errorf("unexpected stderr: %s", res.stderr)
	}
	m := producedLine.FindStringSubmatch(res.stdout)
	if m == nil {
		t.Fatalf("no 'Produced ...' line:\n%s", res.stdout)
	}
	produced, _ := strconv.Atoi(m[1])
	if produced != 150 {
		t.Errorf("produced %d records, asked for 150", produced)
	}
	rows := objectRow.FindAllStringSubmatch(res.stdout, -1)
	if len(rows) == 0 {
		t.Fatalf("no object rows:\n%s", res.stdout)
	}
	// The object dropped into the landing bucket went through the S3 source to orders: every line
	// once (the sandbox counts them by their provenance headers), and on through the S3 sink.
	src := sourceLine.FindStringSubmatch(res.stdout)
	if src == nil {
		t.Fatalf("no S3 source line:\n%s", res.stdout)
	}
	if src[1] != strconv.Itoa(devSourceLines) || src[2] != src[1] {
		t.Errorf("S3 source: %s lines, %s records in orders; want %d of each", src[1], src[2], devSourceLines)
	}
	sum, partitions := 0, 0
	for _, r := range rows {
		if r[1] != "" {
			partitions++
			if r[3] != r[4] {
				t.Errorf("%s-%s: log end %s, committed %s", r[1], r[2], r[3], r[4])
			}
		}
		first, _ := strconv.Atoi(r[5])
		last, _ := strconv.Atoi(r[6])
		n, _ := strconv.Atoi(r[7])
		if n < 1 || n > last-first+1 {
			t.Errorf("object %s: %d records for offsets %d-%d", r[8], n, first, last)
		}
		k := keyPartition.FindStringSubmatch(r[8])
		if k == nil || k[1] != k[3] || k[2] != k[4] {
			t.Errorf("object key %s is not named as the S3 sink names objects", r[8])
		} else if start, _ := strconv.Atoi(k[5]); start != first {
			t.Errorf("object %s: listed from offset %d", r[8], first)
		}
		sum += n
	}
	if partitions != 5 {
		t.Errorf("%d partitions listed, want 5:\n%s", partitions, res.stdout)
	}
	if sum != produced+devSourceLines-1 {
		t.Errorf("objects hold %d records, want %d produced and %d from the S3 source, less the tombstone:\n%s", sum, produced, devSourceLines, res.stdout)
	}
	total := totalLine.FindStringSubmatch(res.stdout)
	if total == nil {
		t.Fatalf("no total line:\n%s", res.stdout)
	}
	if total[1] != strconv.Itoa(sum) || total[2] != strconv.Itoa(len(rows)) || total[3] != strconv.Itoa(produced+devSourceLines) {
		t.Errorf("total line %q disagrees with the rows: %d records in %d objects", total[0], sum, len(rows))
	}
	checkAvroText(t, res.stdout)
	if !both {
		if dynamoPart.MatchString(res.stdout) || strings.Contains(res.stdout, "What moved where") {
			t.Errorf("--sink s3 printed the DynamoDB sink's part:\n%s", res.stdout)
		}
		return
	}
	// The orders (three records in five, and the S3 source's lines) went through the DynamoDB
	// sink too: one item each but the tombstone.
	orders := 0
	for i := range produced {
		if i%5 < 3 {
			orders++
		}
	}
	if d := dynamoPart.FindStringSubmatch(res.stdout); d == nil || d[1] != strconv.Itoa(orders+devSourceLines) {
		t.Errorf("DynamoDB sink part %q: want %d records (orders only)\n%s", d, orders+devSourceLines, res.stdout)
	}
	if d := dynamoDone.FindStringSubmatch(res.stdout); d == nil || d[1] != strconv.Itoa(orders+devSourceLines) || d[2] != strconv.Itoa(orders+devSourceLines-1) {
		t.Errorf("DynamoDB sink total %q: want %d records -> %d items\n%s", d, orders+devSourceLines, orders+devSourceLines-1, res.stdout)
	}
	want := strconv.Itoa(devSourceLines)
	if tr := tracedLine.FindStringSubmatch(res.stdout); tr == nil || tr[1] != want || tr[2] != want || tr[3] != want {
		t.Errorf("where the source's lines went: %q, want each of the %d lines in both sinks\n%s", tr, devSourceLines, res.stdout)
	}
}

// onceNoJava runs dev --once where java cannot be found: the DynamoDB sink is left out, saying
// so on stderr and in the summary, and the S3 path runs.
func onceNoJava(t *testing.T, bin string) {
	var env []string
	for _, kv := range strippedEnv(t, true) {
		if !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	res := runBinary(t, bin, append(env, "PATH="+t.TempDir()), "dev", "--once", "--records", "40")
	if res.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"the DynamoDB sink is left out of this run", "java", "lambda-connect dev --sink s3"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, res.stderr)
		}
	}
	for _, want := range []string{"DynamoDB sink: left out of this run, DynamoDB Local did not start", "DynamoDB sink  left out",
		"24 in the S3 sink's output: each exactly once.", "every partition is committed up to its log end."} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("summary does not say %q:\n%s", want, res.stdout)
		}
	}
}

// onceJSON runs dev --once with the JSON summary and both sinks: the S3 sink's objects and the
// DynamoDB sink's items each hold every line of the S3 source's object exactly once.
func onceJSON(t *testing.T, bin, cacheEnv string) {
	dataDir := filepath.Join(t.TempDir(), "data")
	// An offsets file left by an earlier run is reset: this one would skip every record.
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale, err := offsets.NewFileStore(filepath.Join(dataDir, offsetsFile))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l, err := stale.Acquire(ctx, offsets.Key{Connector: devConnector, Topic: "orders", Partition: 0}, "old", time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := stale.Commit(ctx, l, 1000); err != nil {
		t.Fatal(err)
	}

	const produced, batch = 97, 7
	res := runBinary(t, bin, append(strippedEnv(t, true), cacheEnv), "dev", "--once", "--output", "json", "--format", "bytearray",
		"--compression", "gzip", "--batch-size", strconv.Itoa(batch), "--records", strconv.Itoa(produced), "--data-dir", dataDir)
	if res.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if res.took > devBudget {
		t.Errorf("took %v", res.took)
	}
	var rep devReport
	dec := json.NewDecoder(strings.NewReader(res.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, res.stdout)
	}
	if dec.More() {
		t.Errorf("more than one JSON document with --once:\n%s", res.stdout)
	}
	if rep.Produced != produced || rep.Tombstones != 1 || rep.Delivered != produced+devSourceLines || rep.Skipped != 1 {
		t.Errorf("produced %d (%d tombstones), delivered %d (%d skipped); want %d, 1, %d (with the S3 source's), 1", rep.Produced, rep.Tombstones, rep.Delivered, rep.Skipped, produced, produced+devSourceLines)
	}
	if src := rep.Source; src == nil || len(src.Objects) != 1 || src.Produced != devSourceLines || src.InKafka != devSourceLines ||
		!src.Objects[0].Complete || src.Objects[0].Records != devSourceLines || src.Objects[0].Duplicates != 0 || src.Topic != "orders" {
		t.Errorf("S3 source report %+v: want one complete object of %d lines, each in orders once", src, devSourceLines)
	} else {
		o := src.Objects[0]
		for _, c := range []*sinkCopies{o.InS3, o.InDynamoDB} {
			if c == nil || c.Found != devSourceLines || c.Duplicates != 0 {
				t.Errorf("S3 source object in a sink: %+v; want each of its %d lines once (in_s3 %+v, in_dynamodb %+v)", c, devSourceLines, o.InS3, o.InDynamoDB)
			}
		}
	}
	// The DynamoDB sink ran too, on orders, from its own offsets: one item per order.
	orders := 0
	for i := range produced {
		if i%5 < 3 {
			orders++
		}
	}
	if d := rep.DynamoDB; rep.Sink != sinkAll || d == nil || d.Table == nil || rep.DynamoDBSkipped != "" {
		t.Errorf("sink %q, DynamoDB report %+v (skipped %q): want both sinks", rep.Sink, d, rep.DynamoDBSkipped)
	} else {
		if d.Connector != devDynamoConnector || d.Delivered != orders+devSourceLines || d.Skipped != 1 || d.Source != nil {
			t.Errorf("DynamoDB sink: connector %s, delivered %d, skipped %d; want %s, %d, 1", d.Connector, d.Delivered, d.Skipped, devDynamoConnector, orders+devSourceLines)
		}
		if d.Table.Items != orders+devSourceLines-1 || d.Table.Orders != d.Table.Items || len(d.Table.Mismatches) != 0 {
			t.Errorf("DynamoDB table: %d items, %d orders, mismatches %v; want %d", d.Table.Items, d.Table.Orders, d.Table.Mismatches, orders+devSourceLines-1)
		}
		for _, p := range d.Partitions {
			if p.Topic != "orders" || p.Committed != p.LogEnd {
				t.Errorf("DynamoDB sink: %s-%d committed %d, log end %d", p.Topic, p.Partition, p.Committed, p.LogEnd)
			}
		}
	}
	// The Avro lane: one schema registered, every order in the Parquet exactly once.
	if a := rep.Avro; a == nil {
		t.Errorf("no Avro lane in the report")
	} else {
		if !strings.HasPrefix(a.RegistryURL, "http://127.0.0.1:") || a.Topic != avroTopic || a.Subject != "orders.avro-value" ||
			a.Produced != avroRecords || a.Delivered != avroRecords || len(a.SchemaIDs) != 1 || a.SchemaIDs[0] < 1 {
			t.Errorf("Avro lane %+v: want %d orders through one registered schema", a, avroRecords)
		}
		if a.Settings["value.converter"] != "io.confluent.connect.avro.AvroConverter" || a.Settings["format.class"] != "io.confluent.connect.s3.format.parquet.ParquetFormat" ||
			a.Settings["value.converter.schema.registry.url"] != a.RegistryURL {
			t.Errorf("Avro lane settings %v", a.Settings)
		}
		rows := 0
		for _, o := range a.Objects {
			if !strings.HasPrefix(o.Key, "topics/orders.avro/partition=") || !strings.HasSuffix(o.Key, ".parquet") || o.Rows < 1 || o.Rows > batch {
				t.Errorf("Avro lane object %+v", o)
			}
			rows += o.Rows
		}
		// Objects are written per invocation and partition: at least one per partition, and
		// with --batch-size 7 at most 7 rows each.
		if len(a.Objects) < avroPartitions || rows != avroRecords || a.ReadBack != avroRecords || len(a.Missing)+len(a.Duplicated) != 0 {
			t.Errorf("Avro lane: %d rows in %d objects, read back %d, missing %v, duplicated %v; want %d in at least %d", rows, len(a.Objects), a.ReadBack, a.Missing, a.Duplicated, avroRecords, avroPartitions)
		}
	}
	if min := (produced + batch - 1) / batch; rep.Invocations < min || rep.BatchSize != batch {
		t.Errorf("%d invocations of batch size %d for %d records, want at least %d", rep.Invocations, rep.BatchSize, produced, min)
	}
	if rep.Settings["format.class"] != "io.confluent.connect.s3.format.bytearray.ByteArrayFormat" || rep.Settings["s3.compression.type"] != "gzip" {
		t.Errorf("settings %v", rep.Settings)
	}
	if !strings.HasPrefix(rep.Broker, "127.0.0.1:") || !strings.HasPrefix(rep.S3Endpoint, "http://127.0.0.1:") {
		t.Errorf("broker %q, S3 %q: want local addresses", rep.Broker, rep.S3Endpoint)
	}
	sum, objects := 0, 0
	committed := map[record.TopicPartition]int64{}
	for _, p := range rep.Partitions {
		tp := record.TopicPartition{Topic: p.Topic, Partition: p.Partition}
		committed[tp] = p.Committed
		if p.Committed != p.LogEnd {
			t.Errorf("%s: committed %d, log end %d", tp, p.Committed, p.LogEnd)
		}
		for _, o := range p.Objects {
			if !strings.HasSuffix(o.Key, ".bin.gz") || !strings.Contains(o.Key, fmt.Sprintf("/%s+%d+%010d.", p.Topic, p.Partition, o.FirstOffset)) {
				t.Errorf("%s: object %s", tp, o.Key)
			}
			if o.Records < 1 || o.Records > batch || o.Bytes <= 0 {
				t.Errorf("%s: object %s has %d records, %d bytes", tp, o.Key, o.Records, o.Bytes)
			}
			sum += o.Records
			objects++
		}
	}
	if sum != produced+devSourceLines-1 || sum != rep.Written || objects != rep.Objects {
		t.Errorf("objects hold %d records in %d objects; report says %d in %d; want %d records", sum, objects, rep.Written, rep.Objects, produced+devSourceLines-1)
	}

	// The offsets file holds the committed offsets the report shows, and the log the handler's lines.
	if rep.OffsetsFile != filepath.Join(dataDir, offsetsFile) || rep.LogFile != filepath.Join(dataDir, logFile) {
		t.Errorf("offsets file %s, log %s: want them in %s", rep.OffsetsFile, rep.LogFile, dataDir)
	}
	store, err := offsets.NewFileStore(rep.OffsetsFile)
	if err != nil {
		t.Fatal(err)
	}
	states, err := store.List(ctx, devConnector)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != len(committed) {
		t.Errorf("offsets file holds %d partitions, report %d", len(states), len(committed))
	}
	for _, s := range states {
		tp := record.TopicPartition{Topic: s.Topic, Partition: s.Partition}
		if s.Next != committed[tp] || s.Owner != "" {
			t.Errorf("offsets file: %s next %d owner %q; report says %d", tp, s.Next, s.Owner, committed[tp])
		}
	}
	log, err := os.ReadFile(rep.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(log, []byte(`"msg":"invocation done"`)) || !bytes.Contains(log, []byte(`"CloudWatchMetrics"`)) {
		t.Errorf("the log holds no handler line or metrics:\n%.2000s", log)
	}
}

// continuous runs dev without --once, produces to the sandbox's broker and checks that the new
// records are delivered, that a bad record is reported and retried, and that SIGINT stops it.
func continuous(t *testing.T, bin string) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGINT")
	}
	ctx, cancel := context.WithTimeout(context.Background(), devBudget)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "dev", "--sink", "s3", "--output", "json", "--records", "20", "--poll-interval", "50ms", "--data-dir", t.TempDir())
	cmd.Env = strippedEnv(t, true)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	msgs := make(chan map[string]any)
	go func() {
		defer close(msgs)
		dec := json.NewDecoder(stdout)
		for {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				if !errors.Is(err, io.EOF) {
					m = map[string]any{"event": "undecodable output", "error": err.Error()}
					select {
					case msgs <- m:
					case <-ctx.Done():
					}
				}
				return
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	next := func(what string) map[string]any {
		t.Helper()
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatalf("output ended waiting for %s; stderr: %s", what, stderr.String())
			}
			return m
		case <-ctx.Done():
			t.Fatalf("no %s before the deadline; stderr: %s", what, stderr.String())
		}
		return nil
	}

	if rep := next("the summary"); rep["written"] != float64(19+devSourceLines) {
		t.Fatalf("summary: %v", rep)
	}
	running := next("the running event")
	broker, _ := running["broker"].(string)
	if running["event"] != "running" || broker == "" || !strings.Contains(fmt.Sprint(running["commands"]), "kcat -b "+broker+" -L") {
		t.Fatalf("running event: %v", running)
	}
	if reg, _ := running["schema_registry"].(string); !strings.HasPrefix(reg, "http://127.0.0.1:") ||
		!strings.Contains(fmt.Sprint(running["commands"]), "curl -s "+reg+"/subjects/orders.avro-value/versions/latest") {
		t.Errorf("running event without the schema registry: %v", running)
	}

	ts := time.Now().UnixMilli()
	fresh := []record.Record{
		{Topic: "orders", Partition: 1, Key: []byte("k"), Value: []byte(`{"order_id":"o-new-1"}`), TimestampType: record.CreateTime, Timestamp: ts},
		{Topic: "orders", Partition: 1, Key: []byte("k"), Value: []byte(`{"order_id":"o-new-2"}`), TimestampType: record.CreateTime, Timestamp: ts},
	}
	if err := kafkalocal.Produce(ctx, []string{broker}, fresh); err != nil {
		t.Fatal(err)
	}
	ev := next("the delivery")
	if ev["event"] != "delivered" || ev["topic"] != "orders" || ev["partition"] != float64(1) || ev["records"] != float64(2) ||
		ev["committed"] != ev["last_offset"].(float64)+1 {
		t.Fatalf("delivered event: %v", ev)
	}

	// An object dropped into the landing bucket goes through the S3 source to orders, and on
	// through the S3 sink.
	s3c := localS3Client(running["s3_endpoint"].(string))
	body := "{\"order_id\":\"o-drop-1\",\"customer\":\"c 1\"}\n{\"order_id\":\"o-drop-2\",\"customer\":\"c 2\"}\n{\"order_id\":\"o-drop-3\",\"customer\":\"c 1\"}\n"
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(devLandingBucket), Key: aws.String("incoming/dropped by hand+1.jsonl"),
		Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	if ev := next("the S3 source's event"); ev["event"] != "sourced" || ev["records"] != float64(3) || ev["lines"] != float64(3) ||
		ev["url"] != "s3://"+devLandingBucket+"/incoming/dropped by hand+1.jsonl" || ev["complete"] != true || ev["duplicates"] != float64(0) {
		t.Fatalf("sourced event: %v", ev)
	}
	for delivered := 0.0; delivered < 3; {
		ev := next("the S3 source's records through the sink")
		if ev["event"] != "delivered" || ev["topic"] != "orders" {
			t.Fatalf("delivered event: %v", ev)
		}
		delivered += ev["records"].(float64)
	}

	bad := []record.Record{{Topic: "clicks.v1", Partition: 0, Value: []byte("not json"), TimestampType: record.CreateTime, Timestamp: ts}}
	if err := kafkalocal.Produce(ctx, []string{broker}, bad); err != nil {
		t.Fatal(err)
	}
	ev = next("the error")
	if ev["event"] != "error" || !strings.Contains(fmt.Sprint(ev["error"]), "clicks.v1/0/") {
		t.Fatalf("error event: %v", ev)
	}

	time.Sleep(300 * time.Millisecond) // several polls, which retry the bad record without saying so again
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if ev := next("the stopped event"); ev["event"] != "stopped" {
		t.Fatalf("after SIGINT: %v (the error must be reported once, not at every poll)", ev)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGINT: %v; stderr: %s", err, stderr.String())
	}
}

// onceDynamoDB runs dev --once --sink dynamodb, in JSON then in text with misleading AWS settings,
// and checks that the table holds orders by customer (one item per order, the tombstone
// skipped), that every partition is committed, and that DynamoDB Local is stopped.
func onceDynamoDB(t *testing.T, bin, cacheEnv string) {
	const produced, batch = 120, 9
	res := runBinary(t, bin, append(strippedEnv(t, true), cacheEnv), "dev", "--once", "--sink", "dynamodb", "--output", "json",
		"--records", strconv.Itoa(produced), "--batch-size", strconv.Itoa(batch))
	if res.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if res.took > devBudget {
		t.Errorf("dev --once --sink dynamodb took %v, over %v", res.took, devBudget)
	}
	var rep devReport
	dec := json.NewDecoder(strings.NewReader(res.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, res.stdout)
	}
	tab := rep.Table
	if rep.Sink != sinkDynamoDB || tab == nil || rep.Connector != devDynamoConnector {
		t.Fatalf("sink %q, connector %q, table %+v: want the DynamoDB sink's report", rep.Sink, rep.Connector, tab)
	}
	// Orders are three records in five; the S3 source adds its lines to orders.
	orders := 0
	for i := range produced {
		if i%5 < 3 {
			orders++
		}
	}
	if rep.Delivered != orders+devSourceLines || rep.Tombstones != 1 || rep.Skipped != 1 || rep.Written != 0 || rep.Objects != 0 {
		t.Errorf("delivered %d, tombstones %d, written %d in %d objects; want %d delivered (orders only), 1 tombstone, nothing in S3",
			rep.Delivered, rep.Tombstones, rep.Written, rep.Objects, orders+devSourceLines)
	}
	if min := (rep.Delivered + batch - 1) / batch; rep.Invocations < min {
		t.Errorf("%d invocations for %d records of batch size %d", rep.Invocations, rep.Delivered, batch)
	}
	if len(tab.Mismatches) != 0 || tab.Customers != customers || tab.Items != tab.Orders || tab.Items != orders+devSourceLines-1 {
		t.Errorf("table: %d items, %d orders, %d customers, mismatches %v; want one item per order (%d), %d customers", tab.Items, tab.Orders, tab.Customers, tab.Mismatches, orders+devSourceLines-1, customers)
	}
	if o := rep.Source.Objects; len(o) != 1 || o[0].InDynamoDB == nil || o[0].InDynamoDB.Found != devSourceLines || o[0].InS3 != nil {
		t.Errorf("S3 source objects %+v: want each line in the table", o)
	}
	if tab.Name != devTable || !strings.HasPrefix(tab.Endpoint, "http://127.0.0.1:") || tab.Strategy != dynamodbsink.StrategyConditional ||
		rep.Settings[dynamodbsink.KeyPKHash] != "key:customer" || rep.Settings[dynamodbsink.KeyPKSort] != "value.order_id" || rep.Settings[dynamodbsink.KeyEndpoint] != tab.Endpoint {
		t.Errorf("table %+v, settings %v", tab, rep.Settings)
	}
	items, tombstones := 0, 0
	for _, p := range rep.Partitions {
		if p.Topic != "orders" || p.Committed != p.LogEnd || int64(p.Delivered) != p.LogEnd {
			t.Errorf("partition %s-%d: log end %d, committed %d, delivered %d", p.Topic, p.Partition, p.LogEnd, p.Committed, p.Delivered)
		}
		items += p.Items
		tombstones += p.Tombstones
	}
	if len(rep.Partitions) != 3 || items != tab.Items || tombstones != 1 {
		t.Errorf("%d partitions holding %d items and %d tombstones; want orders' 3, %d items, 1 tombstone", len(rep.Partitions), items, tombstones, tab.Items)
	}
	if len(tab.Sample) != min(sampleItems, tab.Items) {
		t.Errorf("%d sample items", len(tab.Sample))
	}
	for _, it := range tab.Sample {
		if c, _ := it[devTableKey].(string); !strings.HasPrefix(c, "customer-") || it[devTableSort] == nil || it["_kafka_offset"] == nil {
			t.Errorf("sample item %v: want a customer's order with its source offset", it)
		}
	}
	// The emulator is stopped: nothing answers at its endpoint.
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(tab.Endpoint, "http://"), time.Second); err == nil {
		conn.Close()
		t.Errorf("DynamoDB Local still answers at %s after dev exited", tab.Endpoint)
	}

	// Text, with AWS settings that would break the SDK's default configuration: the sandbox
	// must not look at them.
	res = runBinary(t, bin, append(strippedEnv(t, true), cacheEnv, "AWS_PROFILE=lambda-connect-no-such-profile",
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_REGION=eu-west-3", "AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:1"),
		"dev", "--once", "--sink", "dynamodb")
	if res.code != 0 {
		t.Fatalf("text: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if res.stderr != "" {
		t.Errorf("text: unexpected stderr (the emulator is cached): %s", res.stderr)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^lambda-connect dev: \d+ records through the DynamoDB sink in \d+ invocations? `),
		regexp.MustCompile(`(?m)^  emulator +\S+ +\(downloaded from npm on the first run, then cached\)$`),
		regexp.MustCompile(`(?m)^orders-0 +(\d+) +(\d+) +\d+ +\d+ +\d+$`),
		regexp.MustCompile(`(?m)^Table orders \(hash key customer \(S\): the record key, sort key order_id \(S\): the value's order_id, write strategy conditional\): \d+ items for 11 customers: one item per order\.$`),
		regexp.MustCompile(`(?m)^  customer=customer-\d+ order_id=o-\S+ _kafka_offset=\d+ _kafka_partition=\d _kafka_topic=orders amount=\S+ currency=EUR items=\d$`),
		regexp.MustCompile(`(?m)^\d+ records delivered -> \d+ items = one per order, each written once \(1 skipped\); every partition is committed up to its log end\.$`),
	} {
		if !want.MatchString(res.stdout) {
			t.Errorf("text: no line matching %s:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "clicks.v1-") {
		t.Errorf("text: clicks.v1 listed, but the DynamoDB sink does not read it:\n%s", res.stdout)
	}
}

// checkAvroText checks the Avro lane's part of a text summary: avroRecords orders produced with
// one registered schema, Parquet objects holding them all, each read back once.
func checkAvroText(t *testing.T, stdout string) {
	t.Helper()
	if !strings.Contains(stdout, "Avro lane: schema registry http://127.0.0.1:") {
		t.Errorf("no Avro lane with its registry URL:\n%s", stdout)
	}
	if m := avroProduced.FindStringSubmatch(stdout); m == nil || m[1] != strconv.Itoa(avroRecords) {
		t.Errorf("Avro lane produced %q, want %d orders with one schema id", m, avroRecords)
	}
	rows := 0
	for _, m := range avroObjectRow.FindAllStringSubmatch(stdout, -1) {
		n, _ := strconv.Atoi(m[1])
		rows += n
	}
	if rows != avroRecords {
		t.Errorf("the Avro lane's Parquet objects hold %d rows, want %d:\n%s", rows, avroRecords, stdout)
	}
	if m := avroReadBack.FindStringSubmatch(stdout); m == nil || m[1] != strconv.Itoa(avroRecords) {
		t.Errorf("Avro lane read-back %q, want %d rows, each order once", m, avroRecords)
	}
}
