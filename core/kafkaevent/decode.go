package kafkaevent

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// maxDepth bounds the nesting of skipped values, as encoding/json does.
const maxDepth = 10000

// eventSubject names the event in errors that concern no single record.
const eventSubject = "kafka event"

// Decode decodes a Lambda Kafka event.
//
// Decode takes ownership of payload: keys, values and header values are decoded in place into it
// and the returned records' Key, Value and Header.Value are sub-slices of it (with their capacity
// cut to their length, so appending to one never overwrites another). The caller must not read,
// write or reuse payload afterwards except through the records. An absent or null key or value
// gives nil (a null value is a tombstone); an empty string gives an empty, non-nil slice. Header
// order and repeated header names are kept.
//
// Records are returned in the order the event lists them. Lambda delivers each partition's
// records in offset order; Decode does not check or restore that order, which the caller must
// handle if it matters. The keys of "records" are not interpreted (each record's own "topic" and
// "partition" are used), and the records of repeated keys are all kept.
//
// The decoder follows encoding/json's reading of strings (escapes, surrogate pairs, invalid UTF-8
// replaced by U+FFFD), matches field names exactly (Lambda's spelling), ignores unknown fields of
// any type and rejects anything that is not a single valid JSON value. Beyond what Lambda sends,
// it accepts integers written as strings ("partition":"0", as in some AWS examples) and a header
// value written as a base64 string.
//
// Every error is an errclass.BadRecord error; nothing is returned with it. An error about one
// record names it ("record orders/3/17: value: illegal base64 data at input byte 4"); malformed
// JSON is reported with its byte offset ("kafka event: malformed JSON at byte 812: ...").
func Decode(payload []byte) (Event, error) {
	d := decoder{buf: payload}
	ev, err := d.event()
	if err != nil {
		return Event{}, err
	}
	ev.Records = d.recs
	return ev, nil
}

// decoder is the state of one Decode.
type decoder struct {
	buf []byte
	pos int

	recs    []record.Record
	hdrs    []record.Header // headers of the record being decoded
	arena   []record.Header // backing array that the records' Headers share
	names   map[string]string
	topic   string // the last topic seen, reused while records repeat it
	scratch []byte // unescaped strings

	fieldErr error // first error about the record being decoded
}

// span is the text of a base64 string in buf, between its quotes.
type span struct {
	start, end int
	set        bool // present and not null
	escaped    bool // holds backslash escapes
}

func (d *decoder) event() (Event, error) {
	var ev Event
	d.ws()
	if d.peek() != '{' {
		return ev, d.unexpected("'{' starting the event")
	}
	more, err := d.beginObject()
	for more && err == nil {
		var k []byte
		if k, err = d.key(); err != nil {
			break
		}
		switch string(k) {
		case "eventSource":
			ev.Source, err = d.eventString("eventSource")
		case "eventSourceArn":
			ev.SourceARN, err = d.eventString("eventSourceArn")
		case "bootstrapServers":
			ev.BootstrapServers, err = d.eventString("bootstrapServers")
		case "records":
			err = d.records()
		default:
			err = d.skip(0)
		}
		if err == nil {
			more, err = d.next('}')
		}
	}
	if err != nil {
		return ev, err
	}
	d.ws()
	if d.pos != len(d.buf) {
		return ev, d.syntaxErr("unexpected %s after the event", describe(d.buf[d.pos]))
	}
	return ev, nil
}

// eventString reads a top-level string field; null gives "".
func (d *decoder) eventString(field string) (string, error) {
	switch d.peek() {
	case '"':
		s, err := d.str()
		return string(s), err
	case 'n':
		return "", d.literal("null")
	}
	return "", errclass.Record(eventSubject, "%s: expected a string, got %s", field, d.kind())
}

