// Package sink is the runtime every sink connector shares. It turns a Lambda Kafka event into
// per-partition work: decode, skip what is committed, convert, hand the records to the connector's
// Sink, and commit, with a lease per partition so that retried, duplicated, concurrent or stale
// invocations never lose or duplicate a record.
//
// A connector implements Sink and knows only its remote system.
package sink

import (
	"context"
	"time"

	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// Sink is what a sink connector implements.
//
// The runtime calls Plan with the converted, not yet committed records of one partition in offset
// order; Plan groups them into writes and names each with a stable ID (for S3, the object key),
// doing no I/O. The runtime records the IDs as pending under the partition's lease, calls Put for
// each write, and commits the partition's offset only after every Put returned nil. When an
// attempt dies between Put and commit, the next owner of the partition calls Discard with the IDs
// that attempt announced before it writes anything itself.
type Sink interface {
	Plan(tp record.TopicPartition, recs []record.Record) ([]Write, error)
	// Put makes one write durable and returns the bytes it wrote. ctx is cancelled when the
	// partition's lease is about to expire: a Put must not start after that.
	Put(ctx context.Context, w Write) (int64, error)
	Discard(ctx context.Context, ids []string) error
}

// Write is one unit a Sink writes: an S3 object, a batch of items.
type Write interface {
	// ID names the write; it is a pure function of the records it holds and of the first
	// uncommitted offset, so that a retry rewrites the same IDs.
	ID() string
	// Records returns how many records the write holds.
	Records() int
}

// Store is the part of an offsets store the runtime uses; offsets.DynamoStore and
// offsets.FileStore implement it.
type Store interface {
	Acquire(ctx context.Context, k offsets.Key, owner string, until time.Time) (offsets.Lease, error)
	SetPending(ctx context.Context, l offsets.Lease, pending []string) error
	Commit(ctx context.Context, l offsets.Lease, next int64) error
	Release(ctx context.Context, l offsets.Lease) error
}
