package s3source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/core/checkpoints"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// rangeReader is an io.ReaderAt over one version of an S3 object: each ReadAt is a ranged
// GetObject of that version (VersionId, or If-Match on the ETag). Formats that need random access
// (Parquet) read through it. It is used by one goroutine (a reader is).
type rangeReader struct {
	ctx    context.Context
	api    ObjectAPI
	id     checkpoints.ObjectID
	size   int64
	gets   atomic.Int64
	header []byte // the first bytes, read when the object was opened
	cache  []*block
}

// openRange opens id for ranged reads: one GetObject of its first bytes gives its size and
// checks that the version is still there.
func openRange(ctx context.Context, api ObjectAPI, id checkpoints.ObjectID, in *s3.GetObjectInput) (*rangeReader, error) {
	in.Range = aws.String("bytes=0-7")
	out, err := api.GetObject(ctx, in)
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	if id.VersionID == "" && out.ETag != nil && strings.Trim(*out.ETag, `"`) != strings.Trim(id.ETag, `"`) {
		return nil, errclass.New(errclass.BadRecord, id.String(), fmt.Errorf("%w: ETag is now %s", ErrObjectGone, *out.ETag))
	}
	head, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, errclass.New(errclass.Retriable, id.String(), fmt.Errorf("reading the object: %w", err))
	}
	size := int64(len(head))
	if cr := aws.ToString(out.ContentRange); cr != "" {
		i := strings.LastIndexByte(cr, '/')
		if n, err := strconv.ParseInt(cr[i+1:], 10, 64); i >= 0 && err == nil {
			size = n
		}
	}
	r := &rangeReader{ctx: ctx, api: api, id: id, size: size, header: head}
	r.gets.Store(1)
	return r, nil
}

// rangeBlock is the unit of ranged reads: reads are served from aligned blocks of this size, of
// which the reader keeps the last rangeBlocks (the column chunks a Parquet row group reads side
// by side), so that small reads do not each cost a GET.
const (
	rangeBlock  = 1 << 20
	rangeBlocks = 8
)

type block struct {
	start int64
	data  []byte
}

// ReadAt reads len(p) bytes at off, from cached blocks or ranged GetObjects of whole blocks.
func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), r.size-off)
	if off+want <= int64(len(r.header)) {
		n := copy(p, r.header[off:off+want])
		return n, eofIfShort(n, len(p))
	}
	n := 0
	for int64(n) < want {
		pos := off + int64(n)
		b, err := r.block(pos / rangeBlock * rangeBlock)
		if err != nil {
			return n, err
		}
		n += copy(p[n:want], b.data[pos-b.start:])
	}
	return n, eofIfShort(n, len(p))
}

// block returns the block starting at start, fetching it if it is not cached.
func (r *rangeReader) block(start int64) (*block, error) {
	for i, b := range r.cache {
		if b.start == start {
			copy(r.cache[1:i+1], r.cache[:i]) // most recent first
			r.cache[0] = b
			return b, nil
		}
	}
	end := min(start+rangeBlock, r.size)
	in := &s3.GetObjectInput{Bucket: aws.String(r.id.Bucket), Key: aws.String(r.id.Key),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", start, end-1))}
	if r.id.VersionID != "" {
		in.VersionId = aws.String(r.id.VersionID)
	} else {
		in.IfMatch = aws.String(`"` + strings.Trim(r.id.ETag, `"`) + `"`)
	}
	r.gets.Add(1)
	out, err := r.api.GetObject(r.ctx, in)
	if err != nil {
		return nil, errclass.New(errclass.Retriable, r.id.String(), fmt.Errorf("ranged read at %d: %w", start, err))
	}
	defer out.Body.Close()
	var b *block
	if len(r.cache) == rangeBlocks {
		b = r.cache[rangeBlocks-1]
		r.cache = r.cache[:rangeBlocks-1]
	} else {
		b = &block{data: make([]byte, rangeBlock)}
	}
	b.start, b.data = start, b.data[:end-start]
	if _, err := io.ReadFull(out.Body, b.data); err != nil {
		return nil, errclass.New(errclass.Retriable, r.id.String(), fmt.Errorf("ranged read at %d: %w", start, err))
	}
	r.cache = append([]*block{b}, r.cache...)
	return b, nil
}

func eofIfShort(n, want int) error {
	if n < want {
		return io.EOF
	}
	return nil
}
