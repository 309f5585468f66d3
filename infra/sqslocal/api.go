package sqslocal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// apiError is an SQS error: typ is the shape name (__type is "com.amazonaws.sqs#"+typ), query the
// legacy code of the x-amzn-query-error header.
type apiError struct {
	typ, query, msg string
	status          int  // 400 unless set
	server          bool // a server fault
}

func invalidParameter(msg string) *apiError {
	return &apiError{typ: "InvalidParameterValueException", query: "InvalidParameterValue", msg: msg}
}

func missingParameter(name string) *apiError {
	return &apiError{typ: "MissingRequiredParameterException", query: "MissingParameter",
		msg: "The request must contain the parameter " + name + "."}
}

var (
	errNoQueue = &apiError{typ: "QueueDoesNotExist", query: "AWS.SimpleQueueService.NonExistentQueue",
		msg: "The specified queue does not exist."}
	errEmptyBatch = &apiError{typ: "EmptyBatchRequest", query: "AWS.SimpleQueueService.EmptyBatchRequest",
		msg: "There should be at least one SendMessageBatchRequestEntry in the request."}
	errTooManyEntries = &apiError{typ: "TooManyEntriesInBatchRequest", query: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
		msg: "Maximum number of entries per request are 10."}
	errIDsNotDistinct = &apiError{typ: "BatchEntryIdsNotDistinct", query: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
		msg: "Two or more batch entries in the request have the same Id."}
	errBadEntryID = &apiError{typ: "InvalidBatchEntryId", query: "AWS.SimpleQueueService.InvalidBatchEntryId",
		msg: "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."}
	errBadHandle = &apiError{typ: "ReceiptHandleIsInvalid", query: "ReceiptHandleIsInvalid",
		msg: "The input receipt handle is invalid."}
	errNotInFlight = &apiError{typ: "MessageNotInflight", query: "AWS.SimpleQueueService.MessageNotInflight",
		msg: "The message referred to isn't in flight."}
)

// entryError is one failed entry of a batch.
type entryError struct {
	ID          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message,omitempty"`
}

func (e *apiError) entry(id string) entryError {
	return entryError{ID: id, SenderFault: !e.server, Code: e.query, Message: e.msg}
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "AmazonSQS.")
	if r.Method != http.MethodPost || !ok {
		s.writeError(w, target, &apiError{typ: "UnsupportedOperation", query: "AWS.SimpleQueueService.UnsupportedOperation",
			msg: fmt.Sprintf("%s %s with X-Amz-Target %q is not an SQS JSON request", r.Method, r.URL.Path, target)})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		s.writeError(w, op, &apiError{typ: "InternalError", query: "InternalError", msg: err.Error(), status: 500, server: true})
		return
	}
	var out any
	var apiErr *apiError
	switch op {
	case "CreateQueue":
		out, apiErr = handle(s, body, s.createQueue)
	case "GetQueueUrl":
		out, apiErr = handle(s, body, s.getQueueURL)
	case "SendMessage":
		out, apiErr = handleQueue(s, body, s.sendMessage)
	case "SendMessageBatch":
		out, apiErr = handleQueue(s, body, s.sendMessageBatch)
	case "ReceiveMessage":
		out, apiErr = handleQueue(s, body, func(q *queue, in *receiveInput) (any, *apiError) {
			return s.receiveMessage(r.Context(), q, in)
		})
	case "DeleteMessage":
		out, apiErr = handleQueue(s, body, deleteMessage)
	case "DeleteMessageBatch":
		out, apiErr = handleQueue(s, body, deleteMessageBatch)
	case "ChangeMessageVisibility":
		out, apiErr = handleQueue(s, body, changeVisibility)
	case "GetQueueAttributes":
		out, apiErr = handleQueue(s, body, getQueueAttributes)
	case "PurgeQueue":
		out, apiErr = handleQueue(s, body, purgeQueue)
	default:
		apiErr = &apiError{typ: "UnsupportedOperation", query: "AWS.SimpleQueueService.UnsupportedOperation",
			msg: "sqslocal does not implement " + op}
	}
	if apiErr != nil {
		s.writeError(w, op, apiErr)
		return
	}
	data, err := json.Marshal(out)
	if err != nil {
		s.writeError(w, op, &apiError{typ: "InternalError", query: "InternalError", msg: err.Error(), status: 500, server: true})
		return
	}
	s.logger.Debug("sqs request", "component", "sqslocal", "op", op, "status", 200)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-RequestId", newID())
	_, _ = w.Write(data)
}

