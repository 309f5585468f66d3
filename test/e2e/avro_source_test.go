package e2e

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/checkpoints"
	"github.com/lambda-connect/lambda-connect/core/producer"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
	"github.com/lambda-connect/lambda-connect/infra/registrylocal"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

// TestS3SourceAvro: the S3 source reads a CSV object with typed columns (records with a
// schema: JSON lines are schemaless, and the AvroConverter, like Confluent's, refuses
// schemaless data) and produces it with value.converter=AvroConverter and auto-registration
// (the converter built through the source's registry option). The records in Kafka decode
// with the registry's schema to the input, and the registry was asked to register the schema
// once for the whole object.
func TestS3SourceAvro(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reg := registrylocal.ForTest(t)
	cl := kafkalocal.ForTest(t)
	topic := name("orders")
	if err := cl.CreateTopic(ctx, topic, 2); err != nil {
		t.Fatal(err)
	}
	s3c, err := s3local.Client(ctx, s3local.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	bucket := strings.ToLower(name("landing"))
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	ddb, err := dynamolocal.Client(ctx, dynamolocal.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	table := name("checkpoints")
	if err := checkpoints.CreateTable(ctx, ddb, table); err != nil {
		t.Fatal(err)
	}
	ledger, err := checkpoints.NewDynamoStore(checkpoints.DynamoConfig{Client: ddb, Table: table})
	if err != nil {
		t.Fatal(err)
	}

	c, err := s3source.Spec().Parse(map[string]string{"connector.name": "avro-src", "topic": topic, "checkpoints.table": table,
		"bootstrap.servers": strings.Join(cl.Addrs(), ","), "input.format": "csv", "csv.column.types": "id:int64,amount:int32",
		"value.converter": "io.confluent.connect.avro.AvroConverter", "value.converter.schema.registry.url": reg.URL(),
		"value.converter.auto.register.schemas": "true"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, pcfg, err := s3source.ConfigFrom(c, s3source.WithConverters(converters.Builtins()))
	if err != nil {
		t.Fatal(err)
	}
	prod, err := producer.New(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	src, err := s3source.New(cfg, s3source.Deps{S3: s3c, Producer: prod, Ledger: ledger})
	if err != nil {
		t.Fatal(err)
	}

	const n = 50
	var body bytes.Buffer
	body.WriteString("id,customer,amount\n")
	for i := range n {
		fmt.Fprintf(&body, "%d,c-%d,%d\n", i, i%7, 100+i)
	}
	key := "in/orders.csv"
	put, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body.Bytes())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Process(ctx, trigger.Object{Bucket: bucket, Key: key, ETag: strings.Trim(aws.ToString(put.ETag), `"`), Size: int64(body.Len())}); err != nil {
		t.Fatal(err)
	}

	recs, err := kafkalocal.ReadAll(ctx, cl.Addrs(), topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Fatalf("%d records in Kafka, want %d", len(recs), n)
	}
	dec, err := converters.New("AvroConverter", false, map[string]string{"schema.registry.url": reg.URL()})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, r := range recs {
		if len(r.Value) < 5 || r.Value[0] != 0 {
			t.Fatalf("record %s is not Confluent-framed: % x", r.Coordinates(), r.Value)
		}
		s, v, err := dec.ToConnect(topic, nil, r.Value)
		if err != nil {
			t.Fatalf("record %s: %v", r.Coordinates(), err)
		}
		sv, ok := v.(*record.StructValue)
		if !ok || s.Type != record.Struct || len(sv.Values) != 3 {
			t.Fatalf("record %s: %v %v", r.Coordinates(), s, v)
		}
		id, _ := sv.Values[s.Field("id").Index].(int64)
		if sv.Values[s.Field("customer").Index] != fmt.Sprintf("c-%d", id%7) || sv.Values[s.Field("amount").Index] != int32(100+id) {
			t.Errorf("record %s decodes to %v", r.Coordinates(), sv.Values)
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct ids in Kafka, want %d", len(seen), n)
	}
	if got := reg.Requests("/subjects/" + topic + "-value/versions"); got != 1 {
		t.Errorf("registry asked %d times to register %s-value, want once for the one schema", got, topic)
	}
	t.Logf("registry requests: %d in all", reg.TotalRequests())
}
