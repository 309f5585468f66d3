package dlq

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// SQSAPI is the part of the SQS client the SQS destination uses.
type SQSAPI interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// The message attributes of an SQS dead letter. SQS allows ten per message; these are they:
// Connect's context headers a consumer filters or routes on, the error's class, the key, how the
// body is encoded, and a JSON document (AttrSQSContext, an SQSContext) with the rest.
const (
	// HeaderTopic, HeaderPartition (Number), HeaderOffset (Number), HeaderStage, HeaderExClass and
	// HeaderExMessage are attributes under Connect's own names; an empty value is left out.

	// AttrSQSErrorClass is the error's class: retriable, bad_record, bad_config or unknown.
	AttrSQSErrorClass = "lambdaconnect.error.class"
	// AttrSQSKey is the record's key, a Binary attribute (base64 on the wire); absent for a null
	// or empty key (SQSContext.KeyNull tells them apart).
	AttrSQSKey = "lambdaconnect.key"
	// AttrSQSEncoding says what the body holds: EncodingText (the value, valid UTF-8 that SQS
	// accepts), EncodingBase64 (the value in standard base64), EncodingNull (a null value,
	// tombstone; the body is "null") or EncodingEmpty (an empty value; the body is "empty").
	AttrSQSEncoding = "lambdaconnect.value.encoding"
	// AttrSQSContext is an SQSContext in JSON.
	AttrSQSContext = "lambdaconnect.context"
)

// The values of AttrSQSEncoding.
const (
	EncodingText   = "text"
	EncodingBase64 = "base64"
	EncodingNull   = "null"
	EncodingEmpty  = "empty"
)

// SQSContext is the JSON of the AttrSQSContext attribute: what does not fit in the ten attributes.
type SQSContext struct {
	Timestamp     int64      `json:"timestamp"`
	TimestampType string     `json:"timestampType"`
	KeyNull       bool       `json:"keyNull"`
	Headers       []S3Header `json:"headers"` // the record's original headers, values base64
	// Errors holds the __connect.errors.* headers not carried as attributes (connector name,
	// task ID, class name).
	Errors map[string]string `json:"errors"`
}

// SQSMaxMessageSize is the default size limit of one message and of one SendMessageBatch
// request: 256 KiB, the limit of every SQS queue whatever its MaximumMessageSize.
const SQSMaxMessageSize = 262144

// SQSConfig configures an SQS destination (errors.deadletterqueue.sqs.queue.url).
type SQSConfig struct {
	Client   SQSAPI
	QueueURL string
	// MaxMessageSize bounds a message (body and attributes) and a batch request; default
	// SQSMaxMessageSize.
	MaxMessageSize int
	// Attempts is how many times an entry that failed for SQS's own fault is sent (default 5),
	// RetryDelay the wait before the first retry (default 100ms), doubled each time.
	Attempts   int
	RetryDelay time.Duration
}

// SQS sends each dead letter as one message of a queue, ten per SendMessageBatch request. The
// body is the record's value: as is when it is text SQS accepts (valid UTF-8 without control
// characters other than tab, CR and LF), otherwise base64; AttrSQSEncoding says which. The
// attributes carry the record's coordinates, the key and the reason (see AttrSQSKey and the
// others).
//
// A letter larger than MaxMessageSize once encoded is not sent: Send fails with a configuration
// error naming the record and its size (a queue cannot hold it; the S3 destination can).
// Entries SQS fails on its side are retried; a standard queue may then hold a letter twice, which
// consumers tell apart by topic, partition and offset. On a FIFO queue (URL ending in .fifo)
// letters are grouped by topic-partition and deduplicated by connector and coordinates, so a
// retried batch within SQS's five-minute window stores each record once.
type SQS struct {
	cfg  SQSConfig
	fifo bool
}

// NewSQS validates cfg and returns the destination. It makes no network call.
func NewSQS(cfg SQSConfig) (*SQS, error) {
	if cfg.Client == nil || cfg.QueueURL == "" {
		return nil, errclass.Config(SettingSQSQueueURL, "an SQS dead-letter destination needs a queue URL and a client")
	}
	if u, err := url.Parse(cfg.QueueURL); err != nil || u.Scheme == "" || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return nil, errclass.Config(SettingSQSQueueURL, "%q is not a queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>)", cfg.QueueURL)
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = SQSMaxMessageSize
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 5
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = 100 * time.Millisecond
	}
	return &SQS{cfg: cfg, fifo: strings.HasSuffix(cfg.QueueURL, ".fifo")}, nil
}

// sqsEntry is one encoded letter.
type sqsEntry struct {
	l     Letter
	entry types.SendMessageBatchRequestEntry
	size  int
}