// records reads the "records" object.
func (d *decoder) records() error {
	switch d.peek() {
	case 'n':
		return d.literal("null")
	case '{':
	default:
		return errclass.Record(eventSubject, "records: expected an object, got %s", d.kind())
	}
	more, err := d.beginObject()
	for more && err == nil {
		if d.peek() != '"' {
			return d.unexpected("a string (object key)")
		}
		start := d.pos
		if err := d.skipString(); err != nil {
			return err
		}
		group := d.buf[start:d.pos] // the raw key, quotes included, for error messages
		if err := d.colon(); err != nil {
			return err
		}
		switch d.peek() {
		case 'n':
			err = d.literal("null")
		case '[':
			err = d.recordArray(group)
		default:
			return errclass.Record(eventSubject, "records[%s]: expected an array, got %s", group, d.kind())
		}
		if err == nil {
			more, err = d.next('}')
		}
	}
	return err
}

func (d *decoder) recordArray(group []byte) error {
	d.pos++ // '['
	d.ws()
	if d.peek() == ']' {
		d.pos++
		return nil
	}
	for i := 0; ; i++ {
		if d.peek() != '{' {
			if d.pos >= len(d.buf) {
				return d.unexpected("a record")
			}
			return errclass.Record(eventSubject, "records[%s][%d]: expected an object, got %s", group, i, d.kind())
		}
		if err := d.record(group, i); err != nil {
			return err
		}
		more, err := d.next(']')
		if err != nil || !more {
			return err
		}
	}
}

// Fields a record must have.
const (
	hasTopic = 1 << iota
	hasPartition
	hasOffset
)

// record reads one record object. Problems with a field are kept in fieldErr and reported, with
// the record's coordinates, once the whole object is read; malformed JSON stops at once.
func (d *decoder) record(group []byte, idx int) error {
	var (
		r        record.Record
		have     int
		key, val span
		more     bool
		err      error
	)
	d.fieldErr = nil
	d.hdrs = d.hdrs[:0]
	more, err = d.beginObject()
	for more && err == nil {
		var k []byte
		if k, err = d.key(); err != nil {
			return err
		}
		switch string(k) {
		case "topic":
			switch d.peek() {
			case '"':
				var s []byte
				if s, err = d.str(); err == nil {
					if string(s) != d.topic {
						d.topic = string(s)
					}
					r.Topic = d.topic
					have |= hasTopic
				}
			case 'n':
				err = d.literal("null")
			default:
				err = d.wrongType("topic", "a string")
			}
		case "partition":
			var v int64
			var ok bool
			v, ok, err = d.integer("partition", math.MinInt32, math.MaxInt32)
			if ok {
				r.Partition = int32(v)
				have |= hasPartition
			}
		case "offset":
			var ok bool
			r.Offset, ok, err = d.integer("offset", math.MinInt64, math.MaxInt64)
			if ok {
				have |= hasOffset
			}
		case "timestamp":
			r.Timestamp, _, err = d.integer("timestamp", math.MinInt64, math.MaxInt64)
		case "timestampType":
			switch d.peek() {
			case '"':
				var s []byte
				if s, err = d.str(); err == nil {
					var ok bool
					if r.TimestampType, ok = record.ParseTimestampType(string(s)); !ok {
						d.fail("timestampType: unknown type %q", s)
					}
				}
			case 'n':
				err = d.literal("null")
			default:
				err = d.wrongType("timestampType", "a string")
			}
		case "key":
			key, err = d.base64Span("key")
		case "value":
			val, err = d.base64Span("value")
		case "headers":
			err = d.headers()
		default:
			err = d.skip(0)
		}
		if err == nil {
			more, err = d.next('}')
		}
	}
	if err != nil {
		return err
	}

	switch {
	case have&hasTopic == 0:
		d.fail(`missing "topic"`)
	case have&hasPartition == 0:
		d.fail(`missing "partition"`)
	case have&hasOffset == 0:
		d.fail(`missing "offset"`)
	}
	if d.fieldErr == nil && key.set {
		if r.Key, err = d.decodeSpan(key); err != nil {
			d.fail("key: %w", err)
		}
	}
	if d.fieldErr == nil && val.set {
		if r.Value, err = d.decodeSpan(val); err != nil {
			d.fail("value: %w", err)
		}
	}
	if d.fieldErr != nil {
		subject := "record " + r.Coordinates()
		if have != hasTopic|hasPartition|hasOffset {
			subject = fmt.Sprintf("record records[%s][%d]", group, idx)
		}
		return errclass.New(errclass.BadRecord, subject, d.fieldErr)
	}
	if len(d.hdrs) > 0 {
		r.Headers = d.keepHeaders()
	}
	d.recs = append(d.recs, r)
	return nil
}

