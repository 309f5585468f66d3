package kafkaevent

import (
	"bytes"
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-connect/lambda-connect/core/record"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func eventsEqual(a, b Event) bool { return reflect.DeepEqual(a, b) }

func TestEncodeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		ev := randEvent(rng, rng.IntN(40), true)
		enc := Encode(ev)
		if !json.Valid(enc) {
			t.Fatalf("event %d: invalid JSON %s", i, enc)
		}
		got, err := Decode(bytes.Clone(enc))
		if err != nil {
			t.Fatalf("event %d: %v\n%s", i, err, enc)
		}
		want := ev
		want.Records = grouped(ev.Records)
		if !eventsEqual(got, want) {
			t.Fatalf("event %d:\ngot  %+v\nwant %+v", i, got, want)
		}
		if again := Encode(got); !bytes.Equal(again, enc) {
			t.Fatalf("event %d: encoding is not stable:\n%s\n%s", i, enc, again)
		}
	}
}

// TestEncodeGolden pins the exact JSON Encode writes for the sample events.
func TestEncodeGolden(t *testing.T) {
	for _, name := range []string{"msk.json", "self-managed-kafka.json"} {
		t.Run(name, func(t *testing.T) {
			ev, err := Decode(readSample(t, name))
			if err != nil {
				t.Fatal(err)
			}
			got := Encode(ev)
			golden := filepath.Join("testdata", "encoded-"+name)
			if *update {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, bytes.TrimSuffix(want, []byte("\n"))) {
				t.Fatalf("Encode:\n%s\nwant (%s):\n%s", got, golden, want)
			}
			// aws-lambda-go reads it as the original sample.
			var a, b events.KafkaEvent
			if err := json.Unmarshal(got, &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(readSample(t, name), &b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("aws-lambda-go reads the encoding as\n%+v\nand the sample as\n%+v", a, b)
			}
		})
	}
}

func TestEncodeShape(t *testing.T) {
	ev := Event{Source: SourceSelfManaged, BootstrapServers: "k:9092", Records: []record.Record{
		{Topic: "a.b-c", Partition: 1, Offset: 5, Timestamp: 7, TimestampType: record.LogAppendTime,
			Headers: []record.Header{{Key: "h", Value: []byte{0, 127, 128, 255}}, {Key: "n"}, {Key: "e", Value: []byte{}}}},
		{Topic: "x", Partition: 0, Offset: 1, Key: []byte{}, Value: []byte("hi")},
		{Topic: "a.b-c", Partition: 1, Offset: 6, Key: []byte("k")},
	}}
	want := `{"eventSource":"SelfManagedKafka","bootstrapServers":"k:9092","records":{` +
		`"a.b-c-1":[{"topic":"a.b-c","partition":1,"offset":5,"timestamp":7,"timestampType":"LOG_APPEND_TIME","value":null,"headers":[{"h":[0,127,-128,-1]},{"n":null},{"e":[]}]},` +
		`{"topic":"a.b-c","partition":1,"offset":6,"timestamp":0,"timestampType":"NO_TIMESTAMP_TYPE","key":"aw==","value":null,"headers":[]}],` +
		`"x-0":[{"topic":"x","partition":0,"offset":1,"timestamp":0,"timestampType":"NO_TIMESTAMP_TYPE","key":"","value":"aGk=","headers":[]}]}}`
	if got := string(Encode(ev)); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := string(AppendEncode([]byte("prefix "), Event{Source: SourceMSK, SourceARN: "arn"})); got !=
		`prefix {"eventSource":"aws:kafka","eventSourceArn":"arn","bootstrapServers":"","records":{}}` {
		t.Fatalf("got %s", got)
	}
}
