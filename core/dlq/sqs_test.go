package dlq_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/sqslocal"
)

// sqsQueue starts a server with a queue; attrs are the queue's attributes.
func sqsQueue(t *testing.T, name string, attrs map[string]string) (*sqslocal.Server, *sqs.Client, string) {
	t.Helper()
	ctx := context.Background()
	s := sqslocal.StartForTest(t)
	c, err := sqslocal.Client(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name, Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, aws.ToString(out.QueueUrl)
}

// drain receives every message of the queue and deletes it.
func drain(t *testing.T, c *sqs.Client, url string) []types.Message {
	t.Helper()
	ctx := context.Background()
	var all []types.Message
	for {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"}, VisibilityTimeout: 60})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		for _, m := range out.Messages {
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
		all = append(all, out.Messages...)
	}
}

func attr(m types.Message, name string) string {
	return aws.ToString(m.MessageAttributes[name].StringValue)
}

// Each letter arrives as one message: the value as the body (base64 when it is not text), the
// coordinates, reason and key as attributes, and it decodes back to the record as it came.
func TestSQSLettersArrive(t *testing.T) {
	ctx := context.Background()
	_, c, url := sqsQueue(t, "dead-letters", nil)
	d, err := dlq.NewSQS(dlq.SQSConfig{Client: c, QueueURL: url})
	if err != nil {
		t.Fatal(err)
	}
	text := letter(8)
	text.Record.Value = []byte(`{"id": 8, "name": "ünï"}`)
	tomb := letter(9)
	tomb.Record.Value, tomb.Record.Key = nil, nil
	empty := letter(10)
	empty.Record.Value, empty.Record.Key = []byte{}, []byte{}
	ctrl := letter(11)
	ctrl.Record.Value = []byte("tab\tok but bell \x07 not")
	ctrl.Err = errclass.New(errclass.Retriable, "record", errors.New("bad \xff byte\x00"))
	ctrl.Stage = dlq.StageTask
	want := map[int64]struct {
		body, enc string
	}{
		7:  {"/3t4", dlq.EncodingBase64},
		8:  {`{"id": 8, "name": "ünï"}`, dlq.EncodingText},
		9:  {"null", dlq.EncodingNull},
		10: {"empty", dlq.EncodingEmpty},
		11: {"dGFiCW9rIGJ1dCBiZWxsIAcgbm90", dlq.EncodingBase64},
	}
	if err := d.Send(ctx, []dlq.Letter{letter(7), text, tomb, empty, ctrl}); err != nil {
		t.Fatal(err)
	}
	msgs := drain(t, c, url)
	if len(msgs) != 5 {
		t.Fatalf("%d messages for 5 letters", len(msgs))
	}
	byOffset := map[int64]dlq.Letter{7: letter(7), 8: text, 9: tomb, 10: empty, 11: ctrl}
	for _, m := range msgs {
		if len(m.MessageAttributes) > 10 {
			t.Errorf("%d attributes: SQS allows 10", len(m.MessageAttributes))
		}
		got, err := dlq.ParseSQSLetter(aws.ToString(m.Body), m.MessageAttributes)
		if err != nil {
			t.Fatal(err)
		}
		l, ok := byOffset[got.Offset]
		if !ok {
			t.Fatalf("letter of offset %d", got.Offset)
		}
		w := want[got.Offset]
		if aws.ToString(m.Body) != w.body || attr(m, dlq.AttrSQSEncoding) != w.enc {
			t.Errorf("offset %d: body %q (%s), want %q (%s)", got.Offset, aws.ToString(m.Body), attr(m, dlq.AttrSQSEncoding), w.body, w.enc)
		}
		if attr(m, dlq.HeaderTopic) != "orders.eu-1" || attr(m, dlq.HeaderPartition) != "3" || attr(m, dlq.HeaderOffset) != fmt.Sprint(got.Offset) ||
			aws.ToString(m.MessageAttributes[dlq.HeaderOffset].DataType) != "Number" || attr(m, dlq.HeaderStage) != string(l.Stage) {
			t.Errorf("offset %d: coordinate attributes %v", got.Offset, m.MessageAttributes)
		}
		if attr(m, dlq.AttrSQSErrorClass) != errclass.Of(l.Err).String() || attr(m, dlq.HeaderExClass) == "" {
			t.Errorf("offset %d: error class %q, exception class %q", got.Offset, attr(m, dlq.AttrSQSErrorClass), attr(m, dlq.HeaderExClass))
		}
		if !bytes.Equal(got.Value, l.Record.Value) || (got.Value == nil) != (l.Record.Value == nil) {
			t.Errorf("offset %d: value %q, want %q", got.Offset, got.Value, l.Record.Value)
		}
		if !bytes.Equal(got.Key, l.Record.Key) || (got.Key == nil) != (l.Record.Key == nil) {
			t.Errorf("offset %d: key %q, want %q", got.Offset, got.Key, l.Record.Key)
		}
		if len(got.Headers) != 1 || got.Headers[0].Key != "trace" || !bytes.Equal(got.Headers[0].Value, []byte{0x80}) ||
			got.Timestamp != 1700000000000 || got.TimestampType != record.CreateTime.String() {
			t.Errorf("offset %d: headers %+v, timestamp %d %s", got.Offset, got.Headers, got.Timestamp, got.TimestampType)
		}
		// The same context as the S3 destination's letters.
		wantErrs := map[string]string{}
		for _, h := range dlq.ContextHeaders(l) {
			wantErrs[h.Key] = string(h.Value)
		}
		if got.Offset == 11 {
			// Attributes are text SQS accepts: what it refuses is replaced.
			wantErrs[dlq.HeaderExMessage] = "record: bad \uFFFD byte\uFFFD"
			wantErrs[dlq.HeaderExStackText] = wantErrs[dlq.HeaderExMessage]
		}
		if !reflect.DeepEqual(got.Errors, wantErrs) {
			t.Errorf("offset %d: errors\n%v, want\n%v", got.Offset, got.Errors, wantErrs)
		}
	}
}

func letters(n int, size int) []dlq.Letter {
	ls := make([]dlq.Letter, n)
	for i := range ls {
		ls[i] = letter(int64(i))
		ls[i].Record.Value = []byte(strings.Repeat("v", size))
	}
	return ls
}

// Letters go ten per request, and fewer when ten would pass the request size limit; entries SQS
// fails on its side are sent again.
func TestSQSBatchesAndRetries(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		n, size     int
		fail        int
		wantCalls   int
		wantEntries []int
	}{
		{"ten per call", 25, 10, 0, 3, []int{10, 10, 5}},
		{"bytes per call", 6, 100000, 0, 3, []int{2, 2, 2}},
		{"retried entries", 12, 10, 3, 3, []int{10, 3, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c, url := sqsQueue(t, "q", nil)
			s.FailEntries(tc.fail)
			spy := &sqsSpy{c: c}
			d, err := dlq.NewSQS(dlq.SQSConfig{Client: spy, QueueURL: url, RetryDelay: 1})
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Send(ctx, letters(tc.n, tc.size)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(spy.entries, tc.wantEntries) {
				t.Errorf("entries per call %v, want %v", spy.entries, tc.wantEntries)
			}
			seen := map[string]int{}
			for _, m := range drain(t, c, url) {
				seen[attr(m, dlq.HeaderOffset)]++
			}
			if len(seen) != tc.n {
				t.Errorf("%d distinct letters arrived, want %d", len(seen), tc.n)
			}
			for o, k := range seen {
				if k != 1 {
					t.Errorf("offset %s arrived %d times", o, k)
				}
			}
		})
	}
}

type sqsSpy struct {
	c       dlq.SQSAPI
	entries []int
}

func (s *sqsSpy) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	s.entries = append(s.entries, len(in.Entries))
	return s.c.SendMessageBatch(ctx, in, opts...)
}

