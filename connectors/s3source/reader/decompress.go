package reader

import (
	"compress/bzip2"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// Codec is a compression of objects.
type Codec string

// The codecs Decompress handles.
const (
	None  Codec = ""
	Gzip  Codec = "gzip"
	Zstd  Codec = "zstd"
	Bzip2 Codec = "bzip2"
)

// DetectCodec returns the compression of an object from its Content-Encoding (which wins) or the
// extension of its key (.gz, .gzip, .zst, .zstd, .bz2).
func DetectCodec(key, contentEncoding string) Codec {
	for _, enc := range strings.Split(strings.ToLower(contentEncoding), ",") {
		switch strings.TrimSpace(enc) {
		case "gzip", "x-gzip":
			return Gzip
		case "zstd":
			return Zstd
		case "bzip2", "x-bzip2":
			return Bzip2
		}
	}
	switch strings.ToLower(path.Ext(key)) {
	case ".gz", ".gzip":
		return Gzip
	case ".zst", ".zstd":
		return Zstd
	case ".bz2":
		return Bzip2
	}
	return None
}

// Decompress wraps r in a decompressor for codec. Close releases the decompressor (not r).
func Decompress(r io.Reader, codec Codec) (io.ReadCloser, error) {
	switch codec {
	case None:
		return io.NopCloser(r), nil
	case Gzip:
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, errclass.Record("object", "not gzip: %v: %w", err, ErrCorrupt)
		}
		return z, nil
	case Zstd:
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(64<<20))
		if err != nil {
			return nil, errclass.Record("object", "not zstd: %v: %w", err, ErrCorrupt)
		}
		return zstdCloser{z}, nil
	case Bzip2:
		return io.NopCloser(bzip2.NewReader(r)), nil
	}
	return nil, errclass.Config("compression", "unknown codec %q", codec)
}

type zstdCloser struct{ *zstd.Decoder }

func (z zstdCloser) Close() error { z.Decoder.Close(); return nil }

// corruptStream marks errors of a decompressor as corrupt objects (BadRecord), keeping others.
type corruptStream struct{ r io.Reader }

func (c corruptStream) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		err = errclass.Record("object", "decompressing: %v: %w", err, ErrCorrupt)
	}
	return n, err
}

// DecompressStrict is Decompress whose read errors (a truncated or corrupt stream) are
// errclass.BadRecord errors wrapping ErrCorrupt. The stream r must itself not fail: wrap only
// bodies whose own errors are reported separately.
func DecompressStrict(r io.Reader, codec Codec) (io.ReadCloser, error) {
	rc, err := Decompress(r, codec)
	if err != nil || codec == None {
		return rc, err
	}
	return struct {
		io.Reader
		io.Closer
	}{corruptStream{rc}, rc}, nil
}
