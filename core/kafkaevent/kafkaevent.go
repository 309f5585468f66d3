// Package kafkaevent decodes and encodes the JSON event Lambda's Kafka event-source mapping
// invokes a function with, for Amazon MSK ("eventSource":"aws:kafka", with "eventSourceArn") and
// for self-managed Kafka ("eventSource":"SelfManagedKafka", without an ARN):
//
//	{"eventSource":"aws:kafka","eventSourceArn":"arn:...","bootstrapServers":"b-1:9092,b-2:9092",
//	 "records":{"orders-3":[{"topic":"orders","partition":3,"offset":17,"timestamp":1545084650987,
//	   "timestampType":"CREATE_TIME","key":"b3JkZXItMQ==","value":"eyJpZCI6MX0=",
//	   "headers":[{"trace":[104,-61,-87]}]}]}}
//
// Keys and values are base64; header values are arrays of signed bytes (Java's byte). The keys of
// "records" ("topic-partition") are never parsed: topics may contain '-' and '.', so each record's
// own "topic" and "partition" are used.
//
// Decode is a hand-written single-pass decoder that decodes keys, values and header values in place
// into the payload it is given (zero copies). Encode writes the same shape, and Batches splits
// records into events the way the event-source mapping does, within Lambda's limits. The package
// is pure: it imports no AWS SDK and no Kafka client.
package kafkaevent

import "github.com/lambda-connect/lambda-connect/core/record"

// The values of "eventSource" Lambda sets.
const (
	SourceMSK         = "aws:kafka"
	SourceSelfManaged = "SelfManagedKafka"
)

// Event is a decoded Lambda Kafka event.
type Event struct {
	// Source is "eventSource": SourceMSK or SourceSelfManaged.
	Source string
	// SourceARN is "eventSourceArn", the MSK cluster's ARN; empty for self-managed Kafka.
	SourceARN string
	// BootstrapServers is "bootstrapServers", comma-separated host:port pairs.
	BootstrapServers string
	// Records are the event's records in the order the event lists them: Lambda groups them by
	// topic-partition, each partition's records in offset order.
	Records []record.Record
}
