package registrylocal_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/registrylocal"
)

// TestAvroConverterEndToEnd runs Confluent's AvroConverter, as a function builds it from its
// settings, against the local registry: records are written with auto-registered schemas and
// read back by another converter, and the registry is asked once per schema, not per record;
// an outage and an unknown id give the classified per-record errors.
func TestAvroConverterEndToEnd(t *testing.T) {
	reg := registrylocal.ForTestWith(t, registrylocal.Options{BasicAuth: "connect:pw"})
	props := map[string]string{
		"schema.registry.url":           reg.URL(),
		"basic.auth.credentials.source": "USER_INFO",
		"basic.auth.user.info":          "connect:pw",
	}
	writer, err := converters.New(converters.AvroConverterClass, false, props)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := converters.New(converters.AvroConverterClass, false, props)
	if err != nil {
		t.Fatal(err)
	}
	schema := &record.Schema{Type: record.Struct, Name: "shop.Order", Fields: []record.Field{
		{Name: "id", Index: 0, Schema: &record.Schema{Type: record.Int64}},
		{Name: "customer", Index: 1, Schema: &record.Schema{Type: record.String}},
	}}
	const n = 500
	frames := make([][]byte, n)
	for i := range frames {
		v := &record.StructValue{Schema: schema, Values: []any{int64(i), fmt.Sprintf("c%d", i%7)}}
		if frames[i], err = writer.FromConnect("orders", nil, schema, v); err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range frames {
		s, v, err := reader.ToConnect("orders", nil, b)
		if err != nil {
			t.Fatal(err)
		}
		got := v.(*record.StructValue).Values
		if want := []any{int64(i), fmt.Sprintf("c%d", i%7)}; !reflect.DeepEqual(got, want) || s.Name != "shop.Order" {
			t.Fatalf("record %d: %v under %s; want %v", i, got, s.Name, want)
		}
	}
	if got := reg.Requests("/subjects/orders-value/versions"); got != 1 {
		t.Errorf("%d records made %d registrations; want 1", n, got)
	}
	if got := reg.Requests("/schemas/ids/1"); got != 1 {
		t.Errorf("%d records made %d schema fetches; want 1", n, got)
	}
	// The reader looks its schema's version up once (POST /subjects/orders-value), as Confluent's
	// AvroConverter does, so that the Connect schema carries the registry's version.
	if got := reg.Requests("/subjects/orders-value"); got != 1 {
		t.Errorf("%d records made %d version lookups; want 1", n, got)
	}
	if total := reg.TotalRequests(); total != 3 {
		t.Errorf("%d requests in all; want 3 (register, fetch by id, version lookup)", total)
	}

	// An id the registry does not know is a bad record; an outage is retriable.
	unknown := append([]byte{0, 0, 0, 0, 9}, frames[0][5:]...)
	if _, _, err := reader.ToConnect("orders", nil, unknown); !errclass.Is(err, errclass.BadRecord) {
		t.Fatalf("unknown id: %v; want a bad record", err)
	}
	fresh, err := converters.New(converters.AvroConverterClass, false, props)
	if err != nil {
		t.Fatal(err)
	}
	reg.FailNext(10)
	_, _, err = fresh.ToConnect("orders", nil, frames[0])
	if !errclass.Is(err, errclass.Retriable) {
		t.Fatalf("registry down: %v; want retriable", err)
	}
	reg.FailNext(0)
	if _, _, err := fresh.ToConnect("orders", nil, frames[0]); err != nil {
		t.Fatalf("after the outage: %v", err)
	}

	// Refused credentials are a configuration error naming the setting.
	bad := map[string]string{"schema.registry.url": reg.URL(), "basic.auth.user.info": "connect:wrong"}
	denied, err := converters.New(converters.AvroConverterClass, false, bad)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = denied.ToConnect("orders", nil, frames[0])
	var e *errclass.Error
	if !errors.As(err, &e) || !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), "basic.auth.user.info") {
		t.Fatalf("wrong password: %v; want a bad-config error naming basic.auth.user.info", err)
	}
}
