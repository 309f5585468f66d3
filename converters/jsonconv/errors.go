package jsonconv

import (
	"strconv"
	"strings"
)

// pathSeg is one step of the path to a value: a struct field, an array index or a map key.
type pathSeg struct {
	kind byte // 'f' field, 'i' index, 'k' map key
	name string
	idx  int
}

// convError is a conversion failure at a path inside the payload (or schema, or value).
type convError struct {
	root string    // "payload", "schema" or "value"
	path []pathSeg // innermost first
	msg  string
}

func (e *convError) Error() string {
	if len(e.path) == 0 {
		return e.root + ": " + e.msg
	}
	var b strings.Builder
	for i := len(e.path) - 1; i >= 0; i-- {
		switch s := e.path[i]; s.kind {
		case 'f':
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.name)
		case 'i':
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
		case 'k':
			b.WriteByte('[')
			b.WriteString(s.name)
			b.WriteByte(']')
		}
	}
	if e.path[len(e.path)-1].kind != 'f' {
		return e.root + b.String() + ": " + e.msg
	}
	if e.root == "schema" {
		return e.root + "." + b.String() + ": " + e.msg
	}
	return "field " + strconv.Quote(b.String()) + ": " + e.msg
}

func errAt(msg string) *convError { return &convError{msg: msg} }

func inField(err error, name string) error { return addSeg(err, pathSeg{kind: 'f', name: name}) }
func atIndex(err error, i int) error       { return addSeg(err, pathSeg{kind: 'i', idx: i}) }
func atKey(err error, k string) error      { return addSeg(err, pathSeg{kind: 'k', name: k}) }

func addSeg(err error, s pathSeg) error {
	if ce, ok := err.(*convError); ok {
		ce.path = append(ce.path, s)
	}
	return err
}

// jsonKind names the JSON type of the value starting with c.
func jsonKind(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}
