//go:build !unix

package cachedir

import "context"

// lockingPlatform says Lock really locks.
const lockingPlatform = false

// Lock does nothing where there is no flock: the first rename wins.
func Lock(context.Context, string) (func(), error) { return func() {}, nil }
