package reader

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// arrayReader streams the elements of a top-level JSON array; each element is one record, its
// JSON compacted onto one line.
type arrayReader struct {
	dec     *json.Decoder
	max     int
	index   int64
	started bool
	err     error // sticky: set once the stream cannot be read further
	raw     json.RawMessage
	buf     bytes.Buffer
}

func newJSONArray(r io.Reader, max int) *arrayReader {
	return &arrayReader{dec: json.NewDecoder(r), max: max}
}

func (a *arrayReader) next() int64 { return a.index }

func (a *arrayReader) corrupt(format string, args ...any) error {
	a.err = errclass.New(errclass.BadRecord, fmt.Sprintf("byte %d", a.dec.InputOffset()), fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrCorrupt))
	return a.err
}

func (a *arrayReader) Next() (Record, error) {
	if a.err != nil {
		return Record{}, a.err
	}
	if !a.started {
		a.started = true
		tok, err := a.dec.Token()
		if errors.Is(err, io.EOF) {
			a.err = io.EOF // an empty object holds no records
			return Record{}, io.EOF
		}
		if err != nil {
			return Record{}, a.corrupt("not a JSON array: %v", err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return Record{}, a.corrupt("not a JSON array: starts with %v", tok)
		}
	}
	if !a.dec.More() {
		tok, err := a.dec.Token()
		if err != nil || tok != json.Delim(']') {
			return Record{}, a.corrupt("record %d: the array is not closed", a.index)
		}
		if _, err := a.dec.Token(); !errors.Is(err, io.EOF) {
			return Record{}, a.corrupt("content after the array")
		}
		a.err = io.EOF
		return Record{}, io.EOF
	}
	a.raw = a.raw[:0]
	if err := a.dec.Decode(&a.raw); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Record{}, a.corrupt("record %d: the object ends inside the array", a.index)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return Record{}, a.corrupt("record %d: %v", a.index, err)
		}
		return Record{}, err
	}
	idx := a.index
	a.index++
	a.buf.Reset()
	if err := json.Compact(&a.buf, a.raw); err != nil {
		return Record{Index: idx}, a.corrupt("record %d: %v", idx, err)
	}
	if a.buf.Len() > a.max {
		return Record{Index: idx}, errclass.Record(fmt.Sprintf("array element %d", idx), "is longer than %d bytes", a.max)
	}
	b := a.buf.Bytes()
	return Record{Index: idx, Raw: b, Data: record.RawJSON(b)}, nil
}
