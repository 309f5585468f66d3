// Package subjectname holds Confluent's subject name strategies: how a schema-registry converter
// names the subject a record's schema is registered and looked up under (TopicNameStrategy,
// RecordNameStrategy, TopicRecordNameStrategy), parsed from Confluent's class names or their
// simple names.
//
// The package is pure: no AWS SDK, no Kafka client, no registry client.
package subjectname

import (
	"fmt"
	"strings"
)

// Package is the Java package of Confluent's subject name strategy classes.
const Package = "io.confluent.kafka.serializers.subject."

// Strategy names the registry subject a schema is registered under. Its value is the
// strategy's Confluent class name.
type Strategy string

// The subject name strategies, by their Confluent class names.
const (
	// TopicNameStrategy is <topic>-key or <topic>-value (the default).
	TopicNameStrategy Strategy = Package + "TopicNameStrategy"
	// RecordNameStrategy is the schema's (record's, message's) name.
	RecordNameStrategy Strategy = Package + "RecordNameStrategy"
	// TopicRecordNameStrategy is <topic>-<schema name>.
	TopicRecordNameStrategy Strategy = Package + "TopicRecordNameStrategy"
)

// Known lists the strategies' simple names, for error messages.
const Known = "TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy"

// Parse accepts a strategy's class name or its simple name (TopicNameStrategy), surrounding
// spaces ignored; "" is TopicNameStrategy.
func Parse(s string) (Strategy, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return TopicNameStrategy, true
	}
	switch st := Strategy(Package + strings.TrimPrefix(s, Package)); st {
	case TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy:
		return st, true
	}
	return "", false
}

// Choose returns the strategy in force for a key (isKey) or a value converter, parsed ("" and
// an unknown name are TopicNameStrategy: validate settings before).
func Choose(isKey bool, key, value Strategy) Strategy {
	s := value
	if isKey {
		s = key
	}
	p, ok := Parse(string(s))
	if !ok {
		return TopicNameStrategy
	}
	return p
}

// Subject returns the subject for a record of topic whose schema is named recordName. The
// record-name strategies need a name.
func (s Strategy) Subject(topic string, isKey bool, recordName string) (string, error) {
	switch s {
	case TopicNameStrategy, "":
		if isKey {
			return topic + "-key", nil
		}
		return topic + "-value", nil
	case RecordNameStrategy, TopicRecordNameStrategy:
		if recordName == "" {
			return "", fmt.Errorf("%s needs a named schema (a struct with a name)", s)
		}
		if s == RecordNameStrategy {
			return recordName, nil
		}
		return topic + "-" + recordName, nil
	}
	return "", fmt.Errorf("unknown subject name strategy %q", s)
}
