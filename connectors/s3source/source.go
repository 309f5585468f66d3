// Package s3source is the S3 → Kafka source connector: an object dropped into a bucket is read as
// a stream (JSON lines, JSON array, CSV, text or bytes; gzip, zstd or bzip2), each record is built
// (topic, key, value through the value converter, provenance headers) and produced to Kafka, and
// every record reaches Kafka once, whatever S3 and Lambda do.
//
// Exactly-once without Kafka transactions rests on the checkpoint ledger (core/checkpoints), one
// item per object version. The handler leases the object, then works in chunks of at most
// checkpoint.records records / checkpoint.bytes bytes, pipelined (up to two in flight); before
// sending a chunk it saves the checkpoint (position = the end of the records all acknowledged,
// chunk end = this chunk's end, and for every partition the records in between can go to an end
// offset read before any of them was sent). A retry after a crash, a kill or an ambiguous produce
// error finds records that may be partly in Kafka: it reads the partitions from the saved end
// offsets, finds this object's records by their provenance headers, and produces only the rest.
// See the README for the argument and the residual window.
package s3source

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithy "github.com/aws/smithy-go"

	"github.com/lambda-connect/lambda-connect/connectors/s3source/reader"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/core/checkpoints"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/producer"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Provenance headers, on every record produced (dead letters included).
const (
	HeaderBucket    = "s3.bucket"
	HeaderKey       = "s3.key"
	HeaderVersion   = "s3.object.version" // "v:<version id>" or "e:<etag>": checkpoints.ObjectID.Version
	HeaderIndex     = "s3.record.index"   // 0-based, decimal
	HeaderLine      = "s3.line"           // dead letters: the 1-based line
	HeaderErrorMsg  = "__connect.errors.exception.message"
	HeaderErrorCls  = "__connect.errors.exception.class.name"
	HeaderErrorStg  = "__connect.errors.stage"
	HeaderConnector = "__connect.errors.connector.name"
)

// ErrObjectGone is wrapped by the error for an object deleted or overwritten between its event
// and the read (NoSuchKey, NoSuchVersion, or an ETag that no longer matches).
var ErrObjectGone = errors.New("object deleted or overwritten since the event")

// ErrIncomplete is wrapped by the (retriable) error of an invocation that stopped before its
// deadline with records left: the retry resumes at the checkpoint.
var ErrIncomplete = errors.New("stopped before the deadline; the retry resumes at the checkpoint")

// errKilled is returned by a Fault to simulate a kill: the handler returns at once, without
// releasing its lease or saving anything.
var errKilled = errors.New("killed (fault injection)")

// ErrKilled lets tests' Fault functions simulate a kill.
var ErrKilled = errKilled

// ObjectAPI is the part of *s3.Client the source uses.
type ObjectAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Producer is the part of *producer.Producer the source uses.
type Producer interface {
	Produce(ctx context.Context, msgs []producer.Message) error
	Partitions(ctx context.Context, topic string) (int32, error)
	EndOffsets(ctx context.Context, topic string, partitions int32) ([]int64, error)
	Scan(ctx context.Context, topic string, partition int32, from, to int64, fn func(producer.Fetched) bool) error
}

// Ledger is the part of *checkpoints.DynamoStore the source uses.
type Ledger interface {
	Acquire(ctx context.Context, o checkpoints.ObjectID, owner string, until time.Time) (checkpoints.Lease, error)
	Save(ctx context.Context, l checkpoints.Lease, position, chunkEnd int64, ends []checkpoints.Offset) (checkpoints.Lease, error)
	Complete(ctx context.Context, l checkpoints.Lease, records int64) error
	Release(ctx context.Context, l checkpoints.Lease) error
	ObserveSequencer(ctx context.Context, bucket, key, seq string) (bool, error)
}

// Config configures a Source. ConfigFrom fills it from settings.
type Config struct {
	Connector         string
	Topic             string
	TopicRegex        *regexp.Regexp // anchored by New
	TopicReplacement  string
	TopicField        string
	Reader            reader.Options
	KeyField          string
	KeyFixed          []byte
	KeyConverter      converters.Converter
	ValueConverter    converters.Converter
	TolerateAll       bool
	DeadLetterTopic   string
	CheckpointRecords int
	CheckpointBytes   int64
	LeaseMargin       time.Duration
	DeadlineReserve   time.Duration
	// DefaultTimeout is the deadline of an invocation whose context has none (local runs).
	DefaultTimeout time.Duration
}

// Deps are the services a Source talks to.
type Deps struct {
	S3       ObjectAPI
	Producer Producer
	Ledger   Ledger
	Logger   *slog.Logger
	Now      func() time.Time
	// Fault, when set, is called at named points ("before-save", "before-produce",
	// "after-produce", "after-save") with the chunk's first record index; an error it returns
	// is returned as if that step failed (ErrKilled: the invocation dies there). For tests.
	Fault func(point string, index int64) error
}

