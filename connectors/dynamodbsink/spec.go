package dynamodbsink

import (
	"fmt"
	"net/url"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// Setting names. The aws.dynamodb.* settings and table.name.format are Confluent's DynamoDB sink
// connector's (io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector); the others are this
// connector's own.
const (
	KeyTableNameFormat = "table.name.format"
	KeyPKHash          = "aws.dynamodb.pk.hash"
	KeyPKSort          = "aws.dynamodb.pk.sort"
	KeyRegion          = "aws.dynamodb.region"
	KeyEndpoint        = "aws.dynamodb.endpoint"
	KeyMaxRetrySeconds = "aws.dynamodb.max.retry.time.seconds"

	KeyDeleteEnabled     = "delete.enabled"
	KeyValueAttribute    = "value.attribute.name"
	KeyValueFields       = "value.fields"
	KeySourcePrefix      = "source.attribute.prefix"
	KeyWriteStrategy     = "dynamodb.write.strategy"
	KeyWriteConcurrency  = "dynamodb.write.concurrency"
	defaultWriteParallel = "16"
)

// Write strategies (values of dynamodb.write.strategy).
const (
	// StrategyAuto writes with BatchWriteItem when the primary key holds the record's offset
	// (every item is then written by one record only: nothing to order) and with conditional
	// PutItem/DeleteItem otherwise.
	StrategyAuto = "auto"
	// StrategyConditional writes every item with a conditional PutItem or DeleteItem, several
	// requests at a time.
	StrategyConditional = "conditional"
	// StrategyTransact writes items in TransactWriteItems requests of up to 100, each write
	// conditional.
	StrategyTransact = "transact"
	// StrategyBatch writes items with BatchWriteItem (25 per request), unconditionally: replays
	// of uncommitted records can roll an item back until the partition catches up again. Use it
	// only where every item is written once (the primary key holds the offset); auto does.
	StrategyBatch = "batch"
)

// NoSortKey is the value of aws.dynamodb.pk.sort that names a table without a sort key, for
// where an empty value cannot be given (an empty CONNECT_* variable counts as unset).
const NoSortKey = "none"

// Spec returns the dynamodb-sink connector's configuration specification: its own settings
// followed by the settings every sink shares (sink.CommonKeys).
func Spec() *config.Spec {
	keys := []config.Key{
		{Name: KeyTableNameFormat, Type: config.String, Default: "${topic}",
			Doc:      "The DynamoDB table each record is written to; ${topic} is replaced by the record's topic. The table must exist, with the key attributes aws.dynamodb.pk.hash and aws.dynamodb.pk.sort name (this connector does not create tables). template.yaml sets it from DynamoDbTableName.",
			Validate: validateTableFormat},
		{Name: KeyPKHash, Type: config.String, Default: "partition", Parameter: "DynamoDbPkHash",
			Doc: "The table's hash (partition) key: a record reference with an optional :alias naming the attribute. References: partition (the Kafka partition), offset (the Kafka offset), key (the whole record key), key.<dotted.path> (a field of the key), value (the whole value), value.<dotted.path> (a field of the value). Without an alias the attribute is named after the reference's last part (partition, offset, key, value or the field's name). The key value must be a string, a number or bytes.",
			Validate: func(v any) error {
				_, err := parseRef(v.(string))
				return err
			}},
		{Name: KeyPKSort, Type: config.String, Default: "offset", Parameter: "DynamoDbPkSort",
			Doc: "The table's sort (range) key, a record reference as for aws.dynamodb.pk.hash; empty (or none, as an empty CONNECT_* variable counts as unset) for a table without a sort key.",
			Validate: func(v any) error {
				s := v.(string)
				if s == "" || s == NoSortKey {
					return nil
				}
				_, err := parseRef(s)
				return err
			}},
		{Name: KeyRegion, Type: config.String,
			Doc: "AWS region of the table. Empty: the function's region (AWS_REGION), as the AWS SDK resolves it."},
		{Name: KeyEndpoint, Type: config.String,
			Doc:      "Endpoint of DynamoDB (http(s)://host:port), for DynamoDB Local or a VPC endpoint. Empty: AWS_ENDPOINT_URL_DYNAMODB (or AWS_ENDPOINT_URL) when set, else the region's endpoint.",
			Validate: validateURL},
		{Name: KeyMaxRetrySeconds, Type: config.Long, Default: "5", Parameter: "DynamoDbMaxRetryTimeSeconds",
			Doc: "How long, in seconds, a throttled or unprocessed write is retried (with jittered exponential backoff) before the invocation fails and Lambda retries the batch. The invocation's deadline bounds it too.",
			Validate: func(v any) error {
				if n := v.(int64); n < 0 || n > 900 {
					return fmt.Errorf("must be between 0 and 900")
				}
				return nil
			}},
		{Name: KeyDeleteEnabled, Type: config.Boolean, Default: "false", Parameter: "DeleteEnabled",
			Doc: "Records with a null value (tombstones) delete the item their key names (as in Confluent's JDBC sink). The primary key must then come from the record key and partition only (key, key.<path>, partition), since a tombstone has no value. false: tombstones are skipped."},
		{Name: KeyValueAttribute, Type: config.String, Parameter: "ValueAttributeName",
			Doc: "The attribute that holds the whole record value (a struct or map as M). Empty: a struct or map value's fields become the item's top-level attributes, and any other value (string, number, bytes, array) goes to the attribute value."},
		{Name: KeyValueFields, Type: config.List, Parameter: "ValueFields",
			Doc: "The value's fields that are written, each as <dotted.path>[:alias] (the attribute is the alias, else the path's last part). Empty: every field. Key attributes and the source attributes are written whatever this says and win over a value field of the same name.",
			Validate: func(v any) error {
				for _, f := range v.([]string) {
					if _, err := parseField(f); err != nil {
						return err
					}
				}
				return nil
			}},
		{Name: KeySourcePrefix, Type: config.String, Default: "_kafka_",
			Doc: "Prefix of the attributes every item carries: <prefix>topic, <prefix>partition and <prefix>offset, the record it was written from. A write applies only when the item holds no record of the same topic and partition with an offset as high (the ordering guarantee); do not write these attributes from elsewhere.",
			Validate: func(v any) error {
				if v.(string) == "" {
					return fmt.Errorf("must not be empty")
				}
				return nil
			}},
		{Name: KeyWriteStrategy, Type: config.String, Default: StrategyAuto,
			Enum: []string{StrategyAuto, StrategyConditional, StrategyTransact, StrategyBatch},
			Doc:  "How items are written (chosen by measurement, see the README). auto: BatchWriteItem when the primary key holds the offset (each item is then written by one record only, so a condition could change nothing), else conditional PutItem/DeleteItem, dynamodb.write.concurrency at a time. conditional: always the latter. transact: TransactWriteItems of up to 100 conditional writes (twice the write units). batch: always BatchWriteItem, without conditions (an uncommitted attempt's newer writes can be rolled back by a retry until the partition catches up)."},
		{Name: KeyWriteConcurrency, Type: config.Int, Default: defaultWriteParallel,
			Doc: "How many write requests of one partition are in flight at once (the items of one batch have distinct keys, so their order does not matter).",
			Validate: func(v any) error {
				if n := v.(int); n < 1 || n > 256 {
					return fmt.Errorf("must be between 1 and 256")
				}
				return nil
			}},
	}
	// The template deploys this sink next to the S3 sink, so its copies of the common settings
	// have their own parameters (DynamoDbConnectorName, ...).
	common := sink.CommonKeys()
	for i := range common {
		if common[i].Parameter != "" {
			common[i].Parameter = "DynamoDb" + common[i].Parameter
		}
	}
	return &config.Spec{
		Connector: "dynamodb-sink",
		Keys:      append(keys, common...),
		Prefixes:  sink.Prefixes,
		Ignored:   append(append([]string(nil), sink.Ignored...), "aws.dynamodb.credentials.provider.class"),
	}
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

func validateTableFormat(v any) error {
	_, err := tableName(v.(string), "topic")
	return err
}
