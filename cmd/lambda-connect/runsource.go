package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/producer"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// The S3 source under 'run s3-source': objects named on the command line, or the S3 notifications
// of an SQS queue, through the real source handler with an invocation deadline of its own.

const sourceConnectorName = "s3-source"

const runSourceDescription = `Runs the S3 source connector on this machine against real endpoints, outside Lambda: it
reads S3 objects and produces their records to Kafka through the source's real handler, with
the function's configuration (CONNECT_* variables, or the file --file names, or
CONNECTOR_CONFIG_FILE) and its checkpoint ledger (checkpoints.table): an object completed here
is never produced again by the deployed function, nor the other way round, and an object
another run or the function is processing is left to it.

The objects are either s3://bucket/key arguments (a key ending in / is a prefix: every object
under it; a bare key is taken in --bucket), or the S3 event notifications of an SQS queue
(--queue-url), long-polled and handed to the handler in the SQS events Lambda's SQS trigger
sends (--batch-size messages at most). A message is deleted only once every object it names is
done; a failed one is left on the queue, which redelivers it after its visibility timeout (and
moves it to its dead-letter queue after maxReceiveCount).

Every invocation runs under a deadline of --timeout, as the function's timeout: an object not
finished by then is checkpointed (deadline.reserve.ms before the deadline) and the next
invocation resumes at its checkpoint. With s3:// arguments an incomplete object gets --retries
more invocations, as Lambda retries an asynchronous invocation; still incomplete, it is
reported and the next run resumes it. With --queue-url, --once stops when a receive finds the
queue empty; without it, run polls until interrupted (Ctrl-C finishes the invocation at hand).

AWS endpoints, region and credentials come the AWS SDK's way (AWS_REGION, AWS_ENDPOINT_URL_S3,
AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS, the profile). The handler's JSON logs go to
stderr, or to --log.`

// runSourceOptions are 'run s3-source' flags and arguments.
type runSourceOptions struct {
	bucket    string
	urls      []string
	queueURL  string
	batchSize int
	wait      time.Duration
	timeout   time.Duration
	retries   int
	once      bool
	file      string
	logPath   string
	output    string
}

func (o *runSourceOptions) validate() []error {
	var errs []error
	switch {
	case o.queueURL == "" && len(o.urls) == 0:
		errs = append(errs, errors.New("no object given: name s3://bucket/key arguments (a key ending in / for a prefix), or --queue-url"))
	case o.queueURL != "" && len(o.urls) > 0:
		errs = append(errs, fmt.Errorf("both --queue-url and objects (%s): give one or the other", strings.Join(o.urls, " ")))
	}
	for _, u := range o.urls {
		if _, _, err := parseObjectArg(u, o.bucket); err != nil {
			errs = append(errs, err)
		}
	}
	if o.queueURL != "" {
		if u, err := url.Parse(o.queueURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--queue-url %q: want the queue's URL, https://sqs.<region>.amazonaws.com/<account>/<queue>", o.queueURL))
		}
	}
	if o.batchSize < 1 || o.batchSize > 10 {
		errs = append(errs, fmt.Errorf("--batch-size %d: want 1 to 10 (messages per receive, as the SQS trigger's BatchSize without a batching window)", o.batchSize))
	}
	if o.wait < 0 || o.wait > 20*time.Second {
		errs = append(errs, fmt.Errorf("--wait %v: want 0 to 20s (SQS long polling)", o.wait))
	}
	if o.timeout < time.Second || o.timeout > maxFunctionTime {
		errs = append(errs, fmt.Errorf("--timeout %v: want 1s to %v (a function's timeout)", o.timeout, maxFunctionTime))
	}
	if o.retries < 0 || o.retries > 100 {
		errs = append(errs, fmt.Errorf("--retries %d: want 0 to 100", o.retries))
	}
	if err := checkOutput(o.output); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// parseObjectArg reads s3://bucket/key, or a bare key in bucket.
func parseObjectArg(s, bucket string) (b, key string, err error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		if bucket == "" || strings.Contains(s, "://") {
			return "", "", fmt.Errorf("%q: want s3://bucket/key (or a key, with --bucket)", s)
		}
		return bucket, strings.TrimLeft(s, "/"), nil
	}
	b, key, _ = strings.Cut(rest, "/")
	if b == "" {
		return "", "", fmt.Errorf("%q: no bucket: want s3://bucket/key", s)
	}
	return b, key, nil
}