// Source is the S3 source handler.
type Source struct {
	cfg      Config
	d        Deps
	mu       sync.Mutex
	parts    map[string]int32
	parseRaw bool
	// rawThrough: the value converter writes schemaless JSON text through unchanged, so a JSON
	// record's validated text is its value as it is.
	rawThrough bool
	// spare holds chunk buffers between objects and warm invocations (two per object being
	// processed), so that they are allocated once.
	spare []*chunkBuf
}

// New validates cfg and deps.
func New(cfg Config, deps Deps) (*Source, error) {
	var errs []error
	if cfg.Connector == "" {
		errs = append(errs, errclass.Config(KeyConnectorName, "is required"))
	}
	if cfg.Topic == "" && cfg.TopicRegex == nil && cfg.TopicField == "" {
		errs = append(errs, errclass.Config(KeyTopic, "one of topic, topic.regex or topic.field is required"))
	}
	if cfg.ValueConverter == nil || cfg.KeyConverter == nil {
		errs = append(errs, errclass.Config(KeyValueConverter, "key and value converters are required"))
	}
	if cfg.TolerateAll && cfg.DeadLetterTopic == "" {
		errs = append(errs, errclass.Config(KeyDLQTopic, "is required with errors.tolerance=all"))
	}
	if deps.S3 == nil || deps.Producer == nil || deps.Ledger == nil {
		errs = append(errs, errclass.Config("s3source", "S3, Producer and Ledger are required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.TopicRegex != nil {
		cfg.TopicRegex = regexp.MustCompile(`^(?:` + cfg.TopicRegex.String() + `)$`)
	}
	if cfg.CheckpointRecords <= 0 {
		cfg.CheckpointRecords = 20000
	}
	if cfg.CheckpointBytes <= 0 {
		cfg.CheckpointBytes = 8 << 20
	}
	if cfg.LeaseMargin <= 0 {
		cfg.LeaseMargin = 30 * time.Second
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = 15 * time.Minute
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	w, ok := cfg.ValueConverter.(rawJSONWriter)
	return &Source{cfg: cfg, d: deps, parts: map[string]int32{}, parseRaw: cfg.KeyField != "" || cfg.TopicField != "",
		rawThrough: ok && w.WritesRawJSON()}, nil
}

// rawJSONWriter is a value converter that may write schemaless JSON text through unchanged
// (jsonconv.Converter without schemas).
type rawJSONWriter interface {
	WritesRawJSON() bool
}

// Result is what one object's processing did.
type Result struct {
	Object      checkpoints.ObjectID
	Produced    int64 // records produced by this invocation (dead letters included)
	Reconciled  int64 // records of a resumed chunk found in Kafka already
	DeadLetters int64
	Skipped     string // why nothing was done ("complete", "older sequencer"), or ""
	Complete    bool
}

// Handle is the Lambda handler: it decodes the payload (S3, SQS, SNS-in-SQS or EventBridge) and
// processes every created object. For SQS it returns the batch item failures (and a nil error);
// for a direct invocation it returns the first error, for Lambda to retry the event.
func (s *Source) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	b, err := trigger.Decode(payload)
	if err != nil {
		return nil, err
	}
	resp := trigger.Response{BatchItemFailures: []trigger.ItemFailure{}}
	var firstErr error
	for _, m := range b.Messages {
		err := m.Err
		if err == nil {
			for _, n := range m.Notices {
				if err = s.notice(ctx, n); err != nil {
					break
				}
			}
		}
		if err != nil {
			s.d.Logger.Error("message failed", "message_id", m.ID, "error", err, "class", errclass.Of(err).String())
			if b.Shape == trigger.ShapeSQS && m.ID != "" {
				resp.BatchItemFailures = append(resp.BatchItemFailures, trigger.ItemFailure{ItemIdentifier: m.ID})
			} else if firstErr == nil {
				firstErr = err
			}
		}
	}
	if b.Shape == trigger.ShapeSQS {
		return resp, firstErr
	}
	return nil, firstErr
}

func (s *Source) notice(ctx context.Context, n trigger.Notice) error {
	switch n.Kind {
	case trigger.Test:
		s.d.Logger.Info("s3:TestEvent acknowledged", "bucket", n.Object.Bucket)
		return nil
	case trigger.Other:
		s.d.Logger.Info("event ignored: not an object creation", "event", n.EventName, "object", n.Object.String())
		return nil
	}
	res, err := s.Process(ctx, n.Object)
	if err != nil {
		return err
	}
	s.d.Logger.Info("object processed", "object", res.Object.String(), "produced", res.Produced, "reconciled", res.Reconciled,
		"dead_letters", res.DeadLetters, "skipped", res.Skipped, "complete", res.Complete)
	return nil
}

// Process produces one object's records, resuming at its checkpoint.
func (s *Source) Process(ctx context.Context, obj trigger.Object) (res Result, err error) {
	id := checkpoints.ObjectID{Bucket: obj.Bucket, Key: obj.Key, VersionID: obj.VersionID, ETag: obj.ETag}
	res.Object = id
	if obj.VersionID == "" && obj.ETag == "" {
		return res, errclass.Record(id.String(), "the event names neither a version id nor an ETag")
	}
	newer, err := s.d.Ledger.ObserveSequencer(ctx, obj.Bucket, obj.Key, obj.Sequencer)
	if err != nil {
		return res, err
	}
	if !newer {
		res.Skipped = "older sequencer"
		return res, nil
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = s.d.Now().Add(s.cfg.DefaultTimeout)
	}
	owner := ownerID(ctx)
	lease, err := s.d.Ledger.Acquire(ctx, id, owner, deadline.Add(s.cfg.LeaseMargin))
	if errors.Is(err, checkpoints.ErrComplete) {
		res.Skipped, res.Complete = "complete", true
		return res, nil
	}
	if err != nil {
		return res, err
	}
	killed := false
	defer func() {
		if killed || res.Complete {
			return
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if rerr := s.d.Ledger.Release(rctx, lease); rerr != nil {
			s.d.Logger.Warn("releasing the object lease", "object", id.String(), "error", rerr)
		}
	}()
	bufA, bufB := s.chunkBuf(), s.chunkBuf()
	defer s.release(bufA, bufB)
	run := &run{s: s, id: id, lease: lease, deadline: deadline, res: &res, hash: hashOf(id), buf: bufA, spare: bufB,
		shared: []record.Header{{Key: HeaderBucket, Value: []byte(id.Bucket)}, {Key: HeaderKey, Value: []byte(id.Key)},
			{Key: HeaderVersion, Value: []byte(id.Version())}}}
	copy(run.convHeader[:], run.shared)
	err = run.object(ctx)
	if errors.Is(err, errKilled) {
		killed = true
	}
	return res, err
}

func ownerID(ctx context.Context) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "inv-" + hex.EncodeToString(b)
}

func hashOf(id checkpoints.ObjectID) uint32 {
	h := fnv.New32a()
	h.Write([]byte(id.Bucket + "/" + id.Key + "#" + id.Version()))
	return h.Sum32()
}

// run is one object's processing.
type run struct {
	s        *Source
	id       checkpoints.ObjectID
	lease    checkpoints.Lease
	deadline time.Time
	res      *Result
	hash     uint32
	rd       reader.Reader
	// buf holds the chunk being built (only the goroutine reading the object uses it); spare
	// is the second buffer stream takes turns with.
	buf, spare *chunkBuf
	// The provenance headers every record of the object shares (bucket, key, version), the
	// messages' SharedHeaders; and the four provenance headers of the record being built, as
	// the value converter sees them (used by the goroutine building chunks only).
	shared     []record.Header
	convHeader [4]record.Header
	// The last topic partitions looked up, and its partition count (used by the goroutine
	// building chunks only).
	lastTopic string
	lastParts int32
}

func (r *run) fault(point string, index int64) error {
	if r.s.d.Fault == nil {
		return nil
	}
	return r.s.d.Fault(point, index)
}

func (r *run) open(ctx context.Context) (io.Closer, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(r.id.Bucket), Key: aws.String(r.id.Key)}
	if r.id.VersionID != "" {
		in.VersionId = aws.String(r.id.VersionID)
	} else {
		in.IfMatch = aws.String(`"` + strings.Trim(r.id.ETag, `"`) + `"`)
	}
	if r.s.cfg.Reader.Format == reader.Parquet {
		// Parquet is read with ranged GETs of this version (reader.Source.ReaderAt).
		ra, err := openRange(ctx, r.s.d.S3, r.id, in)
		if err != nil {
			if errclass.Of(err) != errclass.Unknown {
				return nil, err
			}
			return nil, r.getErr(err)
		}
		rd, err := reader.New(reader.Source{ReaderAt: ra, Size: ra.size}, r.s.cfg.Reader)
		if err != nil {
			return nil, err
		}
		r.rd = rd
		return closers{}, nil
	}
	out, err := r.s.d.S3.GetObject(ctx, in)
	if err != nil {
		return nil, r.getErr(err)
	}
	if r.id.VersionID == "" && out.ETag != nil && strings.Trim(*out.ETag, `"`) != strings.Trim(r.id.ETag, `"`) {
		out.Body.Close()
		return nil, errclass.New(errclass.BadRecord, r.id.String(), fmt.Errorf("%w: ETag is now %s", ErrObjectGone, *out.ETag))
	}
	codec := reader.DetectCodec(r.id.Key, aws.ToString(out.ContentEncoding))
	body, err := reader.DecompressStrict(bodyReader{out.Body}, codec)
	if err != nil {
		out.Body.Close()
		return nil, errclass.New(errclass.BadRecord, r.id.String(), err)
	}
	rd, err := reader.New(reader.Source{Body: body}, r.s.cfg.Reader)
	if err != nil {
		body.Close()
		out.Body.Close()
		return nil, err
	}
	r.rd = rd
	return closers{body, out.Body}, nil
}

// getErr classifies a failed GetObject of the object.
func (r *run) getErr(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NoSuchVersion", "PreconditionFailed", "NotFound":
			return errclass.New(errclass.BadRecord, r.id.String(), fmt.Errorf("%w: %s", ErrObjectGone, ae.ErrorCode()))
		case "NoSuchBucket", "AccessDenied":
			return errclass.New(errclass.BadConfig, r.id.String(), fmt.Errorf("reading the object: %w", err))
		case "InvalidRange":
			return errclass.New(errclass.BadRecord, r.id.String(), fmt.Errorf("the object is empty: not a Parquet file: %w", reader.ErrCorrupt))
		}
	}
	return errclass.New(errclass.Retriable, r.id.String(), fmt.Errorf("reading the object: %w", err))
}

