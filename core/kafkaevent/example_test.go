package kafkaevent_test

import (
	"fmt"

	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func ExampleDecode() {
	payload := []byte(`{
	  "eventSource": "SelfManagedKafka",
	  "bootstrapServers": "kafka-1:9092",
	  "records": {
	    "orders.v1-3": [
	      {"topic": "orders.v1", "partition": 3, "offset": 17, "timestamp": 1718000000000,
	       "timestampType": "CREATE_TIME", "key": "b3JkZXItMQ==", "value": "eyJpZCI6MX0=",
	       "headers": [{"origin": [99, 97, 102, -61, -87]}]},
	      {"topic": "orders.v1", "partition": 3, "offset": 18, "timestamp": 1718000000001,
	       "timestampType": "CREATE_TIME", "key": "b3JkZXItMQ==", "value": null, "headers": []}
	    ]
	  }
	}`)
	ev, err := kafkaevent.Decode(payload) // payload now belongs to ev
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Source, ev.BootstrapServers)
	for _, r := range ev.Records {
		fmt.Printf("%s key=%s value=%s tombstone=%v", r.Coordinates(), r.Key, r.Value, r.IsTombstone())
		for _, h := range r.Headers {
			fmt.Printf(" %s=%s", h.Key, h.Value)
		}
		fmt.Println()
	}

	_, err = kafkaevent.Decode([]byte(`{"records":{"orders-3":[{"topic":"orders","partition":3,"offset":17,"value":"YWJj*GVm"}]}}`))
	fmt.Println(err)
	// Output:
	// SelfManagedKafka kafka-1:9092
	// orders.v1/3/17 key=order-1 value={"id":1} tombstone=false origin=café
	// orders.v1/3/18 key=order-1 value= tombstone=true
	// record orders/3/17: value: illegal base64 data at input byte 4
}

func ExampleEncode() {
	ev := kafkaevent.Event{
		Source:           kafkaevent.SourceSelfManaged,
		BootstrapServers: "kafka-1:9092",
		Records: []record.Record{{
			Topic: "orders", Partition: 0, Offset: 5, Timestamp: 1718000000000, TimestampType: record.CreateTime,
			Value: []byte("hi"), Headers: []record.Header{{Key: "é", Value: []byte("é")}},
		}},
	}
	fmt.Println(string(kafkaevent.Encode(ev)))
	// Output:
	// {"eventSource":"SelfManagedKafka","bootstrapServers":"kafka-1:9092","records":{"orders-0":[{"topic":"orders","partition":0,"offset":5,"timestamp":1718000000000,"timestampType":"CREATE_TIME","value":"aGk=","headers":[{"é":[-61,-87]}]}]}}
}

func ExampleBatches() {
	var recs []record.Record
	for i := range 250 {
		recs = append(recs, record.Record{Topic: "orders", Partition: int32(i % 3), Offset: int64(i / 3), Value: []byte("{}")})
	}
	events, err := kafkaevent.Batches(kafkaevent.SourceMSK, "arn:aws:kafka:us-east-1:123456789012:cluster/c/1", "b-1:9098",
		recs, kafkaevent.Limits{}) // Lambda's defaults: 100 records, 6 MB
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, payload := range events {
		ev, _ := kafkaevent.Decode(payload)
		fmt.Println(len(ev.Records), "records,", len(payload), "bytes")
	}
	// Output:
	// 100 records, 12446 bytes
	// 100 records, 12476 bytes
	// 50 records, 6326 bytes
}
