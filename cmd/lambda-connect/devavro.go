package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/reader"
	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
	"github.com/lambda-connect/lambda-connect/infra/registrylocal"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

// The Avro lane's fixed names and size.
const (
	avroTopic      = "orders.avro"
	avroPartitions = 2
	avroConnector  = "dev-avro-s3-sink"
	avroRecords    = 40
	// avroBucket keeps the Avro lane's Parquet apart from the S3 sink's objects.
	avroBucket = "lambda-connect-dev-avro"
)

// avroReport is the Avro lane: Confluent-framed Avro records through the embedded schema
// registry, the S3 sink (AvroConverter, ParquetFormat) and Parquet read back.
type avroReport struct {
	RegistryURL string            `json:"registry_url"`
	Topic       string            `json:"topic"`
	Connector   string            `json:"connector"`
	Settings    map[string]string `json:"settings"`
	Produced    int               `json:"produced"`
	// SchemaIDs are the registry ids in the produced records' framing.
	SchemaIDs []int  `json:"schema_ids"`
	Subject   string `json:"subject"`
	Delivered int    `json:"delivered"`
	// Objects are the Parquet objects the sink wrote, with the rows read back from each.
	Objects []avroObject `json:"objects"`
	// ReadBack counts the rows read back from the Parquet objects; Missing and Duplicated the
	// produced orders not read back, or read back more than once.
	ReadBack   int      `json:"read_back"`
	Missing    []string `json:"missing,omitempty"`
	Duplicated []string `json:"duplicated,omitempty"`
}

type avroObject struct {
	Key  string `json:"key"`
	Rows int    `json:"rows"`
}

// avroOrderSchema is the Connect schema of the Avro lane's values.
var avroOrderSchema = func() *record.Schema {
	s := &record.Schema{Type: record.Struct, Name: "dev.avro.Order", Version: 1}
	for i, f := range []struct {
		name string
		t    record.Type
	}{{"order_id", record.String}, {"customer", record.String}, {"amount", record.Float64}, {"quantity", record.Int32}} {
		s.Fields = append(s.Fields, record.Field{Name: f.name, Index: i, Schema: &record.Schema{Type: f.t}})
	}
	return s
}()

// avroProps are the Avro lane's S3 sink settings.
func avroProps(registryURL string) map[string]string {
	return map[string]string{
		"connector.name":                      avroConnector,
		"s3.bucket.name":                      avroBucket,
		"s3.region":                           s3local.Region,
		"format.class":                        s3sink.ParquetFormatClass,
		"parquet.codec":                       "snappy",
		"key.converter":                       converters.StringConverterClass,
		"value.converter":                     converters.AvroConverterClass,
		"value.converter.schema.registry.url": registryURL,
	}
}

// startAvro starts the embedded schema registry of the Avro lane (not with --sink dynamodb,
// which has no S3 sink).
func (sb *sandbox) startAvro() error {
	if sb.opts.sink == sinkDynamoDB {
		return nil
	}
	reg, err := registrylocal.Start(registrylocal.Options{Logger: sb.log})
	if err != nil {
		return fmt.Errorf("starting the schema registry: %w", err)
	}
	sb.registry = reg
	return nil
}

// closeAvro stops the registry.
func (sb *sandbox) closeAvro() {
	if sb.registry != nil {
		_ = sb.registry.Close()
		sb.registry = nil
	}
}

// runAvro runs the Avro lane once: it produces avroRecords orders serialized by the
// AvroConverter (which registers their schema), hands them to an S3 sink handler reading them
// with the AvroConverter and writing Parquet, and reads the Parquet objects back. A nil report
// means the lane is not part of this run.
func (sb *sandbox) runAvro(ctx context.Context) (*avroReport, error) {
	if sb.registry == nil {
		return nil, nil
	}
	props := avroProps(sb.registry.URL())
	rep := &avroReport{RegistryURL: sb.registry.URL(), Topic: avroTopic, Connector: avroConnector, Settings: props,
		Subject: avroTopic + "-value"}

	// Produce, as a producer with Confluent's KafkaAvroSerializer would.
	conv, err := converters.New(converters.AvroConverterClass, false, map[string]string{"schema.registry.url": sb.registry.URL()})
	if err != nil {
		return nil, err
	}
	if err := sb.kafka.CreateTopic(ctx, avroTopic, avroPartitions); err != nil {
		return nil, err
	}
	want := make([]string, avroRecords)
	recs := make([]record.Record, avroRecords)
	for i := range recs {
		id := fmt.Sprintf("A-%04d", i+1)
		want[i] = id
		v := &record.StructValue{Schema: avroOrderSchema, Values: []any{id, fmt.Sprintf("customer-%d", i%5), float64(i) * 1.25, int32(i%3 + 1)}}
		b, err := conv.FromConnect(avroTopic, nil, avroOrderSchema, v)
		if err != nil {
			return nil, fmt.Errorf("serializing order %s: %w", id, err)
		}
		if len(b) < 5 || b[0] != 0 {
			return nil, fmt.Errorf("order %s: the AvroConverter wrote no Confluent framing", id)
		}
		if sid := int(binary.BigEndian.Uint32(b[1:5])); !slices.Contains(rep.SchemaIDs, sid) {
			rep.SchemaIDs = append(rep.SchemaIDs, sid)
		}
		recs[i] = record.Record{Topic: avroTopic, Partition: int32(i % avroPartitions), Key: []byte(id), Value: b}
	}
	if err := kafkalocal.Produce(ctx, sb.kafka.Addrs(), recs); err != nil {
		return nil, err
	}
	rep.Produced = len(recs)

	// Deliver, as the event-source mapping would.
	h, err := sb.buildAvroHandler(ctx, props)
	if err != nil {
		return nil, err
	}
	var read []record.Record
	for p := int32(0); p < avroPartitions; p++ {
		rs, err := kafkalocal.ReadPartition(ctx, sb.kafka.Addrs(), avroTopic, p, 0, int64(avroRecords))
		if err != nil && len(rs) == 0 {
			return nil, err
		}
		read = append(read, rs...)
	}
	events, err := kafkaevent.Batches(kafkaevent.SourceSelfManaged, "", sb.kafka.Bootstrap(), read, kafkaevent.Limits{MaxRecords: sb.opts.batchSize})
	if err != nil {
		return nil, err
	}
	saved := sb.handler
	sb.handler = h
	for i, ev := range events {
		n, err := recordsIn(ev)
		if err == nil {
			err = sb.invoke(ctx, ev)
		}
		if err != nil {
			sb.handler = saved
			return nil, fmt.Errorf("Avro lane, event %d of %d: %w", i+1, len(events), err)
		}
		rep.Delivered += n
	}
	sb.handler = saved

	// Read the Parquet back.
	seen := map[string]int{}
	out, err := sb.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(avroBucket), Prefix: aws.String("topics/" + avroTopic + "/")})
	if err != nil {
		return nil, fmt.Errorf("listing the Avro lane's objects: %w", err)
	}
	for _, o := range out.Contents {
		key := aws.ToString(o.Key)
		rows, err := sb.readParquet(ctx, key, seen)
		if err != nil {
			return nil, err
		}
		rep.Objects = append(rep.Objects, avroObject{Key: key, Rows: rows})
		rep.ReadBack += rows
	}
	for _, id := range want {
		switch seen[id] {
		case 0:
			rep.Missing = append(rep.Missing, id)
		case 1:
		default:
			rep.Duplicated = append(rep.Duplicated, id)
		}
	}
	return rep, nil
}

