package avroconv

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"sync"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// The converter's fast path: decoders and encoders compiled once per schema that go straight
// between Avro binary (hamba's Reader and Writer) and Connect data, without the generic
// map[string]any values of ToNative/FromNative and hamba's reflection over them.

// The readers and writers the fast path borrows.
var (
	readerPool = sync.Pool{New: func() any { return avro.NewReader(nil, 0) }}
	writerPool = sync.Pool{New: func() any { return avro.NewWriter(nil, 1024) }}
)

// decodeFast decodes payload with dec, or reports hamba's error.
func decodeFast(dec decodeFn, payload []byte) (any, error) {
	r := readerPool.Get().(*avro.Reader)
	r.Reset(payload)
	r.Error = nil
	v := dec(r)
	err := r.Error
	r.Reset(nil)
	readerPool.Put(r)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// encodeFast appends the frame header then value encoded by enc to a new slice.
func encodeFast(enc encodeFn, header []byte, v any) ([]byte, error) {
	w := writerPool.Get().(*avro.Writer)
	w.Reset(nil)
	w.Write(header)
	err := enc(w, v)
	var out []byte
	if err == nil {
		out = append(make([]byte, 0, w.Buffered()), w.Buffer()...)
	}
	if cap(w.Buffer()) <= 1<<20 {
		writerPool.Put(w)
	}
	return out, err
}

// decodeFn reads one value; failures are reported on r.Error.
type decodeFn func(r *avro.Reader) any

// encodeFn writes one value.
type encodeFn func(w *avro.Writer, v any) error

// compileDecoder returns a decoder of data written with a into Connect data under c, which must
// be SchemaToConnect(a) (or its part for a).
func compileDecoder(a avro.Schema, c *record.Schema) (decodeFn, error) {
	a = deref(a)
	if u, ok := a.(*avro.UnionSchema); ok {
		return compileUnionDecoder(u, c)
	}
	if ls := logicalOf(a); ls != nil && c.Name != "" {
		if d := logicalDecoder(a, ls, c); d != nil {
			return d, nil
		}
	}
	switch a.Type() {
	case avro.Boolean:
		return func(r *avro.Reader) any { return r.ReadBool() }, nil
	case avro.Int:
		switch c.Type {
		case record.Int8:
			return func(r *avro.Reader) any {
				v := r.ReadInt()
				if v < math.MinInt8 || v > math.MaxInt8 {
					r.ReportError("ReadInt", strconv.Itoa(int(v))+" out of range for int8")
				}
				return int8(v)
			}, nil
		case record.Int16:
			return func(r *avro.Reader) any {
				v := r.ReadInt()
				if v < math.MinInt16 || v > math.MaxInt16 {
					r.ReportError("ReadInt", strconv.Itoa(int(v))+" out of range for int16")
				}
				return int16(v)
			}, nil
		}
		return func(r *avro.Reader) any { return r.ReadInt() }, nil
	case avro.Long:
		return func(r *avro.Reader) any { return r.ReadLong() }, nil
	case avro.Float:
		return func(r *avro.Reader) any { return r.ReadFloat() }, nil
	case avro.Double:
		return func(r *avro.Reader) any { return r.ReadDouble() }, nil
	case avro.String:
		return func(r *avro.Reader) any { return r.ReadString() }, nil
	case avro.Bytes:
		return func(r *avro.Reader) any { return r.ReadBytes() }, nil
	case avro.Enum:
		symbols := a.(*avro.EnumSchema).Symbols()
		return func(r *avro.Reader) any {
			i := r.ReadInt()
			if i < 0 || int(i) >= len(symbols) {
				r.ReportError("ReadEnum", "symbol index "+strconv.Itoa(int(i))+" out of range")
				return ""
			}
			return symbols[i]
		}, nil
	case avro.Fixed:
		size := a.(*avro.FixedSchema).Size()
		return func(r *avro.Reader) any {
			b := make([]byte, size)
			r.Read(b)
			return b
		}, nil
	case avro.Array:
		items := a.(*avro.ArraySchema).Items()
		if c.Type == record.Map {
			rec := deref(items).(*avro.RecordSchema)
			kd, err := compileDecoder(rec.Fields()[0].Type(), c.Key)
			if err != nil {
				return nil, err
			}
			vd, err := compileDecoder(rec.Fields()[1].Type(), c.Value)
			if err != nil {
				return nil, err
			}
			return func(r *avro.Reader) any {
				out := []record.MapEntry{}
				readBlocks(r, func() {
					k := kd(r)
					out = append(out, record.MapEntry{Key: k, Value: vd(r)})
				})
				return out
			}, nil
		}
		ed, err := compileDecoder(items, c.Value)
		if err != nil {
			return nil, err
		}
		return func(r *avro.Reader) any {
			out := []any{}
			readBlocks(r, func() { out = append(out, ed(r)) })
			return out
		}, nil
	case avro.Map:
		vd, err := compileDecoder(a.(*avro.MapSchema).Values(), c.Value)
		if err != nil {
			return nil, err
		}
		return func(r *avro.Reader) any {
			out := []record.MapEntry{}
			readBlocks(r, func() {
				k := r.ReadString()
				out = append(out, record.MapEntry{Key: k, Value: vd(r)})
			})
			return out
		}, nil
	case avro.Record, avro.Error:
		fields := a.(*avro.RecordSchema).Fields()
		if len(fields) != len(c.Fields) {
			return nil, fmt.Errorf("avro: record %s has %d fields, its Connect schema %d", typeName(a), len(fields), len(c.Fields))
		}
		decs := make([]decodeFn, len(fields))
		for i, f := range fields {
			d, err := compileDecoder(f.Type(), c.Fields[i].Schema)
			if err != nil {
				return nil, err
			}
			decs[i] = d
		}
		return func(r *avro.Reader) any {
			vals := make([]any, len(decs))
			for i, d := range decs {
				vals[i] = d(r)
			}
			return &record.StructValue{Schema: c, Values: vals}
		}, nil
	}
	return nil, fmt.Errorf("avro: no decoder for Avro %s", a.Type())
}

// readBlocks reads the blocks of an array or map, calling item per item, stopping at an error.
func readBlocks(r *avro.Reader, item func()) {
	for r.Error == nil {
		n, _ := r.ReadBlockHeader()
		if n == 0 || r.Error != nil {
			return
		}
		for i := int64(0); i < n && r.Error == nil; i++ {
			item()
		}
	}
}

func logicalDecoder(a avro.Schema, ls avro.LogicalSchema, c *record.Schema) decodeFn {
	switch ls.Type() {
	case avro.Decimal:
		d, ok := ls.(*avro.DecimalLogicalSchema)
		if !ok {
			return nil
		}
		scale := int32(d.Scale())
		if f, ok := a.(*avro.FixedSchema); ok {
			size := f.Size()
			return func(r *avro.Reader) any {
				b := make([]byte, size)
				r.Read(b)
				return record.Decimal{Unscaled: twosComplement(b), Scale: scale}
			}
		}
		return func(r *avro.Reader) any {
			return record.Decimal{Unscaled: twosComplement(r.ReadBytes()), Scale: scale}
		}
	case avro.Date:
		return func(r *avro.Reader) any { return time.Unix(int64(r.ReadInt())*86400, 0).UTC() }
	case avro.TimeMillis:
		return func(r *avro.Reader) any { return timeOfDay(r, time.Duration(r.ReadInt())*time.Millisecond) }
	case avro.TimeMicros:
		return func(r *avro.Reader) any { return timeOfDay(r, time.Duration(r.ReadLong())*time.Microsecond) }
	case avro.TimestampMillis, avro.LocalTimestampMillis:
		return func(r *avro.Reader) any { return time.UnixMilli(r.ReadLong()).UTC() }
	case avro.TimestampMicros, avro.LocalTimestampMicros:
		return func(r *avro.Reader) any { return time.UnixMicro(r.ReadLong()).UTC() }
	}
	return nil
}

// timeOfDay is Connect's Time for d since midnight, which must be within a day (as Connect's
// Time.toLogical requires).
func timeOfDay(r *avro.Reader, d time.Duration) any {
	if d < 0 || d >= 24*time.Hour {
		r.ReportError("ReadTime", d.String()+" is not a time of day")
	}
	return record.Epoch.Add(d)
}

func compileUnionDecoder(u *avro.UnionSchema, c *record.Schema) (decodeFn, error) {
	types := u.Types()
	decs := make([]decodeFn, len(types))
	if c.Type == record.Struct && c.Name == UnionName {
		field := 0
		index := make([]int, len(types))
		for i, t := range types {
			if t.Type() == avro.Null {
				index[i] = -1
				continue
			}
			d, err := compileDecoder(t, c.Fields[field].Schema)
			if err != nil {
				return nil, err
			}
			decs[i], index[i] = d, field
			field++
		}
		return func(r *avro.Reader) any {
			i := r.ReadLong()
			if i < 0 || int(i) >= len(types) {
				r.ReportError("ReadUnion", "branch "+strconv.FormatInt(i, 10)+" out of range")
				return nil
			}
			if index[i] < 0 {
				return nil
			}
			vals := make([]any, len(c.Fields))
			vals[index[i]] = decs[i](r)
			return &record.StructValue{Schema: c, Values: vals}
		}, nil
	}
	for i, t := range types {
		if t.Type() == avro.Null {
			continue
		}
		d, err := compileDecoder(t, c)
		if err != nil {
			return nil, err
		}
		decs[i] = d
	}
	return func(r *avro.Reader) any {
		i := r.ReadLong()
		if i < 0 || int(i) >= len(types) {
			r.ReportError("ReadUnion", "branch "+strconv.FormatInt(i, 10)+" out of range")
			return nil
		}
		if decs[i] == nil {
			return nil
		}
		return decs[i](r)
	}, nil
}

// compileEncoder returns an encoder of Connect data under c into a, which must be
// SchemaFromConnect(c) (or its part for c).
func compileEncoder(a avro.Schema, c *record.Schema, path string) (encodeFn, error) {
	a = deref(a)
	if u, ok := a.(*avro.UnionSchema); ok {
		return compileUnionEncoder(u, c, path)
	}
	base, err := compileBaseEncoder(a, c, path)
	if err != nil {
		return nil, err
	}
	return func(w *avro.Writer, v any) error {
		if v == nil {
			return fmt.Errorf("avro: field %s: null for a required %s", orTop(path), c.Type)
		}
		return base(w, v)
	}, nil
}

func compileUnionEncoder(u *avro.UnionSchema, c *record.Schema, path string) (encodeFn, error) {
	nullIdx := int64(-1)
	var branches []int64
	var encs []encodeFn
	for i, t := range u.Types() {
		if t.Type() == avro.Null {
			nullIdx = int64(i)
			continue
		}
		branches = append(branches, int64(i))
	}
	if c.Type == record.Struct && c.Name == UnionName {
		if len(branches) != len(c.Fields) {
			return nil, fmt.Errorf("avro: field %s: union of %d types for %d fields", orTop(path), len(branches), len(c.Fields))
		}
		for i, f := range c.Fields {
			e, err := compileBaseEncoder(deref(u.Types()[branches[i]]), f.Schema, at(path, f.Name))
			if err != nil {
				return nil, err
			}
			encs = append(encs, e)
		}
		return func(w *avro.Writer, v any) error {
			if v != nil {
				sv, ok := v.(*record.StructValue)
				if !ok || len(sv.Values) != len(encs) {
					return mismatch(path, c, v)
				}
				for i, fv := range sv.Values {
					if fv != nil {
						w.WriteLong(branches[i])
						return encs[i](w, fv)
					}
				}
			}
			if nullIdx < 0 {
				return fmt.Errorf("avro: field %s: union with no branch set", orTop(path))
			}
			w.WriteLong(nullIdx)
			return nil
		}, nil
	}
	if len(branches) != 1 || nullIdx < 0 {
		return nil, fmt.Errorf("avro: field %s: union %s for a Connect %s", orTop(path), typeName(u), c.Type)
	}
	e, err := compileBaseEncoder(deref(u.Types()[branches[0]]), c, path)
	if err != nil {
		return nil, err
	}
	branch := branches[0]
	return func(w *avro.Writer, v any) error {
		if v == nil {
			w.WriteLong(nullIdx)
			return nil
		}
		w.WriteLong(branch)
		return e(w, v)
	}, nil
}

func compileBaseEncoder(a avro.Schema, c *record.Schema, path string) (encodeFn, error) {
	bad := func(v any) error { return mismatch(path, c, v) }
	switch c.Name {
	case record.DecimalName:
		if c.Type != record.Bytes {
			break
		}
		scale, _ := decimalParams(c)
		var size int
		if f, ok := a.(*avro.FixedSchema); ok {
			size = f.Size()
		}
		return func(w *avro.Writer, v any) error {
			d, ok := asDecimal(v)
			if !ok {
				return bad(v)
			}
			unscaled := d.Unscaled
			if unscaled == nil {
				unscaled = new(big.Int)
			}
			if d.Scale != scale {
				return fmt.Errorf("avro: field %s: decimal of scale %d under a schema of scale %d", orTop(path), d.Scale, scale)
			}
			b := twosComplementBytes(unscaled)
			if size > 0 {
				if len(b) > size {
					return fmt.Errorf("avro: field %s: decimal %s does not fit %d bytes", orTop(path), d, size)
				}
				pad := byte(0)
				if unscaled.Sign() < 0 {
					pad = 0xff
				}
				for i := len(b); i < size; i++ {
					w.Write([]byte{pad})
				}
				w.Write(b)
				return nil
			}
			w.WriteBytes(b)
			return nil
		}, nil
	case record.DateName:
		if c.Type != record.Int32 {
			break
		}
		return func(w *avro.Writer, v any) error {
			t, ok := v.(time.Time)
			if !ok {
				return bad(v)
			}
			w.WriteInt(int32(floorDiv(t.Unix(), 86400)))
			return nil
		}, nil
	case record.TimeName:
		if c.Type != record.Int32 {
			break
		}
		micros := isLogical(a, avro.TimeMicros)
		return func(w *avro.Writer, v any) error {
			t, ok := v.(time.Time)
			if !ok {
				return bad(v)
			}
			t = t.UTC()
			d := time.Duration((t.Hour()*60+t.Minute())*60+t.Second())*time.Second + time.Duration(t.Nanosecond())
			if micros {
				w.WriteLong(int64(d / time.Microsecond))
			} else {
				w.WriteInt(int32(d / time.Millisecond))
			}
			return nil
		}, nil
	case record.TimestampName:
		if c.Type != record.Int64 {
			break
		}
		micros := isLogical(a, avro.TimestampMicros) || isLogical(a, avro.LocalTimestampMicros)
		return func(w *avro.Writer, v any) error {
			t, ok := v.(time.Time)
			if !ok {
				return bad(v)
			}
			if micros {
				w.WriteLong(t.UnixMicro())
			} else {
				w.WriteLong(t.UnixMilli())
			}
			return nil
		}, nil
	}
	switch c.Type {
	case record.Int8:
		return func(w *avro.Writer, v any) error {
			x, ok := v.(int8)
			if !ok {
				return bad(v)
			}
			w.WriteInt(int32(x))
			return nil
		}, nil
	case record.Int16:
		return func(w *avro.Writer, v any) error {
			x, ok := v.(int16)
			if !ok {
				return bad(v)
			}
			w.WriteInt(int32(x))
			return nil
		}, nil
	case record.Int32:
		return func(w *avro.Writer, v any) error {
			x, ok := v.(int32)
			if !ok {
				return bad(v)
			}
			w.WriteInt(x)
			return nil
		}, nil
	case record.Int64:
		return func(w *avro.Writer, v any) error {
			x, ok := v.(int64)
			if !ok {
				return bad(v)
			}
			w.WriteLong(x)
			return nil
		}, nil
	case record.Float32:
		return func(w *avro.Writer, v any) error {
			x, ok := v.(float32)
			if !ok {
				return bad(v)
			}
			w.WriteFloat(x)
			return nil
		}, nil
	case record.Float64:
		return func(w *avro.Writer, v any) error {
			x, ok := v.(float64)
			if !ok {
				return bad(v)
			}
			w.WriteDouble(x)
			return nil
		}, nil
	case record.Boolean:
		return func(w *avro.Writer, v any) error {
			x, ok := v.(bool)
			if !ok {
				return bad(v)
			}
			w.WriteBool(x)
			return nil
		}, nil
	case record.String:
		if e, ok := a.(*avro.EnumSchema); ok {
			index := make(map[string]int32, len(e.Symbols()))
			for i, s := range e.Symbols() {
				index[s] = int32(i)
			}
			return func(w *avro.Writer, v any) error {
				x, ok := v.(string)
				if !ok {
					return bad(v)
				}
				i, ok := index[x]
				if !ok {
					return fmt.Errorf("avro: field %s: %q is not a symbol of enum %s", orTop(path), x, e.FullName())
				}
				w.WriteInt(i)
				return nil
			}, nil
		}
		return func(w *avro.Writer, v any) error {
			x, ok := v.(string)
			if !ok {
				return bad(v)
			}
			w.WriteString(x)
			return nil
		}, nil
	case record.Bytes:
		if f, ok := a.(*avro.FixedSchema); ok {
			size := f.Size()
			return func(w *avro.Writer, v any) error {
				x, ok := v.([]byte)
				if !ok {
					return bad(v)
				}
				if len(x) != size {
					return fmt.Errorf("avro: field %s: %d bytes for fixed %s of size %d", orTop(path), len(x), f.FullName(), size)
				}
				w.Write(x)
				return nil
			}, nil
		}
		return func(w *avro.Writer, v any) error {
			x, ok := v.([]byte)
			if !ok {
				return bad(v)
			}
			w.WriteBytes(x)
			return nil
		}, nil
	case record.Array:
		arr, ok := a.(*avro.ArraySchema)
		if !ok {
			break
		}
		e, err := compileEncoder(arr.Items(), c.Value, path+"[]")
		if err != nil {
			return nil, err
		}
		return func(w *avro.Writer, v any) error {
			x, ok := v.([]any)
			if !ok {
				return bad(v)
			}
			if len(x) > 0 {
				w.WriteLong(int64(len(x)))
				for _, item := range x {
					if err := e(w, item); err != nil {
						return err
					}
				}
			}
			w.WriteLong(0)
			return nil
		}, nil
	case record.Map:
		var ke, ve encodeFn
		var err error
		switch m := a.(type) {
		case *avro.MapSchema:
			if ve, err = compileEncoder(m.Values(), c.Value, path+"[]"); err != nil {
				return nil, err
			}
			ke = func(w *avro.Writer, k any) error {
				s, ok := k.(string)
				if !ok {
					return fmt.Errorf("avro: field %s: map key %T is not a string", orTop(path), k)
				}
				w.WriteString(s)
				return nil
			}
		case *avro.ArraySchema:
			rec, isRec := deref(m.Items()).(*avro.RecordSchema)
			if !isRec || len(rec.Fields()) != 2 {
				return nil, fmt.Errorf("avro: field %s: Avro %s for a Connect map", orTop(path), typeName(a))
			}
			if ke, err = compileEncoder(rec.Fields()[0].Type(), c.Key, path+".key"); err != nil {
				return nil, err
			}
			if ve, err = compileEncoder(rec.Fields()[1].Type(), c.Value, path+".value"); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("avro: field %s: Avro %s for a Connect map", orTop(path), a.Type())
		}
		return func(w *avro.Writer, v any) error {
			x, ok := v.([]record.MapEntry)
			if !ok {
				return bad(v)
			}
			if len(x) > 0 {
				w.WriteLong(int64(len(x)))
				for _, e := range x {
					if err := ke(w, e.Key); err != nil {
						return err
					}
					if err := ve(w, e.Value); err != nil {
						return err
					}
				}
			}
			w.WriteLong(0)
			return nil
		}, nil
	case record.Struct:
		rec, ok := a.(*avro.RecordSchema)
		if !ok || len(rec.Fields()) != len(c.Fields) {
			break
		}
		encs := make([]encodeFn, len(c.Fields))
		for i, f := range c.Fields {
			e, err := compileEncoder(rec.Fields()[i].Type(), f.Schema, at(path, f.Name))
			if err != nil {
				return nil, err
			}
			encs[i] = e
		}
		return func(w *avro.Writer, v any) error {
			x, ok := v.(*record.StructValue)
			if !ok || len(x.Values) != len(encs) {
				return bad(v)
			}
			for i, e := range encs {
				if err := e(w, x.Values[i]); err != nil {
					return err
				}
			}
			return nil
		}, nil
	}
	return nil, fmt.Errorf("avro: field %s: Avro %s for a Connect %s", orTop(path), a.Type(), c.Type)
}

func isLogical(a avro.Schema, t avro.LogicalType) bool {
	ls := logicalOf(a)
	return ls != nil && ls.Type() == t
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// twosComplementBytes is Java's BigInteger.toByteArray: the minimal big-endian two's complement.
func twosComplementBytes(n *big.Int) []byte {
	switch n.Sign() {
	case 0:
		return []byte{0}
	case 1:
		b := n.Bytes()
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// Negative: 2^(8k) + n for the smallest k that keeps the sign bit set.
	k := (n.BitLen() + 8) / 8
	m := new(big.Int).Lsh(big.NewInt(1), uint(8*k))
	m.Add(m, n)
	b := m.FillBytes(make([]byte, k))
	for len(b) > 1 && b[0] == 0xff && b[1]&0x80 != 0 {
		b = b[1:]
	}
	return b
}
