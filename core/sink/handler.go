package sink

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/metrics"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/transforms"
)

// Metric names the runtime emits (CloudWatch Embedded Metric Format, dimension Connector).
const (
	MetricRecordsIn      = "RecordsIn"
	MetricRecordsSkipped = "RecordsSkippedCommitted"
	MetricRecordsWritten = "RecordsWritten"
	MetricBytesWritten   = "BytesWritten"
	MetricWrites         = "Writes"
	MetricOffsetCommits  = "OffsetCommits"
	MetricDiscarded      = "DiscardedWrites"
	MetricDeadLettered   = "RecordsDeadLettered"
	MetricFiltered       = "RecordsFiltered"
	MetricRetries        = "WriteRetries"
	MetricBatchLatency   = "BatchLatency"
	metricErrorsPrefix   = "Errors_" // + errclass name: Errors_retriable, Errors_bad_record, ...

	// MetricsNamespace is the CloudWatch namespace of the runtime's metrics.
	MetricsNamespace = "LambdaConnect"
)

// Config configures a Handler. Connector, Sink, Store and both converters are required.
type Config struct {
	Connector      string
	Sink           Sink
	Store          Store
	KeyConverter   converters.Converter
	ValueConverter converters.Converter
	// Converters is the registry NewFromConfig builds KeyConverter and ValueConverter from
	// (WithConverters; nil: converters.Builtins). New does not read it.
	Converters *converters.Registry
	// Transforms run on every converted record, in order (nil: none).
	Transforms *transforms.Chain

	// Logger receives JSON logs; nil logs JSON to stderr.
	Logger *slog.Logger
	// MetricsTo receives one CloudWatch EMF line per invocation; nil is stdout, where Lambda
	// sends it to CloudWatch.
	MetricsTo io.Writer
	// LeaseMargin is how long a partition lease outlives the invocation's deadline (default 30 s).
	LeaseMargin time.Duration
	// DefaultTimeout bounds an invocation whose context has no deadline (default 15 min, Lambda's
	// maximum).
	DefaultTimeout time.Duration
	// LeaseWait is how long an invocation waits for a partition leased by another one before it
	// fails with a retriable error (default 10 s, capped by half the time left).
	LeaseWait time.Duration
	// Concurrency is how many partitions are written at the same time (default 8).
	Concurrency int
	// Now is the clock (default time.Now).
	Now func() time.Time

	// TolerateAll is errors.tolerance=all: a record that cannot be converted or written goes to
	// DeadLetters, with its original bytes and the reason, and the partition moves on. Otherwise
	// (errors.tolerance=none) such a record fails the invocation and nothing past it is committed.
	TolerateAll bool
	// DeadLetters is where bad records go; required with TolerateAll.
	DeadLetters dlq.Destination
	// LogErrors logs every failed record (errors.log.enable); LogMessages adds its key, value and
	// headers (errors.log.include.messages).
	LogErrors, LogMessages bool
	// RetryTimeout is how long a retriable failure (of a write, or of a record's conversion or
	// transformation) is retried within the invocation
	// (errors.retry.timeout; 0: not retried, the invocation fails and Lambda retries the batch;
	// negative: until the deadline). RetryDelayMax caps the backoff between tries
	// (errors.retry.delay.max.ms, default 60 s).
	RetryTimeout  time.Duration
	RetryDelayMax time.Duration
	// Hooks let tests stop an invocation at the points where a crash matters.
	Hooks Hooks
}

// Hooks are called, when set, at the points of an invocation where a crash or a pause matters. An
// error from a hook fails the partition as a crash there would (the lease is released).
type Hooks struct {
	// BeforePut runs after the writes were announced as pending and before each Put.
	BeforePut func(ctx context.Context, tp record.TopicPartition, id string) error
	// BeforeCommit runs after every Put of a partition succeeded and before its offset commit.
	BeforeCommit func(ctx context.Context, tp record.TopicPartition) error
}

