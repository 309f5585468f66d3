package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

// TestSampleEvent builds the function as its cold start does, from CONNECT_* variables, and
// invokes it twice with events/msk-customers-upserts.json against DynamoDB Local: the table holds
// each customer's latest record (the tombstoned one deleted), once.
func TestSampleEvent(t *testing.T) {
	ctx := context.Background()
	endpoint := dynamolocal.ForTest(t)
	client, err := dynamolocal.Client(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	suffix := fmt.Sprint(time.Now().UnixNano() % 1e9)
	table, offsetsTable := "customers-"+suffix, "offsets-"+suffix
	if _, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(table), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("customer_id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("customer_id"), KeyType: types.KeyTypeHash}}}); err != nil {
		t.Fatal(err)
	}
	if err := offsets.CreateTable(ctx, client, offsetsTable); err != nil {
		t.Fatal(err)
	}
	environ := []string{
		"AWS_ENDPOINT_URL_DYNAMODB=" + endpoint, "AWS_REGION=" + dynamolocal.Region,
		"AWS_ACCESS_KEY_ID=" + dynamolocal.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + dynamolocal.SecretAccessKey,
		"CONNECT_CONNECTOR_NAME=customers-view",
		"CONNECT_OFFSETS_TABLE=" + offsetsTable,
		"CONNECT_TABLE_NAME_FORMAT=customers-" + suffix, // ${topic} would give "customers"
		"CONNECT_AWS_DYNAMODB_PK_HASH=key:customer_id",
		"CONNECT_AWS_DYNAMODB_PK_SORT=none",
		"CONNECT_DELETE_ENABLED=true",
		"CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE=false",
		"CONNECT_AWS_DYNAMODB_ENDPOINT=", // empty: unset, the SDK's AWS_ENDPOINT_URL_DYNAMODB applies
	}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v) // the SDK's configuration reads the process environment
	}
	h, err := build(ctx, environ)
	if err != nil {
		t.Fatal(err)
	}
	event, err := os.ReadFile("../../events/msk-customers-upserts.json")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a redelivery changes nothing
		if _, err := h.Invoke(ctx, bytes.Clone(event)); err != nil {
			t.Fatal(err)
		}
	}
	out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, it := range out.Items {
		lines = append(lines, itemJSON(it))
	}
	sort.Strings(lines)
	got := []byte(strings.Join(lines, "\n") + "\n")
	golden := filepath.Join("testdata", "msk-customers-upserts.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("table:\n%s\nwant (%s):\n%s", got, golden, want)
	}
}

// TestBadConfiguration: a cold start with bad settings names every one of them.
func TestBadConfiguration(t *testing.T) {
	_, err := build(context.Background(), []string{
		"CONNECT_CONNECTOR_NAME=x", "CONNECT_AWS_DYNAMODB_PK_HASH=timestamp", "CONNECT_TABLE_NAME_FORMAT=${partition}",
	})
	if !errclass.Is(err, errclass.BadConfig) {
		t.Fatalf("err = %v, want a bad config", err)
	}
	for _, k := range []string{"aws.dynamodb.pk.hash", "table.name.format"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("%v does not name %s", err, k)
		}
	}
}

func itemJSON(it map[string]types.AttributeValue) string {
	var conv func(av types.AttributeValue) any
	conv = func(av types.AttributeValue) any {
		switch x := av.(type) {
		case *types.AttributeValueMemberS:
			return map[string]any{"S": x.Value}
		case *types.AttributeValueMemberN:
			return map[string]any{"N": x.Value}
		case *types.AttributeValueMemberL:
			l := []any{}
			for _, e := range x.Value {
				l = append(l, conv(e))
			}
			return map[string]any{"L": l}
		case *types.AttributeValueMemberM:
			m := map[string]any{}
			for k, e := range x.Value {
				m[k] = conv(e)
			}
			return map[string]any{"M": m}
		}
		return fmt.Sprintf("%T", av)
	}
	b, _ := json.Marshal(conv(&types.AttributeValueMemberM{Value: it}))
	return string(b)
}
