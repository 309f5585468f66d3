package offsets

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// FileConfig configures a FileStore.
type FileConfig struct {
	// Path is the JSON file; "" keeps the state in memory only. A missing file is an empty store.
	Path string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// FileStore is a Store in a JSON file (or in memory), for local runs and tests. It is safe for
// concurrent use by the goroutines of one process.
type FileStore struct {
	path string
	now  func() time.Time

	mu    sync.Mutex
	items map[Key]item
}

// NewFileStore opens the store in the JSON file at path ("" = in memory) with the real clock.
func NewFileStore(path string) (*FileStore, error) {
	return OpenFileStore(FileConfig{Path: path})
}

// OpenFileStore opens the store cfg describes, loading the file if it exists.
func OpenFileStore(cfg FileConfig) (*FileStore, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &FileStore{path: cfg.Path, now: cfg.Now, items: map[Key]item{}}
	if cfg.Path == "" {
		return s, nil
	}
	b, err := os.ReadFile(cfg.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, "offsets file "+cfg.Path, err)
	}
	if s.items, err = decodeFile(b); err != nil {
		return nil, errclass.New(errclass.BadConfig, "offsets file "+cfg.Path, err)
	}
	return s, nil
}

// fileFormat is the file's JSON document.
type fileFormat struct {
	Partitions []item `json:"partitions"`
}

func decodeFile(b []byte) (map[Key]item, error) {
	var f fileFormat
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decoding: data after the JSON document")
	}
	items := make(map[Key]item, len(f.Partitions))
	for i, it := range f.Partitions {
		k := it.key()
		if err := k.validate(); err != nil {
			return nil, fmt.Errorf("partitions[%d]: %w", i, err)
		}
		if _, dup := items[k]; dup {
			return nil, fmt.Errorf("partitions[%d]: %s appears twice", i, k)
		}
		if it.Next < -1 || it.Epoch < 0 {
			return nil, fmt.Errorf("partitions[%d]: %s: next_offset %d, epoch %d out of range", i, k, it.Next, it.Epoch)
		}
		if it.Owner == "" {
			it.Until = 0
		}
		if len(it.Pending) == 0 {
			it.Pending = nil
		}
		items[k] = it
	}
	return items, nil
}

