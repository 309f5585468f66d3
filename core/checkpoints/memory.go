package checkpoints

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// MemoryStore is the ledger in memory, for one process: the sandbox (cmd/lambda-connect dev) and
// tests that need no DynamoDB. Every method keeps DynamoStore's conditions and errors, applied
// under one lock instead of DynamoDB's conditional updates; the checkpoints tests run the same
// table against both. Nothing expires: COMPLETE items stay for the life of the store.
type MemoryStore struct {
	mu    sync.Mutex
	now   func() time.Time
	items map[ObjectID]*Checkpoint
	seqs  map[string]string // "<bucket>/<key>" -> the greatest normalised sequencer
}

// NewMemoryStore returns an empty ledger. now is its clock (nil: time.Now).
func NewMemoryStore(now func() time.Time) *MemoryStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{now: now, items: map[ObjectID]*Checkpoint{}, seqs: map[string]string{}}
}

// canonical is the item's identity: what DynamoStore's key holds.
func canonical(o ObjectID) ObjectID {
	return ObjectID{Bucket: o.Bucket, Key: o.Key, VersionID: o.Version()}
}

func (m *MemoryStore) item(o ObjectID) *Checkpoint {
	c := m.items[canonical(o)]
	if c == nil {
		c = &Checkpoint{Object: o, Status: InProgress}
		m.items[canonical(o)] = c
	}
	return c
}

func snapshot(c *Checkpoint, o ObjectID) Checkpoint {
	out := *c
	out.Object = o
	out.Ends = append([]Offset(nil), c.Ends...)
	return out
}

// Acquire takes o's lease for owner until the given time, raising the epoch. ErrComplete when
// the object is complete, ErrLeaseHeld when another owner holds an unexpired lease.
func (m *MemoryStore) Acquire(ctx context.Context, o ObjectID, owner string, until time.Time) (Lease, error) {
	if err := o.validate(); err != nil || owner == "" {
		if err == nil {
			err = errors.New("empty owner")
		}
		return Lease{}, errclass.New(errclass.BadConfig, "checkpoint", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	c := m.item(o)
	if c.Status == Complete {
		return Lease{}, errclass.New(errclass.Retriable, o.String(), fmt.Errorf("%w (%d records)", ErrComplete, c.Records))
	}
	if c.Owner != "" && c.Owner != owner && ms(c.Until) >= ms(now) {
		return Lease{}, errclass.New(errclass.Retriable, o.String(), fmt.Errorf("%w: %s until %s", ErrLeaseHeld, c.Owner, c.Until.UTC().Format(time.RFC3339Nano)))
	}
	c.Owner, c.Until, c.Updated = owner, time.UnixMilli(ms(until)), time.UnixMilli(ms(now))
	c.Epoch++
	return snapshot(c, o), nil
}

// current reports whether l is the item's current lease.
func current(c *Checkpoint, l Lease) bool { return c.Owner == l.Owner && c.Epoch == l.Epoch }

func fencedErr(c *Checkpoint, l Lease) error {
	return errclass.New(errclass.Retriable, l.Object.String(), fmt.Errorf("%w (epoch %d, now %d held by %q)", ErrFenced, l.Epoch, c.Epoch, c.Owner))
}

// Save is DynamoStore.Save.
func (m *MemoryStore) Save(ctx context.Context, l Lease, position, chunkEnd int64, ends []Offset) (Lease, error) {
	if position < l.Position || chunkEnd < position {
		return l, errclass.New(errclass.Retriable, l.Object.String(), fmt.Errorf("%w: position %d after %d, chunk end %d", ErrBackwards, position, l.Position, chunkEnd))
	}
	ends = append([]Offset(nil), ends...)
	SortOffsets(ends)
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.item(l.Object)
	if !current(c, l) || c.Position > position {
		return l, fencedErr(c, l)
	}
	c.Position, c.ChunkEnd, c.Ends, c.Updated = position, chunkEnd, ends, time.UnixMilli(ms(m.now()))
	l.Position, l.ChunkEnd, l.Ends = position, chunkEnd, append([]Offset(nil), ends...)
	return l, nil
}

// Complete is DynamoStore.Complete.
func (m *MemoryStore) Complete(ctx context.Context, l Lease, records int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.item(l.Object)
	if !current(c, l) {
		return fencedErr(c, l)
	}
	c.Status, c.Position, c.ChunkEnd, c.Records = Complete, records, records, records
	c.Owner, c.Until, c.Ends, c.Updated = "", time.Time{}, nil, time.UnixMilli(ms(m.now()))
	return nil
}

// Release is DynamoStore.Release: releasing a lease that is no longer current does nothing.
func (m *MemoryStore) Release(ctx context.Context, l Lease) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.item(l.Object)
	if current(c, l) {
		c.Owner, c.Until, c.Updated = "", time.Time{}, time.UnixMilli(ms(m.now()))
	}
	return nil
}

// Get is DynamoStore.Get.
func (m *MemoryStore) Get(ctx context.Context, o ObjectID) (Checkpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.items[canonical(o)]
	if !ok {
		return Checkpoint{Object: o, Status: InProgress}, nil
	}
	return snapshot(c, o), nil
}

// ObserveSequencer is DynamoStore.ObserveSequencer.
func (m *MemoryStore) ObserveSequencer(ctx context.Context, bucket, key, seq string) (bool, error) {
	if seq == "" {
		return true, nil
	}
	norm := normalizeSequencer(seq)
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.seqs[bucket+"/"+key]; ok && old > norm {
		return false, nil
	}
	m.seqs[bucket+"/"+key] = norm
	return true, nil
}
