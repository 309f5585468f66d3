package kafkalocal_test

import (
	"context"
	"fmt"
	"log"

	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
)

// Start a broker, produce a keyed record and a tombstone, and read them back as the broker holds them.
func Example() {
	ctx := context.Background()
	c, err := kafkalocal.Start(ctx, kafkalocal.Options{Embedded: true})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.CreateTopic(ctx, "orders", 3); err != nil {
		log.Fatal(err)
	}
	err = kafkalocal.Produce(ctx, c.Addrs(), []record.Record{
		{Topic: "orders", Partition: 2, Key: []byte("o-1"), Value: []byte(`{"total":12.5}`),
			TimestampType: record.CreateTime, Timestamp: 1700000000000,
			Headers: []record.Header{{Key: "source", Value: []byte("web")}}},
		{Topic: "orders", Partition: 2, Key: []byte("o-1"), Value: nil, // a tombstone
			TimestampType: record.CreateTime, Timestamp: 1700000000001},
	})
	if err != nil {
		log.Fatal(err)
	}
	recs, err := kafkalocal.ReadAll(ctx, c.Addrs(), "orders")
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range recs {
		fmt.Printf("%s %s key=%s value=%s tombstone=%v headers=%d\n",
			r.Coordinates(), r.TimestampType, r.Key, r.Value, r.IsTombstone(), len(r.Headers))
	}
	// Output:
	// orders/2/0 CREATE_TIME key=o-1 value={"total":12.5} tombstone=false headers=1
	// orders/2/1 CREATE_TIME key=o-1 value= tombstone=true headers=0
}