// testSourceDeps, when set (by tests), adjusts the source's services after s3source.Build.
var testSourceDeps func(*s3source.Deps)

func runSource(ctx context.Context, e *env, args []string) int {
	o := runSourceOptions{}
	fs := newFlagSet("run s3-source", "s3://bucket/key ... | --queue-url URL", runSourceDescription, e)
	fs.StringVar(&o.bucket, "bucket", "", "the bucket of arguments given as bare keys")
	fs.StringVar(&o.queueURL, "queue-url", "", "the SQS queue of S3 event notifications to poll, instead of s3:// arguments")
	fs.IntVar(&o.batchSize, "batch-size", 10, "--queue-url: most messages per invocation (1 to 10)")
	fs.DurationVar(&o.wait, "wait", 20*time.Second, "--queue-url: how long a receive waits for a message (long polling, at most 20s)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "each invocation's deadline (the function's timeout)")
	fs.IntVar(&o.retries, "retries", 2, "s3:// arguments: more invocations for an object a deadline or a transient error stopped (Lambda retries an asynchronous invocation twice)")
	fs.BoolVar(&o.once, "once", false, "--queue-url: stop when a receive finds the queue empty")
	fs.StringVar(&o.file, "file", "", "settings file (JSON or .properties); default: $"+config.FileEnv)
	fs.StringVar(&o.logPath, "log", "", "file for the handler's JSON logs (default: stderr)")
	fs.StringVar(&o.output, "output", outputText, "output: text, or json (one JSON object a line per event)")
	// Flags and arguments may come in any order: s3:// arguments between flags are collected.
	for len(args) > 0 {
		if code, done := parse(fs, args, e); done {
			return code
		}
		rest := fs.Args()
		i := 0
		for i < len(rest) && (!strings.HasPrefix(rest[i], "-") || rest[i] == "-") {
			i++
		}
		o.urls = append(o.urls, rest[:i]...)
		args = rest[i:]
	}
	if errs := o.validate(); len(errs) > 0 {
		return usageErr(e, "run s3-source", errs...)
	}

	logW, closeLog, err := openLog(o.logPath, e.stderr)
	if err != nil {
		return failed(e, "run s3-source", err, "")
	}
	defer closeLog()
	r, err := newSourceRunner(ctx, e, o, logW)
	if err != nil {
		switch {
		case printProblems(e, "run s3-source", "s3-source", err, "Fix them: the settings are the function's (CONNECT_* variables, --file or $"+config.FileEnv+")."):
			return exitFail
		case errclass.Of(err) == errclass.BadConfig:
			return failed(e, "run s3-source", err, "This is a configuration problem: check the flags and the CONNECT_* settings.")
		default:
			return failed(e, "run s3-source", err, "Check that the brokers and the AWS endpoints answer, then run again.")
		}
	}
	defer r.close()
	if o.queueURL != "" {
		return r.done(r.queue(ctx))
	}
	return r.done(r.objects(ctx))
}

// sourceRunner is a running 'run s3-source'.
type sourceRunner struct {
	e     *env
	o     runSourceOptions
	name  string // connector.name
	b     *s3source.Built
	s3    *s3.Client
	sqs   *sqs.Client
	out   io.Writer
	json  bool
	ledge string // checkpoints.table

	// acked counts the records the producer had acknowledged (dead letters included): the
	// queue's invocations report no per-object results.
	acked *atomic.Int64

	invocations, objectsDone, incomplete, failedObjects int
	produced, reconciled, deadLetters                   int64
	deleted, leftOnQueue                                int
}

