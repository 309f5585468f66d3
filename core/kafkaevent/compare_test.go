package kafkaevent

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// writer writes an event as JSON the way any JSON producer may: fields in random order, random
// whitespace, unknown fields, strings with random (valid) escapes.
type writer struct {
	rng *rand.Rand
	b   []byte
}

func (w *writer) ws() {
	for w.rng.IntN(4) == 0 {
		w.b = append(w.b, " \t\n\r"[w.rng.IntN(4)])
	}
}

func (w *writer) tok(s string) {
	w.ws()
	w.b = append(w.b, s...)
	w.ws()
}

// str writes s (raw bytes, possibly invalid UTF-8) as a JSON string with random escapes.
func (w *writer) str(s string) {
	w.ws()
	w.b = append(w.b, '"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		raw := s[i : i+n]
		i += n
		mustEscape := r < 0x20 || r == '"' || r == '\\'
		switch {
		case r == utf8.RuneError && n == 1:
			w.b = append(w.b, raw...) // invalid UTF-8 passed through: both decoders make it U+FFFD
		case !mustEscape && w.rng.IntN(5) != 0:
			w.b = append(w.b, raw...)
		case r == '/' || r == '"' || r == '\\':
			w.b = append(w.b, '\\', byte(r))
		case r == '\n' && w.rng.IntN(2) == 0:
			w.b = append(w.b, `\n`...)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			w.b = fmt.Appendf(w.b, `\u%04x\u%04X`, r1, r2)
		default:
			w.b = fmt.Appendf(w.b, `\u%04x`, r)
		}
	}
	w.b = append(w.b, '"')
	w.ws()
}

func (w *writer) unknown(depth int) {
	switch k := w.rng.IntN(7); {
	case k == 0 && depth < 3:
		w.tok("{")
		for i := range w.rng.IntN(3) {
			if i > 0 {
				w.tok(",")
			}
			w.str("u" + strconv.Itoa(i))
			w.tok(":")
			w.unknown(depth + 1)
		}
		w.tok("}")
	case k == 1 && depth < 3:
		w.tok("[")
		for i := range w.rng.IntN(3) {
			if i > 0 {
				w.tok(",")
			}
			w.unknown(depth + 1)
		}
		w.tok("]")
	case k == 2:
		w.str("s\"\\/\u00e9")
	case k == 3:
		w.tok([]string{"0", "-1.5e+3", "12E-2", "1e400"}[w.rng.IntN(4)])
	default:
		w.tok([]string{"true", "false", "null"}[w.rng.IntN(3)])
	}
}

// object writes the members in random order, with unknown ones mixed in.
func (w *writer) object(members []func()) {
	for range w.rng.IntN(3) {
		members = append(members, func() { w.str("_extra"); w.tok(":"); w.unknown(0) })
	}
	w.rng.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	w.tok("{")
	for i, m := range members {
		if i > 0 {
			w.tok(",")
		}
		m()
	}
	w.tok("}")
}

func (w *writer) field(name string, value func()) func() {
	return func() { w.str(name); w.tok(":"); value() }
}

func (w *writer) base64Field(name string, b []byte) []func() {
	switch {
	case b == nil && w.rng.IntN(2) == 0:
		return nil // absent
	case b == nil:
		return []func(){w.field(name, func() { w.tok("null") })}
	}
	return []func(){w.field(name, func() { w.str(base64.StdEncoding.EncodeToString(b)) })}
}

func (w *writer) event(ev Event) {
	members := []func(){
		w.field("eventSource", func() { w.str(ev.Source) }),
		w.field("bootstrapServers", func() { w.str(ev.BootstrapServers) }),
		w.field("records", func() {
			var groups []func()
			for _, g := range groupByPartition(ev.Records) {
				groups = append(groups, w.field(ev.Records[g[0]].TopicPartition().String(), func() {
					w.tok("[")
					for j, i := range g {
						if j > 0 {
							w.tok(",")
						}
						w.record(&ev.Records[i])
					}
					w.tok("]")
				}))
			}
			// Partitions keep their order (the comparison below relies on it only for Decode).
			w.tok("{")
			for i, g := range groups {
				if i > 0 {
					w.tok(",")
				}
				g()
			}
			w.tok("}")
		}),
	}
	if ev.SourceARN != "" {
		members = append(members, w.field("eventSourceArn", func() { w.str(ev.SourceARN) }))
	}
	w.object(members)
}

func (w *writer) record(r *record.Record) {
	members := []func(){
		w.field("topic", func() { w.str(r.Topic) }),
		w.field("partition", func() { w.tok(strconv.Itoa(int(r.Partition))) }),
		w.field("offset", func() { w.tok(strconv.FormatInt(r.Offset, 10)) }),
		w.field("timestamp", func() { w.tok(strconv.FormatInt(r.Timestamp, 10)) }),
		w.field("headers", func() {
			w.tok("[")
			for i, h := range r.Headers {
				if i > 0 {
					w.tok(",")
				}
				w.tok("{")
				w.str(h.Key)
				w.tok(":")
				if h.Value == nil {
					w.tok("null")
				} else {
					w.tok("[")
					for j, c := range h.Value {
						if j > 0 {
							w.tok(",")
						}
						w.tok(strconv.Itoa(int(int8(c))))
					}
					w.tok("]")
				}
				w.tok("}")
			}
			w.tok("]")
		}),
	}
	if r.TimestampType != record.NoTimestampType || w.rng.IntN(2) == 0 {
		members = append(members, w.field("timestampType", func() { w.str(r.TimestampType.String()) }))
	}
	members = append(members, w.base64Field("key", r.Key)...)
	members = append(members, w.base64Field("value", r.Value)...)
	w.object(members)
}

