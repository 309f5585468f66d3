package checkpoints_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/checkpoints"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// ledger is what both stores offer.
type ledger interface {
	Acquire(ctx context.Context, o checkpoints.ObjectID, owner string, until time.Time) (checkpoints.Lease, error)
	Save(ctx context.Context, l checkpoints.Lease, position, chunkEnd int64, ends []checkpoints.Offset) (checkpoints.Lease, error)
	Complete(ctx context.Context, l checkpoints.Lease, records int64) error
	Release(ctx context.Context, l checkpoints.Lease) error
	Get(ctx context.Context, o checkpoints.ObjectID) (checkpoints.Checkpoint, error)
	ObserveSequencer(ctx context.Context, bucket, key, seq string) (bool, error)
}

var (
	_ ledger = (*checkpoints.DynamoStore)(nil)
	_ ledger = (*checkpoints.MemoryStore)(nil)
)

// eachStore runs test against a DynamoStore (on DynamoDB Local) and a MemoryStore, each with a
// clock of its own.
func eachStore(t *testing.T, test func(t *testing.T, s ledger, c *clock)) {
	t.Run("dynamo", func(t *testing.T) {
		s, c := newStore(t)
		test(t, s, c)
	})
	t.Run("memory", func(t *testing.T) {
		c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
		test(t, checkpoints.NewMemoryStore(c.Now), c)
	})
}

func newStore(t *testing.T) (*checkpoints.DynamoStore, *clock) {
	t.Helper()
	ctx := context.Background()
	client, err := dynamolocal.Client(ctx, dynamolocal.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	table := "checkpoints-" + hex.EncodeToString(b)
	if err := checkpoints.CreateTable(ctx, client, table); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s, err := checkpoints.NewDynamoStore(checkpoints.DynamoConfig{Client: client, Table: table, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func TestVersionKey(t *testing.T) {
	tests := []struct {
		o    checkpoints.ObjectID
		want string
	}{
		{checkpoints.ObjectID{Bucket: "b", Key: "k", VersionID: "v1", ETag: "e"}, "v:v1"},
		{checkpoints.ObjectID{Bucket: "b", Key: "k", ETag: `"abc"`}, "e:abc"},
	}
	for _, tc := range tests {
		if got := tc.o.Version(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.o, got, tc.want)
		}
	}
}

func TestLedger(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger, c *clock) {
		ctx := context.Background()
		o := checkpoints.ObjectID{Bucket: "landing", Key: "a b/c+d.jsonl", ETag: "e1"}
		l, err := s.Acquire(ctx, o, "inv-1", c.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if l.Epoch != 1 || l.Position != 0 || l.Status != checkpoints.InProgress {
			t.Fatalf("lease %+v", l)
		}
		// A second owner waits.
		if _, err := s.Acquire(ctx, o, "inv-2", c.Now().Add(time.Minute)); !errors.Is(err, checkpoints.ErrLeaseHeld) || !errclass.Is(err, errclass.Retriable) {
			t.Fatalf("second acquire: %v", err)
		}
		ends := []checkpoints.Offset{{"z", 1, 10}, {"a", 2, 5}, {"a", 0, 7}}
		if l, err = s.Save(ctx, l, 100, 250, ends); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Save(ctx, l, 50, 60, nil); !errors.Is(err, checkpoints.ErrBackwards) {
			t.Fatalf("backwards save: %v", err)
		}
		got, err := s.Get(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		want := []checkpoints.Offset{{"a", 0, 7}, {"a", 2, 5}, {"z", 1, 10}}
		if got.Position != 100 || got.ChunkEnd != 250 || len(got.Ends) != 3 || got.Ends[0] != want[0] || got.Ends[1] != want[1] || got.Ends[2] != want[2] {
			t.Fatalf("checkpoint %+v", got)
		}
		// The lease expires: a new owner takes over with a higher epoch and fences the old one.
		c.Advance(2 * time.Minute)
		l2, err := s.Acquire(ctx, o, "inv-2", c.Now().Add(time.Minute))
		if err != nil || l2.Epoch != 2 || l2.Position != 100 || l2.ChunkEnd != 250 {
			t.Fatalf("takeover: %+v %v", l2, err)
		}
		if _, err := s.Save(ctx, l, 200, 200, nil); !errors.Is(err, checkpoints.ErrFenced) {
			t.Fatalf("stale save: %v", err)
		}
		if err := s.Complete(ctx, l, 300); !errors.Is(err, checkpoints.ErrFenced) {
			t.Fatalf("stale complete: %v", err)
		}
		if err := s.Release(ctx, l); err != nil {
			t.Fatalf("stale release: %v", err)
		}
		if err := s.Complete(ctx, l2, 300); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Acquire(ctx, o, "inv-3", c.Now().Add(time.Minute)); !errors.Is(err, checkpoints.ErrComplete) {
			t.Fatalf("acquire of a complete object: %v", err)
		}
		got, _ = s.Get(ctx, o)
		if got.Status != checkpoints.Complete || got.Records != 300 || got.Owner != "" {
			t.Fatalf("complete checkpoint %+v", got)
		}
		// Another version of the same key is independent.
		if _, err := s.Acquire(ctx, checkpoints.ObjectID{Bucket: "landing", Key: "a b/c+d.jsonl", ETag: "e2"}, "inv-3", c.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestReleaseLetsTheNextOwnerIn(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger, c *clock) {
		ctx := context.Background()
		o := checkpoints.ObjectID{Bucket: "b", Key: "k", VersionID: "v"}
		l, err := s.Acquire(ctx, o, "a", c.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Release(ctx, l); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Acquire(ctx, o, "b", c.Now().Add(time.Hour)); err != nil {
			t.Fatalf("after release: %v", err)
		}
	})
}

func TestConcurrentAcquireOneWinner(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger, c *clock) {
		ctx := context.Background()
		o := checkpoints.ObjectID{Bucket: "b", Key: "race", ETag: "x"}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Acquire(ctx, o, string(rune('a'+i)), c.Now().Add(time.Minute)); err == nil {
					wins.Add(1)
				} else if !errors.Is(err, checkpoints.ErrLeaseHeld) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d owners, want 1", wins.Load())
		}
	})
}

func TestObserveSequencer(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger, _ *clock) {
		ctx := context.Background()
		steps := []struct {
			seq  string
			want bool
		}{
			{"0055AED6DCD90281E5", true},
			{"0055AED6DCD90281E5", true},   // a duplicate notification
			{"0055aed6dcd90281e500", true}, // equal once padded
			{"0055AED6DCD90281E4FF", false},
			{"0055AED6DCD90281E6", true},
			{"0055AED6DCD90281E5", false},
			{"", true},
		}
		for i, st := range steps {
			got, err := s.ObserveSequencer(ctx, "b", "k", st.seq)
			if err != nil || got != st.want {
				t.Errorf("step %d (%q): %v %v, want %v", i, st.seq, got, err, st.want)
			}
		}
		if ok, _ := s.ObserveSequencer(ctx, "b", "other", "00"); !ok {
			t.Error("another key is independent")
		}
	})
}
