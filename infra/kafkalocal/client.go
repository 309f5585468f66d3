package kafkalocal

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// maxReportedErrors bounds how many per-record produce errors an error message lists.
const maxReportedErrors = 10

// Produce writes recs to the cluster at addrs and waits until the broker acknowledged every one
// (acks=all). Each record goes to its own Topic and Partition (no partitioner), with its Key,
// Value and Headers as given (nil is null, so a nil Value is a tombstone) and its Timestamp (ms) as
// the create time; a record whose TimestampType is NoTimestampType gets the time of the call.
// Offsets and LogAppendTime timestamps are the broker's to choose and are ignored. Records of one
// partition keep their order. Every failed record is reported, joined in one error.
func Produce(ctx context.Context, addrs []string, recs []record.Record) error {
	if len(recs) == 0 {
		return nil
	}
	krs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		if r.Topic == "" || r.Partition < 0 {
			return errclass.Record(produceSubject(i, r), "needs a topic and a partition >= 0 to be produced")
		}
		kr := &kgo.Record{Topic: r.Topic, Partition: r.Partition, Key: r.Key, Value: r.Value}
		if r.TimestampType != record.NoTimestampType {
			kr.Timestamp = time.UnixMilli(r.Timestamp)
		}
		if len(r.Headers) > 0 {
			kr.Headers = make([]kgo.RecordHeader, len(r.Headers))
			for j, h := range r.Headers {
				kr.Headers[j] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
			}
		}
		krs[i] = kr
	}
	cl, err := newClient(addrs,
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
	)
	if err != nil {
		return err
	}
	defer cl.Close()

	index := make(map[*kgo.Record]int, len(krs))
	for i, kr := range krs {
		index[kr] = i
	}
	errAt := map[int]error{}
	for _, res := range cl.ProduceSync(ctx, krs...) { // in completion order, not input order
		if res.Err != nil {
			errAt[index[res.Record]] = res.Err
		}
	}
	var errs []error
	failed := len(errAt)
	for _, i := range slices.Sorted(maps.Keys(errAt)) {
		if len(errs) == maxReportedErrors {
			break
		}
		errs = append(errs, errclass.New(classOf(errAt[i]), produceSubject(i, recs[i]), fmt.Errorf("producing: %w", errAt[i])))
	}
	if failed > len(errs) {
		errs = append(errs, fmt.Errorf("... and %d more records failed", failed-len(errs)))
	}
	if len(errs) > 0 {
		return fmt.Errorf("kafkalocal: %d of %d records not produced: %w", failed, len(recs), errors.Join(errs...))
	}
	return nil
}

func produceSubject(i int, r record.Record) string {
	return "record #" + strconv.Itoa(i) + " for " + r.TopicPartition().String()
}

// ReadAll returns every record the cluster at addrs holds for topic: each partition from its log
// start offset to its high watermark at the time of the call, partitions in order.
func ReadAll(ctx context.Context, addrs []string, topic string) ([]record.Record, error) {
	cl, err := newClient(addrs)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	md, err := topicMetadata(ctx, cl, topic)
	if err != nil {
		return nil, err
	}
	var out []record.Record
	for p := range int32(len(md.Partitions)) {
		recs, err := readPartition(ctx, cl, topic, p, -1, -1)
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	return out, nil
}

// ReadPartition returns the records of topic's partition whose offsets are in [from, to), exactly
// as the broker holds them: Topic, Partition, Offset, Timestamp (ms) and TimestampType, Key and
// Value (nil for null), Headers (in order, nil values for null ones). A negative from means the
// partition's log start offset; a negative to, or one past the partition's high watermark, means
// the high watermark at the time of the call. Offsets missing from the log (compaction,
// transaction markers) are skipped; transactional records are read uncommitted, as they are
// stored. Nothing to read gives no records and no error.
func ReadPartition(ctx context.Context, addrs []string, topic string, partition int32, from, to int64) ([]record.Record, error) {
	cl, err := newClient(addrs)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	return readPartition(ctx, cl, topic, partition, from, to)
}

// EndOffsets returns the high watermark (the offset the next record will get) of each partition
// of topic, indexed by partition.
func EndOffsets(ctx context.Context, addrs []string, topic string) ([]int64, error) {
	cl, err := newClient(addrs)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	md, err := topicMetadata(ctx, cl, topic)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(md.Partitions))
	for p := range out {
		_, end, err := bounds(ctx, cl, topic, int32(p))
		if err != nil {
			return nil, err
		}
		out[p] = end
	}
	return out, nil
}

