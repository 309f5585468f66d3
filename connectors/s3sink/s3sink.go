// Package s3sink is the Kafka → S3 sink connector: Confluent's S3 sink connector
// (io.confluent.connect.s3.S3SinkConnector) as a sink.Sink for the Lambda sink runtime.
//
// It takes Confluent's settings (Spec) and writes the objects Confluent's connector writes:
// named <topics.dir>/<topic>/<encoded partition>/<topic>+<kafka partition>+<start offset>.<ext>,
// with the encoded partition from the configured partitioner (Default, Field, TimeBased, Hourly,
// Daily), in JsonFormat or ByteArrayFormat (optionally gzip-compressed), AvroFormat (Avro object
// container files) or ParquetFormat, the last two with the schema derived from the records' Connect
// value schemas. Each invocation writes, per Kafka partition and encoded partition, its records in
// objects of at most flush.size records; with AvroFormat and ParquetFormat a change of value
// schema also starts a new object, unless schema.compatibility lets the records be projected to
// one schema (core/projection).
//
// Objects are created with If-None-Match: * (s3.conditional.writes.enabled), so a write never
// replaces an object another writer created; the runtime's pending list and Discard remove the
// objects of an attempt that died before committing its offsets.
package s3sink

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/klauspost/compress/gzip"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/projection"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// API is the part of the S3 client the sink uses; *s3.Client implements it.
type API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
}

// MaxKeyLength is the longest object key S3 accepts, in bytes.
const MaxKeyLength = 1024

// deleteBatch is the most keys one DeleteObjects request takes.
const deleteBatch = 1000

// md5MetadataKey is the user metadata (x-amz-meta-lc-md5) that carries the hex MD5 of an object's
// bytes, so that a write can recognise its own earlier attempt where the ETag is not the MD5
// (SSE-KMS, SSE-C).
const md5MetadataKey = "lc-md5"

// Sink writes records to S3. It is safe for concurrent use by the partitions of an invocation.
type Sink struct {
	cfg         *resolved
	client      API
	partitioner partitioner
	format      Format
	ext         string
	contentType string
	now         func() time.Time
	gzips       sync.Pool // *gzip.Writer at the configured level, reused across objects
	schemaful   bool      // the format writes the records' schema: objects roll on schema changes
	// checkSchema, for formats that need schemas, rejects the value schemas they cannot write.
	checkSchema func(*record.Schema) error
}

var _ sink.Sink = (*Sink)(nil)

