// Package dynamodbsink is the Kafka → DynamoDB sink connector: a topic upserted into a DynamoDB
// table, the way teams keep a materialized view of a topic, with the settings of Confluent's
// DynamoDB sink connector (io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector), as a
// sink.Sink for the Lambda sink runtime.
//
// Each record becomes one item (or, with delete.enabled, a tombstone deletes one): its primary
// key from aws.dynamodb.pk.hash and aws.dynamodb.pk.sort (partition, offset, key[.path],
// value[.path], with an optional :alias), its attributes from the value (the fields of a struct
// or map value, or the whole value under one attribute; see attr.go for the type mapping), and
// three source attributes, <prefix>topic, <prefix>partition and <prefix>offset, naming the record
// it was written from.
//
// # Ordering and exactly-once
//
// Plan collapses the records of one partition's batch that name the same item to the last one:
// the items of a batch are distinct, so their writes can go in any order and in parallel. Every
// write is conditional (dynamodb.write.strategy conditional or transact): it applies only if the
// item holds no record of the same topic and partition at an offset as high. A replayed,
// retried or late write therefore never rolls an item back. Kafka orders nothing across
// partitions: a write from another topic or partition always applies.
//
// The runtime commits a partition's offset only after every write of its batch returned, so no
// record is lost. Discard does nothing, and need not: the writes of an attempt that died before
// its commit hold records above the committed offset only, each written, conditionally, as
// exactly the item those same records produce when they are written again (Kafka's log does not
// change under an offset); the retry's writes of the same records are then no-ops or identical,
// and its writes of older records of a key the dead attempt wrote are refused by the condition.
// An item is never duplicated (one item per key) and never rolled back by a retry. Nothing can be
// undone anyway: DynamoDB keeps no earlier version of an item to restore.
//
// One case is weaker: a delete removes the item and, with it, the offset that guards the key. If
// an attempt deleted an item and died before its commit, a retry that holds only older records of
// that key (a shorter batch) writes the older value again, until the batch holding the tombstone
// is replayed, which deletes it again. Committed deletes are never undone: records below the
// committed offset never reach the sink.
//
// When the primary key holds the record's offset, an item is only ever written by one record
// (per topic and partition): the conditions cannot change anything, and the auto strategy uses
// unconditional BatchWriteItem, the fastest.
package dynamodbsink

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// API is the part of the DynamoDB client the sink uses; *dynamodb.Client implements it.
type API interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Sink writes records to DynamoDB. It is safe for concurrent use by the partitions of an
// invocation.
type Sink struct {
	cfg    *resolved
	client API
}

var _ sink.Sink = (*Sink)(nil)

// New returns a DynamoDB sink writing with client.
func New(cfg Config, client API) (*Sink, error) {
	if client == nil {
		return nil, errclass.Config("dynamodb-sink", "no DynamoDB client")
	}
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	return &Sink{cfg: r, client: client}, nil
}

// Strategy returns the write strategy in use (auto resolved to conditional or batch).
func (s *Sink) Strategy() string { return s.cfg.Strategy }

// op is one planned item write: a put of item, or a delete of key when item is nil.
type op struct {
	rec    record.Record // the record it was planned from
	covers int           // records of the batch it stands for (itself and the earlier ones of its key)
	key    map[string]types.AttributeValue
	item   map[string]types.AttributeValue
	size   int
}

// batch is one planned write: items of one table, distinct keys, from one partition.
type batch struct {
	id    string
	table string
	tp    record.TopicPartition
	ops   []op
}

func (b *batch) ID() string { return b.id }

func (b *batch) Records() int {
	n := 0
	for i := range b.ops {
		n += b.ops[i].covers
	}
	return n
}

// Items returns how many items a write planned by this sink puts or deletes (0 for other writes).
func Items(w sink.Write) int {
	if b, ok := w.(*batch); ok {
		return len(b.ops)
	}
	return 0
}