// bodyReader marks errors of the S3 body itself as retriable (DecompressStrict would otherwise
// call them corrupt data).
type bodyReader struct{ r io.Reader }

type transientErr struct{ error }

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = &transientErr{errclass.New(errclass.Retriable, "object body", err)}
	}
	return n, err
}

type closers []io.Closer

func (c closers) Close() error {
	var errs []error
	for _, x := range c {
		errs = append(errs, x.Close())
	}
	return errors.Join(errs...)
}

// object processes the object from the lease's checkpoint to its end or the deadline.
func (r *run) object(ctx context.Context) error {
	c, err := r.open(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	pos := r.lease.Position
	if err := reader.Skip(r.rd, pos); err != nil {
		return r.readErr(err)
	}
	// A chunk the previous owner may have sent in part: reconcile it first.
	if r.lease.ChunkEnd > pos {
		chunk, eof, err := r.read(ctx, pos, r.lease.ChunkEnd-pos, -1)
		if err != nil {
			return err
		}
		found, err := r.reconcile(ctx, chunk, r.lease.Ends)
		if err != nil {
			return err
		}
		var rest []producer.Message
		for i, m := range chunk.msgs {
			if !found[chunk.index[i]] {
				rest = append(rest, m)
			}
		}
		r.res.Reconciled += int64(len(chunk.msgs) - len(rest))
		if err := r.produce(ctx, rest, pos); err != nil {
			return err
		}
		pos = r.lease.ChunkEnd
		if eof && chunk.next == pos {
			return r.complete(ctx, pos)
		}
	}
	return r.stream(ctx, pos)
}

// built is a chunk read and built ahead by stream's reading goroutine.
type built struct {
	ch   chunk
	ends []checkpoints.Offset
	eof  bool
	err  error
	buf  *chunkBuf
}

// flight is a chunk being produced: its checkpoint is saved, its partitions' runs are sent.
type flight struct {
	first, next int64
	ends        []checkpoints.Offset // read before the chunk was sent: they precede its records
	buf         *chunkBuf
	msgs        int
	deadLetters int64
	done        chan struct{} // closed when every run has its answer; err is then set
	err         error
}

// laneKey names a partition.
type laneKey struct {
	topic     string
	partition int32
}

// laneStep is one chunk's run of records in one partition: the next chunk's run of that
// partition is sent only after it is acknowledged (done closed, err nil), so that a partition's
// records stay in order, and is not sent at all after it failed.
type laneStep struct {
	done chan struct{}
	err  error
}

// stream produces the object from record pos on, chunk after chunk, pipelined:
//
//   - one goroutine reads and builds the next chunk into a free chunk buffer (two take turns)
//     and reads the end offsets of its partitions;
//   - before a chunk is sent, its checkpoint is saved: position P = the end of the chunks
//     acknowledged so far (in order), chunk end E = this chunk's end, and for every partition the
//     least end offset read before any chunk in [P, E) was sent; the previous chunk may still be
//     in flight (then [P, E) spans both);
//   - each partition's run of a chunk is sent as soon as the same partition's run of the
//     previous chunk is acknowledged (one Produce call per partition and chunk, at most one
//     request in flight per partition), never after it failed;
//   - a chunk's buffer is reused once all its runs are acknowledged.
//
// So at most two chunks are in flight and a checkpoint never records a position whose records
// are not all acknowledged; a retry reconciles [P, E) from end offsets that precede every record
// of it.
func (r *run) stream(ctx context.Context, pos int64) error {
	free := make(chan *chunkBuf, 2)
	free <- r.buf
	free <- r.spare
	out := make(chan built)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		next := pos
		for {
			var buf *chunkBuf
			select {
			case buf = <-free:
			case <-stop:
				return
			}
			r.buf = buf
			ch, eof, err := r.read(ctx, next, int64(r.s.cfg.CheckpointRecords), r.s.cfg.CheckpointBytes)
			var ends []checkpoints.Offset
			if err == nil && len(ch.msgs) > 0 {
				ends, err = r.ends(ctx, ch.topics)
			}
			select {
			case out <- built{ch: ch, ends: ends, eof: eof, err: err, buf: buf}:
			case <-stop:
				return
			}
			if eof || err != nil {
				return
			}
			next = ch.next
		}
	}()
	defer func() { close(stop); <-done }()

	acked := pos // records [0, acked) are acknowledged
	var pending []*flight
	// Nothing is left in flight when stream returns, whatever it returns.
	defer func() {
		for _, f := range pending {
			<-f.done
		}
	}()
	lanes := map[laneKey]*laneStep{}
	slots := make(chan struct{}, maxConcurrentRuns)
	// finish takes the oldest flight's answer.
	finish := func() error {
		f := pending[0]
		<-f.done
		pending = pending[1:]
		if f.err != nil {
			return f.err
		}
		r.res.Produced += int64(f.msgs)
		r.res.DeadLetters += f.deadLetters
		if err := r.fault("after-produce", f.first); err != nil {
			return err
		}
		acked = f.next
		free <- f.buf
		return nil
	}
	drain := func() error {
		for len(pending) > 0 {
			if err := finish(); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		if r.s.d.Now().Add(r.s.cfg.DeadlineReserve).After(r.deadline) {
			if err := drain(); err != nil {
				return err
			}
			var err error
			if r.lease, err = r.s.d.Ledger.Save(ctx, r.lease, acked, acked, nil); err != nil {
				return err
			}
			return errclass.New(errclass.Retriable, r.id.String(), fmt.Errorf("%w (record %d)", ErrIncomplete, acked))
		}
		var oldest chan struct{}
		if len(pending) > 0 {
			oldest = pending[0].done
		}
		var b built
		select {
		case <-oldest:
			if err := finish(); err != nil {
				return err
			}
			continue
		case b = <-out:
		case <-ctx.Done():
			return errclass.New(errclass.Retriable, r.id.String(), fmt.Errorf("reading record %d: %w", acked, ctx.Err()))
		}
		if b.err != nil {
			return b.err
		}
		if len(b.ch.msgs) > 0 {
			if err := r.fault("before-save", b.ch.first); err != nil {
				return err
			}
			ends := b.ends
			for _, f := range pending {
				ends = append(ends, f.ends...)
			}
			var err error
			if r.lease, err = r.s.d.Ledger.Save(ctx, r.lease, acked, b.ch.next, leastEnds(ends)); err != nil {
				return err
			}
			if err := r.fault("before-produce", b.ch.first); err != nil {
				return err
			}
			pending = append(pending, r.send(ctx, b, lanes, slots))
		} else {
			free <- b.buf
		}
		if b.eof {
			if err := drain(); err != nil {
				return err
			}
			return r.complete(ctx, b.ch.next)
		}
	}
}

// maxConcurrentRuns bounds the Produce calls one object has running at once (one per partition
// and chunk in flight).
const maxConcurrentRuns = 32

// send starts producing a built chunk, partition by partition, each partition's run after the
// previous chunk's run of that partition (lanes) is acknowledged.
func (r *run) send(ctx context.Context, b built, lanes map[laneKey]*laneStep, slots chan struct{}) *flight {
	f := &flight{first: b.ch.first, next: b.ch.next, ends: b.ends, buf: b.buf, msgs: len(b.ch.msgs),
		deadLetters: b.ch.deadLetters, done: make(chan struct{})}
	runs := b.buf.group(b.ch.msgs, b.ch.index)
	pctx, cancel := context.WithDeadline(ctx, r.deadline)
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i, run := range runs {
		k := laneKey{run.msgs[0].Topic, run.msgs[0].Partition}
		prev := lanes[k]
		step := &laneStep{done: make(chan struct{})}
		lanes[k] = step
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(step.done)
			if prev != nil {
				<-prev.done
				if prev.err != nil {
					step.err = fmt.Errorf("%s: the %d records of topic %s partition %d from record %d were not sent, after an earlier failure in that partition: %w",
						r.id, len(run.msgs), k.topic, k.partition, run.first, prev.err)
					errs[i] = step.err
					return
				}
			}
			slots <- struct{}{}
			err := r.s.d.Producer.Produce(pctx, run.msgs)
			<-slots
			if err != nil {
				err = fmt.Errorf("%s: producing the %d records of topic %s partition %d from record %d (the retry reconciles what reached Kafka): %w",
					r.id, len(run.msgs), k.topic, k.partition, run.first, err)
			}
			step.err, errs[i] = err, err
		}()
	}
	go func() {
		wg.Wait()
		cancel()
		for _, err := range errs {
			if err != nil {
				f.err = err
				break
			}
		}
		close(f.done)
	}()
	return f
}

