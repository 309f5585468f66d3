package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
	"github.com/lambda-connect/lambda-connect/core/checkpoints"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/producer"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
)

// The S3 source part of the sandbox: objects dropped into the landing bucket are handed to the
// real S3 source handler in S3 event notifications, as an S3 → Lambda trigger would; the
// handler produces their lines to orders, and the S3 sink delivers them on with the rest.
const (
	devLandingBucket   = "lambda-connect-dev-landing"
	devSourceConnector = "dev-s3-source"
	devSourceTopic     = "orders"
	devSourcePrefix    = "incoming/"
	devSourceLines     = 24
	// devSourceAttempts is how often a failing object is tried, as an SQS queue with
	// maxReceiveCount 3 would redeliver its event, before it is given up (dead-lettered).
	devSourceAttempts = 3
)

// sourceReport is what the S3 source did: one entry per object it was handed.
type sourceReport struct {
	Connector string            `json:"connector"`
	Bucket    string            `json:"bucket"`
	Topic     string            `json:"topic"`
	Settings  map[string]string `json:"settings"`
	Objects   []sourceObject    `json:"objects"`
	// Produced counts the records of every complete object; InKafka the records of the topic
	// whose provenance headers name one of them (each counted once).
	Produced int `json:"produced"`
	InKafka  int `json:"in_kafka"`
}

// sourceObject is one object through the S3 source.
type sourceObject struct {
	URL         string `json:"url"`
	Key         string `json:"key"`
	ETag        string `json:"etag"`
	Lines       int    `json:"lines"`
	Records     int64  `json:"records"`
	Invocations int    `json:"invocations"`
	Complete    bool   `json:"complete"`
	// Duplicates counts records of this object found more than once in the topic (by their
	// s3.record.index header): always 0 when exactly-once holds.
	Duplicates int    `json:"duplicates"`
	Error      string `json:"error,omitempty"`
	// InS3 and InDynamoDB say where the object's lines ended up in the sinks the run has,
	// found by their order_id fields.
	InS3       *sinkCopies `json:"in_s3,omitempty"`
	InDynamoDB *sinkCopies `json:"in_dynamodb,omitempty"`
	// orderIDs are the order_id fields of the object's lines.
	orderIDs []string
}

// sinkCopies counts an object's lines in a sink's output: Found those present, Duplicates the
// extra copies (always 0 when exactly-once holds).
type sinkCopies struct {
	Sink       string `json:"sink"`
	Found      int    `json:"found"`
	Duplicates int    `json:"duplicates"`
}

// devSource is the source's state in a running sandbox.
type devSource struct {
	props    map[string]string
	handler  *s3source.Source
	producer *producer.Producer
	objects  map[string]*sourceObject // by key + "#" + ETag
	order    []string
}

// sourceProps returns the S3 source's settings, as CONNECT_* variables would set them.
func sourceProps(bootstrap string) map[string]string {
	return map[string]string{
		"connector.name":                 devSourceConnector,
		"bootstrap.servers":              bootstrap,
		"topic":                          devSourceTopic,
		"input.format":                   "jsonl",
		"key.field":                      "customer",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "false",
		"checkpoints.table":              "dev-checkpoints (in memory)",
	}
}

// startSource builds the S3 source handler as functions/s3-source does, with the sandbox's S3
// client and an in-memory checkpoint ledger instead of DynamoDB.
func (sb *sandbox) startSource(ctx context.Context) error {
	props := sourceProps(sb.kafka.Bootstrap())
	c, err := s3source.Spec().Parse(props)
	if err != nil {
		return err
	}
	cfg, pcfg, err := s3source.ConfigFrom(c)
	if err != nil {
		return err
	}
	p, err := producer.New(pcfg)
	if err != nil {
		return err
	}
	h, err := s3source.New(cfg, s3source.Deps{S3: sb.s3, Producer: p, Ledger: checkpoints.NewMemoryStore(nil), Logger: sink.NewLogger(sb.logf)})
	if err != nil {
		_ = p.Close()
		return err
	}
	sb.source = &devSource{props: props, handler: h, producer: p, objects: map[string]*sourceObject{}}
	return nil
}

func (sb *sandbox) closeSource() {
	if sb.source != nil {
		_ = sb.source.producer.Close()
	}
}

