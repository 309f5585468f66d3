package offsets_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

// store is everything both stores offer; core/sink.Store is its first four methods.
type store interface {
	Acquire(ctx context.Context, k offsets.Key, owner string, until time.Time) (offsets.Lease, error)
	SetPending(ctx context.Context, l offsets.Lease, ids []string) error
	Commit(ctx context.Context, l offsets.Lease, next int64) error
	Release(ctx context.Context, l offsets.Lease) error
	Get(ctx context.Context, k offsets.Key) (offsets.State, error)
	List(ctx context.Context, connector string) ([]offsets.State, error)
	Reset(ctx context.Context, k offsets.Key, next int64, force bool) error
}

var (
	_ store = (*offsets.FileStore)(nil)
	_ store = (*offsets.DynamoStore)(nil)
)

// clock is a controllable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// factory opens a fresh, empty store on the given clock.
type factory struct {
	name string
	open func(t *testing.T, now func() time.Time) store
}

func factories() []factory {
	return []factory{
		{"file-memory", func(t *testing.T, now func() time.Time) store {
			s, err := offsets.OpenFileStore(offsets.FileConfig{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"file-disk", func(t *testing.T, now func() time.Time) store {
			path := filepath.Join(t.TempDir(), "offsets.json")
			s, err := offsets.OpenFileStore(offsets.FileConfig{Path: path, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			// What is on disk is what the store holds.
			t.Cleanup(func() {
				if t.Failed() {
					return
				}
				re, err := offsets.OpenFileStore(offsets.FileConfig{Path: path, Now: now})
				if err != nil {
					t.Fatalf("reopening %s: %v", path, err)
				}
				for _, conn := range []string{connector, "other"} {
					want, _ := s.List(context.Background(), conn)
					got, err := re.List(context.Background(), conn)
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != len(want) {
						t.Fatalf("reopened file holds %d partitions of %s, the store %d", len(got), conn, len(want))
					}
					for i := range want {
						checkState(t, "reopened", got[i], want[i])
					}
				}
			})
			return s
		}},
		{"dynamodb", func(t *testing.T, now func() time.Time) store {
			if testing.Short() {
				t.Skip("DynamoDB Local is not started in -short mode")
			}
			s, err := offsets.NewDynamoStore(offsets.DynamoConfig{Client: dynamoTable(t), Table: tableName(t), Now: now})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	}
}

// dynamoTable creates a table with a random name in the shared DynamoDB Local, deleted when t
// ends, and returns the client; tableName(t) returns the name.
func dynamoTable(t *testing.T) *dynamodb.Client {
	t.Helper()
	ctx := context.Background()
	client, err := dynamolocal.Client(ctx, dynamolocal.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "offsets-test-" + hex.EncodeToString(b)
	tables.Store(t, name)
	if err := offsets.CreateTable(ctx, client, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return client
}

var tables sync.Map // *testing.T -> table name

func tableName(t *testing.T) string {
	v, _ := tables.Load(t)
	return v.(string)
}

const connector = "conn"

var (
	ctx = context.Background()
	k   = offsets.Key{Connector: connector, Topic: "orders", Partition: 3}
)

// checkState compares two states, times by instant.
func checkState(t *testing.T, what string, got, want offsets.State) {
	t.Helper()
	if got.Key != want.Key || got.Next != want.Next || got.Owner != want.Owner || got.Epoch != want.Epoch ||
		!got.Until.Equal(want.Until) || !got.Updated.Equal(want.Updated) || !slices.Equal(got.Pending, want.Pending) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func mustAcquire(t *testing.T, s store, k offsets.Key, owner string, until time.Time) offsets.Lease {
	t.Helper()
	l, err := s.Acquire(ctx, k, owner, until)
	if err != nil {
		t.Fatalf("Acquire(%s, %s): %v", k, owner, err)
	}
	return l
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr checks that err is target, Retriable, and names the partition.
func wantErr(t *testing.T, what string, err, target error, k offsets.Key) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
	if !errclass.Is(err, errclass.Retriable) {
		t.Fatalf("%s: error %v is %v, want retriable", what, err, errclass.Of(err))
	}
	if !strings.Contains(err.Error(), k.String()) {
		t.Fatalf("%s: error %q does not name %s", what, err, k)
	}
}

type conformanceCase struct {
	name string
	run  func(t *testing.T, s store, clk *clock)
}

var conformance = []conformanceCase{
	{"first acquire", func(t *testing.T, s store, clk *clock) {
		now := clk.Now()
		until := now.Add(time.Minute + 1500*time.Microsecond) // kept in milliseconds
		l := mustAcquire(t, s, k, "a", until)
		want := offsets.State{Key: k, Next: -1, Owner: "a", Until: until.Truncate(time.Millisecond), Epoch: 1, Updated: now}
		checkState(t, "lease", l, want)
		got, err := s.Get(ctx, k)
		must(t, err)
		checkState(t, "Get", got, want)
	}},
	{"re-acquire by the same owner", func(t *testing.T, s store, clk *clock) {
		l1 := mustAcquire(t, s, k, "a", clk.Now().Add(time.Minute))
		must(t, s.Commit(ctx, l1, 7))
		clk.Advance(time.Second)
		l2 := mustAcquire(t, s, k, "a", clk.Now().Add(2*time.Minute))
		checkState(t, "second lease", l2, offsets.State{Key: k, Next: 7, Owner: "a", Until: clk.Now().Add(2 * time.Minute), Epoch: 2, Updated: clk.Now()})
		// The first lease is stale now.
		wantErr(t, "SetPending with the first lease", s.SetPending(ctx, l1, []string{"x"}), offsets.ErrFenced, k)
	}},
	{"held by another owner", func(t *testing.T, s store, clk *clock) {
		until := clk.Now().Add(time.Minute)
		l := mustAcquire(t, s, k, "a", until)
		for _, at := range []time.Duration{0, time.Minute} { // held until and including Until
			clk.Advance(at)
			_, err := s.Acquire(ctx, k, "b", clk.Now().Add(time.Minute))
			wantErr(t, fmt.Sprintf("Acquire by b at +%v", at), err, offsets.ErrLeaseHeld, k)
			if !strings.Contains(err.Error(), `"a"`) {
				t.Fatalf("error %q does not name the holder", err)
			}
		}
		got, err := s.Get(ctx, k)
		must(t, err)
		checkState(t, "state after refusals", got, l)
	}},
	{"expired lease taken over", func(t *testing.T, s store, clk *clock) {
		a := mustAcquire(t, s, k, "a", clk.Now().Add(time.Minute))
		must(t, s.Commit(ctx, a, 10))
		must(t, s.SetPending(ctx, a, []string{"obj-10", "obj-15"}))
		clk.Advance(time.Minute + time.Millisecond)
		b := mustAcquire(t, s, k, "b", clk.Now().Add(time.Minute))
		checkState(t, "taken-over lease", b, offsets.State{Key: k, Next: 10, Owner: "b", Until: clk.Now().Add(time.Minute), Epoch: 2, Pending: []string{"obj-10", "obj-15"}, Updated: clk.Now()})
	}},
	{"fenced after takeover", func(t *testing.T, s store, clk *clock) {
		a := mustAcquire(t, s, k, "a", clk.Now().Add(time.Minute))
		clk.Advance(2 * time.Minute)
		b := mustAcquire(t, s, k, "b", clk.Now().Add(time.Minute))
		wantErr(t, "SetPending by a", s.SetPending(ctx, a, []string{"stale"}), offsets.ErrFenced, k)
		wantErr(t, "Commit by a", s.Commit(ctx, a, 99), offsets.ErrFenced, k)
		must(t, s.Release(ctx, a)) // a fenced release is not an error...
		got, err := s.Get(ctx, k)
		must(t, err)
		checkState(t, "state after a's attempts", got, b) // ...and changes nothing
		must(t, s.SetPending(ctx, b, []string{"fresh"}))
		must(t, s.Commit(ctx, b, 5))
		// The same owner name with an older epoch is fenced too.
		clk.Advance(2 * time.Minute)
		a2 := mustAcquire(t, s, k, "a", clk.Now().Add(time.Minute))
		a2.Epoch--
		wantErr(t, "Commit with an old epoch", s.Commit(ctx, a2, 6), offsets.ErrFenced, k)
	}},
	{"commit never moves backwards", func(t *testing.T, s store, clk *clock) {
		l := mustAcquire(t, s, k, "a", clk.Now().Add(time.Minute))
		must(t, s.SetPending(ctx, l, []string{"w1"}))
		must(t, s.Commit(ctx, l, 10))
		must(t, s.SetPending(ctx, l, []string{"w2"}))
		must(t, s.Commit(ctx, l, 10)) // the same offset again is fine
		err := s.Commit(ctx, l, 9)
		wantErr(t, "Commit(9) after 10", err, offsets.ErrBackwards, k)
		if errors.Is(err, offsets.ErrFenced) {
			t.Fatalf("backwards commit reported as fenced: %v", err)
		}
		got, err := s.Get(ctx, k)
		must(t, err)
		if got.Next != 10 || got.Pending != nil {
			t.Fatalf("after commits: Next %d, Pending %q; want 10 and none", got.Next, got.Pending)
		}
		must(t, s.Commit(ctx, l, 11))
	}},
	{"pending set, replaced and cleared", func(t *testing.T, s store, clk *clock) {
		l := mustAcquire(t, s, k, "a", clk.Now().Add(time.Minute))
		for _, ids := range [][]string{{"b", "a", "c"}, {"d"}, nil, {}} {
			must(t, s.SetPending(ctx, l, ids))
			got, err := s.Get(ctx, k)
			must(t, err)
			want := ids
			if len(want) == 0 {
				want = nil
			}
			if !slices.Equal(got.Pending, want) || (got.Pending == nil) != (want == nil) {
				t.Fatalf("after SetPending(%q): Pending %q", ids, got.Pending)
			}
		}
	}},
	{"release then acquire", func(t *testing.T, s store, clk *clock) {
		a := mustAcquire(t, s, k, "a", clk.Now().Add(time.Hour))
		must(t, s.Commit(ctx, a, 3))
		clk.Advance(time.Second)
		must(t, s.Release(ctx, a))
		got, err := s.Get(ctx, k)
		must(t, err)
		checkState(t, "released", got, offsets.State{Key: k, Next: 3, Epoch: 1, Updated: clk.Now()})
		b := mustAcquire(t, s, k, "b", clk.Now().Add(time.Minute)) // long before a's lease would expire
		if b.Epoch != 2 || b.Next != 3 {
			t.Fatalf("lease after release: %+v", b)
		}
		wantErr(t, "Commit by a after its release", s.Commit(ctx, a, 4), offsets.ErrFenced, k)
		must(t, s.Release(ctx, a)) // releasing twice is harmless
		got, err = s.Get(ctx, k)
		must(t, err)
		if got.Owner != "b" {
			t.Fatalf("a's second release dropped b's lease: %+v", got)
		}
	}},
	{"get and list", func(t *testing.T, s store, clk *clock) {
		missing := offsets.Key{Connector: connector, Topic: "none", Partition: 0}
		got, err := s.Get(ctx, missing)
		must(t, err)
		checkState(t, "missing", got, offsets.State{Key: missing, Next: -1})
		list, err := s.List(ctx, connector)
		must(t, err)
		if len(list) != 0 {
			t.Fatalf("List of an empty store: %+v", list)
		}

		keys := []offsets.Key{ // inserted out of order; List sorts by topic, then partition number
			{Connector: connector, Topic: "a", Partition: 10},
			{Connector: connector, Topic: "a.b", Partition: 0},
			{Connector: connector, Topic: "a", Partition: 2},
			{Connector: "other", Topic: "a", Partition: 1},
			{Connector: connector, Topic: "B", Partition: 2147483647},
		}
		for i, key := range keys {
			l := mustAcquire(t, s, key, "a", clk.Now().Add(time.Minute))
			must(t, s.Commit(ctx, l, int64(100*i)))
			if i%2 == 0 {
				must(t, s.Release(ctx, l))
			}
		}
		list, err = s.List(ctx, connector)
		must(t, err)
		var gotKeys []string
		for _, st := range list {
			gotKeys = append(gotKeys, st.Key.String())
			one, err := s.Get(ctx, st.Key)
			must(t, err)
			checkState(t, "Get of "+st.Key.String(), one, st)
		}
		wantKeys := []string{"conn/B/2147483647", "conn/a/2", "conn/a/10", "conn/a.b/0"}
		if !slices.Equal(gotKeys, wantKeys) {
			t.Fatalf("List order %q, want %q", gotKeys, wantKeys)
		}
		if list[2].Next != 0 || list[2].Owner != "" || list[3].Next != 100 || list[3].Owner != "a" {
			t.Fatalf("List states: %+v", list)
		}
		other, err := s.List(ctx, "other")
		must(t, err)
		if len(other) != 1 || other[0].Next != 300 {
			t.Fatalf("List(other): %+v", other)
		}
	}},
	{"reset", func(t *testing.T, s store, clk *clock) {
		// On a partition never seen.
		must(t, s.Reset(ctx, k, 5, false))
		got, err := s.Get(ctx, k)
		must(t, err)
		checkState(t, "reset of a new partition", got, offsets.State{Key: k, Next: 5, Epoch: 1, Updated: clk.Now()})

		a := mustAcquire(t, s, k, "a", clk.Now().Add(time.Minute))
		must(t, s.Commit(ctx, a, 50))
		must(t, s.SetPending(ctx, a, []string{"p"}))
		wantErr(t, "Reset while held", s.Reset(ctx, k, 20, false), offsets.ErrLeaseHeld, k)
		got, err = s.Get(ctx, k)
		must(t, err)
		if got.Next != 50 || got.Owner != "a" {
			t.Fatalf("a refused reset changed the state: %+v", got)
		}

		clk.Advance(time.Second)
		must(t, s.Reset(ctx, k, 20, true)) // backwards, forced
		got, err = s.Get(ctx, k)
		must(t, err)
		checkState(t, "after forced reset", got, offsets.State{Key: k, Next: 20, Epoch: a.Epoch + 1, Pending: []string{"p"}, Updated: clk.Now()})
		wantErr(t, "Commit by the holder after a forced reset", s.Commit(ctx, a, 60), offsets.ErrFenced, k)

		// An expired lease does not block a reset, and its holder is fenced by it.
		b := mustAcquire(t, s, k, "b", clk.Now().Add(time.Minute))
		clk.Advance(2 * time.Minute)
		must(t, s.Reset(ctx, k, -1, false))
		wantErr(t, "Commit by an expired holder after a reset", s.Commit(ctx, b, 30), offsets.ErrFenced, k)
		c := mustAcquire(t, s, k, "c", clk.Now().Add(time.Minute))
		if c.Next != -1 || c.Epoch != b.Epoch+2 || !slices.Equal(c.Pending, []string{"p"}) {
			t.Fatalf("lease after resets: %+v", c)
		}
	}},
	{"invalid arguments", func(t *testing.T, s store, clk *clock) {
		until := clk.Now().Add(time.Minute)
		for _, tc := range []struct {
			what  string
			err   error
			class errclass.Class
		}{
			{"empty owner", errOf(s.Acquire(ctx, k, "", until)), errclass.BadConfig},
			{"empty connector", errOf(s.Acquire(ctx, offsets.Key{Topic: "t"}, "a", until)), errclass.BadConfig},
			{"negative partition", errOf(s.Get(ctx, offsets.Key{Connector: "c", Topic: "t", Partition: -1})), errclass.BadConfig},
			{"topic with a slash", errOf(s.Acquire(ctx, offsets.Key{Connector: "c", Topic: "a/b"}, "a", until)), errclass.BadConfig},
			{"reset below -1", s.Reset(ctx, k, -2, true), errclass.BadConfig},
			{"list without connector", errOf(s.List(ctx, "")), errclass.BadConfig},
			{"zero lease SetPending", s.SetPending(ctx, offsets.Lease{Key: k}, nil), errclass.Retriable},
			{"zero lease Commit", s.Commit(ctx, offsets.Lease{Key: k}, 1), errclass.Retriable},
		} {
			if !errclass.Is(tc.err, tc.class) {
				t.Errorf("%s: error %v (%v), want %v", tc.what, tc.err, errclass.Of(tc.err), tc.class)
			}
		}
		l := mustAcquire(t, s, k, "a", until)
		if err := s.Commit(ctx, l, -1); !errclass.Is(err, errclass.BadConfig) {
			t.Errorf("Commit(-1): %v", err)
		}
		if err := s.Release(ctx, offsets.Lease{Key: k}); err != nil {
			t.Errorf("Release of a zero lease: %v", err)
		}
	}},
}

func errOf[T any](_ T, err error) error { return err }

func TestConformance(t *testing.T) {
	for _, f := range factories() {
		t.Run(f.name, func(t *testing.T) {
			for _, c := range conformance {
				t.Run(c.name, func(t *testing.T) {
					clk := newClock()
					c.run(t, f.open(t, clk.Now), clk)
				})
			}
		})
	}
}

// TestConcurrentLeases hammers one partition from many goroutines: at most one of them holds the
// lease at any time, and the offset only grows.
func TestConcurrentLeases(t *testing.T) {
	for _, f := range factories() {
		t.Run(f.name, func(t *testing.T) {
			const workers, rounds = 8, 15
			s := f.open(t, time.Now)
			var (
				holder   atomic.Int32 // worker holding the lease, 0 for none
				commits  atomic.Int64
				refused  atomic.Int64 // Acquires refused with ErrLeaseHeld
				lastSeen atomic.Int64 // the highest Next an Acquire returned
				wg       sync.WaitGroup
			)
			lastSeen.Store(-1)
			errs := make(chan error, workers)
			for w := int32(1); w <= workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					owner := fmt.Sprintf("worker-%d", w)
					for done := 0; done < rounds; {
						l, err := s.Acquire(ctx, k, owner, time.Now().Add(time.Hour))
						if errors.Is(err, offsets.ErrLeaseHeld) {
							refused.Add(1)
							time.Sleep(time.Millisecond)
							continue
						}
						if err != nil {
							errs <- err
							return
						}
						if prev := holder.Swap(w); prev != 0 {
							errs <- fmt.Errorf("%s acquired while worker-%d held the lease", owner, prev)
							return
						}
						if seen := lastSeen.Load(); l.Next < seen {
							errs <- fmt.Errorf("%s saw Next %d after %d", owner, l.Next, seen)
							return
						}
						next := max(l.Next, 0) + 1
						if err := s.Commit(ctx, l, next); err != nil {
							errs <- fmt.Errorf("%s: commit of %d under a held lease: %w", owner, next, err)
							return
						}
						lastSeen.Store(next)
						commits.Add(1)
						done++
						holder.Store(0) // before Release: afterwards another may hold it
						if err := s.Release(ctx, l); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			t.Logf("%d commits, %d acquires refused", commits.Load(), refused.Load())
			for err := range errs {
				t.Error(err)
			}
			got, err := s.Get(ctx, k)
			must(t, err)
			if got.Next != commits.Load() || got.Next != workers*rounds {
				t.Fatalf("Next %d after %d commits, want %d", got.Next, commits.Load(), workers*rounds)
			}
			if got.Owner != "" || got.Epoch != workers*rounds {
				t.Fatalf("final state %+v: want no owner and epoch %d", got, workers*rounds)
			}
		})
	}
}