// New returns an S3 sink writing with client, which must be configured for the bucket's region.
func New(cfg Config, client API) (*Sink, error) {
	if client == nil {
		return nil, errclass.Config("s3-sink", "no S3 client")
	}
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	f, err := newFormat(r)
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, KeyFormatClass, err)
	}
	s := &Sink{cfg: r, client: client, partitioner: newPartitioner(r), format: f,
		ext: f.Extension(), contentType: f.ContentType(), now: cfg.Now}
	if sf, ok := f.(interface{ WritesSchema() bool }); ok {
		s.schemaful = sf.WritesSchema()
	}
	if cf, ok := f.(interface{ CheckSchema(*record.Schema) error }); ok {
		s.checkSchema = cf.CheckSchema
	}
	if r.Compression == CompressionGzip {
		s.ext += ".gz"
		s.contentType = "application/gzip"
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// object is one planned S3 object.
type object struct {
	key    string
	recs   []record.Record
	schema *record.Schema // the value schema the records are written with
}

func (o *object) ID() string   { return o.key }
func (o *object) Records() int { return len(o.recs) }

// Plan groups the records of one partition (in offset order) into objects, as Confluent's
// connector does: by topic (a router transform may have renamed it) and encoded partition, in runs of at most flush.size records, each object named
// after its first record's offset. Records with a null value fail the plan, are left out or are
// written under tombstone.encoded.partition, per behavior.on.null.values. With AvroFormat and
// ParquetFormat, records whose value has no schema (or, for Parquet, is not a struct) are left out
// and returned as sink.RecordErrors (dead-lettered under errors.tolerance=all). Plan does no I/O; the
// object keys depend only on the records (and, with the Wallclock extractor, on the time).
func (s *Sink) Plan(tp record.TopicPartition, recs []record.Record) ([]sink.Write, error) {
	now := s.now()
	type group struct {
		topic   string // the records' topic, which a router transform may have changed
		encoded string
		recs    []record.Record
	}
	// Encode every record's partition first: when they all share one (the DefaultPartitioner,
	// or a time bucket), the group is recs itself and nothing is copied.
	encoded := make([]string, len(recs))
	part := s.partitioner
	if _, ok := part.(defaultPartitioner); ok {
		part = fixedPartition("partition=" + strconv.FormatInt(int64(tp.Partition), 10))
	}
	keep, same := 0, true
	var rejects sink.RecordErrors // records the format cannot hold (no schema): left out
	for i, r := range recs {
		if r.Partition != tp.Partition {
			return nil, fmt.Errorf("s3-sink: record %s handed to the plan of partition %s", r.Coordinates(), tp)
		}
		var skip bool
		var err error
		if encoded[i], skip, err = s.encodedPartition(part, r, now); err != nil {
			return nil, err
		}
		if !skip && s.checkSchema != nil && r.ValueData != nil {
			if err := s.checkSchema(r.ValueSchema); err != nil {
				rejects = append(rejects, sink.RecordError{Record: r, Err: err})
				encoded[i], skip = skipped, true
			}
		}
		if skip {
			same = false
			continue
		}
		if keep > 0 && (encoded[i] != encoded[i-1] || r.Topic != recs[i-1].Topic) {
			same = false
		}
		keep++
	}
	var groups []*group
	if same && keep > 0 {
		groups = []*group{{topic: recs[0].Topic, encoded: encoded[0], recs: recs}}
	} else {
		type gk struct{ topic, encoded string }
		index := map[gk]*group{}
		for i, r := range recs {
			if encoded[i] == skipped {
				continue
			}
			k := gk{r.Topic, encoded[i]}
			g := index[k]
			if g == nil {
				g = &group{topic: r.Topic, encoded: encoded[i]}
				index[k] = g
				groups = append(groups, g)
			}
			g.recs = append(g.recs, r)
		}
	}
	var writes []sink.Write
	for _, g := range groups {
		for _, chunk := range s.split(g.recs) {
			key := s.objectKey(record.TopicPartition{Topic: g.topic, Partition: tp.Partition}, g.encoded, chunk.recs[0].Offset)
			if len(key) > MaxKeyLength {
				return nil, errclass.Record(chunk.recs[0].Coordinates(), "object key %q is %d bytes, longer than S3's %d", key[:64]+"...", len(key), MaxKeyLength)
			}
			chunk.key = key
			writes = append(writes, chunk)
		}
	}
	if len(rejects) > 0 {
		return writes, rejects
	}
	return writes, nil
}

// split cuts the records of one group (topic and encoded partition) into objects, as
// Confluent's TopicPartitionWriter rolls files: after flush.size records, and where the value
// schema changes in a way schema.compatibility does not let records share an object. Each object
// gets the schema its records are written with (projected to it when they differ). Records with
// a null value take no part in the schema decision. The cut depends on the records only. Formats
// that do not write schemas (JsonFormat, ByteArrayFormat) hold records of any schema: their
// objects are cut by flush.size only.
func (s *Sink) split(recs []record.Record) []*object {
	if !s.schemaful {
		out := make([]*object, 0, (len(recs)+s.cfg.FlushSize-1)/s.cfg.FlushSize)
		for start := 0; start < len(recs); start += s.cfg.FlushSize {
			out = append(out, &object{recs: recs[start:min(start+s.cfg.FlushSize, len(recs))]})
		}
		return out
	}
	var out []*object
	cur := &object{}
	var distinct []*record.Schema // the value schemas of cur's records
	flush := func(end int, start *int) {
		cur.recs = recs[*start:end:end]
		out = append(out, cur)
		cur, distinct, *start = &object{}, nil, end
	}
	start := 0
	for i, r := range recs {
		if i-start == s.cfg.FlushSize {
			flush(i, &start)
		}
		if r.ValueData == nil {
			continue
		}
		vs := r.ValueSchema
		if distinct == nil {
			cur.schema, distinct = vs, []*record.Schema{vs}
			continue
		}
		if vs == cur.schema {
			continue
		}
		target, ok := s.join(cur.schema, vs, distinct)
		if !ok {
			flush(i, &start)
			cur.schema, distinct = vs, []*record.Schema{vs}
			continue
		}
		cur.schema = target
		if !slices.ContainsFunc(distinct, func(d *record.Schema) bool { return projection.Equal(d, vs) }) {
			distinct = append(distinct, vs)
		}
	}
	if start < len(recs) {
		flush(len(recs), &start)
	}
	return out
}

// join returns the schema an object whose records have the schemas seen (its schema so far:
// target) is written with once a record of schema next joins it, or false if it cannot join.
func (s *Sink) join(target, next *record.Schema, seen []*record.Schema) (*record.Schema, bool) {
	t, err := projection.Target(target, next, s.cfg.mode)
	if err != nil {
		return nil, false
	}
	if t == target || projection.Equal(t, target) {
		return target, true
	}
	for _, d := range seen {
		if got, err := projection.Target(d, t, s.cfg.mode); err != nil || !projection.Equal(got, t) {
			return nil, false
		}
	}
	return t, true
}

// skipped marks an ignored record in Plan; no encoded partition is empty.
const skipped = ""

// encodedPartition returns a record's encoded partition, or skip for a null value that is
// ignored.
func (s *Sink) encodedPartition(p partitioner, r record.Record, now time.Time) (string, bool, error) {
	if r.ValueData == nil {
		switch s.cfg.NullValues {
		case NullIgnore:
			return skipped, true, nil
		case NullWrite:
			return s.cfg.TombstonePartition, false, nil
		default:
			return "", false, errclass.Record(r.Coordinates(), "the value is null (a tombstone) and %s is fail: set it to ignore or write to accept null values", KeyBehaviorOnNullValues)
		}
	}
	e, err := p.encode(r, now)
	if err != nil {
		return "", false, errclass.New(errclass.BadRecord, r.Coordinates(), fmt.Errorf("cannot partition the record: %w", err))
	}
	if e == skipped {
		return "", false, errclass.Record(r.Coordinates(), "the record's encoded partition is empty")
	}
	return e, false, nil
}

// objectKey names an object as Confluent's TopicPartitionWriter does.
func (s *Sink) objectKey(tp record.TopicPartition, encoded string, start int64) string {
	c := s.cfg
	b := make([]byte, 0, len(c.TopicsDir)+2*len(tp.Topic)+len(encoded)+48)
	if strings.TrimSpace(c.TopicsDir) != "" {
		b = append(b, c.TopicsDir...)
		b = append(b, c.DirectoryDelim...)
	}
	b = append(b, tp.Topic...)
	b = append(b, c.DirectoryDelim...)
	b = append(b, encoded...)
	b = append(b, c.DirectoryDelim...)
	b = append(b, tp.Topic...)
	b = append(b, c.FileDelim...)
	b = strconv.AppendInt(b, int64(tp.Partition), 10)
	b = append(b, c.FileDelim...)
	b = appendPadded(b, start, c.OffsetPadWidth)
	b = append(b, s.ext...)
	return string(b)
}

// Encode returns the bytes of a planned write: its records in the format, compressed if
// configured. It is what Put sends.
func (s *Sink) Encode(w sink.Write) ([]byte, error) {
	o, ok := w.(*object)
	if !ok {
		return nil, fmt.Errorf("s3-sink: write %q was not planned by this sink", w.ID())
	}
	return s.encode(o)
}

func (s *Sink) encode(o *object) ([]byte, error) {
	var buf bytes.Buffer
	var zw *gzip.Writer
	out := &buf
	var rw RecordWriter
	if s.cfg.Compression == CompressionGzip {
		if pooled, ok := s.gzips.Get().(*gzip.Writer); ok {
			zw = pooled
			zw.Reset(&buf)
		} else {
			var err error
			if zw, err = gzip.NewWriterLevel(&buf, s.cfg.CompressionLevel); err != nil {
				return nil, errclass.New(errclass.BadConfig, KeyCompressionLevel, err)
			}
		}
		defer func() { zw.Reset(io.Discard); s.gzips.Put(zw) }() // drop the reference to buf
		buf.Grow(estimateSize(o.recs) / 4)                       // JSON lines compress 4-8 times
		rw = s.format.NewWriter(zw)
	} else {
		buf.Grow(estimateSize(o.recs))
		rw = s.format.NewWriter(out)
	}
	for _, r := range o.recs {
		if s.schemaful && r.ValueData != nil && r.ValueSchema != o.schema && !projection.Equal(r.ValueSchema, o.schema) {
			v, err := projection.Project(r.ValueData, r.ValueSchema, o.schema)
			if err != nil {
				return nil, errclass.New(errclass.BadRecord, r.Coordinates(), fmt.Errorf("cannot project the value to the object's schema (%s=%s): %w", KeySchemaCompatibility, s.cfg.mode, err))
			}
			r = r.WithValue(o.schema, v)
		}
		if err := rw.Write(r); err != nil {
			if errclass.Of(err) == errclass.Unknown {
				return nil, fmt.Errorf("s3-sink: encode %s for %s: %w", r.Coordinates(), o.key, err)
			}
			return nil, errclass.New(errclass.Of(err), r.Coordinates(), fmt.Errorf("cannot write the value as %s: %w", shortClass(s.cfg.Format), err))
		}
	}
	if err := rw.Close(); err != nil {
		return nil, fmt.Errorf("s3-sink: encode %s: %w", o.key, err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("s3-sink: compress %s: %w", o.key, err)
		}
	}
	return buf.Bytes(), nil
}

func estimateSize(recs []record.Record) int {
	n := 0
	for _, r := range recs {
		n += len(r.Value) + 1
	}
	return min(n, 64<<20)
}

func shortClass(c string) string { return c[strings.LastIndexByte(c, '.')+1:] }

// Put writes one planned object and returns the bytes written. With conditional writes, an object
// that exists already is this write's own earlier attempt when its ETag (or recorded MD5) is the
// MD5 of the bytes just sent, and the write succeeds; any other object is another writer's, and
// the write fails (Retriable).
func (s *Sink) Put(ctx context.Context, w sink.Write) (int64, error) {
	o, ok := w.(*object)
	if !ok {
		return 0, fmt.Errorf("s3-sink: write %q was not planned by this sink", w.ID())
	}
	body, err := s.encode(o)
	if err != nil {
		return 0, err
	}
	sum := md5.Sum(body)
	hexSum := hex.EncodeToString(sum[:])
	subject := "s3://" + s.cfg.Bucket + "/" + o.key
	if err := ctx.Err(); err != nil {
		return 0, errclass.New(errclass.Retriable, subject, fmt.Errorf("not written: %w", err))
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.cfg.Bucket),
		Key:           aws.String(o.key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(s.contentType),
		ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		Metadata:      map[string]string{md5MetadataKey: hexSum},
	}
	if s.cfg.ConditionalWrites {
		in.IfNoneMatch = aws.String("*")
	}
	_, err = s.client.PutObject(ctx, in)
	if err == nil {
		return int64(len(body)), nil
	}
	if !s.cfg.ConditionalWrites || !preconditionFailed(err) {
		return 0, errclass.New(errclass.Retriable, subject, fmt.Errorf("PutObject: %w", err))
	}
	head, herr := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(o.key)})
	if herr != nil {
		return 0, errclass.New(errclass.Retriable, subject, fmt.Errorf("the object exists already (PutObject: precondition failed) and HeadObject failed: %w", herr))
	}
	etag := strings.Trim(aws.ToString(head.ETag), `"`)
	if strings.EqualFold(etag, hexSum) || strings.EqualFold(head.Metadata[md5MetadataKey], hexSum) {
		return int64(len(body)), nil // this write's own earlier attempt (an SDK retry) created it
	}
	return 0, errclass.Retry(subject, "another writer created the object with other content (ETag %s, this write's MD5 %s): not overwritten", aws.ToString(head.ETag), hexSum)
}

