package s3source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/core/checkpoints"
)

// bytesS3 serves ranged GetObjects of one object.
type bytesS3 struct {
	data []byte
	gets int
}

func (b *bytesS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	b.gets++
	var from, to int64
	if _, err := fmt.Sscanf(aws.ToString(in.Range), "bytes=%d-%d", &from, &to); err != nil {
		return nil, err
	}
	to = min(to, int64(len(b.data))-1)
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b.data[from : to+1])),
		ContentRange: aws.String(fmt.Sprintf("bytes %d-%d/%d", from, to, len(b.data)))}, nil
}

// ReadAt through blocks returns what a bytes.Reader returns, for reads anywhere, of any size.
func TestRangeReader(t *testing.T) {
	data := make([]byte, 5*rangeBlock+12345)
	for i := range data {
		data[i] = byte(i * 7 >> 3)
	}
	api := &bytesS3{data: data}
	r, err := openRange(context.Background(), api, checkpoints.ObjectID{Bucket: "b", Key: "k", VersionID: "v"}, &s3.GetObjectInput{})
	if err != nil {
		t.Fatal(err)
	}
	if r.size != int64(len(data)) {
		t.Fatalf("size %d", r.size)
	}
	ref := bytes.NewReader(data)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		off := rng.Int64N(int64(len(data)) + 10)
		n := rng.IntN(3 * rangeBlock / 2)
		if i%3 == 0 {
			n = rng.IntN(100)
		}
		got, want := make([]byte, n), make([]byte, n)
		gn, gerr := r.ReadAt(got, off)
		wn, werr := ref.ReadAt(want, off)
		if gn != wn || (gerr == nil) != (werr == nil) || !bytes.Equal(got[:gn], want[:wn]) {
			t.Fatalf("ReadAt(%d bytes, %d) = %d, %v; want %d, %v", n, off, gn, gerr, wn, werr)
		}
	}
	// Sequential small reads cost one GET per block.
	api.gets = 0
	r.cache = nil
	buf := make([]byte, 4096)
	for off := int64(8); off < int64(len(data)); off += 4096 {
		r.ReadAt(buf, off)
	}
	if api.gets != 6 {
		t.Errorf("%d GETs for a sequential read of 6 blocks", api.gets)
	}
}
