package transforms_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/transforms"
)

// benchValue is a schemaless JSON value of about 1 KB, as the JSON converter hands it over.
func benchValue(tb testing.TB) record.RawJSON {
	var b strings.Builder
	b.WriteString(`{"order_id":"ord-000123456","customer_id":98765,"email":"someone@example.com","password":"hunter2hunter2",`)
	b.WriteString(`"card_number":"4111111111111111","amount":1234.56,"currency":"EUR","status":"SHIPPED","express":true,`)
	b.WriteString(`"created_at":"2024-03-01T12:34:56.789Z","notes":"leave at the door, ring twice \"please\"",`)
	b.WriteString(`"address":{"street":"12 Long Road","city":"Springfield","zip":"12345","country":"US","geo":{"lat":12.5,"lon":-45.25}},`)
	b.WriteString(`"items":[`)
	for i := 0; i < 6; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"sku":"SKU-%05d","name":"Widget number %d","qty":%d,"price":%d.99}`, i*7919, i, i+1, i*3+1)
	}
	b.WriteString(`],"tags":["gift","priority","fragile"],"ip":"203.0.113.42","user_agent":"Mozilla/5.0 (X11; Linux x86_64)"}`)
	raw := record.RawJSON(b.String())
	if _, err := jsonconv.Parse(raw); err != nil {
		tb.Fatal(err)
	}
	return raw
}

// chain5 is the chain the per-record benchmark measures: InsertField$Value (static),
// ReplaceField$Value (exclude), MaskField$Value, InsertHeader and TimestampRouter.
func chain5(tb testing.TB) *transforms.Chain {
	c, err := transforms.ChainFrom(map[string]string{
		"transforms":                        "addSource,dropSecrets,maskCard,tag,route",
		"transforms.addSource.type":         "org.apache.kafka.connect.transforms.InsertField$Value",
		"transforms.addSource.static.field": "source",
		"transforms.addSource.static.value": "orders-app",
		"transforms.dropSecrets.type":       "ReplaceField$Value",
		"transforms.dropSecrets.exclude":    "password,ip",
		"transforms.maskCard.type":          "MaskField$Value",
		"transforms.maskCard.fields":        "card_number,email",
		"transforms.tag.type":               "InsertHeader",
		"transforms.tag.header":             "pipeline",
		"transforms.tag.value.literal":      "lambda-connect",
		"transforms.route.type":             "TimestampRouter",
		"transforms.route.topic.format":     "${topic}-${timestamp}",
		"transforms.route.timestamp.format": "yyyy.MM.dd",
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// BenchmarkChain5 measures a chain of 5 transforms on schemaless JSON records of about 1 KB;
// it reports ns/record and allocs/record (one record per iteration).
func BenchmarkChain5(b *testing.B) {
	c := chain5(b)
	raw := benchValue(b)
	r := record.Record{Topic: "orders", Partition: 3, Offset: 1000, Timestamp: 1709296496789, TimestampType: record.CreateTime,
		Value: raw, ValueData: raw, Headers: []record.Header{{Key: "trace", Value: []byte("abc")}}}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Offset = int64(i)
		out, keep, err := c.Apply(r)
		if err != nil || !keep || len(out.ValueData.(record.RawJSON)) == 0 {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

// BenchmarkChain5Parsed is the same chain on the same records given as parsed maps
// (map[string]any), the generic path, for comparison.
func BenchmarkChain5Parsed(b *testing.B) {
	c := chain5(b)
	raw := benchValue(b)
	r := record.Record{Topic: "orders", Partition: 3, Offset: 1000, Timestamp: 1709296496789, TimestampType: record.CreateTime, Value: raw}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v, _ := jsonconv.Parse(raw)
		r.ValueData = v
		if _, _, err := c.Apply(r); err != nil {
			b.Fatal(err)
		}
	}
}
