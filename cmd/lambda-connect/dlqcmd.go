package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// replaySuffix names the offsets a replay commits: connector.name + replaySuffix.
const replaySuffix = ".dlq-replay"

const dlqDescription = `Works with the records a sink connector dead-lettered (errors.tolerance=all).

  dlq replay   re-sends them to the sink after a fix, exactly once

Run 'lambda-connect dlq replay --help' for the flags.`

const dlqReplayDescription = `Re-sends the records a sink connector dead-lettered to the sink they were meant for, after
the cause was fixed (a converter or transform setting, the target's schema, a bug), exactly
once. It reads the dead letters of the connector (connector.name) from the dead-letter topic
(--topic, with Connect's __connect.errors.* headers naming each record's original topic,
partition and offset) or from the S3 dead-letter prefix (--s3 s3://BUCKET/PREFIX, the JSON
documents errors.deadletterqueue.s3.* writes), and runs them through the same sink runtime as
the function, with the function's configuration (CONNECT_* variables or --connector-config),
in Lambda-identical events that carry each record's original topic, partition and offset.

Why exactly once: the replay commits its own offsets, under the connector name
"<connector.name>` + replaySuffix + `", in the connector's offsets table (or --offsets-file), with
the runtime's lease, pending writes and conditional commit: per original partition, the next
offset past the dead letters replayed. Records below it are skipped, so a second replay, or
one run after a replay that died half way, re-sends nothing that was delivered. The dead
letters are replayed in offset order, and one that still fails stops its partition (the
later ones are held back, as errors.tolerance=none would), so the committed offset never
passes a record that was not delivered. The S3 sink names each object after its first
record's offset, which no object of the connector holds (the record was dead-lettered), so a
replayed object never replaces one the connector wrote; the DynamoDB sink's conditional
writes never roll an item back to an older record. The replay runs with errors.tolerance=none
and without a dead-letter destination: a record that still fails is reported with its reason
(and the exit status is 1) and stays where it is, for the next replay. A letter read from the
topic carries the dead-letter record's timestamp (the S3 letters keep the original's): mind it
with a time-based partitioner on the record's time.

Without --execute (or with --dry-run) it lists the dead letters and what a replay would do.`

func runDLQ(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintf(e.stderr, "Usage: %s dlq replay [flags]\n\n%s\n\n%s dlq: no subcommand given: try '%s dlq replay --help'\n", prog, dlqDescription, prog, prog)
		return exitUsage
	}
	switch args[0] {
	case "replay":
		return runDLQReplay(ctx, e, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(e.stdout, "Usage: %s dlq replay [flags]\n\n%s\n", prog, dlqDescription)
		return exitOK
	default:
		fmt.Fprintf(e.stderr, "%s dlq: unknown subcommand %q: want replay\nRun '%s dlq --help'.\n", prog, args[0], prog)
		return exitUsage
	}
}

// replayOptions are dlq replay's flags.
type replayOptions struct {
	connector   string
	file        string
	topic       string
	s3URL       string
	kafka       kafkaFlags
	offsetsFile string
	dryRun      bool
	execute     bool
	timeout     time.Duration
	batchSize   int
	logPath     string
	output      string
}

