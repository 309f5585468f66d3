package transforms

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strconv"
	"sync"

	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// object is a schemaless JSON object (record.RawJSON, as the JSON converter makes it) being
// edited without being materialised: its top-level members are located once, transforms drop,
// rename, replace and add members, and render writes the result in one allocation, copying
// untouched runs of members as they were. Nested values stay raw bytes.
//
// A repeated name is handled as jsonconv.Parse handles it (the last value wins): a value set
// by name (InsertField, MaskField) goes into the last member of that name and the earlier ones
// are dropped; dropping and renaming apply to every member of the name. Members keep their
// order; added ones come last. Text after the object is dropped, as Parse ignores it.
type object struct {
	src   []byte
	ms    []member
	edits []edit // edited and added members' names and values
	fps   uint64 // bit fp set for each member's fingerprint; all set when a name has escapes
}

// member is one top-level member, located in src by offsets. A member that is still as it was
// has edit < 0 and is copied from src[off:end]; an edited or added one is written from its
// name and its edit's value.
type member struct {
	off, end     int32 // the whole member ("name": value)
	nOff, nEnd   int32 // the name's text between the quotes, escapes kept
	vOff, vEnd   int32 // the value
	edit         int32 // index in edits, or -1
	esc, deleted bool  // the name has escapes; the member is dropped
	fp           uint8 // nameFingerprint of the name's content (kept up to date by rename)
}

// edit is the new name and value of an edited or added member.
type edit struct {
	name []byte // JSON string content, or nil for the name in src
	val  []byte // raw JSON value (kind valRaw); nil for the value in src
	str  string // kind valString
	num  int64  // kind valInt
	kind uint8
}

const (
	valRaw uint8 = iota
	valString
	valInt
)

var objectPool = sync.Pool{New: func() any { return &object{ms: make([]member, 0, 32)} }}

// scanObject locates the members of raw, which must be a JSON object; nil when it is not one
// (or is malformed: then the generic path's jsonconv.Parse reports it). The object comes from a
// pool: release it when done.
func scanObject(raw record.RawJSON) *object {
	if len(raw) < 2 || raw[0] != '{' || len(raw) > 1<<31-1 {
		return nil
	}
	o := objectPool.Get().(*object)
	o.src = raw
	ms := o.ms[:0] // appended to locally: no write barrier per member
	fps := uint64(0)
	n := len(raw)
	i := skipWS(raw, 1)
	if i < n && raw[i] == '}' {
		o.ms, o.fps = ms, 0
		return o
	}
	for i < n && raw[i] == '"' {
		off := i
		j, esc, ok := stringEnd(raw, i)
		if !ok {
			break
		}
		nEnd := j - 1
		j = skipWS(raw, j)
		if j >= n || raw[j] != ':' {
			break
		}
		j = skipWS(raw, j+1)
		end, ok := valueEnd(raw, j)
		if !ok {
			break
		}
		if len(ms) == cap(ms) {
			ms = append(ms, member{})[:len(ms)]
		}
		ms = ms[:len(ms)+1]
		m := &ms[len(ms)-1]
		m.off, m.end, m.nOff, m.nEnd, m.vOff, m.vEnd, m.edit = int32(off), int32(end), int32(off+1), int32(nEnd), int32(j), int32(end), -1
		m.esc, m.deleted, m.fp = esc, false, nameFingerprint(raw[off+1:nEnd])
		fps |= 1 << (m.fp & 63)
		if esc {
			fps = ^uint64(0)
		}
		i = skipWS(raw, end)
		if i >= n {
			break
		}
		if raw[i] == '}' {
			o.ms, o.fps = ms, fps
			return o // text after the object is ignored, as jsonconv.Parse (and Jackson) ignore it
		}
		if raw[i] != ',' {
			break
		}
		i = skipWS(raw, i+1)
	}
	o.ms = ms
	o.release()
	return nil
}

// release returns o to the pool. Its edits are not cleared (editOf and add overwrite each one
// they reuse): what they still refer to is config or record memory that the pool, emptied by
// every second garbage collection, keeps alive no longer than that.
func (o *object) release() {
	o.edits = o.edits[:0]
	o.ms, o.src = o.ms[:0], nil
	objectPool.Put(o)
}

