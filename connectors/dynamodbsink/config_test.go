package dynamodbsink

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

func TestSpecIsWellFormed(t *testing.T) {
	if err := Spec().Check(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigFrom(t *testing.T) {
	for _, c := range []struct {
		name     string
		props    map[string]string
		strategy string
		check    func(t *testing.T, cfg Config)
	}{
		{"defaults: Confluent's partition/offset key, BatchWriteItem", nil, StrategyBatch, func(t *testing.T, cfg Config) {
			if cfg.TableNameFormat != "${topic}" || cfg.PKHash != "partition" || cfg.PKSort != "offset" || cfg.MaxRetryTime != 5*time.Second || cfg.DeleteEnabled {
				t.Errorf("defaults: %+v", cfg)
			}
		}},
		{"a key from the record key: conditional writes", map[string]string{"aws.dynamodb.pk.hash": "key", "aws.dynamodb.pk.sort": ""}, StrategyConditional, nil},
		{"none is no sort key", map[string]string{"aws.dynamodb.pk.hash": "value.id", "aws.dynamodb.pk.sort": "none"}, StrategyConditional, nil},
		{"offset in the sort key with a value hash: batch", map[string]string{"aws.dynamodb.pk.hash": "value.customer.id:cid"}, StrategyBatch, nil},
		{"explicit strategy", map[string]string{"dynamodb.write.strategy": "transact"}, StrategyTransact, nil},
		{"deletes with a key from the key and partition", map[string]string{"aws.dynamodb.pk.hash": "key.id", "aws.dynamodb.pk.sort": "partition", "delete.enabled": "true"}, StrategyConditional, nil},
		{"retry time and region", map[string]string{"aws.dynamodb.max.retry.time.seconds": "30", "aws.dynamodb.region": "eu-west-1",
			"aws.dynamodb.endpoint": "http://localhost:8000"}, StrategyBatch, func(t *testing.T, cfg Config) {
			if cfg.MaxRetryTime != 30*time.Second || cfg.Region != "eu-west-1" || cfg.Endpoint != "http://localhost:8000" {
				t.Errorf("%+v", cfg)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(t, c.props)
			s, err := New(cfg, noDynamo{})
			if err != nil {
				t.Fatal(err)
			}
			if s.Strategy() != c.strategy {
				t.Errorf("strategy %s, want %s", s.Strategy(), c.strategy)
			}
			if c.check != nil {
				c.check(t, cfg)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		props map[string]string
		want  []string // settings named in the error, with what is said of them
	}{
		{"unknown reference", map[string]string{"aws.dynamodb.pk.hash": "timestamp"}, []string{`aws.dynamodb.pk.hash: "timestamp" is not a record reference`}},
		{"field of the partition", map[string]string{"aws.dynamodb.pk.sort": "partition.x"}, []string{"aws.dynamodb.pk.sort: \"partition.x\": partition has no fields"}},
		{"empty path", map[string]string{"aws.dynamodb.pk.hash": "value..id"}, []string{"empty field name"}},
		{"empty alias", map[string]string{"aws.dynamodb.pk.hash": "key:"}, []string{"empty alias"}},
		{"same attribute twice", map[string]string{"aws.dynamodb.pk.hash": "key.id", "aws.dynamodb.pk.sort": "value.id"}, []string{`aws.dynamodb.pk.sort: names the attribute "id", as aws.dynamodb.pk.hash does`}},
		{"bad table format", map[string]string{"table.name.format": "kafka_${topic}_${partition}"}, []string{"table.name.format", "only ${topic} is known"}},
		{"table name characters", map[string]string{"table.name.format": "my table"}, []string{"table.name.format", `has ' '`}},
		{"deletes need a key from the record key", map[string]string{"aws.dynamodb.pk.hash": "value.id", "delete.enabled": "true"},
			[]string{`delete.enabled: a tombstone has no value and its own offset`, `not "value.id"`, `not "offset"`}},
		{"source prefix colliding with a key", map[string]string{"aws.dynamodb.pk.hash": "key:_kafka_topic"}, []string{"source.attribute.prefix", `"_kafka_topic" is also a key attribute`}},
		{"endpoint", map[string]string{"aws.dynamodb.endpoint": "localhost:8000"}, []string{"aws.dynamodb.endpoint: must be an http:// or https:// URL"}},
		{"retry time", map[string]string{"aws.dynamodb.max.retry.time.seconds": "-1"}, []string{"aws.dynamodb.max.retry.time.seconds"}},
		{"value fields", map[string]string{"value.fields": "a,,b"}, []string{"value.fields"}},
		{"strategy", map[string]string{"dynamodb.write.strategy": "fast"}, []string{"dynamodb.write.strategy"}},
		{"typo", map[string]string{"aws.dynamodb.pk.hsh": "key"}, []string{"did you mean aws.dynamodb.pk.hash?"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			all := map[string]string{"connector.name": "c"}
			for k, v := range c.props {
				all[k] = v
			}
			var err error
			cfg, perr := Spec().Parse(all)
			if perr != nil {
				err = perr
			} else {
				_, err = ConfigFrom(cfg)
			}
			if err == nil {
				t.Fatal("accepted")
			}
			var probs config.Problems
			if !errclass.Is(err, errclass.BadConfig) || !errors.As(err, &probs) {
				t.Fatalf("%v: want a bad config error listing the problems", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if _, err := New(Config{}, noDynamo{}); !errclass.Is(err, errclass.BadConfig) {
		t.Errorf("New(Config{}) = %v, want a bad config", err)
	}
	if _, err := New(testConfig(t, nil), nil); !errclass.Is(err, errclass.BadConfig) {
		t.Errorf("New without a client = %v, want a bad config", err)
	}
}

func TestParseRef(t *testing.T) {
	for _, c := range []struct {
		in   string
		kind refKind
		path string
		attr string
	}{
		{"partition", refPartition, "", "partition"},
		{"offset:o", refOffset, "", "o"},
		{"key", refKey, "", "key"},
		{"key.customerId", refKey, "customerId", "customerId"},
		{"value.userId:user", refValue, "userId", "user"},
		{"value.a.b.c", refValue, "a.b.c", "c"},
		{"value", refValue, "", "value"},
		{" key.id : pk ", refKey, "id", "pk"},
	} {
		r, err := parseRef(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if r.kind != c.kind || strings.Join(r.path, ".") != c.path || r.attr != c.attr {
			t.Errorf("%q: %+v, want kind %d path %q attribute %q", c.in, r, c.kind, c.path, c.attr)
		}
	}
}

func TestTableName(t *testing.T) {
	for _, c := range []struct{ format, topic, want, err string }{
		{"${topic}", "orders.v1-eu_1", "orders.v1-eu_1", ""},
		{"kafka-${topic}-view", "orders", "kafka-orders-view", ""},
		{"fixed", "anything", "fixed", ""},
		{"${topic}", "ab", "", "must be 3 to 255 characters"},
		{"${topic", "orders", "", "unclosed"},
		{"${Topic}", "orders", "", "only ${topic} is known"},
	} {
		got, err := tableName(c.format, c.topic)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q %q: err %v, want %q", c.format, c.topic, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q %q = %q, %v; want %q", c.format, c.topic, got, err, c.want)
		}
	}
}

func TestCanonicalNumber(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"0", "0", ""},
		{"-0.000", "0", ""},
		{"1.50", "0.15e1", ""},
		{"15E-1", "0.15e1", ""},
		{"0.015e2", "0.15e1", ""},
		{"-120", "-0.12e3", ""},
		{"12345678901234567890123456789012345678", "0.12345678901234567890123456789012345678e38", ""},
		{"9.9999999999999999999999999999999999999E+125", "0.99999999999999999999999999999999999999e126", ""},
		{"1E-130", "0.1e-129", ""},
		{"1E+126", "", "out of DynamoDB's number range"},
		{"1E-131", "", "out of DynamoDB's number range"},
		{"123456789012345678901234567890123456789", "", "39 significant digits"},
		{"1e", "", "not a number"},
		{"abc", "", "not a number"},
		{"1.2.3", "", "not a number"},
		{"", "", "not a number"},
		{"-", "", "not a number"},
		{"1e99999999999999999999", "", "not a number"},
	} {
		got, err := canonicalNumber(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %q, %v; want error %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
