package s3source

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/lambda-connect/lambda-connect/connectors/s3source/reader"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/producer"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Setting names. The input and topic settings follow Aiven's S3 source connector; the producer's
// are the Kafka client's own.
const (
	KeyConnectorName     = "connector.name"
	KeyTopic             = "topic"
	KeyTopicRegex        = "topic.regex"
	KeyTopicReplacement  = "topic.replacement"
	KeyTopicField        = "topic.field"
	KeyInputFormat       = "input.format"
	KeyCSVDelimiter      = "csv.delimiter"
	KeyCSVQuote          = "csv.quote"
	KeyCSVColumnTypes    = "csv.column.types"
	KeyMaxRecordBytes    = "max.record.bytes"
	KeyKeyField          = "key.field"
	KeyKeyFixed          = "key.fixed"
	KeyKeyConverter      = "key.converter"
	KeyValueConverter    = "value.converter"
	KeyCheckpointsTable  = "checkpoints.table"
	KeyCheckpointRecords = "checkpoint.records"
	KeyCheckpointBytes   = "checkpoint.bytes"
	KeyLeaseMarginMs     = "checkpoints.lease.margin.ms"
	KeyRetentionMs       = "checkpoints.retention.ms"
	KeyDeadlineReserveMs = "deadline.reserve.ms"
	KeyErrorsTolerance   = "errors.tolerance"
	KeyDLQTopic          = "errors.deadletterqueue.topic.name"
	KeyS3Region          = "s3.region"
)

// Prefixes are passed through to the converters.
var Prefixes = []string{"key.converter.", "value.converter."}

// Ignored Kafka Connect settings.
var Ignored = []string{"connector.class", "tasks.max", "name"}

func positive(v any) error {
	switch n := v.(type) {
	case int:
		if n < 1 {
			return fmt.Errorf("must be at least 1")
		}
	case int64:
		if n < 1 {
			return fmt.Errorf("must be at least 1")
		}
	}
	return nil
}

func oneByte(v any) error {
	if len(v.(string)) != 1 {
		return fmt.Errorf("must be one ASCII character")
	}
	return nil
}

