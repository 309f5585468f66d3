// Package stringconv is Kafka Connect's StringConverter
// (org.apache.kafka.connect.storage.StringConverter): bytes are UTF-8 text, read as an optional
// string, and any Connect value is written as the text Java's toString gives it.
package stringconv

import (
	"strings"
	"unicode/utf8"

	"github.com/lambda-connect/lambda-connect/converters/javafmt"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// EncodingProp is the StringConverter's only setting, converter.encoding.
const EncodingProp = "converter.encoding"

// Config configures a Converter.
type Config struct {
	// Encoding is converter.encoding. Only UTF-8 is supported (spelled UTF-8 or UTF8, any case);
	// "" means UTF-8, Connect's default.
	Encoding string
}

// Validate reports a BadConfig error for an encoding other than UTF-8.
func (c Config) Validate() error {
	switch strings.ToUpper(strings.TrimSpace(c.Encoding)) {
	case "", "UTF-8", "UTF8":
		return nil
	}
	return errclass.Config(EncodingProp, "encoding %q is not supported: only UTF-8 is", c.Encoding)
}

// ConfigFromProps reads the converter's settings (converter.encoding), with the key.converter. or
// value.converter. prefix already stripped. Any other setting is a BadConfig error naming it.
func ConfigFromProps(props map[string]string) (Config, error) {
	var c Config
	for k, v := range props {
		if k != EncodingProp {
			return Config{}, errclass.Config(k, "unknown StringConverter setting (the only one is %s)", EncodingProp)
		}
		c.Encoding = v
	}
	return c, c.Validate()
}

// Converter is the StringConverter. It is safe for concurrent use.
type Converter struct{}

// New returns a StringConverter.
func New(cfg Config) (*Converter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Converter{}, nil
}

// ToConnect returns data as an optional string. Bytes that are not valid UTF-8 are replaced by
// U+FFFD, as Java's decoder does. A nil data gives a nil value.
func (c *Converter) ToConnect(_ string, _ []record.Header, data []byte) (*record.Schema, any, error) {
	if data == nil {
		return record.OptionalString, nil, nil
	}
	return record.OptionalString, DecodeUTF8(data), nil
}

// FromConnect writes value as UTF-8 text whatever the schema: strings as they are, []byte and
// RawJSON as their text, other values as Java's toString formats them (see javafmt.AppendValue).
// A nil value gives nil.
func (c *Converter) FromConnect(_ string, _ []record.Header, _ *record.Schema, value any) ([]byte, error) {
	switch v := value.(type) {
	case nil:
		return nil, nil
	case string:
		if utf8.ValidString(v) {
			return []byte(v), nil
		}
		return []byte(DecodeUTF8([]byte(v))), nil
	case []byte:
		return v, nil
	case record.RawJSON:
		return []byte(v), nil
	}
	return []byte(DecodeUTF8(javafmt.AppendValue(nil, value))), nil
}

// DecodeUTF8 returns b as a string, each maximal ill-formed subsequence replaced by U+FFFD (the
// Unicode-recommended practice Java's UTF-8 decoder follows).
func DecodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || size > 1 {
			sb.Write(b[i : i+size])
			i += size
			continue
		}
		sb.WriteRune(utf8.RuneError)
		i += maximalSubpart(b[i:])
	}
	return sb.String()
}

// maximalSubpart returns the length of the ill-formed sequence at the start of b: a valid lead
// byte followed by as many valid continuation bytes as it allows (but fewer than it needs), or 1.
func maximalSubpart(b []byte) int {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF) // range of the second byte
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for ; n <= need && n < len(b); n++ {
		if n == 1 {
			if b[n] < lo || b[n] > hi {
				break
			}
		} else if b[n] < 0x80 || b[n] > 0xBF {
			break
		}
	}
	return n
}
