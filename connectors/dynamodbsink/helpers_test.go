package dynamodbsink

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

// testConfig parses props (with a connector name) into a Config.
func testConfig(t testing.TB, props map[string]string) Config {
	t.Helper()
	all := map[string]string{"connector.name": "test"}
	for k, v := range props {
		all[k] = v
	}
	c, err := Spec().Parse(all)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ConfigFrom(c)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// noDynamo fails every call: Plan must do no I/O.
type noDynamo struct{}

func (noDynamo) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	panic("PutItem called")
}
func (noDynamo) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	panic("DeleteItem called")
}
func (noDynamo) BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	panic("BatchWriteItem called")
}
func (noDynamo) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	panic("TransactWriteItems called")
}

func newPlanSink(t testing.TB, props map[string]string) *Sink {
	t.Helper()
	s, err := New(testConfig(t, props), noDynamo{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jsonRec returns a record with a string key (nil for none) and a schemaless JSON value (nil for
// a tombstone), as StringConverter and JsonConverter without schemas give them.
func jsonRec(topic string, p int32, off int64, key, value string) record.Record {
	r := record.Record{Topic: topic, Partition: p, Offset: off, Timestamp: 1_700_000_000_000 + off, TimestampType: record.CreateTime}
	if key != "" {
		r.Key, r.KeyData, r.KeySchema = []byte(key), key, record.OptionalString
	}
	if value != "" {
		r.Value, r.ValueData = []byte(value), record.RawJSON(value)
	}
	return r
}

// DynamoDB Local ------------------------------------------------------------------------------

var uniq atomic.Int64

func tableID(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, uniq.Add(1))
}

func localClient(t testing.TB) *dynamodb.Client {
	t.Helper()
	c, err := dynamolocal.Client(context.Background(), dynamolocal.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// keyDef is one key attribute of a table: its name and type (S, N or B).
type keyDef struct{ name, typ string }

// createTable creates a table with a hash key and, when sortKey.name is set, a sort key.
func createTable(t testing.TB, c *dynamodb.Client, name string, hash, sortKey keyDef) {
	t.Helper()
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(hash.name), AttributeType: types.ScalarAttributeType(hash.typ)}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(hash.name), KeyType: types.KeyTypeHash}},
	}
	if sortKey.name != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(sortKey.name), AttributeType: types.ScalarAttributeType(sortKey.typ)})
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(sortKey.name), KeyType: types.KeyTypeRange})
	}
	if _, err := c.CreateTable(context.Background(), in); err != nil {
		t.Fatalf("creating table %s: %v", name, err)
	}
}

// scanTable returns every item of a table, as DynamoDB JSON lines sorted by their text.
func scanTable(t testing.TB, c *dynamodb.Client, table string) []map[string]types.AttributeValue {
	t.Helper()
	var out []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("scanning %s: %v", table, err)
		}
		out = append(out, page.Items...)
	}
	return out
}

// itemsText renders items as sorted lines of DynamoDB JSON, for comparisons and golden files.
func itemsText(items []map[string]types.AttributeValue) string {
	lines := make([]string, len(items))
	for i, it := range items {
		lines[i] = avJSON(&types.AttributeValueMemberM{Value: it})
	}
	sort.Strings(lines)
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// avJSON writes an attribute value as DynamoDB JSON with sorted map keys.
func avJSON(av types.AttributeValue) string {
	var v any
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		v = map[string]any{"S": x.Value}
	case *types.AttributeValueMemberN:
		v = map[string]any{"N": x.Value}
	case *types.AttributeValueMemberB:
		v = map[string]any{"B": x.Value}
	case *types.AttributeValueMemberBOOL:
		v = map[string]any{"BOOL": x.Value}
	case *types.AttributeValueMemberNULL:
		v = map[string]any{"NULL": x.Value}
	case *types.AttributeValueMemberL:
		l := make([]json.RawMessage, len(x.Value))
		for i, e := range x.Value {
			l[i] = json.RawMessage(avJSON(e))
		}
		v = map[string]any{"L": l}
	case *types.AttributeValueMemberM:
		m := make(map[string]json.RawMessage, len(x.Value))
		for k, e := range x.Value {
			m[k] = json.RawMessage(avJSON(e))
		}
		v = m
		if _, top := av.(*types.AttributeValueMemberM); top {
			v = map[string]any{"M": m}
		}
	default:
		v = fmt.Sprintf("%T", av)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// canonItems renders items as sorted DynamoDB JSON lines with numbers in a canonical form, so
// that items compare equal whatever notation their numbers were written in.
func canonItems(items []map[string]types.AttributeValue) string {
	out := make([]map[string]types.AttributeValue, len(items))
	for i, it := range items {
		out[i] = canonAV(&types.AttributeValueMemberM{Value: it}).(*types.AttributeValueMemberM).Value
	}
	return itemsText(out)
}

func canonAV(av types.AttributeValue) types.AttributeValue {
	switch x := av.(type) {
	case *types.AttributeValueMemberN:
		c, err := canonicalNumber(x.Value)
		if err != nil {
			c = "invalid:" + x.Value
		}
		return &types.AttributeValueMemberN{Value: c}
	case *types.AttributeValueMemberL:
		l := make([]types.AttributeValue, len(x.Value))
		for i, e := range x.Value {
			l[i] = canonAV(e)
		}
		return &types.AttributeValueMemberL{Value: l}
	case *types.AttributeValueMemberM:
		m := make(map[string]types.AttributeValue, len(x.Value))
		for k, e := range x.Value {
			m[k] = canonAV(e)
		}
		return &types.AttributeValueMemberM{Value: m}
	}
	return av
}