// dropSample puts the sample object into the landing bucket: devSourceLines orders, one JSON
// object a line, keyed (key.field) by customer.
func (sb *sandbox) dropSample(ctx context.Context) error {
	var b bytes.Buffer
	for i := range devSourceLines {
		cust := fmt.Sprintf("customer-%d", (i*5)%customers)
		fmt.Fprintf(&b, `{"order_id":"o-s3-%04d","customer":%q,"amount":%d.%02d,"currency":"EUR","items":%d}`+"\n",
			i+1, cust, 10+(i*29)%150, (i*7)%100, 1+i%3)
	}
	key := devSourcePrefix + "orders-" + time.Now().UTC().Format("2006-01-02T150405") + ".jsonl"
	_, err := sb.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(devLandingBucket), Key: aws.String(key), Body: bytes.NewReader(b.Bytes())})
	if err != nil {
		return errclass.New(errclass.Retriable, "s3://"+devLandingBucket+"/"+key, fmt.Errorf("putting the sample object: %w", err))
	}
	sb.log.Info("sample object dropped", "object", "s3://"+devLandingBucket+"/"+key, "lines", devSourceLines)
	return nil
}

// pollSource lists the landing bucket and hands every object it has not completed to the S3
// source handler, one S3 event notification per object (keys URL-encoded as S3 sends them). An
// object that fails is tried again at the next poll, devSourceAttempts times in all.
func (sb *sandbox) pollSource(ctx context.Context) error {
	src := sb.source
	if src == nil { // the DynamoDB sink's lane of --sink all: the main sandbox runs the source
		return nil
	}
	var errs []error
	pages := s3.NewListObjectsV2Paginator(sb.s3, &s3.ListObjectsV2Input{Bucket: aws.String(devLandingBucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return errclass.New(errclass.Retriable, "bucket "+devLandingBucket, fmt.Errorf("listing: %w", err))
		}
		for _, o := range page.Contents {
			key, etag := aws.ToString(o.Key), strings.Trim(aws.ToString(o.ETag), `"`)
			id := key + "#" + etag
			ob := src.objects[id]
			if ob == nil {
				ob = &sourceObject{URL: "s3://" + devLandingBucket + "/" + key, Key: key, ETag: etag}
				src.objects[id] = ob
				src.order = append(src.order, id)
			}
			if ob.Complete || ob.Invocations >= devSourceAttempts {
				continue
			}
			ob.Invocations++
			err := sb.invokeSource(ctx, trigger.Object{Bucket: devLandingBucket, Key: key, ETag: etag, Size: aws.ToInt64(o.Size)})
			if err != nil {
				ob.Error = err.Error()
				if ob.Invocations >= devSourceAttempts {
					err = fmt.Errorf("%w (tried %d times: given up, as an SQS queue moves the event to its dead-letter queue)", err, ob.Invocations)
				}
				errs = append(errs, fmt.Errorf("S3 source, %s: %w", ob.URL, err))
				continue
			}
			ob.Error, ob.Complete = "", true
		}
	}
	return errors.Join(errs...)
}

// invokeSource calls the source handler with the S3 event notification of one object, under the
// function's deadline and a Lambda context, as Lambda would.
func (sb *sandbox) invokeSource(ctx context.Context, obj trigger.Object) error {
	event := map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
		"eventTime": time.Now().UTC().Format(time.RFC3339Nano), "eventName": "ObjectCreated:Put",
		"s3": map[string]any{
			"s3SchemaVersion": "1.0",
			"bucket":          map[string]any{"name": obj.Bucket, "arn": "arn:aws:s3:::" + obj.Bucket},
			"object":          map[string]any{"key": s3EventKey(obj.Key), "size": obj.Size, "eTag": obj.ETag},
		},
	}}}
	payload, err := json.Marshal(event)
	if err != nil {
		return err
	}
	ictx, cancel := context.WithTimeout(ctx, functionTimeout)
	defer cancel()
	ictx = lambdacontext.NewContext(ictx, &lambdacontext.LambdaContext{AwsRequestID: requestID(), InvokedFunctionArn: devFunctionARN + "-source"})
	sb.log.Info("invoking the S3 source handler", "object", obj.String())
	_, err = sb.source.handler.Handle(ictx, payload)
	return err
}

