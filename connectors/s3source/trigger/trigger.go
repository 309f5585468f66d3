// Package trigger decodes the events that invoke the S3 source function: S3 event notifications
// delivered directly, wrapped in SQS messages (several S3 events per message), SNS notifications
// in SQS messages, and EventBridge "Object Created" events, directly or through SQS.
//
// Object keys arrive URL-encoded ("+" for a space, "%2B" for "+"): Decode decodes them exactly
// once, so Object.Key is the key as S3 stores it. s3:TestEvent messages and events other than
// object creation are returned as notices to acknowledge, never as errors. Sequencers order the
// events of one key (CompareSequencers).
//
// The package imports no AWS SDK and no Kafka client.
package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// Shape is the shape of an invocation's payload.
type Shape string

// The shapes Decode recognises.
const (
	ShapeS3          Shape = "s3"          // an S3 event notification invoking the function directly
	ShapeSQS         Shape = "sqs"         // an SQS batch (S3, SNS-wrapped S3 or EventBridge bodies)
	ShapeEventBridge Shape = "eventbridge" // an EventBridge event invoking the function directly
	ShapeSNS         Shape = "sns"         // an SNS notification invoking the function directly
)

// Kind says what a notice asks for.
type Kind int

const (
	// Created is an object creation: the object is to be read.
	Created Kind = iota
	// Test is S3's s3:TestEvent, sent when a notification configuration is saved.
	Test
	// Other is any other event (a deletion, a restore, a tagging change): acknowledged and logged.
	Other
)

func (k Kind) String() string {
	switch k {
	case Created:
		return "created"
	case Test:
		return "test"
	default:
		return "other"
	}
}

// Object is the object an event is about.
type Object struct {
	Bucket    string
	Key       string // decoded: the key as S3 stores it
	RawKey    string // as the event spelled it
	VersionID string // "" for an unversioned bucket
	ETag      string // without quotes
	Size      int64
	Sequencer string
}

// String names the object as s3://bucket/key (with ?versionId= when it has one).
func (o Object) String() string {
	s := "s3://" + o.Bucket + "/" + o.Key
	if o.VersionID != "" {
		s += "?versionId=" + o.VersionID
	}
	return s
}

// Notice is one event about one object.
type Notice struct {
	Kind      Kind
	EventName string // "ObjectCreated:Put", "s3:TestEvent", "Object Created", ...
	EventTime time.Time
	Object    Object
	// Via lists the envelopes the event came through, outermost first ("sqs", "sns").
	Via []string
}

// Message is one unit of acknowledgement: an SQS message (ID is its messageId), or the whole
// payload of a direct invocation (ID is "").
type Message struct {
	ID      string
	Notices []Notice
	// Err is set when the message could not be decoded (an errclass.BadRecord error naming the
	// message); its notices are then empty.
	Err error
}

// Batch is a decoded invocation payload.
type Batch struct {
	Shape    Shape
	Messages []Message
}

// Response is the reply to an SQS invocation with ReportBatchItemFailures: the messages to
// redeliver. Its JSON is Lambda's {"batchItemFailures":[{"itemIdentifier":"..."}]}.
type Response struct {
	BatchItemFailures []ItemFailure `json:"batchItemFailures"`
}

// ItemFailure names one failed SQS message.
type ItemFailure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

// envelope holds the top-level members of every payload shape Decode recognises.
type envelope struct {
	Records    []json.RawMessage `json:"Records"`
	DetailType string            `json:"detail-type"`
	Source     string            `json:"source"`
	Time       string            `json:"time"`
	Detail     json.RawMessage   `json:"detail"`
	Event      string            `json:"Event"`   // s3:TestEvent
	Service    string            `json:"Service"` // "Amazon S3" in a test event
	Bucket     string            `json:"Bucket"`  // test event
	EventTime  string            `json:"Time"`    // test event
	Type       string            `json:"Type"`    // SNS: "Notification"
	Message    *string           `json:"Message"` // SNS: the wrapped payload, as a string
}

type recordHead struct {
	EventSource  string `json:"eventSource"`
	EventSource2 string `json:"EventSource"` // SNS records spell it with a capital E
}

type sqsRecord struct {
	MessageID string `json:"messageId"`
	Body      string `json:"body"`
}

type snsRecord struct {
	Sns struct {
		Message string `json:"Message"`
	} `json:"Sns"`
}