// name returns member i's name as JSON string content (escapes kept).
func (o *object) name(i int) []byte {
	m := &o.ms[i]
	if m.edit >= 0 && o.edits[m.edit].name != nil {
		return o.edits[m.edit].name
	}
	return o.src[m.nOff:m.nEnd]
}

// val returns member i's raw value (for a member set with setString or setInt, what it was).
func (o *object) val(i int) []byte {
	m := &o.ms[i]
	if m.edit >= 0 && o.edits[m.edit].val != nil {
		return o.edits[m.edit].val
	}
	if m.vOff < 0 {
		return nullJSON
	}
	return o.src[m.vOff:m.vEnd]
}

func (o *object) deleted(i int) bool { return o.ms[i].deleted }

// editOf returns member i's edit, making one.
func (o *object) editOf(i int) *edit {
	m := &o.ms[i]
	if m.edit < 0 {
		m.edit = int32(len(o.edits))
		o.edits = append(o.edits, edit{})
	}
	return &o.edits[m.edit]
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// stringEnd returns the offset past the string that starts at b[i] (a quote) and whether it has
// escapes.
func stringEnd(b []byte, i int) (end int, esc, ok bool) {
	i++
	for {
		j := nextQuoteOrBackslash(b, i)
		if j >= len(b) {
			return 0, esc, false
		}
		if b[j] == '"' {
			return j + 1, esc, true
		}
		esc = true
		i = j + 2 // skip the escaped character
	}
}

const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	quotes = '"' * ones
	bslash = '\\' * ones
	opens  = '{' * ones // '[' | 0x20 is '{'
	closes = '}' * ones // ']' | 0x20 is '}'
	lower  = 0x20 * ones
)

// zeroBytes has the high bit set in the lowest byte of x that is zero (bits above it may be
// set too): its trailing zeros locate the first zero byte.
func zeroBytes(x uint64) uint64 { return (x - ones) &^ x & highs }

// nextQuoteOrBackslash returns the offset of the first '"' or '\\' at or after i, or len(b).
func nextQuoteOrBackslash(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if m := zeroBytes(w^quotes) | zeroBytes(w^bslash); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(b); i++ {
		if b[i] == '"' || b[i] == '\\' {
			return i
		}
	}
	return len(b)
}

// eqBytes has the high bit set in exactly the bytes of w equal to the byte repeated in pat.
func eqBytes(w, pat uint64) uint64 {
	x := w ^ pat
	return ^(((x & 0x7F7F7F7F7F7F7F7F) + 0x7F7F7F7F7F7F7F7F) | x) & highs
}

// containerEnd returns the offset past the array or object that starts at b[i], eight bytes at
// a time: quotes and brackets are found with SWAR as the high bits of their bytes, string
// interiors masked by a prefix XOR of the quote bits, and brackets counted outside them. Words
// with backslashes take the byte-at-a-time path.
func containerEnd(b []byte, i int) (int, bool) {
	depth := 0
	inStr := uint64(0) // highs while inside a string at a word boundary
	esc := false       // the next byte is escaped
	for i < len(b) {
		if i+8 <= len(b) && !esc {
			w := binary.LittleEndian.Uint64(b[i:])
			if zeroBytes(w^bslash) == 0 {
				l := w | lower
				o, c, q := eqBytes(l, opens), eqBytes(l, closes), eqBytes(w, quotes)
				if o|c == 0 { // no brackets: only the string state changes
					if bits.OnesCount64(q)&1 != 0 {
						inStr ^= highs
					}
					i += 8
					continue
				}
				// p has byte k's high bit set when byte k is inside a string (or is its
				// opening quote).
				p := q
				p ^= p << 8
				p ^= p << 16
				p ^= p << 32
				p ^= inStr
				o &^= p
				c &^= p
				inStr = 0
				if p>>63 != 0 {
					inStr = highs
				}
				if nc := bits.OnesCount64(c); nc == 0 || depth-nc > 0 {
					depth += bits.OnesCount64(o) - nc
					i += 8
					continue
				}
				for m := o | c; m != 0; m &= m - 1 {
					k := bits.TrailingZeros64(m)
					if o>>k&1 != 0 {
						depth++
					} else if depth--; depth == 0 {
						return i + k/8 + 1, true
					}
				}
				i += 8
				continue
			}
		}
		// One word (or the tail) a byte at a time.
		end := min(i+8, len(b))
		for ; i < end; i++ {
			ch := b[i]
			switch {
			case esc:
				esc = false
			case inStr != 0:
				if ch == '\\' {
					esc = true
				} else if ch == '"' {
					inStr = 0
				}
			case ch == '"':
				inStr = highs
			case ch == '{' || ch == '[':
				depth++
			case ch == '}' || ch == ']':
				if depth--; depth == 0 {
					return i + 1, true
				}
			}
		}
	}
	return 0, false
}