// s3EventKey encodes a key as S3 event notifications do: URL query encoding, "+" for a space.
func s3EventKey(key string) string {
	var b strings.Builder
	for _, c := range []byte(key) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-_.*/", c) >= 0:
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// sourceReport describes what the S3 source did, counting each object's records in the topic by
// their provenance headers: every line once.
func (sb *sandbox) sourceReport(ctx context.Context) (*sourceReport, error) {
	src := sb.source
	rep := &sourceReport{Connector: devSourceConnector, Bucket: devLandingBucket, Topic: devSourceTopic, Settings: src.props}
	recs, err := kafkalocal.ReadAll(ctx, sb.kafka.Addrs(), devSourceTopic)
	if err != nil {
		return nil, err
	}
	seen := map[string]map[int64]int{} // object key + ETag -> record index -> copies
	for _, r := range recs {
		b, _ := r.Header(s3source.HeaderBucket)
		if string(b) != devLandingBucket {
			continue
		}
		k, _ := r.Header(s3source.HeaderKey)
		v, _ := r.Header(s3source.HeaderVersion)
		idx, _ := r.Header(s3source.HeaderIndex)
		i, err := strconv.ParseInt(string(idx), 10, 64)
		if err != nil {
			return nil, errclass.Retry("topic "+devSourceTopic, "record %s: header %s %q is not a number", r.Coordinates(), s3source.HeaderIndex, idx)
		}
		id := string(k) + "#" + strings.TrimPrefix(string(v), "e:")
		if seen[id] == nil {
			seen[id] = map[int64]int{}
		}
		seen[id][i]++
	}
	for _, id := range src.order {
		ob := *src.objects[id]
		ob.Records = int64(len(seen[id]))
		ob.Duplicates = 0
		for _, n := range seen[id] {
			ob.Duplicates += n - 1
		}
		if ob.Lines == 0 {
			if ob.Lines, ob.orderIDs, err = sb.countLandingLines(ctx, ob.Key); err != nil {
				return nil, err
			}
			src.objects[id].Lines, src.objects[id].orderIDs = ob.Lines, ob.orderIDs
		}
		if ob.Complete {
			rep.Produced += ob.Lines
		}
		rep.InKafka += int(ob.Records)
		rep.Objects = append(rep.Objects, ob)
	}
	return rep, nil
}

// countLandingLines counts the non-empty lines of an object of the landing bucket, and returns
// their order_id fields.
func (sb *sandbox) countLandingLines(ctx context.Context, key string) (int, []string, error) {
	out, err := sb.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(devLandingBucket), Key: aws.String(key)})
	if err != nil {
		return 0, nil, errclass.New(errclass.Retriable, "s3://"+devLandingBucket+"/"+key, fmt.Errorf("reading: %w", err))
	}
	defer out.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(out.Body); err != nil {
		return 0, nil, errclass.New(errclass.Retriable, "s3://"+devLandingBucket+"/"+key, fmt.Errorf("reading: %w", err))
	}
	n := 0
	var ids []string
	for _, l := range bytes.Split(b.Bytes(), []byte{'\n'}) {
		if len(bytes.TrimSpace(l)) > 0 {
			n++
			if id, ok := orderID(l); ok {
				ids = append(ids, id)
			}
		}
	}
	return n, ids, nil
}

// trace fills each object's InS3 and InDynamoDB from the sinks' outputs in rep (the S3 sink's
// objects, the DynamoDB sink's items): how many of its lines each holds, by order_id.
func (r *sourceReport) trace(rep devReport) {
	if r == nil {
		return
	}
	count := func(ids []string) map[string]int {
		m := map[string]int{}
		for _, id := range ids {
			m[id]++
		}
		return m
	}
	var s3IDs, ddbIDs []string
	hasS3, hasDDB := false, false
	for _, lane := range []*devReport{&rep, rep.DynamoDB} {
		if lane == nil {
			continue
		}
		if lane.Table != nil {
			hasDDB = true
			ddbIDs = append(ddbIDs, lane.Table.orderIDs...)
			continue
		}
		hasS3 = true
		for _, p := range lane.Partitions {
			for _, o := range p.Objects {
				s3IDs = append(s3IDs, o.orderIDs...)
			}
		}
	}
	inS3, inDDB := count(s3IDs), count(ddbIDs)
	for i := range r.Objects {
		o := &r.Objects[i]
		copies := func(sink string, in map[string]int) *sinkCopies {
			c := &sinkCopies{Sink: sink}
			for _, id := range o.orderIDs {
				if n := in[id]; n > 0 {
					c.Found++
					c.Duplicates += n - 1
				}
			}
			return c
		}
		if hasS3 {
			o.InS3 = copies(sinkS3, inS3)
		}
		if hasDDB {
			o.InDynamoDB = copies(sinkDynamoDB, inDDB)
		}
	}
}