type s3Record struct {
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	EventTime   string `json:"eventTime"`
	S3          struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string      `json:"key"`
			Size      json.Number `json:"size"`
			ETag      string      `json:"eTag"`
			VersionID string      `json:"versionId"`
			Sequencer string      `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

type ebDetail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string      `json:"key"`
		Size      json.Number `json:"size"`
		ETag      string      `json:"etag"`
		VersionID string      `json:"version-id"`
		Sequencer string      `json:"sequencer"`
	} `json:"object"`
	Reason string `json:"reason"`
}

// ErrUnknownShape is wrapped by Decode's error for a payload of no known shape.
var ErrUnknownShape = errors.New("not an S3, SQS, SNS or EventBridge event")

// Decode decodes an invocation payload. An SQS message that cannot be decoded does not fail the
// batch: its Message carries Err, for the handler to report it in batchItemFailures. Decode fails
// (with an errclass.BadRecord error) only when the payload as a whole has no known shape.
func Decode(payload []byte) (Batch, error) {
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return Batch{}, errclass.Record("event", "decoding the invocation payload: %w", err)
	}
	if len(env.Records) > 0 {
		var head recordHead
		if err := json.Unmarshal(env.Records[0], &head); err != nil {
			return Batch{}, errclass.Record("event", "decoding Records[0]: %w", err)
		}
		switch src := head.EventSource + head.EventSource2; src {
		case "aws:sqs":
			return decodeSQS(env.Records), nil
		case "aws:s3":
			ns, err := decodeS3Records(env.Records, nil)
			if err != nil {
				return Batch{}, err
			}
			return Batch{Shape: ShapeS3, Messages: []Message{{Notices: ns}}}, nil
		case "aws:sns":
			var all []Notice
			for i, raw := range env.Records {
				var r snsRecord
				if err := json.Unmarshal(raw, &r); err != nil {
					return Batch{}, errclass.Record(fmt.Sprintf("event Records[%d]", i), "decoding an SNS record: %w", err)
				}
				ns, err := decodeBody([]byte(r.Sns.Message), []string{"sns"})
				if err != nil {
					return Batch{}, err
				}
				all = append(all, ns...)
			}
			return Batch{Shape: ShapeSNS, Messages: []Message{{Notices: all}}}, nil
		default:
			return Batch{}, errclass.Record("event", "%w: Records[0].eventSource is %q", ErrUnknownShape, src)
		}
	}
	ns, err := decodeEnvelope(&env, nil)
	if err != nil {
		return Batch{}, err
	}
	shape := ShapeEventBridge
	if len(ns) == 1 && ns[0].Kind == Test {
		shape = ShapeS3
	}
	return Batch{Shape: shape, Messages: []Message{{Notices: ns}}}, nil
}

func decodeSQS(records []json.RawMessage) Batch {
	b := Batch{Shape: ShapeSQS, Messages: make([]Message, 0, len(records))}
	for i, raw := range records {
		var r sqsRecord
		if err := json.Unmarshal(raw, &r); err != nil || r.MessageID == "" {
			if err == nil {
				err = errors.New("no messageId")
			}
			// Without an ID the message cannot be reported; it is named by position.
			b.Messages = append(b.Messages, Message{ID: r.MessageID, Err: errclass.Record(fmt.Sprintf("SQS record %d", i), "%w", err)})
			continue
		}
		ns, err := decodeBody([]byte(r.Body), []string{"sqs"})
		if err != nil {
			err = errclass.New(errclass.BadRecord, "SQS message "+r.MessageID, err)
		}
		b.Messages = append(b.Messages, Message{ID: r.MessageID, Notices: ns, Err: err})
	}
	return b
}

// decodeBody decodes the body of an SQS message or an SNS notification: an S3 event, an SNS
// envelope around one, an EventBridge event, or a test event.
func decodeBody(body []byte, via []string) ([]Notice, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, errclass.Record("message body", "not JSON: %w", err)
	}
	if len(env.Records) > 0 {
		return decodeS3Records(env.Records, via)
	}
	return decodeEnvelope(&env, via)
}

func decodeEnvelope(env *envelope, via []string) ([]Notice, error) {
	switch {
	case env.Type == "Notification" && env.Message != nil:
		return decodeBody([]byte(*env.Message), append(via, "sns"))
	case env.Event == "s3:TestEvent":
		t, _ := time.Parse(time.RFC3339Nano, env.EventTime)
		return []Notice{{Kind: Test, EventName: env.Event, EventTime: t, Object: Object{Bucket: env.Bucket}, Via: via}}, nil
	case env.Source == "aws.s3" && len(env.Detail) > 0:
		return decodeEventBridge(env, via)
	case len(env.Records) == 0 && bytes.Equal(bytes.TrimSpace(env.Detail), nil) && env.Type == "" && env.Event == "" && env.Source == "":
		return nil, errclass.Record("event", "%w (no Records, detail, Event or Message member)", ErrUnknownShape)
	default:
		return nil, errclass.Record("event", "%w (source %q, detail-type %q, Type %q, Event %q)", ErrUnknownShape, env.Source, env.DetailType, env.Type, env.Event)
	}
}

func decodeS3Records(records []json.RawMessage, via []string) ([]Notice, error) {
	ns := make([]Notice, 0, len(records))
	for i, raw := range records {
		var r s3Record
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, errclass.Record(fmt.Sprintf("S3 record %d", i), "%w", err)
		}
		if r.EventSource != "aws:s3" {
			return nil, errclass.Record(fmt.Sprintf("S3 record %d", i), "eventSource is %q, want aws:s3", r.EventSource)
		}
		o := r.S3.Object
		key, err := DecodeKey(o.Key)
		if err != nil {
			return nil, errclass.New(errclass.BadRecord, fmt.Sprintf("S3 record %d", i), err)
		}
		size, _ := strconv.ParseInt(o.Size.String(), 10, 64)
		t, _ := time.Parse(time.RFC3339Nano, r.EventTime)
		kind := Other
		if strings.HasPrefix(r.EventName, "ObjectCreated:") {
			kind = Created
		}
		ns = append(ns, Notice{Kind: kind, EventName: r.EventName, EventTime: t, Via: via, Object: Object{
			Bucket: r.S3.Bucket.Name, Key: key, RawKey: o.Key, VersionID: o.VersionID,
			ETag: strings.Trim(o.ETag, `"`), Size: size, Sequencer: o.Sequencer,
		}})
	}
	return ns, nil
}