func newSourceRunner(ctx context.Context, e *env, o runSourceOptions, logW io.Writer) (*sourceRunner, error) {
	c, err := loadConfig(e, s3source.Spec(), o.file)
	if err != nil {
		return nil, err
	}
	logger := sink.NewLogger(logW)
	if ign := c.Ignored(); len(ign) > 0 {
		logger.Warn("settings accepted for Kafka Connect compatibility have no effect here", "settings", ign)
	}
	acked := &atomic.Int64{}
	reg, err := converterRegistry()
	if err != nil {
		return nil, err
	}
	b, err := s3source.BuildWith(ctx, c, reg, func(d *s3source.Deps) {
		d.Logger = logger
		d.Producer = countingProducer{Producer: d.Producer, n: acked}
		if testSourceDeps != nil {
			testSourceDeps(d)
		}
	})
	if err != nil {
		return nil, err
	}
	r := &sourceRunner{e: e, o: o, name: c.String(s3source.KeyConnectorName), b: b, out: e.stdout, json: o.output == outputJSON,
		ledge: c.String(s3source.KeyCheckpointsTable), acked: acked}
	var loadOpts []func(*awsconfig.LoadOptions) error
	if reg := c.String(s3source.KeyS3Region); reg != "" {
		loadOpts = append(loadOpts, awsconfig.WithRegion(reg))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		_ = b.Producer.Close()
		return nil, errclass.New(errclass.BadConfig, "aws", err)
	}
	// The client that lists and heads the objects named on the command line: configured as the
	// source's own (s3source.Build).
	r.s3 = s3.NewFromConfig(awsCfg, func(so *s3.Options) {
		if os.Getenv("AWS_ENDPOINT_URL_S3") != "" {
			so.UsePathStyle = true
			so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
	if o.queueURL != "" {
		r.sqs = sqs.NewFromConfig(awsCfg)
	}
	what := strings.Join(o.urls, " ")
	if o.queueURL != "" {
		what = "queue " + o.queueURL
	}
	r.emit(map[string]any{"event": "started", "connector": sourceConnectorName, "name": r.name, "checkpoints_table": r.ledge,
		"objects": o.urls, "queue_url": o.queueURL, "timeout_ms": o.timeout.Milliseconds()},
		fmt.Sprintf("%s run s3-source: connector %s, checkpoints in %s; %s; %v per invocation.", prog, r.name, r.ledge, what, o.timeout))
	return r, nil
}

func (r *sourceRunner) close() { _ = r.b.Producer.Close() }

// countingProducer counts the records its producer acknowledged.
type countingProducer struct {
	s3source.Producer
	n *atomic.Int64
}

func (p countingProducer) Produce(ctx context.Context, msgs []producer.Message) error {
	err := p.Producer.Produce(ctx, msgs)
	if err == nil {
		p.n.Add(int64(len(msgs)))
	}
	return err
}

// objects resolves the s3:// arguments (listing prefixes) and processes each object, retrying an
// incomplete one --retries times. It returns the first error that is not an object's own.
func (r *sourceRunner) objects(ctx context.Context) error {
	var objs []trigger.Object
	for _, u := range r.o.urls {
		bucket, key, _ := parseObjectArg(u, r.o.bucket)
		found, err := r.resolve(ctx, bucket, key)
		if err != nil {
			return err
		}
		if len(found) == 0 {
			r.emit(map[string]any{"event": "empty", "url": u}, fmt.Sprintf("%s %s: no object there", stamp(), u))
		}
		objs = append(objs, found...)
	}
	for _, obj := range objs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.object(ctx, obj)
	}
	return nil
}

// resolve returns the object at key in bucket, or every object under it when key is empty or
// ends in /. Each is read with HeadObject: its ETag and version id name it in the checkpoint
// ledger as an S3 event would.
func (r *sourceRunner) resolve(ctx context.Context, bucket, key string) ([]trigger.Object, error) {
	if key != "" && !strings.HasSuffix(key, "/") {
		o, err := r.head(ctx, bucket, key)
		if err != nil {
			return nil, err
		}
		return []trigger.Object{o}, nil
	}
	var out []trigger.Object
	pages := s3.NewListObjectsV2Paginator(r.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, s3Err(fmt.Sprintf("s3://%s/%s", bucket, key), "listing", err)
		}
		for _, lo := range page.Contents {
			if strings.HasSuffix(aws.ToString(lo.Key), "/") { // a "folder" marker
				continue
			}
			o, err := r.head(ctx, bucket, aws.ToString(lo.Key))
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
	}
	return out, nil
}

func (r *sourceRunner) head(ctx context.Context, bucket, key string) (trigger.Object, error) {
	h, err := r.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return trigger.Object{}, s3Err(fmt.Sprintf("s3://%s/%s", bucket, key), "reading its metadata (HeadObject)", err)
	}
	o := trigger.Object{Bucket: bucket, Key: key, RawKey: key, ETag: strings.Trim(aws.ToString(h.ETag), `"`), Size: aws.ToInt64(h.ContentLength)}
	if v := aws.ToString(h.VersionId); v != "null" { // the null version of an unversioned object: events name none
		o.VersionID = v
	}
	return o, nil
}

// s3Err classifies an S3 error on subject: a missing object or bucket and a denied access are
// configuration problems, anything else retriable.
func s3Err(subject, op string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchBucket", "AccessDenied", "Forbidden":
			return errclass.New(errclass.BadConfig, subject, fmt.Errorf("%s: %w", op, err))
		}
	}
	return errclass.New(errclass.Retriable, subject, fmt.Errorf("%s: %w", op, err))
}

