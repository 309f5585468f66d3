package glueregistry_test

import (
	"context"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/glueregistry"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// javaFrame is the frame Glue's Java serializer writes for {"id": 1, "name": "hello"} under
// userV1, zlib-compressed (converters/gluewire/testdata/java-zlib.hex).
const javaFrame = "0305b7b4a7f09c964e4aa6878e4c1f9c2a11789c63e2ca48cdc9c9070006780221"

func newConverter(t testing.TB, f *fakeGlue, props map[string]string, isKey bool) converters.Converter {
	t.Helper()
	all := map[string]string{"region": "us-east-1", "endpoint": f.srv.URL}
	for k, v := range props {
		all[k] = v
	}
	c, err := glueregistry.NewConverter(context.Background(), all, isKey, f.awsOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestToConnectReadsJavaFrame(t *testing.T) {
	f := newFakeGlue(t)
	f.add("default-registry", "users", javaUUID, userV1)
	c := newConverter(t, f, nil, false)
	frame, _ := hex.DecodeString(javaFrame)
	for range 100 {
		s, v, err := c.ToConnect("users", nil, frame)
		if err != nil {
			t.Fatal(err)
		}
		sv, ok := v.(*record.StructValue)
		if !ok || s.Type != record.Struct || s.Name != "shop.User" {
			t.Fatalf("ToConnect = %+v, %#v", s, v)
		}
		id, _ := sv.Get("id")
		name, _ := sv.Get("name")
		if id != int32(1) || name != "hello" {
			t.Fatalf("values id=%#v name=%#v", id, name)
		}
	}
	if n := f.count("GetSchemaVersion"); n != 1 {
		t.Fatalf("100 records made %d GetSchemaVersion requests; want 1", n)
	}
	if s, v, err := c.ToConnect("users", nil, nil); s != nil || v != nil || err != nil {
		t.Fatalf("ToConnect(nil) = %v, %v, %v", s, v, err)
	}
}

func TestToConnectErrors(t *testing.T) {
	f := newFakeGlue(t)
	f.add("default-registry", "users", javaUUID, userV1)
	f.add("default-registry", "json", "11111111-1111-4111-8111-111111111111", `{"type":"object"}`)
	f.mu.Lock()
	v := f.versions["11111111-1111-4111-8111-111111111111"]
	v.format = "JSON"
	f.versions[v.uuid] = v
	f.mu.Unlock()
	c := newConverter(t, f, nil, false)
	tests := []struct {
		name     string
		frame    string
		class    errclass.Class
		contains string
	}{
		{"confluent frame", "0000000001020a68656c6c6f", errclass.BadRecord, "not a Glue schema registry frame"},
		{"unknown version", "0300" + "00000000000040008000999999999999" + "020a68656c6c6f", errclass.BadRecord, "not found"},
		{"not avro", "0300" + "11111111111141118111111111111111" + "00", errclass.BadRecord, "JSON, not AVRO"},
		{"truncated payload", "0300" + "b7b4a7f09c964e4aa6878e4c1f9c2a11" + "020a6865", errclass.BadRecord, "decoding a record of schema version " + javaUUID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tt.frame)
			_, _, err := c.ToConnect("users", nil, b)
			var e *errclass.Error
			if !errors.As(err, &e) || e.Class != tt.class || e.Subject != "users" || !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("error %v; want %v about users containing %q", err, tt.class, tt.contains)
			}
		})
	}
	f.add("default-registry", "users", "22222222-2222-4222-8222-222222222222", userV1)
	f.failOnce("GetSchemaVersion", "ThrottlingException")
	b, _ := hex.DecodeString("0300" + "22222222222242228222222222222222" + "020a68656c6c6f")
	if _, _, err := c.ToConnect("users", nil, b); !errclass.Is(err, errclass.Retriable) {
		t.Fatalf("throttled: %v; want retriable", err)
	}
	if _, _, err := c.ToConnect("users", nil, b); err != nil {
		t.Fatalf("after the throttling: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	schema := &record.Schema{Type: record.Struct, Name: "shop.Order", Fields: []record.Field{
		{Name: "id", Index: 0, Schema: &record.Schema{Type: record.Int64}},
		{Name: "note", Index: 1, Schema: &record.Schema{Type: record.String, Optional: true}},
	}}
	value := &record.StructValue{Schema: schema, Values: []any{int64(42), "gift"}}
	for _, tt := range []struct {
		compression string
		byte1       byte
	}{{"NONE", 0}, {"ZLIB", 5}} {
		t.Run(tt.compression, func(t *testing.T) {
			f := newFakeGlue(t)
			w := newConverter(t, f, map[string]string{"schemaAutoRegistrationEnabled": "true", "compression": tt.compression, "registry.name": "orders-registry"}, false)
			var frame []byte
			for range 10 {
				var err error
				if frame, err = w.FromConnect("orders", nil, schema, value); err != nil {
					t.Fatal(err)
				}
			}
			if frame[0] != 3 || frame[1] != tt.byte1 {
				t.Fatalf("frame header % x", frame[:2])
			}
			if n := f.count("CreateSchema") + f.count("RegisterSchemaVersion"); n != 2 { // one refused registration, one creation
				t.Fatalf("%d registration requests for 10 records", n)
			}
			if _, ok := f.schemas["orders-registry/orders"]; !ok {
				t.Fatalf("schema not registered under the topic's name: %v", f.schemas)
			}
			r := newConverter(t, f, nil, false)
			s, v, err := r.ToConnect("orders", nil, frame)
			if err != nil {
				t.Fatal(err)
			}
			got := v.(*record.StructValue)
			if !reflect.DeepEqual(got.Values, value.Values) || s.Name != "shop.Order" {
				t.Fatalf("round trip = %+v %+v", s, got.Values)
			}
			if b, err := w.FromConnect("orders", nil, schema, nil); b != nil || err != nil {
				t.Fatalf("FromConnect(nil) = %v, %v", b, err)
			}
		})
	}
}

