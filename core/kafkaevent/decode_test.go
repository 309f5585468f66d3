package kafkaevent

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hdr(k string, v []byte) record.Header { return record.Header{Key: k, Value: v} }

func TestDecodeSamples(t *testing.T) {
	tests := []struct {
		file string
		want Event
	}{
		{"msk.json", Event{
			Source:           SourceMSK,
			SourceARN:        "arn:aws:kafka:us-east-1:123456789012:cluster/demo-cluster-1/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5",
			BootstrapServers: "b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9098,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9098",
			Records: []record.Record{
				{Topic: "orders", Partition: 0, Offset: 41, Timestamp: 1718000000000, TimestampType: record.CreateTime,
					Key: []byte("order-1001"), Value: []byte(`{"id":1001,"customer":"c-7","amount":25.5}`),
					Headers: []record.Header{hdr("content-type", []byte("application/json")), hdr("origin", []byte("café"))}},
				{Topic: "orders", Partition: 0, Offset: 42, Timestamp: 1718000000123, TimestampType: record.CreateTime,
					Key: []byte("order-1002"), Value: []byte(`{"id":1002,"customer":"c-9","amount":4}`)},
				{Topic: "orders", Partition: 1, Offset: 7, Timestamp: 1718000000456, TimestampType: record.CreateTime,
					Value: []byte(`{"id":1003,"customer":"c-7","amount":12.25}`)},
				{Topic: "inventory.stock-levels", Partition: 3, Offset: 1200, Timestamp: 1718000001000, TimestampType: record.LogAppendTime,
					Key: []byte("sku-42")},
				{Topic: "inventory.stock-levels", Partition: 3, Offset: 1201, Timestamp: 1718000001002, TimestampType: record.LogAppendTime,
					Value: []byte(`{"sku":"sku-43","qty":7}`), Headers: []record.Header{hdr("region", []byte("São Paulo"))}},
			},
		}},
		{"self-managed-kafka.json", Event{
			Source:           SourceSelfManaged,
			BootstrapServers: "kafka-1.example.internal:9092,kafka-2.example.internal:9092",
			Records: []record.Record{
				{Topic: "clickstream.web-v2", Partition: 0, Offset: 9000, Timestamp: 1718000100000, TimestampType: record.CreateTime,
					Key: []byte("user-7"), Value: []byte(`{"page":"/checkout","ms":182}`),
					Headers: []record.Header{hdr("trace-id", []byte("tr-8f2c")), hdr("currency", []byte("€")), hdr("trace-id", []byte{})}},
				{Topic: "clickstream.web-v2", Partition: 1, Offset: 15, Timestamp: -1, TimestampType: record.NoTimestampType,
					Value: []byte(`{"page":"/","ms":40}`)},
				{Topic: "audit-log", Partition: 12, Offset: 3, Timestamp: 1718000100500, TimestampType: record.LogAppendTime,
					Key: []byte("user-7")},
				{Topic: "audit-log", Partition: 12, Offset: 4, Timestamp: 1718000100501, TimestampType: record.LogAppendTime,
					Value: []byte{}},
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			payload := readSample(t, tt.file)
			got, err := Decode(payload)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) { // DeepEqual tells nil from empty slices
				t.Fatalf("got\n%+v\nwant\n%+v", got, tt.want)
			}
			// Zero copies: keys, values and header values live in the payload.
			for _, r := range got.Records {
				for _, b := range append([][]byte{r.Key, r.Value}, headerValues(r)...) {
					if len(b) > 0 && !within(b, payload) {
						t.Errorf("record %s: %q is not a sub-slice of the payload", r.Coordinates(), b)
					}
					if cap(b) != len(b) {
						t.Errorf("record %s: %q has capacity %d beyond its length", r.Coordinates(), b, cap(b))
					}
				}
			}
		})
	}
}

func headerValues(r record.Record) [][]byte {
	var vs [][]byte
	for _, h := range r.Headers {
		vs = append(vs, h.Value)
	}
	return vs
}

func within(b, buf []byte) bool {
	start := &buf[0]
	end := &buf[len(buf)-1]
	p := &b[0]
	return uintptrOf(p) >= uintptrOf(start) && uintptrOf(p) <= uintptrOf(end)
}