// object processes one object: an invocation, and --retries more while a deadline or a transient
// error stops it, each resuming at the object's checkpoint.
func (r *sourceRunner) object(ctx context.Context, obj trigger.Object) {
	for attempt := 0; ; attempt++ {
		res, ms, err := r.invokeObject(ctx, obj)
		r.produced += res.Produced
		r.reconciled += res.Reconciled
		r.deadLetters += res.DeadLetters
		ev := map[string]any{"event": "object", "url": obj.String(), "etag": obj.ETag, "invocation": r.invocations, "attempt": attempt + 1,
			"produced": res.Produced, "reconciled": res.Reconciled, "dead_letters": res.DeadLetters, "skipped": res.Skipped,
			"complete": err == nil && (res.Complete || res.Skipped != ""), "ms": ms}
		if err == nil {
			r.objectsDone++
			text := fmt.Sprintf("%s %s: %s produced", stamp(), obj, plural(int(res.Produced), "record", "records"))
			switch {
			case res.Skipped == "complete":
				text = fmt.Sprintf("%s %s: already complete in the checkpoint ledger: nothing produced", stamp(), obj)
			case res.Skipped != "":
				text = fmt.Sprintf("%s %s: skipped (%s)", stamp(), obj, res.Skipped)
			case res.Reconciled > 0:
				text += fmt.Sprintf(" (%d found in Kafka already, from an interrupted invocation)", res.Reconciled)
			}
			if res.DeadLetters > 0 {
				text += fmt.Sprintf(", %d of them dead letters", res.DeadLetters)
			}
			r.emit(ev, fmt.Sprintf("%s, %dms", text, ms))
			return
		}
		ev["error"], ev["class"] = err.Error(), errclass.Of(err).String()
		deadline := errors.Is(err, s3source.ErrIncomplete)
		retry := attempt < r.o.retries && ctx.Err() == nil && (deadline || errclass.Of(err) == errclass.Retriable)
		switch {
		case deadline && retry:
			r.emit(ev, fmt.Sprintf("%s %s: %s produced, stopped at the %v deadline and checkpointed; invoking again (retry %d of %d), from the checkpoint",
				stamp(), obj, plural(int(res.Produced), "record", "records"), r.o.timeout, attempt+1, r.o.retries))
			continue
		case retry:
			backoff := time.Duration(1<<attempt) * time.Second
			r.emit(ev, fmt.Sprintf("%s %s: failed (%s): %v; retrying in %v (retry %d of %d), from the checkpoint",
				stamp(), obj, errclass.Of(err), err, backoff, attempt+1, r.o.retries))
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			continue
		case deadline:
			r.incomplete++
			r.emit(ev, fmt.Sprintf("%s %s: %s produced, stopped at the %v deadline and checkpointed: INCOMPLETE; run again to resume it (or give a longer --timeout)",
				stamp(), obj, plural(int(res.Produced), "record", "records"), r.o.timeout))
		default:
			r.failedObjects++
			r.emit(ev, fmt.Sprintf("%s %s: FAILED (%s): %v", stamp(), obj, errclass.Of(err), err))
		}
		return
	}
}

// invokeObject runs one invocation of the handler on obj, as Lambda would: under a deadline of
// --timeout, with a Lambda context carrying a request ID.
func (r *sourceRunner) invokeObject(ctx context.Context, obj trigger.Object) (s3source.Result, int64, error) {
	ictx, cancel := r.invocationContext(ctx)
	defer cancel()
	start := time.Now()
	res, err := r.b.Source.Process(ictx, obj)
	return res, time.Since(start).Milliseconds(), err
}

// invocationContext is an invocation's context: the function's deadline and a Lambda context.
// An interruption (Ctrl-C) does not cut the invocation short: it ends at its deadline, or when
// the handler returns, as an invocation in flight would.
func (r *sourceRunner) invocationContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.o.timeout)
	r.invocations++
	return lambdacontext.NewContext(ictx, &lambdacontext.LambdaContext{AwsRequestID: requestID(), InvokedFunctionArn: runFunctionARN + "-source"}), cancel
}

