package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// Limits of the event-source mapping and of Lambda that run keeps.
const (
	maxBatchingWindow = 300 * time.Second // MaximumBatchingWindowInSeconds
	maxFunctionTime   = 15 * time.Minute  // a function's longest timeout
	runFunctionARN    = "arn:aws:lambda:us-east-1:000000000000:function:lambda-connect-run"
)

const runDescription = `Runs a connector on this machine against real endpoints, outside Lambda. The S3 source
takes s3://bucket/key arguments or an SQS queue: see 'lambda-connect run s3-source --help'.
A sink connector (s3-sink, dynamodb-sink) runs the way Lambda's Kafka event-source mapping
runs its function: it consumes --topic with a Kafka
consumer group, gathers records into batches of at most --batch-size records (and 6 MB) for
at most --batching-window, as the mapping's BatchSize and MaximumBatchingWindowInSeconds do,
and calls the connector's real handler with the very JSON event Lambda would send, under a
deadline of --timeout per invocation, as the function's timeout. It commits the consumer
group only after the handler succeeded; a failed batch is retried (--retries) and then left
uncommitted, so that the next run delivers it again.

The configuration is the function's: CONNECT_* variables, and the file --file names (or
CONNECTOR_CONFIG_FILE). AWS endpoints, region and credentials come the AWS SDK's way
(AWS_REGION, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB, the profile). Offsets go to
offsets.table, or to a local file with --offsets-file.

With --once it stops when it has caught up with the log ends it saw at start; otherwise it
runs until interrupted (Ctrl-C finishes the batch at hand and commits it). The handler's JSON
logs and metrics go to stderr, or to --log.`

// runOptions are run's flags.
type runOptions struct {
	connector   string
	kafka       kafkaFlags
	topics      []string
	group       string
	startAt     string
	batchSize   int
	window      time.Duration
	timeout     time.Duration
	once        bool
	file        string
	offsetsFile string
	retries     int
	logPath     string
	clusterARN  string
	output      string
}

func (o *runOptions) validate(getenv func(string) string) []error {
	errs := o.kafka.validate(true, getenv)
	if len(o.topics) == 0 {
		errs = append(errs, errors.New("--topic is required"))
	}
	if o.startAt != "TRIM_HORIZON" && o.startAt != "LATEST" {
		errs = append(errs, fmt.Errorf("--starting-position %q: want TRIM_HORIZON or LATEST", o.startAt))
	}
	if o.batchSize < 1 || o.batchSize > kafkaevent.MaxMaxRecords {
		errs = append(errs, fmt.Errorf("--batch-size %d: want 1 to %d (the event-source mapping's range)", o.batchSize, kafkaevent.MaxMaxRecords))
	}
	if o.window < 0 || o.window > maxBatchingWindow {
		errs = append(errs, fmt.Errorf("--batching-window %v: want 0 to %v (MaximumBatchingWindowInSeconds)", o.window, maxBatchingWindow))
	}
	if o.timeout < time.Second || o.timeout > maxFunctionTime {
		errs = append(errs, fmt.Errorf("--timeout %v: want 1s to %v (a function's timeout)", o.timeout, maxFunctionTime))
	}
	if o.retries < 0 {
		errs = append(errs, fmt.Errorf("--retries %d: want 0 or more", o.retries))
	}
	if err := checkOutput(o.output); err != nil {
		errs = append(errs, err)
	}
	return errs
}

