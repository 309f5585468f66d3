package interop

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/lambda-connect/lambda-connect/connectors/s3source/reader/readertest"
	"github.com/lambda-connect/lambda-connect/converters/avroconv"
	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
)

// memRegistry is an in-memory schema registry: one id per distinct schema text.
type memRegistry struct {
	mu   sync.Mutex
	byID map[int]schemaregistry.Schema
}

func (m *memRegistry) SchemaByID(_ context.Context, id int) (schemaregistry.Schema, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.byID[id]
	if !ok {
		return s, fmt.Errorf("schema %d not found", id)
	}
	return s, nil
}

func (m *memRegistry) Register(_ context.Context, subject string, s schemaregistry.Schema) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, k := range m.byID {
		if k.Schema == s.Schema {
			return id, nil
		}
	}
	id := 100 + len(m.byID)
	s.ID, s.Subject = id, subject
	m.byID[id] = s
	return id, nil
}

func (m *memRegistry) Lookup(ctx context.Context, subject string, s schemaregistry.Schema) (schemaregistry.Schema, error) {
	id, err := m.Register(ctx, subject, s)
	s.ID = id
	return s, err
}

func (m *memRegistry) Latest(context.Context, string) (schemaregistry.Schema, error) {
	return schemaregistry.Schema{}, fmt.Errorf("not supported")
}

// TestFramedAvroReadByAvsc: records the AvroConverter frames (magic byte, schema id, Avro
// binary) decode with avsc and the registered schema to the records' values.
func TestFramedAvroReadByAvsc(t *testing.T) {
	reg := &memRegistry{byID: map[int]schemaregistry.Schema{}}
	conv, err := avroconv.New(avroconv.DefaultConfig(), reg)
	if err != nil {
		t.Fatal(err)
	}
	recs := readertest.RichRecords(25)
	var in struct {
		Schemas map[string]string `json:"schemas"`
		Records []string          `json:"records"`
	}
	for _, r := range recs {
		b, err := conv.FromConnect(r.Topic, nil, r.ValueSchema, r.ValueData)
		if err != nil {
			t.Fatal(err)
		}
		in.Records = append(in.Records, hex.EncodeToString(b))
	}
	in.Schemas = map[string]string{}
	for id, s := range reg.byID {
		in.Schemas[fmt.Sprint(id)] = s.Schema
	}
	if len(in.Schemas) != 1 {
		t.Fatalf("%d schemas registered, want 1", len(in.Schemas))
	}
	b, _ := json.Marshal(in)
	var got []struct {
		ID    int
		Value any
	}
	runScript(t, "decode_framed.mjs", writeTemp(t, "framed.json", b), &got)
	if len(got) != len(recs) {
		t.Fatalf("%d records decoded, want %d", len(got), len(recs))
	}
	for i, r := range recs {
		if got[i].ID != 100 {
			t.Errorf("record %d: schema id %d, want 100", i, got[i].ID)
		}
		want := roundTripJSON(avroJS(r.ValueSchema, r.ValueData))
		if !approxEqual(got[i].Value, want) {
			g, _ := json.Marshal(got[i].Value)
			w, _ := json.Marshal(want)
			t.Fatalf("record %d:\n got %s\nwant %s", i, g, w)
		}
	}
}
