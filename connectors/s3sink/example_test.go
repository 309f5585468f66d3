package s3sink_test

import (
	"fmt"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Settings as Kafka Connect would take them, parsed with the connector's spec and read into a
// Config (short class names are accepted; Config holds the canonical ones).
func Example() {
	c, err := s3sink.Spec().Parse(map[string]string{
		"connector.name":        "clicks-to-s3",
		"s3.bucket.name":        "my-bucket",
		"flush.size":            "500",
		"partitioner.class":     "TimeBasedPartitioner",
		"path.format":           "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH",
		"partition.duration.ms": "3600000",
		"locale":                "en-US",
		"timezone":              "UTC",
		"timestamp.extractor":   "Record",
		"s3.compression.type":   "gzip",
		"tasks.max":             "4", // accepted for compatibility, ignored
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := s3sink.ConfigFrom(c)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Partitioner, cfg.FlushSize, cfg.Compression, c.Ignored())
	// Output:
	// io.confluent.connect.storage.partitioner.TimeBasedPartitioner 500 gzip [tasks.max]
}

// A configuration problem names every setting concerned, in one error.
func ExampleConfigFrom() {
	c, _ := s3sink.Spec().Parse(map[string]string{
		"connector.name":    "c",
		"s3.bucket.name":    "b",
		"partitioner.class": "TimeBasedPartitioner",
		"path.format":       "YYYY/MM/dd",
		"timezone":          "UTC",
	})
	_, err := s3sink.ConfigFrom(c)
	fmt.Println(err)
	// Output:
	// s3-sink configuration: 2 invalid settings: partition.duration.ms: is required by the TimeBasedPartitioner: a positive number of ms (got -1); locale: is required by the time-based partitioners, for example en-US
}

func ExampleSink_Plan() {
	c, _ := s3sink.Spec().Parse(map[string]string{"connector.name": "c", "s3.bucket.name": "b", "flush.size": "2"})
	cfg, _ := s3sink.ConfigFrom(c)
	s, _ := s3sink.New(cfg, nopClient{})
	var recs []record.Record
	for off := range int64(5) {
		v := fmt.Sprintf(`{"n":%d}`, off)
		recs = append(recs, record.Record{Topic: "test-topic", Partition: 0, Offset: 40 + off, Value: []byte(v), ValueData: record.RawJSON(v)})
	}
	writes, _ := s.Plan(record.TopicPartition{Topic: "test-topic", Partition: 0}, recs)
	for _, w := range writes {
		fmt.Println(w.ID(), w.Records())
	}
	// Output:
	// topics/test-topic/partition=0/test-topic+0+0000000040.json 2
	// topics/test-topic/partition=0/test-topic+0+0000000042.json 2
	// topics/test-topic/partition=0/test-topic+0+0000000044.json 1
}