// preconditionFailed reports whether err is S3's 412 PreconditionFailed.
func preconditionFailed(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailed" {
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusPreconditionFailed
}

// Discard deletes the objects of an attempt that died before it committed, in DeleteObjects
// requests of up to 1000 keys. Keys that do not exist are fine.
func (s *Sink) Discard(ctx context.Context, ids []string) error {
	for start := 0; start < len(ids); start += deleteBatch {
		batch := ids[start:min(start+deleteBatch, len(ids))]
		objs := make([]types.ObjectIdentifier, len(batch))
		for i, id := range batch {
			objs[i] = types.ObjectIdentifier{Key: aws.String(id)}
		}
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(s.cfg.Bucket),
			Delete: &types.Delete{Objects: objs, Quiet: aws.Bool(true)},
		})
		if err != nil {
			subject := "s3://" + s.cfg.Bucket + "/" + batch[0]
			if len(batch) > 1 {
				subject += fmt.Sprintf(" and %d more", len(batch)-1)
			}
			return errclass.New(errclass.Retriable, subject, fmt.Errorf("DeleteObjects: %w", err))
		}
		for _, e := range out.Errors {
			if aws.ToString(e.Code) == "NoSuchKey" {
				continue
			}
			return errclass.Retry("s3://"+s.cfg.Bucket+"/"+aws.ToString(e.Key), "DeleteObjects: %s: %s", aws.ToString(e.Code), aws.ToString(e.Message))
		}
	}
	return nil
}
