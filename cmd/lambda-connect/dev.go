package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
	"github.com/lambda-connect/lambda-connect/infra/registrylocal"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

// The sandbox's fixed names.
const (
	devBucket      = "lambda-connect-dev"
	devConnector   = "dev-s3-sink"
	devFunctionARN = "arn:aws:lambda:us-east-1:000000000000:function:lambda-connect-dev"
	offsetsFile    = "offsets.json"
	logFile        = "dev.log"
	// functionTimeout is the invocation deadline the handler sees, as a function's timeout.
	functionTimeout = time.Minute
)

// sandboxTopic is a topic dev creates and polls.
type sandboxTopic struct {
	name       string
	partitions int32
}

var sandboxTopics = []sandboxTopic{{"orders", 3}, {"clicks.v1", 2}}

// devOptions are dev's flags.
type devOptions struct {
	sink        string // sinkAll ("" too), sinkS3 or sinkDynamoDB
	once        bool
	records     int
	batchSize   int
	format      string
	compression string
	dataDir     string
	output      string
	poll        time.Duration
}

// validate checks the flags and returns every problem, each naming its flag.
func (o devOptions) validate() error {
	var errs []error
	switch o.sink {
	case "", sinkAll, sinkS3:
	case sinkDynamoDB:
		if o.format != "json" {
			errs = append(errs, fmt.Errorf("--format %q: the S3 sink's object format; --sink dynamodb takes JSON values", o.format))
		}
		if o.compression != s3sink.CompressionNone {
			errs = append(errs, fmt.Errorf("--compression %q: the S3 sink's object compression; --sink dynamodb writes items", o.compression))
		}
	default:
		errs = append(errs, fmt.Errorf("--sink %q: want all, s3 or dynamodb", o.sink))
	}
	if o.records < 1 || o.records > 100000 {
		errs = append(errs, fmt.Errorf("--records %d: want 1 to 100000", o.records))
	}
	if o.batchSize < 1 || o.batchSize > kafkaevent.MaxMaxRecords {
		errs = append(errs, fmt.Errorf("--batch-size %d: want 1 to %d (the event-source mapping's range)", o.batchSize, kafkaevent.MaxMaxRecords))
	}
	if o.format != "json" && o.format != "bytearray" {
		errs = append(errs, fmt.Errorf("--format %q: want json or bytearray", o.format))
	}
	if o.compression != s3sink.CompressionNone && o.compression != s3sink.CompressionGzip {
		errs = append(errs, fmt.Errorf("--compression %q: want none or gzip", o.compression))
	}
	if o.output != "text" && o.output != "json" {
		errs = append(errs, fmt.Errorf("--output %q: want text or json", o.output))
	}
	if o.poll < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("--poll-interval %v: want at least 10ms", o.poll))
	}
	return errors.Join(errs...)
}

// props returns the S3 sink's settings for the sandbox, as a deployment would set them with
// CONNECT_* variables.
func (o devOptions) props() map[string]string {
	p := map[string]string{
		"connector.name":          devConnector,
		"s3.bucket.name":          devBucket,
		"s3.region":               s3local.Region,
		"s3.compression.type":     o.compression,
		"key.converter":           "org.apache.kafka.connect.storage.StringConverter",
		"behavior.on.null.values": s3sink.NullIgnore,
	}
	if o.format == "json" {
		p["format.class"] = s3sink.JSONFormatClass
		p["value.converter"] = "org.apache.kafka.connect.json.JsonConverter"
		p["value.converter.schemas.enable"] = "false"
	} else {
		p["format.class"] = s3sink.ByteArrayFormatClass
		p["value.converter"] = "org.apache.kafka.connect.converters.ByteArrayConverter"
	}
	return p
}

