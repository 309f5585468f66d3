package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

func TestEvents(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		args   []string
		source string
		arn    bool
		check  func(t *testing.T, recs []record.Record)
	}{
		{name: "msk defaults", args: []string{"kafka-msk"}, source: kafkaevent.SourceMSK, arn: true, check: func(t *testing.T, recs []record.Record) {
			if len(recs) != 3 {
				t.Fatalf("%d records, want 3", len(recs))
			}
			for i, r := range recs {
				if r.Topic != "orders" || r.Partition != 0 || r.Offset != int64(i) || !json.Valid(r.Value) || r.TimestampType != record.CreateTime {
					t.Errorf("record %d: %+v", i, r)
				}
			}
		}},
		{name: "self-managed from flags, kind after them", args: []string{"--topic", "clicks.v1", "--partition", "7", "--offset", "41", "--records", "2",
			"--key", "k", "--value", "plain text", "--header", "trace=abc", "--header", "empty=", "--timestamp", "2024-06-10T12:00:00Z", "kafka-self-managed"},
			source: kafkaevent.SourceSelfManaged, check: func(t *testing.T, recs []record.Record) {
				if len(recs) != 2 {
					t.Fatalf("%d records, want 2", len(recs))
				}
				for i, r := range recs {
					want := record.Record{Topic: "clicks.v1", Partition: 7, Offset: 41 + int64(i), Key: []byte("k"), Value: []byte("plain text"),
						Timestamp: 1718020800000 + int64(i), TimestampType: record.CreateTime,
						Headers: []record.Header{{Key: "trace", Value: []byte("abc")}, {Key: "empty", Value: []byte{}}}}
					if r.Topic != want.Topic || r.Partition != want.Partition || r.Offset != want.Offset || !bytes.Equal(r.Key, want.Key) ||
						!bytes.Equal(r.Value, want.Value) || r.Timestamp != want.Timestamp || len(r.Headers) != 2 ||
						r.Headers[0].Key != "trace" || string(r.Headers[0].Value) != "abc" || r.Headers[1].Key != "empty" || len(r.Headers[1].Value) != 0 {
						t.Errorf("record %d: %+v, want %+v", i, r, want)
					}
				}
			}},
		{name: "tombstones", args: []string{"kafka-msk", "--tombstone", "--records", "1", "--cluster-arn", "arn:aws:kafka:eu-west-1:111122223333:cluster/c/1"},
			source: kafkaevent.SourceMSK, arn: true, check: func(t *testing.T, recs []record.Record) {
				if len(recs) != 1 || recs[0].Value != nil || recs[0].Key == nil {
					t.Errorf("records %+v, want one tombstone with a key", recs)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runEnv(t, nil, append([]string{"events"}, tc.args...)...)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			ev, err := kafkaevent.Decode([]byte(stdout))
			if err != nil {
				t.Fatalf("%v\n%s", err, stdout)
			}
			if ev.Source != tc.source || (ev.SourceARN != "") != tc.arn || ev.BootstrapServers == "" {
				t.Errorf("event source %q, ARN %q, brokers %q", ev.Source, ev.SourceARN, ev.BootstrapServers)
			}
			tc.check(t, ev.Records)
		})
	}
}

// TestEventsShape checks that the generated events have the fields of the samples in events/,
// which follow AWS's documentation.
func TestEventsShape(t *testing.T) {
	t.Parallel()
	for kind, sample := range map[string]string{eventMSK: "msk.json", eventSelfManaged: "self-managed-kafka.json"} {
		code, stdout, _ := runEnv(t, nil, "events", kind, "--compact")
		if code != exitOK || strings.Count(strings.TrimSpace(stdout), "\n") != 0 {
			t.Fatalf("%s --compact: exit %d, output on several lines:\n%s", kind, code, stdout)
		}
		b, err := os.ReadFile(filepath.Join("..", "..", "events", sample))
		if err != nil {
			t.Fatal(err)
		}
		want, got := shapeOf(t, b), shapeOf(t, []byte(stdout))
		if !slices.Equal(got, want) {
			t.Errorf("%s: fields %v, the sample %s has %v", kind, got, sample, want)
		}
	}
}