// valueEnd returns the offset past the value that starts at b[i].
func valueEnd(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		end, _, ok := stringEnd(b, i)
		return end, ok
	case '{', '[':
		return containerEnd(b, i)
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\n', '\r', '\t':
			return j, j > i
		}
		j++
	}
	return j, j > i
}

// is reports whether member i is named name.
func (o *object) is(i int, name string) bool {
	if !o.ms[i].esc {
		return string(o.name(i)) == name
	}
	return o.decodedName(i) == name
}

// decodedName returns member i's name with escapes resolved.
func (o *object) decodedName(i int) string {
	n := o.name(i)
	if !o.ms[i].esc {
		return string(n)
	}
	quoted := make([]byte, 0, len(n)+2)
	quoted = append(append(append(quoted, '"'), n...), '"')
	v, err := jsonconv.Parse(quoted)
	if s, ok := v.(string); ok && err == nil {
		return s
	}
	return string(n)
}

// setRaw replaces member i's value with raw JSON.
func (o *object) setRaw(i int, raw []byte) {
	e := o.editOf(i)
	e.val, e.kind = raw, valRaw
}

// setString replaces member i's value with a string.
func (o *object) setString(i int, s string) {
	e := o.editOf(i)
	e.str, e.kind, e.val = s, valString, nil
}

// setInt replaces member i's value with an integer.
func (o *object) setInt(i int, n int64) {
	e := o.editOf(i)
	e.num, e.kind, e.val = n, valInt, nil
}

// rename gives member i a new name, given as JSON string content (escaped, without quotes).
func (o *object) rename(i int, quotedContent []byte) {
	e := o.editOf(i)
	e.name = quotedContent
	o.ms[i].esc = bytes.IndexByte(quotedContent, '\\') >= 0
	o.ms[i].fp = nameFingerprint(quotedContent)
	o.fps |= 1 << (o.ms[i].fp & 63)
	if o.ms[i].esc {
		o.fps = ^uint64(0)
	}
}

// drop removes member i.
func (o *object) drop(i int) { o.ms[i].deleted = true }

// add appends a member named by JSON string content (escaped, without quotes), with a null
// value, and returns its index; set its value with setRaw, setString or setInt.
func (o *object) add(quotedContent []byte) int {
	o.ms = append(o.ms, member{off: -1, vOff: -1, edit: int32(len(o.edits)), esc: bytes.IndexByte(quotedContent, '\\') >= 0,
		fp: nameFingerprint(quotedContent)})
	o.fps |= 1 << (o.ms[len(o.ms)-1].fp & 63)
	if o.ms[len(o.ms)-1].esc {
		o.fps = ^uint64(0)
	}
	o.edits = append(o.edits, edit{name: quotedContent, val: nullJSON})
	return len(o.ms) - 1
}

var nullJSON = []byte("null")