func runRun(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 && args[0] == sourceConnectorName {
		return runSource(ctx, e, args[1:])
	}
	o := runOptions{}
	var topics string
	fs := newFlagSet("run", "CONNECTOR", runDescription, e)
	o.kafka.add(fs, " (required)")
	fs.StringVar(&topics, "topic", "", "the topic to consume (required; comma-separated for several)")
	fs.StringVar(&o.group, "consumer-group", "", "the consumer group (default: lambda-connect-run-<connector.name>)")
	fs.StringVar(&o.startAt, "starting-position", "TRIM_HORIZON", "where a new consumer group starts: TRIM_HORIZON (the log start) or LATEST")
	fs.IntVar(&o.batchSize, "batch-size", kafkaevent.DefaultMaxRecords, "most records per invocation (the mapping's BatchSize)")
	fs.DurationVar(&o.window, "batching-window", 500*time.Millisecond, "longest time records are gathered before an invocation (MaximumBatchingWindowInSeconds)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "each invocation's deadline (the function's timeout)")
	fs.BoolVar(&o.once, "once", false, "stop when caught up with the log ends seen at start")
	fs.StringVar(&o.file, "file", "", "settings file (JSON or .properties); default: $"+config.FileEnv)
	fs.StringVar(&o.offsetsFile, "offsets-file", "", "keep offsets in this local file instead of offsets.table")
	fs.IntVar(&o.retries, "retries", 3, "how many times a failed batch is retried before run stops (the mapping retries until the records expire)")
	fs.StringVar(&o.logPath, "log", "", "file for the handler's JSON logs and metrics (default: stderr)")
	fs.StringVar(&o.clusterARN, "cluster-arn", "", "send MSK events (eventSource aws:kafka) with this cluster ARN, instead of self-managed Kafka events")
	fs.StringVar(&o.output, "output", outputText, "output: text, or json (one JSON object a line per event)")
	args, name := splitFileArg(args)
	if code, done := parse(fs, args, e); done {
		return code
	}
	rest := fs.Args()
	if name == "" && len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	o.connector = name
	o.topics = splitTopics(topics)
	errs := o.validate(e.getenv)
	var cn *connector
	if name == "" {
		errs = append(errs, fmt.Errorf("no connector given: run CONNECTOR (one of %s, or %s)", strings.Join(connectorNames(), ", "), sourceConnectorName))
	} else if c, err := findConnector(name); err != nil {
		errs = append(errs, fmt.Errorf("%w; %s runs as 'run %s s3://bucket/key ...'", err, sourceConnectorName, sourceConnectorName))
	} else {
		cn = c
	}
	if len(rest) > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", rest))
	}
	if len(errs) > 0 {
		return usageErr(e, "run", errs...)
	}

	logW, closeLog, err := openLog(o.logPath, e.stderr)
	if err != nil {
		return failed(e, "run", err, "")
	}
	defer closeLog()
	r, err := newRunner(ctx, e, cn, o, logW)
	if err != nil {
		switch {
		case printProblems(e, "run", cn.name, err, fmt.Sprintf("Fix them ('%s validate --connector %s' checks the settings without running).", prog, cn.name)):
			return exitFail
		case errclass.Of(err) == errclass.BadConfig && strings.Contains(err.Error(), sink.KeyOffsetsTable):
			return failed(e, "run", err, fmt.Sprintf("Set %s to the offsets table, or give --offsets-file FILE to keep offsets in a local file.", config.EnvName(sink.KeyOffsetsTable)))
		case errclass.Of(err) == errclass.BadConfig:
			return failed(e, "run", err, fmt.Sprintf("This is a configuration problem: check the flags, and '%s validate --connector %s' for the settings.", prog, cn.name))
		default:
			return failed(e, "run", err, "Check that the brokers and the AWS endpoints answer, then run again.")
		}
	}
	defer r.close()
	return r.loop(ctx)
}

// runner is a running run: a consumer group feeding a handler.
type runner struct {
	e       *env
	o       runOptions
	cn      *connector
	name    string // connector.name
	handler *sink.Handler
	cl      *kgo.Client
	out     io.Writer
	json    bool

	// pos is, per partition, the offset the group will consume next, as far as run knows; ends
	// are the log ends seen at start (--once).
	pos, ends map[record.TopicPartition]int64

	invocations, records, retried int
	committed                     map[record.TopicPartition]int64
}