func readPartition(ctx context.Context, cl *kgo.Client, topic string, partition int32, from, to int64) ([]record.Record, error) {
	tp := record.TopicPartition{Topic: topic, Partition: partition}
	subject := "partition " + tp.String()
	start, end, err := bounds(ctx, cl, topic, partition)
	if err != nil {
		return nil, err
	}
	if from < start {
		from = start
	}
	if to < 0 || to > end {
		to = end
	}
	var (
		out    []record.Record
		next   = from
		md     *kmsg.MetadataResponseTopic
		leader = int32(-1)
	)
	for next < to {
		if leader < 0 { // look the leader up (again)
			if md, err = topicMetadata(ctx, cl, topic); err != nil {
				return nil, err
			}
			if int(partition) >= len(md.Partitions) {
				return nil, errclass.Config(subject, "the topic has %d partitions", len(md.Partitions))
			}
			if leader = md.Partitions[partition].Leader; leader < 0 {
				if err := pause(ctx, subject); err != nil {
					return nil, err
				}
				continue
			}
		}

		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxWaitMillis = 500
		req.MinBytes = 1
		req.MaxBytes = 64 << 20
		req.SessionID = 0
		req.SessionEpoch = -1 // no fetch session
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = topic
		rt.TopicID = md.TopicID
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = partition
		rp.FetchOffset = next
		rp.CurrentLeaderEpoch = -1
		rp.LastFetchedEpoch = -1
		rp.LogStartOffset = -1
		rp.PartitionMaxBytes = 32 << 20
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)

		kresp, err := cl.Broker(int(leader)).Request(ctx, req)
		if err != nil {
			return nil, errclass.New(errclass.Retriable, subject, fmt.Errorf("fetching from offset %d: %w", next, err))
		}
		resp := kresp.(*kmsg.FetchResponse)
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return nil, errclass.New(classOf(err), subject, fmt.Errorf("fetching from offset %d: %w", next, err))
		}
		var part *kmsg.FetchResponseTopicPartition
		for i := range resp.Topics {
			for j := range resp.Topics[i].Partitions {
				if resp.Topics[i].Partitions[j].Partition == partition {
					part = &resp.Topics[i].Partitions[j]
				}
			}
		}
		if part == nil {
			return nil, errclass.Retry(subject, "fetching from offset %d: the partition is missing from the response", next)
		}
		if err := kerr.ErrorForCode(part.ErrorCode); err != nil {
			if kerr.IsRetriable(err) { // leadership moved: look the leader up again
				leader = -1
				if err := pause(ctx, subject); err != nil {
					return nil, err
				}
				continue
			}
			return nil, errclass.New(classOf(err), subject, fmt.Errorf("fetching from offset %d: %w", next, err))
		}
		fp, nextAsk := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
			Offset:         next,
			IsolationLevel: kgo.ReadUncommitted(),
			Topic:          topic,
			Partition:      partition,
		}, part, kgo.DefaultDecompressor(), nil)
		if fp.Err != nil && len(fp.Records) == 0 {
			return nil, errclass.New(errclass.Retriable, subject, fmt.Errorf("decoding the batches from offset %d: %w", next, fp.Err))
		}
		for _, kr := range fp.Records {
			if kr.Offset < next || kr.Offset >= to {
				continue
			}
			out = append(out, fromKgo(kr))
		}
		if nextAsk <= next {
			// No batch was complete (the response was cut short): ask again.
			if err := pause(ctx, subject); err != nil {
				return nil, err
			}
			continue
		}
		next = nextAsk
	}
	return out, nil
}

// bounds returns the partition's log start offset and high watermark.
func bounds(ctx context.Context, cl *kgo.Client, topic string, partition int32) (start, end int64, err error) {
	tp := record.TopicPartition{Topic: topic, Partition: partition}
	subject := "partition " + tp.String()
	list := func(ts int64) (int64, error) {
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = topic
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = partition
		rp.CurrentLeaderEpoch = -1
		rp.Timestamp = ts
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return 0, errclass.New(errclass.Retriable, subject, fmt.Errorf("listing offsets: %w", err))
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if t.Topic != topic || p.Partition != partition {
					continue
				}
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					return 0, errclass.New(classOf(err), subject, fmt.Errorf("listing offsets: %w", err))
				}
				return p.Offset, nil
			}
		}
		return 0, errclass.Config(subject, "listing offsets: no such partition")
	}
	if start, err = list(-2); err != nil {
		return 0, 0, err
	}
	if end, err = list(-1); err != nil {
		return 0, 0, err
	}
	return start, end, nil
}

func pause(ctx context.Context, subject string) error {
	select {
	case <-ctx.Done():
		return errclass.New(errclass.Retriable, subject, ctx.Err())
	case <-time.After(100 * time.Millisecond):
		return nil
	}
}

// fromKgo converts a fetched kgo record.
func fromKgo(kr *kgo.Record) record.Record {
	r := record.Record{
		Topic:     kr.Topic,
		Partition: kr.Partition,
		Offset:    kr.Offset,
		Key:       kr.Key,
		Value:     kr.Value,
	}
	switch kr.Attrs.TimestampType() {
	case 0:
		r.TimestampType, r.Timestamp = record.CreateTime, kr.Timestamp.UnixMilli()
	case 1:
		r.TimestampType, r.Timestamp = record.LogAppendTime, kr.Timestamp.UnixMilli()
	default:
		r.TimestampType, r.Timestamp = record.NoTimestampType, -1
	}
	if len(kr.Headers) > 0 {
		r.Headers = make([]record.Header, len(kr.Headers))
		for i, h := range kr.Headers {
			r.Headers[i] = record.Header{Key: h.Key, Value: h.Value}
		}
	}
	return r
}
