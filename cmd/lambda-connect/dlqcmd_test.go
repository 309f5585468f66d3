package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
)

// dlqFixture is a topic delivered by the S3 sink with errors.tolerance=all and a Cast transform
// (n to int32): the records the Cast transform or the JSON converter rejects are dead-lettered.
type dlqFixture struct {
	st    *stack
	topic string
	// environ is the sink's original configuration; fixed drops the transform, so that the
	// records it rejected go through; fixed2 also takes values as strings, so that those that
	// are not JSON go through too.
	environ, fixed, fixed2 []string
}

// The records of partition 0 of the fixture's topic; partition 1 gets one bad record.
var dlqValues = []string{`{"n":0}`, `{"n":"abc"}`, `{"n":2}`, "not json A", `{"n":"xyz"}`, `{"n":5}`}

func newDLQFixture(t *testing.T, destination func(st *stack) []string) *dlqFixture {
	t.Helper()
	f := &dlqFixture{st: newStack(t), topic: uniqueName("orders")}
	ctx := context.Background()
	if err := f.st.kafka.CreateTopic(ctx, f.topic, 2); err != nil {
		t.Fatal(err)
	}
	var recs []record.Record
	for i, v := range dlqValues {
		recs = append(recs, record.Record{Topic: f.topic, Partition: 0, Key: []byte{'k', byte('0' + i)}, Value: []byte(v),
			TimestampType: record.CreateTime, Timestamp: time.Now().UnixMilli(), Headers: []record.Header{{Key: "trace", Value: []byte{byte('a' + i)}}}})
	}
	recs = append(recs, record.Record{Topic: f.topic, Partition: 1, Value: []byte(`{"n":"p1"}`), TimestampType: record.CreateTime, Timestamp: time.Now().UnixMilli()},
		record.Record{Topic: f.topic, Partition: 1, Value: []byte(`{"n":7}`), TimestampType: record.CreateTime, Timestamp: time.Now().UnixMilli()})
	if err := kafkalocal.Produce(ctx, f.st.kafka.Addrs(), recs); err != nil {
		t.Fatal(err)
	}
	cast := []string{"CONNECT_TRANSFORMS=cast", "CONNECT_TRANSFORMS_CAST_TYPE=org.apache.kafka.connect.transforms.Cast$Value", "CONNECT_TRANSFORMS_CAST_SPEC=n:int32"}
	f.fixed = f.st.environ("dlq-test", append([]string{"CONNECT_ERRORS_TOLERANCE=all"}, destination(f.st)...)...)
	f.environ = append(append([]string(nil), f.fixed...), cast...)
	f.fixed2 = []string{"CONNECT_VALUE_CONVERTER=org.apache.kafka.connect.storage.StringConverter"}
	for _, kv := range f.fixed {
		if !strings.HasPrefix(kv, "CONNECT_VALUE_CONVERTER_") {
			f.fixed2 = append(f.fixed2, kv)
		}
	}
	code, stdout, stderr := runEnv(t, f.environ, "run", "s3-sink", "--bootstrap-servers", f.st.kafka.Bootstrap(), "--topic", f.topic, "--once", "--batching-window", "50ms", "--log", t.TempDir()+"/log")
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	return f
}

// values returns every line of every object the sink wrote for the topic, with its count.
func (f *dlqFixture) values(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, lines := range f.st.objects(t, "topics/"+f.topic+"/") {
		for _, l := range lines {
			out[l]++
		}
	}
	return out
}

