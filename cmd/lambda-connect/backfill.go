package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithy "github.com/aws/smithy-go"

	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
	"github.com/lambda-connect/lambda-connect/core/checkpoints"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

const backfillARN = "arn:aws:lambda:us-east-1:000000000000:function:lambda-connect-backfill"

const backfillDescription = `Sends every object under s3://BUCKET/PREFIX through the S3 source connector, as if each had
just been dropped there: objects that were in the bucket before the trigger was set up, or
whose S3 event was lost (S3 delivers events to Lambda asynchronously and can drop them).

It lists the prefix (ListObjectsV2, paginated; in a versioned bucket ListObjectVersions, the
latest version of each key) and, by default, runs the source connector on this machine: the
configuration is the function's (CONNECT_* variables, or the file --connector-config names,
or CONNECTOR_CONFIG_FILE), and so are its checkpoint ledger (checkpoints.table), its Kafka
producer and its exactly-once argument. An object version is produced once whether it comes
from backfill or from a live S3 event: both lease the object's checkpoint before producing,
an object already complete is skipped, and an object a live invocation is working on is
waited for until its lease is released (--lease-wait). Running backfill twice produces nothing the
second time.

With --invoke FUNCTION it sends each object to the deployed function instead, asynchronously
(Lambda Invoke, InvocationType=Event), in the S3 event notification the function receives
from S3; the function's logs tell what it produced.

--sweep sends only the objects that have no completed checkpoint in the ledger: run it
periodically to catch objects whose event was dropped. --dry-run lists what would be sent.

On a terminal a progress bar shows objects, bytes, rate and ETA; piped, one plain line per
object. The summary counts objects sent, skipped (already complete), failed (each with its
error), bytes and records; the exit status is 1 when any object failed.`

// backfillOptions are backfill's flags.
type backfillOptions struct {
	bucket, prefix string
	file           string
	sweep          bool
	dryRun         bool
	concurrency    int
	invoke         string
	timeout        time.Duration
	retries        int
	leaseWait      time.Duration
	logPath        string
	output         string
}

func (o *backfillOptions) validate() []error {
	var errs []error
	if o.concurrency < 1 || o.concurrency > 256 {
		errs = append(errs, fmt.Errorf("--concurrency %d: want 1 to 256", o.concurrency))
	}
	if o.timeout < time.Second || o.timeout > maxFunctionTime {
		errs = append(errs, fmt.Errorf("--timeout %v: want 1s to %v (a function's timeout)", o.timeout, maxFunctionTime))
	}
	if o.retries < 0 {
		errs = append(errs, fmt.Errorf("--retries %d: want 0 or more", o.retries))
	}
	if o.leaseWait < 0 {
		errs = append(errs, fmt.Errorf("--lease-wait %v: want 0 or more", o.leaseWait))
	}
	if err := checkOutput(o.output); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// parseS3URL splits s3://bucket/prefix.
func parseS3URL(s string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q: want s3://bucket/prefix", s)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q: no bucket: want s3://bucket/prefix", s)
	}
	return bucket, prefix, nil
}

// backfillObject is one object of a backfill and what became of it.
type backfillObject struct {
	URL       string `json:"url"`
	Key       string `json:"key"`
	VersionID string `json:"version_id,omitempty"`
	ETag      string `json:"etag"`
	Size      int64  `json:"size"`
	// Status is sent, skipped (already complete), failed, or with --dry-run would-send.
	Status string `json:"status"`
	// Records counts the records this run produced (local runs; dead letters included);
	// Reconciled those of a resumed chunk found in Kafka already.
	Records    int64  `json:"records"`
	Reconciled int64  `json:"reconciled,omitempty"`
	Attempts   int    `json:"attempts,omitempty"`
	Error      string `json:"error,omitempty"`
	obj        trigger.Object
}

// Statuses of a backfill object.
const (
	statusSent      = "sent"
	statusSkipped   = "skipped"
	statusFailed    = "failed"
	statusWouldSend = "would-send"
)

// backfillReport is backfill's summary.
type backfillReport struct {
	Target    string `json:"target"`
	Connector string `json:"connector"`
	// Mode is local (the connector runs here) or invoke (the deployed function does).
	Mode     string           `json:"mode"`
	Function string           `json:"function,omitempty"`
	Sweep    bool             `json:"sweep"`
	DryRun   bool             `json:"dry_run"`
	Listed   int              `json:"listed"`
	Sent     int              `json:"sent"`
	Skipped  int              `json:"skipped"`
	Failed   int              `json:"failed"`
	Bytes    int64            `json:"bytes"`
	Records  int64            `json:"records"`
	Elapsed  int64            `json:"elapsed_ms"`
	Objects  []backfillObject `json:"objects"`
	Failures []string         `json:"failures,omitempty"`
}

