package s3local_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

func newBucket(t *testing.T) (*s3.Client, string) {
	t.Helper()
	ctx := context.Background()
	s, err := s3local.Start(s3local.Options{Buckets: []string{"pre"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "b"); err == nil {
		t.Error("creating an existing bucket succeeded")
	}
	c, err := s3local.Client(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	return c, "b"
}

func statusOf(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// The client must work whether AWS_CA_BUNDLE is set or not, and the server must store exactly the
// bytes sent (no aws-chunked framing), with the MD5 as ETag.
func TestPutGetRoundTrip(t *testing.T) {
	for _, ca := range []string{"", "/etc/ssl/certs/ca-certificates.crt"} {
		t.Run("AWS_CA_BUNDLE="+ca, func(t *testing.T) {
			t.Setenv("AWS_CA_BUNDLE", ca)
			ctx := context.Background()
			c, b := newBucket(t)
			body := bytes.Repeat([]byte("line of data\n"), 10000)
			out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("topics/t/partition=0/t+0+0000000000.json"),
				Body: bytes.NewReader(body), ContentType: aws.String("application/json")})
			if err != nil {
				t.Fatal(err)
			}
			sum := md5.Sum(body)
			if want := `"` + hex.EncodeToString(sum[:]) + `"`; aws.ToString(out.ETag) != want {
				t.Errorf("ETag %s, want %s", aws.ToString(out.ETag), want)
			}
			got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("topics/t/partition=0/t+0+0000000000.json")})
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(got.Body)
			got.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, body) {
				t.Errorf("stored %d bytes (%q...), sent %d", len(data), data[:min(len(data), 40)], len(body))
			}
			if aws.ToString(got.ContentType) != "application/json" {
				t.Errorf("content type %q", aws.ToString(got.ContentType))
			}
		})
	}
}

func TestPresetBucket(t *testing.T) {
	ctx := context.Background()
	s, err := s3local.Start(s3local.Options{Buckets: []string{"pre"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s3local.Client(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("pre")}); err != nil {
		t.Errorf("bucket of Options.Buckets: %v", err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("other")}); err == nil {
		t.Error("HeadBucket of a missing bucket succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("pre")}); err == nil {
		t.Error("the server still answers after Close")
	}
}

// gofakes3 v1.2.0 must honour If-None-Match: * as S3 does: 412 PreconditionFailed when the key
// exists, and the object unchanged.
func TestConditionalPut(t *testing.T) {
	ctx := context.Background()
	c, b := newBucket(t)
	key := aws.String("k")
	put := func(body string) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: key, Body: strings.NewReader(body), IfNoneMatch: aws.String("*")})
		return err
	}
	if err := put("first"); err != nil {
		t.Fatalf("first conditional put: %v", err)
	}
	err := put("second")
	if err == nil {
		t.Fatal("second conditional put on an existing key succeeded")
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "PreconditionFailed" || statusOf(err) != http.StatusPreconditionFailed {
		t.Errorf("error %v, want PreconditionFailed (412)", err)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(data) != "first" {
		t.Errorf("object is %q after a failed conditional put, want first", data)
	}
	// An unconditional put still overwrites.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: key, Body: strings.NewReader("third")}); err != nil {
		t.Errorf("unconditional overwrite: %v", err)
	}
}

func TestDeleteObjects(t *testing.T) {
	ctx := context.Background()
	c, b := newBucket(t)
	for _, k := range []string{"a/1", "a/2", "a/3"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("a/1")}, {Key: aws.String("a/3")}, {Key: aws.String("missing")}},
		Quiet:   aws.Bool(true),
	}})
	if err != nil {
		t.Fatalf("DeleteObjects with a missing key: %v", err)
	}
	if len(out.Errors) != 0 {
		t.Errorf("DeleteObjects errors: %+v", out.Errors)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range list.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if strings.Join(keys, ",") != "a/2" {
		t.Errorf("keys after delete: %v, want [a/2]", keys)
	}
	// A deleted key can be created again with a conditional put.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("a/1"), Body: strings.NewReader("again"), IfNoneMatch: aws.String("*")}); err != nil {
		t.Errorf("conditional put after delete: %v", err)
	}
}

func TestForTest(t *testing.T) {
	t.Setenv(s3local.EnvEndpoint, "")
	ep1, ep2 := s3local.ForTest(t), s3local.ForTest(t)
	if ep1 == ep2 || !strings.HasPrefix(ep1, "http://127.0.0.1:") {
		t.Errorf("ForTest gave %s and %s, want two local servers", ep1, ep2)
	}
	t.Setenv(s3local.EnvEndpoint, "http://example.invalid:9000")
	if ep := s3local.ForTest(t); ep != "http://example.invalid:9000" {
		t.Errorf("ForTest with %s set gave %s", s3local.EnvEndpoint, ep)
	}
}

func TestClientNeedsEndpoint(t *testing.T) {
	if _, err := s3local.Client(context.Background(), ""); err == nil {
		t.Error("Client with an empty endpoint succeeded")
	}
}
