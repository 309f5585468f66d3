package dynamodbsink

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// DynamoDB's request limits.
const (
	batchWriteMax      = 25       // items per BatchWriteItem
	batchWriteMaxBytes = 16 << 20 // bytes per BatchWriteItem
	transactMax        = 100      // items per TransactWriteItems
	transactMaxBytes   = 4 << 20  // bytes per TransactWriteItems
)

// newerCondition lets a write apply only when the item holds no record of the same topic and
// partition at an offset as high as the write's.
const newerCondition = "attribute_not_exists(#o) OR #t <> :t OR #p <> :p OR #o < :o"

// writer performs one planned batch.
type writer struct {
	s     *Sink
	b     *batch
	retry *retry

	bytes    atomic.Int64
	mu       sync.Mutex
	rejected sink.RecordErrors
}

func (w *writer) reject(o *op, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rejected = append(w.rejected, sink.RecordError{Record: o.rec,
		Err: errclass.New(errclass.BadRecord, "", fmt.Errorf("DynamoDB refused the item in %s: %w", w.b.table, err))})
}

// subject names an item in errors: table, key and record.
func (w *writer) subject(o *op) string {
	return "item " + keyText(o.key) + " of " + w.b.table + " (record " + o.rec.Coordinates() + ")"
}

func keyText(key map[string]types.AttributeValue) string {
	var parts []string
	for k, v := range key {
		switch x := v.(type) {
		case *types.AttributeValueMemberS:
			parts = append(parts, k+"="+strconv.Quote(x.Value))
		case *types.AttributeValueMemberN:
			parts = append(parts, k+"="+x.Value)
		case *types.AttributeValueMemberB:
			parts = append(parts, k+"=<"+strconv.Itoa(len(x.Value))+" bytes>")
		}
	}
	if len(parts) == 2 && parts[0] > parts[1] {
		parts[0], parts[1] = parts[1], parts[0]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// parallel runs f(i) for i in [0, n) on up to workers goroutines and returns the first error;
// the context passed to f is cancelled once one call failed.
func parallel(ctx context.Context, n, workers int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range min(n, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// Conditional PutItem / DeleteItem ---------------------------------------------------------

func (w *writer) conditionalWrite(ctx context.Context) error {
	ops := w.b.ops
	return parallel(ctx, len(ops), w.s.cfg.Concurrency, func(ctx context.Context, i int) error {
		return w.writeOne(ctx, &ops[i], true)
	})
}

func (w *writer) conditionNames() map[string]string {
	c := w.s.cfg
	return map[string]string{"#t": c.srcT, "#p": c.srcP, "#o": c.srcO}
}

func (w *writer) conditionValues(o *op) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		":t": &types.AttributeValueMemberS{Value: o.rec.Topic},
		":p": num(strconv.FormatInt(int64(o.rec.Partition), 10)),
		":o": num(strconv.FormatInt(o.rec.Offset, 10)),
	}
}

// writeOne puts or deletes one item, conditionally or not, retrying throttling.
func (w *writer) writeOne(ctx context.Context, o *op, conditional bool) error {
	for attempt := 0; ; attempt++ {
		var err error
		if o.item != nil {
			in := &dynamodb.PutItemInput{TableName: aws.String(w.b.table), Item: o.item}
			if conditional {
				in.ConditionExpression = aws.String(newerCondition)
				in.ExpressionAttributeNames = w.conditionNames()
				in.ExpressionAttributeValues = w.conditionValues(o)
			}
			_, err = w.s.client.PutItem(ctx, in)
		} else {
			in := &dynamodb.DeleteItemInput{TableName: aws.String(w.b.table), Key: o.key}
			if conditional {
				in.ConditionExpression = aws.String(newerCondition)
				in.ExpressionAttributeNames = w.conditionNames()
				in.ExpressionAttributeValues = w.conditionValues(o)
			}
			_, err = w.s.client.DeleteItem(ctx, in)
		}
		if err == nil {
			w.bytes.Add(int64(o.size))
			return nil
		}
		switch classify(err) {
		case outcomeNotNewer:
			return nil // the item holds this record or a newer one of the partition
		case outcomeBadRecord:
			w.reject(o, err)
			return nil
		case outcomeThrottled:
			if w.retry.wait(ctx, attempt) {
				continue
			}
			return errclass.New(errclass.Retriable, w.subject(o), fmt.Errorf("%w (%d tries): %w", errRetriesExhausted, attempt+1, err))
		case outcomeBadConfig:
			return errclass.New(errclass.BadConfig, w.subject(o), fmt.Errorf("check %s, %s and %s against the table: %w", KeyTableNameFormat, KeyPKHash, KeyPKSort, err))
		default:
			return errclass.New(errclass.Retriable, w.subject(o), err)
		}
	}
}

// BatchWriteItem ---------------------------------------------------------------------------

// chunks splits ops into runs of at most n items and maxBytes bytes.
func chunks(ops []op, n, maxBytes int) [][]op {
	var out [][]op
	start, size := 0, 0
	for i := range ops {
		if i > start && (i-start == n || size+ops[i].size > maxBytes) {
			out = append(out, ops[start:i])
			start, size = i, 0
		}
		size += ops[i].size + 64
	}
	if start < len(ops) {
		out = append(out, ops[start:])
	}
	return out
}

func (w *writer) batchWrite(ctx context.Context) error {
	cs := chunks(w.b.ops, batchWriteMax, batchWriteMaxBytes)
	return parallel(ctx, len(cs), w.s.cfg.Concurrency, func(ctx context.Context, i int) error {
		return w.batchChunk(ctx, cs[i])
	})
}

func (w *writer) batchChunk(ctx context.Context, ops []op) error {
	reqs := make([]types.WriteRequest, len(ops))
	for i := range ops {
		if ops[i].item != nil {
			reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: ops[i].item}}
		} else {
			reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: ops[i].key}}
		}
	}
	for attempt := 0; ; attempt++ {
		out, err := w.s.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{w.b.table: reqs},
		})
		if err == nil {
			if reqs = out.UnprocessedItems[w.b.table]; len(reqs) == 0 {
				for i := range ops {
					w.bytes.Add(int64(ops[i].size))
				}
				return nil
			}
			if w.retry.wait(ctx, attempt) {
				continue
			}
			return errclass.New(errclass.Retriable, w.b.table, fmt.Errorf("BatchWriteItem: %d of %d items (from record %s): %w (%d tries)",
				len(reqs), len(ops), ops[0].rec.Coordinates(), errRetriesExhausted, attempt+1))
		}
		switch classify(err) {
		case outcomeThrottled:
			if w.retry.wait(ctx, attempt) {
				continue
			}
			return errclass.New(errclass.Retriable, w.b.table, fmt.Errorf("BatchWriteItem from record %s: %w (%d tries): %w", ops[0].rec.Coordinates(), errRetriesExhausted, attempt+1, err))
		case outcomeBadRecord:
			// The request names no item: write them one by one to find the ones at fault.
			for i := range ops {
				if err := w.writeOne(ctx, &ops[i], false); err != nil {
					return err
				}
			}
			return nil
		case outcomeBadConfig:
			return errclass.New(errclass.BadConfig, w.b.table, fmt.Errorf("check %s, %s and %s against the table: %w", KeyTableNameFormat, KeyPKHash, KeyPKSort, err))
		default:
			return errclass.New(errclass.Retriable, w.b.table, fmt.Errorf("BatchWriteItem from record %s: %w", ops[0].rec.Coordinates(), err))
		}
	}
}

