package sink

import (
	"testing"

	"github.com/lambda-connect/lambda-connect/core/record"
)

func TestGroupByPartition(t *testing.T) {
	r := func(topic string, p int32, o int64) record.Record {
		return record.Record{Topic: topic, Partition: p, Offset: o}
	}
	type want struct {
		tp      string
		offsets []int64
	}
	cases := []struct {
		name string
		in   []record.Record
		want []want
	}{
		{"contiguous partitions, sorted by topic then partition",
			[]record.Record{r("b", 1, 5), r("b", 1, 6), r("a", 2, 0), r("b", 0, 9)},
			[]want{{"a-2", []int64{0}}, {"b-0", []int64{9}}, {"b-1", []int64{5, 6}}}},
		{"a partition split in two runs is gathered",
			[]record.Record{r("t", 0, 1), r("t", 1, 1), r("t", 0, 2), r("t", 0, 3)},
			[]want{{"t-0", []int64{1, 2, 3}}, {"t-1", []int64{1}}}},
		{"out of order and duplicated offsets",
			[]record.Record{r("t", 0, 3), r("t", 0, 1), r("t", 0, 3), r("t", 0, 2)},
			[]want{{"t-0", []int64{1, 2, 3}}}},
		{"topics with dashes are not confused with partitions",
			[]record.Record{r("a-1", 0, 0), r("a", 10, 0)},
			[]want{{"a-10", []int64{0}}, {"a-1-0", []int64{0}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]record.Record(nil), tc.in...)
			got := groupByPartition(in)
			if len(got) != len(tc.want) {
				t.Fatalf("%d partitions, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				if got[i].tp.String() != w.tp {
					t.Errorf("partition %d is %s, want %s", i, got[i].tp, w.tp)
				}
				var offs []int64
				for _, rec := range got[i].recs {
					offs = append(offs, rec.Offset)
				}
				if len(offs) != len(w.offsets) {
					t.Errorf("%s: offsets %v, want %v", w.tp, offs, w.offsets)
					continue
				}
				for k := range offs {
					if offs[k] != w.offsets[k] {
						t.Errorf("%s: offsets %v, want %v", w.tp, offs, w.offsets)
						break
					}
				}
			}
			for i := range tc.in {
				if in[i].Offset != tc.in[i].Offset || in[i].Partition != tc.in[i].Partition {
					t.Fatalf("the input was reordered: %v", in)
				}
			}
		})
	}
}