// queue long-polls the SQS queue and hands each batch to the handler in the SQS event Lambda's
// trigger sends, deleting the messages the handler did not report as failed.
func (r *sourceRunner) queue(ctx context.Context) error {
	region := r.sqs.Options().Region
	arn := queueARN(r.o.queueURL, region)
	// The messages stay invisible to others while the invocation runs, with a margin.
	visibility := int32(min((r.o.timeout+30*time.Second)/time.Second, 12*3600))
	for {
		if ctx.Err() != nil {
			return nil
		}
		out, err := r.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(r.o.queueURL),
			MaxNumberOfMessages:         int32(r.o.batchSize),
			WaitTimeSeconds:             int32(r.o.wait / time.Second),
			VisibilityTimeout:           visibility,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return errclass.New(errclass.Retriable, "queue "+r.o.queueURL, fmt.Errorf("receiving: %w", err))
		}
		if len(out.Messages) == 0 {
			if r.o.once {
				return nil
			}
			continue
		}
		if err := r.batch(ctx, out.Messages, arn, region); err != nil {
			return err
		}
	}
}

// batch invokes the handler with one SQS event and deletes the messages that succeeded.
func (r *sourceRunner) batch(ctx context.Context, msgs []sqstypes.Message, arn, region string) error {
	payload, err := sqsEvent(msgs, arn, region)
	if err != nil {
		return err
	}
	ictx, cancel := r.invocationContext(ctx)
	start, acked := time.Now(), r.acked.Load()
	resp, err := r.b.Source.Handle(ictx, payload)
	cancel()
	ms := time.Since(start).Milliseconds()
	produced := r.acked.Load() - acked
	r.produced += produced
	failedIDs := map[string]bool{}
	if err != nil { // the whole batch failed (an undecodable event): every message stays
		for _, m := range msgs {
			failedIDs[aws.ToString(m.MessageId)] = true
		}
	} else if tr, ok := resp.(trigger.Response); ok {
		for _, f := range tr.BatchItemFailures {
			failedIDs[f.ItemIdentifier] = true
		}
	}
	var del []sqstypes.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		if !failedIDs[aws.ToString(m.MessageId)] {
			del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	wctx := context.WithoutCancel(ctx)
	deleted := 0
	if len(del) > 0 {
		out, derr := r.sqs.DeleteMessageBatch(wctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(r.o.queueURL), Entries: del})
		if derr != nil {
			return errclass.New(errclass.Retriable, "queue "+r.o.queueURL, fmt.Errorf("deleting %s after they were done: %w (they come back after the visibility timeout; the checkpoint ledger skips their objects)", plural(len(del), "message", "messages"), derr))
		}
		deleted = len(out.Successful)
		if len(out.Failed) > 0 {
			f := out.Failed[0]
			return errclass.Retry("queue "+r.o.queueURL, "deleting %d done messages failed (first: %s %s)", len(out.Failed), aws.ToString(f.Code), aws.ToString(f.Message))
		}
	}
	r.deleted += deleted
	r.leftOnQueue += len(failedIDs)
	r.objectsDone += deleted
	ev := map[string]any{"event": "batch", "invocation": r.invocations, "messages": len(msgs), "produced": produced, "deleted": deleted, "failed": len(failedIDs), "ms": ms}
	text := fmt.Sprintf("%s invocation %d: %s, %s produced, %d messages done and deleted", stamp(), r.invocations,
		plural(len(msgs), "message", "messages"), plural(int(produced), "record", "records"), deleted)
	if len(failedIDs) > 0 {
		ev["failed_ids"] = sortedKeys(failedIDs)
		msg := ""
		if err != nil {
			msg = ": " + err.Error()
			ev["error"] = err.Error()
		}
		text += fmt.Sprintf(", %d failed and left on the queue (redelivered after its visibility timeout; the handler's log says why)%s", len(failedIDs), msg)
	}
	r.emit(ev, fmt.Sprintf("%s, %dms", text, ms))
	return nil
}

