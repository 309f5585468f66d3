package jsonschemaconv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// kind is the JSON type of a node.
type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

func (k kind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// node is a parsed JSON value that keeps the order of object members (JSON Schema property order
// is the Connect field order) and the exact text of numbers.
type node struct {
	kind kind
	b    bool
	s    string // a string, or a number's text
	arr  []*node
	keys []string // object member names, in order
	vals []*node  // object member values
}

// get returns the object member named key (the last one if repeated), or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kObject {
		return nil
	}
	for i := len(n.keys) - 1; i >= 0; i-- {
		if n.keys[i] == key {
			return n.vals[i]
		}
	}
	return nil
}

// str returns the string member named key, or "".
func (n *node) str(key string) string {
	if m := n.get(key); m != nil && m.kind == kString {
		return m.s
	}
	return ""
}

// integral reports whether a number node holds an integer literal (no fraction, no exponent), as
// Jackson's isIntegralNumber.
func (n *node) integral() bool {
	return n.kind == kNumber && !bytes.ContainsAny([]byte(n.s), ".eE")
}

// maxDepth bounds nesting, for schemas and payloads alike.
const maxDepth = 200

// parseJSON parses one JSON value; trailing data other than whitespace is an error. Strings are
// decoded as encoding/json decodes them (invalid UTF-8 becomes U+FFFD).
func parseJSON(b []byte) (*node, error) {
	p := parser{b: b}
	p.ws()
	n, err := p.value(0)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	p.ws()
	if p.i != len(p.b) {
		return nil, fmt.Errorf("invalid JSON: data after the value at offset %d", p.i)
	}
	return n, nil
}

// parser is a recursive-descent JSON parser over b.
type parser struct {
	b []byte
	i int
}

var errEOF = errors.New("unexpected end of input")

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) errAt(what string) error {
	if p.i >= len(p.b) {
		return errEOF
	}
	return fmt.Errorf("%s at offset %d", what, p.i)
}

func (p *parser) value(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxDepth)
	}
	if p.i >= len(p.b) {
		return nil, errEOF
	}
	switch c := p.b[p.i]; {
	case c == '{':
		p.i++
		n := &node{kind: kObject}
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return n, nil
		}
		for {
			p.ws()
			if p.i >= len(p.b) || p.b[p.i] != '"' {
				return nil, p.errAt("expected a member name")
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return nil, p.errAt("expected ':'")
			}
			p.i++
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, k)
			n.vals = append(n.vals, v)
			p.ws()
			if p.i >= len(p.b) {
				return nil, errEOF
			}
			if p.b[p.i] == '}' {
				p.i++
				return n, nil
			}
			if p.b[p.i] != ',' {
				return nil, p.errAt("expected ',' or '}'")
			}
			p.i++
		}
	case c == '[':
		p.i++
		n := &node{kind: kArray}
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return n, nil
		}
		for {
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.arr = append(n.arr, v)
			p.ws()
			if p.i >= len(p.b) {
				return nil, errEOF
			}
			if p.b[p.i] == ']' {
				p.i++
				return n, nil
			}
			if p.b[p.i] != ',' {
				return nil, p.errAt("expected ',' or ']'")
			}
			p.i++
		}
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &node{kind: kString, s: s}, nil
	case c == 't':
		return p.literal("true", &node{kind: kBool, b: true})
	case c == 'f':
		return p.literal("false", &node{kind: kBool})
	case c == 'n':
		return p.literal("null", &node{kind: kNull})
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return nil, p.errAt(fmt.Sprintf("unexpected character %q", p.b[p.i]))
}

func (p *parser) literal(word string, n *node) (*node, error) {
	if !bytes.HasPrefix(p.b[p.i:], []byte(word)) {
		return nil, p.errAt("invalid literal")
	}
	p.i += len(word)
	return n, nil
}

// number scans -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? and keeps its text.
func (p *parser) number() (*node, error) {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.b[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, p.errAt("invalid number")
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, p.errAt("invalid number")
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, p.errAt("invalid number")
		}
	}
	return &node{kind: kNumber, s: string(p.b[start:p.i])}, nil
}

// str scans a string at p.i (an opening quote). Plain valid UTF-8 is taken as is; strings with
// escapes or invalid UTF-8 are decoded by encoding/json.
func (p *parser) str() (string, error) {
	start := p.i
	p.i++
	plain := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			raw := p.b[start+1 : p.i-1]
			if plain && utf8.Valid(raw) {
				return string(raw), nil
			}
			var s string
			if err := json.Unmarshal(p.b[start:p.i], &s); err != nil {
				return "", fmt.Errorf("invalid string at offset %d: %w", start, err)
			}
			return s, nil
		case c == '\\':
			plain = false
			p.i += 2
			continue
		case c < 0x20:
			return "", p.errAt("control character in string")
		}
		p.i++
	}
	return "", errEOF
}
