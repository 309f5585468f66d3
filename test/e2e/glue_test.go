package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/hamba/avro/v2"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/converters/gluewire"
	"github.com/lambda-connect/lambda-connect/core/glueregistry"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

// fakeGlue answers Glue's GetSchemaVersion (JSON 1.1 protocol) from a map of schema version id to
// Avro definition: the minimum of core/glueregistry's test fake the sink's converter calls.
type fakeGlue struct {
	srv      *httptest.Server
	mu       sync.Mutex
	versions map[string]string
	calls    int
}

func newFakeGlue(t *testing.T, versions map[string]string) *fakeGlue {
	f := &fakeGlue{versions: versions}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ SchemaVersionId string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls++
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		def, ok := f.versions[in.SchemaVersionId]
		if r.Header.Get("X-Amz-Target") != "AWSGlue.GetSchemaVersion" || !ok {
			w.WriteHeader(400)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": "EntityNotFoundException", "Message": "Schema version is not found."})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"SchemaVersionId": in.SchemaVersionId, "SchemaDefinition": def, "DataFormat": "AVRO",
			"SchemaArn": "arn:aws:glue:us-east-1:123456789012:schema/e2e-registry/users", "VersionNumber": 1, "Status": "AVAILABLE"})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// TestGlueConverterThroughS3Sink: value.converter=AWSKafkaAvroConverter, accepted because the
// sink is built with a converter registry holding core/glueregistry's class (as the functions
// build it), decodes Glue-framed Avro records (one of them zlib-compressed) read from Kafka and
// the S3 sink writes them as JSON; the schema is fetched from Glue once.
func TestGlueConverterThroughS3Sink(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const userSchema = `{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"}]}`
	const versionID = "b7b4a7f0-9c1e-4a8a-8f1e-2d0b1c3e4f50"
	glue := newFakeGlue(t, map[string]string{versionID: userSchema})
	schema := avro.MustParse(userSchema)
	id, err := gluewire.ParseUUID(versionID)
	if err != nil {
		t.Fatal(err)
	}

	cl := kafkalocal.ForTest(t)
	topic := newTopic(ctx, t, cl, "users", 1)
	var in []record.Record
	for i := range 12 {
		body, err := avro.Marshal(schema, map[string]any{"id": i, "name": fmt.Sprintf("user-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		frame, err := gluewire.Encode(nil, id, body, i == 5)
		if err != nil {
			t.Fatal(err)
		}
		in = append(in, record.Record{Topic: topic, Key: fmt.Appendf(nil, "u%d", i), Value: frame, Timestamp: 1_700_000_000_000, TimestampType: record.CreateTime})
	}
	recs := produceAndRead(ctx, t, cl, topic, in)

	client, err := s3local.Client(ctx, s3local.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	bucket := newBucket(ctx, t, client, "glue")
	props := map[string]string{
		"connector.name": "glue", "flush.size": "100",
		"value.converter":        glueregistry.ConverterShortName,
		"value.converter.region": "us-east-1", "value.converter.endpoint": glue.srv.URL, "value.converter.registry.name": "e2e-registry",
	}
	c, s := s3SinkConfig(t, client, bucket, props)
	store, _ := offsets.NewFileStore("")
	if _, err := sink.NewFromConfig(ctx, c, s, store, quiet()...); err == nil || !strings.Contains(err.Error(), "unknown converter class") {
		t.Fatalf("without the Glue registration: %v, want an unknown converter class", err)
	}
	reg := converters.Builtins()
	if err := glueregistry.Register(reg, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")),
		awsconfig.WithRetryMaxAttempts(1)); err != nil {
		t.Fatal(err)
	}
	e := newS3Sink(ctx, t, client, bucket, props, sink.WithConverters(reg))
	batches := kafkaEvents(t, kafkaevent.SourceMSK, mskARN, cl.Bootstrap(), recs, 100)
	if len(batches) != 1 {
		t.Fatalf("%d batches, want one", len(batches))
	}
	e.invoke(ctx, t, batches)

	var lines []string
	for _, o := range e.objects(ctx, t) {
		lines = append(lines, o.lines()...)
		if !strings.HasSuffix(o.key, "+0000000000.json") {
			t.Errorf("object %s, want the partition's one object from offset 0", o.key)
		}
	}
	if len(lines) != len(in) {
		t.Fatalf("%d records in S3, want %d", len(lines), len(in))
	}
	for i, l := range lines {
		if want := fmt.Sprintf(`{"id":%d,"name":"user-%d"}`, i, i); l != want {
			t.Errorf("line %d = %s, want %s", i, l, want)
		}
	}
	if glue.calls != 1 {
		t.Errorf("Glue asked %d times, want once for the one schema version", glue.calls)
	}
	e.checkCommitted(ctx, t, topic, 1, int64(len(in)))
}
