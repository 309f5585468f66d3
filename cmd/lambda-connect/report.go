package main

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// devReport is what a dev pass moved where. It is printed as text or, with --output json, as
// this JSON document.
type devReport struct {
	Broker      string            `json:"broker"`
	S3Endpoint  string            `json:"s3_endpoint"`
	Bucket      string            `json:"bucket"`
	DataDir     string            `json:"data_dir"`
	OffsetsFile string            `json:"offsets_file"`
	LogFile     string            `json:"log_file"`
	Connector   string            `json:"connector"`
	Settings    map[string]string `json:"settings"`
	// Sink is --sink: all, s3 or dynamodb. With all, this report is the S3 sink's and DynamoDB
	// the DynamoDB sink's.
	Sink      string `json:"sink"`
	BatchSize int    `json:"batch_size"`
	// Produced and Tombstones count the sample records produced at start.
	Produced   int `json:"produced"`
	Tombstones int `json:"tombstones"`
	// Delivered counts the records handed to the handler since start; Skipped the tombstones
	// among them, which behavior.on.null.values=ignore (S3) and delete.enabled=false (DynamoDB)
	// skip; Written the records in S3 objects.
	Delivered    int               `json:"delivered"`
	Skipped      int               `json:"skipped_tombstones"`
	Written      int               `json:"written"`
	Objects      int               `json:"objects"`
	Invocations  int               `json:"invocations"`
	LargestEvent int               `json:"largest_event_bytes"`
	Partitions   []partitionReport `json:"partitions"`
	// Table is the DynamoDB table, with --sink dynamodb (Bucket, Written and Objects are then
	// empty).
	Table *tableReport `json:"table,omitempty"`
	// Source is what the S3 source did with the objects dropped into its landing bucket, and
	// where each object's lines ended up in the sinks.
	Source *sourceReport `json:"source,omitempty"`
	// DynamoDB is the DynamoDB sink's report with --sink all (its own connector, offsets and
	// partitions; Source is in this report only); DynamoDBSkipped says why it is missing when
	// DynamoDB Local did not start.
	DynamoDB        *devReport `json:"dynamodb,omitempty"`
	DynamoDBSkipped string     `json:"dynamodb_skipped,omitempty"`
	// Avro is the Avro lane (devavro.go): an embedded schema registry, Confluent-framed Avro
	// records of orders.avro, an S3 sink with the AvroConverter writing Parquet, read back.
	// Absent with --sink dynamodb, and from the reports of later polls.
	Avro      *avroReport `json:"avro,omitempty"`
	ElapsedMs int64       `json:"elapsed_ms"`
}

// partitionReport is one partition: its log, its committed offset and its objects.
type partitionReport struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// LogEnd is the partition's high watermark; Committed the next offset the offsets store
	// holds for the connector (-1 when nothing was committed).
	LogEnd     int64          `json:"log_end"`
	Committed  int64          `json:"committed"`
	Delivered  int            `json:"delivered"`
	Tombstones int            `json:"tombstones"`
	Objects    []objectReport `json:"objects"`
	// Items counts the DynamoDB table's items written from this partition (--sink dynamodb).
	Items int `json:"items,omitempty"`
}

// objectReport is one S3 object and the offsets it covers.
type objectReport struct {
	Key string `json:"key"`
	URL string `json:"url"`
	// FirstOffset is the start offset in the object's name; LastOffset the offset before the
	// next object of the partition starts (or before the committed offset). Skipped tombstones
	// inside the range make Records smaller than the range.
	FirstOffset int64 `json:"first_offset"`
	LastOffset  int64 `json:"last_offset"`
	Records     int   `json:"records"`
	Bytes       int64 `json:"bytes"`
	// orderIDs are the order_id fields of the object's records (JSON values), to trace the S3
	// source's lines.
	orderIDs []string
}

// partStats counts what the sandbox delivered of one partition.
type partStats struct {
	delivered, tombstones int
}

