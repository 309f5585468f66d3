package s3sink

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"slices"

	"github.com/golang/snappy"
	"github.com/hamba/avro/v2"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zstd"
)

// ocfWriter writes an Avro object container file deterministically: the header's metadata in
// key order, a given sync marker, Avro maps with their entries in key order. (hamba's ocf
// encoder writes Go maps, the header's and the data's, in Go's random iteration order, so the
// same records would not always make the same bytes.) Values are the native values
// converters/avroconv produces; hamba encodes every part that holds no map.
type ocfWriter struct {
	out    io.Writer
	schema avro.Schema
	codec  string
	sync   [16]byte
	block  bytes.Buffer
	count  int64
	comp   bytes.Buffer
	zstd   *zstd.Encoder
	hasMap map[avro.Schema]bool
	enc    *avro.Encoder // for schemas without maps
}

// ocfBlockBytes is the uncompressed size at which a block is written.
const ocfBlockBytes = 256 << 10

func newOCFWriter(out io.Writer, schema avro.Schema, codec string, sync [16]byte) (*ocfWriter, error) {
	w := &ocfWriter{out: out, schema: schema, codec: codec, sync: sync, hasMap: map[avro.Schema]bool{}}
	var h bytes.Buffer
	h.WriteString("Obj\x01")
	schemaJSON, err := json.Marshal(schema) // with the connect.* properties (String() drops them)
	if err != nil {
		return nil, err
	}
	meta := map[string][]byte{"avro.schema": schemaJSON, "avro.codec": []byte(codec)}
	keys := []string{"avro.codec", "avro.schema"}
	h.Write(zigzag(nil, int64(len(keys))))
	for _, k := range keys {
		h.Write(zigzag(nil, int64(len(k))))
		h.WriteString(k)
		h.Write(zigzag(nil, int64(len(meta[k]))))
		h.Write(meta[k])
	}
	h.WriteByte(0)
	h.Write(sync[:])
	_, err = out.Write(h.Bytes())
	return w, err
}

// Encode appends one datum.
func (w *ocfWriter) Encode(v any) error {
	if !w.containsMap(w.schema, nil) {
		if w.enc == nil {
			w.enc = avro.NewEncoderForSchema(w.schema, &w.block)
		}
		if err := w.enc.Encode(v); err != nil {
			return err
		}
	} else if err := w.encode(&w.block, w.schema, v); err != nil {
		return err
	}
	w.count++
	if w.block.Len() >= ocfBlockBytes {
		return w.flush()
	}
	return nil
}

func (w *ocfWriter) flush() error {
	if w.count == 0 {
		return nil
	}
	data := w.block.Bytes()
	switch w.codec {
	case AvroCodecDeflate:
		w.comp.Reset()
		fw, err := flate.NewWriter(&w.comp, flate.DefaultCompression)
		if err != nil {
			return err
		}
		fw.Write(data)
		if err := fw.Close(); err != nil {
			return err
		}
		data = w.comp.Bytes()
	case AvroCodecSnappy:
		c := snappy.Encode(nil, data)
		data = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(data))
	case AvroCodecZstandard:
		if w.zstd == nil {
			var err error
			if w.zstd, err = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1)); err != nil {
				return err
			}
		}
		data = w.zstd.EncodeAll(data, nil)
	}
	var h []byte
	h = zigzag(h, w.count)
	h = zigzag(h, int64(len(data)))
	if _, err := w.out.Write(h); err != nil {
		return err
	}
	if _, err := w.out.Write(data); err != nil {
		return err
	}
	_, err := w.out.Write(w.sync[:])
	w.block.Reset()
	w.count = 0
	return err
}

// Close writes the last block.
func (w *ocfWriter) Close() error {
	err := w.flush()
	if w.zstd != nil {
		w.zstd.Close()
	}
	return err
}