const devDescription = `Runs the whole of Lambda Connect on this machine, with no AWS account and no credentials:
an embedded Kafka broker (kfake), an in-memory S3 server (gofakes3), DynamoDB Local and a
local offsets file, through the real handlers of the S3 source, the S3 sink and the DynamoDB
sink, each with its own connector name and committed offsets.

It creates the topics orders (3 partitions) and clicks.v1 (2 partitions) and produces sample
JSON records to them (some keyed, and one tombstone, which the S3 sink skips because the
sandbox sets behavior.on.null.values=ignore: the default, fail, would stop the batch). It
drops a JSON-lines object of orders into the landing bucket and hands it to the S3 source
handler in an S3 event notification, as an S3 trigger would: its lines become records of
orders. It then reads the topics back from the broker and invokes each sink's handler with
the events Lambda's Kafka event-source mapping would send (--batch-size records at most, 6 MB
at most), and prints what moved where: the object's lines -> the records per topic and
partition -> the S3 sink's objects (offset ranges and record counts) and the DynamoDB sink's
items, the committed offsets of each sink, and where each line of the dropped object ended up
(every one exactly once in each sink, or the run fails).

The Avro lane (with --sink all and s3) runs once, at start: an embedded Confluent-compatible
schema registry (infra/registrylocal, its URL printed), 40 orders produced to orders.avro
(2 partitions) as Confluent-framed Avro by the AvroConverter (which registers their schema,
subject orders.avro-value), and an S3 sink of its own (connector dev-avro-s3-sink) reading them
with value.converter=AvroConverter and writing Parquet (format.class=ParquetFormat) to the
bucket lambda-connect-dev-avro. The summary shows the schema id(s), the Parquet objects and
checks, reading them back with the S3 source's Parquet reader, that every order is there
exactly once.

--sink chooses the sinks: all (the default), s3 or dynamodb. With all, should DynamoDB Local
not start (it needs Java 17 or later, and npm's registry on the first run), dev says so on
stderr, leaves the DynamoDB sink out of the run (the summary says so too) and still runs the
S3 source and the S3 sink, exiting 0: pass --sink s3 to run without DynamoDB Local and without
that warning. With --sink dynamodb, DynamoDB Local is required.

With --once it stops there. Without it, it prints the broker and S3 addresses with
ready-to-paste kcat and aws commands, and keeps polling the topics every --poll-interval,
delivering new records through the sinks' handlers (and new objects of the landing bucket
through the S3 source's), until interrupted (Ctrl-C or SIGTERM).

The broker and S3 live in memory: every run starts empty, and the offsets file in the data
directory is reset at start. The handlers' JSON logs and metrics go to dev.log there.

The DynamoDB sink writes the records of orders to the table orders of a DynamoDB Local it
starts (the first run downloads the emulator from npm and caches it, see infra/dynamolocal;
later runs start in seconds), stopped at exit: orders by customer, hash key the record key
(aws.dynamodb.pk.hash key:customer), sort key the value's order_id (aws.dynamodb.pk.sort
value.order_id), one item per order; tombstones are skipped (delete.enabled=false). clicks.v1
is not delivered to it: its records have no key. Its summary shows its committed offsets, the
items per partition and a few items, and checks that the table holds exactly one item per
order, written from that order's record. --format and --compression are the S3 sink's.`

