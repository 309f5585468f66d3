// Package reader streams the records of an S3 object: JSON lines, a JSON array of objects, CSV
// with a header, plain text lines, the whole object as one record, Avro object container files or
// Parquet files (rows as Connect structs with the file's schema), transparently decompressed
// (gzip, zstd, bzip2) by extension or Content-Encoding. Memory does not grow with the object: a
// reader holds one record (bounded by Options.MaxRecordBytes) and a read buffer; an Avro reader
// holds one block, a Parquet reader a read buffer per column of the row group being read
// (MaxRecordBytes does not apply to these two).
//
// A Reader returns records one at a time, each with its index in the object (0-based, counting
// records only), the line it starts on and its Connect data (record.RawJSON for JSON, a
// *record.StructValue or map for CSV, a string for text, []byte for bytes). A malformed record is
// an errclass.BadRecord error naming its line; the reader then continues with the next record, so
// that errors.tolerance=all can dead-letter it. Formats that need random access (Parquet) take the
// Source's ReaderAt; stream formats (JSON, CSV, text, Avro container files) read Body.
//
// The package imports no AWS SDK and no Kafka client.
package reader

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Format is an input.format, with the names of Aiven's S3 source connector.
type Format string

// The formats.
const (
	JSONL Format = "jsonl"
	JSON  Format = "json"
	CSV   Format = "csv"
	Text  Format = "text"
	Bytes Format = "bytes"
	// Avro reads Avro object container files, streaming Source.Body.
	Avro Format = "avro"
	// Parquet reads Parquet files (Source.ReaderAt and Size), one row group at a time.
	Parquet Format = "parquet"
)

// Formats lists the formats New accepts.
func Formats() []string {
	return []string{string(JSONL), string(JSON), string(CSV), string(Text), string(Bytes), string(Avro), string(Parquet)}
}

// DefaultMaxRecordBytes bounds one record when Options.MaxRecordBytes is 0.
const DefaultMaxRecordBytes = 8 << 20

// Record is one record read from an object. Raw and Data may share the reader's buffer: they are
// valid until the next call to Next.
type Record struct {
	Index  int64 // 0-based index of the record in the object
	Line   int64 // 1-based line the record starts on (1 for bytes)
	Raw    []byte
	Schema *record.Schema
	Data   any
	// JSON is, for a schemaless JSON record (JSON lines), its validated text (see
	// jsonconv.Validate), and Data is then nil: a record.RawJSON in an interface would cost an
	// allocation per record that callers writing the text through do not need. Value gives it
	// as Connect data.
	JSON []byte
}

// Value returns the record's Connect data: Data, or JSON as a record.RawJSON.
func (r Record) Value() any {
	if r.JSON != nil {
		return record.RawJSON(r.JSON)
	}
	return r.Data
}

// Reader reads the records of one object.
type Reader interface {
	// Next returns the next record, io.EOF after the last one, or an errclass.BadRecord error for
	// a malformed record (which still consumes an index; Next continues after it) or another
	// error from the underlying stream (after which the reader is done).
	Next() (Record, error)
}

// Source is what a reader reads: the (decompressed) stream, and for formats that need random
// access, a ReaderAt over the stored object with its size.
type Source struct {
	Body     io.Reader
	ReaderAt io.ReaderAt
	Size     int64
}

// Options configures New.
type Options struct {
	Format         Format
	MaxRecordBytes int // 0: DefaultMaxRecordBytes
	CSV            CSVOptions
}

// CSVOptions configures the CSV format.
type CSVOptions struct {
	Delimiter byte // 0: ','
	Quote     byte // 0: '"'
	// Types maps column names to Connect types (int8 ... float64, boolean, string); when
	// non-empty, rows are structs with a schema (untyped columns are optional strings), else
	// schemaless maps of strings.
	Types map[string]record.Type
}

// New returns a reader of src in the given format.
func New(src Source, opts Options) (Reader, error) {
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if opts.Format == Parquet {
		return newParquet(src)
	}
	if src.Body == nil {
		return nil, errclass.Config("reader", "Source.Body is nil")
	}
	switch opts.Format {
	case JSONL:
		return newLines(src.Body, opts.MaxRecordBytes, true)
	case Text:
		return newLines(src.Body, opts.MaxRecordBytes, false)
	case JSON:
		return newJSONArray(src.Body, opts.MaxRecordBytes), nil
	case CSV:
		return newCSV(src.Body, opts)
	case Avro:
		return newAvro(src.Body, opts.MaxRecordBytes)
	case Bytes:
		return &wholeReader{r: src.Body, max: opts.MaxRecordBytes}, nil
	default:
		return nil, errclass.Config("input.format", "%q is not one of %s", opts.Format, strings.Join(Formats(), ", "))
	}
}