// keepHeaders moves the record's headers into the arena and returns them, capacity cut to length.
func (d *decoder) keepHeaders() []record.Header {
	n := len(d.hdrs)
	if cap(d.arena)-len(d.arena) < n {
		d.arena = make([]record.Header, 0, max(n, 256))
	}
	l := len(d.arena)
	d.arena = append(d.arena, d.hdrs...)
	return d.arena[l : l+n : l+n]
}

// fail keeps the first problem found in the record being decoded.
func (d *decoder) fail(format string, args ...any) {
	if d.fieldErr == nil {
		d.fieldErr = fmt.Errorf(format, args...)
	}
}

// wrongType notes a field of the wrong JSON type and skips it.
func (d *decoder) wrongType(field, want string) error {
	d.fail("%s: expected %s, got %s", field, want, d.kind())
	return d.skip(0)
}

// integer reads an integer field within [lo, hi]; ok is false for null or a bad value.
func (d *decoder) integer(field string, lo, hi int64) (v int64, ok bool, err error) {
	switch c := d.peek(); {
	case c == '-' || isDigit(c):
		start := d.pos
		v, isInt, inRange, err := d.number()
		if err != nil {
			return 0, false, err
		}
		if !isInt || !inRange || v < lo || v > hi {
			d.fail("%s: %s is not an integer in [%d, %d]", field, d.buf[start:d.pos], lo, hi)
			return 0, false, nil
		}
		return v, true, nil
	case c == '"':
		s, err := d.str()
		if err != nil {
			return 0, false, err
		}
		v, perr := strconv.ParseInt(string(s), 10, 64)
		if perr != nil || v < lo || v > hi {
			d.fail("%s: %q is not an integer in [%d, %d]", field, s, lo, hi)
			return 0, false, nil
		}
		return v, true, nil
	case c == 'n':
		return 0, false, d.literal("null")
	}
	return 0, false, d.wrongType(field, "an integer")
}

// base64Span reads a key or value: a string whose decoding waits until the record is complete,
// or null.
func (d *decoder) base64Span(field string) (span, error) {
	switch d.peek() {
	case 'n':
		return span{}, d.literal("null")
	case '"':
	default:
		return span{}, d.wrongType(field, "a base64 string")
	}
	start := d.pos + 1
	i := bytes.IndexByte(d.buf[start:], '"')
	if i >= 0 && bytes.IndexByte(d.buf[start:start+i], '\\') < 0 {
		d.pos = start + i + 1
		return span{start: start, end: start + i, set: true}, nil
	}
	if err := d.skipString(); err != nil {
		return span{}, err
	}
	return span{start: start, end: d.pos - 1, set: true, escaped: true}, nil
}

// decodeSpan decodes a base64 string in place.
func (d *decoder) decodeSpan(s span) ([]byte, error) {
	b := d.buf[s.start:s.end]
	if s.escaped {
		b = b[:unescapeInPlace(b)]
	}
	n, err := decodeBase64(b)
	if err != nil {
		return nil, err
	}
	return b[:n:n], nil
}

