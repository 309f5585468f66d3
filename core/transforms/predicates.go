package transforms

import (
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// The predicates of org.apache.kafka.connect.transforms.predicates.

const predicatePackage = connectPackage + "predicates."

// TopicNameMatches is true for records whose whole topic name matches pattern.
func topicNameMatchesDef() PredicateDefinition {
	return PredicateDefinition{
		Class: predicatePackage + "TopicNameMatches",
		Doc:   "A predicate which is true for records with a topic name that matches the configured regular expression.",
		Keys: []config.Key{{Name: "pattern", Type: config.String, Required: true,
			Doc: "A Java regular expression for matching against the name of a record's topic (where Go's RE2 agrees with Java's syntax).",
			Validate: func(v any) error {
				if err := nonEmptyString(v); err != nil {
					return err
				}
				_, err := CompileJavaRegex(v.(string))
				return err
			}}},
		New: func(s Settings) (Predicate, error) {
			re, err := CompileJavaRegex(s.String("pattern"))
			if err != nil {
				return nil, Invalid("pattern", "entry must be a Java-compatible regular expression: %v", err)
			}
			return topicNameMatches{re}, nil
		},
	}
}

type topicNameMatches struct{ re *JavaRegexp }

func (topicNameMatches) metadataOnly() {}

func (p topicNameMatches) Test(r record.Record) bool { return p.re.Matches(r.Topic) }

// HasHeaderKey is true for records with at least one header named name.
func hasHeaderKeyDef() PredicateDefinition {
	return PredicateDefinition{
		Class: predicatePackage + "HasHeaderKey",
		Doc:   "A predicate which is true for records with at least one header with the configured name.",
		Keys:  []config.Key{{Name: "name", Type: config.String, Required: true, Validate: nonEmptyString, Doc: "The header name."}},
		New: func(s Settings) (Predicate, error) {
			return hasHeaderKey(s.String("name")), nil
		},
	}
}

type hasHeaderKey string

func (hasHeaderKey) metadataOnly() {}

func (p hasHeaderKey) Test(r record.Record) bool {
	for _, h := range r.Headers {
		if h.Key == string(p) {
			return true
		}
	}
	return false
}

// RecordIsTombstone is true for records whose value is null (after the transforms before it).
func recordIsTombstoneDef() PredicateDefinition {
	return PredicateDefinition{
		Class: predicatePackage + "RecordIsTombstone",
		Doc:   "A predicate which is true for records which are tombstones (i.e. have null value).",
		New:   func(Settings) (Predicate, error) { return recordIsTombstone{}, nil },
	}
}

type recordIsTombstone struct{}

// metadataOnly: a JSON object a Chain is still editing is never null, and the stale data the
// record holds meanwhile is not null either.
func (recordIsTombstone) metadataOnly() {}

func (recordIsTombstone) Test(r record.Record) bool { return isNull(r.ValueData) }
