package glueregistry

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/glue"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// ConverterClass is the Connect class name of Glue's Avro converter.
const ConverterClass = "com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter"

// ConverterShortName is the class's simple name, accepted as well.
const ConverterShortName = "AWSKafkaAvroConverter"

// IsConverterClass reports whether a key.converter / value.converter class names this converter
// (ConverterClass or ConverterShortName).
func IsConverterClass(class string) bool {
	class = strings.TrimSpace(class)
	return class == ConverterClass || class == ConverterShortName
}

// The converter's settings, by the names of Glue's serializers (AWSSchemaRegistryConstants).
const (
	RegionProp         = "region"
	EndpointProp       = "endpoint"
	RegistryNameProp   = "registry.name"
	SchemaNameProp     = "schemaName"
	DataFormatProp     = "dataFormat"
	AutoRegisterProp   = "schemaAutoRegistrationEnabled"
	CompatibilityProp  = "compatibility"
	CompressionProp    = "compression"
	AvroRecordTypeProp = "avroRecordType"
	CacheSizeProp      = "cacheSize"
	TimeToLiveProp     = "timeToLiveMillis"
	DescriptionProp    = "description"
	// SchemasEnableProp is accepted as Connect converters are often given it; it changes nothing.
	SchemasEnableProp = "schemas.enable"
)

// Config configures the converter.
type Config struct {
	// Region and Endpoint locate the registry (the SDK's default region when Region is empty).
	Region, Endpoint string
	// RegistryName (default-registry) and SchemaName (the topic when empty) are where FromConnect
	// looks schemas up and registers them.
	RegistryName, SchemaName string
	AutoRegister             bool
	Compatibility            string // NONE, DISABLED, BACKWARD, BACKWARD_ALL, FORWARD, FORWARD_ALL, FULL, FULL_ALL
	Compress                 bool   // compression=ZLIB
	AvroRecordType           string // GENERIC_RECORD or SPECIFIC_RECORD: both give Connect data here
	CacheSize                int
	Description              string
	// Timeout bounds each registry call made by the converter (30s when zero).
	Timeout time.Duration
	// IsKey is set by NewConverter.
	IsKey bool
}

var compatibilities = []string{"NONE", "DISABLED", "BACKWARD", "BACKWARD_ALL", "FORWARD", "FORWARD_ALL", "FULL", "FULL_ALL"}

var knownProps = []string{RegionProp, EndpointProp, RegistryNameProp, SchemaNameProp, DataFormatProp,
	AutoRegisterProp, CompatibilityProp, CompressionProp, AvroRecordTypeProp, CacheSizeProp, TimeToLiveProp,
	DescriptionProp, SchemasEnableProp}

// ConfigFromProps reads the converter's settings (the key.converter. or value.converter. prefix
// stripped). An unknown setting or an invalid value is an errclass.BadConfig error naming it.
func ConfigFromProps(props map[string]string) (Config, error) {
	c := Config{RegistryName: DefaultRegistryName, Compatibility: "BACKWARD", AvroRecordType: "GENERIC_RECORD"}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.TrimSpace(props[k])
		switch k {
		case RegionProp:
			c.Region = v
		case EndpointProp:
			if v != "" && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
				return Config{}, errclass.Config(k, "must be an http(s) URL, got %q", v)
			}
			c.Endpoint = v
		case RegistryNameProp:
			if v == "" {
				return Config{}, errclass.Config(k, "must not be empty")
			}
			c.RegistryName = v
		case SchemaNameProp:
			c.SchemaName = v
		case DataFormatProp:
			if !strings.EqualFold(v, "AVRO") {
				return Config{}, errclass.Config(k, "the AWSKafkaAvroConverter reads and writes AVRO, got %q", v)
			}
		case AutoRegisterProp, SchemasEnableProp:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return Config{}, errclass.Config(k, "must be true or false, got %q", v)
			}
			if k == AutoRegisterProp {
				c.AutoRegister = b
			}
		case CompatibilityProp:
			up := strings.ToUpper(v)
			if !contains(compatibilities, up) {
				return Config{}, errclass.Config(k, "unknown compatibility %q (one of %s)", v, strings.Join(compatibilities, ", "))
			}
			c.Compatibility = up
		case CompressionProp:
			switch strings.ToUpper(v) {
			case "NONE", "":
				c.Compress = false
			case "ZLIB":
				c.Compress = true
			default:
				return Config{}, errclass.Config(k, "must be NONE or ZLIB, got %q", v)
			}
		case AvroRecordTypeProp:
			up := strings.ToUpper(v)
			if up != "GENERIC_RECORD" && up != "SPECIFIC_RECORD" {
				return Config{}, errclass.Config(k, "must be GENERIC_RECORD or SPECIFIC_RECORD, got %q", v)
			}
			c.AvroRecordType = up
		case CacheSizeProp:
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return Config{}, errclass.Config(k, "must be a non-negative integer, got %q", v)
			}
			c.CacheSize = n
		case TimeToLiveProp:
			// Schema versions are immutable: they are cached for the life of the function.
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
				return Config{}, errclass.Config(k, "must be a non-negative integer (milliseconds), got %q", v)
			}
		case DescriptionProp:
			c.Description = v
		default:
			return Config{}, errclass.Config(k, "unknown %s setting (known: %s)", "AWSKafkaAvroConverter", strings.Join(knownProps, ", "))
		}
	}
	return c, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// NewGlueAPI returns a Glue client for cfg's region and endpoint, with the SDK's default
// credentials (the function's role), or what opts set.
func NewGlueAPI(ctx context.Context, cfg Config, opts ...func(*awsconfig.LoadOptions) error) (*glue.Client, error) {
	if cfg.Region != "" {
		opts = append([]func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(cfg.Region)}, opts...)
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, RegionProp, err)
	}
	if ac.Region == "" {
		return nil, errclass.Config(RegionProp, "no region: set region or AWS_REGION")
	}
	return glue.NewFromConfig(ac, func(o *glue.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	}), nil
}
