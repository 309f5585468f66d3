// Package record holds Lambda Connect's record model: a Kafka record as a value, with optional
// Kafka Connect-style schemas for its key and value.
//
// Records are values. Stages that change a record (converters, transforms) return a new Record and
// never mutate slices or maps that another Record may share. The package imports no AWS SDK and no
// Kafka client.
package record

import (
	"strconv"
)

// TimestampType says where a record's timestamp came from, as Kafka does.
type TimestampType int8

const (
	// NoTimestampType is a record without a timestamp.
	NoTimestampType TimestampType = iota
	// CreateTime is a timestamp set by the producer.
	CreateTime
	// LogAppendTime is a timestamp set by the broker.
	LogAppendTime
)

// String returns the name Lambda's Kafka events use: NO_TIMESTAMP_TYPE, CREATE_TIME, LOG_APPEND_TIME.
func (t TimestampType) String() string {
	switch t {
	case CreateTime:
		return "CREATE_TIME"
	case LogAppendTime:
		return "LOG_APPEND_TIME"
	default:
		return "NO_TIMESTAMP_TYPE"
	}
}

// ParseTimestampType is the inverse of String; unknown names give NoTimestampType and false.
func ParseTimestampType(s string) (TimestampType, bool) {
	switch s {
	case "CREATE_TIME":
		return CreateTime, true
	case "LOG_APPEND_TIME":
		return LogAppendTime, true
	case "NO_TIMESTAMP_TYPE", "":
		return NoTimestampType, true
	}
	return NoTimestampType, false
}

// Header is one Kafka record header. Kafka allows repeated keys; order is kept.
type Header struct {
	Key   string
	Value []byte
}

// TopicPartition names one partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// String formats tp as Kafka tools do: "topic-partition".
func (tp TopicPartition) String() string {
	return tp.Topic + "-" + strconv.FormatInt(int64(tp.Partition), 10)
}

// Record is one Kafka record.
//
// Key and Value hold the bytes as they were delivered (nil for an absent or null key or value: a
// null Value is a tombstone). KeyData/ValueData hold the Connect data a converter made of them
// (see Schema for the Go types used), with KeySchema/ValueSchema when the data is schema'd.
// The raw bytes are kept after conversion so that a failing record can be dead-lettered as it came.
type Record struct {
	Topic         string
	Partition     int32
	Offset        int64
	Timestamp     int64 // milliseconds since the Unix epoch; meaningful unless TimestampType is NoTimestampType
	TimestampType TimestampType

	Key     []byte
	Value   []byte
	Headers []Header

	KeySchema   *Schema
	KeyData     any
	ValueSchema *Schema
	ValueData   any
}

// TopicPartition returns the partition the record belongs to.
func (r Record) TopicPartition() TopicPartition {
	return TopicPartition{Topic: r.Topic, Partition: r.Partition}
}

// Coordinates names the record the way error messages do: "topic/partition/offset".
func (r Record) Coordinates() string {
	return r.Topic + "/" + strconv.FormatInt(int64(r.Partition), 10) + "/" + strconv.FormatInt(r.Offset, 10)
}

// IsTombstone reports whether the record's value is null.
func (r Record) IsTombstone() bool { return r.Value == nil && r.ValueData == nil }

// WithKey returns a copy of r with new key data.
func (r Record) WithKey(s *Schema, data any) Record {
	r.KeySchema, r.KeyData = s, data
	return r
}

// WithValue returns a copy of r with new value data.
func (r Record) WithValue(s *Schema, data any) Record {
	r.ValueSchema, r.ValueData = s, data
	return r
}

// WithHeaders returns a copy of r whose headers are a fresh copy of hs.
func (r Record) WithHeaders(hs []Header) Record {
	r.Headers = append([]Header(nil), hs...)
	return r
}

// Header returns the value of the last header named key, and whether there is one.
func (r Record) Header(key string) ([]byte, bool) {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == key {
			return r.Headers[i].Value, true
		}
	}
	return nil, false
}
