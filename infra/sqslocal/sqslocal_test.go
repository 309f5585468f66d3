package sqslocal_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/lambda-connect/lambda-connect/infra/sqslocal"
)

func newQueue(t *testing.T, attrs map[string]string) (*sqs.Client, *sqslocal.Server, string) {
	t.Helper()
	ctx := context.Background()
	s := sqslocal.StartForTest(t)
	c, err := sqslocal.Client(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q1"), Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	return c, s, aws.ToString(out.QueueUrl)
}

func count(t *testing.T, c *sqs.Client, url string, name types.QueueAttributeName) int {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{name}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(out.Attributes[string(name)])
	if err != nil {
		t.Fatalf("%s = %q", name, out.Attributes[string(name)])
	}
	return n
}

func receive(t *testing.T, c *sqs.Client, in *sqs.ReceiveMessageInput) []types.Message {
	t.Helper()
	out, err := c.ReceiveMessage(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

// The SDK verifies MD5OfMessageBody on send and receive; the client must work whether
// AWS_CA_BUNDLE is set or not.
func TestSendReceiveDelete(t *testing.T) {
	for _, ca := range []string{"", "/etc/ssl/certs/ca-certificates.crt"} {
		t.Run("AWS_CA_BUNDLE="+ca, func(t *testing.T) {
			t.Setenv("AWS_CA_BUNDLE", ca)
			ctx := context.Background()
			c, s, url := newQueue(t, nil)
			if url != s.QueueURL("q1") || !strings.HasPrefix(url, s.URL()+"/"+sqslocal.AccountID+"/") {
				t.Errorf("queue URL %s", url)
			}
			got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("q1")})
			if err != nil || aws.ToString(got.QueueUrl) != url {
				t.Fatalf("GetQueueUrl %v %v", got, err)
			}
			attrs := map[string]types.MessageAttributeValue{
				"topic":  {DataType: aws.String("String"), StringValue: aws.String("orders")},
				"offset": {DataType: aws.String("Number"), StringValue: aws.String("42")},
				"key":    {DataType: aws.String("Binary"), BinaryValue: []byte{0, 0xff}},
			}
			sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("ünïcødé body"), MessageAttributes: attrs})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(sent.MD5OfMessageAttributes) == "" || aws.ToString(sent.MessageId) == "" {
				t.Errorf("send result %+v", sent)
			}
			msgs := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, MessageAttributeNames: []string{"All"},
				MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
			if len(msgs) != 1 {
				t.Fatalf("%d messages", len(msgs))
			}
			m := msgs[0]
			if aws.ToString(m.Body) != "ünïcødé body" || aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) ||
				aws.ToString(m.MD5OfMessageAttributes) != aws.ToString(sent.MD5OfMessageAttributes) {
				t.Errorf("received %+v", m)
			}
			if a := m.MessageAttributes["key"]; string(a.BinaryValue) != "\x00\xff" || aws.ToString(m.MessageAttributes["offset"].StringValue) != "42" ||
				aws.ToString(m.MessageAttributes["offset"].DataType) != "Number" {
				t.Errorf("attributes %+v", m.MessageAttributes)
			}
			if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SentTimestamp"] == "" || m.Attributes["SenderId"] == "" {
				t.Errorf("system attributes %v", m.Attributes)
			}
			if n := count(t, c, url, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible); n != 1 {
				t.Errorf("%d in flight", n)
			}
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
			if n := count(t, c, url, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible); n != 0 {
				t.Errorf("%d in flight after delete", n)
			}
		})
	}
}

func TestMessageAttributeSelection(t *testing.T) {
	ctx := context.Background()
	c, _, url := newQueue(t, map[string]string{"VisibilityTimeout": "0"})
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("b"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"a.one": {DataType: aws.String("String"), StringValue: aws.String("1")},
			"a.two": {DataType: aws.String("String"), StringValue: aws.String("2")},
			"b":     {DataType: aws.String("String"), StringValue: aws.String("3")},
		}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		names []string
		want  int
	}{{nil, 0}, {[]string{"b"}, 1}, {[]string{"a.*"}, 2}, {[]string{".*"}, 3}} {
		msgs := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, MessageAttributeNames: tc.names})
		if len(msgs) != 1 || len(msgs[0].MessageAttributes) != tc.want || (tc.want == 0) != (msgs[0].MD5OfMessageAttributes == nil) {
			t.Errorf("%v: %d messages, %+v", tc.names, len(msgs), msgs)
		}
		if len(msgs) == 1 && msgs[0].Attributes != nil {
			t.Errorf("system attributes %v without asking", msgs[0].Attributes)
		}
	}
}

// ReceiveMessage with WaitTimeSeconds returns as soon as a message arrives, or empty at the end
// of the wait.
func TestLongPoll(t *testing.T) {
	ctx := context.Background()
	c, _, url := newQueue(t, nil)
	start := time.Now()
	msgs := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 1})
	if len(msgs) != 0 || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("empty long poll returned %d messages after %v", len(msgs), time.Since(start))
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		_, _ = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("late")})
	}()
	start = time.Now()
	msgs = receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 10})
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "late" || time.Since(start) > 5*time.Second {
		t.Fatalf("long poll got %d messages after %v", len(msgs), time.Since(start))
	}
	// A client giving up ends the poll.
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := c.ReceiveMessage(cctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20}); err == nil {
		t.Error("a cancelled receive succeeded")
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("cancelled receive took %v", time.Since(start))
	}
}

