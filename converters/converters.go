// Package converters turns record keys and values from bytes into Kafka Connect data and back,
// byte-compatible with Kafka Connect's converters. Keys and values are configured separately, by
// Connect class name (org.apache.kafka.connect.json.JsonConverter) or short name (JsonConverter, json).
package converters

import (
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Converter is Kafka Connect's Converter: ToConnect is toConnectData, FromConnect is fromConnectData.
// Errors from ToConnect are errclass.BadRecord errors. A nil data gives a nil value (a null).
type Converter interface {
	ToConnect(topic string, headers []record.Header, data []byte) (*record.Schema, any, error)
	FromConnect(topic string, headers []record.Header, schema *record.Schema, value any) ([]byte, error)
}