func TestSQSErrors(t *testing.T) {
	ctx := context.Background()
	s, c, url := sqsQueue(t, "q", nil)

	d, _ := dlq.NewSQS(dlq.SQSConfig{Client: c, QueueURL: url, Attempts: 2, RetryDelay: 1})
	s.FailEntries(100)
	err := d.Send(ctx, letters(3, 1))
	if !errclass.Is(err, errclass.Retriable) || !strings.Contains(err.Error(), "dead letter orders.eu-1/3/0") || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Errorf("entries failing for good: %v", err)
	}
	s.FailEntries(0)

	err = d.Send(ctx, append(letters(1, 1), letters(1, dlq.SQSMaxMessageSize)...))
	if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), "dead letter orders.eu-1/3/0") ||
		!strings.Contains(err.Error(), dlq.SettingS3Bucket) {
		t.Errorf("oversized letter: %v", err)
	}
	if n := len(drain(t, c, url)); n != 0 {
		t.Errorf("%d letters sent before the oversized one was refused", n)
	}

	missing, _ := dlq.NewSQS(dlq.SQSConfig{Client: c, QueueURL: strings.Replace(url, "/q", "/nope", 1)})
	if err := missing.Send(ctx, letters(1, 1)); !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), dlq.SettingSQSQueueURL) {
		t.Errorf("missing queue: %v", err)
	}
	for _, cfg := range []dlq.SQSConfig{{QueueURL: url}, {Client: c}, {Client: c, QueueURL: "not a url"}} {
		if _, err := dlq.NewSQS(cfg); !errclass.Is(err, errclass.BadConfig) {
			t.Errorf("NewSQS(%+v): %v", cfg, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := d.Send(cctx, letters(1, 1)); !errclass.Is(err, errclass.Retriable) {
		t.Errorf("cancelled: %v", err)
	}
}

// On a FIFO queue a retried batch stores each letter once.
func TestSQSFIFODeduplicates(t *testing.T) {
	ctx := context.Background()
	_, c, url := sqsQueue(t, "dead-letters.fifo", map[string]string{"FifoQueue": "true"})
	d, err := dlq.NewSQS(dlq.SQSConfig{Client: c, QueueURL: url})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := d.Send(ctx, letters(3, 5)); err != nil {
			t.Fatal(err)
		}
	}
	if msgs := drain(t, c, url); len(msgs) != 3 {
		t.Errorf("%d messages for 3 letters sent twice", len(msgs))
	}
}

// Built from errors.deadletterqueue.sqs.queue.url, alone or with the others.
func TestBuiltinsSQS(t *testing.T) {
	ctx := context.Background()
	_, c, url := sqsQueue(t, "q", nil)
	calls := 0
	deps := dlq.BuiltinDeps{
		SQS:         func(context.Context) (dlq.SQSAPI, error) { calls++; return c, nil },
		NewProducer: func([]string) (dlq.Producer, error) { return &fakeProducer{}, nil },
	}
	d, err := dlq.Builtins(deps).Build(ctx, map[string]string{dlq.SettingSQSQueueURL: " " + url + " "})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.(*dlq.SQS); !ok || calls != 1 {
		t.Fatalf("destination %T, %d clients", d, calls)
	}
	if err := d.Send(ctx, []dlq.Letter{letter(7)}); err != nil {
		t.Fatal(err)
	}
	if n := len(drain(t, c, url)); n != 1 {
		t.Errorf("%d letters", n)
	}
	m, err := dlq.Builtins(deps).Build(ctx, map[string]string{dlq.SettingSQSQueueURL: url, dlq.SettingTopic: "dlq"})
	if err != nil {
		t.Fatal(err)
	}
	if multi, ok := m.(dlq.Multi); !ok || len(multi) != 2 {
		t.Errorf("topic and queue: %T", m)
	}
	if d, err := dlq.Builtins(deps).Build(ctx, map[string]string{dlq.SettingS3Prefix: "x"}); d != nil || err != nil || calls != 2 {
		t.Errorf("no queue URL: %v %v, %d clients", d, err, calls)
	}
	// Without a client of its own, the destination uses the SDK's configuration.
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	if d, err := dlq.Builtins(dlq.BuiltinDeps{}).Build(ctx, map[string]string{dlq.SettingSQSQueueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/q"}); err != nil || d == nil {
		t.Errorf("default client: %v", err)
	}
	if _, err := dlq.Builtins(dlq.BuiltinDeps{}).Build(ctx, map[string]string{dlq.SettingSQSQueueURL: "http://127.0.0.1:1/000000000000/q"}); !errclass.Is(err, errclass.BadConfig) {
		t.Errorf("no region anywhere: %v", err)
	}
}

// Whatever the key and value bytes, the letter decodes back to them.
func FuzzSQSLetterRoundTrip(f *testing.F) {
	f.Add([]byte("k"), []byte(`{"a":1}`))
	f.Add([]byte(nil), []byte{0xff, 0x00})
	f.Add([]byte{}, []byte{})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, key, value []byte) {
		rec := &capture{}
		d, err := dlq.NewSQS(dlq.SQSConfig{Client: rec, QueueURL: "http://127.0.0.1/000000000000/q"})
		if err != nil {
			t.Fatal(err)
		}
		l := letter(1)
		l.Record.Key, l.Record.Value = key, value
		if err := d.Send(ctx, []dlq.Letter{l}); err != nil {
			if errclass.Is(err, errclass.BadConfig) && len(value) > 100000 {
				return
			}
			t.Fatal(err)
		}
		e := rec.in.Entries[0]
		got, err := dlq.ParseSQSLetter(aws.ToString(e.MessageBody), e.MessageAttributes)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Value, value) || (got.Value == nil) != (value == nil) || !bytes.Equal(got.Key, key) || (got.Key == nil) != (key == nil) {
			t.Errorf("key %q value %q came back as %q %q", key, value, got.Key, got.Value)
		}
	})
}

// capture keeps the request instead of sending it.
type capture struct{ in *sqs.SendMessageBatchInput }

func (c *capture) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	c.in = in
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}