// TestDecodeMatchesAWSLambdaGo decodes random events with Decode and with aws-lambda-go's
// events.KafkaEvent through encoding/json, and compares them record by record.
func TestDecodeMatchesAWSLambdaGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 400 {
		want := randEvent(rng, rng.IntN(30), false)
		w := &writer{rng: rng}
		w.event(want)
		payload := w.b

		var ref events.KafkaEvent
		if err := json.Unmarshal(payload, &ref); err != nil {
			t.Fatalf("event %d: encoding/json: %v\n%s", i, err, payload)
		}
		got, err := Decode(bytes.Clone(payload))
		if err != nil {
			t.Fatalf("event %d: %v\n%s", i, err, payload)
		}
		if got.Source != ref.EventSource || got.SourceARN != ref.EventSourceARN || got.BootstrapServers != ref.BootstrapServers {
			t.Fatalf("event %d: envelope %q %q %q, aws-lambda-go %q %q %q", i,
				got.Source, got.SourceARN, got.BootstrapServers, ref.EventSource, ref.EventSourceARN, ref.BootstrapServers)
		}
		// Record by record against aws-lambda-go, per "topic-partition" key.
		n := 0
		for _, g := range groupByPartition(got.Records) {
			key := got.Records[g[0]].TopicPartition().String()
			refs := ref.Records[key]
			if len(refs) != len(g) {
				t.Fatalf("event %d: %s: %d records, aws-lambda-go %d", i, key, len(g), len(refs))
			}
			for j, gi := range g {
				if err := sameAsReference(got.Records[gi], refs[j]); err != nil {
					t.Fatalf("event %d: record %s: %v\n%s", i, got.Records[gi].Coordinates(), err, payload)
				}
				n++
			}
		}
		if n != len(got.Records) || len(ref.Records) != len(groupByPartition(got.Records)) {
			t.Fatalf("event %d: %d records in %d partitions, aws-lambda-go %d partitions", i, n, len(groupByPartition(got.Records)), len(ref.Records))
		}
		// And exactly what was written, nil versus empty included (which aws-lambda-go cannot tell).
		for j := range want.Records {
			want.Records[j].Topic = validUTF8(want.Records[j].Topic)
			for k := range want.Records[j].Headers {
				want.Records[j].Headers[k].Key = validUTF8(want.Records[j].Headers[k].Key)
			}
		}
		want.Records = grouped(want.Records)
		if !eventsEqual(got, want) {
			t.Fatalf("event %d:\ngot  %+v\nwant %+v\n%s", i, got, want, payload)
		}
	}
}

func sameAsReference(r record.Record, ref events.KafkaRecord) error {
	switch {
	case r.Topic != ref.Topic:
		return fmt.Errorf("topic %q, aws-lambda-go %q", r.Topic, ref.Topic)
	case int64(r.Partition) != ref.Partition:
		return fmt.Errorf("partition %d, aws-lambda-go %d", r.Partition, ref.Partition)
	case r.Offset != ref.Offset:
		return fmt.Errorf("offset %d, aws-lambda-go %d", r.Offset, ref.Offset)
	case r.Timestamp != ref.Timestamp.UnixMilli():
		return fmt.Errorf("timestamp %d, aws-lambda-go %d", r.Timestamp, ref.Timestamp.UnixMilli())
	}
	if tt, _ := record.ParseTimestampType(ref.TimestampType); tt != r.TimestampType {
		return fmt.Errorf("timestampType %v, aws-lambda-go %q", r.TimestampType, ref.TimestampType)
	}
	for _, kv := range []struct {
		name string
		got  []byte
		ref  string
	}{{"key", r.Key, ref.Key}, {"value", r.Value, ref.Value}} {
		want, err := base64.StdEncoding.DecodeString(kv.ref)
		if err != nil {
			return fmt.Errorf("%s: aws-lambda-go value: %v", kv.name, err)
		}
		if !bytes.Equal(kv.got, want) {
			return fmt.Errorf("%s %q, aws-lambda-go %q", kv.name, kv.got, want)
		}
	}
	var refHeaders []record.Header
	for _, m := range ref.Headers {
		if len(m) != 1 {
			return fmt.Errorf("aws-lambda-go header object with %d members", len(m))
		}
		for k, v := range m {
			refHeaders = append(refHeaders, record.Header{Key: k, Value: v})
		}
	}
	if len(refHeaders) != len(r.Headers) {
		return fmt.Errorf("%d headers, aws-lambda-go %d", len(r.Headers), len(refHeaders))
	}
	for i, h := range r.Headers {
		if h.Key != refHeaders[i].Key || !bytes.Equal(h.Value, refHeaders[i].Value) {
			return fmt.Errorf("header %d %q=%v, aws-lambda-go %q=%v", i, h.Key, h.Value, refHeaders[i].Key, refHeaders[i].Value)
		}
	}
	return nil
}