func runDev(ctx context.Context, e *env, args []string) int {
	var o devOptions
	fs := newFlagSet("dev", "", devDescription, e)
	fs.StringVar(&o.sink, "sink", sinkAll, "the sinks the records go through: all (both), s3 (S3 sink, gofakes3) or dynamodb (DynamoDB sink, DynamoDB Local)")
	fs.BoolVar(&o.once, "once", false, "deliver the sample records once, print the summary and exit")
	fs.IntVar(&o.records, "records", 200, "how many sample records to produce, over both topics")
	fs.IntVar(&o.batchSize, "batch-size", kafkaevent.DefaultMaxRecords, "the event-source mapping's batch size: most records per invocation")
	fs.StringVar(&o.format, "format", "json", "object format: json (JsonFormat) or bytearray (ByteArrayFormat)")
	fs.StringVar(&o.compression, "compression", "none", "object compression (s3.compression.type): none or gzip")
	fs.StringVar(&o.dataDir, "data-dir", "", "directory for the offsets file and the handler's log (default: a new temporary directory, kept after exit)")
	fs.StringVar(&o.output, "output", "text", "output: text or json")
	fs.DurationVar(&o.poll, "poll-interval", time.Second, "without --once: how often the topics are polled")
	if code, done := parse(fs, args, e); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "%s dev: unexpected arguments %q: dev takes flags only.\nRun '%s dev --help' for the flags.\n", prog, fs.Args(), prog)
		return exitUsage
	}
	if err := o.validate(); err != nil {
		fmt.Fprintf(e.stderr, "%s dev: %v\nRun '%s dev --help' for the flags.\n", prog, err, prog)
		return exitUsage
	}

	start := time.Now()
	sb, err := startSandbox(ctx, o, e.stderr)
	if err != nil {
		return fail(e, "starting the sandbox", err, "")
	}
	defer sb.close()
	out := newPrinter(e.stdout, o.output)

	if err := sb.seed(ctx); err != nil {
		return fail(e, "producing the sample records", err, sb.logPath)
	}
	if _, err := sb.poll(ctx); err != nil {
		return fail(e, "delivering the records through the "+sinkTitle(o.sink), err, sb.logPath)
	}
	rep, err := sb.report(ctx)
	if err != nil {
		return fail(e, "reading back what was delivered", err, sb.logPath)
	}
	if rep.Avro, err = sb.runAvro(ctx); err != nil {
		return fail(e, "running the Avro lane (schema registry -> AvroConverter -> Parquet)", err, sb.logPath)
	}
	rep.ElapsedMs = time.Since(start).Milliseconds()
	if err := out.report(rep); err != nil {
		return fail(e, "writing the summary", err, "")
	}
	if err := rep.check(); err != nil {
		return fail(e, "checking the delivery", err, sb.logPath)
	}
	if o.once {
		return exitOK
	}

	if err := out.running(rep, o.poll); err != nil {
		return fail(e, "writing to the output", err, "")
	}
	seen := map[string]bool{}
	markShown(rep, seen)
	lastErr := ""
	tick := time.NewTicker(o.poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			out.stopped()
			return exitOK
		case <-tick.C:
		}
		n, err := sb.poll(ctx)
		if ctx.Err() != nil {
			continue // interrupted mid-poll: stop at the next turn
		}
		if err != nil {
			// The event-source mapping retries a failing batch until it passes (or the records
			// expire): so does the sandbox, saying so once per distinct error.
			if msg := err.Error(); msg != lastErr {
				lastErr = msg
				out.pollError(err, sb.logPath)
			}
			continue
		}
		lastErr = ""
		if n == 0 {
			continue
		}
		rep, err := sb.report(ctx)
		if err != nil {
			out.pollError(err, sb.logPath)
			continue
		}
		out.delivered(rep, seen)
	}
}

// markShown adds what the summary rep showed (objects, committed offsets, source objects) to dev's
// set of things already printed.
func markShown(rep devReport, seen map[string]bool) {
	for _, p := range rep.Partitions {
		for _, ob := range p.Objects {
			seen[ob.Key] = true
		}
		seen[commitSeen(p)] = true
	}
	if d := rep.DynamoDB; d != nil {
		for _, p := range d.Partitions {
			seen[sinkDynamoDB+" "+commitSeen(p)] = true
		}
	}
	markSourced(rep.Source, seen)
}

// fail reports a failed step on stderr with what to do next, and returns exitFail.
func fail(e *env, step string, err error, logPath string) int {
	fmt.Fprintf(e.stderr, "%s dev: %s: %v\n", prog, step, err)
	switch {
	case errclass.Of(err) == errclass.BadConfig:
		fmt.Fprintf(e.stderr, "This is a configuration problem: check the flags ('%s dev --help').\n", prog)
	case logPath != "":
		fmt.Fprintf(e.stderr, "The handler's log is in %s. Run again with --once to retry; if it keeps failing, please report it with that log.\n", logPath)
	default:
		fmt.Fprintf(e.stderr, "Run again; if it keeps failing, check that this machine can listen on 127.0.0.1 and write to the data directory (--data-dir).\n")
	}
	return exitFail
}

// sandbox is a running dev environment.
type sandbox struct {
	opts      devOptions
	props     map[string]string
	dataDir   string
	logPath   string
	storePath string

	logf    *os.File
	log     *slog.Logger
	kafka   *kafkalocal.Cluster
	s3srv   *s3local.Server
	s3      *s3.Client
	store   *offsets.FileStore
	handler *sink.Handler

	// The DynamoDB sink's part (devdynamo.go), with --sink dynamodb.
	ddb         *dynamolocal.Instance
	ddbClient   *dynamodb.Client
	emulatorDir string
	strategy    string
	view        map[string]record.Record // each order's latest delivered record, by itemID

	source *devSource // the S3 source's part (devsource.go)
	// registry is the Avro lane's embedded schema registry (devavro.go); nil with --sink dynamodb.
	registry *registrylocal.Registry
	// dyn is the DynamoDB sink's lane with --sink all: a sandbox of its own for the sink's
	// state (handler, positions, counts), sharing this one's broker, S3, store and log; nil
	// otherwise, or when DynamoDB Local could not start (dynSkipped says why).
	dyn          *sandbox
	dynSkipped   string
	sample       sample
	pos          map[record.TopicPartition]int64 // next offset to deliver, per partition
	stats        map[record.TopicPartition]*partStats
	objects      map[string]objectReport // objects read so far, by key
	invocations  int
	largestEvent int
}