// Plan maps the records of one partition (in offset order) to item writes, collapses the records
// of each item to the last one, and groups the writes in batches of up to ItemsPerWrite items,
// each named <table>/<topic>-<partition>/<first offset>-<last offset>. Records that cannot be
// mapped (a key that is missing, null or not a string, number or bytes; a number DynamoDB cannot
// hold; an item over 400 KB) are returned as sink.RecordErrors, the other records planned; a
// record rejected so leaves its key's item to the record before it. Tombstones are deletes with
// delete.enabled, else skipped. Plan does no I/O.
func (s *Sink) Plan(tp record.TopicPartition, recs []record.Record) ([]sink.Write, error) {
	table, err := tableName(s.cfg.TableNameFormat, tp.Topic)
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, KeyTableNameFormat, fmt.Errorf("topic %s: %w", tp.Topic, err))
	}
	var rejected sink.RecordErrors
	ops := make([]op, 0, len(recs))
	last := make(map[string]int, len(recs)) // item key -> index in ops of its latest write
	covers := make(map[string]int, len(recs))
	keyIDs := make([]string, 0, len(recs))
	for _, r := range recs {
		if r.Topic != tp.Topic || r.Partition != tp.Partition {
			return nil, fmt.Errorf("dynamodb-sink: record %s handed to the plan of partition %s", r.Coordinates(), tp)
		}
		o, id, skip, err := s.mapRecord(r)
		if err != nil {
			rejected = append(rejected, sink.RecordError{Record: r, Err: err})
			continue
		}
		if skip {
			continue
		}
		last[id] = len(ops)
		covers[id]++
		ops = append(ops, o)
		keyIDs = append(keyIDs, id)
	}
	kept := ops[:0]
	for i := range ops {
		if last[keyIDs[i]] == i {
			o := ops[i]
			o.covers = covers[keyIDs[i]]
			kept = append(kept, o)
		}
	}
	var writes []sink.Write
	for start := 0; start < len(kept); start += s.cfg.ItemsPerWrite {
		chunk := kept[start:min(start+s.cfg.ItemsPerWrite, len(kept))]
		writes = append(writes, &batch{
			id: table + "/" + tp.String() + "/" + strconv.FormatInt(chunk[0].rec.Offset, 10) + "-" +
				strconv.FormatInt(chunk[len(chunk)-1].rec.Offset, 10),
			table: table, tp: tp, ops: chunk,
		})
	}
	if len(rejected) > 0 {
		return writes, rejected
	}
	return writes, nil
}

// mapRecord maps one record to an item write and the text of its key; skip is set for a
// tombstone that is not a delete.
func (s *Sink) mapRecord(r record.Record) (o op, keyID string, skip bool, err error) {
	c := s.cfg
	tombstone := r.ValueData == nil
	if tombstone && !c.DeleteEnabled {
		return op{}, "", true, nil
	}
	kd, vd := r.KeyData, r.ValueData
	// Parse JSON once: the key attributes and the item read from the same tree.
	if raw, ok := kd.(record.RawJSON); ok {
		if kd, err = parseJSON(raw); err != nil {
			return op{}, "", false, errclass.New(errclass.BadRecord, "", fmt.Errorf("key: %w", err))
		}
	}
	if raw, ok := vd.(record.RawJSON); ok {
		if vd, err = parseJSON(raw); err != nil {
			return op{}, "", false, errclass.New(errclass.BadRecord, "", fmt.Errorf("value: %w", err))
		}
	}
	o = op{rec: r, key: make(map[string]types.AttributeValue, 2)}
	for _, k := range c.keys() {
		av, err := s.keyValue(r, k, kd, vd)
		if err != nil {
			return op{}, "", false, errclass.New(errclass.BadRecord, "", err)
		}
		id, err := keyAV(av, fmt.Sprintf("key attribute %q (%s)", k.attr, k.text))
		if err != nil {
			return op{}, "", false, errclass.New(errclass.BadRecord, "", err)
		}
		o.key[k.attr] = av
		keyID += strconv.Itoa(len(id)) + ":" + id
	}
	if tombstone {
		return o, keyID, false, nil
	}
	item, err := s.valueAttributes(r.ValueSchema, vd)
	if err != nil {
		return op{}, "", false, errclass.New(errclass.BadRecord, "", err)
	}
	for k, v := range o.key {
		item[k] = v
	}
	item[c.srcT] = &types.AttributeValueMemberS{Value: r.Topic}
	item[c.srcP] = num(strconv.FormatInt(int64(r.Partition), 10))
	item[c.srcO] = num(strconv.FormatInt(r.Offset, 10))
	o.item = item
	if o.size = itemSize(item); o.size > MaxItemSize {
		return op{}, "", false, errclass.Record("", "the item is %d bytes, over DynamoDB's limit of %d (400 KB)", o.size, MaxItemSize)
	}
	return o, keyID, false, nil
}