// render writes the edited object as new RawJSON.
func (o *object) render() record.RawJSON {
	ms := o.ms
	buf := make([]byte, 0, o.size())
	buf = append(buf, '{')
	first := true
	for i := 0; i < len(ms); {
		m := &ms[i]
		if m.deleted {
			i++
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		if m.edit < 0 {
			// Copy the run of untouched members that follow each other in src.
			j := i
			for j+1 < len(ms) && ms[j+1].edit < 0 && !ms[j+1].deleted {
				j++
			}
			buf = append(buf, o.src[m.off:ms[j].end]...)
			i = j + 1
			continue
		}
		buf = append(buf, '"')
		buf = append(buf, o.name(i)...)
		buf = append(buf, '"', ':')
		switch e := &o.edits[m.edit]; e.kind {
		case valString:
			buf = jsonconv.AppendString(buf, e.str)
		case valInt:
			buf = strconv.AppendInt(buf, e.num, 10)
		default:
			buf = append(buf, o.val(i)...)
		}
		i++
	}
	return record.RawJSON(append(buf, '}'))
}

// size returns an upper bound of the rendered object's length, exact unless a set string needs
// escapes, so that render allocates once and no more than it needs.
func (o *object) size() int {
	n := 2
	for i := range o.ms {
		m := &o.ms[i]
		if m.deleted {
			continue
		}
		n++ // the comma (one too many for the first member)
		if m.edit < 0 {
			n += int(m.end - m.off)
			continue
		}
		n += len(o.name(i)) + 3
		switch e := &o.edits[m.edit]; e.kind {
		case valString:
			n += quotedLen(e.str)
		case valInt:
			n += 20
		default:
			n += len(o.val(i))
		}
	}
	return n
}

// quotedLen bounds the length of s written as a JSON string: exact when no byte needs an
// escape (or stands for U+FFFD), else six bytes a byte.
func quotedLen(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return 6*len(s) + 2
		}
	}
	return len(s) + 2
}

// jsonName returns the JSON string content (escaped, without quotes) of name.
func jsonName(name string) []byte {
	q := jsonconv.AppendString(nil, name)
	return q[1 : len(q)-1]
}

// rawKind classifies a raw JSON value as Connect's schemaless classes: 's' string, 'l' an integer
// that fits a long, 'd' any other number (a double), 'b' boolean, 'm' object, 'a' array, 'n' null.
func rawKind(v []byte) byte {
	switch v[0] {
	case '"':
		return 's'
	case '{':
		return 'm'
	case '[':
		return 'a'
	case 't', 'f':
		return 'b'
	case 'n':
		return 'n'
	}
	if bytes.ContainsAny(v, ".eE") || !fitsInt64(v) {
		return 'd'
	}
	return 'l'
}

// fitsInt64 reports whether an integer literal fits an int64.
func fitsInt64(v []byte) bool {
	limit := "9223372036854775807"
	if v[0] == '-' {
		v, limit = v[1:], "9223372036854775808"
	}
	for len(v) > 1 && v[0] == '0' {
		v = v[1:]
	}
	if len(v) != len(limit) {
		return len(v) < len(limit)
	}
	return string(v) <= limit
}

// rawEditor is implemented by transforms that can work on an object: the Chain then keeps a
// record's JSON object in that form across such transforms and renders it once.
type rawEditor interface {
	rawSide() side
	// editRaw applies the transform to o, the side's object of the record that m describes.
	editRaw(m recMeta, o *object) error
}

// recMeta is what an editRaw may know of the record besides the object: passed by value, so
// that the record itself does not escape to the heap.
type recMeta struct {
	topic     string
	partition int32
	offset    int64
	timestamp int64
	tsType    record.TimestampType
}

func metaOf(r *record.Record) recMeta {
	return recMeta{topic: r.Topic, partition: r.Partition, offset: r.Offset, timestamp: r.Timestamp, tsType: r.TimestampType}
}

// fail builds the BadRecord error of transform name about the record.
func (m recMeta) fail(name, format string, args ...any) error {
	r := record.Record{Topic: m.topic, Partition: m.partition, Offset: m.offset}
	return fail(&r, name, format, args...)
}

// applyRaw runs a rawEditor on its own, for its Apply: ok is false when the side's data is not a
// schemaless JSON object.
func applyRaw(t rawEditor, r record.Record) (out record.Record, ok bool, err error) {
	sd := t.rawSide()
	s, v := sd.get(&r)
	raw, isRaw := v.(record.RawJSON)
	if s != nil || !isRaw {
		return r, false, nil
	}
	o := scanObject(raw)
	if o == nil {
		return r, false, nil
	}
	defer o.release()
	if err := t.editRaw(metaOf(&r), o); err != nil {
		return r, true, err
	}
	return sd.set(r, nil, o.render()), true, nil
}
