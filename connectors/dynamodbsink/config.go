package dynamodbsink

import (
	"fmt"
	"time"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// DefaultItemsPerWrite is how many items one planned write holds when Config.ItemsPerWrite is 0.
const DefaultItemsPerWrite = 1000

// Config is the DynamoDB sink's configuration. ConfigFrom fills it from parsed settings; a Config
// built by hand must pass Validate (New checks it).
type Config struct {
	TableNameFormat string        // table.name.format
	PKHash          string        // aws.dynamodb.pk.hash
	PKSort          string        // aws.dynamodb.pk.sort; "" or "none" for a table without a sort key
	Region          string        // aws.dynamodb.region; "" for the SDK's (AWS_REGION)
	Endpoint        string        // aws.dynamodb.endpoint; "" for the SDK's
	MaxRetryTime    time.Duration // aws.dynamodb.max.retry.time.seconds

	DeleteEnabled  bool     // delete.enabled
	ValueAttribute string   // value.attribute.name; "" spreads struct and map values
	ValueFields    []string // value.fields; empty: every field
	SourcePrefix   string   // source.attribute.prefix
	Strategy       string   // dynamodb.write.strategy
	Concurrency    int      // dynamodb.write.concurrency

	// ItemsPerWrite is the most items one planned write (one pending ID) holds; 0 is
	// DefaultItemsPerWrite. Not a setting: tests make it small to get several writes.
	ItemsPerWrite int
}

// ConfigFrom reads the DynamoDB sink's settings from c, parsed with Spec, and checks the rules
// that span several settings. Every problem is reported in one errclass.BadConfig error wrapping
// config.Problems, which names the settings concerned.
func ConfigFrom(c *config.Config) (Config, error) {
	cfg := Config{
		TableNameFormat: c.String(KeyTableNameFormat),
		PKHash:          c.String(KeyPKHash),
		PKSort:          c.String(KeyPKSort),
		Region:          c.String(KeyRegion),
		Endpoint:        c.String(KeyEndpoint),
		MaxRetryTime:    time.Duration(c.Long(KeyMaxRetrySeconds)) * time.Second,
		DeleteEnabled:   c.Bool(KeyDeleteEnabled),
		ValueAttribute:  c.String(KeyValueAttribute),
		ValueFields:     c.List(KeyValueFields),
		SourcePrefix:    c.String(KeySourcePrefix),
		Strategy:        c.String(KeyWriteStrategy),
		Concurrency:     c.Int(KeyWriteConcurrency),
	}
	if _, err := cfg.resolve(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Validate checks every setting and the rules between them, and reports every problem in one
// errclass.BadConfig error wrapping config.Problems.
func (c Config) Validate() error {
	_, err := c.resolve()
	return err
}

// resolved is a valid configuration ready for use.
type resolved struct {
	Config
	hash    ref
	sort    *ref // nil: no sort key
	fields  []field
	srcT    string // the source attributes' names
	srcP    string
	srcO    string
	offsetK bool // the primary key holds the offset: every item is written by one record only
}

func (c Config) resolve() (*resolved, error) {
	r := &resolved{Config: c}
	var probs config.Problems
	add := func(key, format string, args ...any) {
		probs = append(probs, config.Problem{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	if _, err := tableName(c.TableNameFormat, "topic"); err != nil {
		add(KeyTableNameFormat, "%v", err)
	}
	var err error
	if r.hash, err = parseRef(c.PKHash); err != nil {
		add(KeyPKHash, "%v", err)
	}
	if c.PKSort != "" && c.PKSort != NoSortKey {
		s, err := parseRef(c.PKSort)
		if err != nil {
			add(KeyPKSort, "%v", err)
		} else {
			r.sort = &s
			if s.attr == r.hash.attr {
				add(KeyPKSort, "names the attribute %q, as %s does: give one of them an :alias", s.attr, KeyPKHash)
			}
		}
	}
	if err := validateURL(c.Endpoint); err != nil {
		add(KeyEndpoint, "%v (got %q)", err, c.Endpoint)
	}
	if c.MaxRetryTime < 0 {
		add(KeyMaxRetrySeconds, "must not be negative")
	}
	for _, f := range c.ValueFields {
		pf, err := parseField(f)
		if err != nil {
			add(KeyValueFields, "%v", err)
			continue
		}
		r.fields = append(r.fields, pf)
	}
	if c.SourcePrefix == "" {
		add(KeySourcePrefix, "must not be empty")
	}
	r.srcT, r.srcP, r.srcO = c.SourcePrefix+"topic", c.SourcePrefix+"partition", c.SourcePrefix+"offset"
	for _, k := range r.keys() {
		if k.attr == r.srcT || k.attr == r.srcP || k.attr == r.srcO {
			add(KeySourcePrefix, "the source attribute %q is also a key attribute (%s): change the prefix or the key's alias", k.attr, k.text)
		}
		if k.kind == refOffset {
			r.offsetK = true
		}
	}
	if c.DeleteEnabled {
		for _, k := range r.keys() {
			if k.kind == refValue || k.kind == refOffset {
				add(KeyDeleteEnabled, "a tombstone has no value and its own offset: with %s=true the primary key must come from the record key and partition (key, key.<path>, partition), not %q", KeyDeleteEnabled, k.text)
			}
		}
	}
	switch c.Strategy {
	case StrategyAuto, StrategyConditional, StrategyTransact, StrategyBatch:
	case "":
		r.Strategy = StrategyAuto
	default:
		add(KeyWriteStrategy, "%q is not one of auto, conditional, transact, batch", c.Strategy)
	}
	switch {
	case c.Concurrency == 0:
		r.Concurrency = 16
	case c.Concurrency < 0 || c.Concurrency > 256:
		add(KeyWriteConcurrency, "must be between 1 and 256 (got %d)", c.Concurrency)
	}
	switch {
	case c.ItemsPerWrite == 0:
		r.ItemsPerWrite = DefaultItemsPerWrite
	case c.ItemsPerWrite < 0:
		add("ItemsPerWrite", "must not be negative (got %d)", c.ItemsPerWrite)
	}
	if len(probs) > 0 {
		return nil, errclass.New(errclass.BadConfig, "dynamodb-sink configuration", probs)
	}
	if r.Strategy == StrategyAuto {
		r.Strategy = StrategyConditional
		if r.offsetK {
			r.Strategy = StrategyBatch
		}
	}
	return r, nil
}

// keys returns the primary key's references: the hash key, then the sort key if any.
func (r *resolved) keys() []ref {
	if r.sort == nil {
		return []ref{r.hash}
	}
	return []ref{r.hash, *r.sort}
}