// leastEnds returns, for every partition in ends, its least offset, in topic and partition
// order.
func leastEnds(ends []checkpoints.Offset) []checkpoints.Offset {
	out := make([]checkpoints.Offset, 0, len(ends))
	for _, e := range ends {
		i := 0
		for i < len(out) && (out[i].Topic < e.Topic || out[i].Topic == e.Topic && out[i].Partition < e.Partition) {
			i++
		}
		switch {
		case i < len(out) && out[i].Topic == e.Topic && out[i].Partition == e.Partition:
			out[i].Offset = min(out[i].Offset, e.Offset)
		default:
			out = append(out, checkpoints.Offset{})
			copy(out[i+1:], out[i:])
			out[i] = e
		}
	}
	return out
}

// partRun is the messages of one partition in a chunk, contiguous and in record order.
type partRun struct {
	msgs  []producer.Message
	first int64 // the record index of the first
}

// group reorders msgs (and index alongside) in place so that each partition's messages are
// contiguous, in record order, partitions in order of first appearance, and returns the runs.
func (b *chunkBuf) group(msgs []producer.Message, index []int64) []partRun {
	n := len(msgs)
	b.dest = b.dest[:0]
	var keys []laneKey
	var counts []int32
	for i := range msgs {
		k := laneKey{msgs[i].Topic, msgs[i].Partition}
		g := len(keys) - 1
		if g < 0 || keys[g] != k { // runs of one partition are the common case
			g = slices.Index(keys, k)
			if g < 0 {
				g = len(keys)
				keys, counts = append(keys, k), append(counts, 0)
			}
		}
		counts[g]++
		b.dest = append(b.dest, int32(g))
	}
	starts := make([]int32, len(keys)+1)
	for g, c := range counts {
		starts[g+1] = starts[g] + c
	}
	next := slices.Clone(starts[:len(keys)])
	dest := b.dest
	for i, g := range dest {
		dest[i] = next[g]
		next[g]++
	}
	for i := range n {
		for int(dest[i]) != i {
			j := dest[i]
			msgs[i], msgs[j] = msgs[j], msgs[i]
			index[i], index[j] = index[j], index[i]
			dest[i], dest[j] = dest[j], dest[i]
		}
	}
	runs := make([]partRun, len(keys))
	for g := range keys {
		runs[g] = partRun{msgs: msgs[starts[g]:starts[g+1]], first: index[starts[g]]}
	}
	return runs
}