// startSandbox starts the broker, the S3 server, DynamoDB Local (--sink dynamodb) and the offsets
// store, and builds the handler. Progress worth telling (a first download) goes to progress.
func startSandbox(ctx context.Context, o devOptions, progress io.Writer) (_ *sandbox, err error) {
	sb := &sandbox{
		opts:    o,
		props:   o.props(),
		pos:     map[record.TopicPartition]int64{},
		stats:   map[record.TopicPartition]*partStats{},
		objects: map[string]objectReport{},
	}
	defer func() {
		if err != nil {
			sb.close()
		}
	}()
	if sb.dataDir = o.dataDir; sb.dataDir == "" {
		if sb.dataDir, err = os.MkdirTemp("", "lambda-connect-dev-"); err != nil {
			return nil, fmt.Errorf("creating a data directory: %w", err)
		}
	} else if err = os.MkdirAll(sb.dataDir, 0o755); err != nil {
		return nil, errclass.New(errclass.BadConfig, "--data-dir", err)
	}
	sb.logPath = filepath.Join(sb.dataDir, logFile)
	if sb.logf, err = os.OpenFile(sb.logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644); err != nil {
		return nil, errclass.New(errclass.BadConfig, "--data-dir", fmt.Errorf("creating the log: %w", err))
	}
	sb.log = slog.New(slog.NewJSONHandler(sb.logf, &slog.HandlerOptions{Level: slog.LevelInfo}))

	// The broker and S3 start empty: offsets committed by an earlier run would skip records.
	sb.storePath = filepath.Join(sb.dataDir, offsetsFile)
	if err = os.Remove(sb.storePath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, errclass.New(errclass.BadConfig, "--data-dir", fmt.Errorf("resetting %s: %w", sb.storePath, err))
	}
	if sb.store, err = offsets.NewFileStore(sb.storePath); err != nil {
		return nil, err
	}

	if sb.kafka, err = kafkalocal.Start(ctx, kafkalocal.Options{Embedded: true, Logger: sb.log}); err != nil {
		return nil, err
	}
	if sb.s3srv, err = s3local.Start(s3local.Options{Logger: sb.log, Buckets: []string{devBucket, devLandingBucket, avroBucket}}); err != nil {
		return nil, err
	}
	sb.s3 = localS3Client(sb.s3srv.URL())
	if o.sink == sinkDynamoDB {
		if err = sb.startDynamo(ctx, progress); err != nil {
			return nil, err
		}
	}
	if sb.handler, err = sb.buildHandler(ctx); err != nil {
		return nil, err
	}
	if err = sb.startSource(ctx); err != nil {
		return nil, err
	}
	if err = sb.startAvro(); err != nil {
		return nil, err
	}
	if o.sink == sinkAll || o.sink == "" {
		if err = sb.startDynamoLane(ctx, progress); err != nil {
			return nil, err
		}
	}
	sb.log.Info("sandbox started", "broker", sb.kafka.Bootstrap(), "s3", sb.s3srv.URL(), "settings", sb.props)
	return sb, nil
}

// localS3Client returns a client of the sandbox's S3 server with static dummy credentials. It is
// built from scratch rather than with the SDK's default configuration (as s3local.Client does), so
// that nothing in the environment or in ~/.aws (AWS_PROFILE, a partial AWS_ACCESS_KEY_ID, ...) can
// make the sandbox look for credentials. Path-style addressing and checksums only where required,
// as s3local.Client sets them for S3-compatible servers; the HTTP client is the SDK's default.
func localS3Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:                     s3local.Region,
		Credentials:                credentials.NewStaticCredentialsProvider(s3local.AccessKeyID, s3local.SecretAccessKey, ""),
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// buildHandler builds the S3 sink's handler as functions/s3-sink does, from the sandbox's
// settings instead of CONNECT_* variables, with the local S3 client and offsets store. Its logs
// and metrics go to the log file, so that the summary is all the user sees.
func (sb *sandbox) buildHandler(ctx context.Context) (*sink.Handler, error) {
	if sb.ddb != nil {
		return sb.buildDynamoHandler(ctx)
	}
	c, err := s3sink.Spec().Parse(sb.props)
	if err != nil {
		return nil, err
	}
	scfg, err := s3sink.ConfigFrom(c)
	if err != nil {
		return nil, err
	}
	s, err := s3sink.New(scfg, sb.s3)
	if err != nil {
		return nil, err
	}
	return sink.NewFromConfig(ctx, c, s, sb.store,
		sink.WithLogger(sink.NewLogger(sb.logf)), sink.WithMetricsTo(sb.logf))
}

