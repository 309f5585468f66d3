// Package jsonconv is Kafka Connect's JsonConverter (org.apache.kafka.connect.json.JsonConverter),
// byte-compatible with it in both directions.
//
// With schemas.enable=true (Connect's default) every record is an envelope
// {"schema":...,"payload":...}: ToConnect reads the schema (cached by its exact text) and converts
// the payload into the Go data documented on record.Schema; FromConnect writes the envelope
// exactly as Connect does (Jackson's compact output, schema fields in Connect's order, numbers as
// Java prints them, bytes and BASE64 decimals as base64).
//
// With schemas.enable=false, ToConnect only validates the JSON and returns it as record.RawJSON,
// without building Go values (Parse materialises it when a stage needs the structure);
// FromConnect writes RawJSON through unchanged and serialises other schemaless values as Connect
// does.
//
// The package imports no AWS SDK and no Kafka client.
package jsonconv

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// The JsonConverter's settings, as Connect names them.
const (
	SchemasEnableProp          = "schemas.enable"
	DecimalFormatProp          = "decimal.format"
	ReplaceNullWithDefaultProp = "replace.null.with.default"
	SchemasCacheSizeProp       = "schemas.cache.size"
)

// DecimalFormat is how FromConnect writes Decimal values (decimal.format). ToConnect reads both.
type DecimalFormat string

const (
	// DecimalBase64 writes the big-endian two's-complement unscaled value, base64-encoded.
	DecimalBase64 DecimalFormat = "BASE64"
	// DecimalNumeric writes a JSON number, as Java's BigDecimal.toString.
	DecimalNumeric DecimalFormat = "NUMERIC"
)

// Config configures a Converter. The zero Config is valid but is not Connect's default: use
// DefaultConfig.
type Config struct {
	// SchemasEnable is schemas.enable: records are {"schema":...,"payload":...} envelopes.
	SchemasEnable bool
	// DecimalFormat is decimal.format; "" means BASE64.
	DecimalFormat DecimalFormat
	// ReplaceNullWithDefault is replace.null.with.default: a null under a schema with a default
	// becomes the default, in both directions.
	ReplaceNullWithDefault bool
	// SchemasCacheSize is schemas.cache.size: how many schemas are kept parsed (ToConnect) and
	// serialised (FromConnect). 0 disables the caches.
	SchemasCacheSize int
}

// DefaultConfig returns Connect's defaults: schemas enabled, BASE64 decimals, nulls replaced by
// defaults, 1000 cached schemas.
func DefaultConfig() Config {
	return Config{SchemasEnable: true, DecimalFormat: DecimalBase64, ReplaceNullWithDefault: true, SchemasCacheSize: 1000}
}

// Validate reports a BadConfig error naming the invalid setting.
func (c Config) Validate() error {
	switch c.DecimalFormat {
	case "", DecimalBase64, DecimalNumeric:
	default:
		return errclass.Config(DecimalFormatProp, "must be BASE64 or NUMERIC, got %q", c.DecimalFormat)
	}
	if c.SchemasCacheSize < 0 {
		return errclass.Config(SchemasCacheSizeProp, "must not be negative, got %d", c.SchemasCacheSize)
	}
	return nil
}

// ConfigFromProps reads the converter's settings (the key.converter. or value.converter. prefix
// already stripped) over DefaultConfig, parsing them as Connect does (booleans true/false in any
// case, decimal.format in any case, blanks trimmed). An unknown setting or an invalid value is a
// BadConfig error naming it.
func ConfigFromProps(props map[string]string) (Config, error) {
	c := DefaultConfig()
	for k, raw := range props {
		v := strings.TrimSpace(raw)
		var err error
		switch k {
		case SchemasEnableProp:
			c.SchemasEnable, err = config.ParseBool(k, v)
		case ReplaceNullWithDefaultProp:
			c.ReplaceNullWithDefault, err = config.ParseBool(k, v)
		case DecimalFormatProp:
			c.DecimalFormat = DecimalFormat(strings.ToUpper(v))
			if c.DecimalFormat != DecimalBase64 && c.DecimalFormat != DecimalNumeric {
				err = errclass.Config(k, "must be BASE64 or NUMERIC, got %q", raw)
			}
		case SchemasCacheSizeProp:
			c.SchemasCacheSize, err = strconv.Atoi(v)
			if err != nil {
				err = errclass.Config(k, "must be an integer, got %q", raw)
			}
		default:
			err = errclass.Config(k, "unknown JsonConverter setting (known: %s, %s, %s, %s)",
				SchemasEnableProp, DecimalFormatProp, ReplaceNullWithDefaultProp, SchemasCacheSizeProp)
		}
		if err != nil {
			return Config{}, err
		}
	}
	return c, c.Validate()
}

// Converter is the JsonConverter. It is safe for concurrent use.
type Converter struct {
	cfg         Config
	numeric     bool
	toConnect   schemaCache  // schema JSON text -> parsed schema
	fromConnect jsonCache    // schema -> its JSON text
	sizeHint    atomic.Int64 // size of the last FromConnect output, to size the next buffer
}

// New returns a JsonConverter configured by cfg.
func New(cfg Config) (*Converter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Converter{cfg: cfg, numeric: cfg.DecimalFormat == DecimalNumeric}
	c.toConnect.init(cfg.SchemasCacheSize)
	c.fromConnect.init(cfg.SchemasCacheSize)
	return c, nil
}

// Config returns the converter's configuration.
func (c *Converter) Config() Config { return c.cfg }

// schemaCache maps the exact text of a schema to its parsed form. It is bounded: when full, an
// arbitrary entry makes room.
type schemaCache struct {
	mu  sync.RWMutex
	m   map[string]*compiled
	max int
}

func (sc *schemaCache) init(max int) { sc.m, sc.max = make(map[string]*compiled), max }

func (sc *schemaCache) get(text []byte) *compiled {
	sc.mu.RLock()
	cs := sc.m[string(text)]
	sc.mu.RUnlock()
	return cs
}

func (sc *schemaCache) put(text []byte, cs *compiled) {
	if sc.max == 0 {
		return
	}
	sc.mu.Lock()
	if len(sc.m) >= sc.max {
		for k := range sc.m {
			delete(sc.m, k)
			break
		}
	}
	sc.m[string(text)] = cs
	sc.mu.Unlock()
}

func (sc *schemaCache) len() int {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	return len(sc.m)
}

// jsonCache maps a schema (by identity: schemas are immutable values) to its JSON text.
type jsonCache struct {
	mu  sync.RWMutex
	m   map[*record.Schema][]byte
	max int
}

func (jc *jsonCache) init(max int) { jc.m, jc.max = make(map[*record.Schema][]byte), max }

func (jc *jsonCache) get(s *record.Schema) []byte {
	jc.mu.RLock()
	b := jc.m[s]
	jc.mu.RUnlock()
	return b
}

func (jc *jsonCache) put(s *record.Schema, b []byte) {
	if jc.max == 0 {
		return
	}
	jc.mu.Lock()
	if len(jc.m) >= jc.max {
		for k := range jc.m {
			delete(jc.m, k)
			break
		}
	}
	jc.m[s] = b
	jc.mu.Unlock()
}

func (jc *jsonCache) len() int {
	jc.mu.RLock()
	defer jc.mu.RUnlock()
	return len(jc.m)
}
