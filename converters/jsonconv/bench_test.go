package jsonconv

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// object1KB is a typical 1 KB JSON record: nested object, array of objects, strings with escapes
// and non-ASCII text, integers, decimals, booleans and nulls.
var object1KB = []byte(`{"order_id":"ORD-2024-000123456","customer":{"id":987654321,"name":"Zoë Müller-Lüdenscheidt","email":"zoe.mueller@example.com","vip":true,"tags":["early-adopter","newsletter","eu"],"address":{"street":"Königsallee 92a","city":"Düsseldorf","zip":"40212","country":"DE"}},"lines":[{"sku":"SKU-000001","name":"Wireless mouse \"Pro\"","qty":2,"unit_price":24.99,"discount":null},{"sku":"SKU-000002","name":"USB-C hub, 7 ports","qty":1,"unit_price":49.5,"discount":5.0},{"sku":"SKU-000003","name":"Laptop stand\taluminium","qty":1,"unit_price":39.0,"discount":0}],"payment":{"method":"card","card_last4":"4242","authorized":true,"amount":138.48,"currency":"EUR"},"shipping":{"carrier":"DHL","service":"express","cost":9.9,"eta_days":2},"created_at":1718000000123,"updated_at":1718000456789,"notes":"Please deliver after 5pm; ring twice.\nThanks!","source":"web","referrer":"https://www.example.com/landing?utm_source=newsletter&utm_campaign=summer","ab_test":{"variant":"B","score":0.8731},"flags":[false,true,false,null]}`)

// BenchmarkToConnectSchemaless measures the schemas.enable=false path (validate, return RawJSON;
// Validate, the same unboxed) next to encoding/json.Unmarshal into any and Valid, and to Parse, on
// a 1 KB object.
func BenchmarkToConnectSchemaless(b *testing.B) {
	b.Run("jsonconv", func(b *testing.B) {
		c := newConv(b, noSchemas)
		b.SetBytes(int64(len(object1KB)))
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := c.ToConnect("t", nil, object1KB); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json_unmarshal_any", func(b *testing.B) {
		b.SetBytes(int64(len(object1KB)))
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := json.Unmarshal(object1KB, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("validate", func(b *testing.B) {
		b.SetBytes(int64(len(object1KB)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Validate(object1KB); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json_valid", func(b *testing.B) {
		b.SetBytes(int64(len(object1KB)))
		for b.Loop() {
			if !json.Valid(object1KB) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(object1KB)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(record.RawJSON(object1KB)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

var envelope1KB = []byte(`{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":false,"field":"name"},{"type":"string","optional":true,"field":"email"},{"type":"boolean","optional":false,"field":"vip"},{"type":"array","items":{"type":"string","optional":false},"optional":false,"field":"tags"},{"type":"double","optional":false,"field":"score"},{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"amount"},{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"created_at"},{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":true,"field":"counters"}],"optional":false,"name":"com.example.Customer","version":1},"payload":{"id":987654321,"name":"Zoë Müller-Lüdenscheidt","email":"zoe.mueller@example.com","vip":true,"tags":["early-adopter","newsletter","eu","beta"],"score":0.8731,"amount":"NhA=","created_at":1718000000123,"counters":{"logins":42,"orders":7,"returns":0,"reviews":3}}}`)

// BenchmarkEnvelope measures schemas.enable=true both ways on a ~1 KB envelope (cached schema).
func BenchmarkEnvelope(b *testing.B) {
	c := newConv(b, nil)
	s, v, err := c.ToConnect("t", nil, envelope1KB)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ToConnect", func(b *testing.B) {
		b.SetBytes(int64(len(envelope1KB)))
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := c.ToConnect("t", nil, envelope1KB); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FromConnect", func(b *testing.B) {
		b.SetBytes(int64(len(envelope1KB)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.FromConnect("t", nil, s, v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCompileSchema measures reading envelope1KB's schema, as ToConnect does when it is not
// cached.
func BenchmarkCompileSchema(b *testing.B) {
	c := newConv(b, nil)
	at := bytes.Index(envelope1KB, []byte(`{"type":"struct"`))
	b.SetBytes(int64(len(envelope1KB)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.compile(envelope1KB, at); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchmarkInputs(t *testing.T) {
	if n := len(object1KB); n < 1000 || n > 1100 {
		t.Errorf("object1KB is %d bytes, want about 1 KB", n)
	}
	if !json.Valid(object1KB) || !json.Valid(envelope1KB) {
		t.Error("benchmark inputs are not valid JSON")
	}
	c := newConv(t, nil)
	s, v, err := c.ToConnect("t", nil, envelope1KB)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.FromConnect("t", nil, s, v)
	if err != nil || string(out) != string(envelope1KB) {
		t.Errorf("envelope1KB does not round-trip byte for byte:\n%s\n%s", out, envelope1KB)
	}
}