func replayJSON(t *testing.T, stdout, stderr string) replayReport {
	t.Helper()
	var rep replayReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("not dlq replay's JSON: %v\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	return rep
}

// statuses maps partition-offset to status.
func statuses(rep replayReport) map[string]string {
	out := map[string]string{}
	for _, l := range rep.Letters {
		out[record.TopicPartition{Topic: l.Topic, Partition: l.Partition}.String()+"@"+itoa64(l.Offset)] = l.Status
	}
	return out
}

func itoa64(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestDLQReplayTopic replays the dead-letter topic after a fix: the records that now pass are
// delivered once, a record that still fails stays in the report with its reason (exit 1) and
// holds back the later letters of its partition; once that is fixed too, the rest is
// delivered, and a third replay delivers nothing.
func TestDLQReplayTopic(t *testing.T) {
	dlqTopic := uniqueName("dlq")
	f := newDLQFixture(t, func(st *stack) []string {
		if err := st.kafka.CreateTopic(context.Background(), dlqTopic, 2); err != nil {
			t.Fatal(err)
		}
		return []string{"CONNECT_ERRORS_DEADLETTERQUEUE_TOPIC_NAME=" + dlqTopic, "CONNECT_ERRORS_DEADLETTERQUEUE_CONTEXT_HEADERS_ENABLE=true"}
	})
	before := f.values(t)
	if !equalMaps(before, map[string]int{`{"n":0}`: 1, `{"n":2}`: 1, `{"n":5}`: 1, `{"n":7}`: 1}) {
		t.Fatalf("the sink wrote %v", before)
	}
	args := []string{"dlq", "replay", "--connector", "s3-sink", "--topic", dlqTopic, "--bootstrap-servers", f.st.kafka.Bootstrap(), "--output", "json"}
	p0, p1 := f.topic+"-0", f.topic+"-1"

	// Dry run: the letters and their reasons, nothing sent.
	code, stdout, stderr := runEnv(t, f.fixed, args[:len(args)-2]...)
	if code != exitOK || !strings.Contains(stdout, "4 would be replayed, 0 were replayed already") || !strings.Contains(stdout, "--execute") ||
		!strings.Contains(stdout, "Cast$Value") || !strings.Contains(stdout, "invalid JSON") {
		t.Fatalf("dry run (text): exit %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("dlq replay --dry-run:\n%s", stdout)
	code, stdout, stderr = runEnv(t, f.fixed, args...)
	rep := replayJSON(t, stdout, stderr)
	if code != exitOK || rep.Would != 4 || rep.Replayed != 0 {
		t.Fatalf("dry run: exit %d %+v\n%s", code, rep, stderr)
	}
	for _, l := range rep.Letters {
		if l.Reason == "" || l.Stage == "" {
			t.Errorf("letter %s-%d@%d has no reason or stage", l.Topic, l.Partition, l.Offset)
		}
	}
	if got := f.values(t); len(got) != 4 {
		t.Fatalf("the dry run wrote: %v", got)
	}

	// The transform is fixed; the record that is not JSON still fails.
	code, stdout, stderr = runEnv(t, f.fixed, append(args, "--execute")...)
	rep = replayJSON(t, stdout, stderr)
	want := map[string]string{p0 + "@1": replayDone, p0 + "@3": replayFailed, p0 + "@4": replayHeld, p1 + "@0": replayDone}
	if code != exitFail || !equalMaps(statuses(rep), want) || rep.Failed != 1 || !strings.Contains(stderr, "1 record is still failing") {
		t.Fatalf("first replay: exit %d, statuses %v, want %v\n%s\n%s", code, statuses(rep), want, stdout, stderr)
	}
	for _, l := range rep.Letters {
		if l.Offset == 3 && !strings.Contains(l.Error, "JSON") {
			t.Errorf("the failing record's reason: %q", l.Error)
		}
	}
	if got := f.values(t); got[`{"n":"abc"}`] != 1 || got[`{"n":"p1"}`] != 1 || len(got) != 6 {
		t.Errorf("after the first replay the sink holds %v", got)
	}

	// Fixed for it too: the rest goes through, what was replayed is skipped.
	code, stdout, stderr = runEnv(t, f.fixed2, append(args, "--execute")...)
	rep = replayJSON(t, stdout, stderr)
	want = map[string]string{p0 + "@1": replayAlready, p0 + "@3": replayDone, p0 + "@4": replayDone, p1 + "@0": replayAlready}
	if code != exitOK || !equalMaps(statuses(rep), want) {
		t.Fatalf("second replay: exit %d, statuses %v, want %v\n%s\n%s", code, statuses(rep), want, stdout, stderr)
	}
	final := map[string]int{`{"n":0}`: 1, `{"n":2}`: 1, `{"n":5}`: 1, `{"n":7}`: 1, `{"n":"abc"}`: 1, `{"n":"p1"}`: 1, `"not json A"`: 1, `"{\"n\":\"xyz\"}"`: 1}
	if got := f.values(t); !equalMaps(got, final) {
		t.Errorf("after the second replay the sink holds %v, want %v", got, final)
	}

	// A third replay delivers nothing.
	code, stdout, stderr = runEnv(t, f.fixed2, append(args[:len(args)-2], "--execute")...)
	if code != exitOK || !strings.Contains(stdout, "0 replayed, 4 replayed already (skipped), 0 failed") {
		t.Fatalf("third replay: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := f.values(t); !equalMaps(got, final) {
		t.Errorf("after the third replay the sink holds %v, want %v", got, final)
	}
}

// TestDLQReplayS3 replays the S3 dead-letter destination twice: each record is delivered once,
// with its original key, headers and partition.
func TestDLQReplayS3(t *testing.T) {
	f := newDLQFixture(t, func(st *stack) []string {
		return []string{"CONNECT_ERRORS_DEADLETTERQUEUE_S3_BUCKET_NAME=" + st.bucket}
	})
	fixed := f.fixed2
	args := []string{"dlq", "replay", "--connector", "s3-sink", "--s3", "s3://" + f.st.bucket + "/dead-letters/", "--execute", "--output", "json"}
	code, stdout, stderr := runEnv(t, fixed, args...)
	rep := replayJSON(t, stdout, stderr)
	if code != exitOK || rep.Read != 4 || rep.Replayed != 4 {
		t.Fatalf("replay: exit %d %+v\n%s", code, rep, stderr)
	}
	final := map[string]int{`{"n":0}`: 1, `{"n":2}`: 1, `{"n":5}`: 1, `{"n":7}`: 1, `"{\"n\":\"abc\"}"`: 1, `"{\"n\":\"p1\"}"`: 1, `"not json A"`: 1, `"{\"n\":\"xyz\"}"`: 1}
	if got := f.values(t); !equalMaps(got, final) {
		t.Errorf("after the replay the sink holds %v, want %v", got, final)
	}
	code, stdout, stderr = runEnv(t, fixed, args...)
	rep = replayJSON(t, stdout, stderr)
	if code != exitOK || rep.Replayed != 0 || rep.Already != 4 {
		t.Fatalf("second replay: exit %d %+v\n%s", code, rep, stderr)
	}
	if got := f.values(t); !equalMaps(got, final) {
		t.Errorf("after the second replay the sink holds %v, want %v", got, final)
	}
}

func equalMaps[V comparable](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestDLQReplayUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", []string{"dlq"}, exitUsage, "no subcommand given"},
		{"unknown subcommand", []string{"dlq", "list"}, exitUsage, `unknown subcommand "list"`},
		{"no connector", []string{"dlq", "replay", "--topic", "x"}, exitUsage, "--connector is required"},
		{"no source", []string{"dlq", "replay", "--connector", "s3-sink"}, exitUsage, "--topic DLQ_TOPIC or --s3"},
		{"two sources", []string{"dlq", "replay", "--connector", "s3-sink", "--topic", "x", "--s3", "s3://b/p"}, exitUsage, "give one"},
		{"both modes", []string{"dlq", "replay", "--connector", "s3-sink", "--topic", "x", "--dry-run", "--execute"}, exitUsage, "--dry-run and --execute"},
		{"bad s3", []string{"dlq", "replay", "--connector", "s3-sink", "--s3", "bucket/p"}, exitUsage, "want s3://bucket/prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runEnv(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
	code, stdout, _ := runEnv(t, nil, "dlq", "replay", "--help")
	if code != exitOK || !strings.Contains(stdout, "Why exactly once") {
		t.Errorf("--help: exit %d\n%s", code, stdout)
	}
}

// FuzzLetterFrom reads a dead letter back from arbitrary context headers: it never panics, and
// a letter it accepts names the original coordinates the headers give and keeps every header
// but Connect's error context.
func FuzzLetterFrom(f *testing.F) {
	f.Add("orders", "3", "42", "trace")
	f.Add("", "-1", "9223372036854775807", "__connect.errors.stage")
	f.Add("t", "x", "1", "h")
	f.Fuzz(func(t *testing.T, topic, partition, offset, extra string) {
		r := record.Record{Topic: "dlq", Partition: 1, Offset: 7, Value: []byte("v"), Headers: []record.Header{
			{Key: extra, Value: []byte("e")},
			{Key: "__connect.errors.topic", Value: []byte(topic)},
			{Key: "__connect.errors.partition", Value: []byte(partition)},
			{Key: "__connect.errors.offset", Value: []byte(offset)},
			{Key: "__connect.errors.connector.name", Value: []byte("c")},
		}}
		l, connector, err := letterFrom(r)
		if err != nil {
			return
		}
		off, perr := strconv.ParseInt(offset, 10, 64)
		if perr != nil || connector != "c" || l.Topic != topic || l.rec.Topic != topic || off != l.Offset || l.rec.Offset != l.Offset || l.From != "dlq/1@7" {
			t.Fatalf("letter %+v (connector %q) from topic %q partition %q offset %q", l, connector, topic, partition, offset)
		}
		for _, h := range l.rec.Headers {
			if strings.HasPrefix(h.Key, "__connect.errors.") {
				t.Fatalf("context header %q kept", h.Key)
			}
		}
		if keep := !strings.HasPrefix(extra, "__connect.errors."); keep != (len(l.rec.Headers) == 1) {
			t.Fatalf("header %q: kept %v", extra, l.rec.Headers)
		}
	})
}

// TestDLQReplayDynamoDB replays the DynamoDB sink's dead letters twice: the item of each record
// is written once, next to the items the sink wrote.
func TestDLQReplayDynamoDB(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	topic := uniqueName("orders")
	if err := st.kafka.CreateTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	dc, err := dynamolocal.Client(ctx, dynamolocal.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dc.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(topic), BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("partition"), AttributeType: ddbtypes.ScalarAttributeTypeN},
			{AttributeName: aws.String("offset"), AttributeType: ddbtypes.ScalarAttributeTypeN}},
		KeySchema: []ddbtypes.KeySchemaElement{{AttributeName: aws.String("partition"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("offset"), KeyType: ddbtypes.KeyTypeRange}},
	}); err != nil {
		t.Fatal(err)
	}
	var recs []record.Record
	for _, v := range []string{`{"n":0}`, `{"n":"abc"}`, `{"n":2}`} {
		recs = append(recs, record.Record{Topic: topic, Value: []byte(v), TimestampType: record.CreateTime, Timestamp: time.Now().UnixMilli()})
	}
	if err := kafkalocal.Produce(ctx, st.kafka.Addrs(), recs); err != nil {
		t.Fatal(err)
	}
	fixed := []string{"CONNECT_CONNECTOR_NAME=ddb-dlq", "CONNECT_OFFSETS_TABLE=" + st.table, "CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE=false",
		"CONNECT_ERRORS_TOLERANCE=all", "CONNECT_ERRORS_DEADLETTERQUEUE_S3_BUCKET_NAME=" + st.bucket}
	environ := append(append([]string(nil), fixed...),
		"CONNECT_TRANSFORMS=cast", "CONNECT_TRANSFORMS_CAST_TYPE=org.apache.kafka.connect.transforms.Cast$Value", "CONNECT_TRANSFORMS_CAST_SPEC=n:int32")
	code, stdout, stderr := runEnv(t, environ, "run", "dynamodb-sink", "--bootstrap-servers", st.kafka.Bootstrap(), "--topic", topic, "--once", "--batching-window", "50ms", "--log", t.TempDir()+"/log")
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	items := func() map[string]string {
		out := map[string]string{}
		page, err := dc.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(topic), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			n := "?"
			switch v := it["n"].(type) {
			case *ddbtypes.AttributeValueMemberN:
				n = v.Value
			case *ddbtypes.AttributeValueMemberS:
				n = v.Value
			}
			out[it["offset"].(*ddbtypes.AttributeValueMemberN).Value] = n
		}
		return out
	}
	if got := items(); !equalMaps(got, map[string]string{"0": "0", "2": "2"}) {
		t.Fatalf("the sink wrote %v", got)
	}
	args := []string{"dlq", "replay", "--connector", "dynamodb-sink", "--s3", "s3://" + st.bucket + "/dead-letters/", "--execute", "--output", "json"}
	for i := range 2 {
		code, stdout, stderr = runEnv(t, fixed, args...)
		rep := replayJSON(t, stdout, stderr)
		if code != exitOK || rep.Read != 1 || rep.Replayed != 1-i || rep.Already != i {
			t.Fatalf("replay %d: exit %d %+v\n%s", i+1, code, rep, stderr)
		}
		if got := items(); !equalMaps(got, map[string]string{"0": "0", "1": "abc", "2": "2"}) {
			t.Fatalf("after replay %d the table holds %v", i+1, got)
		}
	}
}
