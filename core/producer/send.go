package producer

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"

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
// rejects as invalid, or one larger than batch.size or with a Timestamp before the Unix epoch
// (then nothing is sent). A failed Produce may
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
	// Check sizes before sending anything, and group by partition, in order of first appearance:
	// one permutation of the indices, grouped, unless all messages go to one partition (then
	// runs[0].idx is nil: msgs in order).
	type tp struct {
		topic     string
		partition int32
	}
	single, unstamped := true, true
	for i := range msgs {
		m := &msgs[i]
		if n := recordSize(m); n > p.cfg.BatchBytes {
			return errclass.New(errclass.BadRecord, subjectAt(msgs, i),
				fmt.Errorf("message of %d bytes is larger than batch.size (%d bytes): %w", n, p.cfg.BatchBytes, kafka.MessageSizeTooLarge))
		}
		if !m.Timestamp.IsZero() {
			if m.Timestamp.UnixMilli() < 0 {
				return errclass.New(errclass.BadRecord, subjectAt(msgs, i),
					fmt.Errorf("timestamp %s is before the Unix epoch: %w", m.Timestamp.UTC().Format(time.RFC3339Nano), kafka.InvalidTimestamp))
			}
			unstamped = false
		}
		if m.Topic != msgs[0].Topic || m.Partition != msgs[0].Partition {
			single = false
		}
	}
	type partRun struct {
		tp
		idx []int32 // indices of its messages in msgs; nil: all of msgs
	}
	runs := []partRun{{tp: tp{msgs[0].Topic, msgs[0].Partition}}}
	if !single {
		runs = runs[:0]
		group := make([]int32, len(msgs)) // each message's group
		var counts []int
		for i := range msgs {
			k := tp{msgs[i].Topic, msgs[i].Partition}
			g := len(runs) - 1
			if g < 0 || runs[g].tp != k { // runs of one partition are the common case
				g = slices.IndexFunc(runs, func(r partRun) bool { return r.tp == k })
				if g < 0 {
					g = len(runs)
					runs, counts = append(runs, partRun{tp: k}), append(counts, 0)
				}
			}
			counts[g]++
			group[i] = int32(g)
		}
		starts := make([]int, len(runs)+1)
		for g, c := range counts {
			starts[g+1] = starts[g] + c
		}
		next := slices.Clone(starts)
		perm := make([]int32, len(msgs))
		for i, g := range group {
			perm[next[g]] = int32(i)
			next[g]++
		}
		for g := range runs {
			runs[g].idx = perm[starts[g]:starts[g+1]]
		}
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
	for i, run := range runs {
		produceRun := func() {
			sb := p.sendBuf()
			defer p.releaseSendBuf(sb)
			total := batchLen(msgs, run.idx)
			for pos := 0; pos < total; {
				n, size := 0, 0
				for pos+n < total && (n == 0 || size+recordSize(batchAt(msgs, run.idx, pos+n)) <= p.cfg.BatchBytes) {
					size += recordSize(batchAt(msgs, run.idx, pos+n))
					n++
				}
				bm, batch, first := msgs[pos:pos+n], []int32(nil), pos
				if run.idx != nil {
					bm, batch, first = msgs, run.idx[pos:pos+n], int(run.idx[pos])
				}
				if err := p.send(ctx, run.topic, run.partition, bm, batch, unstamped, sb); err != nil {
					fail(first, total-pos, err)
					return
				}
				pos += n
			}
		}
		if i == len(runs)-1 {
			produceRun() // the last (often the only) partition: no goroutine of its own
			break
		}
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			produceRun()
		}()
	}
	wg.Wait()
	if firstErr == nil {
		return nil
	}
	return classify(subjectAt(msgs, firstAt), fmt.Errorf("%d of %d messages not acknowledged, from this one: %w", failed, len(msgs), firstErr))
}

// sendBuf holds a partition sender's encoded batch and compression scratch, reused from batch
// to batch and call to call.
type sendBuf struct {
	batch, scratch []byte
}

// maxSpareBufs bounds the send buffers kept between calls.
const maxSpareBufs = 8

// sendBuf returns a spare send buffer, or a new one (its buffers grow on first use: an
// uncompressed batch needs only a small scratch, a compressed one is encoded whole).
func (p *Producer) sendBuf() *sendBuf {
	p.mu.Lock()
	if n := len(p.spare); n > 0 {
		sb := p.spare[n-1]
		p.spare = p.spare[:n-1]
		p.mu.Unlock()
		return sb
	}
	p.mu.Unlock()
	return &sendBuf{}
}

func (p *Producer) releaseSendBuf(sb *sendBuf) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.spare) < maxSpareBufs {
		p.spare = append(p.spare, sb)
	}
}

// send produces one batch of one partition as a pre-encoded record set (kafka-go's RawProduce)
// and waits for its answer: uncompressed, streamed (streamedBatch); compressed, encoded whole
// (appendBatch). unstamped says that no message has a Timestamp.
func (p *Producer) send(ctx context.Context, topic string, partition int32, msgs []Message, batch []int32, unstamped bool, sb *sendBuf) error {
	now := time.Now().UnixMilli()
	var set io.Reader
	if p.codec == nil {
		set = &streamedBatch{msgs: msgs, batch: batch, now: now, unstamped: unstamped, scratch: sb.scratch}
		defer func() { sb.scratch = set.(*streamedBatch).scratch }()
	} else {
		// The record set of a produce request: its size (int32), then the batch.
		var err error
		sb.batch, err = appendBatch(append(sb.batch[:0], 0, 0, 0, 0), msgs, batch, now, p.codec, &sb.scratch)
		if err != nil {
			return errclass.New(errclass.BadRecord, fmt.Sprintf("topic %s partition %d", topic, partition), fmt.Errorf("compressing a batch: %w", err))
		}
		binary.BigEndian.PutUint32(sb.batch, uint32(len(sb.batch)-4))
		set = bytes.NewReader(sb.batch)
	}
	p.flight.Add(1)
	start := time.Now()
	res, err := p.client.RawProduce(ctx, &kafka.RawProduceRequest{
		Topic:        topic,
		Partition:    int(partition),
		RequiredAcks: p.acks,
		RawRecords:   protocol.RawRecordSet{Reader: set},
	})
	p.flight.Add(-1)
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
		p.log.Warn("produce request failed", "topic", topic, "partition", partition, "records", batchLen(msgs, batch),
			"elapsed_ms", time.Since(start).Milliseconds(), "error", err)
	}
	return err
}

// recordSize bounds the encoded size of m in a record batch.
func recordSize(m *Message) int {
	n := recordOverhead + len(m.Key) + len(m.Value)
	for _, h := range m.SharedHeaders {
		n += len(h.Key) + len(h.Value) + 10
	}
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