// chunkBuf holds a chunk's data: the keys, values and index headers of its messages (arena),
// their index headers, the messages and their record indices. It is sized once and reused chunk
// after chunk.
type chunkBuf struct {
	arena   []byte
	headers []record.Header
	msgs    []producer.Message
	index   []int64
	dest    []int32 // group's scratch
}

// chunkBuf returns a spare chunk buffer, or a new one.
func (s *Source) chunkBuf() *chunkBuf {
	s.mu.Lock()
	if n := len(s.spare); n > 0 {
		b := s.spare[n-1]
		s.spare = s.spare[:n-1]
		s.mu.Unlock()
		return b
	}
	s.mu.Unlock()
	// Sized for a whole chunk at once: growing would copy megabytes, and leave them as garbage.
	n := int64(s.cfg.CheckpointRecords)
	arena := s.cfg.CheckpointBytes + n*12 + 64<<10 // and the index headers' digits
	return &chunkBuf{arena: make([]byte, 0, arena), headers: make([]record.Header, 0, n),
		msgs: make([]producer.Message, 0, n), index: make([]int64, 0, n), dest: make([]int32, 0, n)}
}

// release keeps buffers for the next objects: as many as two objects at a time use.
func (s *Source) release(bufs ...*chunkBuf) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range bufs {
		if len(s.spare) < 4 {
			b.arena, b.headers, b.msgs = b.arena[:0], cleared(b.headers), cleared(b.msgs)
			s.spare = append(s.spare, b)
		}
	}
}

