package producer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// maxConcurrentPartitions bounds how many partitions of one Produce call have a request in
// flight at once (each partition has at most one, so that its batches stay in order).
const maxConcurrentPartitions = 32

// recordOverhead is an upper bound of a record's framing in a v2 record batch besides its key,
// value and headers (length, attributes, timestamp and offset deltas, key and value lengths,
// header count).
const recordOverhead = 32

// Produce writes msgs and waits for the brokers' acknowledgements (as acks asks). Messages of one
// partition are written in order. It returns nil only when every message was acknowledged; else
// an error naming the first failed message (its index in msgs, its topic and partition, and its
// Subject) and how many were not acknowledged: Retriable, or BadRecord for a message the broker
// rejects as invalid or one larger than batch.size (then nothing is sent). A failed Produce may
// still have stored some or all of the messages.
//
// The messages of each partition are cut into batches of at most batch.size bytes, each sent as
// one produce request; a partition's batches go one after the other (a failed one stops that
// partition), partitions go in parallel. Produce returns when every request it sent has its
// answer, or when ctx ends (each request is bounded by request.timeout.ms and ctx's deadline).
// linger.ms has no effect: every batch is sent as soon as it is cut.
func (p *Producer) Produce(ctx context.Context, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return classify(subjectAt(msgs, 0), fmt.Errorf("producing %d messages: %w", len(msgs), err))
	}
	// Group by partition, in order of first appearance, and check sizes before sending anything.
	type tp struct {
		topic     string
		partition int32
	}
	var order []tp
	byTP := map[tp][]int32{}
	for i := range msgs {
		m := &msgs[i]
		if n := recordSize(m); n > p.cfg.BatchBytes {
			return errclass.New(errclass.BadRecord, subjectAt(msgs, i),
				fmt.Errorf("message of %d bytes is larger than batch.size (%d bytes): %w", n, p.cfg.BatchBytes, kafka.MessageSizeTooLarge))
		}
		k := tp{m.Topic, m.Partition}
		idx, ok := byTP[k]
		if !ok {
			order = append(order, k)
		}
		byTP[k] = append(idx, int32(i))
	}

	var (
		mu       sync.Mutex
		firstErr error
		firstAt  = len(msgs)
		failed   int
		wg       sync.WaitGroup
		slots    = make(chan struct{}, maxConcurrentPartitions)
	)
	fail := func(at int, n int, err error) {
		mu.Lock()
		defer mu.Unlock()
		failed += n
		if at < firstAt {
			firstAt, firstErr = at, err
		}
	}
	for _, k := range order {
		idx := byTP[k]
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			rr := &records{msgs: msgs}
			for len(idx) > 0 {
				n, size := 0, 0
				for n < len(idx) && (n == 0 || size+recordSize(&msgs[idx[n]]) <= p.cfg.BatchBytes) {
					size += recordSize(&msgs[idx[n]])
					n++
				}
				batch := idx[:n]
				if err := p.send(ctx, k.topic, k.partition, rr, batch); err != nil {
					fail(int(batch[0]), len(idx), err)
					return
				}
				idx = idx[n:]
			}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		return nil
	}
	return classify(subjectAt(msgs, firstAt), fmt.Errorf("%d of %d messages not acknowledged, from this one: %w", failed, len(msgs), firstErr))
}

// send produces one batch of one partition and waits for its answer.
func (p *Producer) send(ctx context.Context, topic string, partition int32, rr *records, batch []int32) error {
	rr.reset(batch)
	p.flight.Add(1)
	start := time.Now()
	res, err := p.client.Produce(ctx, &kafka.ProduceRequest{
		Topic:        topic,
		Partition:    int(partition),
		RequiredAcks: p.acks,
		Compression:  p.comp,
		Records:      rr,
	})
	p.flight.Add(-1)
	if err == nil && rr.read != len(batch) {
		// Never report a batch as sent unless its records were all encoded into the request.
		err = fmt.Errorf("%d of the batch's %d records were written into the request", rr.read, len(batch))
	}
	if err == nil && res != nil {
		if res.Error != nil {
			err = res.Error
		} else {
			for i, rerr := range res.RecordErrors {
				err = fmt.Errorf("record %d of the batch: %w", i, rerr)
				break
			}
		}
	}
	if err != nil && p.log != nil {
		p.log.Warn("produce request failed", "topic", topic, "partition", partition, "records", len(batch),
			"elapsed_ms", time.Since(start).Milliseconds(), "error", err)
	}
	return err
}

// records reads a batch of messages as kafka-go records, without copying them: the record, its
// key and value readers and its headers are reused from one record to the next (kafka-go encodes
// each record before it asks for the next).
type records struct {
	msgs       []Message
	batch      []int32
	read       int
	rec        kafka.Record
	key, value bytesReader
	headers    []kafka.Header
}

func (r *records) reset(batch []int32) { r.batch, r.read = batch, 0 }

func (r *records) ReadRecord() (*kafka.Record, error) {
	if r.read >= len(r.batch) {
		return nil, io.EOF
	}
	m := &r.msgs[r.batch[r.read]]
	r.read++
	r.rec = kafka.Record{}
	if m.Key != nil {
		r.key.Reset(m.Key)
		r.rec.Key = &r.key
	}
	if m.Value != nil {
		r.value.Reset(m.Value)
		r.rec.Value = &r.value
	}
	if len(m.Headers) > 0 {
		r.headers = r.headers[:0]
		for _, h := range m.Headers {
			r.headers = append(r.headers, kafka.Header{Key: h.Key, Value: h.Value})
		}
		r.rec.Headers = r.headers
	}
	return &r.rec, nil
}

type bytesReader struct{ bytes.Reader }

func (*bytesReader) Close() error { return nil }

// recordSize bounds the encoded size of m in a record batch.
func recordSize(m *Message) int {
	n := recordOverhead + len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value) + 10
	}
	return n
}

// subjectAt names message i of msgs: its Subject, or its index, topic and partition.
func subjectAt(msgs []Message, i int) string {
	m := msgs[i]
	s := fmt.Sprintf("message %d of %d (topic %s partition %d)", i, len(msgs), m.Topic, m.Partition)
	if m.Subject != "" {
		s = m.Subject + ", " + s
	}
	return s
}