func decodeEventBridge(env *envelope, via []string) ([]Notice, error) {
	var d ebDetail
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return nil, errclass.Record("EventBridge event", "decoding detail: %w", err)
	}
	key, err := DecodeKey(d.Object.Key)
	if err != nil {
		return nil, errclass.New(errclass.BadRecord, "EventBridge event", err)
	}
	size, _ := strconv.ParseInt(d.Object.Size.String(), 10, 64)
	t, _ := time.Parse(time.RFC3339Nano, env.Time)
	kind := Other
	if env.DetailType == "Object Created" {
		kind = Created
	}
	return []Notice{{Kind: kind, EventName: env.DetailType, EventTime: t, Via: via, Object: Object{
		Bucket: d.Bucket.Name, Key: key, RawKey: d.Object.Key, VersionID: d.Object.VersionID,
		ETag: strings.Trim(d.Object.ETag, `"`), Size: size, Sequencer: d.Object.Sequencer,
	}}}, nil
}

// DecodeKey decodes an object key as S3 event notifications encode it (form encoding: "+" is a
// space, "%2B" a plus). It is applied exactly once: a decoded key is never decoded again.
func DecodeKey(raw string) (string, error) {
	k, err := url.QueryUnescape(raw)
	if err != nil {
		return "", fmt.Errorf("object key %q is not URL-encoded as S3 events encode keys: %w", raw, err)
	}
	return k, nil
}

// CompareSequencers compares two sequencers of events on the same key, as S3 documents it: the
// shorter is right-padded with zeros, then the two are compared as hexadecimal strings (case
// ignored). It returns -1 when a is older than b, 0 when equal, +1 when newer. An empty sequencer
// (events that carry none) is older than any other.
func CompareSequencers(a, b string) int {
	n := max(len(a), len(b))
	return strings.Compare(padSequencer(a, n), padSequencer(b, n))
}

// NormalizeSequencer returns s upper-cased and right-padded with zeros to width characters (s
// unchanged in length when longer), so that normalised sequencers compare as plain strings, as
// DynamoDB compares them.
func NormalizeSequencer(s string, width int) string { return padSequencer(s, max(width, len(s))) }

func padSequencer(s string, n int) string {
	s = strings.ToUpper(s)
	if len(s) < n {
		s += strings.Repeat("0", n-len(s))
	}
	return s
}