// buildAvroHandler builds the Avro lane's S3 sink handler as functions/s3-sink does.
func (sb *sandbox) buildAvroHandler(ctx context.Context, props map[string]string) (*sink.Handler, error) {
	c, err := s3sink.Spec().Parse(props)
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
	return sink.NewFromConfig(ctx, c, s, sb.store, sink.WithLogger(sink.NewLogger(sb.logf)), sink.WithMetricsTo(sb.logf))
}

// readParquet reads the rows of one Parquet object with the S3 source's reader, counting each
// row's order_id in seen, and returns how many rows it holds.
func (sb *sandbox) readParquet(ctx context.Context, key string, seen map[string]int) (int, error) {
	obj, err := sb.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(avroBucket), Key: aws.String(key)})
	if err != nil {
		return 0, fmt.Errorf("reading s3://%s/%s: %w", avroBucket, key, err)
	}
	b, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("reading s3://%s/%s: %w", avroBucket, key, err)
	}
	r, err := reader.New(reader.Source{ReaderAt: bytes.NewReader(b), Size: int64(len(b))}, reader.Options{Format: reader.Parquet})
	if err != nil {
		return 0, fmt.Errorf("s3://%s/%s: %w", avroBucket, key, err)
	}
	rows := 0
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, fmt.Errorf("s3://%s/%s, row %d: %w", avroBucket, key, rows, err)
		}
		rows++
		id := ""
		if sv, ok := rec.Data.(*record.StructValue); ok {
			if v, ok := sv.Get("order_id"); ok {
				id, _ = v.(string)
			}
		}
		seen[id]++
	}
}

// check fails unless every produced order was read back from the Parquet exactly once.
func (r *avroReport) check() error {
	if r == nil {
		return nil
	}
	if len(r.Missing) > 0 || len(r.Duplicated) > 0 || r.ReadBack != r.Produced || len(r.Objects) == 0 {
		return fmt.Errorf("Avro lane: %d orders produced, %d rows read back from %d Parquet objects (missing %v, duplicated %v)",
			r.Produced, r.ReadBack, len(r.Objects), r.Missing, r.Duplicated)
	}
	return nil
}

// avroText is the Avro lane's section of the text summary.
func avroText(r *avroReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nAvro lane: schema registry %s (embedded, Confluent-compatible)\n", r.RegistryURL)
	fmt.Fprintf(&b, "  produced %d Confluent-framed Avro orders to %s (%d partitions), schema id(s) %v registered under %s\n",
		r.Produced, r.Topic, avroPartitions, r.SchemaIDs, r.Subject)
	fmt.Fprintf(&b, "  S3 sink %s (value.converter=AvroConverter, format.class=ParquetFormat): %d records delivered, %s written\n",
		r.Connector, r.Delivered, plural(len(r.Objects), "Parquet object", "Parquet objects"))
	for _, o := range r.Objects {
		fmt.Fprintf(&b, "    s3://%s/%s  %s\n", avroBucket, o.Key, plural(o.Rows, "row", "rows"))
	}
	if len(r.Missing) == 0 && len(r.Duplicated) == 0 && r.ReadBack == r.Produced {
		fmt.Fprintf(&b, "  read back with the S3 source's Parquet reader: %d rows, every order exactly once\n", r.ReadBack)
	} else {
		fmt.Fprintf(&b, "  read back: %d rows; missing %v, duplicated %v\n", r.ReadBack, r.Missing, r.Duplicated)
	}
	return b.String()
}

// registryCurl is a command that shows the Avro lane's registered schema.
func registryCurl(r *avroReport) string {
	return fmt.Sprintf("curl -s %s/subjects/%s/versions/latest", r.RegistryURL, r.Subject)
}
