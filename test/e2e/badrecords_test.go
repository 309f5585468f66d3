package e2e

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/connectors/dynamodbsink"
	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
)

// TestBadRecordsEveryStage puts the three kinds of bad record in one topic: a value that is not
// JSON (the converter), a value a transform cannot cast, and an item over DynamoDB's 400 KB (a
// rejection by the target). With errors.tolerance=all they reach the dead-letter topic with
// Connect's context headers, the good records are in the table exactly once, and the offsets
// move past everything, also when the batches are delivered twice. With errors.tolerance=none
// the invocation fails naming the first bad record and nothing of its partition is committed.
func TestBadRecordsEveryStage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl := kafkalocal.ForTest(t)
	topic := name("payments")
	if err := cl.CreateTopic(ctx, topic, 2); err != nil {
		t.Fatal(err)
	}
	stage := map[int]dlq.Stage{7: dlq.StageValueConverter, 12: dlq.StageTransformation, 21: dlq.StageTask}
	var in []record.Record
	for i := range 30 {
		v := fmt.Sprintf(`{"seq":%d,"amount":"%d"}`, i, 100+i)
		switch stage[i] {
		case dlq.StageValueConverter:
			v = `{"seq":7,"amount":`
		case dlq.StageTransformation:
			v = `{"seq":12,"amount":"twelve"}`
		case dlq.StageTask:
			v = fmt.Sprintf(`{"seq":21,"amount":"121","blob":"%s"}`, strings.Repeat("x", 410_000))
		}
		in = append(in, record.Record{Topic: topic, Partition: int32(i % 2), Key: []byte("k" + strconv.Itoa(i)), Value: []byte(v),
			Timestamp: 1_700_000_000_000, TimestampType: record.CreateTime})
	}
	if err := kafkalocal.Produce(ctx, cl.Addrs(), in); err != nil {
		t.Fatal(err)
	}
	recs, err := kafkalocal.ReadAll(ctx, cl.Addrs(), topic)
	if err != nil {
		t.Fatal(err)
	}
	ddb, err := dynamolocal.Client(ctx, dynamolocal.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}

	build := func(t *testing.T, tolerance, dlqTopic string) (*sink.Handler, *offsets.FileStore, string) {
		table := name("payments")
		if _, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(table), BillingMode: types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("partition"), AttributeType: types.ScalarAttributeTypeN},
				{AttributeName: aws.String("offset"), AttributeType: types.ScalarAttributeTypeN}},
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("partition"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("offset"), KeyType: types.KeyTypeRange}}}); err != nil {
			t.Fatal(err)
		}
		props := map[string]string{"connector.name": "bad-" + tolerance, "table.name.format": table,
			"aws.dynamodb.region": dynamolocal.Region, "value.converter.schemas.enable": "false", "errors.tolerance": tolerance,
			"transforms": "cast", "transforms.cast.type": "Cast$Value", "transforms.cast.spec": "amount:int64"}
		if dlqTopic != "" {
			props["errors.deadletterqueue.topic.name"] = dlqTopic
			props["errors.deadletterqueue.context.headers.enable"] = "true"
		}
		c, err := dynamodbsink.Spec().Parse(props)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := dynamodbsink.ConfigFrom(c)
		if err != nil {
			t.Fatal(err)
		}
		s, err := dynamodbsink.New(cfg, ddb)
		if err != nil {
			t.Fatal(err)
		}
		store, _ := offsets.NewFileStore("")
		h, err := sink.NewFromConfig(ctx, c, s, store, sink.WithLogger(sink.NewLogger(io.Discard)), sink.WithMetricsTo(io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		return h, store, table
	}
	events := func(t *testing.T) [][]byte {
		b, err := kafkaevent.Batches(kafkaevent.SourceMSK, "arn:aws:kafka:eu-west-1:123456789012:cluster/c/1", cl.Bootstrap(), recs,
			kafkaevent.Limits{MaxRecords: 8})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	t.Run("errors.tolerance=all", func(t *testing.T) {
		dlqTopic := name("payments-dlq")
		if err := cl.CreateTopic(ctx, dlqTopic, 1); err != nil {
			t.Fatal(err)
		}
		h, store, table := build(t, "all", dlqTopic)
		for range 2 { // every batch delivered twice
			for _, ev := range events(t) {
				if _, err := h.Invoke(ctx, ev); err != nil {
					t.Fatal(err)
				}
			}
		}
		letters, err := kafkalocal.ReadAll(ctx, cl.Addrs(), dlqTopic)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int]dlq.Stage{}
		for _, l := range letters {
			h := func(k string) string { v, _ := l.Header(k); return string(v) }
			var seq int
			for _, r := range recs {
				if strconv.FormatInt(r.Offset, 10) == h(dlq.HeaderOffset) && strconv.Itoa(int(r.Partition)) == h(dlq.HeaderPartition) {
					seq, _ = strconv.Atoi(string(r.Key[1:]))
					if string(l.Value) != string(r.Value) {
						t.Errorf("dead letter %s: not the original bytes", r.Coordinates())
					}
				}
			}
			if h(dlq.HeaderTopic) != topic || h(dlq.HeaderConnector) != "bad-all" || h(dlq.HeaderExMessage) == "" {
				t.Errorf("context headers: %v", l.Headers)
			}
			got[seq] = dlq.Stage(h(dlq.HeaderStage))
		}
		for seq, st := range stage {
			if got[seq] != st {
				t.Errorf("record %d: dead-lettered at stage %q, want %q", seq, got[seq], st)
			}
		}
		if len(got) != len(stage) || len(letters) != len(stage) {
			t.Errorf("%d dead letters for records %v, want one each for %v (the redelivery skips committed records)", len(letters), got, stage)
		}
		out, err := ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if want := int32(len(recs) - len(stage)); out.Count != want {
			t.Errorf("%d items, want %d (every good record once)", out.Count, want)
		}
		for p := range int32(2) {
			st, _ := store.Get(ctx, offsets.Key{Connector: "bad-all", Topic: topic, Partition: p})
			if st.Next != 15 {
				t.Errorf("partition %d committed to %d, want 15", p, st.Next)
			}
		}
	})

	t.Run("errors.tolerance=none", func(t *testing.T) {
		h, store, _ := build(t, "none", "")
		var failed error
		for _, ev := range events(t) {
			if _, err := h.Invoke(ctx, ev); err != nil {
				failed = err
				break
			}
		}
		if failed == nil || !errclass.Is(failed, errclass.BadRecord) {
			t.Fatalf("want a bad-record error, got %v", failed)
		}
		// The error names one of the bad records; its partition is committed to no further than it.
		named := false
		for _, r := range recs {
			seq, _ := strconv.Atoi(string(r.Key[1:]))
			if _, bad := stage[seq]; !bad || !strings.Contains(failed.Error(), r.Coordinates()+":") {
				continue
			}
			named = true
			st, _ := store.Get(ctx, offsets.Key{Connector: "bad-none", Topic: topic, Partition: r.Partition})
			if st.Next > r.Offset {
				t.Errorf("partition %d committed to %d, past its bad record at offset %d", r.Partition, st.Next, r.Offset)
			}
		}
		if !named {
			t.Errorf("the error names no bad record: %v", failed)
		}
	})
}
