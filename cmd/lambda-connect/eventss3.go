package main

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The S3 source's trigger shapes events prints (the events/ samples have one of each).
const (
	eventS3Put       = "s3-put"      // an S3 event notification invoking the function directly
	eventSQSS3       = "sqs-s3"      // an SQS batch whose bodies are S3 event notifications
	eventSNSSQSS3    = "sns-sqs-s3"  // an SQS batch whose bodies are SNS notifications of S3 events
	eventEventBridge = "eventbridge" // an EventBridge "Object Created" event invoking the function
	eventS3Test      = "s3-test"     // S3's s3:TestEvent, sent when a notification configuration is saved
)

var s3EventKinds = []string{eventS3Put, eventSQSS3, eventSNSSQSS3, eventEventBridge, eventS3Test}

// Sample names of the S3 trigger events.
const (
	sampleRegion  = "us-east-1"
	sampleAccount = "123456789012"
	sampleBucket  = "example-landing"
	sampleKey     = "incoming/orders-0001.jsonl"
)

// s3EventOptions are events' flags for the S3 source's triggers.
type s3EventOptions struct {
	bucket string
	keys   stringList
	size   int64
	region string
}

// stringList collects a repeated string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func (o *s3EventOptions) validate(kind string) []error {
	var errs []error
	if o.bucket == "" {
		errs = append(errs, fmt.Errorf("--bucket is empty"))
	}
	for _, k := range o.keys {
		if k == "" {
			errs = append(errs, fmt.Errorf("--object-key is empty"))
		}
	}
	if o.size < 0 {
		errs = append(errs, fmt.Errorf("--size %d: want 0 or more", o.size))
	}
	if kind == eventEventBridge && len(o.keys) > 1 {
		errs = append(errs, fmt.Errorf("--object-key given %d times: an EventBridge event is about one object (use sqs-s3 or s3-put for several)", len(o.keys)))
	}
	return errs
}

// s3Event builds the S3 trigger event of kind o describes; now is the event time.
func (o *s3EventOptions) s3Event(kind string, now time.Time) any {
	keys := o.keys
	if len(keys) == 0 {
		keys = []string{sampleKey}
	}
	ts := now.UTC().Truncate(time.Millisecond)
	at := ts.Format("2006-01-02T15:04:05.000Z")
	switch kind {
	case eventS3Test:
		return map[string]any{"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": at, "Bucket": o.bucket,
			"RequestId": sampleID("request", 0)[:16], "HostId": sampleID("host", 0)}
	case eventEventBridge:
		k := keys[0]
		return map[string]any{
			"version": "0", "id": uuidLike("eventbridge", k), "detail-type": "Object Created", "source": "aws.s3",
			"account": sampleAccount, "time": ts.Format(time.RFC3339), "region": o.region,
			"resources": []string{"arn:aws:s3:::" + o.bucket},
			"detail": map[string]any{
				"version": "0", "bucket": map[string]any{"name": o.bucket},
				"object": map[string]any{"key": s3EventKey(k), "size": o.size, "etag": sampleID("etag", 0)[:32],
					"sequencer": sequencer(ts, 0)},
				"request-id": strings.ToUpper(sampleID("request", 0)[:16]), "requester": sampleAccount, "reason": "PutObject",
			},
		}
	}
	var recs []any
	for i, k := range keys {
		recs = append(recs, map[string]any{
			"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": o.region, "eventTime": at,
			"eventName": "ObjectCreated:Put",
			"s3": map[string]any{
				"s3SchemaVersion": "1.0", "configurationId": "lambda-connect-s3-source",
				"bucket": map[string]any{"name": o.bucket, "arn": "arn:aws:s3:::" + o.bucket},
				"object": map[string]any{"key": s3EventKey(k), "size": o.size, "eTag": sampleID("etag", i)[:32], "sequencer": sequencer(ts, i)},
			},
		})
	}
	notification := map[string]any{"Records": recs}
	if kind == eventS3Put {
		return notification
	}
	body := mustJSON(notification)
	if kind == eventSNSSQSS3 {
		body = mustJSON(map[string]any{
			"Type": "Notification", "MessageId": uuidLike("sns", body),
			"TopicArn": "arn:aws:sns:" + o.region + ":" + sampleAccount + ":s3-landing",
			"Subject":  "Amazon S3 Notification", "Message": body, "Timestamp": at,
		})
	}
	id := uuidLike("sqs", body)
	return map[string]any{"Records": []any{map[string]any{
		"messageId": id, "receiptHandle": "AQEB" + id, "body": body,
		"attributes": map[string]any{"ApproximateReceiveCount": "1", "SentTimestamp": fmt.Sprint(ts.UnixMilli()),
			"SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": fmt.Sprint(ts.UnixMilli())},
		"messageAttributes": map[string]any{}, "md5OfBody": sampleID(body, 0)[:32],
		"eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:" + o.region + ":" + sampleAccount + ":s3-landing",
		"awsRegion": o.region,
	}}}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings and numbers always marshal
	}
	return string(b)
}

// sampleID is a deterministic hex string derived from s and i.
func sampleID(s string, i int) string {
	h := md5.Sum(fmt.Appendf(nil, "%s/%d", s, i))
	return hex.EncodeToString(h[:]) + hex.EncodeToString(h[:])
}

// uuidLike is a deterministic UUID-shaped id derived from its arguments.
func uuidLike(parts ...string) string {
	h := sampleID(strings.Join(parts, "\x00"), 0)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// sequencer is an S3 sequencer: hex, growing with time and the record's index.
func sequencer(ts time.Time, i int) string {
	return strings.ToUpper(fmt.Sprintf("%016x", ts.UnixNano()+int64(i)))
}

// isS3EventKind reports whether kind is one of the S3 source's trigger shapes.
func isS3EventKind(kind string) bool { return slices.Contains(s3EventKinds, kind) }