// report lists the bucket and the offsets store and describes what was delivered.
func (sb *sandbox) report(ctx context.Context) (devReport, error) {
	s := sb.sample
	rep := devReport{
		Broker:       sb.kafka.Bootstrap(),
		S3Endpoint:   sb.s3srv.URL(),
		DataDir:      sb.dataDir,
		OffsetsFile:  sb.storePath,
		LogFile:      sb.logPath,
		Connector:    sb.connectorName(),
		Settings:     sb.props,
		Sink:         cmp.Or(sb.opts.sink, sinkAll),
		BatchSize:    sb.opts.batchSize,
		Produced:     len(s.records),
		Tombstones:   s.tombstones,
		Invocations:  sb.invocations,
		LargestEvent: sb.largestEvent,
	}
	committed, err := sb.committed(ctx)
	if err != nil {
		return rep, err
	}
	if sb.ddb != nil {
		if err := sb.dynamoReport(ctx, &rep, committed); err != nil {
			return rep, err
		}
		if sb.source != nil {
			if rep.Source, err = sb.sourceReport(ctx); err != nil {
				return rep, err
			}
			rep.Source.trace(rep)
		}
		return rep, nil
	}
	rep.Bucket = devBucket
	objects, err := sb.listObjects(ctx)
	if err != nil {
		return rep, err
	}
	byTP := map[record.TopicPartition][]objectReport{}
	for _, o := range objects {
		topic, p, start, ok := parseObjectKey(o.Key)
		if !ok {
			return rep, errclass.Retry("object s3://"+devBucket+"/"+o.Key, "not named <topic>+<partition>+<start offset>.<ext>")
		}
		o.FirstOffset = start
		tp := record.TopicPartition{Topic: topic, Partition: p}
		byTP[tp] = append(byTP[tp], o)
	}
	for _, tp := range sb.partitions() {
		pr := partitionReport{Topic: tp.Topic, Partition: tp.Partition, LogEnd: sb.pos[tp], Committed: -1}
		if c, ok := committed[tp]; ok {
			pr.Committed = c
		}
		if st := sb.stats[tp]; st != nil {
			pr.Delivered, pr.Tombstones = st.delivered, st.tombstones
		}
		pr.Objects = byTP[tp]
		delete(byTP, tp)
		slices.SortFunc(pr.Objects, func(a, b objectReport) int { return cmp.Compare(a.FirstOffset, b.FirstOffset) })
		for i := range pr.Objects {
			end := pr.Committed
			if i+1 < len(pr.Objects) {
				end = pr.Objects[i+1].FirstOffset
			}
			pr.Objects[i].LastOffset = end - 1
			rep.Written += pr.Objects[i].Records
			rep.Objects++
		}
		rep.Delivered += pr.Delivered
		rep.Skipped += pr.Tombstones
		rep.Partitions = append(rep.Partitions, pr)
	}
	for tp, obs := range byTP {
		return rep, errclass.Retry("partition "+tp.String(), "%d objects in the bucket for a partition the sandbox does not have (first: %s)", len(obs), obs[0].Key)
	}
	if sb.source != nil {
		if rep.Source, err = sb.sourceReport(ctx); err != nil {
			return rep, err
		}
	}
	rep.DynamoDBSkipped = sb.dynSkipped
	if sb.dyn != nil {
		d, err := sb.dyn.report(ctx)
		if err != nil {
			return rep, err
		}
		rep.DynamoDB = &d
	}
	rep.Source.trace(rep)
	return rep, nil
}