func (c *Config) validate() error {
	var errs []error
	if c.Connector == "" {
		errs = append(errs, errors.New("Connector is empty"))
	}
	if c.Sink == nil {
		errs = append(errs, errors.New("Sink is nil"))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("Store is nil"))
	}
	if c.KeyConverter == nil || c.ValueConverter == nil {
		errs = append(errs, errors.New("KeyConverter and ValueConverter are required"))
	}
	if c.TolerateAll && c.DeadLetters == nil {
		errs = append(errs, dlq.ErrNoDestination)
	}
	if c.LeaseMargin < 0 || c.DefaultTimeout < 0 || c.LeaseWait < 0 || c.Concurrency < 0 || c.RetryDelayMax < 0 {
		errs = append(errs, errors.New("durations and Concurrency must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return errclass.New(errclass.BadConfig, "sink", err)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if c.MetricsTo == nil {
		c.MetricsTo = os.Stdout
	}
	if c.LeaseMargin == 0 {
		c.LeaseMargin = 30 * time.Second
	}
	if c.DefaultTimeout == 0 {
		c.DefaultTimeout = 15 * time.Minute
	}
	if c.LeaseWait == 0 {
		c.LeaseWait = 10 * time.Second
	}
	if c.Concurrency == 0 {
		c.Concurrency = 8
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RetryDelayMax == 0 {
		c.RetryDelayMax = time.Minute
	}
	return nil
}

// Handler is a Lambda handler for Kafka events (it implements aws-lambda-go's lambda.Handler).
// Build it once at cold start; it is safe for concurrent use.
type Handler struct {
	cfg Config
	log *slog.Logger
}

// New validates cfg and returns a Handler.
func New(cfg Config) (*Handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Handler{cfg: cfg, log: cfg.Logger.With("connector", cfg.Connector)}, nil
}

// Result says what an invocation did, per partition.
type Result struct {
	Partitions []PartitionResult
}

// PartitionResult is what an invocation did with one partition.
type PartitionResult struct {
	record.TopicPartition
	Received  int      // records of the partition in the event
	Skipped   int      // records at or below the committed offset
	Written   int      // records in the writes
	Filtered  int      // records a transform (Filter) dropped
	Dead      int      // records sent to the dead-letter destination
	Writes    []string // IDs written (S3 object keys)
	Bytes     int64
	Committed int64 // the next offset after the commit; -1 when nothing was committed
}

// Invoke decodes a Lambda Kafka event and processes it. The payload is decoded in place: the
// caller must not use it afterwards. It returns an error, naming the record or partition at fault,
// when any partition could not be completed; partitions that were committed stay committed and are
// skipped when Lambda retries the batch.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	_, err := h.Handle(ctx, payload)
	if err != nil {
		return nil, err
	}
	return []byte("null"), nil
}

// Handle is Invoke returning what was done.
func (h *Handler) Handle(ctx context.Context, payload []byte) (Result, error) {
	start := h.cfg.Now()
	requestID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		requestID = lc.AwsRequestID
	}
	log := h.log.With("request_id", requestID)
	m := metrics.New(h.cfg.MetricsTo, MetricsNamespace, map[string]string{"Connector": h.cfg.Connector})
	defer func() {
		m.Milliseconds(MetricBatchLatency, h.cfg.Now().Sub(start))
		if err := m.Flush(map[string]string{"request_id": requestID}); err != nil {
			log.Warn("metrics not written", "error", err)
		}
	}()

	ev, err := kafkaevent.Decode(payload)
	if err != nil {
		m.Count(metricErrorsPrefix+errclass.Of(err).String(), 1)
		log.Error("event not decoded", "error", err, "class", errclass.Of(err).String())
		return Result{}, fmt.Errorf("decoding the Kafka event: %w", err)
	}
	m.Count(MetricRecordsIn, int64(len(ev.Records)))
	parts := groupByPartition(ev.Records)
	inv := &invocation{h: h, log: log, m: m, owner: ownerID(requestID), bootstrap: ev.BootstrapServers}
	inv.deadline, inv.hasDeadline = ctx.Deadline()
	if !inv.hasDeadline {
		inv.deadline = start.Add(h.cfg.DefaultTimeout)
	}

	res, err := inv.run(ctx, parts)
	if err != nil {
		m.Count(metricErrorsPrefix+errclass.Of(err).String(), 1)
		log.Error("invocation failed", "error", err, "class", errclass.Of(err).String())
		return res, err
	}
	log.Info("invocation done", "records", len(ev.Records), "partitions", len(parts),
		"ms", h.cfg.Now().Sub(start).Milliseconds())
	return res, nil
}

// partition is one partition's records of an event, in offset order.
type partition struct {
	tp   record.TopicPartition
	recs []record.Record
}

