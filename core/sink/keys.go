package sink

import (
	"fmt"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/transforms"
)

// Setting names every sink shares.
const (
	KeyConnectorName      = "connector.name"
	KeyOffsetsTable       = "offsets.table"
	KeyKeyConverter       = "key.converter"
	KeyValueConverter     = "value.converter"
	KeyErrorsTolerance    = "errors.tolerance"
	KeyErrorsLogEnable    = "errors.log.enable"
	KeyErrorsLogMessages  = "errors.log.include.messages"
	KeyErrorsRetryTimeout = "errors.retry.timeout"
	KeyErrorsRetryDelay   = "errors.retry.delay.max.ms"
	KeyDLQTopic           = "errors.deadletterqueue.topic.name"
	KeyDLQContextHeaders  = "errors.deadletterqueue.context.headers.enable"
	KeyDLQBootstrap       = "errors.deadletterqueue.bootstrap.servers"
	// DLQProducerPrefix holds the dead-letter producer's Kafka client settings
	// (errors.deadletterqueue.producer.security.protocol, ...sasl.mechanism, ...).
	DLQProducerPrefix     = "errors.deadletterqueue.producer."
	KeyDLQS3Bucket        = "errors.deadletterqueue.s3.bucket.name"
	KeyDLQS3Prefix        = "errors.deadletterqueue.s3.prefix"
	KeyDLQSQSQueueURL     = "errors.deadletterqueue.sqs.queue.url"
	KeyLeaseMarginMs      = "offsets.lease.margin.ms"
	KeyPartitionParallel  = "partitions.concurrency"
	converterClassesDoc   = "org.apache.kafka.connect.json.JsonConverter, org.apache.kafka.connect.storage.StringConverter, org.apache.kafka.connect.converters.ByteArrayConverter, io.confluent.connect.avro.AvroConverter (Confluent Schema Registry: settings schema.registry.url, basic.auth.*, auto.register.schemas, ...) or com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter (AWS Glue Schema Registry: settings region, registry.name, schemaAutoRegistrationEnabled, ...), or their short names (JsonConverter, StringConverter, ByteArrayConverter, AvroConverter, AWSKafkaAvroConverter)"
	defaultLeaseMarginMs  = "30000"
	defaultPartitionsConc = "8"
)

// Prefixes are the setting prefixes a sink passes through to its converters.
var Prefixes = append([]string{"key.converter.", "value.converter.", DLQProducerPrefix}, transforms.Prefixes...)

// Ignored are Kafka Connect settings a sink accepts and ignores: the event-source mapping, not the
// connector, chooses topics and parallelism.
var Ignored = []string{"connector.class", "tasks.max", "topics", "topics.regex", "name"}

// CommonKeys returns the settings every sink connector shares; a connector's spec is its own keys
// followed by these.
func CommonKeys() []config.Key {
	return append(commonKeys(), transforms.SpecKeys()...)
}

