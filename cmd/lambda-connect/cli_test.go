package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

// runEnv runs the command line in process with environ as its whole environment.
func runEnv(t *testing.T, environ []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(name string) string {
		v := ""
		for _, kv := range environ {
			if n, val, ok := strings.Cut(kv, "="); ok && n == name {
				v = val
			}
		}
		return v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := &env{stdout: &out, stderr: &errOut, getenv: getenv, environ: func() []string { return environ }}
	code = run(ctx, e, args)
	return code, out.String(), errOut.String()
}

var uniq atomic.Int64

// uniqueName returns a name no other test uses (tables, buckets, topics, groups).
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, uniq.Add(1))
}

// stack is what the run and offsets tests run against: a Kafka broker, an S3 server with a
// bucket, and DynamoDB Local with an offsets table, reached the way the function reaches them
// (AWS_* variables of the process).
type stack struct {
	kafka  *kafkalocal.Cluster
	s3     *s3.Client
	bucket string
	table  string
	store  *offsets.DynamoStore
}

// newStack starts the stack and points the AWS SDK of this process at it. Tests using it must
// not run in parallel (t.Setenv).
func newStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	dynamoEndpoint := dynamolocal.ForTest(t)
	s3Endpoint := s3local.ForTest(t)
	st := &stack{kafka: kafkalocal.ForTest(t), bucket: strings.ToLower(uniqueName("bucket")), table: uniqueName("offsets")}
	home := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3": s3Endpoint, "AWS_ENDPOINT_URL_DYNAMODB": dynamoEndpoint,
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_CONFIG_FILE": filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
		"AWS_PROFILE": "", "AWS_ENDPOINT_URL": "", "LOG_LEVEL": "WARN",
	} {
		t.Setenv(k, v)
	}
	var err error
	if st.s3, err = s3local.Client(ctx, s3Endpoint); err != nil {
		t.Fatal(err)
	}
	if _, err := st.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(st.bucket)}); err != nil {
		t.Fatal(err)
	}
	dc, err := dynamolocal.Client(ctx, dynamoEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := offsets.CreateTable(ctx, dc, st.table); err != nil {
		t.Fatal(err)
	}
	if st.store, err = offsets.NewDynamoStore(offsets.DynamoConfig{Client: dc, Table: st.table}); err != nil {
		t.Fatal(err)
	}
	return st
}

// environ returns the CONNECT_* settings of an S3 sink writing to the stack's bucket.
func (st *stack) environ(connector string, extra ...string) []string {
	return append([]string{
		"CONNECT_CONNECTOR_NAME=" + connector,
		"CONNECT_S3_BUCKET_NAME=" + st.bucket,
		"CONNECT_OFFSETS_TABLE=" + st.table,
		"CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE=false",
	}, extra...)
}

// objects returns the lines of every object under prefix, by key.
func (st *stack) objects(t *testing.T, prefix string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	pages := s3.NewListObjectsV2Paginator(st.s3, &s3.ListObjectsV2Input{Bucket: aws.String(st.bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			obj, err := st.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(st.bucket), Key: o.Key})
			if err != nil {
				t.Fatal(err)
			}
			var r io.Reader = obj.Body
			if strings.HasSuffix(aws.ToString(o.Key), ".gz") {
				if r, err = gzip.NewReader(obj.Body); err != nil {
					t.Fatal(err)
				}
			}
			var lines []string
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			obj.Body.Close()
			out[aws.ToString(o.Key)] = lines
		}
	}
	return out
}

// next returns the offsets table's next offset for a partition (-1: none).
func (st *stack) next(t *testing.T, connector, topic string, partition int32) int64 {
	t.Helper()
	s, err := st.store.Get(context.Background(), offsets.Key{Connector: connector, Topic: topic, Partition: partition})
	if err != nil {
		t.Fatal(err)
	}
	return s.Next
}
