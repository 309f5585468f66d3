package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lambda-connect/lambda-connect/connectors/dynamodbsink"
	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// connector is a connector the command line validates, imports and runs.
type connector struct {
	// name is the connector's name in docs and templates ("s3-sink").
	name string
	// classes are the Kafka Connect connector classes it stands in for (connector.class).
	classes []string
	spec    func() *config.Spec
	// check applies the rules that span several settings (the connector's ConfigFrom).
	check func(c *config.Config) error
	// newSink builds the connector's sink and its client from parsed settings, as its function
	// does at cold start. It makes no network call.
	newSink func(ctx context.Context, c *config.Config) (sink.Sink, error)
	// noEquivalent maps the Kafka Connect settings of the classes that have no equivalent here
	// to the reason, for import.
	noEquivalent map[string]string
	// defaults are Kafka Connect defaults that differ from this connector's, which import writes
	// explicitly when the configuration leaves them out, with the reason.
	defaults map[string][2]string
}

// connectorList returns the connectors the command line knows, by name. Add a connector here.
func connectorList() []*connector {
	return []*connector{s3SinkConnector(), dynamoDBSinkConnector()}
}

// connectorNames lists the names of the known connectors.
func connectorNames() []string {
	var names []string
	for _, c := range connectorList() {
		names = append(names, c.name)
	}
	return names
}