func (s *Server) writeError(w http.ResponseWriter, op string, e *apiError) {
	status := e.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	fault := "Sender"
	if e.server {
		fault = "Receiver"
	}
	s.logger.Debug("sqs request", "component", "sqslocal", "op", op, "status", status, "error", e.typ, "message", e.msg)
	data, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.sqs#" + e.typ, "message": e.msg})
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-RequestId", newID())
	w.Header().Set("x-amzn-query-error", e.query+";"+fault)
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// decode reads a request; unknown fields are ignored, as SQS does.
func decode(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{typ: "InvalidParameterValueException", query: "MalformedInput", msg: "invalid JSON request: " + err.Error()}
	}
	return nil
}

// request is an operation's input. check validates what can be validated before the server is
// locked and the queue looked up.
type request interface {
	check() *apiError
}

// byName is the input of an operation on a queue name. QueueName is required.
type byName struct{ QueueName string }

func (in byName) check() *apiError {
	if in.QueueName == "" {
		return missingParameter("QueueName")
	}
	return nil
}

// byURL is the input of an operation on a queue: its QueueUrl, checked by queueByURL.
type byURL struct{ QueueUrl string }

func (byURL) check() *apiError { return nil }

func (in byURL) queueURL() string { return in.QueueUrl }

// queueRequest is the input of an operation on a queue (it embeds byURL).
type queueRequest interface {
	request
	queueURL() string
}

// handle decodes a request of type In, checks it, and answers it with do, with s.mu held.
func handle[In request](s *Server, body []byte, do func(*In) (any, *apiError)) (any, *apiError) {
	var in In
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if e := in.check(); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return do(&in)
}

// handleQueue is handle for an operation on a queue: do gets the queue of the request's QueueUrl.
func handleQueue[In queueRequest](s *Server, body []byte, do func(*queue, *In) (any, *apiError)) (any, *apiError) {
	return handle(s, body, func(in *In) (any, *apiError) {
		q, e := s.queueByURL((*in).queueURL())
		if e != nil {
			return nil, e
		}
		return do(q, in)
	})
}

// queueByURL finds the queue of a QueueUrl; only the name (its last path segment) counts, so a
// queue is reachable whatever host name the client used.
func (s *Server) queueByURL(queueURL string) (*queue, *apiError) {
	if queueURL == "" {
		return nil, missingParameter("QueueUrl")
	}
	u, err := url.Parse(queueURL)
	if err != nil {
		return nil, errNoQueue
	}
	name := u.Path[strings.LastIndex(u.Path, "/")+1:]
	q, ok := s.queues[name]
	if !ok {
		return nil, errNoQueue
	}
	return q, nil
}

type createQueueInput struct {
	byName
	Attributes map[string]string
}

func (s *Server) createQueue(in *createQueueInput) (any, *apiError) {
	q, e := newQueue(in.QueueName, in.Attributes, time.Now())
	if e != nil {
		return nil, e
	}
	if old, ok := s.queues[in.QueueName]; ok {
		for k, v := range in.Attributes {
			if old.attrs[k] != v {
				return nil, &apiError{typ: "QueueNameExists", query: "QueueAlreadyExists",
					msg: "A queue already exists with the same name and a different value for attribute " + k}
			}
		}
	} else {
		s.queues[in.QueueName] = q
	}
	return map[string]string{"QueueUrl": s.QueueURL(in.QueueName)}, nil
}

func (s *Server) getQueueURL(in *byName) (any, *apiError) {
	if _, ok := s.queues[in.QueueName]; !ok {
		return nil, errNoQueue
	}
	return map[string]string{"QueueUrl": s.QueueURL(in.QueueName)}, nil
}

// sendEntry is one message to send (SendMessage's input, or an entry of SendMessageBatch).
type sendEntry struct {
	ID                     string `json:"Id"`
	MessageBody            *string
	DelaySeconds           *int
	MessageAttributes      map[string]Attribute
	MessageGroupId         string
	MessageDeduplicationId string
}

type sendResult struct {
	ID                     string `json:"Id,omitempty"`
	MessageId              string
	MD5OfMessageBody       string
	MD5OfMessageAttributes string `json:",omitempty"`
	SequenceNumber         string `json:",omitempty"`
}

// size returns the entry's size toward the limits (body and attributes).
func (e *sendEntry) size() int {
	n := 0
	if e.MessageBody != nil {
		n = len(*e.MessageBody)
	}
	a, _ := checkAttributes(e.MessageAttributes)
	return n + a
}

