package checkpoints_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lambda-connect/lambda-connect/core/checkpoints"
)

// A MemoryStore keeps DynamoStore's rules in one process: a lease per object version, a position
// that only moves forward, and a complete object that is never taken again.
func ExampleMemoryStore() {
	ctx := context.Background()
	ledger := checkpoints.NewMemoryStore(nil)
	obj := checkpoints.ObjectID{Bucket: "landing", Key: "incoming/orders.jsonl", ETag: "9b2cf535f27731c974343645a3985328"}

	l, _ := ledger.Acquire(ctx, obj, "invocation-1", time.Now().Add(time.Minute))
	_, err := ledger.Acquire(ctx, obj, "invocation-2", time.Now().Add(time.Minute))
	fmt.Println("second owner:", errors.Is(err, checkpoints.ErrLeaseHeld))

	l, _ = ledger.Save(ctx, l, 0, 1000, []checkpoints.Offset{{Topic: "orders", Partition: 0, Offset: 42}})
	_ = ledger.Complete(ctx, l, 1000)
	_, err = ledger.Acquire(ctx, obj, "invocation-3", time.Now().Add(time.Minute))
	fmt.Println("after completion:", errors.Is(err, checkpoints.ErrComplete))
	// Output:
	// second owner: true
	// after completion: true
}