// ErrCorrupt is wrapped by the errclass.BadRecord error of a reader that cannot go on (an
// unterminated CSV quote, a JSON array that is not well-formed): the rest of the object cannot be
// read, whatever errors.tolerance says.
var ErrCorrupt = errors.New("the object cannot be read past this point")

// Skip reads and discards records until the next one has index n (for resuming at a checkpointed
// position). Bad records count as records; a corrupt object or a stream error stops it.
func Skip(r Reader, n int64) error {
	if s, ok := r.(interface{ skipTo(int64) error }); ok {
		return s.skipTo(n)
	}
	p, ok := r.(interface{ next() int64 })
	if !ok {
		return fmt.Errorf("reader %T cannot report its position", r)
	}
	for p.next() < n {
		_, err := r.Next()
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return nil
		case errclass.Is(err, errclass.BadRecord) && !errors.Is(err, ErrCorrupt):
		default:
			return err
		}
	}
	return nil
}

// lineReader reads newline-separated records (JSON lines or text). Blank lines are not records.
type lineReader struct {
	br      *bufio.Reader
	max     int
	json    bool
	line    int64
	index   int64
	buf     []byte
	tooLong bool
}

func newLines(r io.Reader, max int, json bool) (*lineReader, error) {
	return &lineReader{br: bufio.NewReaderSize(r, 256<<10), max: max, json: json}, nil
}

func (l *lineReader) next() int64 { return l.index }

// readLine returns the next line without its terminator ("\n" or "\r\n"). A line longer than max
// is consumed and reported with tooLong.
func (l *lineReader) readLine() ([]byte, error) {
	l.buf = l.buf[:0]
	l.tooLong = false
	for {
		frag, err := l.br.ReadSlice('\n')
		if len(l.buf) == 0 && err == nil && len(frag) <= l.max+2 {
			l.line++
			line := trimCR(frag[:len(frag)-1])
			l.tooLong = len(line) > l.max
			return line, nil
		}
		if !l.tooLong {
			if len(l.buf)+len(frag) > l.max+2 || (err == nil && len(trimCR(trimLF(append(l.buf, frag...)))) > l.max) {
				l.tooLong = true
				l.buf = l.buf[:0]
			} else {
				l.buf = append(l.buf, frag...)
			}
		}
		switch {
		case err == nil:
			l.line++
			return trimCR(trimLF(l.buf)), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(l.buf) == 0 && !l.tooLong {
				return nil, io.EOF
			}
			l.line++
			return trimCR(l.buf), nil
		default:
			return nil, err
		}
	}
}

func trimLF(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

func (l *lineReader) Next() (Record, error) {
	for {
		b, err := l.readLine()
		if err != nil {
			return Record{}, err
		}
		if l.tooLong {
			idx := l.index
			l.index++
			return Record{Index: idx, Line: l.line}, errclass.Record(fmt.Sprintf("line %d", l.line), "record %d is longer than %d bytes", idx, l.max)
		}
		if l.json && isBlank(b) {
			continue
		}
		idx := l.index
		l.index++
		rec := Record{Index: idx, Line: l.line, Raw: b}
		if !l.json {
			rec.Schema, rec.Data = record.StringSchema, string(b)
			return rec, nil
		}
		raw, err := jsonconv.Validate(b)
		if err != nil {
			return rec, errclass.New(errclass.BadRecord, fmt.Sprintf("line %d", l.line), fmt.Errorf("record %d is not valid JSON: %w", idx, err))
		}
		rec.JSON = raw
		return rec, nil
	}
}

// wholeReader returns the whole object as one record.
type wholeReader struct {
	r    io.Reader
	max  int
	done bool
}

func (w *wholeReader) next() int64 {
	if w.done {
		return 1
	}
	return 0
}

func (w *wholeReader) Next() (Record, error) {
	if w.done {
		return Record{}, io.EOF
	}
	w.done = true
	b, err := io.ReadAll(io.LimitReader(w.r, int64(w.max)+1))
	if err != nil {
		return Record{}, err
	}
	if len(b) > w.max {
		return Record{Index: 0, Line: 1}, errclass.Record("object", "is longer than %d bytes, the most one record may hold", w.max)
	}
	return Record{Index: 0, Line: 1, Raw: b, Schema: record.BytesSchema, Data: b}, nil
}
