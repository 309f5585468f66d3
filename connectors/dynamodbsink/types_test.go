package dynamodbsink

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/core/golden"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// decimalBytes is the two's-complement big-endian encoding Connect's Decimal uses.
func decimalBytes(unscaled string) string {
	n, _ := new(big.Int).SetString(unscaled, 10)
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// schemaEnvelope is a JsonConverter schemas.enable=true value with every Connect type.
func schemaEnvelope() string {
	f := func(name, typ string, extra string) string {
		return fmt.Sprintf(`{"field":%q,"type":%q%s}`, name, typ, extra)
	}
	fields := []string{
		f("i8", "int8", ""), f("i16", "int16", ""), f("i32", "int32", ""), f("i64", "int64", ""),
		f("f32", "float", ""), f("f64", "double", ""), f("ok", "boolean", ""), f("s", "string", ""),
		f("raw", "bytes", ""),
		f("dec", "bytes", `,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"4"}`),
		f("day", "int32", `,"name":"org.apache.kafka.connect.data.Date","version":1`),
		f("tod", "int32", `,"name":"org.apache.kafka.connect.data.Time","version":1`),
		f("ts", "int64", `,"name":"org.apache.kafka.connect.data.Timestamp","version":1`),
		f("none", "string", `,"optional":true`),
		f("arr", "array", `,"items":{"type":"int32"}`),
		f("byId", "map", `,"keys":{"type":"int32"},"values":{"type":"string"}`),
		f("addr", "struct", `,"fields":[{"field":"city","type":"string"},{"field":"zip","type":"int32","optional":true}]`),
	}
	payload := `{"i8":-8,"i16":1600,"i32":-320000,"i64":6400000000000,"f32":0.1,"f64":2.5e-7,"ok":true,"s":"Zürich ✓",` +
		`"raw":"3q2+7w==","dec":"` + decimalBytes("123456789012345678901234567890123") + `","day":19723,"tod":45296789,"ts":1704067200123,` +
		`"none":null,"arr":[3,1,2],"byId":[[1,"one"],[2,"two"]],"addr":{"city":"Genève","zip":null}}`
	return `{"schema":{"type":"struct","name":"AllTypes","fields":[` + strings.Join(fields, ",") + `]},"payload":` + payload + `}`
}

// TestTypes writes one record of every Connect type with a schema (through JsonConverter's
// envelopes) and one schemaless JSON record, read out of a broker, and compares the table with
// a golden file; Decimal and big JSON numbers must be exact, bytes binary, structs and maps M,
// arrays L.
func TestTypes(t *testing.T) {
	t.Parallel()
	client := localClient(t)
	table := tableID("types")
	createTable(t, client, table, keyDef{"key", "S"}, keyDef{})
	s, err := New(testConfig(t, map[string]string{"table.name.format": table, "aws.dynamodb.pk.hash": "key", "aws.dynamodb.pk.sort": ""}), client)
	if err != nil {
		t.Fatal(err)
	}
	withSchema := viaBroker(t, "types-schema", 1, []record.Record{{Topic: "types-schema", Key: []byte("with-schema"), Value: []byte(schemaEnvelope())}})
	newRig(t, s, rigOptions{valueConverter: map[string]string{"schemas.enable": "true"}}).mustInvoke(t, withSchema)
	schemaless := viaBroker(t, "types-schemaless", 1, []record.Record{
		{Topic: "types-schemaless", Key: []byte("schemaless"), Value: []byte(`{"big":12345678901234567890.123456789,"small":-1e-5,"int":9007199254740993,` +
			`"s":"","t":false,"n":null,"l":[1,"a",[2.50],{"x":null}],"m":{"a":{"b":[]}},"e":{}}`)},
		{Topic: "types-schemaless", Key: []byte("string-value"), Value: []byte(`"just a string"`)},
		{Topic: "types-schemaless", Key: []byte("array-value"), Value: []byte(`[1,2,3]`)},
	})
	newRig(t, s, rigOptions{}).mustInvoke(t, schemaless)

	items := scanTable(t, client, table)
	for _, it := range items {
		for _, a := range []string{"_kafka_topic", "_kafka_partition", "_kafka_offset"} {
			delete(it, a) // the broker's offsets are not the golden file's business
		}
	}
	golden.Check(t, filepath.Join("testdata", "types.golden"), []byte(itemsText(items)))

	byKey := map[string]map[string]types.AttributeValue{}
	for _, it := range items {
		byKey[it["key"].(*types.AttributeValueMemberS).Value] = it
	}
	for _, c := range []struct {
		key, attr string
		want      types.AttributeValue
	}{
		{"with-schema", "dec", &types.AttributeValueMemberN{Value: "12345678901234567890123456789.0123"}},
		{"with-schema", "raw", &types.AttributeValueMemberB{Value: []byte{0xde, 0xad, 0xbe, 0xef}}},
		{"with-schema", "ts", &types.AttributeValueMemberS{Value: "2024-01-01T00:00:00.123Z"}},
		{"with-schema", "none", &types.AttributeValueMemberNULL{Value: true}},
		{"schemaless", "big", &types.AttributeValueMemberN{Value: "12345678901234567890.123456789"}},
		{"schemaless", "int", &types.AttributeValueMemberN{Value: "9007199254740993"}},
		{"string-value", "value", &types.AttributeValueMemberS{Value: "just a string"}},
	} {
		if got := avJSON(byKey[c.key][c.attr]); got != avJSON(c.want) {
			t.Errorf("%s.%s = %s, want %s", c.key, c.attr, got, avJSON(c.want))
		}
	}
}
