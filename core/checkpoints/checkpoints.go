// Package checkpoints is the S3 source's ledger: one DynamoDB item per object version (bucket,
// key, version id or ETag) with the object's status, how far its records are known to be in
// Kafka, the partition end offsets observed before the records after that point were sent, and a
// lease that lets one invocation at a time work on the object. A second item per key keeps the
// greatest event sequencer seen, so that an event older than one already processed is ignored.
//
// It mirrors core/offsets: every change is one conditional UpdateItem (no read-then-write), a
// failed condition returns the old item, and errors are classified with core/errclass and name
// the object.
//
// # DynamoDB table
//
//	object       S  hash key: "<bucket>/<key>" (bucket names hold no "/", so this is canonical)
//	version      S  range key: "v:<version id>", "e:<etag>" without quotes, or "sequencer"
//	status       S  IN_PROGRESS or COMPLETE
//	position     N  records [0, position) of the object are in Kafka
//	chunk_end    N  records [position, chunk_end) may have been sent by the lease holder
//	end_offsets  L  of M {t: S topic, p: N partition, o: N offset}, sorted by topic and partition:
//	                the end offsets observed before records [position, chunk_end) were sent
//	records      N  records produced (COMPLETE)
//	lease_owner  S, lease_until N (unix ms), epoch N: as in core/offsets
//	sequencer    S  (sequencer item) the greatest sequencer seen, upper-cased, zero-padded to 64
//	updated_at   N  unix ms
//	expires_at   N  unix seconds: DynamoDB's TTL attribute, set on COMPLETE items
package checkpoints

import (
	"errors"
	"slices"
	"strings"
	"time"
)

// Status is an object's state in the ledger.
type Status string

// The statuses.
const (
	InProgress Status = "IN_PROGRESS"
	Complete   Status = "COMPLETE"
)

// ObjectID names one version of one object.
type ObjectID struct {
	Bucket    string
	Key       string
	VersionID string // "" when the bucket is not versioned
	ETag      string // without quotes; identifies the content when VersionID is ""
}

// Version returns the range key: "v:<version id>" or, without a version, "e:<etag>".
func (o ObjectID) Version() string {
	if o.VersionID != "" {
		return "v:" + o.VersionID
	}
	return "e:" + strings.Trim(o.ETag, `"`)
}

// String names the object as s3://bucket/key followed by its version.
func (o ObjectID) String() string { return "s3://" + o.Bucket + "/" + o.Key + " (" + o.Version() + ")" }

func (o ObjectID) validate() error {
	if o.Bucket == "" || strings.Contains(o.Bucket, "/") || o.Key == "" || (o.VersionID == "" && strings.Trim(o.ETag, `"`) == "") {
		return errors.New("want a bucket (without /), a key and a version id or ETag")
	}
	return nil
}

// Offset is one partition's end offset.
type Offset struct {
	Topic     string
	Partition int32
	Offset    int64
}

// SortOffsets sorts by topic, then partition: the canonical order the ledger stores.
func SortOffsets(os []Offset) {
	slices.SortFunc(os, func(a, b Offset) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition) - int(b.Partition)
	})
}

// Checkpoint is what the ledger holds for an object version.
type Checkpoint struct {
	Object   ObjectID
	Status   Status
	Position int64
	ChunkEnd int64
	Ends     []Offset
	Records  int64
	Owner    string
	Until    time.Time
	Epoch    int64
	Updated  time.Time
}

// Lease is a held lease: the checkpoint as Acquire (or Save) left it.
type Lease = Checkpoint

var (
	// ErrLeaseHeld: another invocation holds an unexpired lease on the object.
	ErrLeaseHeld = errors.New("checkpoints: object lease held by another invocation")
	// ErrFenced: the caller's lease is no longer current.
	ErrFenced = errors.New("checkpoints: lease lost to a newer owner")
	// ErrComplete: every record of the object version is in Kafka already.
	ErrComplete = errors.New("checkpoints: object already completely produced")
	// ErrBackwards: a Save would move the position backwards.
	ErrBackwards = errors.New("checkpoints: position would move backwards")
)