// A message not deleted before its visibility timeout comes back, with its receive count up; a
// long poll waiting for it wakes when it does.
func TestVisibilityTimeoutRedelivery(t *testing.T) {
	ctx := context.Background()
	c, _, url := newQueue(t, map[string]string{"VisibilityTimeout": "1"})
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("again")}); err != nil {
		t.Fatal(err)
	}
	sys := []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}
	first := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, MessageSystemAttributeNames: sys})
	if len(first) != 1 || first[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("first receive %+v", first)
	}
	if msgs := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url}); len(msgs) != 0 {
		t.Fatal("an in-flight message was delivered twice")
	}
	start := time.Now()
	second := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 5, MessageSystemAttributeNames: sys})
	if len(second) != 1 || second[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("second receive %+v", second)
	}
	if d := time.Since(start); d < 500*time.Millisecond || d > 3*time.Second {
		t.Errorf("redelivered after %v, want about the 1s visibility timeout", d)
	}
	// The first receipt handle is stale: deleting with it is accepted and does nothing.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, c, url, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible); n != 1 {
		t.Errorf("stale handle deleted the message (%d in flight)", n)
	}
	// ChangeMessageVisibility 0 makes it visible at once; a per-receive VisibilityTimeout applies.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: second[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	third := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, VisibilityTimeout: 60, MessageSystemAttributeNames: sys})
	if len(third) != 1 || third[0].Attributes["ApproximateReceiveCount"] != "3" {
		t.Fatalf("third receive %+v", third)
	}
	time.Sleep(1100 * time.Millisecond)
	if msgs := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url}); len(msgs) != 0 {
		t.Error("the receive's VisibilityTimeout 60 was not applied")
	}
	var notInFlight *types.MessageNotInflight
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: second[0].ReceiptHandle,
		VisibilityTimeout: 5}); !errors.As(err, &notInFlight) {
		t.Errorf("changing a stale handle: %v", err)
	}
}

