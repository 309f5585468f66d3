package s3sink

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

var bucketSeq atomic.Int64

// s3Env is a fresh bucket on a local S3 server (or $AWS_ENDPOINT_URL_S3).
type s3Env struct {
	client *s3.Client
	bucket string
}

func newS3Env(t *testing.T) s3Env {
	t.Helper()
	ctx := context.Background()
	client, err := s3local.Client(ctx, s3local.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	bucket := fmt.Sprintf("s3sink-test-%d-%d", bucketSeq.Add(1), testSeed)
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	return s3Env{client: client, bucket: bucket}
}

// testSeed keeps bucket names apart between runs sharing a server ($AWS_ENDPOINT_URL_S3).
var testSeed = time.Now().UnixNano() % 1e9

func (e s3Env) sink(t *testing.T, props map[string]string, client API) *Sink {
	t.Helper()
	p := map[string]string{}
	for k, v := range props {
		p[k] = v
	}
	p["s3.bucket.name"] = e.bucket
	if client == nil {
		client = e.client
	}
	return newTestSink(t, p, client)
}

func (e s3Env) get(t *testing.T, key string) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	out, err := e.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &e.bucket, Key: &key})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b, out
}

func (e s3Env) keys(t *testing.T) []string {
	t.Helper()
	out, err := e.client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &e.bucket})
	if err != nil {
		t.Fatal(err)
	}
	var ks []string
	for _, o := range out.Contents {
		ks = append(ks, aws.ToString(o.Key))
	}
	return ks
}

func planPut(t *testing.T, s *Sink, recs []record.Record) []sink.Write {
	t.Helper()
	ws, err := s.Plan(recs[0].TopicPartition(), recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		n, err := s.Put(context.Background(), w)
		if err != nil {
			t.Fatalf("put %s: %v", w.ID(), err)
		}
		if n <= 0 {
			t.Errorf("put %s: %d bytes", w.ID(), n)
		}
	}
	return ws
}

func TestPutWritesObjects(t *testing.T) {
	e := newS3Env(t)
	for _, c := range []struct {
		props       map[string]string
		contentType string
	}{
		{map[string]string{"flush.size": "2"}, "application/json"},
		{map[string]string{"flush.size": "2", "s3.compression.type": "gzip"}, "application/gzip"},
		{map[string]string{"flush.size": "2", "format.class": "ByteArrayFormat"}, "application/octet-stream"},
	} {
		s := e.sink(t, c.props, nil)
		recs := jsonRecs("put", 0, 0, 5)
		ws := planPut(t, s, recs)
		var lines []string
		for _, w := range ws {
			body, out := e.get(t, w.ID())
			want, err := s.Encode(w)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, want) {
				t.Errorf("%s holds %q, want %q", w.ID(), body, want)
			}
			if aws.ToString(out.ContentType) != c.contentType {
				t.Errorf("%s: content type %q, want %q", w.ID(), aws.ToString(out.ContentType), c.contentType)
			}
			var r io.Reader = bytes.NewReader(body)
			if strings.HasSuffix(w.ID(), ".gz") {
				if r, err = gzip.NewReader(r); err != nil {
					t.Fatal(err)
				}
			}
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
		}
		if len(lines) != len(recs) {
			t.Fatalf("%v: %d lines for %d records", c.props, len(lines), len(recs))
		}
		for i, l := range lines {
			if l != string(recs[i].Value) {
				t.Errorf("%v: line %d is %q, want %q", c.props, i, l, recs[i].Value)
			}
		}
	}
}

// lostResponse makes the first PutObject of each key succeed on the server and then fail as if
// its response were lost, and retries it once, as the SDK's retryer does.
type lostResponse struct {
	API
	retried atomic.Int64
}

func (l *lostResponse) PutObject(ctx context.Context, in *s3.PutObjectInput, opt ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	body, _ := io.ReadAll(in.Body)
	first := *in
	first.Body = bytes.NewReader(body)
	if _, err := l.API.PutObject(ctx, &first, opt...); err != nil {
		return nil, err
	}
	l.retried.Add(1)
	retry := *in
	retry.Body = bytes.NewReader(body)
	return l.API.PutObject(ctx, &retry, opt...)
}

// A 412 on an object with this write's bytes is the write's own earlier attempt: success.
func TestPutOwnEarlierAttempt(t *testing.T) {
	e := newS3Env(t)
	for _, props := range []map[string]string{{}, {"s3.compression.type": "gzip"}} {
		lr := &lostResponse{API: e.client}
		s := e.sink(t, props, lr)
		recs := jsonRecs("retry", 0, 0, 3)
		ws := planPut(t, s, recs)
		if lr.retried.Load() != int64(len(ws)) {
			t.Fatalf("retried %d puts, want %d", lr.retried.Load(), len(ws))
		}
		// Putting the same write again (a retried invocation that did not discard) also succeeds.
		if _, err := s.Put(context.Background(), ws[0]); err != nil {
			t.Errorf("second put of identical bytes: %v", err)
		}
	}
}

