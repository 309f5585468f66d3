package dynamodbsink_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambda-connect/lambda-connect/connectors/dynamodbsink"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Settings as Confluent's DynamoDB sink takes them, parsed with the connector's spec: a table per
// topic, keyed by a field of the record key, with tombstones deleting items.
func Example() {
	c, err := dynamodbsink.Spec().Parse(map[string]string{
		"connector.name":       "orders-view",
		"connector.class":      "io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector", // accepted, ignored
		"table.name.format":    "view-${topic}",
		"aws.dynamodb.pk.hash": "key.orderId:order_id",
		"aws.dynamodb.pk.sort": "",
		"delete.enabled":       "true",
		"key.converter":        "JsonConverter",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := dynamodbsink.ConfigFrom(c)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, _ := dynamodbsink.New(cfg, nopClient{})
	fmt.Println(cfg.TableNameFormat, cfg.PKHash, s.Strategy(), c.Ignored())
	// Output:
	// view-${topic} key.orderId:order_id conditional [connector.class]
}

// Plan collapses the records of each item to the last one and names each write after the table,
// the partition and the offsets it covers.
func ExampleSink_Plan() {
	c, _ := dynamodbsink.Spec().Parse(map[string]string{"connector.name": "c", "aws.dynamodb.pk.hash": "value.sku", "aws.dynamodb.pk.sort": "none"})
	cfg, _ := dynamodbsink.ConfigFrom(c)
	s, _ := dynamodbsink.New(cfg, nopClient{})
	var recs []record.Record
	for off, v := range []string{`{"sku":"a","qty":1}`, `{"sku":"b","qty":5}`, `{"sku":"a","qty":2}`, `{"qty":3}`} {
		recs = append(recs, record.Record{Topic: "stock", Partition: 0, Offset: int64(100 + off), Value: []byte(v), ValueData: record.RawJSON(v)})
	}
	writes, err := s.Plan(record.TopicPartition{Topic: "stock", Partition: 0}, recs)
	for _, w := range writes {
		fmt.Println(w.ID(), w.Records(), "records in", dynamodbsink.Items(w), "items")
	}
	fmt.Println(err)
	// Output:
	// stock/stock-0/101-102 3 records in 2 items
	// record stock/0/103: key attribute "sku" (value.sku): the record's value has no such field
}

// nopClient is a DynamoDB client for examples that never write.
type nopClient struct{}

var errNop = errors.New("no DynamoDB in examples")

func (nopClient) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return nil, errNop
}
func (nopClient) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return nil, errNop
}
func (nopClient) BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return nil, errNop
}
func (nopClient) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return nil, errNop
}
