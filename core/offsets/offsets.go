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
// Release of a lease that is no longer current is not an error. Reset, for operators, sets the
// offset (backwards too), raises the epoch and drops the lease, so that whoever held it is fenced;
// it refuses while an unexpired lease is held unless forced. Lease times are kept in whole
// milliseconds; a lease is held until and including its Until.
//
// # DynamoDB table
//
// One item per partition, in a table with on-demand capacity (see CreateTable):
//
//	connector      S  hash key: the connector's name
//	partition_key  S  range key: "<topic>/<partition zero-padded to 10 digits>"
//	topic          S
//	partition      N
//	next_offset    N  the next offset to process; -1 when nothing was committed
//	lease_owner    S  absent when no lease is held
//	lease_until    N  the lease's expiry, unix milliseconds; absent with lease_owner
//	epoch          N  raised by every Acquire and Reset
//	pending        L  of S: write IDs announced and not committed; absent when none
//	updated_at     N  unix milliseconds of the last change
//
// Every change is a single UpdateItem whose ConditionExpression carries the rule (no
// read-then-write), so concurrent invocations are safe; a failed condition returns the old item
// (ReturnValuesOnConditionCheckFailure=ALL_OLD), which tells ErrLeaseHeld, ErrFenced and
// ErrBackwards apart. Reads are strongly consistent.
//
// # File
//
// FileStore keeps the same attributes, one JSON object per partition, in a file rewritten
// atomically (temporary file and rename, not synced) at every change, or only in memory. It
// serialises the goroutines of one process; two processes must not share a file.
//
// # Errors
//
// All errors are classified with core/errclass and name the partition ("partition
// connector/topic/partition"): ErrLeaseHeld, ErrFenced, ErrBackwards, throttling and network
// failures are Retriable; a missing table and invalid arguments are BadConfig.
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