// TransactWriteItems -----------------------------------------------------------------------

func (w *writer) transactWrite(ctx context.Context) error {
	cs := chunks(w.b.ops, transactMax, transactMaxBytes)
	return parallel(ctx, len(cs), w.s.cfg.Concurrency, func(ctx context.Context, i int) error {
		return w.transactChunk(ctx, cs[i])
	})
}

func (w *writer) transactChunk(ctx context.Context, ops []op) error {
	todo := make([]*op, len(ops))
	for i := range ops {
		todo[i] = &ops[i]
	}
	names := w.conditionNames()
	for attempt := 0; len(todo) > 0; attempt++ {
		items := make([]types.TransactWriteItem, len(todo))
		for i, o := range todo {
			if o.item != nil {
				items[i].Put = &types.Put{TableName: aws.String(w.b.table), Item: o.item,
					ConditionExpression: aws.String(newerCondition), ExpressionAttributeNames: names, ExpressionAttributeValues: w.conditionValues(o)}
			} else {
				items[i].Delete = &types.Delete{TableName: aws.String(w.b.table), Key: o.key,
					ConditionExpression: aws.String(newerCondition), ExpressionAttributeNames: names, ExpressionAttributeValues: w.conditionValues(o)}
			}
		}
		_, err := w.s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			for _, o := range todo {
				w.bytes.Add(int64(o.size))
			}
			return nil
		}
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) && len(tce.CancellationReasons) == len(todo) {
			// Drop the items that cannot apply (not newer, refused) and retry the others.
			rest := todo[:0:0]
			throttled := false
			for i, o := range todo {
				switch code := aws.ToString(tce.CancellationReasons[i].Code); code {
				case "ConditionalCheckFailed":
				case "ValidationError", "ItemCollectionSizeLimitExceeded":
					w.reject(o, fmt.Errorf("TransactWriteItems: %s: %s", code, aws.ToString(tce.CancellationReasons[i].Message)))
				case "None", "":
					rest = append(rest, o)
				default: // TransactionConflict, ThrottlingError, ProvisionedThroughputExceeded, ...
					rest = append(rest, o)
					throttled = true
				}
			}
			if len(rest) == len(todo) {
				throttled = true // nothing dropped: wait before trying again
			}
			todo = rest
			if throttled && len(todo) > 0 && !w.retry.wait(ctx, attempt) {
				return errclass.New(errclass.Retriable, w.b.table, fmt.Errorf("TransactWriteItems from record %s: %w (%d tries): %w", todo[0].rec.Coordinates(), errRetriesExhausted, attempt+1, err))
			}
			continue
		}
		switch classify(err) {
		case outcomeThrottled:
			if w.retry.wait(ctx, attempt) {
				continue
			}
			return errclass.New(errclass.Retriable, w.b.table, fmt.Errorf("TransactWriteItems from record %s: %w (%d tries): %w", todo[0].rec.Coordinates(), errRetriesExhausted, attempt+1, err))
		case outcomeBadRecord:
			for _, o := range todo {
				if err := w.writeOne(ctx, o, true); err != nil {
					return err
				}
			}
			return nil
		case outcomeBadConfig:
			return errclass.New(errclass.BadConfig, w.b.table, fmt.Errorf("check %s, %s and %s against the table: %w", KeyTableNameFormat, KeyPKHash, KeyPKSort, err))
		default:
			return errclass.New(errclass.Retriable, w.b.table, fmt.Errorf("TransactWriteItems from record %s: %w", todo[0].rec.Coordinates(), err))
		}
	}
	return nil
}

