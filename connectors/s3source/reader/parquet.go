package reader

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// ParquetReadBufferSize is the size of the reads a Parquet reader makes on the object, per
// column chunk (the S3 source's ReaderAt turns them into larger ranged GETs).
const ParquetReadBufferSize = 128 << 10

// decimalPrecisionParameter is where Confluent's AvroData keeps a Decimal's precision.
const decimalPrecisionParameter = "connect.decimal.precision"

// parquetReader reads the rows of a Parquet file, one row group at a time, as Connect structs.
// The file's schema becomes the records' Connect schema: groups are structs, LIST arrays, MAP
// maps, DECIMAL/DATE/TIME/TIMESTAMP the Connect logical types (microsecond and nanosecond
// times are truncated to milliseconds), INT(8)/INT(16) int8/int16, STRING/ENUM/JSON/UUID strings.
type parquetReader struct {
	file   *parquet.File
	root   *rnode
	schema *record.Schema
	groups []parquet.RowGroup
	group  int
	rows   parquet.Rows
	buf    []parquet.Row
	cols   [][]parquet.Value
	cur    []int
	index  int64
	err    error
}

func newParquet(src Source) (pr *parquetReader, err error) {
	defer func() {
		if r := recover(); r != nil { // parquet-go panics on some corrupt files
			pr, err = nil, errclass.New(errclass.BadRecord, "object", fmt.Errorf("not a readable Parquet file: %v: %w", r, ErrCorrupt))
		}
	}()
	if src.ReaderAt == nil {
		return nil, errclass.Config("input.format", "parquet needs random access to the object (Source.ReaderAt)")
	}
	if err := checkFooter(src); err != nil {
		return nil, err
	}
	f, err := parquet.OpenFile(src.ReaderAt, src.Size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true),
		parquet.ReadBufferSize(ParquetReadBufferSize))
	if err != nil {
		var te interface{ Temporary() bool }
		if errors.As(err, &te) || errclass.Is(err, errclass.Retriable) {
			return nil, err
		}
		return nil, errclass.New(errclass.BadRecord, "object", fmt.Errorf("not a readable Parquet file: %v: %w", err, ErrCorrupt))
	}
	col := 0
	root, err := compileRead(f.Schema(), "", 0, 0, &col)
	if err != nil {
		return nil, errclass.New(errclass.BadRecord, "object", fmt.Errorf("Parquet schema: %v: %w", err, ErrCorrupt))
	}
	root.optional = false
	root.schema.Optional = false
	if name := f.Schema().Name(); name != "" && name != "ConnectDefault" {
		root.schema.Name = name
	}
	return &parquetReader{file: f, root: root, schema: root.schema, groups: f.RowGroups(), buf: make([]parquet.Row, 1),
		cols: make([][]parquet.Value, col), cur: make([]int, col)}, nil
}

