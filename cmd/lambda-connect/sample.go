package main

import (
	"fmt"
	"time"

	"github.com/lambda-connect/lambda-connect/core/producer"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// sample is the set of records dev produces.
type sample struct {
	records    []record.Record
	tombstones int
}

// tombstoneAt is the index of the sample record that is a tombstone (when there are at least
// minForTombstone records): the first order's key, with a null value.
const (
	tombstoneAt     = 5
	minForTombstone = 10
	customers       = 11
)

// newSample returns n records over the sandbox topics: three in five are orders, keyed by
// customer and placed by a hash of the key (so one customer's orders share a partition, as
// with Kafka's default partitioner), with a header; the rest are clicks, without key, spread
// round-robin. Values are JSON objects. Record tombstoneAt is a tombstone when n is at least
// minForTombstone. Timestamps are now plus the record's index in ms (CreateTime).
func newSample(n int, now time.Time) sample {
	var s sample
	orders, clicks := sandboxTopics[0], sandboxTopics[1]
	base := now.UnixMilli()
	var nOrders, nClicks int
	for i := range n {
		r := record.Record{TimestampType: record.CreateTime, Timestamp: base + int64(i)}
		if i%5 < 3 {
			nOrders++
			tomb := i == tombstoneAt && n >= minForTombstone
			cust := fmt.Sprintf("customer-%d", (nOrders*7)%customers)
			if tomb {
				cust = fmt.Sprintf("customer-%d", 7%customers) // the first order's key
			}
			r.Topic = orders.name
			r.Key = []byte(cust)
			r.Partition = partitionFor(r.Key, orders.partitions)
			r.Headers = []record.Header{{Key: "source", Value: []byte("lambda-connect-dev")}}
			if tomb {
				s.tombstones++ // a deleted order: the key stays, the value is null
			} else {
				r.Value = fmt.Appendf(nil, `{"order_id":"o-%05d","customer":%q,"amount":%d.%02d,"currency":"EUR","items":%d}`,
					nOrders, cust, 5+(nOrders*37)%200, (nOrders*13)%100, 1+nOrders%4)
			}
		} else {
			nClicks++
			r.Topic = clicks.name
			r.Partition = int32(nClicks % int(clicks.partitions))
			r.Value = fmt.Appendf(nil, `{"session":"s-%03d","page":"/products/%d","ms_on_page":%d}`,
				nClicks%17, (nClicks*5)%23, 200+(nClicks*97)%5000)
		}
		s.records = append(s.records, r)
	}
	return s
}

// partitionFor places a key on the partition of n the Java client's default partitioner
// chooses (murmur2), as the S3 source does for the keyed records it produces.
func partitionFor(key []byte, n int32) int32 { return producer.Partition(key, n) }