// Spec returns the s3-source connector's configuration specification.
func Spec() *config.Spec {
	converterDoc := "org.apache.kafka.connect.json.JsonConverter, org.apache.kafka.connect.storage.StringConverter, org.apache.kafka.connect.converters.ByteArrayConverter (or JsonConverter, StringConverter, ByteArrayConverter)"
	keys := []config.Key{
		{Name: KeyConnectorName, Type: config.String, Required: true, Parameter: "SourceConnectorName",
			Doc: "Name of this connector; logs and metrics carry it."},
		{Name: producer.PropBootstrapServers, Type: config.List, Required: true, Parameter: "SourceBootstrapServers",
			Doc: "Kafka bootstrap servers (host:port, comma-separated)."},
		{Name: KeyTopic, Type: config.String, Parameter: "SourceTopic",
			Doc: "The topic records go to, unless topic.regex matches the object key or topic.field names a field. One of topic, topic.regex or topic.field is required."},
		{Name: KeyTopicRegex, Type: config.String,
			Doc:      "A regular expression (RE2) that must match the whole object key; the topic is then topic.replacement with $1, ${name} ... replaced by its groups. Keys that do not match go to topic (an error when topic is empty).",
			Validate: func(v any) error { _, err := regexp.Compile(v.(string)); return err }},
		{Name: KeyTopicReplacement, Type: config.String, Default: "$1",
			Doc: "The topic for a key matching topic.regex, with the regex's groups."},
		{Name: KeyTopicField, Type: config.String,
			Doc: "A field of each record (dots for nested fields) whose string value is the record's topic; a record without it goes to topic (an error when topic is empty)."},
		{Name: KeyInputFormat, Type: config.String, Default: "jsonl", Enum: reader.Formats(), Parameter: "SourceInputFormat",
			Doc: "Format of the objects: jsonl (one JSON value per line), json (an array of JSON values), csv (with a header row), text (one record per line), bytes (the whole object is one record), avro (Avro object container files, streamed; each record has the file's schema as Confluent's AvroData maps it), parquet (Parquet files, read with ranged GETs one row group at a time; each row is a struct with the file's schema, through value.converter). gzip, zstd and bzip2 objects are decompressed by extension (.gz, .zst, .bz2) or Content-Encoding."},
		{Name: KeyCSVDelimiter, Type: config.String, Default: ",", Validate: oneByte,
			Doc: "csv: the field delimiter."},
		{Name: KeyCSVQuote, Type: config.String, Default: `"`, Validate: oneByte,
			Doc: "csv: the quote character (doubled inside a quoted field)."},
		{Name: KeyCSVColumnTypes, Type: config.List,
			Doc:      "csv: column:type pairs (int8, int16, int32, int64, float32 or float, float64 or double, boolean, string). With types, rows are Connect structs with a schema (other columns optional strings, empty typed fields null); without, schemaless maps of strings.",
			Validate: func(v any) error { _, err := parseColumnTypes(v.([]string)); return err }},
		{Name: KeyMaxRecordBytes, Type: config.Int, Default: "1048576", Validate: positive,
			Doc: "The longest record (line, row, array element or whole object) read; a longer one is a bad record."},
		{Name: KeyKeyField, Type: config.String,
			Doc: "A field of each record (dots for nested fields) whose value, through key.converter, is the record key. Empty: key.fixed, or no key."},
		{Name: KeyKeyFixed, Type: config.String,
			Doc: "A fixed key for every record (when key.field is empty)."},
		{Name: KeyKeyConverter, Type: config.String, Default: "org.apache.kafka.connect.storage.StringConverter",
			Doc: "Converter for keys: " + converterDoc + "."},
		{Name: KeyValueConverter, Type: config.String, Default: "org.apache.kafka.connect.json.JsonConverter", Parameter: "SourceValueConverter",
			Doc: "Converter for values: " + converterDoc + ". Settings under value.converter.* go to it (value.converter.schemas.enable, default true as in Connect)."},
		{Name: KeyCheckpointsTable, Type: config.String, Parameter: "",
			Doc: "DynamoDB table of the checkpoint ledger (template.yaml creates it). Required."},
		{Name: KeyCheckpointRecords, Type: config.Int, Default: "20000", Validate: positive,
			Doc: "Checkpoint at least every this many records."},
		{Name: KeyCheckpointBytes, Type: config.Long, Default: "8388608", Validate: positive,
			Doc: "Checkpoint at least every this many bytes of values; bounds the memory of one chunk."},
		{Name: KeyLeaseMarginMs, Type: config.Long, Default: "30000",
			Doc: "How long an object lease outlives the invocation's deadline, in ms."},
		{Name: KeyRetentionMs, Type: config.Long, Default: "2592000000", Validate: positive,
			Doc: "How long a completed object's checkpoint is kept (DynamoDB TTL), in ms: a redelivered event is recognised for that long."},
		{Name: KeyDeadlineReserveMs, Type: config.Long, Default: "10000",
			Doc: "The invocation stops reading this long before its deadline, checkpoints, and lets the retry resume."},
		{Name: KeyErrorsTolerance, Type: config.String, Default: "none", Enum: []string{"none", "all"}, Parameter: "SourceErrorsTolerance",
			Doc: "A malformed record: none fails the object with an error naming the object, line and reason; all sends it to errors.deadletterqueue.topic.name (required) with that context and goes on."},
		{Name: KeyDLQTopic, Type: config.String, Parameter: "SourceDeadLetterTopic",
			Doc: "Topic of the malformed records with errors.tolerance=all: the raw bytes, the provenance headers and __connect.errors.* headers (exception message, stage, line)."},
		{Name: KeyS3Region, Type: config.String,
			Doc: "Region of the buckets; empty for the function's."},
		{Name: producer.PropAcks, Type: config.String, Default: "all", Enum: []string{"all", "-1", "1", "0"},
			Doc: "Producer acks. all: the partition's in-sync replicas have the records before a checkpoint moves past them."},
		{Name: producer.PropCompressionType, Type: config.String, Default: "none", Enum: []string{"none", "gzip", "snappy", "lz4", "zstd"}, Parameter: "SourceCompressionType",
			Doc: "Producer compression of record batches."},
		{Name: producer.PropLingerMs, Type: config.Long, Default: "5",
			Doc: "Accepted for compatibility, without effect: every batch of a chunk (checkpoint.records / checkpoint.bytes) is sent as soon as it is cut, and acknowledged before a checkpoint moves past it."},
		{Name: producer.PropBatchSize, Type: config.Int, Default: "1048576",
			Doc: "The most bytes of one batch (kafka-go sends one request per batch and partition, so this is larger than the Java client's 16384)."},
		{Name: producer.PropRequestTimeoutMs, Type: config.Int, Default: "30000", Validate: positive,
			Doc: "Producer request timeout, in ms."},
		{Name: producer.PropClientID, Type: config.String, Default: "lambda-connect",
			Doc: "Client id sent to the brokers."},
		{Name: producer.PropSecurityProtocol, Type: config.String, Default: "PLAINTEXT", Enum: []string{"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}, Parameter: "SourceSecurityProtocol",
			Doc: "PLAINTEXT, SSL (TLS with the system's roots), SASL_PLAINTEXT or SASL_SSL."},
		{Name: producer.PropSASLMechanism, Type: config.String, Parameter: "SourceSaslMechanism",
			Doc: "SASL mechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (credentials from sasl.jaas.config or sasl.username/sasl.password) or AWS_MSK_IAM (the function's role)."},
		{Name: producer.PropSASLJAASConfig, Type: config.Password,
			Doc: "JAAS configuration holding username=\"...\" password=\"...\" (PLAIN and SCRAM)."},
		{Name: producer.PropSASLUsername, Type: config.String, Doc: "SASL username (instead of sasl.jaas.config)."},
		{Name: producer.PropSASLPassword, Type: config.Password, Doc: "SASL password (instead of sasl.jaas.config)."},
	}
	return &config.Spec{Connector: "s3-source", Keys: keys, Prefixes: Prefixes, Ignored: Ignored}
}

// parseColumnTypes reads csv.column.types: name:type pairs. A type is a Connect/Java name (int8,
// int16, int32, int64, float32, float64, boolean, string; any case) or the record model's own
// name for it (float, double).
func parseColumnTypes(list []string) (map[string]record.Type, error) {
	out := map[string]record.Type{}
	for _, p := range list {
		name, t, ok := strings.Cut(p, ":")
		name, t = strings.TrimSpace(name), strings.ToLower(strings.TrimSpace(t))
		if !ok || name == "" {
			return nil, fmt.Errorf("%q is not column:type", p)
		}
		rt, ok := columnTypes[t]
		if !ok {
			return nil, fmt.Errorf("column %s: %q is not int8, int16, int32, int64, float32, float64, boolean or string", name, t)
		}
		out[name] = rt
	}
	return out, nil
}

// columnTypes maps the accepted csv.column.types names to the record model's types.
var columnTypes = map[string]record.Type{
	"int8": record.Int8, "int16": record.Int16, "int32": record.Int32, "int64": record.Int64,
	"float32": record.Float32, "float": record.Float32, "float64": record.Float64, "double": record.Float64,
	"boolean": record.Boolean, "string": record.String,
}
