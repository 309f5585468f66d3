package dlq_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/producer"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
)

// TestKafkaKeepsTimestamps sends letters to a dead-letter topic and reads them back: as with
// Connect's DeadLetterQueueReporter, each letter carries its original record's timestamp
// (CreateTime or LogAppendTime alike, produced as CreateTime), and a record without one gets the
// time it was dead-lettered.
func TestKafkaKeepsTimestamps(t *testing.T) {
	cl := kafkalocal.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const topic = "dead-letters"
	if err := cl.CreateTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	cfg := producer.DefaultConfig()
	cfg.BootstrapServers = cl.Addrs()
	p, err := producer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	d, err := dlq.NewKafka(dlq.KafkaConfig{Topic: topic, Producer: p, ContextHeaders: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ts   int64
		typ  record.TimestampType
		keep bool // want the letter stamped ts; else the time of Send
	}{
		{name: "create time", ts: 1700000000123, typ: record.CreateTime, keep: true},
		{name: "log append time", ts: 1600000000456, typ: record.LogAppendTime, keep: true},
		{name: "the epoch", ts: 0, typ: record.CreateTime, keep: true},
		{name: "no timestamp", ts: -1, typ: record.NoTimestampType},
		{name: "a type but no timestamp", ts: -1, typ: record.CreateTime},
	}
	var letters []dlq.Letter
	for i, tc := range tests {
		l := letter(int64(i))
		l.Record.Timestamp, l.Record.TimestampType = tc.ts, tc.typ
		letters = append(letters, l)
	}
	before := time.Now().UnixMilli()
	if err := d.Send(ctx, letters); err != nil {
		t.Fatal(err)
	}
	after := time.Now().UnixMilli()
	got, err := kafkalocal.ReadAll(ctx, cl.Addrs(), topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(tests) {
		t.Fatalf("%d letters read back, want %d", len(got), len(tests))
	}
	for i, tc := range tests {
		r := got[i]
		if string(r.Value) != string(letters[i].Record.Value) || header(r, dlq.HeaderOffset) != strconv.Itoa(i) {
			t.Fatalf("%s: letter %d is %q with offset header %q", tc.name, i, r.Value, header(r, dlq.HeaderOffset))
		}
		if r.TimestampType != record.CreateTime {
			t.Errorf("%s: timestamp type %v, want CreateTime", tc.name, r.TimestampType)
		}
		if tc.keep && r.Timestamp != tc.ts {
			t.Errorf("%s: timestamp %d, want the original's, %d", tc.name, r.Timestamp, tc.ts)
		}
		if !tc.keep && (r.Timestamp < before || r.Timestamp > after) {
			t.Errorf("%s: timestamp %d, want the time of Send, in [%d, %d]", tc.name, r.Timestamp, before, after)
		}
	}
}

// header returns the value of r's header key ("" when it has none).
func header(r record.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