// groupByPartition groups records by partition, partitions sorted by topic and number (the
// order leases are taken in, so that two invocations never wait on each other in a cycle), records
// in offset order without duplicates. Events from the event-source mapping hold each partition's
// records contiguously and in order; those are sub-sliced, not copied.
func groupByPartition(recs []record.Record) []partition {
	idx := map[record.TopicPartition]int{}
	var parts []partition
	for i := 0; i < len(recs); {
		tp := recs[i].TopicPartition()
		j := i + 1
		for j < len(recs) && recs[j].Partition == tp.Partition && recs[j].Topic == tp.Topic {
			j++
		}
		if k, seen := idx[tp]; seen {
			// The partition appears again further on: gather its records in a new slice.
			parts[k].recs = append(slices.Clip(parts[k].recs), recs[i:j]...)
		} else {
			idx[tp] = len(parts)
			parts = append(parts, partition{tp: tp, recs: recs[i:j]})
		}
		i = j
	}
	byOffset := func(a, b record.Record) int { return cmp.Compare(a.Offset, b.Offset) }
	for i := range parts {
		rs := parts[i].recs
		if !slices.IsSortedFunc(rs, byOffset) {
			rs = slices.Clone(rs)
			slices.SortStableFunc(rs, byOffset)
		}
		if hasDuplicateOffsets(rs) {
			rs = slices.CompactFunc(slices.Clone(rs), func(a, b record.Record) bool { return a.Offset == b.Offset })
		}
		parts[i].recs = rs
	}
	slices.SortFunc(parts, func(a, b partition) int {
		return cmp.Or(cmp.Compare(a.tp.Topic, b.tp.Topic), cmp.Compare(a.tp.Partition, b.tp.Partition))
	})
	return parts
}

func hasDuplicateOffsets(sorted []record.Record) bool {
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Offset == sorted[i-1].Offset {
			return true
		}
	}
	return false
}

func ownerID(requestID string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	if requestID == "" {
		requestID = "local"
	}
	return requestID + "/" + hex.EncodeToString(b[:])
}

// invocation is the state of one Handle call.
type invocation struct {
	h           *Handler
	log         *slog.Logger
	m           *metrics.Recorder
	owner       string
	bootstrap   string // the event's bootstrapServers
	deadline    time.Time
	hasDeadline bool
}

// work is a partition once leased and prepared.
type work struct {
	partition
	lease  offsets.Lease
	leased bool
	todo   []record.Record // converted, not yet committed
	writes []Write
	dead   []dlq.Letter // records that go to the dead-letter destination before the commit
	res    PartitionResult
}

// run processes the partitions in two phases. First every partition is leased (in sorted order),
// its committed records skipped and the rest converted and planned: a bad record fails the whole
// invocation before anything is written. Then the partitions are written and committed, several at
// a time. Every lease is released before run returns.
func (inv *invocation) run(ctx context.Context, parts []partition) (Result, error) {
	ws := make([]*work, len(parts))
	for i, p := range parts {
		ws[i] = &work{partition: p, res: PartitionResult{TopicPartition: p.tp, Received: len(p.recs), Committed: -1}}
	}
	defer inv.releaseAll(ctx, ws)

	for _, w := range ws {
		if err := inv.prepare(ctx, w); err != nil {
			return inv.result(ws), err
		}
	}

	sem := make(chan struct{}, inv.h.cfg.Concurrency)
	var wg sync.WaitGroup
	errs := make([]error, len(ws))
	for i, w := range ws {
		if !w.leased || (len(w.todo) == 0 && len(w.dead) == 0) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = inv.write(ctx, w)
		}()
	}
	wg.Wait()
	return inv.result(ws), errors.Join(errs...)
}

func (inv *invocation) result(ws []*work) Result {
	r := Result{Partitions: make([]PartitionResult, len(ws))}
	for i, w := range ws {
		r.Partitions[i] = w.res
	}
	return r
}

// leaseUntil is when this invocation's leases expire: its deadline plus the margin.
func (inv *invocation) leaseUntil() time.Time { return inv.deadline.Add(inv.h.cfg.LeaseMargin) }