// checkpointReader is the part of the ledger sweep reads: DynamoStore and MemoryStore.
type checkpointReader interface {
	Get(ctx context.Context, o checkpoints.ObjectID) (checkpoints.Checkpoint, error)
}

// listAPI is the part of the S3 client backfill lists with.
type listAPI interface {
	s3.ListObjectsV2APIClient
	s3.ListObjectVersionsAPIClient
	GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, opts ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
}

// backfill is one backfill run.
type backfill struct {
	o      backfillOptions
	e      *env
	source *s3source.Source
	list   listAPI
	ledger checkpointReader
	// send sends one object: through the local source or to the function.
	send func(ctx context.Context, obj trigger.Object) (s3source.Result, error)
}

func runBackfill(ctx context.Context, e *env, args []string) int {
	o := backfillOptions{}
	fs := newFlagSet("backfill", "s3://BUCKET/PREFIX", backfillDescription, e)
	fs.StringVar(&o.file, "connector-config", "", "the S3 source's settings file (JSON or .properties); default: $"+config.FileEnv+" and CONNECT_* variables")
	fs.BoolVar(&o.sweep, "sweep", false, "send only the objects without a completed checkpoint in the ledger")
	fs.BoolVar(&o.dryRun, "dry-run", false, "list what would be sent, send nothing")
	fs.IntVar(&o.concurrency, "concurrency", 4, "objects sent at the same time")
	fs.StringVar(&o.invoke, "invoke", "", "send each object to this deployed function (name or ARN) asynchronously, instead of running the connector here")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "each object's deadline when run here (the function's timeout): a longer object resumes at its checkpoint")
	fs.IntVar(&o.retries, "retries", 3, "how often an object that failed with a retriable error is tried again")
	fs.DurationVar(&o.leaseWait, "lease-wait", 2*time.Minute, "how long to wait for an object a live invocation is producing (it holds the object's lease)")
	fs.StringVar(&o.logPath, "log", "", "file for the connector's JSON logs (default: discarded; errors are in the summary)")
	fs.StringVar(&o.output, "output", outputText, "output: text, or json (the summary as one JSON document; progress goes to stderr)")
	pos, code, done := parseInterspersed(fs, args, e)
	if done {
		return code
	}
	errs := o.validate()
	switch len(pos) {
	case 0:
		errs = append(errs, errors.New("no s3://BUCKET/PREFIX given"))
	case 1:
		var err error
		if o.bucket, o.prefix, err = parseS3URL(pos[0]); err != nil {
			errs = append(errs, err)
		}
	default:
		errs = append(errs, fmt.Errorf("one s3://BUCKET/PREFIX at most, got %q", pos))
	}
	if len(errs) > 0 {
		return usageErr(e, "backfill", errs...)
	}

	logW, closeLog, err := openLog(o.logPath, io.Discard)
	if err != nil {
		return failed(e, "backfill", err, "")
	}
	defer closeLog()
	b, closeFn, err := newBackfill(ctx, e, o, logW)
	if err != nil {
		return sourceConfigFailed(e, "backfill", err)
	}
	defer closeFn()
	rep, err := b.run(ctx)
	if err != nil {
		return failed(e, "backfill", err, fmt.Sprintf("Check that s3://%s answers (AWS_REGION, AWS_ENDPOINT_URL_S3, credentials) and the checkpoints table exists, then run again.", o.bucket))
	}
	if err := printReport(e, o.output, rep); err != nil {
		return exitFail
	}
	if rep.Failed > 0 {
		fmt.Fprintf(e.stderr, "%s backfill: %s failed. Fix the cause and run '%s backfill --sweep s3://%s/%s': it sends only what is not complete.\n",
			prog, plural(rep.Failed, "object", "objects"), prog, o.bucket, o.prefix)
		return exitFail
	}
	return exitOK
}