func newRunner(ctx context.Context, e *env, cn *connector, o runOptions, logW io.Writer) (*runner, error) {
	c, err := loadConfig(e, cn.spec(), o.file)
	if err != nil {
		return nil, err
	}
	logger := sink.NewLogger(logW)
	if ign := c.Ignored(); len(ign) > 0 {
		logger.Warn("settings accepted for Kafka Connect compatibility have no effect here", "settings", ign)
	}
	s, err := cn.newSink(ctx, c)
	if err != nil {
		return nil, err
	}
	var store sink.Store
	if o.offsetsFile != "" {
		if store, err = offsets.NewFileStore(o.offsetsFile); err != nil {
			return nil, err
		}
	}
	reg, err := converterRegistry()
	if err != nil {
		return nil, err
	}
	h, err := sink.NewFromConfig(ctx, c, s, store, sink.WithLogger(logger), sink.WithMetricsTo(logW), sink.WithConverters(reg))
	if err != nil {
		return nil, err
	}
	r := &runner{
		e: e, o: o, cn: cn, name: c.String(sink.KeyConnectorName), handler: h,
		out: e.stdout, json: o.output == outputJSON,
		pos: map[record.TopicPartition]int64{}, ends: map[record.TopicPartition]int64{},
		committed: map[record.TopicPartition]int64{},
	}
	if r.o.group == "" {
		r.o.group = "lambda-connect-run-" + r.name
	}
	kopts, err := o.kafka.options(ctx, e.getenv)
	if err != nil {
		return nil, err
	}
	reset := kgo.NewOffset().AtStart()
	if o.startAt == "LATEST" {
		reset = kgo.NewOffset().AtEnd()
	}
	kopts = append(kopts,
		kgo.ConsumerGroup(r.o.group),
		kgo.ConsumeTopics(o.topics...),
		kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(reset),
		kgo.FetchMaxWait(max(100*time.Millisecond, min(o.window, 5*time.Second))),
	)
	if r.cl, err = kgo.NewClient(kopts...); err != nil {
		return nil, errclass.New(errclass.BadConfig, "kafka client", err)
	}
	if err := r.start(ctx); err != nil {
		r.cl.Close()
		return nil, err
	}
	return r, nil
}

func (r *runner) close() { r.cl.Close() }

// start records where each partition stands: the group's committed offsets and the log ends.
func (r *runner) start(ctx context.Context) error {
	b := &broker{cl: r.cl, bootstrap: r.o.kafka.bootstrap}
	for _, t := range r.o.topics {
		parts, err := b.partitions(ctx, t)
		if err != nil {
			return err
		}
		start, end, err := b.bounds(ctx, t, parts)
		if err != nil {
			return err
		}
		group, err := b.groupOffsets(ctx, r.o.group, t)
		if err != nil {
			return err
		}
		for _, p := range parts {
			tp := record.TopicPartition{Topic: t, Partition: p}
			r.ends[tp] = end[p]
			switch g, ok := group[p]; {
			case ok && g >= start[p]:
				r.pos[tp] = g
				r.committed[tp] = g
			case r.o.startAt == "LATEST":
				r.pos[tp] = end[p]
			default:
				r.pos[tp] = start[p]
			}
		}
	}
	r.emit(map[string]any{"event": "started", "connector": r.cn.name, "name": r.name, "group": r.o.group, "topics": r.o.topics, "brokers": r.o.kafka.bootstrap},
		fmt.Sprintf("%s run %s: connector %s, consumer group %s on %s, topics %s; batches of %d records / %v, %v per invocation.",
			prog, r.cn.name, r.name, r.o.group, r.o.kafka.bootstrap, strings.Join(r.o.topics, ","), r.o.batchSize, r.o.window, r.o.timeout))
	return nil
}

// caughtUp reports whether every partition reached the log end seen at start.
func (r *runner) caughtUp() bool {
	for tp, end := range r.ends {
		if r.pos[tp] < end {
			return false
		}
	}
	return true
}

// loop consumes, invokes and commits until interrupted or, with --once, caught up.
func (r *runner) loop(ctx context.Context) int {
	// A group's first join can take seconds (group.initial.rebalance.delay.ms is 3 s by default).
	idle := max(30*time.Second, 4*r.o.window)
	lastRecord := time.Now()
	for {
		if r.o.once && r.caughtUp() {
			return r.done(nil)
		}
		krs, err := r.batch(ctx)
		if err != nil && ctx.Err() == nil {
			return r.done(err)
		}
		if len(krs) > 0 {
			// Interrupted or not, the batch at hand is delivered and committed.
			lastRecord = time.Now()
			if err := r.deliver(ctx, krs); err != nil {
				return r.done(err)
			}
		}
		if ctx.Err() != nil {
			return r.done(nil)
		}
		if len(krs) == 0 && r.o.once && time.Since(lastRecord) > idle {
			return r.done(fmt.Errorf("no record arrived for %v while the log ends seen at start are not reached (%s): another consumer of group %s, or transaction markers at the log end?",
				idle.Round(time.Second), r.lagText(), r.o.group))
		}
	}
}