// headers reads "headers": an array of objects, each of one or more "name": value members.
func (d *decoder) headers() error {
	switch d.peek() {
	case 'n':
		return d.literal("null")
	case '[':
	default:
		return d.wrongType("headers", "an array")
	}
	d.hdrs = d.hdrs[:0] // a repeated "headers" replaces the earlier one
	d.pos++
	d.ws()
	if d.peek() == ']' {
		d.pos++
		return nil
	}
	for i := 0; ; i++ {
		if d.peek() == '{' {
			more, err := d.beginObject()
			for more && err == nil {
				var name []byte
				if name, err = d.key(); err != nil {
					return err
				}
				h := record.Header{Key: d.intern(name)}
				if h.Value, err = d.headerValue(i, h.Key); err != nil {
					return err
				}
				d.hdrs = append(d.hdrs, h)
				more, err = d.next('}')
			}
			if err != nil {
				return err
			}
		} else if err := d.wrongType(fmt.Sprintf("headers[%d]", i), "an object"); err != nil {
			return err
		}
		more, err := d.next(']')
		if err != nil || !more {
			return err
		}
	}
}

// headerValue reads a header value: an array of signed bytes written in place over the array's
// own text (each element takes at least two bytes of text), a base64 string, or null.
func (d *decoder) headerValue(i int, name string) ([]byte, error) {
	switch d.peek() {
	case 'n':
		return nil, d.literal("null")
	case '"':
		s, err := d.base64Span("")
		if err != nil {
			return nil, err
		}
		v, err := d.decodeSpan(s)
		if err != nil {
			d.fail("headers[%d] %q: %w", i, name, err)
		}
		return v, nil
	case '[':
	default:
		return nil, d.wrongType(fmt.Sprintf("headers[%d] %q", i, name), "an array of bytes")
	}
	start := d.pos
	w := start
	d.pos++
	d.ws()
	if d.peek() == ']' {
		d.pos++
		return d.buf[start:start:start], nil
	}
	for {
		if c := d.peek(); c == '-' || isDigit(c) {
			numStart := d.pos
			v, isInt, inRange, err := d.number()
			if err != nil {
				return nil, err
			}
			if !isInt || !inRange || v < math.MinInt8 || v > math.MaxInt8 {
				d.fail("headers[%d] %q: %s is not a signed byte in [-128, 127]", i, name, d.buf[numStart:d.pos])
			} else {
				d.buf[w] = byte(int8(v))
				w++
			}
		} else if err := d.wrongType(fmt.Sprintf("headers[%d] %q", i, name), "a number"); err != nil {
			return nil, err
		}
		more, err := d.next(']')
		if err != nil {
			return nil, err
		}
		if !more {
			return d.buf[start:w:w], nil
		}
	}
}

func (d *decoder) intern(b []byte) string {
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	if d.names == nil {
		d.names = make(map[string]string)
	}
	s := string(b)
	d.names[s] = s
	return s
}

// --- JSON tokens ---

func (d *decoder) peek() byte {
	if d.pos < len(d.buf) {
		return d.buf[d.pos]
	}
	return 0
}