func commonKeys() []config.Key {
	return []config.Key{
		{Name: KeyConnectorName, Type: config.String, Required: true, Parameter: "ConnectorName",
			Doc: "Name of this connector. Offsets are kept per connector name, topic and partition: renaming a connector starts it from the event-source mapping's position again.",
			Validate: func(v any) error {
				if s := v.(string); s == "" || len(s) > 200 {
					return fmt.Errorf("must be 1 to 200 characters")
				}
				return nil
			}},
		{Name: KeyOffsetsTable, Type: config.String, Parameter: "",
			Doc: "DynamoDB table that holds committed offsets and partition leases (template.yaml creates it). Required in Lambda; local runs may use a file store instead."},
		{Name: KeyKeyConverter, Type: config.String, Default: "org.apache.kafka.connect.storage.StringConverter", Parameter: "KeyConverter",
			Doc: "Converter for record keys: " + converterClassesDoc + ". Settings under key.converter.* go to it."},
		{Name: KeyValueConverter, Type: config.String, Default: "org.apache.kafka.connect.json.JsonConverter", Parameter: "ValueConverter",
			Doc: "Converter for record values: " + converterClassesDoc + ". Settings under value.converter.* go to it (for example value.converter.schemas.enable)."},
		{Name: KeyErrorsTolerance, Type: config.String, Default: "none", Enum: []string{"none", "all"}, Parameter: "ErrorsTolerance",
			Doc: "Behaviour on a record that cannot be converted or written: none fails the invocation, naming the record, and commits nothing past it; all sends it, with its original bytes and the reason, to the dead-letter destination (required) and moves on."},
		{Name: KeyErrorsLogEnable, Type: config.Boolean, Default: "false",
			Doc: "Log every record that fails (with errors.tolerance=none the failure is always logged)."},
		{Name: KeyErrorsLogMessages, Type: config.Boolean, Default: "false",
			Doc: "Include the failed record's key and value in those logs."},
		{Name: KeyErrorsRetryTimeout, Type: config.Long, Default: "0",
			Doc: "How long, in ms, a retriable failure (a write throttled or timed out, a schema registry outage while converting a record) is retried within the invocation, backing off up to errors.retry.delay.max.ms; then a write fails the invocation (Lambda retries the batch) and a record goes to errors.tolerance (dead-lettered under all, failing the invocation under none); -1 retries until the invocation's deadline.",
			Validate: func(v any) error {
				if v.(int64) < -1 {
					return fmt.Errorf("must be -1 or more")
				}
				return nil
			}},
		{Name: KeyErrorsRetryDelay, Type: config.Long, Default: "60000",
			Doc: "The longest wait, in ms, between two tries of a failed write.",
			Validate: func(v any) error {
				if v.(int64) < 1 {
					return fmt.Errorf("must be at least 1")
				}
				return nil
			}},
		{Name: KeyDLQTopic, Type: config.String, Parameter: "DeadLetterTopic",
			Doc: "Dead-letter destination: Kafka topic (it must exist) that receives every failed record with its original key, value and headers. Its cluster is errors.deadletterqueue.bootstrap.servers, or else the cluster the event came from; the producer's client settings (security.protocol, sasl.mechanism, ...) go under errors.deadletterqueue.producer.*."},
		{Name: KeyDLQContextHeaders, Type: config.Boolean, Default: "false",
			Doc: "Add Kafka Connect's __connect.errors.* headers (topic, partition, offset, connector, stage, exception class and message) to the records on the dead-letter topic."},
		{Name: KeyDLQBootstrap, Type: config.List,
			Doc: "Bootstrap servers of the dead-letter topic's cluster; empty: the cluster the Lambda event came from (its bootstrapServers)."},
		{Name: KeyDLQS3Bucket, Type: config.String, Parameter: "DeadLetterBucket",
			Doc: "Dead-letter destination: S3 bucket that receives one JSON object per failed record (original key, value and headers, base64, and Connect's __connect.errors.* context), named by its coordinates so retries never duplicate it."},
		{Name: KeyDLQS3Prefix, Type: config.String, Default: "dead-letters",
			Doc: "Key prefix of the dead-letter objects: <prefix>/<connector>/<topic>/<partition>/<offset>.json."},
		{Name: KeyDLQSQSQueueURL, Type: config.String, Parameter: "DeadLetterQueueUrl",
			Doc: "Dead-letter destination: URL of an SQS queue that receives one message per failed record, ten per SendMessageBatch call. The body is the original value (base64 when it is not text SQS accepts, as the lambdaconnect.value.encoding attribute says); attributes carry __connect.errors.topic, partition, offset, stage, exception.class.name and exception.message, lambdaconnect.error.class, the key (lambdaconnect.key, binary) and the rest as JSON (lambdaconnect.context). A record over 256 KiB once encoded fails the batch: use the S3 destination for such records. A FIFO queue (.fifo) deduplicates retried letters."},
		{Name: KeyLeaseMarginMs, Type: config.Long, Default: defaultLeaseMarginMs,
			Doc: "How long a partition lease outlives the invocation's deadline, in ms. Lambda stops an invocation at its deadline; the margin covers clock skew and requests in flight, and bounds how long a killed invocation blocks its partition.",
			Validate: func(v any) error {
				if v.(int64) < 0 {
					return fmt.Errorf("must not be negative")
				}
				return nil
			}},
		{Name: KeyPartitionParallel, Type: config.Int, Default: defaultPartitionsConc,
			Doc: "How many partitions of one batch are written at the same time.",
			Validate: func(v any) error {
				if n := v.(int); n < 1 || n > 256 {
					return fmt.Errorf("must be between 1 and 256")
				}
				return nil
			}},
	}
}