// cleared zeroes s's elements up to its capacity (dropping what they point to) and returns it
// empty.
func cleared[T any](s []T) []T {
	clear(s[:cap(s)])
	return s[:0]
}

func (r *run) complete(ctx context.Context, n int64) error {
	if err := r.fault("before-complete", n); err != nil {
		return err
	}
	if err := r.s.d.Ledger.Complete(ctx, r.lease, n); err != nil {
		return err
	}
	r.res.Complete = true
	return nil
}

func (r *run) produce(ctx context.Context, msgs []producer.Message, first int64) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := r.fault("before-produce", first); err != nil {
		return err
	}
	pctx, cancel := context.WithDeadline(ctx, r.deadline)
	defer cancel()
	if err := r.s.d.Producer.Produce(pctx, msgs); err != nil {
		return fmt.Errorf("%s: producing the %d records from record %d (the retry reconciles what reached Kafka): %w", r.id, len(msgs), first, err)
	}
	r.res.Produced += int64(len(msgs))
	return r.fault("after-produce", first)
}

// chunk is a run of records read and built.
type chunk struct {
	first  int64 // index of the first record
	msgs   []producer.Message
	index  []int64 // record index of each message
	topics []string
	next   int64 // index of the record after the chunk
	// deadLetters counts the messages that are dead letters.
	deadLetters int64
}

func (r *run) readErr(err error) error {
	var te *transientErr
	if errors.As(err, &te) {
		return te.error
	}
	if errclass.Of(err) == errclass.Unknown {
		return errclass.New(errclass.Retriable, r.id.String(), err)
	}
	return errclass.New(errclass.Of(err), r.id.String(), err)
}