// parseInterspersed parses args as parse does, but lets flags follow the positional arguments
// (backfill s3://b/p --sweep); "--" ends the flags. It returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string, e *env) (pos []string, code int, done bool) {
	for {
		if code, done := parse(fs, args, e); done {
			return nil, code, true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, exitOK, false
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), exitOK, false
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// sourceConfigFailed reports a source configuration that does not build, and returns exitFail.
func sourceConfigFailed(e *env, name string, err error) int {
	if printProblems(e, name, "S3 source", err, "Fix them: the settings are the s3-source function's (CONNECT_* variables or --connector-config FILE).") {
		return exitFail
	}
	if errclass.Of(err) == errclass.BadConfig {
		return failed(e, name, err, "This is a configuration problem: the settings are the s3-source function's (CONNECT_* variables or --connector-config FILE).")
	}
	return failed(e, name, err, "Check that the AWS endpoints answer, then run again.")
}

// newBackfill builds the S3 source as functions/s3-source does, and what backfill needs of it.
func newBackfill(ctx context.Context, e *env, o backfillOptions, logW io.Writer) (*backfill, func(), error) {
	c, err := loadConfig(e, s3source.Spec(), o.file)
	if err != nil {
		return nil, nil, err
	}
	reg, err := converterRegistry()
	if err != nil {
		return nil, nil, err
	}
	var deps s3source.Deps
	built, err := s3source.BuildWith(ctx, c, reg, func(d *s3source.Deps) {
		d.Logger = sink.NewLogger(logW)
		deps = *d
	})
	if err != nil {
		return nil, nil, err
	}
	b := &backfill{o: o, e: e, source: built.Source}
	var ok bool
	if b.list, ok = deps.S3.(listAPI); !ok {
		built.Producer.Close()
		return nil, nil, errclass.Config("s3", "the source's S3 client cannot list")
	}
	if b.ledger, ok = deps.Ledger.(checkpointReader); !ok {
		built.Producer.Close()
		return nil, nil, errclass.Config(s3source.KeyCheckpointsTable, "the ledger cannot be read")
	}
	closeFn := func() { _ = built.Producer.Close() }
	if o.invoke != "" {
		inv, err := newLambdaInvoker(ctx, o.invoke, c.String(s3source.KeyS3Region))
		if err != nil {
			closeFn()
			return nil, nil, err
		}
		b.send = func(ctx context.Context, obj trigger.Object) (s3source.Result, error) {
			return s3source.Result{}, inv.invoke(ctx, obj)
		}
	} else {
		b.send = b.process
	}
	return b, closeFn, nil
}

// process runs the source on one object under a Lambda-like deadline and context.
func (b *backfill) process(ctx context.Context, obj trigger.Object) (s3source.Result, error) {
	ictx, cancel := context.WithTimeout(ctx, b.o.timeout)
	defer cancel()
	ictx = lambdacontext.NewContext(ictx, &lambdacontext.LambdaContext{AwsRequestID: requestID(), InvokedFunctionArn: backfillARN})
	return b.source.Process(ictx, obj)
}

// listObjects lists the objects under the prefix: with ListObjectsV2 (identified by ETag, as
// the events of an unversioned bucket are) or, in a versioned bucket, with ListObjectVersions
// (the latest version of each key, identified by its version id, as its events are).
func (b *backfill) listObjects(ctx context.Context) ([]trigger.Object, error) {
	subject := "s3://" + b.o.bucket + "/" + b.o.prefix
	listErr := func(err error) error {
		return errclass.New(errclass.Retriable, subject, fmt.Errorf("listing: %w", err))
	}
	// Objects must be named as their events name them (the ledger's key): by version id in a
	// versioned bucket, else by ETag. A store without versioning may not implement the call.
	versioned := false
	v, err := b.list.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(b.o.bucket)})
	var ae smithy.APIError
	switch {
	case err == nil:
		versioned = v.Status == s3types.BucketVersioningStatusEnabled || v.Status == s3types.BucketVersioningStatusSuspended
	case errors.As(err, &ae) && (ae.ErrorCode() == "NotImplemented" || ae.ErrorCode() == "MethodNotAllowed"):
	case errors.As(err, &ae) && (ae.ErrorCode() == "AccessDenied" || ae.ErrorCode() == "NoSuchBucket"):
		return nil, errclass.New(errclass.BadConfig, "s3://"+b.o.bucket, fmt.Errorf("reading the bucket's versioning (backfill needs s3:GetBucketVersioning to name objects as their events do): %w", err))
	default:
		return nil, listErr(err)
	}
	var out []trigger.Object
	add := func(key, etag, version string, size int64) {
		if strings.HasSuffix(key, "/") && size == 0 {
			return // a "folder" marker
		}
		if version == "null" {
			version = "" // written while versioning was off or suspended: named by its ETag
		}
		out = append(out, trigger.Object{Bucket: b.o.bucket, Key: key, RawKey: s3EventKey(key), ETag: strings.Trim(etag, `"`), VersionID: version, Size: size})
	}
	if versioned {
		pages := s3.NewListObjectVersionsPaginator(b.list, &s3.ListObjectVersionsInput{Bucket: aws.String(b.o.bucket), Prefix: aws.String(b.o.prefix)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, listErr(err)
			}
			for _, v := range page.Versions {
				if aws.ToBool(v.IsLatest) {
					add(aws.ToString(v.Key), aws.ToString(v.ETag), aws.ToString(v.VersionId), aws.ToInt64(v.Size))
				}
			}
		}
		return out, nil
	}
	pages := s3.NewListObjectsV2Paginator(b.list, &s3.ListObjectsV2Input{Bucket: aws.String(b.o.bucket), Prefix: aws.String(b.o.prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, listErr(err)
		}
		for _, o := range page.Contents {
			add(aws.ToString(o.Key), aws.ToString(o.ETag), "", aws.ToInt64(o.Size))
		}
	}
	return out, nil
}