func TestFromConnectWithoutRegistration(t *testing.T) {
	f := newFakeGlue(t)
	c := newConverter(t, f, map[string]string{"schemaName": "fixed"}, false)
	_, err := c.FromConnect("orders", nil, &record.Schema{Type: record.String}, "x")
	if !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "default-registry/fixed") {
		t.Fatalf("error %v; want a bad record naming default-registry/fixed", err)
	}
	if _, err := c.FromConnect("orders", nil, nil, "x"); !errclass.Is(err, errclass.BadRecord) {
		t.Fatalf("schemaless: %v; want a bad record", err)
	}
}

func TestConfigFromProps(t *testing.T) {
	tests := []struct {
		name    string
		props   map[string]string
		check   func(glueregistry.Config) bool
		wantErr string
	}{
		{"defaults", map[string]string{}, func(c glueregistry.Config) bool {
			return c.RegistryName == "default-registry" && c.Compatibility == "BACKWARD" && !c.AutoRegister && !c.Compress && c.AvroRecordType == "GENERIC_RECORD"
		}, ""},
		{"all", map[string]string{"region": "eu-west-1", "endpoint": "https://glue.eu-west-1.amazonaws.com", "registry.name": "r", "schemaName": "s",
			"dataFormat": "avro", "schemaAutoRegistrationEnabled": "true", "compatibility": "full_all", "compression": "zlib",
			"avroRecordType": "SPECIFIC_RECORD", "cacheSize": "10", "timeToLiveMillis": "86400000", "description": "d", "schemas.enable": "false"},
			func(c glueregistry.Config) bool {
				return c.Region == "eu-west-1" && c.RegistryName == "r" && c.SchemaName == "s" && c.AutoRegister && c.Compatibility == "FULL_ALL" &&
					c.Compress && c.AvroRecordType == "SPECIFIC_RECORD" && c.CacheSize == 10 && c.Description == "d"
			}, ""},
		{"json data format", map[string]string{"dataFormat": "JSON"}, nil, "dataFormat"},
		{"bad compression", map[string]string{"compression": "GZIP"}, nil, "compression"},
		{"bad compatibility", map[string]string{"compatibility": "SOMETIMES"}, nil, "compatibility"},
		{"bad record type", map[string]string{"avroRecordType": "MAP"}, nil, "avroRecordType"},
		{"bad boolean", map[string]string{"schemaAutoRegistrationEnabled": "yes"}, nil, "schemaAutoRegistrationEnabled"},
		{"bad endpoint", map[string]string{"endpoint": "glue.local"}, nil, "endpoint"},
		{"empty registry", map[string]string{"registry.name": " "}, nil, "registry.name"},
		{"unknown", map[string]string{"schema.registry.url": "http://x"}, nil, "schema.registry.url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := glueregistry.ConfigFromProps(tt.props)
			if tt.wantErr != "" {
				var e *errclass.Error
				if !errors.As(err, &e) || e.Class != errclass.BadConfig || e.Subject != tt.wantErr {
					t.Fatalf("error %v; want a bad-config error naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(c) {
				t.Fatalf("ConfigFromProps = %+v, %v", c, err)
			}
		})
	}
}

func TestIsConverterClass(t *testing.T) {
	for class, want := range map[string]bool{
		"com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter": true,
		" AWSKafkaAvroConverter ":                 true,
		"io.confluent.connect.avro.AvroConverter": false,
		"awskafkaavroconverter":                   false,
	} {
		if got := glueregistry.IsConverterClass(class); got != want {
			t.Errorf("IsConverterClass(%q) = %v; want %v", class, got, want)
		}
	}
}
