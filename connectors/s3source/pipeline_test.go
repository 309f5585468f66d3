package s3source

import (
	"fmt"
	"slices"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/checkpoints"
	"github.com/lambda-connect/lambda-connect/core/producer"
)

func TestLeastEnds(t *testing.T) {
	o := func(topic string, p int32, off int64) checkpoints.Offset {
		return checkpoints.Offset{Topic: topic, Partition: p, Offset: off}
	}
	for _, tc := range []struct {
		name string
		in   []checkpoints.Offset
		want []checkpoints.Offset
	}{
		{"none", nil, []checkpoints.Offset{}},
		{"one chunk, sorted", []checkpoints.Offset{o("b", 1, 5), o("a", 0, 7), o("b", 0, 3)}, []checkpoints.Offset{o("a", 0, 7), o("b", 0, 3), o("b", 1, 5)}},
		{"the older chunk's offsets win", []checkpoints.Offset{o("t", 0, 90), o("t", 1, 80), o("t", 0, 40), o("t", 1, 30)}, []checkpoints.Offset{o("t", 0, 40), o("t", 1, 30)}},
		{"topics of either chunk", []checkpoints.Offset{o("new", 0, 9), o("old", 0, 4), o("old", 0, 2)}, []checkpoints.Offset{o("new", 0, 9), o("old", 0, 2)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := leastEnds(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("leastEnds(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// TestGroup: each partition's messages end up contiguous, in record order, partitions in order of
// first appearance, with their record indices alongside.
func TestGroup(t *testing.T) {
	for _, parts := range [][]int32{{0}, {0, 1, 0, 2, 1, 0}, {3, 3, 1, 1, 1, 3, 0}, {}} {
		t.Run(fmt.Sprint(parts), func(t *testing.T) {
			var msgs []producer.Message
			var index []int64
			for i, p := range parts {
				topic := "t"
				if p == 3 {
					topic = "dlq"
				}
				msgs = append(msgs, producer.Message{Topic: topic, Partition: p, Value: []byte(fmt.Sprint(i))})
				index = append(index, int64(100+i))
			}
			b := &chunkBuf{}
			runs := b.group(msgs, index)
			var seen []int32
			n := 0
			for _, r := range runs {
				p := r.msgs[0].Partition
				if slices.Contains(seen, p) {
					t.Fatalf("partition %d in two runs", p)
				}
				seen = append(seen, p)
				last := int64(-1)
				for _, m := range r.msgs {
					var i int64
					fmt.Sscan(string(m.Value), &i)
					if m.Partition != p || parts[i] != p || i <= last {
						t.Fatalf("run of partition %d holds message %d (partition %d) after %d", p, i, m.Partition, last)
					}
					if index[n] != 100+i {
						t.Fatalf("message %d has index %d", i, index[n])
					}
					last = i
					n++
				}
				if r.first != 100+int64(firstOf(parts, p)) {
					t.Errorf("run of partition %d starts at record %d", p, r.first)
				}
			}
			if n != len(parts) {
				t.Fatalf("%d messages in runs, want %d", n, len(parts))
			}
			var order []int32
			for _, p := range parts {
				if !slices.Contains(order, p) {
					order = append(order, p)
				}
			}
			if !slices.Equal(seen, order) {
				t.Errorf("runs in order %v, want %v", seen, order)
			}
		})
	}
}

func firstOf(parts []int32, p int32) int { return slices.Index(parts, p) }