func (d *decoder) ws() {
	for d.pos < len(d.buf) {
		switch d.buf[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// beginObject consumes '{' (at d.pos) and the whitespace after it, and reports whether the object
// has members: false after consuming an empty object's '}'.
func (d *decoder) beginObject() (bool, error) {
	d.pos++
	d.ws()
	if d.peek() == '}' {
		d.pos++
		return false, nil
	}
	return true, nil
}

// key reads a member name and its colon, leaving d.pos at the value. The name is valid until the
// next string is read.
func (d *decoder) key() ([]byte, error) {
	if d.peek() != '"' {
		return nil, d.unexpected("a string (object key)")
	}
	k, err := d.str()
	if err != nil {
		return nil, err
	}
	return k, d.colon()
}

func (d *decoder) colon() error {
	d.ws()
	if d.peek() != ':' {
		return d.unexpected("':' after object key")
	}
	d.pos++
	d.ws()
	return nil
}

// next consumes the ',' before another member or element (true) or the closing byte (false).
func (d *decoder) next(closing byte) (bool, error) {
	d.ws()
	switch d.peek() {
	case ',':
		d.pos++
		d.ws()
		return true, nil
	case closing:
		d.pos++
		return false, nil
	}
	return false, d.unexpected(fmt.Sprintf("',' or '%c'", closing))
}

func (d *decoder) literal(lit string) error {
	if len(d.buf)-d.pos >= len(lit) && string(d.buf[d.pos:d.pos+len(lit)]) == lit {
		d.pos += len(lit)
		return nil
	}
	for i := 0; i < len(lit) && d.pos < len(d.buf) && d.buf[d.pos] == lit[i]; i++ {
		d.pos++
	}
	return d.unexpected(fmt.Sprintf("%q", lit))
}

// str reads a string (d.pos at its quote) and returns its unescaped contents, valid until the
// next string is read. It never modifies buf.
func (d *decoder) str() ([]byte, error) {
	start := d.pos + 1
	for i := start; i < len(d.buf); i++ {
		c := d.buf[i]
		if c == '"' {
			d.pos = i + 1
			return d.buf[start:i], nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return d.strSlow(start)
		}
	}
	d.pos = len(d.buf)
	return nil, d.unexpected("'\"' closing a string")
}

// strSlow unescapes a string into scratch, replacing invalid UTF-8 by U+FFFD like encoding/json.
func (d *decoder) strSlow(start int) ([]byte, error) {
	out := d.scratch[:0]
	defer func() { d.scratch = out[:0] }()
	b := d.buf
	for i := start; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return out, nil
		case c == '\\':
			if i+1 >= len(b) {
				d.pos = len(b)
				return nil, d.unexpected("an escape")
			}
			switch e := b[i+1]; e {
			case 'u':
				r, next, ok := decodeU(b, i)
				if !ok {
					d.pos = i
					return nil, d.syntaxErr(`invalid \u escape`)
				}
				out = utf8.AppendRune(out, r)
				i = next
			default:
				u, ok := unescapeByte(e)
				if !ok {
					d.pos = i
					return nil, d.syntaxErr("invalid escape %s", describe(e))
				}
				out = append(out, u)
				i += 2
			}
		case c < 0x20:
			d.pos = i
			return nil, d.syntaxErr("control character %s in a string", describe(c))
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, b[i:i+size]...)
			}
			i += size
		}
	}
	d.pos = len(b)
	return nil, d.unexpected("'\"' closing a string")
}

// skipString moves past a string (d.pos at its quote), checking its escapes.
func (d *decoder) skipString() error {
	b := d.buf
	for i := d.pos + 1; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return nil
		case c == '\\':
			if i+1 >= len(b) {
				d.pos = len(b)
				return d.unexpected("an escape")
			}
			if b[i+1] == 'u' {
				if _, ok := hex4(b, i+2); !ok {
					d.pos = i
					return d.syntaxErr(`invalid \u escape`)
				}
				i += 6
				continue
			}
			if _, ok := unescapeByte(b[i+1]); !ok {
				d.pos = i
				return d.syntaxErr("invalid escape %s", describe(b[i+1]))
			}
			i += 2
		case c < 0x20:
			d.pos = i
			return d.syntaxErr("control character %s in a string", describe(c))
		default:
			i++
		}
	}
	d.pos = len(b)
	return d.unexpected("'\"' closing a string")
}