// startDynamoLane starts the DynamoDB sink's lane of --sink all. When DynamoDB Local does not
// start, the lane is left out, saying so on progress: the S3 path still runs.
func (sb *sandbox) startDynamoLane(ctx context.Context, progress io.Writer) error {
	lo := sb.opts
	lo.sink = sinkDynamoDB
	d := &sandbox{
		opts: lo, dataDir: sb.dataDir, logPath: sb.logPath, storePath: sb.storePath,
		logf: sb.logf, log: sb.log, kafka: sb.kafka, s3srv: sb.s3srv, s3: sb.s3, store: sb.store,
		pos: map[record.TopicPartition]int64{}, stats: map[record.TopicPartition]*partStats{}, objects: map[string]objectReport{},
	}
	if err := d.startDynamo(ctx, progress); err != nil {
		d.closeDynamo()
		if ctx.Err() != nil {
			return err
		}
		sb.dynSkipped = err.Error()
		sb.log.Warn("DynamoDB sink left out: DynamoDB Local did not start", "error", err)
		fmt.Fprintf(progress, "%s dev: the DynamoDB sink is left out of this run: DynamoDB Local did not start: %v\n"+
			"It needs Java 17 or later on PATH (and npm's registry on the first run). Install Java, or run '%s dev --sink s3' for the S3 path alone without this warning.\n",
			prog, err, prog)
		return nil
	}
	h, err := d.buildHandler(ctx)
	if err != nil {
		d.closeDynamo()
		return err
	}
	d.handler = h
	sb.dyn = d
	return nil
}

func (sb *sandbox) close() {
	if sb.dyn != nil {
		sb.dyn.closeDynamo()
	}
	if sb.s3srv != nil {
		if err := sb.s3srv.Close(); err != nil && sb.log != nil {
			sb.log.Warn("closing the S3 server", "error", err)
		}
	}
	sb.closeSource()
	sb.closeAvro()
	sb.closeDynamo()
	if sb.kafka != nil {
		sb.kafka.Close()
	}
	if sb.logf != nil {
		_ = sb.logf.Close()
	}
}

// seed creates the sandbox's topics and produces the sample records.
func (sb *sandbox) seed(ctx context.Context) error {
	for _, t := range sandboxTopics {
		if err := sb.kafka.CreateTopic(ctx, t.name, t.partitions); err != nil {
			return err
		}
	}
	s := newSample(sb.opts.records, time.Now())
	if err := kafkalocal.Produce(ctx, sb.kafka.Addrs(), s.records); err != nil {
		return err
	}
	sb.sample = s
	if sb.dyn != nil {
		sb.dyn.sample = s
	}
	sb.log.Info("sample records produced", "records", len(s.records), "tombstones", s.tombstones)
	return sb.dropSample(ctx) // and an object for the S3 source
}

// poll reads what each sandbox partition holds past its delivery position and hands it to the
// handler in the events the event-source mapping would send: the records of every partition,
// grouped by partition in offset order, cut into events of at most --batch-size records and 6 MB.
// On success the positions move to the log ends; after a failure they stay, so that the next poll
// delivers the same records again, as the event-source mapping retries a failed batch (the
// handler skips what was committed). It returns how many records it delivered.
//
// With --sink all, the DynamoDB sink's lane is polled after the S3 sink, from its own positions:
// the sinks are independent, as two event-source mappings are, and a failure of one does not
// hold the other back.
func (sb *sandbox) poll(ctx context.Context) (int, error) {
	n, err := sb.pollSink(ctx)
	if sb.dyn == nil {
		return n, err
	}
	if err != nil {
		err = fmt.Errorf("S3 sink: %w", err)
	}
	dn, derr := sb.dyn.pollSink(ctx)
	if derr != nil {
		derr = fmt.Errorf("DynamoDB sink: %w", derr)
	}
	return n + dn, errors.Join(err, derr)
}