// batch gathers the next batch as the event-source mapping does: until --batch-size records or
// --batching-window after the first record. With --once it returns no records after a quiet
// second, so that the loop can check whether it caught up.
func (r *runner) batch(ctx context.Context) ([]*kgo.Record, error) {
	var (
		krs      []*kgo.Record
		deadline time.Time
	)
	for len(krs) < r.o.batchSize {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		switch {
		case !deadline.IsZero():
			pctx, cancel = context.WithDeadline(ctx, deadline)
		case r.o.once:
			pctx, cancel = context.WithTimeout(ctx, time.Second)
		}
		fetches := r.cl.PollRecords(pctx, r.o.batchSize-len(krs))
		timedOut := pctx.Err() != nil
		cancel()
		if ctx.Err() != nil {
			return krs, ctx.Err()
		}
		for _, fe := range fetches.Errors() {
			if errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, context.DeadlineExceeded) {
				continue
			}
			subject := fmt.Sprintf("partition %s-%d", fe.Topic, fe.Partition)
			if fe.Topic == "" {
				subject = "consumer group " + r.o.group
			}
			if errors.Is(fe.Err, kgo.ErrClientClosed) || !kgo.IsRetryableBrokerErr(fe.Err) {
				return nil, errclass.New(errclass.Retriable, subject, fmt.Errorf("consuming: %w", fe.Err))
			}
		}
		fetches.EachRecord(func(kr *kgo.Record) { krs = append(krs, kr) })
		if len(krs) > 0 && deadline.IsZero() {
			if r.o.window == 0 {
				break
			}
			deadline = time.Now().Add(r.o.window)
		}
		if len(krs) == 0 && timedOut && r.o.once {
			return nil, nil
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			break
		}
	}
	return krs, nil
}

// deliver invokes the handler with krs in Lambda's events, retrying a failed invocation, and
// commits the consumer group once every event succeeded. The invocations and the commit run to
// their end even when ctx is cancelled (Ctrl-C), as an invocation in flight would.
func (r *runner) deliver(ctx context.Context, krs []*kgo.Record) error {
	wctx := context.WithoutCancel(ctx)
	recs := make([]record.Record, len(krs))
	for i, kr := range krs {
		recs[i] = fromKgo(kr)
	}
	src, arn := kafkaevent.SourceSelfManaged, ""
	if r.o.clusterARN != "" {
		src, arn = kafkaevent.SourceMSK, r.o.clusterARN
	}
	events, err := kafkaevent.Batches(src, arn, r.o.kafka.bootstrap, recs, kafkaevent.Limits{MaxRecords: r.o.batchSize})
	if err != nil {
		return err
	}
	for _, ev := range events {
		for attempt := 0; ; attempt++ {
			err := r.invoke(wctx, ev)
			if err == nil {
				break
			}
			if errclass.Of(err) == errclass.BadConfig || attempt >= r.o.retries || ctx.Err() != nil {
				return fmt.Errorf("batch not delivered, consumer group %s not committed past it: %w", r.o.group, err)
			}
			r.retried++
			backoff := time.Duration(1<<attempt) * time.Second
			r.emit(map[string]any{"event": "retry", "error": err.Error(), "class": errclass.Of(err).String(), "backoff_ms": backoff.Milliseconds()},
				fmt.Sprintf("%s invocation failed (%s), retrying in %v as the event-source mapping would: %v", stamp(), errclass.Of(err), backoff, err))
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
		}
	}
	if err := r.cl.CommitRecords(wctx, krs...); err != nil {
		return errclass.New(errclass.Retriable, "consumer group "+r.o.group, fmt.Errorf("commit after a successful batch: %w (the records are written; the next run delivers them again and the sink skips them)", err))
	}
	moved := map[string]int64{}
	for _, kr := range krs {
		tp := record.TopicPartition{Topic: kr.Topic, Partition: kr.Partition}
		if kr.Offset+1 > r.committed[tp] {
			r.committed[tp] = kr.Offset + 1
			r.pos[tp] = kr.Offset + 1
			moved[tp.String()] = kr.Offset + 1
		}
	}
	var parts []string
	for _, k := range sortedKeys(moved) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, moved[k]))
	}
	r.emit(map[string]any{"event": "committed", "group": r.o.group, "offsets": moved},
		fmt.Sprintf("%s consumer group %s committed %s", stamp(), r.o.group, strings.Join(parts, " ")))
	return nil
}

