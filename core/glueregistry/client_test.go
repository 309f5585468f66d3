package glueregistry_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/converters/gluewire"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/glueregistry"
)

const (
	javaUUID = "b7b4a7f0-9c96-4e4a-a687-8e4c1f9c2a11"
	userV1   = `{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"}]}`
)

func uuid(t testing.TB, s string) [16]byte {
	t.Helper()
	id, err := gluewire.ParseUUID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSchemaVersionFetchedOnce(t *testing.T) {
	ctx := context.Background()
	f := newFakeGlue(t)
	f.add("default-registry", "users", javaUUID, userV1)
	c := glueregistry.NewClient(f.api(t), glueregistry.ClientOptions{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 50 {
				v, err := c.SchemaVersion(ctx, uuid(t, javaUUID))
				if err != nil || v.Definition != userV1 || v.DataFormat != "AVRO" || v.Version != 1 {
					t.Errorf("SchemaVersion = %+v, %v", v, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := f.count("GetSchemaVersion"); n != 1 {
		t.Fatalf("1000 SchemaVersion calls made %d GetSchemaVersion requests; want 1", n)
	}
}

func TestErrorClasses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		inject   string // error __type injected for GetSchemaVersion ("" none)
		id       string
		class    errclass.Class
		notFound bool
		subject  string
		contains string
	}{
		{"unknown version", "", "00000000-0000-4000-8000-999999999999", errclass.BadRecord, true,
			"schema version 00000000-0000-4000-8000-999999999999", "Schema version is not found."},
		{"access denied", "AccessDeniedException", javaUUID, errclass.BadConfig, false, "registry.name", "AccessDeniedException"},
		{"throttled", "ThrottlingException", javaUUID, errclass.Retriable, false, "schema version " + javaUUID, "ThrottlingException"},
		{"service error", "InternalServiceException", javaUUID, errclass.Retriable, false, "schema version " + javaUUID, "InternalServiceException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGlue(t)
			f.add("default-registry", "users", javaUUID, userV1)
			if tt.inject != "" {
				f.failOnce("GetSchemaVersion", tt.inject)
			}
			c := glueregistry.NewClient(f.api(t), glueregistry.ClientOptions{})
			_, err := c.SchemaVersion(ctx, uuid(t, tt.id))
			var e *errclass.Error
			if !errors.As(err, &e) || e.Class != tt.class || e.Subject != tt.subject {
				t.Fatalf("error %v; want class %v about %q", err, tt.class, tt.subject)
			}
			if errors.Is(err, glueregistry.ErrNotFound) != tt.notFound {
				t.Fatalf("errors.Is(%v, ErrNotFound) != %v", err, tt.notFound)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("error %q does not contain %q", err, tt.contains)
			}
			if tt.inject != "" { // not cached: the next call succeeds
				if _, err := c.SchemaVersion(ctx, uuid(t, tt.id)); err != nil {
					t.Fatalf("after the failure: %v", err)
				}
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	f := newFakeGlue(t)
	api := f.api(t)
	f.srv.Close()
	c := glueregistry.NewClient(api, glueregistry.ClientOptions{})
	_, err := c.SchemaVersion(context.Background(), uuid(t, javaUUID))
	if !errclass.Is(err, errclass.Retriable) {
		t.Fatalf("error %v; want retriable", err)
	}
}

func TestRegister(t *testing.T) {
	ctx := context.Background()
	userV2 := strings.Replace(userV1, `]}`, `,{"name":"email","type":["null","string"],"default":null}]}`, 1)
	f := newFakeGlue(t)
	off := glueregistry.NewClient(f.api(t), glueregistry.ClientOptions{RegistryName: "reg"})
	_, err := off.Register(ctx, "users", "AVRO", userV1)
	if !errclass.Is(err, errclass.BadRecord) || !errors.Is(err, glueregistry.ErrNotFound) || !strings.Contains(err.Error(), "schemaAutoRegistrationEnabled") {
		t.Fatalf("Register without auto-registration = %v", err)
	}

	c := glueregistry.NewClient(f.api(t), glueregistry.ClientOptions{RegistryName: "reg", AutoRegister: true, Compatibility: "FULL", PollInterval: time.Millisecond})
	v1, err := c.Register(ctx, "users", "AVRO", userV1)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.created["reg/users"]; got["DataFormat"] != "AVRO" || got["Compatibility"] != "FULL" {
		t.Fatalf("CreateSchema input %v", got)
	}
	f.pending = 2 // the next registration is PENDING for two checks
	v2, err := c.Register(ctx, "users", "AVRO", userV2)
	if err != nil {
		t.Fatal(err)
	}
	if v1.ID == v2.ID || v2.Status != "AVAILABLE" || v2.Version != 2 {
		t.Fatalf("versions %+v, %+v", v1, v2)
	}
	for range 10 {
		if again, err := c.Register(ctx, "users", "AVRO", userV2); err != nil || again.ID != v2.ID {
			t.Fatalf("Register again = %+v, %v", again, err)
		}
		if got, err := c.SchemaVersion(ctx, v2.ID); err != nil || got.Definition != userV2 {
			t.Fatalf("SchemaVersion of a registered version = %+v, %v", got, err)
		}
	}
	// v1: a lookup, a registration refused (no such schema), a creation; v2: a lookup, a
	// registration, three status checks (PENDING twice); then nothing: all cached.
	want := map[string]int{"CreateSchema": 1, "RegisterSchemaVersion": 2, "GetSchemaByDefinition": 3, "GetSchemaVersion": 3}
	for op, n := range want {
		if got := f.count(op); got != n {
			t.Errorf("%s requests = %d; want %d", op, got, n)
		}
	}
	// Another client finds both versions by definition.
	other := glueregistry.NewClient(f.api(t), glueregistry.ClientOptions{RegistryName: "reg"})
	if got, err := other.Lookup(ctx, "users", "AVRO", userV1); err != nil || got.ID != v1.ID {
		t.Fatalf("Lookup = %+v, %v", got, err)
	}
}
