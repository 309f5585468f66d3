package dynamodbsink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// flaky wraps a client and injects DynamoDB's throttling answers: the next `throttle` calls fail
// with ProvisionedThroughputExceededException, the next `unprocessed` BatchWriteItem calls write
// only the first half of their items and return the rest as UnprocessedItems, and the next
// `cancel` TransactWriteItems calls are cancelled with a ThrottlingError on their first item.
type flaky struct {
	API
	mu                            sync.Mutex
	throttle, unprocessed, cancel int
	calls, injected               int
}

func (f *flaky) take(n *int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if *n > 0 {
		*n--
		f.injected++
		return true
	}
	return false
}

var errThrottled = &types.ProvisionedThroughputExceededException{Message: aws.String("injected: the level of configured provisioned throughput for the table was exceeded")}

func (f *flaky) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if f.take(&f.throttle) {
		return nil, errThrottled
	}
	return f.API.PutItem(ctx, in, o...)
}

func (f *flaky) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if f.take(&f.throttle) {
		return nil, errThrottled
	}
	return f.API.DeleteItem(ctx, in, o...)
}

func (f *flaky) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if f.take(&f.throttle) {
		return nil, errThrottled
	}
	if f.take(&f.unprocessed) {
		half := map[string][]types.WriteRequest{}
		rest := map[string][]types.WriteRequest{}
		for t, reqs := range in.RequestItems {
			n := len(reqs) / 2
			if n > 0 {
				half[t] = reqs[:n]
			}
			rest[t] = reqs[n:]
		}
		if len(half) > 0 {
			out, err := f.API.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: half}, o...)
			if err != nil {
				return nil, err
			}
			for t, reqs := range out.UnprocessedItems {
				rest[t] = append(rest[t], reqs...)
			}
		}
		return &dynamodb.BatchWriteItemOutput{UnprocessedItems: rest}, nil
	}
	return f.API.BatchWriteItem(ctx, in, o...)
}

func (f *flaky) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if f.take(&f.throttle) {
		return nil, errThrottled
	}
	if f.take(&f.cancel) {
		reasons := make([]types.CancellationReason, len(in.TransactItems))
		for i := range reasons {
			reasons[i].Code = aws.String("None")
		}
		reasons[0].Code = aws.String("ThrottlingError")
		return nil, &types.TransactionCanceledException{Message: aws.String("injected"), CancellationReasons: reasons}
	}
	return f.API.TransactWriteItems(ctx, in, o...)
}

func (f *flaky) set(throttle, unprocessed, cancel int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle, f.unprocessed, f.cancel = throttle, unprocessed, cancel
}

func (f *flaky) counts() (calls, injected int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.injected
}

// TestThrottling injects throttling (and unprocessed items, and cancelled transactions) into
// every strategy: the writes are retried with backoff and the table ends complete. With
// aws.dynamodb.max.retry.time.seconds=0 a throttled write fails the invocation with a retriable
// error naming the item and commits nothing; the retry that follows succeeds.
func TestThrottling(t *testing.T) {
	for _, c := range []struct {
		strategy, hash string
		hashType       string
	}{
		{StrategyConditional, "key", "S"},
		{StrategyBatch, "key", "S"},
		{StrategyTransact, "key", "S"},
	} {
		t.Run(c.strategy, func(t *testing.T) {
			t.Parallel()
			client := localClient(t)
			table := tableID("throttled")
			createTable(t, client, table, keyDef{c.hash, c.hashType}, keyDef{})
			f := &flaky{API: client}
			cfg := testConfig(t, map[string]string{"table.name.format": table, "aws.dynamodb.pk.hash": c.hash, "aws.dynamodb.pk.sort": "",
				"dynamodb.write.strategy": c.strategy, "aws.dynamodb.max.retry.time.seconds": "10"})
			cfg.ItemsPerWrite = 30
			s, err := New(cfg, f)
			if err != nil {
				t.Fatal(err)
			}
			r := newRig(t, s, rigOptions{})
			var recs []record.Record
			for i := range 60 {
				recs = append(recs, jsonRec("throttled", 0, int64(i), fmt.Sprintf("k%d", i%40), fmt.Sprintf(`{"i":%d}`, i)))
			}
			f.set(4, 3, 2)
			start := time.Now()
			r.mustInvoke(t, recs[:50])
			calls, injected := f.counts()
			if injected < 4 {
				t.Fatalf("only %d faults injected", injected)
			}
			t.Logf("%s: %d calls, %d throttled, unprocessed or cancelled, in %v", c.strategy, calls, injected, time.Since(start).Round(time.Millisecond))

			// No retry time: a throttled write fails the invocation, naming what it could not write.
			s.cfg.MaxRetryTime = 0
			f.set(1000, 0, 0)
			_, err = r.invoke(recs[50:], time.Minute)
			if !errclass.Is(err, errclass.Retriable) || !errors.Is(err, errRetriesExhausted) || !strings.Contains(err.Error(), table) {
				t.Fatalf("err = %v, want a retriable error naming the table, after retries ran out", err)
			}
			if next := r.next(record.TopicPartition{Topic: "throttled"}); next != 50 {
				t.Fatalf("committed %d after a failed batch, want 50", next)
			}
			f.set(0, 0, 0)
			r.mustInvoke(t, recs[50:])

			want := map[string]int{}
			for i := range 60 {
				want[fmt.Sprintf("k%d", i%40)] = i
			}
			items := scanTable(t, client, table)
			if len(items) != len(want) {
				t.Fatalf("%d items, want %d", len(items), len(want))
			}
			for _, it := range items {
				k := it["key"].(*types.AttributeValueMemberS).Value
				if got := it["i"].(*types.AttributeValueMemberN).Value; got != fmt.Sprint(want[k]) {
					t.Errorf("item %s holds i=%s, want %d", k, got, want[k])
				}
			}
		})
	}
}