// check verifies that every line of every complete object is in the topic exactly once.
func (r *sourceReport) check() error {
	if r == nil {
		return nil
	}
	var errs []error
	for _, o := range r.Objects {
		switch {
		case !o.Complete:
			errs = append(errs, fmt.Errorf("S3 source: %s not produced: %s", o.URL, o.Error))
		case o.Records != int64(o.Lines) || o.Duplicates > 0:
			errs = append(errs, fmt.Errorf("S3 source: %s has %d lines, %d of them in %s (%d duplicates)", o.URL, o.Lines, o.Records, r.Topic, o.Duplicates))
		}
		if !o.Complete {
			continue
		}
		for _, c := range []*sinkCopies{o.InS3, o.InDynamoDB} {
			if c != nil && (c.Found != o.Lines || c.Duplicates > 0) {
				errs = append(errs, fmt.Errorf("%s: %d of %s's %d lines found (by order_id), %d duplicates", sinkTitle(c.Sink), c.Found, o.URL, o.Lines, c.Duplicates))
			}
		}
	}
	return errors.Join(errs...)
}

// sourceSection formats the source's part of the text summary.
func sourceSection(r *sourceReport) string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "S3 source %s: objects in s3://%s/%s go through the S3 source handler to %s (S3 event notifications; key.field=customer, checkpoints in memory):\n",
		r.Connector, r.Bucket, devSourcePrefix, r.Topic)
	for _, o := range r.Objects {
		state := fmt.Sprintf("%d lines -> %d records in %s", o.Lines, o.Records, r.Topic)
		if o.Duplicates > 0 {
			state += fmt.Sprintf(", %d DUPLICATES", o.Duplicates)
		}
		if !o.Complete {
			state += ", FAILED: " + o.Error
		}
		fmt.Fprintf(&b, "  %s  %s (%s)\n", o.URL, state, plural(o.Invocations, "invocation", "invocations"))
	}
	return b.String()
}

// sourceSeen is the key of a source object in the printer's seen set.
func sourceSeen(o sourceObject) string { return "source " + o.URL + "#" + o.ETag }

// markSourced adds the objects of r the summary showed to seen.
func markSourced(r *sourceReport, seen map[string]bool) {
	if r == nil {
		return
	}
	for _, o := range r.Objects {
		if o.Complete || o.Invocations >= devSourceAttempts {
			seen[sourceSeen(o)] = true
		}
	}
}

// sourced prints the objects of r the S3 source completed or gave up since the last call (those
// not in seen), and adds them to seen.
func (p printer) sourced(r *sourceReport, seen map[string]bool, now string) {
	if r == nil {
		return
	}
	for _, o := range r.Objects {
		id := sourceSeen(o)
		if seen[id] || (!o.Complete && o.Invocations < devSourceAttempts) {
			continue
		}
		seen[id] = true
		if p.json {
			_ = p.emit(map[string]any{"event": "sourced", "url": o.URL, "lines": o.Lines, "records": o.Records,
				"topic": r.Topic, "complete": o.Complete, "duplicates": o.Duplicates, "error": o.Error})
			continue
		}
		if o.Complete {
			fmt.Fprintf(p.w, "%s %s: %d lines -> %d records in %s (S3 source)\n", now, o.URL, o.Lines, o.Records, r.Topic)
		} else {
			fmt.Fprintf(p.w, "%s %s: given up after %d attempts: %s\n", now, o.URL, o.Invocations, o.Error)
		}
	}
}
