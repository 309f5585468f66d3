package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/converters/confluentwire"
	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
	"github.com/lambda-connect/lambda-connect/infra/registrylocal"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

// TestAvroBadInput runs Confluent Avro records through the S3 sink with three kinds of bad
// input: a registry outage when the first record is converted (errors.retry.timeout is 0, so it
// is not retried within the invocation), a corrupt frame (offset 2) and an unknown schema id
// (offset 3). With errors.tolerance=all the three reach the dead-letter topic with Connect's
// __connect.errors.* headers and a reason naming the problem, the good records are in S3 exactly
// once (every batch delivered twice) and the offsets move past everything. With
// errors.tolerance=none the invocation fails at the first bad record and nothing past it is
// committed; an outage fails the invocation as Retriable, and once it ends the redelivered batch
// goes through.
func TestAvroBadInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reg := registrylocal.ForTest(t)
	cl := kafkalocal.ForTest(t)
	topic := newTopic(ctx, t, cl, "users", 1)
	good, _ := avroUsers(t, reg, topic, 6) // v2 then v1 records
	var in []record.Record
	for i, r := range good {
		if i == 2 {
			bad := r
			bad.Key, bad.Value = []byte("corrupt"), append(confluentwire.Encode(nil, 1), 0x02, 0xff) // id 1, then a truncated body
			in = append(in, bad)
			bad.Key, bad.Value = []byte("unknown-id"), append(confluentwire.Encode(nil, 9999), good[0].Value[5:]...)
			in = append(in, bad)
		}
		in = append(in, r)
	}
	recs := produceAndRead(ctx, t, cl, topic, in)
	client, err := s3local.Client(ctx, s3local.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	build := func(t *testing.T, props map[string]string) *s3SinkRun {
		all := map[string]string{"connector.name": "avro-bad", "flush.size": "100",
			"value.converter": "AvroConverter", "value.converter.schema.registry.url": reg.URL()}
		maps.Copy(all, props)
		return newS3Sink(ctx, t, client, newBucket(ctx, t, client, "avrobad"), all)
	}
	events := func(t *testing.T, recs []record.Record) [][]byte {
		return kafkaEvents(t, kafkaevent.SourceMSK, mskARN, cl.Bootstrap(), recs, 3)
	}

	t.Run("errors.tolerance=all", func(t *testing.T) {
		dlqTopic := name("users-dlq")
		if err := cl.CreateTopic(ctx, dlqTopic, 1); err != nil {
			t.Fatal(err)
		}
		e := build(t, map[string]string{"errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlqTopic,
			"errors.deadletterqueue.context.headers.enable": "true"})
		reg.FailNext(1) // the first schema lookup fails: record 0 meets the outage
		for range 2 {
			e.invoke(ctx, t, events(t, recs))
		}
		got := e.lines(ctx, t)
		var want []string
		for _, r := range recs[1:] {
			if r.Offset != 2 && r.Offset != 3 {
				want = append(want, fmt.Sprintf(`"name":"user-%s"`, strings.TrimPrefix(string(r.Key), "u")))
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%d records in S3, want %d: %q", len(got), len(want), got)
		}
		for i := range want {
			if !strings.Contains(got[i], want[i]) {
				t.Errorf("S3 record %d = %s, want %s", i, got[i], want[i])
			}
		}
		letters, err := kafkalocal.ReadAll(ctx, cl.Addrs(), dlqTopic)
		if err != nil {
			t.Fatal(err)
		}
		reasons := map[string]string{"0": "HTTP 500", "2": "decoding a record of schema id 1", "3": "Schema 9999 not found"}
		if len(letters) != len(reasons) {
			t.Fatalf("%d dead letters, want %d", len(letters), len(reasons))
		}
		for _, l := range letters {
			h := func(k string) string { v, _ := l.Header(k); return string(v) }
			off := h(dlq.HeaderOffset)
			o, _ := strconv.Atoi(off)
			if h(dlq.HeaderTopic) != topic || h(dlq.HeaderPartition) != "0" || h(dlq.HeaderStage) != string(dlq.StageValueConverter) ||
				string(l.Value) != string(recs[o].Value) {
				t.Errorf("dead letter %s: headers or value wrong", off)
			}
			if msg := h(dlq.HeaderExMessage); !strings.Contains(msg, reasons[off]) {
				t.Errorf("dead letter %s: reason %q does not name the problem (%q)", off, msg, reasons[off])
			} else {
				t.Logf("dead letter %s: %s", off, msg)
			}
		}
		if n := e.committed(ctx, t, topic, 0); n != int64(len(recs)) {
			t.Errorf("committed %d, want %d", n, len(recs))
		}
	})

	t.Run("errors.tolerance=none", func(t *testing.T) {
		e := build(t, nil)
		var failed error
		for _, ev := range events(t, recs) {
			if _, failed = e.h.Invoke(ctx, ev); failed != nil {
				break
			}
		}
		if !errclass.Is(failed, errclass.BadRecord) || !strings.Contains(failed.Error(), "record "+topic+"/0/2:") {
			t.Fatalf("invocation error %v, want a BadRecord naming offset 2", failed)
		}
		t.Logf("tolerance=none: %v", failed)
		if n := e.committed(ctx, t, topic, 0); n > 2 {
			t.Errorf("committed %d, past the bad record at 2", n)
		}
		if got := e.lines(ctx, t); len(got) > 2 {
			t.Errorf("%d records in S3, want at most the 2 before the bad one", len(got))
		}
	})

	t.Run("outage ends before redelivery", func(t *testing.T) {
		e := build(t, map[string]string{"connector.name": "avro-bad"})
		goodOnly := slices.Clone(recs[4:])
		reg.FailNext(1)
		evs := events(t, goodOnly)
		_, err := e.h.Invoke(ctx, slices.Clone(evs[0])) // Invoke decodes the payload in place
		if !errclass.Is(err, errclass.Retriable) {
			t.Fatalf("invocation during the outage: %v, want Retriable", err)
		}
		if n := e.committed(ctx, t, topic, 0); n > 4 {
			t.Errorf("committed %d during the outage", n)
		}
		e.invoke(ctx, t, evs) // Lambda retries the batch; the registry is back
		if got := e.lines(ctx, t); len(got) != len(goodOnly) {
			t.Errorf("%d records in S3, want %d", len(got), len(goodOnly))
		}
		if n := e.committed(ctx, t, topic, 0); n != int64(len(recs)) {
			t.Errorf("committed %d, want %d", n, len(recs))
		}
	})
}