// number reads a JSON number. isInt is false for a fraction or exponent; inRange is false for an
// integer outside int64.
func (d *decoder) number() (v int64, isInt, inRange bool, err error) {
	b := d.buf
	i := d.pos
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	var u uint64
	overflow := false
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for ; i < len(b) && isDigit(b[i]); i++ {
			if u > (math.MaxUint64-9)/10 {
				overflow = true
			}
			u = u*10 + uint64(b[i]-'0')
		}
	default:
		d.pos = i
		return 0, false, false, d.unexpected("a digit")
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		isInt = false
		i++
		if i >= len(b) || !isDigit(b[i]) {
			d.pos = i
			return 0, false, false, d.unexpected("a digit after '.'")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			d.pos = i
			return 0, false, false, d.unexpected("a digit in the exponent")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	d.pos = i
	switch {
	case overflow:
	case neg && u <= 1<<63:
		return -int64(u), isInt, true, nil
	case !neg && u <= math.MaxInt64:
		return int64(u), isInt, true, nil
	}
	return 0, isInt, false, nil
}

// skip moves past any JSON value, checking it.
func (d *decoder) skip(depth int) error {
	if depth > maxDepth {
		return d.syntaxErr("nesting deeper than %d", maxDepth)
	}
	switch c := d.peek(); c {
	case '"':
		return d.skipString()
	case '{':
		more, err := d.beginObject()
		for more && err == nil {
			if d.peek() != '"' {
				return d.unexpected("a string (object key)")
			}
			if err = d.skipString(); err != nil {
				return err
			}
			if err = d.colon(); err != nil {
				return err
			}
			if err = d.skip(depth + 1); err != nil {
				return err
			}
			more, err = d.next('}')
		}
		return err
	case '[':
		d.pos++
		d.ws()
		if d.peek() == ']' {
			d.pos++
			return nil
		}
		for {
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			more, err := d.next(']')
			if err != nil || !more {
				return err
			}
		}
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	default:
		if c == '-' || isDigit(c) {
			_, _, _, err := d.number()
			return err
		}
		return d.unexpected("a JSON value")
	}
}

// kind names the JSON type of the value at d.pos.
func (d *decoder) kind() string {
	switch c := d.peek(); {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || isDigit(c):
		return "a number"
	case d.pos >= len(d.buf):
		return "the end of input"
	default:
		return describe(c)
	}
}

func (d *decoder) syntaxErr(format string, args ...any) error {
	return errclass.Record(eventSubject, "malformed JSON at byte %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func (d *decoder) unexpected(want string) error {
	if d.pos >= len(d.buf) {
		return d.syntaxErr("unexpected end of input, expected %s", want)
	}
	return d.syntaxErr("unexpected %s, expected %s", describe(d.buf[d.pos]), want)
}

// describe names a byte of input for an error message.
func describe(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// unescapeByte returns the byte a one-character escape (the character after the backslash)
// stands for.
func unescapeByte(e byte) (byte, bool) {
	switch e {
	case '"', '\\', '/':
		return e, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

// hex4 reads 4 hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// decodeU decodes the \uXXXX escape at b[i:] and, for a surrogate pair, the one after it, as
// encoding/json does: a surrogate not part of a valid pair is U+FFFD. It returns the index after
// what it consumed.
func decodeU(b []byte, i int) (r rune, next int, ok bool) {
	r, ok = hex4(b, i+2)
	if !ok {
		return 0, 0, false
	}
	next = i + 6
	if utf16.IsSurrogate(r) {
		if next+1 < len(b) && b[next] == '\\' && b[next+1] == 'u' {
			if r2, ok2 := hex4(b, next+2); ok2 {
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					return dec, next + 6, true
				}
			}
		}
		r = utf8.RuneError
	}
	return r, next, true
}

// unescapeInPlace unescapes the contents of a checked JSON string into b itself and returns the
// length of the result: every escape is at least as long as what it stands for.
func unescapeInPlace(b []byte) int {
	w := 0
	for r := 0; r < len(b); {
		c := b[r]
		if c != '\\' {
			b[w] = c
			w++
			r++
			continue
		}
		if b[r+1] == 'u' {
			ru, next, _ := decodeU(b, r)
			w += utf8.EncodeRune(b[w:], ru)
			r = next
			continue
		}
		b[w], _ = unescapeByte(b[r+1])
		w++
		r += 2
	}
	return w
}