// Errors and retries -----------------------------------------------------------------------

type outcome int

const (
	outcomeFailed    outcome = iota // anything else: Retriable, the batch is retried by Lambda
	outcomeNotNewer                 // the condition failed: the item holds this record or a newer one
	outcomeThrottled                // try again after a backoff
	outcomeBadRecord                // DynamoDB refused this item (ValidationException)
	outcomeBadConfig                // no such table, keys that do not match the table, no permission
)

// classify sorts a DynamoDB error.
func classify(err error) outcome {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return outcomeNotNewer
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return outcomeFailed
	}
	switch ae.ErrorCode() {
	case "ConditionalCheckFailedException":
		return outcomeNotNewer
	case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
		"InternalServerError", "ServiceUnavailable", "LimitExceededException",
		"TransactionConflictException", "TransactionInProgressException":
		return outcomeThrottled
	case "ResourceNotFoundException", "AccessDeniedException", "UnrecognizedClientException":
		return outcomeBadConfig
	case "ValidationException":
		msg := ae.ErrorMessage()
		for _, s := range []string{"Missing the key", "does not match the schema", "required keys", "not given a value"} {
			if strings.Contains(msg, s) {
				return outcomeBadConfig
			}
		}
		return outcomeBadRecord
	}
	return outcomeFailed
}

// retry bounds the retries of one Put: until aws.dynamodb.max.retry.time.seconds from its start,
// never past the context's deadline.
type retry struct {
	until time.Time
}

func newRetry(ctx context.Context, max time.Duration) *retry {
	r := &retry{until: time.Now().Add(max)}
	if d, ok := ctx.Deadline(); ok && d.Before(r.until) {
		r.until = d
	}
	return r
}

// Backoff between tries: full jitter over an exponential ceiling, from 25 ms up to 2 s.
const (
	backoffBase = 25 * time.Millisecond
	backoffMax  = 2 * time.Second
)

// wait sleeps before try attempt+1 and reports whether to make it: false when the backoff would
// end past the retry time or the context ended.
func (r *retry) wait(ctx context.Context, attempt int) bool {
	ceil := backoffBase << min(attempt, 10)
	if ceil > backoffMax {
		ceil = backoffMax
	}
	d := ceil/2 + rand.N(ceil/2+1)
	if time.Now().Add(d).After(r.until) {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