// pollSink is poll for one sink: the sandbox's own.
func (sb *sandbox) pollSink(ctx context.Context) (int, error) {
	if err := sb.pollSource(ctx); err != nil { // new objects through the S3 source first
		return 0, err
	}
	addrs := sb.kafka.Addrs()
	var recs []record.Record
	ends := map[record.TopicPartition]int64{}
	for _, t := range sb.topics() {
		hw, err := kafkalocal.EndOffsets(ctx, addrs, t.name)
		if err != nil {
			return 0, err
		}
		for p, end := range hw {
			tp := record.TopicPartition{Topic: t.name, Partition: int32(p)}
			if end <= sb.pos[tp] {
				continue
			}
			rs, err := kafkalocal.ReadPartition(ctx, addrs, t.name, int32(p), sb.pos[tp], end)
			if err != nil {
				return 0, err
			}
			recs = append(recs, rs...)
			ends[tp] = end
		}
	}
	if len(recs) == 0 {
		return 0, nil
	}
	events, err := kafkaevent.Batches(kafkaevent.SourceSelfManaged, "", sb.kafka.Bootstrap(), recs, kafkaevent.Limits{MaxRecords: sb.opts.batchSize})
	if err != nil {
		return 0, err
	}
	for i, ev := range events {
		n, err := recordsIn(ev)
		if err != nil {
			return 0, fmt.Errorf("event %d of %d: %w", i+1, len(events), err)
		}
		sb.invocations++
		sb.largestEvent = max(sb.largestEvent, len(ev))
		sb.log.Info("invoking the handler", "invocation", sb.invocations, "records", n, "bytes", len(ev))
		if err := sb.invoke(ctx, ev); err != nil {
			return 0, fmt.Errorf("event %d of %d (%s): %w", i+1, len(events), plural(n, "record", "records"), err)
		}
	}
	for tp, end := range ends {
		sb.pos[tp] = end
	}
	sb.noteDelivered(recs)
	for _, r := range recs {
		st := sb.stats[r.TopicPartition()]
		if st == nil {
			st = &partStats{}
			sb.stats[r.TopicPartition()] = st
		}
		st.delivered++
		if r.Value == nil {
			st.tombstones++
		}
	}
	return len(recs), nil
}

// recordsIn returns how many records an encoded event holds, decoding a copy of it (the
// handler decodes its payload in place).
func recordsIn(ev []byte) (int, error) {
	dec, err := kafkaevent.Decode(bytes.Clone(ev))
	if err != nil {
		return 0, err
	}
	return len(dec.Records), nil
}

// invoke calls the handler the way the Lambda runtime does: with the function's deadline and a
// Lambda context carrying a request ID.
func (sb *sandbox) invoke(ctx context.Context, payload []byte) error {
	ictx, cancel := context.WithTimeout(ctx, functionTimeout)
	defer cancel()
	ictx = lambdacontext.NewContext(ictx, &lambdacontext.LambdaContext{
		AwsRequestID:       requestID(),
		InvokedFunctionArn: devFunctionARN,
	})
	_, err := sb.handler.Invoke(ictx, payload)
	return err
}

// requestID returns a random ID shaped like Lambda's request IDs (a UUID).
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// committed returns the committed next offset of each partition of the connector.
func (sb *sandbox) committed(ctx context.Context) (map[record.TopicPartition]int64, error) {
	states, err := sb.store.List(ctx, sb.connectorName())
	if err != nil {
		return nil, err
	}
	out := make(map[record.TopicPartition]int64, len(states))
	for _, s := range states {
		out[record.TopicPartition{Topic: s.Topic, Partition: s.Partition}] = s.Next
	}
	return out, nil
}

// topics returns the topics the sink reads: both sandbox topics, or orders alone for the
// DynamoDB sink.
func (sb *sandbox) topics() []sandboxTopic {
	if sb.opts.sink == sinkDynamoDB {
		return dynamoTopics
	}
	return sandboxTopics
}

// connectorName is the sink's connector.name.
func (sb *sandbox) connectorName() string {
	if sb.opts.sink == sinkDynamoDB {
		return devDynamoConnector
	}
	return devConnector
}

// sinkTitle names the sink of --sink in messages.
func sinkTitle(s string) string {
	switch s {
	case sinkDynamoDB:
		return "DynamoDB sink"
	case sinkS3:
		return "S3 sink"
	}
	return "sinks"
}
