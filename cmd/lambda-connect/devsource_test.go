package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
)

// TestS3EventKey: the sandbox encodes keys as S3 notifications do, and the source's trigger
// decoding gives the key back.
func TestS3EventKey(t *testing.T) {
	tests := []struct{ key, encoded string }{
		{"incoming/orders.jsonl", "incoming/orders.jsonl"},
		{"incoming/a b+c.jsonl", "incoming/a+b%2Bc.jsonl"},
		{"données/été 2026.csv", "donn%C3%A9es/%C3%A9t%C3%A9+2026.csv"},
		{"x%y&z=1", "x%25y%26z%3D1"},
	}
	for _, tc := range tests {
		if got := s3EventKey(tc.key); got != tc.encoded {
			t.Errorf("s3EventKey(%q) = %q, want %q", tc.key, got, tc.encoded)
		}
		payload, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
			"s3": map[string]any{"bucket": map[string]any{"name": "b"}, "object": map[string]any{"key": s3EventKey(tc.key), "eTag": "e"}}}}})
		b, err := trigger.Decode(payload)
		if err != nil || len(b.Messages) != 1 || len(b.Messages[0].Notices) != 1 {
			t.Fatalf("%q: %+v %v", tc.key, b, err)
		}
		if got := b.Messages[0].Notices[0].Object.Key; got != tc.key {
			t.Errorf("%q: decoded as %q", tc.key, got)
		}
	}
}

// TestSourceTrace checks where the S3 source's lines are found in the sinks' outputs, and that
// check fails on a line missing from a sink or found twice.
func TestSourceTrace(t *testing.T) {
	obj := func() *sourceReport {
		return &sourceReport{Topic: "orders", Objects: []sourceObject{{URL: "s3://l/o.jsonl", Lines: 3, Records: 3, Complete: true, orderIDs: []string{"a", "b", "c"}}}}
	}
	s3With := func(ids ...string) devReport {
		return devReport{Partitions: []partitionReport{{Objects: []objectReport{{orderIDs: ids}}}}}
	}
	ddbWith := func(ids ...string) *devReport { return &devReport{Table: &tableReport{orderIDs: ids}} }
	for _, tc := range []struct {
		name    string
		rep     devReport
		s3, ddb *sinkCopies
		err     string
	}{
		{"both sinks, once each", func() devReport { r := s3With("x", "a", "b", "c"); r.DynamoDB = ddbWith("c", "b", "a"); return r }(),
			&sinkCopies{Sink: sinkS3, Found: 3}, &sinkCopies{Sink: sinkDynamoDB, Found: 3}, ""},
		{"S3 alone, a line twice", s3With("a", "b", "c", "b"), &sinkCopies{Sink: sinkS3, Found: 3, Duplicates: 1}, nil, "S3 sink: 3 of s3://l/o.jsonl's 3 lines found (by order_id), 1 duplicates"},
		{"DynamoDB alone, a line missing", devReport{Table: &tableReport{orderIDs: []string{"a", "c"}}}, nil, &sinkCopies{Sink: sinkDynamoDB, Found: 2}, "DynamoDB sink: 2 of"},
		{"DynamoDB missing in --sink all", func() devReport { r := s3With("a", "b", "c"); r.DynamoDB = ddbWith("a"); return r }(),
			&sinkCopies{Sink: sinkS3, Found: 3}, &sinkCopies{Sink: sinkDynamoDB, Found: 1}, "DynamoDB sink: 1 of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := obj()
			src.trace(tc.rep)
			o := src.Objects[0]
			if !reflect.DeepEqual(o.InS3, tc.s3) || !reflect.DeepEqual(o.InDynamoDB, tc.ddb) {
				t.Errorf("in S3 %+v, in DynamoDB %+v; want %+v, %+v", o.InS3, o.InDynamoDB, tc.s3, tc.ddb)
			}
			err := src.check()
			if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("check: %v, want %q", err, tc.err)
			}
		})
	}
}

func TestOrderID(t *testing.T) {
	for in, want := range map[string]string{`{"order_id":"o-1","x":1}`: "o-1", `{"order_id":7}`: "", `{}`: "", `not json`: "", ``: "", `{"order_id":""}`: ""} {
		got, ok := orderID([]byte(in))
		if got != want || ok != (want != "" || in == `{"order_id":""}`) {
			t.Errorf("orderID(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := orderID(nil); ok {
		t.Error("orderID(nil): a tombstone has no order_id")
	}
}
