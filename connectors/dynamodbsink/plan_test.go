package dynamodbsink

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/golden"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

var tp0 = record.TopicPartition{Topic: "orders", Partition: 0}

func planned(t *testing.T, ws []sink.Write) []*batch {
	t.Helper()
	out := make([]*batch, len(ws))
	for i, w := range ws {
		out[i] = w.(*batch)
	}
	return out
}

func TestPlanCollapsesToTheLastRecordOfEachKey(t *testing.T) {
	s := newPlanSink(t, map[string]string{"aws.dynamodb.pk.hash": "key", "aws.dynamodb.pk.sort": ""})
	recs := []record.Record{
		jsonRec("orders", 0, 10, "k1", `{"v":1}`),
		jsonRec("orders", 0, 11, "k2", `{"v":2}`),
		jsonRec("orders", 0, 12, "k1", `{"v":3}`),
		jsonRec("orders", 0, 13, "k3", ""), // tombstone, delete.enabled=false: skipped
		jsonRec("orders", 0, 14, "k2", `{"v":5}`),
		jsonRec("orders", 0, 15, "k4", `{"v":6}`),
	}
	ws, err := s.Plan(tp0, recs)
	if err != nil {
		t.Fatal(err)
	}
	bs := planned(t, ws)
	if len(bs) != 1 {
		t.Fatalf("%d writes, want 1", len(bs))
	}
	var got []int64
	for _, o := range bs[0].ops {
		got = append(got, o.rec.Offset)
	}
	if want := []int64{12, 14, 15}; !equalInts(got, want) {
		t.Errorf("planned offsets %v, want %v (the last record of each key, in offset order)", got, want)
	}
	if ws[0].Records() != 5 || Items(ws[0]) != 3 {
		t.Errorf("Records() = %d, Items = %d; want 5 records (the skipped tombstone excluded) in 3 items", ws[0].Records(), Items(ws[0]))
	}
	if id := ws[0].ID(); id != "orders/orders-0/12-15" {
		t.Errorf("ID = %q", id)
	}

	// Smaller writes: one per item, IDs from their records' offsets; the same records plan the
	// same IDs again.
	cfg := testConfig(t, map[string]string{"aws.dynamodb.pk.hash": "key", "aws.dynamodb.pk.sort": ""})
	cfg.ItemsPerWrite = 2
	s2, err := New(cfg, noDynamo{})
	if err != nil {
		t.Fatal(err)
	}
	ws1, _ := s2.Plan(tp0, recs)
	ws2, _ := s2.Plan(tp0, recs)
	var ids []string
	for i := range ws1 {
		ids = append(ids, ws1[i].ID())
		if ws1[i].ID() != ws2[i].ID() {
			t.Errorf("IDs differ between two plans of the same records: %s, %s", ws1[i].ID(), ws2[i].ID())
		}
	}
	if strings.Join(ids, " ") != "orders/orders-0/12-14 orders/orders-0/15-15" {
		t.Errorf("IDs %v", ids)
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPlanDeletes(t *testing.T) {
	s := newPlanSink(t, map[string]string{"aws.dynamodb.pk.hash": "key", "aws.dynamodb.pk.sort": "partition", "delete.enabled": "true"})
	ws, err := s.Plan(tp0, []record.Record{
		jsonRec("orders", 0, 1, "k1", `{"v":1}`),
		jsonRec("orders", 0, 2, "k1", ""),
		jsonRec("orders", 0, 3, "k2", ""),
		jsonRec("orders", 0, 4, "k2", `{"v":4}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	ops := planned(t, ws)[0].ops
	if len(ops) != 2 || ops[0].item != nil || ops[0].rec.Offset != 2 || ops[1].item == nil || ops[1].rec.Offset != 4 {
		t.Fatalf("want a delete of k1 (offset 2) and a put of k2 (offset 4), got %+v", ops)
	}
	if got := avJSON(&types.AttributeValueMemberM{Value: ops[0].key}); got != `{"M":{"key":{"S":"k1"},"partition":{"N":"0"}}}` {
		t.Errorf("delete key %s", got)
	}
}

// TestPlanRejects checks every kind of record that cannot become an item: it is returned as a
// sink.RecordError naming the record and the reason, and the other records are planned.
func TestPlanRejects(t *testing.T) {
	f64 := &record.Schema{Type: record.Struct, Fields: []record.Field{{Name: "id", Index: 0, Schema: record.StringSchema}, {Name: "x", Index: 1, Schema: record.Float64Schema}}}
	mapKeyed := &record.Schema{Type: record.Map, Key: &record.Schema{Type: record.Array, Value: record.Int32Schema}, Value: record.StringSchema}
	structRec := func(off int64, x float64) record.Record {
		r := jsonRec("orders", 0, off, "k", "")
		r.Value, r.ValueSchema, r.ValueData = []byte("raw"), f64, &record.StructValue{Schema: f64, Values: []any{"id-1", x}}
		return r
	}
	for _, c := range []struct {
		name  string
		props map[string]string
		rec   record.Record
		want  string
	}{
		{"missing key field", map[string]string{"aws.dynamodb.pk.hash": "value.id"}, jsonRec("orders", 0, 5, "", `{"other":1}`), `"id" (value.id): the record's value has no such field`},
		{"null key", map[string]string{"aws.dynamodb.pk.hash": "key"}, jsonRec("orders", 0, 5, "", `{"a":1}`), "the record's key is null"},
		{"null key field", map[string]string{"aws.dynamodb.pk.hash": "value.id"}, jsonRec("orders", 0, 5, "", `{"id":null}`), "is null: it cannot name an item"},
		{"boolean key", map[string]string{"aws.dynamodb.pk.hash": "value.id"}, jsonRec("orders", 0, 5, "", `{"id":true}`), "is a boolean; a key must be a string, a number or bytes"},
		{"map key", map[string]string{"aws.dynamodb.pk.hash": "value.id"}, jsonRec("orders", 0, 5, "", `{"id":{"a":1}}`), "is a map"},
		{"empty string key", map[string]string{"aws.dynamodb.pk.hash": "value.id"}, jsonRec("orders", 0, 5, "", `{"id":""}`), "empty string"},
		{"too many digits", nil, jsonRec("orders", 0, 5, "", `{"n":1234567890123456789012345678901234567890}`), "39 significant digits; DynamoDB keeps at most 38"},
		{"number overflow", nil, jsonRec("orders", 0, 5, "", `{"n":[1e200]}`), "value.n[0]: \"1e200\" is out of DynamoDB's number range"},
		{"NaN", nil, structRec(5, math.NaN()), "value.x: NaN is not a number DynamoDB can hold"},
		{"array map key", nil, func() record.Record {
			r := structRec(5, 1)
			r.ValueSchema, r.ValueData = mapKeyed, []record.MapEntry{{Key: []any{int32(1)}, Value: "x"}}
			return r
		}(), "a map key of type []interface {} cannot name a DynamoDB map entry"},
		{"item over 400 KB", nil, jsonRec("orders", 0, 5, "", `{"blob":"`+strings.Repeat("x", 410_000)+`"}`), "over DynamoDB's limit of 409600 (400 KB)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newPlanSink(t, c.props)
			good := jsonRec("orders", 0, 4, "k", `{"id":"good","n":1}`)
			later := jsonRec("orders", 0, 6, "k", `{"id":"later","n":2}`)
			ws, err := s.Plan(tp0, []record.Record{good, c.rec, later})
			re, ok := sink.AsRecordErrors(err)
			if !ok || len(re) != 1 || re[0].Record.Offset != 5 {
				t.Fatalf("want the record at offset 5 rejected, got %v", err)
			}
			if !errclass.Is(re[0].Err, errclass.BadRecord) || !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "orders/0/5") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q: want a bad record naming orders/0/5 and saying %q", err, c.want)
			}
			n := 0
			for _, w := range ws {
				n += w.Records()
			}
			if n != 2 {
				t.Errorf("%d records planned, want the 2 others", n)
			}
		})
	}
}

// A record rejected by the plan leaves its key's item to the record before it.
func TestPlanRejectedRecordDoesNotHideTheOneBefore(t *testing.T) {
	s := newPlanSink(t, map[string]string{"aws.dynamodb.pk.hash": "key", "aws.dynamodb.pk.sort": ""})
	ws, err := s.Plan(tp0, []record.Record{
		jsonRec("orders", 0, 1, "k", `{"v":1}`),
		jsonRec("orders", 0, 2, "k", `{"v":1e999}`),
	})
	if _, ok := sink.AsRecordErrors(err); !ok {
		t.Fatalf("want a record error, got %v", err)
	}
	if ops := planned(t, ws)[0].ops; len(ops) != 1 || ops[0].rec.Offset != 1 {
		t.Fatalf("want the record at offset 1 planned, got %+v", ops)
	}
}

func TestPlanRefusesAnotherPartitionsRecord(t *testing.T) {
	s := newPlanSink(t, nil)
	if _, err := s.Plan(tp0, []record.Record{jsonRec("orders", 1, 1, "k", `{}`)}); err == nil || !strings.Contains(err.Error(), "orders/1/1") {
		t.Fatalf("err = %v", err)
	}
	if _, err := newPlanSink(t, nil).Plan(record.TopicPartition{Topic: "ab"}, []record.Record{jsonRec("ab", 0, 1, "k", `{}`)}); !errclass.Is(err, errclass.BadConfig) {
		t.Fatalf("a topic that makes no table name: err = %v, want a bad config", err)
	}
}

// TestPlanItems checks the items planned for a few settings against a golden file.
func TestPlanItems(t *testing.T) {
	var out strings.Builder
	value := `{"id":"o-1","customer":{"id":"c-7","name":"Ada"},"lines":[{"sku":"a","qty":2}],"total":12.50,"note":null}`
	for _, c := range []struct {
		name  string
		props map[string]string
	}{
		{"defaults", nil},
		{"key and value field", map[string]string{"aws.dynamodb.pk.hash": "key:pk", "aws.dynamodb.pk.sort": "value.customer.id"}},
		{"hash only", map[string]string{"aws.dynamodb.pk.hash": "value.id", "aws.dynamodb.pk.sort": "none"}},
		{"whole value in one attribute", map[string]string{"aws.dynamodb.pk.hash": "value.id", "aws.dynamodb.pk.sort": "", "value.attribute.name": "doc"}},
		{"selected fields", map[string]string{"aws.dynamodb.pk.hash": "value.id", "aws.dynamodb.pk.sort": "", "value.fields": "customer.name:customer, total, missing"}},
		{"selected fields in one attribute", map[string]string{"aws.dynamodb.pk.hash": "value.id", "aws.dynamodb.pk.sort": "", "value.fields": "total", "value.attribute.name": "doc", "source.attribute.prefix": "src."}},
	} {
		s := newPlanSink(t, c.props)
		ws, err := s.Plan(record.TopicPartition{Topic: "orders", Partition: 3}, []record.Record{jsonRec("orders", 3, 42, "order-1", value)})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		o := planned(t, ws)[0].ops[0]
		out.WriteString("# " + c.name + "\n" + itemsText([]map[string]types.AttributeValue{o.item}))
	}
	golden.Check(t, filepath.Join("testdata", "items.golden"), []byte(out.String()))
}
