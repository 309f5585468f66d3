package sink

import (
	"fmt"

	"github.com/lambda-connect/lambda-connect/core/config"
)

// Setting names every sink shares.
const (
	KeyConnectorName      = "connector.name"
	KeyOffsetsTable       = "offsets.table"
	KeyKeyConverter       = "key.converter"
	KeyValueConverter     = "value.converter"
	KeyErrorsTolerance    = "errors.tolerance"
	KeyLeaseMarginMs      = "offsets.lease.margin.ms"
	KeyPartitionParallel  = "partitions.concurrency"
	converterClassesDoc   = "org.apache.kafka.connect.json.JsonConverter, org.apache.kafka.connect.storage.StringConverter, org.apache.kafka.connect.converters.ByteArrayConverter (or JsonConverter, StringConverter, ByteArrayConverter)"
	defaultLeaseMarginMs  = "30000"
	defaultPartitionsConc = "8"
)

// Prefixes are the setting prefixes a sink passes through to its converters.
var Prefixes = []string{"key.converter.", "value.converter."}

// Ignored are Kafka Connect settings a sink accepts and ignores: the event-source mapping, not the
// connector, chooses topics and parallelism.
var Ignored = []string{"connector.class", "tasks.max", "topics", "topics.regex", "name"}

// CommonKeys returns the settings every sink connector shares; a connector's spec is its own keys
// followed by these.
func CommonKeys() []config.Key {
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
		{Name: KeyErrorsTolerance, Type: config.String, Default: "none", Enum: []string{"none"}, Parameter: "ErrorsTolerance",
			Doc: "Behaviour on a record that cannot be converted or written: none fails the invocation, naming the record, and commits nothing past it. (all, with a dead-letter destination, comes with the error-handling work.)"},
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
