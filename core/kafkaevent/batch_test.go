package kafkaevent

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func sized(n, valueLen int) []record.Record {
	recs := make([]record.Record, n)
	for i := range recs {
		recs[i] = record.Record{Topic: "t", Partition: int32(i % 2), Offset: int64(i), Value: bytes.Repeat([]byte{'v'}, valueLen)}
	}
	return recs
}

// checkBatches checks that batches hold recs in order, within lim, each as full as it can be.
func checkBatches(t *testing.T, batches [][]byte, recs []record.Record, lim Limits) {
	t.Helper()
	lim, _ = lim.validate()
	var all []record.Record
	for i, b := range batches {
		if len(b) > lim.MaxBytes {
			t.Fatalf("batch %d: %d bytes over %d", i, len(b), lim.MaxBytes)
		}
		ev, err := Decode(bytes.Clone(b))
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if len(ev.Records) == 0 || len(ev.Records) > lim.MaxRecords {
			t.Fatalf("batch %d: %d records, limit %d", i, len(ev.Records), lim.MaxRecords)
		}
		first := len(all)
		want := grouped(recs[first : first+len(ev.Records)])
		if !reflect.DeepEqual(ev.Records, want) {
			t.Fatalf("batch %d does not hold records %d..%d", i, first, first+len(want)-1)
		}
		all = append(all, ev.Records...)
		// Greedy: the next record did not fit.
		if next := first + len(ev.Records); next < len(recs) && len(ev.Records) < lim.MaxRecords {
			ev.Records = recs[first : next+1]
			if n := len(Encode(ev)); n <= lim.MaxBytes {
				t.Fatalf("batch %d: record %d would have fit (%d <= %d bytes)", i, next, n, lim.MaxBytes)
			}
		}
	}
	if len(all) != len(recs) {
		t.Fatalf("%d records in the batches, want %d", len(all), len(recs))
	}
}

func TestBatches(t *testing.T) {
	one := len(Encode(Event{Source: SourceMSK, SourceARN: "arn", Records: sized(1, 1000)}))
	two := len(Encode(Event{Source: SourceMSK, SourceARN: "arn", Records: sized(2, 1000)}))
	tests := []struct {
		name  string
		recs  []record.Record
		lim   Limits
		sizes []int // records per batch
	}{
		{"none", nil, Limits{}, nil},
		{"default batch size", sized(250, 10), Limits{}, []int{100, 100, 50}},
		{"batch size", sized(7, 10), Limits{MaxRecords: 3}, []int{3, 3, 1}},
		{"exact fit", sized(4, 1000), Limits{MaxBytes: two}, []int{2, 2}},
		{"one byte short", sized(4, 1000), Limits{MaxBytes: two - 1}, []int{1, 1, 1, 1}},
		{"one record a batch", sized(3, 1000), Limits{MaxBytes: one}, []int{1, 1, 1}},
		{"bytes before count", sized(30, 1000), Limits{MaxRecords: 10000, MaxBytes: 10 * 1024}, []int{6, 6, 6, 6, 6}},
		{"6 MB", sized(10000, 1000), Limits{MaxRecords: MaxMaxRecords}, []int{4333, 4332, 1335}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batches, err := Batches(SourceMSK, "arn", "", tt.recs, tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			var sizes []int
			for _, b := range batches {
				ev, err := Decode(bytes.Clone(b))
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(ev.Records))
			}
			if !reflect.DeepEqual(sizes, tt.sizes) {
				t.Fatalf("records per batch %v, want %v", sizes, tt.sizes)
			}
			checkBatches(t, batches, tt.recs, tt.lim)
		})
	}
}

func TestBatchesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 50 {
		recs := randRecords(rng, 1+rng.IntN(200), true)
		lim := Limits{MaxRecords: 1 + rng.IntN(60), MaxBytes: 2000 + rng.IntN(20000)}
		batches, err := Batches(SourceSelfManaged, "", "b:9092", recs, lim)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkBatches(t, batches, recs, lim) })
	}
}

func TestBatchesErrors(t *testing.T) {
	tests := []struct {
		name  string
		recs  []record.Record
		lim   Limits
		class errclass.Class
		want  string
	}{
		{"record too large", append(sized(2, 10), record.Record{Topic: "big", Partition: 2, Offset: 9, Value: make([]byte, 6<<20)}),
			Limits{}, errclass.BadRecord, "record big/2/9: an event holding only this record takes 8388823 bytes, over the 6291456-byte limit"},
		{"batch size too large", nil, Limits{MaxRecords: 10001}, errclass.BadConfig, "MaxRecords: 10001 is not in [1, 10000]"},
		{"negative bytes", nil, Limits{MaxBytes: -1}, errclass.BadConfig, "MaxBytes: -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Batches(SourceMSK, "arn", "b:9092", tt.recs, tt.lim)
			if err == nil || b != nil {
				t.Fatalf("got %d batches, error %v", len(b), err)
			}
			if errclass.Of(err) != tt.class || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q (%v), want %q (%v)", err, errclass.Of(err), tt.want, tt.class)
			}
		})
	}
}
