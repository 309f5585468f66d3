package reader

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// csvReader reads CSV (RFC 4180 with a configurable delimiter and quote): the first row is the
// header; every later row is one record. Quoted fields may hold delimiters, newlines and doubled
// quotes. Blank lines are skipped.
type csvReader struct {
	br     *bufio.Reader
	delim  byte
	quote  byte
	max    int
	line   int64
	index  int64
	header []string
	schema *record.Schema
	types  []record.Type // per column; "" for untyped
	buf    []byte
	ends   []int
	err    error
}

func newCSV(r io.Reader, opts Options) (*csvReader, error) {
	c := &csvReader{br: bufio.NewReaderSize(r, 256<<10), delim: opts.CSV.Delimiter, quote: opts.CSV.Quote, max: opts.MaxRecordBytes}
	if c.delim == 0 {
		c.delim = ','
	}
	if c.quote == 0 {
		c.quote = '"'
	}
	if c.delim == c.quote || c.delim == '\n' || c.delim == '\r' || c.quote == '\n' || c.quote == '\r' {
		return nil, errclass.Config("csv", "delimiter %q and quote %q must differ and not be line breaks", c.delim, c.quote)
	}
	for name, t := range opts.CSV.Types {
		switch t {
		case record.Int8, record.Int16, record.Int32, record.Int64, record.Float32, record.Float64, record.Boolean, record.String:
		default:
			return nil, errclass.Config("csv", "column %q: type %q is not a primitive type", name, t)
		}
	}
	hdr, line, err := c.row()
	if errors.Is(err, io.EOF) {
		c.err = io.EOF
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, h := range hdr {
		if seen[h] {
			return nil, errclass.Record(fmt.Sprintf("line %d", line), "CSV header names column %q twice", h)
		}
		seen[h] = true
	}
	c.header = hdr
	if len(opts.CSV.Types) > 0 {
		s := &record.Schema{Type: record.Struct}
		c.types = make([]record.Type, len(hdr))
		for i, h := range hdr {
			t, ok := opts.CSV.Types[h]
			if !ok {
				t = record.String
			}
			c.types[i] = t
			s.Fields = append(s.Fields, record.Field{Name: h, Index: i, Schema: &record.Schema{Type: t, Optional: true}})
		}
		for name := range opts.CSV.Types {
			if !seen[name] {
				return nil, errclass.Config("csv", "typed column %q is not in the header %q", name, hdr)
			}
		}
		c.schema = s
	}
	return c, nil
}

func (c *csvReader) next() int64 { return c.index }

// row reads one row; it returns the fields (copies) and the line the row starts on.
func (c *csvReader) row() ([]string, int64, error) {
	for {
		c.buf, c.ends = c.buf[:0], c.ends[:0]
		start := c.line + 1
		blank, err := c.scan()
		if err != nil {
			return nil, start, err
		}
		if blank {
			continue
		}
		out := make([]string, len(c.ends))
		prev := 0
		for i, e := range c.ends {
			out[i] = string(c.buf[prev:e])
			prev = e
		}
		return out, start, nil
	}
}

// scan reads one row into buf/ends. blank reports an empty line.
func (c *csvReader) scan() (blank bool, err error) {
	b, err := c.br.ReadByte()
	if err != nil {
		return false, err
	}
	c.line++
	if b == '\n' {
		return true, nil
	}
	if b == '\r' {
		if n, _ := c.br.Peek(1); len(n) == 1 && n[0] == '\n' {
			c.br.ReadByte()
			return true, nil
		}
	}
	startLine := c.line
	for {
		// b is the first byte of a field.
		if b == c.quote {
			for {
				b, err = c.br.ReadByte()
				if err != nil {
					return false, errclass.New(errclass.BadRecord, fmt.Sprintf("line %d", startLine), fmt.Errorf("quoted field not terminated: %w", ErrCorrupt))
				}
				if b == c.quote {
					n, _ := c.br.Peek(1)
					if len(n) == 1 && n[0] == c.quote {
						c.br.ReadByte()
						c.buf = append(c.buf, b)
						continue
					}
					break
				}
				if b == '\n' {
					c.line++
				}
				c.buf = append(c.buf, b)
				if len(c.buf) > c.max {
					return false, errclass.New(errclass.BadRecord, fmt.Sprintf("line %d", startLine), fmt.Errorf("row longer than %d bytes: %w", c.max, ErrCorrupt))
				}
			}
			c.ends = append(c.ends, len(c.buf))
			b, err = c.br.ReadByte()
			switch {
			case errors.Is(err, io.EOF):
				return false, nil
			case err != nil:
				return false, err
			case b == c.delim:
				b, err = c.br.ReadByte()
				if errors.Is(err, io.EOF) {
					c.ends = append(c.ends, len(c.buf))
					return false, nil
				}
				if err != nil {
					return false, err
				}
				continue
			case b == '\n':
				return false, nil
			case b == '\r':
				if n, _ := c.br.Peek(1); len(n) == 1 && n[0] == '\n' {
					c.br.ReadByte()
					return false, nil
				}
				fallthrough
			default:
				c.skipLine()
				return false, errclass.Record(fmt.Sprintf("line %d", startLine), "character %q after a closing quote", b)
			}
		}
		// unquoted field
		for {
			if b == c.delim {
				c.ends = append(c.ends, len(c.buf))
				b, err = c.br.ReadByte()
				if errors.Is(err, io.EOF) {
					c.ends = append(c.ends, len(c.buf))
					return false, nil
				}
				if err != nil {
					return false, err
				}
				break
			}
			if b == '\n' {
				c.ends = append(c.ends, len(trimCR(c.buf)))
				c.buf = trimCR(c.buf)
				return false, nil
			}
			c.buf = append(c.buf, b)
			if len(c.buf) > c.max {
				c.skipLine()
				return false, errclass.Record(fmt.Sprintf("line %d", startLine), "row longer than %d bytes", c.max)
			}
			b, err = c.br.ReadByte()
			if errors.Is(err, io.EOF) {
				c.buf = trimCR(c.buf)
				c.ends = append(c.ends, len(c.buf))
				return false, nil
			}
			if err != nil {
				return false, err
			}
		}
	}
}

func (c *csvReader) skipLine() {
	for {
		b, err := c.br.ReadByte()
		if err != nil || b == '\n' {
			return
		}
	}
}

func (c *csvReader) Next() (Record, error) {
	if c.err != nil {
		return Record{}, c.err
	}
	fields, line, err := c.row()
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			c.err = err
		}
		if errclass.Is(err, errclass.BadRecord) {
			idx := c.index
			c.index++
			return Record{Index: idx, Line: line}, err
		}
		if errors.Is(err, io.EOF) {
			c.err = io.EOF
		}
		return Record{}, err
	}
	idx := c.index
	c.index++
	rec := Record{Index: idx, Line: line, Raw: []byte(strings.Join(fields, string(c.delim)))}
	subject := fmt.Sprintf("line %d", line)
	if len(fields) != len(c.header) {
		return rec, errclass.Record(subject, "record %d has %d columns, the header %d", idx, len(fields), len(c.header))
	}
	if c.schema == nil {
		m := make(map[string]any, len(fields))
		for i, f := range fields {
			m[c.header[i]] = f
		}
		rec.Data = m
		return rec, nil
	}
	sv := &record.StructValue{Schema: c.schema, Values: make([]any, len(fields))}
	for i, f := range fields {
		v, err := typed(c.types[i], f)
		if err != nil {
			return rec, errclass.Record(subject, "record %d, column %q: %v", idx, c.header[i], err)
		}
		sv.Values[i] = v
	}
	rec.Schema, rec.Data = c.schema, sv
	return rec, nil
}

// typed converts a CSV field to a Connect value of type t; an empty field is null.
func typed(t record.Type, f string) (any, error) {
	if t == record.String {
		return f, nil
	}
	if f == "" {
		return nil, nil
	}
	s := strings.TrimSpace(f)
	switch t {
	case record.Int8, record.Int16, record.Int32, record.Int64:
		bits := map[record.Type]int{record.Int8: 8, record.Int16: 16, record.Int32: 32, record.Int64: 64}[t]
		n, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return nil, fmt.Errorf("%q is not an %s", f, strings.ToLower(string(t)))
		}
		switch t {
		case record.Int8:
			return int8(n), nil
		case record.Int16:
			return int16(n), nil
		case record.Int32:
			return int32(n), nil
		}
		return n, nil
	case record.Float32:
		x, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not a float32", f)
		}
		return float32(x), nil
	case record.Float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a float64", f)
		}
		return x, nil
	case record.Boolean:
		switch strings.ToLower(s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not a boolean", f)
	}
	return nil, fmt.Errorf("unsupported type %s", t)
}