// prepare leases the partition, discards what an earlier uncommitted attempt wrote, skips
// committed records, converts the rest and plans the writes.
func (inv *invocation) prepare(ctx context.Context, w *work) error {
	cfg := &inv.h.cfg
	key := offsets.Key{Connector: cfg.Connector, Topic: w.tp.Topic, Partition: w.tp.Partition}
	lease, err := inv.acquire(ctx, key)
	if err != nil {
		return err
	}
	w.lease, w.leased = lease, true

	first := 0
	for first < len(w.recs) && lease.Next >= 0 && w.recs[first].Offset < lease.Next {
		first++
	}
	w.res.Skipped = first
	inv.m.Count(MetricRecordsSkipped, int64(first))
	if first == len(w.recs) {
		return nil
	}
	if lease.Next >= 0 && w.recs[first].Offset > lease.Next {
		inv.log.Warn("offset gap: records between the committed offset and this batch were not delivered (retention or an offset reset)",
			"partition", w.tp.String(), "committed_next", lease.Next, "batch_first", w.recs[first].Offset)
	}

	if len(lease.Pending) > 0 {
		// An earlier attempt announced these writes and died before committing them; their
		// records are all uncommitted and are written again below.
		fctx, cancel := inv.fence(ctx, lease)
		err := cfg.Sink.Discard(fctx, lease.Pending)
		cancel()
		if err != nil {
			return fmt.Errorf("partition %s: discarding %d writes of an uncommitted attempt: %w", w.tp, len(lease.Pending), err)
		}
		inv.log.Info("discarded writes of an uncommitted attempt", "partition", w.tp.String(), "writes", lease.Pending)
		inv.m.Count(MetricDiscarded, int64(len(lease.Pending)))
	}

	todo := make([]record.Record, 0, len(w.recs)-first)
	for _, r := range w.recs[first:] {
		var c record.Record
		var stage dlq.Stage
		err := inv.retrying(ctx, r, func() (err error) {
			c, stage, err = inv.convert(r)
			return err
		})
		if err != nil {
			if err := inv.reject(w, r, stage, "", err); err != nil {
				return err
			}
			continue
		}
		converted, keep := c, false
		err = inv.retrying(ctx, r, func() (err error) {
			c, keep, err = cfg.Transforms.Apply(converted)
			return err
		})
		if err != nil {
			class := ""
			if te, ok := transforms.AsError(err); ok {
				class = te.Class
			}
			if err := inv.reject(w, r, dlq.StageTransformation, class, err); err != nil {
				return err
			}
			continue
		}
		if !keep {
			w.res.Filtered++
			inv.m.Count(MetricFiltered, 1)
			continue
		}
		todo = append(todo, c)
	}
	w.todo = todo
	if len(todo) == 0 {
		return nil
	}
	writes, err := cfg.Sink.Plan(w.tp, todo)
	if err != nil {
		rejected, ok := AsRecordErrors(err)
		if !ok {
			return fmt.Errorf("partition %s: %w", w.tp, err)
		}
		for _, re := range rejected {
			if err := inv.reject(w, re.Record, dlq.StageTask, "", re.Err); err != nil {
				return err
			}
		}
	}
	w.writes = writes
	return nil
}

// reject handles a record that cannot be processed: with errors.tolerance=all it is kept for the
// dead-letter destination (its original bytes are sent, whatever stage failed) and nil is
// returned; otherwise the error, naming the record, fails the invocation.
func (inv *invocation) reject(w *work, r record.Record, stage dlq.Stage, class string, cause error) error {
	cfg := &inv.h.cfg
	err := cause
	if errclass.Of(err) == errclass.Unknown {
		err = errclass.New(errclass.BadRecord, "", err)
	}
	err = fmt.Errorf("record %s: %s: %w", r.Coordinates(), stageName(stage), err)
	if cfg.LogErrors || !cfg.TolerateAll {
		attrs := []any{"record", r.Coordinates(), "stage", string(stage), "error", cause.Error(), "tolerance", map[bool]string{true: "all", false: "none"}[cfg.TolerateAll]}
		if cfg.LogMessages {
			attrs = append(attrs, "key", string(r.Key), "value", string(r.Value), "headers", len(r.Headers))
		}
		inv.log.Warn("record failed", attrs...)
	}
	if !cfg.TolerateAll {
		return err
	}
	orig := r
	orig.KeySchema, orig.KeyData, orig.ValueSchema, orig.ValueData = nil, nil, nil, nil
	w.dead = append(w.dead, dlq.Letter{Record: orig, Connector: cfg.Connector, Stage: stage, Class: class, Err: err,
		SourceBootstrap: inv.bootstrap})
	return nil
}