// TestItemTooLarge sends a record whose item is over 400 KB among good ones: with
// errors.tolerance=none the invocation fails naming it and nothing is written or committed; with
// errors.tolerance=all it goes to the dead-letter destination, with its original bytes, and the
// others are written.
func TestItemTooLarge(t *testing.T) {
	t.Parallel()
	client := localClient(t)
	table := tableID("large")
	createTable(t, client, table, keyDef{"partition", "N"}, keyDef{"offset", "N"})
	recs := viaBroker(t, "large", 1, []record.Record{
		{Topic: "large", Value: []byte(`{"n":1}`)},
		{Topic: "large", Value: []byte(`{"blob":"` + strings.Repeat("é", 210_000) + `"}`)},
		{Topic: "large", Value: []byte(`{"n":3}`)},
	})
	s, err := New(testConfig(t, map[string]string{"table.name.format": table}), client)
	if err != nil {
		t.Fatal(err)
	}
	_, err = newRig(t, s, rigOptions{}).invoke(recs, time.Minute)
	if !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "large/0/1") || !strings.Contains(err.Error(), "over DynamoDB's limit") {
		t.Fatalf("err = %v, want a bad record error naming large/0/1 and the size limit", err)
	}
	if n := len(scanTable(t, client, table)); n != 0 {
		t.Fatalf("%d items written by a failed batch", n)
	}

	dead := dlq.NewMemory()
	r := newRig(t, s, rigOptions{dead: dead})
	r.mustInvoke(t, recs)
	r.mustInvoke(t, recs) // redelivered: nothing twice
	letters := dead.Letters()
	if len(letters) != 1 || letters[0].Record.Offset != 1 || string(letters[0].Record.Value) != string(recs[1].Value) ||
		!strings.Contains(letters[0].Err.Error(), "over DynamoDB's limit") {
		t.Fatalf("dead letters %+v, want record large/0/1 with its bytes and the reason", letters)
	}
	if got := itemsText(scanTable(t, client, table)); strings.Count(got, "\n") != 2 || strings.Contains(got, "blob") {
		t.Fatalf("table:\n%s want the two good records", got)
	}
}

// TestRefusedByDynamoDB writes records DynamoDB refuses one by one (a string key for a number
// key attribute) with every strategy: they are dead-lettered, the others written; and a table
// that does not exist, or whose key the settings do not name, is a configuration error.
func TestRefusedByDynamoDB(t *testing.T) {
	client := localClient(t)
	for _, strategy := range []string{StrategyConditional, StrategyBatch, StrategyTransact} {
		t.Run(strategy, func(t *testing.T) {
			t.Parallel()
			table := tableID("refused")
			createTable(t, client, table, keyDef{"id", "N"}, keyDef{})
			s, err := New(testConfig(t, map[string]string{"table.name.format": table, "aws.dynamodb.pk.hash": "value.id",
				"aws.dynamodb.pk.sort": "", "dynamodb.write.strategy": strategy}), client)
			if err != nil {
				t.Fatal(err)
			}
			recs := []record.Record{
				jsonRec("refused", 0, 0, "", `{"id":1}`),
				jsonRec("refused", 0, 1, "", `{"id":"two"}`),
				jsonRec("refused", 0, 2, "", `{"id":3}`),
			}
			if _, err := newRig(t, s, rigOptions{}).invoke(recs, time.Minute); !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "refused/0/1") {
				t.Fatalf("err = %v, want a bad record naming refused/0/1", err)
			}
			dead := dlq.NewMemory()
			newRig(t, s, rigOptions{dead: dead}).mustInvoke(t, recs)
			if l := dead.Letters(); len(l) != 1 || l[0].Record.Offset != 1 {
				t.Fatalf("dead letters %+v, want refused/0/1", l)
			}
			if n := len(scanTable(t, client, table)); n != 2 {
				t.Fatalf("%d items, want 2", n)
			}
		})
	}
	t.Run("no such table", func(t *testing.T) {
		s, err := New(testConfig(t, map[string]string{"table.name.format": tableID("missing")}), client)
		if err != nil {
			t.Fatal(err)
		}
		_, err = newRig(t, s, rigOptions{}).invoke([]record.Record{jsonRec("t", 0, 0, "", `{}`)}, time.Minute)
		if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), "missing-") {
			t.Fatalf("err = %v, want a bad config naming the table", err)
		}
	})
	t.Run("key the table does not have", func(t *testing.T) {
		table := tableID("otherkey")
		createTable(t, client, table, keyDef{"pk", "S"}, keyDef{})
		s, err := New(testConfig(t, map[string]string{"table.name.format": table, "dynamodb.write.strategy": "conditional"}), client)
		if err != nil {
			t.Fatal(err)
		}
		_, err = newRig(t, s, rigOptions{}).invoke([]record.Record{jsonRec("t", 0, 0, "", `{}`)}, time.Minute)
		if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), KeyPKHash) {
			t.Fatalf("err = %v, want a bad config pointing at %s", err, KeyPKHash)
		}
	})
}
