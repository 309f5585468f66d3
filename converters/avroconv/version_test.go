package avroconv

import (
	"strings"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/lambda-connect/lambda-connect/converters/confluentwire"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

const (
	orderV1 = `{"type":"record","name":"Order","namespace":"com.example","fields":[{"name":"id","type":"long"}]}`
	orderV2 = `{"type":"record","name":"Order","namespace":"com.example","fields":[{"name":"id","type":"long"},{"name":"note","type":["null","string"],"default":null}]}`
	orderV7 = `{"type":"record","name":"Order","namespace":"com.example","fields":[{"name":"id","type":"long"}],"connect.version":7}`
)

// frame encodes value under text with the Confluent header of id.
func frame(t *testing.T, id int, text string, value map[string]any) []byte {
	t.Helper()
	payload, err := avro.Marshal(avro.MustParse(text), value)
	if err != nil {
		t.Fatal(err)
	}
	return append(confluentwire.Encode(nil, int32(id)), payload...)
}

// TestToConnectRegistryVersion: as Confluent's AvroConverter, a schema without connect.version
// gets the registry's version under the topic's subject, looked up once per schema id;
// connect.version wins; a schema the subject does not hold decodes without a version; a registry
// outage during the lookup is Retriable and is retried on the next record.
func TestToConnectRegistryVersion(t *testing.T) {
	reg := newFakeRegistry()
	id1 := reg.add("orders-value", 0, orderV1)
	id2 := reg.add("orders-value", 0, orderV2)
	id7 := reg.add("other-value", 0, orderV7)
	idElsewhere := reg.add("elsewhere-value", 0, `{"type":"record","name":"Else","fields":[{"name":"id","type":"long"}]}`)
	c := newConverter(t, reg, nil)
	tests := []struct {
		name        string
		topic       string
		data        []byte
		wantVersion int32
	}{
		{"v1", "orders", frame(t, id1, orderV1, map[string]any{"id": int64(1)}), 1},
		{"v2", "orders", frame(t, id2, orderV2, map[string]any{"id": int64(2), "note": map[string]any{"string": "x"}}), 2},
		{"v1 again", "orders", frame(t, id1, orderV1, map[string]any{"id": int64(3)}), 1},
		{"v2 again", "orders", frame(t, id2, orderV2, map[string]any{"id": int64(4), "note": nil}), 2},
		{"connect.version wins", "other", frame(t, id7, orderV7, map[string]any{"id": int64(5)}), 7},
		{"not under the topic's subject", "orders", frame(t, idElsewhere, `{"type":"record","name":"Else","fields":[{"name":"id","type":"long"}]}`, map[string]any{"id": int64(6)}), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, v, err := c.ToConnect(tt.topic, nil, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != tt.wantVersion {
				t.Errorf("schema version %d, want %d", s.Version, tt.wantVersion)
			}
			if sv, ok := v.(*record.StructValue); !ok || sv.Schema != s {
				t.Errorf("value %T does not carry the versioned schema", v)
			}
		})
	}
	// Once per id: ids 1, 2 and the one elsewhere (connect.version needs no lookup).
	if n := reg.Calls("Lookup"); n != 3 {
		t.Errorf("%d lookups, want 3 (once per schema id without connect.version)", n)
	}

	// An outage during the lookup: Retriable, nothing cached, the next record retries.
	reg2 := newFakeRegistry()
	id := reg2.add("orders-value", 0, orderV1)
	c2 := newConverter(t, reg2, nil)
	data := frame(t, id, orderV1, map[string]any{"id": int64(1)})
	reg2.downOnly = "Lookup"
	if _, _, err := c2.ToConnect("orders", nil, data); !errclass.Is(err, errclass.Retriable) || !strings.Contains(err.Error(), "orders") {
		t.Fatalf("lookup outage: err = %v, want Retriable naming the topic", err)
	}
	reg2.downOnly = ""
	s, _, err := c2.ToConnect("orders", nil, data)
	if err != nil || s.Version != 1 {
		t.Fatalf("after the outage: version %v, err %v; want 1", s, err)
	}
}