// Send sends every letter and returns when SQS stored all of them.
func (d *SQS) Send(ctx context.Context, letters []Letter) error {
	var batch []sqsEntry
	size := 0
	for _, l := range letters {
		e := d.encode(l)
		if e.size > d.cfg.MaxMessageSize {
			return errclass.Config(subject(l), "%d bytes as an SQS message (body and attributes), over the %d-byte limit of %s: a queue cannot hold this record; use %s for records this large",
				e.size, d.cfg.MaxMessageSize, SettingSQSQueueURL, SettingS3Bucket)
		}
		if len(batch) == 10 || size+e.size > d.cfg.MaxMessageSize {
			if err := d.sendBatch(ctx, batch); err != nil {
				return err
			}
			batch, size = batch[:0], 0
		}
		batch = append(batch, e)
		size += e.size
	}
	if len(batch) > 0 {
		return d.sendBatch(ctx, batch)
	}
	return nil
}

// sendBatch sends up to ten entries, retrying those SQS failed on its side.
func (d *SQS) sendBatch(ctx context.Context, batch []sqsEntry) error {
	pending := map[string]sqsEntry{}
	for i := range batch {
		id := strconv.Itoa(i)
		batch[i].entry.Id = aws.String(id)
		pending[id] = batch[i]
	}
	delay := d.cfg.RetryDelay
	var last error
	for attempt := 1; ; attempt++ {
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(d.cfg.QueueURL)}
		for _, e := range batch {
			if _, ok := pending[aws.ToString(e.entry.Id)]; ok {
				in.Entries = append(in.Entries, e.entry)
			}
		}
		out, err := d.cfg.Client.SendMessageBatch(ctx, in)
		if err != nil {
			return d.callError(batch, err)
		}
		for _, s := range out.Successful {
			delete(pending, aws.ToString(s.Id))
		}
		for _, f := range out.Failed {
			e, ok := pending[aws.ToString(f.Id)]
			if !ok {
				continue
			}
			last = fmt.Errorf("queue %s: %s: %s", d.cfg.QueueURL, aws.ToString(f.Code), aws.ToString(f.Message))
			if f.SenderFault {
				// The message was refused as it is: sending it again cannot help.
				return errclass.New(errclass.BadConfig, subject(e.l), last)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		if attempt == d.cfg.Attempts {
			for _, e := range batch {
				if _, ok := pending[aws.ToString(e.entry.Id)]; ok {
					return errclass.New(errclass.Retriable, subject(e.l),
						fmt.Errorf("%d of %d letters still failing after %d attempts: %w", len(pending), len(batch), attempt, last))
				}
			}
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return errclass.New(errclass.Retriable, "dead-letter queue "+d.cfg.QueueURL, fmt.Errorf("%d letters not sent: %w", len(pending), ctx.Err()))
		case <-t.C:
		}
		delay *= 2
	}
}

// callError classifies a failed SendMessageBatch request: a missing queue or a refused request is
// a configuration error, anything else (throttling, time-outs, SQS's faults) retriable.
func (d *SQS) callError(batch []sqsEntry, err error) error {
	subj := fmt.Sprintf("%s (%d letters from %s)", SettingSQSQueueURL, len(batch), batch[0].l.Record.Coordinates())
	err = fmt.Errorf("sending to %s: %w", d.cfg.QueueURL, err)
	var noQueue *types.QueueDoesNotExist
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &noQueue):
		return errclass.New(errclass.BadConfig, subj, err)
	case errors.As(err, &apiErr) && apiErr.ErrorFault() == smithy.FaultClient && !strings.Contains(apiErr.ErrorCode(), "Throttl") &&
		apiErr.ErrorCode() != "RequestThrottled":
		return errclass.New(errclass.BadConfig, subj, err)
	}
	return errclass.New(errclass.Retriable, subj, err)
}