// sqsEvent builds the event Lambda's SQS trigger sends for msgs.
func sqsEvent(msgs []sqstypes.Message, arn, region string) ([]byte, error) {
	type record struct {
		MessageID         string            `json:"messageId"`
		ReceiptHandle     string            `json:"receiptHandle"`
		Body              string            `json:"body"`
		Attributes        map[string]string `json:"attributes"`
		MessageAttributes map[string]any    `json:"messageAttributes"`
		MD5OfBody         string            `json:"md5OfBody"`
		EventSource       string            `json:"eventSource"`
		EventSourceARN    string            `json:"eventSourceARN"`
		AWSRegion         string            `json:"awsRegion"`
	}
	recs := make([]record, 0, len(msgs))
	for _, m := range msgs {
		attrs := map[string]string{}
		for k, v := range m.Attributes {
			attrs[k] = v
		}
		recs = append(recs, record{
			MessageID: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			Attributes: attrs, MessageAttributes: map[string]any{}, MD5OfBody: aws.ToString(m.MD5OfBody),
			EventSource: "aws:sqs", EventSourceARN: arn, AWSRegion: region,
		})
	}
	return json.Marshal(map[string]any{"Records": recs})
}

// queueARN derives a queue's ARN from its URL (https://sqs.<region>.amazonaws.com/<account>/<name>).
func queueARN(queueURL, region string) string {
	u, err := url.Parse(queueURL)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", region, parts[len(parts)-2], parts[len(parts)-1])
}

// done reports the end of the run and returns its exit status: 1 when an object is incomplete
// or failed, a message failed, or the run itself failed.
func (r *sourceRunner) done(err error) int {
	if err != nil && !errors.Is(err, context.Canceled) {
		r.emit(map[string]any{"event": "error", "error": err.Error(), "class": errclass.Of(err).String()}, "")
		fmt.Fprintf(r.e.stderr, "%s run s3-source: %v\n", prog, err)
		if errclass.Of(err) == errclass.BadConfig {
			fmt.Fprintln(r.e.stderr, "Check the object names (s3://bucket/key), the queue URL and the AWS settings.")
		} else {
			fmt.Fprintln(r.e.stderr, "Run again: objects resume at their checkpoints, and completed ones are not produced again.")
		}
	} else {
		err = nil
	}
	ok := err == nil && r.incomplete == 0 && r.failedObjects == 0 && r.leftOnQueue == 0
	ev := map[string]any{"event": "done", "invocations": r.invocations, "produced": r.produced, "reconciled": r.reconciled,
		"dead_letters": r.deadLetters, "ok": ok}
	var text string
	if r.o.queueURL != "" {
		ev["deleted"], ev["left_on_queue"] = r.deleted, r.leftOnQueue
		text = fmt.Sprintf("%s run s3-source: %s produced in %s; %s done and deleted, %d left on the queue.",
			prog, plural(int(r.produced), "record", "records"), plural(r.invocations, "invocation", "invocations"),
			plural(r.deleted, "message", "messages"), r.leftOnQueue)
	} else {
		ev["objects"], ev["incomplete"], ev["failed"] = r.objectsDone, r.incomplete, r.failedObjects
		text = fmt.Sprintf("%s run s3-source: %s produced in %s; %s done, %d incomplete, %d failed.",
			prog, plural(int(r.produced), "record", "records"), plural(r.invocations, "invocation", "invocations"),
			plural(r.objectsDone, "object", "objects"), r.incomplete, r.failedObjects)
	}
	r.emit(ev, text)
	switch {
	case err != nil:
		return exitFail
	case r.leftOnQueue > 0:
		fmt.Fprintf(r.e.stderr, "%s run s3-source: %s failed and stayed on the queue: the queue redelivers them after their visibility timeout, and moves them to its dead-letter queue after maxReceiveCount. The handler's log says why each failed.\n",
			prog, plural(r.leftOnQueue, "message", "messages"))
		return exitFail
	case r.incomplete > 0 || r.failedObjects > 0:
		fmt.Fprintf(r.e.stderr, "%s run s3-source: %d incomplete, %d failed. Run again: each object resumes at its checkpoint (a failed one's cause is above and in the handler's log).\n",
			prog, r.incomplete, r.failedObjects)
		return exitFail
	}
	return exitOK
}

// emit writes an event: v as a JSON line with --output json, else text (when not empty).
func (r *sourceRunner) emit(v map[string]any, text string) {
	if r.json {
		_ = writeJSONLine(r.out, v)
		return
	}
	if text != "" {
		fmt.Fprintln(r.out, text)
	}
}
