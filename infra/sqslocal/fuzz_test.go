package sqslocal

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var fuzzOps = []string{"CreateQueue", "GetQueueUrl", "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage",
	"DeleteMessageBatch", "ChangeMessageVisibility", "GetQueueAttributes", "PurgeQueue", "Nope"}

// FuzzRequests sends arbitrary bodies to every operation: the server never panics or blocks past
// the wait asked for, and answers 200 with JSON or 400 with an SQS error shape.
func FuzzRequests(f *testing.F) {
	f.Add(uint8(2), []byte(`{"QueueUrl":"http://x/000000000000/q","MessageBody":"hi","MessageAttributes":{"a":{"DataType":"Number","StringValue":"1"}}}`))
	f.Add(uint8(3), []byte(`{"QueueUrl":"/q","Entries":[{"Id":"a","MessageBody":"x"},{"Id":"a","MessageBody":"y"}]}`))
	f.Add(uint8(4), []byte(`{"QueueUrl":"/q","MaxNumberOfMessages":10,"MessageAttributeNames":["All"],"AttributeNames":["All"]}`))
	f.Add(uint8(0), []byte(`{"QueueName":"q2.fifo","Attributes":{"FifoQueue":"true"}}`))
	f.Add(uint8(7), []byte(`{"QueueUrl":"/q","ReceiptHandle":"x","VisibilityTimeout":-1}`))
	f.Add(uint8(5), []byte(`not json`))
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		s := &Server{url: "http://127.0.0.1:1", logger: slog.New(slog.DiscardHandler), queues: map[string]*queue{}}
		q, _ := newQueue("q", nil, time.Now())
		s.queues["q"] = q
		name := fuzzOps[int(op)%len(fuzzOps)]
		if name == "ReceiveMessage" && bytes.Contains(body, []byte("WaitTimeSeconds")) {
			return // long polls are tested with the SDK
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonSQS."+name)
		rec := httptest.NewRecorder()
		s.serveHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s: response %q is not a JSON object: %v", name, rec.Body.Bytes(), err)
		}
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest:
			typ, _ := out["__type"].(string)
			if !strings.HasPrefix(typ, "com.amazonaws.sqs#") || !strings.HasSuffix(rec.Header().Get("x-amzn-query-error"), ";Sender") {
				t.Fatalf("%s: error shape %v, header %q", name, out, rec.Header().Get("x-amzn-query-error"))
			}
		default:
			t.Fatalf("%s: status %d", name, rec.Code)
		}
	})
}
