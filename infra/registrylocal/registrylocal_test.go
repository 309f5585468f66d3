package registrylocal_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/infra/registrylocal"
)

const (
	v1 = `{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}`
	// withDefault adds a field with a default; withoutDefault one without; dropped removes a.
	withDefault    = `{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":"string","default":""}]}`
	withoutDefault = `{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":"string"}]}`
	dropped        = `{"type":"record","name":"R","fields":[]}`
)

func TestCompatibilityLevels(t *testing.T) {
	tests := []struct {
		level string
		next  string
		ok    bool
	}{
		{"NONE", `"string"`, true},
		{"BACKWARD", withDefault, true},
		{"BACKWARD", withoutDefault, false}, // the new schema cannot read old data (no default for b)
		{"BACKWARD", dropped, true},
		{"FORWARD", withoutDefault, true}, // old readers ignore b
		{"FORWARD", dropped, false},       // old readers need a, which has no default
		{"FULL", withDefault, true},
		{"FULL", withoutDefault, false},
		{"FULL", dropped, false},
	}
	for _, tt := range tests {
		t.Run(tt.level+" "+tt.next, func(t *testing.T) {
			reg := registrylocal.ForTestWith(t, registrylocal.Options{Compatibility: tt.level})
			if _, err := reg.Register("s", schemaregistry.Schema{Schema: v1}); err != nil {
				t.Fatal(err)
			}
			id, err := reg.Register("s", schemaregistry.Schema{Schema: tt.next})
			if tt.ok && (err != nil || id != 2) {
				t.Fatalf("Register = %d, %v; want id 2", id, err)
			}
			if !tt.ok && (err == nil || !strings.Contains(err.Error(), "409")) {
				t.Fatalf("Register = %d, %v; want a 409", id, err)
			}
		})
	}
}

func TestTransitive(t *testing.T) {
	// v1 {a}, v2 {a, b=""}, v3 {b=""}: each reads its predecessor's data. v4 {b} (no default)
	// reads v3 data but not v1 data: BACKWARD accepts it, BACKWARD_TRANSITIVE refuses it.
	chain := []string{v1, withDefault, `{"type":"record","name":"R","fields":[{"name":"b","type":"string","default":""}]}`}
	v4 := `{"type":"record","name":"R","fields":[{"name":"b","type":"string"}]}`
	for _, tt := range []struct {
		level string
		ok    bool
	}{{"BACKWARD", true}, {"BACKWARD_TRANSITIVE", false}} {
		reg := registrylocal.ForTestWith(t, registrylocal.Options{Compatibility: tt.level})
		for i, s := range chain {
			if id, err := reg.Register("s", schemaregistry.Schema{Schema: s}); err != nil || id != i+1 {
				t.Fatalf("%s: schema %d: %d, %v", tt.level, i, id, err)
			}
		}
		_, err := reg.Register("s", schemaregistry.Schema{Schema: v4})
		if (err == nil) != tt.ok {
			t.Fatalf("%s: Register(v4) = %v; want ok %v", tt.level, err, tt.ok)
		}
	}
}

