// Package offsets stores, per (connector, topic, partition), the next offset a sink connector has
// to process, together with the lease that lets exactly one invocation at a time work on the
// partition and the list of writes that invocation has announced but not yet committed.
//
// Two stores share one contract (see the conformance suite in store_test.go): DynamoStore, a
// DynamoDB table, for Lambda; FileStore, a JSON file guarded by a mutex, for local runs.
//
// Every change is conditional: Acquire succeeds only when no other owner holds an unexpired lease,
// and it raises the partition's epoch; SetPending, Commit and Release succeed only for the lease
// holding the current epoch (ErrFenced otherwise); Commit never moves the offset backwards.
package offsets

import (
	"errors"
	"strconv"
	"time"
)

// Key names one partition of one connector.
type Key struct {
	Connector string
	Topic     string
	Partition int32
}

// String formats k as "connector/topic/partition".
func (k Key) String() string {
	return k.Connector + "/" + k.Topic + "/" + strconv.FormatInt(int64(k.Partition), 10)
}

// State is what the store holds for a partition.
type State struct {
	Key
	// Next is the next offset to process (Kafka's committed-offset convention); records with a
	// lower offset are done. -1 when nothing was ever committed.
	Next int64
	// Owner and Until describe the current lease; Owner is empty when none is held.
	Owner string
	Until time.Time
	// Epoch rises by one at every Acquire.
	Epoch int64
	// Pending lists the IDs of writes (S3 object keys) announced by an owner that has not
	// committed them. A new owner discards them before writing.
	Pending []string
	// Updated is when the state last changed.
	Updated time.Time
}

// Lease is a held lease: the state as Acquire left it.
type Lease = State

var (
	// ErrLeaseHeld is returned by Acquire when another owner holds an unexpired lease.
	ErrLeaseHeld = errors.New("offsets: partition lease held by another invocation")
	// ErrFenced is returned when the caller's lease is no longer the current one (it expired and
	// another owner acquired the partition, or it was released).
	ErrFenced = errors.New("offsets: lease lost to a newer owner")
	// ErrBackwards is returned by Commit when the offset would move backwards.
	ErrBackwards = errors.New("offsets: commit would move the offset backwards")
)