func encodeFile(items map[Key]item) ([]byte, error) {
	f := fileFormat{Partitions: make([]item, 0, len(items))}
	for _, it := range items {
		f.Partitions = append(f.Partitions, it)
	}
	slices.SortFunc(f.Partitions, func(a, b item) int {
		return cmp.Or(strings.Compare(a.Connector, b.Connector), strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// update applies change to k's item (the zero item with Next -1 when missing) under the lock, and
// stores the result, on disk first. change returns false to leave the store unchanged.
func (s *FileStore) update(k Key, change func(it *item, nowMs int64) (bool, error)) (item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[k]
	if !ok {
		it = item{Connector: k.Connector, Topic: k.Topic, Partition: k.Partition, Next: -1}
	}
	nowMs := toMillis(s.now())
	it.Pending = slices.Clone(it.Pending)
	changed, err := change(&it, nowMs)
	if err != nil || !changed {
		return it, err
	}
	it.Updated = nowMs
	if s.path != "" {
		next := make(map[Key]item, len(s.items)+1)
		for k, v := range s.items {
			next[k] = v
		}
		next[k] = it
		if err := s.save(next); err != nil {
			return it, errclass.New(errclass.Retriable, subject(k), err)
		}
	}
	s.items[k] = it
	return it, nil
}

// save writes items to the file atomically: a temporary file in the same directory, renamed. The
// file survives a crash of the process; it is not synced, so a crash of the machine may lose it.
func (s *FileStore) save(items map[Key]item) error {
	b, err := encodeFile(items)
	if err != nil {
		return fmt.Errorf("offsets file %s: %w", s.path, err)
	}
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".*")
	if err != nil {
		return fmt.Errorf("offsets file %s: %w", s.path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("offsets file %s: writing %s: %w", s.path, tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("offsets file %s: %w", s.path, err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("offsets file %s: %w", s.path, err)
	}
	return nil
}

// Acquire takes k's lease for owner until the given time. It succeeds when no lease is held, the
// held one expired, or owner holds it already; it raises the epoch and returns the partition's
// state. ErrLeaseHeld otherwise.
func (s *FileStore) Acquire(ctx context.Context, k Key, owner string, until time.Time) (Lease, error) {
	if err := checkAcquire(k, owner); err != nil {
		return Lease{}, err
	}
	it, err := s.update(k, func(it *item, nowMs int64) (bool, error) {
		if it.held(nowMs) && it.Owner != owner {
			return false, heldErr(k, it)
		}
		it.Owner, it.Until = owner, toMillis(until)
		it.Epoch++
		return true, nil
	})
	if err != nil {
		return Lease{}, err
	}
	return it.state(), nil
}

// SetPending records the IDs of the writes l's owner is about to make (nil clears them).
// ErrFenced when l is no longer the current lease.
func (s *FileStore) SetPending(ctx context.Context, l Lease, ids []string) error {
	if err := checkLease(l); err != nil {
		return err
	}
	_, err := s.update(l.Key, func(it *item, _ int64) (bool, error) {
		if !it.current(l) {
			return false, fencedErr(l, it)
		}
		it.Pending = nil
		if len(ids) > 0 {
			it.Pending = slices.Clone(ids)
		}
		return true, nil
	})
	return err
}

// Commit sets the next offset to process and clears the pending writes. ErrFenced when l is no
// longer the current lease; ErrBackwards when next is below the committed offset.
func (s *FileStore) Commit(ctx context.Context, l Lease, next int64) error {
	if err := checkCommit(l, next); err != nil {
		return err
	}
	_, err := s.update(l.Key, func(it *item, _ int64) (bool, error) {
		if !it.current(l) {
			return false, fencedErr(l, it)
		}
		if next < it.Next {
			return false, backwardsErr(l.Key, next, it.Next)
		}
		it.Next, it.Pending = next, nil
		return true, nil
	})
	return err
}

// Release gives up l. Releasing a lease that is no longer current does nothing.
func (s *FileStore) Release(ctx context.Context, l Lease) error {
	if err := checkLease(l); err != nil {
		if errors.Is(err, ErrFenced) {
			return nil
		}
		return err
	}
	_, err := s.update(l.Key, func(it *item, _ int64) (bool, error) {
		if !it.current(l) {
			return false, nil
		}
		it.Owner, it.Until = "", 0
		return true, nil
	})
	return err
}

// Get returns k's state; Next is -1 when nothing is stored.
func (s *FileStore) Get(ctx context.Context, k Key) (State, error) {
	if err := k.validate(); err != nil {
		return State{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[k]
	if !ok {
		return State{Key: k, Next: -1}, nil
	}
	return it.state(), nil
}

// List returns the states of connector's partitions, sorted by topic and partition.
func (s *FileStore) List(ctx context.Context, connector string) ([]State, error) {
	if connector == "" {
		return nil, errclass.Config("offsets", "List with an empty connector name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []State
	for k, it := range s.items {
		if k.Connector == connector {
			out = append(out, it.state())
		}
	}
	sortStates(out)
	return out, nil
}

// Reset sets k's next offset (backwards too; -1 for none), raises the epoch and drops the lease,
// fencing its holder. Without force it fails with ErrLeaseHeld while an unexpired lease is held.
// Pending writes are kept, for the next owner to discard.
func (s *FileStore) Reset(ctx context.Context, k Key, next int64, force bool) error {
	if err := checkReset(k, next); err != nil {
		return err
	}
	_, err := s.update(k, func(it *item, nowMs int64) (bool, error) {
		if !force && it.held(nowMs) {
			return false, heldErr(k, it)
		}
		it.Next = next
		it.Owner, it.Until = "", 0
		it.Epoch++
		return true, nil
	})
	return err
}
