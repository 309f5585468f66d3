package sqslocal

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// queue is one queue. Its fields are guarded by the server's mutex.
type queue struct {
	name    string
	created time.Time
	attrs   map[string]string // settable attributes, as given or defaulted
	fifo    bool

	visibility time.Duration
	delay      time.Duration
	wait       time.Duration
	maxSize    int

	msgs    []*message        // in send order
	handles map[string]string // every receipt handle issued -> message ID
	dedup   map[string]time.Time
	changed chan struct{} // closed (and replaced) when a message is added or becomes visible
}

// message is one stored message.
type message struct {
	id           string
	body         string
	attrs        map[string]Attribute
	sent         time.Time
	visibleAt    time.Time
	receiveCount int
	firstReceive time.Time
	receipt      string // handle of the latest receive; "" before the first
	group, dedup string
	inFlight     bool // received and its visibility timeout not yet over (or changed)
}

var queueNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// settable queue attributes and their defaults.
var queueDefaults = map[string]string{
	"VisibilityTimeout":             "30",
	"DelaySeconds":                  "0",
	"ReceiveMessageWaitTimeSeconds": "0",
	"MaximumMessageSize":            strconv.Itoa(DefaultMaxMessageSize),
	"MessageRetentionPeriod":        "345600",
}

var fifoAttrs = map[string]bool{"FifoQueue": true, "ContentBasedDeduplication": true, "DeduplicationScope": true,
	"FifoThroughputLimit": true}

func newQueue(name string, attrs map[string]string, now time.Time) (*queue, *apiError) {
	base, fifo := strings.CutSuffix(name, ".fifo")
	if !queueNameRE.MatchString(base) || len(name) > 80 {
		return nil, invalidParameter("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	q := &queue{name: name, created: now, attrs: map[string]string{}, fifo: fifo,
		handles: map[string]string{}, dedup: map[string]time.Time{}, changed: make(chan struct{})}
	for k, v := range queueDefaults {
		q.attrs[k] = v
	}
	for k, v := range attrs {
		if _, ok := queueDefaults[k]; !ok && !fifoAttrs[k] && k != "RedrivePolicy" && k != "Policy" &&
			k != "KmsMasterKeyId" && k != "KmsDataKeyReusePeriodSeconds" && k != "SqsManagedSseEnabled" {
			return nil, &apiError{typ: "InvalidAttributeName", query: "InvalidAttributeName", msg: "Unknown Attribute " + k + "."}
		}
		q.attrs[k] = v
	}
	if (q.attrs["FifoQueue"] == "true") != fifo {
		return nil, invalidParameter("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix")
	}
	ints := map[string][2]int{"VisibilityTimeout": {0, 43200}, "DelaySeconds": {0, 900}, "ReceiveMessageWaitTimeSeconds": {0, 20},
		"MaximumMessageSize": {1024, 1048576}, "MessageRetentionPeriod": {60, 1209600}}
	vals := map[string]int{}
	for k, r := range ints {
		n, err := strconv.Atoi(q.attrs[k])
		if err != nil || n < r[0] || n > r[1] {
			return nil, &apiError{typ: "InvalidAttributeValue", query: "InvalidAttributeValue", msg: fmt.Sprintf("Invalid value for the parameter %s.", k)}
		}
		vals[k] = n
	}
	q.visibility = time.Duration(vals["VisibilityTimeout"]) * time.Second
	q.delay = time.Duration(vals["DelaySeconds"]) * time.Second
	q.wait = time.Duration(vals["ReceiveMessageWaitTimeSeconds"]) * time.Second
	q.maxSize = vals["MaximumMessageSize"]
	return q, nil
}

// notify wakes the long polls waiting on q.
func (q *queue) notify() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// refresh ends expired visibility timeouts; it returns the earliest future time a message becomes
// visible (zero when none will).
func (q *queue) refresh(now time.Time) time.Time {
	var next time.Time
	for _, m := range q.msgs {
		if m.visibleAt.After(now) {
			if next.IsZero() || m.visibleAt.Before(next) {
				next = m.visibleAt
			}
			continue
		}
		m.inFlight = false
	}
	return next
}

func (q *queue) find(id string) (int, *message) {
	for i, m := range q.msgs {
		if m.id == id {
			return i, m
		}
	}
	return -1, nil
}

// counts returns the visible, in-flight and delayed messages.
func (q *queue) counts(now time.Time) (visible, inFlight, delayed int) {
	q.refresh(now)
	for _, m := range q.msgs {
		switch {
		case m.inFlight:
			inFlight++
		case m.visibleAt.After(now):
			delayed++
		default:
			visible++
		}
	}
	return
}

func (q *queue) arn() string { return "arn:aws:sqs:" + Region + ":" + AccountID + ":" + q.name }

// attributes returns the queue attributes named (All for every one).
func (q *queue) attributes(names []string, now time.Time) (map[string]string, *apiError) {
	visible, inFlight, delayed := q.counts(now)
	all := map[string]string{
		"ApproximateNumberOfMessages":           strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inFlight),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(delayed),
		"CreatedTimestamp":                      strconv.FormatInt(q.created.Unix(), 10),
		"LastModifiedTimestamp":                 strconv.FormatInt(q.created.Unix(), 10),
		"QueueArn":                              q.arn(),
	}
	for k, v := range q.attrs {
		all[k] = v
	}
	out := map[string]string{}
	for _, n := range names {
		if n == "All" {
			return all, nil
		}
		v, ok := all[n]
		if !ok {
			return nil, &apiError{typ: "InvalidAttributeName", query: "InvalidAttributeName", msg: "Unknown Attribute " + n + "."}
		}
		out[n] = v
	}
	return out, nil
}

// validBody reports whether body holds only the characters SQS allows: #x9 | #xA | #xD |
// #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
func validBody(body string) bool {
	if !utf8.ValidString(body) {
		return false
	}
	for _, r := range body {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

var attrNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

// checkAttributes validates message attributes and returns their size toward the message limit.
func checkAttributes(attrs map[string]Attribute) (int, *apiError) {
	if len(attrs) > 10 {
		return 0, invalidParameter(fmt.Sprintf("Number of message attributes [%d] exceeds the allowed maximum [10].", len(attrs)))
	}
	size := 0
	for n, a := range attrs {
		lower := strings.ToLower(n)
		if !attrNameRE.MatchString(n) || strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".") || strings.Contains(n, "..") ||
			strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
			return 0, invalidParameter("Message attribute name '" + n + "' is invalid.")
		}
		switch baseType(a.DataType) {
		case "String", "Number":
			if a.StringValue == nil || *a.StringValue == "" {
				return 0, invalidParameter("Message attribute '" + n + "' must contain a non-empty message attribute value.")
			}
			if baseType(a.DataType) == "Number" {
				if _, err := strconv.ParseFloat(*a.StringValue, 64); err != nil {
					return 0, invalidParameter("Can't cast the value of message attribute '" + n + "' to a number.")
				}
			}
			if !validBody(*a.StringValue) {
				return 0, invalidParameter("Message attribute '" + n + "' contains invalid characters.")
			}
			size += len(*a.StringValue)
		case "Binary":
			if len(a.BinaryValue) == 0 {
				return 0, invalidParameter("Message attribute '" + n + "' must contain a non-empty message attribute value.")
			}
			size += len(a.BinaryValue)
		default:
			return 0, invalidParameter("The type of message attribute '" + n + "' is invalid.")
		}
		size += len(n) + len(a.DataType)
	}
	return size, nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func newHandle() string {
	var b [48]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
