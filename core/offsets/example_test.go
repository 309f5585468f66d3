package offsets_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lambda-connect/lambda-connect/core/offsets"
)

// A sink invocation leases a partition, announces its writes, writes, commits and releases; a
// second invocation of the same partition waits, and a stale one is fenced.
func ExampleFileStore() {
	ctx := context.Background()
	store, err := offsets.NewFileStore("") // in memory; a path keeps the state in a JSON file
	if err != nil {
		panic(err)
	}
	k := offsets.Key{Connector: "s3-sink", Topic: "orders", Partition: 0}
	until := time.Now().Add(time.Minute)

	first, _ := store.Acquire(ctx, k, "invocation-1", until)
	fmt.Println("first lease: next", first.Next, "epoch", first.Epoch)
	_ = store.SetPending(ctx, first, []string{"topics/orders/partition=0/orders+0+0000000000.json"})

	_, err = store.Acquire(ctx, k, "invocation-2", until)
	fmt.Println("second invocation waits:", errors.Is(err, offsets.ErrLeaseHeld))

	_ = store.Commit(ctx, first, 100) // records below offset 100 are done; pending cleared
	_ = store.Release(ctx, first)

	second, _ := store.Acquire(ctx, k, "invocation-2", until)
	fmt.Println("second lease: next", second.Next, "epoch", second.Epoch, "pending", second.Pending)
	fmt.Println("stale commit fenced:", errors.Is(store.Commit(ctx, first, 150), offsets.ErrFenced))
	// Output:
	// first lease: next -1 epoch 1
	// second invocation waits: true
	// second lease: next 100 epoch 2 pending []
	// stale commit fenced: true
}