// retrying runs op (converting or transforming r) and, as Connect's RetryWithToleranceOperator
// does in every stage, retries its Retriable failures (a schema registry outage) for
// errors.retry.timeout, with a backoff doubling up to errors.retry.delay.max.ms, never past the
// invocation's deadline. It returns op's last error: a failure that is not Retriable at once, a
// Retriable one once the time is up (the caller then tolerates or fails it, as Connect does).
func (inv *invocation) retrying(ctx context.Context, r record.Record, op func() error) error {
	cfg := &inv.h.cfg
	err := op()
	if err == nil || cfg.RetryTimeout == 0 || !errclass.Is(err, errclass.Retriable) {
		return err
	}
	giveUp := inv.deadline
	if cfg.RetryTimeout > 0 && cfg.Now().Add(cfg.RetryTimeout).Before(giveUp) {
		giveUp = cfg.Now().Add(cfg.RetryTimeout)
	}
	delay := min(100*time.Millisecond, cfg.RetryDelayMax)
	for errclass.Is(err, errclass.Retriable) && cfg.Now().Add(delay).Before(giveUp) {
		inv.m.Count(MetricRetries, 1)
		inv.log.Warn("record failed; retrying", "record", r.Coordinates(), "error", err, "delay_ms", delay.Milliseconds())
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(delay*2, cfg.RetryDelayMax)
		if err = op(); err == nil {
			return nil
		}
	}
	return err
}

func stageName(s dlq.Stage) string {
	switch s {
	case dlq.StageKeyConverter:
		return "key.converter"
	case dlq.StageValueConverter:
		return "value.converter"
	case dlq.StageTransformation:
		return "transform"
	default:
		return "write"
	}
}

func (inv *invocation) convert(r record.Record) (record.Record, dlq.Stage, error) {
	cfg := &inv.h.cfg
	ks, kd, err := cfg.KeyConverter.ToConnect(r.Topic, r.Headers, r.Key)
	if err != nil {
		return r, dlq.StageKeyConverter, err
	}
	vs, vd, err := cfg.ValueConverter.ToConnect(r.Topic, r.Headers, r.Value)
	if err != nil {
		return r, dlq.StageValueConverter, err
	}
	return r.WithKey(ks, kd).WithValue(vs, vd), "", nil
}

// acquire takes the partition's lease, waiting while another invocation holds it.
func (inv *invocation) acquire(ctx context.Context, key offsets.Key) (offsets.Lease, error) {
	cfg := &inv.h.cfg
	wait := cfg.LeaseWait
	if left := inv.deadline.Sub(cfg.Now()) / 2; left < wait {
		wait = left
	}
	giveUp := cfg.Now().Add(wait)
	backoff := 20 * time.Millisecond
	for {
		lease, err := cfg.Store.Acquire(ctx, key, inv.owner, inv.leaseUntil())
		if err == nil {
			return lease, nil
		}
		if !errors.Is(err, offsets.ErrLeaseHeld) || !cfg.Now().Before(giveUp) {
			return offsets.Lease{}, errclass.New(errclass.Retriable, "partition "+key.String(), fmt.Errorf("leasing: %w", err))
		}
		select {
		case <-ctx.Done():
			return offsets.Lease{}, errclass.New(errclass.Retriable, "partition "+key.String(), fmt.Errorf("waiting for the lease: %w", ctx.Err()))
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Second)
	}
}

// fence returns a context that ends when the lease stops protecting this invocation's writes: at
// the lease's expiry less the margin (the invocation's deadline). A write never starts after it.
func (inv *invocation) fence(ctx context.Context, l offsets.Lease) (context.Context, context.CancelFunc) {
	return context.WithDeadline(ctx, l.Until.Add(-inv.h.cfg.LeaseMargin))
}