// read reads up to maxRecords records (maxBytes of values, when positive) starting at index
// first, and builds their messages.
func (r *run) read(ctx context.Context, first, maxRecords, maxBytes int64) (chunk, bool, error) {
	ch := chunk{first: first, next: first}
	b := r.buf
	b.arena, b.headers = b.arena[:0], b.headers[:0]
	ch.msgs, ch.index = b.msgs[:0], b.index[:0]
	defer func() { b.msgs, b.index = ch.msgs[:0], ch.index[:0] }() // keep what append grew
	topics := map[string]bool{}
	last := "" // the topic last added to topics
	var bytes int64
	for int64(len(ch.msgs)) < maxRecords && (maxBytes <= 0 || bytes < maxBytes) {
		rec, err := r.rd.Next()
		if errors.Is(err, io.EOF) {
			ch.topics = sortedKeys(topics)
			return ch, true, nil
		}
		var m producer.Message
		if err == nil {
			m, err = r.build(rec)
		}
		if err != nil {
			if !errclass.Is(err, errclass.BadRecord) || errors.Is(err, reader.ErrCorrupt) || !r.s.cfg.TolerateAll {
				if errclass.Is(err, errclass.BadRecord) {
					return ch, false, errclass.New(errclass.BadRecord, r.id.String(), err)
				}
				return ch, false, r.readErr(err)
			}
			m = r.deadLetter(rec, err)
			ch.deadLetters++
		}
		if rec.Index != ch.next {
			return ch, false, errclass.Retry(r.id.String(), "reader at record %d, expected %d", rec.Index, ch.next)
		}
		ch.next++
		if m.Topic != last {
			topics[m.Topic], last = true, m.Topic
		}
		bytes += int64(len(m.Value) + len(m.Key))
		ch.msgs = append(ch.msgs, m)
		ch.index = append(ch.index, rec.Index)
	}
	ch.topics = sortedKeys(topics)
	return ch, false, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (r *run) keep(b []byte) []byte {
	if b == nil {
		return nil
	}
	a := &r.buf.arena
	start := len(*a)
	*a = append(*a, b...)
	return (*a)[start:len(*a):len(*a)]
}

// provenance returns the record index header of record index, from the chunk's arenas (its
// capacity ends with it: appending to it copies); the other provenance headers are r.shared.
func (r *run) provenance(index int64) []record.Header {
	b := r.buf
	start := len(b.arena)
	b.arena = strconv.AppendInt(b.arena, index, 10)
	idx := b.arena[start:len(b.arena):len(b.arena)]
	h := len(b.headers)
	b.headers = append(b.headers, record.Header{Key: HeaderIndex, Value: idx})
	return b.headers[h:len(b.headers):len(b.headers)]
}

// subject names a record in errors.
func (r *run) subject(rec reader.Record) string {
	return fmt.Sprintf("%s record %d (line %d)", r.id, rec.Index, rec.Line)
}

// build makes the message of one record.
func (r *run) build(rec reader.Record) (producer.Message, error) {
	// A JSON record's text is boxed as Connect data only when something reads it as data.
	through := rec.JSON != nil && r.s.rawThrough
	var data any
	if !through || r.s.parseRaw {
		data = rec.Value()
	}
	var parsed any
	if r.s.parseRaw {
		parsed = data
		if raw, ok := data.(record.RawJSON); ok {
			var err error
			if parsed, err = jsonconv.Parse(raw); err != nil {
				return producer.Message{}, errclass.New(errclass.BadRecord, r.subject(rec), err)
			}
		}
	}
	topic, err := r.topic(parsed)
	if err != nil {
		return producer.Message{}, errclass.New(errclass.BadRecord, r.subject(rec), err)
	}
	var key []byte
	switch {
	case r.s.cfg.KeyField != "":
		v, ok := field(parsed, r.s.cfg.KeyField)
		if ok && v != nil {
			if key, err = r.s.cfg.KeyConverter.FromConnect(topic, nil, nil, v); err != nil {
				return producer.Message{}, errclass.New(errclass.BadRecord, r.subject(rec), fmt.Errorf("key.field %s: %w", r.s.cfg.KeyField, err))
			}
		}
	case r.s.cfg.KeyFixed != nil:
		key = r.s.cfg.KeyFixed
	}
	hs := r.provenance(rec.Index)
	r.convHeader[3] = hs[0]
	var value []byte
	if through {
		value = rec.JSON
	} else if value, err = r.s.cfg.ValueConverter.FromConnect(topic, r.convHeader[:], rec.Schema, data); err != nil {
		return producer.Message{}, errclass.New(errclass.BadRecord, r.subject(rec), fmt.Errorf("value.converter: %w", err))
	}
	n, err := r.partitions(topic)
	if err != nil {
		return producer.Message{}, err
	}
	// No Subject: a failed produce names the chunk (object and first record) instead, which
	// spares a formatted string per record.
	m := producer.Message{Topic: topic, Key: r.keep(key), Value: r.keep(value), Headers: hs, SharedHeaders: r.shared}
	if m.Value == nil {
		m.Value = []byte{}
	}
	if key != nil {
		m.Partition = producer.Partition(key, n)
	} else {
		// Null keys: sticky runs of 512 records per partition, chosen deterministically so a
		// retry sends a record where the first attempt did.
		m.Partition = int32((uint64(r.hash) + uint64(rec.Index/512)) % uint64(n))
	}
	return m, nil
}

func (r *run) deadLetter(rec reader.Record, cause error) producer.Message {
	hs := append(r.provenance(rec.Index),
		record.Header{Key: HeaderLine, Value: strconv.AppendInt(nil, rec.Line, 10)},
		record.Header{Key: HeaderErrorMsg, Value: []byte(cause.Error())},
		record.Header{Key: HeaderErrorCls, Value: []byte("org.apache.kafka.connect.errors.DataException")},
		record.Header{Key: HeaderErrorStg, Value: []byte("VALUE_CONVERTER")},
		record.Header{Key: HeaderConnector, Value: []byte(r.s.cfg.Connector)},
	)
	topic := r.s.cfg.DeadLetterTopic
	n, err := r.partitions(topic)
	if err != nil || n < 1 {
		n = 1
	}
	v := r.keep(rec.Raw)
	if v == nil {
		v = []byte{}
	}
	return producer.Message{Topic: topic, Partition: int32(uint64(r.hash) % uint64(n)), Value: v, Headers: hs, SharedHeaders: r.shared,
		Subject: fmt.Sprintf("%s dead letter %d (line %d)", r.id, rec.Index, rec.Line)}
}

func (r *run) partitions(topic string) (int32, error) {
	if topic == r.lastTopic && r.lastParts > 0 {
		return r.lastParts, nil
	}
	n, err := r.lookupPartitions(topic)
	if err == nil {
		r.lastTopic, r.lastParts = topic, n
	}
	return n, err
}

// lookupPartitions returns topic's partition count from the Source's cache, or the cluster.
func (r *run) lookupPartitions(topic string) (int32, error) {
	r.s.mu.Lock()
	n, ok := r.s.parts[topic]
	r.s.mu.Unlock()
	if ok {
		return n, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := r.s.d.Producer.Partitions(ctx, topic)
	if err != nil {
		return 0, err
	}
	if n < 1 {
		return 0, errclass.Retry("topic "+topic, "has no partitions")
	}
	r.s.mu.Lock()
	r.s.parts[topic] = n
	r.s.mu.Unlock()
	return n, nil
}

func (r *run) topic(parsed any) (string, error) {
	if r.s.cfg.TopicField != "" {
		if v, ok := field(parsed, r.s.cfg.TopicField); ok {
			if s, ok := v.(string); ok && s != "" {
				return s, nil
			}
		}
		if r.s.cfg.Topic == "" {
			return "", fmt.Errorf("topic.field %s is not a non-empty string and topic is not set", r.s.cfg.TopicField)
		}
		return r.s.cfg.Topic, nil
	}
	if re := r.s.cfg.TopicRegex; re != nil {
		if m := re.FindStringSubmatchIndex(r.id.Key); m != nil {
			return string(re.ExpandString(nil, r.s.cfg.TopicReplacement, r.id.Key, m)), nil
		}
		if r.s.cfg.Topic == "" {
			return "", fmt.Errorf("object key %q does not match topic.regex %s and topic is not set", r.id.Key, re)
		}
	}
	return r.s.cfg.Topic, nil
}

// field returns the value at a dotted path of schemaless maps or structs.
func field(v any, path string) (any, bool) {
	for _, name := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[name]; !ok {
				return nil, false
			}
		case *record.StructValue:
			var ok bool
			if v, ok = x.Get(name); !ok {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return v, true
}

// ends returns the end offsets of every partition of the given topics.
func (r *run) ends(ctx context.Context, topics []string) ([]checkpoints.Offset, error) {
	var out []checkpoints.Offset
	for _, t := range topics {
		n, err := r.partitions(t)
		if err != nil {
			return nil, err
		}
		e, err := r.s.d.Producer.EndOffsets(ctx, t, n)
		if err != nil {
			return nil, err
		}
		for p, off := range e {
			out = append(out, checkpoints.Offset{Topic: t, Partition: int32(p), Offset: off})
		}
	}
	return out, nil
}

// reconcile scans the partitions from the checkpointed end offsets to their current ends and
// returns the indices of this object's records (within the chunk) found there.
func (r *run) reconcile(ctx context.Context, ch chunk, ends []checkpoints.Offset) (map[int64]bool, error) {
	found := map[int64]bool{}
	if len(ch.msgs) == 0 {
		return found, nil
	}
	lo, hi := ch.index[0], ch.next
	want := len(ch.msgs)
	version := r.id.Version()
	byTopic := map[string][]checkpoints.Offset{}
	for _, e := range ends {
		byTopic[e.Topic] = append(byTopic[e.Topic], e)
	}
	for _, t := range sortedKeys(map[string]bool(topicsOf(ends))) {
		es := byTopic[t]
		n := int32(len(es))
		now, err := r.s.d.Producer.EndOffsets(ctx, t, n)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if e.Partition >= n || now[e.Partition] <= e.Offset {
				continue
			}
			err := r.s.d.Producer.Scan(ctx, t, e.Partition, e.Offset, now[e.Partition], func(f producer.Fetched) bool {
				var b, k, v, idx []byte
				for _, h := range f.Headers {
					switch h.Key {
					case HeaderBucket:
						b = h.Value
					case HeaderKey:
						k = h.Value
					case HeaderVersion:
						v = h.Value
					case HeaderIndex:
						idx = h.Value
					}
				}
				if string(b) != r.id.Bucket || string(k) != r.id.Key || string(v) != version {
					return true
				}
				i, err := strconv.ParseInt(string(idx), 10, 64)
				if err == nil && i >= lo && i < hi {
					found[i] = true
				}
				return len(found) < want
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return found, nil
}

func topicsOf(ends []checkpoints.Offset) map[string]bool {
	m := map[string]bool{}
	for _, e := range ends {
		m[e.Topic] = true
	}
	return m
}
