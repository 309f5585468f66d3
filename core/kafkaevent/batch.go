package kafkaevent

import (
	"errors"
	"github.com/lambda-connect/lambda-connect/converters/jsonconv"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Lambda's limits on a Kafka event.
const (
	// DefaultMaxRecords is the event-source mapping's default batch size.
	DefaultMaxRecords = 100
	// MaxMaxRecords is the largest batch size an event-source mapping accepts for Kafka.
	MaxMaxRecords = 10000
	// DefaultMaxBytes is Lambda's limit on a synchronous invocation's payload: 6 MB.
	DefaultMaxBytes = 6 * 1024 * 1024
)

// Limits bounds the events Batches makes. A zero field takes its default.
type Limits struct {
	// MaxRecords is the batch size: at most this many records an event (default
	// DefaultMaxRecords, at most MaxMaxRecords).
	MaxRecords int
	// MaxBytes bounds an event's encoded size (default DefaultMaxBytes).
	MaxBytes int
}

// validate fills in defaults and checks l.
func (l Limits) validate() (Limits, error) {
	var errs []error
	if l.MaxRecords < 0 || l.MaxRecords > MaxMaxRecords {
		errs = append(errs, errclass.Config("MaxRecords", "%d is not in [1, %d]", l.MaxRecords, MaxMaxRecords))
	}
	if l.MaxBytes < 0 {
		errs = append(errs, errclass.Config("MaxBytes", "%d is negative", l.MaxBytes))
	}
	if l.MaxRecords == 0 {
		l.MaxRecords = DefaultMaxRecords
	}
	if l.MaxBytes == 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	return l, errors.Join(errs...)
}

// Batches splits recs into encoded events of the given source, as the event-source mapping
// batches a poll: in order, each event as full as both limits allow, never more than
// lim.MaxRecords records nor lim.MaxBytes bytes. Records are grouped by partition within each
// event (see AppendEncode). A record too large to fit in an event alone is an errclass.BadRecord
// error naming it; invalid limits are errclass.BadConfig errors. No records give no events.
func Batches(src, arn, bootstrap string, recs []record.Record, lim Limits) ([][]byte, error) {
	lim, err := lim.validate()
	if err != nil {
		return nil, err
	}
	envelope := len(appendEnvelope(nil, src, arn, bootstrap)) + len("}}")
	var (
		out     [][]byte
		first   int // first record of the batch being filled
		size    = envelope
		groups  = make(map[record.TopicPartition]struct{})
		scratch []byte
	)
	flush := func(end int) {
		ev := Event{Source: src, SourceARN: arn, BootstrapServers: bootstrap, Records: recs[first:end]}
		out = append(out, AppendEncode(make([]byte, 0, size), ev))
		first, size = end, envelope
		clear(groups)
	}
	for i := range recs {
		scratch = appendRecord(scratch[:0], &recs[i])
		tp := recs[i].TopicPartition()
		grow := func() int {
			if _, ok := groups[tp]; ok {
				return len(scratch) + len(",")
			}
			n := len(jsonconv.AppendString(nil, tp.String())) + len(":[]") + len(scratch)
			if len(groups) > 0 {
				n += len(",")
			}
			return n
		}
		n := grow()
		if i > first && (i-first >= lim.MaxRecords || size+n > lim.MaxBytes) {
			flush(i)
			n = grow()
		}
		if size+n > lim.MaxBytes {
			return nil, errclass.Record("record "+recs[i].Coordinates(),
				"an event holding only this record takes %d bytes, over the %d-byte limit", size+n, lim.MaxBytes)
		}
		size += n
		groups[tp] = struct{}{}
	}
	if first < len(recs) {
		flush(len(recs))
	}
	return out, nil
}