// write announces the partition's writes as pending, performs them and commits the offset.
func (inv *invocation) write(ctx context.Context, w *work) error {
	cfg := &inv.h.cfg
	ids := make([]string, len(w.writes))
	for i, wr := range w.writes {
		ids[i] = wr.ID()
	}
	if len(ids) > 0 {
		if err := cfg.Store.SetPending(ctx, w.lease, ids); err != nil {
			return inv.storeErr(w, "announcing writes", err)
		}
	}
	fctx, cancel := inv.fence(ctx, w.lease)
	defer cancel()
	for _, wr := range w.writes {
		if h := cfg.Hooks.BeforePut; h != nil {
			if err := h(fctx, w.tp, wr.ID()); err != nil {
				return fmt.Errorf("partition %s: %w", w.tp, err)
			}
		}
		n, err := inv.put(fctx, w, wr)
		if err != nil {
			rejected, ok := AsRecordErrors(err)
			if !ok {
				return fmt.Errorf("partition %s: writing %s: %w", w.tp, wr.ID(), err)
			}
			for _, re := range rejected {
				if err := inv.reject(w, re.Record, dlq.StageTask, "", re.Err); err != nil {
					return fmt.Errorf("partition %s: writing %s: %w", w.tp, wr.ID(), err)
				}
			}
			n, err = 0, nil
		}
		w.res.Writes = append(w.res.Writes, wr.ID())
		w.res.Written += wr.Records()
		w.res.Bytes += n
		inv.m.Count(MetricWrites, 1)
		inv.m.Count(MetricRecordsWritten, int64(wr.Records()))
		inv.m.Bytes(MetricBytesWritten, n)
	}
	if len(w.dead) > 0 {
		// Dead letters are stored before the commit that moves past them.
		if err := cfg.DeadLetters.Send(fctx, w.dead); err != nil {
			return fmt.Errorf("partition %s: sending %d records to the dead-letter destination: %w", w.tp, len(w.dead), err)
		}
		w.res.Dead = len(w.dead)
		inv.m.Count(MetricDeadLettered, int64(len(w.dead)))
	}
	if h := cfg.Hooks.BeforeCommit; h != nil {
		if err := h(ctx, w.tp); err != nil {
			return fmt.Errorf("partition %s: %w", w.tp, err)
		}
	}
	next := w.recs[len(w.recs)-1].Offset + 1
	if err := cfg.Store.Commit(ctx, w.lease, next); err != nil {
		return inv.storeErr(w, "committing offset "+fmt.Sprint(next), err)
	}
	w.res.Committed = next
	inv.m.Count(MetricOffsetCommits, 1)
	inv.log.Debug("partition committed", "partition", w.tp.String(), "next_offset", next, "writes", len(ids))
	return nil
}

// put performs one write, retrying retriable failures for errors.retry.timeout with a backoff
// capped by errors.retry.delay.max.ms, never past the fence.
func (inv *invocation) put(fctx context.Context, w *work, wr Write) (int64, error) {
	cfg := &inv.h.cfg
	var giveUp time.Time
	switch {
	case cfg.RetryTimeout < 0:
		giveUp = inv.deadline
	default:
		giveUp = cfg.Now().Add(cfg.RetryTimeout)
	}
	delay := 100 * time.Millisecond
	for {
		if err := fctx.Err(); err != nil {
			return 0, errclass.New(errclass.Retriable, "partition "+w.tp.String(),
				fmt.Errorf("not writing %s: the lease no longer protects this invocation: %w", wr.ID(), err))
		}
		n, err := cfg.Sink.Put(fctx, wr)
		if err == nil || !errclass.Is(err, errclass.Retriable) || !cfg.Now().Add(delay).Before(giveUp) {
			return n, err
		}
		inv.m.Count(MetricRetries, 1)
		inv.log.Warn("write failed; retrying", "partition", w.tp.String(), "write", wr.ID(), "error", err, "delay_ms", delay.Milliseconds())
		select {
		case <-fctx.Done():
		case <-time.After(delay):
		}
		delay = min(delay*2, cfg.RetryDelayMax)
	}
}

func (inv *invocation) storeErr(w *work, what string, err error) error {
	if errclass.Of(err) == errclass.Unknown {
		err = errclass.New(errclass.Retriable, "", err)
	}
	return fmt.Errorf("partition %s: %s: %w", w.tp, what, err)
}

// releaseAll releases every lease taken, whatever happened, so that a retry proceeds at once.
func (inv *invocation) releaseAll(ctx context.Context, ws []*work) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, w := range ws {
		if !w.leased {
			continue
		}
		if err := inv.h.cfg.Store.Release(rctx, w.lease); err != nil {
			inv.log.Warn("lease not released; it expires by itself", "partition", w.tp.String(), "error", err, "until", w.lease.Until)
		}
	}
}