// send stores one message; s.mu is held.
func (s *Server) send(q *queue, e *sendEntry, now time.Time) (sendResult, *apiError) {
	if e.MessageBody == nil || *e.MessageBody == "" {
		return sendResult{}, missingParameter("MessageBody")
	}
	if !validBody(*e.MessageBody) {
		return sendResult{}, &apiError{typ: "InvalidMessageContents", query: "InvalidMessageContents",
			msg: "Invalid binary character in the message body: the body must be XML characters (#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF)."}
	}
	attrSize, apiErr := checkAttributes(e.MessageAttributes)
	if apiErr != nil {
		return sendResult{}, apiErr
	}
	if size := len(*e.MessageBody) + attrSize; size > q.maxSize {
		return sendResult{}, invalidParameter(fmt.Sprintf("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.maxSize))
	}
	delay := q.delay
	if e.DelaySeconds != nil {
		if *e.DelaySeconds < 0 || *e.DelaySeconds > 900 {
			return sendResult{}, invalidParameter("Value for parameter DelaySeconds is invalid. Reason: must be between 0 and 900.")
		}
		if q.fifo {
			return sendResult{}, invalidParameter("Value for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.")
		}
		delay = time.Duration(*e.DelaySeconds) * time.Second
	}
	res := sendResult{ID: e.ID, MD5OfMessageBody: MD5OfBody(*e.MessageBody), MD5OfMessageAttributes: MD5OfAttributes(e.MessageAttributes)}
	if q.fifo {
		if e.MessageGroupId == "" {
			return sendResult{}, missingParameter("MessageGroupId")
		}
		dedup := e.MessageDeduplicationId
		if dedup == "" {
			if q.attrs["ContentBasedDeduplication"] != "true" {
				return sendResult{}, invalidParameter("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
			sum := sha256.Sum256([]byte(*e.MessageBody))
			dedup = hex.EncodeToString(sum[:])
		}
		s.seq++
		res.SequenceNumber = fmt.Sprintf("%020d", s.seq)
		if t, ok := q.dedup[dedup]; ok && now.Sub(t) < 5*time.Minute {
			res.MessageId = newID() // accepted, not delivered again
			return res, nil
		}
		q.dedup[dedup] = now
		e.MessageDeduplicationId = dedup
	} else if e.MessageGroupId != "" || e.MessageDeduplicationId != "" {
		return sendResult{}, invalidParameter("The request include parameter that is not valid for this queue type")
	}
	m := &message{id: newID(), body: *e.MessageBody, attrs: e.MessageAttributes, sent: now, visibleAt: now.Add(delay),
		group: e.MessageGroupId, dedup: e.MessageDeduplicationId}
	res.MessageId = m.id
	q.msgs = append(q.msgs, m)
	q.notify()
	return res, nil
}

type sendMessageInput struct {
	byURL
	sendEntry
}

func (s *Server) sendMessage(q *queue, in *sendMessageInput) (any, *apiError) {
	in.sendEntry.ID = ""
	return s.send(q, &in.sendEntry, time.Now())
}

var entryIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// checkIDs validates the entry IDs of a batch.
func checkIDs(ids []string) *apiError {
	switch {
	case len(ids) == 0:
		return errEmptyBatch
	case len(ids) > 10:
		return errTooManyEntries
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !entryIDRE.MatchString(id) {
			return errBadEntryID
		}
		if seen[id] {
			return errIDsNotDistinct
		}
		seen[id] = true
	}
	return nil
}

type batchOutput[T any] struct {
	Successful []T
	Failed     []entryError
}

type sendMessageBatchInput struct {
	byURL
	Entries []sendEntry
}

func (s *Server) sendMessageBatch(q *queue, in *sendMessageBatchInput) (any, *apiError) {
	ids := make([]string, len(in.Entries))
	total := 0
	for i := range in.Entries {
		ids[i] = in.Entries[i].ID
		total += in.Entries[i].size()
	}
	if e := checkIDs(ids); e != nil {
		return nil, e
	}
	if total > q.maxSize {
		return nil, &apiError{typ: "BatchRequestTooLong", query: "AWS.SimpleQueueService.BatchRequestTooLong",
			msg: fmt.Sprintf("Batch requests cannot be longer than %d bytes. You have sent %d bytes.", q.maxSize, total)}
	}
	out := batchOutput[sendResult]{Successful: []sendResult{}, Failed: []entryError{}}
	now := time.Now()
	for i := range in.Entries {
		en := &in.Entries[i]
		if s.failNext > 0 {
			s.failNext--
			out.Failed = append(out.Failed, entryError{ID: en.ID, Code: "InternalError", Message: "injected server fault"})
			continue
		}
		res, e := s.send(q, en, now)
		if e != nil {
			out.Failed = append(out.Failed, e.entry(en.ID))
			continue
		}
		out.Successful = append(out.Successful, res)
	}
	return out, nil
}

type receivedMessage struct {
	MessageId              string
	ReceiptHandle          string
	MD5OfBody              string
	Body                   string
	Attributes             map[string]string    `json:",omitempty"`
	MD5OfMessageAttributes string               `json:",omitempty"`
	MessageAttributes      map[string]Attribute `json:",omitempty"`
}

type receiveInput struct {
	byURL
	AttributeNames              []string
	MessageSystemAttributeNames []string
	MessageAttributeNames       []string
	MaxNumberOfMessages         *int
	VisibilityTimeout           *int
	WaitTimeSeconds             *int
}

func (in receiveInput) check() *apiError {
	if n := in.MaxNumberOfMessages; n != nil && (*n < 1 || *n > 10) {
		return invalidParameter(fmt.Sprintf("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", *n))
	}
	if in.VisibilityTimeout != nil && (*in.VisibilityTimeout < 0 || *in.VisibilityTimeout > 43200) {
		return invalidParameter("Value for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.")
	}
	if in.WaitTimeSeconds != nil && (*in.WaitTimeSeconds < 0 || *in.WaitTimeSeconds > 20) {
		return invalidParameter("Value for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.")
	}
	return nil
}

// receiveMessage answers ReceiveMessage; while it long-polls, it unlocks s.mu.
func (s *Server) receiveMessage(ctx context.Context, q *queue, in *receiveInput) (any, *apiError) {
	max := 1
	if in.MaxNumberOfMessages != nil {
		max = *in.MaxNumberOfMessages
	}
	sysNames := append(append([]string(nil), in.AttributeNames...), in.MessageSystemAttributeNames...)
	wait := q.wait
	if in.WaitTimeSeconds != nil {
		wait = time.Duration(*in.WaitTimeSeconds) * time.Second
	}
	visibility := q.visibility
	if in.VisibilityTimeout != nil {
		visibility = time.Duration(*in.VisibilityTimeout) * time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		now := time.Now()
		next := q.refresh(now)
		var out []receivedMessage
		for _, m := range q.msgs {
			if len(out) == max {
				break
			}
			if m.visibleAt.After(now) {
				continue
			}
			m.receiveCount++
			if m.firstReceive.IsZero() {
				m.firstReceive = now
			}
			m.receipt = newHandle()
			q.handles[m.receipt] = m.id
			m.visibleAt, m.inFlight = now.Add(visibility), true
			out = append(out, m.received(sysNames, in.MessageAttributeNames))
		}
		if len(out) > 0 || !now.Before(deadline) {
			return map[string][]receivedMessage{"Messages": out}, nil
		}
		// Long poll: wait for a send, a message becoming visible, the deadline or the client.
		until := deadline
		if !next.IsZero() && next.Before(until) {
			until = next
		}
		changed := q.changed
		s.mu.Unlock()
		t := time.NewTimer(time.Until(until))
		select {
		case <-changed:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		s.mu.Lock()
		if ctx.Err() != nil {
			return map[string][]receivedMessage{"Messages": nil}, nil
		}
		if q2, ok := s.queues[q.name]; !ok || q2 != q {
			return nil, errNoQueue
		}
	}
}

// received returns m as ReceiveMessage shows it, with the system and message attributes asked for.
func (m *message) received(sysNames, attrNames []string) receivedMessage {
	r := receivedMessage{MessageId: m.id, ReceiptHandle: m.receipt, MD5OfBody: MD5OfBody(m.body), Body: m.body}
	all := slices.Contains(sysNames, "All")
	sys := map[string]string{
		"SenderId":                         AccountID,
		"SentTimestamp":                    strconv.FormatInt(m.sent.UnixMilli(), 10),
		"ApproximateReceiveCount":          strconv.Itoa(m.receiveCount),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstReceive.UnixMilli(), 10),
	}
	if m.group != "" {
		sys["MessageGroupId"] = m.group
		sys["MessageDeduplicationId"] = m.dedup
	}
	for k, v := range sys {
		if all || slices.Contains(sysNames, k) {
			if r.Attributes == nil {
				r.Attributes = map[string]string{}
			}
			r.Attributes[k] = v
		}
	}
	for name, a := range m.attrs {
		if wantAttribute(name, attrNames) {
			if r.MessageAttributes == nil {
				r.MessageAttributes = map[string]Attribute{}
			}
			r.MessageAttributes[name] = a
		}
	}
	r.MD5OfMessageAttributes = MD5OfAttributes(r.MessageAttributes)
	return r
}

// wantAttribute reports whether ReceiveMessage's MessageAttributeNames ask for name: All, .*, the
// name itself or a prefix pattern such as "bar.*".
func wantAttribute(name string, patterns []string) bool {
	for _, p := range patterns {
		if p == "All" || p == ".*" || p == name {
			return true
		}
		if prefix, ok := strings.CutSuffix(p, ".*"); ok && strings.HasPrefix(name, prefix+".") {
			return true
		}
	}
	return false
}

// byHandle returns the message a receipt handle was issued for: nil (and no error) when that
// message is gone or has been received again since (SQS then accepts the request and does nothing).
func (q *queue) byHandle(handle string) (int, *message, *apiError) {
	if handle == "" {
		return -1, nil, missingParameter("ReceiptHandle")
	}
	id, ok := q.handles[handle]
	if !ok {
		return -1, nil, errBadHandle
	}
	i, m := q.find(id)
	if m == nil || m.receipt != handle {
		return -1, nil, nil
	}
	return i, m, nil
}

func (q *queue) delete(handle string) *apiError {
	i, m, e := q.byHandle(handle)
	if e != nil || m == nil {
		return e
	}
	q.msgs = slices.Delete(q.msgs, i, i+1)
	return nil
}

type deleteMessageInput struct {
	byURL
	ReceiptHandle string
}

func deleteMessage(q *queue, in *deleteMessageInput) (any, *apiError) {
	if e := q.delete(in.ReceiptHandle); e != nil {
		return nil, e
	}
	return struct{}{}, nil
}

type deleteMessageBatchInput struct {
	byURL
	Entries []struct {
		ID            string `json:"Id"`
		ReceiptHandle string
	}
}

func deleteMessageBatch(q *queue, in *deleteMessageBatchInput) (any, *apiError) {
	ids := make([]string, len(in.Entries))
	for i, en := range in.Entries {
		ids[i] = en.ID
	}
	if e := checkIDs(ids); e != nil {
		return nil, e
	}
	type ok struct {
		ID string `json:"Id"`
	}
	out := batchOutput[ok]{Successful: []ok{}, Failed: []entryError{}}
	for _, en := range in.Entries {
		if e := q.delete(en.ReceiptHandle); e != nil {
			out.Failed = append(out.Failed, e.entry(en.ID))
			continue
		}
		out.Successful = append(out.Successful, ok{ID: en.ID})
	}
	return out, nil
}

type changeVisibilityInput struct {
	byURL
	ReceiptHandle     string
	VisibilityTimeout *int
}

func (in changeVisibilityInput) check() *apiError {
	if in.VisibilityTimeout == nil {
		return missingParameter("VisibilityTimeout")
	}
	if *in.VisibilityTimeout < 0 || *in.VisibilityTimeout > 43200 {
		return invalidParameter("Value for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.")
	}
	return nil
}

func changeVisibility(q *queue, in *changeVisibilityInput) (any, *apiError) {
	now := time.Now()
	q.refresh(now)
	_, m, e := q.byHandle(in.ReceiptHandle)
	if e != nil {
		return nil, e
	}
	if m == nil || !m.inFlight {
		return nil, errNotInFlight
	}
	m.visibleAt = now.Add(time.Duration(*in.VisibilityTimeout) * time.Second)
	if *in.VisibilityTimeout == 0 {
		m.inFlight = false
		q.notify()
	}
	return struct{}{}, nil
}

type getQueueAttributesInput struct {
	byURL
	AttributeNames []string
}

func getQueueAttributes(q *queue, in *getQueueAttributesInput) (any, *apiError) {
	attrs, e := q.attributes(in.AttributeNames, time.Now())
	if e != nil {
		return nil, e
	}
	return map[string]map[string]string{"Attributes": attrs}, nil
}

func purgeQueue(q *queue, _ *byURL) (any, *apiError) {
	q.msgs = nil
	return struct{}{}, nil
}