// invoke calls the handler as the Lambda runtime does: with a deadline of --timeout and a Lambda
// context carrying a request ID. The event is decoded in place: the handler gets a copy.
func (r *runner) invoke(ctx context.Context, ev []byte) error {
	ictx, cancel := context.WithTimeout(ctx, r.o.timeout)
	defer cancel()
	ictx = lambdacontext.NewContext(ictx, &lambdacontext.LambdaContext{AwsRequestID: requestID(), InvokedFunctionArn: runFunctionARN})
	r.invocations++
	start := time.Now()
	res, err := r.handler.Handle(ictx, bytes.Clone(ev))
	if err != nil {
		return err
	}
	n, written, skipped := 0, 0, 0
	var parts []string
	var jparts []map[string]any
	for _, p := range res.Partitions {
		n += p.Received
		written += p.Written
		skipped += p.Skipped
		parts = append(parts, fmt.Sprintf("%s: %d in, %d written in %s, %d skipped, committed %s",
			p.TopicPartition, p.Received, p.Written, plural(len(p.Writes), "write", "writes"), p.Skipped, offsetText(p.Committed)))
		jparts = append(jparts, map[string]any{"topic": p.Topic, "partition": p.Partition, "received": p.Received, "written": p.Written,
			"skipped": p.Skipped, "dead_lettered": p.Dead, "writes": p.Writes, "bytes": p.Bytes, "committed": p.Committed})
	}
	r.records += n
	ms := time.Since(start).Milliseconds()
	r.emit(map[string]any{"event": "invocation", "invocation": r.invocations, "records": n, "written": written, "skipped": skipped, "bytes": len(ev), "ms": ms, "partitions": jparts},
		fmt.Sprintf("%s invocation %d: %s, %d bytes, %dms\n  %s", stamp(), r.invocations, plural(n, "record", "records"), len(ev), ms, strings.Join(parts, "\n  ")))
	return nil
}

// done reports the end of the run and returns its exit status.
func (r *runner) done(err error) int {
	offs := map[string]int64{}
	for tp, o := range r.committed {
		offs[tp.String()] = o
	}
	if err != nil {
		r.emit(map[string]any{"event": "error", "error": err.Error(), "class": errclass.Of(err).String()}, "")
		fmt.Fprintf(r.e.stderr, "%s run: %v\n", prog, err)
		switch errclass.Of(err) {
		case errclass.BadRecord:
			fmt.Fprintf(r.e.stderr, "A record the sink cannot take blocks its partition, as with errors.tolerance=none in Lambda. Fix the record's producer, set errors.tolerance=all with a dead-letter bucket, or skip it: '%s offsets reset --connector %s --topic TOPIC --partition P --to-offset <its offset + 1> --execute' (the sink skips what is below its committed offset).\n", prog, r.name)
		case errclass.BadConfig:
			fmt.Fprintf(r.e.stderr, "This is a configuration problem: '%s validate --connector %s' checks the settings.\n", prog, r.cn.name)
		default:
			fmt.Fprintf(r.e.stderr, "Run again: the consumer group resumes from its last commit, and the sink skips what it already wrote.\n")
		}
	}
	var parts []string
	for _, k := range sortedKeys(offs) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, offs[k]))
	}
	committed := strings.Join(parts, " ")
	if committed == "" {
		committed = "nothing"
	}
	r.emit(map[string]any{"event": "done", "records": r.records, "invocations": r.invocations, "retries": r.retried, "group": r.o.group, "committed": offs, "ok": err == nil},
		fmt.Sprintf("%s run: %s in %s (%s); consumer group %s committed: %s.",
			prog, plural(r.records, "record", "records"), plural(r.invocations, "invocation", "invocations"), plural(r.retried, "retry", "retries"), r.o.group, committed))
	if err != nil {
		return exitFail
	}
	return exitOK
}

// lagText lists the partitions short of the log ends seen at start.
func (r *runner) lagText() string {
	var parts []string
	for tp, end := range r.ends {
		if r.pos[tp] < end {
			parts = append(parts, fmt.Sprintf("%s at %d of %d", tp, r.pos[tp], end))
		}
	}
	return strings.Join(parts, ", ")
}

// emit writes an event: v as a JSON line with --output json, else text (when not empty).
func (r *runner) emit(v map[string]any, text string) {
	if r.json {
		_ = writeJSONLine(r.out, v)
		return
	}
	if text != "" {
		fmt.Fprintln(r.out, text)
	}
}

func stamp() string { return time.Now().Format("15:04:05") }

// fromKgo converts a consumed record into the record model.
func fromKgo(kr *kgo.Record) record.Record {
	r := record.Record{Topic: kr.Topic, Partition: kr.Partition, Offset: kr.Offset, Key: kr.Key, Value: kr.Value}
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
