package glueregistry_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/glue"

	"github.com/lambda-connect/lambda-connect/core/glueregistry"
)

// fakeGlue speaks the Glue JSON 1.1 protocol for the schema registry calls the client makes,
// keeping schemas in memory.
type fakeGlue struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	calls    map[string]int               // X-Amz-Target -> count
	versions map[string]fakeVersion       // uuid -> version
	schemas  map[string][]string          // registry/name -> uuids in order
	created  map[string]map[string]string // registry/name -> CreateSchema input fields
	fail     map[string]string            // operation -> error __type to answer once
	pending  int                          // GetSchemaVersion answers PENDING this many times after a registration
	nextID   int
}

type fakeVersion struct {
	uuid, schemaKey, definition, format string
	number                              int64
}

func newFakeGlue(t testing.TB) *fakeGlue {
	f := &fakeGlue{t: t, calls: map[string]int{}, versions: map[string]fakeVersion{}, schemas: map[string][]string{},
		created: map[string]map[string]string{}, fail: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// add stores a schema version with a given uuid.
func (f *fakeGlue) add(registry, name, uuid, definition string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := registry + "/" + name
	f.schemas[key] = append(f.schemas[key], uuid)
	f.versions[uuid] = fakeVersion{uuid: uuid, schemaKey: key, definition: definition, format: "AVRO", number: int64(len(f.schemas[key]))}
}

func (f *fakeGlue) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls["AWSGlue."+op]
}

func (f *fakeGlue) failOnce(op, errType string) {
	f.mu.Lock()
	f.fail["AWSGlue."+op] = errType
	f.mu.Unlock()
}

type schemaID struct {
	RegistryName string
	SchemaName   string
}

func (f *fakeGlue) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || r.URL.Path != "/" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1") ||
		!strings.Contains(r.Header.Get("Authorization"), "Credential=AKIDTEST/") {
		f.t.Errorf("unexpected request %s %s %q %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Authorization"))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[target]++
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(status int, typ, msg string) {
		reply(status, map[string]string{"__type": typ, "Message": msg})
	}
	if typ, ok := f.fail[target]; ok {
		delete(f.fail, target)
		status := 400
		if typ == "InternalServiceException" {
			status = 500
		}
		fail(status, typ, "injected "+typ)
		return
	}
	var in struct {
		SchemaVersionId  string
		SchemaId         *schemaID
		RegistryId       *struct{ RegistryName string }
		SchemaName       string
		SchemaDefinition string
		DataFormat       string
		Compatibility    string
	}
	if err := json.Unmarshal(body, &in); err != nil {
		fail(400, "SerializationException", err.Error())
		return
	}
	switch target {
	case "AWSGlue.GetSchemaVersion":
		v, ok := f.versions[in.SchemaVersionId]
		if !ok {
			fail(400, "EntityNotFoundException", "Schema version is not found.")
			return
		}
		status := "AVAILABLE"
		if f.pending > 0 {
			f.pending--
			status = "PENDING"
		}
		reply(200, map[string]any{"SchemaVersionId": v.uuid, "SchemaDefinition": v.definition, "DataFormat": v.format,
			"SchemaArn": "arn:aws:glue:us-east-1:123456789012:schema/" + v.schemaKey, "VersionNumber": v.number, "Status": status})
	case "AWSGlue.GetSchemaByDefinition":
		key := in.SchemaId.RegistryName + "/" + in.SchemaId.SchemaName
		ids, ok := f.schemas[key]
		if !ok {
			fail(400, "EntityNotFoundException", "Schema is not found.")
			return
		}
		for _, id := range ids {
			if v := f.versions[id]; v.definition == in.SchemaDefinition {
				reply(200, map[string]any{"SchemaVersionId": id, "SchemaArn": "arn:aws:glue:us-east-1:123456789012:schema/" + key, "DataFormat": v.format, "Status": "AVAILABLE"})
				return
			}
		}
		fail(400, "EntityNotFoundException", "Schema version is not found.")
	case "AWSGlue.RegisterSchemaVersion":
		key := in.SchemaId.RegistryName + "/" + in.SchemaId.SchemaName
		if _, ok := f.schemas[key]; !ok {
			fail(400, "EntityNotFoundException", "Schema is not found.")
			return
		}
		id := f.newID()
		f.schemas[key] = append(f.schemas[key], id)
		f.versions[id] = fakeVersion{uuid: id, schemaKey: key, definition: in.SchemaDefinition, format: "AVRO", number: int64(len(f.schemas[key]))}
		status := "AVAILABLE"
		if f.pending > 0 {
			status = "PENDING"
		}
		reply(200, map[string]any{"SchemaVersionId": id, "VersionNumber": len(f.schemas[key]), "Status": status})
	case "AWSGlue.CreateSchema":
		key := in.RegistryId.RegistryName + "/" + in.SchemaName
		if _, ok := f.schemas[key]; ok {
			fail(400, "AlreadyExistsException", "Schema already exists.")
			return
		}
		id := f.newID()
		f.schemas[key] = []string{id}
		f.created[key] = map[string]string{"DataFormat": in.DataFormat, "Compatibility": in.Compatibility}
		f.versions[id] = fakeVersion{uuid: id, schemaKey: key, definition: in.SchemaDefinition, format: in.DataFormat, number: 1}
		reply(200, map[string]any{"RegistryName": in.RegistryId.RegistryName, "SchemaName": in.SchemaName, "DataFormat": in.DataFormat,
			"Compatibility": in.Compatibility, "SchemaVersionId": id, "SchemaVersionStatus": "AVAILABLE", "LatestSchemaVersion": 1})
	default:
		fail(400, "UnknownOperationException", "unknown operation "+target)
	}
}

func (f *fakeGlue) newID() string {
	f.nextID++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", f.nextID)
}

// awsOpts point the SDK at the fake with static test credentials and no retries.
func (f *fakeGlue) awsOpts() []func(*awsconfig.LoadOptions) error {
	return []func(*awsconfig.LoadOptions) error{
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")),
		awsconfig.WithRetryMaxAttempts(1),
	}
}

func (f *fakeGlue) api(t testing.TB) *glue.Client {
	t.Helper()
	api, err := glueregistry.NewGlueAPI(context.Background(), glueregistry.Config{Region: "us-east-1", Endpoint: f.srv.URL}, f.awsOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	return api
}