// run lists, filters (--sweep), and sends every object, with progress, and sums up.
func (b *backfill) run(ctx context.Context) (*backfillReport, error) {
	start := time.Now()
	rep := &backfillReport{Target: "s3://" + b.o.bucket + "/" + b.o.prefix, Mode: "local", Function: b.o.invoke, Sweep: b.o.sweep, DryRun: b.o.dryRun, Objects: []backfillObject{}}
	if b.o.invoke != "" {
		rep.Mode = "invoke"
	}
	objs, err := b.listObjects(ctx)
	if err != nil {
		return nil, err
	}
	rep.Listed = len(objs)
	var complete []bool
	if b.o.sweep {
		if complete, err = b.completed(ctx, objs); err != nil {
			return nil, err
		}
	}
	var todo []*backfillObject
	for i, obj := range objs {
		bo := &backfillObject{URL: "s3://" + obj.Bucket + "/" + obj.Key, Key: obj.Key, VersionID: obj.VersionID, ETag: obj.ETag, Size: obj.Size, obj: obj}
		if b.o.sweep && complete[i] {
			bo.Status = statusSkipped
			rep.Skipped++
			rep.Objects = append(rep.Objects, *bo)
			continue
		}
		todo = append(todo, bo)
	}
	if b.o.dryRun {
		for _, bo := range todo {
			bo.Status = statusWouldSend
			rep.Bytes += bo.Size
			rep.Objects = append(rep.Objects, *bo)
		}
		rep.Elapsed = time.Since(start).Milliseconds()
		return rep, nil
	}

	progOut := b.e.stdout
	if b.o.output == outputJSON {
		progOut = b.e.stderr
	}
	var total int64
	for _, bo := range todo {
		total += bo.Size
	}
	pr := newProgress(progOut, len(todo), total)
	work := make(chan *backfillObject)
	var wg sync.WaitGroup
	for range min(b.o.concurrency, max(1, len(todo))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for bo := range work {
				b.one(ctx, bo)
				pr.object(bo.URL, bo.Size, bo.Status, bo.Records, bo.Error)
			}
		}()
	}
	for _, bo := range todo {
		select {
		case work <- bo:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	pr.finish()
	for _, bo := range todo {
		if bo.Status == "" {
			bo.Status, bo.Error = statusFailed, "not sent: interrupted"
		}
		switch bo.Status {
		case statusSent:
			rep.Sent++
			rep.Bytes += bo.Size
			rep.Records += bo.Records
		case statusSkipped:
			rep.Skipped++
		case statusFailed:
			rep.Failed++
			rep.Failures = append(rep.Failures, bo.URL+": "+bo.Error)
		}
		rep.Objects = append(rep.Objects, *bo)
	}
	rep.Elapsed = time.Since(start).Milliseconds()
	return rep, nil
}

// completed reads the ledger for every object (--concurrency reads at a time) and reports which
// ones are complete.
func (b *backfill) completed(ctx context.Context, objs []trigger.Object) ([]bool, error) {
	out := make([]bool, len(objs))
	errs := make([]error, len(objs))
	sem := make(chan struct{}, b.o.concurrency)
	var wg sync.WaitGroup
	for i, obj := range objs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			cp, err := b.ledger.Get(ctx, checkpoints.ObjectID{Bucket: obj.Bucket, Key: obj.Key, VersionID: obj.VersionID, ETag: obj.ETag})
			out[i], errs[i] = cp.Status == checkpoints.Complete, err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// one sends one object, trying again after a retriable error (an object leased by a live
// invocation, a deadline reached mid-object, a throttled request) with a growing pause.
func (b *backfill) one(ctx context.Context, bo *backfillObject) {
	var leasedSince time.Time
	for attempt := 0; ; attempt++ {
		bo.Attempts++
		res, err := b.send(ctx, bo.obj)
		bo.Records += res.Produced
		bo.Reconciled += res.Reconciled
		switch {
		case err == nil && res.Skipped != "":
			bo.Status = statusSkipped
			return
		case err == nil:
			bo.Status = statusSent
			return
		}
		bo.Error = err.Error()
		if errors.Is(err, checkpoints.ErrLeaseHeld) && ctx.Err() == nil {
			// A live invocation is producing the object: wait for it (it completes the
			// object, or releases it to us), for --lease-wait at most.
			if leasedSince.IsZero() {
				leasedSince = time.Now()
			}
			if time.Since(leasedSince) < b.o.leaseWait {
				attempt--
				select {
				case <-time.After(min(time.Duration(250<<min(bo.Attempts, 4))*time.Millisecond, 2*time.Second)):
				case <-ctx.Done():
				}
				continue
			}
			bo.Status, bo.Error = statusFailed, err.Error()+fmt.Sprintf(" (waited %v: still leased; 'backfill --sweep' later sends it if that invocation did not complete it)", b.o.leaseWait)
			return
		}
		if errclass.Of(err) != errclass.Retriable || attempt >= b.o.retries || ctx.Err() != nil {
			bo.Status = statusFailed
			return
		}
		pause := min(time.Duration(250<<attempt)*time.Millisecond, 5*time.Second)
		select {
		case <-time.After(pause):
		case <-ctx.Done():
		}
	}
}

// text formats the summary for people.
func (r *backfillReport) text() string {
	var b strings.Builder
	what := "backfill"
	if r.Sweep {
		what = "sweep"
	}
	if r.DryRun {
		var send []string
		for _, o := range r.Objects {
			if o.Status == statusWouldSend {
				send = append(send, fmt.Sprintf("  %s  %s", o.URL, byteSize(o.Size)))
			}
		}
		fmt.Fprintf(&b, "%s %s --dry-run: %s listed under %s", prog, what, plural(r.Listed, "object", "objects"), r.Target)
		if r.Sweep {
			fmt.Fprintf(&b, ", %d with a completed checkpoint", r.Skipped)
		}
		fmt.Fprintf(&b, "; would send %s (%s):\n", plural(len(send), "object", "objects"), byteSize(r.Bytes))
		for _, l := range send {
			b.WriteString(l + "\n")
		}
		fmt.Fprintf(&b, "Run again without --dry-run to send them.\n")
		return b.String()
	}
	where := "through the S3 source here"
	if r.Mode == "invoke" {
		where = "to function " + r.Function + " (asynchronous invocations)"
	}
	fmt.Fprintf(&b, "%s %s %s %s: %s listed, %d sent, %d skipped (already complete), %d failed; %s",
		prog, what, r.Target, where, plural(r.Listed, "object", "objects"), r.Sent, r.Skipped, r.Failed, byteSize(r.Bytes))
	if r.Mode == "local" {
		fmt.Fprintf(&b, ", %s produced", plural(int(r.Records), "record", "records"))
	}
	fmt.Fprintf(&b, " in %.1fs.\n", float64(r.Elapsed)/1000)
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "  FAILED %s\n", f)
	}
	if r.Mode == "invoke" && r.Sent > 0 {
		b.WriteString("The function processes them asynchronously: its logs tell what it produced; 'backfill --sweep' later lists what is still not complete.\n")
	}
	return b.String()
}

// byteSize formats n bytes for people.
func byteSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	default:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	}
}

// s3EventPayload is the S3 event notification S3 sends a function for obj's creation.
func s3EventPayload(obj trigger.Object, region string, now time.Time) ([]byte, error) {
	o := map[string]any{"key": s3EventKey(obj.Key), "size": obj.Size, "eTag": obj.ETag}
	if obj.VersionID != "" {
		o["versionId"] = obj.VersionID
	}
	return json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": region,
		"eventTime": now.UTC().Format("2006-01-02T15:04:05.000Z"), "eventName": "ObjectCreated:Put",
		"userIdentity": map[string]any{"principalId": "lambda-connect-backfill"},
		"s3": map[string]any{
			"s3SchemaVersion": "1.0", "configurationId": "lambda-connect-backfill",
			"bucket": map[string]any{"name": obj.Bucket, "arn": "arn:aws:s3:::" + obj.Bucket},
			"object": o,
		},
	}}})
}
