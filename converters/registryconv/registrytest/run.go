package registrytest

import (
	"strings"
	"sync"
	"testing"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/registrylocal"
)

// Client returns a registry client built from registry, the Registry settings a converter's
// ConfigFromProps gave, as converters.New does.
func Client(t testing.TB, registry map[string]string) *schemaregistry.Client {
	t.Helper()
	rc, err := schemaregistry.ConfigFromProps(registry)
	if err != nil {
		t.Fatal(err)
	}
	c, err := schemaregistry.New(rc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// RunWithRegistryClient runs converters made by newConv (each with a new client of r) over HTTP
// against the in-process registry r: 50 records of one schema are registered once and read back
// with the schema fetched once, unknownID (a frame of schema id 99) is a bad record, and an
// outage is retriable and forgotten by the next record.
func RunWithRegistryClient(t *testing.T, r *registrylocal.Registry, newConv func() converters.Converter, unknownID []byte) {
	t.Helper()
	w := newConv()
	s := &record.Schema{Type: record.Struct, Name: "com.example.Order", Fields: []record.Field{
		{Name: "id", Index: 0, Schema: record.Int64Schema}, {Name: "note", Index: 1, Schema: record.OptionalString}}}
	var frames [][]byte
	for i := range 50 {
		b, err := w.FromConnect("orders", nil, s, &record.StructValue{Schema: s, Values: []any{int64(i), nil}})
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, b)
	}
	if n := r.Requests("/subjects/orders-value/versions"); n != 1 {
		t.Fatalf("%d registrations", n)
	}
	rd := newConv()
	for i, b := range frames {
		_, v, err := rd.ToConnect("orders", nil, b)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.(*record.StructValue).Values[0]; got != int64(i) {
			t.Fatalf("record %d: %v", i, got)
		}
	}
	if n := r.Requests("/schemas/ids/1"); n != 1 {
		t.Fatalf("schema 1 fetched %d times", n)
	}
	if _, _, err := rd.ToConnect("orders", nil, unknownID); !errclass.Is(err, errclass.BadRecord) {
		t.Fatalf("unknown id: %v", err)
	}
	down := newConv()
	r.FailNext(1)
	if _, _, err := down.ToConnect("orders", nil, frames[0]); !errclass.Is(err, errclass.Retriable) {
		t.Fatalf("outage: %v", err)
	}
	if _, _, err := down.ToConnect("orders", nil, frames[0]); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
}

// BenchRecord is a struct of 20 string fields of 40 bytes and 10 int64 fields (about 1 KB of JSON).
func BenchRecord() (*record.Schema, *record.StructValue) {
	var fields []record.Field
	var vals []any
	for i := range 20 {
		fields = append(fields, record.Field{Name: "s" + string(rune('a'+i)), Index: len(fields), Schema: record.StringSchema})
		vals = append(vals, strings.Repeat(string(rune('a'+i)), 40))
	}
	for i := range 10 {
		fields = append(fields, record.Field{Name: "n" + string(rune('a'+i)), Index: len(fields), Schema: record.Int64Schema})
		vals = append(vals, int64(i)*1234567)
	}
	s := &record.Schema{Type: record.Struct, Name: "com.example.Bench", Fields: fields}
	return s, &record.StructValue{Schema: s, Values: vals}
}

// Bench measures c's ToConnect and FromConnect of BenchRecord.
func Bench(b *testing.B, c converters.Converter) {
	s, v := BenchRecord()
	framed, err := c.FromConnect("t", nil, s, v)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ToConnect", func(b *testing.B) {
		b.SetBytes(int64(len(framed)))
		for b.Loop() {
			if _, _, err := c.ToConnect("t", nil, framed); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FromConnect", func(b *testing.B) {
		b.SetBytes(int64(len(framed)))
		for b.Loop() {
			if _, err := c.FromConnect("t", nil, s, v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// RunOncePerID converts n records of one schema with c (over reg) concurrently, both ways, and
// checks that the registry was asked once to register the schema and once for its id; then that
// unknownID (a frame of an id reg does not have) is a BadRecord error mentioning wantInErr each
// of three times while the registry is asked once.
func RunOncePerID(t *testing.T, c converters.Converter, reg *Mem, n int, unknownID []byte, wantInErr string) {
	t.Helper()
	s := &record.Schema{Type: record.Struct, Name: "R", Fields: []record.Field{{Name: "n", Index: 0, Schema: record.Int64Schema}}}
	frames := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range frames {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := c.FromConnect("t", nil, s, &record.StructValue{Schema: s, Values: []any{int64(i)}})
			if err != nil {
				t.Error(err)
			}
			frames[i] = b
		}()
	}
	wg.Wait()
	for i := range frames {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, v, err := c.ToConnect("t", nil, frames[i])
			if err != nil {
				t.Error(err)
				return
			}
			if got := v.(*record.StructValue).Values[0]; got != int64(i) {
				t.Errorf("record %d read %v", i, got)
			}
		}()
	}
	wg.Wait()
	if reg.Count("Register") != 1 || reg.Count("SchemaByID") != 1 {
		t.Fatalf("registry calls: %v", reg.Calls)
	}
	for range 3 {
		_, _, err := c.ToConnect("t", nil, unknownID)
		if !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), wantInErr) {
			t.Fatalf("unknown id: %v", err)
		}
	}
	if reg.Count("SchemaByID") != 2 {
		t.Fatalf("unknown id asked %d times", reg.Count("SchemaByID")-1)
	}
}
