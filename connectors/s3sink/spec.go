package s3sink

import (
	"fmt"
	"net/url"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/projection"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// Setting names, as Confluent's S3 sink connector spells them (the last two are this
// connector's own).
const (
	KeyBucket               = "s3.bucket.name"
	KeyRegion               = "s3.region"
	KeyStoreURL             = "store.url"
	KeyPathStyle            = "s3.path.style.access.enabled"
	KeyTopicsDir            = "topics.dir"
	KeyDirectoryDelim       = "directory.delim"
	KeyFileDelim            = "file.delim"
	KeyFormatClass          = "format.class"
	KeyJSONDecimalFormat    = "json.decimal.format"
	KeyByteArrayExtension   = "format.bytearray.extension"
	KeyByteArraySeparator   = "format.bytearray.separator"
	KeyFlushSize            = "flush.size"
	KeyCompressionType      = "s3.compression.type"
	KeyCompressionLevel     = "s3.compression.level"
	KeyOffsetPadWidth       = "filename.offset.zero.pad.width"
	KeyPartitionerClass     = "partitioner.class"
	KeyPartitionFieldName   = "partition.field.name"
	KeyPathFormat           = "path.format"
	KeyPartitionDurationMs  = "partition.duration.ms"
	KeyLocale               = "locale"
	KeyTimezone             = "timezone"
	KeyTimestampExtractor   = "timestamp.extractor"
	KeyTimestampField       = "timestamp.field"
	KeyBehaviorOnNullValues = "behavior.on.null.values"
	KeyTombstonePartition   = "tombstone.encoded.partition"
	KeyConditionalWrites    = "s3.conditional.writes.enabled"
	KeyParquetCodec         = "parquet.codec"
	KeyAvroCodec            = "avro.codec"
	KeySchemaCompatibility  = "schema.compatibility"
)

// Format classes (canonical names of format.class).
const (
	JSONFormatClass      = "io.confluent.connect.s3.format.json.JsonFormat"
	ByteArrayFormatClass = "io.confluent.connect.s3.format.bytearray.ByteArrayFormat"
	ParquetFormatClass   = "io.confluent.connect.s3.format.parquet.ParquetFormat"
	AvroFormatClass      = "io.confluent.connect.s3.format.avro.AvroFormat"
)

// Partitioner classes (canonical names of partitioner.class).
const (
	DefaultPartitionerClass   = "io.confluent.connect.storage.partitioner.DefaultPartitioner"
	FieldPartitionerClass     = "io.confluent.connect.storage.partitioner.FieldPartitioner"
	TimeBasedPartitionerClass = "io.confluent.connect.storage.partitioner.TimeBasedPartitioner"
	HourlyPartitionerClass    = "io.confluent.connect.storage.partitioner.HourlyPartitioner"
	DailyPartitionerClass     = "io.confluent.connect.storage.partitioner.DailyPartitioner"
)

// Timestamp extractors (canonical values of timestamp.extractor).
const (
	ExtractorWallclock   = "Wallclock"
	ExtractorRecord      = "Record"
	ExtractorRecordField = "RecordField"
)

// Values of behavior.on.null.values and s3.compression.type.
const (
	NullFail   = "fail"
	NullIgnore = "ignore"
	NullWrite  = "write"

	CompressionNone = "none"
	CompressionGzip = "gzip"
)

const partitionerPkg = "io.confluent.connect.storage.partitioner."

var (
	formatAliases = map[string]string{
		JSONFormatClass: JSONFormatClass, "JsonFormat": JSONFormatClass, "json": JSONFormatClass,
		ByteArrayFormatClass: ByteArrayFormatClass, "ByteArrayFormat": ByteArrayFormatClass, "bytearray": ByteArrayFormatClass,
		ParquetFormatClass: ParquetFormatClass, "ParquetFormat": ParquetFormatClass, "parquet": ParquetFormatClass,
		AvroFormatClass: AvroFormatClass, "AvroFormat": AvroFormatClass, "avro": AvroFormatClass,
	}
	partitionerAliases = map[string]string{
		DefaultPartitionerClass: DefaultPartitionerClass, "DefaultPartitioner": DefaultPartitionerClass,
		FieldPartitionerClass: FieldPartitionerClass, "FieldPartitioner": FieldPartitionerClass,
		TimeBasedPartitionerClass: TimeBasedPartitionerClass, "TimeBasedPartitioner": TimeBasedPartitionerClass,
		HourlyPartitionerClass: HourlyPartitionerClass, "HourlyPartitioner": HourlyPartitionerClass,
		DailyPartitionerClass: DailyPartitionerClass, "DailyPartitioner": DailyPartitionerClass,
	}
	extractorAliases = map[string]string{
		ExtractorWallclock: ExtractorWallclock, partitionerPkg + "TimeBasedPartitioner$WallclockTimestampExtractor": ExtractorWallclock,
		ExtractorRecord: ExtractorRecord, partitionerPkg + "TimeBasedPartitioner$RecordTimestampExtractor": ExtractorRecord,
		ExtractorRecordField: ExtractorRecordField, partitionerPkg + "TimeBasedPartitioner$RecordFieldTimestampExtractor": ExtractorRecordField,
	}
)

// Spec returns the s3-sink connector's configuration specification: its own settings followed by
// the settings every sink shares (sink.CommonKeys).
func Spec() *config.Spec {
	keys := []config.Key{
		{Name: KeyBucket, Type: config.String, Required: true, Parameter: "S3BucketName",
			Doc: "The S3 bucket the connector writes to."},
		{Name: KeyRegion, Type: config.String,
			Doc: "AWS region of the bucket. Empty: the function's region (AWS_REGION), as the AWS SDK resolves it. (Confluent's default is us-west-2; a Lambda function writes to a bucket of its own region unless told otherwise.)"},
		{Name: KeyStoreURL, Type: config.String,
			Doc:      "Endpoint of an S3-compatible store (http(s)://host:port), instead of AWS S3. Empty: AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) when set, else AWS S3. With an endpoint override, checksums are sent only where S3 requires them (see s3.path.style.access.enabled for addressing).",
			Validate: validateURL},
		{Name: KeyPathStyle, Type: config.Boolean, Default: "true",
			Doc: "Address the bucket in the path (https://host/bucket/key) instead of the host name (https://bucket.host/key); most S3-compatible stores need true."},
		{Name: KeyTopicsDir, Type: config.String, Default: "topics", Parameter: "TopicsDir",
			Doc: "Top-level directory (key prefix) of every object written. Objects are named <topics.dir>/<topic>/<encoded partition>/<topic>+<kafka partition>+<start offset>.<extension>."},
		{Name: KeyDirectoryDelim, Type: config.String, Default: "/",
			Doc:      "Delimiter between the directories of an object's key.",
			Validate: nonEmpty},
		{Name: KeyFileDelim, Type: config.String, Default: "+",
			Doc:      "Delimiter between the topic, the Kafka partition and the start offset in an object's name.",
			Validate: nonEmpty},
		{Name: KeyFormatClass, Type: config.Class, Default: JSONFormatClass, Parameter: "FormatClass",
			Enum: formatClasses(), Aliases: formatAliases,
			Doc: "Format of the objects: JsonFormat writes each record's value as one line of JSON (as JsonConverter with schemas.enable=false writes it; values that arrived as JSON are written as they came, on one line); ByteArrayFormat writes each record's raw value bytes followed by format.bytearray.separator; ParquetFormat writes Parquet files (.parquet, compressed with parquet.codec) and AvroFormat Avro object container files (.avro, avro.codec), with the schema derived from the records' value schemas (struct values for Parquet; records without a schema are rejected, naming the record)."},
		{Name: KeyJSONDecimalFormat, Type: config.String, Default: "BASE64", Enum: []string{"BASE64", "NUMERIC"},
			Doc: "JsonFormat: how Decimal values are written: BASE64 (the unscaled bytes, as Connect's JsonConverter does by default) or NUMERIC (a JSON number)."},
		{Name: KeyByteArrayExtension, Type: config.String, Default: ".bin",
			Doc: "Extension of ByteArrayFormat objects (before .gz when compressed)."},
		{Name: KeyByteArraySeparator, Type: config.String, Default: `\n`,
			Doc: `Bytes written after each record by ByteArrayFormat. Backslash escapes are decoded (\n, \r, \t, \\, \0 and \uXXXX), since settings are trimmed of white space; empty writes nothing between records. Confluent's default is the line separator, "\n".`},
		{Name: KeyParquetCodec, Type: config.String, Default: ParquetCodecSnappy, Enum: []string{ParquetCodecNone, ParquetCodecSnappy, ParquetCodecGzip, ParquetCodecZstd},
			Doc: "ParquetFormat: compression of the Parquet column chunks: none, snappy, gzip or zstd."},
		{Name: KeyAvroCodec, Type: config.String, Default: AvroCodecNull, Enum: avroCodecs,
			Doc: "AvroFormat: compression of the Avro container file blocks: null (none), deflate, snappy or zstandard."},
		{Name: KeySchemaCompatibility, Type: config.String, Default: string(projection.None), Enum: projection.Modes(), Parameter: "SchemaCompatibility",
			Doc: "AvroFormat and ParquetFormat (whose files hold one schema): what a change of value schema does. NONE starts a new object whenever a record's schema differs from the previous record's; BACKWARD and FULL write the records of compatible schema versions into one object with the newest schema (older records projected to it: added fields get their defaults, removed fields are dropped, numbers are widened), FORWARD with the oldest; schemas that are not compatible (or lack a name and version) start a new object. The object boundaries depend on the records only, so retries write the same objects."},
		{Name: KeyFlushSize, Type: config.Int, Default: "10000", Parameter: "FlushSize",
			Doc: "Most records per object. Each invocation writes, per Kafka partition and encoded partition, its records in objects of at most flush.size records; fewer records make a smaller object (an invocation's batch is never held back to fill one). Required in Confluent's connector; defaults to 10000 here.",
			Validate: func(v any) error {
				if v.(int) < 1 {
					return fmt.Errorf("must be at least 1")
				}
				return nil
			}},
		{Name: KeyCompressionType, Type: config.String, Default: CompressionNone, Parameter: "S3CompressionType",
			Enum: []string{CompressionNone, CompressionGzip},
			Doc:  "Compression of the objects: none, or gzip (objects named .json.gz, .bin.gz)."},
		{Name: KeyCompressionLevel, Type: config.Int, Default: "-1",
			Doc: "gzip level: -1 for the default, 0 (none) to 9 (best).",
			Validate: func(v any) error {
				if n := v.(int); n < -1 || n > 9 {
					return fmt.Errorf("must be between -1 and 9")
				}
				return nil
			}},
		{Name: KeyOffsetPadWidth, Type: config.Int, Default: "10",
			Doc: "Digits of the start offset in object names, zero-padded (offsets with more digits are written in full).",
			Validate: func(v any) error {
				if n := v.(int); n < 0 || n > 19 {
					return fmt.Errorf("must be between 0 and 19")
				}
				return nil
			}},
		{Name: KeyPartitionerClass, Type: config.Class, Default: DefaultPartitionerClass, Parameter: "PartitionerClass",
			Enum:    []string{DefaultPartitionerClass, FieldPartitionerClass, TimeBasedPartitionerClass, HourlyPartitionerClass, DailyPartitionerClass},
			Aliases: partitionerAliases,
			Doc:     "How records map to directories (the encoded partition): DefaultPartitioner by Kafka partition (partition=<p>); FieldPartitioner by the values of partition.field.name (<field>=<value>/...); TimeBasedPartitioner by a timestamp formatted with path.format; HourlyPartitioner and DailyPartitioner are TimeBasedPartitioner with path.format 'year'=YYYY/'month'=MM/'day'=dd(/'hour'=HH)."},
		{Name: KeyPartitionFieldName, Type: config.List, Parameter: "PartitionFieldName",
			Doc: "FieldPartitioner: the top-level fields of the record value, struct or schemaless map, whose values name the directories, in order. Values must be integers, strings or booleans."},
		{Name: KeyPathFormat, Type: config.String, Parameter: "PathFormat",
			Doc: "TimeBasedPartitioner: the directories of a time bucket, as a Joda-Time DateTimeFormat pattern, for example 'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH (quoted text is literal)."},
		{Name: KeyPartitionDurationMs, Type: config.Long, Default: "-1", Parameter: "PartitionDurationMs",
			Doc: "TimeBasedPartitioner: length of a time bucket in ms; timestamps are floored to it in the configured time zone (3600000 for hourly directories)."},
		{Name: KeyLocale, Type: config.String, Parameter: "Locale",
			Doc: "Time-based partitioners: the locale of path.format (for example en-US). Month and day names (MMM, EEE), halfday (a), era (G) and zone names (z) are written in English; other languages are rejected when path.format uses them."},
		{Name: KeyTimezone, Type: config.String, Parameter: "Timezone",
			Doc: "Time-based partitioners: the time zone of path.format and of the bucket boundaries, as an IANA name (UTC, Europe/Paris) or an offset (+05:30)."},
		{Name: KeyTimestampExtractor, Type: config.Class, Default: ExtractorWallclock, Parameter: "TimestampExtractor",
			Enum: []string{ExtractorWallclock, ExtractorRecord, ExtractorRecordField}, Aliases: extractorAliases,
			Doc: "Time-based partitioners: the time a record is filed under. Wallclock: when it is written (object names then depend on when a batch is retried); Record: the Kafka record's timestamp; RecordField: the value's field timestamp.field."},
		{Name: KeyTimestampField, Type: config.String, Default: "timestamp", Parameter: "TimestampField",
			Doc: "RecordField extractor: the value's field holding the timestamp (dots name nested fields): milliseconds since the epoch, a Connect Timestamp, or an ISO-8601 string (UTC unless it has an offset)."},
		{Name: KeyBehaviorOnNullValues, Type: config.String, Default: NullFail, Parameter: "BehaviorOnNullValues",
			Enum: []string{NullFail, NullIgnore, NullWrite},
			Doc:  "Records with a null value (tombstones): fail stops the batch, naming the record; ignore skips them; write writes them (JSON null, or an empty ByteArrayFormat record) under the encoded partition tombstone.encoded.partition, whatever the partitioner."},
		{Name: KeyTombstonePartition, Type: config.String, Default: "tombstone",
			Doc:      "With behavior.on.null.values=write: the encoded partition (directory) of null-valued records.",
			Validate: nonEmpty},
		{Name: KeyConditionalWrites, Type: config.Boolean, Default: "true",
			Doc: "Create objects only if absent (PutObject with If-None-Match: *): a write never replaces an object another writer created. Disable for stores without conditional writes."},
	}
	return &config.Spec{
		Connector: "s3-sink",
		Keys:      append(keys, sink.CommonKeys()...),
		Prefixes:  sink.Prefixes,
		Ignored:   sink.Ignored,
	}
}

// formatClasses lists the format classes the sink supports.
func formatClasses() []string {
	return []string{JSONFormatClass, ByteArrayFormatClass, AvroFormatClass, ParquetFormatClass}
}

func nonEmpty(v any) error {
	if v.(string) == "" {
		return fmt.Errorf("must not be empty")
	}
	return nil
}

func validateURL(v any) error {
	s := v.(string)
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an http:// or https:// URL")
	}
	return nil
}
