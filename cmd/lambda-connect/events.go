package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// The kinds of event events prints, as sam local generate-event names its services.
const (
	eventMSK         = "kafka-msk"
	eventSelfManaged = "kafka-self-managed"
)

// Defaults of a generated event.
const (
	sampleClusterARN = "arn:aws:kafka:us-east-1:123456789012:cluster/demo-cluster-1/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5"
	sampleMSKBrokers = "b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9098,b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9098"
	sampleSMBrokers  = "kafka-1.example.internal:9092,kafka-2.example.internal:9092"
)

const eventsDescription = `Prints a trigger event of Lambda's Kafka event-source mapping, as sam local generate-event
does, for tests and for 'sam local invoke -e'. KIND is kafka-msk ("eventSource": "aws:kafka",
with the cluster's ARN) or kafka-self-managed ("eventSource": "SelfManagedKafka").

The event holds --records records of --topic's partition --partition from --offset on, keys
and values base64-encoded as Lambda sends them. Values are sample JSON orders unless --value
gives one (the same for every record; --tombstone sends null values). --header adds a header
to every record.

KIND may also be one of the S3 source's triggers, as functions/s3-source receives them (the
samples in events/ have one of each): s3-put (an S3 event notification invoking the function),
sqs-s3 (an SQS batch of one message whose body is that notification), sns-sqs-s3 (the same,
through an SNS topic), eventbridge (an EventBridge "Object Created" event, one object) or
s3-test (the s3:TestEvent S3 sends when a notification configuration is saved). They are about
--object-key (repeatable; keys are URL-encoded as S3 encodes them) in --bucket, of --size bytes.`

// headerFlags collects repeated --header name=value flags.
type headerFlags []record.Header

func (h *headerFlags) String() string {
	var parts []string
	for _, x := range *h {
		parts = append(parts, x.Key+"="+string(x.Value))
	}
	return strings.Join(parts, ",")
}

func (h *headerFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return errors.New("want name=value")
	}
	*h = append(*h, record.Header{Key: name, Value: []byte(value)})
	return nil
}

// eventOptions are events' flags.
type eventOptions struct {
	kind      string
	topic     string
	partition int
	offset    int64
	records   int
	key       string
	value     string
	valueSet  bool
	tombstone bool
	headers   headerFlags
	bootstrap string
	arn       string
	timestamp string
	compact   bool
}

func (o *eventOptions) validate() []error {
	var errs []error
	if o.kind != eventMSK && o.kind != eventSelfManaged {
		errs = append(errs, fmt.Errorf("event kind %q: want %s or %s (Kafka), or %s (S3 source)", o.kind, eventMSK, eventSelfManaged, strings.Join(s3EventKinds, ", ")))
	}
	if o.topic == "" {
		errs = append(errs, errors.New("--topic is empty"))
	}
	if o.partition < 0 || o.partition > 1<<31-1 {
		errs = append(errs, fmt.Errorf("--partition %d: want 0 or more", o.partition))
	}
	if o.offset < 0 {
		errs = append(errs, fmt.Errorf("--offset %d: want 0 or more", o.offset))
	}
	if o.records < 1 || o.records > kafkaevent.MaxMaxRecords {
		errs = append(errs, fmt.Errorf("--records %d: want 1 to %d (the event-source mapping's largest batch)", o.records, kafkaevent.MaxMaxRecords))
	}
	if o.valueSet && o.tombstone {
		errs = append(errs, errors.New("--value and --tombstone: give one"))
	}
	if o.arn != "" && o.kind == eventSelfManaged {
		errs = append(errs, errors.New("--cluster-arn: a self-managed Kafka event has no ARN"))
	}
	if o.timestamp != "" {
		if _, err := time.Parse(time.RFC3339Nano, o.timestamp); err != nil {
			errs = append(errs, fmt.Errorf("--timestamp %q: want RFC 3339, e.g. 2024-06-10T12:00:00Z", o.timestamp))
		}
	}
	return errs
}