// A 412 on an object with other bytes is another writer's: Retriable, and the object is kept.
func TestPutConflict(t *testing.T) {
	e := newS3Env(t)
	s := e.sink(t, nil, nil)
	recs := jsonRecs("conflict", 0, 0, 2)
	ws, err := s.Plan(recs[0].TopicPartition(), recs)
	if err != nil {
		t.Fatal(err)
	}
	key := ws[0].ID()
	if _, err := e.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &e.bucket, Key: &key, Body: strings.NewReader("someone else's\n")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Put(context.Background(), ws[0])
	if !errclass.Is(err, errclass.Retriable) || !strings.Contains(err.Error(), "another writer") || !strings.Contains(err.Error(), key) {
		t.Errorf("error %v, want a Retriable error naming %s and another writer", err, key)
	}
	if body, _ := e.get(t, key); string(body) != "someone else's\n" {
		t.Errorf("the other writer's object was replaced by %q", body)
	}
	// Without conditional writes the object is overwritten, as Confluent's connector does.
	s = e.sink(t, map[string]string{"s3.conditional.writes.enabled": "false"}, nil)
	if _, err := s.Put(context.Background(), ws[0]); err != nil {
		t.Fatal(err)
	}
	if body, _ := e.get(t, key); !strings.HasPrefix(string(body), `{"seq":0`) {
		t.Errorf("unconditional put left %q", body)
	}
}

func TestPutCancelled(t *testing.T) {
	e := newS3Env(t)
	s := e.sink(t, nil, nil)
	recs := jsonRecs("cancel", 0, 0, 1)
	ws, _ := s.Plan(recs[0].TopicPartition(), recs)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, ws[0]); !errclass.Is(err, errclass.Retriable) {
		t.Errorf("put with a cancelled context: %v, want Retriable", err)
	}
	if ks := e.keys(t); len(ks) != 0 {
		t.Errorf("objects written after cancel: %v", ks)
	}
}

func TestPutForeignWrite(t *testing.T) {
	s := newTestSink(t, nil, nil)
	if _, err := s.Put(context.Background(), fakeWrite{}); err == nil {
		t.Error("put of a write another sink planned succeeded")
	}
}

type fakeWrite struct{}

func (fakeWrite) ID() string   { return "x" }
func (fakeWrite) Records() int { return 1 }

// countingDeletes counts DeleteObjects requests and their keys.
type countingDeletes struct {
	API
	calls, maxKeys int
}

func (c *countingDeletes) DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, opt ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
	c.calls++
	c.maxKeys = max(c.maxKeys, len(in.Delete.Objects))
	return c.API.DeleteObjects(ctx, in, opt...)
}

func TestDiscard(t *testing.T) {
	e := newS3Env(t)
	cd := &countingDeletes{API: e.client}
	s := e.sink(t, map[string]string{"flush.size": "1"}, cd)
	ws := planPut(t, s, jsonRecs("discard", 0, 0, 4))
	keep := planPut(t, s, jsonRecs("discard", 1, 0, 1))
	var doomed []string
	for i := range 2500 {
		doomed = append(doomed, fmt.Sprintf("topics/discard/partition=0/missing-%04d", i))
	}
	doomed = append(doomed, ids(ws)...)
	if err := s.Discard(context.Background(), doomed); err != nil {
		t.Fatal(err)
	}
	if cd.calls != 3 || cd.maxKeys != 1000 {
		t.Errorf("%d DeleteObjects requests of at most %d keys, want 3 of at most 1000", cd.calls, cd.maxKeys)
	}
	if ks := e.keys(t); len(ks) != 1 || ks[0] != keep[0].ID() {
		t.Errorf("objects left: %v, want only %s", ks, keep[0].ID())
	}
	// Discarded keys can be written again with conditional writes.
	planPut(t, s, jsonRecs("discard", 0, 0, 4))
	if err := s.Discard(context.Background(), nil); err != nil {
		t.Errorf("discarding nothing: %v", err)
	}
}

func TestDiscardErrorsAreRetriable(t *testing.T) {
	e := newS3Env(t)
	p := map[string]string{"s3.bucket.name": "no-such-bucket-" + e.bucket}
	s := newTestSink(t, p, e.client)
	err := s.Discard(context.Background(), []string{"topics/a", "topics/b"})
	if !errclass.Is(err, errclass.Retriable) || !strings.Contains(err.Error(), "topics/a") {
		t.Errorf("error %v, want a Retriable error naming the key", err)
	}
}
