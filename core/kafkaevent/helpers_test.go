package kafkaevent

import (
	"math/rand/v2"
	"unicode/utf8"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// grouped returns recs grouped by partition in first-seen order, as Encode lays them out.
func grouped(recs []record.Record) []record.Record {
	if recs == nil {
		return nil
	}
	out := make([]record.Record, 0, len(recs))
	for _, g := range groupByPartition(recs) {
		for _, i := range g {
			out = append(out, recs[i])
		}
	}
	return out
}

// validUTF8 replaces each invalid byte of s by U+FFFD, as encoding/json and Decode do.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b []byte
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, r)
		i += n
	}
	return string(b)
}

var topicNames = []string{"orders", "orders.v2", "click-stream", "a.b-c.d-1", "t-0", "ünïcode-τ", "quote\"back\\slash", "ctl\x01\t", "bad\xffutf8", ""}

func randBytes(rng *rand.Rand, maxLen int) []byte {
	switch rng.IntN(8) {
	case 0:
		return nil
	case 1:
		return []byte{}
	}
	b := make([]byte, rng.IntN(maxLen+1))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// randRecords returns n random records over a few partitions, each partition's offsets increasing.
func randRecords(rng *rand.Rand, n int, validStrings bool) []record.Record {
	type tp struct {
		topic string
		part  int32
	}
	var tps []tp
	for range 1 + rng.IntN(4) {
		t := topicNames[rng.IntN(len(topicNames))]
		if validStrings {
			t = validUTF8(t)
		}
		tps = append(tps, tp{t, int32(rng.IntN(100))})
	}
	next := map[tp]int64{}
	headerNames := []string{"content-type", "trace-id", "x", "é\u2028", ""}
	recs := make([]record.Record, n)
	for i := range recs {
		p := tps[rng.IntN(len(tps))]
		if _, ok := next[p]; !ok {
			next[p] = rng.Int64N(1 << 40)
		}
		next[p] += 1 + rng.Int64N(3)
		r := record.Record{
			Topic:         p.topic,
			Partition:     p.part,
			Offset:        next[p],
			Timestamp:     rng.Int64N(2e15) - 1e15,
			TimestampType: record.TimestampType(rng.IntN(3)),
			Key:           randBytes(rng, 40),
			Value:         randBytes(rng, 300),
		}
		for range rng.IntN(4) {
			r.Headers = append(r.Headers, record.Header{Key: headerNames[rng.IntN(len(headerNames))], Value: randBytes(rng, 12)})
		}
		recs[i] = r
	}
	return recs
}

func randEvent(rng *rand.Rand, n int, validStrings bool) Event {
	ev := Event{Source: SourceSelfManaged, BootstrapServers: "k1:9092,k2:9092", Records: randRecords(rng, n, validStrings)}
	if rng.IntN(2) == 0 {
		ev.Source, ev.SourceARN = SourceMSK, "arn:aws:kafka:eu-west-1:123456789012:cluster/c/"+string(rune('a'+rng.IntN(26)))
	}
	if n == 0 {
		ev.Records = nil
	}
	return ev
}
