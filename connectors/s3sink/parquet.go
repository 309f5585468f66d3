package s3sink

import (
	"errors"
	"fmt"
	"io"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/projection"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Values of parquet.codec (Confluent's names).
const (
	ParquetCodecNone   = "none"
	ParquetCodecSnappy = "snappy"
	ParquetCodecGzip   = "gzip"
	ParquetCodecZstd   = "zstd"
)

// ParquetRowGroupRows is the most rows a Parquet row group holds: the writer keeps one row group
// in memory (columns encoded and compressed page by page) and flushes it when it is full.
const ParquetRowGroupRows = 128 << 10

// DecimalPrecisionParameter is the schema parameter Confluent's AvroConverter keeps a Decimal's
// precision in; Decimals without it are written with precision 64, as AvroData does.
const DecimalPrecisionParameter = "connect.decimal.precision"

// ParquetFormat is Confluent's ParquetFormat: each object is one Parquet file whose schema is
// derived from its records' Connect value schema (structs become groups, arrays LIST, maps MAP,
// Decimal/Date/Time/Timestamp their Parquet logical types; field order is kept). Every record of
// an object must have that same schema (the sink starts a new object when the schema changes, or
// projects records to one schema under schema.compatibility), and a struct value: records without
// a schema cannot be written.
type ParquetFormat struct {
	codec compress.Codec
}

// NewParquetFormat returns the ParquetFormat with the given parquet.codec.
func NewParquetFormat(codec string) (*ParquetFormat, error) {
	c, err := parquetCodec(codec)
	if err != nil {
		return nil, err
	}
	return &ParquetFormat{codec: c}, nil
}

func parquetCodec(name string) (compress.Codec, error) {
	switch name {
	case ParquetCodecNone:
		return &parquet.Uncompressed, nil
	case ParquetCodecSnappy, "":
		return &parquet.Snappy, nil
	case ParquetCodecGzip:
		return &parquet.Gzip, nil
	case ParquetCodecZstd:
		return &parquet.Zstd, nil
	}
	return nil, fmt.Errorf("%q is not one of none, snappy, gzip, zstd", name)
}

// WritesSchema reports that Parquet files hold their records' schema: the sink starts a new
// object where the schema changes (per schema.compatibility).
func (*ParquetFormat) WritesSchema() bool { return true }

// CheckSchema rejects the value schemas Parquet files cannot hold: none (schemaless data) and
// schemas other than structs.
func (*ParquetFormat) CheckSchema(s *record.Schema) error {
	if s == nil {
		return errNoSchema("ParquetFormat")
	}
	if s.Type != record.Struct {
		return fmt.Errorf("ParquetFormat writes struct values and the value schema is %s", s.Type)
	}
	return nil
}

func errNoSchema(format string) error {
	return fmt.Errorf("%s needs a value schema and the value has none: use a converter with schemas (AvroConverter, JsonConverter with schemas.enable=true)", format)
}

// Extension returns ".parquet".
func (*ParquetFormat) Extension() string { return ".parquet" }

// ContentType returns "application/vnd.apache.parquet".
func (*ParquetFormat) ContentType() string { return "application/vnd.apache.parquet" }

// NewWriter returns a writer of one Parquet file; its schema comes from the first record.
func (f *ParquetFormat) NewWriter(w io.Writer) RecordWriter {
	return &parquetWriter{codec: f.codec, out: w}
}

type parquetWriter struct {
	codec  compress.Codec
	out    io.Writer
	schema *record.Schema
	root   *pnode
	w      *parquet.Writer
	row    parquet.Row
	rows   []parquet.Row
}

func (pw *parquetWriter) Write(r record.Record) error {
	if r.ValueSchema == nil {
		return errclass.Record("", "ParquetFormat needs a value schema and the value has none (%s): use a converter with schemas (AvroConverter, JsonConverter with schemas.enable=true)", describe(nil, r.ValueData))
	}
	if pw.root == nil {
		root, err := compileParquet(r.ValueSchema)
		if err != nil {
			return errclass.New(errclass.BadRecord, "", fmt.Errorf("cannot derive a Parquet schema: %w", err))
		}
		pw.schema, pw.root = r.ValueSchema, root
		name := r.ValueSchema.Name
		if name == "" {
			name = "ConnectDefault"
		}
		pw.w = parquet.NewWriter(pw.out, parquet.NewSchema(name, root.pq), parquet.Compression(pw.codec),
			parquet.MaxRowsPerRowGroup(ParquetRowGroupRows), parquet.CreatedBy("lambda-connect", "1", ""))
		pw.rows = make([]parquet.Row, 1)
	} else if r.ValueSchema != pw.schema && !projection.Equal(r.ValueSchema, pw.schema) {
		return errclass.Record("", "the value schema differs from the object's (%s)", schemaLabel(pw.schema))
	}
	if r.ValueData == nil {
		return errclass.Record("", "ParquetFormat cannot write a null value")
	}
	var err error
	pw.row, err = pw.root.appendRoot(pw.row[:0], r.ValueData)
	if err != nil {
		return errclass.New(errclass.BadRecord, "", err)
	}
	slices.SortStableFunc(pw.row, func(a, b parquet.Value) int { return a.Column() - b.Column() })
	pw.rows[0] = pw.row
	if _, err := pw.w.WriteRows(pw.rows); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

func (pw *parquetWriter) Close() error {
	if pw.w == nil {
		return errors.New("parquet: an object without records")
	}
	return pw.w.Close()
}

func schemaLabel(s *record.Schema) string {
	if s.Name != "" {
		return s.Name + " version " + strconv.Itoa(int(s.Version))
	}
	return string(s.Type)
}

// nodeKind is the shape of a Parquet schema node.
type nodeKind uint8

const (
	leafNode nodeKind = iota
	groupNode
	listNode
	mapNode
)

// pnode is one node of a compiled Parquet schema: the Connect schema it holds, its Parquet node,
// its levels and its leaf columns.
type pnode struct {
	path     string
	schema   *record.Schema
	kind     nodeKind
	optional bool
	def      int // definition level of a present value of this node
	rep      int // repetition level of this node's values
	// repDef and repRep are the levels of the repeated group of a list or map.
	repDef, repRep int
	col            int // leaf: column index
	lo, hi         int // leaf columns below the node: [lo, hi)
	children       []*pnode
	pq             parquet.Node
}

func compileParquet(s *record.Schema) (*pnode, error) {
	if s.Type != record.Struct {
		return nil, fmt.Errorf("ParquetFormat writes struct values and the value schema is %s", s.Type)
	}
	col := 0
	root, err := compileNode("", s, 0, 0, &col, true)
	if err != nil {
		return nil, err
	}
	return root, nil
}

func compileNode(path string, s *record.Schema, parentDef, parentRep int, col *int, root bool) (*pnode, error) {
	n := &pnode{path: path, schema: s, optional: s.Optional && !root, def: parentDef, rep: parentRep, lo: *col}
	if n.optional {
		n.def++
	}
	switch s.Type {
	case record.Struct:
		if len(s.Fields) == 0 {
			return nil, fmt.Errorf("%sa struct without fields has no Parquet form", at(path))
		}
		n.kind = groupNode
		g := make(orderedGroup, 0, len(s.Fields))
		for _, f := range s.Fields {
			c, err := compileNode(joinPath(path, f.Name), f.Schema, n.def, n.rep, col, false)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, c)
			g = append(g, namedNode{name: f.Name, Node: c.pq})
		}
		n.pq = g
	case record.Array:
		n.kind = listNode
		n.repDef, n.repRep = n.def+1, n.rep+1
		e, err := compileNode(path+"[]", s.Value, n.repDef, n.repRep, col, false)
		if err != nil {
			return nil, err
		}
		n.children = []*pnode{e}
		n.pq = parquet.List(e.pq)
	case record.Map:
		n.kind = mapNode
		n.repDef, n.repRep = n.def+1, n.rep+1
		if s.Key.Optional {
			return nil, fmt.Errorf("%sParquet map keys are required and the key schema is optional", at(path))
		}
		k, err := compileNode(path+"{key}", s.Key, n.repDef, n.repRep, col, false)
		if err != nil {
			return nil, err
		}
		v, err := compileNode(path+"{value}", s.Value, n.repDef, n.repRep, col, false)
		if err != nil {
			return nil, err
		}
		n.children = []*pnode{k, v}
		n.pq = parquet.Map(k.pq, v.pq)
	default:
		leaf, err := parquetLeaf(s)
		if err != nil {
			return nil, fmt.Errorf("%s%w", at(path), err)
		}
		n.kind = leafNode
		n.col = *col
		*col++
		n.pq = leaf
	}
	n.hi = *col
	if n.optional {
		n.pq = parquet.Optional(n.pq)
	} else if n.kind == leafNode {
		n.pq = parquet.Required(n.pq)
	}
	return n, nil
}

func parquetLeaf(s *record.Schema) (parquet.Node, error) {
	switch s.Name {
	case record.DecimalName:
		scale, err := strconv.Atoi(s.Parameters[record.DecimalScaleParameter])
		if err != nil {
			return nil, fmt.Errorf("Decimal without a valid scale parameter (%q)", s.Parameters[record.DecimalScaleParameter])
		}
		precision := 64
		if p, ok := s.Parameters[DecimalPrecisionParameter]; ok {
			if precision, err = strconv.Atoi(p); err != nil || precision < 1 {
				return nil, fmt.Errorf("Decimal with an invalid %s parameter (%q)", DecimalPrecisionParameter, p)
			}
		}
		return parquet.Decimal(scale, precision, parquet.ByteArrayType), nil
	case record.DateName:
		return parquet.Date(), nil
	case record.TimeName:
		return parquet.Time(parquet.Millisecond), nil
	case record.TimestampName:
		return parquet.Timestamp(parquet.Millisecond), nil
	}
	switch s.Type {
	case record.Int8:
		return parquet.Int(8), nil
	case record.Int16:
		return parquet.Int(16), nil
	case record.Int32:
		return parquet.Leaf(parquet.Int32Type), nil
	case record.Int64:
		return parquet.Leaf(parquet.Int64Type), nil
	case record.Float32:
		return parquet.Leaf(parquet.FloatType), nil
	case record.Float64:
		return parquet.Leaf(parquet.DoubleType), nil
	case record.Boolean:
		return parquet.Leaf(parquet.BooleanType), nil
	case record.String:
		return parquet.String(), nil
	case record.Bytes:
		return parquet.Leaf(parquet.ByteArrayType), nil
	}
	return nil, fmt.Errorf("schema type %q has no Parquet form", s.Type)
}

// appendRoot appends the column values of a struct value (the file's row) to row.
func (n *pnode) appendRoot(row parquet.Row, v any) (parquet.Row, error) {
	return n.appendValue(row, v, 0)
}

// appendValue appends the column values of v, the first values of their columns in the current
// repetition at level r (Dremel's striping).
func (n *pnode) appendValue(row parquet.Row, v any, r int) (parquet.Row, error) {
	if v == nil {
		if !n.optional {
			return row, fmt.Errorf("%sa required value is null", at(n.path))
		}
		return n.appendNulls(row, r, n.def-1), nil
	}
	switch n.kind {
	case leafNode:
		pv, err := leafValue(n.schema, v)
		if err != nil {
			return row, fmt.Errorf("%s%w", at(n.path), err)
		}
		return append(row, pv.Level(r, n.def, n.col)), nil
	case groupNode:
		sv, ok := v.(*record.StructValue)
		if !ok {
			return row, fmt.Errorf("%sa struct value is a %T", at(n.path), v)
		}
		if len(sv.Values) != len(n.children) {
			return row, fmt.Errorf("%sa struct value has %d fields and its schema %d", at(n.path), len(sv.Values), len(n.children))
		}
		var err error
		for i, c := range n.children {
			if row, err = c.appendValue(row, sv.Values[i], r); err != nil {
				return row, err
			}
		}
		return row, nil
	case listNode:
		a, ok := v.([]any)
		if !ok {
			return row, fmt.Errorf("%san array value is a %T", at(n.path), v)
		}
		if len(a) == 0 {
			return n.appendNulls(row, r, n.def), nil
		}
		var err error
		for i, e := range a {
			rr := r
			if i > 0 {
				rr = n.repRep
			}
			if row, err = n.children[0].appendValue(row, e, rr); err != nil {
				return row, err
			}
		}
		return row, nil
	default: // mapNode
		m, ok := v.([]record.MapEntry)
		if !ok {
			return row, fmt.Errorf("%sa map value is a %T", at(n.path), v)
		}
		if len(m) == 0 {
			return n.appendNulls(row, r, n.def), nil
		}
		var err error
		for i, e := range m {
			rr := r
			if i > 0 {
				rr = n.repRep
			}
			if row, err = n.children[0].appendValue(row, e.Key, rr); err != nil {
				return row, err
			}
			if row, err = n.children[1].appendValue(row, e.Value, rr); err != nil {
				return row, err
			}
		}
		return row, nil
	}
}

// appendNulls appends a null at definition level d to every leaf column below n.
func (n *pnode) appendNulls(row parquet.Row, r, d int) parquet.Row {
	for c := n.lo; c < n.hi; c++ {
		row = append(row, parquet.NullValue().Level(r, d, c))
	}
	return row
}

// leafValue converts one Connect value to its Parquet value.
func leafValue(s *record.Schema, v any) (parquet.Value, error) {
	switch s.Name {
	case record.DecimalName:
		d, ok := v.(record.Decimal)
		if !ok {
			return parquet.Value{}, fmt.Errorf("a Decimal value is a %T", v)
		}
		if want := s.Parameters[record.DecimalScaleParameter]; strconv.Itoa(int(d.Scale)) != want {
			return parquet.Value{}, fmt.Errorf("a Decimal of scale %d and the schema's scale is %s", d.Scale, want)
		}
		return parquet.ByteArrayValue(twosComplement(d.Unscaled)), nil
	case record.DateName:
		t, ok := v.(time.Time)
		if !ok {
			return parquet.Value{}, fmt.Errorf("a Date value is a %T", v)
		}
		return parquet.Int32Value(int32(t.Sub(record.Epoch).Hours() / 24)), nil
	case record.TimeName:
		t, ok := v.(time.Time)
		if !ok {
			return parquet.Value{}, fmt.Errorf("a Time value is a %T", v)
		}
		return parquet.Int32Value(int32(t.Sub(record.Epoch).Milliseconds() % 86400000)), nil
	case record.TimestampName:
		t, ok := v.(time.Time)
		if !ok {
			return parquet.Value{}, fmt.Errorf("a Timestamp value is a %T", v)
		}
		return parquet.Int64Value(t.UnixMilli()), nil
	}
	switch x := v.(type) {
	case int8:
		if s.Type == record.Int8 {
			return parquet.Int32Value(int32(x)), nil
		}
	case int16:
		if s.Type == record.Int16 {
			return parquet.Int32Value(int32(x)), nil
		}
	case int32:
		if s.Type == record.Int32 {
			return parquet.Int32Value(x), nil
		}
	case int64:
		if s.Type == record.Int64 {
			return parquet.Int64Value(x), nil
		}
	case float32:
		if s.Type == record.Float32 {
			return parquet.FloatValue(x), nil
		}
	case float64:
		if s.Type == record.Float64 {
			return parquet.DoubleValue(x), nil
		}
	case bool:
		if s.Type == record.Boolean {
			return parquet.BooleanValue(x), nil
		}
	case string:
		if s.Type == record.String {
			return parquet.ByteArrayValue([]byte(x)), nil
		}
	case []byte:
		if s.Type == record.Bytes {
			return parquet.ByteArrayValue(x), nil
		}
	}
	return parquet.Value{}, fmt.Errorf("a %s value is a %T", s.Type, v)
}

// twosComplement returns the big-endian two's-complement bytes of n (at least one byte), as
// Java's BigInteger.toByteArray does.
func twosComplement(n *big.Int) []byte {
	if n == nil || n.Sign() == 0 {
		return []byte{0}
	}
	if n.Sign() > 0 {
		b := n.Bytes()
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// -n = ~(n-1): take |n|-1, invert.
	m := new(big.Int).Neg(n)
	m.Sub(m, big.NewInt(1))
	b := m.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	for i := range b {
		b[i] ^= 0xff
	}
	return b
}

func at(path string) string {
	if path == "" {
		return ""
	}
	return "field " + path + ": "
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// orderedGroup is a Parquet group whose fields keep the order of the Connect struct (parquet.Group
// sorts them by name).
type orderedGroup []namedNode

type namedNode struct {
	parquet.Node
	name string
}

func (n namedNode) Name() string                           { return n.name }
func (n namedNode) Value(base reflect.Value) reflect.Value { return base.FieldByName(n.name) }

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return g.asGroup().String() }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type        { return g.asGroup().GoType() }
func (g orderedGroup) Fields() []parquet.Field {
	fs := make([]parquet.Field, len(g))
	for i := range g {
		fs[i] = g[i]
	}
	return fs
}

func (g orderedGroup) asGroup() parquet.Group {
	m := make(parquet.Group, len(g))
	for _, n := range g {
		m[n.name] = n.Node
	}
	return m
}