// keyValue resolves one key reference for a record.
func (s *Sink) keyValue(r record.Record, k ref, kd, vd any) (types.AttributeValue, error) {
	switch k.kind {
	case refPartition:
		return num(strconv.FormatInt(int64(r.Partition), 10)), nil
	case refOffset:
		return num(strconv.FormatInt(r.Offset, 10)), nil
	}
	sch, data, root := r.KeySchema, kd, "key"
	if k.kind == refValue {
		sch, data, root = r.ValueSchema, vd, "value"
	}
	if data == nil {
		return nil, fmt.Errorf("key attribute %q (%s): the record's %s is null", k.attr, k.text, root)
	}
	fs, fv, ok, err := lookup(sch, data, k.path)
	if err != nil {
		return nil, fmt.Errorf("key attribute %q (%s): %v", k.attr, k.text, err)
	}
	if !ok {
		return nil, fmt.Errorf("key attribute %q (%s): the record's %s has no such field", k.attr, k.text, root)
	}
	return toAV(fs, fv, k.text)
}

// valueAttributes returns the item's attributes from the record's value.
func (s *Sink) valueAttributes(vs *record.Schema, vd any) (map[string]types.AttributeValue, error) {
	c := s.cfg
	item := map[string]types.AttributeValue{}
	if len(c.fields) > 0 {
		sel := make(map[string]types.AttributeValue, len(c.fields))
		for _, f := range c.fields {
			fs, fv, ok, err := lookup(vs, vd, f.path)
			if err != nil {
				return nil, fmt.Errorf("value: %v", err)
			}
			if !ok {
				continue // a missing field is left out
			}
			av, err := toAV(fs, fv, "value."+joinPath(f.path))
			if err != nil {
				return nil, err
			}
			sel[f.attr] = av
		}
		if c.ValueAttribute != "" {
			item[c.ValueAttribute] = &types.AttributeValueMemberM{Value: sel}
			return item, nil
		}
		return sel, nil
	}
	av, err := toAV(vs, vd, "value")
	if err != nil {
		return nil, err
	}
	if c.ValueAttribute != "" {
		item[c.ValueAttribute] = av
		return item, nil
	}
	if m, ok := av.(*types.AttributeValueMemberM); ok {
		return m.Value, nil
	}
	item["value"] = av
	return item, nil
}

func joinPath(p []string) string {
	out := p[0]
	for _, f := range p[1:] {
		out += "." + f
	}
	return out
}

// Put writes one planned batch of items with the configured strategy and returns the bytes of
// the items written. Writes refused by their condition (the item holds a newer record of the
// partition) count as done. Items DynamoDB rejects for themselves (a ValidationException: a key
// of the wrong type, a number out of range) are returned as sink.RecordErrors, the others
// written. Throttling and unprocessed items are retried with jittered exponential backoff for
// aws.dynamodb.max.retry.time.seconds; then, as for other failures, the error is Retriable.
func (s *Sink) Put(ctx context.Context, w sink.Write) (int64, error) {
	b, ok := w.(*batch)
	if !ok {
		return 0, fmt.Errorf("dynamodb-sink: write %q was not planned by this sink", w.ID())
	}
	if err := ctx.Err(); err != nil {
		return 0, errclass.New(errclass.Retriable, b.id, fmt.Errorf("not written: %w", err))
	}
	wr := &writer{s: s, b: b, retry: newRetry(ctx, s.cfg.MaxRetryTime)}
	var err error
	switch s.cfg.Strategy {
	case StrategyBatch:
		err = wr.batchWrite(ctx)
	case StrategyTransact:
		err = wr.transactWrite(ctx)
	default:
		err = wr.conditionalWrite(ctx)
	}
	if err != nil {
		return 0, err
	}
	if len(wr.rejected) > 0 {
		return wr.bytes.Load(), wr.rejected
	}
	return wr.bytes.Load(), nil
}

// Discard does nothing: the writes of an uncommitted attempt are conditional writes of records
// that every later attempt writes again, identically, and can never roll an item back (see the
// package documentation).
func (s *Sink) Discard(ctx context.Context, ids []string) error { return nil }

// errRetriesExhausted marks a write still throttled when aws.dynamodb.max.retry.time.seconds ran out.
var errRetriesExhausted = errors.New("still throttled or unprocessed after " + KeyMaxRetrySeconds)