// TestDecodeShapes covers the JSON the decoder must read like encoding/json: key order,
// whitespace, escapes, unknown fields, nulls and Lambda's variants.
func TestDecodeShapes(t *testing.T) {
	rec := func(r record.Record) Event { return Event{Records: []record.Record{r}} }
	tests := []struct {
		name    string
		payload string
		want    Event
	}{
		{"empty event", `{}`, Event{}},
		{"no records", `{"eventSource":"aws:kafka","records":{}}`, Event{Source: "aws:kafka"}},
		{"null records and strings", `{"eventSource":null,"eventSourceArn":null,"records":null}`, Event{}},
		{"empty partition", `{"records":{"t-0":[],"t-1":null}}`, Event{}},
		{"minimal record", `{"records":{"t-0":[{"topic":"t","partition":0,"offset":5}]}}`,
			rec(record.Record{Topic: "t", Offset: 5})},
		{"any key order, whitespace, unknown fields",
			" \t\n{ \"records\" : { \"x\" : [ { \"headers\" : [ { \"h\" : [ 1 , -1 ] } ] , \"value\" : \"YQ==\" ,\r\n" +
				`"extra":{"a":[1,2.5e-3,"s",true,false,null,{}]}, "offset" : 9 , "partition" : 2 , "topic" : "t" ,` +
				` "timestampType" : "LOG_APPEND_TIME" , "timestamp" : 12 } ] } , "eventSource" : "SelfManagedKafka" , "more": [] } ` + "\n",
			Event{Source: "SelfManagedKafka", Records: []record.Record{{Topic: "t", Partition: 2, Offset: 9, Timestamp: 12,
				TimestampType: record.LogAppendTime, Value: []byte("a"), Headers: []record.Header{hdr("h", []byte{1, 255})}}}}},
		{"every escape", `{"records":{"k":[{"topic":"\b\f\n\r\t\"\\\/\u0041\u00e9\u20AC\uD83D\uDE00\uDE00\uD83Dx","partition":0,"offset":0}]}}`,
			rec(record.Record{Topic: "\b\f\n\r\t\"\\/Aé€😀\uFFFD\uFFFDx"})},
		{"escapes in topic and header name",
			`{"records":{"k":[{"topic":"a\"b\\c\/d\u00e9\ud83d\ude00\n","partition":1,"offset":2,"headers":[{"na\u006de":[]}]}]}}`,
			rec(record.Record{Topic: "a\"b\\c/dé😀\n", Partition: 1, Offset: 2, Headers: []record.Header{hdr("name", []byte{})}})},
		{"lone surrogate and invalid UTF-8 become U+FFFD",
			"{\"records\":{\"k\":[{\"topic\":\"a\\ud800b\xffc\",\"partition\":1,\"offset\":2}]}}",
			rec(record.Record{Topic: "a\uFFFDb\uFFFDc", Partition: 1, Offset: 2})},
		{"escaped base64", `{"records":{"k":[{"topic":"t","partition":0,"offset":0,"key":"\u0061\/8=","value":"Pz8\/"}]}}`,
			rec(record.Record{Topic: "t", Key: []byte{0x6b, 0xff}, Value: []byte("???")})},
		{"null and empty key and value", `{"records":{"k":[{"topic":"t","partition":0,"offset":0,"key":"","value":null}]}}`,
			rec(record.Record{Topic: "t", Key: []byte{}})},
		{"null header value, several headers in one object",
			`{"records":{"k":[{"topic":"t","partition":0,"offset":0,"headers":[{"a":null,"b":[127,-128]},{"a":[0]}]}]}}`,
			rec(record.Record{Topic: "t", Headers: []record.Header{hdr("a", nil), hdr("b", []byte{127, 128}), hdr("a", []byte{0})}})},
		{"header value as base64 string", `{"records":{"k":[{"topic":"t","partition":0,"offset":0,"headers":[{"h":"aGk="}]}]}}`,
			rec(record.Record{Topic: "t", Headers: []record.Header{hdr("h", []byte("hi"))}})},
		{"integers as strings, as in some AWS examples", `{"records":{"k":[{"topic":"t","partition":"3","offset":"-1","timestamp":"7"}]}}`,
			rec(record.Record{Topic: "t", Partition: 3, Offset: -1, Timestamp: 7})},
		{"null optional fields", `{"records":{"k":[{"topic":"t","partition":0,"offset":0,"timestamp":null,"timestampType":null,"headers":null,"key":null}]}}`,
			rec(record.Record{Topic: "t"})},
		{"the record's own topic and partition, not the key", `{"records":{"orders-9":[{"topic":"a-b.c","partition":4,"offset":1}]}}`,
			rec(record.Record{Topic: "a-b.c", Partition: 4, Offset: 1})},
		{"extreme integers", `{"records":{"k":[{"topic":"t","partition":-2147483648,"offset":9223372036854775807,"timestamp":-9223372036854775808}]}}`,
			rec(record.Record{Topic: "t", Partition: -2147483648, Offset: 9223372036854775807, Timestamp: -9223372036854775808})},
		{"records kept in event order", `{"records":{"b-1":[{"topic":"b","partition":1,"offset":5},{"topic":"b","partition":1,"offset":3}],"a-0":[{"topic":"a","partition":0,"offset":1}]}}`,
			Event{Records: []record.Record{{Topic: "b", Partition: 1, Offset: 5}, {Topic: "b", Partition: 1, Offset: 3}, {Topic: "a", Offset: 1}}}},
		{"a repeated field: the last wins", `{"records":{"k":[{"topic":"t","partition":0,"offset":0,"value":"YQ==","value":"Yg==","headers":[{"x":[1]}],"headers":[{"y":[2]}]}]}}`,
			rec(record.Record{Topic: "t", Value: []byte("b"), Headers: []record.Header{hdr("y", []byte{2})}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	const ok = `"topic":"orders","partition":3,"offset":17`
	wrap := func(fields string) string { return `{"records":{"orders-3":[{` + fields + `}]}}` }
	tests := []struct {
		name    string
		payload string
		want    string
	}{
		{"non-base64 value", wrap(ok + `,"value":"YWJj*GVm"`), `record orders/3/17: value: illegal base64 data at input byte 4`},
		{"non-base64 value before the coordinates", wrap(`"value":"YWJj*GVm",` + ok), `record orders/3/17: value: illegal base64 data at input byte 4`},
		{"non-base64 key", wrap(ok + `,"key":"YQ"`), `record orders/3/17: key: illegal base64 data at input byte 0`},
		{"bad padding", wrap(ok + `,"key":"YQ=a"`), `record orders/3/17: key: illegal base64 data at input byte 2`},
		{"line break in base64", wrap(ok + `,"value":"YWJj\nZGVm"`), `record orders/3/17: value: illegal base64 data at input byte 4`},
		{"header byte 300", wrap(ok + `,"headers":[{"h":[1,300]}]`), `record orders/3/17: headers[0] "h": 300 is not a signed byte in [-128, 127]`},
		{"header byte 128", wrap(ok + `,"headers":[{"a":[]},{"h":[128]}]`), `record orders/3/17: headers[1] "h": 128 is not a signed byte in [-128, 127]`},
		{"header byte 1.5", wrap(ok + `,"headers":[{"h":[1.5]}]`), `record orders/3/17: headers[0] "h": 1.5 is not a signed byte in [-128, 127]`},
		{"header byte as a string", wrap(ok + `,"headers":[{"h":["1"]}]`), `record orders/3/17: headers[0] "h": expected a number, got a string`},
		{"header value as an object", wrap(ok + `,"headers":[{"h":{}}]`), `record orders/3/17: headers[0] "h": expected an array of bytes, got an object`},
		{"header not an object", wrap(ok + `,"headers":[[1]]`), `record orders/3/17: headers[0]: expected an object, got an array`},
		{"headers not an array", wrap(ok + `,"headers":{}`), `record orders/3/17: headers: expected an array, got an object`},
		{"partition as a boolean", wrap(`"topic":"orders","partition":true,"offset":17`), `record records["orders-3"][0]: partition: expected an integer, got a boolean`},
		{"partition too large", wrap(`"topic":"orders","partition":2147483648,"offset":17`), `record records["orders-3"][0]: partition: 2147483648 is not an integer in [-2147483648, 2147483647]`},
		{"offset with a fraction", wrap(`"topic":"orders","partition":3,"offset":1.0`), `record records["orders-3"][0]: offset: 1.0 is not an integer in [-9223372036854775808, 9223372036854775807]`},
		{"offset overflows", wrap(`"topic":"orders","partition":3,"offset":99999999999999999999`), `record records["orders-3"][0]: offset: 99999999999999999999 is not an integer in [-9223372036854775808, 9223372036854775807]`},
		{"offset as a non-numeric string", wrap(`"topic":"orders","partition":3,"offset":"x"`), `record records["orders-3"][0]: offset: "x" is not an integer in [-9223372036854775808, 9223372036854775807]`},
		{"timestamp as an object", wrap(ok + `,"timestamp":{"ms":1}`), `record orders/3/17: timestamp: expected an integer, got an object`},
		{"topic as a number", wrap(`"topic":7,"partition":3,"offset":17`), `record records["orders-3"][0]: topic: expected a string, got a number`},
		{"missing topic", wrap(`"partition":3,"offset":17`), `record records["orders-3"][0]: missing "topic"`},
		{"missing offset", wrap(`"topic":"orders","partition":3`), `record records["orders-3"][0]: missing "offset"`},
		{"unknown timestamp type", wrap(ok + `,"timestampType":"EVENT_TIME"`), `record orders/3/17: timestampType: unknown type "EVENT_TIME"`},
		{"value as a number", wrap(ok + `,"value":12`), `record orders/3/17: value: expected a base64 string, got a number`},
		{"record not an object", `{"records":{"orders-3":[1]}}`, `kafka event: records["orders-3"][0]: expected an object, got a number`},
		{"partition not an array", `{"records":{"orders-3":{}}}`, `kafka event: records["orders-3"]: expected an array, got an object`},
		{"records not an object", `{"records":[]}`, `kafka event: records: expected an object, got an array`},
		{"eventSource not a string", `{"eventSource":1}`, `kafka event: eventSource: expected a string, got a number`},
		{"empty payload", ``, `kafka event: malformed JSON at byte 0: unexpected end of input, expected '{' starting the event`},
		{"not an object", `[]`, `kafka event: malformed JSON at byte 0: unexpected '[', expected '{' starting the event`},
		{"truncated", wrap(ok)[:40], `kafka event: malformed JSON at byte 40: unexpected end of input, expected '"' closing a string`},
		{"truncated after a value", wrap(ok)[:67], `kafka event: malformed JSON at byte 67: unexpected end of input, expected ',' or '}'`},
		{"truncated in a value", wrap(ok + `,"value":"YWJj`), `kafka event: malformed JSON at byte 85: unexpected end of input, expected '"' closing a string`},
		{"truncated in headers", `{"records":{"orders-3":[{` + ok + `,"headers":[{"h":[1,`, `kafka event: malformed JSON at byte 87: unexpected end of input, expected a JSON value`},
		{"trailing data", `{} {}`, `kafka event: malformed JSON at byte 3: unexpected '{' after the event`},
		{"missing colon", `{"records" {}}`, `kafka event: malformed JSON at byte 11: unexpected '{', expected ':' after object key`},
		{"trailing comma", `{"records":{},}`, `kafka event: malformed JSON at byte 14: unexpected '}', expected a string (object key)`},
		{"bad literal", `{"x":nul}`, `kafka event: malformed JSON at byte 8: unexpected '}', expected "null"`},
		{"leading zero", `{"x":01}`, `kafka event: malformed JSON at byte 6: unexpected '1', expected ',' or '}'`},
		{"bad escape", `{"x":"\q"}`, `kafka event: malformed JSON at byte 6: invalid escape 'q'`},
		{"bad unicode escape", `{"x":"\u12g4"}`, `kafka event: malformed JSON at byte 6: invalid \u escape`},
		{"control character in a string", "{\"x\":\"a\tb\"}", `kafka event: malformed JSON at byte 7: control character byte 0x09 in a string`},
		{"malformed JSON inside an otherwise good record", wrap(ok + `,"x":[1 2]`), `kafka event: malformed JSON at byte 75: unexpected '2', expected ',' or ']'`},
		{"malformed JSON after a bad record", wrap(ok+`,"value":"*"`) + `x`, `record orders/3/17: value: illegal base64 data at input byte 0`},
		{"bad escape in a key", `{"re\qords":1}`, `kafka event: malformed JSON at byte 4: invalid escape 'q'`},
		{"bad unicode escape in a topic", wrap(`"topic":"a\u12"`), `kafka event: malformed JSON at byte 35: invalid \u escape`},
		{"control character in a topic", wrap("\"topic\":\"é\x00\""), `kafka event: malformed JSON at byte 36: control character byte 0x00 in a string`},
		{"truncated escape", `{"records":{"k":[{"topic":"\`, `kafka event: malformed JSON at byte 28: unexpected end of input, expected an escape`},
		{"truncated string with escapes", `{"records":{"k":[{"topic":"\n`, `kafka event: malformed JSON at byte 29: unexpected end of input, expected '"' closing a string`},
		{"bad number", `{"x":-}`, `kafka event: malformed JSON at byte 6: unexpected '}', expected a digit`},
		{"bad fraction", `{"x":1.}`, `kafka event: malformed JSON at byte 7: unexpected '}', expected a digit after '.'`},
		{"bad exponent", `{"x":1e+}`, `kafka event: malformed JSON at byte 8: unexpected '}', expected a digit in the exponent`},
		{"bad value", `{"x":+1}`, `kafka event: malformed JSON at byte 5: unexpected '+', expected a JSON value`},
		{"non-ASCII where a value belongs", "{\"x\":\xff}", `kafka event: malformed JSON at byte 5: unexpected byte 0xff, expected a JSON value`},
		{"unclosed array", `{"x":[1,true`, `kafka event: malformed JSON at byte 12: unexpected end of input, expected ',' or ']'`},
		{"wrong type of a record field at the end", wrap(ok + `,"key":`), `kafka event: malformed JSON at byte 74: unexpected '}', expected a JSON value`},
		{"too deep", `{"x":` + strings.Repeat("[", maxDepth+2), `kafka event: malformed JSON at byte 10006: nesting deeper than 10000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode([]byte(tt.payload))
			if err == nil {
				t.Fatalf("no error; decoded %+v", ev)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n%s\nwant\n%s", err, tt.want)
			}
			if c := errclass.Of(err); c != errclass.BadRecord {
				t.Errorf("class %v, want bad_record", c)
			}
			if !reflect.DeepEqual(ev, Event{}) {
				t.Errorf("partial event returned with the error: %+v", ev)
			}
		})
	}
}

// TestDecodeTruncations checks that no prefix of a valid event decodes: a partial decode is
// never a success.
func TestDecodeTruncations(t *testing.T) {
	for _, name := range []string{"msk.json", "self-managed-kafka.json"} {
		full := bytes.TrimSpace(readSample(t, name))
		for n := 0; n < len(full); n++ {
			if _, err := Decode(bytes.Clone(full[:n])); err == nil {
				t.Fatalf("%s cut to %d bytes decoded without error", name, n)
			} else if !errclass.Is(err, errclass.BadRecord) {
				t.Fatalf("%s cut to %d bytes: %v is not bad_record", name, n, err)
			}
		}
	}
}

func TestDecodeBase64(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"", "", ""},
		{"YQ==", "a", ""},
		{"YWI=", "ab", ""},
		{"YWJj", "abc", ""},
		{"YWJjZGVmZ2g=", "abcdefgh", ""},
		{"YWJjZGVmZ2hpams=", "abcdefghijk", ""},
		{"YR==", "a", ""}, // non-zero trailing bits are accepted, as base64.StdEncoding does
		{"////", "\xff\xff\xff", ""},
		{"YWJjZGVm*2hp", "", "illegal base64 data at input byte 8"},
		{"YWJjZGVmZ2hpams", "", "illegal base64 data at input byte 12"},
		{"YWJjZGVmZ2hpa*", "", "illegal base64 data at input byte 13"},
		{"Y===", "", "illegal base64 data at input byte 1"},
		{"YQ=", "", "illegal base64 data at input byte 2"},
		{"YQ=Y", "", "illegal base64 data at input byte 2"},
		{"YQ==YQ==", "", "illegal base64 data at input byte 2"},
		{"YW-j", "", "illegal base64 data at input byte 2"},
		{"YWJj\r\n", "", "illegal base64 data at input byte 4"},
	}
	for _, tt := range tests {
		b := []byte(tt.in)
		n, err := decodeBase64(b)
		switch {
		case tt.err != "":
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: error %v, want %s", tt.in, err, tt.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.in, err)
		case string(b[:n]) != tt.want:
			t.Errorf("%q: got %q, want %q", tt.in, b[:n], tt.want)
		}
	}
}

func TestDecodedSlicesDoNotOverlap(t *testing.T) {
	ev, err := Decode(readSample(t, "msk.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Appending to a key must not overwrite the payload bytes that follow it (its value).
	r := ev.Records[0]
	before := string(r.Value)
	_ = append(r.Key, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"...)
	_ = append(r.Headers[:1:1], hdr("x", nil))
	if string(r.Value) != before || r.Headers[1].Key != "origin" {
		t.Fatal("appending to a decoded slice overwrote another")
	}
	var e *errclass.Error
	if _, err := Decode([]byte(`{"records":{"k":[{}]}}`)); !errors.As(err, &e) || e.Subject != `record records["k"][0]` {
		t.Fatalf("subject of %v", err)
	}
}

func uintptrOf(p *byte) uintptr { return uintptr(unsafe.Pointer(p)) }