func get(t *testing.T, url string, user, pass string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func TestResponses(t *testing.T) {
	reg := registrylocal.ForTest(t)
	if _, err := reg.Register("orders-value", schemaregistry.Schema{Schema: v1}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Register("m", schemaregistry.Schema{Type: "PROTOBUF", Schema: `syntax = "proto3";`}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path   string
		status int
		body   string
	}{
		{"/schemas/ids/1", 200, `{"schema":"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"}]}"}`},
		{"/schemas/ids/2", 200, `{"schema":"syntax = \"proto3\";","schemaType":"PROTOBUF"}`},
		{"/schemas/ids/3", 404, `{"error_code":40403,"message":"Schema 3 not found"}`},
		{"/subjects", 200, `["m","orders-value"]`},
		{"/subjects/orders-value/versions", 200, `[1]`},
		{"/subjects/nope/versions", 404, `{"error_code":40401,"message":"Subject 'nope' not found."}`},
		{"/subjects/orders-value/versions/latest", 200, `{"subject":"orders-value","version":1,"id":1,"schema":"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"}]}"}`},
		{"/subjects/orders-value/versions/2", 404, `{"error_code":40402,"message":"Version 2 not found."}`},
		{"/subjects/orders-value/versions/x", 422, `{"error_code":42202,"message":"The specified version 'x' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""}`},
		{"/config", 200, `{"compatibilityLevel":"BACKWARD"}`},
		{"/config/orders-value", 404, `{"error_code":40408,"message":"Subject 'orders-value' does not have subject-level compatibility configured"}`},
		{"/config/orders-value?defaultToGlobal=true", 200, `{"compatibilityLevel":"BACKWARD"}`},
	}
	for _, tt := range tests {
		status, body := get(t, reg.URL()+tt.path, "", "")
		if status != tt.status || body != tt.body {
			t.Errorf("GET %s = %d %s; want %d %s", tt.path, status, body, tt.status, tt.body)
		}
	}
	if n := reg.Requests("/schemas/ids/1"); n != 1 {
		t.Errorf("Requests(/schemas/ids/1) = %d; want 1", n)
	}
	if n := reg.TotalRequests(); n != len(tests) {
		t.Errorf("TotalRequests = %d; want %d", n, len(tests))
	}
}

func TestInvalidSchema(t *testing.T) {
	reg := registrylocal.ForTest(t)
	_, err := reg.Register("s", schemaregistry.Schema{Schema: `{"type":"record"`})
	if err == nil || !strings.Contains(err.Error(), "42201") {
		t.Fatalf("Register(invalid) = %v; want 42201", err)
	}
}

func TestFailNextAndAuth(t *testing.T) {
	reg := registrylocal.ForTestWith(t, registrylocal.Options{BasicAuth: "u:p"})
	if status, _ := get(t, reg.URL()+"/subjects", "", ""); status != 401 {
		t.Fatalf("no credentials: %d; want 401", status)
	}
	if status, _ := get(t, reg.URL()+"/subjects", "u", "x"); status != 401 {
		t.Fatalf("wrong password: %d; want 401", status)
	}
	reg.FailNext(2)
	for i := range 2 {
		if status, body := get(t, reg.URL()+"/subjects", "u", "p"); status != 500 || !strings.Contains(body, "50001") {
			t.Fatalf("failed request %d: %d %s; want 500 50001", i, status, body)
		}
	}
	if status, body := get(t, reg.URL()+"/subjects", "u", "p"); status != 200 || body != "[]" {
		t.Fatalf("after the failures: %d %s", status, body)
	}
	if n := reg.Requests("/subjects"); n != 5 {
		t.Fatalf("Requests = %d; want 5", n)
	}
}

func TestStartOptions(t *testing.T) {
	if _, err := registrylocal.Start(registrylocal.Options{Compatibility: "SOMETIMES"}); err == nil {
		t.Fatal("an unknown level was accepted")
	}
	reg, err := registrylocal.Start(registrylocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(reg.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL = %s", reg.URL())
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := reg.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestSameSchemaSameID(t *testing.T) {
	reg := registrylocal.ForTest(t)
	spaced := `{ "type": "record", "name": "R",
	  "fields": [ {"name": "a", "type": "long"} ] }`
	tests := []struct {
		subject string
		schema  schemaregistry.Schema
		want    int
	}{
		{"a", schemaregistry.Schema{Schema: v1}, 1},
		{"a", schemaregistry.Schema{Schema: spaced}, 1},           // same schema, other spacing: not a new version
		{"b", schemaregistry.Schema{Schema: spaced}, 1},           // same schema under another subject: same id
		{"b", schemaregistry.Schema{Schema: withDefault}, 2},      // a new schema: a new id
		{"c", schemaregistry.Schema{Type: "JSON", Schema: v1}, 3}, // same text, another type: another id
	}
	for _, tt := range tests {
		if id, err := reg.Register(tt.subject, tt.schema); err != nil || id != tt.want {
			t.Fatalf("Register(%s, %.30s) = %d, %v; want %d", tt.subject, tt.schema.Schema, id, err, tt.want)
		}
	}
	if status, body := get(t, reg.URL()+"/subjects/a/versions", "", ""); status != 200 || body != "[1]" {
		t.Fatalf("versions of a: %d %s; want [1]", status, body)
	}
}
