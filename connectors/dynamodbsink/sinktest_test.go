package dynamodbsink

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/core/sink/sinktest"
)

// TestExactlyOnce runs the runtime's acceptance suite with the default primary key (hash
// partition, sort offset: one item per record), records read out of a broker, offsets in
// DynamoDB Local, and a reader that scans the table. Every strategy is run: auto (BatchWriteItem
// here, as the key holds the offset), conditional and transact.
func TestExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("the acceptance suite takes a few seconds per strategy")
	}
	for _, strategy := range []string{StrategyAuto, StrategyConditional, StrategyTransact} {
		t.Run(strategy, func(t *testing.T) {
			t.Parallel()
			topic := "orders.eu-west_1-" + strategy
			recs := viaBroker(t, topic, 3, sinktest.Generate(topic, 3, 40))
			sinktest.Run(t, exactlyOnceHarness(t, recs, strategy))
		})
	}
}

func exactlyOnceHarness(t *testing.T, recs []record.Record, strategy string) sinktest.Harness {
	client := localClient(t)
	return sinktest.Harness{
		Records: recs,
		NewStore: func(t *testing.T) sink.Store {
			table := tableID("offsets")
			if err := offsets.CreateTable(context.Background(), client, table); err != nil {
				t.Fatal(err)
			}
			st, err := offsets.NewDynamoStore(offsets.DynamoConfig{Client: client, Table: table})
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		NewSink: func(t *testing.T) (sink.Sink, func(context.Context) ([]sinktest.Delivered, error)) {
			table := tableID("items")
			createTable(t, client, table, keyDef{"partition", "N"}, keyDef{"offset", "N"})
			cfg := testConfig(t, map[string]string{"table.name.format": table, "dynamodb.write.strategy": strategy})
			cfg.ItemsPerWrite = 4
			s, err := New(cfg, client)
			if err != nil {
				t.Fatal(err)
			}
			read := func(ctx context.Context) ([]sinktest.Delivered, error) {
				var out []sinktest.Delivered
				for _, it := range scanTable(t, client, table) {
					id := fmt.Sprintf("%s/%s/%s", avText(it["_kafka_topic"]), avText(it["partition"]), avText(it["offset"]))
					if avText(it["partition"]) != avText(it["_kafka_partition"]) || avText(it["offset"]) != avText(it["_kafka_offset"]) {
						t.Errorf("item %s carries the source %s/%s", id, avText(it["_kafka_partition"]), avText(it["_kafka_offset"]))
					}
					v := map[string]any{}
					for k, av := range it {
						if k == "partition" || k == "offset" || strings.HasPrefix(k, "_kafka_") {
							continue
						}
						v[k] = avPlain(av)
					}
					b, err := json.Marshal(v)
					if err != nil {
						return nil, err
					}
					out = append(out, sinktest.Delivered{ID: id, Value: b})
				}
				return out, nil
			}
			return s, read
		},
		CheckWrite: func(t *testing.T, id string, in record.Record) {
			if want := fmt.Sprintf("%s/%d/%d", in.Topic, in.Partition, in.Offset); id != want {
				t.Errorf("record %s is in item %s", in.Coordinates(), id)
			}
		},
	}
}

func avText(av types.AttributeValue) string {
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		return x.Value
	case *types.AttributeValueMemberN:
		return x.Value
	}
	return fmt.Sprintf("%T", av)
}

// avPlain turns an attribute value back into JSON-able data (numbers as json.Number).
func avPlain(av types.AttributeValue) any {
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		return x.Value
	case *types.AttributeValueMemberN:
		return json.Number(x.Value)
	case *types.AttributeValueMemberBOOL:
		return x.Value
	case *types.AttributeValueMemberNULL:
		return nil
	case *types.AttributeValueMemberB:
		return x.Value
	case *types.AttributeValueMemberL:
		l := make([]any, len(x.Value))
		for i, e := range x.Value {
			l[i] = avPlain(e)
		}
		return l
	case *types.AttributeValueMemberM:
		m := map[string]any{}
		for k, e := range x.Value {
			m[k] = avPlain(e)
		}
		return m
	}
	return nil
}
