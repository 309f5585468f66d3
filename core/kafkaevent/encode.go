package kafkaevent

import (
	"encoding/base64"
	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"strconv"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// Encode returns e as the JSON Lambda sends. See AppendEncode.
func Encode(e Event) []byte {
	return AppendEncode(nil, e)
}

// AppendEncode appends e, as the JSON Lambda sends, to dst.
//
// Records are grouped under "topic-partition" keys, partitions in the order they first appear in
// e.Records, each partition's records in their order in e.Records: decoding the result gives the
// records grouped that way. "eventSourceArn" is left out when SourceARN is empty (self-managed
// Kafka). A nil key is left out, a nil value is written as null (a tombstone) and a nil header value
// as null; empty ones are written as "" and []. Strings that are not valid UTF-8 get U+FFFD for
// each invalid byte.
func AppendEncode(dst []byte, e Event) []byte {
	dst = appendEnvelope(dst, e.Source, e.SourceARN, e.BootstrapServers)
	for gi, g := range groupByPartition(e.Records) {
		if gi > 0 {
			dst = append(dst, ',')
		}
		dst = jsonconv.AppendString(dst, e.Records[g[0]].TopicPartition().String())
		dst = append(dst, ':', '[')
		for j, i := range g {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendRecord(dst, &e.Records[i])
		}
		dst = append(dst, ']')
	}
	return append(dst, '}', '}')
}

// groupByPartition returns the indexes of recs grouped by partition, in first-seen order.
func groupByPartition(recs []record.Record) [][]int {
	var groups [][]int
	idx := make(map[record.TopicPartition]int)
	for i := range recs {
		tp := recs[i].TopicPartition()
		g, ok := idx[tp]
		if !ok {
			g = len(groups)
			idx[tp] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// appendEnvelope appends the event up to the opening brace of "records".
func appendEnvelope(dst []byte, src, arn, bootstrap string) []byte {
	dst = append(dst, `{"eventSource":`...)
	dst = jsonconv.AppendString(dst, src)
	if arn != "" {
		dst = append(dst, `,"eventSourceArn":`...)
		dst = jsonconv.AppendString(dst, arn)
	}
	dst = append(dst, `,"bootstrapServers":`...)
	dst = jsonconv.AppendString(dst, bootstrap)
	return append(dst, `,"records":{`...)
}

func appendRecord(dst []byte, r *record.Record) []byte {
	dst = append(dst, `{"topic":`...)
	dst = jsonconv.AppendString(dst, r.Topic)
	dst = append(dst, `,"partition":`...)
	dst = strconv.AppendInt(dst, int64(r.Partition), 10)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendInt(dst, r.Offset, 10)
	dst = append(dst, `,"timestamp":`...)
	dst = strconv.AppendInt(dst, r.Timestamp, 10)
	dst = append(dst, `,"timestampType":"`...)
	dst = append(dst, r.TimestampType.String()...)
	dst = append(dst, '"')
	if r.Key != nil {
		dst = append(dst, `,"key":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, r.Key)
		dst = append(dst, '"')
	}
	if r.Value != nil {
		dst = append(dst, `,"value":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, r.Value)
		dst = append(dst, '"')
	} else {
		dst = append(dst, `,"value":null`...)
	}
	dst = append(dst, `,"headers":[`...)
	for i, h := range r.Headers {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		dst = jsonconv.AppendString(dst, h.Key)
		dst = append(dst, ':')
		if h.Value == nil {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, '[')
			for j, c := range h.Value {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = strconv.AppendInt(dst, int64(int8(c)), 10)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, '}')
	}
	return append(dst, ']', '}')
}

const hexDigits = "0123456789abcdef"
