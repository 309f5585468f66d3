package s3sink

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// benchRecords returns about total bytes of ~1 KB schemaless JSON records of one partition.
func benchRecords(total int) []record.Record {
	pad := strings.Repeat("x", 1024-80)
	var recs []record.Record
	for off, size := int64(0), 0; size < total; off++ {
		v := fmt.Appendf(nil, `{"seq":%d,"customer":"c-%d","amount":%d.5,"pad":"%s"}`, off, off%7, off, pad)
		recs = append(recs, record.Record{Topic: "bench", Offset: off, Timestamp: 1700000000000 + off*1000,
			TimestampType: record.CreateTime, Value: v, ValueData: record.RawJSON(v)})
		size += len(v)
	}
	return recs
}

// BenchmarkPlanAndEncode plans and encodes 6 MB (Lambda's largest payload) of 1 KB JSON records.
func BenchmarkPlanAndEncode(b *testing.B) {
	recs := benchRecords(6 << 20)
	var total int64
	for _, r := range recs {
		total += int64(len(r.Value))
	}
	for _, c := range []struct {
		name  string
		props map[string]string
	}{
		{"json", map[string]string{}},
		{"json-gzip", map[string]string{"s3.compression.type": "gzip"}},
		{"json-field-partitioner", map[string]string{"partitioner.class": "FieldPartitioner", "partition.field.name": "customer"}},
		{"json-hourly", map[string]string{"partitioner.class": "HourlyPartitioner", "locale": "en", "timezone": "Europe/Paris", "timestamp.extractor": "Record"}},
		{"bytearray", map[string]string{"format.class": "ByteArrayFormat"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := newTestSink(b, c.props, nil)
			tp := recs[0].TopicPartition()
			b.SetBytes(total)
			b.ReportAllocs()
			for b.Loop() {
				ws, err := s.Plan(tp, recs)
				if err != nil {
					b.Fatal(err)
				}
				for _, w := range ws {
					if _, err := s.Encode(w); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