func (o *replayOptions) validate(getenv func(string) string) []error {
	var errs []error
	if o.connector == "" {
		errs = append(errs, fmt.Errorf("--connector is required: %s", strings.Join(connectorNames(), " or ")))
	} else if _, err := findConnector(o.connector); err != nil {
		errs = append(errs, fmt.Errorf("--connector: %v", err))
	}
	switch {
	case o.topic == "" && o.s3URL == "":
		errs = append(errs, errors.New("--topic DLQ_TOPIC or --s3 s3://BUCKET/PREFIX is required: where the dead letters are"))
	case o.topic != "" && o.s3URL != "":
		errs = append(errs, errors.New("--topic and --s3 name two dead-letter destinations: give one"))
	case o.s3URL != "":
		if _, _, err := parseS3URL(o.s3URL); err != nil {
			errs = append(errs, fmt.Errorf("--s3 %v", err))
		}
	}
	errs = append(errs, o.kafka.validate(false, getenv)...)
	if o.dryRun && o.execute {
		errs = append(errs, errors.New("--dry-run and --execute: give one"))
	}
	if o.timeout < time.Second || o.timeout > maxFunctionTime {
		errs = append(errs, fmt.Errorf("--timeout %v: want 1s to %v (a function's timeout)", o.timeout, maxFunctionTime))
	}
	if o.batchSize < 1 || o.batchSize > kafkaevent.MaxMaxRecords {
		errs = append(errs, fmt.Errorf("--batch-size %d: want 1 to %d", o.batchSize, kafkaevent.MaxMaxRecords))
	}
	if err := checkOutput(o.output); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// deadLetter is one dead-lettered record: the original record and why it failed.
type deadLetter struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Stage     string `json:"stage,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// From names where the letter is: dlq-topic/partition@offset or the S3 object.
	From string `json:"from"`
	// Status is replayed, already-replayed, would-replay, failed or held (behind a failing
	// record of its partition).
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	rec    record.Record
}

// Replay statuses.
const (
	replayDone    = "replayed"
	replayAlready = "already-replayed"
	replayWould   = "would-replay"
	replayFailed  = "failed"
	replayHeld    = "held"
)

// replayReport is dlq replay's summary.
type replayReport struct {
	Connector       string       `json:"connector"`
	ReplayConnector string       `json:"replay_connector"`
	Source          string       `json:"source"`
	Execute         bool         `json:"execute"`
	Letters         []deadLetter `json:"letters"`
	Read            int          `json:"read"`
	Duplicates      int          `json:"duplicates"`
	Replayed        int          `json:"replayed"`
	Already         int          `json:"already_replayed"`
	Would           int          `json:"would_replay"`
	Failed          int          `json:"failed"`
	Held            int          `json:"held"`
}

func runDLQReplay(ctx context.Context, e *env, args []string) int {
	o := replayOptions{}
	fs := newFlagSet("dlq replay", "", dlqReplayDescription, e)
	fs.StringVar(&o.connector, "connector", "", "the sink connector: "+strings.Join(connectorNames(), " or ")+" (required)")
	fs.StringVar(&o.file, "connector-config", "", "the sink's settings file (JSON or .properties); default: $"+config.FileEnv+" and CONNECT_* variables")
	fs.StringVar(&o.topic, "topic", "", "the dead-letter topic to read (errors.deadletterqueue.topic.name)")
	fs.StringVar(&o.s3URL, "s3", "", "the S3 dead-letter prefix to read, s3://BUCKET/PREFIX (errors.deadletterqueue.s3.bucket.name and .prefix)")
	o.kafka.add(fs, " of the dead-letter topic (default: errors.deadletterqueue.bootstrap.servers)")
	fs.StringVar(&o.offsetsFile, "offsets-file", "", "keep the replay's offsets in this local file instead of offsets.table")
	fs.BoolVar(&o.dryRun, "dry-run", false, "list the dead letters and what a replay would do (the default)")
	fs.BoolVar(&o.execute, "execute", false, "replay them")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "each invocation's deadline (the function's timeout)")
	fs.IntVar(&o.batchSize, "batch-size", 100, "most records per invocation")
	fs.StringVar(&o.logPath, "log", "", "file for the sink's JSON logs and metrics (default: discarded)")
	fs.StringVar(&o.output, "output", outputText, "output: text or json")
	if code, done := parse(fs, args, e); done {
		return code
	}
	errs := o.validate(e.getenv)
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if len(errs) > 0 {
		return usageErr(e, "dlq replay", errs...)
	}
	cn, _ := findConnector(o.connector)
	logW, closeLog, err := openLog(o.logPath, io.Discard)
	if err != nil {
		return failed(e, "dlq replay", err, "")
	}
	defer closeLog()
	rp, err := newReplayer(ctx, e, cn, o, logW)
	if err != nil {
		if printProblems(e, "dlq replay", cn.name, err, fmt.Sprintf("Fix them ('%s validate --connector %s' checks the settings).", prog, cn.name)) {
			return exitFail
		}
		if errclass.Of(err) == errclass.BadConfig && strings.Contains(err.Error(), sink.KeyOffsetsTable) {
			return failed(e, "dlq replay", err, fmt.Sprintf("Set %s to the connector's offsets table, or give --offsets-file FILE.", config.EnvName(sink.KeyOffsetsTable)))
		}
		return failed(e, "dlq replay", err, "Check the configuration and that the endpoints answer, then run again.")
	}
	rep, err := rp.run(ctx)
	if err != nil {
		return failed(e, "dlq replay", err, "Nothing past what the report shows was replayed; run again when the cause is fixed: what was replayed is skipped.")
	}
	if err := printReport(e, o.output, rep); err != nil {
		return exitFail
	}
	if rep.Failed > 0 {
		fmt.Fprintf(e.stderr, "%s dlq replay: %s still failing (reasons above); fix the cause and replay again: what was replayed is skipped.\n",
			prog, plural(rep.Failed, "record is", "records are"))
		return exitFail
	}
	return exitOK
}

// replayer is one dlq replay.
type replayer struct {
	e       *env
	o       replayOptions
	name    string // connector.name
	dlqBoot string // the dead-letter topic's cluster
	handler *sink.Handler
	store   offsetLister
}

// offsetLister reads committed offsets: DynamoStore and FileStore.
type offsetLister interface {
	List(ctx context.Context, connector string) ([]offsets.State, error)
}

// newReplayer builds the sink as its function does, with the replay's connector name, no
// dead-letter destination and errors.tolerance=none.
func newReplayer(ctx context.Context, e *env, cn *connector, o replayOptions, logW io.Writer) (*replayer, error) {
	c, err := loadConfig(e, cn.spec(), o.file)
	if err != nil {
		return nil, err
	}
	if err := cn.check(c); err != nil {
		return nil, err
	}
	rp := &replayer{e: e, o: o, name: c.String(sink.KeyConnectorName), dlqBoot: o.kafka.bootstrap}
	if rp.dlqBoot == "" {
		rp.dlqBoot = strings.Join(c.List(sink.KeyDLQBootstrap), ",")
	}
	if o.topic != "" && rp.dlqBoot == "" {
		return nil, errclass.Config("--bootstrap-servers", "is required to read --topic %s (errors.deadletterqueue.bootstrap.servers is not set either)", o.topic)
	}
	props := c.Sub("") // every setting: the keys' effective values and the pass-through ones
	for k := range props {
		if strings.HasPrefix(k, "errors.deadletterqueue.") {
			delete(props, k)
		}
	}
	props[sink.KeyConnectorName] = rp.name + replaySuffix
	props[sink.KeyErrorsTolerance] = "none"
	rc, err := cn.spec().Parse(props)
	if err != nil {
		return nil, err
	}
	s, err := cn.newSink(ctx, rc)
	if err != nil {
		return nil, err
	}
	var store sink.Store
	if o.offsetsFile != "" {
		fsStore, err := offsets.NewFileStore(o.offsetsFile)
		if err != nil {
			return nil, err
		}
		store, rp.store = fsStore, fsStore
	}
	reg, err := converterRegistry()
	if err != nil {
		return nil, err
	}
	if rp.handler, err = sink.NewFromConfig(ctx, rc, s, store, sink.WithLogger(sink.NewLogger(logW)), sink.WithMetricsTo(logW), sink.WithConverters(reg)); err != nil {
		return nil, err
	}
	if rp.store == nil {
		ds, err := (&storeFlags{table: c.String(sink.KeyOffsetsTable)}).open(ctx)
		if err != nil {
			return nil, err
		}
		rp.store = ds
	}
	return rp, nil
}

// run reads the dead letters, and lists or replays them.
func (rp *replayer) run(ctx context.Context) (*replayReport, error) {
	rep := &replayReport{Connector: rp.name, ReplayConnector: rp.name + replaySuffix, Execute: rp.o.execute, Letters: []deadLetter{}}
	var letters []deadLetter
	var err error
	if rp.o.topic != "" {
		rep.Source = "topic " + rp.o.topic + " on " + rp.dlqBoot
		letters, err = rp.readTopic(ctx)
	} else {
		rep.Source = rp.o.s3URL
		letters, err = rp.readS3(ctx)
	}
	if err != nil {
		return nil, err
	}
	rep.Read = len(letters)
	// One letter per original record (a retried batch may have dead-lettered it twice), in
	// partition and offset order.
	slices.SortStableFunc(letters, func(a, b deadLetter) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Partition, b.Partition); c != 0 {
			return c
		}
		return cmp.Compare(a.Offset, b.Offset)
	})
	letters = slices.CompactFunc(letters, func(a, b deadLetter) bool {
		return a.Topic == b.Topic && a.Partition == b.Partition && a.Offset == b.Offset
	})
	rep.Duplicates = rep.Read - len(letters)

	states, err := rp.store.List(ctx, rp.name+replaySuffix)
	if err != nil {
		return nil, err
	}
	next := map[record.TopicPartition]int64{}
	for _, s := range states {
		next[record.TopicPartition{Topic: s.Topic, Partition: s.Partition}] = s.Next
	}
	var parts [][]*deadLetter
	for i := range letters {
		l := &letters[i]
		if n, ok := next[record.TopicPartition{Topic: l.Topic, Partition: l.Partition}]; ok && n >= 0 && l.Offset < n {
			l.Status = replayAlready
			continue
		}
		l.Status = replayWould
		if k := len(parts); k == 0 || parts[k-1][0].Topic != l.Topic || parts[k-1][0].Partition != l.Partition {
			parts = append(parts, nil)
		}
		parts[len(parts)-1] = append(parts[len(parts)-1], l)
	}
	if rp.o.execute {
		for _, p := range parts {
			rp.replayPartition(ctx, p)
		}
	}
	for _, l := range letters {
		switch l.Status {
		case replayDone:
			rep.Replayed++
		case replayAlready:
			rep.Already++
		case replayWould:
			rep.Would++
		case replayFailed:
			rep.Failed++
		case replayHeld:
			rep.Held++
		}
		rep.Letters = append(rep.Letters, l)
	}
	return rep, nil
}

// replayPartition replays one partition's letters, in offset order: in batches, and, when a
// batch fails, one record at a time, stopping at the first record that still fails.
func (rp *replayer) replayPartition(ctx context.Context, ls []*deadLetter) {
	for start := 0; start < len(ls); start += rp.o.batchSize {
		batch := ls[start:min(start+rp.o.batchSize, len(ls))]
		if err := rp.invoke(ctx, batch); err == nil {
			continue
		}
		for i, l := range batch {
			if err := rp.invoke(ctx, []*deadLetter{l}); err != nil {
				l.Status, l.Error = replayFailed, err.Error()
				for _, h := range ls[start+i+1:] {
					h.Status, h.Error = replayHeld, fmt.Sprintf("behind %s/%d@%d, which still fails: partitions are replayed in offset order", l.Topic, l.Partition, l.Offset)
				}
				return
			}
		}
	}
}

// invoke hands letters to the sink in one Lambda-identical event and marks them replayed.
func (rp *replayer) invoke(ctx context.Context, ls []*deadLetter) error {
	recs := make([]record.Record, len(ls))
	for i, l := range ls {
		recs[i] = l.rec
	}
	events, err := kafkaevent.Batches(kafkaevent.SourceSelfManaged, "", rp.dlqBoot, recs, kafkaevent.Limits{MaxRecords: len(recs)})
	if err != nil {
		return err
	}
	for _, ev := range events {
		ictx, cancel := context.WithTimeout(ctx, rp.o.timeout)
		ictx = lambdacontext.NewContext(ictx, &lambdacontext.LambdaContext{AwsRequestID: requestID(), InvokedFunctionArn: runFunctionARN})
		_, err := rp.handler.Handle(ictx, ev)
		cancel()
		if err != nil {
			return err
		}
	}
	for _, l := range ls {
		l.Status = replayDone
	}
	return nil
}

// letterFrom makes a dead letter of a record read back from the dead-letter topic: its
// __connect.errors.* headers name the original record, the other headers are its own.
func letterFrom(r record.Record) (deadLetter, string, error) {
	l := deadLetter{From: fmt.Sprintf("%s/%d@%d", r.Topic, r.Partition, r.Offset)}
	var hs []record.Header
	var connector string
	var haveTopic, havePart, haveOff bool
	for _, h := range r.Headers {
		v := string(h.Value)
		switch h.Key {
		case dlq.HeaderTopic:
			l.Topic, haveTopic = v, true
		case dlq.HeaderPartition:
			p, err := strconv.ParseInt(v, 10, 32)
			if err != nil {
				return l, "", errclass.Record(l.From, "header %s %q is not a partition", h.Key, v)
			}
			l.Partition, havePart = int32(p), true
		case dlq.HeaderOffset:
			o, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return l, "", errclass.Record(l.From, "header %s %q is not an offset", h.Key, v)
			}
			l.Offset, haveOff = o, true
		case dlq.HeaderConnector:
			connector = v
		case dlq.HeaderStage:
			l.Stage = v
		case dlq.HeaderExMessage:
			l.Reason = v
		default:
			if !strings.HasPrefix(h.Key, "__connect.errors.") {
				hs = append(hs, h)
			}
		}
	}
	if !haveTopic || !havePart || !haveOff {
		return l, "", errclass.Record(l.From, "no %s/%s/%s headers: not a dead letter with Connect's error context (errors.deadletterqueue.context.headers.enable=true)",
			dlq.HeaderTopic, dlq.HeaderPartition, dlq.HeaderOffset)
	}
	l.rec = record.Record{Topic: l.Topic, Partition: l.Partition, Offset: l.Offset, Timestamp: r.Timestamp, TimestampType: r.TimestampType,
		Key: r.Key, Value: r.Value, Headers: hs}
	return l, connector, nil
}

// readTopic reads the dead-letter topic from its start to its end, keeping the connector's
// letters.
func (rp *replayer) readTopic(ctx context.Context) ([]deadLetter, error) {
	kf := rp.o.kafka
	kf.bootstrap = rp.dlqBoot
	b, err := dialBroker(ctx, &kf, rp.e.getenv)
	if err != nil {
		return nil, err
	}
	defer b.close()
	parts, err := b.partitions(ctx, rp.o.topic)
	if err != nil {
		return nil, err
	}
	start, end, err := b.bounds(ctx, rp.o.topic, parts)
	if err != nil {
		return nil, err
	}
	from := map[int32]kgo.Offset{}
	left := 0
	for _, p := range parts {
		if end[p] > start[p] {
			from[p] = kgo.NewOffset().At(start[p])
			left++
		}
	}
	if left == 0 {
		return nil, nil
	}
	opts, err := kf.options(ctx, rp.e.getenv)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{rp.o.topic: from}))...)
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, "kafka client", err)
	}
	defer cl.Close()
	var out []deadLetter
	var bad []error
	done := map[int32]bool{}
	// A partition's last offsets may hold no record to read (transaction markers, compacted
	// away): once nothing arrived for a while, what was read is all there is.
	const quiet = 10 * time.Second
	last := time.Now()
	for left > 0 && time.Since(last) < quiet {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fetches := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil, errclass.New(errclass.Retriable, "topic "+rp.o.topic, ctx.Err())
		}
		if fetches.NumRecords() > 0 {
			last = time.Now()
		}
		for _, fe := range fetches.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) && !kgo.IsRetryableBrokerErr(fe.Err) {
				return nil, errclass.New(errclass.Retriable, fmt.Sprintf("partition %s-%d", fe.Topic, fe.Partition), fmt.Errorf("reading the dead letters: %w", fe.Err))
			}
		}
		fetches.EachRecord(func(kr *kgo.Record) {
			if done[kr.Partition] || kr.Offset >= end[kr.Partition] {
				return
			}
			l, connector, err := letterFrom(fromKgo(kr))
			switch {
			case err != nil:
				bad = append(bad, err)
			case connector == "" || connector == rp.name:
				out = append(out, l)
			}
			if kr.Offset+1 >= end[kr.Partition] {
				done[kr.Partition] = true
				left--
			}
		})
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("topic %s holds records that are not dead letters: %w", rp.o.topic, errors.Join(bad...))
	}
	return out, nil
}

// readS3 reads the S3 dead-letter documents under the prefix, keeping the connector's letters.
func (rp *replayer) readS3(ctx context.Context) ([]deadLetter, error) {
	bucket, prefix, _ := parseS3URL(rp.o.s3URL)
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, "AWS configuration", err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if os.Getenv("AWS_ENDPOINT_URL_S3") != "" {
			o.UsePathStyle = true
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
	var out []deadLetter
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, errclass.New(errclass.Retriable, rp.o.s3URL, fmt.Errorf("listing the dead letters: %w", err))
		}
		for _, obj := range page.Contents {
			key := aws.ToString(obj.Key)
			if !strings.HasSuffix(key, ".json") {
				continue
			}
			url := "s3://" + bucket + "/" + key
			got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				return nil, errclass.New(errclass.Retriable, url, fmt.Errorf("reading the dead letter: %w", err))
			}
			var buf bytes.Buffer
			_, err = buf.ReadFrom(got.Body)
			got.Body.Close()
			if err != nil {
				return nil, errclass.New(errclass.Retriable, url, fmt.Errorf("reading the dead letter: %w", err))
			}
			var doc dlq.S3Letter
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || doc.Topic == "" {
				return nil, errclass.Record(url, "not a dead-letter document (topic, partition, offset, key, value, headers, errors): %v", err)
			}
			if c := doc.Errors[dlq.HeaderConnector]; c != "" && c != rp.name {
				continue
			}
			l := deadLetter{Topic: doc.Topic, Partition: doc.Partition, Offset: doc.Offset, Stage: doc.Errors[dlq.HeaderStage],
				Reason: doc.Errors[dlq.HeaderExMessage], From: url}
			l.rec = record.Record{Topic: doc.Topic, Partition: doc.Partition, Offset: doc.Offset, Timestamp: doc.Timestamp,
				TimestampType: timestampType(doc.TimestampType), Key: doc.Key, Value: doc.Value}
			for _, h := range doc.Headers {
				l.rec.Headers = append(l.rec.Headers, record.Header{Key: h.Key, Value: h.Value})
			}
			out = append(out, l)
		}
	}
	return out, nil
}

// timestampType parses record.TimestampType's String.
func timestampType(s string) record.TimestampType {
	for _, t := range []record.TimestampType{record.CreateTime, record.LogAppendTime, record.NoTimestampType} {
		if t.String() == s {
			return t
		}
	}
	return record.NoTimestampType
}

// text formats the report for people.
func (r *replayReport) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s dlq replay: %s of connector %s in %s", prog, plural(r.Read, "dead letter", "dead letters"), r.Connector, r.Source)
	if r.Duplicates > 0 {
		fmt.Fprintf(&b, " (%d duplicates of the same record)", r.Duplicates)
	}
	b.WriteString(".\n")
	if len(r.Letters) > 0 {
		var rows [][]string
		for _, l := range r.Letters {
			why := l.Reason
			if l.Error != "" {
				why = l.Error
			}
			rows = append(rows, []string{fmt.Sprintf("%s-%d", l.Topic, l.Partition), fmt.Sprint(l.Offset), l.Status, l.Stage, plainText(why)})
		}
		table(&b, "PARTITION\tOFFSET\tSTATUS\tSTAGE\tREASON", rows)
	}
	if !r.Execute {
		fmt.Fprintf(&b, "%d would be replayed, %d were replayed already (offsets of %s). Run again with --execute to replay them.\n",
			r.Would, r.Already, r.ReplayConnector)
		return b.String()
	}
	fmt.Fprintf(&b, "%d replayed, %d replayed already (skipped), %d failed, %d held back behind a failure; the replay's offsets are committed under %s.\n",
		r.Replayed, r.Already, r.Failed, r.Held, r.ReplayConnector)
	return b.String()
}