// event builds the event o describes; now is the default timestamp.
func (o *eventOptions) event(now time.Time) kafkaevent.Event {
	ev := kafkaevent.Event{Source: kafkaevent.SourceSelfManaged, BootstrapServers: o.bootstrap}
	if o.kind == eventMSK {
		ev.Source, ev.SourceARN = kafkaevent.SourceMSK, o.arn
		if ev.SourceARN == "" {
			ev.SourceARN = sampleClusterARN
		}
		if ev.BootstrapServers == "" {
			ev.BootstrapServers = sampleMSKBrokers
		}
	} else if ev.BootstrapServers == "" {
		ev.BootstrapServers = sampleSMBrokers
	}
	ts := now.Truncate(time.Second)
	if o.timestamp != "" {
		ts, _ = time.Parse(time.RFC3339Nano, o.timestamp)
	}
	for i := range o.records {
		n := o.offset + int64(i)
		r := record.Record{
			Topic: o.topic, Partition: int32(o.partition), Offset: n,
			Timestamp: ts.UnixMilli() + int64(i), TimestampType: record.CreateTime,
			Headers: o.headers,
		}
		switch {
		case o.key != "":
			r.Key = []byte(o.key)
		default:
			r.Key = fmt.Appendf(nil, "order-%d", 1000+n)
		}
		switch {
		case o.tombstone:
		case o.valueSet:
			r.Value = []byte(o.value)
		default:
			r.Value = fmt.Appendf(nil, `{"order_id":"o-%05d","customer":"customer-%d","amount":%d.%02d,"currency":"EUR"}`,
				1000+n, n%11, 5+(n*37)%200, (n*13)%100)
		}
		ev.Records = append(ev.Records, r)
	}
	return ev
}

func runEvents(ctx context.Context, e *env, args []string) int {
	o := eventOptions{}
	fs := newFlagSet("events", "KIND", eventsDescription, e)
	fs.StringVar(&o.topic, "topic", "orders", "the records' topic")
	fs.IntVar(&o.partition, "partition", 0, "the records' partition")
	fs.Int64Var(&o.offset, "offset", 0, "the first record's offset (the others follow)")
	fs.IntVar(&o.records, "records", 3, "how many records")
	fs.StringVar(&o.key, "key", "", "every record's key (default: order-<1000+offset>)")
	fs.Func("value", "every record's value (default: a sample JSON order)", func(s string) error { o.value, o.valueSet = s, true; return nil })
	fs.BoolVar(&o.tombstone, "tombstone", false, "null values (tombstones)")
	fs.Var(&o.headers, "header", "a header name=value on every record (repeatable)")
	fs.StringVar(&o.bootstrap, "bootstrap-servers", "", "the event's bootstrapServers (default: sample brokers)")
	fs.StringVar(&o.arn, "cluster-arn", "", "kafka-msk: the event's eventSourceArn (default: a sample cluster)")
	fs.StringVar(&o.timestamp, "timestamp", "", "the first record's timestamp, RFC 3339 (default: now; the others 1 ms apart)")
	fs.BoolVar(&o.compact, "compact", false, "print the event on one line, as Lambda sends it")
	var so s3EventOptions
	fs.StringVar(&so.bucket, "bucket", sampleBucket, "S3 kinds: the object's bucket")
	fs.Var(&so.keys, "object-key", "S3 kinds: an object key, as stored (repeatable; default "+sampleKey+")")
	fs.Int64Var(&so.size, "size", 1024, "S3 kinds: the objects' size in bytes")
	fs.StringVar(&so.region, "region", sampleRegion, "S3 kinds: the event's region")
	// The kind may come before or after the flags.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		o.kind, args = args[0], args[1:]
	}
	if code, done := parse(fs, args, e); done {
		return code
	}
	rest := fs.Args()
	if o.kind == "" && len(rest) > 0 {
		o.kind, rest = rest[0], rest[1:]
	}
	if o.kind == "" {
		return usageErr(e, "events", fmt.Errorf("no event kind given: want %s or %s (Kafka), or %s (S3 source)", eventMSK, eventSelfManaged, strings.Join(s3EventKinds, ", ")))
	}
	var errs []error
	if len(rest) > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", rest))
	}
	// Flags of the other family of kinds are a mistake, not to be ignored silently.
	s3Flags := map[string]bool{"bucket": true, "object-key": true, "size": true, "region": true}
	isS3 := isS3EventKind(o.kind)
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "compact" && s3Flags[f.Name] != isS3 {
			errs = append(errs, fmt.Errorf("--%s does not apply to %s events", f.Name, o.kind))
		}
	})
	if isS3 {
		errs = append(errs, so.validate(o.kind)...)
	} else {
		errs = append(errs, o.validate()...)
	}
	if len(errs) > 0 {
		return usageErr(e, "events", errs...)
	}
	var payload []byte
	if isS3 {
		payload = []byte(mustJSON(so.s3Event(o.kind, time.Now())))
	} else {
		payload = kafkaevent.Encode(o.event(time.Now()))
	}
	if !o.compact {
		var b bytes.Buffer
		if err := json.Indent(&b, payload, "", "  "); err != nil {
			return failed(e, "events", err, "")
		}
		payload = b.Bytes()
	}
	if _, err := fmt.Fprintf(e.stdout, "%s\n", payload); err != nil {
		return failed(e, "events", err, "")
	}
	return exitOK
}