func TestBatches(t *testing.T) {
	ctx := context.Background()
	c, s, url := newQueue(t, nil)
	var entries []types.SendMessageBatchRequestEntry
	for i := range 10 {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String("e" + strconv.Itoa(i)), MessageBody: aws.String("m" + strconv.Itoa(i)),
			MessageAttributes: map[string]types.MessageAttributeValue{"i": {DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(i))}}})
	}
	entries[3].MessageBody = aws.String("bad\x00body")
	s.FailEntries(2)
	out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 7 || len(out.Failed) != 3 {
		t.Fatalf("%d successful, %d failed: %+v", len(out.Successful), len(out.Failed), out.Failed)
	}
	failed := map[string]types.BatchResultErrorEntry{}
	for _, f := range out.Failed {
		failed[aws.ToString(f.Id)] = f
	}
	if f := failed["e0"]; f.SenderFault || aws.ToString(f.Code) != "InternalError" {
		t.Errorf("injected fault %+v", f)
	}
	if f := failed["e3"]; !f.SenderFault || aws.ToString(f.Code) != "InvalidMessageContents" {
		t.Errorf("invalid body %+v", f)
	}
	for _, r := range out.Successful {
		if aws.ToString(r.MD5OfMessageAttributes) == "" {
			t.Errorf("entry %s without MD5OfMessageAttributes", aws.ToString(r.Id))
		}
	}
	if n := count(t, c, url, types.QueueAttributeNameApproximateNumberOfMessages); n != 7 {
		t.Errorf("%d messages in the queue, want 7", n)
	}
	msgs := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	if len(msgs) != 7 {
		t.Fatalf("received %d", len(msgs))
	}
	var del []types.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String("d" + strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String("bogus"), ReceiptHandle: aws.String("not-a-handle")})
	dout, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: del})
	if err != nil {
		t.Fatal(err)
	}
	if len(dout.Successful) != 7 || len(dout.Failed) != 1 || aws.ToString(dout.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Errorf("delete batch %+v", dout)
	}
	if n := count(t, c, url, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible); n != 0 {
		t.Errorf("%d left in flight", n)
	}

	// Whole-batch errors.
	eleven := append(append([]types.SendMessageBatchRequestEntry(nil), entries...), types.SendMessageBatchRequestEntry{Id: aws.String("x"), MessageBody: aws.String("x")})
	var tooMany *types.TooManyEntriesInBatchRequest
	if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: eleven}); !errors.As(err, &tooMany) {
		t.Errorf("11 entries: %v", err)
	}
	big := strings.Repeat("x", 30000)
	var large []types.SendMessageBatchRequestEntry
	for i := range 10 {
		large = append(large, types.SendMessageBatchRequestEntry{Id: aws.String("l" + strconv.Itoa(i)), MessageBody: &big})
	}
	var tooLong *types.BatchRequestTooLong
	if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: large}); !errors.As(err, &tooLong) {
		t.Errorf("300 kB batch: %v", err)
	}
	var dup *types.BatchEntryIdsNotDistinct
	if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("1")}, {Id: aws.String("a"), MessageBody: aws.String("2")}}}); !errors.As(err, &dup) {
		t.Errorf("duplicate IDs: %v", err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	c, _, url := newQueue(t, nil)
	missing := strings.Replace(url, "q1", "nope", 1)

	var noQueue *types.QueueDoesNotExist
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &missing, MessageBody: aws.String("x")}); !errors.As(err, &noQueue) {
		t.Errorf("send to a missing queue: %v", err)
	}
	var apiErr smithy.APIError
	if _, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")}); !errors.As(err, &noQueue) ||
		!errors.As(err, &apiErr) || apiErr.ErrorCode() != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("GetQueueUrl of a missing queue: %v", err)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(strings.Repeat("x", sqslocal.DefaultMaxMessageSize+1))}); !errors.As(err, &apiErr) ||
		apiErr.ErrorCode() != "InvalidParameterValue" || !strings.Contains(apiErr.ErrorMessage(), "262144") {
		t.Errorf("oversized message: %v", err)
	}
	var badHandle *types.ReceiptHandleIsInvalid
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("forged")}); !errors.As(err, &badHandle) {
		t.Errorf("forged receipt handle: %v", err)
	}
	var exists *types.QueueNameExists
	if _, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q1"), Attributes: map[string]string{"VisibilityTimeout": "5"}}); !errors.As(err, &exists) {
		t.Errorf("re-creating with other attributes: %v", err)
	}
	if out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q1")}); err != nil || aws.ToString(out.QueueUrl) != url {
		t.Errorf("re-creating the same queue: %v", err)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
		"AWS.reserved": {DataType: aws.String("String"), StringValue: aws.String("v")}}}); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("reserved attribute name: %v", err)
	}
	// A request that is not SQS JSON is answered with an SQS error shape.
	resp, err := http.Get(strings.Replace(url, "/"+sqslocal.AccountID+"/q1", "/", 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("x-amzn-query-error"), "AWS.SimpleQueueService.UnsupportedOperation;") {
		t.Errorf("GET /: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestPurgeAndDelay(t *testing.T) {
	ctx := context.Background()
	c, _, url := newQueue(t, nil)
	for i := range 3 {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("m"), DelaySeconds: int32(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if v, d := count(t, c, url, types.QueueAttributeNameApproximateNumberOfMessages), count(t, c, url, types.QueueAttributeNameApproximateNumberOfMessagesDelayed); v != 1 || d != 2 {
		t.Errorf("%d visible, %d delayed", v, d)
	}
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil || out.Attributes["VisibilityTimeout"] != "30" || out.Attributes["QueueArn"] != "arn:aws:sqs:us-east-1:000000000000:q1" {
		t.Errorf("attributes %v %v", out, err)
	}
	if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, c, url, types.QueueAttributeNameApproximateNumberOfMessages) + count(t, c, url, types.QueueAttributeNameApproximateNumberOfMessagesDelayed); n != 0 {
		t.Errorf("%d messages after purge", n)
	}
}

// A FIFO queue keeps order and drops a repeated deduplication ID.
func TestFIFODeduplication(t *testing.T) {
	ctx := context.Background()
	s := sqslocal.StartForTest(t)
	c, err := sqslocal.Client(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("dl.fifo"), Attributes: map[string]string{"FifoQueue": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"a", "b", "a"} {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(d), MessageGroupId: aws.String("g"),
			MessageDeduplicationId: aws.String(d)}); err != nil {
			t.Fatal(err)
		}
	}
	msgs := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
	if len(msgs) != 2 || aws.ToString(msgs[0].Body) != "a" || aws.ToString(msgs[1].Body) != "b" {
		t.Errorf("FIFO received %+v", msgs)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("x")}); err == nil {
		t.Error("a FIFO send without MessageGroupId succeeded")
	}
}

func TestStartOptionsAndClose(t *testing.T) {
	ctx := context.Background()
	s, err := sqslocal.Start(sqslocal.Options{Queues: []string{"pre"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sqslocal.Client(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("pre")}); err != nil {
		t.Errorf("queue of Options.Queues: %v", err)
	}
	if _, err := s.CreateQueue(ctx, "bad name!"); err == nil {
		t.Error("an invalid queue name was accepted")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("pre")}); err == nil {
		t.Error("the server still answers after Close")
	}
	if _, err := sqslocal.Client(ctx, ""); err == nil {
		t.Error("Client with no endpoint succeeded")
	}
}

func TestForTestUsesEnvironment(t *testing.T) {
	t.Setenv(sqslocal.EnvEndpoint, "http://sqs.example:4566")
	if got := sqslocal.ForTest(t); got != "http://sqs.example:4566" {
		t.Errorf("ForTest %s", got)
	}
}