// findConnector returns the connector called name.
func findConnector(name string) (*connector, error) {
	for _, c := range connectorList() {
		if c.name == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("unknown connector %q (known: %s)", name, strings.Join(connectorNames(), ", "))
}

// connectorForClass returns the connector standing in for a Kafka Connect connector class.
func connectorForClass(class string) (*connector, bool) {
	short := class[strings.LastIndexByte(class, '.')+1:]
	for _, c := range connectorList() {
		for _, k := range c.classes {
			if k == class || k[strings.LastIndexByte(k, '.')+1:] == short {
				return c, true
			}
		}
	}
	return nil, false
}

func s3SinkConnector() *connector {
	const cloudObjects = "objects are written once per invocation, in one PUT, not rotated: the event-source mapping's BatchSize and MaximumBatchingWindowInSeconds bound how many records, and how long, an object gathers"
	return &connector{
		name:    "s3-sink",
		classes: []string{"io.confluent.connect.s3.S3SinkConnector"},
		spec:    s3sink.Spec,
		check: func(c *config.Config) error {
			_, err := s3sink.ConfigFrom(c)
			return err
		},
		newSink: func(ctx context.Context, c *config.Config) (sink.Sink, error) {
			return s3sink.Open(ctx, c)
		},
		noEquivalent: map[string]string{
			"rotate.interval.ms":                     cloudObjects,
			"rotate.schedule.interval.ms":            cloudObjects,
			"s3.part.size":                           "an object is sent in one PUT, not a multipart upload",
			"s3.part.retries":                        "retries are the AWS SDK's and errors.retry.timeout's",
			"s3.retry.backoff.ms":                    "retries are the AWS SDK's and errors.retry.timeout's",
			"retry.backoff.ms":                       "retries are the AWS SDK's and errors.retry.timeout's",
			"schema.generator.class":                 "no Hive integration",
			"storage.class":                          "the store is always S3 (or an S3-compatible store.url)",
			"s3.credentials.provider.class":          "credentials are the function's IAM role (locally: the AWS SDK's default chain)",
			"aws.access.key.id":                      "credentials are the function's IAM role (locally: the AWS SDK's default chain)",
			"aws.secret.access.key":                  "credentials are the function's IAM role (locally: the AWS SDK's default chain)",
			"s3.ssea.name":                           "set the bucket's default encryption instead",
			"s3.sse.kms.key.id":                      "set the bucket's default encryption (SSE-KMS with that key) instead",
			"s3.sse.customer.key":                    "SSE-C is not supported: set the bucket's default encryption instead",
			"s3.acl.canned":                          "object ACLs are not set: use the bucket's policy (and Object Ownership)",
			"s3.object.tagging":                      "objects are not tagged",
			"s3.http.send.expect.continue":           "the AWS SDK decides",
			"s3.wan.mode":                            "no transfer acceleration",
			"s3.proxy.url":                           "use the function's VPC networking (HTTPS_PROXY locally)",
			"s3.proxy.user":                          "use the function's VPC networking (HTTPS_PROXY locally)",
			"s3.proxy.password":                      "use the function's VPC networking (HTTPS_PROXY locally)",
			"s3.elastic.buffer.enable":               "objects are built in memory per invocation",
			"s3.elastic.buffer.init.capacity":        "objects are built in memory per invocation",
			"store.kafka.keys":                       "only record values are written",
			"store.kafka.headers":                    "only record values are written",
			"keys.format.class":                      "only record values are written",
			"headers.format.class":                   "only record values are written",
			"enhanced.avro.schema.support":           "the Avro and Parquet schemas are derived from the records' value schemas, with no options",
			"connect.meta.data":                      "the Avro and Parquet schemas are derived from the records' value schemas, with no options",
			"hive.integration":                       "no Hive integration",
			"hive.metastore.uris":                    "no Hive integration",
			"hive.database":                          "no Hive integration",
			"hive.conf.dir":                          "no Hive integration",
			"hive.home":                              "no Hive integration",
			"shutdown.timeout.ms":                    "an invocation ends at its deadline (the function's timeout)",
			"filename.offset.zero.pad.width.enabled": "object names always pad the offset (filename.offset.zero.pad.width)",
			"report.null.values.to.dlq":              "null values follow behavior.on.null.values",
		},
		defaults: map[string][2]string{
			s3sink.KeyRegion: {"us-west-2", "Confluent's default s3.region; Lambda Connect's is the function's region: remove it if the bucket is in the function's region"},
		},
	}
}

func dynamoDBSinkConnector() *connector {
	return &connector{
		name:    "dynamodb-sink",
		classes: []string{"io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector"},
		spec:    dynamodbsink.Spec,
		check: func(c *config.Config) error {
			_, err := dynamodbsink.ConfigFrom(c)
			return err
		},
		newSink: func(ctx context.Context, c *config.Config) (sink.Sink, error) {
			return dynamodbsink.Open(ctx, c)
		},
	}
}

// Kafka Connect settings every connector may carry that mean nothing here, with the reason.
var connectNoEquivalent = map[string]string{
	"tasks.max":                         "the event-source mapping scales the function per partition",
	"topics.regex":                      "an event-source mapping reads named topics: list them in Topics",
	"header.converter":                  "headers are passed through as bytes",
	"config.action.reload":              "a configuration change is a deployment",
	"errors.deadletterqueue.topic.name": "dead letters go to S3 here: set errors.deadletterqueue.s3.bucket.name (DeadLetterBucket)",
	"errors.deadletterqueue.topic.replication.factor": "dead letters go to S3 here",
	"errors.deadletterqueue.context.headers.enable":   "dead letters always carry Connect's __connect.errors.* context",
}

// noEquivalentPrefixes are Kafka Connect setting prefixes with no equivalent, with the reason.
var noEquivalentPrefixes = [][2]string{
	{"transforms", "single message transforms are not supported: transform upstream (or in a Kafka Streams / Flink job)"},
	{"predicates", "single message transforms (and their predicates) are not supported"},
	{"consumer.override.", "the event-source mapping is the consumer: set BatchSize, MaximumBatchingWindowInSeconds and StartingPosition"},
	{"producer.override.", "sink connectors produce nothing"},
	{"admin.override.", "no admin client"},
}

// settings are a connector's settings as given, with where each came from.
type settings struct {
	props   map[string]string
	sources map[string]string // key -> CONNECT_* variable or file path
}

// collectSettings merges a settings file (when path is not empty) and the CONNECT_* variables of
// environ, as config.Load does: a file's "name" is connector.name, and a variable set to blanks
// counts as unset.
func collectSettings(spec *config.Spec, environ []string, path string) (settings, error) {
	s := settings{props: map[string]string{}, sources: map[string]string{}}
	if path != "" {
		fileProps, err := config.ReadFile(path)
		if err != nil {
			return s, err
		}
		for k, v := range fileProps {
			s.props[k], s.sources[k] = v, path
		}
		if n, ok := fileProps["name"]; ok && spec.Key(sink.KeyConnectorName) != nil {
			if _, set := fileProps[sink.KeyConnectorName]; !set {
				s.props[sink.KeyConnectorName], s.sources[sink.KeyConnectorName] = n, path
				delete(s.props, "name")
				delete(s.sources, "name")
			}
		}
	}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(value) == "" {
			continue
		}
		if key, ok := config.KeyName(name); ok {
			s.props[key], s.sources[key] = value, name
		}
	}
	return s, nil
}

// loadConfig loads the settings of spec as the function does at cold start: from the CONNECT_*
// variables and the settings file, the one file names (--file, --connector-config) or else
// the one CONNECTOR_CONFIG_FILE names.
func loadConfig(e *env, spec *config.Spec, file string) (*config.Config, error) {
	environ := environOf(e)
	if file != "" {
		environ = append(environ, config.FileEnv+"="+file)
	}
	return config.Load(spec, environ)
}

// checked is a configuration checked as the function checks it at cold start, and beyond.
type checked struct {
	// config is the parsed configuration; nil when any problem was found.
	config   *config.Config
	settings settings
	// problems are every invalid setting, in the order: parsing, rules across settings,
	// converters, dead letters.
	problems config.Problems
	// notes are remarks that are no problem (settings without effect, a setting the template
	// sets).
	notes []string
}