// partitions returns the sandbox's partitions, in topic order then partition order: those it
// created, and any partition added to its topics since.
func (sb *sandbox) partitions() []record.TopicPartition {
	var out []record.TopicPartition
	known := map[record.TopicPartition]bool{}
	for _, t := range sb.topics() {
		for p := range t.partitions {
			tp := record.TopicPartition{Topic: t.name, Partition: p}
			out = append(out, tp)
			known[tp] = true
		}
	}
	var added []record.TopicPartition
	for tp := range sb.pos {
		if !known[tp] {
			added = append(added, tp)
		}
	}
	slices.SortFunc(added, func(a, b record.TopicPartition) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return append(out, added...)
}

// check verifies that every delivered record is in exactly one object (or item) and that every
// partition is committed up to its log end, in every sink of the report, and that the S3
// source's lines are each in every sink once.
func (r devReport) check() error {
	errs := []error{r.checkS3(), r.Avro.check()}
	if r.DynamoDB != nil {
		errs = append(errs, r.DynamoDB.check())
	}
	return errors.Join(errs...)
}

// checkS3 is check for this report's own sink (and the S3 source), without DynamoDB.
func (r devReport) checkS3() error {
	var errs []error
	for _, p := range r.Partitions {
		tp := record.TopicPartition{Topic: p.Topic, Partition: p.Partition}
		written := 0
		for _, o := range p.Objects {
			written += o.Records
		}
		if want := p.Delivered - p.Tombstones; r.Table == nil && written != want {
			errs = append(errs, fmt.Errorf("partition %s: %d records in objects, want %d (%d delivered less %d tombstones)", tp, written, want, p.Delivered, p.Tombstones))
		}
		if p.Committed != p.LogEnd && !(p.LogEnd == 0 && p.Committed == -1) {
			errs = append(errs, fmt.Errorf("partition %s: committed offset %d, want the log end %d", tp, p.Committed, p.LogEnd))
		}
	}
	errs = append(errs, r.Source.check(), r.Table.check())
	return errors.Join(errs...)
}

// listObjects lists the bucket and reads every object it has not read before, counting its
// records (lines). Objects are never replaced, so counts are cached by key.
func (sb *sandbox) listObjects(ctx context.Context) ([]objectReport, error) {
	var out []objectReport
	pages := s3.NewListObjectsV2Paginator(sb.s3, &s3.ListObjectsV2Input{Bucket: aws.String(devBucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, errclass.New(errclass.Retriable, "bucket "+devBucket, fmt.Errorf("listing: %w", err))
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			ob, ok := sb.objects[key]
			if !ok {
				n, ids, err := sb.countRecords(ctx, key)
				if err != nil {
					return nil, err
				}
				ob = objectReport{Key: key, URL: "s3://" + devBucket + "/" + key, Records: n, Bytes: aws.ToInt64(o.Size), orderIDs: ids}
				sb.objects[key] = ob
			}
			out = append(out, ob)
		}
	}
	return out, nil
}

// countRecords reads an object (gunzipping .gz objects) and counts its lines: JsonFormat writes
// one record a line, and the sandbox's ByteArrayFormat ends each record with a newline. It
// returns the order_id fields of the lines too.
func (sb *sandbox) countRecords(ctx context.Context, key string) (int, []string, error) {
	subject := "object s3://" + devBucket + "/" + key
	obj, err := sb.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(devBucket), Key: aws.String(key)})
	if err != nil {
		return 0, nil, errclass.New(errclass.Retriable, subject, fmt.Errorf("reading: %w", err))
	}
	defer obj.Body.Close()
	var r io.Reader = obj.Body
	if strings.HasSuffix(key, ".gz") {
		zr, err := gzip.NewReader(obj.Body)
		if err != nil {
			return 0, nil, errclass.New(errclass.Retriable, subject, fmt.Errorf("gunzip: %w", err))
		}
		defer zr.Close()
		r = zr
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return 0, nil, errclass.New(errclass.Retriable, subject, fmt.Errorf("reading: %w", err))
	}
	var ids []string
	for _, l := range bytes.Split(body, []byte{'\n'}) {
		if id, ok := orderID(l); ok {
			ids = append(ids, id)
		}
	}
	return countLines(body), ids, nil
}

// countLines counts newline-terminated lines, and a last line without a newline.
func countLines(b []byte) int {
	n := bytes.Count(b, []byte{'\n'})
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

// parseObjectKey reads the topic, Kafka partition and start offset from an object key named as
// Confluent's S3 sink names objects: <dirs>/<topic>+<partition>+<start offset>.<extension>.
// Kafka topic names cannot hold '+'.
func parseObjectKey(key string) (topic string, partition int32, start int64, ok bool) {
	name := path.Base(key)
	fields := strings.Split(name, "+")
	if len(fields) != 3 || fields[0] == "" {
		return "", 0, 0, false
	}
	p, err := strconv.ParseInt(fields[1], 10, 32)
	if err != nil || p < 0 || fields[1] != strconv.FormatInt(p, 10) {
		return "", 0, 0, false
	}
	digits, ext, found := strings.Cut(fields[2], ".")
	if !found || ext == "" || digits == "" {
		return "", 0, 0, false
	}
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return "", 0, 0, false
		}
	}
	off, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return "", 0, 0, false
	}
	return fields[0], int32(p), off, true
}
