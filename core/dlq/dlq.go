// Package dlq holds dead-letter destinations: where a record that cannot be processed goes, with
// its original bytes and the reason, so that the partition moves on and nothing is lost.
//
// A Letter carries Kafka Connect's error context (the names of the __connect.errors.* headers
// Connect adds with errors.deadletterqueue.context.headers.enable=true). Destinations must be
// idempotent per record where the medium allows it: S3 names each letter by the record's
// coordinates, so a retried batch rewrites the same objects; a FIFO SQS queue deduplicates them by
// connector and coordinates. A Kafka topic or a standard SQS queue may hold a retried letter twice,
// with the same __connect.errors.topic/partition/offset.
//
// The built-in destinations (Builtins) are a Kafka topic (errors.deadletterqueue.topic.name), an
// S3 prefix (errors.deadletterqueue.s3.bucket.name) and an SQS queue
// (errors.deadletterqueue.sqs.queue.url); each is one file and one Register call.
package dlq

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Stage names where processing failed, with Kafka Connect's stage names.
type Stage string

// The stages a sink's record goes through.
const (
	StageKeyConverter   Stage = "KEY_CONVERTER"
	StageValueConverter Stage = "VALUE_CONVERTER"
	StageHeaderConv     Stage = "HEADER_CONVERTER"
	StageTransformation Stage = "TRANSFORMATION"
	StageTask           Stage = "TASK_PUT" // the connector's write
)

// Letter is one dead-lettered record.
type Letter struct {
	// Record is the record as it arrived: raw Key, Value and Headers.
	Record    record.Record
	Connector string
	Stage     Stage
	// Class is the transform or converter class at fault, when known.
	Class string
	Err   error
	// SourceBootstrap is the bootstrap servers of the cluster the record came from (the Lambda
	// event's bootstrapServers), where a Kafka destination writes when none is configured.
	SourceBootstrap string
}

// Connect's error context header names.
const (
	HeaderTopic       = "__connect.errors.topic"
	HeaderPartition   = "__connect.errors.partition"
	HeaderOffset      = "__connect.errors.offset"
	HeaderConnector   = "__connect.errors.connector.name"
	HeaderTask        = "__connect.errors.task.id"
	HeaderStage       = "__connect.errors.stage"
	HeaderClass       = "__connect.errors.class.name"
	HeaderExClass     = "__connect.errors.exception.class.name"
	HeaderExMessage   = "__connect.errors.exception.message"
	HeaderExStackText = "__connect.errors.exception.stacktrace"
)

// ContextHeaders returns the __connect.errors.* headers for l, as Connect writes them (values are
// UTF-8 strings).
func ContextHeaders(l Letter) []record.Header {
	msg := ""
	if l.Err != nil {
		msg = l.Err.Error()
	}
	return []record.Header{
		{Key: HeaderTopic, Value: []byte(l.Record.Topic)},
		{Key: HeaderPartition, Value: strconv.AppendInt(nil, int64(l.Record.Partition), 10)},
		{Key: HeaderOffset, Value: strconv.AppendInt(nil, l.Record.Offset, 10)},
		{Key: HeaderConnector, Value: []byte(l.Connector)},
		{Key: HeaderTask, Value: []byte("0")},
		{Key: HeaderStage, Value: []byte(l.Stage)},
		{Key: HeaderClass, Value: []byte(l.Class)},
		{Key: HeaderExClass, Value: []byte(exceptionClass(l.Err))},
		{Key: HeaderExMessage, Value: []byte(msg)},
		{Key: HeaderExStackText, Value: []byte(msg)},
	}
}

// exceptionClass names the error's class the way Connect names the exception type.
func exceptionClass(err error) string {
	switch errclass.Of(err) {
	case errclass.BadRecord:
		return "org.apache.kafka.connect.errors.DataException"
	case errclass.BadConfig:
		return "org.apache.kafka.common.config.ConfigException"
	case errclass.Retriable:
		return "org.apache.kafka.connect.errors.RetriableException"
	}
	return "org.apache.kafka.connect.errors.ConnectException"
}

// Destination receives dead letters. Send returns only when every letter is durably stored; an
// error is errclass.Retriable unless the destination is misconfigured.
type Destination interface {
	Send(ctx context.Context, letters []Letter) error
}

// Memory is a destination that keeps letters in memory: for local runs and tests.
type Memory struct {
	mu sync.Mutex
	ls []Letter
}

// NewMemory returns an empty in-memory destination.
func NewMemory() *Memory { return &Memory{} }

// Send keeps the letters, replacing any earlier letter of the same record (so a retried batch does
// not count twice, as with the S3 destination).
func (m *Memory) Send(ctx context.Context, letters []Letter) error {
	if err := ctx.Err(); err != nil {
		return errclass.New(errclass.Retriable, "dead-letter memory", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range letters {
		replaced := false
		for i := range m.ls {
			if m.ls[i].Record.Coordinates() == l.Record.Coordinates() {
				m.ls[i], replaced = l, true
			}
		}
		if !replaced {
			m.ls = append(m.ls, l)
		}
	}
	return nil
}

// Letters returns a copy of what was sent.
func (m *Memory) Letters() []Letter {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Letter(nil), m.ls...)
}

// ErrNoDestination is returned when errors.tolerance=all has nowhere to send bad records.
var ErrNoDestination = errors.New("errors.tolerance=all needs a dead-letter destination: set errors.deadletterqueue.topic.name, errors.deadletterqueue.s3.bucket.name or errors.deadletterqueue.sqs.queue.url")

func subject(l Letter) string { return fmt.Sprintf("dead letter %s", l.Record.Coordinates()) }