// encode makes the message of a letter and measures it as SQS does (body, and each attribute's
// name, type and value).
func (d *SQS) encode(l Letter) sqsEntry {
	r := l.Record
	body, enc := sqsBody(r.Value)
	attrs := map[string]types.MessageAttributeValue{}
	size := len(body)
	put := func(name, typ, v string) {
		if v = sqsText(v); v != "" {
			attrs[name] = types.MessageAttributeValue{DataType: aws.String(typ), StringValue: aws.String(v)}
			size += len(name) + len(typ) + len(v)
		}
	}
	ctxDoc := SQSContext{Timestamp: r.Timestamp, TimestampType: r.TimestampType.String(), KeyNull: r.Key == nil,
		Headers: []S3Header{}, Errors: map[string]string{}}
	for _, h := range r.Headers {
		ctxDoc.Headers = append(ctxDoc.Headers, S3Header{Key: h.Key, Value: h.Value})
	}
	for _, h := range ContextHeaders(l) {
		switch h.Key {
		case HeaderTopic, HeaderStage, HeaderExClass, HeaderExMessage:
			put(h.Key, "String", string(h.Value))
		case HeaderPartition, HeaderOffset:
			put(h.Key, "Number", string(h.Value))
		case HeaderExStackText:
			// The same text as the exception message.
		default:
			ctxDoc.Errors[h.Key] = string(h.Value)
		}
	}
	put(AttrSQSErrorClass, "String", errclass.Of(l.Err).String())
	put(AttrSQSEncoding, "String", enc)
	if len(r.Key) > 0 {
		attrs[AttrSQSKey] = types.MessageAttributeValue{DataType: aws.String("Binary"), BinaryValue: r.Key}
		size += len(AttrSQSKey) + len("Binary") + len(r.Key)
	}
	doc, _ := json.Marshal(ctxDoc) // strings, numbers and []byte: cannot fail
	put(AttrSQSContext, "String", string(doc))
	e := sqsEntry{l: l, size: size, entry: types.SendMessageBatchRequestEntry{MessageBody: aws.String(body), MessageAttributes: attrs}}
	if d.fifo {
		group := r.Topic + "-" + strconv.FormatInt(int64(r.Partition), 10)
		sum := sha256.Sum256([]byte(l.Connector + "\x00" + r.Coordinates()))
		e.entry.MessageGroupId = aws.String(sqsText(group))
		e.entry.MessageDeduplicationId = aws.String(hex.EncodeToString(sum[:]))
	}
	return e
}

// sqsBody returns the body of a value and its encoding.
func sqsBody(v []byte) (string, string) {
	switch {
	case v == nil:
		return "null", EncodingNull
	case len(v) == 0:
		return "empty", EncodingEmpty
	case sqsValidText(v):
		return string(v), EncodingText
	}
	return base64.StdEncoding.EncodeToString(v), EncodingBase64
}

// sqsAllowed reports whether SQS accepts r in a body or a String attribute: #x9 | #xA | #xD |
// #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
func sqsAllowed(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

func sqsValidText(v []byte) bool {
	for len(v) > 0 {
		r, n := utf8.DecodeRune(v)
		if (r == utf8.RuneError && n <= 1) || !sqsAllowed(r) {
			return false
		}
		v = v[n:]
	}
	return true
}

// sqsText replaces what SQS refuses in a String attribute (invalid UTF-8, control characters)
// with U+FFFD: attributes are for reading; the original bytes are in the body and the key.
func sqsText(s string) string {
	if sqsValidText([]byte(s)) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if sqsAllowed(r) {
			return r
		}
		return '\uFFFD'
	}, s)
}

// ParseSQSLetter decodes a dead letter received from the queue (its body and message attributes,
// received with MessageAttributeNames All) into the document the S3 destination writes: the
// original key, value and headers, and Connect's error context.
func ParseSQSLetter(body string, attrs map[string]types.MessageAttributeValue) (S3Letter, error) {
	str := func(name string) string { return aws.ToString(attrs[name].StringValue) }
	var l S3Letter
	var c SQSContext
	if err := json.Unmarshal([]byte(str(AttrSQSContext)), &c); err != nil {
		return l, errclass.New(errclass.BadRecord, "SQS dead letter", fmt.Errorf("attribute %s: %w", AttrSQSContext, err))
	}
	l.Topic, l.Timestamp, l.TimestampType, l.Headers, l.Errors = str(HeaderTopic), c.Timestamp, c.TimestampType, c.Headers, c.Errors
	if l.Errors == nil {
		l.Errors = map[string]string{}
	}
	p, perr := strconv.ParseInt(str(HeaderPartition), 10, 32)
	o, oerr := strconv.ParseInt(str(HeaderOffset), 10, 64)
	if perr != nil || oerr != nil {
		return l, errclass.Record("SQS dead letter", "attributes %s=%q and %s=%q are not numbers", HeaderPartition, str(HeaderPartition), HeaderOffset, str(HeaderOffset))
	}
	l.Partition, l.Offset = int32(p), o
	for _, k := range []string{HeaderTopic, HeaderPartition, HeaderOffset, HeaderStage, HeaderExClass, HeaderExMessage} {
		l.Errors[k] = str(k)
	}
	l.Errors[HeaderExStackText] = l.Errors[HeaderExMessage]
	if !c.KeyNull {
		l.Key = append([]byte{}, attrs[AttrSQSKey].BinaryValue...)
	}
	switch enc := str(AttrSQSEncoding); enc {
	case EncodingText:
		l.Value = []byte(body)
	case EncodingBase64:
		v, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return l, errclass.New(errclass.BadRecord, "SQS dead letter "+record.Record{Topic: l.Topic, Partition: l.Partition, Offset: l.Offset}.Coordinates(), fmt.Errorf("base64 body: %w", err))
		}
		l.Value = v
	case EncodingEmpty:
		l.Value = []byte{}
	case EncodingNull:
	default:
		return l, errclass.Record("SQS dead letter", "attribute %s=%q: want text, base64, null or empty", AttrSQSEncoding, enc)
	}
	return l, nil
}