// checkConfig checks the connector's settings from environ's CONNECT_* variables and the file at
// path (or the one CONNECTOR_CONFIG_FILE names when path is empty), reporting every problem:
// what config.Load reports, and then, on the settings that parsed, the connector's rules across
// settings, the converters' settings and the dead-letter destination. It fails only when the
// file cannot be read.
func checkConfig(cn *connector, environ []string, path string) (*checked, error) {
	spec := cn.spec()
	env := slices.Clone(environ)
	if path != "" {
		env = append(env, config.FileEnv+"="+path) // the last one wins
	} else {
		for _, kv := range environ {
			if v, ok := strings.CutPrefix(kv, config.FileEnv+"="); ok {
				path = v
			}
		}
	}
	out := &checked{}
	var err error
	if out.settings, err = collectSettings(spec, environ, path); err != nil {
		return nil, err
	}
	c, err := config.Load(spec, env)
	if err != nil {
		var probs config.Problems
		if !errors.As(err, &probs) {
			return nil, err
		}
		out.problems = append(out.problems, probs...)
		c = standIn(spec, out.settings.props, probs)
	}
	if c == nil {
		return out, nil // too broken for the checks across settings
	}
	known := map[string]bool{}
	for _, p := range out.problems {
		known[p.Key] = true
	}
	add := func(ps ...config.Problem) {
		for _, p := range ps {
			if known[p.Key] {
				continue
			}
			known[p.Key] = true
			if p.Source == "" {
				p.Source = out.settings.sources[p.Key]
			}
			out.problems = append(out.problems, p)
		}
	}
	if err := cn.check(c); err != nil {
		add(problemsOf(err)...)
	}
	reg, err := converterRegistry()
	if err != nil {
		return out, err
	}
	for _, conv := range []struct {
		key   string
		isKey bool
	}{{sink.KeyKeyConverter, true}, {sink.KeyValueConverter, false}} {
		if _, err := reg.New(c.String(conv.key), conv.isKey, c.Sub(conv.key+".")); err != nil {
			add(problemsOf(err)...)
		}
	}
	if c.String(sink.KeyErrorsTolerance) == "all" && !hasDeadLetterDestination(c) {
		add(config.Problem{Key: sink.KeyErrorsTolerance, Message: "all needs a dead-letter destination: set " +
			sink.KeyDLQS3Bucket + " (" + config.EnvName(sink.KeyDLQS3Bucket) + "), errors.deadletterqueue.topic.name or " +
			sink.KeyDLQSQSQueueURL + ", or a bad record would be dropped silently"})
	}
	if len(out.problems) > 0 {
		return out, nil
	}
	out.config = c
	if ign := c.Ignored(); len(ign) > 0 {
		out.notes = append(out.notes, fmt.Sprintf("accepted for Kafka Connect compatibility, without effect: %s (the event-source mapping chooses topics and parallelism)", strings.Join(ign, ", ")))
	}
	if spec.Key(sink.KeyOffsetsTable) != nil && c.String(sink.KeyOffsetsTable) == "" {
		out.notes = append(out.notes, sink.KeyOffsetsTable+" is not set: template.yaml sets it ("+config.EnvName(sink.KeyOffsetsTable)+"); a function deployed otherwise needs it, and `run` needs it or --offsets-file")
	}
	return out, nil
}

// hasDeadLetterDestination reports whether c names a dead-letter destination.
func hasDeadLetterDestination(c *config.Config) bool {
	for _, k := range []string{sink.KeyDLQS3Bucket, "errors.deadletterqueue.topic.name", sink.KeyDLQSQSQueueURL} {
		if c.Spec().Key(k) != nil && c.String(k) != "" {
			return true
		}
	}
	return false
}

// standIn parses props again without the settings probs name, with a valid stand-in for each
// missing required setting, so that the checks across settings can run on the rest. It returns
// nil when that does not parse either.
func standIn(spec *config.Spec, props map[string]string, probs config.Problems) *config.Config {
	rest := map[string]string{}
	for k, v := range props {
		rest[k] = v
	}
	for _, p := range probs {
		delete(rest, p.Key)
		k := spec.Key(p.Key)
		if k == nil || !k.Required {
			continue
		}
		switch {
		case len(k.Enum) > 0:
			rest[p.Key] = k.Enum[0]
		case k.Type == config.Int || k.Type == config.Long || k.Type == config.Double:
			rest[p.Key] = "1"
		case k.Type == config.Boolean:
			rest[p.Key] = "false"
		default:
			rest[p.Key] = "stand-in"
		}
	}
	c, err := spec.Parse(rest)
	if err != nil {
		return nil
	}
	return c
}

// problemsOf turns an error about settings into problems: the config.Problems it wraps, or one
// problem about the setting an errclass.Error names.
func problemsOf(err error) config.Problems {
	var probs config.Problems
	if errors.As(err, &probs) {
		return probs
	}
	var e *errclass.Error
	if errors.As(err, &e) && e.Subject != "" && e.Err != nil {
		return config.Problems{{Key: e.Subject, Message: e.Err.Error()}}
	}
	return config.Problems{{Key: "configuration", Message: err.Error()}}
}

// sortedKeys returns m's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare[string])
	return keys
}
