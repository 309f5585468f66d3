package kafkaevent

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// benchPayload is a ~6 MB event (Lambda's limit) of records with 1 KB JSON values, a short key
// and one header, over 4 partitions.
func benchPayload(b *testing.B) []byte {
	b.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	recs := make([]record.Record, 10000)
	for i := range recs {
		v := fmt.Appendf(nil, `{"id":%d,"customer":"c-%d","amount":%d.%02d,"note":"`, i, rng.IntN(1000), rng.IntN(1000), rng.IntN(100))
		for len(v) < 1022 {
			v = append(v, alnum[rng.IntN(len(alnum))])
		}
		v = append(v, `"}`...)
		recs[i] = record.Record{
			Topic: "orders.v1", Partition: int32(i % 4), Offset: int64(1000 + i/4),
			Timestamp: 1718000000000 + int64(i), TimestampType: record.CreateTime,
			Key:     fmt.Appendf(nil, "order-%d", i),
			Value:   v,
			Headers: []record.Header{{Key: "content-type", Value: []byte("application/json")}},
		}
	}
	batches, err := Batches(SourceMSK, "arn:aws:kafka:us-east-1:123456789012:cluster/c/1", "b-1:9098", recs, Limits{MaxRecords: MaxMaxRecords})
	if err != nil {
		b.Fatal(err)
	}
	return batches[0]
}

// BenchmarkDecode decodes a 6 MB event. Decode is destructive, so each iteration decodes a fresh
// copy of the payload, made with the timer stopped.
func BenchmarkDecode(b *testing.B) {
	payload := benchPayload(b)
	buf := make([]byte, len(payload))
	ev, err := Decode(append(buf[:0], payload...))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(ev.Records)), "records/op")
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		copy(buf, payload)
		b.StartTimer()
		if _, err := Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeReference decodes the same event with encoding/json into aws-lambda-go's
// events.KafkaEvent and base64-decodes every key and value: what a handler using aws-lambda-go
// does to get the same bytes.
func BenchmarkDecodeReference(b *testing.B) {
	payload := benchPayload(b)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var ev events.KafkaEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			b.Fatal(err)
		}
		for _, recs := range ev.Records {
			for _, r := range recs {
				if _, err := base64.StdEncoding.DecodeString(r.Key); err != nil {
					b.Fatal(err)
				}
				if _, err := base64.StdEncoding.DecodeString(r.Value); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}