// checkFooter checks the file's magic bytes and footer length before parquet-go reads the footer
// (which it would allocate at whatever length a corrupt file claims).
func checkFooter(src Source) error {
	var tail [8]byte
	if src.Size < 12 {
		return errclass.New(errclass.BadRecord, "object", fmt.Errorf("not a Parquet file: %d bytes: %w", src.Size, ErrCorrupt))
	}
	if _, err := src.ReaderAt.ReadAt(tail[:], src.Size-8); err != nil {
		if errclass.Is(err, errclass.Retriable) {
			return err
		}
		return errclass.New(errclass.BadRecord, "object", fmt.Errorf("reading the Parquet footer: %v: %w", err, ErrCorrupt))
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if string(tail[4:]) != "PAR1" || n > src.Size-12 {
		return errclass.New(errclass.BadRecord, "object", fmt.Errorf("not a Parquet file (no PAR1 footer of a valid length): %w", ErrCorrupt))
	}
	return nil
}

func (p *parquetReader) next() int64 { return p.index }

// recovered turns a panic of parquet-go (on some corrupt files) into a corrupt-file error.
func (p *parquetReader) recovered(err *error) {
	if r := recover(); r != nil {
		p.rows = nil
		p.err = errclass.New(errclass.BadRecord, fmt.Sprintf("row %d", p.index), fmt.Errorf("corrupt Parquet file: %v: %w", r, ErrCorrupt))
		*err = p.err
	}
}

// skipTo positions the reader at row n (Skip's fast path).
func (p *parquetReader) skipTo(n int64) (err error) {
	defer p.recovered(&err)
	for p.index < n {
		if p.rows == nil {
			if p.group >= len(p.groups) {
				return nil
			}
			rg := p.groups[p.group]
			if p.index+rg.NumRows() <= n {
				p.index += rg.NumRows()
				p.group++
				continue
			}
			p.rows = rg.Rows()
			p.group++
			if err := p.rows.SeekToRow(n - p.index); err != nil {
				return p.fail(err)
			}
			p.index = n
		} else if _, err := p.Next(); err != nil && !errclass.Is(err, errclass.BadRecord) {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
	return nil
}

func (p *parquetReader) fail(err error) error {
	if p.rows != nil {
		p.rows.Close()
		p.rows = nil
	}
	if errclass.Of(err) == errclass.Unknown {
		err = errclass.New(errclass.BadRecord, fmt.Sprintf("row %d", p.index), fmt.Errorf("%v: %w", err, ErrCorrupt))
	}
	p.err = err
	return err
}

func (p *parquetReader) Next() (_ Record, err error) {
	defer p.recovered(&err)
	if p.err != nil {
		return Record{}, p.err
	}
	for {
		if p.rows == nil {
			if p.group >= len(p.groups) {
				p.err = io.EOF
				return Record{}, io.EOF
			}
			p.rows = p.groups[p.group].Rows()
			p.group++
		}
		n, err := p.rows.ReadRows(p.buf)
		if n == 1 {
			break
		}
		if err == nil || errors.Is(err, io.EOF) {
			p.rows.Close()
			p.rows = nil
			continue
		}
		return Record{}, p.fail(err)
	}
	idx := p.index
	p.index++
	for i := range p.cols {
		p.cols[i], p.cur[i] = p.cols[i][:0], 0
	}
	p.buf[0].Range(func(c int, vs []parquet.Value) bool {
		if c < len(p.cols) {
			p.cols[c] = append(p.cols[c], vs...)
		}
		return true
	})
	rec := Record{Index: idx, Line: idx + 1, Schema: p.schema}
	v, err := p.assemble(p.root)
	if err != nil {
		return rec, errclass.New(errclass.BadRecord, fmt.Sprintf("row %d", idx), err)
	}
	rec.Data = v
	return rec, nil
}

// rnode is one node of a Parquet file's schema as the reader assembles it.
type rnode struct {
	path     string
	schema   *record.Schema
	kind     nodeKind
	optional bool
	def      int // definition level of a present value
	// repDef and repRep are the levels of a list's or map's repeated group.
	repDef, repRep int
	col            int // leaf column
	lo, hi         int // leaf columns below the node
	children       []*rnode
	conv           leafConv
	scale          int32
}

type nodeKind uint8

const (
	leafKind nodeKind = iota
	groupKind
	listKind
	mapKind
)

type leafConv uint8

const (
	convAsIs leafConv = iota
	convInt8
	convInt16
	convUint32
	convDate
	convTimeMillis
	convTimeMicros
	convTimeNanos
	convTsMillis
	convTsMicros
	convTsNanos
	convInt96
	convDecimal
	convString
	convUUID
)

func joinName(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// compileRead maps a Parquet node to its Connect schema and reading tree; parentDef and
// parentRep are the levels above it.
func compileRead(n parquet.Node, path string, parentDef, parentRep int, col *int) (*rnode, error) {
	if n.Repeated() {
		// A repeated field outside LIST/MAP: an array of required elements.
		r := &rnode{path: path, kind: listKind, def: parentDef, repDef: parentDef + 1, repRep: parentRep + 1, lo: *col}
		e, err := compileBase(n, path+"[]", r.repDef, r.repRep, col, false)
		if err != nil {
			return nil, err
		}
		r.children = []*rnode{e}
		r.hi = *col
		r.schema = &record.Schema{Type: record.Array, Value: e.schema}
		return r, nil
	}
	return compileBase(n, path, parentDef, parentRep, col, n.Optional())
}

func compileBase(n parquet.Node, path string, parentDef, parentRep int, col *int, optional bool) (*rnode, error) {
	r := &rnode{path: path, optional: optional, def: parentDef, lo: *col}
	if optional {
		r.def++
	}
	defer func() { r.hi = *col }()
	if n.Leaf() {
		s, conv, scale, err := leafSchema(n.Type())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		s.Optional = optional
		r.kind, r.schema, r.conv, r.scale, r.col = leafKind, s, conv, scale, *col
		*col++
		return r, nil
	}
	lt := n.Type().LogicalType()
	ct := n.Type().ConvertedType()
	fields := n.Fields()
	isList := (lt != nil && lt.Value != nil && isType[*format.ListType](lt.Value)) || (ct != nil && *ct == deprecated.List)
	isMap := (lt != nil && lt.Value != nil && isType[*format.MapType](lt.Value)) || (ct != nil && (*ct == deprecated.Map || *ct == deprecated.MapKeyValue))
	switch {
	case isList && len(fields) == 1 && fields[0].Repeated():
		rep := fields[0]
		r.kind, r.repDef, r.repRep = listKind, r.def+1, parentRep+1
		var e *rnode
		var err error
		// The three-level form: repeated group list { element }; else the repeated field is
		// the element (the legacy two-level forms).
		if !rep.Leaf() && len(rep.Fields()) == 1 && rep.Name() != "array" && !strings.HasSuffix(rep.Name(), "_tuple") {
			e, err = compileRead(rep.Fields()[0], path+"[]", r.repDef, r.repRep, col)
		} else {
			e, err = compileBase(rep, path+"[]", r.repDef, r.repRep, col, false)
		}
		if err != nil {
			return nil, err
		}
		r.children = []*rnode{e}
		r.schema = &record.Schema{Type: record.Array, Optional: optional, Value: e.schema}
		return r, nil
	case isMap && len(fields) == 1 && fields[0].Repeated() && !fields[0].Leaf() && len(fields[0].Fields()) == 2:
		kv := fields[0].Fields()
		r.kind, r.repDef, r.repRep = mapKind, r.def+1, parentRep+1
		k, err := compileRead(kv[0], path+"{key}", r.repDef, r.repRep, col)
		if err != nil {
			return nil, err
		}
		v, err := compileRead(kv[1], path+"{value}", r.repDef, r.repRep, col)
		if err != nil {
			return nil, err
		}
		r.children = []*rnode{k, v}
		r.schema = &record.Schema{Type: record.Map, Optional: optional, Key: k.schema, Value: v.schema}
		return r, nil
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("%s: a group without fields", path)
	}
	r.kind = groupKind
	s := &record.Schema{Type: record.Struct, Optional: optional}
	for i, f := range fields {
		c, err := compileRead(f, joinName(path, f.Name()), r.def, parentRep, col)
		if err != nil {
			return nil, err
		}
		r.children = append(r.children, c)
		s.Fields = append(s.Fields, record.Field{Name: f.Name(), Index: i, Schema: c.schema})
	}
	r.schema = s
	return r, nil
}

func isType[T any](v any) bool { _, ok := v.(T); return ok }

func leafSchema(t parquet.Type) (*record.Schema, leafConv, int32, error) {
	lt := t.LogicalType()
	var lv any
	if lt != nil {
		lv = lt.Value
	}
	if d, ok := lv.(*format.DecimalType); ok {
		s := &record.Schema{Type: record.Bytes, Name: record.DecimalName, Parameters: map[string]string{
			record.DecimalScaleParameter: strconv.Itoa(int(d.Scale)), decimalPrecisionParameter: strconv.Itoa(int(d.Precision))}}
		return s, convDecimal, d.Scale, nil
	}
	switch t.Kind() {
	case parquet.Boolean:
		return &record.Schema{Type: record.Boolean}, convAsIs, 0, nil
	case parquet.Int32:
		switch x := lv.(type) {
		case *format.IntType:
			switch {
			case x.BitWidth == 8 && x.IsSigned:
				return &record.Schema{Type: record.Int8}, convInt8, 0, nil
			case x.BitWidth == 16 && x.IsSigned:
				return &record.Schema{Type: record.Int16}, convInt16, 0, nil
			case x.BitWidth == 32 && !x.IsSigned:
				return &record.Schema{Type: record.Int64}, convUint32, 0, nil
			case x.BitWidth == 8 || x.BitWidth == 16:
				return &record.Schema{Type: record.Int32}, convAsIs, 0, nil
			}
		case *format.DateType:
			return &record.Schema{Type: record.Int32, Name: record.DateName, Version: 1}, convDate, 0, nil
		case *format.TimeType:
			return &record.Schema{Type: record.Int32, Name: record.TimeName, Version: 1}, convTimeMillis, 0, nil
		}
		return &record.Schema{Type: record.Int32}, convAsIs, 0, nil
	case parquet.Int64:
		switch x := lv.(type) {
		case *format.TimestampType:
			c := convTsMillis
			switch x.Unit.Value.(type) {
			case *format.MicroSeconds:
				c = convTsMicros
			case *format.NanoSeconds:
				c = convTsNanos
			}
			return &record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1}, c, 0, nil
		case *format.TimeType:
			c := convTimeMicros
			if _, ok := x.Unit.Value.(*format.NanoSeconds); ok {
				c = convTimeNanos
			}
			return &record.Schema{Type: record.Int32, Name: record.TimeName, Version: 1}, c, 0, nil
		}
		return &record.Schema{Type: record.Int64}, convAsIs, 0, nil
	case parquet.Int96:
		return &record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1}, convInt96, 0, nil
	case parquet.Float:
		return &record.Schema{Type: record.Float32}, convAsIs, 0, nil
	case parquet.Double:
		return &record.Schema{Type: record.Float64}, convAsIs, 0, nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		switch lv.(type) {
		case *format.StringType, *format.EnumType, *format.JsonType:
			return &record.Schema{Type: record.String}, convString, 0, nil
		case *format.UUIDType:
			return &record.Schema{Type: record.String}, convUUID, 0, nil
		}
		if ct := t.ConvertedType(); ct != nil && (*ct == deprecated.UTF8 || *ct == deprecated.Enum || *ct == deprecated.Json) {
			return &record.Schema{Type: record.String}, convString, 0, nil
		}
		return &record.Schema{Type: record.Bytes}, convAsIs, 0, nil
	}
	return nil, 0, 0, fmt.Errorf("Parquet type %s has no Connect form", t)
}

// assemble rebuilds the value of node n from the row's column values (Dremel's assembly).
func (p *parquetReader) assemble(n *rnode) (any, error) {
	first, ok := p.peek(n.lo)
	if !ok {
		return nil, fmt.Errorf("%s: column %d has too few values", n.path, n.lo)
	}
	if n.optional && first.DefinitionLevel() < n.def {
		p.skip(n)
		return nil, nil
	}
	switch n.kind {
	case leafKind:
		p.cur[n.col]++
		if first.IsNull() {
			return nil, fmt.Errorf("%s: a required value is null", n.path)
		}
		return n.convert(first)
	case groupKind:
		vals := make([]any, len(n.children))
		for i, c := range n.children {
			v, err := p.assemble(c)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		return &record.StructValue{Schema: n.schema, Values: vals}, nil
	}
	if first.DefinitionLevel() < n.repDef {
		p.skip(n)
		if n.kind == listKind {
			return []any{}, nil
		}
		return []record.MapEntry{}, nil
	}
	var list []any
	var entries []record.MapEntry
	for {
		if n.kind == listKind {
			v, err := p.assemble(n.children[0])
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		} else {
			k, err := p.assemble(n.children[0])
			if err != nil {
				return nil, err
			}
			v, err := p.assemble(n.children[1])
			if err != nil {
				return nil, err
			}
			entries = append(entries, record.MapEntry{Key: k, Value: v})
		}
		next, ok := p.peek(n.lo)
		if !ok || next.RepetitionLevel() != n.repRep {
			break
		}
	}
	if n.kind == listKind {
		return list, nil
	}
	return entries, nil
}

func (p *parquetReader) peek(c int) (parquet.Value, bool) {
	if c >= len(p.cols) || p.cur[c] >= len(p.cols[c]) {
		return parquet.Value{}, false
	}
	return p.cols[c][p.cur[c]], true
}

func (p *parquetReader) skip(n *rnode) {
	for c := n.lo; c < n.hi; c++ {
		p.cur[c]++
	}
}

func (n *rnode) convert(v parquet.Value) (any, error) {
	switch n.conv {
	case convInt8:
		return int8(v.Int32()), nil
	case convInt16:
		return int16(v.Int32()), nil
	case convUint32:
		return int64(uint32(v.Int32())), nil
	case convDate:
		return record.Epoch.AddDate(0, 0, int(v.Int32())), nil
	case convTimeMillis:
		return record.Epoch.Add(time.Duration(v.Int32()) * time.Millisecond), nil
	case convTimeMicros:
		return record.Epoch.Add(time.Duration(v.Int64()/1000) * time.Millisecond), nil
	case convTimeNanos:
		return record.Epoch.Add(time.Duration(v.Int64()/1e6) * time.Millisecond), nil
	case convTsMillis:
		return time.UnixMilli(v.Int64()).UTC(), nil
	case convTsMicros:
		return time.UnixMilli(floorDiv(v.Int64(), 1000)).UTC(), nil
	case convTsNanos:
		return time.UnixMilli(floorDiv(v.Int64(), 1e6)).UTC(), nil
	case convInt96:
		return time.UnixMilli(floorDiv(v.Int96().Int64(), 1e6)).UTC(), nil
	case convDecimal:
		var u *big.Int
		switch v.Kind() {
		case parquet.Int32:
			u = big.NewInt(int64(v.Int32()))
		case parquet.Int64:
			u = big.NewInt(v.Int64())
		default:
			u = fromTwosComplement(v.ByteArray())
		}
		return record.Decimal{Unscaled: u, Scale: n.scale}, nil
	case convString:
		return string(v.ByteArray()), nil
	case convUUID:
		b := v.ByteArray()
		if len(b) != 16 {
			return nil, fmt.Errorf("%s: a UUID of %d bytes", n.path, len(b))
		}
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
	}
	switch v.Kind() {
	case parquet.Boolean:
		return v.Boolean(), nil
	case parquet.Int32:
		return v.Int32(), nil
	case parquet.Int64:
		return v.Int64(), nil
	case parquet.Float:
		return v.Float(), nil
	case parquet.Double:
		return v.Double(), nil
	default:
		return append([]byte(nil), v.ByteArray()...), nil
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// fromTwosComplement decodes big-endian two's-complement bytes.
func fromTwosComplement(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return n
}