// encode writes v under s: hamba encodes schemas without maps; records, arrays and unions that
// hold maps are walked here so that map entries are written in key order.
func (w *ocfWriter) encode(buf *bytes.Buffer, s avro.Schema, v any) error {
	if !w.containsMap(s, nil) {
		b, err := avro.Marshal(s, v)
		if err != nil {
			return err
		}
		buf.Write(b)
		return nil
	}
	if r, ok := s.(*avro.RefSchema); ok {
		s = r.Schema()
	}
	switch x := s.(type) {
	case *avro.RecordSchema:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("avro: record %s: a %T", x.FullName(), v)
		}
		for _, f := range x.Fields() {
			if err := w.encode(buf, f.Type(), m[f.Name()]); err != nil {
				return fmt.Errorf("%s: %w", f.Name(), err)
			}
		}
		return nil
	case *avro.ArraySchema:
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("avro: array: a %T", v)
		}
		if len(a) > 0 {
			buf.Write(zigzag(nil, int64(len(a))))
			for _, e := range a {
				if err := w.encode(buf, x.Items(), e); err != nil {
					return err
				}
			}
		}
		buf.WriteByte(0)
		return nil
	case *avro.MapSchema:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("avro: map: a %T", v)
		}
		if len(m) > 0 {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			buf.Write(zigzag(nil, int64(len(keys))))
			for _, k := range keys {
				buf.Write(zigzag(nil, int64(len(k))))
				buf.WriteString(k)
				if err := w.encode(buf, x.Values(), m[k]); err != nil {
					return fmt.Errorf("%s: %w", k, err)
				}
			}
		}
		buf.WriteByte(0)
		return nil
	case *avro.UnionSchema:
		types := x.Types()
		if v == nil {
			for i, t := range types {
				if t.Type() == avro.Null {
					buf.Write(zigzag(nil, int64(i)))
					return nil
				}
			}
			return fmt.Errorf("avro: null in a union without null")
		}
		if m, ok := v.(map[string]any); ok && len(m) == 1 {
			for k, inner := range m {
				for i, t := range types {
					if branchName(t) == k {
						buf.Write(zigzag(nil, int64(i)))
						return w.encode(buf, t, inner)
					}
				}
			}
		}
		// An unwrapped value: the one branch that is not null.
		if len(types) == 2 && (types[0].Type() == avro.Null) != (types[1].Type() == avro.Null) {
			i := 0
			if types[0].Type() == avro.Null {
				i = 1
			}
			buf.Write(zigzag(nil, int64(i)))
			return w.encode(buf, types[i], v)
		}
		return fmt.Errorf("avro: cannot resolve the union branch of a %T", v)
	}
	return fmt.Errorf("avro: unexpected schema %s", s.Type())
}

// branchName is hamba's name for a union branch: a named type's full name, else the type's
// name with ".<logical type>" appended.
func branchName(s avro.Schema) string {
	if r, ok := s.(*avro.RefSchema); ok {
		s = r.Schema()
	}
	if n, ok := s.(avro.NamedSchema); ok {
		return n.FullName()
	}
	name := string(s.Type())
	if l, ok := s.(avro.LogicalTypeSchema); ok && l.Logical() != nil {
		name += "." + string(l.Logical().Type())
	}
	return name
}

// containsMap reports whether s holds an Avro map anywhere.
func (w *ocfWriter) containsMap(s avro.Schema, seen []avro.Schema) bool {
	if r, ok := s.(*avro.RefSchema); ok {
		s = r.Schema()
	}
	if v, ok := w.hasMap[s]; ok {
		return v
	}
	if slices.Contains(seen, s) {
		return false
	}
	seen = append(seen, s)
	var has bool
	switch x := s.(type) {
	case *avro.MapSchema:
		has = true
	case *avro.ArraySchema:
		has = w.containsMap(x.Items(), seen)
	case *avro.RecordSchema:
		for _, f := range x.Fields() {
			if w.containsMap(f.Type(), seen) {
				has = true
				break
			}
		}
	case *avro.UnionSchema:
		for _, t := range x.Types() {
			if w.containsMap(t, seen) {
				has = true
				break
			}
		}
	}
	w.hasMap[s] = has
	return has
}

// zigzag appends Avro's variable-length zig-zag encoding of n.
func zigzag(b []byte, n int64) []byte {
	return binary.AppendUvarint(b, uint64((n<<1)^(n>>63)))
}
