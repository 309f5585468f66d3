package offsets

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// item is a partition's state as both stores keep it: the DynamoDB attributes, and the JSON
// object of FileStore.
type item struct {
	Connector string   `json:"connector"`
	Topic     string   `json:"topic"`
	Partition int32    `json:"partition"`
	Next      int64    `json:"next_offset"`
	Owner     string   `json:"lease_owner,omitempty"`
	Until     int64    `json:"lease_until,omitempty"` // unix ms
	Epoch     int64    `json:"epoch"`
	Pending   []string `json:"pending,omitempty"`
	Updated   int64    `json:"updated_at"` // unix ms
}

func (it *item) key() Key {
	return Key{Connector: it.Connector, Topic: it.Topic, Partition: it.Partition}
}

// held reports whether an unexpired lease is held at nowMs.
func (it *item) held(nowMs int64) bool { return it.Owner != "" && it.Until >= nowMs }

// current reports whether l is the lease the item holds.
func (it *item) current(l Lease) bool { return it.Owner == l.Owner && it.Epoch == l.Epoch }

func (it *item) state() State {
	s := State{Key: it.key(), Next: it.Next, Owner: it.Owner, Epoch: it.Epoch, Updated: fromMillis(it.Updated)}
	if it.Owner != "" {
		s.Until = fromMillis(it.Until)
	}
	if len(it.Pending) > 0 {
		s.Pending = slices.Clone(it.Pending)
	}
	return s
}

// partitionKey is the range key of k's item: "<topic>/<partition zero-padded to 10>", so that a
// topic's partitions sort in numeric order.
func partitionKey(k Key) string {
	return k.Topic + "/" + fmt.Sprintf("%010d", k.Partition)
}

func toMillis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func subject(k Key) string { return "partition " + k.String() }

// validate checks a key before it reaches a store.
func (k Key) validate() error {
	var errs []error
	if k.Connector == "" {
		errs = append(errs, errors.New("empty connector name"))
	}
	if k.Topic == "" {
		errs = append(errs, errors.New("empty topic"))
	}
	if strings.ContainsRune(k.Topic, '/') {
		errs = append(errs, fmt.Errorf("topic %q contains '/'", k.Topic))
	}
	if k.Partition < 0 {
		errs = append(errs, fmt.Errorf("negative partition %d", k.Partition))
	}
	if err := errors.Join(errs...); err != nil {
		return errclass.New(errclass.BadConfig, subject(k), fmt.Errorf("offsets: invalid key: %w", err))
	}
	return nil
}

func checkAcquire(k Key, owner string) error {
	if err := k.validate(); err != nil {
		return err
	}
	if owner == "" {
		return errclass.Config(subject(k), "offsets: acquire with an empty owner")
	}
	return nil
}

// checkLease rejects a lease that cannot be current: a zero Lease, or one never acquired.
func checkLease(l Lease) error {
	if err := l.Key.validate(); err != nil {
		return err
	}
	if l.Owner == "" || l.Epoch <= 0 {
		return errclass.New(errclass.Retriable, subject(l.Key), fmt.Errorf("lease of owner %q epoch %d is not a held lease: %w", l.Owner, l.Epoch, ErrFenced))
	}
	return nil
}

func checkCommit(l Lease, next int64) error {
	if err := checkLease(l); err != nil {
		return err
	}
	if next < 0 {
		return errclass.Config(subject(l.Key), "offsets: commit of negative offset %d", next)
	}
	return nil
}

func checkReset(k Key, next int64) error {
	if err := k.validate(); err != nil {
		return err
	}
	if next < -1 {
		return errclass.Config(subject(k), "offsets: reset to offset %d (want -1 or more)", next)
	}
	return nil
}

// The errors of a failed condition, from the item as it was (nil when missing).

func heldErr(k Key, old *item) error {
	return errclass.New(errclass.Retriable, subject(k),
		fmt.Errorf("held by %q until %s: %w", old.Owner, fromMillis(old.Until).Format(time.RFC3339Nano), ErrLeaseHeld))
}

func fencedErr(l Lease, old *item) error {
	now := "no lease"
	switch {
	case old == nil:
		now = "no state"
	case old.Owner != "":
		now = fmt.Sprintf("owner %q epoch %d", old.Owner, old.Epoch)
	default:
		now = fmt.Sprintf("no owner, epoch %d", old.Epoch)
	}
	return errclass.New(errclass.Retriable, subject(l.Key),
		fmt.Errorf("lease of owner %q epoch %d (now %s): %w", l.Owner, l.Epoch, now, ErrFenced))
}

func backwardsErr(k Key, next, stored int64) error {
	return errclass.New(errclass.Retriable, subject(k),
		fmt.Errorf("commit of next offset %d below the committed %d: %w", next, stored, ErrBackwards))
}

// sortStates orders states by topic, then partition.
func sortStates(states []State) {
	slices.SortFunc(states, func(a, b State) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return cmp.Compare(a.Partition, b.Partition)
	})
}