// shapeOf lists the top-level fields of an event and the fields of its first record.
func shapeOf(t *testing.T, b []byte) []string {
	t.Helper()
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	var fields []string
	for k := range ev {
		fields = append(fields, k)
	}
	var recs map[string][]map[string]json.RawMessage
	if err := json.Unmarshal(ev["records"], &recs); err != nil {
		t.Fatal(err)
	}
	// Every field any record has (a sample's records may leave out an absent key), whatever the
	// order in which the map of partitions is walked.
	seen := map[string]bool{}
	for _, rs := range recs {
		for _, r := range rs {
			for k := range r {
				if !seen[k] {
					seen[k] = true
					fields = append(fields, "record."+k)
				}
			}
		}
	}
	slices.Sort(fields)
	return fields
}

// TestEventsThroughHandler invokes the real S3 sink handler with a generated event, as
// sam local invoke -e would.
func TestEventsThroughHandler(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"events-test"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := s3sink.Spec().Parse(map[string]string{"connector.name": "events", "s3.bucket.name": "events-test", "s3.region": "us-east-1", "value.converter.schemas.enable": "false"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s3sink.ConfigFrom(c)
	if err != nil {
		t.Fatal(err)
	}
	client := localS3Client(srv.URL())
	s, err := s3sink.New(cfg, client)
	if err != nil {
		t.Fatal(err)
	}
	store, err := offsets.NewFileStore("")
	if err != nil {
		t.Fatal(err)
	}
	h, err := sink.NewFromConfig(ctx, c, s, store, sink.WithLogger(sink.NewLogger(io.Discard)), sink.WithMetricsTo(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runEnv(t, nil, "events", "kafka-self-managed", "--topic", "orders", "--partition", "2", "--offset", "10", "--records", "4")
	if code != exitOK {
		t.Fatal(stderr)
	}
	if _, err := h.Invoke(ctx, []byte(stdout)); err != nil {
		t.Fatal(err)
	}
	obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("events-test"), Key: aws.String("topics/orders/partition=2/orders+2+0000000010.json")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if lines := strings.Split(strings.TrimSpace(string(body)), "\n"); len(lines) != 4 || !strings.Contains(lines[0], `"order_id":"o-01010"`) {
		t.Errorf("object holds %q", body)
	}
	st, err := store.Get(ctx, offsets.Key{Connector: "events", Topic: "orders", Partition: 2})
	if err != nil || st.Next != 14 {
		t.Errorf("committed %d (%v), want 14", st.Next, err)
	}
}

func TestEventsUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		says []string
	}{
		{nil, []string{"no event kind given"}},
		{[]string{"kafka-kinesis"}, []string{`event kind "kafka-kinesis"`}},
		{[]string{"kafka-msk", "--records", "0"}, []string{"--records 0"}},
		{[]string{"kafka-self-managed", "--cluster-arn", "arn:x"}, []string{"no ARN"}},
		{[]string{"kafka-msk", "--value", "x", "--tombstone", "--timestamp", "yesterday"}, []string{"--value and --tombstone", `--timestamp "yesterday"`}},
		{[]string{"kafka-msk", "--header", "novalue"}, []string{"want name=value"}},
		{[]string{"kafka-msk", "extra"}, []string{`unexpected arguments ["extra"]`}},
	} {
		code, stdout, stderr := runEnv(t, nil, append([]string{"events"}, tc.args...)...)
		if code != exitUsage || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q", tc.args, code, stdout)
		}
		for _, s := range tc.says {
			if !strings.Contains(stderr, s) {
				t.Errorf("%v: stderr does not say %q:\n%s", tc.args, s, stderr)
			}
		}
	}
}
